//! View tests: every screen drawn on a TestBackend from a State built without a terminal,
//! compared with reviewed snapshots (tests/it/snapshots).

use crate::support::tui_state as tui_support;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Position;
use ratatui::style::{Color, Modifier};
use tui_support::*;
use veriff_tui::clipboard::CopyOutcome;
use veriff_tui::ops::generate::Failed;
use veriff_tui::tui::app::{State, update};
use veriff_tui::tui::form::Field;
use veriff_tui::tui::list::Load;
use veriff_tui::tui::message::{CopyWhat, Msg};
use veriff_tui::veriff::{ApiError, ExtraField};

fn snap(name: &str, state: &State) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let t = render(state);
    insta::assert_snapshot!(name, t.backend());
    t
}

/// A snapshot of text *and* style: each screen row, then beneath it a row of letters
/// naming the style of each cell (blank: the terminal's default), with the legend of the
/// letters at the end. For screens where the style is the point (no colour, colours): a
/// text-only snapshot cannot tell a reversed focus from a plain one.
fn snap_styled(name: &str, state: &State) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let t = render(state);
    let buf = t.backend().buffer();
    let mut styles: Vec<ratatui::style::Style> = Vec::new();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut text = String::new();
        let mut marks = String::new();
        let mut hidden = 0;
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            // The cells a wide character covers are not text; their marks stay, so the
            // letters line up with the columns the terminal draws.
            if hidden > 0 {
                hidden -= 1;
            } else {
                text.push_str(cell.symbol());
                hidden = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
            }
            let style = cell.style();
            let plain = style.fg.is_none_or(|c| c == Color::Reset)
                && style.bg.is_none_or(|c| c == Color::Reset)
                && style.add_modifier.is_empty();
            if plain {
                marks.push(' ');
            } else {
                let i = styles.iter().position(|s| *s == style).unwrap_or_else(|| {
                    styles.push(style);
                    styles.len() - 1
                });
                marks.push(char::from(b'a' + u8::try_from(i % 26).unwrap()));
            }
        }
        out.push_str(&format!("{}\n{}\n", text.trim_end(), marks.trim_end()));
    }
    out.push_str("--\n");
    for (i, st) in styles.iter().enumerate() {
        let letter = char::from(b'a' + u8::try_from(i % 26).unwrap());
        let mut words = Vec::new();
        if let Some(fg) = st.fg.filter(|c| *c != Color::Reset) {
            words.push(format!("fg {fg}"));
        }
        if let Some(bg) = st.bg.filter(|c| *c != Color::Reset) {
            words.push(format!("bg {bg}"));
        }
        if !st.add_modifier.is_empty() {
            words.push(format!("{:?}", st.add_modifier));
        }
        out.push_str(&format!("{letter} = {}\n", words.join(", ")));
    }
    insta::assert_snapshot!(name, out);
    t
}

fn filled(w: u16, h: u16) -> State {
    let (bw, bh) = usable(w, h);
    let mut s = state(bw, bh);
    type_text(&mut s, "李小龍");
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "Zoë 👍");
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, ctrl('u'));
    type_text(&mut s, "pt-BR");
    update(&mut s, key(KeyCode::Enter));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Char(' ')));
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "https://example.com/done");
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "order-42");
    resized(s, w, h)
}

fn with_result(w: u16, h: u16) -> State {
    let (bw, bh) = usable(w, h);
    let mut s = filled(bw, bh);
    let effects = update(&mut s, ctrl('s'));
    let seq = match effects.as_slice() {
        [veriff_tui::tui::app::Effect::Generate { seq, .. }] => *seq,
        other => panic!("expected one Generate, got {other:?}"),
    };
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    update(
        &mut s,
        Msg::Copied {
            what: CopyWhat::GeneratedUrl,
            outcome: CopyOutcome::Osc52,
        },
    );
    resized(s, w, h)
}

#[test]
fn generate_empty() {
    let t = snap("generate_empty_80x24", &state(80, 24));
    // The cursor waits in First name, right after its label column.
    let mut t = t;
    assert_eq!(t.get_cursor_position().unwrap(), Position::new(17, 2));
    snap("generate_empty_120x40", &state(120, 40));
}

#[test]
fn generate_filled_places_cursor_by_display_width() {
    let s = filled(80, 24);
    let mut t = snap("generate_filled_80x24", &s);
    // "order-42" is 8 columns; Vendor data is the 6th field, below the title line.
    assert_eq!(t.get_cursor_position().unwrap(), Position::new(17 + 8, 7));
    let mut s = state(80, 24);
    type_text(&mut s, "李小龍");
    let mut t = render(&s);
    assert_eq!(t.get_cursor_position().unwrap(), Position::new(17 + 6, 2));
}

#[test]
fn generate_language_picker() {
    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, ctrl('u'));
    type_text(&mut s, "por");
    let t = snap("generate_picker_80x24", &s);
    assert!(screen_text(&t).contains("pt-BR"));
}

