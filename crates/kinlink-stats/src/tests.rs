//! Each indicator on small synthetic populations, against figures worked out by hand.

use kinlink_casework::forms::DurableSolution;
use kinlink_casework::referral::ServiceKind;
use kinlink_core::{
    Accompaniment, ChildIdentity, Inquirer, PartialDate, PersonName, Relation, Sex, TracingRequest,
    TracingStatus, WrittenName,
};

use crate::dims::{Dimension, Granularity, MatchOutcome};
use crate::disclosure::{DisclosurePolicy, Figure, Hidden};
use crate::engine::compute;
use crate::fixtures::{Kid, at, config, day};
use crate::indicator::{Indicator, MatchReview};
use crate::table::{CellAcc, Table, TableSpec};
use crate::{StatsConfig, StatsError, Window};

fn tables(config: StatsConfig, specs: &[TableSpec], kids: &[Kid]) -> Vec<Table> {
    compute(config, specs, kids.iter().map(Kid::pair), [], []).expect("valid specs")
}

fn one(config: StatsConfig, indicator: Indicator, dims: &[Dimension], kids: &[Kid]) -> Table {
    tables(config, &[TableSpec::new(indicator, dims)], kids)
        .pop()
        .expect("one table")
}

fn cell<'t>(table: &'t Table, labels: &[&str]) -> &'t CellAcc {
    table
        .exact(labels)
        .unwrap_or_else(|| panic!("no cell {labels:?}"))
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

use Accompaniment::{Accompanied, Separated, Unaccompanied};

fn population() -> Vec<Kid> {
    let t = at(2026, 2, 10, 9);
    vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, t).born(PartialDate::full(2012, 3, 1)),
        // Year only: youngest possible (born 31 Dec 2011) is 14, not 15.
        Kid::new(2, "AF", Sex::Male, Unaccompanied, t).born(PartialDate::year(2011)),
        // 15 to 17 on 1 Jan 2025: youngest born 1 Jan 2010, so 16 on 30 Jun 2026.
        Kid::new(3, "AF", Sex::Female, Separated, t).estimated(15, 17, day(2025, 1, 1)),
        // Turns 5 on 1 July: still 4 on the reference date.
        Kid::new(4, "SY", Sex::Female, Accompanied, t).born(PartialDate::full(2021, 7, 1)),
        Kid::new(5, "SY", Sex::Male, Accompaniment::Unknown, t),
        // Documents say 18; the assessment's lower bound (16) holds.
        Kid::new(6, "ER", Sex::Male, Unaccompanied, t)
            .born(PartialDate::full(2008, 1, 1))
            .assessed(16, 18, day(2026, 1, 1)),
        Kid::new(7, "ER", Sex::Male, Unaccompanied, t).born(PartialDate::full(2007, 5, 1)),
        {
            let mut k = Kid::new(8, "", Sex::Female, Unaccompanied, t).born(PartialDate::full(2016, 6, 30));
            k.case.child.stateless = true;
            k
        },
        Kid::new(9, "ZZ", Sex::Other, Accompanied, t)
            .born(PartialDate::year(2019))
            .disabled(),
    ]
}

#[test]
fn children_registered_by_nationality_sex_and_age_band() {
    let t = one(
        config(),
        Indicator::ChildrenRegistered,
        &[Dimension::Nationality, Dimension::Sex, Dimension::AgeBand],
        &population(),
    );
    let expected = [
        (["AF", "male", "10-14"], 2),
        (["AF", "female", "15-17"], 1),
        (["SY", "female", "0-4"], 1),
        (["SY", "male", "unknown"], 1),
        (["ER", "male", "15-17"], 1),
        (["ER", "male", "18+"], 1),
        (["stateless", "female", "10-14"], 1),
        (["unknown", "other", "5-9"], 1),
    ];
    for (labels, n) in expected {
        assert_eq!(cell(&t, &labels).count, n, "{labels:?}");
    }
    let total: u64 = t.cells.iter().map(|c| c.count).sum();
    assert_eq!(total, 9);
    assert_eq!(cell(&t, &["AF", "male", "15-17"]).count, 0);
}

