-- Each client's own time zone (schedules, digests, month boundaries) and
-- the subscription plans of the four sub-companies, assigned per client.
ALTER TABLE clients ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

CREATE TABLE plans (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    context    TEXT NOT NULL CHECK (context IN ('content', 'ads', 'crm', 'analytics')),
    name       TEXT NOT NULL,
    -- JSON list of {"kind", "value", "currency"?}: the plan's limits.
    limits     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE client_plans (
    tenant_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    context    TEXT NOT NULL,
    plan_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, context),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
    FOREIGN KEY (tenant_id, plan_id) REFERENCES plans (tenant_id, id)
);
CREATE INDEX client_plans_updated ON client_plans (tenant_id, updated_at);
