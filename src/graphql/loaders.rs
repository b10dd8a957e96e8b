//! The per-request loaders. A fresh set is made for every request, so
//! nothing is cached across requests (or callers), and each loader batches
//! the keys of one execution tick into one statement.

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use super::campaign::loader::{CampaignLoader, SubCampaignsLoader, TargetsLoader};
use super::team::loader::{CampaignTeamsLoader, ServedUnitsLoader, TeamLoader, UnitTeamsLoader};
use super::unit::loader::{ChildrenLoader, UnitLoader};

/// Every loader a request may use.
pub struct Loaders {
    pub units: DataLoader<UnitLoader>,
    pub children: DataLoader<ChildrenLoader>,
    pub campaigns: DataLoader<CampaignLoader>,
    pub sub_campaigns: DataLoader<SubCampaignsLoader>,
    pub campaign_targets: DataLoader<TargetsLoader>,
    pub campaign_teams: DataLoader<CampaignTeamsLoader>,
    pub teams: DataLoader<TeamLoader>,
    pub unit_teams: DataLoader<UnitTeamsLoader>,
    pub served_units: DataLoader<ServedUnitsLoader>,
}

impl Loaders {
    /// A fresh set of loaders for one request.
    pub fn new(db: &DatabaseConnection) -> Self {
        fn make<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
            DataLoader::new(loader, tokio::spawn)
        }
        Loaders {
            units: make(UnitLoader(db.clone())),
            children: make(ChildrenLoader(db.clone())),
            campaigns: make(CampaignLoader(db.clone())),
            sub_campaigns: make(SubCampaignsLoader(db.clone())),
            campaign_targets: make(TargetsLoader(db.clone())),
            campaign_teams: make(CampaignTeamsLoader(db.clone())),
            teams: make(TeamLoader(db.clone())),
            unit_teams: make(UnitTeamsLoader(db.clone())),
            served_units: make(ServedUnitsLoader(db.clone())),
        }
    }
}
