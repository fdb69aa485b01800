//! `promptsales demo`: from nothing to a launched (sandbox) campaign, recorded leads and sales, a synced warehouse and answered questions, through the four real servers over stdio — with a report of every phase and its timing.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration as Days, Utc};
use promptsales_server::app::Runtime;
use promptsales_server::auth::Principal;
use promptsales_shared::config::CommonArgs;
use serde_json::{Value, json};

use crate::app::Orchestrator;
use crate::cli::out;
use crate::client::{
    CallOpts, Endpoint, Hub, HubConfig, SERVERS, ServerSpec, Tools, config::default_bin_dir,
};
use crate::pipeline::decide;
use crate::pipeline::recipe::Recipe;
use crate::pipeline::runner::ResumeOpts;
use crate::pipeline::store::RunStatus;
use crate::seed::{SeedSpec, generate};
use crate::stores::Stores;

/// The person who approves in the demo: simulated, and named as such.
pub const DEMO_APPROVER: &str = "demo-approver (simulated person)";
/// Who runs the pipeline.
pub const DEMO_AGENT: &str = "promptsales-demo-agent";
/// Exactly what the agent's own calls need: drafting copy and the
/// campaign (`content:write`, `ads:write`), the sandbox metric sync
/// (`ads:write`), leads and sales (`crm:write`), the warehouse sync
/// (`analytics:write`) and the questions (`analytics:read`). Nothing
/// privileged: it can neither approve nor launch.
pub const AGENT_SCOPES: &str = "content:write,ads:write,crm:write,analytics:read,analytics:write";
/// Exactly what the approver needs: deciding the gate
/// (`orchestrator:approve` + the gate's `ads:approve`) and the steps that run
/// as them after it, each with only its own scope (`content:approve` for the
/// drafts, `ads:approve` for the campaign, `ads:launch` for the preview and
/// the launch).
pub const APPROVER_SCOPES: [&str; 4] = [
    "orchestrator:approve",
    "ads:approve",
    "content:approve",
    "ads:launch",
];

/// Tools each phase needs, checked before it runs.
const LEAD_TOOLS: &[&str] = &["crm.register_lead", "crm.record_sale"];

struct Phase {
    name: String,
    ms: u128,
    outcome: String,
}

fn demo_dir(dir: Option<PathBuf>) -> std::io::Result<PathBuf> {
    let d = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "promptsales-demo-{}-{}",
            std::process::id(),
            Utc::now().format("%Y%m%d%H%M%S")
        )),
    };
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn first_missing(hub: &Hub, needed: &[&str]) -> Option<String> {
    needed
        .iter()
        .find(|t| hub.tool(t).is_none())
        .map(|t| (*t).to_owned())
}

