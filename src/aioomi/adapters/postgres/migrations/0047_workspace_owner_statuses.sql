-- A workspace's processing state derives from its OWNERS (issue 21; the rule itself is
-- aioomi.domain.model.workspace_state.workspace_status). The hot reads (the widget's key
-- look-up, a chat turn's batched read, the worker's restriction check) need the statuses of the
-- workspace's owners in the statement they already send. They run in the workspace's tenant
-- scope, where row-level security hides every account but the one with the workspace's id
-- (accounts are visible by their own id), so a plain join would see at most that one person.
--
-- aioomi_owner_statuses(workspace) answers the owners' statuses, and only for a workspace the
-- caller's scope may see (its own tenant, or the system scope): otherwise NULL. The inner
-- function reads across the account rows in the system scope (its SET clause holds only while
-- it runs) and is not executable by the application role; the outer one checks the caller's
-- scope first, with the caller's settings, and runs as its owner so that it may call the inner
-- one. Nothing but the owners' statuses crosses the wall.

CREATE FUNCTION aioomi_owner_statuses_unchecked(workspace text) RETURNS text[]
LANGUAGE sql STABLE
SET aioomi.system = 'on'
SET search_path = pg_catalog, public
AS $$
    SELECT coalesce(array_agg(a.status ORDER BY a.status), '{}')
    FROM workspace_members m JOIN accounts a ON a.id = m.account_id
    WHERE m.workspace_id = workspace AND m.role = 'owner'
$$;
REVOKE ALL ON FUNCTION aioomi_owner_statuses_unchecked(text) FROM PUBLIC;

CREATE FUNCTION aioomi_owner_statuses(workspace text) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT CASE WHEN aioomi_visible(workspace) THEN aioomi_owner_statuses_unchecked(workspace) END
$$;
REVOKE ALL ON FUNCTION aioomi_owner_statuses(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aioomi_owner_statuses(text) TO aioomi_app;