#[test]
fn generate_validation_errors() {
    let mut s = State::new(live_settings(), env(80, 24, false));
    type_text(&mut s, "Ann");
    for _ in 0..4 {
        update(&mut s, key(KeyCode::Tab));
    }
    update(&mut s, ctrl('u'));
    type_text(&mut s, "http://example.com");
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, Msg::Paste("x".repeat(1001)));
    assert!(update(&mut s, ctrl('s')).is_empty());
    let t = snap("generate_invalid_80x24", &s);
    let text = screen_text(&t);
    assert!(text.contains("must be an https:// URL"), "{text}");
    assert!(
        text.contains("at most 1000 characters (now 1001)"),
        "{text}"
    );
    assert!(text.contains("LIVE"), "{text}");
}

#[test]
fn generate_api_error_keeps_the_form() {
    let mut s = filled(80, 24);
    let effects = update(&mut s, ctrl('s'));
    let seq = match effects.as_slice() {
        [veriff_tui::tui::app::Effect::Generate { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    snap("generate_in_flight_80x24", &s);
    update(
        &mut s,
        Msg::Generated {
            seq,
            result: Box::new(Err(Failed::NotCreated(ApiError::Http {
                status: 401,
                code: Some("1803".into()),
                message: Some("Integration not found".into()),
            }))),
        },
    );
    let t = snap("generate_api_error_80x24", &s);
    let text = screen_text(&t);
    assert!(text.contains("no integration has this API key"), "{text}");
    assert!(text.contains("李小龍"), "{text}");
}

#[test]
fn a_result_names_its_request_and_is_marked_previous_once_the_form_moves_on() {
    let mut s = with_result(80, 24);
    let text = screen_text(&render(&s));
    assert!(
        text.contains("✔ Session created for 李小龍 Zoë 👍 · sandbox"),
        "{text}"
    );
    // A refused attempt: the link on screen is not this attempt's.
    update(&mut s, key(KeyCode::BackTab));
    update(&mut s, ctrl('u'));
    type_text(&mut s, "not a url");
    assert!(update(&mut s, ctrl('s')).is_empty());
    let text = screen_text(&render(&s));
    assert!(!text.contains("Session created"), "{text}");
    assert!(
        text.contains("Previous session, for 李小龍 Zoë 👍 · sandbox"),
        "{text}"
    );
}

#[test]
fn generate_result_shows_the_url_alone_on_its_lines() {
    let s = with_result(80, 24);
    // Colours and emphasis are the point here too: success green, the URL plain.
    snap_styled("generate_result_styles_80x24", &s);
    let t = snap("generate_result_80x24", &s);
    let text = screen_text(&t);
    // Sent, not claimed as copied: a terminal never says whether it took an OSC 52.
    assert!(
        text.contains("sent as OSC 52; check your clipboard"),
        "{text}"
    );
    // Lines that hold the URL hold nothing else: joined, they are the URL exactly.
    let url_lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("https://alchemy"))
        .take_while(|l| !l.starts_with("Session ID"))
        .map(|l| l.trim_end())
        .collect();
    assert_eq!(url_lines.concat(), URL);
    snap("generate_result_120x40", &with_result(120, 40));
    let t = snap("generate_result_60x16", &with_result(60, 16));
    assert!(screen_text(&t).contains("https://alchemy"));
}

#[test]
fn too_small_says_so() {
    let t = snap("too_small_59x16", &state(59, 16));
    assert!(screen_text(&t).contains("window too small: need 60x16"));
    let t = render(&state(80, 15));
    assert!(screen_text(&t).contains("window too small: need 60x16"));
    let t = render(&state(1, 1));
    assert_eq!(t.backend().buffer().area.width, 1);
}

#[test]
fn no_color_has_no_colours_and_keeps_focus_visible() {
    let mut s = State::new(live_settings(), env(80, 24, true));
    type_text(&mut s, "Ann");
    let t = snap_styled("generate_no_color_80x24", &s);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    // The focused label is reversed; LIVE is reversed too.
    let label = &buf[(2, 2)];
    assert_eq!(label.symbol(), "F");
    assert!(label.modifier.contains(Modifier::REVERSED));
    let text = screen_text(&t);
    let live_x = text.lines().next().unwrap().find("LIVE").unwrap();
    assert!(
        buf[(live_x as u16, 0)]
            .modifier
            .contains(Modifier::REVERSED)
    );

    let mut s = State::new(sandbox_settings(), env(80, 24, true));
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 12);
    let t = snap_styled("tokens_no_color_80x24", &s);
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    // The selected row (the first) is reversed across the table.
    assert!(buf[(3, 3)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn tokens_screens() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 0);
    let t = snap("tokens_empty_80x24", &s);
    assert!(screen_text(&t).contains("No sessions yet"));

    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 500);
    let t = snap("tokens_filled_80x24", &s);
    assert!(screen_text(&t).contains("500 records"));
    snap("tokens_filled_120x40", &{
        let mut s = state(120, 40);
        let effects = update(&mut s, alt('2'));
        answer_loads(&mut s, effects, 500);
        s
    });
    snap("tokens_narrow_60x16", &{
        let mut s = state(60, 16);
        let effects = update(&mut s, alt('2'));
        answer_loads(&mut s, effects, 500);
        s
    });

    // Scrolled far down: rows come from a later page.
    let effects = update(&mut s, key(KeyCode::End));
    answer_loads(&mut s, effects, 500);
    let t = snap("tokens_end_80x24", &s);
    assert!(screen_text(&t).contains("row 500"));

    let effects = update(&mut s, key(KeyCode::Char('/')));
    answer_loads(&mut s, effects, 500);
    let effects = type_text(&mut s, "order-4");
    answer_loads(&mut s, effects, 500);
    // The vendor data of 111 of the 500: order-4, order-40 to 49, order-400 to 499.
    let t = snap("tokens_filter_80x24", &s);
    assert!(screen_text(&t).contains("111 records"));

    update(&mut s, key(KeyCode::Enter));
    update(&mut s, key(KeyCode::Enter));
    let t = snap("tokens_detail_80x24", &s);
    assert!(screen_text(&t).contains("Session details"));
    update(&mut s, key(KeyCode::Char('d')));
    let t = snap("tokens_confirm_delete_80x24", &s);
    assert!(screen_text(&t).contains("Delete the local record"));

    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    for e in effects {
        if let veriff_tui::tui::app::Effect::List(Load::Page { seq, query, .. }) = e {
            update(
                &mut s,
                Msg::Page {
                    seq,
                    offset: query.offset,
                    result: Err("history database error: disk I/O error".into()),
                },
            );
        }
    }
    let t = snap("tokens_error_80x24", &s);
    assert!(screen_text(&t).contains("disk I/O error"));
}

#[test]
fn dashboard_and_help() {
    let mut s = state(80, 24);
    update(&mut s, alt('3'));
    snap("dashboard_loading_80x24", &s);
    update(
        &mut s,
        Msg::StatusCounts(Ok(vec![
            (veriff_tui::veriff::SessionStatus::Created, 12),
            (veriff_tui::veriff::SessionStatus::Approved, 30),
            (veriff_tui::veriff::SessionStatus::Declined, 4),
            (veriff_tui::veriff::SessionStatus::Expired, 2),
        ])),
    );
    snap("dashboard_80x24", &s);
    let mut narrow = s.clone();
    narrow.size = (60, 16);
    snap("dashboard_narrow_60x16", &narrow);
    let mut plain = s.clone();
    plain.palette = veriff_tui::tui::theme::Palette::Mono;
    let t = snap_styled("dashboard_no_color_80x24", &plain);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset)
    );
    let mut empty = state(80, 24);
    update(&mut empty, alt('3'));
    update(
        &mut empty,
        Msg::StatusCounts(Ok(veriff_tui::veriff::SessionStatus::ALL
            .iter()
            .map(|st| (st.clone(), 0))
            .collect())),
    );
    snap("dashboard_empty_80x24", &empty);
    let mut failed = state(80, 24);
    update(&mut failed, alt('3'));
    update(
        &mut failed,
        Msg::StatusCounts(Err(
            "the history database is locked by another process".into()
        )),
    );
    let t = snap("dashboard_error_80x24", &failed);
    assert!(screen_text(&t).contains("locked by another process"));
    update(&mut s, key(KeyCode::Char('?')));
    let t = snap("help_80x24", &s);
    assert!(screen_text(&t).contains("Alt+1"));
    // j scrolls a line, and stops at the end.
    for _ in 0..200 {
        update(&mut s, key(KeyCode::Char('j')));
    }
    let t = snap("help_scrolled_80x24", &s);
    assert!(
        screen_text(&t).contains("veriff-tui.log"),
        "{}",
        screen_text(&t)
    );
    snap("help_120x40", &{
        let mut s = state(120, 40);
        update(&mut s, key(KeyCode::Tab));
        update(&mut s, key(KeyCode::Tab));
        update(&mut s, key(KeyCode::Tab));
        update(&mut s, key(KeyCode::Char('?')));
        s
    });
}

