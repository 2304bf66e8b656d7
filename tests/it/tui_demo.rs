//! The demo features of the TUI: QR codes read back from the screen by a QR decoder, the
//! first-name presets, re-send (`g`) and export (`e`, through the function the TUI runs,
//! compared with the CLI's `history --csv`).

use crate::support;
use crate::support::tui_state as tui_support;

use chrono::{Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use tui_support::*;
use veriff_tui::history::{NewRecord, Query, Store};
use veriff_tui::ops::export::DirExportError;
use veriff_tui::ops::progress::{Cancel, Progress};
use veriff_tui::tui::app::{Effect, Screen, State, update};
use veriff_tui::tui::form::Field;
use veriff_tui::tui::message::Msg;
use veriff_tui::veriff::{CreatedSession, SessionInput};

/// A sandbox session URL as `--sandbox` hands them out (a signed JWT in the path).
const SANDBOX_URL: &str = "http://127.0.0.1:8780/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjQ3MDAyMDAsImlhdCI6MTc2NDA5NTQwMCwic2Vzc2lvbl9pZCI6IjQ3ZmQ3ZGRmLWUxMzgtNGU1ZS05NjYxLTFhZjlhYjMzMjdiNSJ9.q1w2e3r4t5y6u7i8o9p0";

fn with_session(w: u16, h: u16, no_color: bool, url: &str) -> State {
    let (bw, bh) = usable(w, h);
    let mut s = State::new(sandbox_settings(), env(bw, bh, no_color));
    type_text(&mut s, "Ann");
    let seq = match update(&mut s, ctrl('s')).as_slice() {
        [Effect::Generate { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    let mut session = created();
    session.url = url.into();
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(session),
        },
    );
    resized(s, w, h)
}

/// Reads the QR code back from the cells drawn black on white: each cell is two modules
/// (upper and lower half), rasterised at 4 px a module and decoded with rqrr.
fn decode_screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let qr_cells: Vec<(u16, u16)> = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].bg == Color::White)
        .collect();
    assert!(!qr_cells.is_empty(), "no QR code on screen");
    let x0 = qr_cells.iter().map(|c| c.0).min().unwrap();
    let x1 = qr_cells.iter().map(|c| c.0).max().unwrap();
    let y0 = qr_cells.iter().map(|c| c.1).min().unwrap();
    let y1 = qr_cells.iter().map(|c| c.1).max().unwrap();
    // A whole rectangle, every cell dark-on-light: nothing cut, nothing overdrawn.
    assert_eq!(
        qr_cells.len(),
        usize::from(x1 - x0 + 1) * usize::from(y1 - y0 + 1)
    );
    for &(x, y) in &qr_cells {
        assert_eq!(buf[(x, y)].fg, Color::Black);
    }
    const PX: usize = 4;
    let w = usize::from(x1 - x0 + 1);
    let h = usize::from(y1 - y0 + 1) * 2;
    let dark = |mx: usize, my: usize| -> bool {
        let cell = &buf[(x0 + mx as u16, y0 + (my / 2) as u16)];
        match (cell.symbol(), my % 2) {
            ("█", _) | ("▀", 0) | ("▄", 1) => true,
            (" ", _) | ("▀", 1) | ("▄", 0) => false,
            (other, _) => panic!("unexpected symbol {other:?} in the QR code"),
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * PX, h * PX, |x, y| {
        if dark(x / PX, y / PX) { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code expected");
    grids[0].decode().unwrap().1
}

#[test]
fn the_full_screen_qr_code_decodes_to_the_exact_url() {
    let mut s = with_session(120, 40, false, SANDBOX_URL);
    // Off the text fields Q opens it.
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.focus, Field::SelfId);
    update(&mut s, key(KeyCode::Char('Q')));
    assert_eq!(s.qr.as_deref(), Some(SANDBOX_URL));
    let t = render(&s);
    assert_eq!(decode_screen(&t), SANDBOX_URL);
    // The URL is on lines of its own below the code, whole.
    let text = screen_text(&t);
    let url_lines: String = text
        .lines()
        .skip_while(|l| !l.starts_with("http://"))
        .take_while(|l| !l.contains("Esc closes"))
        .map(str::trim_end)
        .collect();
    assert_eq!(url_lines, SANDBOX_URL, "{text}");

    // The longer URL of a real Veriff session, in NO_COLOR too: still black on white.
    let mut s = with_session(120, 60, true, URL);
    update(&mut s, alt('q'));
    assert_eq!(decode_screen(&render(&s)), URL);
}

#[test]
fn a_400_character_link_fits_120x40_and_smaller_windows_say_what_it_needs() {
    let url = veriff_tui::history::seed::veriff_link(400);
    let (w, h) = veriff_tui::tui::view::qr::needed(&url, 120).unwrap();
    assert!(w <= 120 && h <= 40, "needs {w}x{h}");
    let mut drawn = 0;
    for (cols, rows) in [(60, 16), (80, 24), (100, 30), (120, 40), (160, 50)] {
        let mut s = with_session(cols, rows, false, &url);
        update(&mut s, alt('q'));
        let t = render(&s);
        let text = screen_text(&t);
        let (w, h) = veriff_tui::tui::view::qr::needed(&url, cols).unwrap();
        if cols >= w && rows >= h {
            assert_eq!(decode_screen(&t), url, "{cols}x{rows}");
            // And the URL whole below it, for reading out or selecting.
            let joined: String = text.lines().map(str::trim_end).collect();
            assert!(joined.contains(&url), "{text}");
            drawn += 1;
        } else {
            assert!(
                text.contains(&format!(
                    "needs a window of at least {w}x{h} (now {cols}x{rows})"
                )),
                "{text}"
            );
            assert!(
                t.backend()
                    .buffer()
                    .content()
                    .iter()
                    .all(|c| c.bg != Color::White),
                "no partial code at {cols}x{rows}"
            );
        }
    }
    assert_eq!(drawn, 2, "drawn at 120x40 and 160x50");
}

#[test]
fn the_full_screen_qr_view_snapshot_and_closing_keys() {
    let mut s = with_session(
        80,
        36,
        false,
        "https://alchemy.veriff.com/v/demo-session-token",
    );
    update(&mut s, alt('q'));
    let t = render(&s);
    insta::assert_snapshot!("qr_full_screen_80x36", t.backend());
    assert_eq!(
        decode_screen(&t),
        "https://alchemy.veriff.com/v/demo-session-token"
    );
    // Keys do nothing else while it is open; q closes it rather than quitting.
    update(&mut s, key(KeyCode::Char('x')));
    assert!(s.qr.is_some());
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.qr.is_none() && !s.quit);
    update(&mut s, alt('q'));
    update(&mut s, key(KeyCode::Esc));
    assert!(s.qr.is_none());
    update(&mut s, alt('q'));
    update(&mut s, key(KeyCode::Char('Q')));
    assert!(s.qr.is_none());
}

#[test]
fn a_window_too_small_for_the_qr_code_says_how_big_it_must_be() {
    let mut s = with_session(80, 24, false, URL);
    update(&mut s, alt('q'));
    let t = render(&s);
    let text = screen_text(&t);
    let (w, h) = veriff_tui::tui::view::qr::needed(URL, 80).unwrap();
    assert!(
        text.contains(&format!("needs a window of at least {w}x{h} (now 80x24)")),
        "{text}"
    );
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.bg != Color::White),
        "no partial code"
    );
    // At exactly the size it asked for, it is drawn and reads back.
    // (Taller at this width: the URL below the code takes the rows counted for it.)
    let mut s = with_session(80, h, false, URL);
    update(&mut s, alt('q'));
    assert_eq!(decode_screen(&render(&s)), URL);
}

