//! Unit and property tests of the linkage module. All names and dates are
//! invented.

use chrono::NaiveDate;
use kinlink_core::{
    Address, AgeEstimate, Calendar, CalendarDate, ChildIdentity, CountryCode, DocumentKind, FamilyMember,
    IdentityDocument, PartialDate, PersonName, Place, Relation, Sex, WrittenName,
};
use proptest::prelude::*;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn identity(given: &str, family: &str) -> ChildIdentity {
    ChildIdentity {
        names: PersonName {
            given: (!given.is_empty()).then(|| WrittenName::new(given)),
            family: (!family.is_empty()).then(|| WrittenName::new(family)),
            ..PersonName::default()
        },
        ..ChildIdentity::default()
    }
}

fn born(value: PartialDate, calendar: Calendar) -> ChildIdentity {
    ChildIdentity {
        date_of_birth: Some(CalendarDate::new(value, calendar)),
        ..ChildIdentity::default()
    }
}

fn birth_level(a: &ChildIdentity, b: &ChildIdentity) -> BirthLevel {
    BirthLevel::of(Birth::of(a).as_ref(), Birth::of(b).as_ref())
}

#[test]
fn dates_in_different_calendars_meet() {
    // A Solar Hijri full date and the same day written in Gregorian.
    let shamsi = PartialDate::full(1389, 5, 10);
    let g = shamsi
        .gregorian_interval(Calendar::SolarHijri)
        .expect("convertible")
        .earliest;
    let gregorian = PartialDate::full(
        chrono::Datelike::year(&g),
        chrono::Datelike::month(&g) as u8,
        chrono::Datelike::day(&g) as u8,
    );
    assert_eq!(
        birth_level(
            &born(shamsi, Calendar::SolarHijri),
            &born(gregorian, Calendar::Gregorian)
        ),
        BirthLevel::SameDay
    );
    // An Ethiopian year against a Gregorian day inside it: a broad overlap.
    let eth = PartialDate::year(2002);
    let inside = eth
        .gregorian_interval(Calendar::Ethiopian)
        .expect("convertible")
        .earliest
        + chrono::Days::new(100);
    let inside = PartialDate::full(
        chrono::Datelike::year(&inside),
        chrono::Datelike::month(&inside) as u8,
        chrono::Datelike::day(&inside) as u8,
    );
    assert_eq!(
        birth_level(
            &born(eth, Calendar::Ethiopian),
            &born(inside, Calendar::Gregorian)
        ),
        BirthLevel::OverlapBroad
    );
    // Different days are not the same day.
    assert_eq!(
        birth_level(
            &born(PartialDate::full(2010, 3, 4), Calendar::Gregorian),
            &born(PartialDate::full(2014, 3, 4), Calendar::Gregorian)
        ),
        BirthLevel::Far
    );
}

#[test]
fn first_of_january_is_read_as_the_year() {
    let placeholder = born(PartialDate::full(2010, 1, 1), Calendar::Gregorian);
    let b = Birth::of(&placeholder).expect("birth");
    assert_eq!(b.precision, BirthPrecision::Placeholder);
    assert_eq!(b.interval.days(), 365);
    let summer = born(PartialDate::full(2010, 7, 15), Calendar::Gregorian);
    assert_eq!(birth_level(&placeholder, &summer), BirthLevel::OverlapBroad);
    // The flag set by a caseworker works in any calendar.
    let mut flagged = CalendarDate::new(PartialDate::full(1389, 3, 3), Calendar::SolarHijri);
    flagged.placeholder = true;
    let id = ChildIdentity {
        date_of_birth: Some(flagged),
        ..ChildIdentity::default()
    };
    assert_eq!(
        Birth::of(&id).map(|b| b.precision),
        Some(BirthPrecision::Placeholder)
    );
}

