-- Privacy by construction: policy versions, the owner's privacy state (restriction, objection,
-- pending erasure), the audit log of rights actions, data exports, per-agent chat retention and
-- the log of retention sweeps. Retention periods: docs/privacy.md.

-- Published versions of the privacy policy. Not tenant data: every scope reads it.
CREATE TABLE policy_versions (
    version           text PRIMARY KEY CHECK (version ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    effective_on      date NOT NULL,
    published_at      timestamptz NOT NULL,
    summary           text NOT NULL DEFAULT '' CHECK (length(summary) <= 2000),
    notices_sent_at   timestamptz,
    notices_sent      integer NOT NULL DEFAULT 0 CHECK (notices_sent >= 0),
    notices_after     text
);
CREATE UNIQUE INDEX policy_versions_effective ON policy_versions (effective_on);
-- The version in force when this migration shipped (seed/privacy-policy.txt, "Last updated").
INSERT INTO policy_versions (version, effective_on, published_at, summary, notices_sent_at)
VALUES ('2026-02-15', DATE '2026-02-15', TIMESTAMPTZ '2026-02-15 00:00:00+00', 'Initial policy.',
        TIMESTAMPTZ '2026-02-15 00:00:00+00');

-- One row per account that used a right with lasting effect.
CREATE TABLE account_privacy (
    account_id              text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    restricted_at           timestamptz,
    objected_at             timestamptz,
    deletion_requested_at   timestamptz,
    purge_after             timestamptz,
    cancel_token_hash       text UNIQUE,
    status_before_deletion  text CHECK (status_before_deletion IN ('active', 'restricted')),
    CHECK ((deletion_requested_at IS NULL) = (purge_after IS NULL)),
    CHECK (purge_after IS NULL OR purge_after <= deletion_requested_at + interval '30 days')
);
CREATE INDEX account_privacy_purge ON account_privacy (purge_after) WHERE purge_after IS NOT NULL;
CREATE INDEX account_privacy_objected ON account_privacy (account_id)
    WHERE objected_at IS NOT NULL OR restricted_at IS NOT NULL;

-- Every rights action, readable by the owner; erased with the account.
CREATE TABLE privacy_audit_log (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 60),
    at          timestamptz NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX privacy_audit_log_account ON privacy_audit_log (account_id, at DESC, id DESC);

CREATE TABLE data_exports (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('queued', 'ready', 'failed')),
    created_at       timestamptz NOT NULL,
    ready_at         timestamptz,
    expires_at       timestamptz NOT NULL,
    blob_key         text,
    size_bytes       bigint CHECK (size_bytes >= 0),
    link_hash        text UNIQUE,
    link_expires_at  timestamptz,
    error            text CHECK (length(error) <= 2000)
);
CREATE INDEX data_exports_account ON data_exports (account_id, created_at DESC);
CREATE INDEX data_exports_expiry ON data_exports (expires_at);

-- An agent may keep its conversations for less than the policy's 12 months, never longer.
CREATE TABLE agent_chat_retention (
    agent_id    text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    days        integer NOT NULL CHECK (days BETWEEN 1 AND 365)
);

-- What each retention sweep removed, and when (no personal data: kinds and counts).
CREATE TABLE retention_runs (
    id           text PRIMARY KEY,
    kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    removed      bigint NOT NULL CHECK (removed >= 0),
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_runs_kind ON retention_runs (kind, finished_at DESC);

-- The chat sweep with a shorter per-agent retention reads sessions by agent and age.
CREATE INDEX chat_sessions_agent_age ON chat_sessions (agent_id, created_at);

ALTER TABLE account_privacy ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_privacy FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON account_privacy
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE privacy_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON privacy_audit_log
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE data_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_exports
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE agent_chat_retention ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_chat_retention FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_chat_retention
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE retention_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON retention_runs
    USING (current_setting('aioomi.system', true) = 'on') WITH CHECK (current_setting('aioomi.system', true) = 'on');

-- policy_versions: everyone reads, only the system scope writes.
ALTER TABLE policy_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY read_all ON policy_versions FOR SELECT USING (true);
CREATE POLICY system_writes ON policy_versions FOR ALL
    USING (current_setting('aioomi.system', true) = 'on') WITH CHECK (current_setting('aioomi.system', true) = 'on');
