//! Authentication: API tokens and cookie sessions, sign-in with a password
//! and a second factor, sign-out, and TOTP enrolment.
//!
//! Sessions live in the database (several server processes share them) as
//! the SHA-256 of the cookie's id; the CSRF token is an HMAC of that hash
//! under a key derived from the master key, so every process computes the
//! same one and nothing more is stored. Failed sign-ins are throttled per
//! account and per source address (kinlink-auth's `Throttle`, in memory); an
//! account's lockout is also written to the database so that every process
//! honours it.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kinlink_auth::password::{Password, PasswordHasher};
use kinlink_auth::session::{CsrfKey, SessionHash, SessionPolicy, new_session};
use kinlink_auth::throttle::Throttle;
use kinlink_auth::token::{StoredToken, TokenScope, parse as parse_token};
use kinlink_auth::totp::{TotpError, TotpSecret};
use kinlink_crypto::{DataKey, MasterKey, Sealed, WrappedKey};
use kinlink_policy::{Agency, AgencyId, AgencyType, Principal, Purpose, Role, TeamId, UserId, Via};
use kinlink_store::{AccountStore, SessionRecord, StoreError, StoredTotp, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::access::{Caller, allowed_purposes};
use crate::audit::{self, Event, Outcome};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kinlink_session";
const ROUTE: &str = "/api/v1/session";
/// Bound into the sealed TOTP secret: it cannot be moved to another purpose.
const TOTP_CONTEXT: &[u8] = b"totp secret v1";
const ISSUER: &str = "kinlink";

/// What the server keeps for authentication.
pub(crate) struct SecurityState {
    pub master_key: MasterKey,
    pub csrf: CsrfKey,
    pub tls: bool,
    pub totp_roles: Vec<Role>,
    pub session: SessionPolicy,
    pub throttle: Mutex<Throttle<String, String>>,
    pub hasher: PasswordHasher,
    /// Verified against when the user does not exist, so that the answer
    /// takes as long as for a wrong password.
    pub dummy_hash: String,
}

impl SecurityState {
    fn throttle(&self) -> std::sync::MutexGuard<'_, Throttle<String, String>> {
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An account store failure: 503 when the database is unreachable (the
/// client may retry, as with any record route), otherwise 500.
fn store_error(e: StoreError) -> ApiError {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "the database is unavailable");
        return ApiError::unavailable();
    }
    tracing::error!(error = %e, "account store error");
    ApiError::internal()
}

/// User names are compared trimmed and in lower case.
pub fn normalise_username(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The caller of a request, from its API token or session cookie; `None`
/// when neither is present and valid.
pub(crate) async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let Some(token) = authorization
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Ok(None);
        };
        return authenticate_token(state, token.trim()).await;
    }
    let Some(cookie) = session_cookie(headers) else {
        return Ok(None);
    };
    authenticate_session(state, &cookie).await
}

async fn authenticate_token(state: &AppState, presented: &str) -> Result<Option<Caller>, ApiError> {
    let Ok(presented) = parse_token(presented) else {
        return Ok(None);
    };
    let Some(stored) = state
        .accounts
        .token(presented.prefix)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if stored.revoked_at.is_some() || stored.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let scopes: Vec<TokenScope> = stored.scopes.iter().filter_map(|s| s.parse().ok()).collect();
    let token = StoredToken {
        prefix: stored.prefix.clone(),
        secret_hash: stored.secret_hash.clone(),
        scopes: scopes.clone(),
    };
    if !token.matches(&presented) {
        return Ok(None);
    }
    let Some(user) = state.accounts.user(stored.user_id).await.map_err(store_error)? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let principal = principal(state.accounts.as_ref(), &user, Via::ApiToken).await?;
    Ok(Some(Caller {
        principal,
        username: user.username,
        session: None,
        scopes: Some(scopes),
        token_prefix: Some(stored.prefix),
        totp_pending: false,
    }))
}

