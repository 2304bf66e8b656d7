//! The sandbox sends Veriff's webhooks, over loopback: to a real `listen` (in-process,
//! its history in a temp dir) until the record generated through the sandbox holds the
//! decision; to a receiver of the test's own that fails on purpose, to see a delivery
//! tried again, given up and said so, and the order kept; from the real binary
//! (`veriff-tui sandbox --webhook-url`, and the TUI's `--sandbox`, which receives them
//! itself).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use veriff_tui::history::Store;
use veriff_tui::listen::Listener;
use veriff_tui::ops::webhook::{Integration, Keys};
use veriff_tui::sandbox::{
    SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, Sandbox, SandboxOptions, WebhookNotes, WebhookRetry,
};

use crate::support::{self, BIN, DEADLINE, RefusingPort, Tui};

/// Retries fast enough for a test: waits of 20, 40, 80 ms.
fn quick(attempts: u32) -> WebhookRetry {
    WebhookRetry {
        attempts,
        first_wait: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
    }
}

/// Waits until `f` gives something, at most [`DEADLINE`].
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lines the sandbox tells of failed deliveries.
#[derive(Clone, Default)]
struct Said(Arc<Mutex<Vec<String>>>);

impl Said {
    fn notes(&self) -> WebhookNotes {
        let lines = self.0.clone();
        WebhookNotes::to(move |line| lines.lock().unwrap().push(line.to_string()))
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// One request the test receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Got {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// "started", "submitted", or the decision's status.
    fn kind(&self) -> String {
        let v = self.json();
        match v["action"].as_str() {
            Some(action) => action.to_string(),
            None => format!("decision {}", v["verification"]["status"].as_str().unwrap()),
        }
    }
}

/// A webhook receiver of the test's own: `answer(n)` is the status of the n-th request
/// (from 0). Keeps every request.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(answer: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let kept = got.clone();
        let answer = Arc::new(answer);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            let answer = answer.clone();
            async move {
                let mut kept = kept.lock().unwrap();
                let answered = answer(kept.len());
                kept.push(Got {
                    headers,
                    body,
                    answered,
                });
                StatusCode::from_u16(answered).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, got }
    }

    fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/veriff/hooks", self.addr)).unwrap()
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The requests answered 2xx, in the order they came.
    fn delivered(&self) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| (200..300).contains(&g.answered))
            .collect()
    }
}

/// The keys `listen` accepts the sandbox's webhooks with.
fn sandbox_keys(base_url: &str) -> Keys {
    let mut keys = Keys::default();
    keys.insert(
        SANDBOX_API_KEY,
        Integration::new(
            "sandbox",
            base_url,
            true,
            vec![SANDBOX_SHARED_SECRET.to_string()],
        ),
    );
    keys
}

