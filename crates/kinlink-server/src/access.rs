//! Enforcement, in one place: every request passes [`enforce`], which looks
//! its route up in [`ROUTES`] (the route-policy table, keyed by method and
//! route template), authenticates the caller, checks CSRF for cookie
//! sessions, reads the declared purpose and calls [`kinlink_policy::authorize`].
//! A route that is not in the table is refused (fail closed), so a handler
//! added without a policy cannot be reached. Handlers get the outcome only
//! through the [`Authorized`] and [`Caller`] extractors, which fail (500) if
//! the middleware did not run: no handler can see a record without a grant.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kinlink_auth::session::SessionHash;
use kinlink_auth::token::TokenScope;
use kinlink_policy::{AccessRequest, Action, Grant, Principal, Purpose, Resource, Via, authorize};
use kinlink_store::{Actor, Ownership};

use crate::AppState;
use crate::audit::{self, Event, Outcome};
use crate::error::ApiError;
use crate::session;

/// The header a request declares its purpose in.
pub const PURPOSE_HEADER: &str = "kinlink-purpose";
/// The header that carries a session's CSRF token on unsafe methods.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: probes, the API description, and signing in.
    Public,
    /// Any authenticated caller, about their own account and session (also
    /// a session still waiting for its second factor to be enrolled).
    Account,
    /// Personal data or records: a declared purpose, and `authorize` for this
    /// action on this resource.
    Record(Resource, Action),
    /// A page of the web application: as `Record`, with the purpose the page
    /// serves fixed here rather than declared in a header. Refusals are HTML
    /// pages; without a session the browser is sent to the sign-in page.
    Page(Resource, Action, Purpose),
}

/// One row of the route-policy table.
#[derive(Clone, Debug)]
pub struct RoutePolicy {
    pub method: Method,
    /// The route template, as registered (`/api/v1/cases/{id}`).
    pub path: &'static str,
    pub access: Access,
}

const fn route(method: Method, path: &'static str, access: Access) -> RoutePolicy {
    RoutePolicy { method, path, access }
}

use Access::{Account, Page, Public, Record};
use Action::{Create, Export, List, Read, Update};
use Purpose::{CaseManagement, Tracing};
use Resource::{ChildCase, Consent, MatchProposal, Statistics, TracingRequest};

