//! Properties of generated datasets that the benchmarks and demos rely on.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use kinlink_demo::calendar::{Calendar, parse_partial_earliest};
use kinlink_demo::{DemoConfig, DemoDataset, Origin, TruthRelation, generate};
use kinlink_interchange::InterchangeRow;

/// One 2,000-child dataset shared by the tests (generation is deterministic).
fn ds2000() -> &'static DemoDataset {
    static DS: OnceLock<DemoDataset> = OnceLock::new();
    DS.get_or_init(|| generate(&DemoConfig::new(2000)))
}

fn config(children: usize, seed: u64) -> DemoConfig {
    DemoConfig {
        children,
        requests: None,
        seed,
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad record_date {s:?}: {e}"))
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = generate(&config(600, 7));
    let b = generate(&config(600, 7));
    assert_eq!(a, b);
    let c = generate(&config(600, 8));
    assert_ne!(a.cases, c.cases);
    assert_ne!(a.requests, c.requests);
}

#[test]
fn counts_and_ids() {
    let ds = ds2000();
    assert_eq!(ds.cases.len(), 2000);
    assert_eq!(ds.requests.len(), 1600);
    for (i, r) in ds.cases.iter().enumerate() {
        assert_eq!(r.id, format!("C{:06}", i + 1));
    }
    for (i, r) in ds.requests.iter().enumerate() {
        assert_eq!(r.id, format!("R{:06}", i + 1));
    }
    let meta_ids: Vec<&str> = ds.meta.iter().map(|m| m.id.as_str()).collect();
    let row_ids: Vec<&str> = ds
        .cases
        .iter()
        .chain(&ds.requests)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(meta_ids, row_ids);

    let custom = generate(&DemoConfig {
        children: 50,
        requests: Some(120),
        seed: 3,
    });
    assert_eq!((custom.cases.len(), custom.requests.len()), (50, 120));
}

#[test]
fn every_truth_id_exists_and_links_are_consistent() {
    let ds = ds2000();
    let cases: HashSet<&str> = ds.cases.iter().map(|r| r.id.as_str()).collect();
    let requests: HashSet<&str> = ds.requests.iter().map(|r| r.id.as_str()).collect();
    let mut same_per_request: HashMap<&str, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for t in &ds.truth {
        assert!(cases.contains(t.case_id.as_str()), "{t:?}");
        assert!(requests.contains(t.request_id.as_str()), "{t:?}");
        assert!(seen.insert((&t.request_id, &t.case_id)), "duplicate pair {t:?}");
        if t.relation == TruthRelation::SameChild {
            *same_per_request.entry(&t.request_id).or_default() += 1;
        }
    }
    assert!(
        same_per_request.values().all(|&n| n == 1),
        "a request is about one child"
    );
}

#[test]
fn share_of_requests_without_a_registered_child() {
    for (children, seed) in [(2000, 2026), (500, 1), (3000, 99)] {
        let ds = if children == 2000 && seed == 2026 {
            ds2000().clone()
        } else {
            generate(&config(children, seed))
        };
        let matched: HashSet<&str> = ds
            .truth
            .iter()
            .filter(|t| t.relation == TruthRelation::SameChild)
            .map(|t| t.request_id.as_str())
            .collect();
        let share = 1.0 - matched.len() as f64 / ds.requests.len() as f64;
        assert!(
            (0.15..=0.25).contains(&share),
            "unmatched share {share} for {children}/{seed}"
        );
        // And some registered children are never sought.
        let sought: HashSet<&str> = ds
            .truth
            .iter()
            .filter(|t| t.relation == TruthRelation::SameChild)
            .map(|t| t.case_id.as_str())
            .collect();
        assert!(sought.len() < ds.cases.len() * 9 / 10);
    }
}

#[test]
fn siblings_exist_and_look_like_siblings() {
    let ds = ds2000();
    let siblings: Vec<_> = ds
        .truth
        .iter()
        .filter(|t| t.relation == TruthRelation::Sibling)
        .collect();
    assert!(siblings.len() >= 100, "only {} sibling pairs", siblings.len());
    // A request with a sibling lead but no registered child also exists.
    let same: HashSet<&str> = ds
        .truth
        .iter()
        .filter(|t| t.relation == TruthRelation::SameChild)
        .map(|t| t.request_id.as_str())
        .collect();
    assert!(siblings.iter().any(|t| !same.contains(t.request_id.as_str())));
    // A sibling is a different child: usually another given name.
    let case = |id: &str| &ds.cases[id[1..].parse::<usize>().expect("numeric id") - 1];
    let req = |id: &str| &ds.requests[id[1..].parse::<usize>().expect("numeric id") - 1];
    let different = siblings
        .iter()
        .filter(|t| case(&t.case_id).given_name != req(&t.request_id).given_name)
        .count();
    assert!(different * 10 >= siblings.len() * 8);
}

#[test]
fn dates_parse_in_their_calendar_and_are_not_after_the_record() {
    let ds = ds2000();
    let last = NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid");
    let mut calendars = HashSet::new();
    for r in ds.cases.iter().chain(&ds.requests) {
        let record = day(&r.record_date);
        assert!(record <= last, "{r:?}");
        let cal: Calendar = r
            .birth_calendar
            .parse()
            .unwrap_or_else(|_| panic!("calendar {r:?}"));
        calendars.insert(cal);
        if !r.birth_date.is_empty() {
            let birth = parse_partial_earliest(&r.birth_date, cal).unwrap_or_else(|| panic!("birth {r:?}"));
            assert!(birth <= record, "born after record: {r:?}");
            assert!(record.signed_duration_since(birth).num_days() < 30 * 366, "{r:?}");
        }
        if !r.separation_date.is_empty() {
            let sep = parse_partial_earliest(&r.separation_date, Calendar::Gregorian)
                .unwrap_or_else(|| panic!("separation {r:?}"));
            assert!(sep <= record, "separated after record: {r:?}");
        }
        if !r.age_estimate.is_empty() {
            let bounds: Vec<u32> = r
                .age_estimate
                .split('-')
                .map(|p| p.parse().unwrap_or_else(|_| panic!("age {r:?}")))
                .collect();
            assert!(bounds.len() <= 2 && bounds[0] <= *bounds.last().expect("non-empty") && bounds[0] < 30);
        }
        assert!(
            !r.birth_date.is_empty() || !r.age_estimate.is_empty() || r.id.starts_with('R'),
            "a case without date or age: {r:?}"
        );
    }
    assert_eq!(calendars.len(), 4, "all four calendars appear: {calendars:?}");
}

#[test]
fn codes_are_well_formed() {
    let countries: HashSet<&str> = ["SY", "IQ", "SD", "AF", "SO", "ER", "GT", "HN", "SV", "UA", "CD"].into();
    let languages: HashSet<&str> = [
        "ar", "ku", "tr", "en", "fr", "fa", "ps", "ur", "so", "sw", "ti", "am", "es", "uk", "ru", "pl", "ln",
        "lu", "kg",
    ]
    .into();
    let ds = ds2000();
    for r in ds.cases.iter().chain(&ds.requests) {
        assert!(["", "F", "M"].contains(&r.sex.as_str()), "{r:?}");
        if !r.country_of_origin.is_empty() {
            assert!(countries.contains(r.country_of_origin.as_str()), "{r:?}");
        }
        if !r.languages.is_empty() {
            for l in r.languages.split(';') {
                assert!(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()), "{r:?}");
                assert!(languages.contains(l), "{r:?}");
            }
        }
        assert!(
            !r.given_name.is_empty() || !r.family_name.is_empty(),
            "nameless {r:?}"
        );
        for cell in cells(r) {
            assert!(!cell.contains(['\n', '\r']), "{r:?}");
            assert_eq!(cell.trim(), cell, "untrimmed cell in {r:?}");
        }
        assert!(
            !r.other_names.split(';').any(str::is_empty) || r.other_names.is_empty(),
            "{r:?}"
        );
    }
}

