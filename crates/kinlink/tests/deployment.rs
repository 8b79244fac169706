//! kinlink as a national authority runs it: real `kinlink serve` processes
//! on PostgreSQL, a database that goes away and comes back, several servers
//! on one database, and pool settings that reach the database.
//! Every person in these tests is synthetic.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

mod support;

use kinlink_core::RecordKind;
use kinlink_crypto::{Keyring, MasterKey};
use kinlink_server::Matcher;
use kinlink_store::{
    Actor, ConsentGiver, ConsentPurpose, MatchReview, MatchStatus, NewConsent, PgOptions, PgStore,
    ReviewDecision, SqliteStore, Store, StoredMatch,
};
use support::{PgDatabase, PrivateCluster, Server, list_all, psql, wait_until};

/// A synthetic child case; `n` makes each one different.
fn case(n: usize) -> Value {
    json!({
        "child": {
            "names": {"given": {"original": format!("Testchild{n}")}, "family": {"original": "Synthetic"}},
            "sex": "female",
            "date_of_birth": {"value": "2014-03"},
            "country_of_origin": "ER"
        },
        "accompaniment": "separated"
    })
}

/// The outage's phases, as the writer thread sees them.
const BEFORE: u8 = 0;
const DURING: u8 = 1;
const AFTER: u8 = 2;
const STOP: u8 = 3;

#[derive(Default)]
struct Writes {
    /// Acknowledged (201) writes: id → (number, phase).
    acknowledged: HashMap<String, (String, u8)>,
    /// Refused writes by phase.
    refused: [usize; 3],
    /// Statuses other than 201 and 503.
    unexpected: Vec<(u16, Value)>,
}

#[test]
fn readyz_fails_while_postgres_is_down_and_no_acknowledged_write_is_lost() {
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let tmp = TempDir::new().expect("temp dir");
    let args = ["--database-url", &cluster.url, "--db-acquire-timeout", "1s"];
    let token = support::init(tmp.path(), &args);
    let server = Arc::new(Server::start(tmp.path(), &args, &token));
    assert_eq!(server.get("/readyz").0, 200);

    // One thread writes all along; the test moves it through the phases.
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let writes = Arc::new(Mutex::new(Writes::default()));
    let writer = {
        let (server, phase, writes) = (server.clone(), phase.clone(), writes.clone());
        thread::spawn(move || {
            for n in 0.. {
                let now = phase.load(Ordering::SeqCst);
                if now == STOP {
                    return;
                }
                let (status, body) = server.post("/api/v1/cases", &case(n));
                let mut writes = writes.lock().expect("lock");
                match status {
                    201 => {
                        let id = body["id"].as_str().expect("id").to_owned();
                        let number = body["number"].as_str().expect("number").to_owned();
                        writes.acknowledged.insert(id, (number, now));
                    }
                    503 => {
                        assert_eq!(body["error"], "unavailable", "{body}");
                        writes.refused[usize::from(now)] += 1;
                    }
                    _ => writes.unexpected.push((status, body)),
                }
            }
        })
    };
    let acknowledged_in = |p: u8| {
        let writes = writes.lock().expect("lock");
        writes.acknowledged.values().filter(|(_, at)| *at == p).count()
    };
    let refused_in = |p: u8| writes.lock().expect("lock").refused[usize::from(p)];
    let limit = Duration::from_secs(120);

    wait_until("writes before the outage", limit, || {
        acknowledged_in(BEFORE) >= 20
    });
    cluster.crash();
    phase.store(DURING, Ordering::SeqCst);
    wait_until("/readyz to fail while the database is down", limit, || {
        server.get("/readyz").0 == 503
    });
    wait_until("writes refused during the outage", limit, || {
        refused_in(DURING) >= 3
    });

    cluster.start();
    wait_until("/readyz to recover by itself", limit, || {
        server.get("/readyz").0 == 200
    });
    phase.store(AFTER, Ordering::SeqCst);
    wait_until("writes after the outage", limit, || acknowledged_in(AFTER) >= 20);
    phase.store(STOP, Ordering::SeqCst);
    writer.join().expect("the writer thread");

    let writes = writes.lock().expect("lock");
    assert!(writes.unexpected.is_empty(), "{:?}", writes.unexpected);
    // Every acknowledged write is there, as acknowledged, and nothing twice.
    let stored = list_all(&server, "cases");
    let stored: HashMap<&str, &Value> = stored
        .iter()
        .map(|r| (r["id"].as_str().expect("id"), r))
        .collect();
    for (id, (number, _)) in &writes.acknowledged {
        let record = stored
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged write {id} was lost"));
        assert_eq!(record["number"], number.as_str());
        assert_eq!(record["version"], 1);
        let (status, by_number) = server.get(&format!("/api/v1/cases/{number}"));
        assert_eq!(status, 200);
        assert_eq!(by_number["id"], id.as_str());
    }
    // A write cut off by the crash may have committed without its answer,
    // but no more than one: the writer has one request in flight.
    assert!(stored.len() >= writes.acknowledged.len());
    assert!(
        stored.len() <= writes.acknowledged.len() + 1,
        "{} stored",
        stored.len()
    );
}

