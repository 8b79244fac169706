//! The matching service: proposes the cases that may be the child a tracing
//! request seeks, off the request path.
//!
//! Each server process holds, in memory, a [`kinlink_match`] index of every
//! case and one of the children sought by open tracing requests (status
//! open, in progress or verification), and a [`Model`]. It keeps them current
//! by following the store's change feed ([`kinlink_store::MatchStore::changes_since`]):
//! its own writes wake it at once ([`Matcher::notify`]); on PostgreSQL, so do
//! writes committed by other processes on the same database (a
//! [`kinlink_store::ChangeListener`]: `LISTEN`/`NOTIFY`, the `listen` task);
//! otherwise, and whenever a notification is lost, they are seen at the
//! next poll ([`POLL_INTERVAL`]). A wake-up only says "read the feed": one
//! path for all means a process never needs to be told about a write to see it.
//!
//! For each change it finds the requests to match again: a changed request
//! itself; for a changed case, the open requests it may answer (the request
//! index queried with the case) and those it is already proposed for. For
//! each such request it ranks the cases per sought child, leaves out pairs
//! rejected while neither record's identity has changed since, keeps the best
//! [`TOP_K`], and hands them to [`kinlink_store::MatchStore::propose_matches`], which keeps
//! the rules (a rejection holds until a version changes; reviews are never
//! overwritten). Writing proposals is idempotent, so when several processes
//! follow one database and each matches a change, the result is the same.
//!
//! A record whose match-relevant content (the child's identity; for a
//! request also the inquirer and whether it is open) did not change is not
//! matched again: confirming a match moves the tracing status on, a new
//! version, and must not re-open the request's rejected pairs.
//!
//! The model is estimated from the data ([`link::estimate`]) once there are
//! [`MIN_CASES_TO_ESTIMATE`] cases and [`MIN_SOUGHT_TO_ESTIMATE`] sought
//! children, and again whenever the data has doubled since (every open
//! request is then matched again); before that it is [`Model::prior`].
//!
//! How far the feed has been matched is kept in the database
//! ([`kinlink_store::MatchStore::advance_matcher_position`]): on start, a process loads
//! everything into its indexes and matches again only what changed after
//! that position (records imported while no server ran, for instance).
//!
//! Only records with a tracing consent or legal basis that holds enter
//! matching (`RecordChange::matchable`, see `kinlink_store::ConsentStore`).
//! Recording or withdrawing one puts the record on the feed again: a record
//! that is no longer matchable leaves the indexes, and the pending proposals
//! it is part of are withdrawn (a request's by storing no proposals for it, a
//! case's by matching again the requests it was proposed for); one that
//! becomes matchable again is indexed and matched like a new record.
//!
//! Nothing here logs a record's content or id: only counts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use kinlink_core::{
    ChildCase, ChildIdentity, FamilyMember, RecordId, RecordKind, Relation, TracingRequest, TracingStatus,
};
use kinlink_match::link::{self, Explanation, Index, Label, MatchRecord, Model, Settings};
use kinlink_store::{
    Actor, ChangeCursor, MatchLabel, MatchStatus, ProposedMatch, RecordChange, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use utoipa::ToSchema;

/// Cases proposed per sought child.
pub const TOP_K: usize = 10;
/// Candidates ranked beyond [`TOP_K`] so that rejected pairs can be left out
/// and still leave [`TOP_K`].
const REJECTION_SLACK: usize = 10;
/// Open requests a changed case is checked against (the best of the request index).
const REQUESTS_PER_CASE: usize = 50;
/// How often the change feed is read when nothing wakes the matcher.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Records read from the feed per query.
const PAGE: u32 = 1_000;
/// Below this many cases the prior model is used.
pub const MIN_CASES_TO_ESTIMATE: usize = 1_000;
/// Below this many sought children (of open requests) the prior model is used.
pub const MIN_SOUGHT_TO_ESTIMATE: usize = 200;
/// Cases sampled for estimating `u` (random pairs) and term frequencies.
const ESTIMATE_SAMPLE: usize = 20_000;
/// Requests ranked per blocking call (then their proposals are written).
const BATCH: usize = 64;
/// Longest wait before loading again after the store failed.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Who writes proposals, in their history.
fn actor() -> Actor {
    Actor::new("matcher")
}

/// Why waiting for the matcher failed.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("the matcher has stopped")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One field's part in a score, as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldWeight {
    /// `given_name`, `family_name`, `sex`, `birth`, `country_of_origin`,
    /// `place_of_origin`, `separation_place`, `separation_date`,
    /// `mother_name`, `father_name`, `languages`.
    #[schema(example = "given_name")]
    pub field: String,
    /// The comparison level: `missing`, `different`, `somewhat`, `close`,
    /// `strong` (same name in another script or spelling), `exact`; for
    /// birth `far` … `same_day`; `disagree`/`agree`; and so on.
    #[schema(example = "strong")]
    pub level: String,
    /// Evidence in bits (log2 of the likelihood ratio); negative is against.
    pub weight: f64,
    /// Part of `weight` due to how common the name is.
    pub tf_adjustment: f64,
}

