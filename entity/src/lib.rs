//! sea-orm entities of tiendo.
//!
//! One module per table. The entities are plain storage rows: they know
//! nothing about GraphQL or HTTP (the server wraps them in its own output
//! types), so this crate depends on sea-orm, chrono and serde only.

pub mod api_key;
pub mod audit_entry;
pub mod campaign;
pub mod campaign_target;
pub mod data_change;
pub mod report;
pub mod report_history;
pub mod stock_value;
pub mod team;
pub mod team_unit;
pub mod trusted_document;
pub mod unit;
pub mod unit_lineage;

pub mod prelude {
    //! The entities under short names, for `use entity::prelude::*`.
    pub use crate::api_key::Entity as ApiKey;
    pub use crate::audit_entry::Entity as AuditEntry;
    pub use crate::campaign::Entity as Campaign;
    pub use crate::campaign_target::Entity as CampaignTarget;
    pub use crate::data_change::Entity as DataChange;
    pub use crate::report::Entity as Report;
    pub use crate::report_history::Entity as ReportHistory;
    pub use crate::stock_value::Entity as StockValue;
    pub use crate::team::Entity as Team;
    pub use crate::team_unit::Entity as TeamUnit;
    pub use crate::trusted_document::Entity as TrustedDocument;
    pub use crate::unit::Entity as Unit;
    pub use crate::unit_lineage::Entity as UnitLineage;
}
