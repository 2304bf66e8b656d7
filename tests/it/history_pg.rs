//! The shared history on PostgreSQL, where it differs from a file: connecting, the
//! server's version, migrations run once by operators starting together, passwords, TLS,
//! errors that say what happened. (What both stores do alike is in `history`, run on both.)

use crate::support::pg::{self, Database};
use veriff_tui::history::{Query, Store, StoreError};

#[test]
fn a_new_database_is_migrated_and_usable() {
    let db = Database::new();
    let store = db.store();
    assert!(store.is_shared());
    assert_eq!(db.sql("SELECT version FROM schema_version"), "6");
    assert_eq!(store.count(&Query::default()).unwrap(), 0);
    assert!(!store.path().contains(pg::PASSWORD));
}

#[test]
fn the_search_indexes_pending_lists_stay_short() {
    // A pending list is read whole by every search that asks the index: GIN's default
    // (4 MB) would hold thousands of a busy team's newest records.
    let db = Database::new();
    let store = db.store();
    db.sql("CREATE EXTENSION pgstattuple");
    crate::history::add(
        &store,
        &crate::history::spec("Anna", "Pending", chrono::Utc::now()),
    );
    // 600 more like it (about 1 MB of index entries): written as a team would over a day.
    db.sql(
        "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
         lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status, extra, \
         search_extra, made_elsewhere, operator, machine) \
         SELECT created_at + n, profile, base_url, sandbox, first_name, last_name || n, lang, \
         selfid, callback, vendor_data || ' ' || md5(n::text), session_id || '-' || n, url, host, \
         expires_at, status, extra, search_extra || ' ' || md5((n * 7)::text), made_elsewhere, \
         operator, machine FROM sessions, generate_series(1, 600) n",
    );
    for index in ["sessions_search", "sessions_short"] {
        let pages: u64 = db
            .sql(&format!(
                "SELECT pending_pages FROM pgstatginindex('{index}')"
            ))
            .parse()
            .unwrap();
        // 256 kB of 8 kB pages.
        assert!(pages <= 32, "{index}: {pages} pending pages");
    }
    let found = store
        .count(&Query {
            search: Some("pending".into()),
            ..Query::default()
        })
        .unwrap();
    assert_eq!(found, 601);
}

#[test]
fn operators_starting_at_the_same_moment_migrate_once() {
    let db = Database::new();
    let url = db.url();
    let start = std::sync::Arc::new(std::sync::Barrier::new(6));
    let opened: Vec<_> = (0..6)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Store::open_url(&url).map(drop).map_err(|e| e.to_string())
            })
        })
        .collect();
    for t in opened {
        t.join().unwrap().unwrap();
    }
    assert_eq!(
        db.sql("SELECT count(*), max(version) FROM schema_version"),
        "1|6"
    );
}

#[test]
fn a_database_made_before_batches_gains_them_and_keeps_its_records() {
    let db = Database::new();
    let store = db.store();
    let kept = crate::history::add(
        &store,
        &crate::history::spec("Anna", "Before", chrono::Utc::now()),
    );
    drop(store);
    // As the veriff-tui before batches left it: schema 3, no batch tables.
    db.sql("DROP TABLE batch_rows; DROP TABLE batches; UPDATE schema_version SET version = 3");
    let store = db.store();
    assert_eq!(db.sql("SELECT version FROM schema_version"), "6");
    assert_eq!(store.get(kept.id).unwrap(), Some(kept));
    let id = store.batch_id("people.csv", true).unwrap().unwrap();
    assert_eq!(store.batch_id("people.csv", false).unwrap(), Some(id));
}

#[test]
fn a_schema_newer_than_this_binary_is_refused_and_left_untouched() {
    let db = Database::new();
    drop(db.store());
    db.sql("UPDATE schema_version SET version = 99");
    let err = Store::open_url(&db.url()).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { version: 99, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("newer veriff-tui") && text.contains("upgrade"),
        "{text}"
    );
    assert_eq!(db.sql("SELECT version FROM schema_version"), "99");
}

