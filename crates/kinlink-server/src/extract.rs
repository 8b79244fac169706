//! Extractors that turn every way a request can be wrong into an [`ApiError`].

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use kinlink_core::FieldError;
use kinlink_core::json::{self, JsonProblemKind, describe_data_error};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body, classified on failure: not JSON at all is 400
/// `malformed_json`, JSON that does not fit the type is 422 `invalid_fields`
/// with the path of the field, another content type is 415.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(BODY_LIMIT)
            } else {
                ApiError::bad_request("the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// `application/json` or any `application/*+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Parse `bytes` as a `T`: not JSON is 400 `malformed_json`, a misfit is 422
/// `invalid_fields` with the field's path. Values never appear in messages
/// (the core's [`kinlink_core::json`] sees to that).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    json::parse_json(bytes).map_err(|problem| match problem.kind {
        JsonProblemKind::Syntax => ApiError::malformed_json(format!("the body is {}", problem.message)),
        JsonProblemKind::Data => ApiError::invalid_fields(
            vec![FieldError {
                path: problem.path,
                message: problem.message,
            }],
            "",
        ),
    })
}

/// Query parameters, parsed with the failing parameter's name in the error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let parameter = e.path().to_string();
            let message = describe_data_error(&e.into_inner().to_string());
            if parameter == "." {
                ApiError::invalid_query(format!("invalid query string: {message}"))
            } else {
                ApiError::invalid_query(format!("invalid query parameter `{parameter}`: {message}"))
            }
        })
    }
}

/// The `{id}` of a record route: a UUID or a record number, resolved by the handler.
pub struct RecordKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RecordKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // Only undecodable percent-escapes fail here; no record has such a key.
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(key)| RecordKey(key))
            .map_err(|_| ApiError::not_found("no record with this id or number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Child {
        name: String,
        age: u8,
        #[serde(default)]
        sex: Option<Sex>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Sex {
        Female,
        Male,
    }

    fn fields(body: &str) -> Vec<FieldError> {
        let e = parse_json::<Child>(body.as_bytes()).expect_err("should fail");
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{:?}", e.body());
        e.body().fields.clone().unwrap_or_default()
    }

    #[test]
    fn syntax_errors_are_malformed_json_with_position() {
        for body in ["{\"name\": ", "{\"name\": \"Amina\",}", "nope", "{} {}", ""] {
            let e = parse_json::<Child>(body.as_bytes()).expect_err(body);
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(e.body().error, "malformed_json");
            assert!(e.body().message.contains("line 1 column"), "{}", e.body().message);
            assert!(!e.body().message.contains("Amina"));
        }
    }

    #[test]
    fn a_syntax_error_wins_over_an_earlier_misfit() {
        let e = parse_json::<Child>(b"{\"nmae\": 1, ").expect_err("truncated");
        assert_eq!(e.body().error, "malformed_json");
    }

    #[test]
    fn data_errors_name_the_path_but_not_the_value() {
        let f = fields(r#"{"name": "Amina", "age": "Amina Yusuf"}"#);
        assert_eq!(f[0].path, "age");
        assert_eq!(f[0].message, "invalid type: string, expected u8");

        let f = fields(r#"{"name": "Amina", "age": 300}"#);
        assert_eq!(f[0].message, "invalid value: integer, expected u8");

        let f = fields(r#"{"name": "Amina", "age": 3, "sex": "Amina, expected \"x\"`"}"#);
        assert_eq!(f[0].path, "sex");
        assert_eq!(f[0].message, "unknown variant, expected `female` or `male`");

        let f = fields(r#"{"name": "Amina", "age": 3, "nmae": 1}"#);
        assert_eq!(f[0].path, "nmae");
        assert!(
            f[0].message.starts_with("unknown field `nmae`"),
            "{}",
            f[0].message
        );

        let f = fields(r#"{"name": "Amina"}"#);
        assert_eq!(f[0].path, "age");
        assert_eq!(f[0].message, "is required");
    }

    #[test]
    fn content_types() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().expect("header"));
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
