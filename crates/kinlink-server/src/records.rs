//! The record endpoints, written once for every record type.
//!
//! Handlers are generic over [`ApiRecord`]; [`record_routes!`] stamps out, per
//! type, thin wrappers that carry the `#[utoipa::path]` documentation (the
//! macro cannot see through generics) and registers them, so each route is
//! added to the router and to the OpenAPI document in the same call.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kinlink_core::{ChildCase, Record, RecordId, RecordNumber, TracingRequest, Validated, latest_today};
use kinlink_interchange::InterchangeRow;
use kinlink_policy::{
    AccessRequest, Action, AgencyId, Grant, PolicyError, RecordContext, Releasable, Scope, TeamId, UserId,
    View, authorize,
};
use kinlink_store::{RecordMeta, Records, Store, StoredRecord, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::access::Authorized;
use crate::audit::{self, Event, Outcome};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, RecordKey};

/// What the API needs to know about a record type beyond [`Record`].
pub trait ApiRecord: Record {
    /// The collection's path, e.g. `/api/v1/cases`.
    const COLLECTION: &'static str;
    /// What one record is called in messages.
    const NOUN: &'static str;
    /// File name of an export, without extension.
    const EXPORT_STEM: &'static str;
    /// The record's rows in the interchange CSV format.
    fn interchange_rows(id: String, record: &Self) -> Vec<InterchangeRow>;
    /// The record as a child case, if it is one (a new case gets its case file).
    fn as_child_case(&self) -> Option<&ChildCase> {
        None
    }
}

impl ApiRecord for ChildCase {
    const COLLECTION: &'static str = "/api/v1/cases";
    const NOUN: &'static str = "case";
    const EXPORT_STEM: &'static str = "cases";
    fn interchange_rows(id: String, record: &Self) -> Vec<InterchangeRow> {
        vec![kinlink_interchange::row_from_case(id, record)]
    }
    fn as_child_case(&self) -> Option<&ChildCase> {
        Some(self)
    }
}

impl ApiRecord for TracingRequest {
    const COLLECTION: &'static str = "/api/v1/tracing-requests";
    const NOUN: &'static str = "tracing request";
    const EXPORT_STEM: &'static str = "tracing-requests";
    fn interchange_rows(id: String, record: &Self) -> Vec<InterchangeRow> {
        kinlink_interchange::row_from_request(id, record)
    }
}

/// A record as it leaves the server: its metadata and the [`View`] the
/// caller's grant allows. The only record response type.
#[derive(Serialize)]
#[serde(bound = "")]
pub struct RecordOut<T> {
    #[serde(flatten)]
    pub meta: RecordMeta,
    #[serde(flatten)]
    pub view: View<T>,
}

impl<T> Releasable for RecordOut<T> {}

/// A record's metadata without its content: what a write answers when the
/// caller may write but not read (a token scoped for creating only).
#[derive(Serialize)]
pub struct MetaOut {
    #[serde(flatten)]
    pub meta: RecordMeta,
}

impl Releasable for MetaOut {}

/// One version of a record, as the caller's grant may see it.
#[derive(Serialize)]
#[serde(bound = "")]
pub struct RevisionOut<T> {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    #[serde(flatten)]
    pub view: View<T>,
}

impl<T> Releasable for RevisionOut<T> {}

/// The only way a record response is built: from [`Releasable`] values.
pub(crate) fn release<R: Releasable>(value: R) -> Json<R> {
    Json(value)
}

/// A record as the caller may see it (documentation of [`RecordOut`]):
/// fields of the groups in `withheld` are absent.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ViewedRecord<T> {
    #[schema(inline)]
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub record: T,
    /// Field groups withheld from the caller (identity, contact, family,
    /// health, protection_concerns, child_statements, photos_biometrics, case_status).
    pub withheld: Vec<String>,
}

/// One version of a record as the caller may see it (documentation of [`RevisionOut`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ViewedRevision<T> {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub record: T,
    pub withheld: Vec<String>,
}

/// A page of a list, in creation order.
#[derive(Serialize)]
pub struct Page<S> {
    pub items: Vec<S>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<RecordId>,
}

impl<T> Releasable for Page<RecordOut<T>> {}

/// A page of a list (documentation of [`Page`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ViewedPage<S> {
    pub items: Vec<S>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<RecordId>,
}

