//! The latent population: who exists, who is registered, who is sought.
//!
//! Kept compact (indices into the static tables, dates as day numbers) so a
//! million children fit in tens of megabytes; the text of every record is
//! produced later by `render`.

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{DemoConfig, Origin, TruthRelation};

/// Day number (days since 0001-01-01, chrono's `num_days_from_ce`).
pub type Day = i32;

/// The last day any record can carry. Fixed, so output does not depend on the clock.
pub fn today() -> Day {
    day(2025, 12, 31)
}

pub fn day(y: i32, m: u32, d: u32) -> Day {
    use chrono::Datelike;
    NaiveDate::from_ymd_opt(y, m, d).map_or(0, |d| d.num_days_from_ce())
}

pub fn date(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MIN)
}

/// No registered case id.
pub const NONE: u32 = u32::MAX;
/// No case date: the child was never registered.
pub const NO_DAY: Day = Day::MIN;

/// Share of requests for a child who is not registered at all.
pub const UNMATCHED_SHARE: f64 = 0.20;

#[derive(Debug, Clone)]
pub struct Family {
    pub origin: Origin,
    pub country: &'static str,
    pub place: u16,
    pub transit: u16,
    /// Shared family name (index in `family`), where the culture has one.
    pub surname: u16,
    /// Central America: the mother's first surname, the children's second.
    pub surname2: u16,
    pub father_surname2: u16,
    /// Afghan families without a family name (tazkira gives the father's name only).
    pub has_surname: bool,
    pub father: u16,
    pub grandfather: u16,
    pub great_grandfather: u16,
    pub mother: u16,
    pub mother_father: u16,
    pub mother_surname: u16,
    pub mother_surname2: u16,
    /// Bit i set = the family speaks language i of `languages(origin)`.
    pub langs: u8,
    pub separation: Day,
    pub first_child: u32,
    pub n_children: u8,
}

#[derive(Debug, Clone)]
pub struct Child {
    pub family: u32,
    pub female: bool,
    pub given: u16,
    /// Congolese postnom (index in `family`).
    pub postnom: u16,
    /// Congolese children do not always share the father's nom.
    pub own_surname: Option<u16>,
    pub birth: Day,
    pub case_date: Day,
    pub case_id: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inquirer {
    Mother,
    Father,
    Aunt,
    Uncle,
    Grandmother,
    Grandfather,
    Sibling,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub child: u32,
    pub inquirer: Inquirer,
    pub date: Day,
}

/// Zipf-like sampler over a list ordered from most to least common.
#[derive(Debug, Clone)]
pub struct Zipf {
    cum: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cum = (0..n)
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cum }
    }

    pub fn sample(&self, rng: &mut impl Rng) -> u16 {
        let Some(&total) = self.cum.last() else { return 0 };
        let u = rng.random::<f64>() * total;
        // Tables hold far fewer than 65,536 entries.
        self.cum.partition_point(|&c| c <= u).min(self.cum.len() - 1) as u16
    }
}

/// Samplers for one origin's tables.
#[derive(Debug, Clone)]
pub struct Samplers {
    pub male: Zipf,
    pub female: Zipf,
    pub family: Zipf,
    pub places: Zipf,
    pub transit: Zipf,
}

impl Samplers {
    fn new(origin: Origin) -> Self {
        let d = origin.data();
        Samplers {
            // Given names: a heavy head (Mohammad, Maria) so agreement on
            // a given name is weak evidence; family names a little flatter.
            male: Zipf::new(d.male.len(), 1.0),
            female: Zipf::new(d.female.len(), 0.9),
            family: Zipf::new(d.family.len(), 0.75),
            places: Zipf::new(d.places.len(), 0.9),
            transit: Zipf::new(d.transit.len(), 0.8),
        }
    }

    pub fn all() -> Vec<Samplers> {
        Origin::ALL.into_iter().map(Samplers::new).collect()
    }
}

