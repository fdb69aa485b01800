-- content context: the asset library (current version) and every version.
CREATE TABLE content_assets (
    tenant_id         TEXT NOT NULL,
    id                TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    campaign_id       TEXT,
    channel           TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('ad_copy','social_post','email','sms','whatsapp_template','landing_section','image','video')),
    language          TEXT NOT NULL CHECK (language IN ('en','es')),
    title             TEXT,
    body              TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    status            TEXT NOT NULL CHECK (status IN ('draft','approved','rejected','archived')),
    licence           TEXT,
    rights_owner      TEXT,
    rights_expires_at TEXT,
    allowed_channels  TEXT,
    created_by        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    -- Usage rights are all there (licence, owner, channel list) or all absent.
    CHECK ((licence IS NULL AND rights_owner IS NULL AND allowed_channels IS NULL AND rights_expires_at IS NULL)
        OR (licence IS NOT NULL AND rights_owner IS NOT NULL AND allowed_channels IS NOT NULL))
);
CREATE INDEX content_assets_client ON content_assets (tenant_id, client_id);
CREATE INDEX content_assets_campaign ON content_assets (tenant_id, campaign_id);
CREATE INDEX content_assets_status ON content_assets (tenant_id, status);
CREATE INDEX content_assets_updated ON content_assets (updated_at, id);

CREATE TABLE content_asset_versions (
    tenant_id  TEXT NOT NULL,
    asset_id   TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    title      TEXT,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('draft','approved','rejected','archived')),
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, version),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES content_assets (tenant_id, id)
);
CREATE INDEX content_asset_versions_updated ON content_asset_versions (updated_at, asset_id, version);
