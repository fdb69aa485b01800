-- list_campaigns by status or by client walks these in id order (keyset
-- pagination) instead of filtering the tenant's whole id range.
CREATE INDEX campaigns_status_id ON campaigns (tenant_id, status, id);
CREATE INDEX campaigns_client_id ON campaigns (tenant_id, client_id, id);
