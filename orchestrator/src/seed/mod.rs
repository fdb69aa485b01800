//! A deterministic, realistic data set: clients across LatAm, the US and
//! Spain, their products, campaigns on the canonical channels with daily
//! delivery (weekly seasonality, channel benchmarks), leads moving
//! IQL → MQL → SQL → customer at plausible rates, and the sales they close;
//! sellers whose capacities hold the open leads they were given, and the
//! sub-companies' plans with a realistic mix of them assigned to clients.

pub mod fx;
pub mod inbound;
pub mod plans;
pub mod sellers;

use ads_read::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use crm_read::domain::{Lead, LeadId, LeadStage, Sale, SaleId, Seller, SellerId};
use promptsales_catalog::{Client, Product};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, ProductId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::dataset::Dataset;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub clients: usize,
    pub campaigns: usize,
    /// Length of the history window, ending on `as_of`.
    pub days: u32,
    pub seed: u64,
    pub as_of: NaiveDate,
}

/// (name, industry, home country)
const CLIENTS: &[(&str, &str, &str)] = &[
    ("Café Andino", "food_beverage", "CO"),
    ("Clínica Sonrisa Dental", "healthcare", "MX"),
    ("Moda Urbana Bogotá", "fashion", "CO"),
    ("Inmobiliaria Pacífico", "real_estate", "PE"),
    ("TecnoHogar", "electronics", "MX"),
    ("Vinos del Sur", "food_beverage", "CL"),
    ("Escuela de Idiomas Global", "education", "AR"),
    ("Gimnasio Fuerza Total", "fitness", "CO"),
    ("Seguros Horizonte", "insurance", "ES"),
    ("Sunrise Dental Group", "healthcare", "US"),
    ("Viajes Caribe", "travel", "MX"),
    ("Banco Cooperativo Andes", "finance", "EC"),
    ("Muebles Nórdicos", "home", "ES"),
    ("Pet Paradise", "pets", "US"),
    ("Cervecería Artesanal Patagonia", "food_beverage", "AR"),
    ("Universidad Virtual del Pacífico", "education", "CL"),
    ("Óptica Visión Clara", "healthcare", "PE"),
    ("AutoMotores Guatemala", "automotive", "GT"),
    ("EcoLimpieza", "home", "CR"),
    ("Joyería Esmeralda", "fashion", "CO"),
    ("FinTech Rápido", "finance", "MX"),
    ("Hotel Boutique Cartagena", "travel", "CO"),
    ("Green Coffee Co.", "food_beverage", "US"),
    ("Academia de Cocina Madrid", "education", "ES"),
];

/// (name, category, price in USD) per industry.
fn catalog(industry: &str) -> &'static [(&'static str, &'static str, f64)] {
    match industry {
        "food_beverage" => &[
            ("Origin Coffee 500 g", "coffee", 14.0),
            ("Subscription Box", "subscription", 39.0),
            ("Gift Hamper", "gifts", 65.0),
            ("Tasting Experience", "experiences", 45.0),
        ],
        "healthcare" => &[
            ("Teeth Whitening", "aesthetics", 180.0),
            ("Dental Implant", "implants", 1200.0),
            ("Check-up Plan", "prevention", 60.0),
            ("Orthodontics", "orthodontics", 950.0),
        ],
        "fashion" => &[
            ("Denim Jacket", "outerwear", 70.0),
            ("Leather Boots", "footwear", 120.0),
            ("Silver Necklace", "jewellery", 150.0),
        ],
        "real_estate" => &[
            ("Apartment Reservation", "residential", 2500.0),
            ("Office Lease Deposit", "commercial", 1800.0),
        ],
        "electronics" => &[
            ("Smart TV 55\"", "tv", 520.0),
            ("Wireless Earbuds", "audio", 80.0),
            ("Laptop 14\"", "computers", 900.0),
            ("Extended Warranty", "services", 60.0),
        ],
        "education" => &[
            ("English B2 Course", "courses", 300.0),
            ("Online MBA", "degrees", 4200.0),
            ("Weekend Workshop", "workshops", 90.0),
        ],
        "fitness" => &[
            ("Monthly Membership", "membership", 45.0),
            ("Annual Membership", "membership", 420.0),
            ("Personal Training Pack", "training", 200.0),
        ],
        "insurance" | "finance" => &[
            ("Car Insurance", "insurance", 480.0),
            ("Personal Loan", "credit", 350.0),
            ("Credit Card", "cards", 120.0),
            ("Savings Account", "savings", 50.0),
        ],
        "travel" => &[
            ("Weekend Package", "packages", 650.0),
            ("All-inclusive Week", "packages", 1900.0),
            ("Boutique Night", "rooms", 180.0),
        ],
        "automotive" => &[
            ("Compact SUV Deposit", "vehicles", 1500.0),
            ("Service Plan", "maintenance", 240.0),
        ],
        "pets" => &[
            ("Premium Dog Food 10 kg", "food", 55.0),
            ("Grooming Session", "services", 40.0),
            ("Vet Plan", "health", 150.0),
        ],
        _ => &[
            ("Eco Cleaning Kit", "cleaning", 35.0),
            ("Sofa 3 Seats", "furniture", 850.0),
            ("Dining Table", "furniture", 600.0),
        ],
    }
}