#[test]
fn every_screen_draws_at_every_size_without_panicking() {
    let sizes = [
        (1, 1),
        (10, 3),
        (59, 40),
        (60, 16),
        (61, 17),
        (64, 18),
        (72, 20),
        (80, 24),
        (100, 30),
        (140, 50),
        (250, 80),
    ];
    for (w, h) in sizes {
        // Built where keys act, then drawn at the size.
        let (bw, bh) = usable(w, h);
        let mut states = vec![with_result(bw, bh), filled(bw, bh), state(bw, bh)];
        let mut picker = state(bw, bh);
        update(&mut picker, key(KeyCode::Tab));
        update(&mut picker, key(KeyCode::Tab));
        update(&mut picker, key(KeyCode::Enter));
        states.push(picker);
        let mut invalid = State::new(live_settings(), env(bw, bh, true));
        update(&mut invalid, Msg::Paste("\u{1b}x".repeat(700)));
        for _ in 0..5 {
            update(&mut invalid, key(KeyCode::Tab));
        }
        update(&mut invalid, Msg::Paste("y".repeat(1200)));
        update(&mut invalid, ctrl('s'));
        states.push(invalid);
        let mut tokens = state(bw, bh);
        let effects = update(&mut tokens, alt('2'));
        answer_loads(&mut tokens, effects, 1000);
        states.push(tokens.clone());
        update(&mut tokens, key(KeyCode::Enter));
        states.push(tokens.clone());
        update(&mut tokens, key(KeyCode::Char('d')));
        states.push(tokens.clone());
        let mut dash = state(bw, bh);
        update(&mut dash, alt('3'));
        update(
            &mut dash,
            Msg::StatusCounts(Ok(veriff_tui::veriff::SessionStatus::ALL
                .iter()
                .map(|s| (s.clone(), u64::MAX / 16))
                .collect())),
        );
        states.push(dash.clone());
        update(&mut dash, key(KeyCode::Char('?')));
        states.push(dash);
        for s in states {
            render(&resized(s, w, h));
        }
    }
}

