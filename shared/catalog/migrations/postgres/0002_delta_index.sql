-- Delta reads of the analytics sync filter by tenant and walk
-- (updated_at, id) in order: one index seek per batch instead of a sort of
-- the tenant's whole table.
CREATE INDEX clients_tenant_updated ON clients (tenant_id, updated_at, id);
CREATE INDEX products_tenant_updated ON products (tenant_id, updated_at, id);
