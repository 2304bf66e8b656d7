//! The sandbox's webhooks, as Veriff sends them to an integration's webhook URL: the event
//! webhook `started` (7001) when a person first opens the flow page, `submitted` (7002)
//! when they choose a decision, then the decision webhook, whose `verification` is what
//! the decision endpoint answers. Each is signed with the sandbox's shared secret over the
//! exact bytes sent, its API key in `X-AUTH-CLIENT`.
//!
//! The flow page only queues a delivery (never waiting for the receiver); one background
//! task sends them, a session's in the order they were queued, several sessions at once,
//! and tries a failed one again after waits that double, up to a bound ([`Retry`]). Each
//! failed try and each delivery given up is logged and told to [`Notes`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use url::Url;

use super::state::Session;
use super::{SANDBOX_API_KEY, SANDBOX_SHARED_SECRET};
use crate::text::sanitize;
use crate::veriff::sign;

/// How a failed delivery is tried again: `attempts` tries in all, waiting `first_wait`
/// after the first failure and twice as long after each next one; each try has `timeout`
/// for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub first_wait: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    /// Five tries over 30 s (waits of 2, 4, 8 and 16 s): long enough for a receiver being
    /// restarted. Veriff goes on for days; a local imitation that stops with its terminal
    /// need not.
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_wait: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// The wait after failed try number `attempt` (1 for the first).
    fn wait_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_wait.saturating_mul(1 << doublings)
    }
}

/// Where the sender tells of a failed try and of a delivery given up, besides the log:
/// `veriff-tui sandbox` prints them on stderr; inside the TUI, which owns the terminal,
/// nothing is given and the log alone has them.
#[derive(Clone, Default)]
pub struct Notes(Option<Arc<Say>>);

type Say = dyn Fn(&str) + Send + Sync;

impl Notes {
    pub fn to(say: impl Fn(&str) + Send + Sync + 'static) -> Notes {
        Notes(Some(Arc::new(say)))
    }

    fn say(&self, line: &str) {
        if let Some(say) = &self.0 {
            say(line);
        }
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notes(given)"
        } else {
            "Notes(log only)"
        })
    }
}

/// A webhook URL as the sandbox takes it: http(s), a host, no user name or password (the
/// URL is named in log lines and on stderr). The same rules as the config's URLs.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    crate::config::check_http_url(text)
        .and_then(|()| Url::parse(text).map_err(|e| format!("is not a valid URL ({e})")))
        // Not repeated: it may hold a password.
        .map_err(|why| format!("the webhook URL {why}; give one like http://127.0.0.1:8781/"))
}

/// The URL as named in messages: without its query, which may carry a token.
pub fn shown(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    sanitize(url.as_str())
}

/// One webhook to send.
#[derive(Debug)]
struct Delivery {
    session_id: String,
    /// "started", "submitted", "decision approved": for messages.
    kind: String,
    body: Vec<u8>,
    url: Url,
}

/// Deliveries queued between the flow page and the sender: the page never waits, and
/// past this many (a receiver down while someone clicks fast) new ones are dropped, said.
const QUEUE: usize = 1024;
/// Deliveries the sender holds back while an earlier one of the same session is retried.
const MAX_HELD: usize = 10_000;
/// Deliveries in flight at once (each a connection to the receiver).
const MAX_IN_FLIGHT: usize = 8;

/// The flow page's side: queues the webhooks of a session as it moves on.
#[derive(Debug)]
pub(crate) struct Webhooks {
    url: Mutex<Option<Url>>,
    queue: mpsc::Sender<Delivery>,
    notes: Notes,
}

/// The sender's side, run by [`Sender::run`] until the sandbox stops.
pub(crate) struct Sender {
    queue: mpsc::Receiver<Delivery>,
    retry: Retry,
    notes: Notes,
}

/// A new pair: queued deliveries go to `url` (none while it is `None`).
pub(crate) fn channel(url: Option<Url>, retry: Retry, notes: Notes) -> (Webhooks, Sender) {
    let (tx, rx) = mpsc::channel(QUEUE);
    (
        Webhooks {
            url: Mutex::new(url),
            queue: tx,
            notes: notes.clone(),
        },
        Sender {
            queue: rx,
            retry,
            notes,
        },
    )
}