#[test]
fn the_header_keeps_app_name_profile_and_live_at_the_minimum_width() {
    let s = State::new(live_settings(), env(60, 16, false));
    let t = snap("generate_live_60x16", &s);
    let header = screen_text(&t).lines().next().unwrap().to_string();
    for want in ["veriff-tui", "production", "LIVE"] {
        assert!(header.contains(want), "{want} missing from {header:?}");
    }
    let buf = t.backend().buffer();
    let x = header.find("LIVE").unwrap() as u16;
    assert_eq!(buf[(x, 0)].bg, ratatui::style::Color::Red);
}

#[test]
fn hostile_strings_from_the_store_and_the_network_never_reach_a_cell() {
    let hostile = "\u{1b}]52;c;SGVsbG8=\u{7}Eve\u{1b}[2J\u{9b}31m\u{202e}";
    // Written into a real history file as anything could write it, and read back the way
    // the app reads it: made safe where it enters.
    let dir = tempfile::tempdir().unwrap();
    let store = veriff_tui::history::Store::open(&dir.path().join("h.sqlite3")).unwrap();
    let mut r = record(0);
    r.first_name = hostile.into();
    r.vendor_data = hostile.into();
    r.session_id = hostile.into();
    r.url = format!("https://x.example/{hostile}");
    r.decision_reason = Some(hostile.into());
    r.check_error = Some(hostile.into());
    r.status = veriff_tui::veriff::SessionStatus::Other(hostile.into());
    veriff_tui::history::seed::insert_records(&store, &[r]).unwrap();
    let mut s = state(100, 30);
    let effects = update(&mut s, alt('2'));
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        let msg = match e {
            veriff_tui::tui::app::Effect::List(Load::Count { seq, cap, .. }) => Msg::Count {
                seq,
                cap,
                result: Ok(1),
            },
            veriff_tui::tui::app::Effect::List(Load::Page { seq, query, .. }) => Msg::Page {
                seq,
                offset: query.offset,
                result: Ok(store.page_counted(&query).unwrap()),
            },
            _ => continue,
        };
        queue.extend(update(&mut s, msg));
    }
    let inert = |t: &ratatui::Terminal<ratatui::backend::TestBackend>| {
        for cell in t.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "control character in a cell: {:?}",
                cell.symbol()
            );
        }
    };
    inert(&render(&s));
    update(&mut s, key(KeyCode::Enter));
    let t = render(&s);
    inert(&t);
    assert!(screen_text(&t).contains("]52;c;SGVsbG8=Eve[2J31m"));

    let mut s = filled(100, 30);
    let effects = update(&mut s, ctrl('s'));
    let seq = match effects.as_slice() {
        [veriff_tui::tui::app::Effect::Generate { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    let mut session = created();
    session.url = format!("https://x.example/{hostile}");
    session.id = hostile.into();
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(session),
        },
    );
    assert!(!s.last_url.as_ref().unwrap().chars().any(char::is_control));
    inert(&render(&s));
    let mut s = filled(100, 30);
    let effects = update(&mut s, ctrl('s'));
    if let [veriff_tui::tui::app::Effect::Generate { seq, .. }] = effects.as_slice() {
        update(
            &mut s,
            Msg::Generated {
                seq: *seq,
                result: Box::new(Err(Failed::NotCreated(ApiError::Http {
                    status: 400,
                    code: Some(hostile.into()),
                    message: Some(hostile.into()),
                }))),
            },
        );
    }
    inert(&render(&s));
}

