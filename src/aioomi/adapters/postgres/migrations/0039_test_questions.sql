-- The owner's improvement loop (issue 19), test questions: per agent, questions with one
-- expectation each, and the runs that answered them (each run stored whole when it ends, its
-- per-question results as JSON). Both go with the agent and the account.
CREATE TABLE test_questions (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id     text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    question     text NOT NULL CHECK (length(question) BETWEEN 1 AND 4000),
    kind         text NOT NULL CHECK (kind IN ('mentions', 'cites', 'falls_back')),
    facts        jsonb NOT NULL CHECK (jsonb_typeof(facts) = 'array'),
    document_id  text CHECK (length(document_id) <= 100),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX test_questions_agent ON test_questions (account_id, agent_id, created_at);
ALTER TABLE test_questions ENABLE ROW LEVEL SECURITY;
ALTER TABLE test_questions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON test_questions
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

CREATE TABLE test_runs (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id     text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    trigger      text NOT NULL CHECK (trigger IN ('manual', 'knowledge', 'settings')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    results      jsonb NOT NULL CHECK (jsonb_typeof(results) = 'array')
);
CREATE INDEX test_runs_agent ON test_runs (account_id, agent_id, finished_at DESC);
ALTER TABLE test_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE test_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON test_runs
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
