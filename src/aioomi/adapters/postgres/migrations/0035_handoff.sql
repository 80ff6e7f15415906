-- Live handoff to a person (issue 20): the conversation's handoff state on its chat session,
-- its numbered events, the owner's replies as chat messages (role 'owner'), and each agent's
-- handoff settings. Events and replies belong to the conversation: they go with the session
-- (visitor deletion, chat retention) and with the account (erasure), by ON DELETE CASCADE.

ALTER TABLE chat_sessions
    ADD COLUMN handoff_state text NOT NULL DEFAULT 'assistant'
        CHECK (handoff_state IN ('assistant', 'waiting', 'with_human')),
    ADD COLUMN handoff_seq bigint NOT NULL DEFAULT 0 CHECK (handoff_seq >= 0),
    ADD COLUMN handoff_requested_at timestamptz,
    ADD COLUMN handoff_taken_at timestamptz;
-- The owner's inbox: the few conversations a person is asked for or holds.
CREATE INDEX chat_sessions_handoff_inbox ON chat_sessions (account_id, handoff_requested_at, id)
    WHERE handoff_state <> 'assistant';

ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_role_check;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_role_check CHECK (role IN ('user', 'assistant', 'owner'));

CREATE TABLE handoff_events (
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_id  text NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    seq         bigint NOT NULL CHECK (seq >= 1),
    kind        text NOT NULL CHECK (kind IN ('requested', 'taken', 'ended', 'expired', 'cancelled', 'message')),
    state       text NOT NULL CHECK (state IN ('assistant', 'waiting', 'with_human')),
    message_id  text REFERENCES chat_messages (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (session_id, seq)
);

ALTER TABLE handoff_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE handoff_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON handoff_events
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

CREATE TABLE handoff_settings (
    agent_id    text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    enabled     boolean NOT NULL DEFAULT false,
    time_zone   text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    days        text[] NOT NULL CHECK (days <@ ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    opens       text NOT NULL CHECK (opens ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    closes      text NOT NULL CHECK (closes ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$'),
    max_wait_s  integer NOT NULL CHECK (max_wait_s BETWEEN 30 AND 3600),
    CHECK (opens < closes)
);
CREATE INDEX handoff_settings_account ON handoff_settings (account_id);

ALTER TABLE handoff_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE handoff_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON handoff_settings
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
