//! The read fence: "which data version is committed?", asked of the
//! database by one query on behalf of every request waiting at the time.
//!
//! A replica learns of other replicas' writes by notification or polling,
//! which arrive a moment after the commit. A request that must see every
//! write committed before it arrived (so that no response, cached or not,
//! is stale) asks the database for the committed version instead. Asking
//! once per request would put a round trip per request on the database;
//! here a request joins the next query that *starts after it arrived* (one
//! already running may have read the row before a write the request must
//! see), so under load one query serves a whole burst of requests, and at
//! most one runs at a time.

use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;

use crate::store::changes;

/// How long one read of the committed version may take.
const READ_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// What the last finished query read: its generation and the version.
type Reading = (u64, Result<i64, String>);

/// Coalesces reads of the committed data version.
#[derive(Debug)]
pub struct Fence {
    state: Mutex<State>,
    readings: watch::Sender<Reading>,
}

#[derive(Debug, Default)]
struct State {
    /// Generation of the query running or last run.
    started: u64,
    /// Whether a query is running.
    running: bool,
    /// Whether a request arrived while it ran (and needs the next one).
    again: bool,
}

impl Default for Fence {
    fn default() -> Self {
        Fence {
            state: Mutex::new(State::default()),
            readings: watch::channel((0, Ok(0))).0,
        }
    }
}

impl Fence {
    /// The data version committed when this call was made, or later.
    pub async fn committed(self: &Arc<Self>, db: &DatabaseConnection) -> Result<i64, DbErr> {
        let mut readings = self.readings.subscribe();
        let needed = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.running {
                state.again = true;
                state.started + 1
            } else {
                state.running = true;
                state.started += 1;
                let fence = self.clone();
                let db = db.clone();
                // A task of its own: a request that gives up waiting must
                // not cancel the query others wait for.
                tokio::spawn(async move { fence.read(db).await });
                state.started
            }
        };
        let reading = readings
            .wait_for(|(generation, _)| *generation >= needed)
            .await
            .map_err(|_| DbErr::Custom("the version reader stopped".into()))?;
        reading.1.clone().map_err(DbErr::Custom)
    }

    async fn read(self: Arc<Self>, db: DatabaseConnection) {
        loop {
            let generation = self.state.lock().unwrap_or_else(|p| p.into_inner()).started;
            // Bounded: a read stuck on a database that went away must not
            // hold every later request's fence.
            let version = match tokio::time::timeout(READ_WAIT, changes::current(&db)).await {
                Ok(read) => read.map_err(|err| err.to_string()),
                Err(_) => Err(format!("no answer within {} ms", READ_WAIT.as_millis())),
            };
            self.readings
                .send_modify(|reading| *reading = (generation, version));
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.again {
                state.again = false;
                state.started += 1;
            } else {
                state.running = false;
                return;
            }
        }
    }
}
