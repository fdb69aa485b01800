//! The `brand` toolset: brand guidelines per client.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::ClientId;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ContentServer, Ctx};
use crate::domain::brand::{BrandGuidelines, ClientBrand};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BrandParams {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    #[serde(flatten)]
    pub guidelines: BrandGuidelines,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ClientParams {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
}

/// A client's guidelines, or none.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BrandAnswer {
    pub client_id: String,
    /// Absent when the client has none yet.
    pub brand: Option<ClientBrand>,
}

#[tool_router(router = brand_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Set a client's brand guidelines (replacing earlier ones): voice, banned words, required disclaimers, preferred terms (avoid → prefer). Generation applies them and reports violations; score_content checks them.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_brand_guidelines(
        &self,
        Parameters(p): Parameters<BrandParams>,
        ctx: Ctx,
    ) -> Result<Json<ClientBrand>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(
            self.svc
                .set_brand(&who.tenant, &p.client_id, p.guidelines, &who.subject)
                .await?,
        ))
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Get a client's brand guidelines (absent when none are set).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_brand_guidelines(
        &self,
        Parameters(p): Parameters<ClientParams>,
        ctx: Ctx,
    ) -> Result<Json<BrandAnswer>, ToolError> {
        let who = self.who(&ctx);
        let client = ClientId::parse(&p.client_id)?;
        let brand = self.svc.brand(&who.tenant, &client).await?;
        Ok(Json(BrandAnswer {
            client_id: client.into_string(),
            brand,
        }))
    }
}
