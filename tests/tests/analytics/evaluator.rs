//! The independent evaluator: every expected answer computed in plain Rust
//! over the seeded rows (BRIEF §5: two-fact metrics over the whole group,
//! money within each currency), never through the query compiler under test.

use super::*;

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

// ---- an independent evaluator over the seeded rows ------------------------

/// One fact row, whatever its table, with what questions can ask of it.
pub(super) struct Row {
    pub(super) fact: char, // 'a' ads, 'l' leads, 's' sales
    pub(super) date: NaiveDate,
    pub(super) campaign: Option<String>,
    pub(super) client: String,
    pub(super) channel: String,
    pub(super) country: String,
    pub(super) city: Option<String>,
    pub(super) product: Option<String>,
    pub(super) product_name: Option<String>,
    pub(super) objective: Option<String>,
    pub(super) currency: Option<String>,
    // impressions, reach, clicks, spend_cents, conversions, revenue_cents
    pub(super) v: [i64; 6],
}

pub(super) fn rows(ds: &Dataset) -> Vec<Row> {
    let camp: HashMap<&str, &Campaign> = ds.campaigns.iter().map(|c| (c.id.as_str(), c)).collect();
    let product_names: HashMap<&str, &str> = ds
        .products
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let obj = |o: Objective| o.as_str().to_owned();
    let mut out = Vec::new();
    for a in &ds.ad_daily {
        let c = camp[a.campaign_id.as_str()];
        out.push(Row {
            fact: 'a',
            date: a.date,
            campaign: Some(a.campaign_id.as_str().into()),
            client: c.client_id.as_str().into(),
            channel: a.channel.as_str().into(),
            country: a.country.as_str().into(),
            city: None,
            product: None,
            product_name: None,
            objective: Some(obj(c.objective)),
            currency: Some(c.currency.as_str().into()),
            v: [
                a.impressions,
                a.reach,
                a.clicks,
                a.spend_cents,
                a.conversions,
                0,
            ],
        });
    }
    for l in &ds.leads {
        let c = l.campaign_id.as_deref().map(|id| camp[id]);
        out.push(Row {
            fact: 'l',
            date: l.created_at.date_naive(),
            campaign: l.campaign_id.clone(),
            client: l.client_id.as_str().into(),
            channel: l.channel.as_str().into(),
            country: l.country.as_str().into(),
            city: l.city.clone(),
            product: None,
            product_name: None,
            objective: c.map(|c| obj(c.objective)),
            currency: c.map(|c| c.currency.as_str().to_owned()),
            v: [0; 6],
        });
    }
    for s in &ds.sales {
        let c = s.campaign_id.as_deref().map(|id| camp[id]);
        out.push(Row {
            fact: 's',
            date: s.closed_at.date_naive(),
            campaign: s.campaign_id.clone(),
            client: s.client_id.as_str().into(),
            channel: s.channel.as_str().into(),
            country: s.country.as_str().into(),
            city: s.city.clone(),
            product: s.product_id.as_ref().map(|p| p.as_str().to_owned()),
            product_name: s
                .product_id
                .as_ref()
                .and_then(|p| product_names.get(p.as_str()))
                .map(|n| (*n).to_owned()),
            objective: c.map(|c| obj(c.objective)),
            currency: Some(s.currency.as_str().into()),
            v: [0, 0, 0, 0, 0, s.amount_cents],
        });
    }
    out
}

pub(super) fn dim(r: &Row, name: &str) -> Option<String> {
    match name {
        "campaign" => r.campaign.clone(),
        "client" => Some(r.client.clone()),
        "channel" => Some(r.channel.clone()),
        "country" => Some(r.country.clone()),
        "city" => r.city.clone(),
        "product" => r.product.clone(),
        "objective" => r.objective.clone(),
        "day" => Some(r.date.to_string()),
        "week" => {
            let w = r.date.iso_week();
            Some(format!("{}-W{:02}", w.year(), w.week()))
        }
        "month" => Some(format!("{}-{:02}", r.date.year(), r.date.month())),
        "quarter" => Some(format!("{}-Q{}", r.date.year(), r.date.month0() / 3 + 1)),
        "year" => Some(r.date.year().to_string()),
        other => panic!("dimension {other}"),
    }
}

/// A result row: dimension values (and currency), then metric values.
pub(super) type Line = (Vec<Option<String>>, Vec<Option<f64>>);

/// Per group: impressions, reach, clicks, spend, conversions, revenue, leads, sales.
pub(super) type Acc = [f64; 8];

pub(super) fn facts_of(metric: &str) -> &'static [char] {
    match metric {
        "revenue" | "sales_count" | "aov" => &['s'],
        "spend" | "impressions" | "reach" | "clicks" | "conversions" | "ctr" | "cpc" | "cpa" => {
            &['a']
        }
        "leads" => &['l'],
        "cpl" => &['a', 'l'],
        "conversion_rate" => &['l', 's'],
        "roas" | "roi" => &['a', 's'],
        m => panic!("metric {m}"),
    }
}

