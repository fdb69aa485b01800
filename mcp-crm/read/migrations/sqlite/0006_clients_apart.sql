-- The agency's clients as a boundary (issue 13).
--
-- Dedupe per (tenant, client): the same person may be a lead of two
-- clients (two rows), never twice of one. The blind indexes stay
-- tenant-wide values (HMAC of the normalised contact under the tenant), so
-- the leads of one person across clients are found by them (GDPR export
-- and erasure) and the consent ledger, keyed by them, covers the person
-- for every client. Existing rows keep their indexes: the old per-tenant
-- unique index allowed one row per contact, so no two rows can clash under
-- the narrower one; registrations that were merged across clients before
-- cannot be told apart (a lead's sources record no client) and stay with
-- the lead's client.
DROP INDEX leads_email_unique;
DROP INDEX leads_phone_unique;
CREATE UNIQUE INDEX leads_client_email_unique ON leads (tenant_id, client_id, email_hash) WHERE email_hash IS NOT NULL;
CREATE UNIQUE INDEX leads_client_phone_unique ON leads (tenant_id, client_id, phone_hash) WHERE phone_hash IS NOT NULL;
-- The person's leads across clients, and the ledger joins, by index.
CREATE INDEX leads_email_person ON leads (tenant_id, email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX leads_phone_person ON leads (tenant_id, phone_hash) WHERE phone_hash IS NOT NULL;

-- Knowledge-base answers belong to a client; NULL is an explicit
-- tenant-wide answer (every entry written before this migration was one).
ALTER TABLE kb_entries ADD COLUMN client_id TEXT;
CREATE INDEX kb_entries_client ON kb_entries (tenant_id, client_id, id);

-- A seller may work for one client (their seat on that client's plan, and
-- only that client's leads); NULL serves every client.
ALTER TABLE sellers ADD COLUMN client_id TEXT;

-- Every assignment, with the load it found and, when a full seller was
-- chosen on purpose, who overrode the capacity and why.
CREATE TABLE lead_assignments (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    lead_id         TEXT NOT NULL,
    seller_id       TEXT NOT NULL,
    strategy        TEXT NOT NULL,
    open_leads      BIGINT NOT NULL,
    capacity        INTEGER NOT NULL,
    override_reason TEXT,
    actor           TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lead_assignments_lead ON lead_assignments (tenant_id, lead_id, at);

-- Each client's own platform account per channel (WhatsApp: the
-- phone-number id, its access token and the app secret signing its webhook
-- deliveries). Credentials are sealed (AES-256-GCM bound to tenant, table,
-- row and column) and never leave through a tool.
CREATE TABLE connections (
    tenant_id        TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('whatsapp')),
    account_id       TEXT NOT NULL,
    token_enc        TEXT,
    app_secret_enc   TEXT,
    verify_token_enc TEXT,
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    status           TEXT NOT NULL CHECK (status IN ('untested', 'ok', 'failed')),
    status_detail    TEXT,
    tested_at        TEXT,
    updated_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, channel)
);
-- A delivery names the account (phone-number id): it routes to one client.
CREATE UNIQUE INDEX connections_account ON connections (tenant_id, channel, account_id);

-- Messages sent this month per client (the plan's messages_per_month).
CREATE INDEX outbound_messages_at ON outbound_messages (tenant_id, at);
