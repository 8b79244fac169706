//! The record endpoints, written once for every record type.
//!
//! Handlers are generic over [`ApiRecord`]; [`record_routes!`] stamps out, per
//! type, thin wrappers that carry the `#[utoipa::path]` documentation (the
//! macro cannot see through generics) and registers them, so each route is
//! added to the router and to the OpenAPI document in the same call.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kinlink_core::{ChildCase, Record, RecordId, RecordNumber, TracingRequest, Validated, latest_today};
use kinlink_interchange::InterchangeRow;
use kinlink_store::{Actor, Records, Revision, StoredRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
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
}

impl ApiRecord for ChildCase {
    const COLLECTION: &'static str = "/api/v1/cases";
    const NOUN: &'static str = "case";
    const EXPORT_STEM: &'static str = "cases";
    fn interchange_rows(id: String, record: &Self) -> Vec<InterchangeRow> {
        vec![kinlink_interchange::row_from_case(id, record)]
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

/// A page of a list, in creation order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page<S> {
    pub items: Vec<S>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<RecordId>,
}

/// The body of an update: the version the client last read, and the whole new record.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest<T> {
    /// The version the change is based on; a stale one is refused with 409.
    pub version: i64,
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

/// Until accounts exist, every API write is recorded as made through the API.
pub(crate) fn actor() -> Actor {
    Actor::new("api")
}

fn not_found<T: ApiRecord>() -> ApiError {
    ApiError::not_found(format!("no {} with this id or number", T::NOUN))
}

/// Find a record by UUID or number; a number of another kind finds nothing.
pub(crate) async fn find<T: ApiRecord>(records: &Records<T>, key: &str) -> Result<StoredRecord<T>, ApiError> {
    let found = if let Ok(id) = key.parse::<RecordId>() {
        records.get(id).await?
    } else if let Ok(number) = key.parse::<RecordNumber>() {
        records.get_by_number(&number).await?
    } else {
        None
    };
    found.ok_or_else(not_found::<T>)
}

/// The id of a record given by UUID or number (a UUID is not looked up).
async fn resolve<T: ApiRecord>(records: &Records<T>, key: &str) -> Result<RecordId, ApiError> {
    match key.parse::<RecordId>() {
        Ok(id) => Ok(id),
        Err(_) => find(records, key).await.map(|r| r.meta.id),
    }
}

pub async fn create<T: ApiRecord>(
    state: AppState,
    ApiJson(record): ApiJson<T>,
) -> Result<Response, ApiError> {
    // Validate before anything is written; the store's insert is one transaction.
    let record = Validated::new(record, latest_today(Utc::now())).map_err(|e| ApiError::validation(e, ""))?;
    let stored = Records::<T>::new(state.store).create(record, &actor()).await?;
    state.matcher.notify();
    let location = format!("{}/{}", T::COLLECTION, stored.meta.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(stored)).into_response())
}

pub async fn list<T: ApiRecord>(
    state: AppState,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<StoredRecord<T>>>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid_query(format!(
            "invalid query parameter `limit`: must be between 1 and {MAX_PAGE}"
        )));
    }
    // One more than asked tells whether another page exists, so the last
    // page says so instead of sending the client to an empty one.
    let mut items = Records::<T>::new(state.store)
        .list(params.after, limit + 1)
        .await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_after = if more {
        items.last().map(|r| r.meta.id)
    } else {
        None
    };
    Ok(Json(Page { items, next_after }))
}

pub async fn get<T: ApiRecord>(
    state: AppState,
    RecordKey(key): RecordKey,
) -> Result<Json<StoredRecord<T>>, ApiError> {
    let records = Records::<T>::new(state.store);
    Ok(Json(find(&records, &key).await?))
}

pub async fn update<T: ApiRecord>(
    state: AppState,
    RecordKey(key): RecordKey,
    ApiJson(body): ApiJson<UpdateRequest<T>>,
) -> Result<Json<StoredRecord<T>>, ApiError> {
    let records = Records::<T>::new(state.store.clone());
    let id = resolve(&records, &key).await?;
    let record = Validated::new(body.record, latest_today(Utc::now()))
        .map_err(|e| ApiError::validation(e, "record."))?;
    let stored = records
        .update(id, body.version, record, &actor())
        .await
        .map_err(|e| match e {
            kinlink_store::StoreError::NotFound { .. } => not_found::<T>(),
            other => other.into(),
        })?;
    state.matcher.notify();
    Ok(Json(stored))
}

pub async fn history<T: ApiRecord>(
    state: AppState,
    RecordKey(key): RecordKey,
) -> Result<Json<Vec<Revision<T>>>, ApiError> {
    let records = Records::<T>::new(state.store);
    let id = resolve(&records, &key).await?;
    let revisions = records.history(id).await?;
    if revisions.is_empty() {
        // Every stored record has at least its first version.
        return Err(not_found::<T>());
    }
    Ok(Json(revisions))
}

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
                    (status = 201, description = "Stored at version 1", body = StoredRecord<$ty>,
                     headers(("Location" = String, description = "The new record's URL"))),
                    (status = 400, description = "Not JSON", body = ErrorBody),
                    (status = 413, description = "Body over 2 MiB", body = ErrorBody),
                    (status = 415, description = "Not `application/json`", body = ErrorBody),
                    (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn create(State(state): State<AppState>, body: ApiJson<$ty>) -> Result<Response, ApiError> {
                super::create::<$ty>(state, body).await
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
                    (status = 200, description = "A page of records", body = Page<StoredRecord<$ty>>),
                    (status = 400, description = "Invalid query parameter", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn list(
                State(state): State<AppState>,
                params: ApiQuery<ListParams>,
            ) -> Result<Json<Page<StoredRecord<$ty>>>, ApiError> {
                super::list::<$ty>(state, params).await
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
                    (status = 200, description = "The record", body = StoredRecord<$ty>),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn get(State(state): State<AppState>, key: RecordKey) -> Result<Json<StoredRecord<$ty>>, ApiError> {
                super::get::<$ty>(state, key).await
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
                    (status = 200, description = "Stored at the next version", body = StoredRecord<$ty>),
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
                key: RecordKey,
                body: ApiJson<UpdateRequest<$ty>>,
            ) -> Result<Json<StoredRecord<$ty>>, ApiError> {
                super::update::<$ty>(state, key, body).await
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
                    (status = 200, description = "Every revision, oldest first", body = [Revision<$ty>]),
                    (status = 404, description = "No such record", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn history(
                State(state): State<AppState>,
                key: RecordKey,
            ) -> Result<Json<Vec<Revision<$ty>>>, ApiError> {
                super::history::<$ty>(state, key).await
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
                        (StoredRecord<$ty> = "application/x-ndjson"),
                    )),
                    (status = 400, description = "Invalid query parameter", body = ErrorBody),
                    (status = 500, description = "Internal error", body = ErrorBody),
                )
            )]
            pub async fn export(
                State(state): State<AppState>,
                params: ApiQuery<ExportParams>,
            ) -> Result<Response, ApiError> {
                crate::export::export::<$ty>(state, params).await
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
