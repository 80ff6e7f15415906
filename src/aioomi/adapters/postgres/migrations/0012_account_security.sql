-- Account security: scopes on API keys, the time a session last re-authenticated, the link
-- that cancels an email change (and the address it restores), and trusted devices (OWASP's
-- device cookies: a browser that signed in before is not locked out by strangers' attempts).

-- Keys made before scopes existed keep what they could do (everything but account security).
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY[
    'agents:read', 'agents:write', 'knowledge:read', 'knowledge:write',
    'conversations:read', 'conversations:write', 'usage:read', 'usage:write'
];
-- A key inserted without scopes may do nothing.
ALTER TABLE api_keys ALTER COLUMN scopes SET DEFAULT '{}';

ALTER TABLE owner_sessions ADD COLUMN authenticated_at timestamptz;

ALTER TABLE one_time_tokens ADD COLUMN restore_email text;
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'cancel_email_change'));

CREATE TABLE trusted_devices (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX trusted_devices_account ON trusted_devices (account_id);
CREATE INDEX trusted_devices_expiry ON trusted_devices (expires_at);

ALTER TABLE trusted_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE trusted_devices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trusted_devices
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
