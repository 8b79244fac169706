//! Validation: every problem in a record, each with its field path, at once.
//!
//! Messages say what is wrong and never repeat the value: error responses and
//! logs must not carry a child's personal data.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{CountryCode, LanguageCode};
use crate::dates::{AgeEstimate, CalendarDate, DateInterval};
use crate::names::{PersonName, Script, WrittenName};
use crate::record::Record;

/// One failing field: a JSON-style path such as `child.family[1].names.given.original`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// All failing fields of a record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} invalid field{}", if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.path, e.message)?;
        }
        Ok(())
    }
}

/// A record that passed validation, with its derived fields filled in.
///
/// The store only accepts `Validated` records, so nothing unchecked can be
/// written: the type, not the caller's diligence, guarantees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Validated<T>(T);

impl<T: Record> Validated<T> {
    /// Check `record` as of `today` (dates after it are refused).
    pub fn new(mut record: T, today: NaiveDate) -> Result<Self, ValidationErrors> {
        let mut checker = Checker::new(today);
        record.check(&mut checker);
        checker.finish().map(|()| Validated(record))
    }
}

impl<T> Validated<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> AsRef<T> for Validated<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::Deref for Validated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Longest name part accepted; real names are far shorter, and a cap keeps
/// pasted documents out of name fields.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free-text note.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Collects failures while a record checks itself.
pub struct Checker {
    today: NaiveDate,
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            errors: Vec::new(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors { errors: self.errors })
        }
    }

    /// Short single-line text: not blank, no control characters, bounded.
    pub fn line(&mut self, path: &str, text: &str, max_chars: usize) {
        if text.trim().is_empty() {
            self.fail(path, "must not be blank; leave the field out when it is unknown");
        } else if text.chars().any(char::is_control) {
            self.fail(path, "must not contain control characters or line breaks");
        } else if text.chars().count() > max_chars {
            self.fail(path, format!("is longer than {max_chars} characters"));
        }
    }

    /// Free text: may span lines, bounded.
    pub fn text(&mut self, path: &str, text: &str) {
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.fail(path, "must not contain control characters");
        } else if text.chars().count() > MAX_TEXT_CHARS {
            self.fail(path, format!("is longer than {MAX_TEXT_CHARS} characters"));
        }
    }

    pub fn optional_line(&mut self, path: &str, text: Option<&str>, max_chars: usize) {
        if let Some(t) = text {
            self.line(path, t, max_chars);
        }
    }

    pub fn written_name(&mut self, path: &str, name: &WrittenName) {
        self.line(&format!("{path}.original"), &name.original, MAX_NAME_CHARS);
        if let Some(latin) = &name.latin {
            let p = format!("{path}.latin");
            self.line(&p, latin, MAX_NAME_CHARS);
            if !matches!(Script::of(latin), Script::Latin | Script::None) {
                self.fail(p, "must be written in Latin letters");
            }
        }
    }

    pub fn person_name(&mut self, path: &str, name: &PersonName) {
        if let Some(f) = &name.full {
            self.written_name(&format!("{path}.full"), f);
        }
        if let Some(g) = &name.given {
            self.written_name(&format!("{path}.given"), g);
        }
        if let Some(f) = &name.family {
            self.written_name(&format!("{path}.family"), f);
        }
        for (i, n) in name.other.iter().enumerate() {
            self.written_name(&format!("{path}.other[{i}]"), n);
        }
        for (i, n) in name.nicknames.iter().enumerate() {
            self.written_name(&format!("{path}.nicknames[{i}]"), n);
        }
    }

    /// Normalises the date in place; returns its Gregorian span when valid.
    pub fn calendar_date(&mut self, path: &str, date: &mut CalendarDate) -> Option<DateInterval> {
        match date.normalise(self.today) {
            Ok(()) => date.gregorian,
            Err(e) => {
                self.fail(path, e.to_string());
                None
            }
        }
    }

    pub fn age_estimate(
        &mut self,
        path: &str,
        estimate: &mut AgeEstimate,
        max_years: u8,
    ) -> Option<DateInterval> {
        if estimate.max_years > max_years {
            self.fail(
                format!("{path}.max_years"),
                format!("must be at most {max_years}"),
            );
            return None;
        }
        match estimate.normalise(self.today) {
            Ok(()) => estimate.gregorian,
            Err(e) => {
                self.fail(path, e.to_string());
                None
            }
        }
    }

    pub fn country(&mut self, path: &str, code: &mut CountryCode) {
        code.normalise();
        if !code.is_valid() {
            self.fail(path, "is not an ISO 3166-1 alpha-2 country code");
        }
    }

    pub fn countries(&mut self, path: &str, codes: &mut [CountryCode]) {
        for (i, c) in codes.iter_mut().enumerate() {
            self.country(&format!("{path}[{i}]"), c);
        }
        self.no_duplicates(path, codes);
    }

    pub fn languages(&mut self, path: &str, codes: &mut [LanguageCode]) {
        for (i, c) in codes.iter_mut().enumerate() {
            c.normalise();
            if !c.is_valid() {
                self.fail(format!("{path}[{i}]"), "is not an ISO 639-1 language code");
            }
        }
        self.no_duplicates(path, codes);
    }

    pub fn no_duplicates<T: PartialEq>(&mut self, path: &str, items: &[T]) {
        for (i, item) in items.iter().enumerate() {
            if items[..i].contains(item) {
                self.fail(format!("{path}[{i}]"), "is listed twice");
            }
        }
    }

    pub fn not_in_future(&mut self, path: &str, date: NaiveDate) {
        if date > self.today {
            self.fail(path, "is in the future");
        }
    }
}
