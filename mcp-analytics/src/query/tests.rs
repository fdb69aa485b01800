//! Compiler unit tests: the SQL text and the ratio arithmetic.

use chrono::NaiveDate;

use super::*;
use crate::domain::spec::QuerySpec;

fn valid(json: serde_json::Value) -> ValidSpec {
    serde_json::from_value::<QuerySpec>(json)
        .unwrap()
        .validate(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap())
        .unwrap()
}

#[test]
fn compiles_one_parameterised_group_by_per_fact() {
    let s = valid(serde_json::json!({
        "metrics": ["roas", "clicks"],
        "dimensions": ["channel"],
        "filters": [{"field": "country", "op": "eq", "value": "MX"}],
        "time_range": {"type": "relative", "period": "last_quarter"}
    }));
    let t = TenantId::parse("t1").unwrap();
    let ads = compile(&s, Fact::Ads, s.range.as_ref(), &t);
    assert_eq!(
        ads.sql,
        "SELECT channel AS d0, currency AS cur, CAST(SUM(clicks) AS BIGINT) AS clicks, \
         CAST(SUM(spend_cents) AS BIGINT) AS spend_cents \
         FROM wh_ad_daily WHERE tenant_id = $1 AND date >= $2 AND date <= $3 AND country IN ($4) \
         GROUP BY channel, currency"
    );
    assert_eq!(ads.params, vec!["t1", "2026-07-01", "2026-09-30", "MX"]);
    let sales = compile(&s, Fact::Sales, s.range.as_ref(), &t);
    assert!(sales.sql.contains("FROM wh_sales"), "{}", sales.sql);
    assert!(sales.sql.contains("SUM(amount_cents)"), "{}", sales.sql);
}

#[test]
fn a_reporting_currency_reads_money_by_day_and_leads_whole() {
    let s = valid(serde_json::json!({
        "metrics": ["cpl"], "dimensions": ["client"], "currency": "USD"
    }));
    let t = TenantId::parse("t1").unwrap();
    let ads = compile(&s, Fact::Ads, None, &t);
    assert!(
        ads.sql.ends_with("GROUP BY client_id, currency, date"),
        "{}",
        ads.sql
    );
    // Leads carry no money: never split by currency, so every lead of
    // the client counts, campaign or not.
    let leads = compile(&s, Fact::Leads, None, &t);
    assert_eq!(
        leads.sql,
        "SELECT client_id AS d0, CAST(COUNT(*) AS BIGINT) AS leads FROM wh_leads \
         WHERE tenant_id = $1 GROUP BY client_id"
    );
}

#[test]
fn user_values_never_reach_the_sql_text() {
    let s = valid(serde_json::json!({
        "metrics": ["leads"],
        "filters": [{"field": "city", "op": "eq", "value": "x'); DROP TABLE wh_leads; --"}]
    }));
    let st = compile(&s, Fact::Leads, None, &TenantId::parse("t").unwrap());
    assert!(!st.sql.contains("DROP"), "{}", st.sql);
    assert!(st.params.iter().any(|p| p.contains("DROP")));
}

#[test]
fn ratios_come_from_summed_parts_and_zero_denominators_are_null() {
    let mut s = Sums::new();
    s.insert(Base::Clicks, 30.0);
    s.insert(Base::Impressions, 1000.0);
    s.insert(Base::SpendCents, 12_345.0);
    s.insert(Base::RevenueCents, 0.0);
    assert_eq!(metric_value(Metric::Ctr, &s), Some(0.03));
    assert_eq!(metric_value(Metric::Cpc, &s), Some(4.12));
    assert_eq!(metric_value(Metric::Spend, &s), Some(123.45));
    assert_eq!(metric_value(Metric::Cpa, &s), None);
    assert_eq!(metric_value(Metric::Roi, &s), Some(-1.0));
    s.insert(Base::RevenueCents, 24_690.0);
    assert_eq!(metric_value(Metric::Roas, &s), Some(2.0));
    assert_eq!(metric_value(Metric::Roi, &s), Some(1.0));
}
