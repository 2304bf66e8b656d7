//! `veriff-tui listen` over loopback: the real binary, spawned on a free port (port 0, the
//! address read from its first line), webhooks signed as Veriff signs them, the history
//! read back through `Store` on the same data dir.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use veriff_tui::history::Store;
use veriff_tui::veriff::sign::signature;

use crate::support::BIN;

const KEY: &str = "11111111-2222-3333-4444-555555555555";
const OLD: &str = "old-secret-0001";
const NEW: &str = "new-secret-0002";
const SESSION: &str = "f04bdb47-d3be-4b28-b028-a652feb060b5";

struct Listen {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Listen {
    fn start() -> Listen {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[profiles.shop]\nbase_url = \"https://stationapi.veriff.com\"\napi_key = \"{KEY}\"\nshared_secret = \"{NEW}\"\nwebhook_secrets = [\"{OLD}\"]\n"
            ),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["listen", "--port", "0"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("VERIFF_TUI_CONFIG", &config)
            .env("VERIFF_TUI_DATA_DIR", dir.path().join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Listen { child, addr, dir }
    }

    fn store(&self) -> Store {
        Store::open(&self.dir.path().join("data").join("history.sqlite3")).unwrap()
    }

    /// Sends a POST with `headers` and returns the status code.
    fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> u16 {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut head = format!(
            "POST /veriff/webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        // A body refused for its size may be cut off mid-write: the answer still comes.
        let _ = s.write_all(body);
        status_of(&mut s)
    }

    /// A webhook signed with `secret`, as Veriff sends it.
    fn signed(&self, secret: &str, body: &str) -> u16 {
        let sig = signature(secret, body.as_bytes());
        self.post(
            &[("X-AUTH-CLIENT", KEY), ("X-HMAC-SIGNATURE", &sig)],
            body.as_bytes(),
        )
    }

    fn stderr_after_exit(mut self, signal: i32) -> (i32, String) {
        let pid = self.child.id() as i32;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let code = wait_exit(&mut self.child);
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (code, err)
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_of(s: &mut TcpStream) -> u16 {
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "listen did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn event(action: &str, attempt: &str) -> String {
    let code = if action == "started" { 7001 } else { 7002 };
    serde_json::json!({"id": SESSION, "attemptId": attempt, "feature": "selfid",
        "code": code, "action": action, "vendorData": "order-1", "endUserId": null})
    .to_string()
}

fn decision(status: &str, code: i64, time: &str) -> String {
    serde_json::json!({"status": "success", "verification": {"id": SESSION,
        "attemptId": "att-1", "code": code, "status": status, "reason": null,
        "reasonCode": null, "decisionTime": time, "acceptanceTime": time,
        "vendorData": "order-1", "person": {"firstName": "Anna", "lastName": "Smith"}},
        "technicalData": {"ip": "203.0.113.7"}})
    .to_string()
}

fn status(l: &Listen) -> Option<String> {
    l.store()
        .find_by_session_id(SESSION)
        .unwrap()
        .map(|r| r.status.as_str().to_string())
}

#[test]
fn unsigned_wrong_secret_and_unknown_key_get_401_and_change_nothing() {
    let l = Listen::start();
    let body = event("started", "att-1");
    assert_eq!(l.post(&[("X-AUTH-CLIENT", KEY)], body.as_bytes()), 401);
    assert_eq!(l.signed("not-the-secret", &body), 401);
    let sig = signature(NEW, body.as_bytes());
    let other_key = "99999999-2222-3333-4444-555555555555";
    assert_eq!(
        l.post(
            &[("X-AUTH-CLIENT", other_key), ("X-HMAC-SIGNATURE", &sig)],
            body.as_bytes()
        ),
        401
    );
    // Signed over other bytes than those sent.
    let sig = signature(NEW, event("submitted", "att-1").as_bytes());
    assert_eq!(
        l.post(
            &[("X-AUTH-CLIENT", KEY), ("X-HMAC-SIGNATURE", &sig)],
            body.as_bytes()
        ),
        401
    );
    assert_eq!(status(&l), None, "nothing written");
    let (code, err) = l.stderr_after_exit(libc::SIGTERM);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("refused (401)").count(), 4, "{err}");
    assert!(!err.contains(NEW) && !err.contains(OLD), "{err}");
}

#[test]
fn signed_with_either_secret_and_either_header_spelling_is_kept_as_a_record_made_elsewhere() {
    let l = Listen::start();
    assert_eq!(l.signed(OLD, &event("started", "att-1")), 200);
    let r = l.store().find_by_session_id(SESSION).unwrap().unwrap();
    assert_eq!(r.status.as_str(), "started");
    assert!(r.made_elsewhere, "{r:?}");
    assert_eq!((r.profile.as_str(), r.url.as_str()), ("shop", ""));
    assert_eq!(r.vendor_data, "order-1");
    // The other spelling, in other case, with the new secret.
    let body = event("submitted", "att-1");
    let sig = signature(NEW, body.as_bytes());
    assert_eq!(
        l.post(
            &[("Vrf-Auth-Client", KEY), ("VRF-HMAC-SIGNATURE", &sig)],
            body.as_bytes()
        ),
        200
    );
    assert_eq!(status(&l).as_deref(), Some("submitted"));
    assert_eq!(l.store().webhook_attempts(SESSION).unwrap(), ["att-1"]);

    // The exports say it was made elsewhere: a column of its own in both.
    let config = l.dir.path().join("config.toml").display().to_string();
    let data = l.dir.path().join("data").display().to_string();
    let vars = [
        ("VERIFF_TUI_CONFIG", config.as_str()),
        ("VERIFF_TUI_DATA_DIR", data.as_str()),
    ];
    let (code, csv, err) = crate::support::run_cli(&["history", "--csv"], &vars);
    assert_eq!(code, 0, "{err}");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, veriff_tui::ops::export::CSV_COLUMNS);
    let column = header.iter().position(|c| *c == "made_elsewhere").unwrap();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[column], "true", "{csv}");
    let (code, json, err) = crate::support::run_cli(&["history", "--json"], &vars);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["made_elsewhere"], true, "{json}");
}

#[test]
fn a_decision_is_stored_replays_change_nothing_and_late_webhooks_do_not_undo_it() {
    let l = Listen::start();
    let approved = decision("approved", 9001, "2026-03-01T10:00:00.000Z");
    assert_eq!(l.signed(NEW, &approved), 200);
    let r = l.store().find_by_session_id(SESSION).unwrap().unwrap();
    assert_eq!(r.status.as_str(), "approved");
    assert_eq!(r.decision_code, Some(9001));
    assert_eq!(r.decision_time.as_deref(), Some("2026-03-01T10:00:00.000Z"));
    assert_eq!(
        (r.first_name.as_str(), r.last_name.as_str()),
        ("Anna", "Smith")
    );
    // Out of order: a started and an older decision arrive after it.
    assert_eq!(l.signed(NEW, &event("started", "att-1")), 200);
    let older = decision("resubmission_requested", 9103, "2026-03-01T09:00:00.000Z");
    assert_eq!(l.signed(NEW, &older), 200);
    let after = l.store().find_by_session_id(SESSION).unwrap().unwrap();
    assert_eq!(after.status.as_str(), "approved");
    assert_eq!(after.decision_code, Some(9001));
    // Replayed: the same bytes again change nothing, not even the time it was checked.
    assert_eq!(l.signed(NEW, &approved), 200);
    let again = l.store().find_by_session_id(SESSION).unwrap().unwrap();
    assert_eq!(again, after);
    // A later decision does replace it.
    let later = decision("declined", 9102, "2026-03-02T10:00:00.000Z");
    assert_eq!(l.signed(NEW, &later), 200);
    assert_eq!(status(&l).as_deref(), Some("declined"));
    let (code, err) = l.stderr_after_exit(libc::SIGINT);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("already received, nothing changed"), "{err}");
    assert!(err.contains("older than the record"), "{err}");
}