/// Every route and what it requires. A route missing here is refused; the
/// tests check that this table and the OpenAPI document list the same routes.
pub const ROUTES: &[RoutePolicy] = &[
    route(Method::GET, "/healthz", Public),
    route(Method::GET, "/readyz", Public),
    route(Method::GET, "/api/v1/openapi.json", Public),
    route(Method::POST, "/api/v1/session", Public),
    route(Method::GET, "/api/v1/session", Account),
    route(Method::DELETE, "/api/v1/session", Account),
    route(Method::POST, "/api/v1/session/totp", Account),
    route(Method::POST, "/api/v1/session/totp/confirm", Account),
    route(Method::POST, "/api/v1/cases", Record(ChildCase, Create)),
    route(Method::GET, "/api/v1/cases", Record(ChildCase, List)),
    route(Method::GET, "/api/v1/cases/export", Record(ChildCase, Export)),
    route(Method::GET, "/api/v1/cases/{id}", Record(ChildCase, Read)),
    route(Method::PUT, "/api/v1/cases/{id}", Record(ChildCase, Update)),
    route(Method::GET, "/api/v1/cases/{id}/history", Record(ChildCase, Read)),
    route(
        Method::POST,
        "/api/v1/tracing-requests",
        Record(TracingRequest, Create),
    ),
    route(
        Method::GET,
        "/api/v1/tracing-requests",
        Record(TracingRequest, List),
    ),
    route(
        Method::GET,
        "/api/v1/tracing-requests/export",
        Record(TracingRequest, Export),
    ),
    route(
        Method::GET,
        "/api/v1/tracing-requests/{id}",
        Record(TracingRequest, Read),
    ),
    route(
        Method::PUT,
        "/api/v1/tracing-requests/{id}",
        Record(TracingRequest, Update),
    ),
    route(
        Method::GET,
        "/api/v1/tracing-requests/{id}/history",
        Record(TracingRequest, Read),
    ),
    // Matches are a resource of the policy's own (a proposed link between a
    // tracing request and a case): the lists under a record are List, one
    // match Read, a review Update. The handlers also require the grant's
    // scope to cover both records of each match.
    route(
        Method::GET,
        "/api/v1/tracing-requests/{id}/matches",
        Record(MatchProposal, List),
    ),
    route(
        Method::GET,
        "/api/v1/cases/{id}/matches",
        Record(MatchProposal, List),
    ),
    route(
        Method::GET,
        "/api/v1/matches/{match_id}",
        Record(MatchProposal, Read),
    ),
    route(
        Method::POST,
        "/api/v1/matches/{match_id}/review",
        Record(MatchProposal, Update),
    ),
    // Case management: the case file is part of the child's case, so its
    // routes are the case's resource. Reading it (and its decisions and
    // history) is Read, a command or a decision on an approval is Update,
    // the caller's tasks and approvals across cases are List. The
    // information sheets hold no personal data, but are Read too: they are
    // for people working on cases, and nothing of case management reaches
    // an immigration-enforcement principal or purpose.
    route(
        Method::GET,
        "/api/v1/cases/{id}/casework",
        Record(ChildCase, Read),
    ),
    route(
        Method::GET,
        "/api/v1/cases/{id}/casework/history",
        Record(ChildCase, Read),
    ),
    route(
        Method::POST,
        "/api/v1/cases/{id}/casework/commands",
        Record(ChildCase, Update),
    ),
    route(
        Method::POST,
        "/api/v1/cases/{id}/casework/approvals/{approval_id}",
        Record(ChildCase, Update),
    ),
    route(
        Method::GET,
        "/api/v1/cases/{id}/decisions",
        Record(ChildCase, Read),
    ),
    route(Method::GET, "/api/v1/approvals", Record(ChildCase, List)),
    route(Method::GET, "/api/v1/tasks", Record(ChildCase, List)),
    route(
        Method::GET,
        "/api/v1/info-sheets/{topic}/{lang}",
        Record(ChildCase, Read),
    ),
    // Consents and legal bases are the policy's `Consent` resource: a
    // record's list is List, recording one Create, withdrawing one Update.
    // The handlers also require the grant's scope to cover the record.
    route(Method::GET, "/api/v1/cases/{id}/consents", Record(Consent, List)),
    route(
        Method::POST,
        "/api/v1/cases/{id}/consents",
        Record(Consent, Create),
    ),
    route(
        Method::POST,
        "/api/v1/cases/{id}/legal-bases",
        Record(Consent, Create),
    ),
    route(
        Method::POST,
        "/api/v1/cases/{id}/consents/{consent_id}/withdraw",
        Record(Consent, Update),
    ),
    route(
        Method::GET,
        "/api/v1/tracing-requests/{id}/consents",
        Record(Consent, List),
    ),
    route(
        Method::POST,
        "/api/v1/tracing-requests/{id}/consents",
        Record(Consent, Create),
    ),
    route(
        Method::POST,
        "/api/v1/tracing-requests/{id}/legal-bases",
        Record(Consent, Create),
    ),
    route(
        Method::POST,
        "/api/v1/tracing-requests/{id}/consents/{consent_id}/withdraw",
        Record(Consent, Update),
    ),
    // Released tables only (disclosure control in the engine): the one
    // resource the firewall lets an immigration authority reach.
    route(
        Method::GET,
        "/api/v1/statistics/indicators",
        Record(Statistics, Read),
    ),
    route(
        Method::GET,
        "/api/v1/statistics/indicators/{indicator}",
        Record(Statistics, Read),
    ),
    route(
        Method::GET,
        "/api/v1/statistics/reports/detention",
        Record(Statistics, Read),
    ),
    route(
        Method::GET,
        "/api/v1/statistics/reports/treaty",
        Record(Statistics, Read),
    ),
    // The web application (`crate::web`). Each page serves one purpose: case
    // pages case management, tracing pages and the match review tracing.
    route(Method::GET, "/sign-in", Public),
    route(Method::POST, "/sign-in", Public),
    route(Method::POST, "/sign-out", Account),
    route(Method::GET, "/language", Public),
    route(Method::GET, "/static/kinlink.css", Public),
    route(Method::GET, "/static/kinlink.js", Public),
    route(Method::GET, "/", Page(ChildCase, List, CaseManagement)),
    route(Method::GET, "/search", Page(ChildCase, List, CaseManagement)),
    route(Method::GET, "/cases/new", Page(ChildCase, Create, CaseManagement)),
    route(Method::POST, "/cases", Page(ChildCase, Create, CaseManagement)),
    route(Method::GET, "/cases/{id}", Page(ChildCase, Read, CaseManagement)),
    route(
        Method::GET,
        "/tracing-requests/new",
        Page(TracingRequest, Create, Tracing),
    ),
    route(
        Method::POST,
        "/tracing-requests",
        Page(TracingRequest, Create, Tracing),
    ),
    route(
        Method::GET,
        "/tracing-requests/{id}",
        Page(TracingRequest, Read, Tracing),
    ),
    route(
        Method::GET,
        "/matches/{match_id}",
        Page(MatchProposal, Read, Tracing),
    ),
    route(
        Method::POST,
        "/matches/{match_id}/review",
        Page(MatchProposal, Update, Tracing),
    ),
];

