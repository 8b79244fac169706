//! The web application's handlers: they read the store and call the same
//! functions as the API (`records::create_record`, `records::find`,
//! `matches::review`, ...), and hand the pure renderers of `kinlink-web`
//! only what the policy lets through: `View`s, as JSON.
//!
//! Every page is a route of [`ROUTES`](crate::access::ROUTES) (`Page` with
//! its resource, action and purpose, or `Public`/`Account`) and is
//! documented in the OpenAPI document, so it passes the same `enforce`
//! middleware as the API: authentication (the session cookie), CSRF (the
//! form's `csrf_token` field), the policy with the firewall first. A page
//! that shows a second resource (a case's matches, the two records of a
//! match) asks `authorize` for it with the page's purpose ([`also`]).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kinlink_auth::token::TokenScope;
use kinlink_core::{ChildCase, RecordKind, RecordNumber, TracingRequest, latest_today};
use kinlink_match::names::{Level, NameKey, compare_names};
use kinlink_policy::{AccessRequest, Action, Resource, View, authorize};
use kinlink_store::{ConsentGiver, ConsentPurpose, MatchId, NewConsent, Records, StoredRecord};
use kinlink_web::form::{CaseForm, ReviewForm, TracingForm};
use kinlink_web::pages::{self, Alert, Ctx, MatchLink, Meta, Notice, Revision, Summary};
use kinlink_web::{Markup, Tr};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::{Authorized, Caller};
use crate::error::ApiError;
use crate::extract::{BODY_LIMIT, RecordKey};
use crate::matches::{self, MatchKey, MatchList, ReviewRequest, ReviewStatus};
use crate::records::{ApiRecord, audit_access, context, find, policy_error, visibility};
use crate::session::{self, SignIn, SignInFailure, SourceAddress};

/// The cookie that keeps the chosen language (not personal data, not secret).
pub const LANGUAGE_COOKIE: &str = "kinlink_lang";
/// How many records the home page lists per kind.
const HOME_LIST: u32 = 10;
/// How many search results are shown.
const SEARCH_RESULTS: usize = 20;
/// Records read per page of a name search's scan.
const SEARCH_PAGE: u32 = 500;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in_page, sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(language))
        .routes(routes!(stylesheet))
        .routes(routes!(script))
        .routes(routes!(home))
        .routes(routes!(search))
        .routes(routes!(new_case))
        .routes(routes!(create_case))
        .routes(routes!(case_page))
        .routes(routes!(new_tracing_request))
        .routes(routes!(create_tracing_request))
        .routes(routes!(tracing_request_page))
        .routes(routes!(match_page))
        .routes(routes!(review_match))
}

// ---------------------------------------------------------------------------
// Language, context, responses

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The language of a request: the cookie, else the browser's preference, else English.
fn translator(headers: &HeaderMap) -> Tr {
    let chosen = cookie_value(headers, LANGUAGE_COOKIE).and_then(|c| kinlink_web::language(&c));
    let lang = chosen.unwrap_or_else(|| {
        kinlink_web::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    });
    Tr::new(lang)
}

/// A page context for someone not (yet) known.
fn anonymous(headers: &HeaderMap, path: &str) -> Ctx {
    Ctx {
        tr: translator(headers),
        user: None,
        csrf: None,
        path: path.to_owned(),
    }
}

/// What every page renders with: the language, the signed-in user and
/// their session's CSRF token.
pub struct PageCtx(pub Ctx);

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut ctx = anonymous(&parts.headers, parts.uri.path());
        let caller = parts
            .extensions
            .get::<Authorized>()
            .map(|a| a.caller.clone())
            .or_else(|| parts.extensions.get::<Caller>().cloned());
        if let Some(caller) = caller {
            ctx.csrf = caller.session.as_ref().map(|h| state.security.csrf.token(h));
            ctx.user = Some(caller.username);
        }
        Ok(PageCtx(ctx))
    }
}

/// An HTML page. Pages may hold personal data: never cached.
fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Where a browser without a session is sent.
pub(crate) fn to_sign_in() -> Response {
    see_other("/sign-in")
}

