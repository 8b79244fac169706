//! The reports the texts ask for, as data: the annual report on children in
//! immigration detention, and the periodic treaty-reporting table. Both hold
//! released tables only, and render to CSV (one row per cell) and JSON.
//! HTML/SVG rendering belongs to the web application (phase 2).

use chrono::NaiveDate;
use kinlink_casework::CaseFile;
use kinlink_core::ChildCase;
use serde::Serialize;

use crate::config::{StatsConfig, Window};
use crate::dims::Dimension;
use crate::disclosure::{Category, DisclosurePolicy, Figure, Hidden, ReleasedTable};
use crate::engine::Engine;
use crate::error::StatsError;
use crate::indicator::{Indicator, ValueUnit};
use crate::table::TableSpec;

/// A named table of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    pub name: &'static str,
    pub table: ReleasedTable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
    pub reference_date: NaiveDate,
}

/// Children in immigration detention during a year: how many, by sex, by
/// accompaniment, by centre, and days detained (in the `children` section:
/// median, 90th percentile and total days within the year).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DetentionReport {
    pub period: ReportPeriod,
    pub sections: Vec<Section>,
}

const DETENTION_SECTIONS: [(&str, &[Dimension]); 4] = [
    ("children_detained", &[]),
    ("by_sex", &[Dimension::Sex]),
    ("by_accompaniment", &[Dimension::Accompaniment]),
    ("by_centre", &[Dimension::Centre]),
];

impl DetentionReport {
    /// The report for calendar `year`. `config.window` is replaced by the year;
    /// the reference date is kept (usually the year's last day or later).
    pub fn compute<'a>(
        config: StatsConfig,
        policy: &DisclosurePolicy,
        year: i32,
        cases: impl IntoIterator<Item = (&'a ChildCase, &'a CaseFile)>,
    ) -> Result<Self, StatsError> {
        let (mut engine, period) = Self::start(config, year)?;
        for (case, file) in cases {
            engine.add_case(case, file);
        }
        Self::finish(engine, period, policy)
    }

    /// For records streamed in one at a time (from a store): the engine to
    /// feed the cases to, then [`DetentionReport::finish`].
    pub fn start(mut config: StatsConfig, year: i32) -> Result<(Engine, ReportPeriod), StatsError> {
        let window = Window::year(year)?;
        config.window = Some(window);
        let period = ReportPeriod {
            from: window.from(),
            to: window.to(),
            reference_date: config.reference_date,
        };
        let specs: Vec<TableSpec> = DETENTION_SECTIONS
            .iter()
            .map(|(_, dims)| TableSpec::new(Indicator::ChildrenDetained, dims))
            .collect();
        Ok((Engine::new(config, &specs)?, period))
    }

    /// The report from an engine made by [`DetentionReport::start`].
    pub fn finish(
        engine: Engine,
        period: ReportPeriod,
        policy: &DisclosurePolicy,
    ) -> Result<Self, StatsError> {
        let sections = release(engine, policy, &DETENTION_SECTIONS.map(|(n, _)| n))?;
        Ok(Self { period, sections })
    }

    pub fn to_csv(&self) -> Result<String, StatsError> {
        sections_csv(&self.sections)
    }
}

/// The periodic treaty-reporting table: children registered by nationality ×
/// sex × age band, unaccompanied and separated children by nationality × sex,
/// guardians appointed within the deadline, best-interests determinations and
/// durable solutions by solution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreatyReport {
    pub period: Option<ReportPeriod>,
    pub sections: Vec<Section>,
}

const TREATY_SECTIONS: [(&str, Indicator, &[Dimension]); 5] = [
    (
        "children_registered",
        Indicator::ChildrenRegistered,
        &[Dimension::Nationality, Dimension::Sex, Dimension::AgeBand],
    ),
    (
        "unaccompanied_or_separated",
        Indicator::UnaccompaniedOrSeparated,
        &[Dimension::Nationality, Dimension::Sex],
    ),
    (
        "guardian_appointed_within_deadline",
        Indicator::GuardianAppointment,
        &[Dimension::Sex],
    ),
    ("bids_completed", Indicator::BidsCompleted, &[Dimension::Solution]),
    (
        "durable_solutions",
        Indicator::DurableSolutions,
        &[Dimension::Solution],
    ),
];

impl TreatyReport {
    pub fn specs() -> Vec<TableSpec> {
        TREATY_SECTIONS
            .iter()
            .map(|(_, indicator, dims)| TableSpec::new(*indicator, dims))
            .collect()
    }

