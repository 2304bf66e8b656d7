//! What the sandbox remembers: sessions, their decisions, the test knobs and the counters.
//! Everything lives in memory; with a state file (`veriff-tui sandbox` keeps one per port in
//! the data dir) the sessions are also written there on every change and read back at
//! start, so a restarted sandbox still serves its links and knows their decisions.
//! Sessions are forgotten when their link expires (7 days, as on Veriff) or when
//! [`Limits::max_sessions`](super::Limits) newer ones are kept, so neither grows for ever.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::webhooks::Webhooks;
use super::{Clock, Fault, Outcome};
use crate::veriff::token::SESSION_LIFETIME_DAYS;

/// One session created through POST /v1/sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub id: String,
    pub token: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub vendor_data: Option<String>,
    /// Echoed as sent (Veriff echoes it); kept as JSON so a number stays a number.
    pub end_user_id: Option<Value>,
    /// Always https: the create handler rejects anything else, as Veriff does.
    pub callback: Option<String>,
    pub created_at: DateTime<Utc>,
    /// True once the end user opened the flow page.
    pub started: bool,
    pub decision: Option<Decision>,
    /// The other fields the create request carried (person, document, address, consents).
    #[serde(default)]
    pub extra: crate::veriff::Extras,
    /// Every decided attempt, oldest first: a resubmission adds one.
    #[serde(default)]
    pub attempts: Vec<Decision>,
    /// The attempt begun when the flow page was first opened, not yet decided: its id
    /// is in the `started` webhook, so the decision carries the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_attempt: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Decision {
    pub outcome: Outcome,
    pub attempt_id: String,
    pub time: DateTime<Utc>,
}

impl Session {
    /// The status Veriff would report for this session now.
    pub fn status(&self) -> &'static str {
        match (&self.decision, self.started) {
            (Some(d), _) => d.outcome.status(),
            (None, true) => "started",
            (None, false) => "created",
        }
    }

    /// Approved and declined are final; a resubmission lets the same link be used again.
    pub fn accepts_decision(&self) -> bool {
        self.decision.as_ref().is_none_or(|d| !d.outcome.is_final())
    }

    pub fn decide(&mut self, outcome: Outcome, now: DateTime<Utc>) {
        let attempt_id = self
            .open_attempt
            .take()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let decision = Decision {
            outcome,
            attempt_id,
            time: now,
        };
        self.attempts.push(decision.clone());
        self.decision = Some(decision);
    }

    /// True once its link has expired on Veriff: 7 days after it was made.
    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.created_at
            .checked_add_signed(chrono::Duration::days(SESSION_LIFETIME_DAYS))
            .is_none_or(|end| end <= now)
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    sessions: HashMap<String, Session>,
    /// sessionToken -> session id, for the flow page.
    by_token: HashMap<String, String>,
    /// Session ids in the order they were kept, oldest first: the first to be forgotten.
    order: VecDeque<String>,
    max_sessions: usize,
}

impl Store {
    /// An empty store that keeps at most `max_sessions` (at least one).
    pub fn new(max_sessions: usize) -> Store {
        Store {
            sessions: HashMap::new(),
            by_token: HashMap::new(),
            order: VecDeque::new(),
            max_sessions: max_sessions.max(1),
        }
    }

    /// Keeps `session`, forgetting the oldest ones beyond the bound.
    pub fn insert(&mut self, session: Session) {
        // Ids are fresh UUIDs; one seen twice (a state file edited by hand) is kept once.
        if let Some(old) = self.sessions.remove(&session.id) {
            self.by_token.remove(&old.token);
            self.order.retain(|id| *id != old.id);
        }
        self.by_token
            .insert(session.token.clone(), session.id.clone());
        self.order.push_back(session.id.clone());
        self.sessions.insert(session.id.clone(), session);
        while self.sessions.len() > self.max_sessions && self.forget_oldest() {}
    }

