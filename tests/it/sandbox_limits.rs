//! The sandbox held down, attacked over loopback with real sockets: silent, trickling and
//! piled-up connections, floods of sessions, sessions a week old, oversized fields. Each
//! test shows the defence (issue 13, "The sandbox can be held down").

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use veriff_tui::sandbox::{
    Clock, Limits, SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, Sandbox, SandboxOptions,
};
use veriff_tui::veriff::sign::signature;

use crate::support;

/// Short timeouts, so an attack is seen to be cut in a second or two.
fn quick() -> Limits {
    Limits {
        head_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    }
}

async fn start(limits: Limits) -> Sandbox {
    Sandbox::start(SandboxOptions {
        limits,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn create(base_url: &str, verification: Value) -> (StatusCode, Value) {
    let resp = http()
        .post(format!("{base_url}/v1/sessions"))
        .header("content-type", "application/json")
        .header("x-auth-client", SANDBOX_API_KEY)
        .body(json!({ "verification": verification }).to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn created_id(sb: &Sandbox, verification: Value) -> String {
    let (status, v) = create(sb.base_url(), verification).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["verification"]["id"].as_str().unwrap().to_string()
}

/// The HTTP status of the decision of `id` and of its flow page (by the token the sandbox
/// reports for it, or a made-up one once it is gone).
async fn answers_for(sb: &Sandbox, id: &str, token: &str) -> (StatusCode, StatusCode) {
    let sig = signature(SANDBOX_SHARED_SECRET, id.as_bytes());
    let decision = http()
        .get(format!("{}/v1/sessions/{id}/decision", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .header("x-hmac-signature", sig)
        .send()
        .await
        .unwrap()
        .status();
    let page = http()
        .get(format!("{}/v/{token}", sb.base_url()))
        .send()
        .await
        .unwrap()
        .status();
    (decision, page)
}

fn token_of(sb: &Sandbox, id: &str) -> String {
    sb.sessions()
        .into_iter()
        .find(|(i, _, _)| i == id)
        .map(|(_, token, _)| token)
        .unwrap_or_else(|| panic!("no session {id}"))
}

/// Reads until the server closes the connection (end of file or reset); what it sent.
async fn read_to_close(mut reader: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// What a connection got before the server closed it.
struct Closed {
    answer: String,
    after: Duration,
    /// Bytes trickled before it was closed.
    trickled: usize,
}

/// Sends `head`, then one byte of `trickle` every 200 ms (none if empty), until the server
/// closes the connection; `None` if it still holds it open after `within`.
async fn until_closed(
    stream: TcpStream,
    head: &[u8],
    trickle: u8,
    within: Duration,
) -> Option<Closed> {
    let started = Instant::now();
    let (rd, mut wr) = stream.into_split();
    let reader = tokio::spawn(read_to_close(rd));
    let _ = wr.write_all(head).await;
    let mut trickled = 0;
    while !reader.is_finished() {
        if started.elapsed() > within {
            reader.abort();
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Once closed, writes fail: the reader sees it at its next read.
        if trickle != 0 && !reader.is_finished() && wr.write_all(&[trickle]).await.is_ok() {
            trickled += 1;
        }
    }
    let after = started.elapsed();
    let answer = reader.await.unwrap();
    Some(Closed {
        answer: String::from_utf8_lossy(&answer).into_owned(),
        after,
        trickled,
    })
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_head_timeout() {
    let sb = start(quick()).await;
    let silent = TcpStream::connect(sb.addr()).await.unwrap();
    let closed = until_closed(silent, b"", 0, Duration::from_secs(10))
        .await
        .expect("the sandbox still holds a silent connection 10 s later");
    // Closed by the timeout (1 s), not at once for some other reason.
    assert!(
        closed.after >= Duration::from_millis(800),
        "{:?}",
        closed.after
    );
    assert_eq!(closed.answer, "", "nothing asked, nothing answered");

    // A kept-alive connection left idle after an answer: the same.
    let idle = TcpStream::connect(sb.addr()).await.unwrap();
    let request = b"GET /v/no-such-token HTTP/1.1\r\nHost: sandbox\r\n\r\n";
    let closed = until_closed(idle, request, 0, Duration::from_secs(10))
        .await
        .expect("the sandbox still holds an idle keep-alive connection 10 s later");
    assert!(
        closed.answer.starts_with("HTTP/1.1 404"),
        "{}",
        closed.answer
    );
    assert!(
        closed.after >= Duration::from_millis(800),
        "{:?}",
        closed.after
    );
}

#[tokio::test]
async fn a_trickled_request_head_is_cut() {
    let sb = start(quick()).await;
    let stream = TcpStream::connect(sb.addr()).await.unwrap();
    // A header that never ends, a byte every 200 ms: the connection is never quiet, but the
    // head is never whole either.
    let head = b"GET /v/x HTTP/1.1\r\nHost: sandbox\r\nX-Slow: ";
    let closed = until_closed(stream, head, b'a', Duration::from_secs(10))
        .await
        .expect("a trickled head holds the connection 10 s later");
    assert!(
        closed.trickled >= 3,
        "the client was still sending: {} bytes",
        closed.trickled
    );
    assert!(
        closed.after >= Duration::from_millis(800),
        "{:?}",
        closed.after
    );
    assert!(!closed.answer.contains(" 200 "), "{}", closed.answer);
}

#[tokio::test]
async fn a_trickled_request_body_is_cut_with_408() {
    let sb = start(quick()).await;
    let stream = TcpStream::connect(sb.addr()).await.unwrap();
    let head = format!(
        "POST /v1/sessions HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n\
         X-AUTH-CLIENT: {SANDBOX_API_KEY}\r\nContent-Length: 1000\r\n\r\n{{\"verification\":{{\"vendorData\":\""
    );
    let closed = until_closed(stream, head.as_bytes(), b'a', Duration::from_secs(10))
        .await
        .expect("a trickled body holds the connection 10 s later");
    assert!(
        closed.answer.starts_with("HTTP/1.1 408"),
        "{}",
        closed.answer
    );
    assert!(closed.trickled >= 3, "{} bytes", closed.trickled);
    assert!(
        closed.after >= Duration::from_millis(800),
        "{:?}",
        closed.after
    );
    assert_eq!(sb.create_requests(), 0, "the handler never ran");
    assert_eq!(sb.session_count(), 0);
    // A body sent at once is read as always.
    created_id(&sb, json!({"vendorData": "quick"})).await;
}

#[tokio::test]
async fn silent_connections_beyond_the_bound_do_not_keep_a_real_request_out() {
    let limits = Limits {
        max_connections: 4,
        ..quick()
    };
    let sb = start(limits).await;
    // Three times as many silent connections as the sandbox serves at once: the kernel
    // completes them all (they wait in the listen queue), the sandbox takes 4 at a time.
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(TcpStream::connect(sb.addr()).await.unwrap());
    }
    let started = Instant::now();
    let real = tokio::time::timeout(
        Duration::from_secs(15),
        create(sb.base_url(), json!({"person": {"firstName": "Real"}})),
    )
    .await
    .expect("a real request was kept out for 15 s by silent connections");
    assert_eq!(real.0, StatusCode::CREATED, "{}", real.1);
    // It waited for silent ones to time out: the bound held them off, not a free slot.
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        sb.peak_connections(),
        4,
        "served at most 4 at once, and 4 were taken"
    );
    drop(silent);
}

/// The accept loop is ours now: shutdown must still answer what is in progress, and close
/// what is not at once (not after the 10 s a silent client has to speak).
#[tokio::test]
async fn shutdown_answers_the_request_in_progress_and_does_not_wait_for_a_silent_connection() {
    let sb = start(Limits::default()).await;
    sb.set_decision_delay(Some(Duration::from_millis(500)));
    let _silent = TcpStream::connect(sb.addr()).await.unwrap();
    let id = "00000000-0000-4000-8000-000000000000";
    let sig = signature(SANDBOX_SHARED_SECRET, id.as_bytes());
    let request = http()
        .get(format!("{}/v1/sessions/{id}/decision", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .header("x-hmac-signature", sig)
        .send();
    let in_progress = tokio::spawn(request);
    let deadline = Instant::now() + Duration::from_secs(10);
    while sb.decision_requests() == 0 {
        assert!(
            Instant::now() < deadline,
            "the decision request never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let addr = sb.addr();
    tokio::time::timeout(Duration::from_secs(5), sb.shutdown())
        .await
        .expect("shutdown still waits 5 s later, held by a silent connection");
    let answer = in_progress
        .await
        .unwrap()
        .expect("the request in progress was answered");
    assert_eq!(
        answer.status(),
        StatusCode::NOT_FOUND,
        "answered, as before shutdown"
    );
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn a_flood_of_sessions_keeps_the_newest_within_the_bound_in_memory_and_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox-state.json");
    let options = |max_sessions| SandboxOptions {
        state_file: Some(state.clone()),
        limits: Limits {
            max_sessions,
            ..Limits::default()
        },
        ..Default::default()
    };
    let sb = Sandbox::start(options(5)).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(created_id(&sb, json!({"person": {"firstName": format!("N{i}")}})).await);
    }
    assert_eq!(sb.session_count(), 5);
    let mut kept: Vec<String> = sb.sessions().into_iter().map(|(id, _, _)| id).collect();
    kept.sort();
    let mut newest = ids[7..].to_vec();
    newest.sort();
    assert_eq!(kept, newest, "the oldest went first");
    // A forgotten session is unknown everywhere, as one that never was.
    let (decision, _) = answers_for(&sb, &ids[0], "gone").await;
    assert_eq!(decision, StatusCode::NOT_FOUND);
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        saved["sessions"].as_array().unwrap().len(),
        5,
        "the state file too"
    );
    sb.shutdown().await;

    // A state file is held to the bound of the sandbox that reads it: the newest kept.
    let sb = Sandbox::start(options(3)).await.unwrap();
    let mut kept: Vec<String> = sb.sessions().into_iter().map(|(id, _, _)| id).collect();
    kept.sort();
    let mut newest = ids[9..].to_vec();
    newest.sort();
    assert_eq!(kept, newest);
    sb.shutdown().await;

    // A session over the field bounds, as a sandbox kept before there were any (a 1.9 MB
    // name), is not loaded; the others are, within the bound.
    let mut saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    for session in saved["sessions"].as_array_mut().unwrap() {
        if session["id"] == ids[11].as_str() {
            session["first_name"] = json!("A".repeat(1_900_000));
        }
    }
    std::fs::write(&state, saved.to_string()).unwrap();
    let sb = Sandbox::start(options(3)).await.unwrap();
    let mut kept: Vec<String> = sb.sessions().into_iter().map(|(id, _, _)| id).collect();
    kept.sort();
    let mut newest = ids[8..11].to_vec();
    newest.sort();
    assert_eq!(kept, newest);
}

/// A clock `offset` seconds ahead of the system's, that the test moves.
fn moved_clock() -> (Clock, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let seen = offset.clone();
    let clock = Clock::from_fn(move || {
        chrono::Utc::now() + chrono::Duration::seconds(seen.load(Ordering::SeqCst))
    });
    (clock, offset)
}

const DAY: i64 = 24 * 60 * 60;

#[tokio::test]
async fn sessions_are_forgotten_when_their_link_expires_after_7_days() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox-state.json");
    let (clock, offset) = moved_clock();
    let options = || SandboxOptions {
        state_file: Some(state.clone()),
        clock: clock.clone(),
        ..Default::default()
    };
    let sb = Sandbox::start(options()).await.unwrap();
    let old = created_id(&sb, json!({"person": {"firstName": "Old"}})).await;
    let old_token = token_of(&sb, &old);
    offset.store(3 * DAY, Ordering::SeqCst);
    let young = created_id(&sb, json!({"person": {"firstName": "Young"}})).await;
    let young_token = token_of(&sb, &young);
    offset.store(7 * DAY - 60, Ordering::SeqCst);
    assert_eq!(
        sb.session_count(),
        2,
        "a link of 6 days 23 hours still works"
    );
    assert_eq!(
        answers_for(&sb, &old, &old_token).await,
        (StatusCode::OK, StatusCode::OK)
    );

    offset.store(7 * DAY + 60, Ordering::SeqCst);
    assert_eq!(
        answers_for(&sb, &old, &old_token).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "a link of 7 days is gone, from the API and the flow"
    );
    assert_eq!(sb.session_count(), 1);
    assert_eq!(
        answers_for(&sb, &young, &young_token).await,
        (StatusCode::OK, StatusCode::OK)
    );
    sb.shutdown().await;

    // A state file read a week later keeps nothing expired.
    offset.store(11 * DAY, Ordering::SeqCst);
    let sb = Sandbox::start(options()).await.unwrap();
    assert_eq!(sb.session_count(), 0);
    assert_eq!(
        answers_for(&sb, &young, &young_token).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
}

#[tokio::test]
async fn every_field_kept_is_bounded_as_veriff_bounds_it() {
    let sb = start(Limits::default()).await;
    let fail_code = |got: (StatusCode, Value)| {
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{}", got.1);
        assert_eq!(got.1["status"], "fail", "{}", got.1);
        got.1["code"].as_u64().unwrap()
    };
    let url = |len: usize| {
        let base = "https://example.com/";
        format!("{base}{}", "a".repeat(len - base.len()))
    };
    let base = sb.base_url().to_string();
    assert_eq!(
        fail_code(create(&base, json!({"callback": url(2049)})).await),
        1104
    );
    assert_eq!(
        fail_code(create(&base, json!({"lang": "e".repeat(36)})).await),
        1104
    );
    assert_eq!(fail_code(create(&base, json!({"lang": 7})).await), 1104);
    let name = |key: &str| json!({"person": {key: "é".repeat(256)}});
    assert_eq!(fail_code(create(&base, name("firstName")).await), 1104);
    assert_eq!(fail_code(create(&base, name("lastName")).await), 1104);
    assert_eq!(
        fail_code(create(&base, json!({"vendorData": "v".repeat(1001)})).await),
        1500
    );
    assert_eq!(
        fail_code(create(&base, json!({"endUserId": "x".repeat(100)})).await),
        1104
    );
    assert_eq!(sb.session_count(), 0, "nothing refused is kept");

    // At the bounds, all at once: accepted.
    let (status, v) = create(
        &base,
        json!({
            "callback": url(2048),
            "lang": "pt-BR",
            "person": {"firstName": "é".repeat(255), "lastName": "ß".repeat(255)},
            "vendorData": "v".repeat(1000),
            "endUserId": "11111111-2222-4333-8444-555555555555",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(sb.session_count(), 1);
}

/// `veriff-tui sandbox` itself runs with the default limits and still stops on Ctrl+C
/// while a connection is held open.
#[test]
#[cfg(unix)]
fn the_real_sandbox_closes_a_silent_connection_within_10_s_and_stops_on_ctrl_c() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(support::BIN)
        .args(["sandbox", "--port", "0"])
        .env_clear()
        .env("HOME", dir.path())
        .env("VERIFF_TUI_CONFIG", dir.path().join("absent.toml"))
        .env("VERIFF_TUI_DATA_DIR", dir.path().join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.trim()
                .strip_prefix("base URL:")
                .map(|u| u.trim().to_string())
        });
    let Some(base) = base else {
        let _ = child.kill();
        panic!("the sandbox printed no base URL");
    };
    let addr = base.trim_start_matches("http://").to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let closed = rt.block_on(async {
        let silent = TcpStream::connect(&addr).await.unwrap();
        until_closed(silent, b"", 0, Duration::from_secs(20)).await
    });
    let Some(closed) = closed else {
        let _ = child.kill();
        panic!("veriff-tui sandbox still holds a silent connection 20 s later");
    };
    assert!(closed.after >= Duration::from_secs(8), "{:?}", closed.after);

    // Ctrl+C with a connection held open: it stops at once, as before.
    let _held = rt.block_on(TcpStream::connect(&addr)).unwrap();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("veriff-tui sandbox did not stop within 10 s of Ctrl+C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
