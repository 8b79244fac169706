//! The consent endpoints: a record's consents and legal bases, recording
//! one, and withdrawing one, under each record type
//! (`/api/v1/cases/{id}/consents`, `/api/v1/tracing-requests/{id}/consents`,
//! `.../legal-bases`, `.../consents/{consent_id}/withdraw`).
//!
//! Access: the routes are `Record(Consent, List | Create | Update)` in the
//! route table; the grant's scope must also cover the record (otherwise 404,
//! as for the record itself). The store appends the audit entry of a
//! recording or a withdrawal in its own transaction (`consent_change`, about
//! the record); a listing is audited here before anything is shown.
//!
//! What a record needs to enter matching is a tracing consent or legal
//! basis that holds: see `kinlink_store::ConsentStore` and the matcher. A
//! withdrawal takes effect at once: the match endpoints check the standing
//! on every request, and the matcher is told at once (and other processes'
//! matchers see it on the change feed).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kinlink_audit::ActorName;
use kinlink_core::validation::Checker;
use kinlink_core::{LanguageCode, RecordId, latest_today};
use kinlink_policy::{FieldGroup, Releasable, Role};
use kinlink_store::{
    ConsentGiver, ConsentPurpose, ConsentRecord, Decider, Ground, NewConsent, NewLegalBasis, Records,
    StoreError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::access::Authorized;
use crate::error::ApiError;
use crate::records::{ApiRecord, audit_access, find, release};
use crate::session::normalise_username;

/// Longest legal-basis reason, in characters.
const REASON_MAX: usize = 2_000;
/// What a legal basis's reason shows to a caller who may not read protection concerns.
const WITHHELD: &str = "(withheld)";

/// A consent to record.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub purpose: ConsentPurpose,
    /// Who gave it: a role, never a name.
    pub given_by: ConsentGiver,
    /// When it was given (RFC 3339); now if absent.
    #[serde(default)]
    pub given_at: Option<DateTime<Utc>>,
    /// The language it was explained and given in (ISO 639-1).
    #[schema(example = "ps")]
    pub language: String,
    /// An identifier of the interpreter, if one took part (an account name
    /// or the agency's interpreter number: letters, digits and `_.-:@`, at
    /// most 64 characters), never a full name.
    #[serde(default)]
    pub interpreter: Option<String>,
}

/// A legal basis to record: the child's best interests justify acting without consent.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasisRequest {
    pub purpose: ConsentPurpose,
    /// Why the child's best interests justify it (a reference to the
    /// decision rather than the child's story).
    pub reason: String,
    pub decided_by: Decider,
    /// When it was decided (RFC 3339); now if absent.
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// The account name of whoever approved it: an enabled supervisor or
    /// BID panel member, not the caller.
    pub approved_by: String,
}

/// A record's consents and legal bases, withdrawn ones included, oldest
/// first, and for each purpose whether one holds.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub consents: Vec<ConsentRecord>,
    /// The purposes some consent or legal basis currently allows.
    pub allowed: Vec<ConsentPurpose>,
}

// Consents hold roles, dates, codes, account names and a legal basis's
// reason (withheld unless the grant may read protection concerns): no field
// of the record itself.
impl Releasable for ConsentList {}

/// One consent or legal basis, as recorded or withdrawn.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsentOut {
    #[serde(flatten)]
    pub consent: ConsentRecord,
}

impl Releasable for ConsentOut {}

fn viewed(mut consent: ConsentRecord, auth: &Authorized) -> ConsentRecord {
    if let Ground::LegalBasis { reason, .. } = &mut consent.ground
        && !auth.grant.readable().contains(FieldGroup::ProtectionConcerns)
    {
        *reason = WITHHELD.to_owned();
    }
    consent
}

/// The record `key` of type `T` if the grant's scope reaches it (404 otherwise).
async fn record_id<T: ApiRecord>(
    state: &AppState,
    auth: &Authorized,
    key: &str,
) -> Result<RecordId, ApiError> {
    let records = Records::<T>::new(state.store.clone());
    Ok(find::<T>(state.store.as_ref(), &records, auth, key)
        .await?
        .meta
        .id)
}

/// A consent written: the matcher looks at the change feed at once.
fn written(state: &AppState, consent: ConsentRecord, auth: &Authorized, status: StatusCode) -> Response {
    state.matcher.notify();
    (
        status,
        release(ConsentOut {
            consent: viewed(consent, auth),
        }),
    )
        .into_response()
}