#[test]
fn age_estimates_are_widened() {
    let estimated = ChildIdentity {
        age_estimate: Some(AgeEstimate::new(12, 12, day(2024, 6, 1))),
        ..ChildIdentity::default()
    };
    let b = Birth::of(&estimated).expect("birth");
    assert_eq!(b.precision, BirthPrecision::Estimate);
    // 12 on 2024-06-01: born 2011-06-02..=2012-06-01, widened by a year each side.
    assert_eq!(b.interval.earliest, day(2010, 6, 2));
    assert_eq!(b.interval.latest, day(2013, 6, 1));
    let within = born(PartialDate::full(2010, 9, 9), Calendar::Gregorian);
    assert_eq!(birth_level(&estimated, &within), BirthLevel::OverlapBroad);
    let older = born(PartialDate::full(2009, 3, 1), Calendar::Gregorian);
    assert_eq!(birth_level(&estimated, &older), BirthLevel::Within3Years);
    assert_eq!(
        birth_level(&estimated, &ChildIdentity::default()),
        BirthLevel::Missing
    );
}

#[test]
fn names_across_scripts_are_strong() {
    assert_eq!(
        NameLevel::of(&NameKey::new("محمد"), &NameKey::new("Mohammed")),
        NameLevel::Strong
    );
    assert_eq!(
        NameLevel::of(&NameKey::new("José"), &NameKey::new("Jose")),
        NameLevel::Exact
    );
    assert_eq!(
        NameLevel::of(&NameKey::new("Amina"), &NameKey::new("Olena")),
        NameLevel::Different
    );
    assert_eq!(
        NameLevel::of(&NameKey::new(""), &NameKey::new("Olena")),
        NameLevel::Missing
    );
}

use crate::names::NameKey;

/// Deterministic generator for the synthetic mixture.
struct Lcg(u64);
impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn draw(&mut self, probs: &[f64]) -> u8 {
        let x = self.unit();
        let mut acc = 0.0;
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if x < acc {
                return i as u8 + 1;
            }
        }
        probs.len() as u8
    }
}

/// True m (matches concentrate on the top level) and u (on the bottom level)
/// over the non-missing levels of a field with `n` levels (missing included).
fn true_dists(n: usize) -> (Vec<f64>, Vec<f64>) {
    let k = n - 1;
    let mut m = vec![0.05 / (k - 1) as f64; k];
    m[k - 1] = 0.95;
    let mut u = vec![0.1 / (k - 1) as f64; k];
    u[0] = 0.9;
    (m, u)
}

#[test]
fn em_recovers_m_and_u_on_a_synthetic_mixture() {
    let mut rng = Lcg(7);
    let dists: Vec<(Vec<f64>, Vec<f64>)> = Field::ALL.iter().map(|f| true_dists(f.levels().len())).collect();
    let vector = |rng: &mut Lcg, matched: bool| -> Levels {
        let mut v = [0u8; N_FIELDS];
        for (f, (m, u)) in dists.iter().enumerate() {
            // 10% missing, independent of match status.
            v[f] = if rng.unit() < 0.1 {
                0
            } else {
                rng.draw(if matched { m } else { u })
            };
        }
        v
    };
    let random: Vec<Levels> = (0..20_000).map(|_| vector(&mut rng, false)).collect();
    let candidates: Vec<Levels> = (0..20_000).map(|i| vector(&mut rng, i % 5 == 0)).collect();
    let model = Model::estimate(&random, &candidates, TermFrequencies::default());
    assert!((model.lambda - 0.2).abs() < 0.02, "lambda {}", model.lambda);
    for (f, (m, u)) in dists.iter().enumerate() {
        for l in 0..m.len() {
            assert!(
                (model.m[f][l + 1] - m[l]).abs() < 0.04,
                "m field {f} level {}",
                l + 1
            );
            assert!(
                (model.u[f][l + 1] - u[l]).abs() < 0.03,
                "u field {f} level {}",
                l + 1
            );
        }
    }
}

