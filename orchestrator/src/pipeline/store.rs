//! Durable run state: runs, their steps (input, output, timings, status) and approval gates, on either engine.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_shared::scope::Scope;
use promptsales_shared::time::now_ts;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

promptsales_shared::vocabulary! {
    /// A run's lifecycle.
    pub enum RunStatus("status") {
        Running => "running",
        WaitingApproval => "waiting_approval",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

promptsales_shared::vocabulary! {
    /// A step's state.
    pub enum StepStatus("status") {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Skipped => "skipped",
        Waiting => "waiting",
    }
}

/// A status column read back: a value this build does not know is a bug
/// or a newer writer, never the caller's mistake.
fn stored<T>(parse: fn(&str) -> Result<T, AppError>, what: &str, raw: &str) -> Result<T, AppError> {
    parse(raw).map_err(|_| AppError::Internal(format!("unknown {what} status {raw:?}")))
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: String,
    pub recipe: String,
    #[serde(skip)]
    pub recipe_source: String,
    pub params: Value,
    pub status: RunStatus,
    pub started_by: String,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub step_key: String,
    pub seq: i64,
    pub step_id: String,
    pub tool: Option<String>,
    pub status: StepStatus,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub attempts: i64,
    pub idempotency_key: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
}

promptsales_shared::vocabulary! {
    /// An approval gate's decision.
    pub enum ApprovalStatus("status") {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: String,
    pub run_id: String,
    pub step_key: String,
    pub summary: String,
    /// The scope an approver needs besides `orchestrator:approve` (a
    /// legacy name stored by an older build reads as its current scope).
    pub required_scope: Scope,
    pub status: ApprovalStatus,
    pub decided_by: Option<String>,
    pub decided_scopes: Vec<String>,
    pub note: Option<String>,
    /// The approver's explicit waiver of missing creatives (its note), if
    /// they gave one.
    pub waiver: Option<String>,
    /// What the approver is shown (see [`crate::pipeline::review`]): taken
    /// when the gate opened.
    pub review: Option<Value>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

fn json_col(row: &AnyRow, col: &str) -> Result<Option<Value>, AppError> {
    let raw: Option<String> = row.try_get(col)?;
    raw.map(|s| {
        serde_json::from_str(&s)
            .map_err(|e| AppError::Internal(format!("stored {col} is not JSON: {e}")))
    })
    .transpose()
}

fn run_from(row: &AnyRow) -> Result<Run, AppError> {
    Ok(Run {
        id: row.try_get("id")?,
        recipe: row.try_get("recipe")?,
        recipe_source: row.try_get("recipe_source")?,
        params: json_col(row, "params")?.unwrap_or(Value::Null),
        status: stored(
            RunStatus::parse,
            "run",
            &row.try_get::<String, _>("status")?,
        )?,
        started_by: row.try_get("started_by")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn step_from(row: &AnyRow) -> Result<StepRow, AppError> {
    Ok(StepRow {
        step_key: row.try_get("step_key")?,
        seq: row.try_get("seq")?,
        step_id: row.try_get("step_id")?,
        tool: row.try_get("tool")?,
        status: stored(
            StepStatus::parse,
            "step",
            &row.try_get::<String, _>("status")?,
        )?,
        input: json_col(row, "input")?,
        output: json_col(row, "output")?,
        error: row.try_get("error")?,
        attempts: row.try_get("attempts")?,
        idempotency_key: row.try_get("idempotency_key")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        duration_ms: row.try_get("duration_ms")?,
    })
}

fn approval_from(row: &AnyRow) -> Result<Approval, AppError> {
    let scopes: Option<String> = row.try_get("decided_scopes")?;
    Ok(Approval {
        id: row.try_get("id")?,
        run_id: row.try_get("run_id")?,
        step_key: row.try_get("step_key")?,
        summary: row.try_get("summary")?,
        required_scope: crate::scopes::parse_scope(
            "required_scope",
            &row.try_get::<String, _>("required_scope")?,
        )
        .map_err(|e| AppError::Internal(format!("stored approval scope: {e}")))?,
        status: stored(
            ApprovalStatus::parse,
            "approval",
            &row.try_get::<String, _>("status")?,
        )?,
        decided_by: row.try_get("decided_by")?,
        decided_scopes: scopes
            .map(|s| {
                s.split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        note: row.try_get("note")?,
        waiver: row.try_get("waiver")?,
        review: json_col(row, "review")?,
        decided_at: row.try_get("decided_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A fresh id with a readable prefix: `run_20261125T193000_9f3a1c`.
pub fn new_id(prefix: &str) -> String {
    let suffix: u32 = rand::random::<u32>() & 0x00ff_ffff;
    format!(
        "{prefix}_{}_{suffix:06x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    )
}

/// The repository of runs, steps and approvals.
#[derive(Clone, Debug)]
pub struct RunStore {
    db: Db,
}

impl RunStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn create_run(
        &self,
        tenant: &TenantId,
        id: &str,
        recipe: &str,
        source: &str,
        params: &Value,
        started_by: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO runs (tenant_id, id, recipe, recipe_source, params, status, started_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $7)",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(recipe)
        .bind(source)
        .bind(params.to_string())
        .bind(started_by)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn get_run(&self, tenant: &TenantId, id: &str) -> Result<Run, AppError> {
        let row = sqlx::query(
            "SELECT id, recipe, recipe_source, params, status, started_by, error, created_at, updated_at, finished_at \
             FROM runs WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("run", id))?;
        run_from(&row)
    }

    /// Newest first.
    /// Runs, newest first, only those in `status` when given.
    pub async fn list_runs(
        &self,
        tenant: &TenantId,
        status: Option<RunStatus>,
        limit: i64,
    ) -> Result<Vec<Run>, AppError> {
        let rows = sqlx::query(
            "SELECT id, recipe, recipe_source, params, status, started_by, error, created_at, updated_at, finished_at \
             FROM runs WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(status.map(RunStatus::as_str))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(run_from).collect()
    }

    pub async fn set_run_status(
        &self,
        tenant: &TenantId,
        id: &str,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let finished = matches!(status, RunStatus::Succeeded | RunStatus::Failed).then_some(&now);
        sqlx::query(
            "UPDATE runs SET status = $3, error = $4, finished_at = $5, updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(status.as_str())
        .bind(error)
        .bind(finished)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Takes the run for `owner` until `until` (RFC 3339) unless another
    /// owner holds an unexpired lease; `force` takes it regardless (after a
    /// crash, before the lease ran out).
    pub async fn lease_run(
        &self,
        tenant: &TenantId,
        id: &str,
        owner: &str,
        until: &str,
        force: bool,
    ) -> Result<bool, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "UPDATE runs SET lease_owner = $3, lease_until = $4 \
             WHERE tenant_id = $1 AND id = $2 \
               AND ($6 = 1 OR lease_owner IS NULL OR lease_owner = $3 OR lease_until < $5)",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(owner)
        .bind(until)
        .bind(&now)
        .bind(i64::from(force))
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Who holds the run's lease, if anyone.
    pub async fn run_lease_owner(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<String>, AppError> {
        let row = sqlx::query("SELECT lease_owner FROM runs WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("lease_owner")?,
            None => None,
        })
    }

    /// Gives the run's lease up.
    pub async fn release_run(
        &self,
        tenant: &TenantId,
        id: &str,
        owner: &str,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE runs SET lease_owner = NULL, lease_until = NULL \
             WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(owner)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn steps(&self, tenant: &TenantId, run_id: &str) -> Result<Vec<StepRow>, AppError> {
        let rows = sqlx::query(
            "SELECT step_key, seq, step_id, tool, status, input, output, error, attempts, idempotency_key, \
                    started_at, finished_at, duration_ms \
             FROM run_steps WHERE tenant_id = $1 AND run_id = $2 ORDER BY seq, step_key",
        )
        .bind(tenant.as_str())
        .bind(run_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(step_from).collect()
    }

    /// Records that a step starts (or starts again): its input and the
    /// idempotency key it carries, before the tool is called.
    #[allow(clippy::too_many_arguments)]
    pub async fn step_started(
        &self,
        tenant: &TenantId,
        run_id: &str,
        step_key: &str,
        seq: i64,
        step_id: &str,
        tool: Option<&str>,
        input: &Value,
        idempotency_key: Option<&str>,
        status: StepStatus,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO run_steps (tenant_id, run_id, step_key, seq, step_id, tool, status, input, attempts, \
                                    idempotency_key, started_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $10) \
             ON CONFLICT (tenant_id, run_id, step_key) DO UPDATE SET \
                status = excluded.status, input = excluded.input, \
                attempts = run_steps.attempts + 1, idempotency_key = excluded.idempotency_key, \
                error = NULL, started_at = excluded.started_at, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(run_id)
        .bind(step_key)
        .bind(seq)
        .bind(step_id)
        .bind(tool)
        .bind(status.as_str())
        .bind(input.to_string())
        .bind(idempotency_key)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Records how a step ended.
    #[allow(clippy::too_many_arguments)]
    pub async fn step_finished(
        &self,
        tenant: &TenantId,
        run_id: &str,
        step_key: &str,
        status: StepStatus,
        output: Option<&Value>,
        error: Option<&str>,
        duration_ms: i64,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "UPDATE run_steps SET status = $4, output = $5, error = $6, duration_ms = $7, \
                    finished_at = $8, updated_at = $8 \
             WHERE tenant_id = $1 AND run_id = $2 AND step_key = $3",
        )
        .bind(tenant.as_str())
        .bind(run_id)
        .bind(step_key)
        .bind(status.as_str())
        .bind(output.map(Value::to_string))
        .bind(error)
        .bind(duration_ms)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Records a step that ended as soon as it began (a gate passed, a
    /// skip, a loop's total, a failure before any call) in one statement,
    /// so a crash never leaves it half-recorded as running.
    #[allow(clippy::too_many_arguments)]
    pub async fn step_recorded(
        &self,
        tenant: &TenantId,
        run_id: &str,
        step_key: &str,
        seq: i64,
        step_id: &str,
        tool: Option<&str>,
        input: &Value,
        status: StepStatus,
        output: Option<&Value>,
        error: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO run_steps (tenant_id, run_id, step_key, seq, step_id, tool, status, input, attempts, \
                                    output, error, duration_ms, started_at, finished_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, 0, $11, $11, $11, $11) \
             ON CONFLICT (tenant_id, run_id, step_key) DO UPDATE SET \
                status = excluded.status, input = excluded.input, \
                attempts = run_steps.attempts + 1, output = excluded.output, error = excluded.error, \
                duration_ms = 0, started_at = excluded.started_at, finished_at = excluded.finished_at, \
                updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(run_id)
        .bind(step_key)
        .bind(seq)
        .bind(step_id)
        .bind(tool)
        .bind(status.as_str())
        .bind(input.to_string())
        .bind(output.map(Value::to_string))
        .bind(error)
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The gate's approval, creating a pending one the first time.
    pub async fn approval_for_gate(
        &self,
        tenant: &TenantId,
        run_id: &str,
        step_key: &str,
        summary: &str,
        scope: Scope,
    ) -> Result<Approval, AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO approvals (tenant_id, id, run_id, step_key, summary, required_scope, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) \
             ON CONFLICT (tenant_id, run_id, step_key) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(new_id("apr"))
        .bind(run_id)
        .bind(step_key)
        .bind(summary)
        .bind(scope.as_str())
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query(
            "SELECT id, run_id, step_key, summary, required_scope, status, decided_by, decided_scopes, note, waiver, review, decided_at, created_at \
             FROM approvals WHERE tenant_id = $1 AND run_id = $2 AND step_key = $3",
        )
        .bind(tenant.as_str())
        .bind(run_id)
        .bind(step_key)
        .fetch_one(self.db.pool())
        .await?;
        approval_from(&row)
    }

    pub async fn get_approval(&self, tenant: &TenantId, id: &str) -> Result<Approval, AppError> {
        let row = sqlx::query(
            "SELECT id, run_id, step_key, summary, required_scope, status, decided_by, decided_scopes, note, waiver, review, decided_at, created_at \
             FROM approvals WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("approval", id))?;
        approval_from(&row)
    }

    /// Approvals, pending first, newest first; `status` filters.
    pub async fn list_approvals(
        &self,
        tenant: &TenantId,
        status: Option<ApprovalStatus>,
    ) -> Result<Vec<Approval>, AppError> {
        let rows = sqlx::query(
            "SELECT id, run_id, step_key, summary, required_scope, status, decided_by, decided_scopes, note, waiver, review, decided_at, created_at \
             FROM approvals WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, created_at DESC LIMIT 200",
        )
        .bind(tenant.as_str())
        .bind(status.map(ApprovalStatus::as_str))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(approval_from).collect()
    }

    /// Stores what the approver of a pending gate is shown.
    pub async fn set_review(
        &self,
        tenant: &TenantId,
        id: &str,
        review: &Value,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE approvals SET review = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(review.to_string())
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Decides a pending approval (with the approver's waiver, if any); a
    /// decided one cannot be changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        &self,
        tenant: &TenantId,
        id: &str,
        status: ApprovalStatus,
        by: &str,
        scopes: &[String],
        note: Option<&str>,
        waiver: Option<&str>,
    ) -> Result<Approval, AppError> {
        let now = now_ts();
        let done = sqlx::query(
            "UPDATE approvals SET status = $3, decided_by = $4, decided_scopes = $5, note = $6, \
                    waiver = $8, decided_at = $7, updated_at = $7 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(status.as_str())
        .bind(by)
        .bind(scopes.join(","))
        .bind(note)
        .bind(&now)
        .bind(waiver)
        .execute(self.db.pool())
        .await?;
        let a = self.get_approval(tenant, id).await?;
        if done.rows_affected() == 0 {
            return Err(AppError::Conflict(format!(
                "approval {id} was already {} by {}",
                a.status.as_str(),
                a.decided_by.as_deref().unwrap_or("someone")
            )));
        }
        Ok(a)
    }

    /// Adds one agenda task, once per id (a resumed run adds nothing twice).
    pub async fn schedule_task(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign_id: Option<&str>,
        kind: &str,
        due_at: &str,
        payload: &Value,
    ) -> Result<bool, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO agenda_tasks (tenant_id, id, campaign_id, kind, due_at, status, payload, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7) \
             ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(campaign_id)
        .bind(kind)
        .bind(due_at)
        .bind(payload.to_string())
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }
}
