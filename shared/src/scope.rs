//! The one scope model: what a caller may do, per context. Every tool and
//! resource declares the scope it needs; the server checks it over HTTP
//! (from the bearer token) and over stdio (from the local actor's
//! configured scopes) alike.

crate::vocabulary! {
    /// A permission a token or the local actor holds.
    pub enum Scope("scope") {
        ContentRead => "content:read",
        ContentWrite => "content:write",
        ContentApprove => "content:approve",
        AdsRead => "ads:read",
        AdsWrite => "ads:write",
        AdsApprove => "ads:approve",
        AdsLaunch => "ads:launch",
        CrmRead => "crm:read",
        CrmWrite => "crm:write",
        CrmSend => "crm:send",
        CrmConsent => "crm:consent",
        CrmGdpr => "crm:gdpr",
        AnalyticsRead => "analytics:read",
        AnalyticsWrite => "analytics:write",
        AnalyticsAdmin => "analytics:admin",
        OrchestratorRead => "orchestrator:read",
        OrchestratorRun => "orchestrator:run",
        OrchestratorApprove => "orchestrator:approve",
        Admin => "admin",
    }
}

impl Scope {
    /// Scopes beyond reading and everyday writing: they spend money, reach
    /// people, decide for others, touch personal data in bulk or administer.
    /// Calls that need one leave a durable intent row before they act, and
    /// the local actor does not hold them unless configured to.
    pub fn is_privileged(self) -> bool {
        !matches!(
            self,
            Scope::ContentRead
                | Scope::ContentWrite
                | Scope::AdsRead
                | Scope::AdsWrite
                | Scope::CrmRead
                | Scope::CrmWrite
                | Scope::AnalyticsRead
                | Scope::AnalyticsWrite
                | Scope::OrchestratorRead
        )
    }

    /// Only reads: what `--read-only` servers list.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Scope::ContentRead
                | Scope::AdsRead
                | Scope::CrmRead
                | Scope::AnalyticsRead
                | Scope::OrchestratorRead
        )
    }

    /// What the local actor (stdio, CLI) holds when `PROMPTSALES_SCOPES` is
    /// not set: every read and everyday write, nothing privileged.
    pub fn local_default() -> impl Iterator<Item = Scope> {
        <Scope as crate::domain::Vocabulary>::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_privileged())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_scopes_are_the_ones_that_spend_send_decide_or_administer() {
        for s in [
            Scope::AdsLaunch,
            Scope::AdsApprove,
            Scope::ContentApprove,
            Scope::CrmSend,
            Scope::CrmConsent,
            Scope::CrmGdpr,
            Scope::AnalyticsAdmin,
            Scope::OrchestratorRun,
            Scope::OrchestratorApprove,
            Scope::Admin,
        ] {
            assert!(s.is_privileged(), "{s}");
        }
        assert!(!Scope::CrmRead.is_privileged());
        assert!(Scope::CrmRead.is_read() && !Scope::CrmWrite.is_read());
        let local: Vec<Scope> = Scope::local_default().collect();
        assert!(local.contains(&Scope::AdsWrite) && !local.contains(&Scope::AdsLaunch));
        assert_eq!(Scope::parse("crm:gdpr").unwrap(), Scope::CrmGdpr);
    }
}
