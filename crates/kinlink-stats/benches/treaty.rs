//! The treaty-reporting table, and every standard indicator, over a large
//! synthetic population, streamed (cases are generated one at a time and
//! dropped, as a store cursor would hand them over).
//!
//! `cargo bench -p kinlink-stats` (1,000,000 cases), or
//! `cargo bench -p kinlink-stats -- 200000` for another size.
//! Reports wall time and peak resident memory; asserts nothing about either.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use kinlink_casework::care::Detention;
use kinlink_casework::case::{Appointment, SolutionInProgress};
use kinlink_casework::forms::DurableSolution;
use kinlink_casework::{CaseFile, EntryId, Identification, RepresentativeRole, UserId};
use kinlink_core::{
    Accompaniment, Calendar, CalendarDate, ChildCase, CountryCode, PartialDate, RecordId, Sex,
};
use kinlink_stats::{DisclosurePolicy, Engine, Indicator, StatsConfig, TableSpec, TreatyReport, Window};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

const NATIONALITIES: [&str; 30] = [
    "AF", "SY", "ER", "SO", "SD", "SS", "IQ", "IR", "PK", "BD", "NG", "GN", "CI", "ML", "ET", "YE", "UA",
    "MA", "DZ", "TN", "EG", "LY", "CD", "CM", "GM", "SN", "HN", "GT", "SV", "VE",
];

/// A deterministic synthetic case. Everyone is invented; no names are needed.
fn synthetic(i: u64, rng: &mut ChaCha8Rng) -> (ChildCase, CaseFile) {
    // Skewed: the first nationalities dominate, the tail is small (suppression has work).
    let nat = NATIONALITIES[((rng.random::<f64>().powi(3)) * NATIONALITIES.len() as f64) as usize];
    let sex = match rng.random_range(0..100) {
        0..60 => Sex::Male,
        60..98 => Sex::Female,
        98 => Sex::Other,
        _ => Sex::Unknown,
    };
    let accompaniment = match rng.random_range(0..10) {
        0..5 => Accompaniment::Unaccompanied,
        5..7 => Accompaniment::Separated,
        7..9 => Accompaniment::Accompanied,
        _ => Accompaniment::Unknown,
    };
    let identified: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + TimeDelta::minutes(rng.random_range(0..525_600));
    let mut case = ChildCase::default();
    case.child.sex = sex;
    case.child.nationalities = vec![CountryCode::new(nat)];
    case.accompaniment = accompaniment;
    if rng.random_range(0..10) < 8 {
        let year = rng.random_range(2008..2025);
        case.child.date_of_birth = Some(CalendarDate::new(
            PartialDate::full(year, rng.random_range(1..13), rng.random_range(1..29)),
            Calendar::Gregorian,
        ));
    }
    let mut file = CaseFile::identify(Identification {
        case_id: RecordId::from_uuid(Uuid::from_u64_pair(0, i)),
        at: identified,
        by: UserId::new("bench-cw"),
        caseworker: UserId::new("bench-cw"),
        supervisor: UserId::new("bench-sup"),
        accompaniment,
        sex,
        claims_to_be_child: true,
    });
    if accompaniment != Accompaniment::Accompanied && rng.random_range(0..10) < 9 {
        file.representatives.push(Appointment {
            id: EntryId::from_uuid(Uuid::from_u64_pair(1, i)),
            representative: UserId::new(format!("bench-guardian-{}", rng.random_range(0..40_000))),
            role: RepresentativeRole::Guardian,
            appointed_at: identified + TimeDelta::hours(rng.random_range(1..96)),
            appointed_by: UserId::new("bench-sup"),
            caseload_before: 0,
            caseload_override: None,
            ended_at: None,
            end_reason: None,
            handover_from: None,
        });
    }
    if rng.random_range(0..10) == 0 {
        let solution = DurableSolution::ALL[rng.random_range(0..DurableSolution::ALL.len())];
        file.cycle.solution = Some(SolutionInProgress {
            solution,
            decision: None,
            started_at: identified + TimeDelta::days(60),
            completed_at: Some(identified + TimeDelta::days(rng.random_range(60..300))),
        });
    }
    if rng.random_range(0..50) == 0 {
        file.detentions.push(Detention {
            id: EntryId::from_uuid(Uuid::from_u64_pair(2, i)),
            centre_name: format!("Centre {}", rng.random_range(0..12)),
            since: identified,
            released_at: Some(identified + TimeDelta::days(rng.random_range(0..30))),
            recorded_by: UserId::new("bench-cw"),
            during_age_assessment: false,
        });
    }
    (case, file)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn config() -> StatsConfig {
    let mut config = StatsConfig::new(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default());
    config.window = Window::year(2025).ok();
    config
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    println!("kinlink-stats bench: {n} synthetic cases, streamed");

    let start = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let mut checksum = 0u64;
    for i in 0..n {
        let (case, file) = synthetic(i, &mut rng);
        checksum += u64::from(case.child.nationalities.len() as u8) + file.representatives.len() as u64;
    }
    let generation = start.elapsed();
    println!(
        "generating the cases alone:           {} (checksum {checksum})",
        secs(generation)
    );

    let policy = DisclosurePolicy::default();
    let run = |specs: &[TableSpec]| {
        let mut rng = ChaCha8Rng::seed_from_u64(2025);
        let start = Instant::now();
        let mut engine = Engine::new(config(), specs).unwrap_or_else(|e| panic!("specs: {e}"));
        for i in 0..n {
            let (case, file) = synthetic(i, &mut rng);
            engine.add_case(&case, &file);
        }
        let tables = engine.finish().unwrap_or_else(|e| panic!("tables: {e}"));
        let aggregated = start.elapsed();
        let released: Vec<_> = tables.iter().map(|t| t.release(&policy)).collect();
        (aggregated, start.elapsed() - aggregated, released)
    };

    let (aggregated, release, treaty) = run(&TreatyReport::specs());
    println!(
        "treaty table: generate + aggregate {}  (aggregation alone ≈ {}), disclosure control {}",
        secs(aggregated),
        secs(aggregated.saturating_sub(generation)),
        secs(release)
    );
    let registered = &treaty[0];
    let hidden = registered
        .cells()
        .iter()
        .filter(|c| c.count().value().is_none())
        .count();
    println!(
        "  children registered by nationality x sex x age band: {} cells with totals, {} suppressed, audit complete: {}",
        registered.cells().len(),
        hidden,
        registered.disclosure().audit_complete
    );

    let all: Vec<TableSpec> = Indicator::ALL
        .iter()
        .filter(|i| !matches!(i, Indicator::TracingRequests | Indicator::MatchReviews))
        .map(|i| TableSpec::new(*i, &i.dimensions().iter().copied().take(3).collect::<Vec<_>>()))
        .collect();
    let (aggregated, release, _) = run(&all);
    println!(
        "all {} case indicators (first three dimensions each): generate + aggregate {}  (aggregation alone ≈ {}), disclosure control {}",
        all.len(),
        secs(aggregated),
        secs(aggregated.saturating_sub(generation)),
        secs(release)
    );
    match peak_rss_kib() {
        Some(kib) => println!("peak resident memory: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak resident memory: not available on this platform"),
    }
}
