//! Extractors that turn every way a request can be wrong into an [`ApiError`].

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::error::ApiError;
use kinlink_core::FieldError;

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

/// Parse `bytes` as a `T`, classifying the failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, over the whole document: a truncated body is malformed
    // even when a field before the break would not have fit the type either.
    if let Err(e) = serde_json::from_slice::<IgnoredAny>(bytes) {
        return Err(malformed(&e));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            return malformed(&inner);
        }
        let path = if path == "." { String::new() } else { path };
        let message = describe_data_error(&message_of(&inner));
        // Point at the missing field itself rather than at its parent.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        let error = match missing {
            Some(field) if path.is_empty() => FieldError {
                path: field.to_owned(),
                message: "is required".to_owned(),
            },
            Some(field) => FieldError {
                path: format!("{path}.{field}"),
                message: "is required".to_owned(),
            },
            None => FieldError { path, message },
        };
        ApiError::invalid_fields(vec![error], "")
    })
}

fn malformed(e: &serde_json::Error) -> ApiError {
    // serde_json's syntax messages ("expected value", "EOF while parsing an
    // object", "trailing characters") never quote the input.
    ApiError::malformed_json(format!(
        "the body is not valid JSON: {} at line {} column {}",
        message_of(e),
        e.line(),
        e.column()
    ))
}

/// serde_json's message without the position it appends.
fn message_of(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&position).map(str::to_owned).unwrap_or(full)
}

/// A serde data error without the value that caused it. serde quotes what
/// was sent (`invalid type: string "Amina", expected u8`); the kind of value,
/// what was expected and field names are kept, values are dropped.
pub fn describe_data_error(message: &str) -> String {
    // What was expected comes from the schema, not the request. It follows the
    // *last* ", expected " since a quoted value may itself contain the phrase.
    let (head, expected) = match message.rfind(", expected ") {
        Some(at) => (&message[..at], &message[at..]),
        None => (message, ""),
    };
    let head = if let Some(rest) = head.strip_prefix("invalid type: ") {
        format!("invalid type: {}", value_kind(rest))
    } else if let Some(rest) = head.strip_prefix("invalid value: ") {
        format!("invalid value: {}", value_kind(rest))
    } else if head.starts_with("unknown variant") {
        "unknown variant".to_owned()
    } else if head.starts_with("unknown field")
        || head.starts_with("missing field")
        || head.starts_with("duplicate field")
        || head.starts_with("invalid length")
    {
        // Field names (a typo such as `givne`) and lengths are not personal data.
        head.to_owned()
    } else {
        strip_quoted(head)
    };
    format!("{head}{expected}")
}

/// `string "Amina"` → `string`; `integer \`300\`` → `integer`.
fn value_kind(unexpected: &str) -> String {
    let end = unexpected.find(['"', '`', '\'']).unwrap_or(unexpected.len());
    unexpected[..end].trim().to_owned()
}

/// Drop everything between quotes or backticks (custom messages from
/// libraries sometimes quote the input).
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    match d {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            '`' => {
                for d in chars.by_ref() {
                    if d == '`' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
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
    fn quoted_text_is_dropped_from_other_messages() {
        assert_eq!(
            describe_data_error(r#"bad input "Amina \"A\" Yusuf" near `x`, ok"#),
            "bad input near , ok"
        );
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
