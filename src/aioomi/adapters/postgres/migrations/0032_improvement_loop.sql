-- The owner's improvement loop (issue 19), part 2: curated answers. Per agent, how a matching
-- question-and-answer pair is used (served directly, or as the model's top passage) and from
-- which relevance; an answer served from a pair records the pair (a curated-answer hit).
CREATE TABLE agent_curated_answers (
    agent_id    text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('direct', 'passage')),
    threshold   real NOT NULL CHECK (threshold BETWEEN 0 AND 1)
);
ALTER TABLE agent_curated_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_curated_answers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_curated_answers
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

-- No foreign key: the pair may be deleted later; the answer keeps saying where it came from.
ALTER TABLE chat_messages ADD COLUMN curated_pair_id text CHECK (length(curated_pair_id) <= 100);
CREATE INDEX chat_messages_curated ON chat_messages (account_id, agent_id, created_at)
    WHERE curated_pair_id IS NOT NULL;

-- Part 3: unanswered and disliked questions, grouped by meaning by the worker. Open groups are
-- replaced at each run; dismissed and answered ones stay (their key keeps later runs from
-- reopening them). Visitors' questions are personal data of the conversations: the groups go
-- with the agent and the account, and the retention sweep of chats leaves them only counts and
-- phrasings already summarised (see docs/privacy.md).
CREATE TABLE question_groups (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id    text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    key         text NOT NULL CHECK (length(key) <= 4000),
    label       text NOT NULL CHECK (length(label) <= 4000),
    count       integer NOT NULL CHECK (count >= 1),
    examples    jsonb NOT NULL CHECK (jsonb_typeof(examples) = 'array'),
    reasons     jsonb NOT NULL CHECK (jsonb_typeof(reasons) = 'array'),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'dismissed', 'answered')),
    pair_id     text,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX question_groups_agent ON question_groups (account_id, agent_id, status, count DESC);
ALTER TABLE question_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE question_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON question_groups
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

-- Part 4: the owner searches the text of an agent's conversations (full-text search, no
-- stemming: the widget speaks many languages).
CREATE INDEX chat_messages_fts ON chat_messages USING gin (to_tsvector('simple', content));
