//! The store contract, written once against `dyn Store` and run against
//! every backend: SQLite in a temporary directory, and PostgreSQL in a fresh
//! database per test on the server at `KINLINK_TEST_POSTGRES_URL` (default
//! [`DEFAULT_POSTGRES`]). Without that server the PostgreSQL tests say they
//! skip and pass, except in CI (`CI=true`), where they fail.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, SubsecRound, Utc};
use kinlink_audit::{ActorName, AuditEvent, EventKind, Outcome, ReasonCode, RecordRef, Tamper};
use kinlink_core::{
    Calendar, CalendarDate, ChildCase, ChildIdentity, Inquirer, PartialDate, PersonName, RecordId,
    RecordKind, RecordNumber, Relation, TracingRequest, TracingStatus, Validated, WrittenName,
};
use kinlink_crypto::{Keyring, MasterKey};
use kinlink_policy::{AgencyType, FieldGroups, Purpose, Resource, Role};
use kinlink_store::audit::{all_entries, checkpoint_if_due, verify_audit};
use kinlink_store::{
    AccountStore, Actor, CaseCommand, ChangeCursor, ConsentGiver, ConsentPurpose, Decider, Ground,
    ImportItem, MatchId, MatchLabel, MatchStatus, NewAlert, NewConsent, NewLegalBasis, NewUser, Ownership,
    PgOptions, PgStore, ProposedMatch, RecordChange, RecordWrite, Records, ReviewDecision, SessionRecord,
    SqliteStore, Store, StoreError, StoredTotp, TokenRecord, Visibility,
};
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use uuid::Uuid;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn case(given: &str) -> Validated<ChildCase> {
    let child = ChildIdentity {
        names: PersonName {
            given: Some(WrittenName::new(given)),
            ..Default::default()
        },
        date_of_birth: Some(CalendarDate::new(
            PartialDate::year_month(1395, 3),
            Calendar::SolarHijri,
        )),
        ..Default::default()
    };
    Validated::new(
        ChildCase {
            child,
            ..Default::default()
        },
        today(),
    )
    .expect("valid fixture")
}

fn tracing_request(given: &str) -> Validated<TracingRequest> {
    let sought = ChildIdentity {
        names: PersonName {
            given: Some(WrittenName::new(given)),
            ..Default::default()
        },
        ..Default::default()
    };
    Validated::new(
        TracingRequest {
            inquirer: Inquirer {
                names: PersonName {
                    given: Some(WrittenName::new("Maryam")),
                    ..Default::default()
                },
                relation: Relation::Mother,
                contact: None,
                location: None,
            },
            sought_children: vec![sought],
            status: TracingStatus::Open,
            recorded_on: None,
            notes: None,
        },
        today(),
    )
    .expect("valid fixture")
}

fn actor() -> Actor {
    Actor::new("test")
}

/// Every contract test runs with encryption at rest, as deployments do.
fn test_key(seed: u8) -> MasterKey {
    MasterKey::from_bytes([seed; 32])
}

fn keyring() -> Keyring {
    Keyring::new(test_key(7))
}

async fn sqlite_store(dir: &std::path::Path) -> SqliteStore {
    SqliteStore::open(dir)
        .await
        .expect("opens")
        .with_keyring(keyring())
        .await
        .expect("opens with the key")
}

async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = sqlite_store(dir.path()).await;
    (dir, Arc::new(store))
}

async fn sqlite_accounts() -> (tempfile::TempDir, Arc<dyn Store>, Arc<dyn AccountStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = sqlite_store(dir.path()).await;
    (dir, Arc::new(store.clone()), Arc::new(store))
}

/// The test server when `KINLINK_TEST_POSTGRES_URL` is not set.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test, on the test server; dropped with this value.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// `None` if no PostgreSQL server answers (and `CI` is not `true`).
    async fn create() -> Option<Self> {
        let server =
            std::env::var("KINLINK_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        let mut admin =
            match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&server)).await {
                Ok(Ok(admin)) => admin,
                Ok(Err(e)) => return unreachable(&server, &e.to_string()),
                Err(_) => return unreachable(&server, "timed out"),
            };
        let name = format!("kinlink_test_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        let url = with_database(&server, &name);
        Some(Self { server, name, url })
    }

    async fn connect(&self) -> Arc<dyn Store> {
        Arc::new(self.connect_pg().await)
    }

    async fn connect_accounts(&self) -> (Arc<dyn Store>, Arc<dyn AccountStore>) {
        let store = self.connect_pg().await;
        (Arc::new(store.clone()), Arc::new(store))
    }

    async fn connect_pg(&self) -> PgStore {
        self.connect_plain()
            .await
            .with_keyring(keyring())
            .await
            .expect("opens with the key")
    }

    /// Without a master key.
    async fn connect_plain(&self) -> PgStore {
        PgStore::connect(&self.url, PgOptions::default())
            .await
            .expect("connects")
    }
}

impl Drop for TestDatabase {
    /// Drops the database, from a thread of its own: this may run inside the
    /// test's runtime, which cannot be blocked on.
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await?;
                // FORCE: the store's pool may still hold connections.
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// No server: fail in CI, where one must be running; otherwise say so and skip.
fn unreachable<T>(server: &str, reason: &str) -> Option<T> {
    let server = mask_password(server);
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "no PostgreSQL at {server} ({reason}), and CI=true: the PostgreSQL tests must run in CI \
             (set KINLINK_TEST_POSTGRES_URL to point them elsewhere)"
        );
    }
    eprintln!(
        "skipping: no PostgreSQL at {server} ({reason}); set KINLINK_TEST_POSTGRES_URL to run these tests"
    );
    None
}

/// The server's URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn mask_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if url[scheme_end + 3..at].contains(':') => {
            let colon = scheme_end + 3 + url[scheme_end + 3..at].find(':').unwrap_or(0);
            format!("{}:****{}", &url[..colon], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Runs one contract test against every backend.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, store) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(database) = super::TestDatabase::create().await else {
                        return;
                    };
                    super::$name(database.connect().await).await;
                }
            )*
        }
    };
}

/// Runs one accounts contract test against every backend.
macro_rules! account_contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite_accounts {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, store, accounts) = super::sqlite_accounts().await;
                    super::$name(store, accounts).await;
                }
            )*
        }
        mod postgres_accounts {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(database) = super::TestDatabase::create().await else {
                        return;
                    };
                    let (store, accounts) = database.connect_accounts().await;
                    super::$name(store, accounts).await;
                }
            )*
        }
    };
}

account_contract!(
    agencies_teams_and_users_round_trip,
    names_are_unique,
    account_changes_end_sessions,
    a_totp_step_is_accepted_once,
    sign_in_failures_lock_and_success_clears,
    sessions_are_stored_touched_completed_and_expired,
    tokens_are_found_by_prefix_and_revoked_once,
    listings_are_filtered_by_owner_agency_and_team,
);

contract!(
    creates_and_reads_with_numbers,
    updates_with_versions_and_refuses_stale_ones,
    keeps_every_revision,
    lists_in_creation_order_with_keyset_pages,
    imports_by_external_id_without_duplicates,
    imports_batches_larger_than_one_statement,
    a_bad_import_writes_nothing,
    kinds_do_not_mix,
    concurrent_updates_of_one_version_let_exactly_one_win,
    every_write_leaves_its_audit_entry,
    a_failed_write_leaves_no_audit_entry,
    reads_and_security_events_are_appended,
    concurrent_writers_extend_one_unbroken_chain,
    checkpoints_sign_the_head_once_and_only_with_the_same_key,
    the_log_copies_verbatim_into_another_store,
    match_proposals_and_reviews_are_audited_with_their_writes,
    proposes_matches_and_lists_them_from_both_sides,
    lists_every_match_in_keyset_pages,
    a_committed_write_wakes_the_change_listener,
    reviews_compare_and_swap_and_keep_their_history,
    a_rejected_pair_stays_rejected_until_a_record_changes,
    pending_pairs_no_longer_proposed_are_withdrawn,
    a_confirmation_writes_the_records_with_it_or_nothing,
    proposals_need_an_existing_request_and_distinct_cases,
    the_change_feed_follows_every_write_in_order,
    the_matcher_position_only_moves_forward,
    case_files_compare_and_swap_and_keep_every_command,
    a_stale_case_file_update_writes_nothing,
    case_files_are_listed_with_their_cases,
    consents_are_recorded_withdrawn_and_put_the_record_on_the_feed,
);

async fn creates_and_reads_with_numbers(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let a = cases.create(case("Amina"), &actor()).await.expect("created");
    let b = cases.create(case("أحمد"), &actor()).await.expect("created");
    let year = Utc::now().year();
    assert_eq!(a.meta.number, RecordNumber::new(RecordKind::ChildCase, year, 1));
    assert_eq!(b.meta.number, RecordNumber::new(RecordKind::ChildCase, year, 2));
    assert_eq!(a.meta.version, 1);
    assert!(a.meta.id < b.meta.id, "UUIDv7 ids sort by creation");
    let read = cases.get(b.meta.id).await.expect("reads").expect("exists");
    assert_eq!(read, b);
    assert_eq!(
        read.record
            .child
            .names
            .given
            .as_ref()
            .map(|n| n.original.as_str()),
        Some("أحمد")
    );
    let by_number = cases
        .get_by_number(&b.meta.number)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(by_number.meta.id, b.meta.id);
    assert_eq!(cases.count().await.expect("counts"), 2);
}

async fn updates_with_versions_and_refuses_stale_ones(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let created = cases.create(case("Amina"), &actor()).await.expect("created");
    let id = created.meta.id;
    let updated = cases
        .update(id, 1, case("Aminah"), &Actor::new("second"))
        .await
        .expect("updated");
    assert_eq!(updated.meta.version, 2);
    assert_eq!(updated.meta.updated_by, "second");
    assert_eq!(updated.meta.created_by, "test");
    match cases.update(id, 1, case("Stale"), &actor()).await {
        Err(StoreError::Conflict {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let now = cases.get(id).await.expect("reads").expect("exists");
    assert_eq!(now.meta.version, 2);
    assert_eq!(now.record, updated.record);
    let missing = kinlink_core::RecordId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(
        cases.update(missing, 1, case("Nobody"), &actor()).await,
        Err(StoreError::NotFound {
            kind: RecordKind::ChildCase
        })
    ));
}

async fn keeps_every_revision(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let created = cases.create(case("Hawa"), &actor()).await.expect("created");
    cases
        .update(created.meta.id, 1, case("Xawa"), &Actor::new("editor"))
        .await
        .expect("updated");
    let history = cases.history(created.meta.id).await.expect("history");
    assert_eq!(history.iter().map(|r| r.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[0].changed_by, "test");
    assert_eq!(history[1].changed_by, "editor");
    let given = |i: usize| {
        history[i]
            .record
            .child
            .names
            .given
            .as_ref()
            .map(|n| n.original.clone())
    };
    assert_eq!(given(0).as_deref(), Some("Hawa"));
    assert_eq!(given(1).as_deref(), Some("Xawa"));
}

async fn lists_in_creation_order_with_keyset_pages(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            cases
                .create(case(&format!("Child{i}")), &actor())
                .await
                .expect("created")
                .meta
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = cases.list(after, 3).await.expect("lists");
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.meta.id);
        seen.extend(page.into_iter().map(|r| r.meta.id));
    }
    assert_eq!(seen, ids);
}

async fn imports_by_external_id_without_duplicates(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let batch = vec![("C1".to_owned(), case("Amina")), ("C2".to_owned(), case("Ali"))];
    let first = cases.import(&batch, &actor()).await.expect("imports");
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    let again = cases.import(&batch, &actor()).await.expect("imports");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    let changed = vec![("C1".to_owned(), case("Aamina")), ("C3".to_owned(), case("Nuur"))];
    let third = cases.import(&changed, &actor()).await.expect("imports");
    assert_eq!((third.created, third.updated, third.unchanged), (1, 1, 0));
    assert_eq!(cases.count().await.expect("counts"), 3);
    let all = cases.list(None, 10).await.expect("lists");
    let c1 = all
        .iter()
        .find(|r| r.meta.external_id.as_deref() == Some("C1"))
        .expect("C1 kept");
    assert_eq!(c1.meta.version, 2);
    let numbers: Vec<u64> = all.iter().map(|r| r.meta.number.sequence()).collect();
    assert_eq!(numbers, [1, 2, 3]);
}

async fn imports_batches_larger_than_one_statement(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let batch: Vec<_> = (0..1201)
        .map(|i| (format!("C{i}"), case(&format!("Child{i}"))))
        .collect();
    let first = cases.import(&batch, &actor()).await.expect("imports");
    assert_eq!(first.created, 1201);
    let mut numbers = Vec::new();
    let mut after = None;
    loop {
        let page = cases.list(after, 500).await.expect("lists");
        let Some(last) = page.last() else { break };
        after = Some(last.meta.id);
        numbers.extend(page.iter().map(|r| r.meta.number.sequence()));
    }
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=1201).collect::<Vec<u64>>(),
        "numbers are contiguous and unique"
    );
    let again = cases.import(&batch, &actor()).await.expect("imports");
    assert_eq!((again.created, again.unchanged), (0, 1201));
    let history = cases.history(after.expect("some record")).await.expect("history");
    assert_eq!(history.len(), 1);
}