fn notice(ctx: &Ctx, status: StatusCode, which: Notice) -> Response {
    html(status, pages::notice(ctx, which))
}

/// A refusal by the policy, as a page: no detail, no record.
pub(crate) fn forbidden(headers: &HeaderMap) -> Response {
    notice(&anonymous(headers, "/"), StatusCode::FORBIDDEN, Notice::Forbidden)
}

/// A session that still has to enrol its second factor.
pub(crate) fn totp_enrolment_needed(headers: &HeaderMap) -> Response {
    notice(
        &anonymous(headers, "/"),
        StatusCode::FORBIDDEN,
        Notice::TotpEnrolment,
    )
}

/// An API error as a page: its status, and a notice that says nothing of the record.
pub(crate) fn refusal(headers: &HeaderMap, error: &ApiError) -> Response {
    failure(&anonymous(headers, "/"), error)
}

fn failure(ctx: &Ctx, error: &ApiError) -> Response {
    let status = error.status();
    let which = match status {
        StatusCode::NOT_FOUND => Notice::NotFound,
        StatusCode::FORBIDDEN => Notice::Forbidden,
        StatusCode::CONFLICT => Notice::Conflict,
        StatusCode::SERVICE_UNAVAILABLE => Notice::Unavailable,
        _ => Notice::Error,
    };
    notice(ctx, status, which)
}

/// The CSRF token of a form, and the request with its body put back.
pub(crate) async fn form_csrf_token(request: Request) -> (Option<String>, Request) {
    let (parts, body) = request.into_parts();
    // An unreadable or oversized body has no token; the handler's own limit answers it.
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let token = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value.into_owned());
    (token, Request::from_parts(parts, Body::from(bytes)))
}

/// The tracing consent chosen on a registration form, recorded beside the
/// new record (given now, in the language of the page) when the caller may
/// record consents for this purpose. The record is stored either way; a
/// consent that could not be recorded is left to the consent API, as the
/// case page shows none.
async fn record_tracing_consent(
    state: &AppState,
    auth: &Authorized,
    ctx: &Ctx,
    kind: RecordKind,
    id: kinlink_core::RecordId,
    given_by: &str,
) {
    let Ok(given_by) = serde_json::from_value::<ConsentGiver>(Value::String(given_by.to_owned())) else {
        return; // "not yet given", or not one of the choices
    };
    if also(auth, Resource::Consent, Action::Create).is_none() {
        return;
    }
    let consent = NewConsent {
        purpose: ConsentPurpose::Tracing,
        given_by,
        given_at: Utc::now(),
        language: ctx.tr.lang.code.to_owned(),
        interpreter: None,
    };
    match state
        .store
        .record_consent(kind, id, &consent, &auth.actor())
        .await
    {
        Ok(_) => state.matcher.notify(),
        Err(e) => tracing::warn!(error = %e, "the tracing consent of a new record was not recorded"),
    }
}

/// A form body; fields it lacks or cannot read keep their defaults (every
/// field is then checked as the record's own).
fn form<T: DeserializeOwned + Default>(body: &Bytes) -> T {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// A second grant for the same caller and purpose: a page showing another
/// resource than its route's (a case's matches, the records of a match).
/// `None` when the policy (or a token's scopes) does not allow it.
fn also(auth: &Authorized, resource: Resource, action: Action) -> Option<Authorized> {
    if let Some(scopes) = &auth.caller.scopes
        && !scopes.contains(&TokenScope { resource, action })
    {
        return None;
    }
    let purpose = auth.grant.request().purpose;
    authorize(
        &auth.caller.principal,
        AccessRequest::new(resource, action, purpose),
    )
    .ok()
    .map(|grant| Authorized {
        caller: auth.caller.clone(),
        grant,
        route: auth.route.clone(),
    })
}

/// The withheld groups of a view, by name.
fn withheld<T>(view: &View<T>) -> Vec<String> {
    serde_json::to_value(view)
        .ok()
        .and_then(|v| v.get("withheld").cloned())
        .and_then(|w| serde_json::from_value(w).ok())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Signing in and out, the language, the assets

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    username: String,
    password: String,
    totp_code: String,
}

/// Sign-in page
#[utoipa::path(get, path = "/sign-in", tag = "web pages", operation_id = "web_sign_in_page",
    responses((status = 200, description = "The sign-in form", content_type = "text/html", body = String)))]
