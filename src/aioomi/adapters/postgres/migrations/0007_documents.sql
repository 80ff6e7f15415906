-- Documents of the knowledge bases: the original (in the blob store, by key), the ingestion
-- status, the extracted text (own table: large, read rarely), and per agent the embedding model
-- searches use. Chunks stay in knowledge_chunks under the key '<document id>/<model>'.

CREATE TABLE knowledge_bases (
    agent_id         text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id       text NOT NULL,
    embedding_model  text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
    pending_model    text CHECK (length(pending_model) BETWEEN 1 AND 200),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id               text PRIMARY KEY,
    account_id       text NOT NULL,
    agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    source           text NOT NULL CHECK (source IN ('upload', 'text', 'url')),
    source_url       text CHECK (length(source_url) <= 2048),
    filename         text CHECK (length(filename) <= 255),
    content_type     text CHECK (length(content_type) <= 200),
    kind             text CHECK (kind IN ('text', 'markdown', 'html', 'pdf', 'docx', 'csv')),
    status           text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    error            text CHECK (length(error) <= 2000),
    progress_done    integer NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
    progress_total   integer NOT NULL DEFAULT 0 CHECK (progress_total >= 0),
    content_hash     text NOT NULL,
    blob_key         text NOT NULL,
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    pages            integer NOT NULL DEFAULT 0 CHECK (pages >= 0),
    char_count       bigint NOT NULL DEFAULT 0 CHECK (char_count >= 0),
    chunk_count      integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    embedding_model  text,
    version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    idempotency_key  text CHECK (length(idempotency_key) <= 200),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    processed_at     timestamptz
);
CREATE INDEX documents_agent_created ON documents (account_id, agent_id, created_at, id);
CREATE INDEX documents_agent_hash ON documents (agent_id, content_hash);
CREATE UNIQUE INDEX documents_idempotency ON documents (agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE document_texts (
    document_id      text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    account_id       text NOT NULL,
    text             text NOT NULL
);

-- Row-level security: FORCE makes it apply to the tables' owner as well. The knowledge tables
-- of 0003 get it too; the chunk store sets aioomi.account_id in each of its transactions.
ALTER TABLE knowledge_bases ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_bases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_bases
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE document_texts ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_texts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_texts
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE knowledge_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_chunks
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE knowledge_postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_postings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_postings
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE knowledge_index_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_index_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_index_stats
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
