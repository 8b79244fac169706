//! The API through its real interface: a server on a local port over a SQLite
//! store in a temporary directory, driven over HTTP. Every person here is
//! synthetic.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use common::{CASES, DownStore, KINDS, Kind, Server, TRACING_REQUESTS, error_paths};
use kinlink_core::{ChildCase, RecordKind, Validated};
use kinlink_policy::Role;
use kinlink_store::Records;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn lifecycle(kind: &Kind) {
    let (server, _) = Server::start().await;
    let c = kind.collection;

    // Create: 201, Location, the stored record with its derived fields.
    let created = server.post(c, &(kind.valid)("Ahmad")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let stored = created.json();
    let id = stored["id"].as_str().expect("id").to_owned();
    let number = stored["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with(kind.prefix), "{number}");
    assert_eq!(created.location.as_deref(), Some(format!("{c}/{id}").as_str()));
    assert_eq!(stored["version"], 1);
    // Written as the signed-in user (the token's owner), who sees every group.
    assert_eq!(stored["created_by"], "tester");
    assert_eq!(stored["updated_by"], "tester");
    assert_eq!(stored["withheld"], json!([]));
    assert!(stored["created_at"].is_string() && stored["updated_at"].is_string());
    assert!(stored["external_id"].is_null());
    let record = &stored["record"];
    assert_eq!(
        record.pointer(kind.given),
        Some(&json!({"original": "أحمد", "latin": "Ahmad"}))
    );
    let birth = record.pointer(kind.birth).expect("date of birth");
    assert_eq!(birth["value"], "1392-05-10");
    assert_eq!(birth["calendar"], "solar_hijri");
    assert_eq!(
        birth["gregorian"],
        json!({"earliest": "2013-08-01", "latest": "2013-08-01"})
    );

    // Get by id and by number; a number of the other kind finds nothing.
    for key in [&id, &number] {
        let got = server.get(&format!("{c}/{key}")).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        assert_eq!(got.json(), stored);
    }
    let other = number.replacen(&kind.prefix[..2], kind.other_prefix, 1);
    let missing = server.get(&format!("{c}/{other}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "not_found");

    // Update at the right version.
    let change = json!({"version": 1, "record": (kind.valid)("Ahmed")});
    let updated = server.put(&format!("{c}/{id}"), &change).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let v2 = updated.json();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["id"], id.as_str());
    assert_eq!(v2["number"], number.as_str());
    assert_eq!(
        v2["record"].pointer(kind.given).and_then(|g| g.get("latin")),
        Some(&json!("Ahmed"))
    );

    // The same change again is stale: 409 with the current version, nothing written.
    let stale = server
        .put(
            &format!("{c}/{id}"),
            &json!({"version": 1, "record": (kind.valid)("Achmad")}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    let conflict = stale.json();
    assert_eq!(conflict["error"], "conflict");
    assert_eq!(conflict["current_version"], 2);
    assert!(conflict["message"].is_string());
    assert!(!stale.text.contains("Achmad"));
    assert_eq!(server.get(&format!("{c}/{number}")).await.json(), v2);

    // Updating a record that does not exist is 404.
    let unknown = format!("{c}/{}", uuid::Uuid::now_v7());
    let absent = server.put(&unknown, &change).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND, "{}", absent.text);

    // History: both versions, oldest first.
    let history = server.get(&format!("{c}/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let revisions = history.json();
    let revisions = revisions.as_array().expect("array");
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["version"], 1);
    assert_eq!(revisions[1]["version"], 2);
    assert_eq!(revisions[0]["changed_by"], "tester");
    assert_eq!(revisions[0]["record"], stored["record"]);
    assert_eq!(revisions[1]["record"], v2["record"]);
    assert_eq!(
        server.get(&format!("{c}/{number}/history")).await.json(),
        history.json()
    );
    assert_eq!(
        server.get(&format!("{unknown}/history")).await.status,
        StatusCode::NOT_FOUND
    );

    // Export: CSV in the interchange format, and JSON Lines. A supervisor
    // exports cases; only a data protection officer exports tracing requests.
    let exporter = if kind.prefix == "TR-" {
        server
            .client_for("dpo", &[Role::DataProtectionOfficer], "data_protection_review")
            .await
    } else {
        server.http.clone()
    };
    let export = |path: String| server.send(exporter.get(server.url(&path)));
    for path in [format!("{c}/export"), format!("{c}/export?format=csv")] {
        let csv = export(path).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        let mut lines = csv.text.lines();
        assert!(
            lines
                .next()
                .expect("header")
                .starts_with("id,given_name,family_name")
        );
        let row = lines.next().expect("one row");
        assert!(row.starts_with(&format!("{number},أحمد,")), "{row}");
        assert!(row.contains("1392-05-10,solar_hijri"), "{row}");
        assert_eq!(lines.next(), None);
    }
    let jsonl = export(format!("{c}/export?format=jsonl")).await;
    assert_eq!(jsonl.status, StatusCode::OK);
    assert_eq!(jsonl.content_type, "application/x-ndjson");
    let lines: Vec<Value> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines, vec![v2]);
    let bad_format = export(format!("{c}/export?format=xlsx")).await;
    assert_eq!(bad_format.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_format.json()["error"], "invalid_query");
    assert!(
        bad_format.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`format`")
    );

    server.stop().await;
}

#[tokio::test]
async fn a_case_is_created_read_updated_and_exported() {
    lifecycle(&CASES).await;
}

#[tokio::test]
async fn a_tracing_request_is_created_read_updated_and_exported() {
    lifecycle(&TRACING_REQUESTS).await;
}

#[tokio::test]
async fn lists_page_through_records_in_creation_order() {
    let (server, _) = Server::start().await;
    for kind in KINDS {
        let c = kind.collection;
        let mut ids = Vec::new();
        for latin in ["Ahmad", "Ahmed", "Achmad"] {
            let created = server.post(c, &(kind.valid)(latin)).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
            ids.push(created.json()["id"].clone());
        }
        let first = server.get(&format!("{c}?limit=2")).await.json();
        let items = first["items"].as_array().expect("items");
        assert_eq!(
            items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
            ids[..2]
        );
        assert_eq!(first["next_after"], ids[1]);

        let after = first["next_after"].as_str().expect("next_after");
        let second = server.get(&format!("{c}?limit=2&after={after}")).await.json();
        let items = second["items"].as_array().expect("items");
        assert_eq!(
            items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
            ids[2..]
        );
        assert_eq!(second["next_after"], Value::Null);

        // Default limit: everything fits in one page.
        let all = server.get(c).await.json();
        assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
        assert_eq!(all["next_after"], Value::Null);
        // Exactly a page full: no pointer to an empty page.
        assert_eq!(
            server.get(&format!("{c}?limit=3")).await.json()["next_after"],
            Value::Null
        );

        for (query, parameter) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=many", "limit"),
            ("after=KL-2026-000001", "after"),
        ] {
            let bad = server.get(&format!("{c}?{query}")).await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
            let body = bad.json();
            assert_eq!(body["error"], "invalid_query");
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.contains(&format!("`{parameter}`")), "{message}");
            assert!(
                !message.contains("many") && !message.contains("KL-2026"),
                "{message}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_json_is_400_with_its_position() {
    let (server, _) = Server::start().await;
    for kind in KINDS {
        for body in ["{\"child\": {\"names\": ", "{\"child\": }", "", "{} trailing"] {
            let reply = server.post_raw(kind.collection, "application/json", body).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.text);
            let error = reply.json();
            assert_eq!(error["error"], "malformed_json");
            assert!(
                error["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("line 1 column"),
                "{error}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_misspelt_field_is_422_at_its_path() {
    let (server, _) = Server::start().await;
    for kind in KINDS {
        let (body, path) = (kind.typo)();
        let reply = server.post(kind.collection, &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
        assert_eq!(error_paths(&reply), BTreeSet::from([path.to_owned()]));
        let field = path.rsplit('.').next().unwrap_or_default();
        assert!(
            reply.json()["fields"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("unknown field `{field}`"))
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_422_and_not_echoed() {
    let (server, _) = Server::start().await;
    let body =
        json!({"child": {"age_estimate": {"min_years": "Amina Yusuf", "max_years": 12, "at": "2025-01-01"}}});
    let reply = server.post(CASES.collection, &body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert_eq!(
        error_paths(&reply),
        BTreeSet::from(["child.age_estimate.min_years".to_owned()])
    );
    assert!(!reply.text.contains("Amina"), "{}", reply.text);

    let missing = server.post(CASES.collection, &json!({"notes": "x"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&missing), BTreeSet::from(["child".to_owned()]));
    server.stop().await;
}

#[tokio::test]
async fn every_invalid_field_is_listed_and_no_value_is_echoed() {
    let (server, store) = Server::start().await;
    for kind in KINDS {
        let (body, paths, secrets) = (kind.invalid)();
        let reply = server.post(kind.collection, &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
        let expected: BTreeSet<String> = paths.iter().map(|p| p.to_string()).collect();
        assert_eq!(error_paths(&reply), expected, "{}", reply.text);
        for secret in &secrets {
            assert!(!reply.text.contains(secret), "{secret} echoed in {}", reply.text);
        }

        // In an update the record's fields are reported under `record.`.
        let created = server.post(kind.collection, &(kind.valid)("Ahmad")).await.json();
        let id = created["id"].as_str().expect("id");
        let reply = server
            .put(
                &format!("{}/{id}", kind.collection),
                &json!({"version": 1, "record": body}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
        let expected: BTreeSet<String> = paths.iter().map(|p| format!("record.{p}")).collect();
        assert_eq!(error_paths(&reply), expected);
        for secret in &secrets {
            assert!(!reply.text.contains(secret), "{secret} echoed in {}", reply.text);
        }
        let wrapper = server
            .put(
                &format!("{}/{id}", kind.collection),
                &json!({"versoin": 1, "record": (kind.valid)("Ahmad")}),
            )
            .await;
        assert_eq!(wrapper.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_paths(&wrapper), BTreeSet::from(["versoin".to_owned()]));
        // Nothing was written by any refused request.
        assert_eq!(
            server.get(&format!("{}/{id}", kind.collection)).await.json(),
            created
        );
    }
    assert_eq!(store.count(RecordKind::ChildCase).await.ok(), Some(1));
    assert_eq!(store.count(RecordKind::TracingRequest).await.ok(), Some(1));
    server.stop().await;
}

#[tokio::test]
async fn bodies_must_be_json_and_at_most_two_mebibytes() {
    let (server, _) = Server::start().await;
    for kind in KINDS {
        let body = (kind.valid)("Ahmad").to_string();
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let reply = server.post_raw(kind.collection, content_type, body.clone()).await;
            assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
            assert_eq!(reply.json()["error"], "unsupported_media_type");
        }
        let reply = server
            .send(server.http.post(server.url(kind.collection)).body(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "no content type"
        );
        let ok = server
            .post_raw(kind.collection, "application/json; charset=utf-8", body)
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);

        let padding = "a".repeat(3 * 1024 * 1024);
        let huge = json!({"child": {}, "notes": padding}).to_string();
        let reply = server.post_raw(kind.collection, "application/json", huge).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.json()["error"], "payload_too_large");
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_records_and_endpoints_are_404() {
    let (server, _) = Server::start().await;
    for kind in KINDS {
        let c = kind.collection;
        for key in [
            uuid::Uuid::now_v7().to_string(),
            format!("{}2026-999999", kind.prefix),
            "not-an-id".to_owned(),
        ] {
            for path in [format!("{c}/{key}"), format!("{c}/{key}/history")] {
                let reply = server.get(&path).await;
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
                assert_eq!(reply.json()["error"], "not_found");
            }
        }
    }
    let nowhere = server.get("/api/v1/nowhere").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(nowhere.json()["error"], "not_found");
    let wrong_method = server.send(server.http.delete(server.url("/api/v1/cases"))).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json()["error"], "method_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn probes_answer_and_shutdown_is_graceful() {
    let (server, _) = Server::start().await;
    let health = server.get("/healthz").await;
    assert_eq!(
        (health.status, health.json()),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_failing_store_is_503_on_readyz_and_an_opaque_500_elsewhere() {
    let server = Server::start_with(Arc::new(DownStore)).await;
    assert_eq!(server.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(
        server.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for reply in [
        server.get("/api/v1/cases").await,
        server.get("/api/v1/cases/export").await,
        server.get("/api/v1/tracing-requests/TR-2026-000001").await,
        server.post("/api/v1/cases", &(CASES.valid)("Ahmad")).await,
    ] {
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", reply.text);
        assert_eq!(reply.json()["error"], "internal");
        assert!(!reply.text.contains("internal-detail") && !reply.text.contains("unreachable"));
    }
    server.stop().await;
}

#[tokio::test]
async fn exports_page_through_more_records_than_one_page() {
    let (server, store) = Server::start().await;
    // More than one export page (1000), written in one transaction.
    let body = serde_json::from_value::<ChildCase>((CASES.valid)("Ahmad")).expect("fixture");
    let today = Utc::now().date_naive();
    let items: Vec<(String, Validated<ChildCase>)> = (0..2345)
        .map(|i| {
            (
                format!("SRC-{i:05}"),
                Validated::new(body.clone(), today).expect("valid"),
            )
        })
        .collect();
    let outcome = Records::<ChildCase>::new(store.clone())
        .import(&items, &server.actor())
        .await
        .expect("import");
    assert_eq!(outcome.created, 2345);

    let csv = server.get("/api/v1/cases/export").await;
    assert_eq!(csv.status, StatusCode::OK);
    let ids: Vec<&str> = csv
        .text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    let expected: Vec<String> = (0..2345).map(|i| format!("SRC-{i:05}")).collect();
    assert_eq!(
        ids, expected,
        "every record once, in creation order, by its external id"
    );

    let jsonl = server.get("/api/v1/cases/export?format=jsonl").await;
    let lines: Vec<Value> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2345);
    assert_eq!(lines[2344]["external_id"], "SRC-02344");
    server.stop().await;
}

#[tokio::test]
async fn openapi_documents_every_route_and_every_route_is_served() {
    let (server, _) = Server::start().await;
    let reply = server.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        serde_json::to_value(kinlink_server::openapi()).expect("serialise")
    );

    // The router is built from the same registrations as the document
    // (utoipa-axum's `routes!`), so nothing is served undocumented. Check the
    // other direction: every documented operation reaches a handler.
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations.insert(format!("{} {path}", method.to_uppercase()));
            let url = server.url(
                &path
                    .replace("{id}", &uuid::Uuid::now_v7().to_string())
                    .replace("{match_id}", &uuid::Uuid::now_v7().to_string()),
            );
            let request = match method {
                "get" => server.http.get(url),
                "post" => server.http.post(url).json(&json!({})),
                "put" => server.http.put(url).json(&json!({})),
                "patch" => server.http.patch(url).json(&json!({})),
                _ => server.http.delete(url),
            };
            let reply = server.send(request).await;
            assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !reply.text.contains("no such endpoint"),
                "{method} {path} is not routed"
            );
        }
    }
    let mut expected = BTreeSet::from([
        "GET /healthz".to_owned(),
        "GET /readyz".to_owned(),
        "GET /api/v1/openapi.json".to_owned(),
        "POST /api/v1/session".to_owned(),
        "GET /api/v1/session".to_owned(),
        "DELETE /api/v1/session".to_owned(),
        "POST /api/v1/session/totp".to_owned(),
        "POST /api/v1/session/totp/confirm".to_owned(),
    ]);
    for c in ["/api/v1/cases", "/api/v1/tracing-requests"] {
        for op in [
            "POST {c}",
            "GET {c}",
            "GET {c}/{id}",
            "PUT {c}/{id}",
            "GET {c}/{id}/history",
            "GET {c}/{id}/matches",
            "GET {c}/export",
            "GET {c}/{id}/consents",
            "POST {c}/{id}/consents",
            "POST {c}/{id}/legal-bases",
            "POST {c}/{id}/consents/{consent_id}/withdraw",
        ] {
            expected.insert(op.replace("{c}", c));
        }
    }
    expected.insert("GET /api/v1/matches/{match_id}".to_owned());
    expected.insert("POST /api/v1/matches/{match_id}/review".to_owned());
    for op in [
        "GET /api/v1/cases/{id}/casework",
        "GET /api/v1/cases/{id}/casework/history",
        "POST /api/v1/cases/{id}/casework/commands",
        "POST /api/v1/cases/{id}/casework/approvals/{approval_id}",
        "GET /api/v1/cases/{id}/decisions",
        "GET /api/v1/approvals",
        "GET /api/v1/tasks",
        "GET /api/v1/info-sheets/{topic}/{lang}",
    ] {
        expected.insert(op.to_owned());
    }
    for path in [
        "/api/v1/statistics/indicators",
        "/api/v1/statistics/indicators/{indicator}",
        "/api/v1/statistics/reports/detention",
        "/api/v1/statistics/reports/treaty",
    ] {
        expected.insert(format!("GET {path}"));
    }
    // The web application's pages (answered in HTML, behind the same policy).
    for page in [
        "GET /sign-in",
        "POST /sign-in",
        "POST /sign-out",
        "GET /language",
        "GET /static/kinlink.css",
        "GET /static/kinlink.js",
        "GET /",
        "GET /search",
        "GET /cases/new",
        "POST /cases",
        "GET /cases/{id}",
        "GET /tracing-requests/new",
        "POST /tracing-requests",
        "GET /tracing-requests/{id}",
        "GET /matches/{match_id}",
        "POST /matches/{match_id}/review",
    ] {
        expected.insert(page.to_owned());
    }
    assert_eq!(operations, expected);

    // Every reference resolves, and operation ids are unique.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(schemas.contains_key(name), "dangling {r}");
    }
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().into_iter().flat_map(|o| o.values()))
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert_eq!(ids.len(), ids.iter().collect::<BTreeSet<_>>().len(), "{ids:?}");
    server.stop().await;
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
