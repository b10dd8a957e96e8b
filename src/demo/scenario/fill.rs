//! The pure distribution functions: exact proportional spreading and
//! bounded water-filling. Everything the scenario pins exactly goes
//! through them, so they never create or lose a unit.

/// Spreads `total` over slots in proportion to `weights`, exactly (largest
/// remainder).
pub fn spread(total: i64, weights: &[f64]) -> Vec<i64> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || total <= 0 {
        let mut out = vec![0; n];
        if total > 0 {
            out[0] = total;
        }
        return out;
    }
    let raw: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<i64> = raw.iter().map(|x| x.floor() as i64).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| {
        let fa = raw[*a] - raw[*a].floor();
        let fb = raw[*b] - raw[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Distributes `total` over items in proportion to `weights` within
/// `[lo, hi]` per item (water-filling), exactly. Fails when the bounds make
/// the total impossible.
pub fn fill(total: i64, weights: &[f64], lo: &[i64], hi: &[i64]) -> Result<Vec<i64>, String> {
    let n = weights.len();
    let sum_lo: i64 = lo.iter().sum();
    let sum_hi: i64 = hi.iter().sum();
    if total < sum_lo || total > sum_hi {
        return Err(format!(
            "cannot place {total} within bounds {sum_lo}..={sum_hi}"
        ));
    }
    let mut x = lo.to_vec();
    let mut remaining = total - sum_lo;
    let mut active: Vec<usize> = (0..n).filter(|&i| hi[i] > lo[i]).collect();
    // Saturate the items whose proportional share exceeds their room.
    loop {
        let w: f64 = active.iter().map(|&i| weights[i].max(1e-9)).sum();
        let mut saturated = false;
        active.retain(|&i| {
            let share = remaining as f64 * weights[i].max(1e-9) / w;
            let room = hi[i] - x[i];
            if share >= room as f64 {
                saturated = true;
                false
            } else {
                true
            }
        });
        if !saturated {
            break;
        }
        // Re-derive: give saturated items their full room.
        let placed: i64 = (0..n)
            .filter(|i| !active.contains(i) && hi[*i] > x[*i])
            .map(|i| hi[i] - x[i])
            .sum();
        if placed > remaining {
            // Too many saturated at once: give rooms proportionally instead.
            break;
        }
        for i in 0..n {
            if !active.contains(&i) && hi[i] > x[i] {
                remaining -= hi[i] - x[i];
                x[i] = hi[i];
            }
        }
        if active.is_empty() {
            break;
        }
    }
    if remaining > 0 {
        let targets: Vec<usize> = if active.is_empty() {
            (0..n).filter(|&i| hi[i] > x[i]).collect()
        } else {
            active
        };
        let room: Vec<f64> = targets.iter().map(|&i| weights[i].max(1e-9)).collect();
        let mut adds = spread(remaining, &room);
        // Respect `hi` after rounding: move any excess to items with room.
        let mut excess = 0;
        for (k, &i) in targets.iter().enumerate() {
            let over = (x[i] + adds[k] - hi[i]).max(0);
            adds[k] -= over;
            excess += over;
        }
        for (k, &i) in targets.iter().enumerate() {
            if excess == 0 {
                break;
            }
            let room = hi[i] - x[i] - adds[k];
            let take = room.min(excess);
            adds[k] += take;
            excess -= take;
        }
        for (k, &i) in targets.iter().enumerate() {
            x[i] += adds[k];
        }
        if excess > 0 {
            return Err("water-filling left a remainder".into());
        }
    }
    Ok(x)
}

/// Keeps an unpinned total within what the per-commune bounds allow.
pub(super) fn clamp_total(total: i64, lo: &[i64], hi: &[i64]) -> i64 {
    total.clamp(lo.iter().sum(), hi.iter().sum())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn spread_gives_the_remainder_to_the_largest_fractions() {
        // 10 over 1:1:1 is 3.33 each: the first slot (ties by order) gets
        // the leftover unit.
        assert_eq!(spread(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        // 7 over 0.5:0.3:0.2 is 3.5, 2.1, 1.4: 3, 2, 1 and one left, for
        // the largest fraction (0.5).
        assert_eq!(spread(7, &[0.5, 0.3, 0.2]), vec![4, 2, 1]);
        // Nothing to weigh by: everything goes to the first slot.
        assert_eq!(spread(5, &[0.0, 0.0]), vec![5, 0]);
        assert_eq!(spread(0, &[1.0, 2.0]), vec![0, 0]);
        assert!(spread(5, &[]).is_empty());
    }

    #[test]
    fn fill_refuses_a_total_the_bounds_cannot_hold() {
        assert!(fill(10, &[1.0, 1.0], &[0, 0], &[4, 5]).is_err());
        assert!(fill(3, &[1.0, 1.0], &[2, 2], &[4, 5]).is_err());
        assert_eq!(fill(9, &[1.0, 1.0], &[0, 0], &[4, 5]), Ok(vec![4, 5]));
    }

    #[test]
    fn clamp_total_keeps_a_total_within_the_bounds_sums() {
        assert_eq!(clamp_total(100, &[1, 2], &[10, 20]), 30);
        assert_eq!(clamp_total(0, &[1, 2], &[10, 20]), 3);
        assert_eq!(clamp_total(12, &[1, 2], &[10, 20]), 12);
    }

    proptest! {
        #[test]
        fn spread_is_exact_and_within_one_of_proportional(
            total in 0i64..1_000_000,
            weights in prop::collection::vec(0.01f64..100.0, 1..40),
        ) {
            let out = spread(total, &weights);
            prop_assert_eq!(out.iter().sum::<i64>(), total);
            let sum: f64 = weights.iter().sum();
            for (v, w) in out.iter().zip(&weights) {
                let ideal = total as f64 * w / sum;
                prop_assert!((*v as f64 - ideal).abs() < 1.0 + 1e-6, "{} vs {}", v, ideal);
            }
        }

        #[test]
        fn fill_is_exact_and_within_the_bounds(
            items in prop::collection::vec((0.01f64..100.0, 0i64..1_000, 0i64..1_000), 1..40),
            at in 0.0f64..=1.0,
        ) {
            let weights: Vec<f64> = items.iter().map(|(w, _, _)| *w).collect();
            let lo: Vec<i64> = items.iter().map(|(_, a, _)| *a).collect();
            let hi: Vec<i64> = items.iter().map(|(_, a, b)| a + b).collect();
            let (sum_lo, sum_hi): (i64, i64) = (lo.iter().sum(), hi.iter().sum());
            let total = sum_lo + ((sum_hi - sum_lo) as f64 * at).round() as i64;
            let out = fill(total, &weights, &lo, &hi).expect("a total within the bounds fits");
            prop_assert_eq!(out.iter().sum::<i64>(), total);
            for i in 0..out.len() {
                prop_assert!(lo[i] <= out[i] && out[i] <= hi[i]);
            }
        }
    }
}
