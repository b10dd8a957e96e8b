//! Campaigns, targets and teams of the reference scenario, through the
//! `Campaigns` document of the API contract and the team fields.

mod common;

use common::contract::CAMPAIGNS as CAMPAIGNS_DOCUMENT;
use common::{db_test, edge_nodes, error_codes, strings};
use serde_json::{Value, json};

db_test!(catalogue, async fn campaigns_document(app) {
    // Given the reference scenario's campaigns
    // When the Campaigns document runs as written
    let body = app.post(CAMPAIGNS_DOCUMENT, json!({})).await;

    // Then Quảng Nam's campaign is there with its dates, targets and team
    let campaigns = edge_nodes(&body["data"]["unit"]["campaigns"]);
    assert_eq!(campaigns.len(), 1, "{body}");
    let campaign = &campaigns[0];
    assert!(campaign["name"].as_str().is_some_and(|n| n.contains("Quảng Nam")), "{campaign}");
    assert_eq!(campaign["startsOn"], "2023-05-16");
    assert_eq!(campaign["endsOn"], "2023-06-30");
    let targets = campaign["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["metric"], "ACCOUNTS_ACTIVATED_TOTAL");
    assert_eq!(targets[0]["target"], 728_000);
    assert_eq!(targets[0]["dueOn"], "2023-06-30");
    assert_eq!(targets[1]["metric"], "APPLICATIONS_COLLECTED");
    assert_eq!(targets[1]["dueOn"], "2023-06-15");
    let remaining = targets[1]["target"].as_i64().expect("a number");
    assert!((55_000..65_000).contains(&remaining), "every citizen still without a card: {remaining}");

    // 30 officers dispatched on 2023-05-16
    let teams = edge_nodes(&campaign["teams"]);
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0]["kind"], "REINFORCEMENT");
    assert_eq!(teams[0]["size"], 30);

    // And progress fields answer (the catalogue has no reports: nothing
    // achieved, no run rate, so no projection and not on track)
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
    assert_eq!(targets[0]["achieved"], 0);
    assert_eq!(targets[0]["progress"], 0.0);
    assert_eq!(targets[0]["projectedOn"], Value::Null);
    assert_eq!(targets[0]["onTrack"], false);
});

db_test!(catalogue, async fn dispatched_team_serves_the_seven_districts(app) {
    // Given Quảng Nam's reinforcement team
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "49", map: VN2023) { teams(first: 10) { edges { node {
                name kind size activeFrom
                unit { code }
                campaign { name parent { name } }
                servedUnits(first: 20) { totalCount edges { node { shortName level } } }
            } } } } }"#,
            json!({}),
        )
        .await;
    let teams = edge_nodes(&data["unit"]["teams"]);
    assert_eq!(teams.len(), 1);
    let team = &teams[0];
    // Then it works from 2023-05-16 for the Quảng Nam campaign, under Đề án 06
    assert_eq!(team["activeFrom"], "2023-05-16");
    assert_eq!(team["unit"]["code"], "49");
    assert!(team["campaign"]["parent"]["name"].as_str().is_some_and(|n| n.contains("Đề án 06")));
    // And it serves exactly the seven districts named in the dispatch
    let served = edge_nodes(&team["servedUnits"]);
    assert_eq!(team["servedUnits"]["totalCount"], 7);
    let mut names = strings(&served, "shortName");
    names.sort();
    let mut expected = ["Núi Thành", "Thăng Bình", "Duy Xuyên", "Đại Lộc", "Phú Ninh", "Hội An", "Điện Bàn"];
    expected.sort();
    assert_eq!(names, expected);
    assert!(served.iter().all(|u| u["level"] == "DISTRICT"));
});

/// Hà Tĩnh's teams: 4 provincial task forces, 2 mobile teams of the PC06
/// department, and 26 district mobile teams working 24/7.
const HA_TINH_TEAMS: &str = r#"
query($after: String) {
  campaigns(first: 10) { edges { node { name scope { code level } } } }
  unit(level: PROVINCE, code: "42", map: VN2023) {
    teams(first: 10) { edges { node { kind operatingHours { aroundTheClock } } } }
    children(first: 20, after: $after) { edges { node {
      teams(first: 10) { totalCount edges { node {
        kind size operatingHours { aroundTheClock opensAt closesAt }
        servedUnits(first: 100) { totalCount }
      } } }
    } } }
  }
}
"#;

