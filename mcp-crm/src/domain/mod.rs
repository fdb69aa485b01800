//! Pure types and rules of the CRM context: no I/O. The lead, sale, seller
//! and interaction types are `crm-read`'s (other contexts share them); the
//! server's own rules (contacts, phones and the ledger, scoring, intent,
//! assignment, the follow-up digest) live here.

mod assignment;
mod contact;
pub mod digest;
pub mod intent;
mod phone;
pub mod scoring;

pub use assignment::AssignStrategy;
pub use contact::{ConsentKind, ConsentState, ContactChannel, DirectChannel, normalise_email};
pub use crm_read::domain::{
    Direction, Interaction, InteractionId, Lead, LeadId, LeadStage, Sale, SaleId, Seller, SellerId,
};
pub use phone::{country_of_phone, normalise_phone};
pub use scoring::Language;
