//! kinlink's web application, pure: the pages as functions from what the
//! server may show to HTML (maud), the translations (Fluent) and the static
//! assets. Nothing here reads a store or decides access: the server's web
//! handlers (`kinlink-server/src/web/`) pass in records already reduced by
//! the policy (`View`s, as JSON), so a page can only show what the API would.
//!
//! Why maud: templates are Rust, checked by the compiler (a misspelt field or
//! a missing argument fails the build), escaped by default, and composed as
//! plain functions; there are no template files to load or to get out of step
//! with the code.

pub mod form;
pub mod i18n;
pub mod pages;

pub use i18n::{LANGUAGES, Language, Tr, language, negotiate};
pub use maud::Markup;

/// The stylesheet (logical properties, so right-to-left pages mirror by themselves).
pub const CSS: &str = include_str!("../static/kinlink.css");
/// Progressive enhancement only: every page works without it.
pub const JS: &str = include_str!("../static/kinlink.js");
/// Bump when the assets change: their URLs carry it, so they can be cached for long.
pub const ASSET_VERSION: &str = "1";
