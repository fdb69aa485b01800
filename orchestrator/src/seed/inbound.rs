//! Messages waiting for a reply: a few open leads of the last weeks wrote
//! in and nobody answered yet, as on any agency's Monday — what the
//! morning digest is for. Drawn from their own random stream, after
//! everything else, so the rest of the data set does not change.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use crm_read::domain::{Direction, Interaction, InteractionId, LeadStage};
use promptsales_shared::domain::Channel;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::SeedSpec;
use crate::dataset::Dataset;

/// Share of the candidate leads that wrote in.
const SHARE: f64 = 0.04;

const TEXTS_ES: &[&str] = &[
    "Hola, ¿me pueden enviar los precios?",
    "¿Todavía tienen disponibilidad para este mes?",
    "Quisiera agendar una cita, ¿qué horarios tienen?",
    "¿Hacen envíos a mi ciudad?",
    "Me interesa la promoción que vi en Instagram",
];
const TEXTS_EN: &[&str] = &[
    "Hi, could you send me your prices?",
    "Is this still available this month?",
    "I'd like to book an appointment, what times do you have?",
];

/// Adds unanswered inbound messages to `ds` (1–5 days old at `as_of`).
pub fn add_unanswered(ds: &mut Dataset, spec: &SeedSpec) {
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x1b0u64);
    let morning = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let end = Utc.from_utc_datetime(&spec.as_of.and_time(morning));
    let mut out = Vec::new();
    for lead in &ds.leads {
        let open = matches!(lead.stage, LeadStage::Iql | LeadStage::Mql | LeadStage::Sql);
        let age = end - lead.created_at;
        if !open || age < Duration::days(6) || age > Duration::days(60) || !rng.random_bool(SHARE) {
            continue;
        }
        let at = end
            - Duration::days(rng.random_range(1..=5))
            - Duration::hours(rng.random_range(0..10));
        let channel = match lead.channel {
            Channel::Email | Channel::Sms | Channel::Whatsapp => lead.channel,
            _ => Channel::Whatsapp,
        };
        let english = lead.country.as_str() == "US";
        let texts = if english { TEXTS_EN } else { TEXTS_ES };
        let Ok(id) = InteractionId::parse(&format!("int_seed_{}", lead.id.as_str())) else {
            continue;
        };
        out.push(Interaction {
            id,
            lead_id: lead.id.clone(),
            at,
            channel,
            direction: Direction::In,
            text: texts[rng.random_range(0..texts.len())].to_owned(),
            sentiment: None,
        });
    }
    ds.interactions = out;
}