async fn sign_in_page(headers: HeaderMap) -> Response {
    html(
        StatusCode::OK,
        pages::sign_in(&anonymous(&headers, "/sign-in"), "", None),
    )
}

/// Sign in from the form
///
/// The same sign-in as `POST /api/v1/session` (throttle, lockout, second
/// factor, audit); on success the session cookie is set and the browser is
/// sent home.
#[utoipa::path(post, path = "/sign-in", tag = "web pages", operation_id = "web_sign_in",
    responses(
        (status = 303, description = "Signed in: to the home page"),
        (status = 401, description = "The form again, with what went wrong", content_type = "text/html", body = String),
        (status = 429, description = "Locked for a while", content_type = "text/html", body = String),
    ))]
async fn sign_in(
    State(state): State<AppState>,
    SourceAddress(source): SourceAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = anonymous(&headers, "/sign-in");
    let input: SignInForm = form(&body);
    let code = input.totp_code.trim();
    let attempt = SignIn {
        username: input.username.clone(),
        password: input.password,
        totp_code: (!code.is_empty()).then(|| code.to_owned()),
    };
    let (status, alert) = match session::open_session(&state, &source, attempt).await {
        Ok(signed_in) => {
            let mut response = see_other("/");
            response
                .headers_mut()
                .insert(header::SET_COOKIE, signed_in.cookie);
            return response;
        }
        Err(SignInFailure::Locked(_)) => (StatusCode::TOO_MANY_REQUESTS, Alert::SignInLocked),
        Err(SignInFailure::Refused(error)) => {
            let alert = match error.body().error.as_str() {
                "totp_required" => Alert::CodeRequired,
                "totp_replayed" => Alert::CodeReused,
                "sign_in_failed" => Alert::SignInFailed,
                _ => return failure(&ctx, &error),
            };
            (StatusCode::UNAUTHORIZED, alert)
        }
    };
    html(status, pages::sign_in(&ctx, &input.username, Some(alert)))
}

/// Sign out
#[utoipa::path(post, path = "/sign-out", tag = "web pages", operation_id = "web_sign_out",
    responses((status = 303, description = "Signed out: to the sign-in page")))]
async fn sign_out(State(state): State<AppState>, caller: Caller) -> Response {
    match session::sign_out(State(state), caller).await {
        Ok(done) => {
            let mut response = to_sign_in();
            if let Some(cookie) = done.headers().get(header::SET_COOKIE) {
                response.headers_mut().insert(header::SET_COOKIE, cookie.clone());
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LanguageChoice {
    lang: Option<String>,
    back: Option<String>,
}

/// A path of this site to go back to (never another site: `//host` and `/\host` are refused).
fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p,
        _ => "/",
    }
}

/// Choose the language
///
/// With `lang`: keeps the choice in a cookie and goes back to `back` (a
/// path of this site). Without: the language picker.
#[utoipa::path(get, path = "/language", tag = "web pages", operation_id = "web_language",
    params(
        ("lang" = Option<String>, Query, description = "en, fr, es or ar"),
        ("back" = Option<String>, Query, description = "The page to return to"),
    ),
    responses(
        (status = 200, description = "The language picker", content_type = "text/html", body = String),
        (status = 303, description = "Chosen: back to the page"),
    ))]
