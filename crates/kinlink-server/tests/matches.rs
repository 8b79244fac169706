//! Matches through HTTP: proposed in the background when records are
//! written, listed from both sides with explanations, reviewed with
//! compare-and-swap. Every person here is synthetic.

mod common;

use common::{Reply, Server, add_user, client};
use kinlink_policy::{AgencyType, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A boy registered in Afghanistan's scripts and calendar.
fn registered_boy() -> Value {
    json!({
        "child": {
            "names": {"given": {"original": "احمد"}, "family": {"original": "رحیمی"}},
            "sex": "male",
            "date_of_birth": {"value": "1392-05", "calendar": "solar_hijri"},
            "country_of_origin": "AF",
            "place_of_origin": {"locality": {"original": "هرات"}},
            "family": [{"relation": "mother", "names": {"given": {"original": "مریم"}}}]
        },
        "accompaniment": "unaccompanied",
        "recorded_on": "2025-11-03"
    })
}

/// His sister, two years older, registered elsewhere.
fn registered_sister() -> Value {
    json!({
        "child": {
            "names": {"given": {"original": "زهرا"}, "family": {"original": "رحیمی"}},
            "sex": "female",
            "date_of_birth": {"value": "1390", "calendar": "solar_hijri"},
            "country_of_origin": "AF",
            "place_of_origin": {"locality": {"original": "هرات"}},
            "family": [{"relation": "mother", "names": {"given": {"original": "مریم"}}}]
        },
        "recorded_on": "2025-10-20"
    })
}

/// His mother looking for him, writing in Latin letters and the Gregorian year.
fn mothers_request() -> Value {
    json!({
        "inquirer": {"names": {"given": {"original": "Maryam"}}, "relation": "mother"},
        "sought_children": [{
            "names": {"given": {"original": "Ahmad"}, "family": {"original": "Rahimi"}},
            "sex": "male",
            "date_of_birth": {"value": "2013"},
            "country_of_origin": "AF",
            "place_of_origin": {"locality": {"original": "Herat"}}
        }],
        "recorded_on": "2025-12-01"
    })
}

/// An unrelated child.
fn stranger() -> Value {
    json!({
        "child": {
            "names": {"given": {"original": "Nuur"}, "family": {"original": "Cabdi"}},
            "sex": "female",
            "date_of_birth": {"value": "2010"},
            "country_of_origin": "SO"
        }
    })
}

/// Register a record with a tracing consent (without one it is not matched).
async fn create(server: &Server, collection: &str, body: &Value) -> Value {
    let reply = server.post(collection, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let record = reply.json();
    common::consent_to_tracing(server, &format!("{collection}/{}", id(&record))).await;
    record
}

fn id(record: &Value) -> String {
    record["id"].as_str().expect("id").to_owned()
}

async fn matches(server: &Server, path: &str) -> Value {
    let reply = server.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn review(server: &Server, match_id: &str, body: Value) -> Reply {
    server
        .post(&format!("/api/v1/matches/{match_id}/review"), &body)
        .await
}

fn candidates(list: &Value) -> &Vec<Value> {
    list["candidates"].as_array().expect("candidates")
}

/// The registered boy, his mother's request and the match between them, settled.
async fn matched_pair(server: &Server) -> (String, String, Value) {
    let case = id(&create(server, "/api/v1/cases", &registered_boy()).await);
    create(server, "/api/v1/cases", &stranger()).await;
    let request = id(&create(server, "/api/v1/tracing-requests", &mothers_request()).await);
    server.settled().await;
    let list = matches(server, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    let found = candidates(&list);
    assert_eq!(found.len(), 1, "{list}");
    (case, request, found[0].clone())
}

#[tokio::test]
async fn a_child_written_in_another_script_is_proposed_on_both_sides_with_an_explanation() {
    let (server, _) = Server::start().await;
    let (case, request, found) = matched_pair(&server).await;
    assert_eq!(found["case"]["id"], case.as_str());
    assert_eq!(found["request"]["id"], request.as_str());
    assert_eq!(found["label"], "match", "{found}");
    assert_eq!(
        (found["status"].as_str(), found["version"].as_i64()),
        (Some("new"), Some(1))
    );
    assert_eq!(found["sibling"], false);
    assert!(found["score"].as_f64().expect("score") >= 0.999);
    let fields = found["explanation"]["fields"].as_array().expect("fields");
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .unwrap_or_else(|| panic!("no {name} in {found}"))
    };
    // احمد and Ahmad: the same name in another script.
    assert!(
        matches!(field("given_name")["level"].as_str(), Some("strong" | "exact")),
        "{found}"
    );
    assert!(field("given_name")["weight"].as_f64().expect("weight") > 0.0);
    // Born in Mordad 1392 (Solar Hijri) is within 2013.
    assert_eq!(field("birth")["level"], "overlap_broad", "{found}");
    assert!(field("mother_name")["weight"].as_f64().expect("weight") > 0.0);
    assert_eq!(found["explanation"]["model"], "prior");
    // The same match from the case's side, and by its own id with its history.
    let from_case = matches(&server, &format!("/api/v1/cases/{case}/matches")).await;
    assert_eq!(candidates(&from_case).len(), 1);
    assert_eq!(candidates(&from_case)[0]["id"], found["id"]);
    let match_id = found["id"].as_str().expect("id");
    let one = server.get(&format!("/api/v1/matches/{match_id}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let one = one.json();
    assert_eq!(one["case"]["number"], found["case"]["number"]);
    let history = one["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0]["status"].as_str(), history[0]["changed_by"].as_str()),
        (Some("new"), Some("matcher"))
    );
    // Numbers work as well as ids.
    let number = found["request"]["number"].as_str().expect("number");
    let by_number = matches(&server, &format!("/api/v1/tracing-requests/{number}/matches")).await;
    assert_eq!(candidates(&by_number)[0]["id"], found["id"]);
    server.stop().await;
}

#[tokio::test]
async fn a_rejected_pair_is_not_proposed_again_until_a_record_changes() {
    let (server, _) = Server::start().await;
    let (case, request, found) = matched_pair(&server).await;
    let match_id = found["id"].as_str().expect("id").to_owned();
    let rejected = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "rejected", "reason": "the mother did not recognise the photo"}),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    let rejected = rejected.json();
    assert_eq!(
        (rejected["status"].as_str(), rejected["version"].as_i64()),
        (Some("rejected"), Some(2))
    );
    assert_eq!(rejected["reason"], "the mother did not recognise the photo");
    // Matching everything again leaves the rejection alone.
    server.matcher.rematch_all();
    server.settled().await;
    let after = matches(&server, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    assert_eq!(candidates(&after)[0]["status"], "rejected", "{after}");
    assert_eq!(candidates(&after)[0]["version"], 2);
    // So does a change that is not about who the child is.
    let mut body = registered_boy();
    body["notes"] = json!("moved to a foster family");
    let updated = server
        .put(
            &format!("/api/v1/cases/{case}"),
            &json!({"version": 1, "record": body}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    server.settled().await;
    let after = matches(&server, &format!("/api/v1/cases/{case}/matches")).await;
    assert_eq!(candidates(&after)[0]["status"], "rejected", "{after}");
    // The case's identity changes: proposed again.
    let mut body = registered_boy();
    body["child"]["separation"] = json!({"date": {"value": "2024-03"}});
    let updated = server
        .put(
            &format!("/api/v1/cases/{case}"),
            &json!({"version": 2, "record": body}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    server.settled().await;
    let after = matches(&server, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    let again = &candidates(&after)[0];
    assert_eq!(
        (again["id"].as_str(), again["status"].as_str()),
        (Some(match_id.as_str()), Some("new")),
        "{after}"
    );
    assert_eq!(again["case"]["version"], 3);
    assert_eq!(again["reason"], Value::Null);
    let history = server.get(&format!("/api/v1/matches/{match_id}")).await.json();
    let statuses: Vec<&str> = history["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["new", "rejected", "new"]);
    server.stop().await;
}

#[tokio::test]
async fn confirming_moves_the_tracing_status_on() {
    let (server, _) = Server::start().await;
    let (case, request, found) = matched_pair(&server).await;
    let match_id = found["id"].as_str().expect("id").to_owned();
    let looked = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "under_review"}),
    )
    .await;
    assert_eq!(looked.status, StatusCode::OK, "{}", looked.text);
    let confirmed = review(
        &server,
        &match_id,
        json!({"version": 2, "status": "confirmed", "reason": "same mother, same village, photo recognised"}),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.json()["status"], "confirmed");
    let status = async |path: String, pointer: &str| {
        server.get(&path).await.json()["record"]
            .pointer(pointer)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let request_path = format!("/api/v1/tracing-requests/{request}");
    let case_path = format!("/api/v1/cases/{case}");
    assert_eq!(status(request_path.clone(), "/status").await, "verification");
    assert_eq!(status(case_path.clone(), "/tracing_status").await, "verification");
    let history = server.get(&format!("{request_path}/history")).await.json();
    assert_eq!(history.as_array().expect("history").len(), 2);
    // Confirmed again once verified: on to the family assessment.
    let verified = review(
        &server,
        &match_id,
        json!({"version": 3, "status": "confirmed", "reason": "verified with the mother and the child"}),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert_eq!(status(request_path, "/status").await, "family_assessment");
    assert_eq!(status(case_path, "/tracing_status").await, "family_assessment");
    // The status changes are not a new child: the confirmed match stands as it was.
    server.settled().await;
    let after = matches(&server, &format!("/api/v1/cases/{case}/matches")).await;
    assert_eq!(candidates(&after)[0]["status"], "confirmed");
    assert_eq!(candidates(&after)[0]["version"], 4);
    server.stop().await;
}

#[tokio::test]
async fn reviews_are_checked_and_a_stale_version_is_a_conflict() {
    let (server, _) = Server::start().await;
    let (_, _, found) = matched_pair(&server).await;
    let match_id = found["id"].as_str().expect("id").to_owned();
    let no_reason = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "rejected", "reason": "  "}),
    )
    .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.text
    );
    assert_eq!(no_reason.json()["fields"][0]["path"], "reason");
    let not_a_decision = review(&server, &match_id, json!({"version": 1, "status": "new"})).await;
    assert_eq!(not_a_decision.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_a_decision.json()["fields"][0]["path"], "status");
    let typo = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "under_review", "reasno": "x"}),
    )
    .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was written by the refused reviews.
    let looked = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "under_review"}),
    )
    .await;
    assert_eq!(looked.status, StatusCode::OK, "{}", looked.text);
    let stale = review(
        &server,
        &match_id,
        json!({"version": 1, "status": "rejected", "reason": "another reviewer's view"}),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    let body = stale.json();
    assert_eq!(
        (body["error"].as_str(), body["current_version"].as_i64()),
        (Some("conflict"), Some(2))
    );
    assert!(!stale.text.contains("another reviewer"));
    let now = server.get(&format!("/api/v1/matches/{match_id}")).await.json();
    assert_eq!(now["status"], "under_review");
    server.stop().await;
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let (server, _) = Server::start().await;
    let nobody = "0190a5f2-0000-7000-8000-000000000000";
    for path in [
        format!("/api/v1/tracing-requests/{nobody}/matches"),
        format!("/api/v1/cases/{nobody}/matches"),
        "/api/v1/cases/KL-2026-999999/matches".to_owned(),
        "/api/v1/cases/not-a-key/matches".to_owned(),
        format!("/api/v1/matches/{nobody}"),
        "/api/v1/matches/not-a-uuid".to_owned(),
    ] {
        let reply = server.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.text);
        assert_eq!(reply.json()["error"], "not_found");
    }
    let reply = review(&server, nobody, json!({"version": 1, "status": "under_review"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    // A case's number is not a tracing request.
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let number = case["number"].as_str().expect("number");
    let reply = server
        .get(&format!("/api/v1/tracing-requests/{number}/matches"))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn a_sibling_is_reported_as_a_possible_sibling_not_as_the_child() {
    let (server, _) = Server::start().await;
    // The request comes first: the cases registered later are matched to it.
    let request = id(&create(&server, "/api/v1/tracing-requests", &mothers_request()).await);
    server.settled().await;
    let empty = matches(&server, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    assert!(candidates(&empty).is_empty(), "{empty}");
    let sister = id(&create(&server, "/api/v1/cases", &registered_sister()).await);
    let boy = id(&create(&server, "/api/v1/cases", &registered_boy()).await);
    server.settled().await;
    let list = matches(&server, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    let found = candidates(&list);
    assert_eq!(found.len(), 1, "{list}");
    assert_eq!(found[0]["case"]["id"], boy.as_str());
    let siblings = list["possible_siblings"].as_array().expect("siblings");
    assert_eq!(siblings.len(), 1, "{list}");
    assert_eq!(siblings[0]["case"]["id"], sister.as_str());
    assert_eq!(
        (siblings[0]["sibling"].as_bool(), siblings[0]["label"].as_str()),
        (Some(true), Some("possible"))
    );
    let from_sister = matches(&server, &format!("/api/v1/cases/{sister}/matches")).await;
    assert!(candidates(&from_sister).is_empty());
    assert_eq!(from_sister["possible_siblings"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

#[tokio::test]
async fn a_server_matches_records_written_through_another_on_the_same_database() {
    // Two stores on one file behave as two processes: each has its own
    // connections and its own matcher, and they share only the database.
    let dir = tempfile::TempDir::new().expect("temp dir");
    // Accounts are in the same database: the two servers' users are of one
    // agency and team, and each sees what the other's user wrote.
    let open = async || {
        kinlink_store::SqliteStore::open(dir.path())
            .await
            .expect("open store")
    };
    let first = Server::start_shared(open().await, "first").await;
    let second = Server::start_shared(open().await, "second").await;
    let case = id(&create(&first, "/api/v1/cases", &registered_boy()).await);
    // The second server's index learns of the case from the change feed:
    // the request written through it is matched to it.
    let request = id(&create(&second, "/api/v1/tracing-requests", &mothers_request()).await);
    second.settled().await;
    let list = matches(&second, &format!("/api/v1/tracing-requests/{request}/matches")).await;
    assert_eq!(candidates(&list).len(), 1, "{list}");
    assert_eq!(candidates(&list)[0]["case"]["id"], case.as_str());
    // Both matchers settle on the same proposals: one pair, written once.
    first.settled().await;
    let list = matches(&first, &format!("/api/v1/cases/{case}/matches")).await;
    assert_eq!(candidates(&list).len(), 1, "{list}");
    assert_eq!(candidates(&list)[0]["version"], 1);
    first.stop().await;
    second.stop().await;
}

/// The compared fields a match's explanation shows.
fn explained(m: &Value) -> Vec<String> {
    m["explanation"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().expect("field").to_owned())
        .collect()
}

/// Matches are reached under the policy like the records they link: a
/// purpose that withholds the family group sees no family field in an
/// explanation (levels and weights, never values, but still about the
/// family), and a caller whose scope does not cover the records gets
/// nothing, not even a review.
#[tokio::test]
async fn matches_show_only_what_the_caller_may_see() {
    let (server, _) = Server::start().await;
    let (case, request, found) = matched_pair(&server).await;
    let match_id = found["id"].as_str().expect("id").to_owned();
    let family = [
        "mother_name",
        "father_name",
        "separation_place",
        "separation_date",
    ];
    assert!(explained(&found).iter().any(|f| f == "mother_name"), "{found}");
    assert!(!found.to_string().contains("Maryam"), "{found}");

    // A caseworker of the same team, referring to a service: identity yes, family no.
    let referral = server
        .client_for("referrer", &[Role::Caseworker], "service_referral")
        .await;
    let lists = [
        format!("/api/v1/tracing-requests/{request}/matches"),
        format!("/api/v1/cases/{case}/matches"),
    ];
    for path in &lists {
        let reply = server.send(referral.get(server.url(path))).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        let list = reply.json();
        let seen = candidates(&list).first().unwrap_or_else(|| panic!("{list}"));
        let fields = explained(seen);
        assert!(fields.iter().any(|f| f == "given_name"), "{seen}");
        assert!(!fields.iter().any(|f| family.contains(&f.as_str())), "{seen}");
    }
    let one = server
        .send(referral.get(server.url(&format!("/api/v1/matches/{match_id}"))))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert!(
        !explained(&one.json())
            .iter()
            .any(|f| family.contains(&f.as_str())),
        "{}",
        one.text
    );

    // A supervisor of another agency: the records are outside their scope.
    let other = add_user(
        &server.accounts,
        "elsewhere",
        ("Another Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Supervisor],
    )
    .await;
    let outsider = client(Some(&other.token), Some("case_management"));
    let one = format!("/api/v1/matches/{match_id}");
    for path in lists.iter().chain([&one]) {
        let reply = server.send(outsider.get(server.url(path))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.text);
        assert!(
            !reply.text.contains(&match_id) && !reply.text.contains("KL-"),
            "{}",
            reply.text
        );
    }
    let refused = server
        .send(
            outsider
                .post(server.url(&format!("/api/v1/matches/{match_id}/review")))
                .json(&json!({"version": 1, "status": "rejected", "reason": "not him"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text);
    let unchanged = server.get(&one).await.json();
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["version"].as_i64()),
        (Some("new"), Some(1))
    );
    server.stop().await;
}
