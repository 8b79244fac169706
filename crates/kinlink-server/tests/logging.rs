//! Logs name routes, statuses and latencies, never people. In a test binary
//! of its own: a scoped subscriber can miss events when other tests on other
//! threads reach the same call sites first.

mod common;

use std::sync::Arc;

use common::{CASES, DownStore, Server};

/// Collects log output for inspection.
#[derive(Clone, Default)]
struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn logs_name_routes_not_people() {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        // The server's side only: the test's HTTP client logs its own traffic.
        .with_env_filter("kinlink_server=trace,kinlink_store=trace,tower_http=trace,axum=trace,sqlx=trace")
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    // The test runtime is single-threaded, so the server's tasks log here too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let (server, _) = Server::start().await;
    let created = server
        .post(CASES.collection, &(CASES.valid)("Ahmad"))
        .await
        .json();
    let number = created["number"].as_str().expect("number").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();
    server.get(&format!("/api/v1/cases/{number}")).await;
    server.get("/api/v1/cases?limit=many&after=Amina").await;
    server.post(CASES.collection, &(CASES.invalid)().0).await;
    server.post(CASES.collection, &(CASES.typo)().0).await;
    server.get("/api/v1/cases/export").await;
    server.stop().await;
    let failing = Server::start_with(Arc::new(DownStore)).await;
    failing.post(CASES.collection, &(CASES.valid)("Ahmad")).await;
    failing.stop().await;

    let text = String::from_utf8(logs.0.lock().unwrap_or_else(|e| e.into_inner()).clone()).expect("UTF-8");
    assert!(text.contains("kinlink API listening"), "{text}");
    assert!(
        text.contains(r#"method=GET route="/api/v1/cases/{id}" status=200"#),
        "{text}"
    );
    assert!(
        text.contains(r#"method=POST route="/api/v1/cases" status=201"#),
        "{text}"
    );
    assert!(text.contains("latency_ms"), "{text}");
    assert!(text.contains("status=422"), "{text}");
    assert!(text.contains("store error"), "{text}");
    for secret in [
        "أحمد", "Ahmad", "Amina", "many", "زینب", "QZ", "givne", &number, &id,
    ] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
    }
}
