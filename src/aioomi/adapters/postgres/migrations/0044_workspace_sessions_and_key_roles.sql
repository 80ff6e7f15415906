-- Teams (issue 21): a session remembers the workspace its person chose (NULL: their first, their
-- own; a deleted workspace falls back to it too); an API key carries a role (no higher than its
-- creator's; keys made before workspaces are their owner's: 'owner') and who created it.
-- Adding a column with a constant default or none is a catalog change: no table rewrite.
-- created_by is not a foreign key: a key is workspace data, a person's erasure must not touch
-- it; authentication refuses a key whose creator is no longer a member.

ALTER TABLE owner_sessions ADD COLUMN workspace_id text REFERENCES workspaces (id) ON DELETE SET NULL;

ALTER TABLE api_keys
    ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'admin', 'editor', 'support', 'viewer')),
    ADD COLUMN created_by text;