async fn a_bad_import_writes_nothing(store: Arc<dyn Store>) {
    let body = serde_json::to_string(case("Amina").as_ref()).expect("serialises");
    let items = vec![
        ImportItem {
            external_id: "C1".into(),
            body: body.clone(),
        },
        ImportItem {
            external_id: "C1".into(),
            body,
        },
    ];
    assert!(matches!(
        store
            .import(RecordKind::ChildCase, &items, &actor(), &|_| {})
            .await,
        Err(StoreError::DuplicateExternalId { index: 1 })
    ));
    assert_eq!(store.count(RecordKind::ChildCase).await.expect("counts"), 0);
}

async fn kinds_do_not_mix(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let created = cases.create(case("Amina"), &actor()).await.expect("created");
    assert!(
        store
            .get(RecordKind::TracingRequest, created.meta.id)
            .await
            .expect("reads")
            .is_none()
    );
    assert!(
        store
            .history(RecordKind::TracingRequest, created.meta.id)
            .await
            .expect("reads")
            .is_empty()
    );
    assert_eq!(store.count(RecordKind::TracingRequest).await.expect("counts"), 0);
}

async fn concurrent_updates_of_one_version_let_exactly_one_win(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store);
    let id = cases
        .create(case("Amina"), &actor())
        .await
        .expect("created")
        .meta
        .id;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let cases = cases.clone();
        tasks.push(tokio::spawn(async move {
            cases
                .update(id, 1, case(&format!("Writer{i}")), &Actor::new("w"))
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task ran") {
            Ok(_) => won += 1,
            Err(StoreError::Conflict {
                expected: 1,
                current: 2,
            }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(cases.history(id).await.expect("history").len(), 2);
}

/// A request and two cases, stored; their ids.
async fn pair_fixture(store: &Arc<dyn Store>) -> (RecordId, RecordId, RecordId) {
    let requests = Records::<TracingRequest>::new(store.clone());
    let cases = Records::<ChildCase>::new(store.clone());
    let request = requests
        .create(tracing_request("Amina"), &actor())
        .await
        .expect("created");
    let a = cases.create(case("Amina"), &actor()).await.expect("created");
    let b = cases.create(case("Aminata"), &actor()).await.expect("created");
    (request.meta.id, a.meta.id, b.meta.id)
}

fn proposal(case_id: RecordId, case_version: i64, score: f64) -> ProposedMatch {
    ProposedMatch {
        case_id,
        case_version,
        sought_child: 0,
        score,
        label: if score >= 0.999 {
            MatchLabel::Match
        } else {
            MatchLabel::Possible
        },
        sibling: false,
        explanation: format!(r#"{{"total_weight": {score}}}"#),
    }
}

fn decision(status: MatchStatus, reason: Option<&str>) -> ReviewDecision<'_> {
    ReviewDecision { status, reason }
}

async fn proposes_matches_and_lists_them_from_both_sides(store: Arc<dyn Store>) {
    let (request, a, b) = pair_fixture(&store).await;
    let outcome = store
        .propose_matches(
            request,
            1,
            &[proposal(b, 1, 0.6), proposal(a, 1, 0.9995)],
            &actor(),
        )
        .await
        .expect("proposes");
    assert_eq!((outcome.created, outcome.unchanged), (2, 0));
    let listed = store.matches_for_request(request).await.expect("lists");
    assert_eq!(
        listed.iter().map(|m| m.case_id).collect::<Vec<_>>(),
        [a, b],
        "best score first"
    );
    let best = &listed[0];
    assert_eq!(
        (best.status, best.label, best.version, best.proposed),
        (MatchStatus::New, MatchLabel::Match, 1, true)
    );
    assert_eq!(
        (best.request_version, best.case_version, best.sought_child),
        (1, 1, 0)
    );
    assert_eq!(best.request_number.kind(), RecordKind::TracingRequest);
    assert_eq!(best.case_number.kind(), RecordKind::ChildCase);
    assert_eq!(best.explanation, r#"{"total_weight": 0.9995}"#);
    let for_case = store.matches_for_case(a).await.expect("lists");
    assert_eq!(for_case.len(), 1);
    assert_eq!(&for_case[0], best);
    assert_eq!(
        store.get_match(best.id).await.expect("reads").as_ref(),
        Some(best)
    );
    assert_eq!(store.get_match(MatchId::new()).await.expect("reads"), None);
    // The same proposals again change nothing, not even versions.
    let again = store
        .propose_matches(
            request,
            1,
            &[proposal(b, 1, 0.6), proposal(a, 1, 0.9995)],
            &actor(),
        )
        .await
        .expect("proposes");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert_eq!(
        store
            .get_match(best.id)
            .await
            .expect("reads")
            .expect("exists")
            .version,
        1
    );
}

async fn lists_every_match_in_keyset_pages(store: Arc<dyn Store>) {
    let (request, a, b) = pair_fixture(&store).await;
    assert!(store.list_matches(None, 10).await.expect("lists").is_empty());
    store
        .propose_matches(request, 1, &[proposal(b, 1, 0.6), proposal(a, 1, 0.9)], &actor())
        .await
        .expect("proposes");
    let all = store.list_matches(None, 10).await.expect("lists");
    assert_eq!(all.len(), 2);
    assert!(all[0].id < all[1].id, "in id order");
    // A page at a time: the last id of a page starts the next.
    let first = store.list_matches(None, 1).await.expect("lists");
    let second = store.list_matches(Some(first[0].id), 1).await.expect("lists");
    let third = store.list_matches(Some(second[0].id), 1).await.expect("lists");
    assert_eq!([&first[0], &second[0]], [&all[0], &all[1]]);
    assert!(third.is_empty());
}

/// PostgreSQL tells every listening process of a committed write (other
/// servers' matchers wake on it); SQLite has no listener: its matchers poll.
async fn a_committed_write_wakes_the_change_listener(store: Arc<dyn Store>) {
    let Some(mut listener) = store.change_listener() else {
        return;
    };
    listener.connect().await.expect("listens");
    let cases = Records::<ChildCase>::new(store.clone());
    cases.create(case("Amina"), &actor()).await.expect("created");
    // A bound for a broken mechanism only (a notification arrives in
    // milliseconds); the latency is measured in bench/RESULTS.md.
    tokio::time::timeout(std::time::Duration::from_secs(60), listener.wait())
        .await
        .expect("notified of the write")
        .expect("the listener's connection holds");
    // A failed write notifies nobody: its transaction never commits.
    let stale = cases.create(case("Aminata"), &actor()).await.expect("created");
    let conflict = cases.update(stale.meta.id, 7, case("Aminata"), &actor()).await;
    assert!(conflict.is_err());
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(300), async {
        // The create above notified once; the refused update must not add another.
        listener.wait().await.expect("listens");
        listener.wait().await.expect("listens");
    })
    .await;
    assert!(nothing.is_err(), "a refused write sent a notification");
}

async fn reviews_compare_and_swap_and_keep_their_history(store: Arc<dyn Store>) {
    let (request, a, _) = pair_fixture(&store).await;
    store
        .propose_matches(request, 1, &[proposal(a, 1, 0.9)], &actor())
        .await
        .expect("proposes");
    let id = store.matches_for_request(request).await.expect("lists")[0].id;
    let reviewer = Actor::new("reviewer");
    let looked = store
        .review_match(id, 1, decision(MatchStatus::UnderReview, None), &reviewer, &[])
        .await
        .expect("reviews");
    assert_eq!((looked.status, looked.version), (MatchStatus::UnderReview, 2));
    assert_eq!(looked.reviewed_by.as_deref(), Some("reviewer"));
    match store
        .review_match(
            id,
            1,
            decision(MatchStatus::Rejected, Some("stale")),
            &reviewer,
            &[],
        )
        .await
    {
        Err(StoreError::Conflict {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let rejected = store
        .review_match(
            id,
            2,
            decision(MatchStatus::Rejected, Some("different mother")),
            &reviewer,
            &[],
        )
        .await
        .expect("reviews");
    assert_eq!(rejected.reason.as_deref(), Some("different mother"));
    let history = store.match_history(id).await.expect("history");
    assert_eq!(
        history.iter().map(|h| (h.version, h.status)).collect::<Vec<_>>(),
        [
            (1, MatchStatus::New),
            (2, MatchStatus::UnderReview),
            (3, MatchStatus::Rejected)
        ]
    );
    assert_eq!(history[0].changed_by, "test");
    assert_eq!(history[2].changed_by, "reviewer");
    assert_eq!(history[2].reason.as_deref(), Some("different mother"));
    assert!(matches!(
        store
            .review_match(
                MatchId::new(),
                1,
                decision(MatchStatus::Confirmed, Some("x")),
                &reviewer,
                &[]
            )
            .await,
        Err(StoreError::MatchNotFound)
    ));
    assert!(
        store
            .match_history(MatchId::new())
            .await
            .expect("reads")
            .is_empty()
    );
}

async fn a_rejected_pair_stays_rejected_until_a_record_changes(store: Arc<dyn Store>) {
    let (request, a, _) = pair_fixture(&store).await;
    store
        .propose_matches(request, 1, &[proposal(a, 1, 0.9)], &actor())
        .await
        .expect("proposes");
    let id = store.matches_for_request(request).await.expect("lists")[0].id;
    store
        .review_match(
            id,
            1,
            decision(MatchStatus::Rejected, Some("not her")),
            &Actor::new("r"),
            &[],
        )
        .await
        .expect("reviews");
    // Proposed again from the same versions, even with another score: stays rejected.
    let again = store
        .propose_matches(request, 1, &[proposal(a, 1, 0.95)], &actor())
        .await
        .expect("proposes");
    assert_eq!((again.reopened, again.unchanged), (0, 1));
    let still = store.get_match(id).await.expect("reads").expect("exists");
    assert_eq!((still.status, still.version), (MatchStatus::Rejected, 2));
    assert_eq!(still.reason.as_deref(), Some("not her"));
    // The case changed: proposed again, the rejection kept in the history.
    let changed = store
        .propose_matches(request, 1, &[proposal(a, 2, 0.95)], &actor())
        .await
        .expect("proposes");
    assert_eq!(changed.reopened, 1);
    let reopened = store.get_match(id).await.expect("reads").expect("exists");
    assert_eq!(
        (reopened.status, reopened.version, reopened.case_version),
        (MatchStatus::New, 3, 2)
    );
    assert_eq!((reopened.reason, reopened.reviewed_by), (None, None));
    assert_eq!(reopened.score, 0.95);
    let history = store.match_history(id).await.expect("history");
    assert_eq!(
        history.iter().map(|h| h.status).collect::<Vec<_>>(),
        [MatchStatus::New, MatchStatus::Rejected, MatchStatus::New]
    );
    assert_eq!(history[1].reason.as_deref(), Some("not her"));
    // And the request changing re-opens a rejection too.
    store
        .review_match(
            id,
            3,
            decision(MatchStatus::Rejected, Some("still not")),
            &Actor::new("r"),
            &[],
        )
        .await
        .expect("reviews");
    let by_request = store
        .propose_matches(request, 2, &[proposal(a, 2, 0.95)], &actor())
        .await
        .expect("proposes");
    assert_eq!(by_request.reopened, 1);
}

async fn pending_pairs_no_longer_proposed_are_withdrawn(store: Arc<dyn Store>) {
    let (request, a, b) = pair_fixture(&store).await;
    store
        .propose_matches(request, 1, &[proposal(a, 1, 0.9), proposal(b, 1, 0.5)], &actor())
        .await
        .expect("proposes");
    let outcome = store
        .propose_matches(request, 2, &[proposal(a, 1, 0.8)], &actor())
        .await
        .expect("proposes");
    assert_eq!((outcome.updated, outcome.withdrawn), (1, 1));
    let listed = store.matches_for_request(request).await.expect("lists");
    let of = |case| listed.iter().find(|m| m.case_id == case).expect("listed");
    assert_eq!(
        (of(a).proposed, of(a).version, of(a).request_version),
        (true, 2, 2)
    );
    assert_eq!(of(a).score, 0.8);
    assert_eq!(
        (of(b).proposed, of(b).version, of(b).status),
        (false, 2, MatchStatus::New)
    );
    // Proposed again: back, one version on.
    store
        .propose_matches(request, 2, &[proposal(a, 1, 0.8), proposal(b, 1, 0.5)], &actor())
        .await
        .expect("proposes");
    let b_now = store.matches_for_case(b).await.expect("lists");
    assert_eq!((b_now[0].proposed, b_now[0].version), (true, 3));
}

async fn a_confirmation_writes_the_records_with_it_or_nothing(store: Arc<dyn Store>) {
    let (request, a, _) = pair_fixture(&store).await;
    store
        .propose_matches(request, 1, &[proposal(a, 1, 0.9995)], &actor())
        .await
        .expect("proposes");
    let id = store.matches_for_request(request).await.expect("lists")[0].id;
    let requests = Records::<TracingRequest>::new(store.clone());
    let mut moved = tracing_request("Amina").into_inner();
    moved.status = TracingStatus::Verification;
    let body = serde_json::to_string(&moved).expect("serialises");
    let write = |expected_version| RecordWrite {
        kind: RecordKind::TracingRequest,
        id: request,
        expected_version,
        body: body.clone(),
    };
    // A stale record version: neither the review nor the record is written.
    match store
        .review_match(
            id,
            1,
            decision(MatchStatus::Confirmed, Some("mother recognised")),
            &actor(),
            &[write(7)],
        )
        .await
    {
        Err(StoreError::Conflict {
            expected: 7,
            current: 1,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let unchanged = store.get_match(id).await.expect("reads").expect("exists");
    assert_eq!((unchanged.status, unchanged.version), (MatchStatus::New, 1));
    assert_eq!(store.match_history(id).await.expect("history").len(), 1);
    let confirmed = store
        .review_match(
            id,
            1,
            decision(MatchStatus::Confirmed, Some("mother recognised")),
            &actor(),
            &[write(1)],
        )
        .await
        .expect("reviews");
    assert_eq!(confirmed.status, MatchStatus::Confirmed);
    let stored = requests.get(request).await.expect("reads").expect("exists");
    assert_eq!(
        (stored.meta.version, stored.record.status),
        (2, TracingStatus::Verification)
    );
    // A confirmed pair is left alone by the matcher.
    let outcome = store
        .propose_matches(request, 2, &[proposal(a, 1, 0.5)], &actor())
        .await
        .expect("proposes");
    assert_eq!(outcome.unchanged, 1);
    assert_eq!(
        store.get_match(id).await.expect("reads").expect("exists"),
        confirmed
    );
}

async fn proposals_need_an_existing_request_and_distinct_cases(store: Arc<dyn Store>) {
    let (request, a, _) = pair_fixture(&store).await;
    // A case id is not a request.
    assert!(matches!(
        store
            .propose_matches(a, 1, &[proposal(a, 1, 0.9)], &actor())
            .await,
        Err(StoreError::NotFound {
            kind: RecordKind::TracingRequest
        })
    ));
    assert!(matches!(
        store
            .propose_matches(request, 1, &[proposal(a, 1, 0.9), proposal(a, 1, 0.8)], &actor())
            .await,
        Err(StoreError::DuplicateProposal { index: 1 })
    ));
    assert!(
        store
            .matches_for_request(request)
            .await
            .expect("lists")
            .is_empty()
    );
}

async fn the_change_feed_follows_every_write_in_order(store: Arc<dyn Store>) {
    assert_eq!(store.latest_change().await.expect("reads"), 0);
    let cases = Records::<ChildCase>::new(store.clone());
    let requests = Records::<TracingRequest>::new(store.clone());
    let first = cases.create(case("Amina"), &actor()).await.expect("created");
    let second = requests
        .create(tracing_request("Hawa"), &actor())
        .await
        .expect("created");
    cases
        .update(first.meta.id, 1, case("Aminah"), &actor())
        .await
        .expect("updated");
    let imported = vec![("C1".to_owned(), case("Nuur")), ("C2".to_owned(), case("Ali"))];
    cases.import(&imported, &actor()).await.expect("imports");
    let latest = store.latest_change().await.expect("reads");
    let all = store
        .changes_since(ChangeCursor::default(), 100)
        .await
        .expect("reads");
    // The update moved the first case after the request; the import's two share one number.
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, second.meta.id);
    assert_eq!(all[0].kind, RecordKind::TracingRequest);
    assert_eq!((all[1].id, all[1].version), (first.meta.id, 2));
    assert!(all[1].body.contains("Aminah"));
    assert_eq!(all[2].change, all[3].change);
    assert_eq!(all[3].change, latest);
    assert!(all.windows(2).all(|w| w[0].change <= w[1].change));
    // Page by page from a cursor, including inside one change number.
    let mut cursor = ChangeCursor::default();
    let mut paged = Vec::new();
    loop {
        let page = store.changes_since(cursor, 1).await.expect("reads");
        let Some(last) = page.last() else { break };
        cursor = ChangeCursor::after(last);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    let after = ChangeCursor {
        change: latest,
        id: None,
    };
    assert!(store.changes_since(after, 10).await.expect("reads").is_empty());
}

/// The change feed's entry for `id` after `cursor`, and the cursor at its end.
async fn feed_entry(
    store: &Arc<dyn Store>,
    cursor: ChangeCursor,
    id: RecordId,
) -> (Option<RecordChange>, ChangeCursor) {
    let page = store.changes_since(cursor, 100).await.expect("reads");
    let next = page.last().map_or(cursor, ChangeCursor::after);
    (page.into_iter().find(|c| c.id == id), next)
}

async fn consents_are_recorded_withdrawn_and_put_the_record_on_the_feed(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let child = cases.create(case("Amina"), &actor()).await.expect("created").meta;
    // Without consent or legal basis: on the feed, but not matchable, and not to be shared.
    let (entry, cursor) = feed_entry(&store, ChangeCursor::default(), child.id).await;
    assert!(!entry.expect("on the feed").matchable);
    for purpose in ConsentPurpose::ALL {
        assert!(
            !store
                .may_share(RecordKind::ChildCase, child.id, purpose)
                .await
                .expect("reads")
        );
    }
    let given_at = Utc::now().trunc_subsecs(6) - chrono::Duration::hours(2);
    let consent = store
        .record_consent(
            RecordKind::ChildCase,
            child.id,
            &NewConsent {
                purpose: ConsentPurpose::Tracing,
                given_by: ConsentGiver::Child,
                given_at,
                language: "ps".to_owned(),
                interpreter: Some("interpreter-12".to_owned()),
            },
            &actor(),
        )
        .await
        .expect("recorded");
    assert_eq!(consent.record_id, child.id);
    assert_eq!(
        consent.ground,
        Ground::Consent {
            given_by: ConsentGiver::Child,
            given_at,
            language: "ps".to_owned(),
            interpreter: Some("interpreter-12".to_owned()),
        }
    );
    assert!(consent.is_active());
    // The record is on the feed again, at the same version, now matchable.
    let (entry, cursor) = feed_entry(&store, cursor, child.id).await;
    let entry = entry.expect("on the feed again");
    assert_eq!((entry.version, entry.matchable), (1, true));
    assert!(
        store
            .has_basis(RecordKind::ChildCase, child.id, ConsentPurpose::Tracing)
            .await
            .expect("reads")
    );
    // Tracing consent is not consent to share with other countries; a legal basis can be.
    let abroad = ConsentPurpose::SharingWithCountries;
    assert!(
        !store
            .may_share(RecordKind::ChildCase, child.id, abroad)
            .await
            .expect("reads")
    );
    let basis = store
        .record_legal_basis(
            RecordKind::ChildCase,
            child.id,
            &NewLegalBasis {
                purpose: abroad,
                reason: "BID 2026-14: reunification with the mother abroad".to_owned(),
                decided_by: Decider::BestInterestsPanel,
                decided_at: given_at,
                approved_by: "supervisor-2".to_owned(),
            },
            &actor(),
        )
        .await
        .expect("recorded");
    assert!(
        store
            .may_share(RecordKind::ChildCase, child.id, abroad)
            .await
            .expect("reads")
    );
    // Withdrawal: at once, kept with who and when, and the record back on the feed.
    let kind = RecordKind::ChildCase;
    let withdrawn = store
        .withdraw_consent(kind, child.id, consent.id, &Actor::new("guardian-1"))
        .await
        .expect("withdrawn");
    assert_eq!(withdrawn.withdrawn_by.as_deref(), Some("guardian-1"));
    assert!(withdrawn.withdrawn_at.is_some());
    assert!(
        !store
            .has_basis(kind, child.id, ConsentPurpose::Tracing)
            .await
            .expect("reads")
    );
    assert!(store.may_share(kind, child.id, abroad).await.expect("reads"));
    let (entry, _) = feed_entry(&store, cursor, child.id).await;
    assert!(!entry.expect("on the feed again").matchable);
    // Once only; and only the record's own consents.
    assert!(matches!(
        store.withdraw_consent(kind, child.id, consent.id, &actor()).await,
        Err(StoreError::NoSuch { .. })
    ));
    let other = cases.create(case("Hawa"), &actor()).await.expect("created").meta;
    assert!(matches!(
        store.withdraw_consent(kind, other.id, basis.id, &actor()).await,
        Err(StoreError::NoSuch { .. })
    ));
    assert!(matches!(
        store
            .withdraw_consent(RecordKind::TracingRequest, child.id, basis.id, &actor())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.may_share(kind, child.id, abroad).await.expect("reads"));
    // Everything is kept, oldest first.
    let all = store.consents_for(kind, child.id).await.expect("reads");
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![consent.id, basis.id]
    );
    assert!(!all[0].is_active() && all[1].is_active());
    assert!(kinlink_store::allows(&all, abroad) && !kinlink_store::allows(&all, ConsentPurpose::Tracing));
    assert!(
        store
            .consents_for(kind, other.id)
            .await
            .expect("reads")
            .is_empty()
    );
    // No record, no consent.
    let nobody = RecordId::from_uuid(Uuid::now_v7());
    assert!(matches!(
        store
            .record_consent(
                kind,
                nobody,
                &NewConsent {
                    purpose: ConsentPurpose::Services,
                    given_by: ConsentGiver::Guardian,
                    given_at,
                    language: "en".to_owned(),
                    interpreter: None,
                },
                &actor()
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    // Each change is in the audit log, about the record, without values.
    let entries = store
        .audit_for_record(Resource::ChildCase, *child.id.as_uuid())
        .await
        .expect("reads");
    let changes: Vec<_> = entries
        .iter()
        .filter(|e| e.event.kind == EventKind::ConsentChange)
        .collect();
    assert_eq!(changes.len(), 3);
    assert!(changes.iter().all(|e| e.event.field_groups == FieldGroups::NONE));
}

async fn the_matcher_position_only_moves_forward(store: Arc<dyn Store>) {
    assert_eq!(store.matcher_position().await.expect("reads"), 0);
    store.advance_matcher_position(5).await.expect("writes");
    store.advance_matcher_position(3).await.expect("writes");
    assert_eq!(store.matcher_position().await.expect("reads"), 5);
}

/// Data written before a store is closed is there when it is opened again,
/// and opening again (which runs the migrations again) changes nothing.
async fn data_survives_reopening(open: impl AsyncFn() -> Arc<dyn Store>) {
    let id = Records::<ChildCase>::new(open().await)
        .create(case("Amina"), &actor())
        .await
        .expect("created")
        .meta
        .id;
    let read = Records::<ChildCase>::new(open().await)
        .get(id)
        .await
        .expect("reads");
    assert!(read.is_some());
}

#[tokio::test]
async fn sqlite_data_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    data_survives_reopening(async || {
        let store: Arc<dyn Store> = Arc::new(sqlite_store(dir.path()).await);
        store
    })
    .await;
    let store = SqliteStore::open(dir.path()).await.expect("opens");
    assert_eq!(store.schema_version().await.expect("reads"), 7);
    let raw = Raw::Sqlite(dir.path().join("kinlink.sqlite"));
    assert_eq!(raw.applied_migrations().await.expect("reads"), MIGRATIONS);
}

#[tokio::test]
async fn postgres_data_survives_reconnecting() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    data_survives_reopening(async || database.connect().await).await;
    assert_eq!(
        database.connect_pg().await.schema_version().await.expect("reads"),
        7
    );
    let raw = Raw::Postgres(database.url.clone());
    assert_eq!(raw.applied_migrations().await.expect("reads"), MIGRATIONS);
}

#[tokio::test]
async fn postgres_connection_errors_do_not_repeat_the_password() {
    // Port 1: nothing listens there, so the connection is refused at once.
    let options = PgOptions {
        acquire_timeout: Duration::from_secs(5),
        ..PgOptions::default()
    };
    let err = PgStore::connect("postgres://kl:s3cret@127.0.0.1:1/kinlink", options)
        .await
        .expect_err("nothing listens on port 1");
    let message = format!("{err} / {err:?}");
    assert!(!message.contains("s3cret"), "{message}");
    let err = PgStore::connect(
        "postgres://kl:s3cret@127.0.0.1:notaport/kinlink",
        PgOptions::default(),
    )
    .await
    .expect_err("not a URL");
    let message = format!("{err} / {err:?}");
    assert!(!message.contains("s3cret"), "{message}");
}

// ---- Accounts -------------------------------------------------------------

/// A synthetic Argon2id PHC string: the store treats it as opaque text.
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn agency_and_user(accounts: &Arc<dyn AccountStore>, name: &str, roles: &[Role]) -> (Uuid, Uuid, Uuid) {
    let agency = accounts
        .create_agency(&format!("{name} agency"), AgencyType::Ngo, false)
        .await
        .expect("agency");
    let team = accounts.create_team(agency.id, "Reception").await.expect("team");
    let user = accounts
        .create_user(&NewUser {
            username: name.to_owned(),
            agency_id: agency.id,
            teams: vec![team.id],
            roles: roles.to_vec(),
            password_hash: HASH.to_owned(),
        })
        .await
        .expect("user");
    (agency.id, team.id, user.id)
}

fn session(user_id: Uuid, hash: &str) -> SessionRecord {
    let now = Utc::now().trunc_subsecs(6);
    SessionRecord {
        hash: hash.to_owned(),
        user_id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + chrono::Duration::hours(12),
        totp_pending: false,
    }
}

async fn agencies_teams_and_users_round_trip(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let border = accounts
        .create_agency("Border Office", AgencyType::ImmigrationAuthority, false)
        .await
        .expect("agency");
    let ngo = accounts
        .create_agency("Child Rights NGO", AgencyType::Ngo, true)
        .await
        .expect("agency");
    assert_eq!(accounts.agency(ngo.id).await.expect("reads"), Some(ngo.clone()));
    assert_eq!(
        accounts.agency_by_name("Border Office").await.expect("reads"),
        Some(border.clone())
    );
    assert_eq!(accounts.agency_by_name("Nobody").await.expect("reads"), None);
    let names: Vec<String> = accounts
        .agencies()
        .await
        .expect("lists")
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Border Office", "Child Rights NGO"]);
    assert!(
        accounts
            .agency(ngo.id)
            .await
            .expect("reads")
            .expect("exists")
            .immigration_enforcement
    );

    let north = accounts.create_team(ngo.id, "North").await.expect("team");
    let south = accounts.create_team(ngo.id, "South").await.expect("team");
    assert_eq!(
        accounts.team_by_name(ngo.id, "South").await.expect("reads"),
        Some(south.clone())
    );
    assert_eq!(
        accounts.team_by_name(border.id, "South").await.expect("reads"),
        None
    );
    assert_eq!(accounts.teams().await.expect("lists").len(), 2);

    let user = accounts
        .create_user(&NewUser {
            username: "caseworker1".into(),
            agency_id: ngo.id,
            teams: vec![south.id, north.id],
            roles: vec![Role::Supervisor, Role::Caseworker, Role::Caseworker],
            password_hash: HASH.into(),
        })
        .await
        .expect("user");
    assert_eq!(
        user.roles,
        [Role::Caseworker, Role::Supervisor],
        "sorted, once each"
    );
    let read = accounts.user(user.id).await.expect("reads").expect("exists");
    assert_eq!(read, user);
    assert_eq!(
        accounts.user_by_name("caseworker1").await.expect("reads"),
        Some(user.clone())
    );
    assert_eq!(accounts.user_by_name("caseworker2").await.expect("reads"), None);
    assert!(!read.disabled && read.totp.is_none() && read.failed_sign_ins == 0);

    accounts
        .set_roles(user.id, &[Role::TracingOfficer])
        .await
        .expect("roles");
    accounts.set_disabled(user.id, true).await.expect("disable");
    accounts
        .set_password_hash(user.id, "$argon2id$other")
        .await
        .expect("password");
    let read = accounts.user(user.id).await.expect("reads").expect("exists");
    assert_eq!(read.roles, [Role::TracingOfficer]);
    assert!(read.disabled);
    assert_eq!(read.password_hash, "$argon2id$other");
    accounts.set_disabled(user.id, false).await.expect("enable");
    assert!(
        !accounts
            .user(user.id)
            .await
            .expect("reads")
            .expect("exists")
            .disabled
    );
    assert_eq!(accounts.users().await.expect("lists").len(), 1);

    let missing = accounts.set_disabled(Uuid::now_v7(), true).await;
    assert!(
        matches!(missing, Err(StoreError::NoSuch { what: "user" })),
        "{missing:?}"
    );
    // Debug output never shows the password hash.
    assert!(!format!("{read:?}").contains("argon2id"));
}

async fn names_are_unique(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let (agency, _, _) = agency_and_user(&accounts, "amina", &[Role::Caseworker]).await;
    let again = accounts
        .create_agency("amina agency", AgencyType::Other, false)
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate { .. })), "{again:?}");
    let team = accounts.create_team(agency, "Reception").await;
    assert!(matches!(team, Err(StoreError::Duplicate { .. })), "{team:?}");
    let user = accounts
        .create_user(&NewUser {
            username: "amina".into(),
            agency_id: agency,
            teams: vec![],
            roles: vec![],
            password_hash: HASH.into(),
        })
        .await;
    assert!(matches!(user, Err(StoreError::Duplicate { .. })), "{user:?}");
    assert_eq!(accounts.users().await.expect("lists").len(), 1);
}

async fn account_changes_end_sessions(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let (_, _, user) = agency_and_user(&accounts, "yonas", &[Role::Caseworker]).await;
    for (i, change) in ["disable", "password", "roles"].into_iter().enumerate() {
        let hash = format!("{i:064x}");
        accounts
            .create_session(&session(user, &hash))
            .await
            .expect("session");
        assert!(accounts.session(&hash).await.expect("reads").is_some());
        match change {
            "disable" => accounts.set_disabled(user, true).await.expect("disable"),
            "password" => accounts.set_password_hash(user, HASH).await.expect("password"),
            _ => accounts.set_roles(user, &[Role::Guardian]).await.expect("roles"),
        }
        assert!(
            accounts.session(&hash).await.expect("reads").is_none(),
            "{change}"
        );
        accounts.set_disabled(user, false).await.expect("enable");
    }
}

async fn a_totp_step_is_accepted_once(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let (_, _, user) = agency_and_user(&accounts, "leila", &[Role::Caseworker]).await;
    let totp = StoredTotp {
        wrapped_key: vec![1; 81],
        sealed_secret: vec![2; 61],
        confirmed: false,
        last_step: None,
    };
    accounts.set_totp(user, Some(&totp)).await.expect("set");
    let stored = accounts
        .user(user)
        .await
        .expect("reads")
        .expect("exists")
        .totp
        .expect("totp");
    assert_eq!(stored, totp);
    assert!(!format!("{stored:?}").contains("[1, 1"), "no key bytes in Debug");
    accounts.confirm_totp(user).await.expect("confirm");
    assert!(
        accounts
            .user(user)
            .await
            .expect("reads")
            .expect("exists")
            .totp
            .expect("totp")
            .confirmed
    );

    assert!(accounts.use_totp_step(user, 100).await.expect("use"));
    assert!(
        !accounts.use_totp_step(user, 100).await.expect("use"),
        "the same step again"
    );
    assert!(
        !accounts.use_totp_step(user, 99).await.expect("use"),
        "an earlier step"
    );
    assert!(accounts.use_totp_step(user, 101).await.expect("use"));
    assert_eq!(
        accounts
            .user(user)
            .await
            .expect("reads")
            .expect("exists")
            .totp
            .expect("totp")
            .last_step,
        Some(101)
    );
    accounts.set_totp(user, None).await.expect("remove");
    assert!(
        accounts
            .user(user)
            .await
            .expect("reads")
            .expect("exists")
            .totp
            .is_none()
    );
}

async fn sign_in_failures_lock_and_success_clears(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let (_, _, user) = agency_and_user(&accounts, "omar", &[Role::Caseworker]).await;
    let until = Utc::now().trunc_subsecs(6) + chrono::Duration::minutes(1);
    accounts
        .record_sign_in_failure(user, None)
        .await
        .expect("failure");
    accounts
        .record_sign_in_failure(user, Some(until))
        .await
        .expect("failure");
    accounts
        .record_sign_in_failure(user, None)
        .await
        .expect("failure");
    let read = accounts.user(user).await.expect("reads").expect("exists");
    assert_eq!(read.failed_sign_ins, 3);
    assert_eq!(
        read.locked_until,
        Some(until),
        "a later failure keeps the lockout"
    );
    accounts.record_sign_in_success(user).await.expect("success");
    let read = accounts.user(user).await.expect("reads").expect("exists");
    assert_eq!((read.failed_sign_ins, read.locked_until), (0, None));
}

async fn sessions_are_stored_touched_completed_and_expired(
    _: Arc<dyn Store>,
    accounts: Arc<dyn AccountStore>,
) {
    let (_, _, user) = agency_and_user(&accounts, "sara", &[Role::Caseworker]).await;
    let mut pending = session(user, &"a".repeat(64));
    pending.totp_pending = true;
    accounts.create_session(&pending).await.expect("session");
    assert_eq!(
        accounts.session(&pending.hash).await.expect("reads"),
        Some(pending.clone())
    );
    let later = pending.last_seen_at + chrono::Duration::minutes(5);
    accounts.touch_session(&pending.hash, later).await.expect("touch");
    accounts.complete_session(&pending.hash).await.expect("complete");
    let read = accounts
        .session(&pending.hash)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(read.last_seen_at, later);
    assert!(!read.totp_pending);

    let idle = session(user, &"b".repeat(64));
    accounts.create_session(&idle).await.expect("session");
    // `idle` was last seen before `later`; `pending` was touched at `later`.
    let removed = accounts
        .delete_expired_sessions(Utc::now(), later - chrono::Duration::seconds(1))
        .await
        .expect("expire");
    assert_eq!(removed, 1);
    assert!(accounts.session(&idle.hash).await.expect("reads").is_none());
    accounts.delete_session(&pending.hash).await.expect("delete");
    assert!(accounts.session(&pending.hash).await.expect("reads").is_none());
}

async fn tokens_are_found_by_prefix_and_revoked_once(_: Arc<dyn Store>, accounts: Arc<dyn AccountStore>) {
    let (_, _, user) = agency_and_user(&accounts, "nadia", &[Role::Caseworker]).await;
    let token = TokenRecord {
        prefix: "0123456789ab".into(),
        secret_hash: "f".repeat(64),
        user_id: user,
        name: "nightly export".into(),
        scopes: vec!["child_case:read".into(), "child_case:list".into()],
        created_at: Utc::now().trunc_subsecs(6),
        expires_at: None,
        revoked_at: None,
    };
    accounts.create_token(&token).await.expect("token");
    assert_eq!(
        accounts.token(&token.prefix).await.expect("reads"),
        Some(token.clone())
    );
    assert_eq!(
        accounts.tokens(Some(user)).await.expect("lists"),
        std::slice::from_ref(&token)
    );
    assert_eq!(accounts.tokens(Some(Uuid::now_v7())).await.expect("lists"), []);
    assert_eq!(accounts.tokens(None).await.expect("lists").len(), 1);
    assert!(!format!("{token:?}").contains("ffff"), "no hash in Debug");
    let at = Utc::now().trunc_subsecs(6);
    assert!(accounts.revoke_token(&token.prefix, at).await.expect("revoke"));
    assert!(
        !accounts.revoke_token(&token.prefix, at).await.expect("revoke"),
        "once"
    );
    assert!(!accounts.revoke_token("nosuchprefix", at).await.expect("revoke"));
    assert_eq!(
        accounts
            .token(&token.prefix)
            .await
            .expect("reads")
            .expect("exists")
            .revoked_at,
        Some(at)
    );
}

async fn listings_are_filtered_by_owner_agency_and_team(
    store: Arc<dyn Store>,
    accounts: Arc<dyn AccountStore>,
) {
    let (agency, team, me) = agency_and_user(&accounts, "me", &[Role::Caseworker]).await;
    let other_team = accounts.create_team(agency, "Other").await.expect("team").id;
    let (other_agency, _, stranger) = agency_and_user(&accounts, "stranger", &[Role::Caseworker]).await;
    let colleague = Uuid::now_v7();
    let cases = Records::<ChildCase>::new(store.clone());
    let owned = |user, agency, team| Actor::owned("someone", Ownership { user, agency, team });
    let mine = cases
        .create(case("A"), &owned(me, agency, Some(team)))
        .await
        .expect("created");
    let my_team = cases
        .create(case("B"), &owned(colleague, agency, Some(team)))
        .await
        .expect("created");
    let my_agency = cases
        .create(case("C"), &owned(colleague, agency, Some(other_team)))
        .await
        .expect("created");
    let elsewhere = cases
        .create(case("D"), &owned(stranger, other_agency, None))
        .await
        .expect("created");
    let nobody = cases.create(case("E"), &actor()).await.expect("created");
    assert_eq!(
        mine.meta.owner,
        Some(Ownership {
            user: me,
            agency,
            team: Some(team)
        })
    );
    assert_eq!(
        cases
            .get(mine.meta.id)
            .await
            .expect("reads")
            .expect("exists")
            .meta
            .owner,
        mine.meta.owner
    );
    assert_eq!(nobody.meta.owner, None);

    let ids = |visibility: Option<Visibility>| {
        let cases = cases.clone();
        async move {
            cases
                .list_visible(None, 100, visibility.as_ref())
                .await
                .expect("lists")
                .into_iter()
                .map(|r| r.meta.id)
                .collect::<Vec<_>>()
        }
    };
    let own = Visibility {
        owner: me,
        agency: None,
        teams: None,
    };
    let by_team = Visibility {
        owner: me,
        agency: Some(agency),
        teams: Some(vec![team]),
    };
    let no_team = Visibility {
        owner: me,
        agency: Some(agency),
        teams: Some(vec![]),
    };
    let by_agency = Visibility {
        owner: me,
        agency: Some(agency),
        teams: None,
    };
    assert_eq!(ids(Some(own)).await, [mine.meta.id]);
    assert_eq!(ids(Some(by_team)).await, [mine.meta.id, my_team.meta.id]);
    assert_eq!(ids(Some(no_team)).await, [mine.meta.id]);
    assert_eq!(
        ids(Some(by_agency)).await,
        [mine.meta.id, my_team.meta.id, my_agency.meta.id]
    );
    assert_eq!(
        ids(None).await,
        [
            mine.meta.id,
            my_team.meta.id,
            my_agency.meta.id,
            elsewhere.meta.id,
            nobody.meta.id
        ]
    );

    // Imports record the owner too.
    let items = [ImportItem {
        external_id: "X-1".into(),
        body: serde_json::to_string(case("F").as_ref()).expect("json"),
    }];
    store
        .import(RecordKind::ChildCase, &items, &owned(me, agency, None), &|_| {})
        .await
        .expect("import");
    assert_eq!(
        ids(Some(Visibility {
            owner: me,
            agency: None,
            teams: None
        }))
        .await
        .len(),
        2
    );
}
// The audit log.

fn signing_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

fn record_ref(kind: RecordKind, id: kinlink_core::RecordId) -> (Resource, uuid::Uuid) {
    (kinlink_policy::resource_of(kind), *id.as_uuid())
}

async fn audit_of(store: &Arc<dyn Store>, id: kinlink_core::RecordId) -> Vec<kinlink_audit::AuditEntry> {
    let (resource, id) = record_ref(RecordKind::ChildCase, id);
    store
        .audit_for_record(resource, id)
        .await
        .expect("reads the audit")
}

async fn every_write_leaves_its_audit_entry(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let worker = Actor::new("cli:tester").with_purpose(Purpose::CaseManagement);
    let created = cases.create(case("Amina"), &worker).await.expect("created");
    let tracer = Actor::new("api").with_purpose(Purpose::Tracing);
    cases
        .update(created.meta.id, 1, case("Aminah"), &tracer)
        .await
        .expect("updated");
    let entries = audit_of(&store, created.meta.id).await;
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.event.kind,
                e.event.actor.name.as_ref().map(ActorName::as_str),
                e.event.purpose,
                e.event.outcome.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                EventKind::Create,
                Some("cli:tester"),
                Some(Purpose::CaseManagement),
                Outcome::Success
            ),
            (
                EventKind::Update,
                Some("api"),
                Some(Purpose::Tracing),
                Outcome::Success
            ),
        ]
    );
    assert!(entries.iter().all(|e| e.event.field_groups == FieldGroups::ALL));
    assert_eq!(
        entries[0].event.at, created.meta.created_at,
        "same clock as the write"
    );

    // An import: one entry per record created or changed, none for an unchanged one.
    let before = store.audit_len().await.expect("len");
    let batch = vec![("C1".to_owned(), case("Ali")), ("C2".to_owned(), case("Nuur"))];
    cases.import(&batch, &worker).await.expect("imports");
    let changed = vec![("C1".to_owned(), case("Aliyu")), ("C2".to_owned(), case("Nuur"))];
    cases.import(&changed, &worker).await.expect("imports");
    assert_eq!(store.audit_len().await.expect("len"), before + 3);
    let all = cases.list(None, 10).await.expect("lists");
    let c1 = all
        .iter()
        .find(|r| r.meta.external_id.as_deref() == Some("C1"))
        .expect("C1");
    let c2 = all
        .iter()
        .find(|r| r.meta.external_id.as_deref() == Some("C2"))
        .expect("C2");
    let kinds =
        |entries: Vec<kinlink_audit::AuditEntry>| entries.iter().map(|e| e.event.kind).collect::<Vec<_>>();
    assert_eq!(
        kinds(audit_of(&store, c1.meta.id).await),
        [EventKind::Create, EventKind::Update]
    );
    assert_eq!(kinds(audit_of(&store, c2.meta.id).await), [EventKind::Create]);
    // The entries of a tracing request are not those of a case with the same id.
    let (_, id) = record_ref(RecordKind::ChildCase, created.meta.id);
    assert!(
        store
            .audit_for_record(Resource::TracingRequest, id)
            .await
            .expect("reads")
            .is_empty()
    );
    verify_audit(store.as_ref(), &signing_key(1).verifying_key())
        .await
        .expect("the log verifies");
}

/// The matcher's proposals and a review (with the record writes of a
/// confirmation) append their entries in their own transaction; a review
/// that fails appends none.
async fn match_proposals_and_reviews_are_audited_with_their_writes(store: Arc<dyn Store>) {
    let (request, a, b) = pair_fixture(&store).await;
    let matcher = Actor::new("matcher");
    let before = store.audit_len().await.expect("len");
    store
        .propose_matches(
            request,
            1,
            &[proposal(a, 1, 0.9995), proposal(b, 1, 0.6)],
            &matcher,
        )
        .await
        .expect("proposes");
    assert_eq!(store.audit_len().await.expect("len"), before + 2);
    let listed = store.matches_for_request(request).await.expect("lists");
    let (confirmed, other) = (listed[0].id, listed[1].id);
    let proposal_entries = |id: MatchId| {
        let store = store.clone();
        async move {
            store
                .audit_for_record(Resource::MatchProposal, *id.as_uuid())
                .await
                .expect("reads")
                .iter()
                .map(|e| {
                    (
                        e.event.kind,
                        e.event.actor.name.as_ref().map(|n| n.as_str().to_owned()),
                        e.event.field_groups,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let proposed = (EventKind::Create, Some("matcher".to_owned()), FieldGroups::NONE);
    assert_eq!(proposal_entries(other).await, std::slice::from_ref(&proposed));
    // The same proposals again change nothing and append nothing; dropping one withdraws it.
    store
        .propose_matches(
            request,
            1,
            &[proposal(a, 1, 0.9995), proposal(b, 1, 0.6)],
            &matcher,
        )
        .await
        .expect("proposes");
    assert_eq!(store.audit_len().await.expect("len"), before + 2);
    store
        .propose_matches(request, 1, &[proposal(a, 1, 0.9995)], &matcher)
        .await
        .expect("proposes");
    let withdrawn = (EventKind::Update, Some("matcher".to_owned()), FieldGroups::NONE);
    assert_eq!(proposal_entries(other).await, [proposed.clone(), withdrawn]);

    let reviewer = Actor::new("api").with_purpose(Purpose::Tracing);
    let mut moved = tracing_request("Amina").into_inner();
    moved.status = TracingStatus::Verification;
    let write = |expected_version| RecordWrite {
        kind: RecordKind::TracingRequest,
        id: request,
        expected_version,
        body: serde_json::to_string(&moved).expect("serialises"),
    };
    let len = store.audit_len().await.expect("len");
    let confirm = || decision(MatchStatus::Confirmed, Some("mother recognised"));
    assert!(
        store
            .review_match(confirmed, 1, confirm(), &reviewer, &[write(7)])
            .await
            .is_err()
    );
    assert_eq!(
        store.audit_len().await.expect("len"),
        len,
        "a failed review appends nothing"
    );
    store
        .review_match(confirmed, 1, confirm(), &reviewer, &[write(1)])
        .await
        .expect("reviews");
    assert_eq!(store.audit_len().await.expect("len"), len + 2);
    let reviewed = (EventKind::Update, Some("api".to_owned()), FieldGroups::NONE);
    assert_eq!(proposal_entries(confirmed).await, [proposed, reviewed]);
    let request_entries = store
        .audit_for_record(Resource::TracingRequest, *request.as_uuid())
        .await
        .expect("reads");
    let last = request_entries.last().expect("entries");
    assert_eq!(
        (last.event.kind, last.event.purpose, last.event.field_groups),
        (EventKind::Update, Some(Purpose::Tracing), FieldGroups::ALL)
    );
    verify_audit(store.as_ref(), &signing_key(1).verifying_key())
        .await
        .expect("the log verifies");
}

async fn a_failed_write_leaves_no_audit_entry(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let created = cases.create(case("Amina"), &actor()).await.expect("created");
    let before = store.audit_len().await.expect("len");
    assert!(matches!(
        cases.update(created.meta.id, 7, case("Stale"), &actor()).await,
        Err(StoreError::Conflict { .. })
    ));
    let missing = kinlink_core::RecordId::from_uuid(uuid::Uuid::now_v7());
    assert!(cases.update(missing, 1, case("Nobody"), &actor()).await.is_err());
    let body = serde_json::to_string(case("Ali").as_ref()).expect("serialises");
    let duplicate = [("D1", &body), ("D1", &body)].map(|(external_id, body)| ImportItem {
        external_id: external_id.into(),
        body: body.clone(),
    });
    assert!(
        store
            .import(RecordKind::ChildCase, &duplicate, &actor(), &|_| {})
            .await
            .is_err()
    );
    assert_eq!(store.audit_len().await.expect("len"), before);
}

async fn reads_and_security_events_are_appended(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let created = cases.create(case("Amina"), &actor()).await.expect("created");
    let (resource, id) = record_ref(RecordKind::ChildCase, created.meta.id);
    let dpo = Actor::new("cli:dpo").with_purpose(Purpose::DataProtectionReview);
    let read = AuditEvent {
        at: Utc::now(),
        kind: EventKind::Read,
        actor: dpo.audit_actor(),
        record: Some(RecordRef { resource, id }),
        field_groups: FieldGroups::ALL,
        purpose: dpo.purpose(),
        outcome: Outcome::Success,
    };
    let failure = AuditEvent {
        at: Utc::now(),
        kind: EventKind::SignInFailure,
        actor: kinlink_audit::Actor::default(),
        record: None,
        field_groups: FieldGroups::NONE,
        purpose: None,
        outcome: Outcome::Denied(ReasonCode::new("bad_password").expect("code")),
    };
    let appended = store
        .append_audit(&[read, failure.clone()])
        .await
        .expect("appends");
    assert_eq!(appended.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(appended[1].event.outcome, failure.outcome);
    let about = store.audit_for_record(resource, id).await.expect("reads");
    assert_eq!(
        about.iter().map(|e| e.event.kind).collect::<Vec<_>>(),
        [EventKind::Create, EventKind::Read]
    );
    // What was appended reads back exactly, hashes included.
    let all = all_entries(store.as_ref()).await.expect("reads");
    assert_eq!(all[1..], appended[..]);
    assert_eq!(store.append_audit(&[]).await.expect("nothing to append"), []);
}

async fn concurrent_writers_extend_one_unbroken_chain(store: Arc<dyn Store>) {
    concurrent_writes(&[store.clone(), store.clone()], 40).await;
    let verified = verify_audit(store.as_ref(), &signing_key(1).verifying_key())
        .await
        .expect("one unbroken chain");
    assert_eq!(verified.entries, 80);
}

/// `writers` tasks per store, each creating a case and appending a read.
async fn concurrent_writes(stores: &[Arc<dyn Store>], writers: usize) {
    let mut tasks = Vec::new();
    for (i, store) in stores.iter().cycle().take(writers).enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let created = Records::<ChildCase>::new(store.clone())
                .create(case(&format!("Writer{i}")), &actor())
                .await
                .expect("created");
            let (resource, id) = record_ref(RecordKind::ChildCase, created.meta.id);
            let read = AuditEvent {
                at: Utc::now(),
                kind: EventKind::Read,
                actor: actor().audit_actor(),
                record: Some(RecordRef { resource, id }),
                field_groups: FieldGroups::ALL,
                purpose: None,
                outcome: Outcome::Success,
            };
            store.append_audit(&[read]).await.expect("appends");
        }));
    }
    for task in tasks {
        task.await.expect("task ran");
    }
}

async fn checkpoints_sign_the_head_once_and_only_with_the_same_key(store: Arc<dyn Store>) {
    let key = signing_key(1);
    assert_eq!(store.checkpoint(&key).await.expect("nothing to sign"), None);
    let cases = Records::<ChildCase>::new(store.clone());
    for name in ["Amina", "Ali", "Nuur"] {
        cases.create(case(name), &actor()).await.expect("created");
    }
    let first = store
        .checkpoint(&key)
        .await
        .expect("signs")
        .expect("a checkpoint");
    assert_eq!(first.checkpoint.sequence, 2);
    assert_eq!(first.key_id, kinlink_audit::key_id(&key.verifying_key()));
    assert!(first.checkpoint.signature_is_valid(&key.verifying_key()));
    // Nothing new: the same checkpoint, not a second one.
    assert_eq!(store.checkpoint(&key).await.expect("signs"), Some(first.clone()));
    assert_eq!(
        checkpoint_if_due(store.as_ref(), &key, 2).await.expect("checks"),
        None
    );
    cases.create(case("Hawa"), &actor()).await.expect("created");
    assert_eq!(
        checkpoint_if_due(store.as_ref(), &key, 2).await.expect("checks"),
        None
    );
    cases.create(case("Xawa"), &actor()).await.expect("created");
    let due = checkpoint_if_due(store.as_ref(), &key, 2)
        .await
        .expect("checks")
        .expect("due");
    assert_eq!(due.checkpoint.sequence, 4);
    assert_eq!(store.audit_checkpoints().await.expect("reads"), [first, due]);
    let verified = verify_audit(store.as_ref(), &key.verifying_key())
        .await
        .expect("verifies");
    assert_eq!(
        (verified.entries, verified.checkpoints, verified.unsealed),
        (5, 2, 0)
    );
    // Another key neither verifies these checkpoints nor signs after them.
    cases.create(case("Omar"), &actor()).await.expect("created");
    assert!(matches!(
        store.checkpoint(&signing_key(2)).await,
        Err(StoreError::AuditTampered(Tamper::ForgedCheckpoint {
            sequence: 4
        }))
    ));
    assert!(
        verify_audit(store.as_ref(), &signing_key(2).verifying_key())
            .await
            .is_err()
    );
}

async fn the_log_copies_verbatim_into_another_store(store: Arc<dyn Store>) {
    let key = signing_key(1);
    let cases = Records::<ChildCase>::new(store.clone());
    for name in ["Amina", "Ali", "Nuur"] {
        cases.create(case(name), &actor()).await.expect("created");
    }
    store.checkpoint(&key).await.expect("signs");
    cases.create(case("Hawa"), &actor()).await.expect("created");
    let (_dir, copy) = sqlite().await;
    // Page by page, as a copy would stream it.
    let mut after = None;
    loop {
        let page = store.audit_entries(after, 2).await.expect("reads");
        if page.is_empty() {
            break;
        }
        after = page.last().map(|e| e.sequence);
        copy.restore_audit(&page, &[]).await.expect("continues the chain");
    }
    copy.restore_audit(&[], &store.audit_checkpoints().await.expect("reads"))
        .await
        .expect("copies the checkpoints");
    let verified = verify_audit(copy.as_ref(), &key.verifying_key())
        .await
        .expect("the copy verifies");
    assert_eq!(
        (verified.entries, verified.checkpoints, verified.unsealed),
        (4, 1, 1)
    );
    assert_eq!(
        all_entries(copy.as_ref()).await.expect("reads"),
        all_entries(store.as_ref()).await.expect("reads")
    );
    // An entry that does not continue the copy's chain is refused.
    let first = store.audit_entries(None, 1).await.expect("reads");
    assert!(matches!(
        copy.restore_audit(&first, &[]).await,
        Err(StoreError::AuditDiscontinuous {
            expected: 4,
            found: 0
        })
    ));
    let mut edited = store.audit_entries(Some(2), 1).await.expect("reads");
    edited[0].event.purpose = Some(Purpose::Statistics);
    let (_dir, other) = sqlite().await;
    other
        .restore_audit(&store.audit_entries(None, 3).await.expect("reads"), &[])
        .await
        .expect("copies");
    assert!(matches!(
        other.restore_audit(&edited, &[]).await,
        Err(StoreError::AuditTampered(Tamper::Edited { sequence: 3 }))
    ));
}

/// Plain SQL on a backend's database, as someone with access to it would run.
enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Raw {
    async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = SqliteConnection::connect(&url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
            Raw::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
        }
    }

    /// The text values a query returns (one column), as stored.
    async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = SqliteConnection::connect(&url).await.expect("connects");
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.expect(sql)
            }
            Raw::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.expect("connects");
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.expect(sql)
            }
        }
    }

    /// The raw bytes of a text column's values (PostgreSQL: as the server
    /// holds them, `convert_to`; SQLite: the column read as a blob).
    async fn column_bytes(&self, table: &str, column: &str) -> Vec<Vec<u8>> {
        match self {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = SqliteConnection::connect(&url).await.expect("connects");
                let sql = format!("SELECT CAST({column} AS BLOB) FROM {table}");
                sqlx::query_scalar(&sql)
                    .fetch_all(&mut conn)
                    .await
                    .expect("reads")
            }
            Raw::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.expect("connects");
                let sql = format!("SELECT convert_to({column}::text, 'UTF8') FROM {table}");
                sqlx::query_scalar(&sql)
                    .fetch_all(&mut conn)
                    .await
                    .expect("reads")
            }
        }
    }

    /// The versions of the migrations applied, in order.
    async fn applied_migrations(&self) -> Result<Vec<i64>, sqlx::Error> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        match self {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = SqliteConnection::connect(&url).await?;
                let versions = sqlx::query_scalar(sql).fetch_all(&mut conn).await?;
                conn.close().await?;
                Ok(versions)
            }
            Raw::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await?;
                let versions = sqlx::query_scalar(sql).fetch_all(&mut conn).await?;
                conn.close().await?;
                Ok(versions)
            }
        }
    }
}