/// Why a pair scored what it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MatchExplanation {
    /// `prior` (too little data yet to estimate one) or `estimated`.
    pub model: String,
    /// Prior log-odds in bits.
    pub prior_weight: f64,
    /// Prior plus every field's weight.
    pub total_weight: f64,
    /// Every compared field, in a fixed order.
    pub fields: Vec<FieldWeight>,
}

impl MatchExplanation {
    fn new(explanation: &Explanation, estimated: bool) -> Self {
        Self {
            model: if estimated { "estimated" } else { "prior" }.to_owned(),
            prior_weight: explanation.prior_weight,
            total_weight: explanation.total_weight,
            fields: explanation
                .fields
                .iter()
                .map(|f| FieldWeight {
                    field: f.field.name().to_owned(),
                    level: f.level.to_owned(),
                    weight: f.weight,
                    tf_adjustment: f.tf_adjustment,
                })
                .collect(),
        }
    }
}

/// Whether a request's children are still sought (and so matched).
pub fn is_searching(status: TracingStatus) -> bool {
    matches!(
        status,
        TracingStatus::Open | TracingStatus::InProgress | TracingStatus::Verification
    )
}

fn fingerprint(value: &impl Serialize) -> u64 {
    let mut hasher = DefaultHasher::new();
    // Serialising a record cannot fail; an empty text would only cost a re-match.
    serde_json::to_string(value).unwrap_or_default().hash(&mut hasher);
    hasher.finish()
}

/// What matching reads of a case: its child's identity.
fn case_fingerprint(case: &ChildCase) -> u64 {
    fingerprint(&case.child)
}

/// What matching reads of a request: the children, the inquirer's name and
/// relation (a parent's name is compared), whether it is open, and whether
/// it may be matched at all (`matchable`: a tracing consent or legal basis holds).
fn request_fingerprint(request: &TracingRequest, matchable: bool) -> u64 {
    fingerprint(&(
        &request.sought_children,
        &request.inquirer.names,
        request.inquirer.relation,
        is_searching(request.status),
        matchable,
    ))
}

/// The sought children as the matcher compares them: the inquirer, when a
/// parent, is the child's mother or father.
fn sought_records(request: &TracingRequest) -> Vec<MatchRecord> {
    request
        .sought_children
        .iter()
        .map(|child| {
            let relation = request.inquirer.relation;
            let parent = matches!(relation, Relation::Mother | Relation::Father);
            if parent && child.relative(relation).is_none() {
                let mut child: ChildIdentity = child.clone();
                child
                    .family
                    .push(FamilyMember::new(relation, request.inquirer.names.clone()));
                MatchRecord::new(&child, request.recorded_on)
            } else {
                MatchRecord::new(child, request.recorded_on)
            }
        })
        .collect()
}

struct CaseEntry {
    version: i64,
    fingerprint: u64,
    /// Its slot in the case index.
    slot: usize,
}

struct RequestEntry {
    version: i64,
    fingerprint: u64,
    /// Empty when the request is not open.
    sought: Vec<MatchRecord>,
}

fn sought_key(request: RecordId, child: usize) -> String {
    format!("{request}#{child}")
}