#[test]
fn unaccompanied_and_separated_children_and_disability() {
    let kids = population();
    let t = one(
        config(),
        Indicator::UnaccompaniedOrSeparated,
        &[Dimension::Accompaniment],
        &kids,
    );
    assert_eq!(cell(&t, &["unaccompanied"]).count, 5);
    assert_eq!(cell(&t, &["separated"]).count, 1);
    assert_eq!(cell(&t, &["accompanied"]).count, 0);
    let t = one(
        config(),
        Indicator::ChildrenRegistered,
        &[Dimension::Disability],
        &kids,
    );
    assert_eq!(cell(&t, &["disability"]).count, 1);
    assert_eq!(cell(&t, &["none_recorded"]).count, 8);
}

#[test]
fn time_to_guardian_median_p90_and_share_within_the_deadline() {
    let id = at(2026, 3, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id).guardian("user-g1", 10, None),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, id).guardian("user-g1", 20, None),
        Kid::new(3, "AF", Sex::Male, Separated, id).guardian("user-g1", 30, None),
        Kid::new(4, "AF", Sex::Male, Unaccompanied, id).guardian("user-g1", 50, None),
        // Overdue, no guardian yet.
        Kid::new(5, "AF", Sex::Male, Unaccompanied, id),
        // Identified on the reference date: not yet due, not judged.
        Kid::new(6, "AF", Sex::Male, Unaccompanied, at(2026, 6, 30, 10)),
        // Accompanied: not in this indicator.
        Kid::new(7, "AF", Sex::Male, Accompanied, id).guardian("user-g1", 5, None),
        // Appointed after the reference date: overdue as of the reference date.
        Kid::new(8, "AF", Sex::Male, Unaccompanied, at(2026, 6, 20, 8)).guardian("user-g1", 500, None),
    ];
    let t = one(config(), Indicator::GuardianAppointment, &[], &kids);
    let c = &t.cells[0];
    assert_eq!(c.count, 7);
    assert_eq!(sorted(&c.values), vec![10.0, 20.0, 30.0, 50.0]);
    assert_eq!((c.assessed, c.met), (6, 2));

    let released = t.release(&DisclosurePolicy::new(3).expect("policy"));
    let total = released.total().expect("total");
    assert_eq!(total.count(), Figure::Value(7));
    assert_eq!(total.median(), Some(Figure::Value(25.0)));
    // Four values: fewer than twice the threshold, so no 90th percentile.
    assert_eq!(total.p90(), Some(Figure::Hidden(Hidden::Suppressed)));
    assert_eq!(total.share_met(), Some(Figure::Value(0.333)));

    // With the default threshold (5) the four durations are too few for a median.
    let released = t.release(&DisclosurePolicy::default());
    assert_eq!(
        released.total().expect("total").median(),
        Some(Figure::Hidden(Hidden::Suppressed))
    );
}

#[test]
fn deadline_is_configurable() {
    let id = at(2026, 3, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id).guardian("user-g1", 30, None),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, id).guardian("user-g1", 50, None),
    ];
    let mut config = config();
    config.guardian_deadline_hours = 48;
    let t = one(config, Indicator::GuardianAppointment, &[], &kids);
    assert_eq!((t.cells[0].assessed, t.cells[0].met), (2, 1));
}

#[test]
fn guardian_caseloads_are_a_distribution_at_the_reference_date() {
    let id = at(2026, 3, 1, 8);
    let mut kids = Vec::new();
    for n in 0..3 {
        kids.push(Kid::new(n, "AF", Sex::Male, Unaccompanied, id).guardian("user-g-a", 1, None));
    }
    for n in 10..17 {
        kids.push(Kid::new(n, "SY", Sex::Female, Unaccompanied, id).guardian("user-g-b", 1, None));
    }
    // Ended before the reference date: not in the caseload.
    kids.push(Kid::new(20, "SY", Sex::Female, Unaccompanied, id).guardian("user-g-b", 1, Some(100)));
    // Appointed after it: not yet a guardian.
    kids.push(
        Kid::new(21, "SY", Sex::Female, Unaccompanied, at(2026, 6, 30, 8)).guardian("user-g-c", 48, None),
    );
    let t = one(
        config(),
        Indicator::GuardianCaseloads,
        &[Dimension::CaseloadBand],
        &kids,
    );
    assert_eq!(cell(&t, &["1-5"]).count, 1);
    assert_eq!(cell(&t, &["1-5"]).values, vec![3.0]);
    assert_eq!(cell(&t, &["6-10"]).count, 1);
    assert_eq!(cell(&t, &["6-10"]).values, vec![7.0]);
    assert_eq!(t.cells.iter().map(|c| c.count).sum::<u64>(), 2);
}

