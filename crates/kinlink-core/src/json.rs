//! Parsing JSON documents into domain types, with errors that name the field
//! but never repeat its value: serde's messages quote what they were given
//! (`invalid type: string "Amina", expected u8`), and children's data must not
//! travel back in error messages or into logs. Shared by every edge (HTTP
//! bodies, CLI files), so the rule is written once.

use serde::de::{DeserializeOwned, IgnoredAny};

/// Why a document is not a `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonProblem {
    /// Not JSON at all (the HTTP API answers 400), or JSON that does not fit
    /// the type (422).
    pub kind: JsonProblemKind,
    /// The field, e.g. `child.names.given`; empty for the whole document.
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonProblemKind {
    Syntax,
    Data,
}

/// Parse `bytes` as a `T`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonProblem> {
    // Syntax first over the whole document, so that a truncated file is
    // reported as such rather than as a misfit of some earlier field.
    if let Err(e) = serde_json::from_slice::<IgnoredAny>(bytes) {
        return Err(syntax(&e));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            return syntax(&inner);
        }
        let path = if path == "." { String::new() } else { path };
        let message = describe_data_error(&message_of(&inner));
        // Point at the missing field itself rather than at its parent.
        match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            Some(field) if path.is_empty() => JsonProblem {
                kind: JsonProblemKind::Data,
                path: field.to_owned(),
                message: "is required".to_owned(),
            },
            Some(field) => JsonProblem {
                kind: JsonProblemKind::Data,
                path: format!("{path}.{field}"),
                message: "is required".to_owned(),
            },
            None => JsonProblem {
                kind: JsonProblemKind::Data,
                path,
                message,
            },
        }
    })
}

/// serde_json's syntax messages ("expected value", "EOF while parsing an
/// object") never quote the input.
fn syntax(e: &serde_json::Error) -> JsonProblem {
    JsonProblem {
        kind: JsonProblemKind::Syntax,
        path: String::new(),
        message: format!(
            "not valid JSON: {} at line {} column {}",
            message_of(e),
            e.line(),
            e.column()
        ),
    }
}

/// serde_json's message without the position it appends.
fn message_of(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&position).map(str::to_owned).unwrap_or(full)
}

/// A serde data error without the value that caused it: serde quotes what it
/// was given (`invalid type: string "Amina", expected u8`). The kind of
/// value, what was expected and field names are kept.
pub fn describe_data_error(message: &str) -> String {
    // What was expected comes from the schema. It follows the *last*
    // ", expected ", since a quoted value may itself contain the phrase.
    let (head, expected) = match message.rfind(", expected ") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let head = if let Some(rest) = head.strip_prefix("invalid type: ") {
        format!("invalid type: {}", value_kind(rest))
    } else if let Some(rest) = head.strip_prefix("invalid value: ") {
        format!("invalid value: {}", value_kind(rest))
    } else if head.starts_with("unknown variant") {
        "unknown variant".to_owned()
    } else if [
        "unknown field",
        "missing field",
        "duplicate field",
        "invalid length",
    ]
    .iter()
    .any(|p| head.starts_with(p))
    {
        // Field names (a typo such as `givne`) and lengths are not personal data.
        head.to_owned()
    } else {
        strip_quoted(head)
    };
    format!("{head}{expected}")
}

/// `string "Amina"` → `string`.
fn value_kind(unexpected: &str) -> String {
    let end = unexpected.find(['"', '`', '\'']).unwrap_or(unexpected.len());
    unexpected[..end].trim().to_owned()
}

/// Drop everything between double quotes or backticks.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChildCase;

    fn problem(json: &str) -> JsonProblem {
        match parse_json::<ChildCase>(json.as_bytes()) {
            Ok(_) => panic!("should not parse: {json}"),
            Err(p) => p,
        }
    }

    #[test]
    fn syntax_errors_give_a_position_and_no_content() {
        let p = problem(r#"{"child": {"names": {"given": {"original": "Synthia"#);
        assert!(p.message.starts_with("not valid JSON"), "{p:?}");
        assert!(p.message.contains("line 1 column"), "{p:?}");
        assert!(!p.message.contains("Synthia"));
    }

    #[test]
    fn data_errors_name_the_field_and_drop_the_value() {
        let p = problem(r#"{"child": {"sex": "Synthia Testperson"}}"#);
        assert_eq!(p.path, "child.sex");
        assert!(p.message.starts_with("unknown variant, expected"), "{p:?}");
        assert!(!p.message.contains("Synthia"));

        let p = problem(r#"{"child": {"names": {"given": {"original": 7}}}}"#);
        assert_eq!(p.path, "child.names.given.original");
        assert_eq!(p.message, "invalid type: integer, expected a string");

        let p = problem(r#"{"child": {"names": {"givne": {"original": "Synthia"}}}}"#);
        assert_eq!(p.path, "child.names.givne");
        assert!(p.message.starts_with("unknown field `givne`"), "{p:?}");
        assert!(!p.message.contains("Synthia"));

        let p = problem(r#"{"accompaniment": "unaccompanied"}"#);
        assert_eq!(p.path, "child");
        assert_eq!(p.message, "is required");
    }

    #[test]
    fn quoted_text_is_dropped_from_other_messages() {
        assert_eq!(
            describe_data_error(r#"bad input "Amina \"A\" Yusuf" near `x`, ok"#),
            "bad input near , ok"
        );
    }
}
