//! What the HTTP tests share: a real server on a local port over a SQLite
//! store in a temporary directory, with a user and an API token to
//! authenticate with, the record types as the tests drive them, and a store
//! that is down. Every person here is synthetic.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use kinlink_auth::password::{HashParams, Password, PasswordHasher};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_crypto::MasterKey;
use kinlink_policy::{Action, AgencyType, Resource, Role};
use kinlink_server::{Deployment, Security};
use kinlink_store::audit::{AuditEntry, AuditEvent, SigningKey};
use kinlink_store::{
    AccountStore, Actor, CaseCommand, CaseFileEvent, CaseworkStore, ChangeCursor, ConsentPurpose,
    ConsentRecord, ConsentStore, ImportItem, ImportOutcome, MatchId, MatchReview, MatchStore, NewAlert,
    NewConsent, NewLegalBasis, NewUser, Ownership, ProposalOutcome, ProposedMatch, RawRecord, RawRevision,
    RecordChange, RecordMeta, RecordWrite, ReviewDecision, SqliteStore, Store, StoreError, StoredAlert,
    StoredCaseFile, StoredCheckpoint, StoredMatch, TokenRecord, Visibility,
};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub struct Server {
    pub base: String,
    /// The server's matching service.
    pub matcher: kinlink_server::Matcher,
    /// Sends the test user's API token and the purpose `case_management` with every request.
    pub http: reqwest::Client,
    pub accounts: Arc<dyn AccountStore>,
    /// The test user's agency, team and id: records imported with
    /// [`Server::actor`] belong to them.
    pub user: TestUser,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    _dirs: Vec<TempDir>,
}

/// A user the tests made, with an API token for every record route.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub username: String,
    pub agency: Uuid,
    pub team: Uuid,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// A known synthetic password that passes the password policy.
pub const PASSWORD: &str = "correct horse battery staple lantern";

/// Cheap Argon2id parameters: the tests hash many passwords.
pub const TEST_HASH: HashParams = HashParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

pub fn hash(password: &str) -> String {
    PasswordHasher::new(TEST_HASH)
        .hash(&Password::new(password))
        .expect("hash")
}

/// Every scope a token can have on cases, tracing requests, match proposals, consents and statistics.
pub fn record_scopes() -> Vec<String> {
    [
        Resource::ChildCase,
        Resource::TracingRequest,
        Resource::MatchProposal,
        Resource::Consent,
        Resource::Statistics,
    ]
    .into_iter()
    .flat_map(|r| {
        Action::ALL
            .into_iter()
            .map(move |a| format!("{}:{}", r.as_str(), a.as_str()))
    })
    .collect()
}

/// The test deployment's security settings: defaults but cheap hashing,
/// and the master key the server seals TOTP secrets with.
pub fn security(master_key: &MasterKey) -> Security {
    Security {
        hash_params: TEST_HASH,
        ..Security::new(MasterKey::from_base64(&master_key.to_base64()).expect("key"))
    }
}

/// Create an agency (if new), a team in it, and a user with `roles`, a
/// password ([`PASSWORD`]) and an API token scoped for every record route.
pub async fn add_user(
    accounts: &Arc<dyn AccountStore>,
    username: &str,
    agency: (&str, AgencyType),
    roles: &[Role],
) -> TestUser {
    let found = accounts.agency_by_name(agency.0).await.expect("reads");
    let agency = match found {
        Some(agency) => agency,
        None => accounts
            .create_agency(agency.0, agency.1, false)
            .await
            .expect("agency"),
    };
    let team = match accounts
        .team_by_name(agency.id, "Reception")
        .await
        .expect("reads")
    {
        Some(team) => team,
        None => accounts.create_team(agency.id, "Reception").await.expect("team"),
    };
    let user = accounts
        .create_user(&NewUser {
            username: username.to_owned(),
            agency_id: agency.id,
            teams: vec![team.id],
            roles: roles.to_vec(),
            password_hash: hash(PASSWORD),
        })
        .await
        .expect("user");
    let token = add_token(accounts, user.id, record_scopes()).await;
    TestUser {
        id: user.id,
        username: username.to_owned(),
        agency: agency.id,
        team: team.id,
        token,
    }
}

/// A new API token for `user` with `scopes`; returns the token's text.
pub async fn add_token(accounts: &Arc<dyn AccountStore>, user: Uuid, scopes: Vec<String>) -> String {
    let issued = kinlink_auth::token::issue(scopes.iter().map(|s| s.parse().expect("scope")).collect())
        .expect("token");
    accounts
        .create_token(&TokenRecord {
            prefix: issued.stored.prefix.clone(),
            secret_hash: issued.stored.secret_hash.clone(),
            user_id: user,
            name: "tests".into(),
            scopes,
            created_at: Utc::now(),
            expires_at: None,
            revoked_at: None,
        })
        .await
        .expect("token");
    issued.plaintext.to_string()
}