#[test]
fn a_common_name_agreement_weighs_less_than_a_rare_one() {
    let mut records: Vec<MatchRecord> = (0..50)
        .map(|_| MatchRecord::new(&identity("Mohammad", ""), None))
        .collect();
    records.push(MatchRecord::new(&identity("Zerihun", ""), None));
    for i in 0..49 {
        records.push(MatchRecord::new(
            &identity(
                ["Olena", "Amina", "Ahmad", "Hawa", "Dawit", "Maria", "Yonas"][i % 7],
                "",
            ),
            None,
        ));
    }
    let tf = TermFrequencies::from_records(records.iter());
    let common = tf.adjustment(0, &records[0].given, &records[1].given);
    let rare = tf.adjustment(0, &records[50].given, &records[50].given);
    assert!(common < 0.0, "common {common}");
    assert!(rare > 0.0, "rare {rare}");
    let model = Model::estimate(&[], &[], tf);
    let levels = compare(&records[0], &records[1]);
    let common_score = model.score(&levels, &records[0], &records[1]);
    let rare_score = model.score(&compare(&records[50], &records[50]), &records[50], &records[50]);
    assert!(common_score.weight < rare_score.weight);
    let explained = model.explain(&levels, &records[0], &records[1]);
    assert_eq!(explained.fields[0].level, "exact");
    assert!(explained.fields[0].tf_adjustment < 0.0);
    assert!((explained.probability - common_score.probability).abs() < 1e-12);
}

fn family_identity(given: &str, birth: PartialDate) -> ChildIdentity {
    let mut id = identity(given, "Tesfay");
    id.date_of_birth = Some(CalendarDate::new(birth, Calendar::Gregorian));
    id.country_of_origin = Some(CountryCode::new("ER"));
    id.family = vec![FamilyMember::new(
        Relation::Mother,
        PersonName::full(WrittenName::new("Selam Haile")),
    )];
    id
}

#[test]
fn siblings_are_flagged_not_matched() {
    let a = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    let b = MatchRecord::new(&family_identity("Helen", PartialDate::full(2013, 9, 9)), None);
    let same = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    assert!(looks_like_sibling(&compare(&a, &b)));
    assert!(!looks_like_sibling(&compare(&a, &same)));
    // Even a model that trusts family names blindly does not call a sibling a match.
    let model = Model::estimate(&[], &[], TermFrequencies::default());
    let score = model.score(&compare(&a, &b), &a, &b);
    assert!(score.sibling);
    assert_ne!(score.label, Label::Match);
}

#[test]
fn the_index_adds_removes_and_updates() {
    let mut index = Index::default();
    index.add(
        "c1",
        MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None),
    );
    index.add("c2", MatchRecord::new(&identity("Olena", "Shevchenko"), None));
    assert_eq!(index.len(), 2);
    let query = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    let found: Vec<&str> = index
        .candidates(&query)
        .into_iter()
        .filter_map(|s| index.id(s))
        .collect();
    assert_eq!(found, ["c1"]);
    index.update("c1", MatchRecord::new(&identity("Amina", "Osman"), None));
    assert!(index.candidates(&query).is_empty());
    assert!(index.remove("c2"));
    assert!(!index.remove("c2"));
    assert_eq!(index.len(), 1);
    let model = Model::estimate(&[], &[], TermFrequencies::default());
    let (top, compared) = index.top_k(&model, &MatchRecord::new(&identity("Amina", "Osman"), None), 5);
    assert_eq!(compared, 1);
    assert!(top.len() <= 1);
}

#[test]
fn link_finds_the_sought_child() {
    let cases: Vec<MatchRecord> = ["Yonas", "Helen", "Dawit", "Senait"]
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut id = family_identity(g, PartialDate::full(2008 + i as i32, 2, 2));
            id.sex = if i % 2 == 0 { Sex::Male } else { Sex::Female };
            id.place_of_origin = Some(Place {
                locality: Some(WrittenName::new("Keren")),
                ..Place::default()
            });
            MatchRecord::new(&id, None)
        })
        .collect();
    let requests = vec![cases[2].clone()];
    let linkage = link(&requests, &cases, 3, &Settings::default(), &|_| {});
    assert_eq!(linkage.results.len(), 1);
    assert!(linkage.results[0].len() <= 3);
    if let Some(best) = linkage.results[0].first() {
        assert_eq!(best.slot, 2);
    }
}

