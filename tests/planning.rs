//! Campaigns with their targets, and teams with the units they serve:
//! created and changed through GraphQL, read back, refused when invalid.

mod common;

use common::{db_test, edge_nodes, error_codes};
use serde_json::{Value, json};

const CREATE_CAMPAIGN: &str = r#"
mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    campaign { id name startsOn endsOn scope { code }
               targets { metric target dueOn } }
  }
}
"#;

const UPDATE_CAMPAIGN: &str = r#"
mutation($input: UpdateCampaignInput!) {
  updateCampaign(input: $input) { campaign { id name endsOn targets { metric target dueOn } } }
}
"#;

const CREATE_TEAM: &str = r#"
mutation($input: CreateTeamInput!) {
  createTeam(input: $input) {
    team { id name kind size operatingHours { aroundTheClock opensAt closesAt }
           campaign { name } servedUnits(first: 10) { edges { node { code } } } }
  }
}
"#;

fn campaign_input() -> Value {
    json!({
        "name": "Cao điểm 90 ngày Hà Tĩnh",
        "scope": { "level": "PROVINCE", "code": "42", "map": "VN2023" },
        "startsOn": "2023-08-01", "endsOn": "2023-10-31",
        "targets": [
            { "metric": "CARDS_ISSUED", "target": 50000, "dueOn": "2023-10-31" },
            { "metric": "ACCOUNTS_ACTIVATED_TOTAL", "target": 900000, "dueOn": "2023-10-31" }
        ]
    })
}

async fn campaign_names(app: &common::TestApp) -> Vec<String> {
    let data = app
        .data(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { campaigns(first: 20) { edges { node { name } } } } }"#, json!({}))
        .await;
    edge_nodes(&data["unit"]["campaigns"])
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

db_test!(catalogue, async fn campaigns_are_created_and_updated_with_their_targets(app) {
    // When a campaign with two targets is created
    let data = app.data(CREATE_CAMPAIGN, json!({ "input": campaign_input() })).await;
    let campaign = &data["createCampaign"]["campaign"];
    assert_eq!(campaign["scope"]["code"], "42");
    assert_eq!(campaign["targets"].as_array().map(Vec::len), Some(2));
    let id = campaign["id"].clone();

    // Then it is listed under its scope and refetchable by ID
    assert!(campaign_names(&app).await.contains(&"Cao điểm 90 ngày Hà Tĩnh".to_owned()));
    let node = app.data(r#"query($id: ID!) { node(id: $id) { ... on Campaign { name targets { target } } } }"#, json!({ "id": id })).await;
    assert_eq!(node["node"]["targets"][1]["target"], 900000);

    // When it is renamed, extended, and its targets replaced
    let data = app
        .data(UPDATE_CAMPAIGN, json!({ "input": { "id": id, "name": "Cao điểm 120 ngày", "endsOn": "2023-11-30",
            "targets": [{ "metric": "APPLICATIONS_COLLECTED", "target": 70000, "dueOn": "2023-11-30" }] } }))
        .await;
    let updated = &data["updateCampaign"]["campaign"];
    assert_eq!(updated["name"], "Cao điểm 120 ngày");
    assert_eq!(updated["endsOn"], "2023-11-30");
    assert_eq!(updated["targets"], json!([{ "metric": "APPLICATIONS_COLLECTED", "target": 70000, "dueOn": "2023-11-30" }]));

    // And an update without targets keeps them
    let data = app.data(UPDATE_CAMPAIGN, json!({ "input": { "id": id, "name": "Cao điểm 120 ngày đêm" } })).await;
    assert_eq!(data["updateCampaign"]["campaign"]["targets"].as_array().map(Vec::len), Some(1));
});

db_test!(catalogue, async fn invalid_campaigns_are_refused_and_write_nothing(app) {
    let before = campaign_names(&app).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "name": "  " }), "input.name"),
        (json!({ "endsOn": "2023-07-01" }), "input.endsOn"),
        (json!({ "scope": { "level": "PROVINCE", "code": "999" } }), "input.scope"),
        (json!({ "targets": [{ "metric": "CARDS_ISSUED", "target": -5, "dueOn": "2023-10-31" }] }), "input.targets.0.target"),
        (json!({ "targets": [{ "metric": "CARDS_ISSUED", "target": 5, "dueOn": "2023-01-31" }] }), "input.targets.0.dueOn"),
    ];
    for (change, argument) in cases {
        // Given an input with one bad field
        let mut input = campaign_input();
        for (k, v) in change.as_object().expect("an object") {
            input[k] = v.clone();
        }
        // When it is submitted, Then it is refused naming the field
        let body = app.post(CREATE_CAMPAIGN, json!({ "input": input })).await;
        assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["argument"], argument, "{body}");
    }
    // And nothing was written
    assert_eq!(campaign_names(&app).await, before);
    // And an unknown campaign cannot be updated
    let unknown = app.post(UPDATE_CAMPAIGN, json!({ "input": { "id": "Q2FtcGFpZ246OTk5OQ", "name": "x" } })).await;
    assert_eq!(error_codes(&unknown), vec!["NOT_FOUND"], "{unknown}");
});

