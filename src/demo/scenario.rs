//! The reference scenario (placeholder while the generator is written).
use super::units::MapUnit;
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbErr};
pub struct Scenario;
impl Scenario {
    pub fn build(_units: &[MapUnit], _figures: bool) -> Result<Self, String> {
        Ok(Scenario)
    }
    pub fn row_count(&self) -> u64 {
        0
    }
    pub async fn insert<C: ConnectionTrait>(
        &self,
        _db: &C,
        _bar: &ProgressBar,
    ) -> Result<(), DbErr> {
        Ok(())
    }
}
