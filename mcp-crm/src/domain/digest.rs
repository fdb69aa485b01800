//! The rules of the morning digest (no I/O): which open lead needs a
//! seller today and why, since when, how urgently, in the client's time
//! zone where days matter; the order items are read in (seller, client,
//! priority, oldest first) and the opaque cursor that resumes it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use promptsales_shared::domain::TimeZone;
use promptsales_shared::time::{format_ts, parse_ts};
use promptsales_shared::{AppError, vocabulary};

vocabulary! {
    /// Why a lead is in the digest.
    pub enum FollowUpReason("reason") {
        UnansweredInbound => "unanswered_inbound",
        HotWithoutContact => "hot_without_contact",
    }
}

vocabulary! {
    /// How soon a follow-up should happen.
    pub enum Priority("priority") {
        High => "high",
        Medium => "medium",
        Low => "low",
    }
}

impl Priority {
    fn rank(self) -> u8 {
        match self {
            Priority::High => 0,
            Priority::Medium => 1,
            Priority::Low => 2,
        }
    }
}

/// A score at which a hot lead is urgent whatever else holds.
pub const URGENT_SCORE: i32 = 85;

/// The thresholds of one digest.
#[derive(Debug, Clone, Copy)]
pub struct DigestRules {
    /// An inbound message unanswered this long is due.
    pub unanswered_hours: i64,
    /// Leads scoring at least this are hot.
    pub hot_score: i32,
    /// Hot leads without contact for this many calendar days (in the
    /// client's zone) are due.
    pub quiet_days: i64,
}

/// What the digest knows of one open lead.
#[derive(Debug, Clone, Copy)]
pub struct LeadTimes {
    pub score: i32,
    pub created_at: DateTime<Utc>,
    pub last_in: Option<DateTime<Utc>>,
    pub last_out: Option<DateTime<Utc>>,
}

/// Why and how urgently a lead is due.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub reason: FollowUpReason,
    pub priority: Priority,
    /// Since when it has waited: their unanswered message, our last
    /// contact, or (never contacted) the lead's creation.
    pub since: DateTime<Utc>,
    pub age_hours: i64,
    /// Calendar days since `since` in the client's zone (0 = today).
    pub age_days: i64,
    /// One sentence for the seller.
    pub detail: String,
}

/// Calendar days from `since` to `now` in `tz`.
pub fn calendar_days(tz: TimeZone, since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let day = |t: DateTime<Utc>| t.with_timezone(&tz.tz()).date_naive();
    (day(now) - day(since)).num_days()
}

/// How a wait reads: hours under two days, days after.
pub fn age_text(hours: i64, days: i64) -> String {
    match (hours, days) {
        (h, _) if h < 48 => format!("{h} h"),
        (_, 1) => "1 day".to_owned(),
        (_, d) => format!("{d} days"),
    }
}

/// Whether the lead is due under `rules` at `now` in the client's `tz`,
/// and why: an inbound message unanswered for `unanswered_hours` (high
/// priority when it waited twice that or the lead is hot), else a hot
/// lead without contact for `quiet_days` calendar days (high at
/// [`URGENT_SCORE`], medium when never contacted, low otherwise).
pub fn evaluate(
    l: &LeadTimes,
    rules: &DigestRules,
    tz: TimeZone,
    now: DateTime<Utc>,
) -> Option<Due> {
    let due = |reason, priority, since: DateTime<Utc>, detail: String| {
        let hours = (now - since).num_hours().max(0);
        let days = calendar_days(tz, since, now).max(0);
        Some(Due {
            reason,
            priority,
            since,
            age_hours: hours,
            age_days: days,
            detail: detail.replace("{age}", &age_text(hours, days)),
        })
    };
    if let Some(i) = l.last_in
        && l.last_out.is_none_or(|o| o < i)
        && now - i >= Duration::hours(rules.unanswered_hours)
    {
        let urgent =
            now - i >= Duration::hours(rules.unanswered_hours * 2) || l.score >= rules.hot_score;
        return due(
            FollowUpReason::UnansweredInbound,
            if urgent {
                Priority::High
            } else {
                Priority::Medium
            },
            i,
            "their last message has waited {age} for a reply".to_owned(),
        );
    }
    if l.score < rules.hot_score {
        return None;
    }
    match l.last_out {
        None => due(
            FollowUpReason::HotWithoutContact,
            if l.score >= URGENT_SCORE {
                Priority::High
            } else {
                Priority::Medium
            },
            l.created_at,
            format!("score {} and never contacted (lead {{age}} old)", l.score),
        ),
        Some(o) if calendar_days(tz, o, now) >= rules.quiet_days => due(
            FollowUpReason::HotWithoutContact,
            if l.score >= URGENT_SCORE {
                Priority::High
            } else {
                Priority::Low
            },
            o,
            format!("score {} and no contact for {{age}}", l.score),
        ),
        Some(_) => None,
    }
}

/// Where an item sits in the digest: by seller (unassigned last), client,
/// priority, oldest wait first, lead id. Cursors resume after one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DigestKey {
    seller: (bool, String),
    client: String,
    priority: u8,
    since: String,
    lead: String,
}

impl DigestKey {
    pub fn new(
        seller: Option<&str>,
        client: &str,
        priority: Priority,
        since: DateTime<Utc>,
        lead: &str,
    ) -> Self {
        Self {
            seller: (seller.is_none(), seller.unwrap_or_default().to_owned()),
            client: client.to_owned(),
            priority: priority.rank(),
            since: format_ts(since),
            lead: lead.to_owned(),
        }
    }