impl Webhooks {
    pub fn set_url(&self, url: Option<Url>) {
        *self.url.lock().unwrap_or_else(|p| p.into_inner()) = url;
    }

    /// The event webhook `started`: the person opened the flow page for the first time.
    /// Called with the store locked, so a session's webhooks are queued in the order its
    /// changes were made.
    pub fn started(&self, s: &Session, attempt_id: &str) {
        self.queue_event(s, attempt_id, "started", 7001);
    }

    /// `submitted`, then the decision webhook, for the decision `s` has just been given;
    /// `started` first when the person never opened the page (a decision posted directly,
    /// or `Sandbox::decide`), so the receiver sees the order Veriff sends in.
    pub fn decided(&self, s: &Session, was_started: bool) {
        let Some(d) = &s.decision else {
            return;
        };
        if !was_started {
            self.started(s, &d.attempt_id);
        }
        self.queue_event(s, &d.attempt_id, "submitted", 7002);
        let body = super::server::decision_answer(s);
        self.queue(s, format!("decision {}", d.outcome.status()), &body);
    }

    fn queue_event(&self, s: &Session, attempt_id: &str, action: &str, code: u32) {
        // Veriff's event webhook: feature is the flow (the sandbox's is SelfID's).
        let body = json!({
            "id": s.id,
            "attemptId": attempt_id,
            "feature": "selfid",
            "code": code,
            "action": action,
            "vendorData": s.vendor_data,
            "endUserId": s.end_user_id,
        });
        self.queue(s, action.to_string(), &body);
    }

    fn queue(&self, s: &Session, kind: String, body: &serde_json::Value) {
        let Some(url) = self.url.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
            return;
        };
        // Serialised once: these bytes are signed and sent, never serialised again.
        let body = body.to_string().into_bytes();
        let delivery = Delivery {
            session_id: s.id.clone(),
            kind,
            body,
            url,
        };
        if let Err(e) = self.queue.try_send(delivery) {
            let d = match e {
                mpsc::error::TrySendError::Full(d) | mpsc::error::TrySendError::Closed(d) => d,
            };
            self.say_dropped(&d, "too many webhooks are waiting to be sent");
        }
    }

    fn say_dropped(&self, d: &Delivery, why: &str) {
        say_dropped(&self.notes, d, why);
    }
}

fn say_dropped(notes: &Notes, d: &Delivery, why: &str) {
    let line = format!(
        "webhook {} of session {} to {}: not sent, {why}",
        d.kind,
        d.session_id,
        shown(&d.url)
    );
    tracing::warn!("{line}");
    notes.say(&line);
}

impl Sender {
    /// Sends what is queued until `stop` fires (or its sender is dropped). Deliveries not
    /// done by then are dropped, and how many is said: a sandbox that stops has no one
    /// left to retry for.
    pub async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        // Deliveries held back per session while one of its own is in flight.
        let mut held: HashMap<String, VecDeque<Delivery>> = HashMap::new();
        let mut held_count = 0usize;
        // Sessions with held deliveries and none in flight, in the order they got ready.
        let mut ready: VecDeque<String> = VecDeque::new();
        let mut in_flight: HashMap<tokio::task::Id, String> = HashMap::new();
        let mut running: JoinSet<()> = JoinSet::new();
        loop {
            while running.len() < MAX_IN_FLIGHT
                && let Some(id) = ready.pop_front()
            {
                let Some(queue) = held.get_mut(&id) else {
                    continue;
                };
                let Some(d) = queue.pop_front() else {
                    held.remove(&id);
                    continue;
                };
                if queue.is_empty() {
                    held.remove(&id);
                }
                held_count -= 1;
                let task = running.spawn(deliver(d, self.retry, self.notes.clone()));
                in_flight.insert(task.id(), id);
            }
            tokio::select! {
                _ = &mut stop => break,
                next = self.queue.recv() => {
                    let Some(d) = next else { break };
                    if held_count >= MAX_HELD {
                        say_dropped(&self.notes, &d, "too many webhooks are waiting to be sent");
                        continue;
                    }
                    let id = d.session_id.clone();
                    let queue = held.entry(id.clone()).or_default();
                    let first = queue.is_empty();
                    queue.push_back(d);
                    held_count += 1;
                    // A session already in `ready` or in flight is started from there.
                    if first && !in_flight.values().any(|s| *s == id) {
                        ready.push_back(id);
                    }
                }
                Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                    let task = match done {
                        Ok((task, ())) => task,
                        Err(e) => e.id(),
                    };
                    if let Some(id) = in_flight.remove(&task)
                        && held.contains_key(&id)
                    {
                        ready.push_back(id);
                    }
                }
            }
        }
        self.queue.close();
        let mut left = held_count + running.len();
        while self.queue.try_recv().is_ok() {
            left += 1;
        }
        running.shutdown().await;
        if left > 0 {
            let s = if left == 1 { "" } else { "s" };
            let line = format!("sandbox stopping: {left} webhook{s} not delivered");
            tracing::warn!("{line}");
            self.notes.say(&line);
        }
    }
}