#[test]
fn a_known_session_is_updated_in_place() {
    let l = Listen::start();
    // The record as generate makes it: through the store, under the same profile.
    {
        let store = l.store();
        let input = veriff_tui::veriff::SessionInput {
            first_name: "John".into(),
            last_name: "Smith".into(),
            lang: "en".into(),
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let session = veriff_tui::veriff::CreatedSession {
            id: SESSION.into(),
            url: "https://alchemy.veriff.com/v/token".into(),
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some("created".into()),
            created_at: now,
            expires_at: now + chrono::Duration::days(7),
        };
        store
            .insert(&veriff_tui::history::NewRecord {
                profile: "shop",
                base_url: "https://stationapi.veriff.com",
                sandbox: false,
                input: &input,
                session: &session,
            })
            .unwrap();
    }
    assert_eq!(
        l.signed(NEW, &decision("approved", 9001, "2026-03-01T10:00:00Z")),
        200
    );
    let r = l.store().find_by_session_id(SESSION).unwrap().unwrap();
    assert_eq!(r.status.as_str(), "approved");
    assert!(!r.made_elsewhere);
    // The names given when it was made stay: the webhook's person does not replace them.
    assert_eq!(r.first_name, "John");
    assert_eq!(r.url, "https://alchemy.veriff.com/v/token");
}

#[test]
fn a_body_over_one_mib_gets_413_and_a_bad_body_400() {
    let l = Listen::start();
    let big = vec![b' '; 2 * 1024 * 1024];
    let sig = signature(NEW, &big);
    assert_eq!(
        l.post(&[("X-AUTH-CLIENT", KEY), ("X-HMAC-SIGNATURE", &sig)], &big),
        413
    );
    assert_eq!(
        l.signed(NEW, "{\"id\": \"x\", \"action\": \"started\"}"),
        400
    );
    assert_eq!(status(&l), None);
}

#[test]
fn sigterm_answers_the_webhook_in_flight_and_exits_0() {
    let l = Listen::start();
    let body = event("started", "att-1");
    let sig = signature(NEW, body.as_bytes());
    let mut s = TcpStream::connect(&l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // `Expect: 100-continue`: the server says "go on" once its handler reads the body, so
    // the test knows the request is in flight before it signals.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-AUTH-CLIENT: {KEY}\r\nX-HMAC-SIGNATURE: {sig}\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut go_on = [0u8; 25];
    s.read_exact(&mut go_on).unwrap();
    assert_eq!(&go_on, b"HTTP/1.1 100 Continue\r\n\r\n");
    let (half, rest) = body.as_bytes().split_at(10);
    s.write_all(half).unwrap();
    let pid = l.child.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    // The signal has been taken once the server stops accepting connections: only then is
    // the rest of the body sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&l.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    s.write_all(rest).unwrap();
    assert_eq!(status_of(&mut s), 200);
    assert_eq!(status(&l).as_deref(), Some("started"));
    let (code, err) = l.stderr_after_exit(0);
    assert_eq!(code, 0, "{err}");
}
