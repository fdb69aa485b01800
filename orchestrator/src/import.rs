//! `promptsales import --dir DIR`: the BRIEF §4 CSV files, upserted by id
//! through each context's import writer. Every bad row is reported with file,
//! line and reason; good rows are imported regardless. `clients.csv` may
//! carry an optional `time_zone` column (IANA; default the country's zone).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use ads_read::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
use crm_read::domain::{Lead, LeadId, LeadStage, Sale, SaleId};
use promptsales_catalog::{Client, Product};
use promptsales_shared::AppError;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Currency, ProductId, TimeZone, parse_cents, required_text,
    validate_id,
};
use promptsales_shared::time::{parse_date, parse_ts};
use serde::Serialize;

use crate::stores::Stores;

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub file: &'static str,
    pub line: u64,
    pub reason: String,
}

/// Outcome for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub file: &'static str,
    /// Data rows read (header excluded).
    pub read: u64,
    /// Rows accepted (inserted, updated or already identical).
    pub accepted: u64,
    /// Rows that changed something in the database.
    pub changed: u64,
    pub rejected: u64,
}

/// Outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    pub fn has_rejections(&self) -> bool {
        !self.rejected.is_empty()
    }
}

/// A file that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a directory")]
    NotADirectory(String),
    #[error(
        "no BRIEF §4 CSV file (clients.csv, products.csv, campaigns.csv, ad_daily.csv, leads.csv, sales.csv, fx_rates.csv) in {0}"
    )]
    NothingToImport(String),
    #[error(transparent)]
    App(#[from] AppError),
}

const FILES: &[(&str, &[&str])] = &[
    ("clients.csv", &["client_id", "name", "industry", "country"]),
    (
        "products.csv",
        &[
            "product_id",
            "client_id",
            "name",
            "category",
            "unit_price",
            "currency",
        ],
    ),
    (
        "campaigns.csv",
        &[
            "campaign_id",
            "client_id",
            "name",
            "objective",
            "status",
            "budget",
            "currency",
            "start_date",
            "end_date",
        ],
    ),
    (
        "ad_daily.csv",
        &[
            "date",
            "campaign_id",
            "channel",
            "country",
            "impressions",
            "reach",
            "clicks",
            "spend",
            "conversions",
        ],
    ),
    (
        "leads.csv",
        &[
            "lead_id",
            "client_id",
            "campaign_id",
            "channel",
            "country",
            "city",
            "created_at",
            "stage",
        ],
    ),
    (
        "sales.csv",
        &[
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
        ],
    ),
    // Exchange rates for the reporting currency: one unit of `base` buys
    // `rate` units of `currency` on `date`.
    ("fx_rates.csv", &["date", "currency", "rate", "base"]),
];

/// Columns a file may add to BRIEF §4's: `clients.csv` may name each
/// client's IANA `time_zone` (else its country's).
const OPTIONAL: &[(&str, &[&str])] = &[("clients.csv", &["time_zone"])];

fn optional_columns(file: &str) -> &'static [&'static str] {
    OPTIONAL
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// A CSV row addressed by column name.
struct Row<'a> {
    cols: &'a HashMap<&'static str, usize>,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, col: &str) -> &str {
        self.cols
            .get(col)
            .and_then(|i| self.rec.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }
    fn opt(&self, col: &str) -> Option<&str> {
        Some(self.get(col)).filter(|v| !v.is_empty())
    }
    fn count(&self, col: &str) -> Result<i64, AppError> {
        let v = self.get(col);
        v.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::invalid(col, "a whole number, zero or more", v))
    }
    fn text(&self, col: &str, max: usize) -> Result<String, AppError> {
        required_text(col, self.get(col), max)
    }
}