/// ISO 639-1 languages spoken per origin, with the chance a family speaks each.
pub fn languages(origin: Origin) -> &'static [(&'static str, f64)] {
    match origin {
        Origin::Syrian => &[("ar", 1.0), ("ku", 0.12), ("tr", 0.08), ("en", 0.08)],
        Origin::Iraqi => &[("ar", 0.85), ("ku", 0.3), ("en", 0.06)],
        Origin::Sudanese => &[("ar", 1.0), ("en", 0.12), ("fr", 0.04)],
        Origin::Afghan => &[("fa", 0.7), ("ps", 0.45), ("ur", 0.06), ("en", 0.05)],
        Origin::Somali => &[("so", 1.0), ("ar", 0.15), ("en", 0.1), ("sw", 0.05)],
        Origin::Eritrean => &[("ti", 1.0), ("ar", 0.1), ("am", 0.12), ("en", 0.05)],
        Origin::CentralAmerican => &[("es", 1.0), ("en", 0.06)],
        Origin::Ukrainian => &[("uk", 0.9), ("ru", 0.45), ("en", 0.1), ("pl", 0.03)],
        Origin::Congolese => &[("fr", 0.6), ("ln", 0.45), ("sw", 0.5), ("lu", 0.08), ("kg", 0.08)],
    }
}

/// Origin mix of a European / Mediterranean / Americas caseload.
const ORIGIN_WEIGHTS: [(Origin, u32); 9] = [
    (Origin::Syrian, 18),
    (Origin::Afghan, 18),
    (Origin::Ukrainian, 14),
    (Origin::CentralAmerican, 12),
    (Origin::Sudanese, 10),
    (Origin::Eritrean, 8),
    (Origin::Somali, 8),
    (Origin::Iraqi, 7),
    (Origin::Congolese, 5),
];

/// Separation periods per origin (start, end, weight): crises produce peaks.
type Ymd = (i32, u32, u32);
fn windows(origin: Origin) -> &'static [((Ymd, Ymd), u32)] {
    match origin {
        Origin::Syrian => &[
            (((2015, 1, 1), (2016, 12, 31)), 5),
            (((2012, 6, 1), (2025, 9, 30)), 5),
        ],
        Origin::Iraqi => &[
            (((2014, 6, 1), (2017, 12, 31)), 6),
            (((2014, 1, 1), (2025, 9, 30)), 4),
        ],
        Origin::Sudanese => &[
            (((2023, 4, 15), (2025, 9, 30)), 7),
            (((2015, 1, 1), (2023, 4, 14)), 3),
        ],
        Origin::Afghan => &[
            (((2021, 8, 15), (2022, 12, 31)), 5),
            (((2015, 1, 1), (2025, 9, 30)), 5),
        ],
        Origin::Somali | Origin::Eritrean => &[(((2015, 1, 1), (2025, 9, 30)), 1)],
        Origin::CentralAmerican => &[
            (((2018, 10, 1), (2019, 12, 31)), 3),
            (((2021, 1, 1), (2024, 6, 30)), 4),
            (((2014, 6, 1), (2025, 9, 30)), 3),
        ],
        Origin::Ukrainian => &[
            (((2022, 2, 24), (2022, 12, 31)), 7),
            (((2023, 1, 1), (2025, 9, 30)), 3),
        ],
        Origin::Congolese => &[
            (((2022, 3, 1), (2025, 9, 30)), 6),
            (((2016, 1, 1), (2025, 9, 30)), 4),
        ],
    }
}

/// Age at separation, 0..=17: separated and unaccompanied children are mostly teenagers.
const AGE_WEIGHTS: [(i32, u32); 18] = [
    (0, 2),
    (1, 2),
    (2, 2),
    (3, 3),
    (4, 3),
    (5, 3),
    (6, 4),
    (7, 4),
    (8, 4),
    (9, 5),
    (10, 5),
    (11, 6),
    (12, 7),
    (13, 8),
    (14, 10),
    (15, 12),
    (16, 13),
    (17, 12),
];

