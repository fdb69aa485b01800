//! The MCP surface of the content context: thin tools over
//! [`ContentService`], one file per toolset (`generation`, `brand`,
//! `library`, `editing`, `approval`, `usage`), plus resources, prompts and
//! argument completion.

mod approval;
mod brand;
mod editing;
mod generation;
mod library;
mod prompts;
mod resources;
mod usage;

use std::sync::Arc;

use content_read::AssetReader;
use promptsales_catalog::CatalogReader;
use promptsales_server::audit_tool::{Audited, audit_toolset};
use promptsales_server::auth::Principal;
use promptsales_server::error::rpc_error;
use promptsales_server::server::{
    Auditor, ServeError, ToolServer, Toolset, call_tool_audited, select_tools,
};
use promptsales_shared::AppError;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo,
    Implementation, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};

use crate::service::ContentService;

pub use approval::DecisionParams;
pub use brand::{BrandAnswer, BrandParams, ClientParams};
pub use editing::{ReviseParams, RightsParams};
pub use generation::{GenerateParams, ScoreParams, SeoParams};
pub use library::{GetAssetParams, ListAssetsParams, UsabilityParams, VersionList};
pub use prompts::{AdCopyArgs, EmailCampaignArgs, SeoArticleArgs, SocialPostArgs};

type Ctx = RequestContext<RoleServer>;

/// The content MCP server.
#[derive(Clone)]
pub struct ContentServer {
    svc: ContentService,
    reader: AssetReader,
    catalog: Option<CatalogReader>,
    /// The toolsets served (all when `None`): resources follow them.
    selected: Option<Arc<[String]>>,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

impl ContentServer {
    /// Every toolset of this server, with what it is for: the one list
    /// `--toolsets` selects from.
    pub fn toolsets() -> Vec<Toolset<Self>> {
        vec![
            Toolset::new(
                "generation",
                "Write channel copy and art direction, score it, optimise it for search",
                Self::generation_tools(),
            ),
            Toolset::new("brand", "Brand guidelines per client", Self::brand_tools()),
            Toolset::new(
                "library",
                "Find and inspect assets of the content library",
                Self::library_tools(),
            ),
            Toolset::new(
                "editing",
                "Revise, archive and set usage rights of assets",
                Self::editing_tools(),
            ),
            Toolset::new(
                "approval",
                "Approve or reject assets (needs content:approve; never by the asset's creator or \
                 last editor)",
                Self::approval_tools(),
            ),
            Toolset::new(
                "usage",
                "What a client used of its content plan this month, against its limits",
                Self::usage_tools(),
            ),
            audit_toolset(),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow. The
    /// caller over stdio is the auditor's local principal (HTTP tokens
    /// carry their own).
    pub fn new(
        svc: ContentService,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), toolsets, read_only)?;
        Ok(Self {
            reader: AssetReader::new(svc.store().db().clone()),
            svc,
            catalog: None,
            selected: (!toolsets.is_empty()).then(|| toolsets.into()),
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    /// Client names for argument completion come from the catalog.
    pub fn with_catalog(mut self, catalog: CatalogReader) -> Self {
        self.catalog = Some(catalog);
        self
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, self.auditor.local())
    }

    /// Whether toolset `name` is served (resources follow their toolset).
    fn serves(&self, name: &str) -> bool {
        self.selected
            .as_ref()
            .is_none_or(|s| s.iter().any(|t| t == name))
    }
}

impl ToolServer for ContentServer {
    fn tools(&self) -> &ToolRouter<Self> {
        &self.tools
    }
}

impl Audited for ContentServer {
    fn auditor(&self) -> &Auditor {
        &self.auditor
    }
}

impl ContentServer {
    async fn client_choices(&self, who: &Principal, typed: &str) -> Vec<String> {
        let typed = typed.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        if let Some(catalog) = &self.catalog
            && let Ok(clients) = catalog.list_clients(&who.tenant).await
        {
            for c in clients {
                if c.id.as_str().to_lowercase().starts_with(&typed)
                    || c.name.to_lowercase().contains(&typed)
                {
                    out.push(c.id.into_string());
                }
            }
        }
        if let Ok(ids) = self.svc.store().brand_clients(&who.tenant).await {
            for id in ids {
                if id.to_lowercase().starts_with(&typed) && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out.sort();
        out
    }
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for ContentServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
        .with_server_info(Implementation::new(
            "mcp-content",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "PromptContent: channel-ready copy in English and Spanish within each channel's limits \
             (content://channels), art direction, SEO/answer-engine optimisation, brand guidelines \
             per client, and the asset library: versions, approval (content:approve, by someone \
             other than the asset's creator and last editor), usage rights.",
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(self.resources()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let body = self.read_audited(request.uri.as_str(), &who).await?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let who = self.who(&context);
        let typed = request.argument.value.trim();
        let prompt = match &request.r#ref {
            Reference::Prompt(p) => p.name.as_str(),
            _ => "",
        };
        let mut values: Vec<String> = match request.argument.name.as_str() {
            // Client ids come from the databases: only for readers.
            "client_id" if who.has_scope(resources::RESOURCE_SCOPE.as_str()) => {
                self.client_choices(&who, typed).await
            }
            "channel" => prompts::channel_choices(prompt)
                .into_iter()
                .filter(|c| c.starts_with(&typed.to_lowercase()))
                .map(str::to_owned)
                .collect(),
            "language" => ["en", "es"]
                .into_iter()
                .filter(|l| l.starts_with(&typed.to_lowercase()))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let total = values.len();
        values.truncate(CompletionInfo::MAX_VALUES);
        let more = total > values.len();
        let info = CompletionInfo::with_pagination(values, Some(total as u32), more)
            .map_err(|e| rpc_error(AppError::Internal(format!("completion: {e}"))))?;
        Ok(CompleteResult::new(info))
    }
}

#[cfg(test)]
mod tests;
