-- ads context: campaigns and their daily performance.
CREATE TABLE campaigns (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    objective     TEXT NOT NULL CHECK (objective IN ('awareness','traffic','leads','sales')),
    status        TEXT NOT NULL CHECK (status IN ('draft','pending_approval','approved','active','paused','completed','rejected')),
    budget_cents  INTEGER NOT NULL CHECK (budget_cents >= 0),
    currency      TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    end_date      TEXT NOT NULL,
    channels      TEXT NOT NULL DEFAULT '[]',
    countries     TEXT NOT NULL DEFAULT '[]',
    audience      TEXT NOT NULL DEFAULT '{}',
    created_by    TEXT,
    approved_by   TEXT,
    approved_at   TEXT,
    approval_note TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaigns_client ON campaigns (tenant_id, client_id);
CREATE INDEX campaigns_status ON campaigns (tenant_id, status);
CREATE INDEX campaigns_updated ON campaigns (updated_at, id);

CREATE TABLE ad_daily (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    date        TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    channel     TEXT NOT NULL,
    country     TEXT NOT NULL,
    impressions INTEGER NOT NULL CHECK (impressions >= 0),
    reach       INTEGER NOT NULL CHECK (reach >= 0),
    clicks      INTEGER NOT NULL CHECK (clicks >= 0),
    spend_cents INTEGER NOT NULL CHECK (spend_cents >= 0),
    conversions INTEGER NOT NULL CHECK (conversions >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id)
);
CREATE INDEX ad_daily_campaign ON ad_daily (tenant_id, campaign_id, date);
CREATE INDEX ad_daily_updated ON ad_daily (updated_at, id);