/// Runs the demo; true when every phase worked.
pub async fn run(dir: Option<PathBuf>) -> anyhow::Result<bool> {
    let started = Instant::now();
    let dir = demo_dir(dir)?;
    let db_url = format!("sqlite://{}", dir.join("promptsales.db").display());
    let args = CommonArgs {
        data_dir: Some(dir.display().to_string()),
        database_url: Some(db_url.clone()),
        actor: Some(DEMO_AGENT.into()),
        scopes: Some(AGENT_SCOPES.into()),
        log: Some("warn".into()),
        ..CommonArgs::default()
    };
    let mut phases: Vec<Phase> = Vec::new();
    let mut all_ok = true;
    out("PromptSales demo — four MCP servers, one pipeline, a person approving (simulated).");
    out(&format!(
        "data: {} (embedded SQLite, in-process cache)\n",
        dir.display()
    ));

    // 1. Seed.
    let t = Instant::now();
    let rt = Runtime::start("promptsales", &args).await?;
    let stores = Stores::open(&rt.config).await?;
    let as_of = Utc::now().date_naive();
    let ds = generate(&SeedSpec {
        clients: 4,
        campaigns: 24,
        days: 90,
        seed: 7,
        as_of,
    })?;
    ds.write(&stores).await?;
    let client = ds
        .clients
        .first()
        .ok_or_else(|| anyhow::anyhow!("the seed made no client"))?
        .clone();
    let product = ds
        .products
        .iter()
        .find(|p| p.client_id == client.id)
        .ok_or_else(|| anyhow::anyhow!("the seed made no product for {}", client.id.as_str()))?
        .clone();
    phases.push(Phase {
        name: "seed history".into(),
        ms: t.elapsed().as_millis(),
        outcome: format!(
            "{} clients, {} products, {} campaigns, {} ad rows, {} leads, {} sales (90 days)",
            ds.clients.len(),
            ds.products.len(),
            ds.campaigns.len(),
            ds.ad_daily.len(),
            ds.leads.len(),
            ds.sales.len()
        ),
    });
    let orch = Orchestrator::open(rt).await?;

    // 2. Spawn the four servers over stdio with the demo's environment.
    let t = Instant::now();
    let bin = default_bin_dir(&|k| std::env::var(k).ok());
    let env: Vec<(String, String)> = vec![
        ("PROMPTSALES_DATA_DIR".into(), dir.display().to_string()),
        ("DATABASE_URL".into(), db_url.clone()),
        ("REDIS_URL".into(), String::new()),
        ("PROMPTSALES_SCHEMA_PREFIX".into(), String::new()),
        (
            "PROMPTSALES_TENANT".into(),
            orch.rt.config.tenant.to_string(),
        ),
        ("PROMPTSALES_ACTOR".into(), DEMO_AGENT.into()),
        ("PROMPTSALES_SCOPES".into(), AGENT_SCOPES.into()),
        ("PROMPTSALES_LLM_BASE_URL".into(), String::new()),
        ("PROMPTSALES_LLM_API_KEY".into(), String::new()),
    ];
    let mut config = HubConfig::from_lookup(&|k| match k {
        "PROMPTSALES_SERVERS_DIR" => Some(bin.display().to_string()),
        _ => None,
    })?;
    config.servers = SERVERS
        .iter()
        .map(|(name, binary)| ServerSpec {
            name: (*name).to_owned(),
            endpoint: Endpoint::Stdio {
                program: bin.join(binary),
                args: Vec::new(),
            },
            env: env.clone(),
        })
        .collect();
    let hub = Hub::connect(config).await;
    let tool_count: usize = hub.surfaces().values().map(|s| s.tools.len()).sum();
    phases.push(Phase {
        name: "spawn servers (stdio)".into(),
        ms: t.elapsed().as_millis(),
        outcome: format!(
            "{} up ({} tools){}",
            hub.surfaces()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            tool_count,
            if hub.unavailable.is_empty() {
                String::new()
            } else {
                format!(
                    "; unavailable: {}",
                    hub.unavailable
                        .iter()
                        .map(|(n, why)| format!("{n} ({why})"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        ),
    });
    if !hub.unavailable.is_empty() {
        all_ok = false;
    }

    // 3. The launch pipeline, approved at its gate by the demo approver.
    let t = Instant::now();
    let (source, recipe) = Recipe::builtin("launch-campaign")
        .ok_or_else(|| anyhow::anyhow!("built-in recipe launch-campaign is missing"))?;
    let mut campaign_id: Option<String> = None;
    let launch_missing = recipe.tools().into_iter().find(|t| hub.tool(t).is_none());
    match launch_missing {
        Some(tool) => {
            all_ok = false;
            phases.push(Phase {
                name: "launch-campaign".into(),
                ms: t.elapsed().as_millis(),
                outcome: format!(
                    "SKIPPED: the servers do not offer `{tool}` yet, which the pipeline needs"
                ),
            });
        }
        None => {
            let start = as_of;
            let params = json!({
                "client_id": client.id.as_str(),
                "product": product.name,
                "product_id": product.id.as_str(),
                "objective": "leads",
                "channels": ["meta", "google_ads", "email"],
                "countries": [client.country.to_string()],
                "language": "es",
                "audience": "pequeñas empresas",
                "keywords": [product.name.to_lowercase()],
                "budget_cents": 1_500_000,
                "currency": product.currency.to_string(),
                "start_date": start.to_string(),
                "end_date": (start + Days::days(29)).to_string(),
            });
            let progress = |l: &str| out(l);
            let runner = orch.runner(&hub).with_progress(&progress);
            out(&format!(
                "▶ launch-campaign for {} ({}) — {}",
                client.name,
                client.id.as_str(),
                product.name
            ));
            let mut report = runner.start(source, &params).await?;
            if let Some(gate) = report.waiting_on.clone() {
                let approver = Principal::new(
                    DEMO_APPROVER,
                    orch.rt.config.tenant.clone(),
                    APPROVER_SCOPES,
                );
                out(&format!(
                    "  ☑ approval {} granted by {DEMO_APPROVER} ({}) — in a real deployment a person holding these scopes does this (`promptsales approvals approve {}`)",
                    gate.id,
                    APPROVER_SCOPES.join(", "),
                    gate.id
                ));
                decide(
                    &orch.runs,
                    &approver,
                    &gate.id,
                    true,
                    Some("approved by the demo's simulated approver"),
                )
                .await?;
                report = runner
                    .resume(&report.run.id, &ResumeOpts::default())
                    .await?;
            }
            campaign_id = report
                .steps
                .iter()
                .find(|s| s.step_key == "campaign")
                .and_then(|s| s.output.as_ref())
                .and_then(|o| o["id"].as_str())
                .map(str::to_owned);
            let drafted = report
                .steps
                .iter()
                .filter(|s| s.step_id == "content" && s.step_key.contains('#'))
                .filter_map(|s| s.output.as_ref())
                .map(|o| o["variants"].as_array().map_or(0, Vec::len))
                .sum::<usize>();
            let ok = report.run.status == RunStatus::Succeeded;
            all_ok &= ok;
            phases.push(Phase {
                name: "launch-campaign".into(),
                ms: t.elapsed().as_millis(),
                outcome: if ok {
                    format!(
                        "{drafted} drafts, campaign {} approved by {DEMO_APPROVER} and launched (sandbox), run {}",
                        campaign_id.as_deref().unwrap_or("?"),
                        report.run.id
                    )
                } else {
                    format!("run {} {}: {}", report.run.id, report.run.status.as_str(), report.run.error.unwrap_or_default())
                },
            });
        }
    }

    // 4. Delivery simulated by the sandbox connectors. Launches refuse past
    // start dates, so the new campaign has delivered since today; the
    // sync reads the last 7 days of every active campaign.
    let t = Instant::now();
    let outcome = match hub.tool("ads.sync_metrics") {
        None => {
            all_ok = false;
            "SKIPPED: the servers do not offer `ads.sync_metrics` yet".to_owned()
        }
        Some(_) => match hub
            .call("ads.sync_metrics", json!({"days": 7}), CallOpts::default())
            .await
        {
            Ok(v) => format!("sandbox delivery synced: {}", summarise(&v)),
            Err(e) => {
                all_ok = false;
                format!("failed: {e}")
            }
        },
    };
    phases.push(Phase {
        name: "sandbox delivery, last 7 days (ads.sync_metrics)".into(),
        ms: t.elapsed().as_millis(),
        outcome,
    });

    // 5. Leads and sales through the CRM.
    let t = Instant::now();
    let outcome = match first_missing(&hub, LEAD_TOOLS) {
        Some(tool) => {
            all_ok = false;
            format!("SKIPPED: the servers do not offer `{tool}` yet")
        }
        None => {
            let (leads, sales, errors) =
                leads_and_sales(&hub, &client, &product, campaign_id.as_deref()).await;
            if !errors.is_empty() {
                all_ok = false;
            }
            format!(
                "{leads} leads registered, {sales} sales recorded{}",
                if errors.is_empty() {
                    String::new()
                } else {
                    format!("; errors: {}", errors.join("; "))
                }
            )
        }
    };
    phases.push(Phase {
        name: "leads and sales (crm)".into(),
        ms: t.elapsed().as_millis(),
        outcome,
    });

    // 6. Warehouse sync and three questions.
    let t = Instant::now();
    let outcome = match hub
        .call("analytics.sync", json!({}), CallOpts::default())
        .await
    {
        Ok(v) => format!("data version {}", v["data_version"]),
        Err(e) => {
            all_ok = false;
            format!("failed: {e}")
        }
    };
    phases.push(Phase {
        name: "analytics sync".into(),
        ms: t.elapsed().as_millis(),
        outcome,
    });
    let questions = [
        "spend by channel in the last 7 days".to_owned(),
        "¿cuántos leads tuvimos por canal en los últimos 30 días?".to_owned(),
        format!("revenue by campaign for {} this year", client.id.as_str()),
    ];
    for q in questions {
        let t = Instant::now();
        let outcome = match hub
            .call("analytics.ask", json!({"question": q}), CallOpts::default())
            .await
        {
            Ok(v) => v["answer"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| summarise(&v)),
            Err(e) => {
                all_ok = false;
                format!("failed: {e}")
            }
        };
        phases.push(Phase {
            name: format!("ask: {q}"),
            ms: t.elapsed().as_millis(),
            outcome,
        });
    }
    hub.shutdown().await;

    out("\n## PromptSales demo report\n");
    out("| phase | ms | outcome |\n|---|---:|---|");
    for p in &phases {
        out(&format!(
            "| {} | {} | {} |",
            p.name,
            p.ms,
            p.outcome.replace('|', "/").replace('\n', " ")
        ));
    }
    out(&format!(
        "\ntotal {:.1} s — {}",
        started.elapsed().as_secs_f64(),
        if all_ok {
            "every phase worked"
        } else {
            "some phases were skipped or failed (see above)"
        }
    ));
    out(&format!(
        "inspect: PROMPTSALES_DATA_DIR={} promptsales runs list",
        dir.display()
    ));
    Ok(all_ok)
}

fn summarise(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

const PEOPLE: &[(&str, &str, &str)] = &[
    ("Ana Gómez", "meta", "ana.gomez@example.com"),
    ("Carlos Ruiz", "google_ads", "carlos.ruiz@example.com"),
    ("Lucía Fernández", "email", "lucia.fernandez@example.com"),
    ("Mateo Herrera", "meta", "mateo.herrera@example.com"),
    ("Valentina Ríos", "google_ads", "valentina.rios@example.com"),
    ("Santiago Mora", "meta", "santiago.mora@example.com"),
    ("Camila Torres", "email", "camila.torres@example.com"),
    ("Julián Castro", "google_ads", "julian.castro@example.com"),
];

/// Registers the week's leads and records sales for some of them.
async fn leads_and_sales(
    hub: &Hub,
    client: &promptsales_catalog::Client,
    product: &promptsales_catalog::Product,
    campaign: Option<&str>,
) -> (usize, usize, Vec<String>) {
    let mut leads = Vec::new();
    let mut errors = Vec::new();
    for (name, channel, email) in PEOPLE {
        let mut args = json!({
            "client_id": client.id.as_str(),
            "name": name,
            "email": email,
            "channel": channel,
            "country": client.country.to_string(),
            "consent": true,
        });
        if let Some(c) = campaign {
            args["campaign_id"] = json!(c);
        }
        match hub
            .call("crm.register_lead", args, CallOpts::default())
            .await
        {
            Ok(v) => {
                let id = v["lead"]["id"]
                    .as_str()
                    .or(v["id"].as_str())
                    .or(v["lead_id"].as_str())
                    .map(str::to_owned);
                leads.push((id, *channel));
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let mut sales = 0;
    for (i, (lead, _)) in leads.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let Some(lead) = lead else { continue };
        let mut args = json!({
            "lead_id": lead,
            "client_id": client.id.as_str(),
            "product_id": product.id.as_str(),
            "amount": promptsales_shared::domain::format_cents(product.unit_price_cents * (1 + i as i64 % 2)),
            "currency": product.currency.to_string(),
        });
        if let Some(c) = campaign {
            args["campaign_id"] = json!(c);
        }
        match hub.call("crm.record_sale", args, CallOpts::default()).await {
            Ok(_) => sales += 1,
            Err(e) => errors.push(e.to_string()),
        }
    }
    (leads.len(), sales, errors)
}
