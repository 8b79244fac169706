//! Encodings of synthetic children: cross-script pairs are found, other
//! children are not, and different secrets give unrelated encodings.

use std::collections::{HashMap, HashSet};

use kinlink_core::{
    Calendar, CalendarDate, ChildIdentity, CountryCode, FamilyMember, PartialDate, PersonName, Place,
    Relation, Sex, WrittenName,
};
use kinlink_demo::{DemoConfig, TruthRelation, generate};
use kinlink_interchange::{case_from_row, request_from_row};
use kinlink_match::link::MatchRecord;
use kinlink_pprl::{
    AgreementSecret, DEFAULT_THRESHOLD, Encoder, EncodingSet, Feature, Hardening, LinkageKey, PprlError,
    Schema, dice, features, top_k,
};

const AGREEMENT: &str = "0192f0a4-5e1b-7c3d-9a2b-3c4d5e6f7a8b";

fn secret(byte: u8) -> AgreementSecret {
    AgreementSecret::new(&[byte; 32]).unwrap()
}

fn encoder(byte: u8, agreement: &str, schema: Schema) -> Encoder {
    Encoder::new(LinkageKey::derive(&secret(byte), agreement).unwrap(), schema).unwrap()
}

fn name(given: &str, family: &str) -> PersonName {
    PersonName {
        given: Some(WrittenName::new(given)),
        family: Some(WrittenName::new(family)),
        ..PersonName::default()
    }
}

struct Child<'a> {
    given: &'a str,
    family: &'a str,
    birth: PartialDate,
    mother: &'a str,
    father: &'a str,
    origin: &'a str,
}

fn record(c: &Child) -> MatchRecord {
    let identity = ChildIdentity {
        names: name(c.given, c.family),
        sex: Sex::Male,
        date_of_birth: Some(CalendarDate::new(c.birth, Calendar::Gregorian)),
        country_of_origin: Some(CountryCode::new("SY")),
        place_of_origin: Some(Place {
            locality: Some(WrittenName::new(c.origin)),
            ..Place::default()
        }),
        family: vec![
            FamilyMember::new(Relation::Mother, PersonName::full(WrittenName::new(c.mother))),
            FamilyMember::new(Relation::Father, PersonName::full(WrittenName::new(c.father))),
        ],
        ..ChildIdentity::default()
    };
    MatchRecord::new(&identity, None)
}

/// A tracing request written in Arabic script by a relative who knows the
/// birth year only, against the case registered in Latin script abroad.
#[test]
fn a_transliterated_cross_border_pair_is_found_and_another_child_is_not() {
    let request = record(&Child {
        given: "محمد",
        family: "الحسن",
        birth: PartialDate::year(2014),
        mother: "فاطمة",
        father: "أحمد الحسن",
        origin: "حلب",
    });
    let case = record(&Child {
        given: "Mohammed",
        family: "Al-Hassan",
        birth: PartialDate::full(2014, 3, 5),
        mother: "Fatima",
        father: "Ahmad Al-Hassan",
        origin: "Aleppo",
    });
    let other = record(&Child {
        given: "Omar",
        family: "Khalil",
        birth: PartialDate::full(2011, 7, 19),
        mother: "Mariam",
        father: "Youssef Khalil",
        origin: "Homs",
    });
    let enc = encoder(7, AGREEMENT, Schema::default());
    let (r, c, o) = (enc.encode(&request), enc.encode(&case), enc.encode(&other));
    let same = dice(r.words(), c.words());
    let different = dice(r.words(), o.words());
    eprintln!("same {same:.3}, different {different:.3}");
    assert!(same >= DEFAULT_THRESHOLD, "same child scores {same:.3}");
    assert!(
        different < DEFAULT_THRESHOLD,
        "another child scores {different:.3}"
    );

    let mut set = EncodingSet::new(enc.schema().bits());
    set.push(&o).unwrap();
    set.push(&c).unwrap();
    let hits = top_k(&r, &set, 5, DEFAULT_THRESHOLD).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].index, 1);

    // The bridge is the matching engine's skeletons: without them (bigrams
    // of Arabic script and of Latin spellings barely overlap) the pair is lost.
    let no_bridge = Schema::default()
        .weight(Feature::NameSkeleton, 0)
        .weight(Feature::Given, 0)
        .weight(Feature::Parents, 0);
    let enc = encoder(7, AGREEMENT, no_bridge);
    let without = dice(enc.encode(&request).words(), enc.encode(&case).words());
    assert!(without < same, "skeletons should carry the cross-script pair");
}

struct Demo {
    cases: Vec<MatchRecord>,
    requests: Vec<MatchRecord>,
    /// (request index, case index) of every true pair.
    same: Vec<(usize, usize)>,
    siblings: HashSet<(usize, usize)>,
    script: HashMap<String, &'static str>,
    case_ids: Vec<String>,
    request_ids: Vec<String>,
}

