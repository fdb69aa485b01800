//! The semantic layer as data: every metric and dimension of BRIEF §5 with
//! its definition, SQL per backend, unit and English/Spanish synonyms. The
//! compiler, the parser and the `analytics://semantic-model` resource all
//! read this one table.

use promptsales_shared::vocabulary;
use serde::Serialize;

vocabulary! {
    /// A canonical metric name.
    pub enum Metric("metric") {
        Revenue => "revenue",
        SalesCount => "sales_count",
        Aov => "aov",
        Spend => "spend",
        Impressions => "impressions",
        Reach => "reach",
        Clicks => "clicks",
        Conversions => "conversions",
        Leads => "leads",
        Ctr => "ctr",
        Cpc => "cpc",
        Cpa => "cpa",
        Cpl => "cpl",
        ConversionRate => "conversion_rate",
        Roas => "roas",
        Roi => "roi",
    }
}

vocabulary! {
    /// A canonical dimension name, time grains included.
    pub enum Dimension("dimension") {
        Campaign => "campaign",
        Client => "client",
        Channel => "channel",
        Country => "country",
        City => "city",
        Product => "product",
        Objective => "objective",
        Day => "day",
        Week => "week",
        Month => "month",
        Quarter => "quarter",
        Year => "year",
    }
}

/// The three fact tables of the warehouse.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// `wh_ad_daily`: impressions, reach, clicks, spend, conversions by date.
    Ads,
    /// `wh_leads`: one row per lead, dated by `created_at`.
    Leads,
    /// `wh_sales`: one row per sale, dated by `closed_at`.
    Sales,
}

impl Fact {
    pub fn table(self) -> &'static str {
        match self {
            Fact::Ads => "wh_ad_daily",
            Fact::Leads => "wh_leads",
            Fact::Sales => "wh_sales",
        }
    }
}

/// What a metric's numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A whole number.
    Count,
    /// An amount in the row's currency, rounded to cents.
    Money,
    /// A unitless ratio (0.034 = 3.4 %), unrounded.
    Ratio,
}

/// A base aggregate one fact table computes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    Impressions,
    Reach,
    Clicks,
    SpendCents,
    Conversions,
    Leads,
    SalesCount,
    RevenueCents,
}

impl Base {
    pub fn fact(self) -> Fact {
        match self {
            Base::Impressions
            | Base::Reach
            | Base::Clicks
            | Base::SpendCents
            | Base::Conversions => Fact::Ads,
            Base::Leads => Fact::Leads,
            Base::SalesCount | Base::RevenueCents => Fact::Sales,
        }
    }

    /// Whether the aggregate is an amount of money (in its row's currency).
    pub fn is_money(self) -> bool {
        matches!(self, Base::SpendCents | Base::RevenueCents)
    }

    /// Column alias in the compiled SQL.
    pub fn alias(self) -> &'static str {
        match self {
            Base::Impressions => "impressions",
            Base::Reach => "reach",
            Base::Clicks => "clicks",
            Base::SpendCents => "spend_cents",
            Base::Conversions => "conversions",
            Base::Leads => "leads",
            Base::SalesCount => "sales_count",
            Base::RevenueCents => "revenue_cents",
        }
    }

    /// The aggregate, identical on SQLite and PostgreSQL (the cast keeps
    /// PostgreSQL's `SUM(bigint)` from turning into NUMERIC).
    pub fn sql(self) -> &'static str {
        match self {
            Base::Impressions => "CAST(SUM(impressions) AS BIGINT)",
            Base::Reach => "CAST(SUM(reach) AS BIGINT)",
            Base::Clicks => "CAST(SUM(clicks) AS BIGINT)",
            Base::SpendCents => "CAST(SUM(spend_cents) AS BIGINT)",
            Base::Conversions => "CAST(SUM(conversions) AS BIGINT)",
            Base::Leads => "CAST(COUNT(*) AS BIGINT)",
            Base::SalesCount => "CAST(COUNT(*) AS BIGINT)",
            Base::RevenueCents => "CAST(SUM(amount_cents) AS BIGINT)",
        }
    }
}