pub(crate) async fn list<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    key: String,
) -> Result<Json<ConsentList>, ApiError> {
    let id = record_id::<T>(&state, &auth, &key).await?;
    let consents = state.store.consents_for(T::KIND, id).await?;
    let allowed = ConsentPurpose::ALL
        .into_iter()
        .filter(|p| kinlink_store::allows(&consents, *p))
        .collect();
    audit_access(state.store.as_ref(), &auth, [*id.as_uuid()]).await?;
    Ok(release(ConsentList {
        consents: consents.into_iter().map(|c| viewed(c, &auth)).collect(),
        allowed,
    }))
}

pub(crate) async fn record<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    key: String,
    body: ConsentRequest,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let mut checker = Checker::new(latest_today(now));
    let language = LanguageCode::new(&body.language);
    if !language.is_valid() {
        checker.fail("language", "is not an ISO 639-1 language code");
    }
    let interpreter = body
        .interpreter
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    if let Some(interpreter) = interpreter
        && ActorName::new(interpreter).is_err()
    {
        checker.fail(
            "interpreter",
            "must be an identifier: letters, digits and _.-:@, at most 64 characters",
        );
    }
    let given_at = body.given_at.unwrap_or(now);
    if given_at > now {
        checker.fail("given_at", "is in the future");
    }
    checker.finish().map_err(|e| ApiError::validation(e, ""))?;
    let id = record_id::<T>(&state, &auth, &key).await?;
    let consent = NewConsent {
        purpose: body.purpose,
        given_by: body.given_by,
        given_at,
        language: language.as_str().to_owned(),
        interpreter: interpreter.map(str::to_owned),
    };
    let stored = state
        .store
        .record_consent(T::KIND, id, &consent, &auth.actor())
        .await?;
    Ok(written(&state, stored, &auth, StatusCode::CREATED))
}

pub(crate) async fn record_legal_basis<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    key: String,
    body: LegalBasisRequest,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let mut checker = Checker::new(latest_today(now));
    let reason = body.reason.trim();
    if reason.is_empty() {
        checker.fail(
            "reason",
            "is required: why the child's best interests justify acting without consent",
        );
    } else if reason.chars().count() > REASON_MAX {
        checker.fail("reason", "is longer than 2000 characters");
    } else {
        checker.text("reason", reason);
    }
    let decided_at = body.decided_at.unwrap_or(now);
    if decided_at > now {
        checker.fail("decided_at", "is in the future");
    }
    let approver = normalise_username(&body.approved_by);
    if approver == normalise_username(&auth.caller.username) {
        checker.fail(
            "approved_by",
            "must be someone other than the person recording it",
        );
    } else {
        let found = state.accounts.user_by_name(&approver).await?;
        let approves = found.is_some_and(|u| {
            !u.disabled
                && u.roles
                    .iter()
                    .any(|r| matches!(r, Role::Supervisor | Role::BidPanelMember))
        });
        if !approves {
            checker.fail(
                "approved_by",
                "must name an enabled account of a supervisor or a BID panel member",
            );
        }
    }
    checker.finish().map_err(|e| ApiError::validation(e, ""))?;
    let id = record_id::<T>(&state, &auth, &key).await?;
    let basis = NewLegalBasis {
        purpose: body.purpose,
        reason: reason.to_owned(),
        decided_by: body.decided_by,
        decided_at,
        approved_by: approver,
    };
    let stored = state
        .store
        .record_legal_basis(T::KIND, id, &basis, &auth.actor())
        .await?;
    Ok(written(&state, stored, &auth, StatusCode::CREATED))
}

pub(crate) async fn withdraw<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    (key, consent): (String, String),
) -> Result<Response, ApiError> {
    let no_consent = || ApiError::not_found("no consent or legal basis with this id that still holds");
    let consent: Uuid = consent.parse().map_err(|_| no_consent())?;
    let id = record_id::<T>(&state, &auth, &key).await?;
    match state
        .store
        .withdraw_consent(T::KIND, id, consent, &auth.actor())
        .await
    {
        Ok(stored) => Ok(written(&state, stored, &auth, StatusCode::OK)),
        Err(StoreError::NoSuch { .. }) => Err(no_consent()),
        Err(e) => Err(e.into()),
    }
}

