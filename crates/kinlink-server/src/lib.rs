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

mod error;
mod export;
mod extract;
pub mod matcher;
mod matches;
mod records;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kinlink_store::Store;
use serde::Serialize;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use error::{ApiError, ErrorBody};
use extract::BODY_LIMIT;
pub use matcher::{Matcher, MatcherError};

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) openapi: Arc<utoipa::openapi::OpenApi>,
    /// Told of every write, so that matching starts at once.
    pub(crate) matcher: Matcher,
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
        (name = "matches", description = "Cases that may be the child a tracing request seeks, and their review"),
        (name = "operations", description = "Probes and this document"),
    )
)]
struct ApiDoc;

/// Every route, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(records::cases::routes())
        .merge(records::tracing_requests::routes())
        .merge(matches::routes())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi_json))
}

/// The OpenAPI 3.1 description of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The API over `store`, and its matching service (started here, in the
/// current Tokio runtime; it stops when the router and every [`Matcher`]
/// handle are dropped).
pub fn app(store: Arc<dyn Store>) -> (axum::Router, Matcher) {
    let (router, openapi) = api().split_for_parts();
    let matcher = Matcher::start(store.clone());
    let state = AppState {
        store,
        openapi: Arc::new(openapi),
        matcher: matcher.clone(),
    };
    let router = router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
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

/// The API over `store` (see [`app`]).
pub fn router(store: Arc<dyn Store>) -> axum::Router {
    app(store).0
}

/// Serve the API over `store` until `shutdown` completes (graceful). Logs the
/// bound address via tracing (no personal data).
pub async fn serve(
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(router(store), listener, shutdown).await
}

/// Serve a router made by [`app`] until `shutdown` completes.
pub async fn serve_router(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "kinlink API listening");
    axum::serve(listener, router)
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
