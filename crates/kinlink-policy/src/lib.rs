//! kinlink's access policy: who may do what to which record, for which
//! purpose, seeing which fields. Pure: no I/O, no clock.
//!
//! - [`vocab`]: agencies and their types, roles, resources, actions, scopes,
//!   purposes, the [`Principal`] who asks and the [`RecordContext`] of a record.
//! - [`FieldGroup`]: fields grouped by sensitivity; [`classify`] maps every
//!   field of [`kinlink_core::ChildCase`] and [`kinlink_core::TracingRequest`] to one.
//! - [`rules`]: the tables (what each purpose covers, what each role grants).
//! - [`authorize`]: the one decision function. It calls [`firewall`] first: no
//!   principal of an immigration-enforcement agency and no request for
//!   immigration enforcement gets anything but anonymised statistics.
//! - [`View`]: the access-reduced record, built only by [`Grant::view`]; with
//!   [`Releasable`] it is the only form of a record meant for output.
//!
//! The way through, in a handler: `let grant = authorize(&principal,
//! AccessRequest::new(resource, action, purpose))?;` then
//! `grant.view(&context, &record)?` to send it, `grant.apply_update(...)` to
//! change it, `grant.scope()` to filter a listing.

pub mod classify;
mod decision;
mod groups;
pub mod rules;
mod view;
pub mod vocab;

pub use decision::{AccessRequest, Denial, FirewallRule, Grant, authorize, firewall};
pub use groups::{FieldGroup, FieldGroups};
pub use view::{PolicyError, Releasable, View, resource_of};
pub use vocab::{
    Action, Agency, AgencyId, AgencyType, Principal, Purpose, RecordContext, Resource, Role, Scope, TeamId,
    UserId, Via,
};
