//! Record identity: a UUIDv7 for machines and a short number for people.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Internal identifier of a record. UUIDv7, so ids sort by creation time; the
/// store mints them (this crate has no clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = uuid::Uuid))]
#[serde(transparent)]
pub struct RecordId(Uuid);

impl RecordId {
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// The kinds of record kinlink stores. Each has its own number series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    ChildCase,
    TracingRequest,
}

impl RecordKind {
    pub const ALL: [RecordKind; 2] = [RecordKind::ChildCase, RecordKind::TracingRequest];

    /// Stable name used in storage and URLs.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::ChildCase => "child_case",
            RecordKind::TracingRequest => "tracing_request",
        }
    }

    /// Prefix of the human-readable number: `KL-2026-000123` for a case,
    /// `TR-2026-000045` for a tracing request.
    pub const fn number_prefix(self) -> &'static str {
        match self {
            RecordKind::ChildCase => "KL",
            RecordKind::TracingRequest => "TR",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Human-readable record number, `PREFIX-YEAR-SEQUENCE`, e.g. `KL-2026-000123`.
/// The sequence restarts each year and is at least six digits wide.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordNumber {
    kind: RecordKind,
    year: i32,
    sequence: u64,
}

impl RecordNumber {
    pub fn new(kind: RecordKind, year: i32, sequence: u64) -> Self {
        Self { kind, year, sequence }
    }
    pub fn kind(&self) -> RecordKind {
        self.kind
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for RecordNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:04}-{:06}",
            self.kind.number_prefix(),
            self.year,
            self.sequence
        )
    }
}

// Manual: `schema(value_type = ...)` is only accepted on newtype structs, and
// on the wire a number is a string.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RecordNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[A-Z]{2}-\d{4}-\d{6,}$"))
            .examples(["KL-2026-000123"])
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RecordNumber {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a record number: expected PREFIX-YEAR-SEQUENCE such as KL-2026-000123")]
pub struct RecordNumberError;

impl FromStr for RecordNumber {
    type Err = RecordNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, '-');
        let (Some(prefix), Some(year), Some(seq)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(RecordNumberError);
        };
        let kind = RecordKind::ALL
            .into_iter()
            .find(|k| k.number_prefix().eq_ignore_ascii_case(prefix))
            .ok_or(RecordNumberError)?;
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !all_digits(year) || !all_digits(seq) {
            return Err(RecordNumberError);
        }
        Ok(Self {
            kind,
            year: year.parse().map_err(|_| RecordNumberError)?,
            sequence: seq.parse().map_err(|_| RecordNumberError)?,
        })
    }
}

impl TryFrom<String> for RecordNumber {
    type Error = RecordNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RecordNumber> for String {
    fn from(n: RecordNumber) -> String {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_numbers_round_trip() {
        let n = RecordNumber::new(RecordKind::ChildCase, 2026, 123);
        assert_eq!(n.to_string(), "KL-2026-000123");
        assert_eq!("KL-2026-000123".parse::<RecordNumber>(), Ok(n));
        let big = RecordNumber::new(RecordKind::TracingRequest, 2027, 1_234_567);
        assert_eq!(big.to_string(), "TR-2027-1234567");
        assert_eq!(big.to_string().parse::<RecordNumber>(), Ok(big));
    }

    #[test]
    fn malformed_record_numbers_are_refused() {
        for bad in [
            "",
            "KL",
            "KL-2026",
            "XX-2026-000001",
            "KL-26-000001",
            "KL-2026-12a",
        ] {
            assert!(bad.parse::<RecordNumber>().is_err(), "{bad}");
        }
    }
}
