//! The store contract, written once against `dyn Store` and run against
//! every backend: SQLite in a temporary directory, and PostgreSQL in a fresh
//! database per test on the server at `KINLINK_TEST_POSTGRES_URL` (default
//! [`DEFAULT_POSTGRES`]). Without that server the PostgreSQL tests say they
//! skip and pass, except in CI (`CI=true`), where they fail.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use kinlink_audit::{ActorName, AuditEvent, EventKind, Outcome, ReasonCode, RecordRef, Tamper};
use kinlink_core::{
    Calendar, CalendarDate, ChildCase, ChildIdentity, PartialDate, PersonName, RecordKind, RecordNumber,
    Validated, WrittenName,
};
use kinlink_policy::{FieldGroups, Purpose, Resource};
use kinlink_store::audit::{all_entries, checkpoint_if_due, verify_audit};
use kinlink_store::{Actor, ImportItem, PgOptions, PgStore, Records, SqliteStore, Store, StoreError};
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

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

fn actor() -> Actor {
    Actor::new("test")
}

async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("opens");
    (dir, Arc::new(store))
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

    async fn connect_pg(&self) -> PgStore {
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
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.expect("opens"));
        store
    })
    .await;
    let store = SqliteStore::open(dir.path()).await.expect("opens");
    assert_eq!(store.schema_version().await.expect("reads"), 4);
}

#[tokio::test]
async fn postgres_data_survives_reconnecting() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    data_survives_reopening(async || database.connect().await).await;
    assert_eq!(
        database.connect_pg().await.schema_version().await.expect("reads"),
        4
    );
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
}

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
