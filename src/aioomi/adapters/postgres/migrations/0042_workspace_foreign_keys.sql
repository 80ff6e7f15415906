-- Teams, step 2 of 3: every tenant table's foreign key to accounts(id) now references
-- workspaces(id) (same column, same ON DELETE action), so erasing a PERSON never cascades into
-- a workspace's data. The person's own tables keep referencing accounts: owner sessions,
-- one-time tokens, trusted devices, the privacy state, the rights audit log, data exports and
-- workspace memberships.
--
-- The tables are found in the catalog rather than listed, so a tenant table added by any
-- migration before this one is covered too; tests/integration/test_workspaces_migration.py
-- pins the resulting split.
--
-- Locks: SHARE on accounts (reads go on; a sign-up by the previous version waits for the few
-- milliseconds this takes, so no account is left without its workspace); each swap is a
-- catalog change (NOT VALID: no scan of the table), so the tables' brief exclusive locks last
-- only as long as this short transaction. 0043 validates without blocking reads or writes.

LOCK TABLE accounts IN SHARE MODE;

-- Accounts created by the previous version since 0041 ran.
INSERT INTO workspaces (id, name, created_at, updated_at)
SELECT id, 'My workspace', created_at, created_at FROM accounts
ON CONFLICT (id) DO NOTHING;
INSERT INTO workspace_members (workspace_id, account_id, role, created_at)
SELECT id, id, 'owner', created_at FROM accounts
ON CONFLICT (workspace_id, account_id) DO NOTHING;

DO $$
DECLARE
    fk record;
    personal constant text[] := ARRAY[
        'accounts', 'owner_sessions', 'one_time_tokens', 'trusted_devices', 'account_privacy',
        'privacy_audit_log', 'data_exports', 'workspace_members'
    ];
BEGIN
    FOR fk IN
        SELECT c.conname, c.conrelid::regclass AS tbl, c.confdeltype,
               (SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) AS col
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid = 'accounts'::regclass
           AND cardinality(c.conkey) = 1
           AND NOT (c.conrelid::regclass::text = ANY (personal))
         ORDER BY c.conrelid::regclass::text
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
        EXECUTE format(
            'ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES workspaces (id) ON DELETE %s NOT VALID',
            fk.tbl, fk.conname, fk.col,
            CASE fk.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT'
                                ELSE 'NO ACTION' END
        );
    END LOOP;
END
$$;
