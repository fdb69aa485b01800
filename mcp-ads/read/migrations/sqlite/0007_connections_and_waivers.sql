-- The agency's clients as a boundary: each client's own platform accounts,
-- and the creatives an approver waived.

-- One platform account per client and channel (the channels with a
-- buying API: meta, instagram, google_ads, tiktok, email, sms). `account`
-- holds the ids that are not secret (ad account, page, customer, manager,
-- advertiser, audience, sender…) as JSON; `credentials` the secrets as one
-- AES-256-GCM value bound to (tenant, 'connections', id, 'credentials')
-- and never returned by any tool. `expires_at` is the token's end of life
-- where the platform says it (Meta long-lived tokens); the last
-- `test_connection` outcome is kept with it.
CREATE TABLE connections (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '{}',
    credentials  TEXT,
    secret_names TEXT NOT NULL DEFAULT '[]',
    expires_at   TEXT,
    tested_at    TEXT,
    test_ok      INTEGER,
    test_detail  TEXT,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX connections_client_channel ON connections (tenant_id, client_id, channel);
CREATE INDEX connections_updated ON connections (updated_at, id);

-- Which connection published a channel (NULL: the environment's account or
-- the sandbox): pause, resume, budgets and metrics go back through it.
ALTER TABLE publications ADD COLUMN connection_id TEXT;

-- Channels approved without a creative: [{channel, note, by, at}], written
-- with the approval (each also a `waive_creative` event).
ALTER TABLE campaigns ADD COLUMN creative_waivers TEXT NOT NULL DEFAULT '[]';
