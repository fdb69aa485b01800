-- crm workflows: dedupe, stage history, consent ledger, knowledge base,
-- outbound messages, intent models, GDPR erasure.

-- One person per tenant: the blind indexes are unique where present, so two
-- registrations racing in different processes cannot both insert.
DROP INDEX leads_email_hash;
DROP INDEX leads_phone_hash;
CREATE UNIQUE INDEX leads_email_unique ON leads (tenant_id, email_hash) WHERE email_hash IS NOT NULL;
CREATE UNIQUE INDEX leads_phone_unique ON leads (tenant_id, phone_hash) WHERE phone_hash IS NOT NULL;

ALTER TABLE leads ADD COLUMN company TEXT;
ALTER TABLE leads ADD COLUMN product_interest TEXT;
ALTER TABLE leads ADD COLUMN language TEXT;
ALTER TABLE leads ADD COLUMN lost_reason TEXT;
ALTER TABLE leads ADD COLUMN score_reasons TEXT;
ALTER TABLE leads ADD COLUMN erased_at TEXT;
-- Searches filter on one of these and page in id order: each index ends
-- with id so a page is an index range walk, not a sort.
DROP INDEX leads_stage;
DROP INDEX leads_seller;
DROP INDEX leads_campaign;
CREATE INDEX leads_stage_id ON leads (tenant_id, stage, id);
CREATE INDEX leads_seller_id ON leads (tenant_id, seller_id, id);
CREATE INDEX leads_campaign_id ON leads (tenant_id, campaign_id, id);
CREATE INDEX leads_country_id ON leads (tenant_id, country, id);
CREATE INDEX leads_channel_id ON leads (tenant_id, channel, id);

ALTER TABLE sellers ADD COLUMN countries TEXT;
ALTER TABLE sellers ADD COLUMN last_assigned_at TEXT;

-- Every source a lead arrived from (the first and each deduplicated repeat).
CREATE TABLE lead_sources (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    campaign_id TEXT,
    at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lead_sources_lead ON lead_sources (tenant_id, lead_id, at);

CREATE TABLE lead_stage_history (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    from_stage TEXT,
    to_stage   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lead_stage_history_lead ON lead_stage_history (tenant_id, lead_id, at);

-- The consent and suppression ledger, keyed by a contact's blind index so
-- it outlives erasure of the lead and covers every lead sharing a contact.
CREATE TABLE consent_events (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    contact_hash TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('email','sms','whatsapp','all')),
    kind         TEXT NOT NULL CHECK (kind IN ('consent_granted','consent_withdrawn','suppressed','unsuppressed')),
    source       TEXT NOT NULL,
    lead_id      TEXT,
    at           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX consent_events_contact ON consent_events (tenant_id, contact_hash, at);

-- Current state of the ledger per contact and channel (derived from the
-- events in the same transaction), what sends and audience counts check.
CREATE TABLE contact_permissions (
    tenant_id    TEXT NOT NULL,
    contact_hash TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('email','sms','whatsapp','all')),
    consent      TEXT CHECK (consent IN ('granted','withdrawn')),
    suppressed   INTEGER NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1)),
    source       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, contact_hash, channel)
);

CREATE TABLE kb_entries (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    language   TEXT NOT NULL CHECK (language IN ('en','es')),
    topic      TEXT NOT NULL,
    keywords   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE outbound_messages (
    tenant_id           TEXT NOT NULL,
    id                  TEXT NOT NULL,
    lead_id             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    text                TEXT NOT NULL,
    sandbox             INTEGER NOT NULL CHECK (sandbox IN (0, 1)),
    provider_message_id TEXT,
    at                  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbound_messages_lead ON outbound_messages (tenant_id, lead_id, at);

CREATE TABLE intent_models (
    tenant_id  TEXT NOT NULL,
    trained_at TEXT NOT NULL,
    model      TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
);

CREATE TABLE gdpr_erasures (
    tenant_id TEXT NOT NULL,
    lead_id   TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, lead_id)
);
