//! `promptsales plans list | set | assign`: the sub-companies' subscription plans as data — listed with their limits in major units, written from a JSON file or from flags through the catalog writer, and assigned to clients.

use std::path::Path;

use promptsales_catalog::{CatalogReader, CatalogWriter, Limit, LimitKind, Plan, SubCompany};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Currency, TenantId, Vocabulary as _, parse_cents};
use serde_json::{Value, json};

use super::out;
use crate::pipeline::review::money;

/// `promptsales plans …`.
#[derive(Debug, clap::Subcommand)]
pub enum PlansCmd {
    /// Every plan with its limits and the clients on it.
    List {
        /// Only this sub-company's plans (content, ads, crm, analytics).
        #[arg(long)]
        context: Option<String>,
        /// As JSON (the format `set` reads).
        #[arg(long)]
        json: bool,
    },
    /// Add or replace plans: from a JSON file (one plan or an array; money
    /// limits in hundredths with their currency), or one plan from flags.
    Set {
        /// A JSON file of plans.
        file: Option<std::path::PathBuf>,
        #[arg(long, conflicts_with = "file")]
        id: Option<String>,
        /// content, ads, crm or analytics.
        #[arg(long, conflicts_with = "file")]
        context: Option<String>,
        #[arg(long, conflicts_with = "file")]
        name: Option<String>,
        /// `kind=value`, repeated; money in major units with its currency:
        /// `monthly_ad_spend=5000.00:USD`.
        #[arg(long = "limit", conflicts_with = "file")]
        limits: Vec<String>,
    },
    /// Put a client on a plan (at the plan's sub-company).
    Assign { client: String, plan: String },
}

/// Runs a `plans` command against the catalog.
pub async fn run(
    cmd: PlansCmd,
    reader: &CatalogReader,
    writer: &CatalogWriter,
    tenant: &TenantId,
) -> Result<(), AppError> {
    match cmd {
        PlansCmd::List { context, json } => {
            let context = context.as_deref().map(SubCompany::parse).transpose()?;
            list(reader, tenant, context, json).await
        }
        PlansCmd::Set {
            file: Some(file), ..
        } => set(writer, tenant, &read_plans(&file)?).await,
        PlansCmd::Set {
            file: None,
            id,
            context,
            name,
            limits,
        } => {
            let missing =
                |f: &str| AppError::invalid(f, "a value (or a JSON file of plans)", "nothing");
            let plan = Plan {
                id: id.ok_or_else(|| missing("id"))?,
                context: SubCompany::parse(&context.ok_or_else(|| missing("context"))?)?,
                name: name.ok_or_else(|| missing("name"))?,
                limits: limits
                    .iter()
                    .map(|l| parse_limit(l))
                    .collect::<Result<_, _>>()?,
            };
            set(writer, tenant, &[plan]).await
        }
        PlansCmd::Assign { client, plan } => assign(writer, reader, tenant, &client, &plan).await,
    }
}

/// A limit as a person reads it: `1,000`, or money in major units.
pub fn limit_text(l: &Limit) -> String {
    match l.currency {
        Some(c) => money(l.value, c.as_str()),
        None => group(l.value),
    }
}

fn group(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Parses `--limit kind=value` (money: `monthly_ad_spend=5000.00:USD`,
/// in major units).
pub fn parse_limit(raw: &str) -> Result<Limit, AppError> {
    let (kind, value) = raw.split_once('=').ok_or_else(|| {
        AppError::invalid(
            "limit",
            "kind=value, e.g. active_campaigns=5 or monthly_ad_spend=5000.00:USD",
            raw,
        )
    })?;
    let kind = LimitKind::parse(kind.trim())?;
    if kind == LimitKind::MonthlyAdSpend {
        let (amount, currency) = value.split_once(':').ok_or_else(|| {
            AppError::invalid(
                "limit",
                "money with its currency, e.g. monthly_ad_spend=5000.00:USD",
                raw,
            )
        })?;
        return Ok(Limit {
            kind,
            value: parse_cents("limit", amount.trim())?,
            currency: Some(Currency::parse(currency.trim())?),
        });
    }
    let value = value
        .trim()
        .replace([',', '_'], "")
        .parse::<i64>()
        .map_err(|_| AppError::invalid("limit", "a whole number", raw))?;
    Ok(Limit {
        kind,
        value,
        currency: None,
    })
}

/// Plans from a JSON file: one plan or an array (money limits in
/// hundredths with their currency, as `plans list --json` prints them).
pub fn read_plans(path: &Path) -> Result<Vec<Plan>, AppError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AppError::invalid(
            "file",
            "a readable JSON file of plans",
            format!("{}: {}", path.display(), e.kind()),
        )
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        AppError::invalid("file", "JSON: a plan or an array of plans", e.to_string())
    })?;
    let items = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    items
        .into_iter()
        .map(|p| {
            serde_json::from_value::<Plan>(p).map_err(|e| {
                AppError::invalid(
                    "file",
                    "plans with id, context, name and limits [{kind, value, currency?}]",
                    e.to_string(),
                )
            })
        })
        .collect()
}

