-- Pages the widget was refused on because their origin is not in the agent's allowed_origins:
-- the dashboard's embed card shows them with an "allow" button. At most a few per agent (the
-- repository keeps the newest), so a flood of forged Origin headers cannot grow the table.
CREATE TABLE widget_refused_origins (
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id       text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    origin         text NOT NULL CHECK (length(origin) <= 300),
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    hits           bigint NOT NULL DEFAULT 1 CHECK (hits >= 1),
    PRIMARY KEY (agent_id, origin)
);
CREATE INDEX widget_refused_origins_recent ON widget_refused_origins (agent_id, last_seen_at DESC);

ALTER TABLE widget_refused_origins ENABLE ROW LEVEL SECURITY;
ALTER TABLE widget_refused_origins FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widget_refused_origins
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