/// The migrations every database holds: records (0001), matches (0002),
/// accounts (0003), the audit log (0004), case files (0005), encryption at
/// rest (0006) and consents (0007). The schema version is the highest applied.
const MIGRATIONS: [i64; 7] = [1, 2, 3, 4, 5, 6, 7];

/// The triggers refuse changes to the log, and a write whose audit entry
/// cannot be appended is not written either.
async fn the_log_is_append_only_and_written_with_the_records(store: Arc<dyn Store>, raw: Raw) {
    let cases = Records::<ChildCase>::new(store.clone());
    cases.create(case("Amina"), &actor()).await.expect("created");
    store.checkpoint(&signing_key(1)).await.expect("signs");
    for sql in [
        "UPDATE audit_entries SET purpose = 'statistics'",
        "DELETE FROM audit_entries",
        "UPDATE audit_checkpoints SET key_id = 'x'",
        "DELETE FROM audit_checkpoints",
    ] {
        let err = raw.execute(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // A head no entry can follow: the next write's append fails, and so the write.
    raw.execute(&format!(
        "INSERT INTO audit_entries (sequence, at, kind, field_groups, outcome, previous_hash, hash) \
         VALUES (9223372036854775807, '2026-01-01T00:00:00Z', 'read', 0, 'success', '{0}', '{0}')",
        "0".repeat(64)
    ))
    .await
    .expect("inserts");
    assert!(cases.create(case("Ali"), &actor()).await.is_err());
    assert_eq!(store.count(RecordKind::ChildCase).await.expect("counts"), 1);
}

#[tokio::test]
async fn sqlite_log_is_append_only_and_written_with_the_records() {
    let (dir, store) = sqlite().await;
    let path = dir.path().join("kinlink.sqlite");
    the_log_is_append_only_and_written_with_the_records(store, Raw::Sqlite(path)).await;
}

#[tokio::test]
async fn postgres_log_is_append_only_and_written_with_the_records() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let raw = Raw::Postgres(database.url.clone());
    the_log_is_append_only_and_written_with_the_records(database.connect().await, raw).await;
}

/// Two servers (two pools) on one PostgreSQL database write at once: one chain.
#[tokio::test]
async fn postgres_servers_side_by_side_extend_one_chain() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let (a, b) = (database.connect().await, database.connect().await);
    concurrent_writes(&[a.clone(), b], 60).await;
    let verified = verify_audit(a.as_ref(), &signing_key(1).verifying_key())
        .await
        .expect("one unbroken chain");
    assert_eq!(verified.entries, 120);
}

