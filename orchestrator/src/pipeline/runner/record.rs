//! How a run records steps that end as they begin — skipped or failed before any call — and what later steps see of earlier ones.

use promptsales_shared::AppError;
use serde_json::{Value, json};

use super::Runner;
use crate::pipeline::recipe::Step;
use crate::pipeline::store::{RunStatus, StepStatus};

impl Runner<'_> {
    pub(super) async fn record_skip(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        why: &str,
    ) -> Result<(), AppError> {
        self.store
            .step_recorded(
                &self.tenant,
                run_id,
                &step.id,
                seq,
                &step.id,
                step.tool.as_deref(),
                &Value::Null,
                StepStatus::Skipped,
                None,
                Some(why),
            )
            .await?;
        self.say(&format!("  ↷ {}: skipped ({why})", step.id));
        Ok(())
    }

    pub(super) async fn fail(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        key: &str,
        why: &str,
    ) -> Result<Vec<String>, AppError> {
        self.store
            .step_recorded(
                &self.tenant,
                run_id,
                key,
                seq,
                &step.id,
                step.tool.as_deref(),
                &Value::Null,
                StepStatus::Failed,
                None,
                Some(why),
            )
            .await?;
        let msg = format!("step {key}: {why}");
        self.store
            .set_run_status(&self.tenant, run_id, RunStatus::Failed, Some(&msg))
            .await?;
        self.say(&format!("run {run_id} failed: {msg}"));
        Ok(Vec::new())
    }
}

/// Makes a step's status and output visible to later steps' templates.
pub(super) fn set_step(ctx: &mut Value, id: &str, status: StepStatus, output: Option<Value>) {
    ctx["steps"][id] = json!({ "status": status.as_str(), "output": output });
}