#[test]
fn the_result_panel_shows_the_code_when_it_fits_and_a_hint_when_not() {
    // Wide: beside the text, which keeps the URL alone on its lines.
    let s = with_session(200, 50, false, SANDBOX_URL);
    let t = render(&s);
    assert_eq!(decode_screen(&t), SANDBOX_URL);
    let text = screen_text(&t);
    let url: String = text
        .lines()
        .skip_while(|l| !l.starts_with("http://127.0.0.1"))
        .take_while(|l| !l.starts_with("Session ID"))
        .map(|l| l.split("  ").next().unwrap_or(""))
        .collect();
    assert_eq!(url, SANDBOX_URL);
    assert!(!text.contains("Q: show QR code"), "{text}");

    // Too little room: a hint, and no half-drawn code.
    let s = with_session(120, 40, false, URL);
    let t = render(&s);
    assert!(screen_text(&t).contains("Q: show QR code"));
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.bg != Color::White)
    );
}

#[test]
fn the_detail_view_shows_the_code_beside_the_fields() {
    let mut s = state(160, 50);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 3);
    s.tokens.rows[0].url = SANDBOX_URL.into();
    update(&mut s, key(KeyCode::Enter));
    let t = render(&s);
    assert_eq!(decode_screen(&t), SANDBOX_URL);
    // Q shows it full screen from the detail view and from the list.
    update(&mut s, key(KeyCode::Char('Q')));
    assert_eq!(s.qr.as_deref(), Some(SANDBOX_URL));
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, key(KeyCode::Esc));
    assert!(s.tokens.detail.is_none());
    update(&mut s, key(KeyCode::Char('Q')));
    assert_eq!(s.qr.as_deref(), Some(SANDBOX_URL));

    // Narrow: the hint instead.
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 3);
    update(&mut s, key(KeyCode::Enter));
    let text = screen_text(&render(&s));
    assert!(text.contains("Q: show QR code"), "{text}");
}