// Case files (0005). The store treats the body as opaque JSON; the case
// management rules are `kinlink_casework`'s and are tested through HTTP.

fn command<'a>(kind: &'a str, body: &'a str) -> CaseCommand<'a> {
    CaseCommand { kind, body }
}

async fn case_files_compare_and_swap_and_keep_every_command(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let case_id = cases
        .create(case("Amina"), &actor())
        .await
        .expect("created")
        .meta
        .id;
    let missing = RecordId::from_uuid(Uuid::now_v7());
    assert!(matches!(
        store.create_case_file(missing, "{}", &actor()).await,
        Err(StoreError::NotFound {
            kind: RecordKind::ChildCase
        })
    ));
    let created = store
        .create_case_file(case_id, r#"{"stage":"identified"}"#, &actor())
        .await
        .expect("created");
    assert_eq!(created.version, 1);
    // Creating again returns the stored one, unchanged.
    let again = store
        .create_case_file(case_id, r#"{"stage":"other"}"#, &Actor::new("second"))
        .await
        .expect("idempotent");
    assert_eq!(again, created);

    let writer = Actor::new("cw-1").with_purpose(Purpose::BestInterestsProcedure);
    let alert = NewAlert {
        recipient: "sup-1".into(),
        kind: "approval_requested".into(),
        notice: r#"{"notice":"approval_requested"}"#.into(),
    };
    let updated = store
        .update_case_file(
            case_id,
            1,
            r#"{"stage":"registered"}"#,
            command("register", r#"{"command":"register"}"#),
            std::slice::from_ref(&alert),
            &writer,
        )
        .await
        .expect("updated");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.body, r#"{"stage":"registered"}"#);
    assert_eq!(updated.updated_by, "cw-1");
    assert_eq!(updated.created_by, "test");
    match store
        .update_case_file(
            case_id,
            1,
            r#"{"stage":"stale"}"#,
            command("register", "{}"),
            &[],
            &writer,
        )
        .await
    {
        Err(StoreError::Conflict {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        store
            .update_case_file(missing, 1, "{}", command("register", "{}"), &[], &writer)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let read = store
        .get_case_file(case_id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(read, updated);
    assert!(store.get_case_file(missing).await.expect("reads").is_none());

    let history = store.case_file_history(case_id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].version, 2);
    assert_eq!(history[0].command_kind, "register");
    assert_eq!(history[0].command, r#"{"command":"register"}"#);
    assert_eq!(history[0].actor, "cw-1");
    assert_eq!(history[0].purpose.as_deref(), Some("best_interests_procedure"));

    let alerts = store.alerts_for("sup-1").await.expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].case_id, case_id);
    assert_eq!(alerts[0].version, 2);
    assert_eq!(alerts[0].kind, "approval_requested");
    assert!(store.alerts_for("cw-1").await.expect("alerts").is_empty());

    // The creation and the update are in the audit log, under the case, for their purpose.
    let audit = audit_of(&store, case_id).await;
    let kinds: Vec<_> = audit.iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, [EventKind::Create, EventKind::Create, EventKind::Update]);
    assert_eq!(
        audit.last().and_then(|e| e.event.purpose),
        Some(Purpose::BestInterestsProcedure)
    );
}

async fn a_stale_case_file_update_writes_nothing(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let case_id = cases
        .create(case("Amina"), &actor())
        .await
        .expect("created")
        .meta
        .id;
    store
        .create_case_file(case_id, "{}", &actor())
        .await
        .expect("created");
    let alert = NewAlert {
        recipient: "sup-1".into(),
        kind: "detention_alert".into(),
        notice: "{}".into(),
    };
    let audit_before = store.audit_len().await.expect("audit");
    let stale = store
        .update_case_file(
            case_id,
            7,
            "{}",
            command("record_detention", "{}"),
            &[alert],
            &actor(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    assert!(
        store
            .case_file_history(case_id)
            .await
            .expect("history")
            .is_empty()
    );
    assert!(store.alerts_for("sup-1").await.expect("alerts").is_empty());
    assert_eq!(store.audit_len().await.expect("audit"), audit_before);
    assert_eq!(
        store
            .get_case_file(case_id)
            .await
            .expect("reads")
            .expect("exists")
            .version,
        1
    );
}

async fn case_files_are_listed_with_their_cases(store: Arc<dyn Store>) {
    let cases = Records::<ChildCase>::new(store.clone());
    let mut ids = Vec::new();
    for given in ["Amina", "Yonas", "Farid"] {
        let id = cases
            .create(case(given), &actor())
            .await
            .expect("created")
            .meta
            .id;
        ids.push(id);
    }
    // A case without a file (written before 0005) is not listed.
    for id in &ids[..2] {
        store
            .create_case_file(*id, &format!(r#"{{"case_id":"{id}"}}"#), &actor())
            .await
            .expect("file");
    }
    let listed = kinlink_store::case_files_with_cases(store.as_ref())
        .await
        .expect("lists");
    let listed_ids: Vec<_> = listed.iter().map(|f| f.file.case_id).collect();
    let mut expected = ids[..2].to_vec();
    expected.sort();
    assert_eq!(listed_ids, expected);
    for f in &listed {
        assert_eq!(f.case.meta.id, f.file.case_id);
        assert!(f.file.body.contains(&f.file.case_id.to_string()));
    }
    assert_eq!(store.case_files().await.expect("lists").len(), 2);
}

// Encryption at rest, rotation and erasure (migration 0006).

/// A synthetic name no fixture uses, searched for in the raw database.
const SECRET_GIVEN: &str = "Zubeydaqx";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Bodies are sealed in both tables, read back as written, and bound to
/// their record and version: one moved elsewhere does not decrypt.
async fn bodies_are_sealed_and_bound_to_their_record(store: Arc<dyn Store>, raw: Raw) {
    let cases = Records::<ChildCase>::new(store.clone());
    let a = cases.create(case(SECRET_GIVEN), &actor()).await.expect("created");
    let b = cases.create(case("Amina"), &actor()).await.expect("created");
    cases
        .update(a.meta.id, 1, case(&format!("{SECRET_GIVEN} Maryam")), &actor())
        .await
        .expect("updated");
    for (table, column) in [("records", "body"), ("record_revisions", "body")] {
        let values = raw.column_bytes(table, column).await;
        assert!(!values.is_empty());
        for value in values {
            assert!(value.starts_with(b"kl1:"), "{table}.{column} is not sealed");
            assert!(
                !contains(&value, SECRET_GIVEN.as_bytes()),
                "{table}.{column} holds the name"
            );
            assert!(!contains(&value, b"given"), "{table}.{column} holds JSON");
        }
    }
    // A case file and its history are sealed with the case's key, bound to the case file.
    let file_body = format!(r#"{{"views":"{SECRET_GIVEN}"}}"#);
    store
        .create_case_file(a.meta.id, &file_body, &actor())
        .await
        .expect("file");
    store
        .update_case_file(
            a.meta.id,
            1,
            &file_body,
            CaseCommand {
                kind: "record_views",
                body: &file_body,
            },
            &[],
            &actor(),
        )
        .await
        .expect("file updated");
    for (table, column) in [("case_files", "body"), ("case_file_events", "command")] {
        let values = raw.column_bytes(table, column).await;
        assert!(!values.is_empty());
        for value in values {
            assert!(value.starts_with(b"kl1:"), "{table}.{column} is not sealed");
            assert!(
                !contains(&value, SECRET_GIVEN.as_bytes()),
                "{table}.{column} holds the name"
            );
        }
    }
    let file = store
        .get_case_file(a.meta.id)
        .await
        .expect("reads")
        .expect("file");
    assert_eq!(file.body, file_body);
    let history = store.case_file_history(a.meta.id).await.expect("history");
    assert_eq!(history[0].command, file_body);
    let read = cases.get(a.meta.id).await.expect("reads").expect("found");
    assert_eq!(read.record, case(&format!("{SECRET_GIVEN} Maryam")).into_inner());
    let history = cases.history(a.meta.id).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].record, case(SECRET_GIVEN).into_inner());

    // A's current body moved onto B: refused, with neither name nor body in the error.
    raw.execute(&format!(
        "UPDATE records SET body = (SELECT body FROM records WHERE id = '{}') WHERE id = '{}'",
        a.meta.id, b.meta.id
    ))
    .await
    .expect("moves");
    let err = store
        .get(RecordKind::ChildCase, b.meta.id)
        .await
        .expect_err("moved body");
    assert!(matches!(err, StoreError::Undecryptable { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("does not decrypt") && !message.contains(SECRET_GIVEN),
        "{message}"
    );
    // A's first version put back as its current one (version 2): refused too.
    raw.execute(&format!(
        "UPDATE records SET body = (SELECT body FROM record_revisions WHERE record_id = '{0}' AND version = 1) \
         WHERE id = '{0}'",
        a.meta.id
    ))
    .await
    .expect("moves");
    let err = store
        .get(RecordKind::ChildCase, a.meta.id)
        .await
        .expect_err("old body");
    assert!(matches!(err, StoreError::Undecryptable { .. }), "{err}");
}

/// Erasure destroys the data key: the record and its history answer
/// "erased", listings and the change feed leave it out, the audit keeps
/// that it happened, and the ciphertext left behind cannot be opened.
async fn erasure_shreds_a_record_and_its_history(store: Arc<dyn Store>, raw: Raw) {
    let cases = Records::<ChildCase>::new(store.clone());
    let a = cases.create(case(SECRET_GIVEN), &actor()).await.expect("created");
    cases
        .update(a.meta.id, 1, case("Amina"), &actor())
        .await
        .expect("updated");
    store
        .create_case_file(a.meta.id, r#"{"stage":"identified"}"#, &actor())
        .await
        .expect("file");
    let kept = cases.create(case("Ali"), &actor()).await.expect("created");
    let dpo = Actor::new("dpo").with_purpose(Purpose::DataProtectionReview);
    assert!(matches!(
        store
            .erase(RecordKind::ChildCase, a.meta.id, &dpo, "not a code!")
            .await,
        Err(StoreError::Crypto(_))
    ));
    assert!(matches!(
        store
            .erase(RecordKind::TracingRequest, a.meta.id, &dpo, "dpo_request")
            .await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .erase(RecordKind::ChildCase, a.meta.id, &dpo, "dpo_request")
        .await
        .expect("erases");
    assert!(matches!(
        store.get(RecordKind::ChildCase, a.meta.id).await,
        Err(StoreError::Erased { .. })
    ));
    assert!(matches!(
        store.get_by_number(RecordKind::ChildCase, &a.meta.number).await,
        Err(StoreError::Erased { .. })
    ));
    assert!(matches!(
        store.history(RecordKind::ChildCase, a.meta.id).await,
        Err(StoreError::Erased { .. })
    ));
    // Its case file was sealed with the same key: shredded with it.
    assert!(matches!(
        store.get_case_file(a.meta.id).await,
        Err(StoreError::Erased { .. })
    ));
    assert!(matches!(
        cases.update(a.meta.id, 2, case("Amina"), &actor()).await,
        Err(StoreError::Erased { .. })
    ));
    assert!(matches!(
        store
            .erase(RecordKind::ChildCase, a.meta.id, &dpo, "dpo_request")
            .await,
        Err(StoreError::Erased { .. })
    ));
    let listed: Vec<RecordId> = cases
        .list(None, 100)
        .await
        .expect("lists")
        .into_iter()
        .map(|r| r.meta.id)
        .collect();
    assert_eq!(listed, vec![kept.meta.id]);
    let feed = store
        .changes_since(ChangeCursor::default(), 100)
        .await
        .expect("feed");
    assert!(feed.iter().all(|c| c.id != a.meta.id));
    // The key is gone; the sealed bodies remain, unreadable.
    let keys = raw
        .texts(&format!(
            "SELECT key_id FROM record_keys WHERE record_id = '{}'",
            a.meta.id
        ))
        .await;
    assert!(keys.is_empty());
    let rule = raw
        .texts(&format!(
            "SELECT rule FROM erasures WHERE record_id = '{}'",
            a.meta.id
        ))
        .await;
    assert_eq!(rule, vec!["dpo_request".to_owned()]);
    let audit = audit_of(&store, a.meta.id).await;
    let last = audit.last().expect("entries");
    assert_eq!(last.event.kind, EventKind::Erasure);
    assert_eq!(last.event.purpose, Some(Purpose::DataProtectionReview));
    // The other record is untouched.
    assert!(cases.get(kept.meta.id).await.expect("reads").is_some());
}

/// A plaintext database (written before encryption) is sealed on the first
/// open with a key, without losing anything; a store opened without the key
/// afterwards refuses bodies; a wrong key is refused at open.
async fn plaintext_is_sealed_on_upgrade_and_keys_are_checked<S, F>(open_plain: F, raw: Raw)
where
    S: Store + Clone + WithKeys + std::fmt::Debug,
    F: AsyncFn() -> S,
{
    let plain = open_plain().await;
    let store: Arc<dyn Store> = Arc::new(plain.clone());
    let cases = Records::<ChildCase>::new(store.clone());
    let a = cases.create(case(SECRET_GIVEN), &actor()).await.expect("created");
    cases
        .update(a.meta.id, 1, case("Amina"), &actor())
        .await
        .expect("updated");
    let items = vec![ImportItem {
        external_id: "X-1".to_owned(),
        body: serde_json::to_string(case(SECRET_GIVEN).as_ref()).expect("json"),
    }];
    store
        .import(RecordKind::ChildCase, &items, &actor(), &|_| {})
        .await
        .expect("imports");
    let before_history = cases.history(a.meta.id).await.expect("history");
    let plaintext = raw.column_bytes("record_revisions", "body").await;
    assert!(plaintext.iter().any(|v| contains(v, SECRET_GIVEN.as_bytes())));

    let sealed: Arc<dyn Store> = Arc::new(plain.keys(keyring()).await.expect("upgrades"));
    for table in ["records", "record_revisions"] {
        for value in raw.column_bytes(table, "body").await {
            assert!(value.starts_with(b"kl1:") && !contains(&value, SECRET_GIVEN.as_bytes()));
        }
    }
    if let Raw::Sqlite(path) = &raw {
        // Not left behind in free pages or the WAL either.
        for file in [path.clone(), path.with_extension("sqlite-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(
                    !contains(&bytes, SECRET_GIVEN.as_bytes()),
                    "{} holds the name",
                    file.display()
                );
            }
        }
    }
    let cases = Records::<ChildCase>::new(sealed.clone());
    assert_eq!(cases.history(a.meta.id).await.expect("history"), before_history);
    assert_eq!(cases.count().await.expect("counts"), 2);
    // Importing the same row again changes nothing (compared as plaintext).
    let outcome = sealed
        .import(RecordKind::ChildCase, &items, &actor(), &|_| {})
        .await
        .expect("imports");
    assert_eq!(outcome.unchanged, 1);

    // Without the key: bodies refused, clearly.
    let locked: Arc<dyn Store> = Arc::new(open_plain().await);
    assert!(matches!(
        locked.get(RecordKind::ChildCase, a.meta.id).await,
        Err(StoreError::Locked)
    ));
    assert!(matches!(
        Records::<ChildCase>::new(locked)
            .create(case("Ali"), &actor())
            .await,
        Err(StoreError::Locked)
    ));
    // Another key: refused at open, naming key ids only.
    let err = open_plain()
        .await
        .keys(Keyring::new(test_key(9)))
        .await
        .expect_err("wrong key");
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err}");
    assert!(err.to_string().contains("key id"), "{err}");
}

/// Rotation re-wraps every data key (and TOTP key) with the new master key
/// in one transaction and records it in the audit log; the old key opens
/// the database no more.
async fn rotation_rewraps_every_key<S, F>(open_plain: F)
where
    S: Store + Clone + WithKeys + std::fmt::Debug,
    F: AsyncFn() -> S,
{
    let store = open_plain().await.keys(keyring()).await.expect("opens");
    let dyn_store: Arc<dyn Store> = Arc::new(store.clone());
    let cases = Records::<ChildCase>::new(dyn_store.clone());
    let a = cases.create(case(SECRET_GIVEN), &actor()).await.expect("created");
    let erased = cases.create(case("Ali"), &actor()).await.expect("created");
    dyn_store
        .erase(RecordKind::ChildCase, erased.meta.id, &actor(), "dpo_request")
        .await
        .expect("erases");
    let before = dyn_store.audit_len().await.expect("len");
    let rotation = store.rotate(test_key(8)).await.expect("rotates");
    assert_eq!(rotation.data_keys, 1);
    assert_eq!(rotation.new_key, test_key(8).id());
    assert_eq!(rotation.old_key, test_key(7).id());
    let entries = dyn_store
        .audit_entries(Some(before - 1), 10)
        .await
        .expect("entries");
    assert_eq!(entries.last().expect("entry").event.kind, EventKind::KeyRotation);
    // A store still on the old key (a server left running) may not wrap new keys with it.
    assert!(matches!(
        cases.create(case("Ali"), &actor()).await,
        Err(StoreError::WrongMasterKey { .. })
    ));
    let item = ImportItem {
        external_id: "X-2".to_owned(),
        body: serde_json::to_string(case("Ali").as_ref()).expect("json"),
    };
    assert!(matches!(
        dyn_store
            .import(RecordKind::ChildCase, &[item], &actor(), &|_| {})
            .await,
        Err(StoreError::WrongMasterKey { .. })
    ));

    let rotated: Arc<dyn Store> = Arc::new(
        open_plain()
            .await
            .keys(Keyring::new(test_key(8)))
            .await
            .expect("new key"),
    );
    let read = Records::<ChildCase>::new(rotated.clone())
        .get(a.meta.id)
        .await
        .expect("reads");
    assert_eq!(read.expect("found").record, case(SECRET_GIVEN).into_inner());
    assert!(matches!(
        rotated.get(RecordKind::ChildCase, erased.meta.id).await,
        Err(StoreError::Erased { .. })
    ));
    let err = open_plain().await.keys(keyring()).await.expect_err("old key");
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err}");
}

/// What the key tests need of either backend's concrete store.
trait WithKeys: Sized {
    async fn keys(self, keyring: Keyring) -> Result<Self, StoreError>;
    async fn rotate(&self, new: MasterKey) -> Result<kinlink_store::Rotation, StoreError>;
}

impl WithKeys for SqliteStore {
    async fn keys(self, keyring: Keyring) -> Result<Self, StoreError> {
        self.with_keyring(keyring).await
    }
    async fn rotate(&self, new: MasterKey) -> Result<kinlink_store::Rotation, StoreError> {
        self.rotate_master_key(new, &actor()).await
    }
}

impl WithKeys for PgStore {
    async fn keys(self, keyring: Keyring) -> Result<Self, StoreError> {
        self.with_keyring(keyring).await
    }
    async fn rotate(&self, new: MasterKey) -> Result<kinlink_store::Rotation, StoreError> {
        self.rotate_master_key(new, &actor()).await
    }
}

#[tokio::test]
async fn sqlite_bodies_are_sealed_and_bound_to_their_record() {
    let (dir, store) = sqlite().await;
    bodies_are_sealed_and_bound_to_their_record(store, Raw::Sqlite(dir.path().join("kinlink.sqlite"))).await;
}

#[tokio::test]
async fn postgres_bodies_are_sealed_and_bound_to_their_record() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let raw = Raw::Postgres(database.url.clone());
    bodies_are_sealed_and_bound_to_their_record(database.connect().await, raw).await;
}

#[tokio::test]
async fn sqlite_erasure_shreds_a_record_and_its_history() {
    let (dir, store) = sqlite().await;
    erasure_shreds_a_record_and_its_history(store, Raw::Sqlite(dir.path().join("kinlink.sqlite"))).await;
}

#[tokio::test]
async fn postgres_erasure_shreds_a_record_and_its_history() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let raw = Raw::Postgres(database.url.clone());
    erasure_shreds_a_record_and_its_history(database.connect().await, raw).await;
}

#[tokio::test]
async fn sqlite_plaintext_is_sealed_on_upgrade_and_keys_are_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = Raw::Sqlite(dir.path().join("kinlink.sqlite"));
    plaintext_is_sealed_on_upgrade_and_keys_are_checked(
        async || SqliteStore::open(dir.path()).await.expect("opens"),
        raw,
    )
    .await;
}

#[tokio::test]
async fn postgres_plaintext_is_sealed_on_upgrade_and_keys_are_checked() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let raw = Raw::Postgres(database.url.clone());
    plaintext_is_sealed_on_upgrade_and_keys_are_checked(async || database.connect_plain().await, raw).await;
}

#[tokio::test]
async fn sqlite_rotation_rewraps_every_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    rotation_rewraps_every_key(async || SqliteStore::open(dir.path()).await.expect("opens")).await;
}

#[tokio::test]
async fn postgres_rotation_rewraps_every_key() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    rotation_rewraps_every_key(async || database.connect_plain().await).await;
}