/// The body of an update: the version the client last read, and the record
/// as the client sent it, usually the redacted view it was shown. Groups the
/// caller may not edit keep their stored values.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    pub version: i64,
    pub record: Map<String, Value>,
}

/// The body of an update (documentation of [`UpdateBody`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateRequest<T> {
    /// The version the change is based on; a stale one is refused with 409.
    pub version: i64,
    /// The whole record as the caller sees it; withheld groups may be left out.
    pub record: T,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next_after` of the previous page.
    pub after: Option<RecordId>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<u32>,
}

fn not_found<T: ApiRecord>() -> ApiError {
    ApiError::not_found(format!("no {} with this id or number", T::NOUN))
}

/// Who a record belongs to, for the policy. A record with no owner (written
/// before accounts, or by the CLI without one) belongs to no agency: only
/// deployment-wide grants reach it.
pub fn context(meta: &RecordMeta) -> RecordContext {
    match meta.owner {
        Some(owner) => RecordContext {
            agency: AgencyId(owner.agency),
            team: owner.team.map(TeamId),
            owner: Some(UserId(owner.user)),
            assigned: Vec::new(),
        },
        None => RecordContext {
            agency: AgencyId(Uuid::nil()),
            team: None,
            owner: None,
            assigned: Vec::new(),
        },
    }
}

/// The records a grant's scope reaches, as a store filter (`None`: all).
pub fn visibility(grant: &Grant) -> Option<Visibility> {
    let principal = grant.principal();
    let owner = principal.user.0;
    let agency = principal.agency.id.0;
    match grant.scope() {
        Scope::Deployment => None,
        Scope::Agency => Some(Visibility {
            owner,
            agency: Some(agency),
            teams: None,
        }),
        Scope::Team => Some(Visibility {
            owner,
            agency: Some(agency),
            teams: Some(principal.teams.iter().map(|t| t.0).collect()),
        }),
        Scope::Own => Some(Visibility {
            owner,
            agency: None,
            teams: None,
        }),
    }
}

/// A policy refusal as a response: which rule, never what the record holds.
pub fn policy_error(e: PolicyError) -> ApiError {
    match e {
        PolicyError::Denied(denial) => ApiError::forbidden(denial.code(), denial.to_string()),
        PolicyError::Encoding => ApiError::internal(),
        PolicyError::Submission(problem) => ApiError::invalid_fields(
            vec![kinlink_core::FieldError {
                path: problem.path,
                message: problem.message,
            }],
            "record.",
        ),
        e @ PolicyError::UnknownFields { .. } => ApiError::invalid_fields(
            vec![kinlink_core::FieldError {
                path: String::new(),
                message: e.to_string(),
            }],
            "record.",
        ),
    }
}

/// The record out, viewed under `grant`.
pub(crate) fn record_out<T: ApiRecord>(
    grant: &Grant,
    stored: &StoredRecord<T>,
) -> Result<RecordOut<T>, ApiError> {
    let view = grant
        .view(&context(&stored.meta), &stored.record)
        .map_err(policy_error)?;
    Ok(RecordOut {
        meta: stored.meta.clone(),
        view,
    })
}

/// What a write answers: the record as the caller may read it for the same
/// purpose, or its metadata alone if they may not read it.
fn written<T: ApiRecord>(auth: &Authorized, stored: StoredRecord<T>) -> Response {
    let purpose = auth.grant.request().purpose;
    let read = authorize(
        &auth.caller.principal,
        AccessRequest::new(auth.grant.request().resource, Action::Read, purpose),
    );
    let readable_by_token = auth.caller.scopes.as_ref().is_none_or(|scopes| {
        scopes.contains(&kinlink_auth::token::TokenScope {
            resource: auth.grant.request().resource,
            action: Action::Read,
        })
    });
    match read {
        Ok(grant) if readable_by_token && grant.covers(&context(&stored.meta)) => {
            match record_out(&grant, &stored) {
                Ok(out) => release(out).into_response(),
                Err(e) => e.into_response(),
            }
        }
        _ => release(MetaOut { meta: stored.meta }).into_response(),
    }
}

/// The audit event of `auth`'s request on the record `id`.
pub(crate) fn record_event(auth: &Authorized, id: Uuid, outcome: Outcome) -> Event {
    let request = auth.grant.request();
    Event::access(
        &auth.route,
        &auth.caller,
        request.resource,
        request.action,
        request.purpose,
        outcome,
    )
    .record(id, auth.grant.readable())
}

/// Record that `auth`'s request reached the records `ids` (read, listed,
/// exported), before anything is shown.
pub(crate) async fn audit_access(
    store: &dyn Store,
    auth: &Authorized,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<(), ApiError> {
    let events = ids
        .into_iter()
        .map(|id| record_event(auth, id, Outcome::Allowed))
        .collect();
    audit::emit_all(store, events).await
}

/// Find a record by UUID or number; a number of another kind finds nothing,
/// and so does a record outside the grant's scope (its existence is not disclosed).
pub(crate) async fn find<T: ApiRecord>(
    store: &dyn Store,
    records: &Records<T>,
    auth: &Authorized,
    key: &str,
) -> Result<StoredRecord<T>, ApiError> {
    let found = if let Ok(id) = key.parse::<RecordId>() {
        records.get(id).await?
    } else if let Ok(number) = key.parse::<RecordNumber>() {
        records.get_by_number(&number).await?
    } else {
        None
    };
    let stored = found.ok_or_else(not_found::<T>)?;
    if !auth.grant.covers(&context(&stored.meta)) {
        audit::refused(
            store,
            record_event(auth, *stored.meta.id.as_uuid(), Outcome::Refused("out_of_scope")),
        )
        .await;
        return Err(not_found::<T>());
    }
    Ok(stored)
}

/// Validate, check and store a new record (the API's and the web form's
/// creation): every failing field reported at once, `check_create` under the
/// grant, the audit entry in the write's transaction, the matcher told.
pub(crate) async fn create_record<T: ApiRecord>(
    state: &AppState,
    auth: &Authorized,
    record: T,
) -> Result<StoredRecord<T>, ApiError> {
    // Validate before anything is written; the store's insert is one transaction.
    let record = Validated::new(record, latest_today(Utc::now())).map_err(|e| ApiError::validation(e, ""))?;
    auth.grant.check_create(record.as_ref()).map_err(policy_error)?;
    // The store appends the creation's audit entry in the same transaction.
    let stored = Records::<T>::new(state.store.clone())
        .create(record, &auth.actor())
        .await?;
    state.matcher.notify();
    // Every case has a case file from its identification. Should this
    // second write fail, the case is stored all the same and its file is
    // opened on first use (`casework::open_case_file` is idempotent).
    if let Some(case) = stored.record.as_child_case()
        && let Err(e) = crate::casework::open_case_file(state, &stored.meta, case, &auth.actor()).await
    {
        tracing::warn!(
            status = e.status_code().as_u16(),
            "the new case's case file was not opened"
        );
    }
    Ok(stored)
}

pub async fn create<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    ApiJson(record): ApiJson<T>,
) -> Result<Response, ApiError> {
    let stored = create_record(&state, &auth, record).await?;
    let location = format!("{}/{}", T::COLLECTION, stored.meta.id);
    let mut response = written(&auth, stored);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub async fn list<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<RecordOut<T>>>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid_query(format!(
            "invalid query parameter `limit`: must be between 1 and {MAX_PAGE}"
        )));
    }
    // One more than asked tells whether another page exists, so the last
    // page says so instead of sending the client to an empty one.
    let visibility = visibility(&auth.grant);
    let mut stored = Records::<T>::new(state.store.clone())
        .list_visible(params.after, limit + 1, visibility.as_ref())
        .await?;
    let more = stored.len() > limit as usize;
    stored.truncate(limit as usize);
    let next_after = if more {
        stored.last().map(|r| r.meta.id)
    } else {
        None
    };
    let items = stored
        .iter()
        .map(|s| record_out(&auth.grant, s))
        .collect::<Result<Vec<_>, _>>()?;
    audit_access(
        state.store.as_ref(),
        &auth,
        stored.iter().map(|s| *s.meta.id.as_uuid()),
    )
    .await?;
    Ok(release(Page { items, next_after }))
}

pub async fn get<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<RecordOut<T>>, ApiError> {
    let records = Records::<T>::new(state.store.clone());
    let stored = find(state.store.as_ref(), &records, &auth, &key).await?;
    let out = record_out(&auth.grant, &stored)?;
    audit_access(state.store.as_ref(), &auth, [*stored.meta.id.as_uuid()]).await?;
    Ok(release(out))
}

pub async fn update<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    RecordKey(key): RecordKey,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let records = Records::<T>::new(state.store.clone());
    let stored = find(state.store.as_ref(), &records, &auth, &key).await?;
    // Only the groups the grant may edit are taken from the submission.
    let merged = auth
        .grant
        .apply_update(&context(&stored.meta), &stored.record, &body.record)
        .map_err(policy_error)?;
    let record =
        Validated::new(merged, latest_today(Utc::now())).map_err(|e| ApiError::validation(e, "record."))?;
    // A case's accompaniment and sex are also its case file's: checked by
    // the case management rules before anything is written.
    let profile = match record.as_ref().as_child_case() {
        Some(case) => crate::casework::profile_change(&state, &auth, stored.meta.id, case).await?,
        None => None,
    };
    let updated = records
        .update(stored.meta.id, body.version, record, &auth.actor())
        .await
        .map_err(|e| match e {
            kinlink_store::StoreError::NotFound { .. } => not_found::<T>(),
            other => other.into(),
        })?;
    // The store appended the update's audit entry in the same transaction.
    state.matcher.notify();
    if let Some(profile) = profile
        && let Err(e) = crate::casework::store_profile_change(&state, &auth, profile).await
    {
        // The case is written; its file changed meanwhile (409) or the
        // database failed. The next edit of the case brings them in step.
        tracing::warn!(
            status = e.status_code().as_u16(),
            "a case's profile change did not reach its case file"
        );
    }
    Ok(written(&auth, updated))
}

pub async fn history<T: ApiRecord>(
    state: AppState,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<Revisions<T>>, ApiError> {
    let records = Records::<T>::new(state.store.clone());
    let stored = find(state.store.as_ref(), &records, &auth, &key).await?;
    let context = context(&stored.meta);
    let revisions = records.history(stored.meta.id).await?;
    if revisions.is_empty() {
        // Every stored record has at least its first version.
        return Err(not_found::<T>());
    }
    let out = revisions
        .into_iter()
        .map(|revision| {
            Ok(RevisionOut {
                version: revision.version,
                changed_at: revision.changed_at,
                changed_by: revision.changed_by,
                view: auth
                    .grant
                    .view(&context, &revision.record)
                    .map_err(policy_error)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    audit_access(state.store.as_ref(), &auth, [*stored.meta.id.as_uuid()]).await?;
    Ok(release(Revisions(out)))
}

/// Every version of a record, each viewed.
#[derive(Serialize)]
#[serde(transparent, bound = "")]
pub struct Revisions<T>(Vec<RevisionOut<T>>);

impl<T> Releasable for Revisions<T> {}

/// Declares one record type's endpoints: documented wrappers around the
/// generic handlers, and an `OpenApiRouter` that registers them.
macro_rules! record_routes {
    (
        mod $module:ident;
        record: $ty:ident;
        tag: $tag:tt;
        operation ids: $create:tt, $list:tt, $get:tt, $update:tt, $history:tt, $export:tt;
    ) => {
        pub mod $module {
            use super::*;
            use crate::error::ErrorBody;
            use crate::export::ExportParams;
            use axum::extract::State;
            use crate::access::Authorized;
            use utoipa_axum::router::OpenApiRouter;
            use utoipa_axum::routes;

            pub fn routes() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!(create, list))
                    .routes(routes!(export))
                    .routes(routes!(get, update))
                    .routes(routes!(history))
            }

            /// Register a record
            ///
            /// The record is validated as a whole: every failing field is
            /// reported at once. Derived fields (Gregorian spans of dates) are
            /// filled in by the server.
            #[utoipa::path(
                post,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "",
                tag = $tag,
                operation_id = $create,
                request_body(content = $ty, content_type = "application/json"),
                responses(
                    (status = 201, description = "Stored at version 1", body = ViewedRecord<$ty>,
                     headers(("Location" = String, description = "The new record's URL"))),
                    (status = 400, description = "Not JSON", body = ErrorBody),
                    (status = 413, description = "Body over 2 MiB", body = ErrorBody),
                    (status = 415, description = "Not `application/json`", body = ErrorBody),
                    (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn create(State(state): State<AppState>, auth: Authorized, body: ApiJson<$ty>) -> Result<Response, ApiError> {
                super::create::<$ty>(state, auth, body).await
            }

            /// List records
            ///
            /// In creation order, a page at a time: pass the page's
            /// `next_after` as `after` to get the next one.
            #[utoipa::path(
                get,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "",
                tag = $tag,
                operation_id = $list,
                params(ListParams),
                responses(
                    (status = 200, description = "A page of records, each as the caller may see it", body = ViewedPage<ViewedRecord<$ty>>),
                    (status = 400, description = "Invalid query parameter", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn list(
                State(state): State<AppState>,
                auth: Authorized,
                params: ApiQuery<ListParams>,
            ) -> Result<Json<Page<RecordOut<$ty>>>, ApiError> {
                super::list::<$ty>(state, auth, params).await
            }

            /// Get a record
            #[utoipa::path(
                get,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}",
                tag = $tag,
                operation_id = $get,
                params(("id" = String, Path, description = "The record's UUID or its number (`KL-2026-000123`, `TR-2026-000045`)")),
                responses(
                    (status = 200, description = "The record as the caller may see it", body = ViewedRecord<$ty>),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn get(State(state): State<AppState>, auth: Authorized, key: RecordKey) -> Result<Json<RecordOut<$ty>>, ApiError> {
                super::get::<$ty>(state, auth, key).await
            }

            /// Update a record
            ///
            /// Replaces the whole record if it is still at `version`; a stale
            /// version is refused with 409 and the current version, so no
            /// change is ever silently overwritten.
            #[utoipa::path(
                put,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}",
                tag = $tag,
                operation_id = $update,
                params(("id" = String, Path, description = "The record's UUID or its number")),
                request_body(content = UpdateRequest<$ty>, content_type = "application/json"),
                responses(
                    (status = 200, description = "Stored at the next version", body = ViewedRecord<$ty>),
                    (status = 400, description = "Not JSON", body = ErrorBody),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 409, description = "The record changed since `version`", body = ErrorBody),
                    (status = 413, description = "Body over 2 MiB", body = ErrorBody),
                    (status = 415, description = "Not `application/json`", body = ErrorBody),
                    (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn update(
                State(state): State<AppState>,
                auth: Authorized,
                key: RecordKey,
                body: ApiJson<UpdateBody>,
            ) -> Result<Response, ApiError> {
                super::update::<$ty>(state, auth, key, body).await
            }

            /// A record's history
            ///
            /// Every version, oldest first.
            #[utoipa::path(
                get,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/{id}/history",
                tag = $tag,
                operation_id = $history,
                params(("id" = String, Path, description = "The record's UUID or its number")),
                responses(
                    (status = 200, description = "Every revision, oldest first", body = [ViewedRevision<$ty>]),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn history(
                State(state): State<AppState>,
                auth: Authorized,
                key: RecordKey,
            ) -> Result<Json<Revisions<$ty>>, ApiError> {
                super::history::<$ty>(state, auth, key).await
            }

            /// Export every record
            ///
            /// `csv`: the interchange format, one row per child (lossy, flat).
            /// `jsonl`: one stored record per line, complete. Streamed; if the
            /// store fails part-way the download is cut off rather than
            /// ending as if it were complete.
            #[utoipa::path(
                get,
                context_path = <$ty as ApiRecord>::COLLECTION,
                path = "/export",
                tag = $tag,
                operation_id = $export,
                params(ExportParams),
                responses(
                    (status = 200, description = "The export", content(
                        (String = "text/csv"),
                        (ViewedRecord<$ty> = "application/x-ndjson"),
                    )),
                    (status = 400, description = "Invalid query parameter", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn export(
                State(state): State<AppState>,
                auth: Authorized,
                params: ApiQuery<ExportParams>,
            ) -> Result<Response, ApiError> {
                crate::export::export::<$ty>(state, auth, params).await
            }
        }
    };
}

record_routes! {
    mod cases;
    record: ChildCase;
    tag: "cases";
    operation ids: "create_case", "list_cases", "get_case", "update_case", "case_history", "export_cases";
}

record_routes! {
    mod tracing_requests;
    record: TracingRequest;
    tag: "tracing requests";
    operation ids: "create_tracing_request", "list_tracing_requests", "get_tracing_request",
        "update_tracing_request", "tracing_request_history", "export_tracing_requests";
}
