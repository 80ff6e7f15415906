-- Lead capture: each agent's form (JSON settings, checked by the domain) and the leads visitors
-- leave, kept with their conversation (the link is cleared when the conversation goes: a lead
-- has its own retention) and erased with the account.

CREATE TABLE agent_lead_forms (
    agent_id    text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX agent_lead_forms_account ON agent_lead_forms (account_id);

CREATE TABLE leads (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id      text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    session_id    text REFERENCES chat_sessions (id) ON DELETE SET NULL,
    visitor_id    text NOT NULL CHECK (visitor_id ~ '^[A-Za-z0-9_-]{16,64}$'),
    "values"      jsonb NOT NULL,
    consent_text  text NOT NULL CHECK (length(consent_text) <= 300),
    privacy_url   text CHECK (length(privacy_url) <= 2000),
    created_at    timestamptz NOT NULL
);
CREATE INDEX leads_account ON leads (account_id, created_at DESC, id DESC);
CREATE INDEX leads_agent_age ON leads (agent_id, created_at);
CREATE INDEX leads_visitor ON leads (account_id, visitor_id);

ALTER TABLE agent_lead_forms ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_lead_forms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_lead_forms
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON leads
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