async fn language(headers: HeaderMap, Query(choice): Query<LanguageChoice>) -> Response {
    let Some(lang) = choice.lang.as_deref().and_then(kinlink_web::language) else {
        return html(
            StatusCode::OK,
            pages::language_page(&anonymous(&headers, "/language")),
        );
    };
    let mut response = see_other(local_path(choice.back.as_deref()));
    let cookie = format!(
        "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The URL carries the asset version: cache it for a year.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// The stylesheet
#[utoipa::path(get, path = "/static/kinlink.css", tag = "web pages", operation_id = "web_css",
    responses((status = 200, description = "CSS", content_type = "text/css", body = String)))]
async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", kinlink_web::CSS)
}

/// The script (progressive enhancement only)
#[utoipa::path(get, path = "/static/kinlink.js", tag = "web pages", operation_id = "web_js",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript", body = String)))]
async fn script() -> Response {
    asset("text/javascript; charset=utf-8", kinlink_web::JS)
}

// ---------------------------------------------------------------------------
// Home and search

fn summary_of_case(view: &Map<String, Value>, number: &RecordNumber) -> Summary {
    Summary {
        href: format!("/cases/{number}"),
        number: number.to_string(),
        names: view.get("child").and_then(|c| c.get("names")).cloned(),
        status: None,
    }
}

fn summary_of_request(view: &Map<String, Value>, number: &RecordNumber) -> Summary {
    Summary {
        href: format!("/tracing-requests/{number}"),
        number: number.to_string(),
        names: view
            .get("sought_children")
            .and_then(|c| c.get(0))
            .and_then(|c| c.get("names"))
            .cloned(),
        status: view.get("status").and_then(Value::as_str).map(str::to_owned),
    }
}

/// The first records of the caller's own (a page of the listing, viewed and audited).
async fn my_records<T: ApiRecord>(
    state: &AppState,
    auth: &Authorized,
    summary: fn(&Map<String, Value>, &RecordNumber) -> Summary,
) -> Result<Vec<Summary>, ApiError> {
    let own = kinlink_store::Visibility {
        owner: auth.caller.principal.user.0,
        agency: None,
        teams: None,
    };
    let stored = Records::<T>::new(state.store.clone())
        .list_visible(None, HOME_LIST, Some(&own))
        .await?;
    let mut out = Vec::with_capacity(stored.len());
    for s in &stored {
        let view = auth
            .grant
            .view(&context(&s.meta), &s.record)
            .map_err(policy_error)?;
        out.push(summary(view.fields(), &s.meta.number));
    }
    audit_access(
        state.store.as_ref(),
        auth,
        stored.iter().map(|s| *s.meta.id.as_uuid()),
    )
    .await?;
    Ok(out)
}

/// Home
///
/// My records, and (once case management feeds them) my tasks and alerts.
#[utoipa::path(get, path = "/", tag = "web pages", operation_id = "web_home",
    responses((status = 200, description = "The home page", content_type = "text/html", body = String)))]
async fn home(State(state): State<AppState>, auth: Authorized, PageCtx(ctx): PageCtx) -> Response {
    let cases = match my_records::<ChildCase>(&state, &auth, summary_of_case).await {
        Ok(cases) => cases,
        Err(e) => return failure(&ctx, &e),
    };
    let requests = match also(&auth, Resource::TracingRequest, Action::List) {
        Some(list) => match my_records::<TracingRequest>(&state, &list, summary_of_request).await {
            Ok(requests) => requests,
            Err(e) => return failure(&ctx, &e),
        },
        None => Vec::new(),
    };
    html(StatusCode::OK, pages::home(&ctx, &cases, &requests))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

/// Whether every token of the query finds a close enough token in the name
/// (order-insensitive, across scripts: the matching engine's name keys).
fn name_hit(query: &NameKey, names: &Value) -> bool {
    let written: Vec<&str> = ["full", "given", "family"]
        .iter()
        .filter_map(|k| names.get(*k))
        .flat_map(|n| [n.get("original"), n.get("latin")])
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if written.is_empty() {
        return false;
    }
    let comparison = compare_names(query, &NameKey::new(&written.join(" ")));
    comparison.unmatched_a == 0 && comparison.weakest().is_some_and(|level| level >= Level::Close)
}

/// Search
///
/// By number (opens the record) or by name in any script: the caller's
/// visible cases, compared with the matching engine's name keys.
#[utoipa::path(get, path = "/search", tag = "web pages", operation_id = "web_search",
    params(("q" = Option<String>, Query, description = "A name in any script, or a record number")),
    responses(
        (status = 200, description = "The search form and its results", content_type = "text/html", body = String),
        (status = 303, description = "A record number: to the record"),
    ))]
