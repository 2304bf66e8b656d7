//! The sandbox: a local imitation of the Veriff API and of the end-user flow, on 127.0.0.1.
//!
//! The same server serves `veriff-tui sandbox`, `--sandbox` on any command, demos without an
//! account, and the test suite: what we test is what users run.
//!
//! Routes:
//! - `POST /v1/sessions` (and `/v1/sessions/`): create a session, validated as Veriff does.
//! - `GET /v1/sessions/{id}/decision`: the decision, signed over the session id.
//! - `GET /v/{token}`: the end-user flow page; `POST /v/{token}/decide` records the choice;
//!   `GET /v/{token}/done` thanks the visitor and shows the decision.
//!
//! With a webhook URL it also sends what Veriff sends an integration's webhook URL: the
//! `started` and `submitted` events and the decision (`webhooks.rs`).
//!
//! Like Veriff, the sandbox rejects `http://` callbacks (1302), except to this machine
//! (127.0.0.1, localhost): a sandbox demo never leaves it, and the form allows exactly that
//! only when the profile is a loopback sandbox.

mod faults;
pub use faults::Flaky;
mod fields;
mod flow;
mod inspect;
mod limits;
mod server;
mod state;
mod token;
mod webhooks;

pub use limits::Limits;
pub use webhooks::{
    Notes as WebhookNotes, Retry as WebhookRetry, parse_url as parse_webhook_url,
    shown as shown_webhook_url,
};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use state::Shared;

/// The sandbox's own API key (a UUID, as Veriff's are). Fixed, so a profile can point at a
/// `veriff-tui sandbox` started in another terminal.
pub const SANDBOX_API_KEY: &str = "00000000-5a4d-4b0c-8000-5a4db0c5a4db";
/// The sandbox's shared secret. Not a secret at all: it only guards a local imitation.
pub const SANDBOX_SHARED_SECRET: &str = "sandbox-shared-secret-0000";

/// How to run a sandbox. Everything but `port` exists for tests and is off by default.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// Each decision request waits this long before answering (to observe concurrency).
    pub decision_delay: Option<Duration>,
    /// Makes POST /v1/sessions misbehave; see [`Fault`]. Can be changed later with
    /// [`Sandbox::set_fault`].
    pub fault: Option<Fault>,
    /// Address to listen on; `None` is 127.0.0.1. Another address (the LAN's, or 0.0.0.0)
    /// lets a phone on the same network open a scanned link.
    pub listen: Option<IpAddr>,
    /// Base of the session URLs handed out (`https://demo.example:8443`), for when the
    /// phone reaches the sandbox by another name than the listen address; `None` is
    /// `http://LISTEN:PORT`.
    pub public_url: Option<String>,
    /// A file the sessions are kept in (read at start, written on every change), so a
    /// restarted sandbox still serves its links; `None` keeps them in memory only.
    pub state_file: Option<std::path::PathBuf>,
    /// Timeouts and bounds; the default is what `veriff-tui sandbox` runs with.
    pub limits: Limits,
    /// Where the time of sessions (their creation, their 7-day expiry) comes from; the
    /// default is the system clock.
    pub clock: Clock,
    /// Where to send the webhooks (`started`, `submitted`, the decision) as Veriff sends
    /// them to an integration's webhook URL; `None` sends none. Changed later with
    /// [`Sandbox::set_webhook_url`].
    pub webhook_url: Option<url::Url>,
    /// How a failed webhook delivery is tried again.
    pub webhook_retry: WebhookRetry,
    /// Who hears of a failed delivery besides the log (`veriff-tui sandbox`: stderr).
    pub webhook_notes: WebhookNotes,
}

/// The time the sandbox goes by for its sessions: the system clock by default. A test
/// passes its own, to see sessions expire without waiting a week.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>>);

impl Clock {
    /// Any source of time.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Some(Arc::new(now)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.0.as_ref().map_or_else(Utc::now, |now| now())
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(given)"
        } else {
            "Clock(system)"
        })
    }
}

/// A way for POST /v1/sessions to misbehave, as real networks and proxies do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally (a timeout test sets it above the client's).
    Delay(Duration),
    /// 500 with a Veriff-shaped JSON body.
    Status500,
    /// 502 with an HTML body, as a proxy in front of Veriff sends.
    Html502,
    /// 429 with `Retry-After`.
    TooMany429,
    /// 201 whose JSON body stops half-way (the Content-Length matches what is sent).
    TruncatedJson,
    /// 201 whose headers promise more body than is sent before the connection drops.
    ResetMidBody,
    /// 201 with a valid JSON body over 1 MiB, sent chunked (no Content-Length to go by).
    Huge,
    /// 201 with a success body that has no `url`.
    MissingUrl,
    /// 201 whose `url` holds terminal escape sequences (OSC 52, clear screen) and a BEL.
    UrlWithEscape,
    /// 201 whose `url` is not http(s) (`javascript:`).
    NonHttpUrl,
    /// 201 with `Content-Type: application/json` and bytes that are not UTF-8.
    NonUtf8,
    /// 201 whose `id` is a spreadsheet formula, not a UUID.
    FormulaId,
    /// 201 whose `url` is 900 KB long.
    HugeUrl,
    /// 201 whose `status` is a formula and whose `host` is no URL (the link itself is fine).
    OddFields,
    /// Some requests 429 (with `Retry-After`), some 500, the rest answered normally.
    Flaky(Flaky),
}

