-- core context: the agency's clients and products, and the audit trail.
CREATE TABLE clients (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    industry   TEXT NOT NULL,
    country    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX clients_updated ON clients (updated_at, id);

CREATE TABLE products (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    category         TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    currency         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
CREATE INDEX products_client ON products (tenant_id, client_id);
CREATE INDEX products_updated ON products (updated_at, id);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    server     TEXT NOT NULL,
    tool       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    latency_us BIGINT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
