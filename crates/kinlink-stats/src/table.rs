//! Tables before disclosure control: exact counts, held privately.
//!
//! A [`Table`] has no public accessor for its cells and no `Serialize`: the
//! only way out is [`Table::release`] or [`Table::release_with_noise`]
//! (module `disclosure`), which suppress and audit before anything leaves.

use std::collections::HashMap;

use crate::dims::{Dimension, Label};
use crate::error::StatsError;
use crate::indicator::{Contribution, Indicator, Unit};

/// Most dimensions in one table. Beyond this nearly every cell is small and
/// suppressed anyway.
pub const MAX_DIMENSIONS: usize = 6;
/// Most cells, totals included, in one table.
pub const MAX_CELLS: usize = 2_000_000;

/// What to compute: an indicator broken down by some dimensions (none: one figure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    pub indicator: Indicator,
    pub dimensions: Vec<Dimension>,
}

impl TableSpec {
    pub fn new(indicator: Indicator, dimensions: &[Dimension]) -> Self {
        Self {
            indicator,
            dimensions: dimensions.to_vec(),
        }
    }

    pub(crate) fn check(&self) -> Result<(), StatsError> {
        if self.dimensions.len() > MAX_DIMENSIONS {
            return Err(StatsError::TooManyDimensions { max: MAX_DIMENSIONS });
        }
        for (i, d) in self.dimensions.iter().enumerate() {
            if self.dimensions[..i].contains(d) {
                return Err(StatsError::RepeatedDimension);
            }
            if !self.indicator.dimensions().contains(d) {
                return Err(StatsError::DimensionNotApplicable {
                    indicator: self.indicator,
                    dimension: *d,
                });
            }
        }
        Ok(())
    }
}

/// One cell's exact aggregates.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CellAcc {
    /// Children, guardians or events in the cell.
    pub count: u64,
    /// The same with each unit's contributions capped (for noisy releases).
    pub clipped: u64,
    /// Contributions whose target could be judged, and those that met it.
    pub assessed: u64,
    pub met: u64,
    /// Durations (or caseloads) to summarise.
    pub values: Vec<f64>,
}

impl CellAcc {
    fn merge(&mut self, other: &CellAcc) {
        self.count += other.count;
        self.clipped += other.clipped;
        self.assessed += other.assessed;
        self.met += other.met;
        self.values.extend_from_slice(&other.values);
    }
}

type Key = [u32; MAX_DIMENSIONS];

#[derive(Debug, Default)]
struct Interner {
    index: HashMap<Label, u32>,
    labels: Vec<Label>,
}

impl Interner {
    fn id(&mut self, label: Label) -> u32 {
        if let Some(id) = self.index.get(&label) {
            return *id;
        }
        let id = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        self.labels.push(label.clone());
        self.index.insert(label, id);
        id
    }
}

/// The child-level labels a contribution is placed by (see `CaseDims`).
pub(crate) trait Labels {
    fn label(&self, dimension: Dimension, contribution: &Contribution) -> Option<Label>;
}

/// Accumulates one table while records stream past.
#[derive(Debug)]
pub(crate) struct TableBuilder {
    pub spec: TableSpec,
    interners: Vec<Interner>,
    cells: HashMap<Key, CellAcc>,
    /// Per-unit contribution cap for the noisy counts.
    cap: u32,
    scratch: Vec<(Key, CellAcc)>,
}

impl TableBuilder {
    pub fn new(spec: TableSpec, max_events_per_child: u32) -> Self {
        let interners = spec
            .dimensions
            .iter()
            .map(|d| {
                let mut interner = Interner::default();
                for label in d.fixed_labels().unwrap_or_default() {
                    interner.id(label);
                }
                interner
            })
            .collect();
        let cap = spec
            .indicator
            .max_contributions()
            .unwrap_or(max_events_per_child.max(1));
        Self {
            spec,
            interners,
            cells: HashMap::new(),
            cap,
            scratch: Vec::new(),
        }
    }