/// How a metric is computed from base aggregates. Ratios are computed from
/// the summed parts over the whole group, never averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Formula {
    Base {
        base: Base,
    },
    Ratio {
        numerator: Base,
        denominator: Base,
    },
    /// (revenue − spend) / spend
    Roi,
}

/// One metric of the semantic model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MetricDef {
    pub name: Metric,
    pub description: &'static str,
    pub unit: Unit,
    pub formula: Formula,
    /// Display format hint: `integer`, `money`, `percent`, `ratio`.
    pub format: &'static str,
    pub sql_sqlite: &'static str,
    pub sql_postgres: &'static str,
    pub synonyms_en: &'static [&'static str],
    pub synonyms_es: &'static [&'static str],
}

impl MetricDef {
    /// Base aggregates the metric needs.
    pub fn bases(&self) -> Vec<Base> {
        match self.formula {
            Formula::Base { base } => vec![base],
            Formula::Ratio {
                numerator,
                denominator,
            } => vec![numerator, denominator],
            Formula::Roi => vec![Base::RevenueCents, Base::SpendCents],
        }
    }

    /// Fact tables the metric reads.
    pub fn facts(&self) -> Vec<Fact> {
        let mut f: Vec<Fact> = self.bases().into_iter().map(Base::fact).collect();
        f.sort();
        f.dedup();
        f
    }
}

macro_rules! metric {
    ($name:ident, $unit:ident, $format:literal, $formula:expr, $sql:literal, $desc:literal,
     en: [$($en:literal),*], es: [$($es:literal),*]) => {
        MetricDef {
            name: Metric::$name,
            description: $desc,
            unit: Unit::$unit,
            formula: $formula,
            format: $format,
            sql_sqlite: $sql,
            sql_postgres: $sql,
            synonyms_en: &[$($en),*],
            synonyms_es: &[$($es),*],
        }
    };
}

