//! A typed data set of every context's rows: what `seed` generates and what
//! `import` parses, written through each context's import writer or out as
//! BRIEF §4 CSV.

use std::path::Path;

use ads_read::domain::{AdDaily, Campaign};
use crm_read::domain::{Interaction, Lead, Sale, Seller};
use promptsales_catalog::{Client, Plan, Product};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, format_cents};
use promptsales_shared::time::{format_date, format_ts};

use crate::stores::Stores;

/// Rows of every table, in dependency order.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    pub clients: Vec<Client>,
    pub products: Vec<Product>,
    pub campaigns: Vec<Campaign>,
    pub ad_daily: Vec<AdDaily>,
    pub sellers: Vec<Seller>,
    pub leads: Vec<Lead>,
    /// Messages from leads (seed only: not a BRIEF §4 file).
    pub interactions: Vec<Interaction>,
    pub sales: Vec<Sale>,
    /// The sub-companies' plans (seed only: not a BRIEF §4 file).
    pub plans: Vec<Plan>,
    /// Which client is on which plan (one per sub-company).
    pub plan_assignments: Vec<(ClientId, String)>,
    /// Exchange rates for reporting in one currency (`fx_rates.csv`).
    pub fx_rates: Vec<analytics_read::FxRate>,
}

/// Rows changed per table by a write.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written(pub Vec<(&'static str, u64)>);

/// How many rows go to a repository call at once: large enough to amortise
/// round trips, small enough to keep memory and lock times modest.
const BATCH: usize = 20_000;

impl Dataset {
    /// Writes every row through its context's import writer (upsert by id).
    /// Ads and CRM live in different databases and are written concurrently.
    pub async fn write(&self, stores: &Stores) -> Result<Written, AppError> {
        let t = &stores.tenant;
        let mut clients = 0;
        for c in &self.clients {
            clients += u64::from(stores.catalog.upsert_client(t, c).await?);
        }
        let mut products = 0;
        for p in &self.products {
            products += u64::from(stores.catalog.upsert_product(t, p).await?);
        }
        let mut plans = 0;
        for p in &self.plans {
            plans += u64::from(stores.catalog.upsert_plan(t, p).await?);
        }
        for (client, plan) in &self.plan_assignments {
            stores.catalog.assign_plan(t, client, plan).await?;
        }
        let ads = async {
            let mut campaigns = 0;
            for chunk in self.campaigns.chunks(BATCH) {
                campaigns += stores.ads.upsert_campaigns(t, chunk).await?;
            }
            let mut daily = 0;
            for chunk in self.ad_daily.chunks(BATCH) {
                daily += stores.ads.upsert_ad_daily(t, chunk).await?;
            }
            Ok::<_, AppError>((campaigns, daily))
        };
        let crm = async {
            let sellers = stores.crm.upsert_sellers(t, &self.sellers).await?;
            let mut leads = 0;
            for chunk in self.leads.chunks(BATCH) {
                leads += stores.crm.upsert_leads(t, chunk).await?;
            }
            let mut interactions = 0;
            for chunk in self.interactions.chunks(BATCH) {
                interactions += stores.crm.upsert_interactions(t, chunk).await?;
            }
            let mut sales = 0;
            for chunk in self.sales.chunks(BATCH) {
                sales += stores.crm.upsert_sales(t, chunk).await?;
            }
            Ok::<_, AppError>((sellers, leads, interactions, sales))
        };
        let ((campaigns, daily), (sellers, leads, interactions, sales)) =
            tokio::try_join!(ads, crm)?;
        let mut fx_rates = 0;
        for chunk in self.fx_rates.chunks(BATCH) {
            fx_rates +=
                analytics_read::upsert_fx_rates(&stores.analytics, t, chunk, "seed").await?;
        }
        Ok(Written(vec![
            ("clients", clients),
            ("products", products),
            ("plans", plans),
            ("campaigns", campaigns),
            ("ad_daily", daily),
            ("sellers", sellers),
            ("leads", leads),
            ("interactions", interactions),
            ("sales", sales),
            ("fx_rates", fx_rates),
        ]))
    }

