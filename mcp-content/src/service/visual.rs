//! `generate_visual_brief`: art direction per channel and, with an image
//! endpoint, the images, stored under the data dir as image assets; each
//! channel's direction is one generation of the client's plan.

use std::path::{Path, PathBuf};

use chrono::Utc;

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId, validate_id};
use serde::{Deserialize, Serialize};

use super::ContentService;
use crate::domain::brief::stable_hash;
use crate::domain::visual::{VisualBriefInput, VisualDirection, directions};
use crate::domain::{AssetFormat, NewAsset};

/// A stored image.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeneratedImage {
    pub asset_id: String,
    /// Where the file is, inside the data dir.
    pub path: String,
    pub bytes: usize,
    pub kind: String,
}

/// Art direction for one channel, and the image when one was generated.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualBriefItem {
    #[serde(flatten)]
    pub direction: VisualDirection,
    pub image: Option<GeneratedImage>,
}

/// The result of `generate_visual_brief`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualBrief {
    pub items: Vec<VisualBriefItem>,
    /// Why no images were generated, when asked for and impossible.
    pub notes: Vec<String>,
}

impl ContentService {
    /// Art direction per channel; with an image endpoint configured and
    /// `generate_images`, the images too, stored in the data dir as assets.
    /// Each direction counts as a generation of the client's plan, charged
    /// with the image assets in one transaction; beyond the plan nothing
    /// is fetched or saved.
    pub async fn visual_brief(
        &self,
        tenant: &TenantId,
        author: &str,
        input: &VisualBriefInput,
    ) -> Result<VisualBrief, AppError> {
        let client = ClientId::parse(&input.client_id)?;
        let campaign = input
            .campaign_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| validate_id("campaign_id", c))
            .transpose()?;
        let dirs = directions(input)?;
        let meter = self.meter(tenant, &client, Utc::now()).await?;
        let count = i64::try_from(dirs.len()).unwrap_or(i64::MAX);
        self.precheck(tenant, &meter, count, author).await?;
        let language = input.language;
        let mut notes = Vec::new();
        let mut items = Vec::new();
        let images = match (&self.images, &self.data_dir, input.generate_images) {
            (Some(cfg), Some(dir), true) => Some((cfg, dir)),
            (None, _, true) | (_, None, true) => {
                notes.push("no image endpoint is configured (set PROMPTSALES_IMAGE_BASE_URL): art direction only, no images".into());
                None
            }
            _ => None,
        };
        // Every image is fetched before anything is stored: a failed or
        // refused image (timeout, size cap, not an image) leaves no file
        // and no asset behind.
        let mut fetched: Vec<Option<(Vec<u8>, &'static str)>> = Vec::with_capacity(dirs.len());
        for d in &dirs {
            fetched.push(match images {
                Some((cfg, _)) if d.medium == "image" => Some(
                    crate::llm::generate_image(cfg, &d.image_prompt, &d.generation_size).await?,
                ),
                Some(_) => {
                    notes.push(format!(
                        "{}: video is art direction only (the endpoint makes still images)",
                        d.channel
                    ));
                    None
                }
                None => None,
            });
        }
        let mut news = Vec::new();
        let mut files = Vec::new();
        if let Some((_, dir)) = images {
            for (d, image) in dirs.iter().zip(&fetched) {
                let Some((bytes, kind)) = image else {
                    continue;
                };
                let path = store_image(dir, tenant, bytes, kind).await?;
                news.push(NewAsset {
                    client_id: client.clone(),
                    campaign_id: campaign.clone(),
                    channel: d.channel.spec().library_channel,
                    format: AssetFormat::Image,
                    language,
                    title: Some(d.alt_text.clone()),
                    body: path.display().to_string(),
                    rights: None,
                    created_by: Some(author.to_owned()),
                    placement: None,
                    fields: None,
                });
                files.push((path, bytes.len(), *kind));
            }
        }
        // All image assets and the usage in one transaction. Refused here
        // only when another call took the last of the plan since the check
        // above; image files already written are content-addressed and
        // left for the next call that makes the same image.
        let bill = meter.bill(count, author);
        let assets = if news.is_empty() {
            match self.store.charge(tenant, &bill).await? {
                None => Vec::new(),
                Some(over) => return Err(meter.refusal(over, &bill)),
            }
        } else {
            self.store
                .create_assets_billed(tenant, &news, Some(&bill))
                .await?
                .map_err(|over| meter.refusal(over, &bill))?
        };
        let mut stored = files.into_iter().zip(assets);
        for (d, image) in dirs.into_iter().zip(fetched) {
            let image = match image {
                Some(_) => stored
                    .next()
                    .map(|((path, bytes, kind), asset)| GeneratedImage {
                        asset_id: asset.id.into_string(),
                        path: path.display().to_string(),
                        bytes,
                        kind: kind.into(),
                    }),
                None => None,
            };
            items.push(VisualBriefItem {
                direction: d,
                image,
            });
        }
        Ok(VisualBrief { items, notes })
    }
}

/// Writes an image under `<data dir>/content/images/<tenant>/`, named by a
/// hash of its bytes. The paths stay in the log: a failure is internal.
async fn store_image(
    data_dir: &Path,
    tenant: &TenantId,
    bytes: &[u8],
    kind: &str,
) -> Result<PathBuf, AppError> {
    let name = format!(
        "{:016x}.{}",
        stable_hash(&[&String::from_utf8_lossy(bytes)]),
        if kind == "jpeg" { "jpg" } else { kind }
    );
    let folder = data_dir
        .join("content")
        .join("images")
        .join(tenant.as_str());
    tokio::fs::create_dir_all(&folder)
        .await
        .map_err(|e| AppError::Internal(format!("creating {}: {e}", folder.display())))?;
    let path = folder.join(name);
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| AppError::Internal(format!("writing {}: {e}", path.display())))?;
    Ok(path)
}