fn request_of_key(key: &str) -> Option<RecordId> {
    key.split_once('#')?.0.parse().ok()
}

/// What a change did to the indexes.
enum Applied {
    Case(RecordId),
    Request(RecordId),
    /// A request left matching (its consent was withdrawn): its pending
    /// proposals are to be withdrawn.
    Withdrawn(RecordId),
    /// Only content matching does not read changed (or the body is unreadable).
    Nothing,
}

/// A request's ranked candidates, per sought child, before rejections are left out.
struct Ranked {
    request: RecordId,
    request_version: i64,
    per_child: Vec<Vec<ProposedMatch>>,
}

/// The in-memory part: indexes and model. Owned by the matcher task and
/// moved to a blocking thread for the CPU work.
struct State {
    cases: Index,
    case_entries: HashMap<RecordId, CaseEntry>,
    requests: Index,
    request_entries: HashMap<RecordId, RequestEntry>,
    model: Model,
    estimated: bool,
    /// Cases plus sought children when the model was last chosen.
    model_basis: usize,
}

impl State {
    fn new() -> Self {
        Self {
            cases: Index::new(link::DEFAULT_BLOCK_CAP),
            case_entries: HashMap::new(),
            requests: Index::new(link::DEFAULT_BLOCK_CAP),
            request_entries: HashMap::new(),
            model: Model::prior(),
            estimated: false,
            model_basis: 0,
        }
    }

    fn sought_count(&self) -> usize {
        self.request_entries.values().map(|e| e.sought.len()).sum()
    }

    fn open_requests(&self) -> BTreeSet<RecordId> {
        self.request_entries
            .iter()
            .filter(|(_, e)| !e.sought.is_empty())
            .map(|(id, _)| *id)
            .collect()
    }

    fn apply(&mut self, change: &RecordChange) -> Applied {
        match change.kind {
            RecordKind::ChildCase if !change.matchable => {
                // No tracing consent or legal basis holds: out of the index.
                // The requests it was proposed for are matched again, which
                // withdraws it from them.
                if self.case_entries.remove(&change.id).is_some() {
                    self.cases.remove(&change.id.to_string());
                    Applied::Case(change.id)
                } else {
                    Applied::Nothing
                }
            }
            RecordKind::ChildCase => {
                let Ok(case) = serde_json::from_str::<ChildCase>(&change.body) else {
                    tracing::warn!("a stored case could not be read for matching; it is left out");
                    return Applied::Nothing;
                };
                let fingerprint = case_fingerprint(&case);
                if let Some(entry) = self.case_entries.get_mut(&change.id) {
                    entry.version = change.version;
                    if entry.fingerprint == fingerprint {
                        return Applied::Nothing;
                    }
                }
                let slot = self.cases.update(
                    change.id.to_string(),
                    MatchRecord::new(&case.child, case.recorded_on),
                );
                self.case_entries.insert(
                    change.id,
                    CaseEntry {
                        version: change.version,
                        fingerprint,
                        slot,
                    },
                );
                Applied::Case(change.id)
            }
            RecordKind::TracingRequest => {
                let Ok(request) = serde_json::from_str::<TracingRequest>(&change.body) else {
                    tracing::warn!("a stored tracing request could not be read for matching; it is left out");
                    return Applied::Nothing;
                };
                let fingerprint = request_fingerprint(&request, change.matchable);
                let previous = self.request_entries.get_mut(&change.id);
                let previous_children = match previous {
                    Some(entry) if entry.fingerprint == fingerprint => {
                        entry.version = change.version;
                        return Applied::Nothing;
                    }
                    Some(entry) => entry.sought.len(),
                    None => 0,
                };
                for child in 0..previous_children {
                    self.requests.remove(&sought_key(change.id, child));
                }
                let sought = if is_searching(request.status) && change.matchable {
                    sought_records(&request)
                } else {
                    Vec::new()
                };
                for (child, record) in sought.iter().enumerate() {
                    self.requests.add(sought_key(change.id, child), record.clone());
                }
                let open = !sought.is_empty();
                self.request_entries.insert(
                    change.id,
                    RequestEntry {
                        version: change.version,
                        fingerprint,
                        sought,
                    },
                );
                if open {
                    Applied::Request(change.id)
                } else if !change.matchable && previous_children > 0 {
                    Applied::Withdrawn(change.id)
                } else {
                    Applied::Nothing
                }
            }
        }
    }