#[test]
fn a_server_older_than_13_is_refused_naming_its_version_and_what_to_do() {
    let old = crate::support::fake_pg::FakePg::start();
    let err = Store::open_url(&old.url()).unwrap_err();
    let StoreError::ServerTooOld {
        version, minimum, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((version.as_str(), minimum.as_str()), ("12.17", "13"));
    let text = err.to_string();
    assert!(
        text.contains("runs PostgreSQL 12.17; it needs 13 or newer")
            && text.contains("upgrade the server")
            && text.contains("leave [history] url out"),
        "{text}"
    );
    assert!(!text.contains("old-server-pw-12"), "{text}");
    // Refused after asking the server its version (prepared, then run), not for a
    // conversation that went wrong.
    assert!(old.received().starts_with("PDSBES"), "{}", old.received());
}

#[test]
fn a_wrong_password_says_so_and_never_shows_it() {
    let db = Database::new();
    let err = Store::open_url(&db.tcp_url(Some("not-the-password-42"))).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("refused the user name or password"), "{text}");
    assert!(text.contains("PGPASSWORD"), "{text}");
    assert!(!text.contains("not-the-password-42"), "{text}");
    // The right one works over the same way.
    let store = Store::open_url(&db.tcp_url(Some(pg::PASSWORD))).unwrap();
    assert!(!store.path().contains(pg::PASSWORD), "{}", store.path());
}

#[test]
fn a_server_that_is_down_is_unreachable_not_a_crash() {
    let refusing = crate::support::RefusingPort::new();
    let port = refusing.base_url().rsplit(':').next().unwrap().to_string();
    let url = format!("postgres://ann:hunter2-secret@127.0.0.1:{port}/veriff");
    let err = Store::open_url(&url).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cannot be reached"), "{text}");
    assert!(text.contains("postgres://ann@127.0.0.1"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn sslmode_require_against_a_server_without_tls_is_refused_plainly() {
    let db = Database::new();
    let url = format!("{}?sslmode=require", db.tcp_url(Some(pg::PASSWORD)));
    let err = Store::open_url(&url).unwrap_err().to_string();
    assert!(
        err.to_lowercase().contains("tls") || err.contains("SSL"),
        "{err}"
    );
    assert!(!err.contains(pg::PASSWORD), "{err}");
}

#[test]
fn another_machines_unanswered_request_is_left_to_it() {
    use chrono::Utc;
    use veriff_tui::history::NewIntent;
    use veriff_tui::veriff::SessionInput;
    let db = Database::new();
    let store = db.store();
    let input = SessionInput {
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        lang: "en".into(),
        selfid: true,
        callback: String::new(),
        vendor_data: String::new(),
        extra: Default::default(),
    };
    let intent = NewIntent {
        profile: "test",
        base_url: "https://stationapi.veriff.com",
        sandbox: false,
        input: &input,
    };
    let theirs = store.record_intent(&intent, Utc::now()).unwrap();
    let ours = store.record_intent(&intent, Utc::now()).unwrap();
    // Both senders are gone: theirs ran on another machine, ours was a process here that
    // no longer lives (pid 0 is never a process's).
    db.sql(&format!(
        "UPDATE intents SET machine = 'elsewhere', pid = 0 WHERE id = {theirs}"
    ));
    db.sql(&format!("UPDATE intents SET pid = 0 WHERE id = {ours}"));
    drop(store);
    let store = db.store();
    assert_eq!(db.sql("SELECT id FROM intents"), theirs.to_string());
    let all = store.page(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].has_link(), "{:?}", all[0]);
    assert_eq!(store.count(&Query::default()).unwrap(), 1);
}

#[test]
fn two_stores_on_one_server_see_each_others_records() {
    let db = Database::new();
    let (a, b) = (db.store(), db.store());
    let one = crate::history::add(
        &a,
        &crate::history::spec("Anna", "Smith", chrono::Utc::now()),
    );
    let two = crate::history::add(
        &b,
        &crate::history::spec("Boris", "Jones", chrono::Utc::now()),
    );
    for s in [&a, &b] {
        let ids: Vec<i64> = s
            .page(&Query::default())
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec![two.id, one.id]);
        assert_eq!(s.count(&Query::default()).unwrap(), 2);
    }
    assert!(b.delete(one.id).unwrap());
    assert_eq!(a.get(one.id).unwrap(), None);
    assert_eq!(a.count(&Query::default()).unwrap(), 1);
}

#[test]
fn a_server_restarted_in_the_middle_loses_nothing_and_is_used_again() {
    let server = pg::PrivateServer::start();
    let url = server.database("restarts");
    let store = Store::open_url(&url).unwrap();
    let before = crate::history::add(
        &store,
        &crate::history::spec("Anna", "Before", chrono::Utc::now()),
    );
    server.0.stop();
    // While it is down: said plainly, as unreachable.
    let err = store.count(&Query::default()).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    server.0.start_again().unwrap();
    // Back: the same store connects again, and finds what was written before.
    assert_eq!(store.get(before.id).unwrap(), Some(before.clone()));
    let after = crate::history::add(
        &store,
        &crate::history::spec("Boris", "After", chrono::Utc::now()),
    );
    let ids: Vec<i64> = store
        .page(&Query::default())
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![after.id, before.id]);
}

