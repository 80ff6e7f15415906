-- Rate-limit counters, shared by every server replica: one row per (rule, key) holding the
-- current window. Keys (IPs, e-mail addresses) are stored only as their SHA-256.
-- UNLOGGED: counters are rewritten on every hit and worthless after a crash (limits simply
-- start afresh), so they skip the write-ahead log.
-- fillfactor 70: free room in each page lets the constant updates stay HOT.
CREATE UNLOGGED TABLE rate_limit_counters (
    rule         text NOT NULL CHECK (length(rule) BETWEEN 1 AND 100),
    key_hash     text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    window_ends  timestamptz NOT NULL,
    hits         bigint NOT NULL CHECK (hits >= 1),
    PRIMARY KEY (rule, key_hash)
) WITH (fillfactor = 70);

-- Ended windows, for the sweep.
CREATE INDEX rate_limit_counters_ends ON rate_limit_counters (window_ends);