fn arb_identity() -> impl Strategy<Value = ChildIdentity> {
    let names = prop::sample::select(vec![
        "Mohammed",
        "محمد",
        "Muhammad",
        "Ahmad",
        "Olena",
        "Олена",
        "",
        "Hassan",
        "Hussein",
        "Amina",
    ]);
    let families = prop::sample::select(vec!["Tesfay", "Haile", "Osman", "", "Shevchenko", "Al-Hassan"]);
    (
        names,
        families,
        prop::option::of((2000i32..2015, prop::option::of(1u8..=12), 1u8..=28)),
        prop::option::of(0u8..3),
    )
        .prop_map(|(g, f, birth, sex)| {
            let mut id = identity(g, f);
            id.date_of_birth = birth.map(|(y, m, d)| {
                let value = match m {
                    Some(m) => PartialDate::full(y, m, d),
                    None => PartialDate::year(y),
                };
                CalendarDate::new(value, Calendar::Gregorian)
            });
            id.sex = match sex {
                Some(0) => Sex::Female,
                Some(1) => Sex::Male,
                _ => Sex::Unknown,
            };
            id
        })
}

proptest! {
    #[test]
    fn scoring_is_symmetric(a in arb_identity(), b in arb_identity()) {
        let (a, b) = (MatchRecord::new(&a, None), MatchRecord::new(&b, None));
        let ab = compare(&a, &b);
        let ba = compare(&b, &a);
        prop_assert_eq!(ab, ba);
        let tf = TermFrequencies::from_records([&a, &b]);
        let model = Model::estimate(&[], &[], tf);
        let (sab, sba) = (model.score(&ab, &a, &b), model.score(&ba, &b, &a));
        prop_assert!((sab.weight - sba.weight).abs() < 1e-9);
        prop_assert_eq!(sab.label, sba.label);
    }
}

#[test]
fn given_and_family_swapped_still_agree_but_a_sibling_does_not() {
    // Surname first, in another script and transliteration.
    let a = MatchRecord::new(&identity("Artyom", "Kovalenko"), None);
    let swapped = MatchRecord::new(&identity("Коваленко", "Артем"), None);
    let levels = compare(&a, &swapped);
    assert_eq!(levels[0], NameLevel::Strong as u8);
    assert_eq!(levels[1], NameLevel::Strong as u8);
    // The given name written among the other names, the family name joined.
    let mut moved = identity("Cirhuza", "Moulumba");
    moved.names.other = vec![WrittenName::new("Dieudonné")];
    let moved = MatchRecord::new(&moved, None);
    let written = MatchRecord::new(&identity("Dieudonne", "Cirhuza Mulumba"), None);
    assert!(compare(&moved, &written)[0] >= NameLevel::Strong as u8);
    // A sibling keeps a given name of its own: in conflict, so flagged.
    let sibling = MatchRecord::new(&identity("Nazar", "Kovalenko"), None);
    let levels = compare(&a, &sibling);
    assert!(levels[0] <= NameLevel::Somewhat as u8);
    assert!(levels[1] >= NameLevel::Strong as u8);
    assert!(looks_like_sibling(&levels));
}

#[test]
fn a_sibling_with_an_overlapping_estimated_age_is_still_a_sibling() {
    // Twins, or an age estimate widened over the sibling's year of birth.
    let a = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    let twin = MatchRecord::new(&family_identity("Helen", PartialDate::full(2010, 4, 4)), None);
    assert!(looks_like_sibling(&compare(&a, &twin)));
}

