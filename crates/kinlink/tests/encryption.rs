//! Encryption at rest, key rotation, retention and erasure, through the real
//! interfaces: `kinlink serve` over HTTP, and the CLI. Every person here is
//! synthetic.

use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

#[allow(dead_code)] // this test uses a part of what the deployment tests share
mod support;

use support::{Server, kinlink, run};

/// A synthetic name in Latin script and one in Arabic script, looked for in
/// the raw files in every encoding the database could hold them in.
const LATIN: &str = "Zubeydaqx";
const ARABIC: &str = "زبيدةقكس";

fn case(given: &str, family: &str, status: &str) -> Value {
    json!({
        "child": {
            "names": {"given": {"original": given}, "family": {"original": family}},
            "sex": "female",
            "date_of_birth": {"value": "2014-03"},
            "country_of_origin": "ER"
        },
        "accompaniment": "separated",
        "tracing_status": status
    })
}

/// The forms a name could take in a file: UTF-8, JSON's `\uXXXX` escapes
/// (lower and upper case hex), UTF-16 (both byte orders).
fn encodings(name: &str) -> Vec<Vec<u8>> {
    let escaped: String = name.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
    let utf16le: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = name.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        name.as_bytes().to_vec(),
        escaped.clone().into_bytes(),
        escaped.to_uppercase().replace("\\U", "\\u").into_bytes(),
        utf16le,
        utf16be,
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file of the SQLite database (the file, its WAL and shared memory).
fn database_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let data = dir.join("kinlink-data");
    ["kinlink.sqlite", "kinlink.sqlite-wal", "kinlink.sqlite-shm"]
        .into_iter()
        .filter_map(|name| std::fs::read(data.join(name)).ok().map(|b| (name.to_owned(), b)))
        .collect()
}

fn assert_absent(dir: &Path, names: &[&str]) {
    let files = database_files(dir);
    assert!(files.iter().any(|(n, b)| n == "kinlink.sqlite" && !b.is_empty()));
    for (file, bytes) in &files {
        for name in names {
            for (i, form) in encodings(name).iter().enumerate() {
                assert!(!contains(bytes, form), "{file} holds a name (encoding {i})");
            }
        }
    }
}

/// A child written through the HTTP API of a real `kinlink serve` on
/// SQLite is in neither the database file nor its WAL, in any encoding;
/// the API reads it back; erased (by the DPO command), it answers 410 Gone
/// and the audit shows the erasure.
#[test]
fn a_child_written_over_http_is_in_no_database_file_and_an_erased_one_is_gone() {
    let tmp = TempDir::new().expect("temp dir");
    let token = support::init(tmp.path(), &[]);
    let server = Server::start(tmp.path(), &[], &token);
    let (status, created) = server.post("/api/v1/cases", &case(LATIN, ARABIC, "open"));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, updated) = server.put(
        &format!("/api/v1/cases/{id}"),
        &json!({"version": 1, "record": case(LATIN, ARABIC, "in_progress")}),
    );
    assert_eq!(status, 200, "{updated}");
    let (status, read) = server.get(&format!("/api/v1/cases/{id}"));
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read["record"]["child"]["names"]["given"]["original"], LATIN,
        "{read}"
    );
    assert_eq!(
        read["record"]["child"]["names"]["family"]["original"], ARABIC,
        "{read}"
    );
    // While the server runs: the WAL holds the latest writes.
    assert_absent(tmp.path(), &[LATIN, ARABIC]);

    let out = run(kinlink(tmp.path()).args(["record", "erase", &id, "--reason", "dpo_request"]));
    assert!(out.contains("erased"), "{out}");
    let (status, body) = server.get(&format!("/api/v1/cases/{id}"));
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "erased", "{body}");
    let (status, body) = server.get(&format!("/api/v1/cases/{id}/history"));
    assert_eq!(status, 410, "{body}");
    drop(server);
    assert_absent(tmp.path(), &[LATIN, ARABIC]);

    let shown = run(kinlink(tmp.path()).args(["audit", "show", "--record", &id]));
    assert!(shown.contains("erasure"), "{shown}");
    assert!(!shown.contains(LATIN), "{shown}");
    let again = kinlink(tmp.path())
        .args(["record", "erase", &id, "--reason", "dpo_request"])
        .output()
        .expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("erased already"));
    let free_text = kinlink(tmp.path())
        .args(["record", "erase", &id, "--reason", "Asked by Zubeyda"])
        .output()
        .expect("runs");
    assert!(!free_text.status.success());
}

fn create_case(dir: &Path, record: &Value) -> String {
    let file = dir.join("case.json");
    std::fs::write(&file, record.to_string()).expect("write");
    let out = run(kinlink(dir).args(["case", "create", "--file"]).arg(&file));
    let stored: Value = serde_json::from_str(&out).expect("json");
    stored["id"].as_str().expect("id").to_owned()
}