db_test!(catalogue, async fn teams_are_created_serving_units_and_updated(app) {
    // Given a new campaign in Hà Tĩnh
    let data = app.data(CREATE_CAMPAIGN, json!({ "input": campaign_input() })).await;
    let campaign = data["createCampaign"]["campaign"]["id"].clone();

    // When a mobile team of Thạch Hà district is created for it, serving two communes
    let input = json!({ "name": "Tổ lưu động Thạch Hà", "kind": "MOBILE", "size": 6,
        "unit": { "level": "DISTRICT", "code": "445", "map": "VN2023" }, "campaign": campaign,
        "hours": { "opensAt": "07:00", "closesAt": "22:00" },
        "serves": [{ "level": "COMMUNE", "code": "18586" }, { "level": "COMMUNE", "code": "18562" }] });
    let data = app.data(CREATE_TEAM, json!({ "input": input })).await;
    let team = &data["createTeam"]["team"];
    assert_eq!(team["kind"], "MOBILE");
    assert_eq!(team["operatingHours"], json!({ "aroundTheClock": false, "opensAt": "07:00", "closesAt": "22:00" }));
    assert_eq!(team["campaign"]["name"], "Cao điểm 90 ngày Hà Tĩnh");
    let mut served: Vec<String> = edge_nodes(&team["servedUnits"]).iter().map(|n| n["code"].as_str().unwrap_or_default().to_owned()).collect();
    served.sort();
    assert_eq!(served, vec!["18562", "18586"]);
    let id = team["id"].clone();

    // Then reports can be attributed to it, and to its campaign
    let submit = app
        .post(r#"mutation($r: [ReportInput!]!) { submitReports(input: { reports: $r }) { accepted } }"#,
            json!({ "r": [{ "unit": { "level": "COMMUNE", "code": "18586" }, "day": "2023-08-02",
                "applicationsCollected": 1, "cardsIssued": 2, "accountsActivated": 3, "homeVisits": 4,
                "campaign": campaign, "team": id }] }))
        .await;
    assert_eq!(error_codes(&submit), Vec::<String>::new(), "{submit}");

    // When it is made a 24/7 team of 8 serving one commune
    let data = app
        .data(r#"mutation($input: UpdateTeamInput!) { updateTeam(input: $input) {
                 team { size operatingHours { aroundTheClock } servedUnits(first: 10) { totalCount } } } }"#,
            json!({ "input": { "id": id, "size": 8, "hours": { "opensAt": null, "closesAt": null },
                               "serves": [{ "level": "COMMUNE", "code": "18586" }] } }))
        .await;
    assert_eq!(data["updateTeam"]["team"]["size"], 8);
    assert_eq!(data["updateTeam"]["team"]["operatingHours"]["aroundTheClock"], true);
    assert_eq!(data["updateTeam"]["team"]["servedUnits"]["totalCount"], 1);

    // And a team may not serve a unit outside its own, nor be sized 0
    let mut bad = input.clone();
    bad["serves"] = json!([{ "level": "COMMUNE", "code": "20335" }]);
    let body = app.post(CREATE_TEAM, json!({ "input": bad })).await;
    assert_eq!(body["errors"][0]["extensions"]["argument"], "input.serves.0", "{body}");
    let mut bad = input.clone();
    bad["size"] = json!(0);
    let body = app.post(CREATE_TEAM, json!({ "input": bad })).await;
    assert_eq!(body["errors"][0]["extensions"]["argument"], "input.size", "{body}");
    let mut bad = input;
    bad["hours"] = json!({ "opensAt": "25:00", "closesAt": "22:00" });
    let body = app.post(CREATE_TEAM, json!({ "input": bad })).await;
    assert_eq!(body["errors"][0]["extensions"]["argument"], "input.hours.opensAt", "{body}");
});
