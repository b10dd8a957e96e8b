//! Apportioning a count by shares: the parts are whole numbers that add up
//! exactly to the count (largest-remainder rounding), so no count is made
//! or lost when an old unit's numbers are split between new units.

/// Splits `total` by `shares` (each in [0, 1], summing to 1): every part
/// is the floor of its exact share, and the units left over go one each to
/// the parts with the largest remainders (ties to the earlier part). The
/// parts sum to `total` exactly, for negative totals too (a correction
/// that lowers a count is split the same way, mirrored).
pub fn apportion(total: i64, shares: &[f64]) -> Vec<i64> {
    if shares.is_empty() {
        return Vec::new();
    }
    if total < 0 {
        return apportion(-total, shares).into_iter().map(|p| -p).collect();
    }
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares
        .iter()
        .map(|s| {
            if sum > 0.0 {
                total as f64 * s / sum
            } else {
                0.0
            }
        })
        .collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut left = total - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    // Floating-point floors may leave more than one unit per part, or
    // (rarely) overshoot: settle whole rounds until the sum is exact.
    while left != 0 {
        for &i in &order {
            if left == 0 {
                break;
            }
            let step = left.signum();
            if parts[i] + step >= 0 {
                parts[i] += step;
                left -= step;
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_and_thirds() {
        assert_eq!(apportion(7, &[0.5, 0.5]), vec![4, 3]);
        assert_eq!(apportion(10, &[1.0 / 3.0; 3]), vec![4, 3, 3]);
        assert_eq!(apportion(2, &[0.7, 0.3]), vec![1, 1]);
        assert_eq!(apportion(-7, &[0.5, 0.5]), vec![-4, -3]);
        assert_eq!(apportion(0, &[0.2, 0.8]), vec![0, 0]);
        assert_eq!(apportion(5, &[1.0]), vec![5]);
    }

    #[test]
    fn the_parts_are_whole_exact_and_within_one_of_the_share() {
        // Every total in a range against shares of 1 to 5 parts drawn from
        // a fixed arithmetic sequence (the vocabulary depends on no
        // random-testing crate).
        let mut seed = 17u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for n in 1..=5 {
            for _ in 0..200 {
                let weights: Vec<f64> = (0..n).map(|_| 0.001 + next()).collect();
                let sum: f64 = weights.iter().sum();
                let shares: Vec<f64> = weights.iter().map(|w| w / sum).collect();
                for total in (-1_000..1_000).chain([999_999, 1 << 40]) {
                    let parts = apportion(total, &shares);
                    assert_eq!(parts.iter().sum::<i64>(), total, "{shares:?}");
                    for (part, share) in parts.iter().zip(&shares) {
                        let exact = total as f64 * share;
                        assert!(
                            (*part as f64 - exact).abs() < 1.0 + 1e-6,
                            "{part} vs {exact}"
                        );
                    }
                }
            }
        }
    }
}