#[test]
fn a_stale_update_gets_409_whichever_of_two_servers_served_the_first_write() {
    let Some(db) = PgDatabase::create() else { return };
    let tmp = TempDir::new().expect("temp dir");
    support::run(support::kinlink(tmp.path()).args(["--database-url", &db.url, "migrate"]));
    // One deployment (keys, accounts), two servers: a token made once works on both.
    let token = support::init(tmp.path(), &["--database-url", &db.url]);
    let servers = [
        Arc::new(Server::start(tmp.path(), &["--database-url", &db.url], &token)),
        Arc::new(Server::start(tmp.path(), &["--database-url", &db.url], &token)),
    ];
    let (status, created) = servers[0].post("/api/v1/cases", &case(1));
    assert_eq!(status, 201, "{created}");
    let path = format!("/api/v1/cases/{}", created["id"].as_str().expect("id"));
    assert_eq!(servers[1].get(&path).1["version"], 1);
    // Without the token, either server answers 401 and nothing else.
    let (status, body) = servers[1].get_anonymous(&path);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unauthenticated");
    assert!(
        body.get("record").is_none() && body.get("number").is_none(),
        "{body}"
    );

    // In turn, each server serves the first write and the other gets the stale one.
    let mut version = 1;
    for (first, second) in [(0, 1), (1, 0), (0, 1)] {
        let update = json!({"version": version, "record": case(10 + version as usize)});
        let (status, body) = servers[first].put(&path, &update);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["version"], version + 1);
        let (status, body) = servers[second].put(&path, &update);
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"], "conflict");
        assert_eq!(body["current_version"], version + 1);
        version += 1;
    }

    // Both at once, on the same version: exactly one wins, every time.
    for _ in 0..10 {
        let barrier = Arc::new(Barrier::new(2));
        let statuses: Vec<u16> = servers
            .iter()
            .map(|server| {
                let (server, barrier, path) = (server.clone(), barrier.clone(), path.clone());
                let update = json!({"version": version, "record": case(100 + version as usize)});
                thread::spawn(move || {
                    barrier.wait();
                    server.put(&path, &update).0
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect();
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, [200, 409], "{statuses:?}");
        version += 1;
    }

    // No write was lost or doubled: one revision per version, seen alike by both.
    for server in &servers {
        let (status, history) = server.get(&format!("{path}/history"));
        assert_eq!(status, 200);
        let versions: Vec<i64> = history
            .as_array()
            .expect("history")
            .iter()
            .map(|r| r["version"].as_i64().expect("version"))
            .collect();
        assert_eq!(versions, (1..=version).collect::<Vec<_>>());
        assert_eq!(server.get(&path).1["version"], version);
    }
}

#[test]
fn the_configured_statement_timeout_reaches_postgres() {
    let Some(db) = PgDatabase::create() else { return };
    let tmp = TempDir::new().expect("temp dir");
    let args = ["--database-url", &db.url, "--db-statement-timeout", "300ms"];
    let token = support::init(tmp.path(), &args);
    let server = Server::start(tmp.path(), &args, &token);
    assert_eq!(server.post("/api/v1/cases", &case(1)).0, 201);

    // Another session holds a lock every write needs, for longer than any test.
    let mut holder = std::process::Command::new("psql")
        .args(["-X", "-q", "-d", &db.url, "-c"])
        .arg("BEGIN; LOCK TABLE number_sequences IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300);")
        .env("PGAPPNAME", "kinlink_test_lock_holder")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start psql");
    let locked = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                  WHERE c.relname = 'number_sequences' AND l.mode = 'AccessExclusiveLock' AND l.granted";
    wait_until("the lock to be held", Duration::from_secs(60), || {
        psql(&db.url, locked).as_deref() == Ok("1")
    });
    // Without the setting the write would wait for the lock; with it, the
    // server cancels the statement and the client is told to retry.
    let (status, body) = server.post("/api/v1/cases", &case(2));
    // Killing psql alone would leave its session sleeping with the lock.
    psql(
        &db.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'kinlink_test_lock_holder'",
    )
    .expect("end the session holding the lock");
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "unavailable");
    // Once the lock is gone, writes go through again.
    wait_until("writes to go through again", Duration::from_secs(60), || {
        server.post("/api/v1/cases", &case(3)).0 == 201
    });
}

#[test]
fn pool_and_timeout_settings_come_from_file_then_environment_then_flags() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let config = |cmd: &mut std::process::Command| support::run(cmd.arg("config"));
    let defaults = config(&mut support::kinlink(dir));
    for line in [
        r#"db_statement_timeout = "30s""#,
        r#"db_acquire_timeout = "10s""#,
        r#"sqlite_busy_timeout = "30s""#,
    ] {
        assert!(defaults.contains(line), "{defaults}");
    }
    assert!(!defaults.contains("db_max_connections"), "{defaults}");

    std::fs::write(
        dir.join("kinlink.toml"),
        "db_max_connections = 4\ndb_statement_timeout = \"off\"\nsqlite_busy_timeout = \"2m\"\n",
    )
    .expect("write");
    let file = config(&mut support::kinlink(dir));
    assert!(file.contains("db_max_connections = 4\n"), "{file}");
    assert!(file.contains(r#"db_statement_timeout = "off""#), "{file}");
    assert!(file.contains(r#"sqlite_busy_timeout = "2m""#), "{file}");

    let env = config(
        support::kinlink(dir)
            .env("KINLINK_DB_MAX_CONNECTIONS", "20")
            .env("KINLINK_DB_ACQUIRE_TIMEOUT", "1500ms"),
    );
    assert!(env.contains("db_max_connections = 20\n"), "{env}");
    assert!(env.contains(r#"db_acquire_timeout = "1500ms""#), "{env}");

    let flags = config(
        support::kinlink(dir)
            .env("KINLINK_DB_MAX_CONNECTIONS", "20")
            .args(["--db-max-connections", "30", "--sqlite-busy-timeout", "250ms"]),
    );
    assert!(flags.contains("db_max_connections = 30\n"), "{flags}");
    assert!(flags.contains(r#"sqlite_busy_timeout = "250ms""#), "{flags}");

    // Nonsense is refused by every command, naming the setting.
    for (var, value) in [
        ("KINLINK_DB_MAX_CONNECTIONS", "many"),
        ("KINLINK_DB_MAX_CONNECTIONS", "0"),
        ("KINLINK_DB_STATEMENT_TIMEOUT", "30"),
        ("KINLINK_SQLITE_BUSY_TIMEOUT", "soon"),
    ] {
        let output = support::kinlink(dir)
            .env(var, value)
            .args(["case", "list"])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{var}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let key = var.trim_start_matches("KINLINK_").to_ascii_lowercase();
        assert!(stderr.contains(&key), "{var}={value}: {stderr}");
    }
}

/// Everything a database holds as the CLI shows it: every record of both
/// kinds with its metadata (JSON Lines export) and the full history of each,
/// then the agencies, users and API tokens.
fn everything(dir: &std::path::Path, url: &str) -> (String, Vec<String>) {
    let on = |args: &[&str]| support::run(support::kinlink(dir).args(["--database-url", url]).args(args));
    let mut export = String::new();
    let mut histories = Vec::new();
    for listing in [&["agency", "list"][..], &["user", "list"], &["token", "list"]] {
        histories.push(on(listing));
    }
    for (which, noun) in [("cases", "case"), ("requests", "request")] {
        let lines = on(&["export", which, "--format", "jsonl"]);
        for line in lines.lines() {
            let record: Value = serde_json::from_str(line).expect("a JSON line");
            let id = record["id"].as_str().expect("id").to_owned();
            histories.push(on(&[noun, "history", &id]));
        }
        export.push_str(&lines);
    }
    (export, histories)
}

/// Every match proposal a database holds with its review history, the
/// change counter and the matcher's position, read through the store.
type Matches = (Vec<(StoredMatch, Vec<MatchReview>)>, i64, i64);

/// The store at `url`, opened with the master key of the deployment in `dir`.
async fn open_store(dir: &Path, url: &str) -> Arc<dyn Store> {
    let key = || {
        let path = dir.join("kinlink-data/keys/master.key");
        Keyring::new(MasterKey::load_file(&path).expect("the deployment's master key"))
    };
    match url.strip_prefix("sqlite://") {
        Some(path) => Arc::new(
            SqliteStore::open_file(Path::new(path))
                .await
                .expect("open the SQLite database")
                .with_keyring(key())
                .await
                .expect("the master key opens it"),
        ),
        None => Arc::new(
            PgStore::connect(url, PgOptions::default())
                .await
                .expect("connect to PostgreSQL")
                .with_keyring(key())
                .await
                .expect("the master key opens it"),
        ),
    }
}

fn matches_of(dir: &Path, url: &str) -> Matches {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        let store = open_store(dir, url).await;
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let requests = store
                .list(RecordKind::TracingRequest, after, 100)
                .await
                .expect("list requests");
            let Some(last) = requests.last() else { break };
            after = Some(last.meta.id);
            for request in &requests {
                for found in store.matches_for_request(request.meta.id).await.expect("matches") {
                    let history = store.match_history(found.id).await.expect("history");
                    all.push((found, history));
                }
            }
        }
        let latest = store.latest_change().await.expect("latest change");
        let position = store.matcher_position().await.expect("matcher position");
        (all, latest, position)
    })
}

/// A synthetic tracing consent for every record (without one, a record is
/// not matched); copy-db then carries the consents too.
async fn consent_to_tracing(store: &Arc<dyn Store>) {
    let actor = Actor::new("caseworker");
    for (kind, given_by) in [
        (RecordKind::ChildCase, ConsentGiver::Child),
        (RecordKind::TracingRequest, ConsentGiver::Parent),
    ] {
        let mut after = None;
        loop {
            let page = store.list(kind, after, 100).await.expect("list");
            let Some(last) = page.last() else { break };
            after = Some(last.meta.id);
            for record in &page {
                let consent = NewConsent {
                    purpose: ConsentPurpose::Tracing,
                    given_by,
                    given_at: record.meta.created_at,
                    language: "so".to_owned(),
                    interpreter: Some("interpreter-7".to_owned()),
                };
                store
                    .record_consent(kind, record.meta.id, &consent, &actor)
                    .await
                    .expect("consent");
            }
        }
    }
}

/// Run the server's matcher over the database until it has matched every
/// record, then review two of its proposals: one rejected with a reason, one
/// taken under review without. Returns the proposals.
fn match_and_review(dir: &Path, url: &str) -> Matches {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        let store = open_store(dir, url).await;
        consent_to_tracing(&store).await;
        let matcher = Matcher::start(store.clone());
        tokio::time::timeout(Duration::from_secs(300), matcher.settled())
            .await
            .expect("the matcher settles")
            .expect("the matcher runs");
        drop(matcher);
    });
    let (proposals, ..) = matches_of(dir, url);
    assert!(
        proposals.len() >= 2,
        "the matcher proposed {} matches",
        proposals.len()
    );
    runtime.block_on(async {
        let store = open_store(dir, url).await;
        let reviewer = Actor::new("caseworker");
        let decisions = [
            ReviewDecision {
                status: MatchStatus::Rejected,
                reason: Some("different mother's name on the registration"),
            },
            ReviewDecision {
                status: MatchStatus::UnderReview,
                reason: None,
            },
        ];
        for ((found, _), decision) in proposals.iter().zip(decisions) {
            store
                .review_match(found.id, found.version, decision, &reviewer, &[])
                .await
                .expect("review");
        }
    });
    matches_of(dir, url)
}

#[test]
fn copy_db_moves_every_record_with_its_history_to_postgres_and_back() {
    let Some(db) = PgDatabase::create() else { return };
    let tmp = TempDir::new().expect("temp dir");
    let dir = tmp.path();
    let sqlite = format!("sqlite://{}", dir.join("field-office.sqlite").display());
    let on = |url: &str, args: &[&str], stdin: Option<&Value>| {
        let mut cmd = support::kinlink(dir);
        cmd.args(["--database-url", url]).args(args);
        if let Some(body) = stdin {
            let file = dir.join("input.json");
            std::fs::write(&file, body.to_string()).expect("write");
            cmd.args(["--file", file.to_str().expect("utf-8 path")]);
        }
        support::run(&mut cmd)
    };

    // A field office's accounts, and its history: records made one by one and updated, and an import.
    support::init(dir, &["--database-url", &sqlite]);
    let created: Value =
        serde_json::from_str(&on(&sqlite, &["case", "create"], Some(&case(1)))).expect("json");
    let number = created["number"].as_str().expect("number").to_owned();
    for version in 1..=2 {
        let v = version.to_string();
        on(
            &sqlite,
            &["case", "update", &number, "--version", &v],
            Some(&case(10 + version)),
        );
    }
    on(&sqlite, &["case", "create"], Some(&case(2)));
    on(&sqlite, &["demo-data", "--children", "40", "--out", "demo"], None);
    on(&sqlite, &["import", "cases", "demo/cases.csv"], None);
    on(&sqlite, &["import", "requests", "demo/requests.csv"], None);
    let original = everything(dir, &sqlite);
    assert!(original.1.iter().any(|h| h.matches("\"version\"").count() == 3));
    assert!(
        original.1.iter().any(|l| l.contains("tester\t")),
        "{:?}",
        original.1
    );
    assert!(
        original.1.iter().any(|l| l.contains("child_case:update")),
        "{:?}",
        original.1
    );
    // Its matches: proposed by the matcher, two of them reviewed.
    let matches = match_and_review(dir, &sqlite);
    let statuses: Vec<MatchStatus> = matches.0.iter().map(|(m, _)| m.status).collect();
    assert!(statuses.contains(&MatchStatus::Rejected), "{statuses:?}");
    assert!(statuses.contains(&MatchStatus::UnderReview), "{statuses:?}");
    assert!(statuses.contains(&MatchStatus::New), "{statuses:?}");
    assert!(matches.0.iter().any(|(m, _)| m.reviewed_at.is_none()));
    assert!(matches.0.iter().any(|(_, history)| history.len() >= 2));
    assert!(matches.1 > 0 && matches.2 > 0, "{:?}", (matches.1, matches.2));

    // The field office's audit log: who touched the first case, and a signed checkpoint.
    // The deployment's key, made by `kinlink init`: copy-db and audit verify
    // also find it there by themselves.
    let key = dir.join("kinlink-data").join("keys").join("signing-ed25519.key");
    let key = key.to_str().expect("utf-8 path");
    let shown = on(&sqlite, &["audit", "show", "--record", &number], None);
    assert!(
        shown.contains("\tcreate\tchild_case\t") && shown.matches("\tupdate\tchild_case\t").count() == 2,
        "{shown}"
    );
    let verified = on(&sqlite, &["audit", "verify", "--signing-key", key], None);
    let entries = verified
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once(" entries"))
        .map(|(n, _)| n.to_owned())
        .expect("the number of entries");
    assert!(entries.parse::<u64>().expect("a number") > 40, "{verified}");

    // SQLite → PostgreSQL, the audit log verified in the target before commit.
    let report = on(
        "",
        &[
            "copy-db",
            "--from",
            &sqlite,
            "--to",
            &db.url,
            "--signing-key",
            key,
        ],
        None,
    );
    assert!(report.contains("copied from SQLite to PostgreSQL"), "{report}");
    assert!(report.contains("record_revisions"), "{report}");
    assert!(report.contains("match_reviews"), "{report}");
    assert!(
        report.contains(&format!(
            "audit log verified: {entries} entries, 1 checkpoints (signatures checked), 0 entries after"
        )),
        "{report}"
    );
    // The entries arrived intact: the same log verifies there against the same
    // checkpoint, and lists the same entries for the case.
    assert!(
        on(&db.url, &["audit", "verify", "--signing-key", key], None).starts_with(&format!(
            "the audit log verifies: {entries} entries, 1 signed checkpoints\n"
        ))
    );
    let shown_there = on(&db.url, &["audit", "show", "--record", &number], None);
    let after = shown_there
        .strip_prefix(&shown)
        .unwrap_or_else(|| panic!("the same entries first: {shown_there}"));
    assert!(
        after.contains("\tread\taudit_log\t"),
        "the source's own look: {after}"
    );
    assert_eq!(everything(dir, &db.url), original);
    assert_eq!(matches_of(dir, &db.url), matches);

    // A second copy into the now non-empty database is refused, and changes nothing.
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &sqlite, "--to", &db.url])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert_eq!(everything(dir, &db.url), original);

    // PostgreSQL → a new SQLite file, the digest the same both ways.
    let back = format!("sqlite://{}", dir.join("back").join("copy.sqlite").display());
    let report_back = on("", &["copy-db", "--from", &db.url, "--to", &back], None);
    assert!(
        report_back.contains("copied from PostgreSQL to SQLite"),
        "{report_back}"
    );
    let digest = |r: &str| r.rsplit(' ').next().map(str::trim).map(str::to_owned);
    assert_eq!(digest(&report), digest(&report_back));
    assert_eq!(everything(dir, &back), original);
    assert_eq!(matches_of(dir, &back), matches);

    // The number sequences came along: each copy numbers the next record alike.
    let next: Vec<String> = [&sqlite, &db.url, &back]
        .iter()
        .map(|url| {
            let created: Value =
                serde_json::from_str(&on(url, &["case", "create"], Some(&case(3)))).expect("json");
            created["number"].as_str().expect("number").to_owned()
        })
        .collect();
    assert_eq!(next[0], next[1]);
    assert_eq!(next[0], next[2]);
    assert_ne!(next[0], number);

    // --replace never deletes an audit log (append-only): a target holding one is
    // refused, and left as it was.
    on(&sqlite, &["case", "create"], Some(&case(4)));
    let before = everything(dir, &db.url);
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &sqlite, "--to", &db.url, "--replace"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("holds an audit log") && stderr.contains("append-only"),
        "{stderr}"
    );
    assert_eq!(everything(dir, &db.url), before);
    assert_ne!(everything(dir, &db.url), everything(dir, &sqlite));

    // --replace replaces a target that holds data but no audit log.
    let Some(fresh) = PgDatabase::create() else { return };
    on(&fresh.url, &["migrate"], None);
    psql(
        &fresh.url,
        "INSERT INTO number_sequences (kind, year, last) VALUES ('child_case', 1999, 7)",
    )
    .expect("insert");
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &sqlite, "--to", &fresh.url])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    on(
        "",
        &["copy-db", "--from", &sqlite, "--to", &fresh.url, "--replace"],
        None,
    );
    assert_eq!(everything(dir, &fresh.url), everything(dir, &sqlite));
    assert_eq!(matches_of(dir, &fresh.url), matches_of(dir, &sqlite));

    // A source whose audit log was edited (triggers disabled, as its owner can)
    // is not copied: the copy would not verify.
    psql(
        &fresh.url,
        "ALTER TABLE audit_entries DISABLE TRIGGER USER; \
         UPDATE audit_entries SET purpose = 'statistics' WHERE sequence = 1; \
         ALTER TABLE audit_entries ENABLE TRIGGER USER",
    )
    .expect("edit the log");
    let elsewhere = format!("sqlite://{}", dir.join("elsewhere").join("copy.sqlite").display());
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &fresh.url, "--to", &elsewhere])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the audit log does not verify after copying (entry 1 was edited"),
        "{stderr}"
    );
    assert!(everything(dir, &elsewhere).0.is_empty(), "nothing was written");

    // A table copy-db does not know (a migration that forgot copy::TABLES) stops it.
    psql(&db.url, "CREATE TABLE stray_table (x integer)").expect("create a table");
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &db.url, "--to", &back, "--replace"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stray_table"));

    // So does a column it does not know (a migration that added one to a table).
    psql(
        &db.url,
        "DROP TABLE stray_table; ALTER TABLE match_reviews ADD COLUMN stray_column integer",
    )
    .expect("add a column");
    let refused = support::kinlink(dir)
        .args(["copy-db", "--from", &db.url, "--to", &back, "--replace"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("match_reviews.stray_column"));
}