/// Every metric. Synonyms are matched accent- and case-insensitively,
/// longest first, so list multi-word phrases freely.
pub static METRICS: &[MetricDef] = &[
    metric!(Revenue, Money, "money", Formula::Base { base: Base::RevenueCents },
        "SUM(wh_sales.amount_cents) / 100.0",
        "Sum of sales amounts, in the sales' currency.",
        en: ["revenue", "sales revenue", "income", "turnover", "sales amount", "how much we sold", "how much did we sell", "total sales", "sales", "sold"],
        es: ["ingresos", "ventas", "facturacion", "facturado", "cuanto vendimos", "monto de ventas", "importe de ventas", "total vendido", "vendimos", "ingreso", "vendio", "vendieron", "vendido", "facturamos", "facturaron"]),
    metric!(SalesCount, Count, "integer", Formula::Base { base: Base::SalesCount },
        "COUNT(wh_sales.*)",
        "Number of sales closed.",
        en: ["number of sales", "sales count", "orders", "deals closed", "deals", "purchases", "how many sales", "units sold", "items sold"],
        es: ["numero de ventas", "cantidad de ventas", "pedidos", "ordenes", "compras", "cuantas ventas", "negocios cerrados", "unidades vendidas", "vendidos", "vendidas"]),
    metric!(Aov, Money, "money", Formula::Ratio { numerator: Base::RevenueCents, denominator: Base::SalesCount },
        "SUM(wh_sales.amount_cents) / 100.0 / NULLIF(COUNT(wh_sales.*), 0)",
        "Average order value: revenue / sales_count.",
        en: ["average order value", "aov", "average ticket", "average sale", "basket size"],
        es: ["ticket promedio", "ticket medio", "valor promedio de venta", "venta promedio", "valor medio del pedido"]),
    metric!(Spend, Money, "money", Formula::Base { base: Base::SpendCents },
        "SUM(wh_ad_daily.spend_cents) / 100.0",
        "Ad spend, in the campaign's currency.",
        en: ["spend", "ad spend", "spent", "cost", "costs", "investment", "media spend", "budget spent"],
        es: ["gasto", "gastos", "inversion", "invertimos", "gastamos", "costo", "coste", "gasto publicitario", "gastado", "invertido", "inversion publicitaria"]),
    metric!(Impressions, Count, "integer", Formula::Base { base: Base::Impressions },
        "SUM(wh_ad_daily.impressions)",
        "Ad impressions.",
        en: ["impressions", "views"],
        es: ["impresiones", "visualizaciones"]),
    metric!(Reach, Count, "integer", Formula::Base { base: Base::Reach },
        "SUM(wh_ad_daily.reach)",
        "People reached (sum of daily reach).",
        en: ["reach", "people reached", "audience reached"],
        es: ["alcance", "personas alcanzadas", "alcanzamos"]),
    metric!(Clicks, Count, "integer", Formula::Base { base: Base::Clicks },
        "SUM(wh_ad_daily.clicks)",
        "Ad clicks.",
        en: ["clicks", "clickthroughs"],
        es: ["clics", "clicks", "clics en anuncios"]),
    metric!(Conversions, Count, "integer", Formula::Base { base: Base::Conversions },
        "SUM(wh_ad_daily.conversions)",
        "Conversions reported by the ad platforms.",
        en: ["conversions", "converted"],
        es: ["conversiones"]),
    metric!(Leads, Count, "integer", Formula::Base { base: Base::Leads },
        "COUNT(wh_leads.*)",
        "Leads created.",
        en: ["leads", "prospects", "new leads", "contacts", "signups", "sign-ups"],
        es: ["leads", "prospectos", "clientes potenciales", "contactos", "registros", "interesados"]),
    metric!(Ctr, Ratio, "percent", Formula::Ratio { numerator: Base::Clicks, denominator: Base::Impressions },
        "SUM(clicks) / NULLIF(SUM(impressions), 0)",
        "Click-through rate: clicks / impressions.",
        en: ["click-through rate", "click through rate", "click rate", "ctr"],
        es: ["tasa de clics", "ctr", "porcentaje de clics"]),
    metric!(Cpc, Money, "money", Formula::Ratio { numerator: Base::SpendCents, denominator: Base::Clicks },
        "SUM(spend_cents) / 100.0 / NULLIF(SUM(clicks), 0)",
        "Cost per click: spend / clicks.",
        en: ["cost per click", "cpc"],
        es: ["costo por clic", "coste por clic", "cpc"]),
    metric!(Cpa, Money, "money", Formula::Ratio { numerator: Base::SpendCents, denominator: Base::Conversions },
        "SUM(spend_cents) / 100.0 / NULLIF(SUM(conversions), 0)",
        "Cost per acquisition: spend / conversions.",
        en: ["cost per acquisition", "cost per conversion", "cpa"],
        es: ["costo por adquisicion", "costo por conversion", "coste por adquisicion", "cpa"]),
    metric!(Cpl, Money, "money", Formula::Ratio { numerator: Base::SpendCents, denominator: Base::Leads },
        "SUM(wh_ad_daily.spend_cents) / 100.0 / NULLIF(COUNT(wh_leads.*), 0)",
        "Cost per lead: spend / leads.",
        en: ["cost per lead", "cpl"],
        es: ["costo por lead", "costo por prospecto", "coste por lead", "cpl"]),
    metric!(ConversionRate, Ratio, "percent", Formula::Ratio { numerator: Base::SalesCount, denominator: Base::Leads },
        "COUNT(wh_sales.*) / NULLIF(COUNT(wh_leads.*), 0)",
        "Sales closed in the period / leads created in it.",
        en: ["conversion rate", "close rate", "lead conversion"],
        es: ["tasa de conversion", "tasa de cierre", "conversion de leads", "porcentaje de conversion"]),
    metric!(Roas, Ratio, "ratio", Formula::Ratio { numerator: Base::RevenueCents, denominator: Base::SpendCents },
        "SUM(wh_sales.amount_cents) / NULLIF(SUM(wh_ad_daily.spend_cents), 0)",
        "Return on ad spend: revenue / spend.",
        en: ["return on ad spend", "roas"],
        es: ["retorno de la inversion publicitaria", "retorno sobre gasto publicitario", "roas"]),
    metric!(Roi, Ratio, "ratio", Formula::Roi,
        "(SUM(wh_sales.amount_cents) - SUM(wh_ad_daily.spend_cents)) / NULLIF(SUM(wh_ad_daily.spend_cents), 0)",
        "Return on investment: (revenue − spend) / spend.",
        en: ["return on investment", "roi"],
        es: ["retorno de la inversion", "rentabilidad", "roi"]),
];

