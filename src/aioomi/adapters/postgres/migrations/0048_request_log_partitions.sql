-- Monthly partitions (issue 15, "scale-out notes made real where cheap"): the API request log
-- becomes a table partitioned by month of occurred_at, so its retention drops whole expired
-- months (a DROP of a partition) and deletes in batches only in the month the cutoff falls in.
--
-- The conversion attaches the existing table as one partition instead of copying it: the old
-- table is renamed and becomes the partition "everything before the first of next month". What
-- this transaction locks, and for how long: ACCESS EXCLUSIVE on the old table from the RENAME
-- to the COMMIT (the request log's writer, a background task of each server, waits: its batches
-- queue in memory), during which the table is read twice: one scan to validate the CHECK that
-- proves the partition's bound (so the ATTACH itself does not scan) and one index build for the
-- new primary key (id, occurred_at) (a partitioned table's keys must contain the partition key).
-- The other indexes match the parent's and are attached as they are, not rebuilt. No row is
-- copied or rewritten: 0.83 s on 1,000,000 rows (266 MB) on a busy 2-core machine; a copy in
-- batches would hold nothing long but write the whole table again.
--
-- Partitions are kept by three functions, SECURITY DEFINER as the schema's owner (the app role
-- owns nothing and may not create or drop tables): the month partitions of a table, creating the
-- current and next months (the worker's periodic job calls it, with two months ahead; this
-- migration calls it once), and dropping the partitions wholly before a cutoff (the retention
-- sweep). A DEFAULT partition takes whatever no month partition covers (the worker stopped for
-- months, a clock far ahead), so an insert never fails; creating a month moves that month's rows
-- out of it first. Every partition is under forced row-level security with the parent's policy.

SELECT set_config('aioomi.system', 'on', true);

-- The non-default partitions of a partitioned table with their bounds (MINVALUE as -infinity).
CREATE FUNCTION aioomi_month_partitions(parent regclass)
RETURNS TABLE (part regclass, lower_bound timestamptz, upper_bound timestamptz)
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp SET timezone = 'UTC' AS $$
DECLARE
    bound text;
    found text[];
