-- Teams, step 3 of 3: validate the foreign keys 0042 re-pointed. VALIDATE CONSTRAINT takes a
-- SHARE UPDATE EXCLUSIVE lock on the tenant table (reads and writes go on) while it checks
-- that every row's account_id names a workspace.

DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conname, c.conrelid::regclass AS tbl
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid = 'workspaces'::regclass AND NOT c.convalidated
         ORDER BY c.conrelid::regclass::text
    LOOP
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
END
$$;
