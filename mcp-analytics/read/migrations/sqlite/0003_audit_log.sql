-- The audit trail of this context's tool calls: one row per call, written
-- by the server that owns this context (error kind and correlation id of
-- failed calls included). A call that spends, sends, deletes or approves
-- writes its row as an `intent` before it acts and completes it after, so
-- a crash mid-call still leaves the row.
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
    state      TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('intent', 'done')),
    completed_at TEXT,
    targets    TEXT,
    args_hash  TEXT,
    latency_us INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
CREATE INDEX audit_log_tool ON audit_log (tenant_id, tool, at);
