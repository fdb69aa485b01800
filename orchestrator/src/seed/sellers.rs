//! The seed's sellers and the countries they cover, and names for the
//! leads the morning digest shows first: the CRM owns a seller's countries (its import writer leaves them alone), so after the rows are written `promptsales seed` sets them through `crm.upsert_seller` — every country with leads covered by three active sellers, so `assign_lead by_country` works on the seed.

use std::collections::BTreeSet;

use promptsales_shared::config::CommonArgs;
use serde_json::{Value, json};

use crate::client::config::forwarded_env;
use crate::client::{CallOpts, HubConfig, Tools};
use crate::dataset::Dataset;

/// Active sellers covering each country.
const PER_COUNTRY: usize = 3;

/// Each seller's countries: the leads' countries in order, each given to
/// `PER_COUNTRY` consecutive active sellers (round the team), so every
/// country is covered and the work spreads evenly.
pub fn seller_countries(ds: &Dataset) -> Vec<(String, Vec<String>)> {
    let countries: BTreeSet<&str> = ds.leads.iter().map(|l| l.country.as_str()).collect();
    let active: Vec<&str> = ds
        .sellers
        .iter()
        .filter(|s| s.active)
        .map(|s| s.id.as_str())
        .collect();
    let mut out: Vec<(String, Vec<String>)> = ds
        .sellers
        .iter()
        .map(|s| (s.id.as_str().to_owned(), Vec::new()))
        .collect();
    if active.is_empty() {
        return out;
    }
    for (k, country) in countries.iter().enumerate() {
        for j in 0..PER_COUNTRY.min(active.len()) {
            let seller = active[(k + j) % active.len()];
            if let Some((_, list)) = out.iter_mut().find(|(id, _)| id == seller) {
                list.push((*country).to_owned());
            }
        }
    }
    out
}

/// Sets every seeded seller's countries through the CRM (name, capacity
/// and activity as seeded). Returns how many sellers were updated.
pub async fn cover_countries(tools: &dyn Tools, ds: &Dataset) -> Result<usize, String> {
    let mut done = 0;
    for (id, countries) in seller_countries(ds) {
        let Some(s) = ds.sellers.iter().find(|s| s.id.as_str() == id) else {
            continue;
        };
        let args: Value = json!({
            "seller_id": id,
            "name": s.name,
            "capacity": s.capacity,
            "active": s.active,
            "countries": countries,
        });
        tools
            .call("crm.upsert_seller", args, CallOpts::default())
            .await
            .map_err(|e| e.to_string())?;
        done += 1;
    }
    Ok(done)
}

/// First and last names the seed gives the leads a seller will see first.
const FIRST: &[&str] = &[
    "Mateo",
    "Lucía",
    "Santiago",
    "Valentina",
    "Sebastián",
    "Camila",
    "Diego",
    "Mariana",
    "Andrés",
    "Isabella",
    "Tomás",
    "Sofía",
    "Emilia",
    "Joaquín",
    "Renata",
    "Martín",
];
const LAST: &[&str] = &[
    "Gómez",
    "Rodríguez",
    "Pérez",
    "Torres",
    "Ramírez",
    "Flores",
    "Vargas",
    "Castro",
    "Morales",
    "Rojas",
    "Herrera",
    "Medina",
    "Silva",
    "Ortega",
    "Navarro",
    "Ríos",
];

/// A deterministic name for a lead id (FNV-1a over the id).
fn name_for(lead_id: &str) -> String {
    let h = lead_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let first = FIRST[(h % FIRST.len() as u64) as usize];
    let last = LAST[((h >> 16) % LAST.len() as u64) as usize];
    format!("{first} {last}")
}

