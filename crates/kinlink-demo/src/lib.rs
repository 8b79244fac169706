//! Realistic synthetic data for kinlink: registered child cases, tracing
//! requests from relatives, and the truth linking them.
//!
//! Every person is synthetic: given names, family names and places are common
//! real ones drawn from per-origin lists ([`data`]) and combined at random.
//! What is realistic is how records of the *same* child differ: another
//! script or transliteration, typos, swapped or dropped names, nicknames,
//! partial dates, other calendars, estimated ages, approximate separation
//! dates, missing fields. And how records of *different* children agree:
//! common names repeat, siblings share parents and places.
//!
//! Generation happens in two passes. First a compact latent population is
//! drawn (families, children, who is registered, who is sought by whom);
//! then each record is rendered from it, in id order, as a registrar or an
//! inquirer would write it. Rendering streams, so a million cases need
//! little memory with [`generate_streaming`] or [`generate_to_dir`].
//!
//! Ids are assigned in random order, so neither id order nor file order
//! tells which records belong together.

pub mod calendar;
mod data;
mod noise;
mod plan;
mod render;
mod translit;
mod write;

use kinlink_interchange::InterchangeRow;

pub use write::{DemoError, DemoFiles, generate_to_dir, write_dir};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of registered child cases.
    pub children: usize,
    /// Number of tracing requests; `None` = `children * 4 / 5`.
    pub requests: Option<usize>,
    /// Same seed, same dataset, on every platform.
    pub seed: u64,
}

impl DemoConfig {
    pub const DEFAULT_SEED: u64 = 2026;

    /// `children` cases, the default number of requests and the default seed.
    pub fn new(children: usize) -> Self {
        DemoConfig {
            children,
            requests: None,
            seed: Self::DEFAULT_SEED,
        }
    }

    /// The number of requests that will be generated.
    pub fn request_count(&self) -> usize {
        self.requests.unwrap_or(self.children.saturating_mul(4) / 5)
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig::new(1000)
    }
}

/// A generated dataset, all in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoDataset {
    /// Registered children, ids `C000001`... in order.
    pub cases: Vec<InterchangeRow>,
    /// Tracing requests, ids `R000001`... in order.
    pub requests: Vec<InterchangeRow>,
    /// Which case each request is really about, and registered siblings.
    pub truth: Vec<TruthPair>,
    /// Origin and script of every case, then every request.
    pub meta: Vec<RecordMeta>,
}

/// One true link between a request and a case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TruthPair {
    pub request_id: String,
    pub case_id: String,
    pub relation: TruthRelation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TruthRelation {
    /// The case is the child the request is looking for.
    SameChild,
    /// The case is a registered sibling of the sought child: a lead, not a match.
    Sibling,
}

impl TruthRelation {
    pub fn as_str(self) -> &'static str {
        match self {
            TruthRelation::SameChild => "same_child",
            TruthRelation::Sibling => "sibling",
        }
    }
}

/// Benchmark metadata for one record (case or request).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordMeta {
    pub id: String,
    pub origin: Origin,
    /// Script of the given name as written: "latin", "arabic", "ethiopic" or "cyrillic".
    pub script: &'static str,
}

/// Where a child comes from; decides naming conventions, scripts, calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Syrian,
    Iraqi,
    Sudanese,
    Afghan,
    Somali,
    Eritrean,
    CentralAmerican,
    Ukrainian,
    Congolese,
}