db_test!(catalogue, async fn ha_tinh_teams(app) {
    // Given the reference scenario
    let data = app.data(HA_TINH_TEAMS, json!({})).await;

    // Then the province has 4 task forces and 2 mobile teams
    let provincial = edge_nodes(&data["unit"]["teams"]);
    let kinds = strings(&provincial, "kind");
    assert_eq!(kinds.iter().filter(|k| *k == "TASK_FORCE").count(), 4);
    assert_eq!(kinds.iter().filter(|k| *k == "MOBILE").count(), 2);
    assert_eq!(provincial.len(), 6);

    // And its districts have 26 mobile teams between them, all 24/7, each
    // serving some of its district's communes
    let districts = edge_nodes(&data["unit"]["children"]);
    let district_teams: Vec<Value> = districts.iter().flat_map(|d| edge_nodes(&d["teams"])).collect();
    assert_eq!(district_teams.len(), 26);
    for team in &district_teams {
        assert_eq!(team["kind"], "MOBILE");
        assert_eq!(team["operatingHours"]["aroundTheClock"], true);
        assert_eq!(team["operatingHours"]["opensAt"], Value::Null);
        assert!(team["servedUnits"]["totalCount"].as_u64().is_some_and(|n| n > 0), "{team}");
    }

    // And the campaigns list the programme and its drives
    let campaigns = edge_nodes(&data["campaigns"]);
    assert_eq!(campaigns.len(), 6);
    assert_eq!(campaigns[0]["scope"]["level"], "MINISTRY");
});

db_test!(catalogue, async fn ninh_binh_city_teams_work_seven_to_ten(app) {
    // Given Ninh Bình city's "30 days and nights" campaign
    let data = app
        .data(
            r#"{ unit(level: DISTRICT, code: "369", map: VN2023) {
                name
                campaigns(first: 5) { totalCount edges { node {
                    name startsOn endsOn
                    teams(first: 5) { totalCount edges { node { id kind operatingHours { opensAt closesAt aroundTheClock } } } }
                } } }
            } }"#,
            json!({}),
        )
        .await;
    let campaigns = edge_nodes(&data["unit"]["campaigns"]);
    assert_eq!(data["unit"]["campaigns"]["totalCount"], 1);
    let campaign = &campaigns[0];
    assert_eq!(campaign["startsOn"], "2022-09-10");
    assert_eq!(campaign["endsOn"], "2022-10-10");
    // Then it has 2 teams, working 07:00–22:00
    let teams = edge_nodes(&campaign["teams"]);
    assert_eq!(teams.len(), 2);
    for team in &teams {
        assert_eq!(team["operatingHours"]["opensAt"], "07:00");
        assert_eq!(team["operatingHours"]["closesAt"], "22:00");
        assert_eq!(team["operatingHours"]["aroundTheClock"], false);
    }
    // And a team refetches by its global ID
    let id = teams[0]["id"].as_str().expect("id");
    let node = app
        .data("query($id: ID!) { node(id: $id) { id ... on Team { kind } } }", json!({ "id": id }))
        .await;
    assert_eq!(node["node"]["id"], id);
    assert_eq!(node["node"]["kind"], teams[0]["kind"]);
});

db_test!(catalogue, async fn thanh_hoa_and_nghe_an_campaigns(app) {
    let data = app
        .data(
            r#"{
                th: unit(level: PROVINCE, code: "38", map: VN2023) { campaigns(first: 5) { edges { node { startsOn endsOn parent { name } } } } }
                na: unit(level: PROVINCE, code: "40", map: VN2023) { campaigns(first: 5) { edges { node { name startsOn endsOn targets { metric target dueOn } } } } }
            }"#,
            json!({}),
        )
        .await;
    // Thanh Hóa's drive ran 2020-12-21 to 2021-03-06, before Đề án 06
    let th = edge_nodes(&data["th"]["campaigns"]);
    assert_eq!(th.len(), 1);
    assert_eq!(th[0]["startsOn"], "2020-12-21");
    assert_eq!(th[0]["endsOn"], "2021-03-06");
    assert_eq!(th[0]["parent"], Value::Null);
    // Nghệ An's "70 days and nights" ends on 2023-06-30 and targets cards
    let na = edge_nodes(&data["na"]["campaigns"]);
    assert_eq!(na.len(), 1);
    assert!(na[0]["name"].as_str().is_some_and(|n| n.contains("70 ngày đêm")));
    assert_eq!(na[0]["endsOn"], "2023-06-30");
    let starts = na[0]["startsOn"].as_str().expect("date");
    assert_eq!(starts, "2023-04-22", "70 days ending 2023-06-30");
    assert_eq!(na[0]["targets"][0]["metric"], "CARDS_ISSUED");
    assert!(na[0]["targets"][0]["target"].as_i64().is_some_and(|t| t > 0));
});
