-- analytics context: bookkeeping of the delta pipeline that feeds the
-- warehouse from the sub-companies' tables.
CREATE TABLE sync_runs (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    source_table     TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    rows_read        INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    rows_written     INTEGER NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
    -- Keyset positions (`updated_at` and id of the last row) before and after.
    watermark_before TEXT,
    watermark_after  TEXT,
    error            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sync_runs_source ON sync_runs (tenant_id, source_table, started_at);
CREATE INDEX sync_runs_updated ON sync_runs (updated_at, id);

-- How far each source table has been read: the (updated_at, id) of the last
-- source row taken, so the next run resumes strictly after it.
CREATE TABLE sync_watermarks (
    tenant_id    TEXT NOT NULL,
    source_table TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_id      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, source_table)
);