fn keren_child(given: &str) -> MatchRecord {
    let mut id = family_identity(given, PartialDate::full(2011, 6, 7));
    id.sex = Sex::Male;
    id.place_of_origin = Some(Place {
        locality: Some(WrittenName::new("Keren")),
        ..Place::default()
    });
    id.family.push(FamilyMember::new(
        Relation::Father,
        PersonName::full(WrittenName::new("Tesfay Gebremedhin")),
    ));
    MatchRecord::new(&id, None)
}

#[test]
fn rival_candidates_share_the_probability() {
    // u from random pairs that disagree on every field: agreement is rare
    // among non-matches, so a full agreement alone is a confident match.
    let random = vec![[1u8; N_FIELDS]; 10_000];
    let model = Model::estimate(&random, &[], TermFrequencies::default());
    let request = keren_child("Yonas");
    let mut index = Index::default();
    index.add("c1", keren_child("Yonas"));
    let (alone, _) = index.top_k(&model, &request, 5);
    assert_eq!(alone.len(), 1);
    assert_eq!(alone[0].score.label, Label::Match);
    // A second registration as like the request as the first: each is the
    // child with probability below one half, neither is a `match`, both listed.
    index.add("c2", keren_child("Yonas"));
    let (both, _) = index.top_k(&model, &request, 5);
    assert_eq!(both.len(), 2);
    for c in &both {
        assert!(c.score.probability < 0.5, "{}", c.score.probability);
        assert_eq!(c.score.label, Label::Possible);
    }
    // A sibling is no rival: it does not lower the child's probability.
    index.remove("c2");
    index.add("s1", keren_child("Helen"));
    let (with_sibling, _) = index.top_k(&model, &request, 5);
    let child = with_sibling
        .iter()
        .find(|c| index.id(c.slot) == Some("c1"))
        .expect("child listed");
    assert_eq!(child.score.label, Label::Match);
    assert!(
        with_sibling
            .iter()
            .filter(|c| index.id(c.slot) == Some("s1"))
            .all(|c| c.sibling() && c.score.label != Label::Match)
    );
}

/// Comparison vector with the given levels (others missing).
fn vector(levels: &[(usize, u8)]) -> Levels {
    let mut v = [0u8; N_FIELDS];
    for &(f, l) in levels {
        v[f] = l;
    }
    v
}

#[test]
fn siblings_among_candidates_do_not_teach_em_that_births_differ() {
    // Blocked candidates: the child (names, parents and birth agree),
    // many siblings (family and father agree, given name and birth do not)
    // and namesakes (full name agrees, birth random).
    let mut rng = Lcg(11);
    let (exact, different) = (NameLevel::Exact as u8, NameLevel::Different as u8);
    let far_or_near = |rng: &mut Lcg| {
        if rng.unit() < 0.7 {
            BirthLevel::Far as u8
        } else {
            BirthLevel::Within3Years as u8
        }
    };
    let mut candidates = Vec::new();
    for _ in 0..300 {
        candidates.push(vector(&[
            (0, exact),
            (1, exact),
            (2, 2),
            (3, BirthLevel::SameDay as u8),
            (4, 2),
            (9, exact),
        ]));
    }
    for _ in 0..2_000 {
        let birth = far_or_near(&mut rng);
        let sex = if rng.unit() < 0.5 { 1 } else { 2 };
        candidates.push(vector(&[
            (0, different),
            (1, exact),
            (2, sex),
            (3, birth),
            (4, 2),
            (9, exact),
        ]));
    }
    for _ in 0..600 {
        let birth = far_or_near(&mut rng);
        candidates.push(vector(&[
            (0, exact),
            (1, exact),
            (2, 2),
            (3, birth),
            (4, 2),
            (9, different),
        ]));
    }
    let random: Vec<Levels> = (0..5_000)
        .map(|_| {
            let birth = far_or_near(&mut rng);
            vector(&[
                (0, different),
                (1, different),
                (2, 1),
                (3, birth),
                (4, 1),
                (9, different),
            ])
        })
        .collect();
    let model = Model::estimate(&random, &candidates, TermFrequencies::default());
    assert!(model.level_weight(3, BirthLevel::Far as u8) < -2.0);
    assert!(model.level_weight(3, BirthLevel::SameDay as u8) > 2.0);
}