async fn search(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    Query(query): Query<SearchQuery>,
) -> Response {
    let q = query.q.trim();
    if q.is_empty() {
        return html(StatusCode::OK, pages::search(&ctx, "", None));
    }
    if let Ok(number) = q.to_uppercase().parse::<RecordNumber>() {
        let collection = if number.to_string().starts_with("TR") {
            "/tracing-requests"
        } else {
            "/cases"
        };
        return see_other(&format!("{collection}/{number}"));
    }
    match search_names(&state, &auth, q).await {
        Ok(results) => html(StatusCode::OK, pages::search(&ctx, q, Some(&results))),
        Err(e) => failure(&ctx, &e),
    }
}

async fn search_names(state: &AppState, auth: &Authorized, q: &str) -> Result<Vec<Summary>, ApiError> {
    let key = NameKey::new(q);
    let records = Records::<ChildCase>::new(state.store.clone());
    let scope = visibility(&auth.grant);
    let mut after = None;
    let mut hits: Vec<StoredRecord<ChildCase>> = Vec::new();
    let mut views = Vec::new();
    loop {
        let page = records.list_visible(after, SEARCH_PAGE, scope.as_ref()).await?;
        let done = page.len() < SEARCH_PAGE as usize;
        after = page.last().map(|s| s.meta.id);
        for stored in page {
            let view = auth
                .grant
                .view(&context(&stored.meta), &stored.record)
                .map_err(policy_error)?;
            // Only what the caller may read is searched.
            let hit = view
                .fields()
                .get("child")
                .and_then(|c| c.get("names"))
                .is_some_and(|names| name_hit(&key, names));
            if hit {
                views.push(summary_of_case(view.fields(), &stored.meta.number));
                hits.push(stored);
                if hits.len() == SEARCH_RESULTS {
                    break;
                }
            }
        }
        if done || hits.len() == SEARCH_RESULTS {
            break;
        }
    }
    audit_access(
        state.store.as_ref(),
        auth,
        hits.iter().map(|s| *s.meta.id.as_uuid()),
    )
    .await?;
    Ok(views)
}

// ---------------------------------------------------------------------------
// Cases

/// Quick registration form
#[utoipa::path(get, path = "/cases/new", tag = "web pages", operation_id = "web_new_case",
    responses((status = 200, description = "The form", content_type = "text/html", body = String)))]
async fn new_case(_auth: Authorized, PageCtx(ctx): PageCtx) -> Response {
    html(
        StatusCode::OK,
        pages::new_case(&ctx, &CaseForm::default(), &[], &[]),
    )
}

/// The validation errors of a refused record, as lines (field path and
/// message; never a value).
fn validation_lines(error: &ApiError) -> Vec<String> {
    error
        .body()
        .fields
        .iter()
        .flatten()
        .map(|f| format!("{}: {}", f.path, f.message))
        .collect()
}

async fn create_from_json<T: ApiRecord>(
    state: &AppState,
    auth: &Authorized,
    ctx: &Ctx,
    json: Value,
    tracing_consent: &str,
) -> Result<StoredRecord<T>, ApiError> {
    let record: T = crate::extract::parse_json(json.to_string().as_bytes())?;
    let stored = crate::records::create_record(state, auth, record).await?;
    record_tracing_consent(state, auth, ctx, T::KIND, stored.meta.id, tracing_consent).await;
    Ok(stored)
}

/// Register a child from the form
#[utoipa::path(post, path = "/cases", tag = "web pages", operation_id = "web_create_case",
    responses(
        (status = 303, description = "Registered: to the case page"),
        (status = 422, description = "The form again, with what to correct", content_type = "text/html", body = String),
    ))]