/// `plans list`: every plan with its limits and the clients on it.
pub async fn list(
    reader: &CatalogReader,
    tenant: &TenantId,
    context: Option<SubCompany>,
    json_out: bool,
) -> Result<(), AppError> {
    let plans = reader.list_plans(tenant, context).await?;
    let clients = reader.list_clients(tenant).await?;
    let mut on: Vec<(String, String)> = Vec::new();
    for c in &clients {
        for ctx in SubCompany::ALL {
            if let Some(p) = reader.plan_of(tenant, &c.id, *ctx).await? {
                on.push((p.id, c.id.as_str().to_owned()));
            }
        }
    }
    let clients_on = |plan: &str| -> Vec<String> {
        on.iter()
            .filter(|(p, _)| p == plan)
            .map(|(_, c)| c.clone())
            .collect()
    };
    if json_out {
        let v: Vec<Value> = plans
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                v["clients"] = json!(clients_on(&p.id));
                v
            })
            .collect();
        out(&serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    if plans.is_empty() {
        out("no plans: add one with `promptsales plans set`");
    }
    for p in &plans {
        let limits: Vec<String> = p
            .limits
            .iter()
            .map(|l| format!("{} {}", l.kind.as_str(), limit_text(l)))
            .collect();
        let who = clients_on(&p.id);
        out(&format!(
            "{:<18} {:<10} {:<16} {}",
            p.id,
            p.context.as_str(),
            p.name,
            limits.join(", ")
        ));
        if !who.is_empty() {
            out(&format!("    clients: {}", who.join(", ")));
        }
    }
    Ok(())
}

/// `plans set`: validates and stores each plan (insert or replace).
pub async fn set(
    writer: &CatalogWriter,
    tenant: &TenantId,
    plans: &[Plan],
) -> Result<(), AppError> {
    if plans.is_empty() {
        return Err(AppError::invalid("plans", "at least one plan", "none"));
    }
    for p in plans {
        p.validate()?;
    }
    for p in plans {
        let changed = writer.upsert_plan(tenant, p).await?;
        out(&format!(
            "plan {} ({} {}) {}",
            p.id,
            p.context.as_str(),
            p.name,
            if changed { "saved" } else { "unchanged" }
        ));
    }
    Ok(())
}

/// `plans assign CLIENT PLAN`: the client is on this plan at the plan's
/// sub-company from now on.
pub async fn assign(
    writer: &CatalogWriter,
    reader: &CatalogReader,
    tenant: &TenantId,
    client: &str,
    plan: &str,
) -> Result<(), AppError> {
    let client = ClientId::parse(client)?;
    writer.assign_plan(tenant, &client, plan).await?;
    let p = reader
        .plan(tenant, plan)
        .await?
        .ok_or_else(|| AppError::not_found("plan", plan))?;
    out(&format!(
        "{} is on {} ({}) at {}",
        client.as_str(),
        p.id,
        p.name,
        p.context.as_str()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn limits_from_flags_and_as_people_read_them() {
        let l = parse_limit("monthly_ad_spend=20000000.00:COP").unwrap();
        assert_eq!(l.value, 2_000_000_000);
        assert_eq!(limit_text(&l), "20.000.000 COP");
        let l = parse_limit("active_campaigns=12").unwrap();
        assert_eq!((l.value, l.currency), (12, None));
        assert_eq!(
            limit_text(&parse_limit("leads_stored=20_000").unwrap()),
            "20,000"
        );
        for bad in [
            "active_campaigns",
            "active_campaigns=many",
            "monthly_ad_spend=100",
            "nope=1",
        ] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
