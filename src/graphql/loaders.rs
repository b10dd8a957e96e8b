//! The per-request loaders. A fresh set is made for every request, so
//! nothing is cached across requests (or callers), and each loader batches
//! the keys of one execution tick into one statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use futures_util::FutureExt;
use sea_orm::DatabaseConnection;

use crate::access::Scope;
use crate::engine::ranks::{Placings, RankCache, RankingKey};
use crate::engine::{Engine, Snapshot};
use crate::error::AppError;

use super::campaign::loader::{CampaignLoader, SubCampaignsLoader, TargetsLoader};
use super::report::loader::{HistoryLoader, ReportLoader};
use super::team::loader::{CampaignTeamsLoader, ServedUnitsLoader, TeamLoader, UnitTeamsLoader};
use super::unit::loader::{ChildrenLoader, UnitLoader};

/// The one snapshot a request reads: taken on first use, so every number
/// in a response comes from the same version of the data.
///
/// A mutation [`renew`](SnapshotCell::renew)s it after its write, so that
/// what the mutation's payload (and any later mutation field) reads shows
/// the write.
pub struct SnapshotCell {
    engine: Arc<Engine>,
    cell: std::sync::Mutex<Option<Arc<Pinned>>>,
}

/// A request's hold on a snapshot, and on the engine's rankings beside it.
/// Resolvers clone this per-request `Arc`, not the snapshot's own, which
/// every request in flight shares: a reference count bumped from both
/// cores for every field would bounce its cache line between them.
pub struct Pinned {
    snapshot: Arc<Snapshot>,
    rankings: Arc<RankCache>,
}

impl Pinned {
    /// The placings of one ranking of the pinned snapshot, from the
    /// engine's rank cache when another request computed them already.
    pub fn placings(&self, key: RankingKey) -> Arc<Placings> {
        self.rankings.placings(&self.snapshot, key)
    }
}

impl std::ops::Deref for Pinned {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl SnapshotCell {
    /// The request's snapshot (waiting for the engine's first one if needed).
    pub async fn get(&self) -> Result<Arc<Pinned>, async_graphql::Error> {
        if let Some(pinned) = self.pinned() {
            return Ok(pinned);
        }
        // Boxed: every resolver that reads the snapshot awaits this, and
        // async-graphql boxes each field's future at the size of its
        // type's largest resolver (a wait with a timer would make every
        // `code` and `name` of a unit as large).
        let snapshot = self
            .engine
            .snapshot_for_request()
            .boxed()
            .await
            .ok_or_else(|| {
                async_graphql::Error::from(AppError::Unavailable(
                    "the rollup engine is still loading",
                ))
            })?;
        let mut cell = self
            .cell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(cell
            .get_or_insert_with(|| {
                Arc::new(Pinned {
                    snapshot,
                    rankings: self.engine.rankings().clone(),
                })
            })
            .clone())
    }

    fn pinned(&self) -> Option<Arc<Pinned>> {
        self.cell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// `read` of the request's snapshot, if it has taken one already.
    pub fn with_pinned<R>(&self, read: impl FnOnce(&Snapshot) -> R) -> Option<R> {
        self.cell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_deref()
            .map(|pinned| read(pinned))
    }

    /// Forgets the pinned snapshot: the next read takes the current one.
    pub fn renew(&self) {
        *self
            .cell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// The engine the snapshots come from.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}

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
    pub reports: DataLoader<ReportLoader>,
    pub report_history: DataLoader<HistoryLoader>,
    pub snapshot: Arc<SnapshotCell>,
    /// What the request's caller may see.
    pub scope: Scope,
}

impl Loaders {
    /// A fresh set of loaders for one request.
    pub fn new(db: &DatabaseConnection, engine: &Arc<Engine>, scope: Scope) -> Self {
        fn make<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
            DataLoader::new(loader, tokio::spawn)
        }
        let snapshot = Arc::new(SnapshotCell {
            engine: engine.clone(),
            cell: std::sync::Mutex::new(None),
        });
        Loaders {
            scope,
            snapshot,
            units: make(UnitLoader {
                db: db.clone(),
                engine: engine.clone(),
            }),
            children: make(ChildrenLoader(db.clone())),
            campaigns: make(CampaignLoader(db.clone())),
            sub_campaigns: make(SubCampaignsLoader(db.clone())),
            campaign_targets: make(TargetsLoader(db.clone())),
            campaign_teams: make(CampaignTeamsLoader(db.clone())),
            teams: make(TeamLoader(db.clone())),
            unit_teams: make(UnitTeamsLoader(db.clone())),
            served_units: make(ServedUnitsLoader(db.clone())),
            reports: make(ReportLoader(db.clone())),
            report_history: make(HistoryLoader(db.clone())),
        }
    }
}

/// Groups rows by a key, giving every requested key a (possibly empty) list.
pub fn group<R>(
    keys: &[i64],
    rows: Vec<R>,
    key: impl Fn(&R) -> Option<i64>,
) -> HashMap<i64, Arc<Vec<R>>> {
    let mut grouped: HashMap<i64, Vec<R>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        if let Some(k) = key(&row) {
            grouped.entry(k).or_default().push(row);
        }
    }
    grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
}