#[test]
fn parents_names_weigh_less_when_the_family_name_already_agrees() {
    // Among non-matches, a shared family name usually means a shared
    // father's name (the family name is his): the father's agreement adds
    // little once the family name agrees.
    let mut rng = Lcg(5);
    let strong = NameLevel::Strong as u8;
    let random: Vec<Levels> = (0..20_000)
        .map(|_| {
            let family = if rng.unit() < 0.05 {
                strong
            } else {
                NameLevel::Different as u8
            };
            let father_p = if family == strong { 0.6 } else { 0.01 };
            let father = if rng.unit() < father_p {
                strong
            } else {
                NameLevel::Different as u8
            };
            vector(&[(0, 1), (1, family), (9, father)])
        })
        .collect();
    let model = Model::estimate(&random, &[], TermFrequencies::default());
    let with_family = model.weight_in(9, &vector(&[(1, strong), (9, strong)]));
    let without = model.weight_in(9, &vector(&[(1, NameLevel::Different as u8), (9, strong)]));
    assert!(with_family + 3.0 < without, "{with_family} vs {without}");
}

#[test]
fn over_the_limit_the_records_sharing_more_and_rarer_keys_are_compared() {
    let mut index = Index::with_limits(DEFAULT_BLOCK_CAP, 1);
    // Namesakes sharing only the given name, then the child, who also
    // shares the family name, the mother's name and the year of birth.
    for i in 0..5 {
        let mut namesake = family_identity("Yonas", PartialDate::full(1990 + i, 1, 2));
        namesake.names.family = Some(WrittenName::new("Okello"));
        namesake.family.clear();
        index.add(format!("n{i}"), MatchRecord::new(&namesake, None));
    }
    index.add(
        "child",
        MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None),
    );
    let query = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    let found: Vec<&str> = index
        .candidates(&query)
        .into_iter()
        .filter_map(|s| index.id(s))
        .collect();
    assert_eq!(found, ["child"]);
    // Without the limit every namesake is a candidate too.
    let mut unlimited = Index::with_limits(DEFAULT_BLOCK_CAP, usize::MAX);
    for slot in 0..6 {
        if let (Some(id), Some(r)) = (index.id(slot), index.record(slot)) {
            unlimited.add(id, r.clone());
        }
    }
    assert_eq!(unlimited.candidates(&query).len(), 6);
}

fn documented(documents: &[(DocumentKind, &str, Option<&str>)]) -> MatchRecord {
    let mut id = identity("Amina", "Yusuf");
    id.documents = documents
        .iter()
        .map(|&(kind, number, country)| IdentityDocument {
            kind,
            number: number.to_owned(),
            issuing_country: country.map(CountryCode::new),
        })
        .collect();
    MatchRecord::new(&id, None)
}

fn level_of(field: Field, a: &MatchRecord, b: &MatchRecord) -> &'static str {
    let i = Field::ALL.iter().position(|f| *f == field).expect("field");
    field.levels()[compare(a, b)[i] as usize]
}

