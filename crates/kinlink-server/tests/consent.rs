//! Consent and legal basis through the HTTP API, on a real server: a record
//! enters matching with a tracing consent or legal basis only, a withdrawal
//! takes its matches away at once (and the matcher withdraws them, in this
//! process and in another on the same database), re-consent brings them
//! back, and the firewall holds. Every person here is synthetic.

mod common;

use common::{Server, add_user, client, consent_to_tracing};
use kinlink_audit::EventKind;
use kinlink_core::RecordId;
use kinlink_policy::{AgencyType, Resource, Role};
use kinlink_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A boy registered in a reception centre, his name in Persian script.
fn registered_boy() -> Value {
    json!({
        "child": {
            "names": {"given": {"original": "احمد"}, "family": {"original": "رحیمی"}},
            "sex": "male",
            "date_of_birth": {"value": "1392", "calendar": "solar_hijri"},
            "country_of_origin": "AF",
            "place_of_origin": {"locality": {"original": "هرات"}},
            "family": [{"relation": "mother", "names": {"given": {"original": "مریم"}}}]
        },
        "accompaniment": "unaccompanied",
        "recorded_on": "2025-11-03"
    })
}

/// His mother looking for him, in Latin letters and the Gregorian year.
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

async fn create(server: &Server, collection: &str, body: &Value) -> String {
    let reply = server.post(collection, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()["id"].as_str().expect("id").to_owned()
}

/// The candidates listed at `path` (a record's matches).
async fn candidates(server: &Server, path: &str) -> Vec<Value> {
    let reply = server.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let list = reply.json();
    list["candidates"]
        .as_array()
        .into_iter()
        .chain(list["possible_siblings"].as_array())
        .flatten()
        .cloned()
        .collect()
}

async fn withdraw(server: &Server, record_path: &str, consent: &Value) -> common::Reply {
    let consent = consent["id"].as_str().expect("consent id");
    server
        .post(&format!("{record_path}/consents/{consent}/withdraw"), &json!({}))
        .await
}

/// Whether the matcher still proposes the pair (the stored proposal).
async fn proposed(store: &dyn Store, request: &str) -> Vec<bool> {
    let request: RecordId = request.parse().expect("id");
    store
        .matches_for_request(request)
        .await
        .expect("reads")
        .iter()
        .map(|m| m.proposed)
        .collect()
}

#[tokio::test]
async fn without_consent_or_legal_basis_a_record_is_not_matched() {
    let (server, store) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let request = create(&server, "/api/v1/tracing-requests", &mothers_request()).await;
    let request_matches = format!("/api/v1/tracing-requests/{request}/matches");
    server.settled().await;
    assert!(candidates(&server, &request_matches).await.is_empty());
    assert!(proposed(store.as_ref(), &request).await.is_empty());
    // The mother consents for her request: still nothing, the child has not.
    consent_to_tracing(&server, &format!("/api/v1/tracing-requests/{request}")).await;
    server.settled().await;
    assert!(candidates(&server, &request_matches).await.is_empty());
    // The child's best interests justify tracing without his consent (he
    // is too young to give it): a legal basis, approved by a supervisor.
    add_user(
        &server.accounts,
        "approving-supervisor",
        ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Supervisor],
    )
    .await;
    let basis = server
        .post(
            &format!("/api/v1/cases/{case}/legal-bases"),
            &json!({
                "purpose": "tracing",
                "reason": "BIA 2026-031: tracing is in the child's best interests",
                "decided_by": "child_protection_authority",
                "approved_by": "approving-supervisor"
            }),
        )
        .await;
    assert_eq!(basis.status, StatusCode::CREATED, "{}", basis.text);
    assert_eq!(basis.json()["basis"], "legal_basis");
    server.settled().await;
    let found = candidates(&server, &request_matches).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["case"]["id"], case.as_str());
    server.stop().await;
}