    /// Writes the BRIEF §4 CSV files into `dir`.
    pub fn write_csv(&self, dir: &Path) -> Result<(), csv::Error> {
        std::fs::create_dir_all(dir)?;
        if !self.fx_rates.is_empty() {
            let mut w = csv::Writer::from_path(dir.join("fx_rates.csv"))?;
            w.write_record(["date", "currency", "rate", "base"])?;
            for r in &self.fx_rates {
                w.write_record([
                    format_date(r.date).as_str(),
                    r.currency.as_str(),
                    &r.rate.to_string(),
                    r.base.as_str(),
                ])?;
            }
            w.flush()?;
        }
        let mut w = csv::Writer::from_path(dir.join("clients.csv"))?;
        // BRIEF §4's columns, and the optional time zone import reads.
        w.write_record(["client_id", "name", "industry", "country", "time_zone"])?;
        for c in &self.clients {
            w.write_record([
                c.id.as_str(),
                &c.name,
                &c.industry,
                c.country.as_str(),
                c.time_zone.as_str(),
            ])?;
        }
        w.flush()?;

        let mut w = csv::Writer::from_path(dir.join("products.csv"))?;
        w.write_record([
            "product_id",
            "client_id",
            "name",
            "category",
            "unit_price",
            "currency",
        ])?;
        for p in &self.products {
            w.write_record([
                p.id.as_str(),
                p.client_id.as_str(),
                &p.name,
                &p.category,
                &format_cents(p.unit_price_cents),
                p.currency.as_str(),
            ])?;
        }
        w.flush()?;

        let mut w = csv::Writer::from_path(dir.join("campaigns.csv"))?;
        w.write_record([
            "campaign_id",
            "client_id",
            "name",
            "objective",
            "status",
            "budget",
            "currency",
            "start_date",
            "end_date",
        ])?;
        for c in &self.campaigns {
            w.write_record([
                c.id.as_str(),
                c.client_id.as_str(),
                &c.name,
                c.objective.as_str(),
                c.status.as_str(),
                &format_cents(c.budget_cents),
                c.currency.as_str(),
                &format_date(c.start_date),
                &format_date(c.end_date),
            ])?;
        }
        w.flush()?;

        let mut w = csv::Writer::from_path(dir.join("ad_daily.csv"))?;
        w.write_record([
            "date",
            "campaign_id",
            "channel",
            "country",
            "impressions",
            "reach",
            "clicks",
            "spend",
            "conversions",
        ])?;
        for r in &self.ad_daily {
            w.write_record([
                &format_date(r.date),
                r.campaign_id.as_str(),
                r.channel.as_str(),
                r.country.as_str(),
                &r.impressions.to_string(),
                &r.reach.to_string(),
                &r.clicks.to_string(),
                &format_cents(r.spend_cents),
                &r.conversions.to_string(),
            ])?;
        }
        w.flush()?;

        let mut w = csv::Writer::from_path(dir.join("leads.csv"))?;
        w.write_record([
            "lead_id",
            "client_id",
            "campaign_id",
            "channel",
            "country",
            "city",
            "created_at",
            "stage",
        ])?;
        for l in &self.leads {
            w.write_record([
                l.id.as_str(),
                l.client_id.as_str(),
                l.campaign_id.as_deref().unwrap_or(""),
                l.channel.as_str(),
                l.country.as_str(),
                l.city.as_deref().unwrap_or(""),
                &format_ts(l.created_at),
                l.stage.as_str(),
            ])?;
        }
        w.flush()?;

        let mut w = csv::Writer::from_path(dir.join("sales.csv"))?;
        w.write_record([
            "sale_id",
            "client_id",
            "lead_id",
            "campaign_id",
            "product_id",
            "channel",
            "country",
            "city",
            "amount",
            "currency",
            "closed_at",
        ])?;
        for s in &self.sales {
            w.write_record([
                s.id.as_str(),
                s.client_id.as_str(),
                s.lead_id.as_ref().map(|l| l.as_str()).unwrap_or(""),
                s.campaign_id.as_deref().unwrap_or(""),
                s.product_id.as_ref().map(|p| p.as_str()).unwrap_or(""),
                s.channel.as_str(),
                s.country.as_str(),
                s.city.as_deref().unwrap_or(""),
                &format_cents(s.amount_cents),
                s.currency.as_str(),
                &format_ts(s.closed_at),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}