fn cells(r: &InterchangeRow) -> [&str; kinlink_interchange::COLUMNS.len()] {
    r.cells()
}

#[test]
fn origins_and_scripts_are_diverse() {
    let ds = ds2000();
    let (cases, requests) = ds.meta.split_at(ds.cases.len());
    for part in [cases, requests] {
        let origins: HashSet<Origin> = part.iter().map(|m| m.origin).collect();
        assert_eq!(origins.len(), Origin::ALL.len(), "{origins:?}");
        let scripts: HashSet<&str> = part.iter().map(|m| m.script).collect();
        assert_eq!(scripts.len(), 4, "{scripts:?}");
    }
    // Each origin's non-Latin script shows up where it should.
    let has = |o: Origin, s: &str| ds.meta.iter().any(|m| m.origin == o && m.script == s);
    assert!(has(Origin::Afghan, "arabic") && has(Origin::Syrian, "arabic"));
    assert!(has(Origin::Eritrean, "ethiopic") && has(Origin::Ukrainian, "cyrillic"));
    assert!(
        ds.meta
            .iter()
            .all(|m| m.origin != Origin::CentralAmerican || m.script == "latin")
    );
}

#[test]
fn records_of_the_same_child_disagree_like_real_ones() {
    let ds = ds2000();
    let pairs: Vec<(&InterchangeRow, &InterchangeRow)> = ds
        .truth
        .iter()
        .filter(|t| t.relation == TruthRelation::SameChild)
        .map(|t| {
            let c = &ds.cases[t.case_id[1..].parse::<usize>().expect("numeric") - 1];
            let r = &ds.requests[t.request_id[1..].parse::<usize>().expect("numeric") - 1];
            (c, r)
        })
        .collect();
    let n = pairs.len() as f64;
    let share = |f: &dyn Fn(&InterchangeRow, &InterchangeRow) -> bool| {
        pairs.iter().filter(|(c, r)| f(c, r)).count() as f64 / n
    };
    let same_given = share(&|c, r| c.given_name == r.given_name);
    let same_family = share(&|c, r| c.family_name == r.family_name);
    let same_birth = share(&|c, r| c.birth_date == r.birth_date && c.birth_calendar == r.birth_calendar);
    let script = |s: &str| kinlink_demo_script(s);
    let other_script = share(&|c, r| script(&c.given_name) != script(&r.given_name));
    // Measured at 20,000 children: given 0.30, family 0.20, birth 0.35, script 0.35.
    assert!(
        (0.2..0.8).contains(&same_given),
        "given names agree in {same_given}"
    );
    assert!(
        (0.1..0.6).contains(&same_family),
        "family names agree in {same_family}"
    );
    assert!(
        (0.15..0.7).contains(&same_birth),
        "birth dates agree in {same_birth}"
    );
    assert!(other_script > 0.1, "scripts differ in {other_script}");
    // But they are still the same child: the sex never contradicts.
    assert!(
        pairs
            .iter()
            .all(|(c, r)| c.sex.is_empty() || r.sex.is_empty() || c.sex == r.sex)
    );
}