/// Whether a route template is a page of the web application (answered in
/// HTML) rather than the JSON API or a probe.
pub fn is_web(path: &str) -> bool {
    !(path.starts_with("/api/") || path == "/healthz" || path == "/readyz")
}

/// The policy of `method` on the route template `path`, if the table has one.
pub fn policy_of(method: &Method, path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|r| r.method == *method && r.path == path)
        .map(|r| r.access)
}

/// Who is calling, once authenticated.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub username: String,
    /// The session's stored hash (sessions only).
    pub session: Option<SessionHash>,
    /// The token's scopes (API tokens only).
    pub scopes: Option<Vec<TokenScope>>,
    /// The token's public prefix (API tokens only), for the audit.
    pub token_prefix: Option<String>,
    /// The session is waiting for the second factor to be enrolled.
    pub totp_pending: bool,
}

impl Caller {
    /// Who writes (the account, its agency and how it authenticated, for
    /// the audit entry the store appends with the write), and who owns what
    /// they create: the user, their agency and their first team.
    pub fn actor(&self) -> Actor {
        Actor::owned(
            self.username.clone(),
            Ownership {
                user: self.principal.user.0,
                agency: self.principal.agency.id.0,
                team: self.principal.teams.first().map(|t| t.0),
            },
        )
        .with_account(
            self.principal.user.0,
            self.principal.agency.id.0,
            self.principal.via,
        )
    }
}

/// The outcome of enforcement for a record route: the caller and the grant.
#[derive(Clone, Debug)]
pub struct Authorized {
    pub caller: Caller,
    pub grant: Grant,
    /// The route template, for the audit.
    pub route: String,
}

impl Authorized {
    /// Who writes, for the declared purpose (see [`Caller::actor`]).
    pub fn actor(&self) -> Actor {
        self.caller.actor().with_purpose(self.grant.request().purpose)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Authorized>().cloned().ok_or_else(|| {
            tracing::error!("a record handler was reached without authorization; refused");
            ApiError::internal()
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("an account handler was reached without authentication; refused");
            ApiError::internal()
        })
    }
}

