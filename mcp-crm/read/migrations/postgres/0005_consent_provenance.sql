-- Consent you can trust: every ledger change records who made it (a
-- principal's subject, or `webhook` for a signed WhatsApp delivery) beside
-- the source/reason it already kept; rows written before this migration
-- say `unrecorded`.
ALTER TABLE consent_events ADD COLUMN actor TEXT NOT NULL DEFAULT 'unrecorded';
ALTER TABLE contact_permissions ADD COLUMN actor TEXT NOT NULL DEFAULT 'unrecorded';

-- The WhatsApp messages the signature-checked webhook processed, durably:
-- a redelivery (Meta retries for days, and a replay may come long after
-- the 24 h cache forgot it) finds its id here and changes nothing. Only
-- these verified inbound messages open WhatsApp's 24-hour service window.
-- message_key is SHA-256 (hex) of the provider's message id (a `wamid`
-- encodes the sender's number); contact_hash is the sender phone's blind
-- index; `at` is when the person wrote, never later than received_at.
CREATE TABLE webhook_messages (
    tenant_id    TEXT NOT NULL,
    message_key  TEXT NOT NULL,
    lead_id      TEXT NOT NULL,
    contact_hash TEXT,
    at           TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, message_key)
);
CREATE INDEX webhook_messages_contact ON webhook_messages (tenant_id, contact_hash, at);
