//! The engine: records stream in once, every requested table fills at the same time.

use std::collections::HashMap;

use kinlink_casework::CaseFile;
use kinlink_core::{ChildCase, TracingRequest};

use crate::config::StatsConfig;
use crate::dims::{CaseloadBand, Dimension, Label, Period};
use crate::error::StatsError;
use crate::indicator::{
    CaseDims, Contribution, MatchReview, Source, active_guardians, case_contributions,
    match_review_contribution, reference_instant, tracing_contribution,
};
use crate::table::{Labels, Table, TableBuilder, TableSpec};

impl Labels for CaseDims {
    fn label(&self, dimension: Dimension, c: &Contribution) -> Option<Label> {
        Some(match dimension {
            Dimension::Nationality => Label::Nationality(self.nationality),
            Dimension::Sex => Label::Sex(self.sex),
            Dimension::AgeBand => Label::AgeBand(self.age_band),
            Dimension::Accompaniment => Label::Accompaniment(self.accompaniment),
            Dimension::Disability => Label::Disability(self.disability),
            Dimension::Region => Label::Region(self.region.clone()),
            Dimension::Period => Label::Period(c.period),
            Dimension::Service | Dimension::Solution | Dimension::Centre => c.extra.clone()?,
            Dimension::MatchOutcome | Dimension::CaseloadBand => return None,
        })
    }
}

/// Records with no child-level labels (tracing requests, match reviews, caseloads).
struct Unlabelled;

impl Labels for Unlabelled {
    fn label(&self, dimension: Dimension, c: &Contribution) -> Option<Label> {
        match dimension {
            Dimension::Period => Some(Label::Period(c.period)),
            Dimension::MatchOutcome | Dimension::CaseloadBand => c.extra.clone(),
            _ => None,
        }
    }
}

/// Computes the requested tables in one pass over the records. Pure: the
/// caller loads the records (phase 2: the store, with the statistics purpose).
pub struct Engine {
    config: StatsConfig,
    builders: Vec<TableBuilder>,
    /// Active guardianships per guardian, only when caseloads are asked for.
    /// Guardians' ids stay here; only the distribution leaves.
    caseloads: Option<HashMap<String, u32>>,
    scratch: Vec<Contribution>,
}

impl Engine {
    pub fn new(config: StatsConfig, specs: &[TableSpec]) -> Result<Self, StatsError> {
        for spec in specs {
            spec.check()?;
        }
        let caseloads = specs
            .iter()
            .any(|s| s.indicator.source() == Source::Caseloads)
            .then(HashMap::new);
        let builders = specs
            .iter()
            .map(|s| TableBuilder::new(s.clone(), config.max_events_per_child))
            .collect();
        Ok(Self {
            config,
            builders,
            caseloads,
            scratch: Vec::new(),
        })
    }

    pub fn add_case(&mut self, case: &ChildCase, file: &CaseFile) {
        if !self
            .builders
            .iter()
            .any(|b| b.spec.indicator.source() == Source::Case)
            && self.caseloads.is_none()
        {
            return;
        }
        let dims = CaseDims::of(case, file, &self.config);
        for builder in &mut self.builders {
            if builder.spec.indicator.source() != Source::Case {
                continue;
            }
            self.scratch.clear();
            case_contributions(
                builder.spec.indicator,
                case,
                file,
                &dims,
                &self.config,
                &mut self.scratch,
            );
            if !self.scratch.is_empty() {
                builder.add(&dims, &self.scratch);
            }
        }
        if let Some(caseloads) = &mut self.caseloads {
            for guardian in active_guardians(file, reference_instant(&self.config)) {
                match caseloads.get_mut(guardian) {
                    Some(n) => *n += 1,
                    None => {
                        caseloads.insert(guardian.to_owned(), 1);
                    }
                }
            }
        }
    }

    pub fn add_tracing_request(&mut self, request: &TracingRequest) {
        let Some(c) = tracing_contribution(request, &self.config) else {
            return;
        };
        for builder in self
            .builders
            .iter_mut()
            .filter(|b| b.spec.indicator.source() == Source::Tracing)
        {
            builder.add(&Unlabelled, std::slice::from_ref(&c));
        }
    }

    pub fn add_match_review(&mut self, review: &MatchReview) {
        let Some(c) = match_review_contribution(review, &self.config) else {
            return;
        };
        for builder in self
            .builders
            .iter_mut()
            .filter(|b| b.spec.indicator.source() == Source::MatchReview)
        {
            builder.add(&Unlabelled, std::slice::from_ref(&c));
        }
    }

    /// The tables, in the order they were asked for.
    pub fn finish(mut self) -> Result<Vec<Table>, StatsError> {
        if let Some(caseloads) = self.caseloads.take() {
            for builder in self
                .builders
                .iter_mut()
                .filter(|b| b.spec.indicator.source() == Source::Caseloads)
            {
                for &children in caseloads.values() {
                    let Some(band) = CaseloadBand::of(children) else {
                        continue;
                    };
                    let c = Contribution {
                        period: Period::Unknown,
                        extra: Some(Label::CaseloadBand(band)),
                        value: Some(f64::from(children)),
                        met: None,
                    };
                    builder.add(&Unlabelled, std::slice::from_ref(&c));
                }
            }
        }
        self.builders.into_iter().map(TableBuilder::finish).collect()
    }
}

/// One call for the common case: all records at once.
pub fn compute<'a>(
    config: StatsConfig,
    specs: &[TableSpec],
    cases: impl IntoIterator<Item = (&'a ChildCase, &'a CaseFile)>,
    requests: impl IntoIterator<Item = &'a TracingRequest>,
    reviews: impl IntoIterator<Item = &'a MatchReview>,
) -> Result<Vec<Table>, StatsError> {
    let mut engine = Engine::new(config, specs)?;
    for (case, file) in cases {
        engine.add_case(case, file);
    }
    for request in requests {
        engine.add_tracing_request(request);
    }
    for review in reviews {
        engine.add_match_review(review);
    }
    engine.finish()
}