/// Script of the first letter, as `RecordMeta::script` reports it.
fn kinlink_demo_script(s: &str) -> &'static str {
    match s.chars().find(|c| c.is_alphabetic()).map(u32::from) {
        Some(0x0600..=0x06FF | 0xFB50..=0xFEFF) => "arabic",
        Some(0x1200..=0x139F) => "ethiopic",
        Some(0x0400..=0x04FF) => "cyrillic",
        _ => "latin",
    }
}

#[test]
fn common_names_repeat() {
    let ds = ds2000();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in &ds.cases {
        *counts.entry(r.given_name.as_str()).or_default() += 1;
    }
    let mut sorted: Vec<usize> = counts.values().copied().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    // Exact strings only: Mohammad / Mohamed / محمد count apart, yet the head is heavy.
    let top10: usize = sorted.iter().take(10).sum();
    assert!(
        sorted[0] >= 25,
        "most common given name only {} times in 2000",
        sorted[0]
    );
    assert!(
        top10 * 100 >= ds.cases.len() * 8,
        "top 10 given names cover only {top10}"
    );
    let mut families: HashMap<&str, usize> = HashMap::new();
    for r in ds.cases.iter().filter(|r| !r.family_name.is_empty()) {
        *families.entry(r.family_name.as_str()).or_default() += 1;
    }
    let shared = families.values().filter(|&&n| n > 1).sum::<usize>();
    assert!(
        shared * 2 > ds.cases.len(),
        "most children share their family name with someone"
    );
}

#[test]
fn meta_script_matches_given_name() {
    let ds = ds2000();
    for (m, r) in ds.meta.iter().zip(ds.cases.iter().chain(&ds.requests)) {
        let shown = if r.given_name.is_empty() {
            &r.family_name
        } else {
            &r.given_name
        };
        assert_eq!(m.script, kinlink_demo_script(shown), "{r:?}");
    }
}

#[test]
fn tiny_and_empty_configs() {
    let empty = generate(&DemoConfig::new(0));
    assert!(empty.cases.is_empty() && empty.requests.is_empty() && empty.truth.is_empty());
    let only_requests = generate(&DemoConfig {
        children: 0,
        requests: Some(10),
        seed: 1,
    });
    assert_eq!(only_requests.requests.len(), 10);
    assert!(only_requests.truth.is_empty());
    let one = generate(&DemoConfig {
        children: 1,
        requests: Some(5),
        seed: 1,
    });
    assert_eq!(one.cases.len(), 1);
    assert_eq!(one.requests.len(), 5);
}

