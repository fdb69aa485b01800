-- content context: generated copy keeps its placement and structured fields;
-- approvals record who, when and why; brand guidelines per client.
ALTER TABLE content_assets ADD COLUMN placement TEXT;
ALTER TABLE content_assets ADD COLUMN fields TEXT;
ALTER TABLE content_assets ADD COLUMN decided_by TEXT;
ALTER TABLE content_assets ADD COLUMN decided_at TEXT;
ALTER TABLE content_assets ADD COLUMN decision_note TEXT;

ALTER TABLE content_asset_versions ADD COLUMN fields TEXT;
ALTER TABLE content_asset_versions ADD COLUMN note TEXT;
ALTER TABLE content_asset_versions ADD COLUMN decided_by TEXT;
ALTER TABLE content_asset_versions ADD COLUMN decided_at TEXT;
ALTER TABLE content_asset_versions ADD COLUMN decision_note TEXT;

CREATE TABLE content_brand_guidelines (
    tenant_id            TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    voice                TEXT NOT NULL,
    banned_words         TEXT NOT NULL,
    required_disclaimers TEXT NOT NULL,
    preferred_terms      TEXT NOT NULL,
    updated_by           TEXT,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, client_id)
);
