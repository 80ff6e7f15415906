-- Sources of a knowledge base (uploads, single addresses, websites, sitemaps, Q&A pairs), their
-- sync runs, and the link from each document to its source. Existing documents get one
-- 'upload' source per agent (files and texts) and one 'url' source per fetched address.

CREATE TABLE knowledge_sources (
    id               text PRIMARY KEY,
    account_id       text NOT NULL,
    agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('website', 'sitemap', 'url', 'upload', 'qa')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings         jsonb NOT NULL DEFAULT '{}'::jsonb,
    schedule         text NOT NULL DEFAULT 'off' CHECK (schedule IN ('off', 'daily', 'weekly')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_synced_at   timestamptz,
    next_sync_at     timestamptz
);
CREATE INDEX knowledge_sources_agent ON knowledge_sources (account_id, agent_id, created_at, id);
CREATE UNIQUE INDEX knowledge_sources_one_upload ON knowledge_sources (agent_id) WHERE kind = 'upload';
CREATE INDEX knowledge_sources_due ON knowledge_sources (next_sync_at) WHERE next_sync_at IS NOT NULL;

CREATE TABLE source_runs (
    id               text PRIMARY KEY,
    account_id       text NOT NULL,
    agent_id         text NOT NULL,
    source_id        text NOT NULL REFERENCES knowledge_sources (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    counts           jsonb NOT NULL,
    failures         jsonb NOT NULL DEFAULT '[]'::jsonb,
    cancel_requested boolean NOT NULL DEFAULT false,
    error            text CHECK (length(error) <= 2000),
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX source_runs_source_created ON source_runs (account_id, source_id, created_at DESC, id DESC);
-- At most one queued or running run per source.
CREATE UNIQUE INDEX source_runs_one_active ON source_runs (source_id) WHERE status IN ('queued', 'running');

ALTER TABLE documents ADD COLUMN source_id text REFERENCES knowledge_sources (id) ON DELETE CASCADE;
CREATE INDEX documents_source ON documents (source_id, created_at, id);

-- The backfill reads every account's documents: this transaction runs in the system scope.
SELECT set_config('aioomi.system', 'on', true);

-- Ids of the shape new_id() makes: the prefix and 26 characters of [a-z2-7], derived from what
-- they stand for so the backfill is deterministic.
CREATE FUNCTION pg_temp.aioomi_backfill_id(seed text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'src_' || translate(substr(md5(seed), 1, 26), '0189', 'ghij')
$$;

INSERT INTO knowledge_sources (id, account_id, agent_id, kind, name, settings, schedule, created_at, updated_at)
SELECT pg_temp.aioomi_backfill_id('upload/' || agent_id), account_id, agent_id, 'upload', 'Uploaded files and texts',
       '{}'::jsonb, 'off', min(created_at), max(updated_at)
FROM documents WHERE source IN ('upload', 'text')
GROUP BY account_id, agent_id;

INSERT INTO knowledge_sources (id, account_id, agent_id, kind, name, settings, schedule, created_at, updated_at,
                               last_synced_at)
SELECT pg_temp.aioomi_backfill_id('url/' || id), account_id, agent_id, 'url',
       left(coalesce(source_url, title), 200), jsonb_build_object('url', source_url, 'max_depth', 0), 'off',
       created_at, updated_at, processed_at
FROM documents WHERE source = 'url';

UPDATE documents SET source_id = CASE
    WHEN source = 'url' THEN pg_temp.aioomi_backfill_id('url/' || id)
    ELSE pg_temp.aioomi_backfill_id('upload/' || agent_id)
END;

SELECT set_config('aioomi.system', 'off', true);

ALTER TABLE knowledge_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_sources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_sources
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE source_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE source_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON source_runs
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