async fn create_case(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    body: Bytes,
) -> Response {
    let input: CaseForm = form(&body);
    let json = match input.to_record(latest_today(Utc::now())) {
        Ok(json) => json,
        Err(problems) => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::new_case(&ctx, &input, &problems, &[]),
            );
        }
    };
    match create_from_json::<ChildCase>(&state, &auth, &ctx, json, &input.tracing_consent).await {
        Ok(stored) => see_other(&format!("/cases/{}", stored.meta.number)),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::new_case(&ctx, &input, &[], &validation_lines(&e)),
        ),
        Err(e) => failure(&ctx, &e),
    }
}

fn match_links(list: MatchList, other_is_case: bool) -> Vec<MatchLink> {
    list.candidates
        .into_iter()
        .chain(list.possible_siblings)
        .map(|m| MatchLink {
            href: format!("/matches/{}", m.id),
            other: if other_is_case {
                m.case.number.to_string()
            } else {
                m.request.number.to_string()
            },
            score: m.score,
            label: m.label.as_str().to_owned(),
            status: serde_json::to_value(m.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            sibling: m.sibling,
        })
        .collect()
}

/// A case
///
/// Identity, family, care, matches and history, as the caller may see them.
#[utoipa::path(get, path = "/cases/{id}", tag = "web pages", operation_id = "web_case",
    params(("id" = String, Path, description = "The case's UUID or number")),
    responses(
        (status = 200, description = "The case page", content_type = "text/html", body = String),
        (status = 404, description = "No such case (or not the caller's to see)", content_type = "text/html", body = String),
    ))]
async fn case_page(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    RecordKey(key): RecordKey,
) -> Response {
    match case_parts(&state, &auth, &key).await {
        Ok((meta, view, history, matches)) => html(
            StatusCode::OK,
            pages::case(
                &ctx,
                &meta,
                view.fields(),
                &withheld(&view),
                &history,
                matches.as_deref(),
            ),
        ),
        Err(e) => failure(&ctx, &e),
    }
}

type CaseParts = (Meta, View<ChildCase>, Vec<Revision>, Option<Vec<MatchLink>>);

async fn case_parts(state: &AppState, auth: &Authorized, key: &str) -> Result<CaseParts, ApiError> {
    let records = Records::<ChildCase>::new(state.store.clone());
    let stored = find(state.store.as_ref(), &records, auth, key).await?;
    let view = auth
        .grant
        .view(&context(&stored.meta), &stored.record)
        .map_err(policy_error)?;
    let history = records
        .history(stored.meta.id)
        .await?
        .into_iter()
        .map(|r| Revision {
            version: r.version,
            changed_at: r.changed_at.format("%Y-%m-%d %H:%M").to_string(),
            changed_by: r.changed_by,
        })
        .collect();
    audit_access(state.store.as_ref(), auth, [*stored.meta.id.as_uuid()]).await?;
    let matches = match also(auth, Resource::MatchProposal, Action::List) {
        Some(list) => {
            let stored = state.store.matches_for_case(stored.meta.id).await?;
            let found = matches::matches_of(state, &list, stored, RecordKind::TracingRequest).await?;
            Some(match_links(found, false))
        }
        None => None,
    };
    let meta = Meta {
        number: stored.meta.number.to_string(),
        version: stored.meta.version,
    };
    Ok((meta, view, history, matches))
}

// ---------------------------------------------------------------------------
// Tracing requests

/// Tracing request form
#[utoipa::path(get, path = "/tracing-requests/new", tag = "web pages", operation_id = "web_new_tracing_request",
    responses((status = 200, description = "The form", content_type = "text/html", body = String)))]
async fn new_tracing_request(_auth: Authorized, PageCtx(ctx): PageCtx) -> Response {
    html(
        StatusCode::OK,
        pages::new_tracing_request(&ctx, &TracingForm::default(), &[], &[]),
    )
}