/// Currency of a home country and its units per USD.
fn currency_of(country: &str) -> (&'static str, f64) {
    match country {
        "CO" => ("COP", 4000.0),
        "MX" => ("MXN", 17.0),
        "AR" => ("ARS", 900.0),
        "CL" => ("CLP", 900.0),
        "PE" => ("PEN", 3.7),
        "ES" => ("EUR", 0.92),
        "GT" => ("GTQ", 7.8),
        "CR" => ("CRC", 520.0),
        _ => ("USD", 1.0),
    }
}

fn neighbours(country: &str) -> &'static [&'static str] {
    match country {
        "CO" => &["EC", "PE", "MX"],
        "MX" => &["US", "GT", "CO"],
        "AR" => &["CL", "UY"],
        "CL" => &["AR", "PE"],
        "PE" => &["CO", "CL", "EC"],
        "ES" => &["PT", "MX"],
        "US" => &["MX", "CA"],
        "EC" => &["CO", "PE"],
        "GT" => &["MX", "SV"],
        "CR" => &["PA", "CO"],
        _ => &["US"],
    }
}

fn cities(country: &str) -> &'static [&'static str] {
    match country {
        "CO" => &["Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena"],
        "MX" => &["Ciudad de México", "Guadalajara", "Monterrey", "Puebla"],
        "AR" => &["Buenos Aires", "Córdoba", "Rosario"],
        "CL" => &["Santiago", "Valparaíso", "Concepción"],
        "PE" => &["Lima", "Arequipa", "Trujillo"],
        "ES" => &["Madrid", "Barcelona", "Valencia", "Sevilla"],
        "US" => &["Miami", "New York", "Los Angeles", "Houston"],
        "EC" => &["Quito", "Guayaquil", "Cuenca"],
        "GT" => &["Ciudad de Guatemala", "Quetzaltenango"],
        "CR" => &["San José", "Heredia"],
        "UY" => &["Montevideo"],
        "PT" => &["Lisboa", "Porto"],
        "CA" => &["Toronto", "Vancouver"],
        "SV" => &["San Salvador"],
        "PA" => &["Ciudad de Panamá"],
        _ => &["Capital"],
    }
}

/// Documented channel benchmarks: (CPM in USD, CTR, conversion rate of clicks).
pub fn benchmark(channel: Channel) -> (f64, f64, f64) {
    match channel {
        Channel::GoogleAds => (6.0, 0.035, 0.040),
        Channel::Meta => (8.0, 0.012, 0.025),
        Channel::Instagram => (7.0, 0.009, 0.020),
        Channel::Tiktok => (5.0, 0.010, 0.015),
        Channel::Linkedin => (30.0, 0.005, 0.030),
        Channel::Email => (1.0, 0.025, 0.030),
        Channel::Sms => (15.0, 0.040, 0.030),
        Channel::Whatsapp => (20.0, 0.080, 0.050),
        Channel::Influencer => (12.0, 0.015, 0.020),
        Channel::Web | Channel::Organic => (0.0, 0.020, 0.020),
    }
}