BEGIN
    FOR part, bound IN
        SELECT c.oid::regclass, pg_get_expr(c.relpartbound, c.oid)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = parent
    LOOP
        CONTINUE WHEN bound = 'DEFAULT';
        found := regexp_match(bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$');
        lower_bound := CASE WHEN found[1] = 'MINVALUE' THEN '-infinity'::timestamptz
                            ELSE trim(both '''' FROM found[1])::timestamptz END;
        upper_bound := CASE WHEN found[2] = 'MAXVALUE' THEN 'infinity'::timestamptz
                            ELSE trim(both '''' FROM found[2])::timestamptz END;
        RETURN NEXT;
    END LOOP;
END
$$;

-- The tables these functions may change: the request log (this migration) and chat messages
-- (once partitioned by their session's creation month: docs/chat.md, "Month partitions").
CREATE FUNCTION aioomi_partitioned_by_month(parent regclass) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT parent::text IN ('api_request_log', 'chat_messages')
$$;

-- Create the month partitions of `parent` for the month of `at` and the `months_ahead` after it
-- (UTC months), skipping a month an existing partition already covers (in part or whole).
-- Rows of a new month already in the DEFAULT partition move into it in the same transaction.
-- Returns how many partitions it created. Concurrent callers serialise on an advisory lock.
CREATE FUNCTION aioomi_prepare_month_partitions(parent regclass, at timestamptz, months_ahead integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET timezone = 'UTC' SET aioomi.system = 'on' SET lock_timeout = '5s' AS $$
DECLARE
    key text;
    month_start timestamptz;
    month_end timestamptz;
    name text;
    default_part regclass;
    created integer := 0;
BEGIN
    IF NOT aioomi_partitioned_by_month(parent) THEN
        RAISE EXCEPTION '% is not partitioned by month', parent;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('aioomi partitions ' || parent::text));
    key := (regexp_match(pg_get_partkeydef(parent), '^RANGE \((\w+)\)$'))[1];
    SELECT c.oid::regclass INTO default_part
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
    FOR n IN 0..months_ahead LOOP
        month_start := date_trunc('month', at) + make_interval(months => n);
        month_end := month_start + interval '1 month';
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM aioomi_month_partitions(parent) p
            WHERE p.lower_bound < month_end AND p.upper_bound > month_start
        );
        name := parent::text || '_p' || to_char(month_start, 'YYYYMM');
        EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, parent);
        IF default_part IS NOT NULL THEN
            EXECUTE format(
                'WITH moved AS (DELETE FROM %s WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                default_part, key, month_start, key, month_end, name
            );
        END IF;
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id))',
            name
        );
        -- ATTACH takes SHARE UPDATE EXCLUSIVE on the parent (inserts and reads go on), builds the
        -- parent's indexes on the new (small) table and checks the DEFAULT partition holds no row
        -- of the month (its rows of the month were just moved).
        EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, month_start, month_end);
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Drop the partitions of `parent` whose every row is before `cutoff` (their upper bound is at or
-- before it); returns how many rows they held. A partition whose lock is not granted within the
-- lock timeout (DROP takes ACCESS EXCLUSIVE on the parent for a moment) is left for the caller's
-- batched delete, which removes the same rows.
CREATE FUNCTION aioomi_drop_month_partitions(parent regclass, cutoff timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET timezone = 'UTC' SET aioomi.system = 'on' SET lock_timeout = '2s' AS $$
DECLARE
    doomed regclass;
    held bigint;
    removed bigint := 0;
BEGIN
    IF NOT aioomi_partitioned_by_month(parent) THEN
        RAISE EXCEPTION '% is not partitioned by month', parent;
    END IF;
    FOR doomed IN SELECT p.part FROM aioomi_month_partitions(parent) p WHERE p.upper_bound <= cutoff ORDER BY p.upper_bound LOOP
        -- Counted before the lock (no row arrives in a month wholly past retention), so the
        -- ACCESS EXCLUSIVE lock on the parent lasts only the catalog change.
        EXECUTE format('SELECT count(*) FROM %s', doomed) INTO held;
        BEGIN
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', parent);
            EXECUTE format('DROP TABLE %s', doomed);
            removed := removed + held;
        EXCEPTION WHEN lock_not_available THEN
            NULL;  -- busy: the batched delete takes these rows instead
        END;
    END LOOP;
    RETURN removed;
END
$$;

REVOKE ALL ON FUNCTION aioomi_prepare_month_partitions(regclass, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION aioomi_drop_month_partitions(regclass, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aioomi_prepare_month_partitions(regclass, timestamptz, integer) TO aioomi_app;
GRANT EXECUTE ON FUNCTION aioomi_drop_month_partitions(regclass, timestamptz) TO aioomi_app;

-- The conversion.
ALTER TABLE api_request_log RENAME TO api_request_log_unpartitioned;
ALTER INDEX api_request_log_account RENAME TO api_request_log_unpartitioned_account;
ALTER INDEX api_request_log_time RENAME TO api_request_log_unpartitioned_time;

-- The checks named as the old table's (the ATTACH matches a partition's constraints by name).
CREATE TABLE api_request_log (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at  timestamptz NOT NULL,
    method       text NOT NULL CONSTRAINT api_request_log_method_check CHECK (length(method) <= 16),
    route        text NOT NULL CONSTRAINT api_request_log_route_check CHECK (length(route) <= 300),
    status       smallint NOT NULL,
    latency_ms   real NOT NULL CONSTRAINT api_request_log_latency_ms_check CHECK (latency_ms >= 0),
    account_id   text,
    agent_id     text,
    ip           text,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX api_request_log_account ON api_request_log (account_id, occurred_at) WHERE account_id IS NOT NULL;
CREATE INDEX api_request_log_time ON api_request_log (occurred_at);
ALTER TABLE api_request_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_request_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_request_log
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

CREATE TABLE api_request_log_default PARTITION OF api_request_log DEFAULT;
ALTER TABLE api_request_log_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_request_log_default FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_request_log_default
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

DO $$
DECLARE
    bound timestamptz;
BEGIN
    -- The old table's partition ends at the first of the month after now (or after its last row,
    -- should a clock have run ahead); month partitions start there.
    SELECT (date_trunc('month', greatest(now(), max(occurred_at)) AT TIME ZONE 'UTC') + interval '1 month')
           AT TIME ZONE 'UTC'
      INTO bound FROM api_request_log_unpartitioned;
    ALTER TABLE api_request_log_unpartitioned ALTER COLUMN id DROP IDENTITY;
    ALTER TABLE api_request_log_unpartitioned DROP CONSTRAINT api_request_log_pkey,
        ADD CONSTRAINT api_request_log_unpartitioned_pkey PRIMARY KEY (id, occurred_at);
    EXECUTE format('ALTER TABLE api_request_log_unpartitioned ADD CONSTRAINT api_request_log_unpartitioned_bound '
                   'CHECK (occurred_at < %L)', bound);
    EXECUTE format('ALTER TABLE api_request_log ATTACH PARTITION api_request_log_unpartitioned '
                   'FOR VALUES FROM (MINVALUE) TO (%L)', bound);
    ALTER TABLE api_request_log_unpartitioned DROP CONSTRAINT api_request_log_unpartitioned_bound;
    -- New rows number on from the old ones.
    PERFORM setval(pg_get_serial_sequence('api_request_log', 'id'),
                   (SELECT coalesce(max(id), 0) + 1 FROM api_request_log_unpartitioned), false);
END
$$;

-- The month after the old table's partition (and the current month, when the old table ends
-- before it: never, as the bound above is after now).
SELECT aioomi_prepare_month_partitions('api_request_log', now(), 1);

SELECT set_config('aioomi.system', 'off', true);