/// A dashboard with every status, a month of links and a few decisions.
fn dashboard_filled(w: u16, h: u16, no_color: bool) -> State {
    use veriff_tui::tui::app::DashboardData;
    use veriff_tui::veriff::SessionStatus;
    let (bw, bh) = usable(w, h);
    let mut s = State::new(sandbox_settings(), env(bw, bh, no_color));
    update(&mut s, alt('3'));
    let counts = SessionStatus::ALL
        .iter()
        .zip([12u64, 3, 2, 30, 4, 5, 1, 7, 0])
        .map(|(st, n)| (st.clone(), n))
        .collect();
    update(&mut s, Msg::StatusCounts(Ok(counts)));
    let today = now().date_naive();
    let per_day = (0..30i64)
        .rev()
        .map(|back| {
            let n = [0u64, 1, 3, 2, 0, 5, 8, 2][(back as usize) % 8];
            (today - chrono::Duration::days(back), n)
        })
        .collect();
    let mut latest = Vec::new();
    for (i, (status, code, reason)) in [
        (SessionStatus::Approved, 9001, None),
        (
            SessionStatus::Declined,
            9102,
            Some("Suspected document tampering"),
        ),
        (
            SessionStatus::ResubmissionRequested,
            9103,
            Some("Video and/or photos missing"),
        ),
        (SessionStatus::Approved, 9001, None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = record(i as i64);
        r.status = status;
        r.decision_code = Some(code);
        r.decision_reason = reason.map(str::to_string);
        r.decision_time = Some(format!("2026-11-25T1{}:05:00.000Z", 7 - i));
        latest.push(r);
    }
    update(
        &mut s,
        Msg::DashboardData(Ok(DashboardData { per_day, latest })),
    );
    resized(s, w, h)
}

#[test]
fn dashboard_charts_and_latest_decisions() {
    let s = dashboard_filled(80, 24, false);
    let t = snap("dashboard_filled_80x24", &s);
    let text = screen_text(&t);
    for want in [
        "created",
        "started",
        "submitted",
        "approved",
        "declined",
        "resubmission requested",
        "review",
        "expired",
        "abandoned",
        "Links per day",
        "Latest decisions",
        "Suspected document",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    // Bars in the status colours.
    let buf = t.backend().buffer();
    let declined_row = text
        .lines()
        .position(|l| l.contains("declined") && l.contains('█'))
        .unwrap();
    let x = text
        .lines()
        .nth(declined_row)
        .unwrap()
        .chars()
        .position(|c| c == '█')
        .unwrap();
    assert_eq!(buf[(x as u16, declined_row as u16)].fg, Color::Red);
    snap("dashboard_filled_120x40", &dashboard_filled(120, 40, false));
    let t = snap(
        "dashboard_filled_narrow_60x16",
        &dashboard_filled(60, 16, false),
    );
    assert!(screen_text(&t).contains("approved"));
    let t = snap_styled(
        "dashboard_filled_no_color_80x24",
        &dashboard_filled(80, 24, true),
    );
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    // The selected decision stays visible without colour.
    assert!(
        buf.content()
            .iter()
            .any(|c| c.modifier.contains(Modifier::REVERSED))
    );

    let mut empty = state(80, 24);
    update(&mut empty, alt('3'));
    update(
        &mut empty,
        Msg::StatusCounts(Ok(veriff_tui::veriff::SessionStatus::ALL
            .iter()
            .map(|st| (st.clone(), 0))
            .collect())),
    );
    update(
        &mut empty,
        Msg::DashboardData(Ok(veriff_tui::tui::app::DashboardData {
            per_day: (0..30i64)
                .rev()
                .map(|b| (now().date_naive() - chrono::Duration::days(b), 0))
                .collect(),
            latest: Vec::new(),
        })),
    );
    let t = snap("dashboard_filled_empty_80x24", &empty);
    assert!(screen_text(&t).contains("No sessions for this profile yet"));
}

#[test]
fn a_failed_refresh_is_marked_on_its_row_and_explained_in_the_detail() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 3);
    s.tokens.rows[1].check_error = Some("the request timed out after 30 s".into());
    let t = render(&s);
    let text = screen_text(&t);
    let row = text.lines().nth(4).unwrap();
    assert!(row.contains("! approved"), "{row}");
    let other = text.lines().nth(3).unwrap();
    assert!(!other.contains('!'), "{other}");
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Enter));
    let text = screen_text(&render(&s));
    assert!(text.contains("Check error"), "{text}");
    assert!(text.contains("timed out after 30 s"), "{text}");
}

