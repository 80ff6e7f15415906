-- Whom a workspace's e-mail notices reach (issue 21): its OWNERS whose account is active and
-- whose e-mail is verified, not the person who happens to share the workspace's id (nobody,
-- for a workspace created later; the old owner, after a transfer). The notice jobs run in the
-- workspace's tenant scope, where row-level security hides every account but the one with the
-- workspace's id, so this is built exactly like 0047's aioomi_owner_statuses: the inner
-- function reads the owners' accounts in the system scope (its SET clause holds only while it
-- runs) and is not executable by the application role; the outer one answers only for a
-- workspace the caller's scope may see (its own tenant, or the system scope), otherwise no row.
-- Nothing but the owners' id, e-mail and name crosses the wall. ``ord`` is the stable order
-- (oldest membership first, then account id).

CREATE FUNCTION aioomi_owner_contacts_unchecked(workspace text)
RETURNS TABLE (account_id text, email text, full_name text, ord bigint)
LANGUAGE sql STABLE
SET aioomi.system = 'on'
SET search_path = pg_catalog, public
AS $$
    SELECT a.id, a.email, a.full_name, row_number() OVER (ORDER BY m.created_at, m.account_id)
    FROM workspace_members m JOIN accounts a ON a.id = m.account_id
    WHERE m.workspace_id = workspace AND m.role = 'owner'
      AND a.status = 'active' AND a.email_verified_at IS NOT NULL
$$;
REVOKE ALL ON FUNCTION aioomi_owner_contacts_unchecked(text) FROM PUBLIC;

CREATE FUNCTION aioomi_owner_contacts(workspace text)
RETURNS TABLE (account_id text, email text, full_name text, ord bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.account_id, c.email, c.full_name, c.ord
    FROM aioomi_owner_contacts_unchecked(workspace) c
    WHERE aioomi_visible(workspace)
$$;
REVOKE ALL ON FUNCTION aioomi_owner_contacts(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aioomi_owner_contacts(text) TO aioomi_app;
