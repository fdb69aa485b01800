//! Whether an asset's form fits a channel it is asked to run on.

use promptsales_shared::domain::Channel;

use super::copy::violations;
use super::{Asset, AssetFormat};

/// Channels that share placements: Meta's ads run on Facebook and Instagram.
fn same_family(a: Channel, b: Channel) -> bool {
    a == b
        || matches!(
            (a, b),
            (Channel::Meta, Channel::Instagram) | (Channel::Instagram, Channel::Meta)
        )
}

/// Why `asset` does not fit `channel`, one sentence per problem; empty when
/// it fits. Images and videos fit every channel that shows media (not SMS);
/// copy fits the channel it was written for (Meta and Instagram share ads),
/// and generated copy must still be within its channel's limits (imports
/// and old versions may not be).
pub fn fit_reasons(asset: &Asset, channel: Channel) -> Vec<String> {
    let mut reasons = Vec::new();
    match asset.format {
        AssetFormat::Image | AssetFormat::Video => {
            if channel == Channel::Sms {
                reasons.push(format!(
                    "asset {} is {} and SMS carries text only",
                    asset.id.as_str(),
                    if asset.format == AssetFormat::Image {
                        "an image"
                    } else {
                        "a video"
                    }
                ));
            }
        }
        _ => {
            if !same_family(asset.channel, channel) {
                reasons.push(format!(
                    "asset {} is {} copy written for {}, which does not fit {}",
                    asset.id.as_str(),
                    asset.format.as_str(),
                    asset.channel.as_str(),
                    channel.as_str()
                ));
            }
        }
    }
    if let (Some(p), Some(fields)) = (asset.placement, &asset.fields) {
        let pairs: Vec<(String, String)> = fields
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect();
        reasons.extend(
            violations(p, &pairs)
                .into_iter()
                .map(|v| format!("asset {}: {v}", asset.id.as_str())),
        );
    }
    reasons
}