pub(super) fn value(metric: &str, a: &Acc) -> Option<f64> {
    let div = |x: f64, y: f64| {
        if y == 0.0 || y.is_nan() || x.is_nan() {
            None
        } else {
            Some(x / y)
        }
    };
    let cents = |x: Option<f64>| x.map(|v| (v).round() / 100.0);
    match metric {
        "impressions" => Some(a[0]),
        "reach" => Some(a[1]),
        "clicks" => Some(a[2]),
        "spend" => Some(a[3] / 100.0),
        "conversions" => Some(a[4]),
        "revenue" => Some(a[5] / 100.0),
        "leads" => Some(a[6]),
        "sales_count" => Some(a[7]),
        "aov" => cents(div(a[5], a[7])),
        "ctr" => div(a[2], a[0]),
        "cpc" => cents(div(a[3], a[2])),
        "cpa" => cents(div(a[3], a[4])),
        "cpl" => cents(div(a[3], a[6])),
        "conversion_rate" => div(a[7], a[6]),
        "roas" => div(a[5], a[3]),
        "roi" => div(a[5] - a[3], a[3]),
        m => panic!("metric {m}"),
    }
}

pub(super) fn money(metrics: &[&str]) -> bool {
    metrics.iter().any(|m| {
        [
            "revenue", "aov", "spend", "cpc", "cpa", "cpl", "roas", "roi",
        ]
        .contains(m)
    })
}

/// What a question must return.
pub(super) struct Expect {
    pub(super) q: &'static str,
    pub(super) metrics: &'static [&'static str],
    pub(super) dims: &'static [&'static str],
    pub(super) range: Option<(&'static str, &'static str)>,
    pub(super) filter: fn(&Row) -> bool,
    /// (metric, descending, n) for top/bottom questions.
    pub(super) rank: Option<(&'static str, bool, usize)>,
    pub(super) compare: Option<(&'static str, &'static str)>,
}

pub(super) fn aggregate(
    all: &[Row],
    e: &Expect,
    range: Option<(&str, &str)>,
) -> BTreeMap<Vec<Option<String>>, Acc> {
    let facts: Vec<char> = e
        .metrics
        .iter()
        .flat_map(|m| facts_of(m).iter().copied())
        .collect();
    let mut groups: BTreeMap<Vec<Option<String>>, Acc> = BTreeMap::new();
    for r in all.iter().filter(|r| facts.contains(&r.fact)) {
        if let Some((from, to)) = range
            && (r.date < d(from) || r.date > d(to))
        {
            continue;
        }
        if !(e.filter)(r) {
            continue;
        }
        let mut key: Vec<Option<String>> = e.dims.iter().map(|n| dim(r, n)).collect();
        if money(e.metrics) {
            // BRIEF §5: only a fact that brings money is split by currency;
            // leads count for the whole group (placed below).
            key.push(if r.fact == 'l' {
                None
            } else {
                r.currency.clone()
            });
        }
        let a = groups.entry(key).or_insert([0.0; 8]);
        for (slot, v) in a.iter_mut().zip(r.v) {
            *slot += v as f64;
        }
        match r.fact {
            'l' => a[6] += 1.0,
            's' => a[7] += 1.0,
            _ => {}
        }
    }
    if money(e.metrics) && e.metrics.iter().any(|m| facts_of(m).contains(&'l')) {
        place_leads(&mut groups);
    }
    groups
}

/// The leads of a group (gathered under no currency) joined to its money
/// row: to the one currency the group spent in; unknown (NaN) when it spent
/// in several, as they cannot be split; left alone when it spent nothing.
pub(super) fn place_leads(groups: &mut BTreeMap<Vec<Option<String>>, Acc>) {
    let lead_keys: Vec<Vec<Option<String>>> = groups
        .keys()
        .filter(|k| k.last().is_some_and(Option::is_none))
        .cloned()
        .collect();
    for lk in lead_keys {
        let dims = &lk[..lk.len() - 1];
        let money_rows: Vec<Vec<Option<String>>> = groups
            .keys()
            .filter(|k| k[..k.len() - 1] == *dims && k.last().is_some_and(Option::is_some))
            .cloned()
            .collect();
        if money_rows.is_empty() {
            // Leads and no spend: no currency to state a cost in.
            if let Some(a) = groups.get_mut(&lk) {
                a[3] = f64::NAN;
            }
            continue;
        }
        let leads = groups.remove(&lk).map_or(0.0, |a| a[6]);
        for k in &money_rows {
            if let Some(a) = groups.get_mut(k) {
                a[6] = if money_rows.len() == 1 {
                    a[6] + leads
                } else {
                    f64::NAN
                };
            }
        }
    }
}

