//! kinlink's domain: what a child protection caseworker records.
//!
//! This crate is pure: no I/O, no clock, no randomness. Whatever needs "now"
//! (validation rejects dates in the future) takes it as an argument, and ids are
//! minted by the store. That keeps every rule here testable with plain values.
//!
//! Start reading at [`ChildCase`] and [`TracingRequest`]; the way in from the
//! outside world is [`Validated::new`], which checks a record and fills its
//! derived fields (Gregorian intervals of dates given in other calendars).

pub mod codes;
pub mod dates;
pub mod ids;
pub mod json;
pub mod names;
pub mod record;
pub mod validation;

mod child;
mod tracing;

pub use child::{
    Accompaniment, Address, CareArrangement, CareArrangementKind, ChildCase, ChildIdentity, Contact,
    DocumentKind, FamilyMember, IdentityDocument, LifeStatus, Place, Relation, Separation, SeparationCause,
    Sex, TracingStatus, Vulnerability,
};
pub use codes::{CountryCode, LanguageCode};
pub use dates::{AgeEstimate, Calendar, CalendarDate, DateError, DateInterval, PartialDate, latest_today};
pub use ids::{RecordId, RecordKind, RecordNumber};
pub use names::{PersonName, Script, WrittenName};
pub use record::Record;
pub use tracing::{Inquirer, TracingRequest};
pub use validation::{FieldError, Validated, ValidationErrors};
