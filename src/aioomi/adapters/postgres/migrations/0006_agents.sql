-- Agents: their settings, widget styling and public widget key. The CHECK constraints mirror
-- the domain's rules (aioomi.domain.model.agents), a last line of defence behind them.

CREATE TABLE agents (
    id                 text PRIMARY KEY,
    account_id         text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    system_prompt      text NOT NULL DEFAULT '' CHECK (length(system_prompt) <= 20000),
    model              text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    temperature        double precision NOT NULL CHECK (temperature BETWEEN 0 AND 2),
    max_tokens         integer NOT NULL CHECK (max_tokens BETWEEN 1 AND 16384),
    answer_mode        text NOT NULL CHECK (answer_mode IN ('grounded', 'assisted')),
    fallback_message   text NOT NULL CHECK (length(fallback_message) BETWEEN 1 AND 1000),
    top_k              integer NOT NULL CHECK (top_k BETWEEN 1 AND 20),
    min_relevance      double precision NOT NULL CHECK (min_relevance BETWEEN 0 AND 1),
    greeting           text CHECK (length(greeting) BETWEEN 1 AND 1000),
    starter_questions  text[] NOT NULL DEFAULT '{}'
                       CHECK (cardinality(starter_questions) <= 6 AND array_position(starter_questions, NULL) IS NULL),
    widget             jsonb NOT NULL DEFAULT '{}' CHECK (
                           jsonb_typeof(widget) = 'object'
                           AND widget ->> 'primary_color' ~ '^#[0-9a-f]{6}$'
                           AND widget ->> 'position' IN ('left', 'right')
                           AND widget ->> 'theme' IN ('light', 'dark', 'auto')
                           AND coalesce(widget ->> 'avatar_url', 'https://') LIKE 'https://%'
                           AND length(coalesce(widget ->> 'title', '')) <= 100
                           AND length(coalesce(widget ->> 'launcher_text', '')) <= 60
                       ),
    allowed_origins    text[] NOT NULL DEFAULT '{}'
                       CHECK (cardinality(allowed_origins) <= 50 AND array_position(allowed_origins, NULL) IS NULL),
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    public_key         text NOT NULL UNIQUE CHECK (public_key LIKE 'pk\_%' AND length(public_key) BETWEEN 20 AND 100),
    embedding_model    text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

-- Listing an account's agents page by page, newest first, by keyset (created_at, id).
CREATE INDEX agents_account_created ON agents (account_id, created_at, id);

-- Row-level security: FORCE makes it apply to the table's owner as well.
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agents
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
