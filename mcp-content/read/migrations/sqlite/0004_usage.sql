-- content context: what each client used of its content plan, counted per
-- calendar month in the client's time zone (`period` = its YYYY-MM), kept
-- here so counts survive restarts and are shared by every replica. Kinds
-- are the plan's: generations_per_month, llm_tokens_per_month. A charge is
-- one conditional UPDATE (`used + n <= limit`), so concurrent calls cannot
-- pass the limit together.
CREATE TABLE content_usage (
    tenant_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    period     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, period, kind)
);

-- The people who generated for a client in a month: the plan's seats.
CREATE TABLE content_usage_seats (
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    period    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    first_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, period, actor)
);
