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