#[test]
fn q_is_a_letter_in_a_field_and_alt_q_opens_the_code_anywhere() {
    let mut s = with_session(120, 40, false, SANDBOX_URL);
    assert_eq!(s.form.focus, Field::FirstName);
    update(&mut s, key(KeyCode::Char('Q')));
    assert_eq!(s.form.first_name.value(), "AnnQ");
    assert!(s.qr.is_none());
    update(&mut s, alt('q'));
    assert_eq!(s.qr.as_deref(), Some(SANDBOX_URL));
    // Before any link there is nothing to show, and it says so.
    let mut s = state(80, 24);
    update(&mut s, alt('q'));
    assert!(s.qr.is_none());
    assert!(s.status.unwrap().text.contains("generate one first"));
}

#[test]
fn presets_fill_the_first_name_for_test_integrations() {
    let mut s = state(80, 24);
    type_text(&mut s, "John");
    for (n, name) in [(5, "Approve"), (6, "Decline"), (7, "Resubmit")] {
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::F(n), KeyModifiers::NONE)),
        );
        assert_eq!(s.form.first_name.value(), name);
        assert!(s.status.as_ref().unwrap().text.contains(name));
    }
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)),
    );
    match update(&mut s, ctrl('s')).as_slice() {
        [Effect::Generate { request, .. }] => assert_eq!(request.input.first_name, "Approve"),
        other => panic!("{other:?}"),
    }
    // Documented where the operator looks: the footer and the help.
    let text = screen_text(&render(&state(120, 40)));
    assert!(text.contains("F5/F6/F7 Approve/Decline/Resubmit"), "{text}");
    let mut h = state(120, 60);
    update(&mut h, key(KeyCode::Tab));
    update(&mut h, key(KeyCode::Tab));
    update(&mut h, key(KeyCode::Tab));
    update(&mut h, key(KeyCode::Char('?')));
    let text = screen_text(&render(&h));
    for part in [
        "F5                  first name Approve",
        "F6                  first name Decline",
        "F7                  first name Resubmit",
        "Veriff test-integration behaviour: first name",
        "Approve/Decline/Resubmit forces that decision",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
}