    /// Forgets the sessions whose links have expired by `now`. Sessions are kept in the
    /// order they were made, so the expired ones are at the front; a clock set back in the
    /// meantime only makes one wait for those before it.
    pub fn forget_expired(&mut self, now: DateTime<Utc>) {
        while let Some(id) = self.order.front() {
            if self.sessions.get(id).is_some_and(|s| !s.expired(now)) {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) -> bool {
        let Some(id) = self.order.pop_front() else {
            return false;
        };
        if let Some(session) = self.sessions.remove(&id) {
            self.by_token.remove(&session.token);
        }
        true
    }

    pub fn get(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    pub fn by_token_id(&self, token: &str) -> Option<String> {
        self.by_token.get(token).cloned()
    }

    pub fn by_token_mut(&mut self, token: &str) -> Option<&mut Session> {
        let id = self.by_token.get(token)?;
        self.sessions.get_mut(id)
    }

    /// Every attempt id of every session (media ids start with one).
    pub fn attempt_ids(&self) -> impl Iterator<Item = &String> {
        self.sessions
            .values()
            .flat_map(|s| s.attempts.iter().map(|a| &a.attempt_id))
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// The sessions from a state file written by [`Store::save`], held to the same bounds
    /// as new ones (a file from a sandbox with a higher bound, or one that has been stopped
    /// for a week); an empty store when there is no file yet.
    pub fn load(path: &Path, max_sessions: usize, now: DateTime<Utc>) -> std::io::Result<Store> {
        let mut store = Store::new(max_sessions);
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(e),
        };
        let saved: SavedState = serde_json::from_slice(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the sandbox state file {} is not one the sandbox wrote ({e}): move it away or delete it (it only holds sandbox sessions)",
                    crate::text::sanitize(&path.display().to_string())
                ),
            )
        })?;
        let mut sessions = saved.sessions;
        let before = sessions.len();
        sessions.retain(super::server::within_bounds);
        if sessions.len() < before {
            tracing::warn!(
                path = %path.display(),
                "{} sandbox sessions over the field bounds not loaded",
                before - sessions.len()
            );
        }
        // Oldest first, so the bound keeps the newest (the file is written in this order).
        sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        for session in sessions {
            store.insert(session);
        }
        store.forget_expired(now);
        Ok(store)
    }

    /// Writes every session to `path` (a whole new file moved into place, private to the
    /// user), so a crash mid-write leaves the previous state.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut sessions: Vec<&Session> = self.sessions.values().collect();
        sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let text = serde_json::to_vec(&SavedStateRef { sessions })
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }

    /// (session id, session token, first name) of every session.
    pub fn names(&self) -> Vec<(String, String, Option<String>)> {
        self.sessions
            .values()
            .map(|s| (s.id.clone(), s.token.clone(), s.first_name.clone()))
            .collect()
    }
}

/// The state file's shape.
#[derive(Deserialize)]
struct SavedState {
    sessions: Vec<Session>,
}

#[derive(Serialize)]
struct SavedStateRef<'a> {
    sessions: Vec<&'a Session>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub base_url: String,
    store: Mutex<Store>,
    /// Where the sessions are kept across restarts, if anywhere.
    state_file: Option<PathBuf>,
    fault: Mutex<Option<Fault>>,
    decision_delay: Mutex<Option<Duration>>,
    /// Off: watchlist screening answers as for an integration without it.
    no_watchlist: std::sync::atomic::AtomicBool,
    clock: Clock,
    pub counters: Counters,
    /// The webhooks sent as sessions move on (none without a webhook URL).
    pub webhooks: Webhooks,
}