async fn authenticate_session(state: &AppState, cookie: &str) -> Result<Option<Caller>, ApiError> {
    let hash = SessionHash::of(cookie);
    let Some(session) = state.accounts.session(&hash.0).await.map_err(store_error)? else {
        return Ok(None);
    };
    let now = Utc::now();
    let valid = state
        .security
        .session
        .is_valid(session.created_at, session.last_seen_at, now)
        && now < session.expires_at;
    if !valid {
        state
            .accounts
            .delete_session(&hash.0)
            .await
            .map_err(store_error)?;
        return Ok(None);
    }
    let Some(user) = state.accounts.user(session.user_id).await.map_err(store_error)? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    state
        .accounts
        .touch_session(&hash.0, now)
        .await
        .map_err(store_error)?;
    let principal = principal(state.accounts.as_ref(), &user, Via::Session).await?;
    Ok(Some(Caller {
        principal,
        username: user.username,
        session: Some(hash),
        scopes: None,
        token_prefix: None,
        totp_pending: session.totp_pending,
    }))
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The policy's view of a user.
async fn principal(accounts: &dyn AccountStore, user: &UserRecord, via: Via) -> Result<Principal, ApiError> {
    let agency = accounts
        .agency(user.agency_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            tracing::error!("a user's agency is missing");
            ApiError::internal()
        })?;
    Ok(Principal {
        user: UserId(user.id),
        agency: Agency {
            id: AgencyId(agency.id),
            kind: agency.kind,
            immigration_enforcement: agency.immigration_enforcement,
        },
        teams: user.teams.iter().map(|t| TeamId(*t)).collect(),
        roles: user.roles.clone(),
        via,
    })
}

/// Seal a TOTP secret for `user` under a new data key wrapped by the master key.
pub fn seal_totp(master: &MasterKey, user: Uuid, secret: &TotpSecret) -> Result<StoredTotp, ApiError> {
    let crypto = |_| {
        tracing::error!("could not seal a TOTP secret");
        ApiError::internal()
    };
    let data_key = DataKey::generate().map_err(crypto)?;
    let sealed = data_key
        .seal(&user, TOTP_CONTEXT, secret.as_bytes())
        .map_err(crypto)?;
    let wrapped = master.wrap(&data_key, &user).map_err(crypto)?;
    Ok(StoredTotp {
        wrapped_key: wrapped.to_bytes(),
        sealed_secret: sealed.to_bytes(),
        confirmed: false,
        last_step: None,
    })
}

fn open_totp(master: &MasterKey, user: Uuid, stored: &StoredTotp) -> Result<TotpSecret, ApiError> {
    let crypto = |_| {
        tracing::error!("could not open a TOTP secret (wrong master key?)");
        ApiError::internal()
    };
    let wrapped = WrappedKey::from_bytes(&stored.wrapped_key).map_err(crypto)?;
    let data_key = master.unwrap(&wrapped, &user).map_err(crypto)?;
    let sealed = Sealed::from_bytes(&stored.sealed_secret).map_err(crypto)?;
    let plain = data_key.open(&user, TOTP_CONTEXT, &sealed).map_err(crypto)?;
    let bytes: [u8; 20] = plain.as_slice().try_into().map_err(|_| {
        tracing::error!("a stored TOTP secret has the wrong length");
        ApiError::internal()
    })?;
    Ok(TotpSecret::from_bytes(bytes))
}

fn unix_time(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

/// The client's address, as the connection reports it. A proxy in front
/// makes every client one source; configure the proxy's own rate limits.
pub struct SourceAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SourceAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(SourceAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string()),
        ))
    }
}

/// A sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[schema(example = "amina.yusuf")]
    pub username: String,
    pub password: String,
    /// The six-digit code of the authenticator app, if the account has one.
    #[serde(default)]
    pub totp_code: Option<String>,
}

/// The user's agency.
#[derive(Serialize, ToSchema)]
pub struct AgencyInfo {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: AgencyType,
    pub immigration_enforcement: bool,
}

