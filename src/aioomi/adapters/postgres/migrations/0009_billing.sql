-- Billing: each account's subscription state (mirrored from Stripe), billing records kept
-- 7 years, Stripe events as received (deduplication and the worker's input), billing-meter
-- reports, and a log of sweeps and reconciliations. Only Stripe ids are stored: no card data.

CREATE TABLE billing_accounts (
    account_id            text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    customer_id           text UNIQUE,
    subscription_id       text,
    plan_id               text NOT NULL DEFAULT 'free',
    status                text NOT NULL DEFAULT 'none' CHECK (status IN
                          ('none', 'incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused')),
    current_period_start  timestamptz,
    current_period_end    timestamptz,
    cancel_at_period_end  boolean NOT NULL DEFAULT false,
    state_at              timestamptz,
    payment_failed_at     timestamptz,
    downgraded_at         timestamptz,
    updated_at            timestamptz
);
CREATE INDEX billing_accounts_grace ON billing_accounts (payment_failed_at)
    WHERE payment_failed_at IS NOT NULL AND downgraded_at IS NULL;

-- Kept 7 years, also after the account is erased: the foreign key then sets account_id to
-- NULL (no cascade) and account_ref, a one-way hash, keeps one customer's records together.
-- A detached record matches no tenant under row-level security (NULL = x is not true), so
-- only the system scope (the sweep, accounting exports) reads it.
CREATE TABLE billing_records (
    id                      text PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN ('invoice', 'payment')),
    stripe_id               text NOT NULL,
    account_id              text REFERENCES accounts (id) ON DELETE SET NULL,
    account_ref             text NOT NULL,
    stripe_customer_id      text,
    stripe_invoice_id       text,
    stripe_subscription_id  text,
    amount_minor            bigint NOT NULL,
    currency                text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    status                  text NOT NULL,
    period_start            timestamptz,
    period_end              timestamptz,
    occurred_at             timestamptz NOT NULL,
    status_at               timestamptz NOT NULL,
    created_at              timestamptz NOT NULL,
    UNIQUE (kind, stripe_id)
);
CREATE INDEX billing_records_account ON billing_records (account_id, occurred_at DESC);
CREATE INDEX billing_records_age ON billing_records (occurred_at);

-- Not tenant data until processed: only the system scope reads or writes it.
CREATE TABLE stripe_events (
    id            text PRIMARY KEY,
    type          text NOT NULL,
    created       timestamptz NOT NULL,
    data          jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('received', 'processed', 'ignored')),
    received_at   timestamptz NOT NULL,
    processed_at  timestamptz
);
CREATE INDEX stripe_events_age ON stripe_events (received_at);

CREATE TABLE meter_events (
    identifier   text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    customer_id  text NOT NULL,
    period       date NOT NULL,
    value        bigint NOT NULL CHECK (value > 0),
    occurred_at  timestamptz NOT NULL,
    sent_at      timestamptz
);
CREATE INDEX meter_events_account_period ON meter_events (account_id, period);
CREATE INDEX meter_events_unsent ON meter_events (occurred_at) WHERE sent_at IS NULL;

CREATE TABLE billing_runs (
    id       text PRIMARY KEY,
    kind     text NOT NULL CHECK (kind IN ('record_sweep', 'reconciliation')),
    ran_at   timestamptz NOT NULL,
    summary  jsonb NOT NULL
);
CREATE INDEX billing_runs_kind ON billing_runs (kind, ran_at DESC);

ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_accounts
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE billing_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_records
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE meter_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE meter_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON meter_events
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON stripe_events
    USING (current_setting('aioomi.system', true) = 'on') WITH CHECK (current_setting('aioomi.system', true) = 'on');

ALTER TABLE billing_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON billing_runs
    USING (current_setting('aioomi.system', true) = 'on') WITH CHECK (current_setting('aioomi.system', true) = 'on');
