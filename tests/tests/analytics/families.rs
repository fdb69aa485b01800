//! The question set by family, written as people type (greetings, verbs,
//! everyday money words, typos, lower-case codes, cities and products,
//! comparisons, trends, cost superlatives, follow-ups), half in Spanish;
//! each checked by the independent evaluator in `analytics.rs`.

use super::*;

/// A question of a family, in Spanish or not.
pub struct Case {
    pub family: &'static str,
    pub es: bool,
    pub e: Expect,
}

fn x(
    q: &'static str,
    metrics: &'static [&'static str],
    dims: &'static [&'static str],
    range: Option<(&'static str, &'static str)>,
) -> Expect {
    Expect {
        q,
        metrics,
        dims,
        range,
        filter: all,
        rank: None,
        compare: None,
    }
}

impl Expect {
    fn only(mut self, f: fn(&Row) -> bool) -> Expect {
        self.filter = f;
        self
    }
    fn rank(mut self, metric: &'static str, desc: bool, n: usize) -> Expect {
        self.rank = Some((metric, desc, n));
        self
    }
    fn vs(mut self, from: &'static str, to: &'static str) -> Expect {
        self.compare = Some((from, to));
        self
    }
}

fn en(family: &'static str, e: Expect) -> Case {
    Case {
        family,
        es: false,
        e,
    }
}

fn es(family: &'static str, e: Expect) -> Case {
    Case {
        family,
        es: true,
        e,
    }
}

const SEPT: Option<(&str, &str)> = Some(("2026-09-01", "2026-09-30"));
const LAST_YEAR: Option<(&str, &str)> = Some(("2025-01-01", "2025-12-31"));
const Q2: Option<(&str, &str)> = Some(("2026-04-01", "2026-06-30"));

fn mx(r: &Row) -> bool {
    r.country == "MX"
}
fn co(r: &Row) -> bool {
    r.country == "CO"
}
fn pe(r: &Row) -> bool {
    r.country == "PE"
}
fn andino(r: &Row) -> bool {
    r.client == "cli_001"
}
fn tecno(r: &Row) -> bool {
    r.client == "cli_005"
}
fn meta(r: &Row) -> bool {
    r.channel == "meta"
}
fn google(r: &Row) -> bool {
    r.channel == "google_ads"
}
fn email(r: &Row) -> bool {
    r.channel == "email"
}
fn bogota(r: &Row) -> bool {
    r.city.as_deref() == Some("Bogotá")
}
fn lima(r: &Row) -> bool {
    r.city.as_deref() == Some("Lima")
}
fn whitening(r: &Row) -> bool {
    r.product_name.as_deref() == Some("Teeth Whitening")
}
fn coffee(r: &Row) -> bool {
    r.product_name.as_deref() == Some("Origin Coffee 500 g")
}
fn tv(r: &Row) -> bool {
    r.product_name.as_deref() == Some("Smart TV 55\"")
}