/// Who is signed in, and what they may do.
#[derive(Serialize, ToSchema)]
pub struct Whoami {
    pub user_id: Uuid,
    pub username: String,
    pub agency: AgencyInfo,
    pub teams: Vec<Uuid>,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The purposes the roles allow: send one in `Kinlink-Purpose`.
    #[schema(value_type = Vec<String>)]
    pub purposes: Vec<Purpose>,
    /// `session` or `api_token`.
    pub via: &'static str,
    pub totp_enrolled: bool,
    /// The session must enrol a second factor before it reaches records.
    pub totp_enrolment_required: bool,
    /// Send in `X-CSRF-Token` with every POST, PUT and DELETE (sessions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

async fn whoami_of(state: &AppState, caller: &Caller) -> Result<Whoami, ApiError> {
    let user = state
        .accounts
        .user(caller.principal.user.0)
        .await
        .map_err(store_error)?
        .ok_or_else(ApiError::unauthenticated)?;
    let agency = state
        .accounts
        .agency(user.agency_id)
        .await
        .map_err(store_error)?
        .ok_or_else(ApiError::internal)?;
    Ok(Whoami {
        user_id: user.id,
        username: user.username.clone(),
        agency: AgencyInfo {
            id: agency.id,
            name: agency.name,
            kind: agency.kind,
            immigration_enforcement: agency.immigration_enforcement,
        },
        teams: user.teams.clone(),
        roles: user.roles.clone(),
        purposes: allowed_purposes(&caller.principal),
        via: caller.principal.via.as_str(),
        totp_enrolled: user.totp.as_ref().is_some_and(|t| t.confirmed),
        totp_enrolment_required: caller.totp_pending,
        csrf_token: caller.session.as_ref().map(|h| state.security.csrf.token(h)),
    })
}

fn sign_in_failed() -> ApiError {
    ApiError::with_code(
        StatusCode::UNAUTHORIZED,
        "sign_in_failed",
        "wrong user name, password or code",
    )
}

fn locked(until: DateTime<Utc>) -> Response {
    let seconds = (until - Utc::now()).num_seconds().max(1);
    let mut response = ApiError::with_code(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "too many failed sign-ins; try again later",
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn cookie(state: &AppState, value: &str) -> HeaderValue {
    let secure = if state.security.tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kinlink_session=; Path=/; Max-Age=0"))
}

/// Sign in
///
/// With the user name, the password and, if the account has a second factor,
/// the current code. Answers with an HttpOnly, SameSite=Strict session cookie
/// and the session's CSRF token. Failed attempts are limited per account and
/// per source address (429 with Retry-After when locked). If the account's
/// roles require a second factor and none is enrolled yet, the session can
/// only enrol one (`totp_enrolment_required`).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", operation_id = "sign_in",
    request_body(content = SignIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Signed in; the cookie is set", body = Whoami),
        (status = 401, description = "Wrong user name, password or code; or the code is required or was already used", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    SourceAddress(source): SourceAddress,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let signed_in = match open_session(&state, &source, body).await {
        Ok(signed_in) => signed_in,
        Err(SignInFailure::Locked(until)) => return Ok(locked(until)),
        Err(SignInFailure::Refused(error)) => return Err(error),
    };
    let whoami = whoami_of(&state, &signed_in.caller).await?;
    let mut response = (StatusCode::CREATED, Json(whoami)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, signed_in.cookie);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A new session: its caller and the cookie that carries it.
pub(crate) struct SignedIn {
    pub caller: Caller,
    pub cookie: HeaderValue,
}

/// Why a sign-in did not open a session.
pub(crate) enum SignInFailure {
    /// Too many failures: locked until then.
    Locked(DateTime<Utc>),
    /// Refused (wrong credentials, code required or replayed) or failed.
    Refused(ApiError),
}

impl From<ApiError> for SignInFailure {
    fn from(error: ApiError) -> Self {
        SignInFailure::Refused(error)
    }
}

/// Sign in with a password and, if the account has one, the second
/// factor's code: the one implementation behind the API's `POST
/// /api/v1/session` and the web sign-in form (throttle, lockout, audit).
pub(crate) async fn open_session(
    state: &AppState,
    source: &str,
    body: SignIn,
) -> Result<SignedIn, SignInFailure> {
    let state = state.clone();
    let source = source.to_owned();
    let now = Utc::now();
    let account = normalise_username(&body.username);
    // The throttle's lock is released before anything is awaited.
    let checked = state.security.throttle().check(&account, &source, now);
    if let Err(lock) = checked {
        audit::refused(
            state.store.as_ref(),
            Event::about_user("sign_in", ROUTE, None, Outcome::Refused("locked")),
        )
        .await;
        return Err(SignInFailure::Locked(lock.until));
    }
    let user = state.accounts.user_by_name(&account).await.map_err(store_error)?;
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|until| *until > now)
    {
        audit::refused(
            state.store.as_ref(),
            Event::about_user(
                "sign_in",
                ROUTE,
                user.as_ref().map(|u| u.id),
                Outcome::Refused("locked"),
            ),
        )
        .await;
        return Err(SignInFailure::Locked(until));
    }
    let stored_hash = user
        .as_ref()
        .map_or_else(|| state.security.dummy_hash.clone(), |u| u.password_hash.clone());
    let hasher = state.security.hasher.clone();
    let password = Password::new(&body.password);
    let password_ok = tokio::task::spawn_blocking(move || hasher.verify(&stored_hash, &password))
        .await
        .map_err(|_| ApiError::internal())?
        .unwrap_or(false);
    let user = match user {
        Some(user) if password_ok && !user.disabled => user,
        other => {
            return Err(fail(&state, &account, &source, other.as_ref(), "wrong_password")
                .await?
                .into());
        }
    };
    let enrolled = user.totp.as_ref().filter(|t| t.confirmed);
    if let Some(totp) = enrolled {
        let Some(code) = body.totp_code.as_deref() else {
            return Err(ApiError::with_code(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "this account has a second factor: send the authenticator app's code in `totp_code`",
            )
            .into());
        };
        let secret = open_totp(&state.security.master_key, user.id, totp)?;
        let last = totp.last_step.and_then(|s| u64::try_from(s).ok());
        match secret.verify(code, unix_time(now), last) {
            Ok(step) => {
                let step = i64::try_from(step).unwrap_or(i64::MAX);
                if !state
                    .accounts
                    .use_totp_step(user.id, step)
                    .await
                    .map_err(store_error)?
                {
                    return Err(replayed(&state, &account, &source, &user).await?.into());
                }
            }
            Err(TotpError::Replayed) => return Err(replayed(&state, &account, &source, &user).await?.into()),
            Err(_) => {
                return Err(fail(&state, &account, &source, Some(&user), "wrong_code")
                    .await?
                    .into());
            }
        }
    }
    let totp_pending = enrolled.is_none() && user.roles.iter().any(|r| state.security.totp_roles.contains(r));
    state.security.throttle().record_success(&account);
    state
        .accounts
        .record_sign_in_success(user.id)
        .await
        .map_err(store_error)?;
    let new = new_session().map_err(|_| ApiError::internal())?;
    let session = SessionRecord {
        hash: new.hash.0.clone(),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + state.security.session.absolute,
        totp_pending,
    };
    state
        .accounts
        .create_session(&session)
        .await
        .map_err(store_error)?;
    let principal = principal(state.accounts.as_ref(), &user, Via::Session).await?;
    let caller = Caller {
        principal,
        username: user.username.clone(),
        session: Some(new.hash.clone()),
        scopes: None,
        token_prefix: None,
        totp_pending,
    };
    audit::emit(
        state.store.as_ref(),
        Event::security("sign_in", ROUTE, Some(&caller), Outcome::Allowed),
    )
    .await?;
    Ok(SignedIn {
        cookie: cookie(&state, &new.cookie_value),
        caller,
    })
}

/// Count a failed sign-in (per account and per source; an account's lockout
/// is stored so that every server process honours it).
async fn fail(
    state: &AppState,
    account: &str,
    source: &str,
    user: Option<&UserRecord>,
    reason: &'static str,
) -> Result<ApiError, ApiError> {
    let outcome =
        state
            .security
            .throttle()
            .record_failure(&account.to_owned(), &source.to_owned(), Utc::now());
    if let Some(user) = user {
        state
            .accounts
            .record_sign_in_failure(user.id, outcome.account_locked)
            .await
            .map_err(store_error)?;
    }
    audit::refused(
        state.store.as_ref(),
        Event::about_user("sign_in", ROUTE, user.map(|u| u.id), Outcome::Refused(reason)),
    )
    .await;
    if outcome.account_locked.is_some() || outcome.source_locked.is_some() {
        audit::refused(
            state.store.as_ref(),
            Event::about_user("lockout", ROUTE, user.map(|u| u.id), Outcome::Allowed),
        )
        .await;
    }
    Ok(sign_in_failed())
}

async fn replayed(
    state: &AppState,
    account: &str,
    source: &str,
    user: &UserRecord,
) -> Result<ApiError, ApiError> {
    fail(state, account, source, Some(user), "totp_replayed").await?;
    Ok(ApiError::with_code(
        StatusCode::UNAUTHORIZED,
        "totp_replayed",
        "this code was already used; wait for the next one",
    ))
}

/// Who am I
///
/// The signed-in user (or the token's owner), their agency, roles, the
/// purposes those allow, and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", operation_id = "whoami",
    responses(
        (status = 200, description = "The caller", body = Whoami),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn whoami(State(state): State<AppState>, caller: Caller) -> Result<Json<Whoami>, ApiError> {
    Ok(Json(whoami_of(&state, &caller).await?))
}

/// Sign out
///
/// Ends the session and clears its cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", operation_id = "sign_out",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing CSRF token", body = ErrorBody),
    ))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(hash) = &caller.session {
        state
            .accounts
            .delete_session(&hash.0)
            .await
            .map_err(store_error)?;
    }
    audit::emit(
        state.store.as_ref(),
        Event::security("sign_out", ROUTE, Some(&caller), Outcome::Allowed),
    )
    .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kinlink_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// A new second factor, shown once.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// Open in an authenticator app (as a QR code); shown only now.
    pub otpauth_uri: String,
    /// The same secret, to type in by hand.
    pub secret: String,
}

fn sessions_only(caller: &Caller) -> Result<SessionHash, ApiError> {
    caller.session.clone().ok_or_else(|| {
        ApiError::forbidden(
            "session_required",
            "a second factor is enrolled from a signed-in session, not with an API token",
        )
    })
}

/// Enrol a second factor
///
/// Creates a TOTP secret for the signed-in user and returns it once as an
/// `otpauth://` URI. It takes effect when confirmed with a code
/// (`POST /api/v1/session/totp/confirm`). Refused if one is already enrolled.
#[utoipa::path(post, path = "/api/v1/session/totp", tag = "session", operation_id = "enrol_totp",
    responses(
        (status = 201, description = "The secret, shown once", body = TotpEnrolment),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a session, or missing CSRF token", body = ErrorBody),
        (status = 409, description = "A second factor is already enrolled", body = ErrorBody),
    ))]