#[test]
fn g_opens_the_form_prefilled_from_the_record() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 10);
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Down));
    let r = s.tokens.selected_record().unwrap().clone();
    update(&mut s, key(KeyCode::Char('g')));
    assert_eq!(s.screen, Screen::Generate);
    assert_eq!(s.form.focus, Field::FirstName);
    let input = s.form.to_input();
    assert_eq!(
        (
            input.first_name.as_str(),
            input.last_name.as_str(),
            input.lang.as_str(),
            input.selfid,
            input.callback.as_str(),
            input.vendor_data.as_str()
        ),
        (
            r.first_name.as_str(),
            r.last_name.as_str(),
            r.lang.as_str(),
            r.selfid,
            r.callback.as_str(),
            r.vendor_data.as_str()
        )
    );
    let status = s.status.clone().unwrap().text;
    assert!(status.contains(&r.session_id[..8]), "{status}");
    assert!(status.contains("prefilled from session"), "{status}");
    // Ctrl+S sends exactly those values.
    match update(&mut s, ctrl('s')).as_slice() {
        [Effect::Generate { request, .. }] => assert_eq!(&request.input, &input),
        other => panic!("{other:?}"),
    }

    // From the detail view too; Home still goes to the top of the list.
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 10);
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Home));
    assert_eq!(s.tokens.selected, 0);
    update(&mut s, key(KeyCode::Enter));
    let r = s.tokens.detail.clone().unwrap();
    update(&mut s, key(KeyCode::Char('g')));
    assert_eq!(s.screen, Screen::Generate);
    assert_eq!(s.form.vendor_data.value(), r.vendor_data);
    let text = screen_text(&render(&s));
    assert!(text.contains("prefilled from session"), "{text}");
}

#[test]
fn e_exports_the_filtered_list_and_shows_both_paths() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 500);
    update(&mut s, key(KeyCode::Char('/')));
    let effects = type_text(&mut s, "order-4");
    answer_loads(&mut s, effects, 500);
    update(&mut s, key(KeyCode::Enter));
    let effects = update(&mut s, key(KeyCode::Char('e')));
    match effects.as_slice() {
        [Effect::Export { query, dir, .. }] => {
            assert_eq!(query.search.as_deref(), Some("order-4"));
            assert_eq!(query.profile.as_deref(), Some("sandbox"));
            assert_eq!(dir, &s.settings.paths.export_dir);
        }
        other => panic!("{other:?}"),
    }
    let run = s.export.as_ref().expect("an export runs").run;
    assert!(
        update(&mut s, key(KeyCode::Char('e'))).is_empty(),
        "one at a time"
    );
    update(
        &mut s,
        Msg::Exported {
            run,
            result: Ok(veriff_tui::ops::export::ExportedFiles {
                csv: "/d/exports/veriff-sessions-20261125-183000.csv".into(),
                json: "/d/exports/veriff-sessions-20261125-183000.json".into(),
                records: 11,
            }),
        },
    );
    assert!(s.export.is_none());
    // 80 columns do not hold both paths whole: the CSV path and the other extension.
    let status = s.status.clone().unwrap().text;
    assert_eq!(
        status,
        "exported 11 records to /d/exports/veriff-sessions-20261125-183000.csv and .json"
    );
    s.size = (120, 40);
    let text = screen_text(&render(&s));
    assert!(text.contains(&status), "{text}");
    s.size = (200, 50);
    let run = export_again(&mut s);
    update(
        &mut s,
        Msg::Exported {
            run,
            result: Ok(veriff_tui::ops::export::ExportedFiles {
                csv: "/d/exports/veriff-sessions-20261125-183000.csv".into(),
                json: "/d/exports/veriff-sessions-20261125-183000.json".into(),
                records: 1,
            }),
        },
    );
    assert_eq!(
        s.status.clone().unwrap().text,
        "exported 1 record: /d/exports/veriff-sessions-20261125-183000.csv and /d/exports/veriff-sessions-20261125-183000.json"
    );
    let run = export_again(&mut s);
    update(
        &mut s,
        Msg::Exported {
            run,
            result: Err(DirExportError::Failed("nothing exported: disk full".into())),
        },
    );
    assert!(s.status.unwrap().text.contains("disk full"));
}

/// `e` once more; the number of the export it starts.
fn export_again(s: &mut State) -> u64 {
    match update(s, key(KeyCode::Char('e'))).as_slice() {
        [Effect::Export { run, .. }] => *run,
        other => panic!("{other:?}"),
    }
}