/// A synthetic name, different for each `n` (two invented syllables).
fn invented_name(n: usize, offset: usize) -> String {
    const SYLLABLES: [&str; 10] = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "ya"];
    let a = SYLLABLES[(n + offset) % 10];
    let b = SYLLABLES[(n / 10 + offset) % 10];
    let c = SYLLABLES[(n / 100 + offset) % 10];
    let mut name = format!("{a}{b}{c}");
    name[..1].make_ascii_uppercase();
    name
}

/// A registered child and a tracing request from the child's mother that
/// describes the same child; `n` makes each pair different.
fn child_and_mothers_request(n: usize) -> (Value, Value) {
    let (given, family, mother) = (invented_name(n, 0), invented_name(n, 3), invented_name(n, 7));
    let case = json!({
        "child": {
            "names": {"given": {"original": given}, "family": {"original": family}},
            "sex": "male",
            "date_of_birth": {"value": "2013-05"},
            "country_of_origin": "ER",
            "family": [{"relation": "mother", "names": {"given": {"original": mother}}}]
        },
        "accompaniment": "unaccompanied"
    });
    let request = json!({
        "inquirer": {"names": {"given": {"original": mother}}, "relation": "mother"},
        "sought_children": [{
            "names": {"given": {"original": given}, "family": {"original": family}},
            "sex": "male",
            "date_of_birth": {"value": "2013"},
            "country_of_origin": "ER"
        }]
    });
    (case, request)
}

