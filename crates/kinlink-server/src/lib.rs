//! kinlink's HTTP JSON API.
//!
//! Everything is under `/api/v1` except the probes `/healthz` and `/readyz`.
//! Every route is registered through [`utoipa_axum`]'s `routes!`, which adds it
//! to the router and its documentation to the OpenAPI document together: a
//! route cannot be served undocumented. The document is at
//! `/api/v1/openapi.json` and from [`openapi`].
//!
//! Errors share one shape, [`ErrorBody`]. Nothing a client sent is echoed in
//! an error or written to the log: these are children's records.
//!
//! Access is enforced in one place, the [`access`] module: a route-policy
//! table keyed by route template, one middleware that authenticates, checks
//! CSRF and the declared purpose and calls `kinlink_policy::authorize`, and
//! refuses any route the table does not list. Record handlers send only
//! `View`s, the records as the grant may see them.

pub mod access;
mod audit;
mod casework;
pub mod checkpoints;
mod consent;
mod error;
mod export;
mod extract;
mod headers;
pub mod matcher;
mod matches;
mod records;
mod session;
pub mod statistics;
pub mod tls;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kinlink_auth::password::{HashParams, Password, PasswordHasher};
use kinlink_auth::session::{CsrfKey, SessionPolicy};
use kinlink_auth::throttle::{Throttle, ThrottlePolicy};
use kinlink_crypto::MasterKey;
use kinlink_policy::Role;
use kinlink_store::{AccountStore, Store};
use serde::Serialize;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use error::{ApiError, ErrorBody};
use extract::BODY_LIMIT;
use session::SecurityState;

pub use kinlink_casework::CaseworkConfig;
pub use matcher::{Matcher, MatcherError};
pub use session::{normalise_username, seal_totp};

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) security: Arc<SecurityState>,
    pub(crate) openapi: Arc<utoipa::openapi::OpenApi>,
    /// Told of every write, so that matching starts at once.
    pub(crate) matcher: Matcher,
    /// Case management deadlines and limits.
    pub(crate) casework: Arc<CaseworkConfig>,
    /// Statistics hide counts below this (see [`Security::disclosure_threshold`]).
    pub(crate) disclosure_threshold: u64,
}

/// How the server authenticates.
pub struct Security {
    /// The deployment's master key: seals TOTP secrets and derives the CSRF key.
    pub master_key: MasterKey,
    /// Whether clients reach the server over TLS (built in or at a proxy):
    /// cookies are then `Secure` and responses carry HSTS.
    pub tls: bool,
    /// Roles that must have a second factor: by default every role that sees personal data.
    pub totp_required_roles: Vec<Role>,
    pub session: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Argon2id parameters for the dummy verification of unknown accounts.
    pub hash_params: HashParams,
    /// Statistics are released with counts below this suppressed, and the
    /// cells that would reveal them (disclosure control; at least
    /// [`kinlink_stats::MIN_THRESHOLD`], default 5). A caller cannot lower it.
    pub disclosure_threshold: u64,
}

/// The label the CSRF key is derived from the master key with.
const CSRF_KEY_LABEL: &[u8] = b"kinlink csrf key v1";

impl Security {
    /// The defaults, with `master_key`.
    pub fn new(master_key: MasterKey) -> Self {
        Self {
            master_key,
            tls: false,
            totp_required_roles: Self::personal_data_roles(),
            session: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            hash_params: HashParams::RECOMMENDED,
            disclosure_threshold: kinlink_stats::DEFAULT_THRESHOLD,
        }
    }

