-- orchestrator context: durable pipeline runs, their steps, approval gates,
-- and the scheduler's periodic jobs.
CREATE TABLE runs (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    recipe        TEXT NOT NULL,
    recipe_source TEXT NOT NULL,
    params        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running','waiting_approval','succeeded','failed')),
    started_by    TEXT NOT NULL,
    error         TEXT,
    lease_owner   TEXT,
    lease_until   TEXT,
    finished_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX runs_updated ON runs (updated_at, id);
CREATE INDEX runs_status ON runs (tenant_id, status);

CREATE TABLE run_steps (
    tenant_id       TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    step_key        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    step_id         TEXT NOT NULL,
    tool            TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','skipped','waiting')),
    input           TEXT,
    output          TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    idempotency_key TEXT,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    duration_ms     INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id, step_key)
);
CREATE INDEX run_steps_updated ON run_steps (updated_at, run_id, step_key);

CREATE TABLE approvals (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    run_id         TEXT NOT NULL,
    step_key       TEXT NOT NULL,
    summary        TEXT NOT NULL,
    required_scope TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending','approved','rejected')),
    decided_by     TEXT,
    decided_scopes TEXT,
    note           TEXT,
    decided_at     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, run_id, step_key)
);
CREATE INDEX approvals_status ON approvals (tenant_id, status);

CREATE TABLE jobs (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    cron         TEXT,
    action       TEXT NOT NULL,
    slot         TEXT NOT NULL,
    next_run_at  TEXT NOT NULL,
    lease_owner  TEXT,
    lease_until  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    last_error   TEXT,
    last_run_at  TEXT,
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_due ON jobs (next_run_at);

-- One row per job and scheduled slot: a slot runs at most once to
-- completion, whichever replica claims it.
CREATE TABLE job_runs (
    tenant_id   TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    slot        TEXT NOT NULL,
    runner      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('succeeded','failed')),
    error       TEXT,
    output      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, slot)
);
CREATE INDEX job_runs_updated ON job_runs (updated_at, job_id);