#[tokio::test]
async fn withdrawal_takes_the_case_out_of_matching_at_once_and_re_consent_brings_it_back() {
    let (server, store) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let request = create(&server, "/api/v1/tracing-requests", &mothers_request()).await;
    let case_path = format!("/api/v1/cases/{case}");
    let request_path = format!("/api/v1/tracing-requests/{request}");
    let consent = consent_to_tracing(&server, &case_path).await;
    consent_to_tracing(&server, &request_path).await;
    server.settled().await;
    let request_matches = format!("{request_path}/matches");
    let found = candidates(&server, &request_matches).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let match_id = found[0]["id"].as_str().expect("match id").to_owned();

    // The child withdraws his consent: the very next request shows nothing,
    // from either side and by the match's id, before the matcher has run.
    let withdrawn = withdraw(&server, &case_path, &consent).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text);
    assert!(withdrawn.json()["withdrawn_at"].is_string());
    assert!(candidates(&server, &request_matches).await.is_empty());
    assert!(
        candidates(&server, &format!("{case_path}/matches"))
            .await
            .is_empty()
    );
    let one = server.get(&format!("/api/v1/matches/{match_id}")).await;
    assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.text);
    let review = server
        .post(
            &format!("/api/v1/matches/{match_id}/review"),
            &json!({"version": 1, "status": "under_review"}),
        )
        .await;
    assert_eq!(review.status, StatusCode::NOT_FOUND, "{}", review.text);
    // The matcher drops it from its index and withdraws the proposal.
    server.settled().await;
    assert_eq!(proposed(store.as_ref(), &request).await, vec![false]);
    // Not proposed again when the request changes and is matched again.
    let current = server.get(&request_path).await.json();
    let mut record = current["record"].clone();
    record["notes"] = json!("Synthetic note: the mother called again");
    let updated = server
        .put(
            &request_path,
            &json!({"version": current["version"], "record": record}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    server.settled().await;
    assert_eq!(proposed(store.as_ref(), &request).await, vec![false]);
    assert!(candidates(&server, &request_matches).await.is_empty());
    // Withdrawn once only.
    let again = withdraw(&server, &case_path, &consent).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.text);

    // The child consents again (with an interpreter): the match is back.
    let renewed = server
        .post(
            &format!("{case_path}/consents"),
            &json!({"purpose": "tracing", "given_by": "child", "language": "fa",
                    "interpreter": "interpreter-4"}),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{}", renewed.text);
    server.settled().await;
    let found = candidates(&server, &request_matches).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], match_id.as_str());
    assert_eq!(proposed(store.as_ref(), &request).await, vec![true]);

    // The list keeps both, the withdrawn one with who withdrew it.
    let list = server.get(&format!("{case_path}/consents")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let list = list.json();
    let consents = list["consents"].as_array().expect("consents");
    assert_eq!(consents.len(), 2);
    assert_eq!(consents[0]["withdrawn_by"], "tester");
    assert_eq!(consents[1]["interpreter"], "interpreter-4");
    assert_eq!(consents[1]["given_by"], "child");
    assert_eq!(list["allowed"], json!(["tracing"]));
    // Each change is in the audit log of the case.
    let case_id: uuid::Uuid = case.parse().expect("uuid");
    let entries = store
        .audit_for_record(Resource::ChildCase, case_id)
        .await
        .expect("audit");
    let changes = entries
        .iter()
        .filter(|e| e.event.kind == EventKind::ConsentChange)
        .count();
    assert_eq!(changes, 3);
    server.stop().await;
}

#[tokio::test]
async fn a_request_whose_consent_is_withdrawn_loses_its_proposals() {
    let (server, store) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let request = create(&server, "/api/v1/tracing-requests", &mothers_request()).await;
    consent_to_tracing(&server, &format!("/api/v1/cases/{case}")).await;
    let request_path = format!("/api/v1/tracing-requests/{request}");
    let consent = consent_to_tracing(&server, &request_path).await;
    server.settled().await;
    assert_eq!(proposed(store.as_ref(), &request).await, vec![true]);
    let withdrawn = withdraw(&server, &request_path, &consent).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text);
    assert!(
        candidates(&server, &format!("/api/v1/cases/{case}/matches"))
            .await
            .is_empty()
    );
    server.settled().await;
    assert_eq!(proposed(store.as_ref(), &request).await, vec![false]);
    server.stop().await;
}

