//! The creative each channel is launched with: the full approved copy
//! (body, headlines, descriptions, keywords) and media of the usable
//! assets attached to the channel, read through `content-read`.

use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, TenantId};

use crate::connectors::Creative;
use crate::service::AdsService;
use crate::store::CampaignRecord;

/// Field names that carry each part of an ad (content's channel table:
/// `headline`, `description`, `primary_text`, Google's `keyword`s).
fn named<'a>(fields: &'a [content_read::domain::FieldValue], prefix: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|f| f.name.starts_with(prefix) && !f.text.trim().is_empty())
        .map(|f| f.text.as_str())
        .collect()
}

/// A channel's creative from its usable assets' whole copy: the first text
/// asset gives the copy, the first image or video (or a `media_url`
/// field) the media.
pub(super) fn creative_of(copies: &[content_read::AssetCopy]) -> Option<Creative> {
    use content_read::domain::AssetFormat;
    let media =
        |c: &&content_read::AssetCopy| matches!(c.format, AssetFormat::Image | AssetFormat::Video);
    let text = copies.iter().find(|c| !media(c));
    let image = copies.iter().find(media);
    let base = text.or(image)?;
    let url = |s: &str| {
        let s = s.trim();
        (s.starts_with("https://") || s.starts_with("http://")).then(|| s.to_owned())
    };
    let (headlines, descriptions, body, keywords, field_media) = match text {
        Some(t) => {
            let mut headlines: Vec<String> = named(&t.fields, "headline")
                .into_iter()
                .map(str::to_owned)
                .collect();
            if headlines.is_empty()
                && let Some(title) = &t.title
            {
                headlines.push(title.clone());
            }
            let primary = named(&t.fields, "primary_text");
            (
                headlines,
                named(&t.fields, "description")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                primary
                    .first()
                    .map_or_else(|| t.body.clone(), |p| (*p).to_owned()),
                named(&t.fields, "keyword")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                named(&t.fields, "media_url").first().and_then(|u| url(u)),
            )
        }
        None => (Vec::new(), Vec::new(), String::new(), Vec::new(), None),
    };
    Some(Creative {
        asset_id: base.asset_id.clone(),
        version: base.version,
        headlines,
        descriptions,
        body,
        media_url: image.and_then(|i| url(&i.body)).or(field_media),
        keywords,
    })
}

impl AdsService {
    /// The full approved copy of each channel in `channels`, read through
    /// the content read path from the usable assets attached to it; a
    /// channel without one (waived, or no content path) has none.
    pub(super) async fn launch_creatives(
        &self,
        tenant: &TenantId,
        rec: &CampaignRecord,
        channels: &[Channel],
    ) -> Result<Vec<(Channel, Creative)>, AppError> {
        let Some(src) = &self.content else {
            return Ok(Vec::new());
        };
        let attached = self.store.assets(tenant, &rec.campaign.id).await?;
        let all = self.creatives(tenant, rec, &attached, &rec.waivers).await?;
        let mut out = Vec::new();
        for ch in all.iter().filter(|c| channels.contains(&c.channel)) {
            let mut copies = Vec::new();
            for a in ch.assets.iter().filter(|a| a.usable) {
                if let Some(c) = src.copy(tenant, &a.asset_id).await? {
                    copies.push(c);
                }
            }
            if let Some(c) = creative_of(&copies) {
                out.push((ch.channel, c));
            }
        }
        Ok(out)
    }
}
