//! Campaigns and their lifecycle states.

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, ClientId, Country, Currency};
use promptsales_shared::{AppError, string_id, vocabulary};
use serde::{Deserialize, Serialize};

string_id! {
    /// A campaign id (`cmp_…` when generated; imported ids are kept).
    pub struct CampaignId("campaign_id", "cmp_");
}

vocabulary! {
    /// What a campaign is for.
    pub enum Objective("objective") {
        Awareness => "awareness",
        Traffic => "traffic",
        Leads => "leads",
        Sales => "sales",
    }
}

vocabulary! {
    /// Where a campaign is in its lifecycle.
    pub enum CampaignStatus("status") {
        Draft => "draft",
        PendingApproval => "pending_approval",
        Approved => "approved",
        Active => "active",
        Paused => "paused",
        Completed => "completed",
        Rejected => "rejected",
    }
}

impl CampaignStatus {
    /// The states this one may move to, in the order a person usually takes.
    pub fn allowed_next(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Draft => &[PendingApproval],
            PendingApproval => &[Approved, Rejected],
            Approved => &[Active],
            Active => &[Paused, Completed],
            Paused => &[Active, Completed],
            Completed => &[],
            Rejected => &[Draft],
        }
    }

    /// The tool that performs the move to `to`.
    fn tool_for(to: CampaignStatus) -> &'static str {
        use CampaignStatus::*;
        match to {
            Draft => "update_campaign",
            PendingApproval => "submit_for_approval",
            Approved => "approve_campaign",
            Rejected => "reject_campaign",
            Active => "launch_campaign / resume_campaign",
            Paused => "pause_campaign",
            Completed => "complete_campaign",
        }
    }

    /// Checks the move `self → to`; the error names the current state and
    /// the moves it allows, with the tool for each.
    pub fn transition(
        self,
        campaign: &str,
        to: CampaignStatus,
    ) -> Result<CampaignStatus, AppError> {
        if self.allowed_next().contains(&to) {
            return Ok(to);
        }
        let next = self.allowed_next();
        let allowed = if next.is_empty() {
            "none: it is final".to_owned()
        } else {
            next.iter()
                .map(|s| format!("{s} ({})", Self::tool_for(*s)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(AppError::Conflict(format!(
            "campaign `{campaign}` is {self}: it cannot become {to}; allowed next: {allowed}"
        )))
    }

    /// Only drafts and rejected campaigns may be edited.
    pub fn editable(self) -> bool {
        matches!(self, CampaignStatus::Draft | CampaignStatus::Rejected)
    }

    /// Campaigns that have been on platforms (their delivery can be read).
    pub fn launched(self) -> bool {
        matches!(
            self,
            CampaignStatus::Active | CampaignStatus::Paused | CampaignStatus::Completed
        )
    }
}

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Campaign {
    pub id: CampaignId,
    pub client_id: ClientId,
    pub name: String,
    pub objective: Objective,
    pub status: CampaignStatus,
    /// Hundredths of `currency`.
    pub budget_cents: i64,
    pub currency: Currency,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub channels: Vec<Channel>,
    pub countries: Vec<Country>,
}

impl Campaign {
    /// Rules every stored campaign obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.budget_cents < 0 {
            return Err(AppError::invalid(
                "budget",
                "zero or a positive amount",
                promptsales_shared::domain::format_cents(self.budget_cents),
            ));
        }
        if self.end_date < self.start_date {
            return Err(AppError::invalid(
                "end_date",
                format!("a date on or after start_date {}", self.start_date),
                self.end_date.to_string(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> Campaign {
        Campaign {
            id: CampaignId::parse("cmp_1").unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: "Launch".into(),
            objective: Objective::Leads,
            status: CampaignStatus::Draft,
            budget_cents: 10_000,
            currency: Currency::parse("USD").unwrap(),
            start_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            channels: vec![Channel::Meta],
            countries: vec![Country::parse("CO").unwrap()],
        }
    }

    #[test]
    fn dates_must_be_ordered() {
        let mut c = campaign();
        assert!(c.validate().is_ok());
        c.end_date = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("end_date"), "{e}");
    }

    #[test]
    fn budget_cannot_be_negative() {
        let mut c = campaign();
        c.budget_cents = -1;
        assert!(c.validate().unwrap_err().to_string().contains("budget"));
    }

    #[test]
    fn the_lifecycle_allows_exactly_the_documented_moves() {
        use CampaignStatus::*;
        let legal = [
            (Draft, PendingApproval),
            (PendingApproval, Approved),
            (PendingApproval, Rejected),
            (Approved, Active),
            (Active, Paused),
            (Paused, Active),
            (Active, Completed),
            (Paused, Completed),
            (Rejected, Draft),
        ];
        for from in <CampaignStatus as promptsales_shared::domain::Vocabulary>::ALL {
            for to in <CampaignStatus as promptsales_shared::domain::Vocabulary>::ALL {
                let ok = from.transition("cmp_1", *to).is_ok();
                assert_eq!(ok, legal.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn an_illegal_move_names_the_state_and_the_way_out() {
        let e = CampaignStatus::Draft
            .transition("cmp_9", CampaignStatus::Active)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cmp_9") && e.contains("is draft"), "{e}");
        assert!(e.contains("pending_approval (submit_for_approval)"), "{e}");
        let e = CampaignStatus::Completed
            .transition("cmp_9", CampaignStatus::Active)
            .unwrap_err()
            .to_string();
        assert!(e.contains("final"), "{e}");
        assert!(CampaignStatus::Rejected.editable() && !CampaignStatus::Approved.editable());
    }

    #[test]
    fn statuses_parse_from_wire_names() {
        assert_eq!(
            CampaignStatus::parse("pending_approval").unwrap(),
            CampaignStatus::PendingApproval
        );
        assert!(CampaignStatus::parse("live").is_err());
    }
}