/// Stamps out, per record type, the documented wrappers of the generic
/// handlers above (utoipa cannot document through generics).
macro_rules! consent_routes {
    (
        mod $module:ident;
        record: $ty:ident;
        tag: $tag:tt;
        operation ids: $list:tt, $record:tt, $basis:tt, $withdraw:tt;
    ) => {
        pub mod $module {
            use super::*;
            use crate::error::ErrorBody;
            use crate::extract::{ApiJson, RecordKey};
            use kinlink_core::$ty;
            use utoipa_axum::router::OpenApiRouter;
            use utoipa_axum::routes;

            pub fn routes() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!(list, record))
                    .routes(routes!(record_legal_basis))
                    .routes(routes!(withdraw))
            }

            /// A record's consents and legal bases
            ///
            /// Withdrawn ones included (with who withdrew them and when),
            /// oldest first, and the purposes they currently allow. Without
            /// a tracing consent or legal basis that holds, the record is
            /// not matched.
            #[utoipa::path(
                get,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}/consents",
                tag = $tag,
                operation_id = $list,
                params(("id" = String, Path, description = "The record's UUID or its number")),
                responses(
                    (status = 200, description = "Its consents", body = ConsentList),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn list(
                State(state): State<AppState>,
                auth: Authorized,
                RecordKey(key): RecordKey,
            ) -> Result<Json<ConsentList>, ApiError> {
                super::list::<$ty>(state, auth, key).await
            }

            /// Record a consent
            ///
            /// Who gave it (a role), when, in which language, with which
            /// interpreter. A tracing consent lets the record enter matching.
            #[utoipa::path(
                post,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}/consents",
                tag = $tag,
                operation_id = $record,
                params(("id" = String, Path, description = "The record's UUID or its number")),
                request_body(content = ConsentRequest, content_type = "application/json"),
                responses(
                    (status = 201, description = "Recorded", body = ConsentRecord),
                    (status = 400, description = "Not JSON", body = ErrorBody),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 415, description = "Not `application/json`", body = ErrorBody),
                    (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn record(
                State(state): State<AppState>,
                auth: Authorized,
                RecordKey(key): RecordKey,
                ApiJson(body): ApiJson<ConsentRequest>,
            ) -> Result<Response, ApiError> {
                super::record::<$ty>(state, auth, key, body).await
            }

            /// Record a legal basis
            ///
            /// The child's best interests justify acting without consent:
            /// why, who decided, and who approved (an enabled supervisor or
            /// BID panel member other than the caller).
            #[utoipa::path(
                post,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}/legal-bases",
                tag = $tag,
                operation_id = $basis,
                params(("id" = String, Path, description = "The record's UUID or its number")),
                request_body(content = LegalBasisRequest, content_type = "application/json"),
                responses(
                    (status = 201, description = "Recorded", body = ConsentRecord),
                    (status = 400, description = "Not JSON", body = ErrorBody),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 415, description = "Not `application/json`", body = ErrorBody),
                    (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn record_legal_basis(
                State(state): State<AppState>,
                auth: Authorized,
                RecordKey(key): RecordKey,
                ApiJson(body): ApiJson<LegalBasisRequest>,
            ) -> Result<Response, ApiError> {
                super::record_legal_basis::<$ty>(state, auth, key, body).await
            }

            /// Withdraw a consent or end a legal basis
            ///
            /// At once: a record left without a tracing ground is no longer
            /// matched, its matches are no longer shown, and it may not be
            /// shared for a purpose left without a ground.
            #[utoipa::path(
                post,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}/consents/{consent_id}/withdraw",
                tag = $tag,
                operation_id = $withdraw,
                params(
                    ("id" = String, Path, description = "The record's UUID or its number"),
                    ("consent_id" = String, Path, description = "The consent's UUID"),
                ),
                responses(
                    (status = 200, description = "Withdrawn", body = ConsentRecord),
                    (status = 404, description = "No such record, or no such consent that still holds", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn withdraw(
                State(state): State<AppState>,
                auth: Authorized,
                keys: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
            ) -> Result<Response, ApiError> {
                // Only undecodable percent-escapes fail here; no record or consent has such an id.
                let Ok(Path(keys)) = keys else {
                    return Err(ApiError::not_found("no record with this id or number"));
                };
                super::withdraw::<$ty>(state, auth, keys).await
            }
        }
    };
}

consent_routes! {
    mod cases;
    record: ChildCase;
    tag: "cases";
    operation ids: "case_consents", "record_case_consent", "record_case_legal_basis", "withdraw_case_consent";
}

consent_routes! {
    mod tracing_requests;
    record: TracingRequest;
    tag: "tracing requests";
    operation ids: "tracing_request_consents", "record_tracing_request_consent",
        "record_tracing_request_legal_basis", "withdraw_tracing_request_consent";
}
