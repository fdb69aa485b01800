-- Messages that arrive or say why not: each sent message's delivery state
-- from WhatsApp's webhook `statuses[]`, the template it went out as
-- (outside the 24-hour customer-service window), and where a connection's
-- approved templates are listed (its WhatsApp Business Account).

-- `accepted` (the platform took it), `sent`, `delivered`, `read`,
-- `failed`, or `sandbox` (nothing left the building); NULL on rows older
-- than this migration.
ALTER TABLE outbound_messages ADD COLUMN delivery_status TEXT;
ALTER TABLE outbound_messages ADD COLUMN status_at TEXT;
-- The platform's error code and title when delivery failed (e.g. 131047
-- re-engagement message).
ALTER TABLE outbound_messages ADD COLUMN failure_code TEXT;
ALTER TABLE outbound_messages ADD COLUMN failure_reason TEXT;
ALTER TABLE outbound_messages ADD COLUMN template_name TEXT;
-- A status names the message by the provider's id.
CREATE INDEX outbound_messages_provider ON outbound_messages (tenant_id, provider_message_id);

-- Every (message, status) the signed webhook reported, once: Meta
-- redelivers webhooks, and a redelivery changes nothing.
CREATE TABLE message_statuses (
    tenant_id           TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    status              TEXT NOT NULL,
    at                  TEXT NOT NULL,
    error_code          TEXT,
    error_title         TEXT,
    received_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider_message_id, status)
);

-- The WhatsApp Business Account of a connected number: its templates.
ALTER TABLE connections ADD COLUMN waba_id TEXT;