/// Write a pair through two processes (the request through `request_via`,
/// then the case through `case_via`) and wait until the match is listed by
/// both processes. Returns how long after the second write was acknowledged
/// each process listed it (a measurement, not a bound: the only bound is
/// `limit`, generous for a loaded machine).
fn catch_up(n: usize, request_via: &Server, case_via: &Server, limit: Duration) -> [Duration; 2] {
    let (case, request) = child_and_mothers_request(n);
    let (status, request) = request_via.post("/api/v1/tracing-requests", &request);
    assert_eq!(status, 201, "{request}");
    let (status, case) = case_via.post("/api/v1/cases", &case);
    assert_eq!(status, 201, "{case}");
    // Only records with a tracing consent are matched; each through its own process.
    for (server, path) in [
        (
            request_via,
            format!(
                "/api/v1/tracing-requests/{}/consents",
                request["id"].as_str().expect("id")
            ),
        ),
        (
            case_via,
            format!("/api/v1/cases/{}/consents", case["id"].as_str().expect("id")),
        ),
    ] {
        let (status, consent) = server.post(
            &path,
            &json!({"purpose": "tracing", "given_by": "child", "language": "en"}),
        );
        assert_eq!(status, 201, "{consent}");
    }
    let written = std::time::Instant::now();
    let path = format!(
        "/api/v1/tracing-requests/{}/matches",
        request["id"].as_str().expect("id")
    );
    let case_id = case["id"].as_str().expect("id");
    let listed_by = |server: &Server| {
        let (status, list) = server.get(&path);
        assert_eq!(status, 200, "{list}");
        list["candidates"]
            .as_array()
            .expect("candidates")
            .iter()
            .any(|c| c["case"]["id"] == case_id)
    };
    let mut seen: [Option<Duration>; 2] = [None, None];
    let servers = [request_via, case_via];
    while seen.iter().any(Option::is_none) {
        assert!(
            written.elapsed() < limit,
            "gave up waiting for the match of pair {n}"
        );
        for (i, server) in servers.iter().enumerate() {
            if seen[i].is_none() && listed_by(server) {
                seen[i] = Some(written.elapsed());
            }
        }
        thread::sleep(Duration::from_millis(2));
    }
    seen.map(|d| d.unwrap_or_default())
}