    /// Every role that sees personal data (all but the statistician and the administrator).
    pub fn personal_data_roles() -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| !matches!(r, Role::Statistician | Role::Administrator))
            .collect()
    }

    fn into_state(self) -> SecurityState {
        let hasher = PasswordHasher::new(self.hash_params);
        // A hash of a random password: verifying against it costs what a real one does.
        let random: [u8; 16] = rand_bytes();
        let dummy_hash = hasher
            .hash(&Password::new(&format!("{random:?}")))
            .unwrap_or_default();
        SecurityState {
            csrf: CsrfKey::from_bytes(*self.master_key.derive(CSRF_KEY_LABEL)),
            master_key: self.master_key,
            tls: self.tls,
            totp_roles: self.totp_required_roles,
            session: self.session,
            throttle: Mutex::new(Throttle::new(self.throttle)),
            hasher,
            dummy_hash,
        }
    }
}

fn rand_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    // A failure leaves zeros: the dummy hash then costs the same, which is all it is for.
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// Everything the server serves from.
pub struct Deployment {
    pub store: Arc<dyn Store>,
    pub accounts: Arc<dyn AccountStore>,
    pub security: Security,
    /// Case management deadlines and limits (guardian delay, caseload limit, ...).
    pub casework: CaseworkConfig,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kinlink",
        description = "Registration, case management, family tracing and reunification \
                       for children on the move."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "cases", description = "Children registered with the agency"),
        (name = "tracing requests", description = "Relatives looking for a child"),
        (name = "case management", description = "Each child's case file from identification to a durable solution: commands, approvals, tasks, decisions, information sheets"),
        (name = "matches", description = "Cases that may be the child a tracing request seeks, and their review"),
        (name = "statistics", description = "Anonymised indicators and reports, released with disclosure control"),
        (name = "session", description = "Signing in and out, the second factor, who am I"),
        (name = "operations", description = "Probes and this document"),
        (name = "web pages", description = "The web application: HTML pages for people, behind the same policy"),
    )
)]
struct ApiDoc;

/// Every route, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(records::cases::routes())
        .merge(records::tracing_requests::routes())
        .merge(matches::routes())
        .merge(casework::routes())
        .merge(consent::cases::routes())
        .merge(consent::tracing_requests::routes())
        .merge(statistics::routes())
        .routes(routes!(session::sign_in, session::whoami, session::sign_out))
        .routes(routes!(session::enrol_totp))
        .routes(routes!(session::confirm_totp))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi_json))
        .merge(web::routes())
}

/// The OpenAPI 3.1 description of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    document_access(&mut doc);
    doc
}

/// Adds what the route-policy table requires to each operation: the
/// `Kinlink-Purpose` header, the token scope, and the 401/403 answers.
fn document_access(doc: &mut utoipa::openapi::OpenApi) {
    use axum::http::Method;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    let purposes: Vec<&str> = kinlink_policy::Purpose::ALL.iter().map(|p| p.as_str()).collect();
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let access = access::policy_of(&method, path);
            if matches!(access, Some(access::Access::Account | access::Access::Record(..))) {
                operation
                    .responses
                    .responses
                    .insert("401".into(), error("Not signed in and no valid API token").into());
            }
            if let Some(access::Access::Page(..)) = access {
                operation.responses.responses.insert(
                    "403".into(),
                    ResponseBuilder::new()
                        .description("Refused by the policy (the firewall, the purpose, the roles) or a missing CSRF token: a page saying so, with nothing of any record")
                        .build()
                        .into(),
                );
                operation
                    .responses
                    .responses
                    .entry("303".into())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description("Not signed in: to the sign-in page")
                            .build()
                            .into()
                    });
            }
            if let Some(access::Access::Record(resource, action)) = access {
                let parameter = ParameterBuilder::new()
                    .name("Kinlink-Purpose")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::True)
                    .description(Some(format!(
                        "Why the data is accessed: one of {}. An API token needs the scope `{}:{}`.",
                        purposes.join(", "),
                        resource.as_str(),
                        action.as_str()
                    )))
                    .build();
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .insert(0, parameter);
                operation.responses.responses.insert(
                    "403".into(),
                    error("Refused by the policy (the firewall, the purpose, the roles, a token's scopes) or a missing CSRF token").into(),
                );
                operation
                    .responses
                    .responses
                    .entry("400".into())
                    .or_insert_with(|| error("Missing or unknown Kinlink-Purpose").into());
            }
        }
    }
}

