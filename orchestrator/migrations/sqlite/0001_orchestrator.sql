-- orchestrator context: the agenda of scheduled tasks.
CREATE TABLE agenda_tasks (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    campaign_id TEXT,
    kind        TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending','running','done','failed','cancelled')),
    payload     TEXT NOT NULL DEFAULT '{}',
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX agenda_tasks_due ON agenda_tasks (status, due_at);
CREATE INDEX agenda_tasks_campaign ON agenda_tasks (tenant_id, campaign_id);
