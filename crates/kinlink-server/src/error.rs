//! The one error shape every endpoint answers with.
//!
//! Messages describe what is wrong with the request, never what it contained:
//! a response or a log line must not carry a child's personal data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kinlink_core::{FieldError, ValidationErrors};
use kinlink_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error response: `error` is a stable code for programs, `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "invalid_fields",
    "message": "2 invalid fields",
    "fields": [
        {"path": "child.country_of_origin", "message": "is not an ISO 3166-1 alpha-2 country code"},
        {"path": "recorded_on", "message": "is in the future"}
    ]
}))]
pub struct ErrorBody {
    /// One of `malformed_json`, `invalid_fields`, `invalid_query`, `unsupported_media_type`,
    /// `payload_too_large`, `bad_request`, `missing_purpose`, `invalid_purpose`, `unauthenticated`,
    /// `sign_in_failed`, `totp_required`, `forbidden`, `csrf`, `too_many_requests`, `not_found`,
    /// `method_not_allowed`, `conflict`, `refused`, `translation_missing`, `unavailable`, `internal`.
    pub error: String,
    pub message: String,
    /// Every failing field, with its path in the request body (`invalid_fields` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
    /// Why access was refused (`forbidden`): a stable code such as
    /// `firewall_enforcement_agency`, `action_not_allowed`, `token_scope`; or
    /// which case management rule refused a step (`refused`): `wrong_stage`,
    /// `caseload_limit`, `bid_required`, `presumed_minor`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The record's version now (`conflict` only): reload it and apply the change again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// The refused rule's details (`refused` only): stages, limits, missing
    /// steps, counts; never a value from a record.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// An error on its way to becoming a response.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: handlers return `Result<_, ApiError>` everywhere, and the body
    // would make every such result large.
    body: Box<ErrorBody>,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                error: code.to_owned(),
                message: message.into(),
                fields: None,
                reason: None,
                current_version: None,
                details: None,
            }),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    pub fn malformed_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        )
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {} MiB", limit_bytes / (1024 * 1024)),
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not accept this method",
        )
    }

    /// No valid session or token. Says nothing else.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in (POST /api/v1/session) or send an API token (Authorization: Bearer klt_...)",
        )
    }

    /// A refusal with a stable reason code; the message says which rule,
    /// never anything about a record.
    pub fn forbidden(reason: &str, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::FORBIDDEN, "forbidden", message);
        error.body.reason = Some(reason.to_owned());
        error
    }

    /// A step of case management refused by its rules (422): `reason` is the
    /// rule's code, `details` what it found (no personal value).
    pub fn refused(reason: &str, message: impl Into<String>, details: Option<serde_json::Value>) -> Self {
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message);
        error.body.reason = Some(reason.to_owned());
        error.body.details = details;
        error
    }

    /// The same error listing failing fields, each path prefixed with `prefix`.
    pub fn with_fields(mut self, fields: Vec<FieldError>, prefix: &str) -> Self {
        self.body.fields = Some(
            fields
                .into_iter()
                .map(|f| FieldError {
                    path: join_path(prefix, &f.path),
                    message: f.message,
                })
                .collect(),
        );
        self
    }

    pub fn with_code(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::new(status, code, message)
    }

    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The database cannot be reached just now: retrying later may succeed,
    /// and the write was not made.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable; try again shortly",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }

    /// Failing fields, each path prefixed with `prefix` so that it points into
    /// the request body (a record inside an update is at `record.`).
    pub fn invalid_fields(fields: Vec<FieldError>, prefix: &str) -> Self {
        let n = fields.len();
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            format!("{n} invalid field{}", if n == 1 { "" } else { "s" }),
        );
        error.body.fields = Some(
            fields
                .into_iter()
                .map(|f| FieldError {
                    path: join_path(prefix, &f.path),
                    message: f.message,
                })
                .collect(),
        );
        error
    }

    pub fn validation(errors: ValidationErrors, prefix: &str) -> Self {
        Self::invalid_fields(errors.errors, prefix)
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.trim_end_matches('.').to_owned(),
        (false, false) => format!("{prefix}{path}"),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::not_found("no record with this id or number"),
            StoreError::MatchNotFound => Self::not_found("no match with this id"),
            // Erased by retention or by a data protection officer: the record
            // is gone for good, and saying so is not personal data.
            StoreError::Erased { .. } => Self::new(
                StatusCode::GONE,
                "erased",
                "this record was erased: its content can no longer be read by anyone".to_owned(),
            ),
            StoreError::Conflict { expected, current } => {
                let mut error = Self::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "the record is at version {current}, not {expected}: \
                         reload it and apply the change again"
                    ),
                );
                error.body.current_version = Some(current);
                error
            }
            other if other.is_unavailable() => {
                // Says only that the database is unreachable, which holds no personal data.
                tracing::warn!(error = %other, "the database is unavailable");
                Self::unavailable()
            }
            other => {
                // Store errors name records by id and faults by position,
                // never by content, so they are safe to log in full.
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthenticated = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (self.status, Json(*self.body)).into_response();
        if unauthenticated {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"kinlink\""),
            );
        }
        response
    }
}