fn demo(children: usize) -> Demo {
    let ds = generate(&DemoConfig::new(children));
    let cases: Vec<MatchRecord> = ds
        .cases
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (c, _) = case_from_row(row, i + 2);
            MatchRecord::new(&c.child, c.recorded_on)
        })
        .collect();
    let requests: Vec<MatchRecord> = ds
        .requests
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (q, _) = request_from_row(row, i + 2);
            let child = q.sought_children.into_iter().next().unwrap_or_default();
            MatchRecord::new(&child, q.recorded_on)
        })
        .collect();
    let case_ids: Vec<String> = ds.cases.iter().map(|r| r.id.clone()).collect();
    let request_ids: Vec<String> = ds.requests.iter().map(|r| r.id.clone()).collect();
    let case_at: HashMap<&str, usize> = case_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let request_at: HashMap<&str, usize> = request_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut same = Vec::new();
    let mut siblings = HashSet::new();
    for t in &ds.truth {
        let pair = (request_at[t.request_id.as_str()], case_at[t.case_id.as_str()]);
        match t.relation {
            TruthRelation::SameChild => same.push(pair),
            TruthRelation::Sibling => {
                siblings.insert(pair);
            }
        }
    }
    let script = ds.meta.iter().map(|m| (m.id.clone(), m.script)).collect();
    Demo {
        cases,
        requests,
        same,
        siblings,
        script,
        case_ids,
        request_ids,
    }
}

/// Arabic-script tracing requests for children registered in Latin script
/// (the demo's synthetic children): most are found first among all cases;
/// many score above the threshold, and almost no other child does.
#[test]
fn arabic_script_requests_find_latin_script_cases_in_demo_data() {
    let d = demo(3000);
    let enc = encoder(3, AGREEMENT, Schema::default());
    let cases = enc.encode_all(&d.cases);
    let cross: Vec<(usize, usize)> = d
        .same
        .iter()
        .copied()
        .filter(|&(r, c)| d.script[&d.request_ids[r]] == "arabic" && d.script[&d.case_ids[c]] == "latin")
        .collect();
    assert!(
        cross.len() >= 30,
        "the demo data has cross-script pairs ({})",
        cross.len()
    );
    let mut first = 0;
    let mut above = 0;
    let mut others_above = 0;
    let mut others = 0;
    for &(r, c) in &cross {
        let q = enc.encode(&d.requests[r]);
        let hits = top_k(&q, &cases, 1, 0.0).unwrap();
        first += usize::from(hits.first().is_some_and(|h| h.index as usize == c));
        let score = dice(q.words(), enc.encode(&d.cases[c]).words());
        above += usize::from(score >= DEFAULT_THRESHOLD);
        // Every 97th case that is neither this child nor a sibling.
        for o in (r % 97..d.cases.len()).step_by(97) {
            if o != c && !d.siblings.contains(&(r, o)) && !d.same.contains(&(r, o)) {
                others += 1;
                let s = dice(q.words(), enc.encode(&d.cases[o]).words());
                others_above += usize::from(s >= DEFAULT_THRESHOLD);
            }
        }
    }
    let n = cross.len() as f64;
    let recall_at_1 = first as f64 / n;
    let share_above = above as f64 / n;
    let false_share = others_above as f64 / others as f64;
    // Measured: recall@1 0.787 among 3,000 cases, 44.5% of true pairs above
    // the threshold, no other child above it (389 pairs). Cross-script pairs
    // score lower than same-script ones: ranking finds them, the threshold
    // (tuned on all pairs) is strict for them.
    eprintln!("recall@1 {recall_at_1:.3}, above {share_above:.3}, others above {false_share:.4} ({n} pairs)");
    assert!(recall_at_1 >= 0.72, "recall@1 {recall_at_1:.3} over {n} pairs");
    assert!(
        share_above >= 0.35,
        "share of true pairs above threshold {share_above:.3}"
    );
    assert!(
        false_share <= 0.002,
        "share of other children above threshold {false_share:.4}"
    );
}

/// Mean Dice of the same records under two encoders, and of shifted
/// (different) records under the same two.
fn same_and_shifted(a: &Encoder, b: &Encoder, records: &[MatchRecord]) -> (f64, f64) {
    let ea: Vec<_> = records.iter().map(|r| a.encode(r)).collect();
    let eb: Vec<_> = records.iter().map(|r| b.encode(r)).collect();
    let n = records.len();
    let same = (0..n).map(|i| dice(ea[i].words(), eb[i].words())).sum::<f64>() / n as f64;
    let shifted = (0..n)
        .map(|i| dice(ea[i].words(), eb[(i + 1) % n].words()))
        .sum::<f64>()
        / n as f64;
    (same, shifted)
}

