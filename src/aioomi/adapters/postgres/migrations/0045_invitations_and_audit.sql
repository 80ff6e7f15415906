-- Teams (issue 21): invitations by e-mail, and the workspace's audit log (which member did what:
-- invitations, roles, removals, ownership). Both are workspace data (erased with the workspace).
-- The actor of an audit event is kept as an id only; erasing that person blanks it.

CREATE TABLE workspace_invitations (
    id            text PRIMARY KEY,
    workspace_id  text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'support', 'viewer')),
    token_hash    text NOT NULL UNIQUE,
    invited_by    text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    sent_at       timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_by   text,
    revoked_at    timestamptz
);
CREATE INDEX workspace_invitations_open ON workspace_invitations (workspace_id, created_at DESC)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE audit_events (
    id            text PRIMARY KEY,
    workspace_id  text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_id      text,
    action        text NOT NULL CHECK (length(action) BETWEEN 1 AND 60),
    subject       text,
    detail        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    at            timestamptz NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, at DESC, id DESC);

ALTER TABLE workspace_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspace_invitations
    USING (aioomi_visible(workspace_id)) WITH CHECK (aioomi_visible(workspace_id));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (aioomi_visible(workspace_id)) WITH CHECK (aioomi_visible(workspace_id));