#[tokio::test]
async fn a_withdrawal_through_one_server_holds_in_another_on_the_same_database() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let open = async || {
        kinlink_store::SqliteStore::open(dir.path())
            .await
            .expect("open store")
    };
    let first = Server::start_shared(open().await, "first").await;
    let second = Server::start_shared(open().await, "second").await;
    let case = create(&first, "/api/v1/cases", &registered_boy()).await;
    let request = create(&first, "/api/v1/tracing-requests", &mothers_request()).await;
    let case_path = format!("/api/v1/cases/{case}");
    let consent = consent_to_tracing(&first, &case_path).await;
    consent_to_tracing(&first, &format!("/api/v1/tracing-requests/{request}")).await;
    first.settled().await;
    second.settled().await;
    let request_matches = format!("/api/v1/tracing-requests/{request}/matches");
    assert_eq!(candidates(&second, &request_matches).await.len(), 1);
    let withdrawn = withdraw(&first, &case_path, &consent).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text);
    // The other process shows nothing at once, and its matcher, which
    // learns of the withdrawal from the change feed, does not propose it.
    assert!(candidates(&second, &request_matches).await.is_empty());
    second.settled().await;
    first.settled().await;
    let store = open().await;
    assert_eq!(proposed(&store, &request).await, vec![false]);
    // Consent through the second server: both show the match again.
    consent_to_tracing(&second, &case_path).await;
    second.settled().await;
    first.settled().await;
    assert_eq!(candidates(&first, &request_matches).await.len(), 1);
    assert_eq!(proposed(&store, &request).await, vec![true]);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn consent_requests_are_checked_without_echoing_values() {
    let (server, _) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let consents = format!("/api/v1/cases/{case}/consents");
    let bad = server
        .post(
            &consents,
            &json!({"purpose": "tracing", "given_by": "child", "language": "Dari-ish",
                    "interpreter": "Mr Karimi from the camp", "given_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    for field in ["language", "interpreter", "given_at"] {
        assert!(bad.text.contains(field), "{field}: {}", bad.text);
    }
    assert!(
        !bad.text.contains("Karimi") && !bad.text.contains("Dari-ish"),
        "{}",
        bad.text
    );
    // A name is not a role.
    let named = server
        .post(
            &consents,
            &json!({"purpose": "tracing", "given_by": "Maryam", "language": "fa"}),
        )
        .await;
    assert!(named.status.is_client_error(), "{}", named.text);
    assert!(!named.text.contains("Maryam"), "{}", named.text);
    // A legal basis needs a reason and someone else's approval: a supervisor
    // or a BID panel member, not the caller nor a caseworker.
    add_user(
        &server.accounts,
        "a-caseworker",
        ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Caseworker],
    )
    .await;
    let bases = format!("/api/v1/cases/{case}/legal-bases");
    for (approver, reason) in [
        ("tester", "BIA 2026-031"),
        ("a-caseworker", "BIA 2026-031"),
        ("nobody", " "),
    ] {
        let reply = server
            .post(
                &bases,
                &json!({"purpose": "tracing", "reason": reason, "decided_by": "court", "approved_by": approver}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{approver}: {}",
            reply.text
        );
        assert!(reply.text.contains("approved_by"), "{}", reply.text);
    }
    // Unknown records and consents: 404.
    let nobody = uuid::Uuid::now_v7();
    let reply = server.get(&format!("/api/v1/cases/{nobody}/consents")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = server
        .post(
            &format!("/api/v1/cases/{case}/consents/{nobody}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = server
        .post(
            &format!("/api/v1/cases/{case}/consents/not-a-uuid/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn a_legal_basis_reason_is_shown_only_to_who_may_read_protection_concerns() {
    let (server, _) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    add_user(
        &server.accounts,
        "panel-member",
        ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
        &[Role::BidPanelMember],
    )
    .await;
    let reason = "BID 2026-007: the father is a risk to the child; trace the mother only";
    let basis = server
        .post(
            &format!("/api/v1/cases/{case}/legal-bases"),
            &json!({"purpose": "tracing", "reason": reason, "decided_by": "best_interests_panel",
                    "approved_by": "panel-member"}),
        )
        .await;
    assert_eq!(basis.status, StatusCode::CREATED, "{}", basis.text);
    assert_eq!(basis.json()["reason"], reason);
    // A supervisor tracing sees the basis, not its reason.
    let tracing = client(Some(&server.user.token), Some("tracing"));
    let reply = server
        .send(tracing.get(server.url(&format!("/api/v1/cases/{case}/consents"))))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(!reply.text.contains("father"), "{}", reply.text);
    assert_eq!(reply.json()["consents"][0]["reason"], "(withheld)");
    assert_eq!(reply.json()["allowed"], json!(["tracing"]));
    server.stop().await;
}

#[tokio::test]
async fn the_firewall_holds_on_consents() {
    let (server, _) = Server::start().await;
    let case = create(&server, "/api/v1/cases", &registered_boy()).await;
    let consent = consent_to_tracing(&server, &format!("/api/v1/cases/{case}")).await;
    let officer = add_user(
        &server.accounts,
        "border-officer",
        ("Border Office", AgencyType::ImmigrationAuthority),
        &Role::ALL,
    )
    .await;
    let consent_id = consent["id"].as_str().expect("id");
    let routes = [
        ("GET", format!("/api/v1/cases/{case}/consents")),
        ("POST", format!("/api/v1/cases/{case}/consents")),
        ("POST", format!("/api/v1/cases/{case}/legal-bases")),
        (
            "POST",
            format!("/api/v1/cases/{case}/consents/{consent_id}/withdraw"),
        ),
    ];
    for purpose in [
        "tracing",
        "case_management",
        "data_protection_review",
        "immigration_enforcement",
    ] {
        let http = client(Some(&officer.token), Some(purpose));
        for (method, path) in &routes {
            let request = match *method {
                "GET" => http.get(server.url(path)),
                _ => http
                    .post(server.url(path))
                    .json(&json!({"purpose": "tracing", "given_by": "child", "language": "en"})),
            };
            let reply = server.send(request).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{purpose} {method} {path}");
            let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
            assert!(reason.starts_with("firewall_"), "{reason}");
            assert!(!reply.text.contains(consent_id), "{}", reply.text);
        }
    }
    // Nothing changed: the consent still holds.
    let list = server.get(&format!("/api/v1/cases/{case}/consents")).await.json();
    assert_eq!(list["consents"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["allowed"], json!(["tracing"]));
    server.stop().await;
}
