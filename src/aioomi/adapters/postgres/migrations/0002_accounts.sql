-- Accounts, owner sessions, API keys, one-time link tokens, pending Google sign-ins;
-- the application role and row-level security (the second wall of tenant isolation).

-- The role the application runs as (the pool does SET ROLE to it): it neither owns the tables
-- nor bypasses row-level security. Roles are cluster-wide, so create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aioomi_app') THEN
        CREATE ROLE aioomi_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT aioomi_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO aioomi_app;
GRANT SELECT ON schema_migrations TO aioomi_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO aioomi_app;
-- Every table a later migration creates is usable by the application role too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO aioomi_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO aioomi_app;

-- Whether the current transaction may see rows of ``account``: its own tenant, or the system
-- scope (sign-in look-ups before anyone is known, and the worker's sweeps). The unit of work
-- sets both settings, transaction-locally, from the verified caller.
CREATE FUNCTION aioomi_visible(account text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT account = current_setting('aioomi.account_id', true)
        OR current_setting('aioomi.system', true) = 'on'
$$;

CREATE TABLE accounts (
    id                       text PRIMARY KEY,
    email                    text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    full_name                text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    password_hash            text,
    google_subject           text UNIQUE,
    email_verified_at        timestamptz,
    adult_attested_at        timestamptz NOT NULL,
    accepted_policy_version  text NOT NULL,
    status                   text NOT NULL DEFAULT 'active'
                             CHECK (status IN ('active', 'restricted', 'deletion_pending')),
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    CHECK (password_hash IS NOT NULL OR google_subject IS NOT NULL)
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

CREATE TABLE owner_sessions (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash    text NOT NULL UNIQUE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ip            text,
    user_agent    text,
    revoked_at    timestamptz
);
CREATE INDEX owner_sessions_account ON owner_sessions (account_id, created_at DESC) WHERE revoked_at IS NULL;
CREATE INDEX owner_sessions_expiry ON owner_sessions (expires_at);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix        text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at DESC) WHERE revoked_at IS NULL;

CREATE TABLE one_time_tokens (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    new_email   text
);
CREATE INDEX one_time_tokens_open ON one_time_tokens (account_id, purpose) WHERE used_at IS NULL;
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

-- Between the redirect to Google and its callback; not tenant data (no account yet).
CREATE TABLE pending_sign_ins (
    state_hash               text PRIMARY KEY,
    nonce                    text NOT NULL,
    code_verifier            text NOT NULL,
    created_at               timestamptz NOT NULL,
    expires_at               timestamptz NOT NULL,
    adult_attested           boolean NOT NULL DEFAULT false,
    accepted_policy_version  text
);
CREATE INDEX pending_sign_ins_expiry ON pending_sign_ins (expires_at);

-- Row-level security: FORCE makes it apply to the tables' owner as well.
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON accounts USING (aioomi_visible(id)) WITH CHECK (aioomi_visible(id));

ALTER TABLE owner_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE owner_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON owner_sessions
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));

ALTER TABLE one_time_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE one_time_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON one_time_tokens
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
