//! Access through the real HTTP interface: the route-policy table against the
//! OpenAPI document, the role × route matrix, the firewall on every route,
//! sign-in, sessions, CSRF, the second factor, lockout, tokens, redaction and
//! the security headers. Every person here is synthetic.

mod common;

use std::collections::BTreeSet;

use common::{CASES, PASSWORD, Server, TRACING_REQUESTS, add_token, add_user, client};
use kinlink_auth::session::SessionPolicy;
use kinlink_auth::totp::TotpSecret;
use kinlink_policy::{
    AccessRequest, Action, Agency, AgencyId, AgencyType, Principal, Purpose, Role, TeamId, UserId, Via,
    authorize,
};
use kinlink_server::access::{Access, ROUTES};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Personal values of the fixtures (not the API document's examples): none
/// may appear in a refused response.
const PERSONAL: [&str; 6] = [
    "Rahimi",
    "رحیمی",
    "Maryam",
    "Fatima",
    "+93 700",
    "Synthetic protection note",
];

fn assert_no_personal_data(text: &str, context: &str) {
    for value in PERSONAL {
        assert!(!text.contains(value), "{context}: {value} in {text}");
    }
}

/// Every operation of the OpenAPI document, as (METHOD, template).
fn documented_operations() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(kinlink_server::openapi()).expect("document");
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// A concrete URL for a template: `{id}` becomes `id`, `{match_id}` `match_id`.
fn concrete(template: &str, id: &str, match_id: &str) -> String {
    let path = template
        .replace("{id}", id)
        .replace("{match_id}", match_id)
        .replace("{indicator}", "children_registered");
    // The detention report needs its year.
    if path.ends_with("/reports/detention") {
        format!("{path}?year=2026")
    } else {
        path
    }
}

/// A request body that fits the route, so that refusals are the policy's, not the parser's.
fn body_for(template: &str, method: &str, version: i64) -> Option<Value> {
    let kind = if template.starts_with("/api/v1/tracing-requests") {
        &TRACING_REQUESTS
    } else {
        &CASES
    };
    match method {
        "POST"
            if template.starts_with("/api/v1/cases") || template.starts_with("/api/v1/tracing-requests") =>
        {
            Some((kind.valid)("Ahmad"))
        }
        "PUT" => Some(json!({"version": version, "record": (kind.valid)("Ahmad")})),
        "POST" => Some(json!({})),
        _ => None,
    }
}

async fn call(
    server: &Server,
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> common::Reply {
    let url = server.url(url);
    let request = match method {
        "GET" => http.get(url),
        "POST" => http.post(url),
        "PUT" => http.put(url),
        "PATCH" => http.patch(url),
        _ => http.delete(url),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    server.send(request).await
}

#[test]
fn the_route_policy_table_lists_exactly_the_documented_routes() {
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(table.len(), ROUTES.len(), "a route is listed twice");
    assert_eq!(table, documented_operations());
}

/// Records to point `{id}` routes at: a case and a tracing request created by the test supervisor.
async fn fixtures(server: &Server) -> (String, String) {
    let mut case = (CASES.valid)("Ahmad");
    case["notes"] = json!("Synthetic protection note");
    let case = server.post(CASES.collection, &case).await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.text);
    let request = server
        .post(TRACING_REQUESTS.collection, &(TRACING_REQUESTS.valid)("Ahmad"))
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.text);
    let (case, request) = (
        case.json()["id"].as_str().expect("id").to_owned(),
        request.json()["id"].as_str().expect("id").to_owned(),
    );
    // Consented to tracing, so that they are matched.
    common::consent_to_tracing(server, &format!("{}/{case}", CASES.collection)).await;
    common::consent_to_tracing(server, &format!("{}/{request}", TRACING_REQUESTS.collection)).await;
    (case, request)
}

/// A match to point `{match_id}` routes at: the fixtures' case is proposed for
/// their tracing request (the same child, the same birth).
async fn fixture_match(server: &Server, request_id: &str) -> String {
    server.settled().await;
    let reply = server
        .get(&format!("/api/v1/tracing-requests/{request_id}/matches"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let list = reply.json();
    let found = list["candidates"]
        .as_array()
        .into_iter()
        .chain(list["possible_siblings"].as_array())
        .flatten()
        .next()
        .unwrap_or_else(|| panic!("no match proposed for the fixtures: {list}"));
    found["id"].as_str().expect("id").to_owned()
}

/// Every role against every route for every purpose: a refusal is exactly
/// what `authorize` refuses (403 with its reason, nothing else in the body);
/// what it allows is not refused.
#[tokio::test]
async fn role_route_matrix() {
    let (server, _) = Server::start().await;
    let (case_id, request_id) = fixtures(&server).await;
    let match_id = fixture_match(&server, &request_id).await;
    for role in Role::ALL {
        let user = add_user(
            &server.accounts,
            &format!("matrix-{role:?}").to_lowercase(),
            ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
            &[role],
        )
        .await;
        let principal = Principal {
            user: UserId(user.id),
            agency: Agency {
                id: AgencyId(user.agency),
                kind: AgencyType::ChildProtectionAuthority,
                immigration_enforcement: false,
            },
            teams: vec![TeamId(user.team)],
            roles: vec![role],
            via: Via::ApiToken,
        };
        for purpose in Purpose::ALL {
            let http = client(Some(&user.token), Some(purpose.as_str()));
            for route in ROUTES {
                let Access::Record(resource, action) = route.access else {
                    continue;
                };
                let id = if route.path.starts_with("/api/v1/cases") {
                    &case_id
                } else {
                    &request_id
                };
                let method = route.method.as_str();
                let url = concrete(route.path, id, &match_id);
                let url = if action == Action::Export {
                    format!("{url}?format=jsonl")
                } else {
                    url
                };
                let reply = call(&server, &http, method, &url, body_for(route.path, method, 1)).await;
                let context = format!("{role:?} {purpose:?} {method} {}", route.path);
                match authorize(&principal, AccessRequest::new(resource, action, purpose)) {
                    Err(denial) => {
                        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{context}: {}", reply.text);
                        assert_eq!(reply.json()["reason"], denial.code(), "{context}");
                        assert_no_personal_data(&reply.text, &context);
                    }
                    Ok(_) => {
                        assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{context}");
                        let refused_by_route = reply.status == StatusCode::FORBIDDEN
                            && reply.json()["reason"] != "field_groups_not_editable";
                        assert!(!refused_by_route, "{context}: {}", reply.text);
                    }
                }
            }
        }
    }
    server.stop().await;
}

/// The firewall on every route of the OpenAPI document: a user of an
/// immigration authority, holding every role and a token with every scope,
/// gets no personal data with any purpose; and an enforcement purpose is
/// refused for everyone. The statistics routes are the only record routes
/// such a user may reach (`tests/statistics.rs` shows what they get there).
#[tokio::test]
async fn the_firewall_holds_on_every_documented_route() {
    let (server, _) = Server::start().await;
    let (case_id, request_id) = fixtures(&server).await;
    let match_id = fixture_match(&server, &request_id).await;
    let officer = add_user(
        &server.accounts,
        "border-officer",
        ("Border Office", AgencyType::ImmigrationAuthority),
        &Role::ALL,
    )
    .await;
    let operations = documented_operations();
    assert!(operations.len() >= ROUTES.len());
    for (method, template) in &operations {
        let url = concrete(template, &case_id, &match_id);
        for purpose in Purpose::ALL {
            let http = client(Some(&officer.token), Some(purpose.as_str()));
            let reply = call(&server, &http, method, &url, body_for(template, method, 1)).await;
            let context = format!("immigration authority, {purpose:?}: {method} {template}");
            let access = kinlink_server::access::policy_of(&method.parse().expect("method"), template);
            // Public routes (probes, this document, sign-in) hold no records;
            // the document's examples are not anyone's data.
            if access != Some(Access::Public) {
                assert_no_personal_data(&reply.text, &context);
            }
            // A web page: refused as a whole, whatever the purpose header says
            // (the page's purpose is fixed in the route table).
            if let Some(Access::Page(resource, ..)) = access
                && resource != kinlink_policy::Resource::Statistics
            {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{context}: {}", reply.text);
            }
            if let Some(Access::Record(resource, _)) = access {
                if resource == kinlink_policy::Resource::Statistics {
                    continue;
                }
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{context}: {}", reply.text);
                let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
                assert!(reason.starts_with("firewall_"), "{context}: {reason}");
            }
        }
        // Anyone, with the enforcement purpose: refused on every record route.
        let supervisor = client(Some(&server.user.token), Some("immigration_enforcement"));
        let reply = call(&server, &supervisor, method, &url, body_for(template, method, 1)).await;
        if template != "/api/v1/openapi.json" {
            assert_no_personal_data(&reply.text, &format!("enforcement purpose: {method} {template}"));
        }
        // A web page with an enforcement purpose declared anyway: refused too.
        if matches!(
            kinlink_server::access::policy_of(&method.parse().expect("method"), template),
            Some(Access::Page(..))
        ) {
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "enforcement purpose: {method} {template}"
            );
        }
        if matches!(
            kinlink_server::access::policy_of(&method.parse().expect("method"), template),
            Some(Access::Record(..))
        ) {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {template}");
            assert_eq!(reply.json()["reason"], "firewall_enforcement_purpose");
        }
    }
    // The administrator can flag an agency of another type: the same wall.
    let police = server
        .accounts
        .create_agency("Border Police", AgencyType::Police, true)
        .await
        .expect("agency");
    let team = server
        .accounts
        .create_team(police.id, "Unit")
        .await
        .expect("team");
    let user = server
        .accounts
        .create_user(&kinlink_store::NewUser {
            username: "flagged".into(),
            agency_id: police.id,
            teams: vec![team.id],
            roles: vec![Role::Caseworker],
            password_hash: common::hash(PASSWORD),
        })
        .await
        .expect("user");
    let token = add_token(&server.accounts, user.id, common::record_scopes()).await;
    let reply = server
        .send(
            client(Some(&token), Some("case_management"))
                .get(server.url(&format!("/api/v1/cases/{case_id}"))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["reason"], "firewall_enforcement_agency");
    server.stop().await;
}

#[tokio::test]
async fn unauthenticated_requests_get_401_and_nothing_else_and_purpose_is_required() {
    let (server, _) = Server::start().await;
    let (case_id, _) = fixtures(&server).await;
    let bogus = "klt_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for credentials in [None, Some(bogus), Some("not-a-token")] {
        let http = client(credentials, Some("case_management"));
        for route in ROUTES.iter().filter(|r| r.access != Access::Public) {
            let method = route.method.as_str();
            // A web page sends a browser without a session to the sign-in page.
            if kinlink_server::access::is_web(route.path) {
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("client");
                let reply = call(
                    &server,
                    &http,
                    method,
                    &concrete(route.path, &case_id, "0190c0de-0000-7000-8000-000000000000"),
                    None,
                )
                .await;
                assert_eq!(reply.status, StatusCode::SEE_OTHER, "{method} {}", route.path);
                assert_eq!(
                    reply.location.as_deref(),
                    Some("/sign-in"),
                    "{method} {}",
                    route.path
                );
                assert_no_personal_data(&reply.text, route.path);
                continue;
            }
            let reply = call(
                &server,
                &http,
                method,
                &concrete(route.path, &case_id, "0190c0de-0000-7000-8000-000000000000"),
                body_for(route.path, method, 1),
            )
            .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {}", route.path);
            let body = reply.json();
            assert_eq!(body["error"], "unauthenticated");
            assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{}", reply.text);
            assert!(reply.headers.contains_key("www-authenticate"));
            assert_no_personal_data(&reply.text, route.path);
        }
    }
    for route in ROUTES
        .iter()
        .filter(|r| r.access == Access::Public && r.method == "GET")
    {
        let reply = server.send(client(None, None).get(server.url(route.path))).await;
        assert_eq!(reply.status, StatusCode::OK, "{} stays public", route.path);
    }
    // Personal-data routes without a declared purpose, or with an unknown one: 400, saying what.
    for purpose in [None, Some("curiosity")] {
        let reply = server
            .send(client(Some(&server.user.token), purpose).get(server.url("/api/v1/cases")))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let body = reply.json();
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Kinlink-Purpose"),
            "{body}"
        );
        assert_eq!(
            body["error"],
            if purpose.is_none() {
                "missing_purpose"
            } else {
                "invalid_purpose"
            }
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn token_scopes_narrow_what_the_roles_allow() {
    let (server, _) = Server::start().await;
    let (case_id, _) = fixtures(&server).await;
    let read_only = add_token(&server.accounts, server.user.id, vec!["child_case:read".into()]).await;
    let http = client(Some(&read_only), Some("case_management"));
    let read = server
        .send(http.get(server.url(&format!("/api/v1/cases/{case_id}"))))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    for (method, path) in [
        ("GET", "/api/v1/cases".to_owned()),
        ("POST", "/api/v1/cases".to_owned()),
    ] {
        let reply = call(&server, &http, method, &path, body_for(&path, method, 1)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.json()["reason"], "token_scope");
    }
    // A scope cannot widen the roles: a supervisor's token scoped for erasing still cannot erase.
    let wide = add_token(
        &server.accounts,
        server.user.id,
        vec!["tracing_request:export".into()],
    )
    .await;
    let reply = server
        .send(client(Some(&wide), Some("case_management")).get(server.url("/api/v1/tracing-requests/export")))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["reason"], "action_not_allowed");
    server.stop().await;
}

/// A browser-style session: it sends the session cookie back, as a browser
/// would, and knows its CSRF token.
struct Browser {
    http: reqwest::Client,
    csrf: String,
}

async fn sign_in(
    server: &Server,
    username: &str,
    password: &str,
    code: Option<String>,
) -> (common::Reply, Option<Browser>) {
    let reply = server
        .send(
            reqwest::Client::new()
                .post(server.url("/api/v1/session"))
                .json(&json!({
                    "username": username, "password": password, "totp_code": code,
                })),
        )
        .await;
    let browser = (reply.status == StatusCode::CREATED).then(|| {
        let set_cookie = reply.headers["set-cookie"].to_str().expect("cookie");
        let pair = set_cookie.split(';').next().expect("name=value").to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::COOKIE, pair.parse().expect("header"));
        Browser {
            csrf: reply.json()["csrf_token"].as_str().expect("csrf").to_owned(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("client"),
        }
    });
    (reply, browser)
}

#[tokio::test]
async fn sessions_use_strict_cookies_and_csrf_and_end_on_sign_out() {
    let (server, _) = Server::start_configured(|s| kinlink_server::Security {
        totp_required_roles: Vec::new(),
        ..s
    })
    .await;
    let (reply, browser) = sign_in(&server, "  Tester ", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let cookie = reply.headers["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(cookie.starts_with("kinlink_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "no TLS in this test: {cookie}");
    let me = reply.json();
    assert_eq!(me["username"], "tester");
    assert_eq!(me["roles"], json!(["supervisor"]));
    assert_eq!(me["via"], "session");
    assert!(
        me["purposes"]
            .as_array()
            .expect("purposes")
            .contains(&json!("case_management"))
    );
    assert!(
        !me["purposes"]
            .as_array()
            .expect("purposes")
            .contains(&json!("immigration_enforcement"))
    );
    let browser = browser.expect("signed in");

    let whoami = server.send(browser.http.get(server.url("/api/v1/session"))).await;
    assert_eq!(whoami.status, StatusCode::OK);
    assert_eq!(whoami.json()["csrf_token"], browser.csrf.as_str());

    // Unsafe methods need the CSRF token; safe ones do not.
    let create = |csrf: Option<&str>| {
        let mut request = browser
            .http
            .post(server.url("/api/v1/cases"))
            .header("kinlink-purpose", "case_management")
            .json(&(CASES.valid)("Ahmad"));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        server.send(request)
    };
    let refused = create(None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"], "csrf");
    assert_eq!(create(Some("forged")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(create(Some(&browser.csrf)).await.status, StatusCode::CREATED);
    let list = server
        .send(
            browser
                .http
                .get(server.url("/api/v1/cases"))
                .header("kinlink-purpose", "case_management"),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));

    let sign_out = |csrf: Option<&str>| {
        let mut request = browser.http.delete(server.url("/api/v1/session"));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        server.send(request)
    };
    assert_eq!(sign_out(None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(sign_out(Some(&browser.csrf)).await.status, StatusCode::NO_CONTENT);
    let after = server.send(browser.http.get(server.url("/api/v1/session"))).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    // Wrong password and unknown user: the same answer.
    let (wrong, _) = sign_in(&server, "tester", "not the password at all", None).await;
    let (unknown, _) = sign_in(&server, "nobody", PASSWORD, None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text, unknown.text);
    assert!(!wrong.text.contains("not the password"));
    server.stop().await;
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let (server, _) = Server::start_configured(|s| kinlink_server::Security {
        totp_required_roles: Vec::new(),
        session: SessionPolicy {
            idle: chrono::Duration::zero(),
            ..SessionPolicy::default()
        },
        ..s
    })
    .await;
    let (reply, browser) = sign_in(&server, "tester", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let browser = browser.expect("signed in");
    // With no idle time allowed, the session has expired by its next use.
    let after = server.send(browser.http.get(server.url("/api/v1/session"))).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn an_account_locks_after_five_failures_and_a_source_after_twenty() {
    let (server, _) = Server::start().await;
    for attempt in 1..=5 {
        let (reply, _) = sign_in(&server, "tester", "wrong password number x", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Locked: even the right password waits, and the lockout is stored for other processes.
    let (locked, _) = sign_in(&server, "tester", PASSWORD, None).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.text);
    assert!(locked.headers.contains_key("retry-after"));
    let user = server
        .accounts
        .user(server.user.id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(user.failed_sign_ins, 5);
    assert!(user.locked_until.is_some());

    // One source trying many accounts is stopped too (20 failures).
    let (server, _) = Server::start().await;
    for i in 0..20 {
        let (reply, _) = sign_in(&server, &format!("guess{i}"), "wrong", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (locked, _) = sign_in(&server, "tester", PASSWORD, None).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    server.stop().await;
}

fn secret_of(uri: &str) -> TotpSecret {
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("secret in the URI");
    let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret).expect("base32");
    TotpSecret::from_bytes(bytes.try_into().expect("20 bytes"))
}

fn code(secret: &TotpSecret, step_offset: u64) -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp()).expect("time") / 30;
    format!("{:06}", secret.code_at_step(now + step_offset))
}

#[tokio::test]
async fn a_second_factor_is_enrolled_then_required_and_a_code_is_never_accepted_twice() {
    // By default a supervisor (who sees personal data) must have one.
    let (server, _) = Server::start().await;
    let (reply, browser) = sign_in(&server, "tester", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["totp_enrolment_required"], true);
    let browser = browser.expect("signed in");
    let records = server
        .send(
            browser
                .http
                .get(server.url("/api/v1/cases"))
                .header("kinlink-purpose", "case_management"),
        )
        .await;
    assert_eq!(records.status, StatusCode::FORBIDDEN);
    assert_eq!(records.json()["reason"], "totp_enrolment_required");

    let enrol = server
        .send(
            browser
                .http
                .post(server.url("/api/v1/session/totp"))
                .header("x-csrf-token", &browser.csrf),
        )
        .await;
    assert_eq!(enrol.status, StatusCode::CREATED, "{}", enrol.text);
    let uri = enrol.json()["otpauth_uri"].as_str().expect("uri").to_owned();
    assert!(uri.starts_with("otpauth://totp/kinlink:tester?"), "{uri}");
    let secret = secret_of(&uri);
    // The secret is stored sealed, never as the base32 the user saw.
    let stored = server
        .accounts
        .user(server.user.id)
        .await
        .expect("reads")
        .expect("exists");
    let sealed = stored.totp.expect("totp").sealed_secret;
    assert!(!sealed.windows(20).any(|w| w == secret.as_bytes()));

    let confirm = |code: String| {
        server.send(
            browser
                .http
                .post(server.url("/api/v1/session/totp/confirm"))
                .header("x-csrf-token", &browser.csrf)
                .json(&json!({"code": code})),
        )
    };
    assert_eq!(
        confirm("000000".into()).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let used = code(&secret, 0);
    let confirmed = confirm(used.clone()).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let records = server
        .send(
            browser
                .http
                .get(server.url("/api/v1/cases"))
                .header("kinlink-purpose", "case_management"),
        )
        .await;
    assert_eq!(records.status, StatusCode::OK, "the session now reaches records");

    let (missing, _) = sign_in(&server, "tester", PASSWORD, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["error"], "totp_required");
    let (replayed, _) = sign_in(&server, "tester", PASSWORD, Some(used)).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replayed.json()["error"], "totp_replayed");
    let (wrong, _) = sign_in(&server, "tester", PASSWORD, Some("123456".into())).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The next step's code (within the ±1 window) is new: accepted once.
    let next = code(&secret, 1);
    let (ok, _) = sign_in(&server, "tester", PASSWORD, Some(next.clone())).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.json()["totp_enrolment_required"], false);
    let (again, _) = sign_in(&server, "tester", PASSWORD, Some(next)).await;
    assert_eq!(again.json()["error"], "totp_replayed");
    server.stop().await;
}

/// What a tracing officer sees of a case, and that an edit of that view
/// keeps what was withheld.
#[tokio::test]
async fn views_are_redacted_by_purpose_and_withheld_groups_survive_an_update() {
    let (server, _) = Server::start().await;
    let (case_id, _) = fixtures(&server).await;
    let tracing = server
        .client_for("tracer", &[Role::TracingOfficer], "tracing")
        .await;
    let url = server.url(&format!("/api/v1/cases/{case_id}"));
    let seen = server.send(tracing.get(&url)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    let seen = seen.json();
    let withheld = seen["withheld"].as_array().expect("withheld");
    assert!(withheld.contains(&json!("protection_concerns")), "{seen}");
    assert!(withheld.contains(&json!("health")), "{seen}");
    assert!(
        seen["record"].get("notes").is_none(),
        "notes are a protection concern: {seen}"
    );
    assert_eq!(seen["record"]["child"]["names"]["given"]["latin"], "Ahmad");

    // The tracing officer corrects the name on the view they were shown.
    let mut record = seen["record"].clone();
    record["child"]["names"]["given"]["latin"] = json!("Ahmed");
    let updated = server
        .send(
            tracing
                .put(&url)
                .json(&json!({"version": seen["version"], "record": record})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let full = server.get(&format!("/api/v1/cases/{case_id}")).await.json();
    assert_eq!(full["record"]["child"]["names"]["given"]["latin"], "Ahmed");
    assert_eq!(
        full["record"]["notes"], "Synthetic protection note",
        "the withheld note survived"
    );
    assert_eq!(full["updated_by"], "tracer");
    // The history is redacted the same way.
    let history = server.send(tracing.get(format!("{url}/history"))).await.json();
    for revision in history.as_array().expect("revisions") {
        assert!(revision["record"].get("notes").is_none(), "{revision}");
    }
    server.stop().await;
}

#[tokio::test]
async fn listings_reach_only_the_grants_scope() {
    let (server, store) = Server::start().await;
    fixtures(&server).await;
    // A case of another agency: the supervisor (team scope) does not list it.
    let other = add_user(
        &server.accounts,
        "other-sup",
        ("Other NGO", AgencyType::Ngo),
        &[Role::Supervisor],
    )
    .await;
    let other_http = client(Some(&other.token), Some("case_management"));
    let created = server
        .send(
            other_http
                .post(server.url("/api/v1/cases"))
                .json(&(CASES.valid)("Ahmad")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let other_id = created.json()["id"].as_str().expect("id").to_owned();
    let mine = server.get("/api/v1/cases").await.json();
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let direct = server.get(&format!("/api/v1/cases/{other_id}")).await;
    assert_eq!(
        direct.status,
        StatusCode::NOT_FOUND,
        "out of scope is not disclosed"
    );
    // A data protection officer reaches the whole deployment.
    let dpo = server
        .client_for(
            "dpo-all",
            &[Role::DataProtectionOfficer],
            "data_protection_review",
        )
        .await;
    let all = server.send(dpo.get(server.url("/api/v1/cases"))).await.json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        store.count(kinlink_core::RecordKind::ChildCase).await.ok(),
        Some(2)
    );
    server.stop().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (server, _) = Server::start().await;
    for reply in [
        server.get("/healthz").await,
        server.get("/api/v1/nowhere").await,
        server
            .send(client(None, None).get(server.url("/api/v1/cases")))
            .await,
        server.get("/api/v1/cases").await,
    ] {
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-security-policy").contains("default-src 'self'"));
        assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("strict-transport-security"), "", "no HSTS without TLS");
    }
    let (tls, _) = Server::start_configured(|s| kinlink_server::Security { tls: true, ..s }).await;
    let reply = tls.get("/healthz").await;
    assert!(reply.headers.contains_key("strict-transport-security"));
    tls.stop().await;
    server.stop().await;
}

/// Reads, refusals and sign-in failures reach the store's hash-chained audit
/// log with the account, its agency, the purpose and the record id; the
/// store records writes with the same account and purpose; the chain holds.
#[tokio::test]
async fn the_audit_log_records_who_touched_which_record_for_which_purpose() {
    use kinlink_audit::{EventKind, Outcome};
    let (server, store) = Server::start().await;
    let (case_id, _) = fixtures(&server).await;
    let id: uuid::Uuid = case_id.parse().expect("uuid");
    let read = server.get(&format!("/api/v1/cases/{case_id}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let other = add_user(
        &server.accounts,
        "elsewhere",
        ("Another Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Supervisor],
    )
    .await;
    let outsider = client(Some(&other.token), Some("tracing"));
    let refused = server
        .send(outsider.get(server.url(&format!("/api/v1/cases/{case_id}"))))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let (failed, _) = sign_in(&server, "tester", "not the password at all", None).await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED, "{}", failed.text);

    let entries = store
        .audit_for_record(kinlink_policy::Resource::ChildCase, id)
        .await
        .expect("reads");
    let seen: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.event.kind,
                e.event.actor.user,
                e.event.actor.agency,
                e.event.actor.via,
                e.event.purpose,
                e.event.outcome.clone(),
            )
        })
        .collect();
    let tester = (
        Some(server.user.id),
        Some(server.user.agency),
        Some(Via::ApiToken),
        Some(Purpose::CaseManagement),
    );
    let by = |kind, who: (_, _, _, _), outcome: Outcome| (kind, who.0, who.1, who.2, who.3, outcome);
    assert_eq!(
        seen,
        [
            by(EventKind::Create, tester, Outcome::Success),
            // The case's case file, opened with it.
            by(EventKind::Create, tester, Outcome::Success),
            // The fixtures' tracing consent.
            by(EventKind::ConsentChange, tester, Outcome::Success),
            by(EventKind::Read, tester, Outcome::Success),
            by(
                EventKind::Read,
                (
                    Some(other.id),
                    Some(other.agency),
                    Some(Via::ApiToken),
                    Some(Purpose::Tracing)
                ),
                Outcome::Denied(kinlink_audit::ReasonCode::new("out_of_scope").expect("code")),
            ),
        ]
    );
    let all = kinlink_store::audit::all_entries(store.as_ref())
        .await
        .expect("reads");
    assert!(
        all.iter()
            .any(|e| e.event.kind == EventKind::SignInFailure && e.event.actor.user == Some(server.user.id)),
        "{all:?}"
    );
    kinlink_audit::verify_unsigned(&all, &[]).expect("the chain holds");
    server.stop().await;
}