/// A decision the sandbox can give (the flow page's three buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Approved,
    Declined,
    ResubmissionRequested,
}

impl Outcome {
    /// Veriff's status string.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Declined => "declined",
            Outcome::ResubmissionRequested => "resubmission_requested",
        }
    }

    /// Veriff's decision code.
    pub fn code(self) -> u32 {
        match self {
            Outcome::Approved => 9001,
            Outcome::Declined => 9102,
            Outcome::ResubmissionRequested => 9103,
        }
    }

    /// Veriff's `reasonCode` and `reason` (from its decision codes table); none when approved.
    pub fn reason(self) -> Option<(u32, &'static str)> {
        match self {
            Outcome::Approved => None,
            Outcome::Declined => Some((102, "Suspected document tampering")),
            Outcome::ResubmissionRequested => Some((201, "Video and/or photos missing")),
        }
    }

    /// Approved and declined end a session; after a resubmission request the link works again.
    pub fn is_final(self) -> bool {
        !matches!(self, Outcome::ResubmissionRequested)
    }

    /// The outcome a Veriff test integration forces for this first name, if any.
    pub fn from_first_name(name: &str) -> Option<Outcome> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("approve") {
            Some(Outcome::Approved)
        } else if name.eq_ignore_ascii_case("decline") {
            Some(Outcome::Declined)
        } else if name.eq_ignore_ascii_case("resubmit") {
            Some(Outcome::ResubmissionRequested)
        } else {
            None
        }
    }
}

/// Checks a `--public-url` and drops its trailing `/`, so session URLs read `BASE/v/TOKEN`.
/// Parsed as a URL (a hand split takes `http://a@evil.example` for host `a`): http(s), a
/// host, no user name or password, no query or fragment.
fn public_base(url: &str) -> std::io::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let plain = lower.starts_with("http://") || lower.starts_with("https://");
    let ok = plain
        && !url
            .chars()
            .any(|c| c.is_whitespace() || crate::text::is_unsafe(c))
        && url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
        });
    if ok {
        return Ok(url.to_string());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "the public URL {:?} is not an http(s) URL with a host (and no user name, query or fragment); give one like http://192.168.1.20:8780",
            crate::text::sanitize(url)
        ),
    ))
}