impl Origin {
    pub const ALL: [Origin; 9] = [
        Origin::Syrian,
        Origin::Iraqi,
        Origin::Sudanese,
        Origin::Afghan,
        Origin::Somali,
        Origin::Eritrean,
        Origin::CentralAmerican,
        Origin::Ukrainian,
        Origin::Congolese,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Syrian => "syrian",
            Origin::Iraqi => "iraqi",
            Origin::Sudanese => "sudanese",
            Origin::Afghan => "afghan",
            Origin::Somali => "somali",
            Origin::Eritrean => "eritrean",
            Origin::CentralAmerican => "central_american",
            Origin::Ukrainian => "ukrainian",
            Origin::Congolese => "congolese",
        }
    }

    /// Inverse of [`Origin::as_str`].
    pub fn parse(s: &str) -> Option<Origin> {
        Origin::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub(crate) fn data(self) -> &'static data::OriginData {
        match self {
            Origin::Syrian => &data::SYRIAN,
            Origin::Iraqi => &data::IRAQI,
            Origin::Sudanese => &data::SUDANESE,
            Origin::Afghan => &data::AFGHAN,
            Origin::Somali => &data::SOMALI,
            Origin::Eritrean => &data::ERITREAN,
            Origin::CentralAmerican => &data::CENTRAL_AMERICAN,
            Origin::Ukrainian => &data::UKRAINIAN,
            Origin::Congolese => &data::CONGOLESE,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of output from [`generate_streaming`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoItem {
    Case { row: InterchangeRow, meta: RecordMeta },
    Request { row: InterchangeRow, meta: RecordMeta },
    Truth(TruthPair),
}

/// Generates the whole dataset in memory. Deterministic for a given config.
///
/// About 1 KB per record: prefer [`generate_streaming`] / [`generate_to_dir`]
/// beyond a few hundred thousand children.
pub fn generate(config: &DemoConfig) -> DemoDataset {
    let requests = config.request_count();
    let mut ds = DemoDataset {
        cases: Vec::with_capacity(config.children),
        requests: Vec::with_capacity(requests),
        truth: Vec::with_capacity(requests + requests / 2),
        meta: Vec::with_capacity(config.children + requests),
    };
    let never: Result<(), std::convert::Infallible> = generate_streaming(config, |item| {
        match item {
            DemoItem::Case { row, meta } => {
                ds.cases.push(row);
                ds.meta.push(meta);
            }
            DemoItem::Request { row, meta } => {
                ds.requests.push(row);
                ds.meta.push(meta);
            }
            DemoItem::Truth(t) => ds.truth.push(t),
        }
        Ok(())
    });
    match never {
        Ok(()) => ds,
        Err(e) => match e {},
    }
}

/// Generates the dataset item by item: every case in id order, then every
/// request in id order, each request followed by its truth pairs. Stops at
/// the first error the sink returns.
///
/// Records are rendered on all available cores (batches of 16,384) while
/// the sink runs on the calling thread; the output does not depend on the
/// number of cores. Memory stays at the latent population (~100 bytes a
/// child) plus a few batches.
pub fn generate_streaming<E>(
    config: &DemoConfig,
    mut sink: impl FnMut(DemoItem) -> Result<(), E>,
) -> Result<(), E> {
    let plan = plan::Plan::draw(config);
    let case_w = id_width(plan.case_child.len());
    let req_w = id_width(plan.requests.len());
    let case_id = |i: usize| format!("C{:0w$}", i + 1, w = case_w);
    let request_id = |i: usize| format!("R{:0w$}", i + 1, w = req_w);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let seed = config.seed;
    let (plan, case_id) = (&plan, &case_id);

    // A producer renders batches ahead (itself on `workers` threads) while
    // this thread hands finished ones to the sink, e.g. a CSV writer.
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(bool, usize, Vec<Rendered>)>(2);
        s.spawn(move || {
            for start in (0..plan.case_child.len()).step_by(CHUNK) {
                let end = (start + CHUNK).min(plan.case_child.len());
                let rows = render_chunk(plan, seed, start..end, workers, |r, i| {
                    r.case(i, plan.case_child[i], case_id(i))
                });
                if tx.send((true, start, rows)).is_err() {
                    return; // the sink failed; nobody is listening
                }
            }
            for start in (0..plan.requests.len()).step_by(CHUNK) {
                let end = (start + CHUNK).min(plan.requests.len());
                let rows = render_chunk(plan, seed, start..end, workers, |r, i| {
                    r.request(i, &plan.requests[i], request_id(i))
                });
                if tx.send((false, start, rows)).is_err() {
                    return;
                }
            }
        });
        for (is_case, start, rows) in rx {
            if is_case {
                for (row, meta) in rows {
                    sink(DemoItem::Case { row, meta })?;
                }
                continue;
            }
            for ((row, meta), i) in rows.into_iter().zip(start..) {
                let id = row.id.clone();
                sink(DemoItem::Request { row, meta })?;
                for (case, relation) in plan.truth_for(&plan.requests[i]) {
                    sink(DemoItem::Truth(TruthPair {
                        request_id: id.clone(),
                        case_id: case_id(case as usize),
                        relation,
                    }))?;
                }
            }
        }
        Ok(())
    })
}

type Rendered = (InterchangeRow, RecordMeta);

/// Records rendered per batch: big enough to keep threads busy, small
/// enough that a streaming caller holds only a few megabytes.
const CHUNK: usize = 16_384;

/// Renders records `range` with `workers` threads, in order. Threads take
/// small blocks from a shared counter, so a busy core (the sink's) does not
/// hold the batch back. Every record has its own random stream, so the
/// result does not depend on `workers` or on scheduling.
fn render_chunk<F>(
    plan: &plan::Plan,
    seed: u64,
    range: std::ops::Range<usize>,
    workers: usize,
    one: F,
) -> Vec<Rendered>
where
    F: Fn(&mut render::Renderer<'_>, usize) -> Rendered + Sync,
{
    const BLOCK: usize = 256;
    if workers < 2 || range.len() <= BLOCK {
        let mut r = render::Renderer::new(plan, seed);
        return range.map(|i| one(&mut r, i)).collect();
    }
    let blocks = range.len().div_ceil(BLOCK);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut r = render::Renderer::new(plan, seed);
        let mut done = Vec::new();
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if b >= blocks {
                return done;
            }
            let a = range.start + b * BLOCK;
            let rows: Vec<Rendered> = (a..(a + BLOCK).min(range.end)).map(|i| one(&mut r, i)).collect();
            done.push((b, rows));
        }
    };
    let mut parts: Vec<(usize, Vec<Rendered>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut parts = work();
        for h in handles {
            match h.join() {
                Ok(p) => parts.extend(p),
                // A panic in a worker is a bug in this crate: surface it unchanged.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    parts.sort_unstable_by_key(|&(b, _)| b);
    let mut out = Vec::with_capacity(range.len());
    for (_, rows) in parts {
        out.extend(rows);
    }
    out
}

/// Ids are zero-padded to at least 6 digits, more when the count needs it.
fn id_width(n: usize) -> usize {
    n.to_string().len().max(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_does_not_depend_on_threads_or_order() {
        let plan = plan::Plan::draw(&DemoConfig::new(3000));
        let f = |r: &mut render::Renderer<'_>, i: usize| r.case(i, plan.case_child[i], format!("C{i}"));
        let one = render_chunk(&plan, 1, 0..3000, 1, f);
        let three = render_chunk(&plan, 1, 0..3000, 3, f);
        assert_eq!(one, three);
        let mut r = render::Renderer::new(&plan, 1);
        assert_eq!(r.case(1234, plan.case_child[1234], "C1234".into()), one[1234]);
    }

    #[test]
    fn id_widths() {
        assert_eq!(id_width(0), 6);
        assert_eq!(id_width(999_999), 6);
        assert_eq!(id_width(1_000_000), 7);
    }

    #[test]
    fn origin_names_round_trip() {
        for o in Origin::ALL {
            assert_eq!(Origin::parse(o.as_str()), Some(o));
        }
        assert_eq!(Origin::CentralAmerican.to_string(), "central_american");
    }
}
