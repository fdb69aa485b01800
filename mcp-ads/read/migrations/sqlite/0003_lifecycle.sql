-- Lifecycle, launch and optimisation state of campaigns.
-- The plan (budget per channel, KPI targets, schedule, message) as JSON.
ALTER TABLE campaigns ADD COLUMN plan TEXT NOT NULL DEFAULT '{}';
-- Revenue platforms attribute to conversions (ROAS), hundredths.
ALTER TABLE ad_daily ADD COLUMN conversion_value_cents INTEGER NOT NULL DEFAULT 0;

-- Every lifecycle move: who, when, from, to, note (the approval record).
CREATE TABLE campaign_events (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaign_events_campaign ON campaign_events (tenant_id, campaign_id, at);

-- One row per idempotency key: a repeated launch finds it and launches nothing.
CREATE TABLE launches (
    tenant_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    campaign_id     TEXT NOT NULL,
    actor           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running','done')),
    result          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);

-- A campaign channel on its platform.
CREATE TABLE publications (
    tenant_id    TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    platform     TEXT NOT NULL,
    sandbox      INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('paused','active','failed','completed')),
    external_ids TEXT NOT NULL DEFAULT '{}',
    budget_cents INTEGER NOT NULL,
    error        TEXT,
    retryable    INTEGER NOT NULL DEFAULT 0,
    launched_on  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, channel)
);
CREATE INDEX publications_state ON publications (tenant_id, state);

-- Audience segments built from CRM counts.
CREATE TABLE segments (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    client_id       TEXT,
    definition      TEXT NOT NULL,
    matched         INTEGER NOT NULL,
    reachable       INTEGER NOT NULL,
    suppressed      INTEGER NOT NULL,
    without_consent INTEGER NOT NULL,
    computed_at     TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX segments_name ON segments (tenant_id, name);

-- Optimisation proposals, applied and rolled back as a whole.
CREATE TABLE change_sets (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    campaign_id    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('proposed','applied','rolled_back')),
    proposal       TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    applied_by     TEXT,
    applied_at     TEXT,
    rolled_back_by TEXT,
    rolled_back_at TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX change_sets_campaign ON change_sets (tenant_id, campaign_id, created_at);

-- Content assets attached to a campaign channel (checked with mcp-content).
CREATE TABLE campaign_assets (
    tenant_id   TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    attached_by TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, asset_id, channel)
);