/// One dimension of the semantic model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DimensionDef {
    pub name: Dimension,
    pub description: &'static str,
    /// Column in each fact table (`None`: the fact cannot be split by it).
    pub ads_column: Option<&'static str>,
    pub leads_column: Option<&'static str>,
    pub sales_column: Option<&'static str>,
    /// Format of the values, e.g. `2026-W43` for weeks.
    pub values: &'static str,
    pub synonyms_en: &'static [&'static str],
    pub synonyms_es: &'static [&'static str],
}

impl DimensionDef {
    pub fn column(&self, fact: Fact) -> Option<&'static str> {
        match fact {
            Fact::Ads => self.ads_column,
            Fact::Leads => self.leads_column,
            Fact::Sales => self.sales_column,
        }
    }
}

macro_rules! dim {
    ($name:ident, $ads:expr, $leads:expr, $sales:expr, $values:literal, $desc:literal,
     en: [$($en:literal),*], es: [$($es:literal),*]) => {
        DimensionDef {
            name: Dimension::$name,
            description: $desc,
            ads_column: $ads,
            leads_column: $leads,
            sales_column: $sales,
            values: $values,
            synonyms_en: &[$($en),*],
            synonyms_es: &[$($es),*],
        }
    };
}

/// Every dimension.
pub static DIMENSIONS: &[DimensionDef] = &[
    dim!(Campaign, Some("campaign_id"), Some("campaign_id"), Some("campaign_id"), "campaign id (campaign_name follows)",
        "The campaign written on the row.",
        en: ["campaign", "campaigns"], es: ["campana", "campanas"]),
    dim!(Client, Some("client_id"), Some("client_id"), Some("client_id"), "client id (client_name follows)",
        "The agency's client.",
        en: ["client", "clients", "customer account", "brand", "brands"], es: ["cliente", "clientes", "marca", "marcas"]),
    dim!(Channel, Some("channel"), Some("channel"), Some("channel"), "canonical channel name",
        "Channel written on the row (ads: where it ran; leads: source; sales: credited channel).",
        en: ["channel", "channels", "platform", "platforms", "source", "sources"], es: ["canal", "canales", "plataforma", "plataformas", "fuente", "fuentes"]),
    dim!(Country, Some("country"), Some("country"), Some("country"), "ISO-3166 alpha-2 code",
        "Country written on the row.",
        en: ["country", "countries", "market", "markets"], es: ["pais", "paises", "mercado", "mercados"]),
    dim!(City, None, Some("city"), Some("city"), "city name",
        "City of the lead or sale (ad delivery has no city).",
        en: ["city", "cities"], es: ["ciudad", "ciudades"]),
    dim!(Product, None, None, Some("product_id"), "product id (product_name follows)",
        "Product sold (only sales have a product).",
        en: ["product", "products"], es: ["producto", "productos"]),
    dim!(Objective, Some("objective"), Some("objective"), Some("objective"), "awareness | traffic | leads | sales",
        "Objective of the row's campaign.",
        en: ["objective", "objectives", "goal", "goals", "campaign type", "campaign types"], es: ["objetivo", "objetivos", "tipo de campana", "tipos de campana"]),
    dim!(Day, Some("date"), Some("date"), Some("date"), "YYYY-MM-DD",
        "Calendar day (ads: date; leads: created_at; sales: closed_at).",
        en: ["day", "days", "daily"], es: ["dia", "dias", "diario", "diaria"]),
    dim!(Week, Some("week"), Some("week"), Some("week"), "YYYY-Www (ISO week, Monday first)",
        "ISO week.",
        en: ["week", "weeks", "weekly"], es: ["semana", "semanas", "semanal"]),
    dim!(Month, Some("month"), Some("month"), Some("month"), "YYYY-MM",
        "Calendar month.",
        en: ["month", "months", "monthly"], es: ["mes", "meses", "mensual"]),
    dim!(Quarter, Some("quarter"), Some("quarter"), Some("quarter"), "YYYY-Qn",
        "Calendar quarter.",
        en: ["quarter", "quarters", "quarterly"], es: ["trimestre", "trimestres", "trimestral"]),
    dim!(Year, Some("year"), Some("year"), Some("year"), "YYYY",
        "Calendar year.",
        en: ["year", "years", "yearly", "annual"], es: ["ano", "anos", "anual"]),
];