/// `kinlink keys rotate` re-wraps every data key with a new master key and
/// retires the old one: reads work with the new key (from the file or from
/// `KINLINK_MASTER_KEY`), the old key and a wrong one are refused at
/// start-up with a clear message, and the rotation is in the audit log.
#[test]
fn keys_rotate_rewraps_and_only_the_new_key_opens_the_database() {
    let tmp = TempDir::new().expect("temp dir");
    support::init(tmp.path(), &[]);
    let id = create_case(tmp.path(), &case(LATIN, "Synthetic", "open"));
    let keys = tmp.path().join("kinlink-data/keys");
    let old = std::fs::read(keys.join("master.key")).expect("key");

    let out = run(kinlink(tmp.path()).args(["keys", "rotate"]));
    assert!(
        out.contains("rotated the master key") && out.contains("1 data keys"),
        "{out}"
    );
    let retired: Vec<_> = std::fs::read_dir(keys.join("retired"))
        .expect("retired")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(retired.len(), 1);
    assert_eq!(std::fs::read(&retired[0]).expect("reads"), old);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&retired[0]).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "the retired key is readable by others");
    }
    let read = run(kinlink(tmp.path()).args(["case", "get", &id]));
    assert!(read.contains(LATIN));

    // The new key through the environment instead of the file.
    let new = kinlink_crypto::MasterKey::load_file(&keys.join("master.key")).expect("loads");
    let read = run(kinlink(tmp.path())
        .args(["case", "get", &id])
        .env("KINLINK_MASTER_KEY", new.to_base64().as_str()));
    assert!(read.contains(LATIN));

    // A wrong key (here: a random one) is refused before anything is read.
    let wrong = kinlink_crypto::MasterKey::generate().expect("key");
    let refused = kinlink(tmp.path())
        .args(["case", "get", &id])
        .env("KINLINK_MASTER_KEY", wrong.to_base64().as_str())
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("is not the one this database is encrypted with"),
        "{stderr}"
    );
    assert!(!stderr.contains(LATIN));
    // So is the retired key put back.
    std::fs::copy(&retired[0], keys.join("master.key")).expect("copies");
    let refused = kinlink(tmp.path())
        .args(["case", "get", &id])
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("key id"));

    let kinds = sqlite_texts(
        &tmp.path().join("kinlink-data/kinlink.sqlite"),
        "SELECT kind FROM audit_entries WHERE kind = 'key_rotation'",
    );
    assert_eq!(kinds.len(), 1);
}

fn sqlite_texts(path: &Path, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("opens the file");
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut conn).await.expect(sql);
        conn.close().await.expect("closes");
        rows
    })
}

fn sqlite_execute(path: &Path, sql: &str) {
    use sqlx::{Connection, Executor};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("opens the file");
        conn.execute(sql).await.expect(sql);
        conn.close().await.expect("closes");
    });
}

/// `kinlink retention run --dry-run` counts what the rules make due (by
/// rule, no personal data) and erases nothing; `kinlink retention run`
/// erases exactly those records.
#[test]
fn retention_counts_in_a_dry_run_and_erases_in_a_run() {
    let tmp = TempDir::new().expect("temp dir");
    support::init(tmp.path(), &[]);
    let old_closed = create_case(tmp.path(), &case(LATIN, "Synthetic", "closed"));
    let old_reunified = create_case(tmp.path(), &case("Amina", "Synthetic", "reunified"));
    let old_open = create_case(tmp.path(), &case("Ali", "Synthetic", "open"));
    let new_closed = create_case(tmp.path(), &case("Yonas", "Synthetic", "closed"));
    // Eleven years ago, by the records' clock: past the default 10 years.
    let db = tmp.path().join("kinlink-data/kinlink.sqlite");
    sqlite_execute(
        &db,
        &format!(
            "UPDATE records SET updated_at = '2001-01-01T00:00:00Z' WHERE id IN ('{old_closed}', '{old_reunified}', '{old_open}')"
        ),
    );

    let dry = run(kinlink(tmp.path()).args(["retention", "run", "--dry-run"]));
    assert!(dry.contains("nothing erased"), "{dry}");
    let line = |out: &str, rule: &str| -> Vec<String> {
        out.lines()
            .find(|l| l.starts_with(rule))
            .unwrap_or_else(|| panic!("no {rule} in {out}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(line(&dry, "closed_cases"), ["closed_cases", "10", "2", "0"]);
    assert_eq!(line(&dry, "closed_requests"), ["closed_requests", "5", "0", "0"]);
    assert!(!dry.contains(LATIN));
    assert!(run(kinlink(tmp.path()).args(["case", "get", &old_closed])).contains(LATIN));

    let done = run(kinlink(tmp.path()).args(["retention", "run"]));
    assert_eq!(line(&done, "closed_cases"), ["closed_cases", "10", "2", "2"]);
    for erased in [&old_closed, &old_reunified] {
        let out = kinlink(tmp.path())
            .args(["case", "get", erased])
            .output()
            .expect("runs");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("erased"));
    }
    for kept in [&old_open, &new_closed] {
        run(kinlink(tmp.path()).args(["case", "get", kept]));
    }
    let rules = sqlite_texts(&db, "SELECT rule FROM erasures ORDER BY rule");
    assert_eq!(rules, ["closed_cases", "closed_cases"]);
    let runs = sqlite_texts(
        &db,
        "SELECT kind FROM audit_entries WHERE kind IN ('retention_run', 'erasure')",
    );
    assert_eq!(runs.iter().filter(|k| *k == "erasure").count(), 2);
    assert_eq!(runs.iter().filter(|k| *k == "retention_run").count(), 2);
    // A second run finds nothing more.
    let again = run(kinlink(tmp.path()).args(["retention", "run"]));
    assert_eq!(line(&again, "closed_cases"), ["closed_cases", "10", "0", "0"]);
}
