//! Decision refresh against a real in-process sandbox and a real SQLite file, through the
//! same functions the TUI's `r` and `R` run (veriff_tui::ops::refresh).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use veriff_tui::history::{NewRecord, Store};
use veriff_tui::ops::SharedStore;
use veriff_tui::ops::progress::{Cancel, Progress};
use veriff_tui::ops::refresh;
use veriff_tui::sandbox::{Outcome, Sandbox, SandboxOptions};
use veriff_tui::veriff::{
    Client, CreateSessionRequest, CreatedSession, Endpoint, LegacyFields, SessionInput,
    SessionStatus,
};

const PROFILE: &str = "sandbox";

struct World {
    sandbox: Sandbox,
    client: Client,
    store: SharedStore,
    _dir: tempfile::TempDir,
}

async fn world(delay: Option<Duration>) -> World {
    let sandbox = Sandbox::start(SandboxOptions {
        decision_delay: delay,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = Client::new(&Endpoint {
        base_url: sandbox.base_url().into(),
        api_key: sandbox.api_key().into(),
        shared_secret: Some(sandbox.shared_secret().into()),
        integration_id: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.sqlite3")).unwrap();
    World {
        sandbox,
        client,
        store: Arc::new(Mutex::new(store)),
        _dir: dir,
    }
}

impl World {
    /// Creates a session at the sandbox and stores it as the TUI does after Generate.
    async fn generate(&self, first_name: &str) -> CreatedSession {
        let input = SessionInput {
            first_name: first_name.into(),
            last_name: "Tester".into(),
            lang: "en".into(),
            selfid: true,
            callback: String::new(),
            vendor_data: String::new(),
            extra: Default::default(),
        };
        let request = CreateSessionRequest::from_input(&input, LegacyFields::default(), Utc::now());
        let session = self.client.create_session(&request).await.unwrap();
        self.store
            .lock()
            .unwrap()
            .insert(&NewRecord {
                profile: PROFILE,
                base_url: self.sandbox.base_url(),
                sandbox: true,
                input: &input,
                session: &session,
            })
            .unwrap();
        session
    }

    /// What `R` does.
    async fn refresh_all(&self) -> refresh::Summary {
        refresh::refresh_pending(
            &self.client,
            &self.store,
            PROFILE,
            self.sandbox.base_url(),
            &mut Progress::silent(),
            |_| {},
        )
        .await
        .unwrap()
    }

    fn status(&self, session_id: &str) -> SessionStatus {
        self.store
            .lock()
            .unwrap()
            .find_by_session_id(session_id)
            .unwrap()
            .unwrap()
            .effective_status(Utc::now())
    }
}

#[tokio::test]
async fn refresh_one_stores_each_outcome() {
    let w = world(None).await;
    let cases = [
        ("Approve", SessionStatus::Approved, Some(9001)),
        ("Decline", SessionStatus::Declined, Some(9102)),
        ("Resubmit", SessionStatus::ResubmissionRequested, Some(9103)),
    ];
    for (name, want, code) in cases {
        let s = w.generate(name).await;
        assert_eq!(w.status(&s.id), SessionStatus::Created, "{name} before");
        let r = refresh::refresh_one(&w.client, &w.store, &s.id).await;
        let d = r.result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(d.status, want, "{name}");
        assert!(r.store_error.is_none());
        let record = r.record.unwrap();
        assert_eq!(record.status, want);
        assert_eq!(record.decision_code, code);
        assert!(record.checked_at.is_some());
        assert_eq!(w.status(&s.id), want, "{name} in the store");
    }
    // The end user decides on the flow page (here: as if a button was pressed).
    let s = w.generate("John").await;
    let r = refresh::refresh_one(&w.client, &w.store, &s.id).await;
    assert!(matches!(r.result, Ok(None)), "{:?}", r.result);
    assert_eq!(w.status(&s.id), SessionStatus::Created);
    assert!(w.sandbox.decide(&s.id, Outcome::Declined));
    refresh::refresh_one(&w.client, &w.store, &s.id).await;
    let record = w
        .store
        .lock()
        .unwrap()
        .find_by_session_id(&s.id)
        .unwrap()
        .unwrap();
    assert_eq!(record.status, SessionStatus::Declined);
    assert_eq!(
        record.decision_reason.as_deref(),
        Some("Suspected document tampering")
    );
    // Latest decisions (the dashboard's list) now hold every decided one.
    let latest = w
        .store
        .lock()
        .unwrap()
        .latest_decisions(Some(PROFILE), 10)
        .unwrap();
    assert_eq!(latest.len(), 4);
}

#[tokio::test]
async fn a_failure_is_noted_on_its_record_and_never_stops_the_rest() {
    let w = world(None).await;
    let good = w.generate("Approve").await;
    // A record the sandbox never heard of (as after a restart of `--sandbox`).
    let mut ghost = w.generate("John").await;
    ghost.id = "0000dead-0000-4000-8000-000000000000".into();
    ghost.url = "http://127.0.0.1:1/v/ghost".into();
    w.store
        .lock()
        .unwrap()
        .insert(&NewRecord {
            profile: PROFILE,
            base_url: w.sandbox.base_url(),
            sandbox: true,
            input: &SessionInput::default(),
            session: &ghost,
        })
        .unwrap();
    let mut seen = Vec::new();
    let reports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = reports.clone();
    let mut progress = Progress::silent().reporting(move |r| sink.lock().unwrap().push(r));
    let summary = refresh::refresh_pending(
        &w.client,
        &w.store,
        PROFILE,
        w.sandbox.base_url(),
        &mut progress,
        |r| seen.push(r.session_id.clone()),
    )
    .await
    .unwrap();
    assert_eq!(summary.total, 3);
    assert_eq!(summary.decided, 1);
    assert_eq!(summary.waiting, 1);
    assert_eq!(summary.failed, 1);
    assert!(!summary.stopped);
    assert_eq!(seen.len(), 3);
    // The count first, then the answers, the last always reported.
    let reports = reports.lock().unwrap().clone();
    assert_eq!((reports[0].done, reports[0].total), (0, 3));
    let last = reports.last().unwrap();
    assert_eq!((last.done, last.total), (3, 3));
    assert!(summary.describe().contains("1 failed"));
    let store = w.store.lock().unwrap();
    let ghost = store.find_by_session_id(&ghost.id).unwrap().unwrap();
    assert!(ghost.check_error.is_some(), "{ghost:?}");
    let good = store.find_by_session_id(&good.id).unwrap().unwrap();
    assert_eq!(good.status, SessionStatus::Approved);
    assert!(good.check_error.is_none());
}

#[tokio::test]
async fn refreshing_pending_is_bounded_to_four_in_flight_and_parallel() {
    let w = world(Some(Duration::from_millis(200))).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let name = ["Approve", "Decline", "Resubmit", "John"][i % 4];
        ids.push(w.generate(name).await.id);
    }
    w.sandbox.reset_counters();
    let summary = w.refresh_all().await;
    assert_eq!(summary.total, 12);
    assert_eq!(summary.failed, 0);
    assert_eq!(summary.decided, 9);
    assert_eq!(summary.waiting, 3);
    assert_eq!(w.sandbox.decision_requests(), 12);
    // Each answer takes 200 ms: the sandbox saw four at once, never more (how long the
    // whole run takes is for a benchmark, not a test).
    assert_eq!(w.sandbox.peak_decisions_in_flight(), 4);
    // Approved and declined are final: a second run asks only about the rest.
    w.sandbox.reset_counters();
    let summary = w.refresh_all().await;
    assert_eq!(
        summary.total, 6,
        "resubmission requested and created stay pending"
    );
    assert_eq!(w.sandbox.decision_requests(), 6);
    assert!(w.sandbox.peak_decisions_in_flight() <= 4);
}

#[tokio::test]
async fn an_expired_session_shows_as_expired_without_a_request() {
    let w = world(None).await;
    let mut old = w.generate("John").await;
    old.id = "11111111-0000-4000-8000-000000000000".into();
    old.url = "http://127.0.0.1:1/v/old".into();
    old.created_at = Utc::now() - chrono::Duration::days(8);
    old.expires_at = Utc::now() - chrono::Duration::days(1);
    w.store
        .lock()
        .unwrap()
        .insert(&NewRecord {
            profile: PROFILE,
            base_url: w.sandbox.base_url(),
            sandbox: true,
            input: &SessionInput::default(),
            session: &old,
        })
        .unwrap();
    // Only the old one would be pending if it had not expired: decide the fresh one first.
    let fresh = w.generate("Approve").await;
    refresh::refresh_one(&w.client, &w.store, &fresh.id).await;
    w.sandbox.reset_counters();
    let ids = refresh::pending_ids(&w.store, PROFILE).await.unwrap();
    assert!(!ids.contains(&old.id), "{ids:?}");
    let summary = w.refresh_all().await;
    assert_eq!(summary.total, 1, "only the first John, not the expired one");
    assert_eq!(w.sandbox.decision_requests(), 1);
    assert_eq!(w.status(&old.id), SessionStatus::Expired);
    let counts = w
        .store
        .lock()
        .unwrap()
        .status_counts(Some(PROFILE), Utc::now())
        .unwrap();
    let expired = counts
        .iter()
        .find(|(s, _)| *s == SessionStatus::Expired)
        .unwrap()
        .1;
    assert_eq!(expired, 1);
}

#[tokio::test]
async fn nothing_pending_asks_nothing() {
    let w = world(None).await;
    let summary = w.refresh_all().await;
    assert_eq!(summary.total, 0);
    assert_eq!(w.sandbox.decision_requests(), 0);
    assert!(summary.describe().contains("nothing to refresh"));
}

#[tokio::test]
async fn sessions_of_another_sandbox_are_skipped_not_failed() {
    let w = world(None).await;
    let mine = w.generate("Approve").await;
    // Made by a sandbox that has since stopped (another port).
    let mut gone = w.generate("John").await;
    gone.id = "22222222-0000-4000-8000-000000000000".into();
    w.store
        .lock()
        .unwrap()
        .insert(&NewRecord {
            profile: PROFILE,
            base_url: "http://127.0.0.1:1",
            sandbox: true,
            input: &SessionInput::default(),
            session: &gone,
        })
        .unwrap();
    w.sandbox.reset_counters();
    // A trailing slash is the same address.
    let base = format!("{}/", w.sandbox.base_url());
    let summary = refresh::refresh_pending(
        &w.client,
        &w.store,
        PROFILE,
        &base,
        &mut Progress::silent(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        summary.total, 2,
        "the Approve and the John this sandbox made"
    );
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.failed, 0);
    assert_eq!(w.sandbox.decision_requests(), 2);
    assert!(
        summary
            .describe()
            .contains("1 skipped (made by another sandbox, not the one in use")
    );
    assert_eq!(w.status(&mine.id), SessionStatus::Approved);
    let gone = w
        .store
        .lock()
        .unwrap()
        .find_by_session_id(&gone.id)
        .unwrap()
        .unwrap();
    assert!(gone.check_error.is_none());
}

#[tokio::test]
async fn a_stopped_refresh_stops_at_once_and_says_how_many_were_done() {
    let w = world(None).await;
    for _ in 0..6 {
        w.generate("John").await;
    }
    w.sandbox.reset_counters();
    let cancel = Cancel::new();
    let mut progress = Progress::new(cancel.clone());
    let mut answered = 0;
    // Esc after the first answer.
    let summary = refresh::refresh_pending(
        &w.client,
        &w.store,
        PROFILE,
        w.sandbox.base_url(),
        &mut progress,
        |_| {
            answered += 1;
            cancel.cancel();
        },
    )
    .await
    .unwrap();
    assert_eq!(answered, 1, "no answer is taken after the stop");
    assert!(summary.stopped);
    assert_eq!((summary.done(), summary.total), (1, 6));
    assert!(
        summary.describe().starts_with("stopped: refreshed 1 of 6:"),
        "{}",
        summary.describe()
    );
    // Never more than the first batch in flight was asked.
    assert!(w.sandbox.decision_requests() <= 4 + 1);
}

#[tokio::test]
async fn every_pending_session_is_found_not_only_the_first_ten_thousand() {
    let w = world(None).await;
    let now = Utc::now();
    let template = {
        let s = w.generate("John").await;
        w.store
            .lock()
            .unwrap()
            .find_by_session_id(&s.id)
            .unwrap()
            .unwrap()
    };
    // Oldest first, as they are asked about.
    let records: Vec<_> = (0..10_050i64)
        .map(|i| {
            let mut r = template.clone();
            r.session_id = format!("00000000-0000-4000-8000-{i:012}");
            r.created_at = now - chrono::Duration::seconds(20_000 - i);
            r
        })
        .collect();
    veriff_tui::history::seed::insert_records(&w.store.lock().unwrap(), &records).unwrap();
    let ids = refresh::pending_ids(&w.store, PROFILE).await.unwrap();
    assert_eq!(ids.len(), 10_051);
    assert_eq!(ids[0], records[0].session_id);
    assert_eq!(ids[10_049], records[10_049].session_id);
    assert_eq!(ids[10_050], template.session_id);
}