/// A client that sends `token` and declares `purpose` on every request.
pub fn client(token: Option<&str>, purpose: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    }
    if let Some(purpose) = purpose {
        headers.insert("kinlink-purpose", purpose.parse().expect("header"));
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

impl Server {
    /// A server over a SQLite store in a temporary directory, with one
    /// agency (a child protection authority), a team, and a supervisor
    /// `tester` whose token every request sends.
    pub async fn start() -> (Self, Arc<dyn Store>) {
        let dir = TempDir::new().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open store");
        let records: Arc<dyn Store> = Arc::new(store.clone());
        let mut server = Self::start_on(records.clone(), Arc::new(store), "tester", |s| s).await;
        server._dirs.push(dir);
        (server, records)
    }

    /// [`Server::start`] with the security settings changed by `configure`.
    pub async fn start_configured(configure: impl FnOnce(Security) -> Security) -> (Self, Arc<dyn Store>) {
        let dir = TempDir::new().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open store");
        let records: Arc<dyn Store> = Arc::new(store.clone());
        let mut server = Self::start_on(records.clone(), Arc::new(store), "tester", configure).await;
        server._dirs.push(dir);
        (server, records)
    }

    /// A server whose records are in `store`; accounts in a SQLite store of their own.
    pub async fn start_with(store: Arc<dyn Store>) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let accounts = SqliteStore::open(dir.path()).await.expect("open store");
        let mut server = Self::start_on(store, Arc::new(accounts), "tester", |s| s).await;
        server._dirs.push(dir);
        server
    }

    /// A server over `store`, records and accounts alike, as one process of
    /// a deployment whose processes share the database; its test user
    /// `username` is a supervisor of the same agency and team as every other
    /// server's started so.
    pub async fn start_shared(store: SqliteStore, username: &str) -> Self {
        let records: Arc<dyn Store> = Arc::new(store.clone());
        Self::start_on(records, Arc::new(store), username, |s| s).await
    }

    /// A server over a SQLite store with the case management settings `casework`.
    pub async fn start_casework(casework: kinlink_server::CaseworkConfig) -> (Self, Arc<dyn Store>) {
        let dir = TempDir::new().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open store");
        let records: Arc<dyn Store> = Arc::new(store.clone());
        let mut server = Self::start_full(records.clone(), Arc::new(store), "tester", |s| s, casework).await;
        server._dirs.push(dir);
        (server, records)
    }

    async fn start_on(
        store: Arc<dyn Store>,
        accounts: Arc<dyn AccountStore>,
        username: &str,
        configure: impl FnOnce(Security) -> Security,
    ) -> Self {
        Self::start_full(store, accounts, username, configure, Default::default()).await
    }

    async fn start_full(
        store: Arc<dyn Store>,
        accounts: Arc<dyn AccountStore>,
        username: &str,
        configure: impl FnOnce(Security) -> Security,
        casework: kinlink_server::CaseworkConfig,
    ) -> Self {
        let user = add_user(
            &accounts,
            username,
            ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
            &[Role::Supervisor],
        )
        .await;
        let master_key = MasterKey::generate().expect("key");
        let deployment = Deployment {
            store,
            accounts: accounts.clone(),
            security: configure(security(&master_key)),
            casework,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let (router, matcher) = kinlink_server::app(deployment);
        let task = tokio::spawn(kinlink_server::serve_router(router, listener, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            matcher,
            http: client(Some(&user.token), Some("case_management")),
            accounts,
            user,
            stop: Some(stop),
            task,
            _dirs: Vec::new(),
        }
    }

    /// A client for a new user of the test user's agency with `roles`,
    /// declaring `purpose`.
    pub async fn client_for(&self, username: &str, roles: &[Role], purpose: &str) -> reqwest::Client {
        let user = add_user(
            &self.accounts,
            username,
            ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
            roles,
        )
        .await;
        client(Some(&user.token), Some(purpose))
    }

    /// Writes as the test user: imported records belong to their agency and team.
    pub fn actor(&self) -> Actor {
        Actor::owned(
            self.user.username.clone(),
            Ownership {
                user: self.user.id,
                agency: self.user.agency,
                team: Some(self.user.team),
            },
        )
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
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Reply {
            status,
            content_type,
            location,
            headers,
            text,
        }
    }

    /// Wait until the matcher has matched every write made so far. Bounded,
    /// so that a broken matcher fails the test instead of hanging it.
    pub async fn settled(&self) {
        tokio::time::timeout(std::time::Duration::from_secs(120), self.matcher.settled())
            .await
            .expect("the matcher settles")
            .expect("the matcher runs");
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
    async fn erase(&self, _: RecordKind, _: RecordId, _: &Actor, _: &str) -> Result<(), StoreError> {
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
    async fn append_audit(&self, _: &[AuditEvent]) -> Result<Vec<AuditEntry>, StoreError> {
        Err(down())
    }
    async fn audit_for_record(&self, _: Resource, _: uuid::Uuid) -> Result<Vec<AuditEntry>, StoreError> {
        Err(down())
    }
    async fn audit_entries(&self, _: Option<u64>, _: u32) -> Result<Vec<AuditEntry>, StoreError> {
        Err(down())
    }
    async fn audit_len(&self) -> Result<u64, StoreError> {
        Err(down())
    }
    async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        Err(down())
    }
    async fn checkpoint(&self, _: &SigningKey) -> Result<Option<StoredCheckpoint>, StoreError> {
        Err(down())
    }
    async fn restore_audit(&self, _: &[AuditEntry], _: &[StoredCheckpoint]) -> Result<(), StoreError> {
        Err(down())
    }
}

#[async_trait]
impl MatchStore for DownStore {
    async fn propose_matches(
        &self,
        _: RecordId,
        _: i64,
        _: &[ProposedMatch],
        _: &Actor,
    ) -> Result<ProposalOutcome, StoreError> {
        Err(down())
    }
    async fn get_match(&self, _: MatchId) -> Result<Option<StoredMatch>, StoreError> {
        Err(down())
    }
    async fn matches_for_request(&self, _: RecordId) -> Result<Vec<StoredMatch>, StoreError> {
        Err(down())
    }
    async fn matches_for_case(&self, _: RecordId) -> Result<Vec<StoredMatch>, StoreError> {
        Err(down())
    }
    async fn review_match(
        &self,
        _: MatchId,
        _: i64,
        _: ReviewDecision<'_>,
        _: &Actor,
        _: &[RecordWrite],
    ) -> Result<StoredMatch, StoreError> {
        Err(down())
    }
    async fn list_matches(&self, _: Option<MatchId>, _: u32) -> Result<Vec<StoredMatch>, StoreError> {
        Err(down())
    }
    async fn match_history(&self, _: MatchId) -> Result<Vec<MatchReview>, StoreError> {
        Err(down())
    }
    async fn changes_since(&self, _: ChangeCursor, _: u32) -> Result<Vec<RecordChange>, StoreError> {
        Err(down())
    }
    async fn latest_change(&self) -> Result<i64, StoreError> {
        Err(down())
    }
    async fn matcher_position(&self) -> Result<i64, StoreError> {
        Err(down())
    }
    async fn advance_matcher_position(&self, _: i64) -> Result<(), StoreError> {
        Err(down())
    }
}

#[async_trait]
impl CaseworkStore for DownStore {
    async fn create_case_file(&self, _: RecordId, _: &str, _: &Actor) -> Result<StoredCaseFile, StoreError> {
        Err(down())
    }
    async fn get_case_file(&self, _: RecordId) -> Result<Option<StoredCaseFile>, StoreError> {
        Err(down())
    }
    async fn update_case_file(
        &self,
        _: RecordId,
        _: i64,
        _: &str,
        _: CaseCommand<'_>,
        _: &[NewAlert],
        _: &Actor,
    ) -> Result<StoredCaseFile, StoreError> {
        Err(down())
    }
    async fn case_file_history(&self, _: RecordId) -> Result<Vec<CaseFileEvent>, StoreError> {
        Err(down())
    }
    async fn case_files(&self) -> Result<Vec<StoredCaseFile>, StoreError> {
        Err(down())
    }
    async fn alerts_for(&self, _: &str) -> Result<Vec<StoredAlert>, StoreError> {
        Err(down())
    }
}
#[async_trait]
impl ConsentStore for DownStore {
    async fn record_consent(
        &self,
        _: RecordKind,
        _: RecordId,
        _: &NewConsent,
        _: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        Err(down())
    }
    async fn record_legal_basis(
        &self,
        _: RecordKind,
        _: RecordId,
        _: &NewLegalBasis,
        _: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        Err(down())
    }
    async fn withdraw_consent(
        &self,
        _: RecordKind,
        _: RecordId,
        _: Uuid,
        _: &Actor,
    ) -> Result<ConsentRecord, StoreError> {
        Err(down())
    }
    async fn consents_for(&self, _: RecordKind, _: RecordId) -> Result<Vec<ConsentRecord>, StoreError> {
        Err(down())
    }
    async fn has_basis(&self, _: RecordKind, _: RecordId, _: ConsentPurpose) -> Result<bool, StoreError> {
        Err(down())
    }
}

/// A synthetic tracing consent for the record at `path` (`/api/v1/cases/{id}`
/// or `/api/v1/tracing-requests/{id}`), recorded through the API: without
/// one, a record is not matched.
pub async fn consent_to_tracing(server: &Server, record_path: &str) -> Value {
    let reply = server
        .post(
            &format!("{record_path}/consents"),
            &json!({"purpose": "tracing", "given_by": "child", "language": "en"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()
}