/// A running sandbox; it stops when dropped.
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Stops the webhook sender (dropped, the same).
    stop_sender: Option<oneshot::Sender<()>>,
    sender: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Listens on 127.0.0.1 (or `options.listen`) and serves on the current tokio runtime;
    /// returns once the port is bound, so requests can be sent right away.
    pub async fn start(options: SandboxOptions) -> std::io::Result<Self> {
        let ip = options.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let listener = tokio::net::TcpListener::bind((ip, options.port))
            .await
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "could not listen on {}: {e}. Choose another port, or 0 for any free one.",
                        SocketAddr::new(ip, options.port)
                    ),
                )
            })?;
        let addr = listener.local_addr()?;
        // The API base is for clients on this machine: an unspecified listen address
        // (0.0.0.0, ::) is not one a client can connect to everywhere, loopback is.
        let api_addr = if addr.ip().is_unspecified() {
            let loopback = match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            };
            SocketAddr::new(loopback, addr.port())
        } else {
            addr
        };
        let base_url = format!("http://{api_addr}");
        let public_url = match options.public_url {
            Some(u) => public_base(&u)?,
            None => format!("http://{addr}"),
        };
        if let Some(url) = &options.webhook_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the webhook URL is not an http:// or https:// URL",
            ));
        }
        let limits = options.limits;
        let store = match &options.state_file {
            Some(path) => state::Store::load(path, limits.max_sessions, options.clock.now())?,
            None => state::Store::new(limits.max_sessions),
        };
        let (webhooks, sender) = webhooks::channel(
            options.webhook_url,
            options.webhook_retry,
            options.webhook_notes,
        );
        let shared = Arc::new(Shared::new(
            public_url,
            store,
            options.state_file.clone(),
            options.fault,
            options.decision_delay,
            options.clock,
            webhooks,
        ));
        let (stop_sender, sender_stopped) = oneshot::channel::<()>();
        let sender = tokio::spawn(sender.run(sender_stopped));
        let app = server::router(shared.clone(), limits.body_timeout);
        // A dropped sender means the same as a sent signal: stop.
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve::serve(
            listener,
            app,
            limits.head_timeout,
            limits.max_connections,
            shared.clone(),
            "sandbox",
            rx,
        ));
        Ok(Sandbox {
            base_url,
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
            stop_sender: Some(stop_sender),
            sender: Some(sender),
        })
    }

    /// `http://127.0.0.1:PORT` (no `/v1`): where clients on this machine send API requests.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The base of the session URLs handed out (the `--public-url`, else the listen address).
    pub fn public_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn api_key(&self) -> &str {
        SANDBOX_API_KEY
    }

    pub fn shared_secret(&self) -> &str {
        SANDBOX_SHARED_SECRET
    }

    /// Where webhooks go from now on (`None`: nowhere); those already queued keep theirs.
    pub fn set_webhook_url(&self, url: Option<url::Url>) {
        self.shared.webhooks.set_url(url);
    }

    /// A handle that points the webhooks elsewhere, for a task that outlives a borrow of
    /// the sandbox (the TUI's receiver starts in the background).
    pub fn webhook_target(&self) -> WebhookTarget {
        WebhookTarget(self.shared.clone())
    }

    /// Changes (or with `None` clears) the fault of POST /v1/sessions from the next request on.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.shared.set_fault(fault);
    }

    /// Changes the wait of each decision request from the next request on.
    /// Off: watchlist screening answers as it does for an integration without it (an
    /// error for that part alone).
    pub fn set_watchlist_screening(&self, on: bool) {
        self.shared.set_watchlist_screening(on);
    }

    pub fn set_decision_delay(&self, delay: Option<Duration>) {
        self.shared.set_decision_delay(delay);
    }

    /// POST /v1/sessions requests received, whatever their outcome (valid, rejected, faulted).
    /// The body of the newest create request, byte for byte.
    pub fn last_create_body(&self) -> Option<Vec<u8>> {
        let last = self.shared.counters.last_create_body.lock().ok()?;
        last.as_ref().map(|b| b.to_vec())
    }

    pub fn create_requests(&self) -> u64 {
        self.shared.counters.create_requests.load(Ordering::SeqCst)
    }

    /// GET decision requests received, whatever their outcome.
    pub fn decision_requests(&self) -> u64 {
        self.shared
            .counters
            .decision_requests
            .load(Ordering::SeqCst)
    }

    /// The most decision requests that were being answered at the same moment.
    pub fn peak_decisions_in_flight(&self) -> usize {
        self.shared
            .counters
            .peak_decisions_in_flight
            .load(Ordering::SeqCst)
    }

    /// The most connections that were being served at the same moment.
    pub fn peak_connections(&self) -> usize {
        self.shared.counters.peak_connections.load(Ordering::SeqCst)
    }

    /// Sets the counters back to zero, so one sandbox can serve several tests.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Sessions kept: those created and not yet expired or pushed out by newer ones.
    pub fn session_count(&self) -> usize {
        self.shared.store().len()
    }

    /// Every session kept: its id, its token (in its URL) and the first name it was made
    /// for.
    pub fn sessions(&self) -> Vec<(String, String, Option<String>)> {
        self.shared.store().names()
    }

    /// The status Veriff would report for a session (`created`, `started`, `approved`, ...),
    /// or `None` for an unknown id.
    pub fn session_status(&self, session_id: &str) -> Option<&'static str> {
        self.shared.store().get(session_id).map(|s| s.status())
    }

    /// Decides a session as if the end user had pressed a button on the flow page. False for
    /// an unknown id or a session already approved or declined.
    pub fn decide(&self, session_id: &str, outcome: Outcome) -> bool {
        let mut store = self.shared.store();
        match store.get_mut(session_id) {
            Some(s) if s.accepts_decision() => {
                self.shared.choose(s, outcome);
                self.shared.persist(&store);
                true
            }
            _ => false,
        }
    }

    /// Stops accepting connections, lets requests in progress finish, and waits until the
    /// server is gone. Dropping the sandbox does the same without waiting.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // After the server: a decision chosen in its last requests is queued by then.
        if let Some(tx) = self.stop_sender.take() {
            let _ = tx.send(());
        }
        if let Some(sender) = self.sender.take() {
            let _ = sender.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.stop_sender.take() {
            let _ = tx.send(());
        }
    }
}

/// Points a sandbox's webhooks somewhere; see [`Sandbox::webhook_target`].
#[derive(Clone)]
pub struct WebhookTarget(Arc<Shared>);

impl WebhookTarget {
    pub fn set(&self, url: Option<url::Url>) {
        self.0.webhooks.set_url(url);
    }
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookTarget")
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