/// Reads one file into (line, result) pairs, checking the header and the
/// column count of every row.
fn read_file<T>(
    dir: &Path,
    file: &'static str,
    columns: &[&'static str],
    report: &mut ImportReport,
    mut parse: impl FnMut(&Row<'_>) -> Result<T, AppError>,
) -> Option<Vec<(u64, T)>> {
    let path = dir.join(file);
    if !path.exists() {
        return None;
    }
    let mut fr = FileReport {
        file,
        read: 0,
        accepted: 0,
        changed: 0,
        rejected: 0,
    };
    let mut reader = match csv::ReaderBuilder::new().flexible(true).from_path(&path) {
        Ok(r) => r,
        Err(e) => {
            report.rejected.push(Rejected {
                file,
                line: 1,
                reason: format!("cannot read the file: {e}"),
            });
            fr.rejected += 1;
            report.files.push(fr);
            return Some(Vec::new());
        }
    };
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
            .collect(),
        Err(e) => {
            report.rejected.push(Rejected {
                file,
                line: 1,
                reason: format!("unreadable header: {e}"),
            });
            fr.rejected += 1;
            report.files.push(fr);
            return Some(Vec::new());
        }
    };
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        report.rejected.push(Rejected {
            file,
            line: 1,
            reason: format!(
                "header lacks column(s) {}; expected {}",
                missing.join(", "),
                columns.join(",")
            ),
        });
        fr.rejected += 1;
        report.files.push(fr);
        return Some(Vec::new());
    }
    let cols: HashMap<&'static str, usize> = columns
        .iter()
        .chain(optional_columns(file))
        .filter_map(|c| header.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(line);
                if rec.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                fr.read += 1;
                if rec.len() != header.len() {
                    fr.rejected += 1;
                    report.rejected.push(Rejected {
                        file,
                        line,
                        reason: format!("expected {} columns, found {}", header.len(), rec.len()),
                    });
                    continue;
                }
                match parse(&Row {
                    cols: &cols,
                    rec: &rec,
                }) {
                    Ok(v) => out.push((line, v)),
                    Err(e) => {
                        fr.rejected += 1;
                        report.rejected.push(Rejected {
                            file,
                            line,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            Err(e) => {
                fr.read += 1;
                fr.rejected += 1;
                report.rejected.push(Rejected {
                    file,
                    line: e.position().map(|p| p.line()).unwrap_or(line),
                    reason: format!("malformed CSV: {e}"),
                });
                // The reader cannot resync after an I/O or UTF-8 error.
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    report.files.push(fr);
    Some(out)
}

fn accept(report: &mut ImportReport, file: &'static str, accepted: usize, changed: u64) {
    if let Some(f) = report.files.iter_mut().find(|f| f.file == file) {
        f.accepted += accepted as u64;
        f.changed += changed;
    }
}

fn columns(file: &str) -> &'static [&'static str] {
    FILES
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// Imports every BRIEF §4 file present in `dir`.
pub async fn import_dir(stores: &Stores, dir: &Path) -> Result<ImportReport, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NotADirectory(dir.display().to_string()));
    }
    if !FILES.iter().any(|(f, _)| dir.join(f).exists()) {
        return Err(ImportError::NothingToImport(dir.display().to_string()));
    }
    let t = &stores.tenant;
    let mut report = ImportReport::default();

    // clients
    let mut known_clients: HashSet<String> = stores
        .catalog_read
        .list_clients(t)
        .await?
        .into_iter()
        .map(|c| c.id.into_string())
        .collect();
    if let Some(rows) = read_file(
        dir,
        "clients.csv",
        columns("clients.csv"),
        &mut report,
        |r| {
            let country = Country::parse(r.get("country"))?;
            Ok(Client {
                id: ClientId::parse(r.get("client_id"))?,
                name: r.text("name", 200)?,
                industry: r.text("industry", 100)?,
                country,
                time_zone: match r.opt("time_zone") {
                    Some(tz) => TimeZone::parse_field("time_zone", tz)?,
                    None => TimeZone::of_country(country),
                },
            })
        },
    ) {
        let mut changed = 0;
        for (_, c) in &rows {
            changed += u64::from(stores.catalog.upsert_client(t, c).await?);
            known_clients.insert(c.id.as_str().to_owned());
        }
        accept(&mut report, "clients.csv", rows.len(), changed);
    }

    // products
    let mut product_client: HashMap<String, String> = stores
        .catalog_read
        .list_products(t, None)
        .await?
        .into_iter()
        .map(|p| (p.id.into_string(), p.client_id.into_string()))
        .collect();
    if let Some(rows) = read_file(
        dir,
        "products.csv",
        columns("products.csv"),
        &mut report,
        |r| {
            let client_id = ClientId::parse(r.get("client_id"))?;
            if !known_clients.contains(client_id.as_str()) {
                return Err(AppError::invalid(
                    "client_id",
                    "the id of a known client",
                    client_id.as_str(),
                ));
            }
            let unit_price_cents = parse_cents("unit_price", r.get("unit_price"))?;
            if unit_price_cents < 0 {
                return Err(AppError::invalid(
                    "unit_price",
                    "zero or a positive amount",
                    r.get("unit_price"),
                ));
            }
            Ok(Product {
                id: ProductId::parse(r.get("product_id"))?,
                client_id,
                name: r.text("name", 200)?,
                category: r.text("category", 100)?,
                unit_price_cents,
                currency: Currency::parse(r.get("currency"))?,
            })
        },
    ) {
        let mut changed = 0;
        for (_, p) in &rows {
            changed += u64::from(stores.catalog.upsert_product(t, p).await?);
            product_client.insert(p.id.as_str().to_owned(), p.client_id.as_str().to_owned());
        }
        accept(&mut report, "products.csv", rows.len(), changed);
    }

    // campaigns (channels and countries come from their ad rows)
    let mut campaign_client: HashMap<String, String> = stores
        .ads_read
        .campaign_refs(t)
        .await?
        .into_iter()
        .map(|(id, r)| (id, r.client_id.into_string()))
        .collect();
    let campaigns = read_file(
        dir,
        "campaigns.csv",
        columns("campaigns.csv"),
        &mut report,
        |r| {
            let client_id = ClientId::parse(r.get("client_id"))?;
            if !known_clients.contains(client_id.as_str()) {
                return Err(AppError::invalid(
                    "client_id",
                    "the id of a known client",
                    client_id.as_str(),
                ));
            }
            let c = Campaign {
                id: CampaignId::parse(r.get("campaign_id"))?,
                client_id,
                name: r.text("name", 200)?,
                objective: Objective::parse(r.get("objective"))?,
                status: CampaignStatus::parse(r.get("status"))?,
                budget_cents: parse_cents("budget", r.get("budget"))?,
                currency: Currency::parse(r.get("currency"))?,
                start_date: parse_date("start_date", r.get("start_date"))?,
                end_date: parse_date("end_date", r.get("end_date"))?,
                channels: Vec::new(),
                countries: Vec::new(),
            };
            c.validate()?;
            Ok(c)
        },
    );
    let csv_campaigns: HashSet<String> = campaigns
        .iter()
        .flatten()
        .map(|(_, c)| c.id.as_str().to_owned())
        .collect();
    let ad_rows = read_file(
        dir,
        "ad_daily.csv",
        columns("ad_daily.csv"),
        &mut report,
        |r| {
            let campaign_id = CampaignId::parse(r.get("campaign_id"))?;
            if !campaign_client.contains_key(campaign_id.as_str())
                && !csv_campaigns.contains(campaign_id.as_str())
            {
                return Err(AppError::invalid(
                    "campaign_id",
                    "the id of a known campaign",
                    campaign_id.as_str(),
                ));
            }
            let row = AdDaily {
                date: parse_date("date", r.get("date"))?,
                campaign_id,
                channel: Channel::parse(r.get("channel"))?,
                country: Country::parse(r.get("country"))?,
                impressions: r.count("impressions")?,
                reach: r.count("reach")?,
                clicks: r.count("clicks")?,
                spend_cents: parse_cents("spend", r.get("spend"))?,
                conversions: r.count("conversions")?,
            };
            row.validate()?;
            Ok(row)
        },
    );
    if let Some(rows) = campaigns {
        let mut reach: HashMap<&str, (BTreeSet<Channel>, BTreeSet<Country>)> = HashMap::new();
        for (_, a) in ad_rows.iter().flatten() {
            let e = reach.entry(a.campaign_id.as_str()).or_default();
            e.0.insert(a.channel);
            e.1.insert(a.country);
        }
        let mut list = Vec::with_capacity(rows.len());
        for (_, mut c) in rows {
            match reach.get(c.id.as_str()) {
                Some((ch, co)) => {
                    c.channels = ch.iter().copied().collect();
                    c.countries = co.iter().copied().collect();
                }
                None => {
                    // No delivery in this import: keep what is stored.
                    if let Ok(existing) = stores.ads_read.get_campaign(t, &c.id).await {
                        c.channels = existing.channels;
                        c.countries = existing.countries;
                    }
                }
            }
            list.push(c);
        }
        let changed = stores.ads.upsert_campaigns(t, &list).await?;
        for c in &list {
            campaign_client.insert(c.id.as_str().to_owned(), c.client_id.as_str().to_owned());
        }
        accept(&mut report, "campaigns.csv", list.len(), changed);
    }
    if let Some(rows) = ad_rows {
        let list: Vec<AdDaily> = rows.into_iter().map(|(_, r)| r).collect();
        let changed = stores.ads.upsert_ad_daily(t, &list).await?;
        accept(&mut report, "ad_daily.csv", list.len(), changed);
    }

    // leads
    let mut lead_client: HashMap<String, String> = stores
        .crm
        .lead_refs(t)
        .await?
        .into_iter()
        .map(|(id, c)| (id, c.into_string()))
        .collect();
    let check_campaign = |field: &str, id: Option<&str>, campaigns: &HashMap<String, String>| {
        id.map(|c| {
            let c = validate_id(field, c)?;
            if campaigns.contains_key(&c) {
                Ok(c)
            } else {
                Err(AppError::invalid(field, "the id of a known campaign", c))
            }
        })
        .transpose()
    };
    if let Some(rows) = read_file(dir, "leads.csv", columns("leads.csv"), &mut report, |r| {
        let client_id = ClientId::parse(r.get("client_id"))?;
        if !known_clients.contains(client_id.as_str()) {
            return Err(AppError::invalid(
                "client_id",
                "the id of a known client",
                client_id.as_str(),
            ));
        }
        let lead = Lead {
            id: LeadId::parse(r.get("lead_id"))?,
            client_id,
            campaign_id: check_campaign("campaign_id", r.opt("campaign_id"), &campaign_client)?,
            channel: Channel::parse(r.get("channel"))?,
            country: Country::parse(r.get("country"))?,
            city: r
                .opt("city")
                .map(|c| required_text("city", c, 100))
                .transpose()?,
            stage: LeadStage::parse(r.get("stage"))?,
            score: 0,
            seller_id: None,
            created_at: parse_ts("created_at", r.get("created_at"))?,
        };
        lead.validate()?;
        Ok(lead)
    }) {
        let list: Vec<Lead> = rows.into_iter().map(|(_, l)| l).collect();
        let changed = stores.crm.upsert_leads(t, &list).await?;
        for l in &list {
            lead_client.insert(l.id.as_str().to_owned(), l.client_id.as_str().to_owned());
        }
        accept(&mut report, "leads.csv", list.len(), changed);
    }

    // sales
    if let Some(rows) = read_file(dir, "sales.csv", columns("sales.csv"), &mut report, |r| {
        let client_id = ClientId::parse(r.get("client_id"))?;
        if !known_clients.contains(client_id.as_str()) {
            return Err(AppError::invalid(
                "client_id",
                "the id of a known client",
                client_id.as_str(),
            ));
        }
        let lead_id = r.opt("lead_id").map(LeadId::parse).transpose()?;
        if let Some(l) = &lead_id
            && !lead_client.contains_key(l.as_str())
        {
            return Err(AppError::invalid(
                "lead_id",
                "the id of a known lead",
                l.as_str(),
            ));
        }
        let product_id = r.opt("product_id").map(ProductId::parse).transpose()?;
        if let Some(p) = &product_id {
            match product_client.get(p.as_str()) {
                None => {
                    return Err(AppError::invalid(
                        "product_id",
                        "the id of a known product",
                        p.as_str(),
                    ));
                }
                Some(owner) if owner != client_id.as_str() => {
                    return Err(AppError::invalid(
                        "product_id",
                        format!("a product of client {client_id}"),
                        p.as_str(),
                    ));
                }
                Some(_) => {}
            }
        }
        let sale = Sale {
            id: SaleId::parse(r.get("sale_id"))?,
            client_id,
            lead_id,
            campaign_id: check_campaign("campaign_id", r.opt("campaign_id"), &campaign_client)?,
            product_id,
            channel: Channel::parse(r.get("channel"))?,
            country: Country::parse(r.get("country"))?,
            city: r
                .opt("city")
                .map(|c| required_text("city", c, 100))
                .transpose()?,
            amount_cents: parse_cents("amount", r.get("amount"))?,
            currency: Currency::parse(r.get("currency"))?,
            closed_at: parse_ts("closed_at", r.get("closed_at"))?,
        };
        sale.validate()?;
        Ok(sale)
    }) {
        let list: Vec<Sale> = rows.into_iter().map(|(_, s)| s).collect();
        let changed = stores.crm.upsert_sales(t, &list).await?;
        accept(&mut report, "sales.csv", list.len(), changed);
    }
    // exchange rates
    if let Some(rows) = read_file(
        dir,
        "fx_rates.csv",
        columns("fx_rates.csv"),
        &mut report,
        |r| {
            let v = r.get("rate");
            let rate: f64 = v.parse().map_err(|_| {
                AppError::invalid(
                    "rate",
                    "a positive decimal number of `currency` per one `base`",
                    v,
                )
            })?;
            analytics_read::FxRate::new(
                parse_date("date", r.get("date"))?,
                Currency::parse_field("base", r.get("base"))?,
                Currency::parse_field("currency", r.get("currency"))?,
                rate,
            )
        },
    ) {
        let list: Vec<analytics_read::FxRate> = rows.into_iter().map(|(_, f)| f).collect();
        let changed =
            analytics_read::upsert_fx_rates(&stores.analytics, t, &list, "import").await?;
        accept(&mut report, "fx_rates.csv", list.len(), changed);
    }
    report.rejected.sort_by(|a, b| {
        let order = |f: &str| FILES.iter().position(|(n, _)| *n == f).unwrap_or(99);
        (order(a.file), a.line).cmp(&(order(b.file), b.line))
    });
    Ok(report)
}
