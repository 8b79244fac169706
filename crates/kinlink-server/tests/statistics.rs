//! Statistics through HTTP: a known synthetic population registered through
//! the API gives the figures worked out by hand here; a small cell is
//! suppressed and cannot be worked out from the released totals; a
//! statistician and an immigration authority's user get statistics (and
//! nothing else); the purpose is `statistics`; output holds no record id or
//! personal value; each release is audited. Every person here is synthetic.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Server, add_user, client};
use kinlink_policy::{AgencyType, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How many children of each kind the population has, identified in 2026
/// (born March 2014: 12 at the end of 2026, age band 10-14).
const POPULATION: [(&str, &str, &str, usize); 4] = [
    ("ER", "female", "unaccompanied", 7),
    ("ER", "male", "separated", 6),
    ("SO", "female", "unaccompanied", 5),
    // Fewer than the threshold (5): this cell must not be released.
    ("SO", "male", "accompanied", 2),
];

fn child(n: usize, nationality: &str, sex: &str, accompaniment: &str, recorded_on: &str) -> Value {
    json!({
        "child": {
            "names": {"given": {"original": format!("Statchild{n}")}, "family": {"original": "Synthetic"}},
            "sex": sex,
            "date_of_birth": {"value": "2014-03"},
            "nationalities": [nationality],
            "country_of_origin": nationality
        },
        "accompaniment": accompaniment,
        "recorded_on": recorded_on
    })
}

/// Registers the population through the API (plus one child identified in
/// 2025, outside the 2026 window); returns every id, number and name written.
async fn register(server: &Server) -> Vec<String> {
    let mut written = Vec::new();
    let mut n = 0;
    for (nationality, sex, accompaniment, count) in POPULATION {
        for _ in 0..count {
            n += 1;
            let reply = server
                .post(
                    "/api/v1/cases",
                    &child(n, nationality, sex, accompaniment, "2026-02-10"),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            let body = reply.json();
            written.push(body["id"].as_str().expect("id").to_owned());
            written.push(body["number"].as_str().expect("number").to_owned());
            written.push(format!("Statchild{n}"));
        }
    }
    let reply = server
        .post(
            "/api/v1/cases",
            &child(99, "ER", "female", "unaccompanied", "2025-05-01"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    written.push(reply.json()["id"].as_str().expect("id").to_owned());
    written
}

/// The released count of the cell with these codes: `Some(n)`, or `None` when suppressed.
fn count(table: &Value, codes: &[&str]) -> Option<u64> {
    let cell = table["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| {
            let categories: Vec<&str> = c["categories"]
                .as_array()
                .expect("categories")
                .iter()
                .map(|v| v.as_str().expect("code"))
                .collect();
            categories == codes
        })
        .unwrap_or_else(|| panic!("no cell {codes:?} in {table}"));
    match &cell["count"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if s == "suppressed" => None,
        other => panic!("unexpected count {other}"),
    }
}

/// Every value a hidden interior cell of a released two-dimensional table
/// can take, given every released figure (interior cells, row, column and
/// grand totals): the attacker's view. Brute force over the hidden cells.
fn feasible_values(table: &Value, target: (&str, &str)) -> BTreeSet<u64> {
    let cells = table["cells"].as_array().expect("cells");
    let mut interior: BTreeMap<(String, String), Option<u64>> = BTreeMap::new();
    let mut totals: BTreeMap<(String, String), u64> = BTreeMap::new();
    for cell in cells {
        let c = cell["categories"].as_array().expect("categories");
        let key = (
            c[0].as_str().expect("code").to_owned(),
            c[1].as_str().expect("code").to_owned(),
        );
        let value = cell["count"].as_u64();
        if key.0 == "total" || key.1 == "total" {
            if let Some(v) = value {
                totals.insert(key, v);
            }
        } else {
            interior.insert(key, value);
        }
    }
    let hidden: Vec<(String, String)> = interior
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    let grand = totals[&("total".to_owned(), "total".to_owned())];
    let index = hidden
        .iter()
        .position(|k| k.0 == target.0 && k.1 == target.1)
        .expect("the target cell is hidden");
    let mut feasible = BTreeSet::new();
    let mut values = vec![0u64; hidden.len()];
    loop {
        let value_of = |key: &(String, String)| -> u64 {
            match interior[key] {
                Some(v) => v,
                None => values[hidden.iter().position(|h| h == key).expect("hidden")],
            }
        };
        let consistent = totals.iter().all(|((a, b), total)| {
            let sum: u64 = interior
                .keys()
                .filter(|(x, y)| (a == "total" || a == x) && (b == "total" || b == y))
                .map(value_of)
                .sum();
            sum == *total
        });
        if consistent {
            feasible.insert(values[index]);
        }
        // The next assignment, each hidden cell from 0 to the grand total.
        let mut i = 0;
        loop {
            if i == values.len() {
                return feasible;
            }
            values[i] += 1;
            if values[i] <= grand {
                break;
            }
            values[i] = 0;
            i += 1;
        }
    }
}

async fn get(server: &Server, http: &reqwest::Client, path: &str) -> common::Reply {
    server.send(http.get(server.url(path))).await
}

#[tokio::test]
async fn a_known_population_gives_known_figures_and_its_small_cell_cannot_be_recovered() {
    let (server, store) = Server::start().await;
    let written = register(&server).await;
    let statistician = server
        .client_for("statistician", &[Role::Statistician], "statistics")
        .await;

    let path = "/api/v1/statistics/indicators/children_registered?by=nationality,sex&period=2026";
    let reply = get(&server, &statistician, path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["period"], json!({"from": "2026-01-01", "to": "2027-01-01"}));
    let table = &body["table"];
    assert_eq!(table["disclosure"]["threshold"], 5);
    // By hand: 7 + 6 + 5 + 2 identified in 2026 (the 2025 child is outside the window).
    assert_eq!(count(table, &["total", "total"]), Some(20));
    assert_eq!(count(table, &["ER", "total"]), Some(13));
    assert_eq!(count(table, &["SO", "total"]), Some(7));
    assert_eq!(count(table, &["total", "female"]), Some(12));
    assert_eq!(count(table, &["total", "male"]), Some(8));
    assert_eq!(count(table, &["total", "other"]), Some(0));
    // The small cell is hidden, and so are enough others that the totals do not give it away.
    assert_eq!(count(table, &["SO", "male"]), None);
    let feasible = feasible_values(table, ("SO", "male"));
    assert!(feasible.contains(&2), "{feasible:?}");
    assert!(
        feasible.len() > 1,
        "the suppressed cell is determined by the released figures: {feasible:?}"
    );
    // No record id, number or name in what is released.
    for value in &written {
        assert!(
            !reply.text.contains(value.as_str()),
            "released text holds a record's {value}"
        );
    }

    // Without a window: every child, the 2025 one too.
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/indicators/children_registered",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(count(&reply.json()["table"], &[]), Some(21));

    // Unaccompanied or separated: 7 + 6 + 5 in 2026, by accompaniment.
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/indicators/unaccompanied_or_separated?by=accompaniment&period=2026",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let table = &reply.json()["table"];
    assert_eq!(count(table, &["total"]), Some(18), "{table}");
    assert_eq!(count(table, &["unaccompanied"]), Some(12));
    assert_eq!(count(table, &["separated"]), Some(6));

    // Age bands: everyone is 12 at the end of 2026.
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/indicators/children_registered?by=age_band&period=2026",
    )
    .await;
    let table = &reply.json()["table"];
    assert_eq!(count(table, &["10-14"]), Some(20));
    assert_eq!(count(table, &["0-4"]), Some(0));

    // CSV, asked for either way: one row per cell, the hidden one says so.
    for (path, accept) in [
        (format!("{path}&format=csv"), "application/json"),
        (path.to_owned(), "text/csv"),
    ] {
        let reply = server
            .send(statistician.get(server.url(&path)).header("accept", accept))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(
            reply.content_type.starts_with("text/csv"),
            "{}",
            reply.content_type
        );
        let lines: Vec<&str> = reply.text.lines().collect();
        assert_eq!(lines[0], "nationality,sex,count");
        assert!(lines.contains(&"SO,male,suppressed"), "{}", reply.text);
        assert!(lines.contains(&"total,total,20"), "{}", reply.text);
    }

    // Each release is in the audit log: who, the purpose, and no record.
    let entries = store.audit_entries(None, 10_000).await.expect("audit");
    let releases = entries
        .iter()
        .filter(|e| e.event.purpose.map(|p| p.as_str()) == Some("statistics") && e.event.record.is_none())
        .count();
    assert!(releases >= 5, "{releases} statistics releases audited");
    server.stop().await;
}

#[tokio::test]
async fn the_list_the_reports_and_bad_requests() {
    let (server, _) = Server::start().await;
    register(&server).await;
    let statistician = server
        .client_for("statistician", &[Role::Statistician], "statistics")
        .await;
    let reply = get(&server, &statistician, "/api/v1/statistics/indicators").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let list = reply.json();
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 14);
    assert!(names.contains(&"children_registered") && names.contains(&"children_detained"));

    // The treaty table: registered by nationality × sex × age band, and the rest.
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/reports/treaty?period=2026",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let report = reply.json();
    let registered = &report["sections"][0];
    assert_eq!(registered["name"], "children_registered");
    assert_eq!(
        count(&registered["table"], &["total", "total", "total"]),
        Some(20)
    );
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/reports/treaty?format=csv",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.text.contains("children_registered,total,21,"),
        "{}",
        reply.text
    );

    // Detention: nobody is recorded detained (case files are derived from
    // registrations until they are stored), so every figure is 0.
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/reports/detention?year=2026",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let report = reply.json();
    assert_eq!(report["period"]["from"], "2026-01-01");
    assert_eq!(report["sections"][0]["name"], "children_detained");
    assert_eq!(count(&report["sections"][0]["table"], &[]), Some(0));
    let reply = server
        .send(
            statistician
                .get(server.url("/api/v1/statistics/reports/detention?year=2026"))
                .header("accept", "text/csv"),
        )
        .await;
    assert!(reply.text.starts_with("table,breakdown,count,"), "{}", reply.text);

    // Wrong requests are told what is wrong.
    for (path, status) in [
        (
            "/api/v1/statistics/indicators/no_such_thing",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/statistics/indicators/children_registered?by=eye_colour",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/statistics/indicators/children_registered?by=service",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/statistics/indicators/children_registered?period=last-week",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/statistics/indicators/children_registered?threshold=1",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/statistics/reports/detention", StatusCode::BAD_REQUEST),
    ] {
        let reply = get(&server, &statistician, path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_immigration_authority_and_a_statistician_get_statistics_and_nothing_else() {
    let (server, _) = Server::start().await;
    let written = register(&server).await;
    let case_id = written[0].clone();
    let officer = add_user(
        &server.accounts,
        "border-statistics",
        ("Border Office", AgencyType::ImmigrationAuthority),
        &[Role::Statistician],
    )
    .await;
    let statistician = add_user(
        &server.accounts,
        "ministry-statistician",
        ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Statistician],
    )
    .await;
    let stats = "/api/v1/statistics/indicators/children_registered?by=nationality,sex&period=2026";
    for user in [&officer, &statistician] {
        let http = client(Some(&user.token), Some("statistics"));
        // They DO get statistics: the same figures as anyone allowed.
        let reply = get(&server, &http, stats).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", user.username, reply.text);
        let table = &reply.json()["table"];
        assert_eq!(count(table, &["total", "total"]), Some(20));
        assert_eq!(count(table, &["SO", "male"]), None);
        for value in &written {
            assert!(!reply.text.contains(value.as_str()), "{}", user.username);
        }
        // And no personal data, whatever purpose they declare.
        for purpose in ["statistics", "case_management", "tracing"] {
            let http = client(Some(&user.token), Some(purpose));
            for path in [
                "/api/v1/cases".to_owned(),
                format!("/api/v1/cases/{case_id}"),
                "/api/v1/tracing-requests".to_owned(),
                "/api/v1/cases/export?format=jsonl".to_owned(),
            ] {
                let reply = get(&server, &http, &path).await;
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{} {purpose} {path}: {}",
                    user.username,
                    reply.text
                );
                for value in &written {
                    assert!(!reply.text.contains(value.as_str()), "{}", user.username);
                }
            }
        }
        // The purpose for statistics is `statistics`: another one is refused.
        let http = client(Some(&user.token), Some("case_management"));
        let reply = get(&server, &http, stats).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    }
    // The immigration enforcement purpose is refused, even for statistics.
    let http = client(Some(&officer.token), Some("immigration_enforcement"));
    let reply = get(&server, &http, stats).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(reply.json()["reason"], "firewall_enforcement_purpose");
    server.stop().await;
}

#[tokio::test]
async fn the_threshold_comes_from_the_deployment() {
    let (server, _) = Server::start_configured(|s| kinlink_server::Security {
        disclosure_threshold: 8,
        ..s
    })
    .await;
    register(&server).await;
    let statistician = server
        .client_for("statistician", &[Role::Statistician], "statistics")
        .await;
    let reply = get(
        &server,
        &statistician,
        "/api/v1/statistics/indicators/children_registered?by=nationality&period=2026",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let table = &reply.json()["table"];
    assert_eq!(table["disclosure"]["threshold"], 8);
    // SO has 7 (< 8): hidden, and ER with it (else 20 - 13 gives it away).
    assert_eq!(count(table, &["SO"]), None);
    assert_eq!(count(table, &["ER"]), None);
    assert_eq!(count(table, &["total"]), Some(20));
    server.stop().await;
}