/// The declared purpose of a request, from [`PURPOSE_HEADER`].
fn declared_purpose(headers: &HeaderMap) -> Result<Purpose, ApiError> {
    let names = || {
        Purpose::ALL
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(value) = headers.get(PURPOSE_HEADER) else {
        return Err(ApiError::with_code(
            StatusCode::BAD_REQUEST,
            "missing_purpose",
            format!(
                "this route reaches personal data: declare why in the Kinlink-Purpose header, one of: {}",
                names()
            ),
        ));
    };
    let value = value.to_str().unwrap_or_default().trim();
    Purpose::ALL
        .into_iter()
        .find(|p| p.as_str() == value)
        .ok_or_else(|| {
            ApiError::with_code(
                StatusCode::BAD_REQUEST,
                "invalid_purpose",
                format!("the Kinlink-Purpose header must be one of: {}", names()),
            )
        })
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware on every route (see the module documentation).
pub(crate) async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // Unrouted requests never reach a handler: the fallback answers 404.
        return next.run(request).await;
    };
    let access = match policy_of(&method, &path) {
        Some(access) => access,
        None if ROUTES.iter().any(|r| r.path == path) => {
            return ApiError::method_not_allowed().into_response();
        }
        None => {
            tracing::error!(method = %method, route = %path, "route missing from the route-policy table; refused");
            return ApiError::forbidden("route_not_in_policy", "this route has no access policy")
                .into_response();
        }
    };
    if access == Access::Public {
        return next.run(request).await;
    }
    let caller = match session::authenticate(&state, request.headers()).await {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            audit::refused(
                state.store.as_ref(),
                Event::security("authentication", &path, None, Outcome::Refused("unauthenticated")),
            )
            .await;
            if is_web(&path) {
                return crate::web::to_sign_in();
            }
            return ApiError::unauthenticated().into_response();
        }
        Err(error) if is_web(&path) => return crate::web::refusal(request.headers(), &error),
        Err(error) => return error.into_response(),
    };
    if let Some(hash) = &caller.session
        && is_unsafe(&method)
    {
        let mut presented = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        // A web form carries the token in its `csrf_token` field.
        if presented.is_empty() && is_web(&path) {
            let (token, buffered) = crate::web::form_csrf_token(request).await;
            request = buffered;
            presented = token.unwrap_or_default();
        }
        if !state.security.csrf.verify(hash, &presented) {
            let event = Event::security("csrf", &path, Some(&caller), Outcome::Refused("csrf"));
            let event = match access {
                Access::Record(resource, action) | Access::Page(resource, action, _) => {
                    event.on(resource, action)
                }
                _ => event,
            };
            audit::refused(state.store.as_ref(), event).await;
            if is_web(&path) {
                return crate::web::forbidden(request.headers());
            }
            return ApiError::with_code(
                StatusCode::FORBIDDEN,
                "csrf",
                "a signed-in browser session must send its CSRF token in the X-CSRF-Token header",
            )
            .into_response();
        }
    }
    match access {
        // Answered above, before authentication.
        Access::Public => next.run(request).await,
        Access::Account => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Access::Record(resource, action) | Access::Page(resource, action, _) => {
            let page = matches!(access, Access::Page(..));
            if caller.totp_pending {
                if page {
                    return crate::web::totp_enrolment_needed(request.headers());
                }
                return ApiError::forbidden(
                    "totp_enrolment_required",
                    "enrol a second factor first: POST /api/v1/session/totp, then confirm it with a code",
                )
                .into_response();
            }
            let purpose = match access {
                // A page serves its own purpose; a purpose declared anyway is
                // the one checked (so that an enforcement purpose meets the firewall).
                Access::Page(_, _, purpose) if request.headers().get(PURPOSE_HEADER).is_none() => purpose,
                Access::Page(..) => match declared_purpose(request.headers()) {
                    Ok(purpose) => purpose,
                    Err(_) => return crate::web::forbidden(request.headers()),
                },
                _ => match declared_purpose(request.headers()) {
                    Ok(purpose) => purpose,
                    Err(error) => return error.into_response(),
                },
            };
            if let Some(scopes) = &caller.scopes
                && !scopes.contains(&TokenScope { resource, action })
            {
                audit::refused(
                    state.store.as_ref(),
                    Event::access(
                        &path,
                        &caller,
                        resource,
                        action,
                        purpose,
                        Outcome::Refused("token_scope"),
                    ),
                )
                .await;
                if page {
                    return crate::web::forbidden(request.headers());
                }
                return ApiError::forbidden(
                    "token_scope",
                    format!(
                        "this API token is not scoped for {}:{}",
                        resource.as_str(),
                        action.as_str()
                    ),
                )
                .into_response();
            }
            match authorize(&caller.principal, AccessRequest::new(resource, action, purpose)) {
                Ok(grant) => {
                    request.extensions_mut().insert(Authorized {
                        caller,
                        grant,
                        route: path,
                    });
                    next.run(request).await
                }
                Err(denial) => {
                    audit::refused(
                        state.store.as_ref(),
                        Event::access(
                            &path,
                            &caller,
                            resource,
                            action,
                            purpose,
                            Outcome::Refused(denial.code()),
                        ),
                    )
                    .await;
                    if page {
                        return crate::web::forbidden(request.headers());
                    }
                    ApiError::forbidden(denial.code(), denial.to_string()).into_response()
                }
            }
        }
    }
}

/// The principal's view of themselves: for each purpose, whether any
/// resource and action is allowed for it.
pub fn allowed_purposes(principal: &Principal) -> Vec<Purpose> {
    Purpose::ALL
        .into_iter()
        .filter(|purpose| {
            Resource::ALL.into_iter().any(|resource| {
                Action::ALL.into_iter().any(|action| {
                    authorize(principal, AccessRequest::new(resource, action, *purpose)).is_ok()
                })
            })
        })
        .collect()
}

/// Whether the caller authenticated with an API token.
pub fn is_token(caller: &Caller) -> bool {
    caller.principal.via == Via::ApiToken
}
