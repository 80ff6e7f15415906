-- Knowledge bases: chunks with their vectors (dense search) and postings (BM25 lexical search).
-- Every row carries account_id and agent_id; every query filters by both.

CREATE TABLE knowledge_chunks (
    id               text PRIMARY KEY,
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    document_id      text NOT NULL,
    position         integer NOT NULL CHECK (position >= 0),
    text             text NOT NULL,
    heading_path     text[] NOT NULL DEFAULT '{}',
    char_start       integer NOT NULL DEFAULT 0 CHECK (char_start >= 0),
    char_end         integer NOT NULL DEFAULT 0 CHECK (char_end >= char_start),
    token_count      integer NOT NULL DEFAULT 0 CHECK (token_count >= 0),
    content_hash     text NOT NULL,
    embedding_model  text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
    dimensions       integer NOT NULL CHECK (dimensions BETWEEN 1 AND 4000),
    -- No fixed size: agents may use different models. Half precision halves the storage of
    -- 1,536-dim vectors at no measurable cost in recall.
    embedding        halfvec NOT NULL CHECK (vector_dims(embedding) = dimensions),
    lexical_length   integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, agent_id, document_id, position)
);

-- Exact search of a small knowledge base reads the agent's rows through this index, then sorts
-- them by distance: no approximate index, so no recall lost to post-filtering.
CREATE INDEX knowledge_chunks_agent_model ON knowledge_chunks (account_id, agent_id, embedding_model, dimensions);

-- One approximate (HNSW) index per known model and size, as a partial expression index: a
-- large knowledge base is searched through it with pgvector's iterative scan. Adding a model
-- is adding an index here (in a new migration) and its entry in PostgresChunkStore.
CREATE INDEX knowledge_chunks_hnsw_te3_small ON knowledge_chunks
    USING hnsw ((embedding::halfvec(1536)) halfvec_cosine_ops)
    WHERE embedding_model = 'text-embedding-3-small' AND dimensions = 1536;
CREATE INDEX knowledge_chunks_hnsw_te3_large ON knowledge_chunks
    USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops)
    WHERE embedding_model = 'text-embedding-3-large' AND dimensions = 3072;
CREATE INDEX knowledge_chunks_hnsw_wordllama ON knowledge_chunks
    USING hnsw ((embedding::halfvec(256)) halfvec_cosine_ops)
    WHERE embedding_model = 'wordllama-l2-supercat-256' AND dimensions = 256;

-- The lexical index: one row per (chunk, stemmed term), with the term's frequency in the chunk
-- and the chunk's length, so BM25 is one index range scan per query term within one agent.
CREATE TABLE knowledge_postings (
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    embedding_model  text NOT NULL,
    lexeme           text NOT NULL,
    chunk_id         text NOT NULL REFERENCES knowledge_chunks (id) ON DELETE CASCADE,
    tf               integer NOT NULL CHECK (tf > 0),
    chunk_length     integer NOT NULL CHECK (chunk_length > 0),
    PRIMARY KEY (account_id, agent_id, embedding_model, lexeme, chunk_id) INCLUDE (tf, chunk_length)
);
CREATE INDEX knowledge_postings_chunk ON knowledge_postings (chunk_id);

-- Per agent and model: how many chunks and how many terms, for BM25's IDF and average
-- length, and to choose between exact and approximate dense search without counting rows.
CREATE TABLE knowledge_index_stats (
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    embedding_model  text NOT NULL,
    chunk_count      bigint NOT NULL CHECK (chunk_count >= 0),
    total_length     bigint NOT NULL CHECK (total_length >= 0),
    PRIMARY KEY (account_id, agent_id, embedding_model)
);
