-- Delta reads of the analytics sync filter by tenant and walk
-- (updated_at, id) in order: one index seek per batch instead of a sort of
-- the tenant's whole table.
CREATE INDEX campaigns_tenant_updated ON campaigns (tenant_id, updated_at, id);
CREATE INDEX ad_daily_tenant_updated ON ad_daily (tenant_id, updated_at, id);