fn two_servers_with_matching() -> Option<(PgDatabase, TempDir, [Server; 2])> {
    let db = PgDatabase::create()?;
    let tmp = TempDir::new().expect("temp dir");
    let args = ["--database-url", &db.url];
    let token = support::init_scoped(
        tmp.path(),
        &args,
        &["child_case", "tracing_request", "match_proposal", "consent"],
    );
    let servers = [
        Server::start(tmp.path(), &args, &token),
        Server::start(tmp.path(), &args, &token),
    ];
    Some((db, tmp, servers))
}

#[test]
fn a_match_written_through_two_servers_is_listed_by_both() {
    let Some((_db, _tmp, [a, b])) = two_servers_with_matching() else {
        return;
    };
    let limit = Duration::from_secs(120);
    // The request through A and the case through B, then the reverse: each
    // process matches the other's write and lists what the other proposed.
    let first = catch_up(1, &a, &b, limit);
    let second = catch_up(2, &b, &a, limit);
    // Recorded, not asserted: bench/RESULTS.md has the measured distribution.
    eprintln!("catch-up after the second write: {first:?}, {second:?}");
}

/// The catch-up latency across two server processes, measured: p50 and p99
/// over many pairs, written alternately through either process.
///
/// `CI=true cargo test -p kinlink --test deployment -- --ignored --nocapture catch_up_latency`
#[test]
#[ignore = "a measurement: run by hand, numbers in bench/RESULTS.md"]
fn catch_up_latency() {
    let Some((_db, _tmp, [a, b])) = two_servers_with_matching() else {
        return;
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let limit = Duration::from_secs(120);
    let mut other = Vec::new();
    for n in 0..rounds {
        let [request_side, case_side] = if n % 2 == 0 {
            catch_up(n + 10, &a, &b, limit)
        } else {
            catch_up(n + 10, &b, &a, limit)
        };
        // The process that did not take the second write is the one catching up.
        other.push(request_side);
        let _ = case_side;
    }
    other.sort();
    let at = |q: f64| other[((other.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "cross-process catch-up over {rounds} pairs: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        other.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
}