#[test]
fn bias_and_bids_completed_with_their_durations() {
    let id = at(2026, 2, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id)
            .bia(at(2026, 3, 1, 8), at(2026, 3, 11, 8))
            .bid(
                at(2026, 4, 10, 8),
                at(2026, 4, 17, 8),
                DurableSolution::ReturnToCountryOfOrigin,
            ),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, id)
            .rejected_bia(at(2026, 3, 20, 8))
            .bia(at(2026, 4, 1, 8), at(2026, 4, 5, 20))
            .bid(
                at(2026, 5, 1, 8),
                at(2026, 5, 4, 8),
                DurableSolution::LocalIntegration,
            ),
        // Approved after the reference date: not yet completed.
        Kid::new(3, "AF", Sex::Male, Unaccompanied, id).bia(at(2026, 6, 1, 8), at(2026, 7, 2, 8)),
    ];
    let specs = [
        TableSpec::new(Indicator::BiasCompleted, &[]),
        TableSpec::new(Indicator::BidsCompleted, &[Dimension::Solution]),
    ];
    let t = tables(config(), &specs, &kids);
    assert_eq!(t[0].cells[0].count, 2);
    assert_eq!(sorted(&t[0].cells[0].values), vec![4.5, 10.0]);
    assert_eq!(cell(&t[1], &["return"]).count, 1);
    assert_eq!(cell(&t[1], &["return"]).values, vec![7.0]);
    assert_eq!(cell(&t[1], &["local_integration"]).values, vec![3.0]);
    assert_eq!(cell(&t[1], &["resettlement"]).count, 0);
}

#[test]
fn outcomes_reunifications_follow_ups_and_complaints() {
    let id = at(2026, 1, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id)
            .solution(DurableSolution::LocalIntegration, Some(at(2026, 3, 2, 8)))
            .visit(at(2026, 4, 1, 8))
            .visit(at(2026, 5, 1, 8))
            .visit(at(2026, 7, 15, 8))
            .complaint(at(2026, 2, 1, 8))
            .complaint(at(2026, 8, 1, 8)),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, id)
            .solution(
                DurableSolution::FamilyReunificationAbroad,
                Some(at(2026, 2, 15, 8)),
            )
            .reunified(at(2026, 2, 1, 8), at(2026, 2, 15, 8))
            .complaint(at(2026, 3, 1, 8)),
        Kid::new(3, "AF", Sex::Male, Unaccompanied, id)
            .solution(DurableSolution::ReturnToCountryOfOrigin, None),
    ];
    let specs = [
        TableSpec::new(Indicator::DurableSolutions, &[Dimension::Solution]),
        TableSpec::new(Indicator::Reunifications, &[]),
        TableSpec::new(Indicator::FollowUpVisits, &[]),
        TableSpec::new(Indicator::Complaints, &[]),
    ];
    let t = tables(config(), &specs, &kids);
    assert_eq!(cell(&t[0], &["local_integration"]).values, vec![60.0]);
    assert_eq!(cell(&t[0], &["family_reunification_abroad"]).values, vec![45.0]);
    assert_eq!(cell(&t[0], &["return"]).count, 0);
    assert_eq!(t[1].cells[0].count, 1);
    assert_eq!(t[1].cells[0].values, vec![14.0]);
    assert_eq!(t[2].cells[0].count, 2);
    assert_eq!(t[3].cells[0].count, 2);
}