    /// Add one record's contributions. A child counted by a child-unit
    /// indicator is counted once per cell, however many contributions land there.
    pub fn add(&mut self, labels: &impl Labels, contributions: &[Contribution]) {
        self.scratch.clear();
        'next: for c in contributions {
            let mut key = [0u32; MAX_DIMENSIONS];
            for (i, d) in self.spec.dimensions.iter().enumerate() {
                // Applicability is checked when the spec is accepted; a missing
                // label would be an internal mistake, and the contribution is
                // left out rather than put in a wrong cell.
                let Some(label) = labels.label(*d, c) else {
                    continue 'next;
                };
                key[i] = self.interners[i].id(label);
            }
            let acc = CellAcc {
                count: 1,
                clipped: 0,
                assessed: u64::from(c.met.is_some()),
                met: u64::from(c.met == Some(true)),
                values: c.value.into_iter().collect(),
            };
            if self.spec.indicator.unit() == Unit::Child
                && let Some((_, same)) = self.scratch.iter_mut().find(|(k, _)| *k == key)
            {
                // Same child, same cell: one count, values added up (e.g. days in two stays).
                if !acc.values.is_empty() {
                    let total: f64 = same.values.iter().chain(&acc.values).sum();
                    same.values = vec![total];
                }
                if acc.assessed == 1 {
                    same.met = if same.assessed == 1 {
                        same.met.min(acc.met)
                    } else {
                        acc.met
                    };
                    same.assessed = 1;
                }
                continue;
            }
            self.scratch.push((key, acc));
        }
        for (i, (key, acc)) in self.scratch.iter_mut().enumerate() {
            acc.clipped = u64::from(i < self.cap as usize);
            self.cells.entry(*key).or_default().merge(acc);
        }
    }

    /// Dense interior cells in label order.
    pub fn finish(self) -> Result<Table, StatsError> {
        let k = self.spec.dimensions.len();
        let mut categories = Vec::with_capacity(k);
        let mut remap = Vec::with_capacity(k);
        for interner in self.interners {
            let mut order: Vec<(Label, u32)> = interner.labels.into_iter().zip(0..).collect();
            order.sort_by(|a, b| a.0.cmp(&b.0));
            let mut to_sorted = vec![0u32; order.len()];
            for (sorted, (_, old)) in order.iter().enumerate() {
                to_sorted[*old as usize] = u32::try_from(sorted).unwrap_or(u32::MAX);
            }
            categories.push(order.into_iter().map(|(l, _)| l).collect::<Vec<_>>());
            remap.push(to_sorted);
        }
        let shape = Shape::new(categories.iter().map(Vec::len).collect());
        if shape.augmented_len().is_none_or(|n| n > MAX_CELLS) {
            return Err(StatsError::TableTooLarge { max: MAX_CELLS });
        }
        let mut cells = vec![CellAcc::default(); shape.interior_len()];
        for (key, acc) in self.cells {
            let coords: Vec<usize> = (0..k).map(|d| remap[d][key[d] as usize] as usize).collect();
            cells[shape.interior_index(&coords)] = acc;
        }
        let sensitivity = self.cap;
        Ok(Table {
            indicator: self.spec.indicator,
            dimensions: self.spec.dimensions,
            categories,
            shape,
            cells,
            sensitivity,
        })
    }
}

/// Sizes of a table's dimensions and the index arithmetic of its interior
/// cells and of the "augmented" table that adds a total to every dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub sizes: Vec<usize>,
}

impl Shape {
    pub fn new(sizes: Vec<usize>) -> Self {
        Self { sizes }
    }
    pub fn interior_len(&self) -> usize {
        self.sizes.iter().product()
    }
    pub fn augmented_len(&self) -> Option<usize> {
        self.sizes.iter().try_fold(1usize, |n, s| n.checked_mul(s + 1))
    }
    pub fn interior_index(&self, coords: &[usize]) -> usize {
        coords.iter().zip(&self.sizes).fold(0, |i, (c, s)| i * s + c)
    }
    /// Stride of dimension `d` in the augmented table (row-major, last fastest).
    pub fn augmented_stride(&self, d: usize) -> usize {
        self.sizes[d + 1..].iter().map(|s| s + 1).product()
    }
    /// Coordinates of an augmented index; coordinate `sizes[d]` is the total.
    pub fn augmented_coords(&self, mut index: usize) -> Vec<usize> {
        let mut coords = vec![0; self.sizes.len()];
        for d in (0..self.sizes.len()).rev() {
            let a = self.sizes[d] + 1;
            coords[d] = index % a;
            index /= a;
        }
        coords
    }
    pub fn interior_coords(&self, mut index: usize) -> Vec<usize> {
        let mut coords = vec![0; self.sizes.len()];
        for d in (0..self.sizes.len()).rev() {
            coords[d] = index % self.sizes[d];
            index /= self.sizes[d];
        }
        coords
    }
}

/// An indicator's exact figures. Not serialisable, no cell accessors: release
/// it through disclosure control.
#[derive(Debug)]
pub struct Table {
    pub(crate) indicator: Indicator,
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) categories: Vec<Vec<Label>>,
    pub(crate) shape: Shape,
    pub(crate) cells: Vec<CellAcc>,
    /// Most interior cells one unit can change (noisy counts are capped to it).
    pub(crate) sensitivity: u32,
}

impl Table {
    pub fn indicator(&self) -> Indicator {
        self.indicator
    }
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Exact cell for tests that compare with hand-computed figures.
    #[cfg(test)]
    pub(crate) fn exact(&self, labels: &[&str]) -> Option<&CellAcc> {
        let coords: Option<Vec<usize>> = labels
            .iter()
            .zip(&self.categories)
            .map(|(want, cats)| cats.iter().position(|l| l.code() == *want))
            .collect();
        coords.map(|c| &self.cells[self.shape.interior_index(&c)])
    }
}
