//! Progress of campaign targets: achieved, projected day, on track.

use super::metrics::{Metric, MetricKind};
use super::period::Period;
use super::snapshot::Snapshot;
use crate::model::day::Day;

/// Days of the run rate behind a projection.
pub const RUN_RATE_DAYS: i32 = 14;
/// Projections further out than this are not made.
pub const HORIZON_DAYS: i32 = 365;

/// Where a target stands on a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetProgress {
    pub achieved: i64,
    pub progress: Option<f64>,
    pub projected_on: Option<Day>,
    pub on_track: bool,
}

/// A target on `metric` for the subtree of `scope`, counted from `starts_on`
/// (flows) and due on `due_on`, as it stands on `as_of`.
pub fn progress(
    s: &Snapshot,
    scope: u32,
    metric: Metric,
    target: i64,
    starts_on: Day,
    due_on: Day,
    as_of: Day,
) -> TargetProgress {
    let value = |d: Day| -> i64 {
        if metric.info().kind == MetricKind::Flow {
            if d < starts_on {
                return 0;
            }
            s.rollup(
                scope,
                Period {
                    from: starts_on,
                    to: d,
                },
                None,
            )
            .metric(metric)
        } else {
            s.rollup(scope, Period { from: d, to: d }, None)
                .metric(metric)
        }
    };
    let achieved = value(as_of);
    let progress = (target != 0).then(|| achieved as f64 / target as f64);
    let projected_on = if achieved >= target {
        // The first day it was reached: values only grow (flows are never
        // negative), so a binary search finds it.
        let (mut lo, mut hi) = (starts_on.min(as_of), as_of);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if value(mid) >= target {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        Some(lo)
    } else {
        // Run rate of the flow behind the metric over the last 14 days.
        metric.driving_flow().and_then(|flow| {
            let window = Period {
                from: as_of - RUN_RATE_DAYS + 1,
                to: as_of,
            };
            let recent = flow.of_flows(&s.flows(scope, window, None))?;
            if recent <= 0 {
                return None;
            }
            let missing = (target - achieved) as i128;
            let days = (missing * RUN_RATE_DAYS as i128 + recent as i128 - 1) / recent as i128;
            (days <= HORIZON_DAYS as i128).then(|| as_of + days as Day)
        })
    };
    let on_track = achieved >= target || projected_on.is_some_and(|d| d <= due_on);
    TargetProgress {
        achieved,
        progress,
        projected_on,
        on_track,
    }
}