/// A history of `count` fake records in `dir`.
fn seeded(dir: &std::path::Path, count: u64, seed: u64) -> Store {
    let store = Store::open(&dir.join("history.sqlite3")).unwrap();
    veriff_tui::history::seed::fill_store(
        &store,
        &veriff_tui::history::seed::SeedOptions {
            count,
            seed,
            end: Utc::now(),
        },
    )
    .unwrap();
    store
}

#[test]
fn a_stopped_export_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path(), 5_000, 7);
    let exports = dir.path().join("exports");
    let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(18, 30, 5)
        .unwrap();
    let cancel = Cancel::new();
    let stop = cancel.clone();
    let reports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reports.clone();
    // The count comes first; the operator presses Esc once records are being written.
    let mut progress = Progress::new(cancel).reporting(move |r| {
        seen.lock().unwrap().push(r);
        if r.done == 0 {
            // The next record is then due for a report of its own.
            std::thread::sleep(std::time::Duration::from_millis(150));
        } else {
            stop.cancel();
        }
    });
    let result = veriff_tui::ops::export::export_to_dir(
        &store,
        &Query::default(),
        &exports,
        stamp,
        &mut progress,
    );
    let reports = reports.lock().unwrap().clone();
    assert_eq!((reports[0].done, reports[0].total), (0, 5_000));
    match result {
        Err(DirExportError::Stopped { done, total }) => {
            assert!((1..5_000).contains(&done), "{done}");
            assert_eq!(total, 5_000);
        }
        other => panic!("expected a stop, got {other:?}"),
    }
    let left: Vec<_> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "a stopped export left {left:?}");
    let text = veriff_tui::ops::export::DirExportError::Stopped {
        done: 1_234,
        total: 5_000,
    }
    .to_string();
    assert_eq!(
        text,
        "export stopped after 1,234 of 5,000 records; nothing kept (the partial files were removed)"
    );
}

fn add(store: &Store, i: usize, profile: &str) {
    let created = Utc::now() - Duration::minutes(i as i64);
    let input = SessionInput {
        first_name: if i.is_multiple_of(7) {
            "=HYPERLINK(1)".into()
        } else {
            format!("Name{i}")
        },
        last_name: "Smith".into(),
        lang: "en".into(),
        selfid: i.is_multiple_of(2),
        callback: "https://example.com/cb".into(),
        vendor_data: format!("order-{i}"),
        extra: Default::default(),
    };
    let id = format!("cafe{i:04x}-0000-4000-8000-{i:012x}");
    let session = CreatedSession {
        id: id.clone(),
        url: format!("https://alchemy.veriff.com/v/{id}"),
        host: Some("https://alchemy.veriff.com".into()),
        session_token: None,
        vendor_data: None,
        status: Some("created".into()),
        created_at: created,
        expires_at: created + Duration::days(7),
    };
    store
        .insert(&NewRecord {
            profile,
            base_url: "https://stationapi.veriff.com",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap();
}

#[test]
fn the_export_writes_every_matching_record_as_the_cli_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let store = Store::open(&data.join("history.sqlite3")).unwrap();
    // More than one batch of the export, and more than the TUI ever holds.
    for i in 0..1203 {
        add(&store, i, "test");
    }
    add(&store, 5000, "other");
    let exports = data.join("exports");
    let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(18, 30, 5)
        .unwrap();
    let query = Query {
        search: None,
        profile: Some("test".into()),
        batch: None,
        mine: false,
        offset: 0,
        limit: 0,
        ..Default::default()
    };
    let files = veriff_tui::ops::export::export_to_dir(
        &store,
        &query,
        &exports,
        stamp,
        &mut Progress::silent(),
    )
    .unwrap();
    assert_eq!(files.records, 1203);
    assert_eq!(
        files.csv,
        exports.join("veriff-sessions-20261125-183005.csv")
    );
    assert_eq!(
        files.json,
        exports.join("veriff-sessions-20261125-183005.json")
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&exports), 0o700);
    assert_eq!(mode(&files.csv), 0o600);
    assert_eq!(mode(&files.json), 0o600);

    let csv = std::fs::read_to_string(&files.csv).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1203);
    assert_eq!(csv.lines().count(), 1204);
    assert_eq!(
        csv.lines().next().unwrap(),
        veriff_tui::ops::export::CSV_COLUMNS.join(",")
    );
    // Newest first, no record twice across the batches.
    let ids: std::collections::HashSet<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1203);
    assert_eq!(json[0]["vendor_data"], "order-0");

    // The CLI's history --csv writes the same columns and the same rows.
    let vars = [
        ("VERIFF_TUI_DATA_DIR", data.to_str().unwrap()),
        ("VERIFF_TUI_CONFIG", "/nonexistent/veriff-tui.toml"),
    ];
    let (code, cli_csv, err) = support::run_cli(
        &["history", "--csv", "--search", "order-11", "-n", "1000"],
        &vars,
    );
    assert_eq!(code, 0, "{err}");
    // stderr is no terminal here: no bar, nothing but the CSV on stdout.
    assert_eq!(err, "");
    let filtered = Query {
        search: Some("order-11".into()),
        profile: None,
        ..query.clone()
    };
    let again = veriff_tui::ops::export::export_to_dir(
        &store,
        &filtered,
        &exports,
        stamp,
        &mut Progress::silent(),
    )
    .unwrap();
    // Same second, new files: the first export is kept.
    assert_eq!(
        again.csv,
        exports.join("veriff-sessions-20261125-183005-2.csv")
    );
    assert!(files.csv.exists());
    assert_eq!(std::fs::read_to_string(&again.csv).unwrap(), cli_csv);
    // order-11, order-110..119 and order-1100..1199 (order-1100.. past the first batch).
    assert_eq!(again.records, 111);
    let (code, cli_json, err) = support::run_cli(
        &["history", "--json", "--search", "order-11", "-n", "1000"],
        &vars,
    );
    assert_eq!(code, 0);
    assert_eq!(err, "");
    assert_eq!(std::fs::read_to_string(&again.json).unwrap(), cli_json);
}

