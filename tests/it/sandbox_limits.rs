//! The sandbox held down, attacked over loopback with real sockets: silent, trickling and
//! piled-up connections, oversized fields. Each test shows the defence (issue 13, "The
//! sandbox can be held down").

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use veriff_tui::sandbox::{
    Limits, SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, Sandbox, SandboxOptions,
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