    /// The opaque cursor naming this item.
    pub fn cursor(&self) -> String {
        let raw = [
            if self.seller.0 { "-" } else { "+" },
            &self.seller.1,
            &self.client,
            &self.priority.to_string(),
            &self.since,
            &self.lead,
        ]
        .join("\u{1f}");
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The item a cursor names.
    pub fn from_cursor(cursor: &str) -> Result<Self, AppError> {
        let bad =
            || AppError::invalid("cursor", "a next_cursor returned by follow_ups_due", cursor);
        let raw = URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let parts: Vec<&str> = raw.split('\u{1f}').collect();
        let [unassigned, seller, client, priority, since, lead] = parts[..] else {
            return Err(bad());
        };
        let since = parse_ts("cursor", since).map_err(|_| bad())?;
        Ok(Self {
            seller: (unassigned == "-", seller.to_owned()),
            client: client.to_owned(),
            priority: priority.parse().map_err(|_| bad())?,
            since: format_ts(since),
            lead: lead.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_ts("at", s).unwrap()
    }

    fn rules() -> DigestRules {
        DigestRules {
            unanswered_hours: 24,
            hot_score: 70,
            quiet_days: 3,
        }
    }

    fn bogota() -> TimeZone {
        TimeZone::parse("America/Bogota").unwrap()
    }

    #[test]
    fn unanswered_messages_are_due_after_the_threshold_and_urgent_after_twice_it() {
        let now = at("2026-03-10T13:00:00Z");
        let lead = |last_in: &str, score| LeadTimes {
            score,
            created_at: at("2026-03-01T00:00:00Z"),
            last_in: Some(at(last_in)),
            last_out: Some(at("2026-03-01T10:00:00Z")),
        };
        assert!(evaluate(&lead("2026-03-09T14:00:00Z", 10), &rules(), bogota(), now).is_none());
        let d = evaluate(&lead("2026-03-09T12:00:00Z", 10), &rules(), bogota(), now).unwrap();
        assert_eq!(
            (d.reason, d.priority, d.age_hours),
            (FollowUpReason::UnansweredInbound, Priority::Medium, 25)
        );
        assert!(d.detail.contains("25 h"), "{}", d.detail);
        let d = evaluate(&lead("2026-03-07T12:00:00Z", 10), &rules(), bogota(), now).unwrap();
        assert_eq!(d.priority, Priority::High);
        assert_eq!(d.age_days, 3);
        assert!(d.detail.contains("3 days"), "{}", d.detail);
        // A hot lead's unanswered message is urgent at once.
        let d = evaluate(&lead("2026-03-09T12:00:00Z", 80), &rules(), bogota(), now).unwrap();
        assert_eq!(d.priority, Priority::High);
        // Answered: not unanswered.
        let answered = LeadTimes {
            last_out: Some(at("2026-03-09T13:00:00Z")),
            ..lead("2026-03-09T12:00:00Z", 10)
        };
        assert!(evaluate(&answered, &rules(), bogota(), now).is_none());
    }

    #[test]
    fn hot_leads_count_quiet_days_in_the_clients_zone() {
        let lead = |last_out: Option<&str>, score| LeadTimes {
            score,
            created_at: at("2026-03-01T00:00:00Z"),
            last_in: None,
            last_out: last_out.map(at),
        };
        // 04:00 UTC on the 10th is still the 9th in Bogotá (UTC-5): the
        // contact on the 7th (local) is two days old there, three in UTC.
        let now = at("2026-03-10T04:00:00Z");
        let contacted = lead(Some("2026-03-07T15:00:00Z"), 75);
        assert!(evaluate(&contacted, &rules(), bogota(), now).is_none());
        let d = evaluate(&contacted, &rules(), TimeZone::UTC, now).unwrap();
        assert_eq!(
            (d.reason, d.priority, d.age_days),
            (FollowUpReason::HotWithoutContact, Priority::Low, 3)
        );
        let later = at("2026-03-10T06:00:00Z");
        assert!(evaluate(&contacted, &rules(), bogota(), later).is_some());
        let never = evaluate(&lead(None, 75), &rules(), bogota(), now).unwrap();
        assert_eq!(never.priority, Priority::Medium);
        assert!(never.detail.contains("never contacted"), "{}", never.detail);
        let urgent = evaluate(&lead(None, 90), &rules(), bogota(), now).unwrap();
        assert_eq!(urgent.priority, Priority::High);
        assert!(evaluate(&lead(None, 69), &rules(), bogota(), now).is_none());
    }

    #[test]
    fn keys_order_by_seller_client_priority_and_age_and_cursors_round_trip() {
        let t = at("2026-03-01T00:00:00Z");
        let a = DigestKey::new(Some("sel_a"), "cli_1", Priority::Low, t, "lead_1");
        let b = DigestKey::new(Some("sel_a"), "cli_2", Priority::High, t, "lead_2");
        let c = DigestKey::new(None, "cli_1", Priority::High, t, "lead_3");
        let d = DigestKey::new(Some("sel_b"), "cli_1", Priority::High, t, "lead_4");
        let mut keys = vec![c.clone(), d.clone(), b.clone(), a.clone()];
        keys.sort();
        assert_eq!(keys, [a.clone(), b, d, c.clone()]);
        for k in [a, c] {
            assert_eq!(DigestKey::from_cursor(&k.cursor()).unwrap(), k);
        }
        for bad in ["", "nope", "bGVhZF8x"] {
            let e = DigestKey::from_cursor(bad).unwrap_err().to_string();
            assert!(e.contains("`cursor`"), "{e}");
        }
        assert_eq!(age_text(5, 0), "5 h");
        assert_eq!(age_text(50, 2), "2 days");
    }
}
