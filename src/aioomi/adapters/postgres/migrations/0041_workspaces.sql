-- Teams, step 1 of 3 (issue 21): workspaces and their members. The tenant becomes a workspace;
-- a person (the account) belongs to one or more workspaces with a role. Every existing account
-- becomes a workspace WITH THE SAME ID, the account its owner, so each tenant row's
-- account_id already names its workspace: nothing is copied or rewritten. This step only
-- creates and fills two new tables (it reads accounts), so reads and writes of every other
-- table go on while it runs. Step 2 (0042) re-points the tenant tables' foreign keys, step 3
-- (0043) validates them.

CREATE TABLE workspaces (
    id          text PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- One row per person per workspace. A person's memberships are erased with the person; a
-- workspace's with the workspace.
CREATE TABLE workspace_members (
    workspace_id  text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'support', 'viewer')),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, account_id)
);
CREATE INDEX workspace_members_account ON workspace_members (account_id, created_at);

INSERT INTO workspaces (id, name, created_at, updated_at)
SELECT id, 'My workspace', created_at, created_at FROM accounts
ON CONFLICT (id) DO NOTHING;
INSERT INTO workspace_members (workspace_id, account_id, role, created_at)
SELECT id, id, 'owner', created_at FROM accounts
ON CONFLICT (workspace_id, account_id) DO NOTHING;

-- Row-level security keyed by the workspace: the GUC aioomi.account_id now carries the
-- workspace id (the tenant key; see docs/architecture.md).
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspaces USING (aioomi_visible(id)) WITH CHECK (aioomi_visible(id));

ALTER TABLE workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspace_members
    USING (aioomi_visible(workspace_id)) WITH CHECK (aioomi_visible(workspace_id));