impl Metric {
    pub fn def(self) -> &'static MetricDef {
        // METRICS lists every metric in enum order.
        &METRICS[self as usize]
    }
}

impl Dimension {
    pub fn def(self) -> &'static DimensionDef {
        &DIMENSIONS[self as usize]
    }

    pub fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::Day
                | Dimension::Week
                | Dimension::Month
                | Dimension::Quarter
                | Dimension::Year
        )
    }
}

/// The model as published in `analytics://semantic-model`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SemanticModel {
    pub metrics: &'static [MetricDef],
    pub dimensions: &'static [DimensionDef],
    pub time_semantics: &'static str,
    pub currency_rule: &'static str,
}

pub fn model() -> SemanticModel {
    SemanticModel {
        metrics: METRICS,
        dimensions: DIMENSIONS,
        time_semantics: "Answers are relative to as_of. Leads count by created_at, sales by closed_at, \
            ad metrics by date. 'last month' is the previous calendar month; 'this month' runs from its \
            1st to as_of; 'last N days' are the N days ending on as_of. previous_period of a calendar \
            period is the same span of the period before; same_period_last_year shifts the dates one year.",
        currency_rule: "Money is never summed across currencies: results with money metrics carry a \
            currency column and each currency is reported on its own rows.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_shared::domain::Vocabulary;

    #[test]
    fn tables_are_in_enum_order_and_complete() {
        for m in Metric::ALL {
            assert_eq!(m.def().name, *m);
        }
        for d in Dimension::ALL {
            assert_eq!(d.def().name, *d);
        }
        assert_eq!(METRICS.len(), Metric::ALL.len());
        assert_eq!(DIMENSIONS.len(), Dimension::ALL.len());
    }

    #[test]
    fn facts_follow_the_formulas() {
        assert_eq!(Metric::Roas.def().facts(), vec![Fact::Ads, Fact::Sales]);
        assert_eq!(
            Metric::ConversionRate.def().facts(),
            vec![Fact::Leads, Fact::Sales]
        );
        assert_eq!(Metric::Ctr.def().facts(), vec![Fact::Ads]);
        assert_eq!(Metric::Cpl.def().facts(), vec![Fact::Ads, Fact::Leads]);
    }

    #[test]
    fn synonyms_are_folded_lower_case_ascii() {
        for m in METRICS {
            for s in m.synonyms_en.iter().chain(m.synonyms_es) {
                assert!(s.chars().all(|c| !c.is_uppercase() && c.is_ascii()), "{s}");
            }
        }
    }
}