#[test]
fn different_secrets_or_agreements_give_uncorrelated_encodings() {
    let d = demo(300);
    let records = &d.cases[..300];
    let base = encoder(1, AGREEMENT, Schema::default());

    // Same key: the same record encodes identically (the noise is permanent).
    assert_eq!(base.encode(&records[0]), base.encode(&records[0]));
    let (same_key, shifted_same_key) = same_and_shifted(&base, &base, records);
    assert_eq!(same_key, 1.0);

    for other in [
        encoder(2, AGREEMENT, Schema::default()),
        encoder(1, "another-agreement", Schema::default()),
    ] {
        let (same, shifted) = same_and_shifted(&base, &other, records);
        // A record under another key looks like any other record: its
        // similarity to itself is that of unrelated records.
        assert!(
            (same - shifted).abs() < 0.02,
            "same {same:.3} vs shifted {shifted:.3}"
        );
        assert!(
            same < shifted_same_key + 0.05,
            "same {same:.3} vs unrelated {shifted_same_key:.3}"
        );
        // Bit by bit: agreement of set bits is what independence predicts.
        let (mut both, mut ones_a, mut ones_b, mut total) = (0u64, 0u64, 0u64, 0u64);
        for r in records {
            let (x, y) = (base.encode(r), other.encode(r));
            for i in 0..x.bits() {
                both += u64::from(x.bit(i) && y.bit(i));
                ones_a += u64::from(x.bit(i));
                ones_b += u64::from(y.bit(i));
                total += 1;
            }
        }
        let (pa, pb, pab) = (
            ones_a as f64 / total as f64,
            ones_b as f64 / total as f64,
            both as f64 / total as f64,
        );
        let correlation = (pab - pa * pb) / (pa * (1.0 - pa) * pb * (1.0 - pb)).sqrt();
        assert!(correlation.abs() < 0.02, "bit correlation {correlation:.4}");
    }
}

#[test]
fn blip_noise_costs_what_the_flip_probability_says() {
    let d = demo(200);
    let clean = encoder(
        5,
        AGREEMENT,
        Schema::default().hardening(Hardening::None).unwrap(),
    );
    let p = 0.05;
    let noisy = encoder(
        5,
        AGREEMENT,
        Schema::default()
            .hardening(Hardening::Blip { flip_probability: p })
            .unwrap(),
    );
    let mut flipped = 0usize;
    let mut bits = 0usize;
    for r in &d.cases[..200] {
        let (a, b) = (clean.encode(r), noisy.encode(r));
        flipped += (0..a.bits()).filter(|&i| a.bit(i) != b.bit(i)).count();
        bits += a.bits();
    }
    let rate = flipped as f64 / bits as f64;
    assert!((rate - p).abs() < 0.005, "flip rate {rate:.4}");
}

#[test]
fn tokens_bridge_scripts_and_hold_no_clear_dates_or_names_in_encodings() {
    let a = record(&Child {
        given: "محمد",
        family: "الحسن",
        birth: PartialDate::year(2014),
        mother: "فاطمة",
        father: "أحمد",
        origin: "حلب",
    });
    let b = record(&Child {
        given: "Mohammed",
        family: "Hassan",
        birth: PartialDate::full(2014, 3, 5),
        mother: "Fatima",
        father: "Ahmad",
        origin: "Aleppo",
    });
    let skeletons = |r: &MatchRecord| -> HashSet<Vec<u8>> {
        features::tokens(r)
            .into_iter()
            .filter(|(f, _)| *f == Feature::NameSkeleton)
            .map(|(_, t)| t)
            .collect()
    };
    let shared = skeletons(&a).intersection(&skeletons(&b)).count();
    assert!(shared >= 2, "given and family skeletons are shared ({shared})");
    let years = |r: &MatchRecord| -> Vec<Vec<u8>> {
        features::tokens(r)
            .into_iter()
            .filter(|(f, _)| *f == Feature::BirthYear)
            .map(|(_, t)| t)
            .collect()
    };
    assert_eq!(years(&a), years(&b));
    // The wire form is the filter alone: no token appears in it.
    let bytes = encoder(9, AGREEMENT, Schema::default()).encode(&b).to_bytes();
    assert_eq!(bytes.len(), 128);
    for needle in [&b"2014"[..], b"mhmd", b"hassan", b"Mohammed"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn bad_parameters_are_refused_with_clear_errors() {
    assert_eq!(
        AgreementSecret::new(&[0; 16]).unwrap_err(),
        PprlError::SecretTooShort { got: 16, min: 32 }
    );
    assert_eq!(
        LinkageKey::derive(&secret(1), "").unwrap_err(),
        PprlError::EmptyAgreementId
    );
    assert_eq!(Schema::with_bits(1000).unwrap_err(), PprlError::BadLength(1000));
    assert_eq!(Schema::with_bits(0).unwrap_err(), PprlError::BadLength(0));
    assert!(
        Schema::default()
            .hardening(Hardening::Blip {
                flip_probability: 0.5
            })
            .is_err()
    );
    assert!(format!("{:?}", secret(1)).contains(".."));
    let enc = encoder(1, AGREEMENT, Schema::with_bits(2048).unwrap());
    let d = demo(50);
    assert_eq!(enc.encode(&d.cases[0]).bits(), 2048);
    assert_eq!(format!("{:?}", enc.encode(&d.cases[0])), "Clk(2048 bits)");
}