#[test]
fn the_dashboard_draws_at_every_size_and_keeps_hostile_strings_inert() {
    for (w, h) in [
        (1, 1),
        (10, 3),
        (60, 16),
        (61, 17),
        (75, 20),
        (76, 19),
        (80, 24),
        (100, 30),
        (250, 80),
    ] {
        let s = dashboard_filled(w, h, false);
        render(&s);
        let mut many = s.clone();
        if let Some(d) = many.dashboard.data.as_mut() {
            d.per_day = (0..30)
                .map(|i| (now().date_naive(), u64::MAX / 64 + i))
                .collect();
            d.latest = (0..200).map(record).collect();
        }
        many.dashboard.selected = 150;
        render(&many);
    }
    let hostile = "\u{1b}]52;c;SGVsbG8=\u{7}Eve\u{1b}[2J\u{9b}31m";
    let mut s = dashboard_filled(100, 30, false);
    if let Some(d) = s.dashboard.data.as_mut() {
        let r = &mut d.latest[0];
        r.first_name = hostile.into();
        r.decision_reason = Some(hostile.into());
        r.decision_time = Some(hostile.into());
        r.status = veriff_tui::veriff::SessionStatus::Other(hostile.into());
    }
    s.dashboard
        .counts
        .as_mut()
        .unwrap()
        .push((veriff_tui::veriff::SessionStatus::Other(hostile.into()), 3));
    let t = render(&s);
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control character in a cell: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn the_help_lists_every_action_of_the_key_table_with_its_keys() {
    use veriff_tui::keymap::{ENTRIES, TEXT_EDITING};
    use veriff_tui::tui::theme::Theme;
    let s = state(80, 24);
    // Wide enough that no description wraps.
    let lines = veriff_tui::tui::help_text::lines(
        &s,
        Theme::new(veriff_tui::tui::theme::Palette::Mono),
        400,
    );
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for e in ENTRIES {
        let keys = s.keys.labels(e.action);
        assert!(!keys.is_empty(), "{} has keys", e.name);
        assert!(
            text.iter()
                .any(|l| l.trim_start().starts_with(&keys) && l.ends_with(e.about)),
            "{}: {keys} {}\n{}",
            e.name,
            e.about,
            text.join("\n")
        );
    }
    for (_, what) in TEXT_EDITING {
        assert!(text.iter().any(|l| l.ends_with(what)), "{what}");
    }
}

#[test]
fn the_footer_and_the_help_show_the_keys_as_bound() {
    let settings = settings_with_keys(
        "[keys]\nrefresh = \"F5\"\nhelp = [\"F9\", \"?\"]\nscreen_tokens = [\"F2\", \"Alt+t\"]\n",
    );
    let mut s = State::new(settings, env(100, 30, false));
    // The first screen: help and quit keys that work while typing in a field.
    let text = screen_text(&render(&s));
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("F9 help"), "{footer}");
    assert!(footer.contains("Ctrl+C quit"), "{footer}");
    assert!(footer.contains("F2 tokens"), "{footer}");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::F(9), KeyModifiers::NONE)),
    );
    assert!(s.help.is_some(), "F9 opens the help from a text field");
    let text = screen_text(&render(&s));
    assert!(text.contains("F9 ?                this help"), "{text}");
    assert!(
        text.contains("F2 Alt+T            the Generated tokens screen"),
        "{text}"
    );
    update(&mut s, key(KeyCode::Esc));

    let effects = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE)),
    );
    answer_loads(&mut s, effects, 3);
    let text = screen_text(&render(&s));
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("F5/R refresh"), "{footer}");
    assert!(footer.contains("F9 help"), "{footer}");
    assert!(footer.contains("q quit"), "{footer}");
    // The defaults, for contrast: the footer changes with the binding, not by itself.
    let mut d = state(100, 30);
    update(&mut d, alt('2'));
    let text = screen_text(&render(&d));
    assert!(
        text.lines().last().unwrap().contains("r/R refresh"),
        "{text}"
    );
    let first = screen_text(&render(&state(100, 30)));
    let footer = first.lines().last().unwrap();
    assert!(
        footer.contains("Ctrl+G help") && footer.contains("Ctrl+C quit"),
        "{footer}"
    );
}

#[test]
fn details_longer_than_the_window_scroll_to_their_last_row_and_no_further() {
    const LONG: &str = "a long vendor note, with words enough to wrap under its own column at every width the app draws: order 42, desk 7, Anna Smith, বাংলা দাস, 李小龍";
    let variants: [fn(&mut veriff_tui::history::Record); 3] = [
        |_| {},
        |r| {
            r.vendor_data = LONG.into();
            r.decision_reason = Some("Physical document not used, photo of a screen".into());
            r.decision_time = Some("2026-11-25T18:31:07.123Z".into());
        },
        |r| {
            r.status = veriff_tui::veriff::SessionStatus::Unknown;
            r.check_error = Some("the request timed out after 30 s".into());
        },
    ];
    for (w, h) in [(60, 16), (80, 24), (120, 40)] {
        for (n, change) in variants.iter().enumerate() {
            let mut s = state(w, h);
            let mut r = record(1);
            change(&mut r);
            let linked = r.has_link();
            s.tokens.detail = Some(r);
            s.screen = veriff_tui::tui::app::Screen::Tokens;
            let top = screen_text(&render(&s));
            update(&mut s, key(KeyCode::End));
            let end = screen_text(&render(&s));
            let rows: Vec<&str> = end.lines().collect();
            // The last row of the details is on the window's last row above the status line.
            let last = rows[usize::from(h) - 3];
            let want = if linked { "QR code" } else { "API" };
            let what = format!("{w}x{h} variant {n}");
            let at_end = |t: &str| t.contains(want) || t.contains("Flow host");
            if top == end {
                // All of it fits: nothing scrolls, the last row is on screen.
                assert!(at_end(&end), "{what}:\n{end}");
                assert!(
                    !end.contains("↑↓ scroll"),
                    "{what}: nothing to scroll\n{end}"
                );
            } else {
                assert!(
                    at_end(last),
                    "{what}: the end of the details is not on the last row:\n{end}"
                );
            }
            // No further: Down changes nothing; Home goes back to the top.
            update(&mut s, key(KeyCode::Down));
            assert_eq!(screen_text(&render(&s)), end, "{what}");
            update(&mut s, key(KeyCode::Home));
            assert_eq!(screen_text(&render(&s)), top, "{what}");
            if top != end {
                assert!(
                    top.contains("↑↓ scroll"),
                    "{what}: the footer says it scrolls\n{top}"
                );
            }
        }
    }
}

