//! What the CLI commands share: the contexts the agent owns (its own and the catalogue), the hub of servers, and the action the scheduler runs for each job.

use futures::future::BoxFuture;
use promptsales_server::app::Runtime;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::db::{Db, DbError};
use promptsales_shared::scope::Scope;
use serde_json::{Value, json};

use crate::agent::confirm::Confirm;
use crate::client::{CallOpts, Hub, HubConfig, Tools};
use crate::pipeline::load_recipe;
use crate::pipeline::runner::{RunReport, Runner};
use crate::pipeline::store::{RunStatus, RunStore};
use crate::scheduler::{Claimed, JobAction, JobStore};

/// The orchestrator's own state.
pub struct Orchestrator {
    pub rt: Runtime,
    /// The `core` catalogue, which the agent owns (no server migrates it).
    pub core: Db,
    pub runs: RunStore,
    pub jobs: JobStore,
}

impl Orchestrator {
    /// Opens the two contexts the agent owns: migrated here unless
    /// `PROMPTSALES_MIGRATE=off`, which only checks that `promptsales
    /// migrate` already has.
    pub async fn open(rt: Runtime) -> Result<Self, DbError> {
        let core = rt.own(&promptsales_catalog::MIGRATIONS).await?;
        let db = rt.own(&crate::MIGRATIONS).await?;
        Ok(Self {
            core,
            runs: RunStore::new(db.clone()),
            jobs: JobStore::new(db, rt.config.tenant.clone()),
            rt,
        })
    }

    /// The servers named by the environment (see [`HubConfig::from_env`]);
    /// spawned ones run as the local actor with its configured scopes.
    pub fn hub_config(&self) -> Result<HubConfig, crate::client::config::HubConfigError> {
        Ok(HubConfig::from_env()?.run_as(&self.rt.config.actor, &self.rt.config.scopes))
    }

    /// Connects to the servers of [`Orchestrator::hub_config`].
    pub async fn hub(&self) -> anyhow::Result<Hub> {
        let config = self.hub_config()?;
        let hub = Hub::connect(config).await;
        for (server, why) in &hub.unavailable {
            tracing::warn!(server, reason = %why, "server unavailable");
        }
        Ok(hub)
    }

    /// Starts a built-in or file recipe on behalf of `who`, a caller of
    /// `promptsales mcp`: the run is theirs (four eyes at its gate), but its
    /// steps run as this orchestrator's own identity — acting with someone
    /// else's scopes, which is what `orchestrator:run` grants. Consequential
    /// calls before the gate need `confirm`'s yes.
    pub async fn start_for(
        &self,
        who: &Principal,
        tools: &dyn Tools,
        confirm: &dyn Confirm,
        recipe: &str,
        params: &Value,
    ) -> Result<RunReport, AppError> {
        who.require(Scope::OrchestratorRun)?;
        let source = load_recipe(recipe)?;
        let mut runner = self.runner(tools).with_confirm(confirm);
        runner.actor = who.subject.clone();
        runner.start(&source, params).await
    }

    pub fn runner<'a>(&'a self, tools: &'a dyn Tools) -> Runner<'a> {
        Runner::new(
            tools,
            &self.runs,
            self.rt.config.tenant.clone(),
            &self.rt.config.actor,
        )
    }
}

/// Runs scheduled jobs and agenda tasks through the servers.
pub struct HubAction<'a> {
    pub orch: &'a Orchestrator,
    pub tools: &'a dyn Tools,
}

impl HubAction<'_> {
    async fn call(&self, tool: &str, mut args: Value, key: &str) -> Result<Value, String> {
        if let Some(info) = self.tools.tool(tool)
            && info.accepts_idempotency_key()
            && let Some(m) = args.as_object_mut()
        {
            m.insert("idempotency_key".into(), json!(key));
        }
        self.tools
            .call(tool, args, CallOpts::default())
            .await
            .map_err(|e| e.to_string())
    }

    async fn recipe(&self, name: &str, params: &Value) -> Result<Value, String> {
        let source = load_recipe(name).map_err(|e| e.to_string())?;
        let report = self
            .orch
            .runner(self.tools)
            .start(&source, params)
            .await
            .map_err(|e: AppError| e.to_string())?;
        match report.run.status {
            RunStatus::Failed => Err(format!(
                "run {} failed: {}",
                report.run.id,
                report.run.error.unwrap_or_default()
            )),
            _ => Ok(
                json!({ "run_id": report.run.id, "status": report.run.status, "printed": report.printed }),
            ),
        }
    }

    async fn run_inner(&self, job: &Claimed) -> Result<Value, String> {
        let key = job.idempotency_key();
        let a = &job.action;
        if let Some(tool) = a["tool"].as_str() {
            let args = if a["args"].is_object() {
                a["args"].clone()
            } else {
                json!({})
            };
            return self.call(tool, args, &key).await;
        }
        if let Some(recipe) = a["recipe"].as_str() {
            return self.recipe(recipe, &a["params"]).await;
        }
        let campaign = a["campaign_id"].as_str();
        match (a["task"].as_str(), campaign) {
            (Some("sync_metrics"), _) => self.call("ads.sync_metrics", json!({}), &key).await,
            (Some("pacing_check"), Some(c)) => {
                self.call(
                    "ads.get_campaign_performance",
                    json!({ "campaign_id": c }),
                    &key,
                )
                .await
            }
            (Some("weekly_report"), _) => self.recipe("weekly-report", &json!({})).await,
            (Some("analytics_sync"), _) => self.call("analytics.sync", json!({}), &key).await,
            (Some("check_connections"), _) => {
                crate::alerts::check_connections(
                    self.tools,
                    &self.orch.runs,
                    &self.orch.rt.config.tenant,
                )
                .await
            }
            (Some(kind), _) => Err(format!(
                "agenda task kind {kind:?} has no action here (known: sync_metrics, pacing_check, weekly_report, analytics_sync, check_connections)"
            )),
            (None, _) => Err(format!("job action {a} names no tool, recipe or task")),
        }
    }
}

impl JobAction for HubAction<'_> {
    fn run<'a>(&'a self, job: &'a Claimed) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(self.run_inner(job))
    }
}