/// File a tracing request from the form
#[utoipa::path(post, path = "/tracing-requests", tag = "web pages", operation_id = "web_create_tracing_request",
    responses(
        (status = 303, description = "Filed: to the request's page"),
        (status = 422, description = "The form again, with what to correct", content_type = "text/html", body = String),
    ))]
async fn create_tracing_request(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    body: Bytes,
) -> Response {
    let input: TracingForm = form(&body);
    let json = match input.to_record(latest_today(Utc::now())) {
        Ok(json) => json,
        Err(problems) => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::new_tracing_request(&ctx, &input, &problems, &[]),
            );
        }
    };
    match create_from_json::<TracingRequest>(&state, &auth, &ctx, json, &input.tracing_consent).await {
        Ok(stored) => see_other(&format!("/tracing-requests/{}", stored.meta.number)),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::new_tracing_request(&ctx, &input, &[], &validation_lines(&e)),
        ),
        Err(e) => failure(&ctx, &e),
    }
}

/// A tracing request
///
/// Who is looking, for which child, and the cases proposed for it.
#[utoipa::path(get, path = "/tracing-requests/{id}", tag = "web pages", operation_id = "web_tracing_request",
    params(("id" = String, Path, description = "The request's UUID or number")),
    responses(
        (status = 200, description = "The request's page", content_type = "text/html", body = String),
        (status = 404, description = "No such request (or not the caller's to see)", content_type = "text/html", body = String),
    ))]
async fn tracing_request_page(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    RecordKey(key): RecordKey,
) -> Response {
    let parts = async {
        let records = Records::<TracingRequest>::new(state.store.clone());
        let stored = find(state.store.as_ref(), &records, &auth, &key).await?;
        let view = auth
            .grant
            .view(&context(&stored.meta), &stored.record)
            .map_err(policy_error)?;
        audit_access(state.store.as_ref(), &auth, [*stored.meta.id.as_uuid()]).await?;
        let matches = match also(&auth, Resource::MatchProposal, Action::List) {
            Some(list) => {
                let found = state.store.matches_for_request(stored.meta.id).await?;
                let found = matches::matches_of(&state, &list, found, RecordKind::ChildCase).await?;
                Some(match_links(found, true))
            }
            None => None,
        };
        let meta = Meta {
            number: stored.meta.number.to_string(),
            version: stored.meta.version,
        };
        Ok::<_, ApiError>((meta, view, matches))
    };
    match parts.await {
        Ok((meta, view, matches)) => html(
            StatusCode::OK,
            pages::tracing_request(&ctx, &meta, view.fields(), &withheld(&view), matches.as_deref()),
        ),
        Err(e) => failure(&ctx, &e),
    }
}

// ---------------------------------------------------------------------------
// Match review

/// The record `id` of type `T` viewed under a second grant for reading it,
/// audited; `None` if the caller may not read it.
async fn viewed<T: ApiRecord>(
    state: &AppState,
    auth: &Authorized,
    resource: Resource,
    id: kinlink_core::RecordId,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(read) = also(auth, resource, Action::Read) else {
        return Ok(None);
    };
    let Some(stored) = Records::<T>::new(state.store.clone()).get(id).await? else {
        return Ok(None);
    };
    if !read.grant.covers(&context(&stored.meta)) {
        return Ok(None);
    }
    let view = read
        .grant
        .view(&context(&stored.meta), &stored.record)
        .map_err(policy_error)?;
    audit_access(state.store.as_ref(), &read, [*stored.meta.id.as_uuid()]).await?;
    Ok(Some(view.fields().clone()))
}