    /// Open requests that changed cases may answer.
    fn requests_for_cases(&self, cases: &[RecordId]) -> BTreeSet<RecordId> {
        let mut found = BTreeSet::new();
        for case in cases {
            let Some(record) = self.case_record(*case) else {
                continue;
            };
            let (candidates, _) = self.requests.top_k(&self.model, record, REQUESTS_PER_CASE);
            found.extend(
                candidates
                    .iter()
                    .filter_map(|c| self.requests.id(c.slot).and_then(request_of_key)),
            );
        }
        found
    }

    fn case_record(&self, case: RecordId) -> Option<&MatchRecord> {
        self.cases.record(self.case_entries.get(&case)?.slot)
    }

    /// Choose the model: estimated once the data allows, again when it has
    /// doubled. Whether it changed.
    fn choose_model(&mut self) -> bool {
        let cases = self.case_entries.len();
        let sought = self.sought_count();
        let size = cases + sought;
        let enough = cases >= MIN_CASES_TO_ESTIMATE && sought >= MIN_SOUGHT_TO_ESTIMATE;
        if !enough || (self.estimated && size < 2 * self.model_basis) {
            return false;
        }
        let left: Vec<MatchRecord> = self
            .request_entries
            .values()
            .flat_map(|e| e.sought.iter().cloned())
            .collect();
        let step = (cases / ESTIMATE_SAMPLE).max(1);
        let right: Vec<MatchRecord> = self
            .case_entries
            .keys()
            .step_by(step)
            .filter_map(|id| self.case_record(*id).cloned())
            .collect();
        self.model = link::estimate(&left, &right, &self.cases, false, &Settings::default());
        self.estimated = true;
        self.model_basis = size;
        tracing::info!(cases, sought, "matching model estimated from the data");
        true
    }

    /// The best cases for each of a request's sought children.
    fn rank(&self, request: RecordId) -> Option<Ranked> {
        let entry = self.request_entries.get(&request)?;
        if entry.sought.is_empty() {
            return None;
        }
        let per_child = entry
            .sought
            .iter()
            .enumerate()
            .map(|(child, sought)| {
                let (candidates, _) = self.cases.top_k(&self.model, sought, TOP_K + REJECTION_SLACK);
                candidates
                    .iter()
                    .filter_map(|candidate| {
                        let case_id: RecordId = self.cases.id(candidate.slot)?.parse().ok()?;
                        let case = self.cases.record(candidate.slot)?;
                        let label = match candidate.score.label {
                            Label::Match => MatchLabel::Match,
                            Label::Possible => MatchLabel::Possible,
                            Label::NonMatch => return None,
                        };
                        let levels = link::compare(sought, case);
                        let explanation =
                            MatchExplanation::new(&self.model.explain(&levels, sought, case), self.estimated);
                        Some(ProposedMatch {
                            case_id,
                            case_version: self.case_entries.get(&case_id)?.version,
                            sought_child: u32::try_from(child).ok()?,
                            score: candidate.score.probability,
                            label,
                            sibling: candidate.score.sibling,
                            explanation: serde_json::to_string(&explanation).ok()?,
                        })
                    })
                    .collect()
            })
            .collect();
        Some(Ranked {
            request,
            request_version: entry.version,
            per_child,
        })
    }
}

/// Run CPU work on the state on a blocking thread, and take the state back.
async fn on_state<T: Send + 'static>(
    state: &mut Option<State>,
    work: impl FnOnce(&mut State) -> T + Send + 'static,
) -> Result<T, MatcherError> {
    let Some(mut taken) = state.take() else {
        return Err(MatcherError::Stopped);
    };
    // A panic loses the state; the task then loads it again.
    let (taken, out) = tokio::task::spawn_blocking(move || {
        let out = work(&mut taken);
        (taken, out)
    })
    .await
    .map_err(|_| MatcherError::Stopped)?;
    *state = Some(taken);
    Ok(out)
}