const PAID: &[(Channel, u32)] = &[
    (Channel::Meta, 30),
    (Channel::GoogleAds, 30),
    (Channel::Instagram, 20),
    (Channel::Tiktok, 12),
    (Channel::Email, 10),
    (Channel::Linkedin, 6),
    (Channel::Whatsapp, 6),
    (Channel::Sms, 4),
    (Channel::Influencer, 4),
];

fn weekday_factor(d: NaiveDate) -> f64 {
    match d.weekday() {
        Weekday::Mon => 1.00,
        Weekday::Tue => 1.06,
        Weekday::Wed => 1.08,
        Weekday::Thu => 1.03,
        Weekday::Fri => 0.95,
        Weekday::Sat => 0.78,
        Weekday::Sun => 0.72,
    }
}

/// Rounds `x` up or down at random so that sums stay unbiased.
fn round_prob(rng: &mut StdRng, x: f64) -> i64 {
    let f = x.floor();
    f as i64 + i64::from(rng.random_bool((x - f).clamp(0.0, 1.0)))
}

fn pick_weighted(rng: &mut StdRng, items: &[(Channel, u32)]) -> Channel {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total);
    for (c, w) in items {
        if n < *w {
            return *c;
        }
        n -= w;
    }
    items[0].0
}

fn at_time(rng: &mut StdRng, d: NaiveDate) -> chrono::DateTime<Utc> {
    let secs = rng.random_range(7 * 3600..23 * 3600);
    let t = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or(NaiveTime::MIN);
    Utc.from_utc_datetime(&d.and_time(t))
}

