//! kinlink's statistics: disaggregated, anonymised indicators for policy and
//! treaty reporting, released only through disclosure control.
//!
//! A statistician, a ministry or an immigration authority may see these
//! figures and nothing more (the firewall in `kinlink-policy` allows
//! immigration enforcement `Resource::Statistics` only), so everything that
//! leaves this crate is a [`ReleasedTable`]: labels from closed vocabularies
//! ([`Label`]) and numbers, with small cells suppressed and protected against
//! recovery from the totals. A [`Table`] holds exact figures and has no way
//! out except [`Table::release`] / [`Table::release_with_noise`].
//!
//! Pure, like the core: the caller loads the records and passes them in;
//! randomness for noise is passed in too.
//!
//! Start at [`Indicator`] (what is counted), then [`Engine`], then the
//! `disclosure` module (how it is protected), then [`reports`].

mod config;
mod dims;
pub mod disclosure;
mod engine;
mod error;
mod indicator;
mod noise;
pub mod reports;
mod table;

pub use config::{RegionMap, ServiceKindKey, StatsConfig, Window};
pub use dims::{
    AgeBand, CaseloadBand, Dimension, Disability, Granularity, Label, MatchOutcome, Nationality, Period,
};
pub use disclosure::{
    Category, DEFAULT_THRESHOLD, DisclosureNote, DisclosurePolicy, Figure, Hidden, MIN_THRESHOLD, NoiseNote,
    ReleasedCell, ReleasedTable,
};
pub use engine::{Engine, compute};
pub use error::StatsError;
pub use indicator::{Indicator, MatchReview, Unit, ValueUnit};
pub use noise::{PrivacyBudget, geometric_variance};
pub use reports::{DetentionReport, ReportPeriod, Section, TreatyReport};
pub use table::{MAX_CELLS, MAX_DIMENSIONS, Table, TableSpec};

#[cfg(test)]
mod disclosure_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod release_tests;
#[cfg(test)]
mod tests;