#[test]
fn referrals_by_service_against_the_benchmark() {
    let id = at(2026, 2, 1, 8);
    let sent = at(2026, 3, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id)
            .referral(ServiceKind::Health, sent, Some(at(2026, 3, 11, 8)))
            .referral(ServiceKind::Health, sent, Some(at(2026, 4, 15, 8)))
            .referral(ServiceKind::Education, sent, None)
            .referral(ServiceKind::Education, at(2026, 6, 25, 8), None),
    ];
    let t = one(config(), Indicator::Referrals, &[Dimension::Service], &kids);
    let health = cell(&t, &["health"]);
    assert_eq!((health.count, health.assessed, health.met), (2, 2, 1));
    assert_eq!(sorted(&health.values), vec![10.0, 45.0]);
    let education = cell(&t, &["education"]);
    assert_eq!((education.count, education.assessed, education.met), (2, 1, 0));

    let mut config = config();
    config.referral_benchmarks.insert(ServiceKind::Health.into(), 60);
    let t = one(config, Indicator::Referrals, &[Dimension::Service], &kids);
    assert_eq!(cell(&t, &["health"]).met, 2);
}

#[test]
fn children_detained_during_the_window_and_days_detained() {
    let id = at(2025, 12, 1, 8);
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, id)
            .detained("North  Centre", at(2025, 12, 20, 0), Some(at(2026, 1, 10, 0)))
            .detained("South Centre", at(2026, 3, 1, 0), Some(at(2026, 3, 4, 12))),
        Kid::new(2, "SY", Sex::Female, Accompanied, id).detained("North Centre", at(2026, 6, 28, 0), None),
        Kid::new(3, "SY", Sex::Female, Accompanied, id).detained(
            "North Centre",
            at(2025, 1, 1, 0),
            Some(at(2025, 2, 1, 0)),
        ),
    ];
    let mut config = config();
    config.window = Some(Window::year(2026).expect("window"));
    let specs = [
        TableSpec::new(Indicator::ChildrenDetained, &[]),
        TableSpec::new(Indicator::ChildrenDetained, &[Dimension::Centre]),
        TableSpec::new(Indicator::ChildrenDetained, &[Dimension::Sex]),
    ];
    let t = tables(config, &specs, &kids);
    assert_eq!(t[0].cells[0].count, 2);
    // 9 days in January plus 3.5 in March; 3 days to the end of the reference date.
    assert_eq!(sorted(&t[0].cells[0].values), vec![3.0, 12.5]);
    assert_eq!(cell(&t[1], &["North Centre"]).count, 2);
    assert_eq!(sorted(&cell(&t[1], &["North Centre"]).values), vec![3.0, 9.0]);
    assert_eq!(cell(&t[1], &["South Centre"]).count, 1);
    assert_eq!(cell(&t[2], &["male"]).count, 1);
    assert_eq!(cell(&t[2], &["female"]).count, 1);
}

fn request(recorded: Option<chrono::NaiveDate>) -> TracingRequest {
    TracingRequest {
        inquirer: Inquirer {
            names: PersonName::full(WrittenName::new("Qwvinquirer")),
            relation: Relation::Mother,
            contact: None,
            location: None,
        },
        sought_children: vec![ChildIdentity::default()],
        status: TracingStatus::Open,
        recorded_on: recorded,
        notes: None,
    }
}