#[test]
fn qr_views_draw_at_every_size_without_panicking() {
    let sizes = [
        (1, 1),
        (10, 3),
        (59, 40),
        (60, 16),
        (72, 20),
        (80, 24),
        (100, 30),
        (120, 40),
        (140, 50),
        (250, 80),
    ];
    for (w, h) in sizes {
        // Built where keys act, then drawn at the size.
        let (bw, bh) = usable(w, h);
        for url in [SANDBOX_URL, URL, "https://x.example/"] {
            let mut s = with_session(bw, bh, false, url);
            render(&resized(s.clone(), w, h));
            update(&mut s, alt('q'));
            assert!(s.qr.is_some());
            render(&resized(s, w, h));
            let mut t = state(bw, bh);
            let effects = update(&mut t, alt('2'));
            answer_loads(&mut t, effects, 3);
            t.tokens.rows[0].url = url.into();
            update(&mut t, key(KeyCode::Enter));
            render(&resized(t, w, h));
        }
    }
}

#[test]
fn an_export_stopped_while_counting_creates_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path(), 2_000, 3);
    let cancel = Cancel::new();
    cancel.cancel();
    let reports = std::sync::Arc::new(std::sync::Mutex::new(0));
    let seen = reports.clone();
    let mut progress = Progress::new(cancel).reporting(move |_| *seen.lock().unwrap() += 1);
    let exports = dir.path().join("exports");
    let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(18, 30, 5)
        .unwrap();
    // A search takes a count of its own, which a stop cuts short (or, as here, skips).
    let query = Query {
        search: Some("smith".into()),
        ..Query::default()
    };
    let result =
        veriff_tui::ops::export::export_to_dir(&store, &query, &exports, stamp, &mut progress);
    let e = result.expect_err("stopped");
    assert_eq!(e, DirExportError::Stopped { done: 0, total: 0 });
    assert_eq!(
        e.to_string(),
        "export stopped before any record was written; nothing kept"
    );
    assert_eq!(*reports.lock().unwrap(), 0, "nothing was counted to report");
    assert_eq!(std::fs::read_dir(&exports).unwrap().count(), 0);
}