/// Generates the data set. The same spec gives the same rows, always.
pub fn generate(spec: &SeedSpec) -> Result<Dataset, promptsales_shared::AppError> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut ds = Dataset::default();
    let window_start = spec.as_of - Duration::days(i64::from(spec.days.max(1)) - 1);

    // Clients and their products.
    struct ClientInfo {
        id: ClientId,
        country: &'static str,
        currency: Currency,
        per_usd: f64,
        products: Vec<(ProductId, i64)>,
    }
    let mut infos = Vec::with_capacity(spec.clients);
    let mut product_no = 0;
    for i in 0..spec.clients {
        let (name, industry, country) = CLIENTS[i % CLIENTS.len()];
        let name = if i < CLIENTS.len() {
            name.to_owned()
        } else {
            format!("{name} {}", i / CLIENTS.len() + 1)
        };
        let id = ClientId::parse(&format!("cli_{:03}", i + 1))?;
        let (cur, per_usd) = currency_of(country);
        let currency = Currency::parse(cur)?;
        ds.clients.push(Client {
            id: id.clone(),
            name,
            industry: industry.to_owned(),
            country: Country::parse(country)?,
            time_zone: promptsales_shared::domain::TimeZone::of_country(Country::parse(country)?),
        });
        let mut products = Vec::new();
        for (pname, category, usd) in catalog(industry) {
            product_no += 1;
            let pid = ProductId::parse(&format!("prd_{product_no:04}"))?;
            // Prices in local currency, rounded to a "shelf" figure.
            let local = usd * per_usd * rng.random_range(0.9..1.1);
            let step = if local >= 10_000.0 { 100.0 } else { 1.0 };
            let cents = ((local / step).round() * step * 100.0) as i64;
            ds.products.push(Product {
                id: pid.clone(),
                client_id: id.clone(),
                name: (*pname).to_owned(),
                category: (*category).to_owned(),
                unit_price_cents: cents,
                currency,
            });
            products.push((pid, cents));
        }
        infos.push(ClientInfo {
            id,
            country,
            currency,
            per_usd,
            products,
        });
    }

    // Sellers.
    const SELLERS: &[&str] = &[
        "Valentina Ríos",
        "Mateo García",
        "Camila Torres",
        "Santiago López",
        "Isabella Martínez",
        "Sebastián Díaz",
        "Lucía Fernández",
        "Daniel Herrera",
    ];
    for (i, name) in SELLERS.iter().enumerate() {
        ds.sellers.push(Seller {
            id: SellerId::parse(&format!("sel_{:02}", i + 1))?,
            name: (*name).to_owned(),
            active: i != 7,
            capacity: 40 + 10 * (i as i32 % 3),
        });
    }

    let mut lead_no = 0usize;
    let mut sale_no = 0usize;
    let mut push_lead = |rng: &mut StdRng,
                         ds: &mut Dataset,
                         info: &ClientInfo,
                         campaign: Option<&CampaignId>,
                         channel: Channel,
                         country: Country,
                         day: NaiveDate|
     -> Result<(), promptsales_shared::AppError> {
        lead_no += 1;
        let lead_id = LeadId::parse(&format!("lead_{lead_no:07}"))?;
        let created_at = at_time(rng, day);
        let age_days = (spec.as_of - day).num_days();
        // Funnel: IQL → MQL 45%, → SQL 45%, → customer 35%; older leads
        // that stalled are often lost.
        let mut stage = LeadStage::Iql;
        if rng.random_bool(0.45) {
            stage = LeadStage::Mql;
            if rng.random_bool(0.45) {
                stage = LeadStage::Sql;
                if rng.random_bool(0.35) {
                    stage = LeadStage::Customer;
                }
            }
        }
        let mut close_day = None;
        if stage == LeadStage::Customer {
            let d = day + Duration::days(rng.random_range(1..=30));
            if d <= spec.as_of {
                close_day = Some(d);
            } else {
                stage = LeadStage::Sql;
            }
        }
        if stage != LeadStage::Customer && age_days > 45 && rng.random_bool(0.5) {
            stage = LeadStage::Lost;
        }
        let score = match stage {
            LeadStage::Iql => rng.random_range(5..40),
            LeadStage::Mql => rng.random_range(40..65),
            LeadStage::Sql => rng.random_range(65..85),
            LeadStage::Customer => rng.random_range(85..=100),
            LeadStage::Lost => rng.random_range(0..30),
        };
        let city_list = cities(country.as_str());
        let city = city_list[rng.random_range(0..city_list.len())].to_owned();
        let seller =
            (stage != LeadStage::Iql).then(|| ds.sellers[rng.random_range(0..7)].id.clone());
        ds.leads.push(Lead {
            id: lead_id.clone(),
            client_id: info.id.clone(),
            campaign_id: campaign.map(|c| c.as_str().to_owned()),
            channel,
            country,
            city: Some(city.clone()),
            stage,
            score,
            seller_id: seller,
            created_at,
        });
        if let Some(d) = close_day {
            let orders = if rng.random_bool(0.2) { 2 } else { 1 };
            for _ in 0..orders {
                sale_no += 1;
                let (pid, price) = &info.products[rng.random_range(0..info.products.len())];
                let qty = if *price < 100_000 * info.per_usd as i64 {
                    rng.random_range(1..=3)
                } else {
                    1
                };
                ds.sales.push(Sale {
                    id: SaleId::parse(&format!("sale_{sale_no:07}"))?,
                    client_id: info.id.clone(),
                    lead_id: Some(lead_id.clone()),
                    campaign_id: campaign.map(|c| c.as_str().to_owned()),
                    product_id: Some(pid.clone()),
                    channel,
                    country,
                    city: Some(city.clone()),
                    amount_cents: price * qty,
                    currency: info.currency,
                    closed_at: at_time(rng, d),
                });
            }
        }
        Ok(())
    };

    // Campaigns and their daily delivery.
    let width = spec.campaigns.to_string().len().max(5);
    for n in 0..spec.campaigns {
        let ci = rng.random_range(0..infos.len().max(1));
        let Some(info) = infos.get(ci) else { break };
        let objective = match rng.random_range(0..10) {
            0 | 1 => Objective::Awareness,
            2 | 3 => Objective::Traffic,
            4..=6 => Objective::Leads,
            _ => Objective::Sales,
        };
        let n_channels = rng.random_range(1..=3);
        let mut channels: Vec<Channel> = Vec::new();
        while channels.len() < n_channels {
            let c = pick_weighted(&mut rng, PAID);
            if !channels.contains(&c) {
                channels.push(c);
            }
        }
        let mut countries = vec![Country::parse(info.country)?];
        if rng.random_bool(0.3) {
            let nb = neighbours(info.country);
            countries.push(Country::parse(nb[rng.random_range(0..nb.len())])?);
        }
        let duration = rng.random_range(14..=90);
        let span = i64::from(spec.days.max(1));
        let start = window_start + Duration::days(rng.random_range(0..span));
        let end = start + Duration::days(duration - 1);
        let daily_usd: f64 = rng.random_range(20.0..250.0);
        let budget_cents = ((daily_usd * duration as f64 * info.per_usd).round() as i64) * 100;
        let status = if end < spec.as_of {
            CampaignStatus::Completed
        } else if rng.random_bool(0.1) {
            CampaignStatus::Paused
        } else {
            CampaignStatus::Active
        };
        let id = CampaignId::parse(&format!("cmp_{:0width$}", n + 1))?;
        let season = [
            "Spring",
            "Summer",
            "Back to School",
            "Black Friday",
            "Holiday",
            "Launch",
            "Always-on",
        ];
        let name = format!(
            "{} {} {}",
            season[rng.random_range(0..season.len())],
            match objective {
                Objective::Awareness => "Awareness",
                Objective::Traffic => "Traffic",
                Objective::Leads => "Lead Gen",
                Objective::Sales => "Sales",
            },
            start.year()
        );
        ds.campaigns.push(Campaign {
            id: id.clone(),
            client_id: info.id.clone(),
            name,
            objective,
            status,
            budget_cents,
            currency: info.currency,
            start_date: start,
            end_date: end,
            channels: channels.clone(),
            countries: countries.clone(),
        });
        // Share of conversions that become CRM leads, by objective.
        let lead_share = match objective {
            Objective::Awareness => 0.02,
            Objective::Traffic => 0.04,
            Objective::Leads => 0.12,
            Objective::Sales => 0.06,
        };
        let cells = (channels.len() * countries.len()) as f64;
        let mut day = start;
        while day <= end.min(spec.as_of) {
            let f = weekday_factor(day);
            for &channel in &channels {
                let (cpm, ctr, cvr) = benchmark(channel);
                for &country in &countries {
                    let noise = rng.random_range(0.85..1.15);
                    let spend_usd = daily_usd / cells * f * noise;
                    let impressions = round_prob(&mut rng, spend_usd / cpm * 1000.0);
                    let reach = (impressions as f64 * rng.random_range(0.55..0.85)) as i64;
                    let ctr_noise = rng.random_range(0.8..1.2);
                    let clicks =
                        round_prob(&mut rng, impressions as f64 * ctr * ctr_noise).min(impressions);
                    let cvr_noise = rng.random_range(0.7..1.3);
                    let conversions = round_prob(&mut rng, clicks as f64 * cvr * cvr_noise);
                    ds.ad_daily.push(AdDaily {
                        date: day,
                        campaign_id: id.clone(),
                        channel,
                        country,
                        impressions,
                        reach,
                        clicks,
                        spend_cents: (spend_usd * info.per_usd * 100.0).round() as i64,
                        conversions,
                    });
                    let leads = round_prob(&mut rng, conversions as f64 * lead_share);
                    for _ in 0..leads {
                        push_lead(&mut rng, &mut ds, info, Some(&id), channel, country, day)?;
                    }
                }
            }
            day += Duration::days(1);
        }
    }

    // Organic and web leads with no campaign.
    let mut day = window_start;
    while day <= spec.as_of {
        for info in &infos {
            if rng.random_bool(0.25) {
                let channel = if rng.random_bool(0.5) {
                    Channel::Organic
                } else {
                    Channel::Web
                };
                let country = Country::parse(info.country)?;
                push_lead(&mut rng, &mut ds, info, None, channel, country, day)?;
            }
        }
        day += Duration::days(1);
    }

    // Capacities that hold what each seller was given, with a quarter
    // more room (and never below 40): assignment works on the seed.
    for seller in &mut ds.sellers {
        let open = ds
            .leads
            .iter()
            .filter(|l| {
                l.seller_id.as_ref() == Some(&seller.id)
                    && matches!(l.stage, LeadStage::Iql | LeadStage::Mql | LeadStage::Sql)
            })
            .count() as f64;
        let room = ((open * 1.25 + 10.0) / 10.0).ceil() as i32 * 10;
        seller.capacity = room.max(40);
    }

    let uses: Vec<plans::ClientUse> = infos
        .iter()
        .map(|i| plans::ClientUse {
            id: i.id.clone(),
            currency: i.currency,
            per_usd: i.per_usd,
        })
        .collect();
    let (all, assigned) = plans::plans(&uses, &ds.campaigns, &ds.leads, spec.as_of);
    ds.plans = all;
    ds.plan_assignments = assigned;
    inbound::add_unanswered(&mut ds, spec);
    // Rates for every currency used, over every day a fact is dated.
    let levels: std::collections::BTreeMap<Currency, f64> =
        infos.iter().map(|i| (i.currency, i.per_usd)).collect();
    let days = ds
        .ad_daily
        .iter()
        .map(|a| a.date)
        .chain(ds.sales.iter().map(|s| s.closed_at.date_naive()))
        .chain(ds.leads.iter().map(|l| l.created_at.date_naive()));
    let (first, last) = days.fold((window_start, spec.as_of), |(a, b), d| (a.min(d), b.max(d)));
    ds.fx_rates = fx::daily_rates(spec.seed, &levels, first, last)?;
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SeedSpec {
        SeedSpec {
            clients: 6,
            campaigns: 40,
            days: 120,
            seed: 7,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        }
    }

    #[test]
    fn same_seed_same_data() {
        let a = generate(&spec()).unwrap();
        let b = generate(&spec()).unwrap();
        assert_eq!(a.ad_daily, b.ad_daily);
        assert_eq!(a.leads, b.leads);
        assert_eq!(a.sales, b.sales);
        let c = generate(&SeedSpec { seed: 8, ..spec() }).unwrap();
        assert_ne!(a.ad_daily, c.ad_daily);
    }

    #[test]
    fn every_amount_has_a_usd_rate_within_the_fallback_window() {
        let ds = generate(&spec()).unwrap();
        let rates = crate::seed::fx::tests_support::index(&ds.fx_rates);
        let campaign_cur: std::collections::HashMap<_, _> = ds
            .campaigns
            .iter()
            .map(|c| (c.id.clone(), c.currency))
            .collect();
        let dated = ds
            .ad_daily
            .iter()
            .map(|a| (campaign_cur[&a.campaign_id], a.date))
            .chain(
                ds.sales
                    .iter()
                    .map(|s| (s.currency, s.closed_at.date_naive())),
            )
            .chain(ds.products.iter().map(|p| (p.currency, spec().as_of)));
        let mut currencies = std::collections::BTreeSet::new();
        for (cur, day) in dated {
            currencies.insert(cur);
            if cur.as_str() == "USD" {
                continue;
            }
            let ok = (0..=7).any(|back| rates.contains(&(cur, day - Duration::days(back))));
            assert!(ok, "no {cur} rate within 7 days before {day}");
        }
        assert!(currencies.len() > 2, "{currencies:?}");
        assert!(
            ds.fx_rates
                .iter()
                .all(|r| r.base.as_str() == "USD" && r.rate > 0.0)
        );
        assert_eq!(ds.fx_rates, generate(&spec()).unwrap().fx_rates);
    }

    #[test]
    fn rows_obey_the_domain_rules_and_the_window() {
        let s = spec();
        let ds = generate(&s).unwrap();
        assert_eq!(ds.clients.len(), 6);
        assert_eq!(ds.campaigns.len(), 40);
        for c in &ds.campaigns {
            c.validate().unwrap();
        }
        for r in &ds.ad_daily {
            r.validate().unwrap();
            assert!(r.date <= s.as_of);
        }
        for l in &ds.leads {
            l.validate().unwrap();
        }
        for sale in &ds.sales {
            sale.validate().unwrap();
            assert!(sale.closed_at.date_naive() <= s.as_of);
        }
    }

    #[test]
    fn the_funnel_narrows_at_plausible_rates() {
        let ds = generate(&SeedSpec {
            campaigns: 200,
            days: 365,
            ..spec()
        })
        .unwrap();
        let n = ds.leads.len() as f64;
        let reached = |stages: &[LeadStage]| {
            ds.leads
                .iter()
                .filter(|l| stages.contains(&l.stage))
                .count() as f64
                / n
        };
        let customers = reached(&[LeadStage::Customer]);
        assert!(n > 1000.0, "{n} leads");
        assert!(
            (0.03..0.12).contains(&customers),
            "customer rate {customers}"
        );
        assert!(ds.sales.len() as f64 >= customers * n);
        let countries: std::collections::BTreeSet<_> =
            ds.ad_daily.iter().map(|r| r.country).collect();
        assert!(countries.len() >= 8, "{countries:?}");
    }
}