    /// Children identified in `config.window` (all, without one).
    pub fn compute<'a>(
        config: StatsConfig,
        policy: &DisclosurePolicy,
        cases: impl IntoIterator<Item = (&'a ChildCase, &'a CaseFile)>,
    ) -> Result<Self, StatsError> {
        let (mut engine, period) = Self::start(config)?;
        for (case, file) in cases {
            engine.add_case(case, file);
        }
        Self::finish(engine, period, policy)
    }

    /// For records streamed in one at a time (from a store): the engine to
    /// feed the cases to, then [`TreatyReport::finish`].
    pub fn start(config: StatsConfig) -> Result<(Engine, Option<ReportPeriod>), StatsError> {
        let period = config.window.map(|w| ReportPeriod {
            from: w.from(),
            to: w.to(),
            reference_date: config.reference_date,
        });
        Ok((Engine::new(config, &Self::specs())?, period))
    }

    /// The report from an engine made by [`TreatyReport::start`].
    pub fn finish(
        engine: Engine,
        period: Option<ReportPeriod>,
        policy: &DisclosurePolicy,
    ) -> Result<Self, StatsError> {
        let sections = release(engine, policy, &TREATY_SECTIONS.map(|(n, _, _)| n))?;
        Ok(Self { period, sections })
    }

    pub fn to_csv(&self) -> Result<String, StatsError> {
        sections_csv(&self.sections)
    }
}

fn release(
    engine: Engine,
    policy: &DisclosurePolicy,
    names: &[&'static str],
) -> Result<Vec<Section>, StatsError> {
    Ok(engine
        .finish()?
        .iter()
        .zip(names)
        .map(|(table, name)| Section {
            name,
            table: table.release(policy),
        })
        .collect())
}

fn figure<T: ToString + Copy>(f: Option<Figure<T>>) -> String {
    match f {
        None => String::new(),
        Some(Figure::Value(v)) => v.to_string(),
        Some(Figure::Hidden(Hidden::Suppressed)) => "suppressed".to_owned(),
        Some(Figure::Hidden(Hidden::NotReleasedWithNoise)) => "not_released".to_owned(),
    }
}

fn unit_suffix(unit: Option<ValueUnit>) -> &'static str {
    match unit {
        Some(ValueUnit::Hours) => "hours",
        Some(ValueUnit::Days) => "days",
        Some(ValueUnit::Children) => "children",
        None => "",
    }
}

impl ReleasedTable {
    /// One row per cell: a column per dimension (`total` for a margin), the
    /// count, and the summaries the indicator has. Hidden figures read
    /// `suppressed` (or `not_released` under noise).
    pub fn to_csv(&self) -> Result<String, StatsError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let suffix = unit_suffix(self.value_unit());
        let mut header: Vec<String> = self.dimensions().iter().map(|d| d.as_str().to_owned()).collect();
        header.push("count".into());
        if self.value_unit().is_some() {
            header.extend([
                format!("median_{suffix}"),
                format!("p90_{suffix}"),
                format!("total_{suffix}"),
            ]);
        }
        let with_share = self.cells().first().is_some_and(|c| c.share_met().is_some());
        if with_share {
            header.push("share_within_target".into());
        }
        w.write_record(&header).map_err(csv_error)?;
        for cell in self.cells() {
            let mut row: Vec<String> = cell.categories().iter().map(|c| c.code()).collect();
            row.push(figure(Some(cell.count())));
            if self.value_unit().is_some() {
                row.extend([figure(cell.median()), figure(cell.p90()), figure(cell.sum())]);
            }
            if with_share {
                row.push(figure(cell.share_met()));
            }
            w.write_record(&row).map_err(csv_error)?;
        }
        finish(w)
    }
}

/// Several tables in one CSV: `table`, `breakdown` (`sex=female;age_band=0-4`,
/// or `total`), then the figures.
fn sections_csv(sections: &[Section]) -> Result<String, StatsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "table",
        "breakdown",
        "count",
        "median",
        "p90",
        "total",
        "unit",
        "share_within_target",
    ])
    .map_err(csv_error)?;
    for section in sections {
        let t = &section.table;
        for cell in t.cells() {
            let parts: Vec<String> = t
                .dimensions()
                .iter()
                .zip(cell.categories())
                .filter(|(_, c)| **c != Category::Total)
                .map(|(d, c)| format!("{}={}", d.as_str(), c.code()))
                .collect();
            let breakdown = if parts.is_empty() {
                "total".to_owned()
            } else {
                parts.join(";")
            };
            w.write_record([
                section.name.to_owned(),
                breakdown,
                figure(Some(cell.count())),
                figure(cell.median()),
                figure(cell.p90()),
                figure(cell.sum()),
                unit_suffix(t.value_unit()).to_owned(),
                figure(cell.share_met()),
            ])
            .map_err(csv_error)?;
        }
    }
    finish(w)
}

fn csv_error(e: csv::Error) -> StatsError {
    StatsError::Csv(e.to_string())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, StatsError> {
    let bytes = w.into_inner().map_err(|e| StatsError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| StatsError::Csv(e.to_string()))
}