#[test]
fn tracing_requests_and_match_reviews_by_period() {
    let requests = [
        request(Some(day(2026, 1, 15))),
        request(Some(day(2026, 2, 1))),
        request(Some(day(2026, 4, 20))),
        request(Some(day(2026, 7, 5))),
        request(None),
    ];
    let reviews = [
        MatchReview {
            proposed_on: day(2026, 3, 1),
            outcome: MatchOutcome::Confirmed,
        },
        MatchReview {
            proposed_on: day(2026, 3, 2),
            outcome: MatchOutcome::Rejected,
        },
        MatchReview {
            proposed_on: day(2026, 5, 2),
            outcome: MatchOutcome::Pending,
        },
        MatchReview {
            proposed_on: day(2026, 5, 3),
            outcome: MatchOutcome::Pending,
        },
    ];
    let mut config = config();
    config.granularity = Granularity::Quarter;
    let specs = [
        TableSpec::new(Indicator::TracingRequests, &[Dimension::Period]),
        TableSpec::new(Indicator::MatchReviews, &[Dimension::MatchOutcome]),
    ];
    let t = compute(config, &specs, [], &requests, &reviews).expect("tables");
    assert_eq!(cell(&t[0], &["2026-Q1"]).count, 2);
    assert_eq!(cell(&t[0], &["2026-Q2"]).count, 1);
    assert_eq!(cell(&t[0], &["unknown"]).count, 1);
    assert_eq!(
        t[0].categories[0].len(),
        3,
        "the request after the reference date is left out"
    );
    assert_eq!(cell(&t[1], &["confirmed"]).count, 1);
    assert_eq!(cell(&t[1], &["rejected"]).count, 1);
    assert_eq!(cell(&t[1], &["pending"]).count, 2);
}

#[test]
fn the_window_selects_the_cohort_identified_in_it() {
    let kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, at(2026, 1, 5, 8)),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, at(2026, 3, 31, 23)),
        Kid::new(3, "AF", Sex::Male, Unaccompanied, at(2026, 4, 1, 0)),
        Kid::new(4, "AF", Sex::Male, Unaccompanied, at(2025, 12, 31, 23)),
    ];
    let mut config = config();
    config.window = Some(Window::new(day(2026, 1, 1), day(2026, 4, 1)).expect("window"));
    config.granularity = Granularity::Month;
    let t = one(config, Indicator::ChildrenRegistered, &[Dimension::Period], &kids);
    assert_eq!(cell(&t, &["2026-01"]).count, 1);
    assert_eq!(cell(&t, &["2026-03"]).count, 1);
    assert_eq!(t.cells.iter().map(|c| c.count).sum::<u64>(), 2);
}

#[test]
fn regions_come_from_the_configured_map_only() {
    use kinlink_core::{CountryCode, Place};
    let place = |area: &str| Place {
        admin_area: Some(WrittenName::new(area)),
        country: Some(CountryCode::new("GR")),
        ..Place::default()
    };
    let t0 = at(2026, 2, 1, 8);
    let mut kids = vec![
        Kid::new(1, "AF", Sex::Male, Unaccompanied, t0),
        Kid::new(2, "AF", Sex::Male, Unaccompanied, t0),
        Kid::new(3, "AF", Sex::Male, Unaccompanied, t0),
    ];
    kids[0].case.current_location = Some(place("  attica "));
    kids[1].case.current_location = Some(place("Qwvsomewhere typed by hand"));
    let mut config = config();
    config.regions = crate::RegionMap::new()
        .with_region("Attica", Some(CountryCode::new("GR")), &["Attica", "Attiki"])
        .expect("region");
    let t = one(config, Indicator::ChildrenRegistered, &[Dimension::Region], &kids);
    assert_eq!(cell(&t, &["Attica"]).count, 1);
    assert_eq!(cell(&t, &["unknown"]).count, 2);
}

#[test]
fn specs_are_checked() {
    let bad = [
        (
            TableSpec::new(Indicator::TracingRequests, &[Dimension::Sex]),
            StatsError::DimensionNotApplicable {
                indicator: Indicator::TracingRequests,
                dimension: Dimension::Sex,
            },
        ),
        (
            TableSpec::new(Indicator::ChildrenRegistered, &[Dimension::Sex, Dimension::Sex]),
            StatsError::RepeatedDimension,
        ),
        (
            TableSpec::new(Indicator::ChildrenRegistered, &[Dimension::Centre]),
            StatsError::DimensionNotApplicable {
                indicator: Indicator::ChildrenRegistered,
                dimension: Dimension::Centre,
            },
        ),
    ];
    for (spec, error) in bad {
        assert_eq!(compute(config(), &[spec], [], [], []).err(), Some(error));
    }
    assert_eq!(
        DisclosurePolicy::new(2),
        Err(StatsError::ThresholdTooLow { min: 3 })
    );
}
