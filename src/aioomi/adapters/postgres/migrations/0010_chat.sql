-- Chat sessions and messages (the policy's chat data), and the API request log (usage data).
-- Row-level security as everywhere: a unit of work sees only its tenant's rows.

CREATE TABLE chat_sessions (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    visitor_id       text NOT NULL CHECK (visitor_id ~ '^[A-Za-z0-9_-]{16,64}$'),
    channel          text NOT NULL DEFAULT 'widget' CHECK (channel IN ('widget', 'api')),
    created_at       timestamptz NOT NULL,
    last_message_at  timestamptz,
    ip               text,
    user_agent       text CHECK (length(user_agent) <= 500)
);
-- A visitor's sessions with an agent (the widget restores its history from these).
CREATE INDEX chat_sessions_visitor ON chat_sessions (agent_id, visitor_id, created_at DESC, id DESC);
-- An agent's sessions by date, page by page (keyset on created_at, id), for the owner.
CREATE INDEX chat_sessions_agent_created ON chat_sessions (account_id, agent_id, created_at DESC, id DESC);
-- The retention sweep (chats deleted 12 months after creation).
CREATE INDEX chat_sessions_created ON chat_sessions (created_at);

-- Messages: the biggest table of the product. Partitioning it (by month of created_at) is
-- future work, see docs/chat.md.
CREATE TABLE chat_messages (
    id                 text PRIMARY KEY,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    account_id         text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id           text NOT NULL,
    session_id         text NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    role               text NOT NULL CHECK (role IN ('user', 'assistant')),
    content            text NOT NULL CHECK (length(content) <= 100000),
    status             text NOT NULL CHECK (status IN ('streaming', 'complete', 'failed')),
    citations          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(citations) = 'array'),
    model              text,
    prompt_tokens      integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens  integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    latency_ms         integer CHECK (latency_ms >= 0),
    error_code         text,
    reply_to           text,
    idempotency_key    text CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    created_at         timestamptz NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, created_at, seq);
CREATE UNIQUE INDEX chat_messages_idempotency ON chat_messages (session_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX chat_messages_reply ON chat_messages (reply_to) WHERE reply_to IS NOT NULL;

ALTER TABLE chat_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chat_sessions
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chat_messages
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

-- The API request log: one row per request, written in batches by a background task of each
-- server process. account_id is NULL for anonymous requests (sign-in, health); agent_id is set
-- for widget requests. Retention is the privacy work's sweep (see docs/chat.md).
CREATE TABLE api_request_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    method       text NOT NULL CHECK (length(method) <= 16),
    route        text NOT NULL CHECK (length(route) <= 300),
    status       smallint NOT NULL,
    latency_ms   real NOT NULL CHECK (latency_ms >= 0),
    account_id   text,
    agent_id     text,
    ip           text
);
CREATE INDEX api_request_log_account ON api_request_log (account_id, occurred_at) WHERE account_id IS NOT NULL;
CREATE INDEX api_request_log_time ON api_request_log (occurred_at);

ALTER TABLE api_request_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_request_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_request_log
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
