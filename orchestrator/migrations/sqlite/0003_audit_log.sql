-- The audit trail of this context's tool calls: one row per call, written
-- by the server that owns this context (error kind and correlation id of
-- failed calls included).
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    server     TEXT NOT NULL,
    tool       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    error_kind TEXT,
    error_ref  TEXT,
    latency_us INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
