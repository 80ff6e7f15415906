-- aioomi: no-transaction
-- Chat messages partitioned by month of their session's creation (issue 15), step 2 of 2. The
-- runner sends these statements one by one outside a transaction (the first line says so), so
-- the long parts take no lock that stops the chat: the backfill commits every 1,000 rows (row
-- locks), the checks are validated under SHARE UPDATE EXCLUSIVE (reads and writes go on), the
-- new unique indexes are built CONCURRENTLY. Only the last statement takes ACCESS EXCLUSIVE on
-- chat_messages, for a catalog change that reads no row: the old table, renamed, is attached to
-- a new partitioned chat_messages as the partition [MINVALUE, first of next month) (the
-- validated checks prove its bound, the indexes built here become its keys, the others attach
-- as they are). Every statement may run again after a run stopped half-way (each checks the
-- catalog first), since the runner records this file only once the last one succeeded.
-- docs/chat.md, "Month partitions", says why this key, these keys and the handoff change.

SELECT set_config('aioomi.system', 'on', false), set_config('timezone', 'UTC', false);

-- 1. The rows 0050 found: their session's creation time, 1,000 rows a transaction, in id order
--    (the primary key's index; a row's lock is held only by its batch).
DO $$
DECLARE
    last_id text := '';
    batch text[];
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'chat_messages'::regclass) = 'p' THEN
        RETURN;
    END IF;
    LOOP
        SELECT array_agg(id ORDER BY id) INTO batch
          FROM (SELECT id FROM chat_messages WHERE id > last_id ORDER BY id LIMIT 1000) b;
        EXIT WHEN batch IS NULL;
        UPDATE chat_messages m SET session_created_at = s.created_at
          FROM chat_sessions s
         WHERE m.id = ANY(batch) AND m.session_created_at IS NULL AND s.id = m.session_id;
        last_id := batch[cardinality(batch)];
        COMMIT;
    END LOOP;
END
$$;

-- 2. The checks that prove the partition: every row has the key (so SET NOT NULL reads nothing)
--    and every key is before the first of next month (so the ATTACH reads nothing). Added
--    NOT VALID (a catalog change), then validated (a scan under SHARE UPDATE EXCLUSIVE).
DO $$
DECLARE
    bound timestamptz;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'chat_messages'::regclass) = 'p' THEN
        RETURN;
    END IF;
    -- The first of the month after now, or after the latest session (should a clock have run
    -- ahead); a scan without a lock that stops anything.
    SELECT date_trunc('month', greatest(now(), max(session_created_at))) + interval '1 month'
      INTO bound FROM chat_messages;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'chat_messages'::regclass
                   AND conname = 'chat_messages_session_created_at_set') THEN
        ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_session_created_at_set
            CHECK (session_created_at IS NOT NULL) NOT VALID;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'chat_messages'::regclass
                   AND conname = 'chat_messages_session_created_at_bound') THEN
        EXECUTE format('ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_session_created_at_bound '
                       'CHECK (session_created_at < %L) NOT VALID', bound);
    END IF;
END
$$;

DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'chat_messages'::regclass) = 'p' THEN
        RETURN;
    END IF;
    ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_session_created_at_set;
    ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_session_created_at_bound;
END
$$;

-- 3. The keys a partitioned table needs (they contain the partition key), built beside the
--    old ones without blocking writes. A session's messages share one partition, so the
--    Idempotency-Key stays unique per session.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_unpartitioned_pkey
    ON chat_messages (id, session_created_at);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_session_idempotency
    ON chat_messages (session_id, session_created_at, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- 4. The swap, one transaction (a DO block), reading no row.
DO $$
DECLARE
    bound timestamptz;
    last_seq bigint;
    item record;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'chat_messages'::regclass) = 'p' THEN
        RETURN;
    END IF;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    bound := (regexp_match(
        pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conrelid = 'chat_messages'::regclass
                              AND conname = 'chat_messages_session_created_at_bound')),
        '''([^'']+)'''))[1]::timestamptz;

    -- A handoff event's message: id is no longer unique, and a key on (id, session_created_at)
    -- would forbid dropping a month; events go with their session (their own cascade).
    FOR item IN SELECT conname FROM pg_constraint
                 WHERE conrelid = 'handoff_events'::regclass AND confrelid = 'chat_messages'::regclass LOOP
        EXECUTE format('ALTER TABLE handoff_events DROP CONSTRAINT %I', item.conname);
    END LOOP;

    ALTER TABLE chat_messages ALTER COLUMN session_created_at SET NOT NULL;  -- proven by the check
    DROP TRIGGER chat_messages_session_created_at ON chat_messages;
    DROP FUNCTION aioomi_chat_message_session_created_at();
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_pkey;
    ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_unpartitioned_pkey
        PRIMARY KEY USING INDEX chat_messages_unpartitioned_pkey;
    DROP INDEX chat_messages_idempotency;
    -- The identity moves to the parent and numbers on from the old sequence (read, not a scan).
    SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('chat_messages', 'seq')), 0) INTO last_seq;
    ALTER TABLE chat_messages ALTER COLUMN seq DROP IDENTITY;
    ALTER TABLE chat_messages RENAME TO chat_messages_unpartitioned;

    -- The parent: the same columns, defaults and checks (not the two that prove the bound).
    CREATE TABLE chat_messages (LIKE chat_messages_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
        PARTITION BY RANGE (session_created_at);
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_created_at_set;
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_created_at_bound;
    ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (id, session_created_at);
    ALTER TABLE chat_messages ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY;
    PERFORM setval(pg_get_serial_sequence('chat_messages', 'seq'), last_seq + 1, false);
    -- Its foreign keys (sessions, workspaces) as the old table's, under the same names.
    FOR item IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                 WHERE conrelid = 'chat_messages_unpartitioned'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE chat_messages ADD CONSTRAINT %I %s', item.conname, item.def);
    END LOOP;
    -- Its indexes as the old table's, under their names (the old ones renamed _unpartitioned_);
    -- created on the empty parent, they are matched to the old table's at the ATTACH.
    FOR item IN SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
                  FROM pg_index i
                 WHERE i.indrelid = 'chat_messages_unpartitioned'::regclass AND NOT i.indisprimary LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name,
                       'chat_messages_unpartitioned_' || substr(item.name, length('chat_messages_') + 1));
        EXECUTE replace(item.def, ' ON public.chat_messages_unpartitioned ', ' ON public.chat_messages ');
    END LOOP;
    ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
    ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON chat_messages
        USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

    EXECUTE format('ALTER TABLE chat_messages ATTACH PARTITION chat_messages_unpartitioned '
                   'FOR VALUES FROM (MINVALUE) TO (%L)', bound);
    ALTER TABLE chat_messages_unpartitioned DROP CONSTRAINT chat_messages_session_created_at_set;
    ALTER TABLE chat_messages_unpartitioned DROP CONSTRAINT chat_messages_session_created_at_bound;

    CREATE TABLE chat_messages_default PARTITION OF chat_messages DEFAULT;
    ALTER TABLE chat_messages_default ENABLE ROW LEVEL SECURITY;
    ALTER TABLE chat_messages_default FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON chat_messages_default
        USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
    -- The month after the old table's partition.
    PERFORM aioomi_prepare_month_partitions('chat_messages', now(), 1);
END
$$;

SELECT set_config('aioomi.system', 'off', false);
RESET timezone;
