-- The usage ledger (the policy's "token usage"): one row per model call, plus running monthly
-- counters per account and agent, updated in the same transaction as each ledger insert, so a
-- quota check reads a handful of counter rows instead of summing the ledger.
-- agent_id is not a foreign key: usage stays counted (and billed) after an agent is deleted.

CREATE TABLE usage_entries (
    id                 text PRIMARY KEY,
    account_id         text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id           text NOT NULL,
    session_id         text,
    model              text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    kind               text NOT NULL CHECK (kind IN ('chat', 'embedding')),
    prompt_tokens      integer NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens  integer NOT NULL CHECK (completion_tokens >= 0),
    occurred_at        timestamptz NOT NULL
);
CREATE INDEX usage_entries_account_time ON usage_entries (account_id, occurred_at);

-- One row per (account, agent, month); the account's total is the sum over its agents.
CREATE TABLE usage_counters (
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id    text NOT NULL,
    period      date NOT NULL CHECK (extract(day FROM period) = 1),
    messages    bigint NOT NULL DEFAULT 0 CHECK (messages >= 0),
    tokens      bigint NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    PRIMARY KEY (account_id, period, agent_id)
) WITH (fillfactor = 80);

-- Optional hard monthly spending cap per agent, in tokens (protection against runaway cost).
CREATE TABLE usage_caps (
    account_id      text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id        text NOT NULL,
    monthly_tokens  bigint NOT NULL CHECK (monthly_tokens >= 0),
    PRIMARY KEY (account_id, agent_id)
);

ALTER TABLE usage_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_entries
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE usage_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_counters
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE usage_caps ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_caps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_caps
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
