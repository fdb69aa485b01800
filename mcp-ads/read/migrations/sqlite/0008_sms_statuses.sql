-- Twilio status callbacks: each SMS's reported statuses (queued, sent,
-- delivered, undelivered, failed…) and error code, recorded once per
-- (MessageSid, status) since Twilio may call more than once. No phone
-- number is kept (personal data): only its last four digits, enough to
-- tell recipients of one launch apart.
CREATE TABLE sms_statuses (
    tenant_id   TEXT NOT NULL,
    message_sid TEXT NOT NULL,
    status      TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    error_code  TEXT,
    to_last4    TEXT,
    received_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, message_sid, status)
);
CREATE INDEX sms_statuses_received ON sms_statuses (tenant_id, received_at);
