-- Migration 0037 (issue 19): when question groups were last refreshed, and an index for analytics.
-- Issue 19: question groups refresh by themselves. When each agent's questions were last grouped,
-- so the worker's periodic task queues a refresh only for agents with an unanswered, sourceless
-- or disliked answer since then. Goes with the agent and the account.
CREATE TABLE question_group_refreshes (
    agent_id      text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    refreshed_at  timestamptz NOT NULL
);
ALTER TABLE question_group_refreshes ENABLE ROW LEVEL SECURITY;
ALTER TABLE question_group_refreshes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON question_group_refreshes
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

-- Analytics (issue 19): an account's messages over a range of days, every agent or one, read by
-- grouped counts; without this index each report reads all of the account's messages.
CREATE INDEX chat_messages_account_created ON chat_messages (account_id, created_at);
