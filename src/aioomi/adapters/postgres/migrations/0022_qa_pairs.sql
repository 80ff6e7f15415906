-- Question-and-answer pairs of an agent's 'qa' source (one per agent). A pair is a document
-- (the question its title, the answer and alternative phrasings its text); this table keeps
-- the pair's parts, so it can be edited and exported as it was given.

CREATE UNIQUE INDEX knowledge_sources_one_qa ON knowledge_sources (agent_id) WHERE kind = 'qa';

CREATE TABLE qa_pairs (
    id               text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    source_id        text NOT NULL REFERENCES knowledge_sources (id) ON DELETE CASCADE,
    question         text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    answer           text NOT NULL CHECK (length(answer) BETWEEN 1 AND 10000),
    alternatives     jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX qa_pairs_source ON qa_pairs (account_id, source_id, created_at, id);

ALTER TABLE qa_pairs ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_pairs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON qa_pairs
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
