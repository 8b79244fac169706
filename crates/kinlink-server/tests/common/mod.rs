//! What the HTTP tests share: a real server on a local port over a SQLite
//! store in a temporary directory, the record types as the tests drive them,
//! and a store that is down. Every person here is synthetic.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_store::{
    Actor, ImportItem, ImportOutcome, RawRecord, RawRevision, RecordMeta, SqliteStore, Store, StoreError,
    Visibility,
};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    _dir: Option<TempDir>,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub location: Option<String>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Server {
    pub async fn start() -> (Self, Arc<dyn Store>) {
        let dir = TempDir::new().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.expect("open store"));
        let mut server = Self::start_with(store.clone()).await;
        server._dir = Some(dir);
        (server, store)
    }

    pub async fn start_with(store: Arc<dyn Store>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(kinlink_server::serve(store, listener, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task,
            _dir: None,
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let location = header(LOCATION);
        let status = response.status();
        let text = response.text().await.expect("body");
        Reply {
            status,
            content_type,
            location,
            text,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.put(self.url(path)).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
        self.send(
            self.http
                .post(self.url(path))
                .header(CONTENT_TYPE, content_type)
                .body(body),
        )
        .await
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = (&mut self.task).await.expect("server task");
        result.expect("graceful shutdown");
    }
}

/// A record type as the tests drive it.
pub struct Kind {
    pub collection: &'static str,
    pub prefix: &'static str,
    pub other_prefix: &'static str,
    /// JSON pointer, inside `record`, to the child's date of birth.
    pub birth: &'static str,
    /// JSON pointer, inside `record`, to the child's given name.
    pub given: &'static str,
    pub valid: fn(&str) -> Value,
    /// A body with several invalid fields, the paths that must be reported,
    /// and the values that must not be echoed.
    pub invalid: fn() -> (Value, Vec<&'static str>, Vec<&'static str>),
    /// A body with a misspelt field and the path it must be reported at.
    pub typo: fn() -> (Value, &'static str),
}

const SOLAR_HIJRI_BIRTH: &str = r#"{"value": "1392-05-10", "calendar": "solar_hijri"}"#;

fn birth() -> Value {
    serde_json::from_str(SOLAR_HIJRI_BIRTH).expect("fixture")
}

pub const CASES: Kind = Kind {
    collection: "/api/v1/cases",
    prefix: "KL-",
    other_prefix: "TR",
    birth: "/child/date_of_birth",
    given: "/child/names/given",
    valid: |latin| {
        json!({
            "child": {
                "names": {"given": {"original": "أحمد", "latin": latin}, "family": {"original": "رحیمی", "latin": "Rahimi"}},
                "sex": "male",
                "date_of_birth": birth(),
                "country_of_origin": "af",
                "languages": ["fa", "ps"],
                "family": [{"relation": "mother", "names": {"given": {"original": "مریم", "latin": "Maryam"}}}]
            },
            "accompaniment": "unaccompanied",
            "recorded_on": "2025-11-03"
        })
    },
    invalid: || {
        (
            json!({
                "child": {
                    "names": {"given": {"original": "Amina", "latin": "زینب"}},
                    "country_of_origin": "QZ",
                    "languages": ["qx"],
                    "date_of_birth": {"value": "2013-13-28"}
                },
                "notes": "Private\u{7}Detail",
                "recorded_on": "2999-01-01"
            }),
            vec![
                "child.names.given.latin",
                "child.country_of_origin",
                "child.languages[0]",
                "child.date_of_birth",
                "recorded_on",
                "notes",
            ],
            vec!["زینب", "QZ", "qx", "2013-13-28", "2999", "Private", "Amina"],
        )
    },
    typo: || {
        (
            json!({"child": {"names": {"givne": {"original": "Amina"}}}}),
            "child.names.givne",
        )
    },
};

pub const TRACING_REQUESTS: Kind = Kind {
    collection: "/api/v1/tracing-requests",
    prefix: "TR-",
    other_prefix: "KL",
    birth: "/sought_children/0/date_of_birth",
    given: "/sought_children/0/names/given",
    valid: |latin| {
        json!({
            "inquirer": {
                "names": {"given": {"original": "فاطمة", "latin": "Fatima"}},
                "relation": "mother",
                "contact": {"phone": "+93 700 000 000"}
            },
            "sought_children": [{
                "names": {"given": {"original": "أحمد", "latin": latin}},
                "sex": "male",
                "date_of_birth": birth()
            }],
            "recorded_on": "2025-10-01"
        })
    },
    invalid: || {
        (
            json!({
                "inquirer": {"names": {}, "relation": "mother", "contact": {"email": "no-email-Amina"}},
                "sought_children": [{
                    "names": {"given": {"original": "Amina", "latin": "زینب"}},
                    "country_of_origin": "QZ"
                }],
                "recorded_on": "2999-01-01"
            }),
            vec![
                "inquirer.names",
                "inquirer.contact.email",
                "sought_children[0].names.given.latin",
                "sought_children[0].country_of_origin",
                "recorded_on",
            ],
            vec!["no-email", "زینب", "QZ", "2999", "Amina"],
        )
    },
    typo: || {
        (
            json!({"inquirer": {"names": {}, "relation": "mother"}, "sought_children": [{"nmaes": {}}]}),
            "sought_children[0].nmaes",
        )
    },
};

pub const KINDS: [&Kind; 2] = [&CASES, &TRACING_REQUESTS];

pub fn error_paths(reply: &Reply) -> BTreeSet<String> {
    let body = reply.json();
    assert_eq!(body["error"], "invalid_fields", "{}", reply.text);
    body["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {}", reply.text))
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_owned())
        .collect()
}

/// Refuses everything, as a store whose database is gone would.
pub struct DownStore;

fn down() -> StoreError {
    StoreError::Corrupt {
        id: "internal-detail".into(),
        reason: "the database is unreachable".into(),
    }
}

#[async_trait]
impl Store for DownStore {
    async fn insert(
        &self,
        _: RecordKind,
        _: &str,
        _: &Actor,
        _: Option<&str>,
    ) -> Result<RecordMeta, StoreError> {
        Err(down())
    }
    async fn update(
        &self,
        _: RecordKind,
        _: RecordId,
        _: i64,
        _: &str,
        _: &Actor,
    ) -> Result<RecordMeta, StoreError> {
        Err(down())
    }
    async fn get(&self, _: RecordKind, _: RecordId) -> Result<Option<RawRecord>, StoreError> {
        Err(down())
    }
    async fn get_by_number(&self, _: RecordKind, _: &RecordNumber) -> Result<Option<RawRecord>, StoreError> {
        Err(down())
    }
    async fn list(&self, _: RecordKind, _: Option<RecordId>, _: u32) -> Result<Vec<RawRecord>, StoreError> {
        Err(down())
    }
    async fn list_visible(
        &self,
        _: RecordKind,
        _: Option<RecordId>,
        _: u32,
        _: Option<&Visibility>,
    ) -> Result<Vec<RawRecord>, StoreError> {
        Err(down())
    }
    async fn count(&self, _: RecordKind) -> Result<u64, StoreError> {
        Err(down())
    }
    async fn history(&self, _: RecordKind, _: RecordId) -> Result<Vec<RawRevision>, StoreError> {
        Err(down())
    }
    async fn import(
        &self,
        _: RecordKind,
        _: &[ImportItem],
        _: &Actor,
        _: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome, StoreError> {
        Err(down())
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(down())
    }
}