async fn match_view(state: &AppState, auth: &Authorized, id: MatchId) -> Result<pages::MatchPage, ApiError> {
    let stored = matches::find_match(state, auth, id).await?;
    let current = matches::view(stored, auth.grant.readable())?;
    audit_access(state.store.as_ref(), auth, [*id.as_uuid()]).await?;
    let request = viewed::<TracingRequest>(state, auth, Resource::TracingRequest, current.request.id).await?;
    let case = viewed::<ChildCase>(state, auth, Resource::ChildCase, current.case.id).await?;
    let sought = request.as_ref().and_then(|r| {
        r.get("sought_children")
            .and_then(|c| c.get(current.sought_child as usize))
            .cloned()
    });
    Ok(pages::MatchPage {
        id: current.id.to_string(),
        version: current.version,
        status: serde_json::to_value(current.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        label: current.label.as_str().to_owned(),
        score: current.score,
        sibling: current.sibling,
        request: Meta {
            number: current.request.number.to_string(),
            version: current.request.version,
        },
        case: Meta {
            number: current.case.number.to_string(),
            version: current.case.version,
        },
        sought,
        child: case.and_then(|c| c.get("child").cloned()),
        evidence: current
            .explanation
            .fields
            .iter()
            .map(|f| pages::Evidence {
                field: f.field.clone(),
                level: f.level.clone(),
                weight: f.weight,
            })
            .collect(),
        reviewed_by: current.reviewed_by,
        reason: current.reason,
    })
}

/// Match review
///
/// The two records side by side, field by field, the engine's explanation
/// and probability, and the decision form.
#[utoipa::path(get, path = "/matches/{match_id}", tag = "web pages", operation_id = "web_match",
    params(("match_id" = String, Path, description = "The match's UUID")),
    responses(
        (status = 200, description = "The review page", content_type = "text/html", body = String),
        (status = 404, description = "No such match (or not the caller's to see)", content_type = "text/html", body = String),
    ))]
async fn match_page(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    MatchKey(id): MatchKey,
) -> Response {
    match match_view(&state, &auth, id).await {
        Ok(page) => html(StatusCode::OK, pages::match_review(&ctx, &page, None)),
        Err(e) => failure(&ctx, &e),
    }
}

/// Review a match from the form
///
/// The same review as `POST /api/v1/matches/{match_id}/review`.
#[utoipa::path(post, path = "/matches/{match_id}/review", tag = "web pages", operation_id = "web_review_match",
    params(("match_id" = String, Path, description = "The match's UUID")),
    responses(
        (status = 303, description = "Reviewed: back to the match"),
        (status = 409, description = "The match changed meanwhile: the page again", content_type = "text/html", body = String),
        (status = 422, description = "A reason is missing: the page again", content_type = "text/html", body = String),
    ))]
async fn review_match(
    State(state): State<AppState>,
    auth: Authorized,
    PageCtx(ctx): PageCtx,
    MatchKey(id): MatchKey,
    body: Bytes,
) -> Response {
    let input: ReviewForm = form(&body);
    let status = match input.status.as_str() {
        "confirmed" => ReviewStatus::Confirmed,
        "rejected" => ReviewStatus::Rejected,
        "under_review" => ReviewStatus::UnderReview,
        _ => return failure(&ctx, &ApiError::bad_request("unknown review status")),
    };
    let request = ReviewRequest {
        version: input.version,
        status,
        reason: Some(input.reason),
    };
    let alert = match matches::review(&state, &auth, id, request).await {
        Ok(_) => return see_other(&format!("/matches/{id}")),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => (e.status(), Alert::ReasonRequired),
        Err(e) if e.status() == StatusCode::CONFLICT => (e.status(), Alert::Stale),
        Err(e) => return failure(&ctx, &e),
    };
    // The page again, as the reviewer may read it (with the review grant's groups).
    match match_view(&state, &auth, id).await {
        Ok(page) => html(alert.0, pages::match_review(&ctx, &page, Some(alert.1))),
        Err(e) => failure(&ctx, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn going_back_stays_on_this_site() {
        assert_eq!(local_path(Some("/cases/KL-2026-000001")), "/cases/KL-2026-000001");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn names_are_found_across_scripts() {
        let names = serde_json::json!({"given": {"original": "أحمد"}, "family": {"original": "رحيمي"}});
        assert!(name_hit(&NameKey::new("Ahmad"), &names));
        assert!(name_hit(&NameKey::new("Ahmed Rahimi"), &names));
        assert!(!name_hit(&NameKey::new("Fatima"), &names));
    }
}
