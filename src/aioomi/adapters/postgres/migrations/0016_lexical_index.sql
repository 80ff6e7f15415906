-- The lexical index whose cost does not grow with the postings of common words (issue 15).
--
-- 1. Document frequency per (account, agent, model, term), kept on every write in the write's
--    transaction, so a search reads one row per query term instead of counting postings.
-- 2. Each posting's term impact: the BM25 term-frequency part, tf·(k1+1) / (tf + k1·(1 − b +
--    b·length/avgdl)), computed with the agent's reference average length
--    (knowledge_index_stats.impact_avg_length). A search reads each term's postings through an
--    index in impact order, at most a bounded number per term. Scores stay exact BM25 (computed
--    from tf and length with the current statistics); the impact only orders the reading.
--
-- Existing data: the frequencies are counted here (one pass over the postings); the impacts
-- start NULL, which a search reads last (NULLS LAST), and the periodic job
-- `knowledge.refresh_lexical_impacts` fills them agent by agent. Search works throughout: until
-- an agent is refreshed a common term's capped reading is just not the best-impact one.

SELECT set_config('aioomi.system', 'on', true);

CREATE TABLE knowledge_term_stats (
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    embedding_model  text NOT NULL,
    lexeme           text NOT NULL,
    df               integer NOT NULL CHECK (df >= 0),
    PRIMARY KEY (account_id, agent_id, embedding_model, lexeme)
);

ALTER TABLE knowledge_term_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_term_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_term_stats
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

INSERT INTO knowledge_term_stats (account_id, agent_id, embedding_model, lexeme, df)
SELECT account_id, agent_id, embedding_model, lexeme, count(*)
FROM knowledge_postings GROUP BY account_id, agent_id, embedding_model, lexeme;

-- NULL: the agent's postings have no impact yet, or not all of them (the job's to-do list).
ALTER TABLE knowledge_index_stats ADD COLUMN impact_avg_length float8;

ALTER TABLE knowledge_postings ADD COLUMN impact real;

-- The impact-ordered index replaces the primary key: a posting is unique by construction (one
-- row per distinct term of a chunk), and one index fewer keeps ingestion as fast as before.
ALTER TABLE knowledge_postings DROP CONSTRAINT knowledge_postings_pkey;
CREATE INDEX knowledge_postings_impact ON knowledge_postings
    (account_id, agent_id, embedding_model, lexeme, impact DESC NULLS LAST, chunk_id) INCLUDE (tf, chunk_length);
