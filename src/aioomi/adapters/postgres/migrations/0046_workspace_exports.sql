-- Teams (issue 21): a workspace's export apart from the person's. A data export row still
-- belongs to the person who asked for it (account_id: they download it, it goes with them);
-- workspace_id names the workspace a workspace export holds (NULL: the person's own export).
-- Deleting the workspace deletes its exports' rows (the purge removes their files first).
-- A nullable column without default: no table rewrite; the foreign key checks no existing row.
ALTER TABLE data_exports ADD COLUMN workspace_id text REFERENCES workspaces (id) ON DELETE CASCADE;
CREATE INDEX data_exports_workspace ON data_exports (workspace_id) WHERE workspace_id IS NOT NULL;