#[rustfmt::skip] // One question a line: the set reads as a table.
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // ---- courtesy: greetings, filler, politeness --------------------------
    v.extend([
        en("courtesy", x("hi! what was our revenue last month?", &["revenue"], &[], LAST_MONTH)),
        en("courtesy", x("hello there, leads by channel this year please", &["leads"], &["channel"], THIS_YEAR)),
        en("courtesy", x("hey, quick question: spend by country last quarter", &["spend"], &["country"], LAST_QUARTER)),
        en("courtesy", x("good morning, could you tell me the clicks by channel last month? thanks", &["clicks"], &["channel"], LAST_MONTH)),
        en("courtesy", x("ok so, impressions by week last month", &["impressions"], &["week"], LAST_MONTH)),
        en("courtesy", x("thanks! and what about revenue by client this year", &["revenue"], &["client"], THIS_YEAR)),
        en("courtesy", x("please break down leads by country last quarter", &["leads"], &["country"], LAST_QUARTER)),
        en("courtesy", x("hi team, could you pull conversions by channel this month", &["conversions"], &["channel"], THIS_MONTH)),
        en("courtesy", x("Good afternoon! Number of sales by month in 2026, please.", &["sales_count"], &["month"], YEAR_2026)),
        en("courtesy", x("hey folks, what's the reach by country this year?", &["reach"], &["country"], THIS_YEAR)),
        en("courtesy", x("kindly share revenue in Mexico last month", &["revenue"], &[], LAST_MONTH).only(mx)),
        en("courtesy", x("hello, i was wondering about leads from facebook last quarter", &["leads"], &[], LAST_QUARTER).only(meta)),
        es("courtesy", x("hola, ¿cuáles fueron las ventas del mes pasado?", &["revenue"], &[], LAST_MONTH)),
        es("courtesy", x("buenos días, ¿me podrías decir los prospectos por canal este año?", &["leads"], &["channel"], THIS_YEAR)),
        es("courtesy", x("buenas tardes, gasto por país el trimestre pasado por favor", &["spend"], &["country"], LAST_QUARTER)),
        es("courtesy", x("oye, ¿cuántos clics por canal el mes pasado? gracias", &["clicks"], &["channel"], LAST_MONTH)),
        es("courtesy", x("hola equipo, impresiones por semana el mes pasado", &["impressions"], &["week"], LAST_MONTH)),
        es("courtesy", x("porfa, ingresos por cliente este año", &["revenue"], &["client"], THIS_YEAR)),
        es("courtesy", x("buenas noches, desglosa los prospectos por país el trimestre pasado", &["leads"], &["country"], LAST_QUARTER)),
        es("courtesy", x("hola, ¿puedes mostrarme las conversiones por canal este mes?", &["conversions"], &["channel"], THIS_MONTH)),
        es("courtesy", x("buenos días: número de ventas por mes en 2026, gracias", &["sales_count"], &["month"], YEAR_2026)),
        es("courtesy", x("oye, ¿cuál fue el alcance por país este año?", &["reach"], &["country"], THIS_YEAR)),
        es("courtesy", x("por favor, ventas en México el mes pasado", &["revenue"], &[], LAST_MONTH).only(mx)),
        es("courtesy", x("hola, quisiera saber los prospectos de facebook el trimestre pasado", &["leads"], &[], LAST_QUARTER).only(meta)),
    ]);
    // ---- verbs of getting, selling, spending ------------------------------
    v.extend([
        en("verbs", x("how much came in last month?", &["revenue"], &[], LAST_MONTH)),
        en("verbs", x("how much did we bring in last quarter", &["revenue"], &[], LAST_QUARTER)),
        en("verbs", x("what did Café Andino generate this year", &["revenue"], &[], THIS_YEAR).only(andino)),
        en("verbs", x("how much did we make in Mexico last month", &["revenue"], &[], LAST_MONTH).only(mx)),
        en("verbs", x("how much did we earn by channel last quarter", &["revenue"], &["channel"], LAST_QUARTER)),
        en("verbs", x("how much did we sell by country this year", &["revenue"], &["country"], THIS_YEAR)),
        en("verbs", x("how much did we spend on facebook last month", &["spend"], &[], LAST_MONTH).only(meta)),
        en("verbs", x("how much have we invested by channel this year", &["spend"], &["channel"], THIS_YEAR)),
        en("verbs", x("what did TecnoHogar spend last quarter", &["spend"], &[], LAST_QUARTER).only(tecno)),
        en("verbs", x("how much was billed in Colombia last month", &["revenue"], &[], LAST_MONTH).only(co)),
        en("verbs", x("how much did we pay for google this year", &["spend"], &[], THIS_YEAR).only(google)),
        en("verbs", x("which channel brought in the most in Mexico last quarter", &["revenue"], &["channel"], LAST_QUARTER).rank("revenue", true, 1).only(mx)),
        es("verbs", x("¿cuánto facturamos el mes pasado?", &["revenue"], &[], LAST_MONTH)),
        es("verbs", x("¿cuánto facturó Café Andino este año?", &["revenue"], &[], THIS_YEAR).only(andino)),
        es("verbs", x("¿cuánto gastaron en facebook el mes pasado?", &["spend"], &[], LAST_MONTH).only(meta)),
        es("verbs", x("¿cuánto vendimos por país este año?", &["revenue"], &["country"], THIS_YEAR)),
        es("verbs", x("¿cuánto ingresó por canal el trimestre pasado?", &["revenue"], &["channel"], LAST_QUARTER)),
        es("verbs", x("¿cuánto invertimos por canal este año?", &["spend"], &["channel"], THIS_YEAR)),
        es("verbs", x("¿cuánto gastó TecnoHogar el trimestre pasado?", &["spend"], &[], LAST_QUARTER).only(tecno)),
        es("verbs", x("¿cuánto ganamos en Colombia el mes pasado?", &["revenue"], &[], LAST_MONTH).only(co)),
        es("verbs", x("¿cuánto entró en México el mes pasado?", &["revenue"], &[], LAST_MONTH).only(mx)),
        es("verbs", x("¿cuánto pagamos a google este año?", &["spend"], &[], THIS_YEAR).only(google)),
        es("verbs", x("¿cuánto generaron las campañas por canal el mes pasado?", &["revenue"], &["channel"], LAST_MONTH)),
        es("verbs", x("¿cuánto recaudamos por mes en 2026?", &["revenue"], &["month"], YEAR_2026)),
    ]);
    // ---- everyday and regional money words --------------------------------
    v.extend([
        en("money", x("how much money did we make last month", &["revenue"], &[], LAST_MONTH)),
        en("money", x("how much cash came in last quarter", &["revenue"], &[], LAST_QUARTER)),
        en("money", x("how much dough did we pull in this year", &["revenue"], &[], THIS_YEAR)),
        en("money", x("money by channel last month", &["revenue"], &["channel"], LAST_MONTH)),
        en("money", x("how many bucks did Café Andino bring in this year", &["revenue"], &[], THIS_YEAR).only(andino)),
        en("money", x("how much money did we spend by channel last month", &["spend"], &["channel"], LAST_MONTH)),
        en("money", x("cash from Mexico last quarter", &["revenue"], &[], LAST_QUARTER).only(mx)),
        en("money", x("how much money went into google ads this year", &["spend"], &[], THIS_YEAR).only(google)),
        en("money", x("money by country in 2026", &["revenue"], &["country"], YEAR_2026)),
        en("money", x("how much cash did we burn on facebook last month", &["spend"], &[], LAST_MONTH).only(meta)),
        en("money", x("money made by month this year", &["revenue"], &["month"], THIS_YEAR)),
        en("money", x("how much money did TecnoHogar make last quarter", &["revenue"], &[], LAST_QUARTER).only(tecno)),
        es("money", x("¿cuánta plata hicimos el mes pasado?", &["revenue"], &[], LAST_MONTH)),
        es("money", x("¿cuánta lana entró el trimestre pasado?", &["revenue"], &[], LAST_QUARTER)),
        es("money", x("¿cuánta feria juntamos este año?", &["revenue"], &[], THIS_YEAR)),
        es("money", x("la guita por canal el mes pasado", &["revenue"], &["channel"], LAST_MONTH)),
        es("money", x("¿cuánto dinero hizo Café Andino este año?", &["revenue"], &[], THIS_YEAR).only(andino)),
        es("money", x("¿cuánta plata gastamos por canal el mes pasado?", &["spend"], &["channel"], LAST_MONTH)),
        es("money", x("la plata de México el trimestre pasado", &["revenue"], &[], LAST_QUARTER).only(mx)),
        es("money", x("¿cuánto dinero se fue en google este año?", &["spend"], &[], THIS_YEAR).only(google)),
        es("money", x("la pasta por país en 2026", &["revenue"], &["country"], YEAR_2026)),
        es("money", x("¿cuánta lana gastamos en facebook el mes pasado?", &["spend"], &[], LAST_MONTH).only(meta)),
        es("money", x("el billete por mes este año", &["revenue"], &["month"], THIS_YEAR)),
        es("money", x("¿cuánto varo hizo TecnoHogar el trimestre pasado?", &["revenue"], &[], LAST_QUARTER).only(tecno)),
    ]);
    // ---- misspellings ------------------------------------------------------
    v.extend([
        en("typos", x("revnue by chanel last month", &["revenue"], &["channel"], LAST_MONTH)),
        en("typos", x("revenue by contry this year", &["revenue"], &["country"], THIS_YEAR)),
        en("typos", x("impresions by week last month", &["impressions"], &["week"], LAST_MONTH)),
        en("typos", x("convresions by channel this month", &["conversions"], &["channel"], THIS_MONTH)),
        en("typos", x("leads in Mexcio last quarter", &["leads"], &[], LAST_QUARTER).only(mx)),
        en("typos", x("spend by chanels last quarter", &["spend"], &["channel"], LAST_QUARTER)),
        en("typos", x("revenue for Cafe Andno this year", &["revenue"], &[], THIS_YEAR).only(andino)),
        en("typos", x("clikcs by campaign last month", &["clicks"], &["campaign"], LAST_MONTH)),
        en("typos", x("leads from facebok last month", &["leads"], &[], LAST_MONTH).only(meta)),
        en("typos", x("revenue in Colmbia last year", &["revenue"], &[], LAST_YEAR).only(co)),
        en("typos", x("reach by counrty this year", &["reach"], &["country"], THIS_YEAR)),
        en("typos", x("spend for TecnoHgar last quarter", &["spend"], &[], LAST_QUARTER).only(tecno)),
        es("typos", x("ventsa por canal el mes pasado", &["revenue"], &["channel"], LAST_MONTH)),
        es("typos", x("ingresos por pias este año", &["revenue"], &["country"], THIS_YEAR)),
        es("typos", x("impreisones por semana el mes pasado", &["impressions"], &["week"], LAST_MONTH)),
        es("typos", x("conversiones por canla este mes", &["conversions"], &["channel"], THIS_MONTH)),
        es("typos", x("prospectos en Mexico el trimestre pasdo", &["leads"], &[], LAST_QUARTER).only(mx)),
        es("typos", x("gastto por canal el trimestre pasado", &["spend"], &["channel"], LAST_QUARTER)),
        es("typos", x("ventas de Cafe Andno este año", &["revenue"], &[], THIS_YEAR).only(andino)),
        es("typos", x("clics por campana el mes pasdo", &["clicks"], &["campaign"], LAST_MONTH)),
        es("typos", x("prospectos de facebok el mes pasado", &["leads"], &[], LAST_MONTH).only(meta)),
        es("typos", x("ingresos en Colmbia el año pasado", &["revenue"], &[], LAST_YEAR).only(co)),
        es("typos", x("alcanse por país este año", &["reach"], &["country"], THIS_YEAR)),
        es("typos", x("gasto de TecnoHgar el trimestre pasado", &["spend"], &[], LAST_QUARTER).only(tecno)),
    ]);
    // ---- filters: lower-case codes, cities, "<product> sales" --------------
    v.extend([
        en("filters", x("revenue in mx last month", &["revenue"], &[], LAST_MONTH).only(mx)),
        en("filters", x("leads in co this year", &["leads"], &[], THIS_YEAR).only(co)),
        en("filters", x("spend by channel in pe last quarter", &["spend"], &["channel"], LAST_QUARTER).only(pe)),
        en("filters", x("leads in the city of Bogotá last quarter", &["leads"], &[], LAST_QUARTER).only(bogota)),
        en("filters", x("revenue in the city of Lima this year", &["revenue"], &[], THIS_YEAR).only(lima)),
        en("filters", x("leads in Bogotá last month", &["leads"], &[], LAST_MONTH).only(bogota)),
        en("filters", x("Teeth Whitening sales last quarter", &["sales_count"], &[], LAST_QUARTER).only(whitening)),
        en("filters", x("Origin Coffee 500 g sales this year", &["sales_count"], &[], THIS_YEAR).only(coffee)),
        en("filters", x("how many Smart TV 55 sales last month", &["sales_count"], &[], LAST_MONTH).only(tv)),
        en("filters", x("Teeth Whitening revenue last quarter", &["revenue"], &[], LAST_QUARTER).only(whitening)),
        en("filters", x("clicks in MX by channel last month", &["clicks"], &["channel"], LAST_MONTH).only(mx)),
        en("filters", x("revenue by product in co this year", &["revenue"], &["product"], THIS_YEAR).only(co)),
        es("filters", x("ventas en mx el mes pasado", &["revenue"], &[], LAST_MONTH).only(mx)),
        es("filters", x("prospectos en co este año", &["leads"], &[], THIS_YEAR).only(co)),
        es("filters", x("gasto por canal en pe el trimestre pasado", &["spend"], &["channel"], LAST_QUARTER).only(pe)),
        es("filters", x("prospectos en la ciudad de Bogotá el trimestre pasado", &["leads"], &[], LAST_QUARTER).only(bogota)),
        es("filters", x("ingresos en la ciudad de Lima este año", &["revenue"], &[], THIS_YEAR).only(lima)),
        es("filters", x("prospectos en Bogotá el mes pasado", &["leads"], &[], LAST_MONTH).only(bogota)),
        es("filters", x("ventas de Teeth Whitening el trimestre pasado", &["sales_count"], &[], LAST_QUARTER).only(whitening)),
        es("filters", x("ventas de Origin Coffee 500 g este año", &["sales_count"], &[], THIS_YEAR).only(coffee)),
        es("filters", x("¿cuántas ventas de Smart TV 55 el mes pasado?", &["sales_count"], &[], LAST_MONTH).only(tv)),
        es("filters", x("ingresos de Teeth Whitening el trimestre pasado", &["revenue"], &[], LAST_QUARTER).only(whitening)),
        es("filters", x("clics en MX por canal el mes pasado", &["clicks"], &["channel"], LAST_MONTH).only(mx)),
        es("filters", x("ingresos por producto en co este año", &["revenue"], &["product"], THIS_YEAR).only(co)),
    ]);
    // ---- comparisons -------------------------------------------------------
    let sep = ("2026-09-01", "2026-09-30");
    let oct25 = ("2025-10-01", "2025-10-31");
    let nov25 = ("2025-11-01", "2025-11-15");
    let q3_25 = ("2025-07-01", "2025-09-30");
    v.extend([
        en("compare", x("revenue last month vs the same month last year", &["revenue"], &[], LAST_MONTH).vs(oct25.0, oct25.1)),
        en("compare", x("leads this month compared with the same month a year ago", &["leads"], &[], THIS_MONTH).vs(nov25.0, nov25.1)),
        en("compare", x("revenue in Q3 2026 vs Q2 2026", &["revenue"], &[], LAST_QUARTER).vs(Q2.unwrap().0, Q2.unwrap().1)),
        en("compare", x("spend last month compared with the previous month", &["spend"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        en("compare", x("leads by channel last quarter year over year", &["leads"], &["channel"], LAST_QUARTER).vs(q3_25.0, q3_25.1)),
        en("compare", x("revenue in October vs September", &["revenue"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        en("compare", x("clicks last month versus the month before", &["clicks"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        en("compare", x("revenue in Mexico last quarter vs the same quarter last year", &["revenue"], &[], LAST_QUARTER).only(mx).vs(q3_25.0, q3_25.1)),
        en("compare", x("leads last month month over month", &["leads"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        en("compare", x("spend in October 2026 against October 2025", &["spend"], &[], LAST_MONTH).vs(oct25.0, oct25.1)),
        en("compare", x("conversions last quarter compared to the previous quarter", &["conversions"], &[], LAST_QUARTER).vs(Q2.unwrap().0, Q2.unwrap().1)),
        en("compare", x("revenue by channel last month vs last year", &["revenue"], &["channel"], LAST_MONTH).vs(oct25.0, oct25.1)),
        es("compare", x("ventas del mes pasado frente al mismo mes del año pasado", &["revenue"], &[], LAST_MONTH).vs(oct25.0, oct25.1)),
        es("compare", x("prospectos de este mes comparado con el mismo mes del año anterior", &["leads"], &[], THIS_MONTH).vs(nov25.0, nov25.1)),
        es("compare", x("ingresos del T3 2026 contra el T2 2026", &["revenue"], &[], LAST_QUARTER).vs(Q2.unwrap().0, Q2.unwrap().1)),
        es("compare", x("gasto del mes pasado comparado con el mes anterior", &["spend"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        es("compare", x("prospectos por canal el trimestre pasado año contra año", &["leads"], &["channel"], LAST_QUARTER).vs(q3_25.0, q3_25.1)),
        es("compare", x("ventas de octubre frente a septiembre", &["revenue"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        es("compare", x("clics del mes pasado contra el mes anterior", &["clicks"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        es("compare", x("ventas en México el trimestre pasado frente al mismo trimestre del año pasado", &["revenue"], &[], LAST_QUARTER).only(mx).vs(q3_25.0, q3_25.1)),
        es("compare", x("prospectos del mes pasado mes contra mes", &["leads"], &[], LAST_MONTH).vs(sep.0, sep.1)),
        es("compare", x("gasto de octubre de 2026 contra octubre de 2025", &["spend"], &[], LAST_MONTH).vs(oct25.0, oct25.1)),
        es("compare", x("conversiones del trimestre pasado comparado con el trimestre anterior", &["conversions"], &[], LAST_QUARTER).vs(Q2.unwrap().0, Q2.unwrap().1)),
        es("compare", x("ventas por canal el mes pasado contra el año pasado", &["revenue"], &["channel"], LAST_MONTH).vs(oct25.0, oct25.1)),
    ]);
    // ---- trends as a time grain --------------------------------------------
    v.extend([
        en("trend", x("revenue trend this year", &["revenue"], &["month"], THIS_YEAR)),
        en("trend", x("how are leads trending last month", &["leads"], &["day"], LAST_MONTH)),
        en("trend", x("spend over time last quarter", &["spend"], &["week"], LAST_QUARTER)),
        en("trend", x("clicks trending in Mexico this year", &["clicks"], &["month"], THIS_YEAR).only(mx)),
        en("trend", x("evolution of conversions last month", &["conversions"], &["day"], LAST_MONTH)),
        en("trend", x("impressions over time in 2026", &["impressions"], &["month"], YEAR_2026)),
        en("trend", x("revenue trends for Café Andino this year", &["revenue"], &["month"], THIS_YEAR).only(andino)),
        en("trend", x("leads by channel over time last quarter", &["leads"], &["channel", "week"], LAST_QUARTER)),
        en("trend", x("number of sales trending in September", &["sales_count"], &["day"], SEPT)),
        en("trend", x("reach trend last quarter", &["reach"], &["week"], LAST_QUARTER)),
        en("trend", x("email leads over time this year", &["leads"], &["month"], THIS_YEAR).only(email)),
        en("trend", x("revenue trend by week this year", &["revenue"], &["week"], THIS_YEAR)),
        es("trend", x("tendencia de ventas este año", &["revenue"], &["month"], THIS_YEAR)),
        es("trend", x("tendencia de prospectos el mes pasado", &["leads"], &["day"], LAST_MONTH)),
        es("trend", x("evolución del gasto el trimestre pasado", &["spend"], &["week"], LAST_QUARTER)),
        es("trend", x("tendencia de clics en México este año", &["clicks"], &["month"], THIS_YEAR).only(mx)),
        es("trend", x("evolución de las conversiones el mes pasado", &["conversions"], &["day"], LAST_MONTH)),
        es("trend", x("impresiones a lo largo del tiempo en 2026", &["impressions"], &["month"], YEAR_2026)),
        es("trend", x("tendencia de ingresos de Café Andino este año", &["revenue"], &["month"], THIS_YEAR).only(andino)),
        es("trend", x("prospectos por canal en el tiempo el trimestre pasado", &["leads"], &["channel", "week"], LAST_QUARTER)),
        es("trend", x("tendencia del número de ventas en septiembre", &["sales_count"], &["day"], SEPT)),
        es("trend", x("tendencia del alcance el trimestre pasado", &["reach"], &["week"], LAST_QUARTER)),
        es("trend", x("evolución de los prospectos por correo este año", &["leads"], &["month"], THIS_YEAR).only(email)),
        es("trend", x("tendencia de ventas por semana este año", &["revenue"], &["week"], THIS_YEAR)),
    ]);
    // ---- superlatives: the right order and metric ---------------------------
    v.extend([
        en("superlative", x("which channel had the cheapest leads in Mexico last quarter", &["cpl"], &["channel"], LAST_QUARTER).only(mx).rank("cpl", false, 1)),
        en("superlative", x("which channel has the most expensive clicks in Mexico this year", &["cpc"], &["channel"], THIS_YEAR).only(mx).rank("cpc", true, 1)),
        en("superlative", x("which campaign had the cheapest conversions in Mexico last quarter", &["cpa"], &["campaign"], LAST_QUARTER).only(mx).rank("cpa", false, 1)),
        en("superlative", x("which channel brought in the most revenue in Mexico this year", &["revenue"], &["channel"], THIS_YEAR).rank("revenue", true, 1).only(mx)),
        en("superlative", x("which channel got the fewest leads last month", &["leads"], &["channel"], LAST_MONTH).rank("leads", false, 1)),
        en("superlative", x("which client had the best ROAS in Mexico last quarter", &["roas"], &["client"], LAST_QUARTER).only(mx).rank("roas", true, 1)),
        en("superlative", x("which channel had the worst cost per click in Mexico this year", &["cpc"], &["channel"], THIS_YEAR).only(mx).rank("cpc", true, 1)),
        en("superlative", x("top 3 channels with the cheapest leads in Mexico this year", &["cpl"], &["channel"], THIS_YEAR).only(mx).rank("cpl", false, 3)),
        en("superlative", x("which country had the most clicks last quarter", &["clicks"], &["country"], LAST_QUARTER).rank("clicks", true, 1)),
        en("superlative", x("the channel with the least expensive clicks in Mexico last month", &["cpc"], &["channel"], LAST_MONTH).only(mx).rank("cpc", false, 1)),
        en("superlative", x("which campaign had the highest CTR last month", &["ctr"], &["campaign"], LAST_MONTH).rank("ctr", true, 1)),
        en("superlative", x("best 5 campaigns by leads this year", &["leads"], &["campaign"], THIS_YEAR).rank("leads", true, 5)),
        es("superlative", x("¿qué canal tuvo los prospectos más baratos en México el trimestre pasado?", &["cpl"], &["channel"], LAST_QUARTER).only(mx).rank("cpl", false, 1)),
        es("superlative", x("¿qué canal tiene los clics más caros en México este año?", &["cpc"], &["channel"], THIS_YEAR).only(mx).rank("cpc", true, 1)),
        es("superlative", x("¿qué campaña tuvo las conversiones más baratas en México el trimestre pasado?", &["cpa"], &["campaign"], LAST_QUARTER).only(mx).rank("cpa", false, 1)),
        es("superlative", x("¿qué canal generó más ingresos en México este año?", &["revenue"], &["channel"], THIS_YEAR).rank("revenue", true, 1).only(mx)),
        es("superlative", x("¿qué canal consiguió menos prospectos el mes pasado?", &["leads"], &["channel"], LAST_MONTH).rank("leads", false, 1)),
        es("superlative", x("¿qué cliente tuvo el mejor ROAS en México el trimestre pasado?", &["roas"], &["client"], LAST_QUARTER).only(mx).rank("roas", true, 1)),
        es("superlative", x("¿qué canal tuvo el peor costo por clic en México este año?", &["cpc"], &["channel"], THIS_YEAR).only(mx).rank("cpc", true, 1)),
        es("superlative", x("los 3 canales con los prospectos más baratos en México este año", &["cpl"], &["channel"], THIS_YEAR).only(mx).rank("cpl", false, 3)),
        es("superlative", x("¿qué país tuvo más clics el trimestre pasado?", &["clicks"], &["country"], LAST_QUARTER).rank("clicks", true, 1)),
        es("superlative", x("el canal con los clics menos caros en México el mes pasado", &["cpc"], &["channel"], LAST_MONTH).only(mx).rank("cpc", false, 1)),
        es("superlative", x("¿qué campaña tuvo el CTR más alto el mes pasado?", &["ctr"], &["campaign"], LAST_MONTH).rank("ctr", true, 1)),
        es("superlative", x("las 5 mejores campañas por prospectos este año", &["leads"], &["campaign"], THIS_YEAR).rank("leads", true, 5)),
    ]);
    v
}

/// A follow-up: the first question, then the second asked with the first
/// answer's `query` as its context.
pub struct FollowUp {
    pub es: bool,
    pub first: &'static str,
    pub e: Expect,
}

#[rustfmt::skip]
pub fn follow_ups() -> Vec<FollowUp> {
    let f = |es: bool, first: &'static str, e: Expect| FollowUp { es, first, e };
    vec![
        f(false, "revenue by channel in Colombia last quarter", x("and in Mexico?", &["revenue"], &["channel"], LAST_QUARTER).only(mx)),
        f(false, "leads in Mexico last month", x("and by channel?", &["leads"], &["channel"], LAST_MONTH).only(mx)),
        f(false, "revenue in Colombia last month", x("same for last year", &["revenue"], &[], LAST_YEAR).only(co)),
        f(false, "leads by country last quarter", x("what about spend?", &["spend"], &["country"], LAST_QUARTER)),
        f(false, "spend on facebook last month", x("and google?", &["spend"], &[], LAST_MONTH).only(google)),
        f(false, "revenue by channel this year", x("and for Café Andino?", &["revenue"], &["channel"], THIS_YEAR).only(andino)),
        f(true, "ventas por canal en Colombia el trimestre pasado", x("¿y en México?", &["revenue"], &["channel"], LAST_QUARTER).only(mx)),
        f(true, "prospectos en México el mes pasado", x("¿y por canal?", &["leads"], &["channel"], LAST_MONTH).only(mx)),
        f(true, "ventas en Colombia el mes pasado", x("lo mismo para el año pasado", &["revenue"], &[], LAST_YEAR).only(co)),
        f(true, "prospectos por país el trimestre pasado", x("¿y el gasto?", &["spend"], &["country"], LAST_QUARTER)),
        f(true, "gasto en facebook el mes pasado", x("¿y en google?", &["spend"], &[], LAST_MONTH).only(google)),
        f(true, "ventas por canal este año", x("¿y de Café Andino?", &["revenue"], &["channel"], THIS_YEAR).only(andino)),
    ]
}

/// Questions that must stay refused, with their family.
pub const MUST_REFUSE: &[(&str, bool, &str)] = &[
    ("unknown", false, "revenue in Narnia last month"),
    ("unknown", true, "ventas en Narnia el mes pasado"),
    ("unknown", false, "profit margin by channel"),
    ("unknown", true, "margen de utilidad por canal"),
    ("unknown", false, "revenue for Acme Rockets this year"),
    ("unknown", true, "ventas de Acme Rockets este año"),
    ("future", false, "forecast revenue for next month"),
    ("future", true, "pronóstico de ventas del próximo mes"),
    ("future", false, "predict leads next quarter"),
    (
        "future",
        true,
        "¿cuántos prospectos tendremos el mes que viene?",
    ),
    ("destructive", false, "delete the leads from last month"),
    ("destructive", true, "borra las ventas de octubre"),
    ("destructive", false, "please drop all campaigns in Mexico"),
    (
        "destructive",
        true,
        "elimina los clientes de Colombia por favor",
    ),
    ("out_of_scope", false, "hi, how are you?"),
    ("out_of_scope", true, "hola, ¿cómo estás?"),
    ("out_of_scope", false, "thanks a lot"),
    ("out_of_scope", true, "muchas gracias"),
];