/// What the handles and the task share.
struct Shared {
    wake: Notify,
    /// The change number up to which everything is matched.
    matched: watch::Sender<i64>,
    rematch_all: std::sync::atomic::AtomicBool,
}

struct Owner {
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    /// Wakes the task on other processes' writes, where the store can tell.
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

/// A handle on the matching service of this process. Clones share it; the
/// service stops when the last one is dropped.
#[derive(Clone)]
pub struct Matcher {
    owner: Arc<Owner>,
}

impl Matcher {
    /// Start the service on `store` (in the current Tokio runtime). It loads
    /// its indexes in the background: the server answers meanwhile.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let shared = Arc::new(Shared {
            wake: Notify::new(),
            matched: watch::Sender::new(0),
            rematch_all: std::sync::atomic::AtomicBool::new(false),
        });
        let task = tokio::spawn(run(store.clone(), shared.clone()));
        let listener = store
            .change_listener()
            .map(|listener| tokio::spawn(listen(listener, shared.clone())));
        Self {
            owner: Arc::new(Owner {
                store,
                shared,
                task,
                listener,
            }),
        }
    }

    /// A record was written: look at the change feed now rather than at the next poll.
    pub fn notify(&self) {
        self.owner.shared.wake.notify_one();
    }

    /// Match every open request again (after the matching engine or its
    /// settings changed, for instance). Rejections hold as always.
    pub fn rematch_all(&self) {
        self.owner
            .shared
            .rematch_all
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify();
    }

    /// Wait until every write committed before this call is matched and its
    /// proposals stored. For tests and tools that need a settled state.
    pub async fn settled(&self) -> Result<(), MatcherError> {
        let target = self.owner.store.latest_change().await?;
        let mut matched = self.owner.shared.matched.subscribe();
        self.notify();
        matched
            .wait_for(|&position| position >= target)
            .await
            .map_err(|_| MatcherError::Stopped)?;
        Ok(())
    }
}

/// Wake the matcher whenever another process (or this one) commits a write.
/// While the database is unreachable this retries, waiting longer each time;
/// the poll covers the gap.
async fn listen(mut listener: kinlink_store::ChangeListener, shared: Arc<Shared>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match listener.wait().await {
            Ok(()) => {
                backoff = Duration::from_secs(1);
                shared.wake.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other processes' writes; polling meanwhile");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                // Writes may have been missed while disconnected.
                shared.wake.notify_one();
            }
        }
    }
}