/// Names the leads due for a follow-up (those the morning digest shows
/// first, at most `max`) through `crm.update_lead`: the import writers
/// never carry personal data, so only the CRM can store (and encrypt) a
/// name. Returns how many were named.
pub async fn name_due_leads(tools: &dyn Tools, max: usize) -> Result<usize, String> {
    let mut named = 0;
    let mut cursor: Option<String> = None;
    while named < max {
        let mut args = json!({"limit": 500});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = tools
            .call("crm.follow_ups_due", args, CallOpts::default())
            .await
            .map_err(|e| e.to_string())?;
        let items = page["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["items"].as_array().into_iter().flatten());
        for item in items {
            let (Some(id), true) = (item["lead_id"].as_str(), item["name"].is_null()) else {
                continue;
            };
            if named >= max {
                break;
            }
            tools
                .call(
                    "crm.update_lead",
                    json!({"lead_id": id, "name": name_for(id)}),
                    CallOpts::default(),
                )
                .await
                .map_err(|e| e.to_string())?;
            named += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    Ok(named)
}

/// Reaches the CRM server alone (`PROMPTSALES_CRM_URL`, or `mcp-crm`
/// spawned beside `promptsales` with this command's configuration) and sets
/// the sellers' countries.
pub async fn cover_countries_through_crm(args: &CommonArgs, ds: &Dataset) -> anyhow::Result<usize> {
    let mut config = HubConfig::from_lookup(&|k| match k {
        "PROMPTSALES_SERVERS" => Some("crm".to_owned()),
        _ => std::env::var(k).ok(),
    })?;
    let env = forwarded_env(args);
    for server in &mut config.servers {
        server.env = env.clone();
    }
    let hub = crate::sync::connect(config).await?;
    let done = cover_countries(&hub, ds).await;
    // Names for the leads the digest shows first (a seller reads names).
    let named = match &done {
        Ok(_) => name_due_leads(&hub, 1000).await,
        Err(_) => Ok(0),
    };
    hub.shutdown().await;
    if let Err(e) = named {
        tracing::warn!(error = %e, "leads due for a follow-up were not named");
    }
    done.map_err(|e| anyhow::anyhow!(e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use chrono::NaiveDate;

    use super::*;
    use crate::seed::{SeedSpec, generate};

    #[test]
    fn seeded_names_are_stable_per_lead() {
        assert_eq!(name_for("lead_00042"), name_for("lead_00042"));
        assert!(name_for("lead_00042").contains(' '));
        let distinct: BTreeSet<String> = (0..100)
            .map(|i| name_for(&format!("lead_{i:05}")))
            .collect();
        assert!(distinct.len() > 40, "{}", distinct.len());
    }

    #[test]
    fn every_country_with_leads_has_three_active_sellers() {
        let ds = generate(&SeedSpec {
            clients: 8,
            campaigns: 60,
            days: 90,
            seed: 3,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        })
        .unwrap();
        let cover = seller_countries(&ds);
        let countries: BTreeSet<&str> = ds.leads.iter().map(|l| l.country.as_str()).collect();
        for c in &countries {
            let n = cover
                .iter()
                .filter(|(id, list)| {
                    list.iter().any(|x| x == c)
                        && ds.sellers.iter().any(|s| s.id.as_str() == id && s.active)
                })
                .count();
            assert_eq!(n, PER_COUNTRY, "{c}: {cover:?}");
        }
        // The inactive seller covers nothing new.
        let inactive = ds.sellers.iter().find(|s| !s.active).unwrap();
        let (_, list) = cover
            .iter()
            .find(|(id, _)| id == inactive.id.as_str())
            .unwrap();
        assert!(list.is_empty());
        // Capacities hold every seller's open leads with room to spare.
        for s in &ds.sellers {
            let open = ds
                .leads
                .iter()
                .filter(|l| {
                    l.seller_id.as_ref() == Some(&s.id)
                        && matches!(
                            l.stage,
                            crm_read::domain::LeadStage::Iql
                                | crm_read::domain::LeadStage::Mql
                                | crm_read::domain::LeadStage::Sql
                        )
                })
                .count() as i32;
            assert!(
                s.capacity >= open + 10,
                "{}: {open} of {}",
                s.id.as_str(),
                s.capacity
            );
        }
    }
}
