//! The cost of encryption at rest on writes and reads, measured in one run:
//! the same synthetic records written and read by id through the store, on a
//! store without keys (plaintext bodies) and on one with a master key (every
//! body sealed, every data key wrapped), alternating rounds so that both see
//! the same machine state. The audit entry of each write is appended in the
//! write's transaction in both cases (it cannot be switched off).
//!
//! ```text
//! cargo run --release -p kinlink-store --example encryption_overhead [RECORDS] [CONCURRENCY]
//! KINLINK_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432  # also PostgreSQL (a database is created and dropped)
//! ```
//!
//! Prints a Markdown table: operations per second, p50 and p99 latency.
//! Every person in the data is synthetic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kinlink_core::{RecordId, RecordKind};
use kinlink_crypto::{Keyring, MasterKey};
use kinlink_store::{Actor, PgOptions, PgStore, SqliteStore, Store};
use sqlx::{Connection, Executor, PgConnection};

fn body(n: usize) -> String {
    serde_json::json!({
        "child": {
            "names": {"given": {"original": format!("Benchchild{n}")}, "family": {"original": "Synthetic"}},
            "sex": "female",
            "date_of_birth": {"value": "2014-03"},
            "country_of_origin": "ER",
            "family": [{"relation": "mother", "names": {"given": {"original": format!("Benchmother{n}")}}}]
        },
        "accompaniment": "separated",
        "notes": "synthetic benchmark record with a paragraph of notes ".repeat(8)
    })
    .to_string()
}

struct Stats {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn stats(mut latencies: Vec<Duration>, wall: Duration) -> Stats {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Stats {
        per_second: latencies.len() as f64 / wall.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// `records` writes then `records` reads by id, `concurrency` at a time.
async fn measure(store: Arc<dyn Store>, records: usize, concurrency: usize) -> (Stats, Stats) {
    let actor = Actor::new("bench");
    let per_task = records / concurrency;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (store, actor) = (store.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let body = body(t * per_task + i);
                let begun = Instant::now();
                let meta = store
                    .insert(RecordKind::ChildCase, &body, &actor, None)
                    .await
                    .expect("writes");
                out.push((begun.elapsed(), meta.id));
            }
            out
        }));
    }
    let mut written: Vec<(Duration, RecordId)> = Vec::new();
    for task in tasks {
        written.extend(task.await.expect("task"));
    }
    let writes = stats(written.iter().map(|w| w.0).collect(), start.elapsed());
    let ids: Arc<Vec<RecordId>> = Arc::new(written.iter().map(|w| w.1).collect());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (store, ids) = (store.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(per_task);
            // Each task reads every record of the others' in a stride, not its own in order.
            for i in 0..per_task {
                let id = ids[(i * concurrency + t * 7919) % ids.len()];
                let begun = Instant::now();
                let found = store.get(RecordKind::ChildCase, id).await.expect("reads");
                assert!(found.is_some());
                out.push(begun.elapsed());
            }
            out
        }));
    }
    let mut read = Vec::new();
    for task in tasks {
        read.extend(task.await.expect("task"));
    }
    (writes, stats(read, start.elapsed()))
}

fn row(backend: &str, mode: &str, op: &str, s: &Stats) {
    println!(
        "| {backend} | {mode} | {op} | {:.0} | {:.2} | {:.2} |",
        s.per_second,
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let records: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let postgres = std::env::var("KINLINK_BENCH_POSTGRES").ok();
    println!("{records} records, {concurrency} concurrent clients, 2 rounds each (alternating)\n");
    println!("| backend | bodies | operation | ops/s | p50 ms | p99 ms |");
    println!("|---|---|---|---:|---:|---:|");
    for round in 0..2 {
        for encrypted in [false, true] {
            let mode = if encrypted { "encrypted" } else { "plaintext" };
            let mode = format!("{mode} (round {})", round + 1);
            let dir = tempfile::tempdir().expect("temp dir");
            let store = SqliteStore::open(dir.path()).await.expect("opens");
            let store = if encrypted {
                store
                    .with_keyring(Keyring::new(MasterKey::generate().expect("key")))
                    .await
                    .expect("keys")
            } else {
                store
            };
            let (w, r) = measure(Arc::new(store), records, concurrency).await;
            row("SQLite", &mode, "write", &w);
            row("SQLite", &mode, "read by id", &r);
            if let Some(server) = &postgres {
                let name = format!("kinlink_bench_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::connect(&format!("{server}/postgres"))
                    .await
                    .expect("admin");
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create");
                {
                    let store = PgStore::connect(&format!("{server}/{name}"), PgOptions::default())
                        .await
                        .expect("connects");
                    let store = if encrypted {
                        store
                            .with_keyring(Keyring::new(MasterKey::generate().expect("key")))
                            .await
                            .expect("keys")
                    } else {
                        store
                    };
                    let (w, r) = measure(Arc::new(store), records, concurrency).await;
                    row("PostgreSQL", &mode, "write", &w);
                    row("PostgreSQL", &mode, "read by id", &r);
                }
                admin
                    .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
                    .await
                    .expect("drop");
            }
        }
    }
}