pub(super) fn expected(all: &[Row], e: &Expect) -> Vec<Line> {
    let mut cur = aggregate(all, e, e.range);
    // BRIEF §5: a question with no dimension returns one row, even when
    // nothing matched (money needs a currency to report, so not then).
    if cur.is_empty() && e.dims.is_empty() && !money(e.metrics) {
        cur.insert(Vec::new(), [0.0; 8]);
    }
    let prev = e.compare.map(|r| aggregate(all, e, Some(r)));
    let mut out: Vec<Line> = cur
        .iter()
        .map(|(k, a)| {
            let mut vals = Vec::new();
            for m in e.metrics {
                let v = value(m, a);
                vals.push(v);
                if let Some(p) = &prev {
                    let pv = p.get(k).and_then(|pa| value(m, pa));
                    vals.push(pv);
                    vals.push(match (v, pv) {
                        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p * 100.0),
                        _ => None,
                    });
                }
            }
            (k.clone(), vals)
        })
        .collect();
    if let Some((metric, desc, n)) = e.rank {
        let i = e.metrics.iter().position(|m| *m == metric).unwrap()
            * if prev.is_some() { 3 } else { 1 };
        out.retain(|(k, v)| k.iter().all(Option::is_some) && v[i].is_some());
        // Money without a reporting currency ranks within each currency
        // (the limit applies per currency).
        let currency_of = |l: &Line| {
            money(e.metrics)
                .then(|| l.0.last().cloned().flatten())
                .flatten()
        };
        out.sort_by(|a, b| {
            let o = a.1[i].partial_cmp(&b.1[i]).unwrap();
            let o = if desc { o.reverse() } else { o };
            currency_of(a)
                .cmp(&currency_of(b))
                .then(o)
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut taken: BTreeMap<Option<String>, usize> = BTreeMap::new();
        out.retain(|l| {
            let t = taken.entry(currency_of(l)).or_default();
            *t += 1;
            *t <= n
        });
    }
    out
}

/// The tool's rows as (key, values), dropping `*_name` columns.
pub(super) fn actual(result: &Value, e: &Expect) -> Result<Vec<Line>, String> {
    let columns: Vec<String> = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut key_cols: Vec<String> = e.dims.iter().map(|s| s.to_string()).collect();
    if money(e.metrics) {
        key_cols.push("currency".into());
    }
    let mut val_cols = Vec::new();
    for m in e.metrics {
        val_cols.push(m.to_string());
        if e.compare.is_some() {
            val_cols.push(format!("{m}_previous"));
            val_cols.push(format!("{m}_change_pct"));
        }
    }
    if let Some(c) = key_cols
        .iter()
        .chain(&val_cols)
        .find(|c| !columns.contains(c))
    {
        return Err(format!(
            "{}: no column {c} in {columns:?}; query: {}",
            e.q, result["query"]
        ));
    }
    let idx = |c: &String| columns.iter().position(|x| x == c).unwrap_or(0);
    Ok(result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = key_cols
                .iter()
                .map(|c| row[idx(c)].as_str().map(str::to_owned))
                .collect();
            let vals = val_cols.iter().map(|c| row[idx(c)].as_f64()).collect();
            (key, vals)
        })
        .collect())
}

pub(super) fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

pub(super) fn check(e: &Expect, result: &Value, all: &[Row], label: &str) -> Result<(), String> {
    let want = expected(all, e);
    let got = actual(result, e).map_err(|m| format!("[{label}] {m}"))?;
    let sort = |mut v: Vec<Line>| {
        if e.rank.is_none() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        v
    };
    let (want, got) = (sort(want), sort(got));
    let wk: Vec<_> = want.iter().map(|r| &r.0).collect();
    let gk: Vec<_> = got.iter().map(|r| &r.0).collect();
    if wk != gk {
        return Err(format!(
            "[{label}] {}: groups differ\n  expected {wk:?}\n  got      {gk:?}\n  answer: {}\n  query: {}",
            e.q, result["answer"], result["query"]
        ));
    }
    for (w, g) in want.iter().zip(&got) {
        for (i, (a, b)) in w.1.iter().zip(&g.1).enumerate() {
            if !close(*a, *b) {
                return Err(format!(
                    "[{label}] {}: group {:?} value {i}: expected {a:?}, got {b:?}",
                    e.q, w.0
                ));
            }
        }
    }
    if result["answer"].as_str().unwrap_or("").is_empty() {
        return Err(format!("[{label}] {}: empty answer", e.q));
    }
    if !result["sql"].as_str().unwrap_or("").contains("SELECT") {
        return Err(format!("[{label}] {}: no SQL", e.q));
    }
    Ok(())
}

pub(super) fn all(_: &Row) -> bool {
    true
}
