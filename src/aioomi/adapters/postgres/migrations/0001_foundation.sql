-- The foundation: vector search and the job queue.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE jobs (
    id            text PRIMARY KEY,
    kind          text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at        timestamptz NOT NULL DEFAULT now(),
    dedupe_key    text,
    last_error    text,
    locked_by     text,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

-- What workers poll: due queued jobs, oldest first.
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';
-- Leases to reclaim when a worker dies.
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE status = 'running';
-- Finished jobs for the retention sweep.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('done', 'failed');
-- Idempotent enqueueing (periodic slots, retried requests).
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;