/// Sends one delivery, trying again as `retry` says; logs and tells how it went.
async fn deliver(d: Delivery, retry: Retry, notes: Notes) {
    let attempts = retry.attempts.max(1);
    for attempt in 1..=attempts {
        let why = match send(&d, retry.timeout).await {
            Ok(()) => {
                tracing::info!(
                    session = %d.session_id,
                    "webhook {} delivered to {} (try {attempt})",
                    d.kind,
                    shown(&d.url)
                );
                return;
            }
            Err(why) => why,
        };
        let about = format!(
            "webhook {} of session {} to {}",
            d.kind,
            d.session_id,
            shown(&d.url)
        );
        if attempt == attempts {
            let line = format!("{about}: try {attempt} of {attempts} failed ({why}); given up");
            tracing::warn!("{line}");
            notes.say(&line);
            return;
        }
        let wait = retry.wait_after(attempt);
        let line = format!(
            "{about}: try {attempt} of {attempts} failed ({why}); next in {}",
            seconds(wait)
        );
        tracing::warn!("{line}");
        notes.say(&line);
        tokio::time::sleep(wait).await;
    }
}

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// One try: a 2xx is delivered, anything else (another status, no connection, no answer
/// in time) is the reason it failed.
async fn send(d: &Delivery, timeout: Duration) -> Result<(), String> {
    let http =
        crate::veriff::client::shared_http(d.url.scheme() == "http").map_err(|e| e.to_string())?;
    let signature = sign::signature(SANDBOX_SHARED_SECRET, &d.body);
    let answer = http
        .post(d.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-AUTH-CLIENT", SANDBOX_API_KEY)
        .header("X-HMAC-SIGNATURE", signature)
        .body(d.body.clone())
        .timeout(timeout)
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!("no answer within {}", seconds(timeout))),
        Err(e) => Err(cause(&e.without_url())),
    }
}

/// The innermost cause of a request error ("Connection refused (os error 111)"): the
/// outer ones only say a request failed. The URL is left out (its query may hold a token).
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    sanitize(&inner.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_first() {
        let r = Retry::default();
        let waits: Vec<u64> = (1..r.attempts).map(|a| r.wait_after(a).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16]);
        assert_eq!(waits.iter().sum::<u64>(), 30);
        // A huge attempt count saturates instead of overflowing.
        assert!(r.wait_after(u32::MAX) >= Duration::from_secs(2));
    }

    #[test]
    fn only_plain_http_urls_with_a_host_and_no_user_are_taken() {
        assert_eq!(
            parse_url(" http://127.0.0.1:8781/ ").map(|u| u.to_string()),
            Ok("http://127.0.0.1:8781/".to_string())
        );
        assert!(parse_url("https://hooks.example.com/veriff?token=x").is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "127.0.0.1:8781",
            "http://",
            "http://user:pw@example.com/",
            "http://exa mple.com/",
            "javascript:alert(1)",
        ] {
            let err = parse_url(bad).unwrap_err();
            assert!(err.contains("webhook URL"), "{bad}: {err}");
            assert!(!err.contains("pw@"), "{err}");
        }
    }

    #[test]
    fn a_url_is_shown_without_its_query() {
        let url = Url::parse("https://hooks.example.com/v?token=secret#x").unwrap();
        assert_eq!(shown(&url), "https://hooks.example.com/v");
    }
}