/// The form with "More fields" open and a few of them filled, one of them wrong (checked
/// when the focus left it), the focus on `focus`.
fn more_fields(w: u16, h: u16, focus: ExtraField) -> State {
    let (bw, bh) = usable(w, h);
    let mut s = state(bw, bh);
    type_text(&mut s, "李小龍");
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "বাংলা দাস");
    update(&mut s, alt('m'));
    for (field, text) in [
        (ExtraField::DateOfBirth, "1980-01-08"),
        (ExtraField::Email, "anna@"),
        (ExtraField::DocumentType, "passport"),
        (ExtraField::Address, "ถนนสุขุมวิท 5, กรุงเทพฯ"),
    ] {
        while s.form.focus != Field::Extra(field) {
            update(&mut s, key(KeyCode::Tab));
        }
        type_text(&mut s, text);
    }
    while s.form.focus != Field::Extra(focus) {
        update(&mut s, key(KeyCode::Tab));
    }
    resized(s, w, h)
}

#[test]
fn more_fields_closed_open_and_scrolled() {
    // Closed with values in it: its row names what will be sent, and a hidden error shows.
    let mut s = more_fields(80, 24, ExtraField::Phone);
    update(&mut s, alt('m'));
    let t = snap("generate_more_fields_closed_80x24", &s);
    let text = screen_text(&t);
    assert!(
        text.contains("More fields ▸  4 filled, sent: Date of birth, Email,"),
        "{text}"
    );
    assert!(text.contains("✖ Email: must be an email address"), "{text}");

    // Open: every field under its label, placeholders saying what to type, the error under
    // its field; 120x40 holds the whole form and the hint under it.
    let t = snap(
        "generate_more_fields_open_120x40",
        &more_fields(120, 40, ExtraField::Phone),
    );
    let text = screen_text(&t);
    assert!(text.contains("› Phone          +3725551234"), "{text}");
    assert!(text.contains("  End-user ID    a UUID"), "{text}");
    assert!(
        text.contains("✖ must be an email address (name@example.com)"),
        "{text}"
    );
    assert!(text.contains("Fill in the form"), "{text}");
    let mut t = t;
    // The cursor waits on the focused field's placeholder, at its start.
    let phone_row = text.lines().position(|l| l.starts_with("› Phone")).unwrap();
    assert_eq!(
        t.get_cursor_position().unwrap(),
        Position::new(17, u16::try_from(phone_row).unwrap())
    );
    snap(
        "generate_more_fields_open_80x24",
        &more_fields(80, 24, ExtraField::DocumentCountry),
    );

    // At the minimum size the form scrolls to the focused field, marking what is above and
    // below; Thai text in a field keeps the columns after it.
    let t = snap(
        "generate_more_fields_60x16",
        &more_fields(60, 16, ExtraField::Address),
    );
    let text = screen_text(&t);
    assert!(
        text.contains("› Address        ถนนสุขุมวิท 5, กรุงเทพฯ"),
        "{text}"
    );
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[1].ends_with('↑'), "{text}");
    assert!(rows[13].ends_with('↓'), "{text}");
}

// ---- The details' inspection and the media viewer ----

/// The details of the first of 3 records at `w` x `h`, their inspection numbered `seq`.
fn details(w: u16, h: u16) -> (State, u64) {
    let mut s = state(w, h);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 3);
    let effects = update(&mut s, key(KeyCode::Enter));
    let seq = effects
        .iter()
        .find_map(|e| match e {
            veriff_tui::tui::app::Effect::KeptInspection { seq, .. } => Some(*seq),
            _ => None,
        })
        .expect("the kept inspection is asked for");
    (s, seq)
}

#[test]
fn details_show_the_kept_inspection_offline_each_part_with_its_own_error() {
    use veriff_tui::veriff::inspect::Part;
    let (mut s, seq) = details(80, 24);
    let r = s.tokens.detail.clone().unwrap();
    let mut kept = inspection(&r, now() - chrono::Duration::days(1));
    kept.watchlist_screening = Part::Error(
        "Veriff refused it (403): watchlist screening is not enabled for this integration".into(),
    );
    update(
        &mut s,
        Msg::KeptInspection {
            seq,
            result: Ok(Some(Box::new(kept))),
        },
    );
    update(&mut s, key(KeyCode::End));
    let t = snap("tokens_detail_inspection_kept_80x24", &s);
    let text = screen_text(&t);
    assert!(
        text.contains("Inspection · kept from 2026-11-24 18:30, offline · fetching…"),
        "{text}"
    );
    for section in ["Decision", "Person", "Attempts", "Media", "Watchlist"] {
        assert!(text.contains(&format!("  {section}")), "{section}:\n{text}");
    }
    // The failed part says why in its own place; the others are whole.
    let watch = text.lines().find(|l| l.contains("Watchlist")).unwrap();
    assert!(watch.contains("✖ Veriff refused it (403)"), "{watch}");
    assert!(
        text.contains("1 document-front · image/png · 48 KB · 2026-11-25 18:31"),
        "{text}"
    );
    assert!(text.contains("m media"), "the footer names m:\n{text}");

    // The fresh one came: the title says when.
    let fresh = inspection(&r, now());
    update(
        &mut s,
        Msg::Inspected {
            seq,
            answer: Box::new(veriff_tui::tui::inspector::Answer {
                inspection: Some(fresh),
                error: None,
                not_kept: None,
                record: None,
            }),
        },
    );
    update(&mut s, key(KeyCode::End));
    let text = screen_text(&render(&s));
    assert!(text.contains("Inspection · fetched 18:30"), "{text}");
    assert!(
        text.contains("possible match · initial result · 1 hit"),
        "{text}"
    );
}

