-- Delta reads of the analytics sync filter by tenant and walk
-- (updated_at, id) in order: one index seek per batch instead of a sort of
-- the tenant's whole table.
CREATE INDEX leads_tenant_updated ON leads (tenant_id, updated_at, id);
CREATE INDEX sales_tenant_updated ON sales (tenant_id, updated_at, id);
