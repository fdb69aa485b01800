-- crm context: sellers, leads, their interactions, and sales.
CREATE TABLE sellers (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    capacity   INTEGER NOT NULL CHECK (capacity >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sellers_updated ON sellers (updated_at, id);

-- created_at is when the lead was created (imported leads keep theirs).
-- PII (name, email, phone) is stored encrypted; the hashes allow exact
-- look-ups without decrypting.
CREATE TABLE leads (
    tenant_id          TEXT NOT NULL,
    id                 TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    campaign_id        TEXT,
    channel            TEXT NOT NULL CHECK (channel IN ('google_ads','meta','instagram','tiktok','linkedin','email','sms','whatsapp','influencer','web','organic')),
    country            TEXT NOT NULL,
    city               TEXT,
    stage              TEXT NOT NULL CHECK (stage IN ('iql','mql','sql','customer','lost')),
    score              INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    seller_id          TEXT,
    name_enc           TEXT,
    email_enc          TEXT,
    phone_enc          TEXT,
    email_hash         TEXT,
    phone_hash         TEXT,
    intent_probability DOUBLE PRECISION CHECK (intent_probability BETWEEN 0 AND 1),
    consent            TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX leads_client ON leads (tenant_id, client_id);
CREATE INDEX leads_campaign ON leads (tenant_id, campaign_id);
CREATE INDEX leads_stage ON leads (tenant_id, stage);
CREATE INDEX leads_seller ON leads (tenant_id, seller_id);
CREATE INDEX leads_email_hash ON leads (tenant_id, email_hash);
CREATE INDEX leads_phone_hash ON leads (tenant_id, phone_hash);
CREATE INDEX leads_updated ON leads (updated_at, id);

CREATE TABLE interactions (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    at         TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('google_ads','meta','instagram','tiktok','linkedin','email','sms','whatsapp','influencer','web','organic')),
    direction  TEXT NOT NULL CHECK (direction IN ('in','out')),
    text       TEXT NOT NULL,
    sentiment  DOUBLE PRECISION CHECK (sentiment BETWEEN -1 AND 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id)
);
CREATE INDEX interactions_lead ON interactions (tenant_id, lead_id, at);
CREATE INDEX interactions_updated ON interactions (updated_at, id);

-- lead_id is optional; a NULL lead_id satisfies the foreign key.
CREATE TABLE sales (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    lead_id      TEXT,
    campaign_id  TEXT,
    product_id   TEXT,
    channel      TEXT NOT NULL CHECK (channel IN ('google_ads','meta','instagram','tiktok','linkedin','email','sms','whatsapp','influencer','web','organic')),
    country      TEXT NOT NULL,
    city         TEXT,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    currency     TEXT NOT NULL,
    closed_at    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id)
);
CREATE INDEX sales_client ON sales (tenant_id, client_id, closed_at);
CREATE INDEX sales_lead ON sales (tenant_id, lead_id);
CREATE INDEX sales_campaign ON sales (tenant_id, campaign_id);
CREATE INDEX sales_updated ON sales (updated_at, id);
