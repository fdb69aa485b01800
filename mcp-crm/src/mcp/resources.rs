//! The server's resources: the pipeline, the sellers' leaderboard, the
//! knowledge base and each lead's 360° view.

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use rmcp::model::{Resource, ResourceTemplate};

use super::CrmServer;

const PIPELINE_URI: &str = "crm://pipeline";
const SELLERS_URI: &str = "crm://sellers";
const KB_URI: &str = "crm://knowledge-base";
const LEAD_TEMPLATE: &str = "crm://leads/{id}";

/// The fixed resources.
pub(super) fn resources() -> Vec<Resource> {
    vec![
        Resource::new(PIPELINE_URI, "pipeline")
            .with_title("Pipeline")
            .with_description("Leads and average score per funnel stage, with the thresholds")
            .with_mime_type("application/json"),
        Resource::new(SELLERS_URI, "sellers")
            .with_title("Sellers")
            .with_description("The sales team with load, conversions and revenue (leaderboard)")
            .with_mime_type("application/json"),
        Resource::new(KB_URI, "knowledge-base")
            .with_title("Knowledge base")
            .with_description("Answers suggest_reply drafts from, per language and topic")
            .with_mime_type("application/json"),
    ]
}

/// The resources addressed by lead id.
pub(super) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(LEAD_TEMPLATE, "lead")
            .with_title("Lead")
            .with_description("The 360° view of one lead, as get_lead returns it")
            .with_mime_type("application/json"),
    ]
}

/// Why a resource could not be read.
pub(super) enum ReadError {
    /// No resource has this URI.
    Unknown(String),
    App(AppError),
}

impl From<AppError> for ReadError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string_pretty(v).map_err(|e| AppError::Internal(format!("encode resource: {e}")))
}

impl CrmServer {
    /// The body (pretty JSON) of the resource at `uri`.
    pub(super) async fn read(&self, uri: &str, who: &Principal) -> Result<String, ReadError> {
        let t = &who.tenant;
        Ok(match uri {
            PIPELINE_URI => to_json(&self.svc.pipeline(t).await?)?,
            SELLERS_URI => to_json(&self.svc.seller_metrics(t).await?)?,
            KB_URI => to_json(&self.svc.knowledge_base(t).await?)?,
            other => match other.strip_prefix("crm://leads/") {
                Some(id) => to_json(&self.svc.get_lead(t, id).await?)?,
                None => {
                    return Err(ReadError::Unknown(format!(
                        "unknown resource {other}: this server has {PIPELINE_URI}, {SELLERS_URI}, {KB_URI} and {LEAD_TEMPLATE}"
                    )));
                }
            },
        })
    }
}
