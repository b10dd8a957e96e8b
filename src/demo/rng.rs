//! A small deterministic random generator (SplitMix64).
//!
//! Written here rather than taken from `rand` on purpose: the demo must
//! produce the same numbers on every machine and every future build, and
//! `rand` does not promise stable value streams across versions.

/// SplitMix64 (Steele, Lea and Flood, 2014).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one named stream under a seed, so that streams do
    /// not depend on the order in which others are drawn.
    pub fn stream(seed: u64, key: u64) -> Self {
        let mut rng = Rng(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// An integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    /// The stream is pinned to reference outputs: a change to the generator
    /// would change every demo figure, so it must fail here first.
    #[test]
    fn streams_are_pinned_to_reference_outputs() {
        // SplitMix64's published reference sequence for seed 1234567.
        let mut r = Rng::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
        // A named stream, and the derived draws the scenario uses.
        let mut s = Rng::stream(7, 3);
        let streamed: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        assert_eq!(
            streamed,
            [
                10_439_198_631_842_511_153,
                14_902_973_265_903_701_061,
                10_157_257_148_626_131_576,
            ]
        );
        let mut i = Rng::new(42);
        let ints: Vec<i64> = (0..3).map(|_| i.int(-2, 2)).collect();
        assert_eq!(ints, [1, -1, 1]);
        assert_eq!(Rng::new(42).unit(), 0.741_564_878_771_823_3);
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.range(2.0, 3.0);
            assert!((2.0..3.0).contains(&x));
            let n = r.int(-2, 2);
            assert!((-2..=2).contains(&n));
        }
        assert_eq!(r.int(5, 5), 5);
    }
}