/// Writes a webhook approving `session_id` (decided at `decided`) into `store` as `listen`
/// does: the same `hash` is the same delivery.
pub(crate) fn webhook(
    store: &Store,
    hash: &str,
    session_id: &str,
    attempt: &str,
    decided: &str,
) -> veriff_tui::history::WebhookOutcome {
    use veriff_tui::history::{Elsewhere, WebhookWrite};
    use veriff_tui::veriff::{Decision, SessionStatus};
    let decision = Decision {
        status: SessionStatus::parse("approved"),
        code: Some(9001),
        reason: None,
        reason_code: None,
        decision_time: Some(decided.into()),
        vendor_data: None,
    };
    let w = WebhookWrite {
        body_sha256: hash,
        session_id,
        kind: "decision",
        attempt_id: Some(attempt),
        decision: &decision,
        received_at: crate::history::t(2026, 3, 1, 12),
        elsewhere: Elsewhere {
            profile: "shop",
            base_url: "https://stationapi.veriff.com",
            sandbox: false,
            first_name: "Anna",
            last_name: "Smith",
            vendor_data: "order-1",
        },
    };
    store
        .record_webhook(&w, |current| {
            veriff_tui::ops::webhook::supersedes(current, &decision)
        })
        .unwrap()
}

#[test]
fn import_copies_the_webhook_deliveries_once_however_often_it_is_run() {
    use veriff_tui::history::WebhookOutcome;
    const ONE: &str = "0d8a3c1e-7f4b-4c55-9b0e-2a1f6c3d9e01";
    const TWO: &str = "5b2e9f70-1c3d-4a8e-b6f4-8e7d0c2a1b02";
    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(&dir.path().join("history.sqlite3")).unwrap();
    const AT: &str = "2026-03-01T10:00:00.000Z";
    webhook(&local, "aa01", ONE, "att-1", AT);
    // Older than the decision the record holds: kept as stale.
    webhook(&local, "aa02", ONE, "att-2", "2026-03-01T09:00:00.000Z");
    webhook(&local, "bb01", TWO, "att-9", AT);
    let db = Database::new();
    let shared = db.store();

    let report = shared.import_from(&local, &mut |_, _| {}).unwrap();
    assert_eq!((report.copied, report.skipped), (2, 0), "{report:?}");
    assert_eq!(
        (report.deliveries_copied, report.deliveries_skipped),
        (3, 0),
        "{report:?}"
    );
    // Each as `listen` kept it.
    assert_eq!(
        db.sql(
            "SELECT string_agg(concat_ws('/', body_sha256, received_at, session_id, kind, \
             attempt_id, result), ',' ORDER BY body_sha256) FROM deliveries"
        ),
        format!(
            "aa01/1772366400000/{ONE}/decision/att-1/applied,\
             aa02/1772366400000/{ONE}/decision/att-2/stale,\
             bb01/1772366400000/{TWO}/decision/att-9/applied"
        )
    );
    assert_eq!(shared.webhook_attempts(ONE).unwrap(), ["att-1", "att-2"]);
    // A webhook Veriff sends again is known on the server as the delivery it is.
    assert_eq!(
        webhook(&shared, "aa01", ONE, "att-1", AT),
        WebhookOutcome::Duplicate
    );

    let again = shared.import_from(&local, &mut |_, _| {}).unwrap();
    assert_eq!((again.copied, again.skipped), (0, 2), "{again:?}");
    assert_eq!(
        (again.deliveries_copied, again.deliveries_skipped),
        (0, 3),
        "{again:?}"
    );
    assert_eq!(db.sql("SELECT count(*) FROM deliveries"), "3");
}

