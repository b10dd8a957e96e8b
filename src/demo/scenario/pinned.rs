//! Pinned figures (DOMAIN.md, reference scenario): every one comes out
//! exactly through the API.

/// Hà Tĩnh, as of 2023-04-15.
pub const HA_TINH: &str = "42";
pub const HA_TINH_ELIGIBLE: i64 = 1_192_722;
pub const HA_TINH_PRESENT: i64 = 1_124_842;
pub const HA_TINH_ACCOUNTS_ELIGIBLE: i64 = 859_268;
pub const HA_TINH_CARDS_TOTAL: i64 = 1_120_269;
pub const HA_TINH_ACCOUNTS_TOTAL: i64 = 334_146;
pub const HA_TINH_COMPLETE_COMMUNES: usize = 7;
/// Thạch Kênh commune, among the first six in the country to complete.
pub const THACH_KENH: &str = "18586";
/// Quảng Nam, as of 2023-05-16.
pub const QUANG_NAM: &str = "49";
pub const QUANG_NAM_ACTIVATION_RATE: f64 = 0.112;
pub const QUANG_NAM_REMAINING: i64 = 59_317;
pub const QUANG_NAM_ACCOUNTS_TARGET: i64 = 728_000;
pub const QUANG_NAM_REINFORCEMENTS: i32 = 30;
/// Nghệ An: every commune complete by 2023-06-30.
pub const NGHE_AN: &str = "40";
/// Thanh Hóa, 2020-12-21 to 2021-03-06.
pub const THANH_HOA: &str = "38";
pub const THANH_HOA_ELIGIBLE: i64 = 2_947_938;
pub const THANH_HOA_APPLICATIONS: i64 = 92_629;
pub const THANH_HOA_CARDS: i64 = 48_213;
/// Ninh Bình city, 2022-09-10 to 2022-09-20 (the first 11 days).
pub const NINH_BINH_CITY: &str = "369";
pub const NINH_BINH_CARDS_11_DAYS: i64 = 2_275;
pub const NINH_BINH_HOME_VISITS_11_DAYS: i64 = 214;
/// The province that leads Hà Tĩnh on activation as of 2023-04-15.
pub const ACTIVATION_LEADER: &str = "48";
/// Provinces below Quảng Nam on activation as of 2023-05-16 (rank 47 of 63).
pub const BELOW_QUANG_NAM: usize = 16;