/// The API of `deployment`, and its matching service (started here, in the
/// current Tokio runtime; it stops when the router and every [`Matcher`]
/// handle are dropped).
pub fn app(deployment: Deployment) -> (axum::Router, Matcher) {
    let (router, mut openapi) = api().split_for_parts();
    document_access(&mut openapi);
    let tls = deployment.security.tls;
    let disclosure_threshold = deployment.security.disclosure_threshold;
    let matcher = Matcher::start(deployment.store.clone());
    let state = AppState {
        store: deployment.store,
        accounts: deployment.accounts,
        security: Arc::new(deployment.security.into_state()),
        openapi: Arc::new(openapi),
        matcher: matcher.clone(),
        casework: Arc::new(deployment.casework),
        disclosure_threshold,
    };
    let router = router
        // On matched routes only: an unrouted request gets the fallback's 404.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        // Outside the policy, so that its audit writes run to the end too.
        .route_layer(axum::middleware::from_fn(run_to_completion))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Pages, assets and JSON compressed for poor connections (gzip, when the client accepts it).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(move |request, next| {
            headers::security_headers(tls, request, next)
        }))
        .layer(
            TraceLayer::new_for_http()
                // The route template, never the URI: paths carry record
                // numbers and query strings may carry anything.
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(no route)", MatchedPath::as_str);
                    tracing::info_span!("http", method = %req.method(), route, status = tracing::field::Empty)
                })
                .on_response(|res: &Response, latency: Duration, span: &Span| {
                    span.record("status", res.status().as_u16());
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_millis(),
                        "response"
                    );
                }),
        )
        .with_state(state);
    (router, matcher)
}

/// The API of `deployment` (see [`app`]).
pub fn router(deployment: Deployment) -> axum::Router {
    app(deployment).0
}

/// Serve the API of `deployment` until `shutdown` completes (graceful). Logs the
/// bound address via tracing (no personal data).
pub async fn serve(
    deployment: Deployment,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(router(deployment), listener, shutdown).await
}

/// Serve a router made by [`app`] until `shutdown` completes.
pub async fn serve_router(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "kinlink API listening");
    // The peer address is the sign-in throttle's source.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("kinlink API stopped");
    Ok(())
}

async fn no_route() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

#[derive(Serialize, ToSchema)]
struct Status {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness
///
/// 200 while the process lives.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Status)))]
async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// How long the readiness probe waits for the database. Shorter than the
/// pool's wait for a connection, so that a probe answers 503 while the
/// database is down rather than hanging past the prober's own timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Readiness
///
/// 200 when the database answers, 503 otherwise (within a few seconds). The
/// server needs no restart when the database comes back: the pool reconnects.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The database does not answer", body = Status),
    ))]
async fn readyz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await;
    match ping {
        Ok(Ok(())) => Json(Status { status: "ready" }).into_response(),
        Err(_) => not_ready(&"timed out"),
        Ok(Err(e)) => not_ready(&e),
    }
}

fn not_ready(reason: &dyn std::fmt::Display) -> Response {
    tracing::warn!(error = %reason, "not ready: the store does not answer");
    let status = Status {
        status: "unavailable",
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(status)).into_response()
}

/// This document
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")))]
async fn openapi_json(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(state.openapi.as_ref().clone())
}

/// A routed request runs to its end even if the client goes away. Without
/// this, hyper drops the handler's future when the connection closes, and a
/// future dropped in the middle of a database transaction (a write, or the
/// audit entry of a read) can hand its pooled connection back still inside
/// that transaction: SQLite then refuses the next `BEGIN` on it ("non-zero
/// transaction depth", seen under load when wrk closed its connections).
/// Spawning detaches the work from the connection; its response is simply
/// not delivered.
async fn run_to_completion(request: Request, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    match tokio::spawn(next.run(request).in_current_span()).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("a request handler panicked");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
