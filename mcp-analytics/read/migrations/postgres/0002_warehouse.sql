-- The summarised warehouse the delta pipeline fills. Facts are denormalised
-- (client, objective and currency copied from the campaign; ISO week, month,
-- quarter and year precomputed from the date) so every question is one
-- GROUP BY per fact table, identical on both engines.
CREATE TABLE wh_clients (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    name      TEXT NOT NULL,
    industry  TEXT NOT NULL,
    country   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE wh_products (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    client_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    category  TEXT NOT NULL,
    currency  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE wh_campaigns (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    client_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    objective TEXT NOT NULL,
    status    TEXT NOT NULL,
    currency  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX wh_campaigns_client ON wh_campaigns (tenant_id, client_id);

-- Daily grain: campaign x channel x country.
CREATE TABLE wh_ad_daily (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    date        TEXT NOT NULL,
    week        TEXT NOT NULL,
    month       TEXT NOT NULL,
    quarter     TEXT NOT NULL,
    year        TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    objective   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    country     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    impressions BIGINT NOT NULL,
    reach       BIGINT NOT NULL,
    clicks      BIGINT NOT NULL,
    spend_cents BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX wh_ad_daily_date ON wh_ad_daily (tenant_id, date);
CREATE INDEX wh_ad_daily_campaign ON wh_ad_daily (tenant_id, campaign_id);

CREATE TABLE wh_leads (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    date        TEXT NOT NULL,
    week        TEXT NOT NULL,
    month       TEXT NOT NULL,
    quarter     TEXT NOT NULL,
    year        TEXT NOT NULL,
    campaign_id TEXT,
    client_id   TEXT NOT NULL,
    objective   TEXT,
    channel     TEXT NOT NULL,
    country     TEXT NOT NULL,
    city        TEXT,
    stage       TEXT NOT NULL,
    -- The campaign's currency (NULL without a campaign): lets cost per lead
    -- be reported per currency.
    currency    TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX wh_leads_date ON wh_leads (tenant_id, date);
CREATE INDEX wh_leads_campaign ON wh_leads (tenant_id, campaign_id);

CREATE TABLE wh_sales (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    date         TEXT NOT NULL,
    week         TEXT NOT NULL,
    month        TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    year         TEXT NOT NULL,
    campaign_id  TEXT,
    client_id    TEXT NOT NULL,
    objective    TEXT,
    product_id   TEXT,
    lead_id      TEXT,
    channel      TEXT NOT NULL,
    country      TEXT NOT NULL,
    city         TEXT,
    amount_cents BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX wh_sales_date ON wh_sales (tenant_id, date);
CREATE INDEX wh_sales_campaign ON wh_sales (tenant_id, campaign_id);

-- One row per tenant: bumped by every sync that changes the warehouse, so
-- cached answers keyed by it can never outlive the data they came from.
CREATE TABLE wh_state (
    tenant_id      TEXT NOT NULL PRIMARY KEY,
    data_version   BIGINT NOT NULL,
    last_synced_at TEXT NOT NULL
);
