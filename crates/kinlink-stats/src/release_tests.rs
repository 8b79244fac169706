//! What leaves the engine: no identifiers or personal fields, noisy releases
//! within a budget, and the report renderings.

use kinlink_casework::forms::DurableSolution;
use kinlink_casework::referral::ServiceKind;
use kinlink_core::{Accompaniment, PartialDate, Sex};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::dims::Dimension;
use crate::fixtures::{Kid, at, config, day};
use crate::indicator::Indicator;
use crate::table::TableSpec;
use crate::{
    DetentionReport, DisclosurePolicy, Figure, Hidden, PrivacyBudget, StatsError, TreatyReport, Window,
    compute,
};

const NATIONALITIES: [&str; 5] = ["AF", "SY", "ER", "SO", "UA"];
const SEXES: [Sex; 3] = [Sex::Female, Sex::Male, Sex::Unknown];
const ACCOMPANIMENT: [Accompaniment; 3] = [
    Accompaniment::Unaccompanied,
    Accompaniment::Separated,
    Accompaniment::Accompanied,
];
const CENTRES: [&str; 2] = ["North Centre", "South Centre"];

fn kid(n: u128, traits: (usize, usize, usize, u8, u8)) -> Kid {
    let (nat, sex, acc, events, birth) = traits;
    let day_of_month = birth % 28 + 1;
    let identified = at(2026, 1 + u32::from(events % 5), u32::from(day_of_month), 9);
    let mut k = Kid::new(n, NATIONALITIES[nat], SEXES[sex], ACCOMPANIMENT[acc], identified)
        .born(PartialDate::full(2008 + i32::from(birth % 17), 3, day_of_month));
    if events & 1 == 1 {
        k = k.guardian(&format!("user-guardian-{}", n % 4), i64::from(events), None);
    }
    if events & 2 == 2 {
        k = k.detained(
            CENTRES[usize::from(events) % 2],
            at(2026, 6, 1, 0),
            Some(at(2026, 6, 10, 0)),
        );
    }
    if events & 4 == 4 {
        k = k
            .referral(ServiceKind::Health, at(2026, 6, 1, 0), Some(at(2026, 6, 12, 0)))
            .complaint(at(2026, 6, 2, 0))
            .bid(
                at(2026, 6, 1, 0),
                at(2026, 6, 5, 0),
                DurableSolution::LocalIntegration,
            )
            .solution(DurableSolution::LocalIntegration, Some(at(2026, 6, 20, 0)));
    }
    k
}