#[test]
fn document_numbers_are_normalised_and_compared_within_their_kind() {
    use DocumentKind::*;
    assert_eq!(normalise_document_number(" 123-456 78/9.a "), "123456789A");
    let unhcr = documented(&[(UnhcrIndividual, "123-21C04567", None)]);
    let level =
        |other: &[(DocumentKind, &str, Option<&str>)]| level_of(Field::Document, &unhcr, &documented(other));
    // Written with spaces, lower case: the same number.
    assert_eq!(level(&[(UnhcrIndividual, "123 21c04567", Some("KE"))]), "exact");
    // One digit mistyped, one dropped, two swapped.
    assert_eq!(level(&[(UnhcrIndividual, "123-21C04667", None)]), "one_edit");
    assert_eq!(level(&[(UnhcrIndividual, "123-21C0457", None)]), "one_edit");
    assert_eq!(level(&[(UnhcrIndividual, "123-21C05467", None)]), "one_edit");
    assert_eq!(level(&[(UnhcrIndividual, "987-22C11111", None)]), "different");
    // The same number noted under another kind still agrees.
    assert_eq!(level(&[(Other, "12321C04567", None)]), "exact");
    // A passport number says nothing about a UNHCR number: no evidence.
    assert_eq!(level(&[(Passport, "N0123456", Some("SO"))]), "missing");
    assert_eq!(level(&[]), "missing");
    // Same kind, different issuing countries: two documents, no evidence.
    let ours = documented(&[(NationalId, "1234567", Some("SY"))]);
    let theirs = documented(&[(NationalId, "7654321", Some("IQ"))]);
    assert_eq!(level_of(Field::Document, &ours, &theirs), "missing");
    let unknown_country = documented(&[(NationalId, "7654321", None)]);
    assert_eq!(level_of(Field::Document, &ours, &unknown_country), "different");
    // Several documents: the best comparable pair counts.
    let both = documented(&[
        (Passport, "N0123456", Some("SO")),
        (UnhcrIndividual, "123-21C04567", None),
    ]);
    assert_eq!(level_of(Field::Document, &both, &unhcr), "exact");
}

#[test]
fn one_edit_means_one_substitution_insertion_deletion_or_swap() {
    use super::compare::within_one_edit;
    for (a, b) in [
        ("2600", "2600"),
        ("2600", "2601"),
        ("2600", "260"),
        ("2600", "26000"),
        ("2600", "6200"),
    ] {
        assert!(within_one_edit(a, b) && within_one_edit(b, a), "{a} {b}");
    }
    for (a, b) in [("2600", "2611"), ("2600", "26"), ("2600", "0062"), ("12", "2100")] {
        assert!(!within_one_edit(a, b) && !within_one_edit(b, a), "{a} {b}");
    }
}

fn addressed(street: &str, number: &str, postcode: &str) -> MatchRecord {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut id = identity("Liam", "Miller");
    id.last_address = Some(Address {
        street: text(street),
        house_number: text(number),
        postcode: text(postcode),
        ..Address::default()
    });
    MatchRecord::new(&id, None)
}

#[test]
fn addresses_compare_street_house_number_and_postcode() {
    let home = addressed("Wylly Place", "12", "2600");
    let same = addressed("wylly place", "12", "2600");
    assert_eq!(level_of(Field::Street, &home, &same), "strong");
    assert_eq!(level_of(Field::HouseNumber, &home, &same), "agree");
    assert_eq!(level_of(Field::Postcode, &home, &same), "exact");
    let typo = addressed("Wyly Plcae", "21", "2610");
    assert_eq!(level_of(Field::Street, &home, &typo), "close");
    assert_eq!(level_of(Field::HouseNumber, &home, &typo), "disagree");
    assert_eq!(level_of(Field::Postcode, &home, &typo), "one_edit");
    let elsewhere = addressed("Jidka Wadnaha", "", "9999");
    assert_eq!(level_of(Field::Street, &home, &elsewhere), "different");
    assert_eq!(level_of(Field::HouseNumber, &home, &elsewhere), "missing");
    assert_eq!(level_of(Field::Postcode, &home, &elsewhere), "different");
    let none = MatchRecord::new(&identity("Liam", "Miller"), None);
    assert_eq!(level_of(Field::Street, &home, &none), "missing");
}

#[test]
fn documents_and_postcode_with_house_number_are_blocking_keys() {
    let a = documented(&[
        (DocumentKind::Passport, "n-0123 456", None),
        (DocumentKind::Other, "12", None),
    ]);
    let shown =
        |r: &MatchRecord| -> Vec<String> { r.blocking_keys().iter().map(ToString::to_string).collect() };
    let keys = shown(&a);
    assert!(keys.contains(&"d:N0123456".to_owned()), "{keys:?}");
    // Too short to block on.
    assert!(!keys.contains(&"d:12".to_owned()), "{keys:?}");
    let keys = shown(&addressed("Wylly Place", "12 B", "2600"));
    assert!(keys.contains(&"ph:2600:12b".to_owned()), "{keys:?}");
    assert!(
        !shown(&addressed("Wylly Place", "", "2600"))
            .iter()
            .any(|k| k.starts_with("ph:"))
    );
}