pub async fn enrol_totp(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    sessions_only(&caller)?;
    let user_id = caller.principal.user.0;
    let user = state
        .accounts
        .user(user_id)
        .await
        .map_err(store_error)?
        .ok_or_else(ApiError::unauthenticated)?;
    if user.totp.as_ref().is_some_and(|t| t.confirmed) {
        return Err(ApiError::with_code(
            StatusCode::CONFLICT,
            "conflict",
            "a second factor is already enrolled; an administrator can reset it",
        ));
    }
    let secret = TotpSecret::generate().map_err(|_| ApiError::internal())?;
    let stored = seal_totp(&state.security.master_key, user_id, &secret)?;
    state
        .accounts
        .set_totp(user_id, Some(&stored))
        .await
        .map_err(store_error)?;
    audit::emit(
        state.store.as_ref(),
        Event::security("totp_enrolment_started", ROUTE, Some(&caller), Outcome::Allowed),
    )
    .await?;
    let mut response = (
        StatusCode::CREATED,
        Json(TotpEnrolment {
            otpauth_uri: secret.provisioning_uri(ISSUER, &user.username),
            secret: secret.to_base32(),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmation {
    /// The current six-digit code.
    pub code: String,
}

/// Confirm the second factor
///
/// With a code from the app: the second factor is then required at every
/// sign-in, and a session that was waiting for it reaches records.
#[utoipa::path(post, path = "/api/v1/session/totp/confirm", tag = "session", operation_id = "confirm_totp",
    request_body(content = TotpConfirmation, content_type = "application/json"),
    responses(
        (status = 200, description = "Enrolled", body = Whoami),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a session, or missing CSRF token", body = ErrorBody),
        (status = 409, description = "No enrolment started", body = ErrorBody),
        (status = 422, description = "Wrong or reused code", body = ErrorBody),
    ))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TotpConfirmation>,
) -> Result<Json<Whoami>, ApiError> {
    let hash = sessions_only(&caller)?;
    let user_id = caller.principal.user.0;
    let user = state
        .accounts
        .user(user_id)
        .await
        .map_err(store_error)?
        .ok_or_else(ApiError::unauthenticated)?;
    let Some(totp) = user.totp.as_ref().filter(|t| !t.confirmed) else {
        return Err(ApiError::with_code(
            StatusCode::CONFLICT,
            "conflict",
            "no second factor is waiting for confirmation: POST /api/v1/session/totp first",
        ));
    };
    let secret = open_totp(&state.security.master_key, user_id, totp)?;
    let wrong = |message: &str| {
        ApiError::with_code(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_code",
            message.to_owned(),
        )
    };
    let step = secret
        .verify(&body.code, unix_time(Utc::now()), None)
        .map_err(|e| wrong(&e.to_string()))?;
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if !state
        .accounts
        .use_totp_step(user_id, step)
        .await
        .map_err(store_error)?
    {
        return Err(wrong("this code was already used; wait for the next one"));
    }
    state.accounts.confirm_totp(user_id).await.map_err(store_error)?;
    state
        .accounts
        .complete_session(&hash.0)
        .await
        .map_err(store_error)?;
    audit::emit(
        state.store.as_ref(),
        Event::security("totp_enrolled", ROUTE, Some(&caller), Outcome::Allowed),
    )
    .await?;
    let caller = Caller {
        totp_pending: false,
        ..caller
    };
    Ok(Json(whoami_of(&state, &caller).await?))
}