fn every_indicator_spec() -> Vec<TableSpec> {
    Indicator::ALL
        .iter()
        .map(|i| {
            let dims: Vec<Dimension> = i.dimensions().iter().copied().take(3).collect();
            TableSpec::new(*i, &dims)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Serialise every release (JSON and CSV) and look for every identifier
    /// and every name and free text of the input.
    #[test]
    fn released_output_holds_no_identifier_or_personal_field(
        traits in prop::collection::vec((0usize..5, 0usize..3, 0usize..3, 0u8..8, 0u8..255), 0..80)
    ) {
        let kids: Vec<Kid> = traits.iter().enumerate().map(|(n, t)| kid(n as u128 + 1, *t)).collect();
        let policy = DisclosurePolicy::default();
        let mut out = String::new();
        for table in compute(config(), &every_indicator_spec(), kids.iter().map(Kid::pair), [], []).expect("tables") {
            let released = table.release(&policy);
            out.push_str(&serde_json::to_string(&released).expect("json"));
            out.push_str(&released.to_csv().expect("csv"));
        }
        let treaty = TreatyReport::compute(config(), &policy, kids.iter().map(Kid::pair)).expect("treaty");
        out.push_str(&serde_json::to_string(&treaty).expect("json"));
        out.push_str(&treaty.to_csv().expect("csv"));
        let detention = DetentionReport::compute(config(), &policy, 2026, kids.iter().map(Kid::pair)).expect("report");
        out.push_str(&serde_json::to_string(&detention).expect("json"));
        out.push_str(&detention.to_csv().expect("csv"));

        let lower = out.to_lowercase();
        for k in &kids {
            let file = &k.file;
            let mut secrets: Vec<String> = vec![file.case_id.to_string(), file.case_id.as_uuid().simple().to_string()];
            secrets.extend(k.case.child.names.all().map(|n| n.original.clone()));
            secrets.extend(file.representatives.iter().map(|a| a.representative.to_string()));
            secrets.extend(file.representatives.iter().map(|a| a.id.to_string()));
            secrets.extend(file.detentions.iter().map(|d| d.id.to_string()));
            secrets.extend(file.referrals.iter().map(|r| r.recipient.organisation.clone()));
            secrets.extend(file.complaints.iter().map(|c| c.summary.clone()));
            secrets.extend(file.decisions.iter().map(|d| d.id.to_string()));
            secrets.push(file.caseworker.to_string());
            for secret in secrets {
                prop_assert!(!lower.contains(&secret.to_lowercase()), "released output contains an input value");
            }
        }
        // Every fixture name and text starts with one of these, and every user id with "user-".
        for marker in ["zyxgiven", "qwv", "user-"] {
            prop_assert!(!lower.contains(marker));
        }
    }
}

#[test]
fn noisy_releases_draw_on_a_budget_and_refuse_beyond_it() {
    let t0 = at(2026, 2, 1, 8);
    let kids: Vec<Kid> = (0..100)
        .map(|n| {
            Kid::new(n, "AF", Sex::Female, Accompaniment::Unaccompanied, t0).guardian("user-g", 10, None)
        })
        .collect();
    let specs = [TableSpec::new(Indicator::GuardianAppointment, &[])];
    let table = compute(config(), &specs, kids.iter().map(Kid::pair), [], [])
        .expect("table")
        .pop()
        .expect("one");
    let policy = DisclosurePolicy::default();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut budget = PrivacyBudget::new(1.0).expect("budget");
    let first = table
        .release_with_noise(&policy, &mut budget, 0.5, &mut rng)
        .expect("within budget");
    let note = first.disclosure().noise.clone().expect("noise noted");
    assert_eq!((note.epsilon, note.sensitivity), (0.5, 1));
    let total = first.total().expect("total");
    assert!(total.count().value().is_some());
    assert_eq!(total.median(), Some(Figure::Hidden(Hidden::NotReleasedWithNoise)));
    assert_eq!(
        total.share_met(),
        Some(Figure::Hidden(Hidden::NotReleasedWithNoise))
    );
    table
        .release_with_noise(&policy, &mut budget, 0.5, &mut rng)
        .expect("exactly the budget");
    assert!(matches!(
        table.release_with_noise(&policy, &mut budget, 0.01, &mut rng),
        Err(StatsError::BudgetExhausted { .. })
    ));
    assert_eq!(budget.ledger(), &[0.5, 0.5]);

    // Over many releases the noisy count centres on the true count (100) with
    // the mechanism's variance.
    let mut big = PrivacyBudget::new(1e6).expect("budget");
    let draws: Vec<f64> = (0..4000)
        .map(|_| {
            let r = table
                .release_with_noise(&policy, &mut big, 1.0, &mut rng)
                .expect("budget");
            r.total()
                .and_then(|c| c.count().value())
                .expect("large count shown") as f64
        })
        .collect();
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws.len() as f64 - 1.0);
    let expected = crate::geometric_variance((-1.0f64).exp());
    assert!((mean - 100.0).abs() < 0.15, "mean {mean}");
    assert!((var / expected - 1.0).abs() < 0.1, "variance {var} vs {expected}");
}

#[test]
fn event_tables_cap_each_child_for_noise() {
    let t0 = at(2026, 2, 1, 8);
    let mut k = Kid::new(1, "AF", Sex::Female, Accompaniment::Unaccompanied, t0);
    for _ in 0..15 {
        k = k.complaint(at(2026, 3, 1, 8));
    }
    let mut config = config();
    config.max_events_per_child = 4;
    let table = compute(
        config,
        &[TableSpec::new(Indicator::Complaints, &[])],
        [k.pair()],
        [],
        [],
    )
    .expect("table")
    .pop()
    .expect("one");
    assert_eq!((table.cells[0].count, table.cells[0].clipped), (15, 4));
    assert_eq!(table.sensitivity, 4);
}

#[test]
fn csv_of_a_released_table() {
    let t0 = at(2026, 2, 1, 8);
    let mut kids = Vec::new();
    for (n, sex) in [Sex::Female; 6]
        .into_iter()
        .chain([Sex::Male; 7])
        .chain([Sex::Other; 2])
        .enumerate()
    {
        kids.push(Kid::new(n as u128, "AF", sex, Accompaniment::Unaccompanied, t0));
    }
    let table = compute(
        config(),
        &[TableSpec::new(Indicator::ChildrenRegistered, &[Dimension::Sex])],
        kids.iter().map(Kid::pair),
        [],
        [],
    )
    .expect("table")
    .pop()
    .expect("one");
    let csv = table.release(&DisclosurePolicy::default()).to_csv().expect("csv");
    // Other (2) is small; female (6) is the cheapest complement; unknown (0) is shown.
    assert_eq!(
        csv,
        "sex,count\nfemale,suppressed\nmale,7\nother,suppressed\nunknown,0\ntotal,15\n"
    );
}

#[test]
fn detention_report_for_a_year() {
    let id = at(2025, 12, 1, 8);
    let mut kids = Vec::new();
    for n in 0..6 {
        kids.push(
            Kid::new(n, "AF", Sex::Male, Accompaniment::Unaccompanied, id).detained(
                "North Centre",
                at(2026, 3, 1, 0),
                Some(at(2026, 3, 1 + n as u32, 0)),
            ),
        );
    }
    for n in 10..17 {
        kids.push(
            Kid::new(n, "SY", Sex::Female, Accompaniment::Accompanied, id).detained(
                "South Centre",
                at(2026, 4, 1, 0),
                Some(at(2026, 4, 3, 0)),
            ),
        );
    }
    // Detained in another year only.
    kids.push(
        Kid::new(30, "SY", Sex::Female, Accompaniment::Accompanied, id).detained(
            "West Centre",
            at(2025, 1, 1, 0),
            Some(at(2025, 1, 3, 0)),
        ),
    );
    let report = DetentionReport::compute(
        crate::StatsConfig::new(day(2026, 12, 31)),
        &DisclosurePolicy::default(),
        2026,
        kids.iter().map(Kid::pair),
    )
    .expect("report");
    assert_eq!(report.period.from, day(2026, 1, 1));
    let children = report.sections[0].table.total().expect("total");
    assert_eq!(children.count(), Figure::Value(13));
    // Days: 0..=5 for six boys, 2 for seven girls: median of 13 values is 2.
    assert_eq!(children.median(), Some(Figure::Value(2.0)));
    assert_eq!(children.sum(), Some(Figure::Value(15.0 + 14.0)));
    let by_centre = &report.sections[3].table;
    assert_eq!(
        by_centre.cell(&["North Centre"]).expect("cell").count(),
        Figure::Value(6)
    );
    assert!(by_centre.cell(&["West Centre"]).is_none());
    let by_sex = &report.sections[1].table;
    assert_eq!(by_sex.cell(&["female"]).expect("cell").count(), Figure::Value(7));
    let csv = report.to_csv().expect("csv");
    assert!(csv.starts_with("table,breakdown,count,median,p90,total,unit,share_within_target\n"));
    assert!(csv.contains("children_detained,total,13,2,4,29,days,\n"), "{csv}");
    assert!(csv.contains("by_centre,centre=South Centre,7,"));
    let _ = Window::year(2026).expect("window");
}
