//! What can go wrong. Messages name the problem, never a value from a record.

use crate::dims::Dimension;
use crate::indicator::Indicator;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("{indicator:?} cannot be broken down by {dimension:?}")]
    DimensionNotApplicable {
        indicator: Indicator,
        dimension: Dimension,
    },
    #[error("a dimension appears twice in one table")]
    RepeatedDimension,
    #[error("a table has at most {max} dimensions")]
    TooManyDimensions { max: usize },
    #[error("the table would have more than {max} cells with its totals; use fewer or coarser dimensions")]
    TableTooLarge { max: usize },
    #[error("the suppression threshold must be at least {min}")]
    ThresholdTooLow { min: u64 },
    #[error("epsilon must be a finite number greater than 0")]
    InvalidEpsilon,
    #[error("this release needs epsilon {requested} but only {remaining} of the privacy budget is left")]
    BudgetExhausted { requested: f64, remaining: f64 },
    #[error("a region name must be 1 to 80 printable characters")]
    InvalidRegionName,
    #[error("the reporting window ends before it starts")]
    InvalidWindow,
    #[error("writing CSV failed: {0}")]
    Csv(String),
}