#[test]
fn the_same_document_number_rules_out_a_sibling() {
    let mut a = identity("Hannah", "Mihal");
    a.family.push(FamilyMember::new(
        Relation::Mother,
        PersonName::full(WrittenName::new("Rosa Mihal")),
    ));
    let mut b = a.clone();
    b.names.given = Some(WrittenName::new("Grace"));
    let mut levels = compare(&MatchRecord::new(&a, None), &MatchRecord::new(&b, None));
    assert!(looks_like_sibling(&levels));
    let document = |number: &str| IdentityDocument {
        kind: DocumentKind::BirthCertificate,
        number: number.to_owned(),
        issuing_country: None,
    };
    a.documents.push(document("BC-2013-000451"));
    b.documents.push(document("BC-2013-000452"));
    levels = compare(&MatchRecord::new(&a, None), &MatchRecord::new(&b, None));
    assert!(
        looks_like_sibling(&levels),
        "a number one edit away may be a sibling's"
    );
    b.documents[0] = document("BC 2013 000451");
    levels = compare(&MatchRecord::new(&a, None), &MatchRecord::new(&b, None));
    assert!(!looks_like_sibling(&levels));
}

#[test]
fn interned_records_compare_and_block_as_before() {
    let a = MatchRecord::new(&family_identity("Yonas", PartialDate::full(2010, 4, 4)), None);
    let b = MatchRecord::new(&identity("Yonas", "Tesfay"), None);
    let mut interner = crate::names::TokenInterner::new();
    let (mut ia, mut ib) = (a.clone(), b.clone());
    ia.intern(&mut interner);
    ib.intern(&mut interner);
    assert_eq!(compare(&ia, &ib), compare(&a, &b));
    assert_eq!(ia.blocking_keys(), a.blocking_keys());
    // Equal tokens are held once.
    let distinct = interner.len();
    let mut again = a.clone();
    again.intern(&mut interner);
    assert_eq!(interner.len(), distinct);
    // Keys are shown as before.
    let keys: Vec<String> = a.blocking_keys().iter().map(ToString::to_string).collect();
    assert!(keys.iter().any(|k| k.starts_with("g:")));
    assert!(keys.iter().any(|k| k.starts_with("gy:") && k.ends_with(":2010")));

    // Removing every record frees its keys and tokens; re-adding finds it again.
    let mut index = Index::default();
    index.add("a", a.clone());
    index.add("b", b.clone());
    let found = index.candidates(&a);
    assert!(index.remove("a") && index.remove("b"));
    assert!(index.candidates(&a).is_empty());
    index.add("b", b);
    index.add("a", a.clone());
    assert_eq!(index.candidates(&a).len(), found.len());
}

proptest! {
    /// The per-query memo changes nothing: one record compared with many,
    /// through one memo (tokens interned as in the index, so equal tokens
    /// share an address), gives the same vectors as without it.
    #[test]
    fn the_token_memo_changes_no_comparison(
        query in arb_identity(),
        others in prop::collection::vec(arb_identity(), 1..12),
    ) {
        let query = MatchRecord::new(&query, None);
        let mut interner = crate::names::TokenInterner::new();
        let others: Vec<MatchRecord> = others
            .iter()
            .map(|o| {
                let mut r = MatchRecord::new(o, None);
                r.intern(&mut interner);
                r
            })
            .collect();
        let mut memo = crate::names::TokenMemo::new();
        for o in &others {
            prop_assert_eq!(compare_with(&query, o, &mut memo), compare(&query, o));
            prop_assert_eq!(compare_with(o, &query, &mut memo), compare(o, &query));
        }
    }
}
