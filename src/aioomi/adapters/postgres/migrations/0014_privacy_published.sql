-- The policy's text, published: every version holds its Markdown text (what /privacy renders);
-- the version seeded by 0011 gets the text shipped as src/aioomi/policy/2026-02-15.md (a test
-- keeps the two equal). And row-level security on the last table without it.

ALTER TABLE policy_versions
    ADD COLUMN body text NOT NULL DEFAULT '' CHECK (length(body) <= 200000);

UPDATE policy_versions SET body = $policy$# Privacy Policy

Aioomi ("we", "our", "us"), operated by MySelf Yevhen Shcherbynskyi, based in Warsaw, Poland,
runs the Aioomi platform: AI assistants ("agents") that website owners put on their sites. This
policy says what personal data the platform collects, why, where it is kept, for how long, and
how you use your rights. We comply with the General Data Protection Regulation (GDPR).

This version takes effect on 2026-02-15. Every published version, with its date, is listed at
[/privacy/versions](/privacy/versions).

## 1. Data we collect

- **Account data**: your e-mail address, full name, how you sign in (password or Google) and,
  for password accounts, a hash of your password (Argon2id; we never keep the password). At
  sign-up you confirm you are 18 or older and accept this policy; we record when, and which
  version.
- **Agent configuration**: each agent's name, system prompt, model settings (temperature, maximum
  tokens) and widget styling.
- **Knowledge base content**: the documents you upload, the text extracted from them, and the
  vector embeddings computed from that text for retrieval.
- **Chat data**: the messages exchanged between your website's visitors ("end users") and your
  agents, with session metadata (times, session ids, the visitor id the widget keeps).
- **Usage data**: a log of API requests (time, route, status, latency, account, IP address), token
  usage per agent and model, and billing records.
- **Technical data**: the IP address and browser (user agent) of your signed-in sessions, shown to
  you on your account page.

## 2. How we use data, and on what basis

- To run the service: sign you in, run your agents, answer from your knowledge base (performance
  of a contract).
- To bill you and keep accurate billing records (contract; legal obligation).
- To e-mail you about your account: confirmation and reset links, exports, deletion, policy
  changes (contract).
- To keep the service secure and reliable, and to understand its use through the request log
  (legitimate interests; you may object, see section 6).

## 3. Where data is kept

Everything is kept in one PostgreSQL database (vector embeddings with its pgvector extension)
and, for uploaded files and export archives, in the server's file store. Connections to the
service are encrypted in transit (TLS). Tenants are isolated in the database itself (row-level
security), not only by the application.

## 4. Third parties

- **OpenAI**: when the operator configures it, chat messages and knowledge-base text are sent to
  OpenAI's API to generate answers and embeddings (`text-embedding-3-small`). OpenAI does not use
  API data for training. Without it, answers and embeddings are computed on our own server.
- **Stripe**: processes payments. We never see or store card numbers; we keep only Stripe's ids
  for your customer and subscription. When you delete your account, the subscription is
  cancelled at once and the Stripe customer is deleted when your data is purged.
- **Google**: if you sign in with Google, Google shares your e-mail address and name with us; we
  never receive your Google password.

No other processor receives your data.

## 5. Cookies and browser storage

- **`aioomi_session`**: a cookie that keeps you signed in to the dashboard (HttpOnly).
- **`aioomi_oidc_state`**: a short-lived cookie (10 minutes) during a Google sign-in.
- **Theme**: your light/dark choice, in the browser's `localStorage`.
- **`aioomi_visitor_id`**: a random id the chat widget keeps in `localStorage` on your visitors'
  browsers so a conversation continues across pages.

We use no advertising or tracking cookies.

## 6. Your rights

You use every right yourself, from your dashboard's **Account** page or the API; each use is
recorded in an audit log you can read.

- **Access and portability**: download an archive (ZIP of JSON files with a manifest) of
  everything we hold about you.
- **Rectification**: correct your name and e-mail address.
- **Erasure**: delete your account. Sessions and API keys are revoked at once and your agents
  stop answering; your data is purged after a grace period (7 days by default, never more than
  30) during which a link we e-mail you cancels the deletion.
- **Restriction**: we keep your data but stop processing it: agents stop answering, uploaded
  documents wait unprocessed (nothing is sent to OpenAI), and your requests are logged without
  your account or IP address. Lifting the restriction resumes everything.
- **Objection**: object to the usage analytics we base on legitimate interests: from then on the
  request log keeps neither your account nor your IP address, and past rows are anonymised.
- **Your visitors' conversations**: you are the controller of your end users' data; you can find,
  export and delete a visitor's conversations by their visitor id.

You can also write to us at aioomi.help@gmail.com; we answer within 30 days.

## 7. How long we keep data

| data | kept |
|---|---|
| chat sessions and messages | 12 months after the session started (an agent may choose fewer days) |
| API request log | 90 days |
| signed-out or expired sessions | 30 days |
| confirmation, reset and e-mail change links | 7 days after they expire |
| export archives | 7 days (download links work 30 minutes) |
| copies of e-mails we sent (when the server keeps them) | 7 days |
| documents, their text and embeddings | until you delete them, their agent or your account |
| account data after a deletion request | removed within the grace period, never more than 30 days |
| billing records | 7 years, as tax law requires, detached from your account when it is deleted |

Deletion runs automatically; each run is recorded.

## 8. Children

The service is not for anyone under 18. Sign-up requires confirming you are 18 or older.

## 9. Changes to this policy

We announce a material change by e-mail to every account at least 30 days before it takes
effect, and show the upcoming version beside the current one at [/privacy](/privacy) until then.
You accept the new version from your account page.

## 10. Contact

Questions about this policy or your data: aioomi.help@gmail.com.
$policy$
WHERE version = '2026-02-15';

-- Pending Google sign-ins belong to no account yet: only the system scope reads or writes them.
ALTER TABLE pending_sign_ins ENABLE ROW LEVEL SECURITY;
ALTER TABLE pending_sign_ins FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON pending_sign_ins
    USING (current_setting('aioomi.system', true) = 'on') WITH CHECK (current_setting('aioomi.system', true) = 'on');