#[test]
fn the_details_scroll_to_the_last_row_of_the_inspection_at_every_size() {
    for (w, h) in [(60, 16), (80, 24), (120, 40)] {
        let (mut s, seq) = details(w, h);
        let mut r = s.tokens.detail.clone().unwrap();
        r.first_name = "বাংলা".into();
        r.last_name = "李小龍 محمد".into();
        let mut i = inspection(&r, now());
        if let veriff_tui::veriff::inspect::Part::Ok(w) = &mut i.watchlist_screening {
            w.hits
                .push("देवनागरी नाम (sanction) with a long list of words to wrap".into());
        }
        update(
            &mut s,
            Msg::KeptInspection {
                seq,
                result: Ok(Some(Box::new(i))),
            },
        );
        update(&mut s, key(KeyCode::End));
        let end = screen_text(&render(&s));
        let rows: Vec<&str> = end.lines().collect();
        let last = rows[usize::from(h) - 3];
        assert!(
            last.contains("देवनागरी") || last.contains("words to wrap"),
            "{w}x{h}:\n{end}"
        );
        update(&mut s, key(KeyCode::Down));
        assert_eq!(screen_text(&render(&s)), end, "{w}x{h}: no further");
    }
}

#[test]
fn the_media_viewer_draws_the_picture_in_half_blocks_and_the_save_prompt() {
    for (w, h, name) in [
        (60, 16, "media_viewer_60x16"),
        (80, 24, "media_viewer_80x24"),
        (120, 40, "media_viewer_120x40"),
    ] {
        let (mut s, seq) = details(w, h);
        let r = s.tokens.detail.clone().unwrap();
        update(
            &mut s,
            Msg::Inspected {
                seq,
                answer: Box::new(veriff_tui::tui::inspector::Answer {
                    inspection: Some(inspection(&r, now())),
                    error: None,
                    not_kept: None,
                    record: None,
                }),
            },
        );
        let effects = update(&mut s, key(KeyCode::Char('m')));
        let seq = match effects.as_slice() {
            [veriff_tui::tui::app::Effect::FetchMedia { seq, .. }] => *seq,
            other => panic!("{other:?}"),
        };
        let text = screen_text(&render(&s));
        assert!(text.contains("Media 1 of 2 · document-front"), "{text}");
        assert!(text.contains("Fetching the file"), "{text}");
        let loaded = std::sync::Arc::new(veriff_tui::tui::inspector::Loaded {
            picture: Ok(picture()),
            file: veriff_tui::veriff::MediaFile {
                bytes: vec![0; 48_213],
                content_type: Some("image/png".into()),
            },
        });
        update(
            &mut s,
            Msg::MediaFetched {
                seq,
                result: Ok(loaded),
            },
        );
        let t = snap(name, &s);
        let text = screen_text(&t);
        assert!(text.contains('▀'), "{text}");
        assert!(
            text.contains("Esc close") && text.contains("s save"),
            "{text}"
        );
        // The picture's colours: red on the left, white on the right, in the 256.
        let buf = t.backend().buffer();
        let cells: Vec<_> = buf.content().iter().filter(|c| c.symbol() == "▀").collect();
        assert!(cells.iter().any(|c| c.fg == Color::Indexed(196)));
        assert!(cells.iter().any(|c| c.fg == Color::Indexed(231)));
        update(&mut s, key(KeyCode::Char('s')));
        let text = screen_text(&render(&s));
        assert!(
            text.contains("Save to: 47fd7000-document-front.png"),
            "{text}"
        );
        if w == 80 {
            snap("media_save_prompt_80x24", &s);
        }
    }
    // Without colours: shades, no colour at all.
    let (mut s, seq) = details(80, 24);
    s.palette = veriff_tui::tui::theme::Palette::Mono;
    let r = s.tokens.detail.clone().unwrap();
    update(
        &mut s,
        Msg::KeptInspection {
            seq,
            result: Ok(Some(Box::new(inspection(&r, now())))),
        },
    );
    let effects = update(&mut s, key(KeyCode::Char('m')));
    let seq = match effects.as_slice() {
        [veriff_tui::tui::app::Effect::FetchMedia { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    let loaded = std::sync::Arc::new(veriff_tui::tui::inspector::Loaded {
        picture: Ok(picture()),
        file: veriff_tui::veriff::MediaFile {
            bytes: vec![1],
            content_type: None,
        },
    });
    update(
        &mut s,
        Msg::MediaFetched {
            seq,
            result: Ok(loaded),
        },
    );
    let t = render(&s);
    let text = screen_text(&t);
    assert!(text.contains('░') && text.contains('█'), "{text}");
    assert!(!text.contains('▀'));
}