/// The service's loop: load, then follow the feed; load again after a failure
/// that lost the state, waiting longer each time the store fails.
async fn run(store: Arc<dyn Store>, shared: Arc<Shared>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match Engine::load(store.clone()).await {
            Ok(mut engine) => {
                tracing::info!(
                    cases = engine.cases(),
                    open_requests = engine.open_requests(),
                    "matching indexes loaded"
                );
                loop {
                    match engine.step(&shared).await {
                        Ok(()) => backoff = Duration::from_secs(1),
                        Err(MatcherError::Stopped) => {
                            tracing::error!("matching lost its indexes; loading them again");
                            break;
                        }
                        Err(MatcherError::Store(e)) => {
                            tracing::warn!(error = %e, "matching could not read or write the store; trying again");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                        }
                    }
                    tokio::select! {
                        () = shared.wake.notified() => {}
                        () = tokio::time::sleep(POLL_INTERVAL) => {}
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "matching could not load its indexes; trying again"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The matcher's state between steps.
struct Engine {
    store: Arc<dyn Store>,
    state: Option<State>,
    /// The feed is read up to here.
    cursor: ChangeCursor,
    /// Cases whose identity changed, not yet turned into requests to match.
    pending_cases: BTreeSet<RecordId>,
    /// Requests to match again.
    pending: BTreeSet<RecordId>,
    /// Requests that left matching, whose pending proposals are to be withdrawn.
    withdrawn: BTreeSet<RecordId>,
}

impl Engine {
    async fn load(store: Arc<dyn Store>) -> Result<Self, MatcherError> {
        let position = store.matcher_position().await?;
        let mut engine = Self {
            store,
            state: Some(State::new()),
            cursor: ChangeCursor::default(),
            pending_cases: BTreeSet::new(),
            pending: BTreeSet::new(),
            withdrawn: BTreeSet::new(),
        };
        // Everything goes into the indexes; only what changed after the
        // shared position is matched again.
        engine.read_feed(position).await?;
        // The model for the data as it is. Unlike a later re-estimation this
        // matches nothing again: stored proposals keep the model they were
        // made with until a record changes or the data doubles, rather than
        // every start costing minutes of matching at national scale.
        on_state(&mut engine.state, State::choose_model).await?;
        Ok(engine)
    }

    fn cases(&self) -> usize {
        self.state.as_ref().map_or(0, |s| s.case_entries.len())
    }

    fn open_requests(&self) -> usize {
        self.state.as_ref().map_or(0, |s| s.open_requests().len())
    }

    /// Read the feed to its end into the indexes; changes after `matched`
    /// become pending.
    async fn read_feed(&mut self, matched: i64) -> Result<(), MatcherError> {
        // Every write numbered up to `latest` has committed: after reading
        // the feed to its end, all of them have been seen.
        let latest = self.store.latest_change().await?;
        loop {
            let page = self.store.changes_since(self.cursor, PAGE).await?;
            let Some(last) = page.last() else { break };
            let next = ChangeCursor::after(last);
            let applied = on_state(&mut self.state, move |state| {
                page.iter()
                    .map(|change| (change.change > matched, state.apply(change)))
                    .collect::<Vec<_>>()
            })
            .await?;
            for (after_matched, applied) in applied {
                match applied {
                    Applied::Case(id) if after_matched => {
                        self.pending_cases.insert(id);
                    }
                    Applied::Request(id) if after_matched => {
                        self.pending.insert(id);
                    }
                    Applied::Withdrawn(id) if after_matched => {
                        self.withdrawn.insert(id);
                    }
                    _ => {}
                }
            }
            self.cursor = next;
        }
        if latest > self.cursor.change {
            self.cursor = ChangeCursor {
                change: latest,
                id: None,
            };
        }
        Ok(())
    }

    async fn step(&mut self, shared: &Shared) -> Result<(), MatcherError> {
        if shared
            .rematch_all
            .swap(false, std::sync::atomic::Ordering::SeqCst)
            && let Some(state) = &self.state
        {
            self.pending.extend(state.open_requests());
        }
        // Whatever the feed holds beyond the cursor is new: all of it is matched.
        self.read_feed(i64::MIN).await?;
        if on_state(&mut self.state, State::choose_model).await?
            && let Some(state) = &self.state
        {
            self.pending.extend(state.open_requests());
        }
        self.requests_for_changed_cases().await?;
        self.withdraw_requests().await?;
        while !self.pending.is_empty() {
            let batch: Vec<RecordId> = self.pending.iter().take(BATCH).copied().collect();
            let to_rank = batch.clone();
            let ranked = on_state(&mut self.state, move |state| {
                to_rank.iter().filter_map(|r| state.rank(*r)).collect::<Vec<_>>()
            })
            .await?;
            for ranked in ranked {
                self.propose(ranked).await?;
            }
            for request in batch {
                self.pending.remove(&request);
            }
        }
        let matched = self.cursor.change;
        self.store.advance_matcher_position(matched).await?;
        shared.matched.send_replace(matched);
        Ok(())
    }

    /// Withdraw the pending proposals of requests that left matching.
    async fn withdraw_requests(&mut self) -> Result<(), MatcherError> {
        while let Some(request) = self.withdrawn.pop_first() {
            self.pending.remove(&request);
            let Some(version) = self
                .state
                .as_ref()
                .and_then(|s| s.request_entries.get(&request))
                .map(|e| e.version)
            else {
                continue;
            };
            match self.store.propose_matches(request, version, &[], &actor()).await {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => {
                    self.withdrawn.insert(request);
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }

    /// Turn changed cases into requests to match: the open requests they may
    /// answer, and those they are proposed for already (a case that no
    /// longer fits is withdrawn from them).
    async fn requests_for_changed_cases(&mut self) -> Result<(), MatcherError> {
        if self.pending_cases.is_empty() {
            return Ok(());
        }
        let cases: Vec<RecordId> = self.pending_cases.iter().copied().collect();
        let open = self.open_requests();
        if cases.len() > open {
            // Cheaper to match every open request once than to query per case.
            if let Some(state) = &self.state {
                self.pending.extend(state.open_requests());
            }
        } else {
            let queried = cases.clone();
            let found = on_state(&mut self.state, move |state| state.requests_for_cases(&queried)).await?;
            self.pending.extend(found);
            for case in &cases {
                let proposed = self.store.matches_for_case(*case).await?;
                self.pending.extend(proposed.iter().map(|m| m.request_id));
            }
        }
        self.pending_cases.clear();
        Ok(())
    }

    /// Store a request's proposals: the best [`TOP_K`] per sought child,
    /// rejected pairs whose records' identities have not changed left out.
    async fn propose(&mut self, ranked: Ranked) -> Result<(), MatcherError> {
        let rejected: HashMap<RecordId, (i64, i64)> = self
            .store
            .matches_for_request(ranked.request)
            .await?
            .into_iter()
            .filter(|m| m.status == MatchStatus::Rejected)
            .map(|m| (m.case_id, (m.request_version, m.case_version)))
            .collect();
        let mut chosen: BTreeMap<RecordId, ProposedMatch> = BTreeMap::new();
        for candidates in ranked.per_child {
            let mut kept = 0;
            for proposal in candidates {
                if kept == TOP_K {
                    break;
                }
                if let Some(&(request_version, case_version)) = rejected.get(&proposal.case_id)
                    && self
                        .unchanged_since(RecordKind::TracingRequest, ranked.request, request_version)
                        .await?
                    && self
                        .unchanged_since(RecordKind::ChildCase, proposal.case_id, case_version)
                        .await?
                {
                    continue;
                }
                kept += 1;
                match chosen.get(&proposal.case_id) {
                    Some(better) if better.score >= proposal.score => {}
                    _ => {
                        chosen.insert(proposal.case_id, proposal);
                    }
                }
            }
        }
        let proposals: Vec<ProposedMatch> = chosen.into_values().collect();
        let outcome = self
            .store
            .propose_matches(ranked.request, ranked.request_version, &proposals, &actor())
            .await;
        match outcome {
            Ok(outcome) => {
                tracing::debug!(
                    created = outcome.created,
                    updated = outcome.updated,
                    reopened = outcome.reopened,
                    withdrawn = outcome.withdrawn,
                    "match proposals stored"
                );
                Ok(())
            }
            // The request or a case is gone from under us: nothing to propose.
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a record's match-relevant content at `version` is what the
    /// index holds now (a status change is a new version, not a new child).
    async fn unchanged_since(
        &self,
        kind: RecordKind,
        id: RecordId,
        version: i64,
    ) -> Result<bool, MatcherError> {
        let Some(state) = &self.state else {
            return Err(MatcherError::Stopped);
        };
        let current = match kind {
            RecordKind::ChildCase => state.case_entries.get(&id).map(|e| (e.version, e.fingerprint)),
            RecordKind::TracingRequest => state.request_entries.get(&id).map(|e| (e.version, e.fingerprint)),
        };
        let Some((current_version, current_fingerprint)) = current else {
            return Ok(false);
        };
        if current_version == version {
            return Ok(true);
        }
        let history = self.store.history(kind, id).await?;
        let Some(then) = history.iter().find(|r| r.version == version) else {
            return Ok(false);
        };
        let then = match kind {
            RecordKind::ChildCase => serde_json::from_str::<ChildCase>(&then.body)
                .ok()
                .map(|c| case_fingerprint(&c)),
            RecordKind::TracingRequest => serde_json::from_str::<TracingRequest>(&then.body)
                .ok()
                .map(|r| request_fingerprint(&r, true)),
        };
        Ok(then == Some(current_fingerprint))
    }
}