/// The CLI on a shared history: `generate`, `history` and `decision` with
/// VERIFF_TUI_HISTORY_URL, and two operators (two data dirs) on one server.
mod cli {
    use crate::support::SandboxEnv;
    use crate::support::pg::{self, Database};

    #[test]
    fn generate_history_and_decision_on_the_shared_history() {
        let db = Database::new();
        let url = db.url();
        let env = SandboxEnv::new();
        let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
        let (code, out, err) = env.run_with(
            &[
                "generate",
                "--first-name",
                "Approve",
                "--last-name",
                "Tamm",
                "--json",
            ],
            &shared,
        );
        assert_eq!(code, 0, "stderr: {err}");
        let record: serde_json::Value = serde_json::from_str(&out).unwrap();
        let id = record["session_id"].as_str().unwrap().to_string();
        // Nothing went to the local file.
        assert!(!env.history_db().exists());
        assert_eq!(db.sql("SELECT count(*) FROM sessions"), "1");

        let (code, out, err) = env.run_with(&["history"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(out.contains(&id) && out.contains("Approve Tamm"), "{out}");

        let (code, out, err) = env.run_with(&["decision", &id[..8]], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(out.starts_with("approved (9001)"), "{out}");
        assert_eq!(
            db.sql(&format!(
                "SELECT status FROM sessions WHERE session_id = '{id}'"
            )),
            "approved"
        );

        let (code, out, _) = env.run_with(&["history", "--json", "--search", "tamm"], &shared);
        assert_eq!(code, 0);
        let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(rows[0]["status"], "approved");

        // The in-process sandbox too: its link is kept on the server.
        let (code, _, err) = env.run_with(
            &["--sandbox", "generate", "--first-name", "Inproc"],
            &shared,
        );
        assert_eq!(code, 0, "stderr: {err}");
        assert_eq!(
            db.sql("SELECT count(*) FROM sessions WHERE first_name = 'Inproc'"),
            "1"
        );
    }

    #[test]
    fn two_operators_with_their_own_data_dirs_share_one_list() {
        let db = Database::new();
        let url = db.url();
        let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
        let (one, two) = (SandboxEnv::new(), SandboxEnv::new());
        let mut ids = Vec::new();
        for (env, name) in [
            (&one, "Anna"),
            (&two, "Boris"),
            (&one, "Carla"),
            (&two, "Dmitri"),
        ] {
            let (code, out, err) =
                env.run_with(&["generate", "--first-name", name, "--json"], &shared);
            assert_eq!(code, 0, "stderr: {err}");
            let record: serde_json::Value = serde_json::from_str(&out).unwrap();
            ids.push(record["session_id"].as_str().unwrap().to_string());
        }
        for env in [&one, &two] {
            let (code, out, err) = env.run_with(&["history", "-n", "0"], &shared);
            assert_eq!(code, 0, "stderr: {err}");
            for id in &ids {
                assert!(out.contains(id), "{id} missing from {out}");
            }
        }
    }

    #[test]
    fn generate_on_a_database_of_a_newer_binary_sends_nothing_and_says_what_to_do() {
        let db = Database::new();
        drop(db.store());
        db.sql("UPDATE schema_version SET version = 99");
        let url = db.url();
        let (code, out, err) = SandboxEnv::new().run_with(
            &["generate", "--first-name", "Anna"],
            &[("VERIFF_TUI_HISTORY_URL", url.as_str())],
        );
        assert_ne!(code, 0, "stdout: {out}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains("nothing was sent") && err.contains("newer veriff-tui"),
            "{err}"
        );
        // What to do next is about the server, not a local file.
        assert!(err.contains("server refused"), "{err}");
        assert!(!err.contains("--move-aside"), "{err}");
        assert_eq!(db.sql("SELECT count(*) FROM sessions"), "0");
    }

    #[test]
    fn the_password_comes_from_pgpassword_or_pgpass_and_is_never_printed() {
        let db = Database::new();
        let url = db.tcp_url(None);
        let env = SandboxEnv::new();
        let with = |extra: &[(&str, &str)]| {
            let mut vars = vec![("VERIFF_TUI_HISTORY_URL", url.as_str())];
            vars.extend_from_slice(extra);
            env.run_with(&["history"], &vars)
        };
        let (code, _, err) = with(&[("PGPASSWORD", pg::PASSWORD)]);
        assert_eq!(code, 0, "stderr: {err}");

        let pgpass = env.path("pgpass");
        std::fs::write(
            &pgpass,
            format!("127.0.0.1:*:*:{}:{}\n", pg::SUPERUSER, pg::PASSWORD),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let file = pgpass.display().to_string();
        let (code, _, err) = with(&[("PGPASSFILE", file.as_str())]);
        assert_eq!(code, 0, "stderr: {err}");

        let (code, out, err) = with(&[("PGPASSWORD", "wrong-pw-777")]);
        assert_eq!(code, 1, "stdout: {out}");
        assert!(err.contains("refused the user name or password"), "{err}");
        assert!(
            !err.contains("wrong-pw-777") && !out.contains("wrong-pw-777"),
            "{err}"
        );
    }

    #[test]
    fn history_on_a_server_older_than_13_fails_saying_so() {
        let old = crate::support::fake_pg::FakePg::start();
        let url = old.url();
        let (code, out, err) =
            SandboxEnv::new().run_with(&["history"], &[("VERIFF_TUI_HISTORY_URL", url.as_str())]);
        assert_ne!(code, 0, "stdout: {out}");
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("PostgreSQL 12.17") && err.contains("needs 13 or newer"),
            "{err}"
        );
        assert!(
            !err.contains("old-server-pw-12") && !out.contains("old-server-pw-12"),
            "{err}"
        );
        assert!(old.received().contains("PDSBES"), "{}", old.received());
    }

    #[test]
    fn config_check_names_the_shared_store_without_its_password() {
        let db = Database::new();
        let url = db.tcp_url(Some("pw-in-url-991"));
        let env = SandboxEnv::with_config(&format!(
            "[history]\nurl = \"{url}\"\noperator = \"Anna Tamm\"\n"
        ));
        let (code, out, err) = env.run(&["config", "check"]);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(
            out.contains(
                "history store: the shared history on PostgreSQL at postgres://veriff@127.0.0.1"
            ),
            "{out}"
        );
        assert!(out.contains("as operator Anna Tamm"), "{out}");
        assert!(
            !out.contains("pw-in-url-991") && !err.contains("pw-in-url-991"),
            "{out}{err}"
        );

        let env = SandboxEnv::with_config("[history]\nurl = \"mysql://x:pw-991@db/x\"\n");
        let (code, _, err) = env.run(&["config", "check"]);
        assert_eq!(code, 2, "stderr: {err}");
        assert!(
            err.contains("[history] url") && err.contains("postgres://"),
            "{err}"
        );
        assert!(!err.contains("pw-991"), "{err}");
    }

    #[test]
    fn a_local_history_is_imported_once_however_often_it_is_run() {
        let db = Database::new();
        let url = db.url();
        let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
        let env = SandboxEnv::new();
        // Two records in the local file, one of them decided, and one on the server.
        let mut local = Vec::new();
        for name in ["Approve", "Local"] {
            let (code, out, err) = env.run(&["generate", "--first-name", name, "--json"]);
            assert_eq!(code, 0, "stderr: {err}");
            let record: serde_json::Value = serde_json::from_str(&out).unwrap();
            local.push(record["session_id"].as_str().unwrap().to_string());
        }
        let (code, _, err) = env.run(&["decision", &local[0]]);
        assert_eq!(code, 0, "stderr: {err}");
        let (code, _, err) = env.run_with(&["generate", "--first-name", "Remote"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        // And a webhook `listen` kept for one of them.
        let local_store = veriff_tui::history::Store::open(&env.history_db()).unwrap();
        super::webhook(
            &local_store,
            "cc01",
            &local[1],
            "att-1",
            "2026-03-01T10:00:00.000Z",
        );
        drop(local_store);

        let (code, _, err) = env.run(&["history", "import"]);
        assert_eq!(code, 2, "without a shared history: {err}");
        assert!(err.contains("[history] url"), "{err}");

        let (code, out, err) = env.run_with(&["history", "import"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(
            out.contains("imported 2 records")
                && out.contains("0 were there already; 1 webhook deliveries copied"),
            "{out}"
        );
        let (code, out, err) = env.run_with(&["history", "import"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(
            out.contains("imported 0 records")
                && out.contains(
                    "2 were there already; 0 webhook deliveries copied, 1 were there already"
                ),
            "{out}"
        );
        assert_eq!(
            db.sql("SELECT attempt_id FROM deliveries WHERE body_sha256 = 'cc01'"),
            "att-1"
        );

        let (code, out, err) = env.run_with(&["history", "--json"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 3, "{out}");
        let approved = rows
            .iter()
            .find(|r| r["session_id"] == local[0].as_str())
            .unwrap();
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["decision_code"], 9001);
        // Found by search, and counted by the dashboard's figures.
        let (_, out, _) = env.run_with(&["history", "--search", "local"], &shared);
        assert!(out.contains(&local[1]), "{out}");
        assert_eq!(db.sql("SELECT sum(n) FROM status_counts"), "3");
    }

    #[test]
    fn each_record_says_who_made_it_where_and_mine_lists_only_mine() {
        let db = Database::new();
        let url = db.url();
        let env = SandboxEnv::new();
        let as_op = |op: &'static str, args: &[&str]| {
            env.run_with(
                args,
                &[("VERIFF_TUI_HISTORY_URL", url.as_str()), ("USER", op)],
            )
        };
        for (op, name) in [("anna", "Approve"), ("boris", "Decline")] {
            let (code, _, err) = as_op(op, &["generate", "--first-name", name]);
            assert_eq!(code, 0, "stderr: {err}");
        }
        assert_eq!(
            db.sql("SELECT string_agg(operator || (machine <> '')::text, ',' ORDER BY id) FROM sessions"),
            "annatrue,boristrue"
        );
        let (code, out, err) = as_op("anna", &["history"]);
        assert_eq!(code, 0, "stderr: {err}");
        assert!(
            out.contains("MADE BY") && out.contains("anna@") && out.contains("boris@"),
            "{out}"
        );
        let (code, out, err) = as_op("anna", &["history", "--mine", "--json"]);
        assert_eq!(code, 0, "stderr: {err}");
        let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
        let names: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["first_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Approve"], "{out}");
        // The config's operator name wins over the OS user's.
        let cfg = SandboxEnv::with_config(&format!(
            "[history]\nurl = \"{url}\"\noperator = \"Carla Tamm\"\n"
        ));
        let (code, _, err) = cfg.run(&["generate", "--first-name", "Carla"]);
        assert_eq!(code, 0, "stderr: {err}");
        assert_eq!(
            db.sql("SELECT operator FROM sessions WHERE first_name = 'Carla'"),
            "Carla Tamm"
        );
    }

    /// `history --csv`, `--json` and the TUI's export (`e`) say who made each record and
    /// on which machine, for the records of two operators.
    #[test]
    fn the_exports_name_the_operator_and_machine_of_each_record() {
        let db = Database::new();
        let url = db.url();
        let env = SandboxEnv::new();
        for (op, name) in [("anna", "Annarec"), ("boris", "Borisrec")] {
            let (code, _, err) = env.run_with(
                &["generate", "--first-name", name],
                &[("VERIFF_TUI_HISTORY_URL", url.as_str()), ("USER", op)],
            );
            assert_eq!(code, 0, "stderr: {err}");
        }
        let machine = db.sql("SELECT DISTINCT machine FROM sessions");
        assert!(!machine.is_empty() && !machine.contains('\n'), "{machine}");
        // (operator, first name, machine), newest first.
        let want: Vec<(String, String, String)> = [("boris", "Borisrec"), ("anna", "Annarec")]
            .iter()
            .map(|(op, name)| (op.to_string(), name.to_string(), machine.clone()))
            .collect();
        let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
        let csv_rows = |text: &str| -> Vec<(String, String, String)> {
            let mut csv = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
            assert_eq!(header, veriff_tui::ops::export::CSV_COLUMNS);
            let col = |name: &str| header.iter().position(|c| c == name).unwrap();
            let (op, first, mach) = (col("operator"), col("first_name"), col("machine"));
            csv.records()
                .map(|r| {
                    let r = r.unwrap();
                    (r[op].to_string(), r[first].to_string(), r[mach].to_string())
                })
                .collect()
        };
        let json_rows = |text: &str| -> Vec<(String, String, String)> {
            let rows: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
            rows.iter()
                .map(|r| {
                    let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                    (s("operator"), s("first_name"), s("machine"))
                })
                .collect()
        };

        let (code, out, err) = env.run_with(&["history", "--csv"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert_eq!(csv_rows(&out), want, "{out}");
        let (code, out, err) = env.run_with(&["history", "--json"], &shared);
        assert_eq!(code, 0, "stderr: {err}");
        assert_eq!(json_rows(&out), want, "{out}");

        // The TUI's `e`: the same export, to files.
        let dir = tempfile::tempdir().unwrap();
        let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
            .and_then(|d| d.and_hms_opt(18, 30, 5))
            .unwrap();
        let files = veriff_tui::ops::export::export_to_dir(
            &db.store(),
            &veriff_tui::history::Query::default(),
            dir.path(),
            stamp,
            &mut veriff_tui::ops::progress::Progress::silent(),
        )
        .unwrap();
        let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(csv_rows(&read(&files.csv)), want);
        assert_eq!(json_rows(&read(&files.json)), want);
    }

    /// `listen` on a server writes Veriff's webhooks into the shared history, where every
    /// operator's list sees them.
    #[test]
    fn listen_records_webhooks_in_the_shared_history() {
        use std::io::{BufRead, BufReader, Read, Write};
        use veriff_tui::veriff::sign::signature;
        const KEY: &str = "11111111-2222-3333-4444-555555555555";
        const SECRET: &str = "shop-secret-0001";
        const SESSION: &str = "f04bdb47-d3be-4b28-b028-a652feb060b5";
        let db = Database::new();
        let env = SandboxEnv::with_config(&format!(
            "[profiles.shop]\nbase_url = \"https://stationapi.veriff.com\"\napi_key = \"{KEY}\"\nshared_secret = \"{SECRET}\"\n\n[history]\nurl = \"{}\"\n",
            db.url()
        ));
        let mut child = std::process::Command::new(crate::support::BIN)
            .args(["listen", "--port", "0"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", env.dir.path())
            .env("VERIFF_TUI_CONFIG", env.config_path())
            .env("VERIFF_TUI_DATA_DIR", env.data_dir())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
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
        let body = serde_json::json!({"status": "success", "verification": {"id": SESSION,
            "attemptId": "att-1", "code": 9001, "status": "approved", "reason": null,
            "reasonCode": null, "decisionTime": "2026-03-01T10:00:00.000Z",
            "acceptanceTime": "2026-03-01T10:00:00.000Z", "vendorData": "order-1",
            "person": {"firstName": "Anna", "lastName": "Smith"}}})
        .to_string();
        let post = || {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            let sig = signature(SECRET, body.as_bytes());
            write!(
                s,
                "POST /veriff HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-AUTH-CLIENT: {KEY}\r\nX-HMAC-SIGNATURE: {sig}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            answer
        };
        let answer = post();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Retried by Veriff: kept once.
        let answer = post();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            db.sql(&format!(
                "SELECT status, decision_code, made_elsewhere FROM sessions WHERE session_id = '{SESSION}'"
            )),
            "approved|9001|t"
        );
        assert_eq!(db.sql("SELECT count(*) FROM deliveries"), "1");
        // Nothing went to a local file.
        assert!(!env.history_db().exists());
        // Another operator's list shows it.
        let (code, out, err) = SandboxEnv::new().run_with(
            &["history"],
            &[("VERIFF_TUI_HISTORY_URL", db.url().as_str())],
        );
        assert_eq!(code, 0, "stderr: {err}");
        assert!(out.contains(SESSION) || out.contains("Anna Smith"), "{out}");
    }

    /// The TUI on the shared history: a link made with Ctrl+S is on the server, and the
    /// Generated tokens list reads it from there (the store opened in a blocking task,
    /// inside the runtime, where the driver would panic if called as it is).
    #[test]
    fn the_tui_generates_into_and_lists_the_shared_history() {
        let db = Database::new();
        let url = db.url();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data").display().to_string();
        let cfg = dir.path().join("cfg").display().to_string();
        let tui = crate::support::Tui::spawn(
            &["--sandbox"],
            &[
                ("XDG_CONFIG_HOME", cfg.as_str()),
                ("VERIFF_TUI_DATA_DIR", data.as_str()),
                ("VERIFF_TUI_HISTORY_URL", url.as_str()),
            ],
            100,
            30,
        );
        tui.wait_for("Generate general session");
        tui.type_text("Sharedtui");
        tui.send("\x13"); // Ctrl+S
        tui.wait_for("Session created");
        tui.send("\x1b2"); // Alt+2: Generated tokens
        tui.wait_for("Sharedtui");
        assert_eq!(
            db.sql("SELECT count(*) FROM sessions WHERE first_name = 'Sharedtui'"),
            "1"
        );
        assert!(!dir.path().join("data").join("history.sqlite3").exists());
    }

    /// `m` on the TUI's list: the records another operator made go when it shows only
    /// mine and come back with everyone's; the choice is kept for the next start.
    #[test]
    fn the_tui_lists_mine_or_everyones_and_keeps_the_choice() {
        let db = Database::new();
        let url = db.url();
        let env = SandboxEnv::with_config("[history]\noperator = \"Anna Tamm\"\n");
        let boris = env.path("boris.toml");
        std::fs::write(&boris, "[history]\noperator = \"Boris Berg\"\n").unwrap();
        let boris = boris.display().to_string();
        let shared = [("VERIFF_TUI_HISTORY_URL", url.as_str())];
        let as_boris = [
            ("VERIFF_TUI_HISTORY_URL", url.as_str()),
            ("VERIFF_TUI_CONFIG", boris.as_str()),
        ];
        for (who, name) in [(&shared[..], "Annasown"), (&as_boris[..], "Borisrecord")] {
            let (code, _, err) = env.run_with(&["generate", "--first-name", name], who);
            assert_eq!(code, 0, "stderr: {err}");
        }
        assert_eq!(
            db.sql("SELECT string_agg(operator, ',' ORDER BY id) FROM sessions"),
            "Anna Tamm,Boris Berg"
        );
        let mut vars = env.vars();
        vars.push(("VERIFF_TUI_HISTORY_URL", url.clone()));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let both = |s: &str| s.contains("Annasown") && s.contains("Borisrecord");

        let mut tui = crate::support::Tui::spawn(&[], &vars, 100, 30);
        tui.wait_for("Generate general session");
        tui.send("\x1b2"); // Alt+2: Generated tokens
        tui.wait_until("everyone's records", |s| {
            both(s) && s.contains("Generated tokens · everyone's · 2 records")
        });
        tui.send("m");
        let mine = tui.wait_until("only Anna's", |s| {
            s.contains("Generated tokens · mine · 1 record") && s.contains("Annasown")
        });
        assert!(!mine.contains("Borisrecord"), "{mine}");
        tui.send("m");
        tui.wait_until("everyone's again", |s| {
            both(s) && s.contains("Generated tokens · everyone's · 2 records")
        });
        tui.send("m");
        tui.wait_for("Generated tokens · mine · 1 record");
        tui.send("q");
        assert_eq!(tui.wait_exit(), 0);
        let kept = std::fs::read_to_string(env.data_dir().join("tui-state.toml")).unwrap();
        assert!(kept.contains("mine = true"), "{kept}");

        // The next start shows only Anna's records, without a key.
        let tui = crate::support::Tui::spawn(&[], &vars, 100, 30);
        tui.wait_for("Generate general session");
        tui.send("\x1b2");
        let mine = tui.wait_until("only Anna's, as left", |s| {
            s.contains("Generated tokens · mine · 1 record") && s.contains("Annasown")
        });
        assert!(!mine.contains("Borisrecord"), "{mine}");
    }
}
