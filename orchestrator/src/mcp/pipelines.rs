//! The `pipelines` toolset: start a built-in pipeline, list runs, read one run.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Elicit, OrchestratorServer};
use crate::pipeline::runner::RunReport;
use crate::pipeline::store::RunStatus;

promptsales_shared::vocabulary! {
    /// A pipeline this server runs.
    pub enum BuiltinRecipe("recipe") {
        LaunchCampaign => "launch-campaign",
        WeeklyReport => "weekly-report",
        LeadNurture => "lead-nurture",
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunPipelineParams {
    /// The built-in recipe to run.
    pub recipe: BuiltinRecipe,
    /// The recipe's parameters, e.g. `{"client_id": "cli_001", "product": "Plan Pro", "budget_cents": 500000, "start_date": "2026-12-01", "end_date": "2026-12-31"}`.
    #[serde(default)]
    pub params: Value,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListRunsParams {
    /// At most this many, newest first (default 20, at most 200).
    pub limit: Option<u32>,
    /// Only runs in this state.
    pub status: Option<RunStatus>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetRunParams {
    /// Run id, e.g. `run_20261125T193000_9f3a1c`.
    pub run_id: String,
}

/// A run as tools return it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunView {
    pub run_id: String,
    pub recipe: String,
    pub status: RunStatus,
    pub error: Option<String>,
    /// Steps with input, output, status and timings.
    pub steps: Vec<Value>,
    /// Text the recipe printed (reports, drafts).
    pub printed: Vec<String>,
    /// The approval the run waits for.
    pub waiting_on: Option<Value>,
    /// What that approval asks a person to approve, as lines to read: the
    /// campaign's budget plan in major units, caps, each creative's copy,
    /// the waiver if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<String>,
}

impl From<RunReport> for RunView {
    fn from(r: RunReport) -> Self {
        Self {
            run_id: r.run.id,
            recipe: r.run.recipe,
            status: r.run.status,
            error: r.run.error,
            steps: r
                .steps
                .iter()
                .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
                .collect(),
            printed: r.printed,
            review: r
                .waiting_on
                .as_ref()
                .map(crate::cli::approval_lines)
                .unwrap_or_default(),
            waiting_on: r
                .waiting_on
                .map(|a| serde_json::to_value(a).unwrap_or(Value::Null)),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RunList {
    pub runs: Vec<Value>,
}

#[tool_router(router = pipelines_tools, vis = "pub(super)")]
impl OrchestratorServer {
    #[tool(
        meta = needs(Scope::OrchestratorRun),
        description = "Start a pipeline (launch-campaign, weekly-report or lead-nurture) and run it until it finishes, fails or waits at an approval gate; returns every step with its input, output and timing. Needs orchestrator:run: the steps run as this orchestrator's own identity.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn run_pipeline(
        &self,
        Parameters(p): Parameters<RunPipelineParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, ToolError> {
        let who = self.caller(&context)?;
        let hub = self.hub().await?;
        let confirm = Elicit::new(&context);
        let report = self
            .orch
            .start_for(&who, hub, &confirm, p.recipe.as_str(), &p.params)
            .await?;
        Ok(Json(report.into()))
    }

    #[tool(
        meta = needs(Scope::OrchestratorRead),
        description = "List pipeline runs, newest first: id, recipe, status, who started it and when.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_runs(
        &self,
        Parameters(p): Parameters<ListRunsParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunList>, ToolError> {
        let who = self.caller(&context)?;
        let limit = i64::from(p.limit.unwrap_or(20).clamp(1, 200));
        let runs = self
            .orch
            .runs
            .list_runs(&who.tenant, p.status, limit)
            .await?;
        Ok(Json(RunList {
            runs: runs
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .collect(),
        }))
    }

    #[tool(
        meta = needs(Scope::OrchestratorRead),
        description = "One run: status, every step (input, output, status, timing) and the approval it waits for.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_run(
        &self,
        Parameters(p): Parameters<GetRunParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, ToolError> {
        self.caller(&context)?;
        let none = crate::cli::NoTools;
        let report = self
            .orch
            .runner(&none)
            .report(&p.run_id, Vec::new())
            .await?;
        Ok(Json(report.into()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use promptsales_shared::domain::Vocabulary;

    use super::*;
    use crate::pipeline::load_recipe;
    use crate::pipeline::recipe::BUILTIN;

    #[test]
    fn every_builtin_recipe_can_be_asked_for_and_loads() {
        let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        let offered: Vec<&str> = BuiltinRecipe::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(offered, names);
        for r in BuiltinRecipe::ALL {
            assert!(load_recipe(r.as_str()).is_ok(), "{r}");
        }
        let e = BuiltinRecipe::parse("nope").unwrap_err().to_string();
        assert!(e.contains("launch-campaign"), "{e}");
    }
}
