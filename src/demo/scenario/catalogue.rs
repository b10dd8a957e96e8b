//! Campaigns, targets and teams of the reference scenario, with the ids
//! the reports refer to.

use entity::unit::UnitLevel;

use super::pinned;
use super::{CampaignRow, MapIndex, SEED, Scenario, TargetRow, TeamRow, day};
use crate::demo::rng::Rng;
use crate::demo::units::MapUnit;

/// Campaign ids (assigned here so that teams and reports can refer to them).
pub mod campaign_ids {
    pub const DE_AN_06: i64 = 1;
    pub const THANH_HOA: i64 = 2;
    pub const NINH_BINH_CITY: i64 = 3;
    pub const HA_TINH: i64 = 4;
    pub const QUANG_NAM: i64 = 5;
    pub const NGHE_AN: i64 = 6;
}

/// Team ids the reports refer to.
pub mod team_ids {
    pub const NINH_BINH_DESK: i64 = 1;
    pub const NINH_BINH_MOBILE: i64 = 2;
}

impl Scenario {
    /// Campaigns, targets and teams of the reference scenario.
    pub(super) fn generate_catalogue(&mut self, map: &MapIndex<'_>) -> Result<(), String> {
        use campaign_ids as cid;
        use pinned::*;
        let ministry = map.units.first().ok_or("empty map")?;
        let thanh_hoa = map.get(UnitLevel::Province, THANH_HOA)?;
        let city = map.get(UnitLevel::District, NINH_BINH_CITY)?;
        let ha_tinh = map.get(UnitLevel::Province, HA_TINH)?;
        let quang_nam = map.get(UnitLevel::Province, QUANG_NAM)?;
        let nghe_an = map.get(UnitLevel::Province, NGHE_AN)?;
        let campaign =
            |id, name: &str, description: &str, scope: &MapUnit, from, to, deadline, parent| {
                CampaignRow {
                    id,
                    name: name.to_owned(),
                    description: description.to_owned(),
                    scope_unit_id: scope.id,
                    starts_on: from,
                    ends_on: to,
                    deadline,
                    parent_id: parent,
                }
            };
        self.campaigns = vec![
            campaign(
                cid::DE_AN_06,
                "Đề án 06: dữ liệu dân cư, định danh và xác thực điện tử (2022–2025)",
                "National programme: chip ID cards for every citizen aged 14+, and VNeID accounts.",
                ministry,
                day(2022, 1, 6),
                day(2025, 12, 31),
                None,
                None,
            ),
            campaign(
                cid::THANH_HOA,
                "Cao điểm thu nhận hồ sơ cấp căn cước công dân gắn chip, tỉnh Thanh Hóa",
                "Peak drive to collect chip ID card applications at the start of the roll-out.",
                thanh_hoa,
                day(2020, 12, 21),
                day(2021, 3, 6),
                None,
                None,
            ),
            campaign(
                cid::NINH_BINH_CITY,
                "Cao điểm 30 ngày đêm cấp căn cước công dân và định danh điện tử, thành phố Ninh Bình",
                "Two teams at the one-stop centre and the ward and commune stations, 07:00–22:00.",
                city,
                day(2022, 9, 10),
                day(2022, 10, 10),
                None,
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::HA_TINH,
                "Cao điểm cấp căn cước công dân và kích hoạt định danh điện tử, tỉnh Hà Tĩnh",
                "Provincial task forces and mobile teams; district mobile teams work 24/7.",
                ha_tinh,
                day(2023, 1, 1),
                day(2023, 4, 30),
                None,
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::QUANG_NAM,
                "Cao điểm kích hoạt tài khoản định danh điện tử, tỉnh Quảng Nam",
                "Catch-up drive after ranking 47th of 63 on activation; 30 officers dispatched on 2023-05-16.",
                quang_nam,
                day(2023, 5, 16),
                day(2023, 6, 30),
                Some(day(2023, 6, 30)),
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::NGHE_AN,
                "Cao điểm 70 ngày đêm cấp căn cước công dân, tỉnh Nghệ An",
                "70 days and nights to issue a card to every eligible citizen.",
                nghe_an,
                day(2023, 4, 22),
                day(2023, 6, 30),
                Some(day(2023, 6, 30)),
                Some(cid::DE_AN_06),
            ),
        ];
        self.targets = vec![
            TargetRow {
                campaign_id: cid::HA_TINH,
                metric: "ACCOUNTS_ACTIVATED_TOTAL",
                value: 400_000,
                due_on: day(2023, 4, 30),
            },
            TargetRow {
                campaign_id: cid::QUANG_NAM,
                metric: "ACCOUNTS_ACTIVATED_TOTAL",
                value: QUANG_NAM_ACCOUNTS_TARGET,
                due_on: day(2023, 6, 30),
            },
            TargetRow {
                campaign_id: cid::QUANG_NAM,
                metric: "APPLICATIONS_COLLECTED",
                value: self.derived.quang_nam_remaining_at_start,
                due_on: day(2023, 6, 15),
            },
            TargetRow {
                campaign_id: cid::NGHE_AN,
                metric: "CARDS_ISSUED",
                value: self.derived.nghe_an_campaign_cards,
                due_on: day(2023, 6, 30),
            },
        ];

        let day_hours = Some((7 * 60, 22 * 60));
        let city_communes = map.communes_under(city.id);
        let (wards, rural): (Vec<&MapUnit>, Vec<&MapUnit>) = city_communes
            .iter()
            .partition(|c| c.division_type == "phường");
        let mut teams = vec![
            TeamRow {
                id: team_ids::NINH_BINH_DESK,
                name: "Tổ tiếp nhận hồ sơ tại Bộ phận một cửa, Công an thành phố Ninh Bình".into(),
                kind: "desk",
                size: 6,
                unit_id: city.id,
                campaign_id: Some(cid::NINH_BINH_CITY),
                hours: day_hours,
                active_from: Some(day(2022, 9, 10)),
                serves: wards.iter().map(|c| c.id).collect(),
            },
            TeamRow {
                id: team_ids::NINH_BINH_MOBILE,
                name: "Tổ lưu động tại Công an các phường, xã, thành phố Ninh Bình".into(),
                kind: "mobile",
                size: 8,
                unit_id: city.id,
                campaign_id: Some(cid::NINH_BINH_CITY),
                hours: day_hours,
                active_from: Some(day(2022, 9, 10)),
                serves: rural.iter().map(|c| c.id).collect(),
            },
        ];
        let districts: Vec<&MapUnit> = map.children(ha_tinh.id).collect();
        let mut r = Rng::stream(SEED, 4_200);
        for k in 0..4 {
            teams.push(TeamRow {
                id: teams.len() as i64 + 1,
                name: format!("Tổ công tác số {}, Công an tỉnh Hà Tĩnh", k + 1),
                kind: "task_force",
                size: r.int(5, 7) as i32,
                unit_id: ha_tinh.id,
                campaign_id: Some(cid::HA_TINH),
                hours: Some((7 * 60 + 30, 17 * 60 + 30)),
                active_from: Some(day(2023, 1, 1)),
                serves: districts.iter().skip(k).step_by(4).map(|d| d.id).collect(),
            });
        }
        for k in 0..2 {
            teams.push(TeamRow {
                id: teams.len() as i64 + 1,
                name: format!("Tổ lưu động số {}, Phòng PC06 Công an tỉnh Hà Tĩnh", k + 1),
                kind: "mobile",
                size: r.int(5, 8) as i32,
                unit_id: ha_tinh.id,
                campaign_id: Some(cid::HA_TINH),
                hours: day_hours,
                active_from: Some(day(2023, 1, 1)),
                serves: vec![ha_tinh.id],
            });
        }
        for d in &districts {
            let communes: Vec<&MapUnit> = map.children(d.id).collect();
            for k in 0..2 {
                teams.push(TeamRow {
                    id: teams.len() as i64 + 1,
                    name: format!("Tổ lưu động số {}, Công an {}", k + 1, d.name),
                    kind: "mobile",
                    size: r.int(4, 6) as i32,
                    unit_id: d.id,
                    campaign_id: Some(cid::HA_TINH),
                    hours: None,
                    active_from: Some(day(2023, 1, 1)),
                    serves: communes.iter().skip(k).step_by(2).map(|c| c.id).collect(),
                });
            }
        }
        let dispatched = [
            "Núi Thành",
            "Thăng Bình",
            "Duy Xuyên",
            "Đại Lộc",
            "Phú Ninh",
            "Hội An",
            "Điện Bàn",
        ];
        let serves: Vec<i64> = map
            .children(quang_nam.id)
            .filter(|d| dispatched.contains(&d.short_name.as_str()))
            .map(|d| d.id)
            .collect();
        if serves.len() != dispatched.len() {
            return Err("a Quảng Nam district of the dispatch is missing from the map".into());
        }
        teams.push(TeamRow {
            id: teams.len() as i64 + 1,
            name: "Tổ công tác tăng cường, Công an tỉnh Quảng Nam".into(),
            kind: "reinforcement",
            size: QUANG_NAM_REINFORCEMENTS,
            unit_id: quang_nam.id,
            campaign_id: Some(cid::QUANG_NAM),
            hours: day_hours,
            active_from: Some(day(2023, 5, 16)),
            serves,
        });
        self.teams = teams;
        Ok(())
    }
}