pub struct Plan {
    pub families: Vec<Family>,
    pub children: Vec<Child>,
    /// Case id index (0-based) -> child.
    pub case_child: Vec<u32>,
    /// In request id order.
    pub requests: Vec<Request>,
    pub samplers: Vec<Samplers>,
}

pub fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|&(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for &(t, w) in items {
        if x < w {
            return t;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A delay in days: mostly short, with a long tail.
fn delay(rng: &mut impl Rng, short: Day, medium: Day, long: Day) -> Day {
    match rng.random_range(0..10) {
        0..=4 => rng.random_range(0..=short),
        5..=7 => rng.random_range(short..=medium),
        _ => rng.random_range(medium..=long),
    }
}

/// `start` plus a `delay` drawn with the given bounds, or a uniform day up to
/// `today()` when that would be in the future (clamping would pile records
/// up on the last day).
fn after(rng: &mut impl Rng, start: Day, (short, medium, long): (Day, Day, Day)) -> Day {
    let delay = delay(rng, short, medium, long);
    if start + delay <= today() {
        start + delay
    } else {
        rng.random_range(start.min(today())..=today())
    }
}

impl Plan {
    pub fn draw(config: &DemoConfig) -> Plan {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let samplers = Samplers::all();
        let mut p = Plan {
            families: Vec::with_capacity(config.children * 3 / 4 + 16),
            children: Vec::with_capacity(config.children + config.children / 4 + 16),
            case_child: vec![NONE; config.children],
            requests: Vec::with_capacity(config.request_count()),
            samplers,
        };

        // Registered families until there are exactly `children` cases.
        let mut registered = 0usize;
        let mut extras: Vec<u32> = Vec::new();
        while registered < config.children {
            let origin = weighted(&mut rng, &ORIGIN_WEIGHTS);
            // About 30% of registered children have a registered sibling.
            let size = weighted(&mut rng, &[(1usize, 85), (2, 11), (3, 3), (4, 1)]);
            let n_reg = size.min(config.children - registered);
            // Some families have a child who was never registered anywhere:
            // requests for that child can only find siblings.
            let n_unreg = usize::from(rng.random_bool(0.07));
            let f = p.new_family(&mut rng, origin, n_reg, n_unreg);
            let fam = &p.families[f as usize];
            let first = fam.first_child as usize;
            for c in first..first + fam.n_children as usize {
                if p.children[c].case_date == NO_DAY {
                    extras.push(c as u32);
                }
            }
            registered += n_reg;
        }

        // Case ids in random order: ids must not reveal families.
        let mut ids: Vec<u32> = (0..config.children as u32).collect();
        ids.shuffle(&mut rng);
        let mut next = 0usize;
        for (c, child) in p.children.iter_mut().enumerate() {
            if child.case_date != NO_DAY {
                child.case_id = ids[next];
                p.case_child[ids[next] as usize] = c as u32;
                next += 1;
            }
        }

        // Requests.
        let total = config.request_count();
        let unmatched = if config.children == 0 {
            total
        } else {
            (total as f64 * UNMATCHED_SHARE).round() as usize
        };
        let mut order: Vec<u32> = (0..config.children as u32).collect();
        order.shuffle(&mut rng);
        let mut last: Option<u32> = None;
        for k in 0..total - unmatched {
            // A few children are sought twice (mother and uncle both ask).
            let child = match last {
                Some(c) if rng.random_bool(0.04) => c,
                _ => p.case_child[order[k % order.len()] as usize],
            };
            last = Some(child);
            p.push_request(&mut rng, child);
        }
        extras.shuffle(&mut rng);
        let mut left = unmatched;
        while left > 0 {
            if rng.random_bool(0.15)
                && let Some(c) = extras.pop()
            {
                p.push_request(&mut rng, c);
                left -= 1;
                continue;
            }
            // A child nobody registered; sometimes two siblings, both sought.
            let origin = weighted(&mut rng, &ORIGIN_WEIGHTS);
            let n = if left >= 2 && rng.random_bool(0.08) { 2 } else { 1 };
            let f = p.new_family(&mut rng, origin, 0, n);
            let first = p.families[f as usize].first_child;
            for c in first..first + n as u32 {
                p.push_request(&mut rng, c);
                left -= 1;
            }
        }
        p.requests.shuffle(&mut rng);
        p
    }

    fn push_request(&mut self, rng: &mut impl Rng, child: u32) {
        let fam = &self.families[self.children[child as usize].family as usize];
        let inquirer = weighted(
            rng,
            &[
                (Inquirer::Mother, 45),
                (Inquirer::Father, 33),
                (Inquirer::Aunt, 5),
                (Inquirer::Uncle, 5),
                (Inquirer::Grandmother, 3),
                (Inquirer::Grandfather, 2),
                (Inquirer::Sibling, 7),
            ],
        );
        let date = after(rng, fam.separation, (60, 240, 1400));
        self.requests.push(Request {
            child,
            inquirer,
            date,
        });
    }

    /// Adds a family with `n_reg` registered and `n_unreg` unregistered children.
    fn new_family(&mut self, rng: &mut impl Rng, origin: Origin, n_reg: usize, n_unreg: usize) -> u32 {
        let d = origin.data();
        let s = &self.samplers[origin as usize];
        let place = s.places.sample(rng);
        let place_cc = d.places[place as usize].country;
        let country = if place_cc.is_empty() {
            d.countries[0]
        } else {
            place_cc
        };
        let surname = s.family.sample(rng);
        let surname2 = s.family.sample(rng);
        let father = s.male.sample(rng);
        let mut grandfather = s.male.sample(rng);
        if grandfather == father {
            // Naming a son after his own father happens, but rarely.
            grandfather = s.male.sample(rng);
        }
        let mut langs = 0u8;
        for (i, &(_, prob)) in languages(origin).iter().enumerate() {
            if rng.random_bool(prob) {
                langs |= 1 << i;
            }
        }
        // Everyone speaks at least one of the origin's main languages.
        let main = languages(origin)
            .iter()
            .enumerate()
            .filter(|(_, (_, prob))| *prob >= 0.4)
            .fold(0u8, |m, (i, _)| m | 1 << i);
        if langs & main == 0 {
            langs |= 1;
        }
        let ((y0, m0, d0), (y1, m1, d1)) = weighted(rng, windows(origin));
        let separation = rng.random_range(day(y0, m0, d0)..=day(y1, m1, d1));
        let mother_surname = if origin == Origin::CentralAmerican {
            surname2
        } else if origin == Origin::Ukrainian && rng.random_bool(0.8) {
            surname // took her husband's name
        } else {
            s.family.sample(rng)
        };
        let fam = Family {
            origin,
            country,
            place,
            transit: s.transit.sample(rng),
            surname,
            surname2,
            father_surname2: s.family.sample(rng),
            // Many Afghans have no family name; Iraqis often no known tribal name.
            has_surname: match origin {
                Origin::Afghan => rng.random_bool(0.55),
                Origin::Iraqi => rng.random_bool(0.7),
                _ => true,
            },
            father,
            grandfather,
            great_grandfather: s.male.sample(rng),
            mother: s.female.sample(rng),
            mother_father: s.male.sample(rng),
            mother_surname,
            mother_surname2: s.family.sample(rng),
            langs,
            separation,
            first_child: self.children.len() as u32,
            n_children: (n_reg + n_unreg) as u8,
        };
        let f = self.families.len() as u32;
        self.families.push(fam);

        let first_age = weighted(rng, &AGE_WEIGHTS);
        let case_date = after(rng, separation, (20, 150, 700));
        let mut used: Vec<(bool, u16)> = Vec::new();
        let mut prev_birth = None;
        for k in 0..n_reg + n_unreg {
            let female = rng.random_bool(0.45);
            let pool = if female { &s.female } else { &s.male };
            let mut given = pool.sample(rng);
            for _ in 0..8 {
                // Siblings get different names (and a son not his father's).
                if !used.contains(&(female, given)) && (female || given != father) {
                    break;
                }
                given = pool.sample(rng);
            }
            used.push((female, given));
            let birth = match prev_birth {
                // Twins.
                Some(b) if rng.random_bool(0.04) => b,
                _ => {
                    let age = if k == 0 {
                        first_age
                    } else {
                        let gap = rng.random_range(1..=5);
                        let a = if rng.random_bool(0.5) {
                            first_age + gap
                        } else {
                            first_age - gap
                        };
                        if a < 0 { first_age + gap } else { a.min(17) }
                    };
                    (separation - age * 365 - age / 4 - rng.random_range(0..365)).min(separation - 20)
                }
            };
            prev_birth = Some(birth);
            let registered = k < n_reg;
            let own_date = if k == 0 || rng.random_bool(0.7) {
                case_date // siblings are usually registered together
            } else {
                after(rng, separation, (20, 150, 700))
            };
            self.children.push(Child {
                family: f,
                female,
                given,
                postnom: s.family.sample(rng),
                own_surname: (origin == Origin::Congolese && k > 0 && rng.random_bool(0.3))
                    .then(|| s.family.sample(rng)),
                birth,
                case_date: if registered { own_date } else { NO_DAY },
                case_id: NONE,
            });
        }
        f
    }

    /// The true links of one request: the sought child's case (if any), and
    /// registered siblings.
    pub fn truth_for(&self, req: &Request) -> impl Iterator<Item = (u32, TruthRelation)> + '_ {
        let sought = req.child;
        let child = &self.children[sought as usize];
        let fam = &self.families[child.family as usize];
        let first = fam.first_child;
        let same = (child.case_id != NONE).then_some((child.case_id, TruthRelation::SameChild));
        let siblings = (first..first + u32::from(fam.n_children))
            .filter(move |&c| c != sought)
            .map(|c| self.children[c as usize].case_id)
            .filter(|&id| id != NONE)
            .map(|id| (id, TruthRelation::Sibling));
        same.into_iter().chain(siblings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latent_population_is_coherent() {
        let cfg = DemoConfig {
            children: 5000,
            requests: Some(4000),
            seed: 11,
        };
        let p = Plan::draw(&cfg);
        assert!(p.case_child.iter().all(|&c| c != NONE));
        let mut ids: Vec<u32> = p
            .children
            .iter()
            .filter(|c| c.case_id != NONE)
            .map(|c| c.case_id)
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..5000).collect::<Vec<u32>>(), "every case id exactly once");
        for c in &p.children {
            let f = &p.families[c.family as usize];
            assert!(c.birth < f.separation, "born before separation");
            assert!(f.separation - c.birth < 19 * 366, "a child when separated");
            if c.case_id != NONE {
                assert!(c.case_date >= f.separation && c.case_date <= today());
            }
        }
        for r in &p.requests {
            let c = &p.children[r.child as usize];
            assert!(r.date >= p.families[c.family as usize].separation && r.date <= today());
        }
        let unmatched = p
            .requests
            .iter()
            .filter(|r| p.children[r.child as usize].case_id == NONE)
            .count();
        assert_eq!(unmatched, 800, "exactly UNMATCHED_SHARE of the requests");
        // Siblings: registered together, mostly under different given names.
        let multi = p.families.iter().filter(|f| f.n_children > 1).count();
        assert!(
            multi * 100 > p.families.len() * 8,
            "{multi} of {} families",
            p.families.len()
        );
    }

    #[test]
    fn zipf_favours_the_head() {
        let z = Zipf::new(40, 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0u32; 40];
        for _ in 0..20_000 {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        assert!(counts[0] > 3 * counts[4] && counts[4] > counts[39]);
        assert_eq!(Zipf::new(0, 1.0).sample(&mut rng), 0);
    }
}
