-- Chat messages partitioned by month of their session's creation (issue 15), step 1 of 2: the
-- partition key as a column. docs/chat.md, "Month partitions", says why this key and why two
-- steps.
--
-- session_created_at is the created_at of the message's session, copied at insert (the
-- repository's insert selects it from chat_sessions). It is nullable here, so adding it is a
-- catalog change (no rewrite, a moment's ACCESS EXCLUSIVE lock). A trigger fills it on insert
-- whenever the insert leaves it out, so a server of the previous version still running during
-- a rolling deploy writes it too and no new row is left NULL. Existing rows are filled in
-- batches by 0051 before it validates the column.

CREATE FUNCTION aioomi_chat_message_session_created_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.session_created_at IS NULL THEN
        NEW.session_created_at := (SELECT s.created_at FROM chat_sessions s WHERE s.id = NEW.session_id);
    END IF;
    RETURN NEW;
END
$$;

ALTER TABLE chat_messages ADD COLUMN session_created_at timestamptz;

CREATE TRIGGER chat_messages_session_created_at BEFORE INSERT ON chat_messages
    FOR EACH ROW EXECUTE FUNCTION aioomi_chat_message_session_created_at();
