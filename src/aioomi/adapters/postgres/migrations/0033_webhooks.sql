-- Outbound webhooks: an account's endpoints, the outbox of events (written in the same
-- transaction as the change each reports), one delivery per event and endpoint, and the log
-- of every request made. Everything goes with the account (ON DELETE CASCADE).

CREATE TABLE webhook_endpoints (
    id               text PRIMARY KEY,
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url              text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    events           text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
    secret           text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    enabled          boolean NOT NULL DEFAULT true,
    disabled_reason  text CHECK (disabled_reason IN ('manual', 'failing')),
    failing_since    timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, created_at, id);

CREATE TABLE webhook_events (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type              text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    data              jsonb NOT NULL,
    only_endpoint_id  text,
    created_at        timestamptz NOT NULL
);
CREATE INDEX webhook_events_age ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_id         text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

CREATE TABLE webhook_attempts (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    endpoint_id       text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id          text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    event_type        text NOT NULL,
    number            integer NOT NULL CHECK (number >= 1),
    attempted_at      timestamptz NOT NULL,
    status_code       integer,
    latency_ms        integer NOT NULL CHECK (latency_ms >= 0),
    response_excerpt  text NOT NULL DEFAULT '' CHECK (length(response_excerpt) <= 1000),
    error             text CHECK (length(error) <= 500),
    succeeded         boolean NOT NULL,
    manual            boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_attempts_log ON webhook_attempts (endpoint_id, attempted_at DESC, number DESC, id DESC);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_events
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