/// A panic in one handler must not make the sandbox unusable for the next test, so a
/// poisoned lock is simply taken over: the data behind it is plain values, never half-written
/// across an await.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub fn new(
        base_url: String,
        store: Store,
        state_file: Option<PathBuf>,
        fault: Option<Fault>,
        decision_delay: Option<Duration>,
        clock: Clock,
        webhooks: Webhooks,
    ) -> Self {
        Shared {
            base_url,
            store: Mutex::new(store),
            state_file,
            fault: Mutex::new(fault),
            decision_delay: Mutex::new(decision_delay),
            no_watchlist: std::sync::atomic::AtomicBool::new(false),
            clock,
            counters: Counters::default(),
            webhooks,
        }
    }

    /// The person opened the flow page: the first time, the session is started and the
    /// `started` webhook queued. Returns whether this was the first time.
    pub fn open(&self, session: &mut Session) -> bool {
        if session.started {
            return false;
        }
        // Decided for good when it was made (a test integration's first name): the page
        // only shows the decision, no attempt begins.
        if session
            .decision
            .as_ref()
            .is_some_and(|d| d.outcome.is_final())
        {
            session.started = true;
            return true;
        }
        let attempt = uuid::Uuid::new_v4().to_string();
        session.started = true;
        self.webhooks.started(session, &attempt);
        session.open_attempt = Some(attempt);
        true
    }

    /// The person chose `outcome` (on the flow page, or `Sandbox::decide` as if they had):
    /// the session is decided and its webhooks queued, `started` first if it never was.
    pub fn choose(&self, session: &mut Session, outcome: Outcome) {
        let was_started = session.started;
        session.started = true;
        session.decide(outcome, self.now());
        self.webhooks.decided(session, was_started);
    }

    /// The sessions, without those expired by now: expired ones are dropped whenever the
    /// store is looked at, so none is ever seen and no timer task is needed. (The state
    /// file catches up at the next change, and is held to the same bound when loaded.)
    pub fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = lock(&self.store);
        store.forget_expired(self.now());
        store
    }

    /// The time the sandbox goes by (the system's, or a test's).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Writes the store to the state file, if there is one. Called with the store's lock
    /// held, so writes happen in the order of the changes. A failed write is logged: the
    /// sandbox goes on serving from memory.
    pub fn persist(&self, store: &Store) {
        if let Some(path) = &self.state_file
            && let Err(e) = store.save(path)
        {
            tracing::warn!(path = %path.display(), "sandbox state not written: {e}");
        }
    }

    pub fn fault(&self) -> Option<Fault> {
        lock(&self.fault).clone()
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        *lock(&self.fault) = fault;
    }

    pub fn decision_delay(&self) -> Option<Duration> {
        *lock(&self.decision_delay)
    }

    pub fn set_decision_delay(&self, delay: Option<Duration>) {
        *lock(&self.decision_delay) = delay;
    }

    pub fn watchlist_screening(&self) -> bool {
        !self.no_watchlist.load(Ordering::SeqCst)
    }

    pub fn set_watchlist_screening(&self, on: bool) {
        self.no_watchlist.store(!on, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub create_requests: AtomicU64,
    pub decision_requests: AtomicU64,
    decisions_in_flight: AtomicUsize,
    pub peak_decisions_in_flight: AtomicUsize,
    /// The body of the newest create request, as received: what a test proves was sent.
    pub last_create_body: Mutex<Option<axum::body::Bytes>>,
    connections_open: AtomicUsize,
    pub peak_connections: AtomicUsize,
}

impl Counters {
    /// Counts a decision request as in flight until the guard drops, which also covers a
    /// client that hangs up mid-request (axum then drops the handler future).
    pub fn decision_started(&self) -> InFlight<'_> {
        self.decision_requests.fetch_add(1, Ordering::SeqCst);
        let now = self.decisions_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_decisions_in_flight
            .fetch_max(now, Ordering::SeqCst);
        InFlight(&self.decisions_in_flight)
    }

    fn connection_opened(&self) {
        let now = self.connections_open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_connections.fetch_max(now, Ordering::SeqCst);
    }

    fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn reset(&self) {
        self.create_requests.store(0, Ordering::SeqCst);
        self.decision_requests.store(0, Ordering::SeqCst);
        // Requests still in flight stay counted, so the peak restarts from them.
        let now = self.decisions_in_flight.load(Ordering::SeqCst);
        self.peak_decisions_in_flight.store(now, Ordering::SeqCst);
        let open = self.connections_open.load(Ordering::SeqCst);
        self.peak_connections.store(open, Ordering::SeqCst);
    }
}

pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The accept loop counts the sandbox's connections (tests read the peak).
impl crate::serve::Tracker for Shared {
    fn opened(&self) {
        self.counters.connection_opened();
    }

    fn closed(&self) {
        self.counters.connection_closed();
    }
}