#[test]
fn write_dir_and_streaming_write_the_same_files() {
    let cfg = config(300, 5);
    let ds = generate(&cfg);
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let fa = kinlink_demo::write_dir(&ds, &a.path().join("nested/out")).expect("write_dir");
    let fb = kinlink_demo::generate_to_dir(&cfg, b.path()).expect("generate_to_dir");
    assert_eq!(
        (fa.case_count, fa.request_count, fa.truth_count),
        (300, 240, ds.truth.len())
    );
    assert_eq!(
        (fb.case_count, fb.request_count, fb.truth_count),
        (fa.case_count, fa.request_count, fa.truth_count)
    );
    for (x, y) in [
        (&fa.cases, &fb.cases),
        (&fa.requests, &fb.requests),
        (&fa.truth, &fb.truth),
        (&fa.meta, &fb.meta),
    ] {
        let (x, y) = (std::fs::read(x).expect("read"), std::fs::read(y).expect("read"));
        assert_eq!(x, y);
    }
    // cases.csv reads back into the interchange rows, header included.
    let mut rd = csv::Reader::from_path(&fa.cases).expect("open cases.csv");
    let header: Vec<String> = rd.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(header, kinlink_interchange::COLUMNS);
    let rows: Vec<InterchangeRow> = rd.deserialize().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows, ds.cases);
    let truth = std::fs::read_to_string(&fa.truth).expect("truth");
    assert!(truth.starts_with("request_id,case_id,relation\n"));
    assert!(truth.contains(",same_child\n") && truth.contains(",sibling\n"));
    let meta = std::fs::read_to_string(&fa.meta).expect("meta");
    assert!(meta.starts_with("id,origin,script\nC000001,"));
}

#[test]
fn streaming_stops_at_the_first_sink_error() {
    let mut seen = 0;
    let r = kinlink_demo::generate_streaming(&config(50_000, 1), |_| {
        seen += 1;
        if seen == 10 { Err("disk full") } else { Ok(()) }
    });
    assert_eq!(r, Err("disk full"));
    assert_eq!(seen, 10);
}

#[test]
fn streaming_yields_what_generate_collects() {
    let cfg = config(400, 9);
    let mut items = Vec::new();
    let r: Result<(), ()> = kinlink_demo::generate_streaming(&cfg, |i| {
        items.push(i);
        Ok(())
    });
    assert!(r.is_ok());
    let ds = generate(&cfg);
    let cases: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            kinlink_demo::DemoItem::Case { row, .. } => Some(row.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(cases, ds.cases);
    let truth = items
        .iter()
        .filter(|i| matches!(i, kinlink_demo::DemoItem::Truth(_)))
        .count();
    assert_eq!(truth, ds.truth.len());
}

#[test]
fn write_dir_reports_unwritable_directories() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    let err = kinlink_demo::write_dir(&DemoDataset::default(), &file.join("sub")).expect_err("must fail");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

/// `cargo test --release -p kinlink-demo --test dataset -- --ignored --nocapture`
#[test]
#[ignore = "timing: a million children"]
fn a_million_children() {
    let cfg = DemoConfig::new(1_000_000);
    let t = std::time::Instant::now();
    let ds = generate(&cfg);
    eprintln!(
        "generate: {} cases, {} requests in {:.2?}",
        ds.cases.len(),
        ds.requests.len(),
        t.elapsed()
    );
    drop(ds);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = std::time::Instant::now();
    let files = kinlink_demo::generate_to_dir(&cfg, dir.path()).expect("write");
    eprintln!(
        "generate_to_dir: {} truth pairs in {:.2?}",
        files.truth_count,
        t.elapsed()
    );
}

/// The importer (`kinlink import`) accepts every generated row: bad rows
/// would make it refuse the whole file.
#[test]
fn every_row_passes_the_importers_validation() {
    let big = generate(&config(20_000, 77));
    for ds in [ds2000(), &big] {
        importer_accepts(ds);
    }
}

/// `cargo test --release -p kinlink-demo --test dataset -- --ignored`
#[test]
#[ignore = "slow: 300,000 children through the importer's validation"]
fn importer_accepts_large_datasets() {
    for seed in [1, 2, 3] {
        importer_accepts(&generate(&config(100_000, seed)));
    }
}

fn importer_accepts(ds: &DemoDataset) {
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid");
    let (cases, errors) = kinlink_interchange::parse_cases(&ds.cases, today);
    assert!(
        errors.is_empty(),
        "{} case errors, first: {:?}",
        errors.len(),
        errors.iter().take(5).collect::<Vec<_>>()
    );
    assert_eq!(cases.len(), ds.cases.len());
    let (requests, errors) = kinlink_interchange::parse_requests(&ds.requests, today);
    assert!(
        errors.is_empty(),
        "{} request errors, first: {:?}",
        errors.len(),
        errors.iter().take(5).collect::<Vec<_>>()
    );
    assert_eq!(requests.len(), ds.requests.len());
}