/// The newest record first.
fn newest() -> veriff_tui::history::Query {
    veriff_tui::history::Query {
        limit: 10,
        ..Default::default()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Creates a session through the API; returns its id and URL.
async fn create(sb: &Sandbox, first_name: &str) -> (String, String) {
    let body = serde_json::json!({"verification": {"person": {"firstName": first_name},
        "vendorData": "order-7"}});
    let v: Value = http()
        .post(format!("{}/v1/sessions", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        v["verification"]["id"].as_str().unwrap().to_string(),
        v["verification"]["url"].as_str().unwrap().to_string(),
    )
}

/// Opens the flow page, as the person does.
async fn open(url: &str) {
    let r = http().get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// Presses a decision's button on the flow page.
async fn choose(url: &str, decision: &str) {
    let r = http()
        .post(format!("{url}/decide"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("decision={decision}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "a redirect to the done page");
}

/// That `g` is signed as Veriff signs (the sandbox's key, HMAC of the exact bytes with its
/// secret, JSON) and that `listen`'s own check and parser take it.
fn assert_signed(g: &Got) {
    let header = |name: &str| g.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("x-auth-client"), SANDBOX_API_KEY);
    assert_eq!(header("content-type"), "application/json");
    let sig = header("x-hmac-signature");
    assert_eq!(
        sig,
        veriff_tui::veriff::sign::signature(SANDBOX_SHARED_SECRET, &g.body)
    );
    assert_eq!(sig, sig.to_ascii_lowercase());
    let keys = sandbox_keys("http://127.0.0.1:1");
    veriff_tui::ops::webhook::verify(&keys, &g.headers, &g.body).unwrap();
    veriff_tui::ops::webhook::parse(&g.body).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_chosen_on_the_flow_page_reaches_the_history_through_listen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("history.sqlite3");
    // The receiver first: the sandbox is told its address.
    let store = veriff_tui::ops::shared(Store::open(&db).unwrap());
    let listener = Listener::start_quiet(
        "127.0.0.1:0".parse().unwrap(),
        store,
        sandbox_keys("http://127.0.0.1:1"),
    )
    .await
    .unwrap();
    let said = Said::default();
    let sb = Sandbox::start(SandboxOptions {
        webhook_url: Some(url::Url::parse(&format!("http://{}/", listener.addr())).unwrap()),
        webhook_retry: quick(5),
        webhook_notes: said.notes(),
        ..Default::default()
    })
    .await
    .unwrap();

    // Generated as an operator does: the real binary, its history in the temp dir.
    let vars = [
        ("VERIFF_BASE_URL", sb.base_url().to_string()),
        ("VERIFF_API_KEY", SANDBOX_API_KEY.to_string()),
        ("VERIFF_SHARED_SECRET", SANDBOX_SHARED_SECRET.to_string()),
        ("VERIFF_TUI_DATA_DIR", data.display().to_string()),
        (
            "VERIFF_TUI_CONFIG",
            dir.path().join("none.toml").display().to_string(),
        ),
    ];
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        support::run_cli(
            &["generate", "--first-name", "Anna", "--last-name", "Tamm"],
            &vars,
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    let url = out.trim().to_string();
    let reader = Store::open(&db).unwrap();
    let record = reader.page(&newest()).unwrap().remove(0);
    assert_eq!(record.status.as_str(), "created");
    let id = record.session_id.clone();

    open(&url).await;
    until("the started event in the history", || {
        let r = reader.find_by_session_id(&id).unwrap()?;
        (r.status.as_str() == "started").then_some(())
    })
    .await;
    choose(&url, "approve").await;
    let r = until("the decision in the history", || {
        let r = reader.find_by_session_id(&id).unwrap()?;
        (r.status.as_str() == "approved").then_some(r)
    })
    .await;
    assert_eq!(r.decision_code, Some(9001));
    assert!(r.decision_time.is_some(), "{r:?}");
    assert!(
        !r.made_elsewhere,
        "the record generate made, updated in place"
    );
    assert_eq!(
        (r.first_name.as_str(), r.url.as_str()),
        ("Anna", url.as_str())
    );

    // Every webhook was kept as a delivery: started and submitted (events), the decision,
    // one attempt throughout.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut st = conn
        .prepare("SELECT kind, result FROM deliveries WHERE session_id = ? ORDER BY kind DESC")
        .unwrap();
    let deliveries: Vec<(String, String)> = st
        .query_map([&id], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        deliveries,
        [
            ("event".to_string(), "applied".to_string()),
            ("event".to_string(), "applied".to_string()),
            ("decision".to_string(), "applied".to_string()),
        ]
    );
    assert_eq!(reader.webhook_attempts(&id).unwrap().len(), 1);
    assert_eq!(sb.decision_requests(), 0, "no refresh asked the sandbox");
    assert!(said.lines().is_empty(), "{:?}", said.lines());

    sb.shutdown().await;
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_tried_again_with_the_same_signed_bytes() {
    // The first two requests fail; the third gets through.
    let receiver = Receiver::start(|n| if n < 2 { 500 } else { 200 }).await;
    let said = Said::default();
    let sb = Sandbox::start(SandboxOptions {
        webhook_url: Some(receiver.url()),
        webhook_retry: quick(5),
        webhook_notes: said.notes(),
        ..Default::default()
    })
    .await
    .unwrap();
    let (id, url) = create(&sb, "Anna").await;
    open(&url).await;
    let got = until("the started event delivered", || {
        let got = receiver.got();
        (got.len() >= 3).then_some(got)
    })
    .await;
    let answered: Vec<u16> = got.iter().map(|g| g.answered).collect();
    assert_eq!(answered, [500, 500, 200]);
    for g in &got {
        assert_eq!(g.body, got[0].body, "the same bytes each time");
        assert_signed(g);
    }
    let started = got[0].json();
    assert_eq!(started["id"], id.as_str());
    assert_eq!(started["action"], "started");
    assert_eq!(started["code"], 7001);
    assert_eq!(started["vendorData"], "order-7");
    // Said once per failed try, with the wait before the next.
    let lines = said.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("webhook started")
            && lines[0].contains(&id)
            && lines[0].contains("try 1 of 5 failed (HTTP 500); next in 20 ms"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("try 2 of 5 failed (HTTP 500)"),
        "{lines:?}"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_given_up_after_the_bound_and_said_so() {
    let receiver = Receiver::start(|_| 503).await;
    let said = Said::default();
    let sb = Sandbox::start(SandboxOptions {
        webhook_url: Some(receiver.url()),
        webhook_retry: quick(3),
        webhook_notes: said.notes(),
        ..Default::default()
    })
    .await
    .unwrap();
    let (id, url) = create(&sb, "Anna").await;
    open(&url).await;
    let lines = until("the sandbox to give up", || {
        let lines = said.lines();
        lines
            .iter()
            .any(|l| l.contains("given up"))
            .then_some(lines)
    })
    .await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[2].contains(&format!("webhook started of session {id}"))
            && lines[2].contains("try 3 of 3 failed (HTTP 503); given up"),
        "{lines:?}"
    );
    assert_eq!(receiver.got().len(), 3, "three tries, no fourth");

    // Nobody listening at all: the connection error is the reason.
    let refusing = RefusingPort::new();
    let said = Said::default();
    let sb2 = Sandbox::start(SandboxOptions {
        webhook_url: Some(url::Url::parse(&format!("{}/", refusing.base_url())).unwrap()),
        webhook_retry: quick(2),
        webhook_notes: said.notes(),
        ..Default::default()
    })
    .await
    .unwrap();
    let (_, url) = create(&sb2, "Anna").await;
    open(&url).await;
    let lines = until("the second sandbox to give up", || {
        let lines = said.lines();
        lines
            .iter()
            .any(|l| l.contains("given up"))
            .then_some(lines)
    })
    .await;
    assert!(
        lines[0].contains("try 1 of 2 failed (") && lines[0].contains("refused"),
        "{lines:?}"
    );
    sb.shutdown().await;
    sb2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_sandbox_stops_the_sender_at_once_and_says_what_was_left() {
    let refusing = RefusingPort::new();
    let said = Said::default();
    let sb = Sandbox::start(SandboxOptions {
        webhook_url: Some(url::Url::parse(&format!("{}/", refusing.base_url())).unwrap()),
        // The first try fails at once; the next would be a minute later.
        webhook_retry: WebhookRetry {
            attempts: 5,
            first_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
        },
        webhook_notes: said.notes(),
        ..Default::default()
    })
    .await
    .unwrap();
    let (_, url) = create(&sb, "Anna").await;
    open(&url).await;
    choose(&url, "approve").await;
    until("the first try to fail", || {
        (!said.lines().is_empty()).then_some(())
    })
    .await;
    let stopping = Instant::now();
    sb.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    let lines = said.lines();
    // started waits for its next try; submitted and the decision wait behind it.
    assert_eq!(
        lines.last().map(String::as_str),
        Some("sandbox stopping: 3 webhooks not delivered"),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_comes_before_submitted_before_the_decision_even_through_failures() {
    // Every other request fails, so each delivery needs a second try.
    let receiver = Receiver::start(|n| if n % 2 == 0 { 500 } else { 200 }).await;
    let sb = Sandbox::start(SandboxOptions {
        webhook_url: Some(receiver.url()),
        webhook_retry: quick(5),
        ..Default::default()
    })
    .await
    .unwrap();
    // Opened, then decided; and one decided without the page ever opened.
    let (opened, url) = create(&sb, "Anna").await;
    open(&url).await;
    choose(&url, "decline").await;
    let (direct, url2) = create(&sb, "Bob").await;
    choose(&url2, "approve").await;
    let delivered = until("six webhooks delivered", || {
        let d = receiver.delivered();
        (d.len() >= 6).then_some(d)
    })
    .await;
    for (id, decision) in [
        (&opened, "decision declined"),
        (&direct, "decision approved"),
    ] {
        let of: Vec<&Got> = delivered
            .iter()
            .filter(|g| {
                let v = g.json();
                v["id"] == id.as_str() || v["verification"]["id"] == id.as_str()
            })
            .collect();
        let kinds: Vec<String> = of.iter().map(|g| g.kind()).collect();
        assert_eq!(kinds, ["started", "submitted", decision], "{id}");
        // One attempt: the events name the attempt the decision is.
        let attempt = of[2].json()["verification"]["attemptId"].clone();
        assert!(attempt.is_string());
        assert_eq!(of[0].json()["attemptId"], attempt);
        assert_eq!(of[1].json()["attemptId"], attempt);
        assert_eq!(of[1].json()["code"], 7002);
        for g in of {
            assert_signed(g);
        }
    }
    // The decision webhook carries what the decision endpoint answers.
    let decision = delivered
        .iter()
        .find(|g| g.kind() == "decision declined")
        .unwrap()
        .json();
    assert_eq!(decision["status"], "success");
    assert_eq!(decision["verification"]["code"], 9102);
    assert_eq!(decision["verification"]["reasonCode"], 102);
    assert_eq!(decision["verification"]["person"]["firstName"], "Anna");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_webhook_url_nothing_is_sent_and_one_can_be_set_later() {
    let receiver = Receiver::start(|_| 200).await;
    let sb = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let (_, url) = create(&sb, "Anna").await;
    open(&url).await;
    sb.set_webhook_url(Some(receiver.url()));
    choose(&url, "approve").await;
    let delivered = until("two webhooks", || {
        let d = receiver.delivered();
        (d.len() >= 2).then_some(d)
    })
    .await;
    let kinds: Vec<String> = delivered.iter().map(Got::kind).collect();
    // The page was opened before: its started went nowhere, and is not sent again.
    assert_eq!(kinds, ["submitted", "decision approved"]);
    sb.shutdown().await;
}

/// Reads `veriff-tui sandbox`'s stdout until the line holding `prefix`, and returns the
/// rest of that line.
fn line_after(lines: &mut impl Iterator<Item = String>, prefix: &str) -> String {
    for line in lines {
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    panic!("no line with {prefix:?}");
}

/// `veriff-tui sandbox --port 0 ARGS…` with `config`; its stdout as lines.
fn spawn_sandbox(
    dir: &std::path::Path,
    args: &[&str],
    config: &std::path::Path,
) -> (std::process::Child, impl Iterator<Item = String> + use<>) {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--port", "0"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("VERIFF_TUI_CONFIG", config)
        .env("VERIFF_TUI_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    (child, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_gives_the_sandbox_command_its_webhook_url() {
    let receiver = Receiver::start(|_| 200).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[sandbox]\nwebhook_url = \"{}?token=t0ken\"\n",
            receiver.url()
        ),
    )
    .unwrap();
    let shown = receiver.url().to_string();
    let config_arg = config.display().to_string();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        support::run_cli(&["config", "check"], &[("VERIFF_TUI_CONFIG", &config_arg)])
    })
    .await
    .unwrap();
    assert!(
        out.contains(&format!("webhook_url = {shown}\n")),
        "{code} {out}{err}"
    );
    assert!(!out.contains("t0ken"), "{out}");

    let dir_path = dir.path().to_path_buf();
    let (mut child, base) = tokio::task::spawn_blocking(move || {
        let (child, mut out) = spawn_sandbox(&dir_path, &[], &config);
        (child, line_after(&mut out, "base URL:"))
    })
    .await
    .unwrap();
    // A session decided for good when made (Approve) starts no attempt: nothing is sent
    // when its page is opened. Another one's page sends started.
    for (first_name, sends) in [("Approve", false), ("Anna", true)] {
        let body = serde_json::json!({"verification": {"person": {"firstName": first_name}}});
        let v: Value = http()
            .post(format!("{base}/v1/sessions"))
            .header("x-auth-client", SANDBOX_API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        open(v["verification"]["url"].as_str().unwrap()).await;
        if sends {
            let got = until("the started event", || {
                let got = receiver.delivered();
                (!got.is_empty()).then_some(got)
            })
            .await;
            assert_eq!(got.len(), 1, "only Anna's: {got:?}");
            assert_eq!(got[0].json()["id"], v["verification"]["id"]);
            assert_eq!(got[0].kind(), "started");
            assert_signed(&got[0]);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_sandbox_command_sends_to_its_webhook_url_and_says_on_stderr_when_that_fails() {
    let dir = tempfile::tempdir().unwrap();
    let refusing = RefusingPort::new();
    let hook = format!("{}/hooks?token=do-not-print", refusing.base_url());
    let (mut child, mut out) = spawn_sandbox(
        dir.path(),
        &["--webhook-url", &hook],
        &dir.path().join("none.toml"),
    );
    let base = line_after(&mut out, "base URL:");
    let webhooks = line_after(&mut out, "webhooks:");
    assert!(
        webhooks.starts_with(&format!("{}/hooks ", refusing.base_url())),
        "{webhooks}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(async {
        let body = serde_json::json!({"verification": {"person": {"firstName": "Anna"}}});
        let v: Value = http()
            .post(format!("{base}/v1/sessions"))
            .header("x-auth-client", SANDBOX_API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = v["verification"]["url"].as_str().unwrap().to_string();
        open(&url).await;
        url
    });
    assert!(url.starts_with(&base), "{url}");
    // The first try fails at once (nothing listens): one line on stderr says so.
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(DEADLINE).expect("a line on stderr");
    assert!(
        line.contains("webhook started of session")
            && line.contains("try 1 of 5 failed (")
            && line.contains("next in 2 s"),
        "{line}"
    );
    assert!(!line.contains("do-not-print"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_webhook_url_that_is_not_http_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [(
        "VERIFF_TUI_DATA_DIR",
        dir.path().join("data").display().to_string(),
    )];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, _, err) = support::run_cli(
        &[
            "sandbox",
            "--port",
            "0",
            "--webhook-url",
            "ftp://example.com/",
        ],
        &vars,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not an http:// or https:// URL"), "{err}");
    // In the config file: the key is named, and nothing starts.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[sandbox]\nwebhook_url = \"http://user:secret-pw@127.0.0.1:8781/\"\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let mut with_config = vars.clone();
    with_config.push(("VERIFF_TUI_CONFIG", &config));
    let (code, _, err) = support::run_cli(&["sandbox", "--port", "0"], &with_config);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sandbox.webhook_url"), "{err}");
    assert!(!err.contains("secret-pw"), "{err}");
}

#[test]
fn the_tuis_sandbox_receives_its_own_webhooks_into_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [
        (
            "XDG_CONFIG_HOME",
            dir.path().join("cfg").display().to_string(),
        ),
        ("VERIFF_TUI_DATA_DIR", data.display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn(&["--sandbox"], &env, 100, 30);
    tui.wait_for("Generate general session");
    tui.type_text("Anna");
    tui.send("\t");
    tui.type_text("Tamm");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("Session created");
    let store = Store::open(&data.join("history.sqlite3")).unwrap();
    // The URL is on screen before the record is complete: wait for the record.
    let end = Instant::now() + DEADLINE;
    let record = loop {
        let page = store.page(&newest()).unwrap();
        if let Some(r) = page.into_iter().find(|r| !r.url.is_empty()) {
            break r;
        }
        assert!(Instant::now() < end, "no record in the history");
        std::thread::sleep(Duration::from_millis(20));
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        open(&record.url).await;
        choose(&record.url, "resubmit").await;
    });
    let end = Instant::now() + DEADLINE;
    let r = loop {
        let r = store
            .find_by_session_id(&record.session_id)
            .unwrap()
            .unwrap();
        if r.status.as_str() == "resubmission_requested" {
            break r;
        }
        assert!(Instant::now() < end, "no decision in the history: {r:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(r.decision_code, Some(9103));
    assert!(!r.made_elsewhere);
    tui.send("\x03"); // Ctrl+C
    assert_eq!(tui.wait_exit(), 0);
}
