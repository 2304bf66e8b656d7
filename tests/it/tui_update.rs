//! Behaviour of `update`: keys, paste, submit, cancel and results, without a terminal.

use crate::support::tui_state as tui_support;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::*;
use veriff_tui::clipboard::CopyOutcome;
use veriff_tui::ops::export::DirExportError;
use veriff_tui::ops::generate::Failed;
use veriff_tui::ops::progress::Report;
use veriff_tui::tui::app::{Effect, FailKind, Level, Outcome, Screen, State, update};
use veriff_tui::tui::form::Field;
use veriff_tui::tui::list::Load;
use veriff_tui::tui::message::{CopyWhat, Msg};
use veriff_tui::veriff::{ApiError, ExtraField};

fn submit(s: &mut State) -> u64 {
    match update(s, ctrl('s')).as_slice() {
        [Effect::Generate { seq, .. }] => *seq,
        other => panic!("expected one Generate, got {other:?}"),
    }
}

#[test]
fn wide_and_combining_characters_move_the_cursor_by_display_width() {
    let mut s = state(80, 24);
    type_text(&mut s, "李小龍");
    assert_eq!(s.form.first_name.visual_cursor(), 6);
    update(&mut s, key(KeyCode::Left));
    assert_eq!(s.form.first_name.visual_cursor(), 4);
    update(&mut s, key(KeyCode::Home));
    assert_eq!(s.form.first_name.visual_cursor(), 0);
    update(&mut s, key(KeyCode::End));

    update(&mut s, key(KeyCode::Tab));
    // "Zoë" typed with a combining diaeresis, then an emoji: 3 + 1 + 2 columns.
    type_text(&mut s, "Zoe\u{308} 👍");
    assert_eq!(s.form.last_name.visual_cursor(), 6);
    update(&mut s, key(KeyCode::Backspace));
    assert_eq!(s.form.last_name.value(), "Zoe\u{308} ");
    update(&mut s, key(KeyCode::Backspace));
    // Backspace takes the whole grapheme "ë", not just the combining mark.
    update(&mut s, key(KeyCode::Backspace));
    assert_eq!(s.form.last_name.value(), "Zo");
    // Word jumps and deletes.
    type_text(&mut s, "ë Saldaña Jr");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL)),
    );
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::ALT)),
    );
    assert_eq!(s.form.last_name.visual_cursor(), 4);
    update(&mut s, key(KeyCode::End));
    update(&mut s, ctrl('w'));
    assert_eq!(s.form.last_name.value(), "Zoë Saldaña ");
    update(&mut s, ctrl('u'));
    assert_eq!(s.form.last_name.value(), "");
}

#[test]
fn a_paste_with_newlines_is_one_edit_and_never_submits() {
    let mut s = state(80, 24);
    let effects = update(&mut s, Msg::Paste("John\r\nSmith\n".into()));
    assert!(effects.is_empty());
    assert_eq!(s.form.first_name.value(), "John Smith");
    assert_eq!(s.in_flight, None);
    // Even with the button focused, a paste does nothing.
    while s.form.focus != Field::Submit {
        update(&mut s, key(KeyCode::Tab));
    }
    assert!(update(&mut s, Msg::Paste("\n".into())).is_empty());
    assert_eq!(s.in_flight, None);
}

#[test]
fn ctrl_s_on_an_invalid_form_sends_nothing_and_marks_the_field() {
    let mut s = State::new(live_settings(), env(80, 24, false));
    for _ in 0..4 {
        update(&mut s, key(KeyCode::Tab));
    }
    assert_eq!(s.form.focus, Field::Callback);
    update(&mut s, ctrl('u'));
    type_text(&mut s, "http://example.com/cb");
    update(&mut s, key(KeyCode::BackTab));
    update(&mut s, key(KeyCode::BackTab));
    update(&mut s, key(KeyCode::BackTab));
    assert!(update(&mut s, ctrl('s')).is_empty());
    assert_eq!(s.in_flight, None);
    assert_eq!(
        s.form.focus,
        Field::Callback,
        "focus moves to the bad field"
    );
    assert_eq!(
        s.form.error(Field::Callback),
        Some("must be an https:// URL (Veriff rejects others with 1302)")
    );
    let text = screen_text(&render(&s));
    assert!(text.contains("✖ must be an https:// URL"), "{text}");
    // Fixing it clears the error at once, and then the form goes.
    update(&mut s, ctrl('u'));
    type_text(&mut s, "https://example.com/cb");
    assert_eq!(s.form.error(Field::Callback), None);
    submit(&mut s);
    assert!(s.in_flight.is_some());

    // On a loopback sandbox http:// is fine.
    let mut s = state(80, 24);
    for _ in 0..4 {
        update(&mut s, key(KeyCode::Tab));
    }
    type_text(&mut s, "http://127.0.0.1:9/cb");
    submit(&mut s);
}

#[test]
fn typing_in_a_newly_focused_language_field_starts_a_new_search_and_esc_puts_it_back() {
    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.lang.value(), "en");
    type_text(&mut s, "de");
    assert_eq!(
        s.form.lang.value(),
        "de",
        "typing replaces, never appends (`ende`)"
    );
    assert!(s.form.picker.open);
    assert!(!s.form.picker_matches().is_empty());
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(
        s.form.lang.value(),
        "en",
        "Esc puts back the value before the search"
    );
    assert!(!s.form.picker.open);
    // Once the search is over, typing edits the value as in any field.
    update(&mut s, key(KeyCode::End));
    type_text(&mut s, "-GB");
    assert_eq!(s.form.lang.value(), "en-GB");
    // Picking ends the search: Esc afterwards changes nothing.
    update(&mut s, key(KeyCode::Enter));
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.form.lang.value(), "en-GB");
    // A paste into a newly focused field starts a new search too.
    update(&mut s, key(KeyCode::BackTab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, Msg::Paste("pt-BR".into()));
    assert_eq!(s.form.lang.value(), "pt-BR");
}

#[test]
fn bad_language_is_refused_and_unlisted_codes_are_accepted() {
    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "english!");
    // Tab with no match in the list keeps what was typed.
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.lang.value(), "english!");
    assert!(update(&mut s, ctrl('s')).is_empty());
    assert!(s.form.error(Field::Language).is_some());
    assert_eq!(s.form.focus, Field::Language);
    type_text(&mut s, "xx-Yy");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.lang.value(), "xx-Yy");
    submit(&mut s);

    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, ctrl('u'));
    type_text(&mut s, "deut");
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.form.lang.value(), "de");
    assert!(!s.form.picker.open);
    assert_eq!(s.form.focus, Field::Language);
}

#[test]
fn esc_stops_waiting_and_a_late_answer_is_kept_not_shown() {
    let mut s = state(80, 24);
    type_text(&mut s, "Ann");
    let seq = submit(&mut s);
    assert!(s.busy());
    // Keys are still answered while the request runs.
    type_text(&mut s, "e");
    assert_eq!(s.form.first_name.value(), "Anne");
    let effects = update(&mut s, key(KeyCode::Esc));
    // Nothing is aborted: the request may already be at Veriff, and its task keeps the link.
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!s.busy());
    let status = s.status.clone().unwrap().text;
    assert_eq!(
        status,
        "stopped waiting: if Veriff answers, the link will be in Generated tokens"
    );
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    // Not shown as this form's result, but not hidden either.
    assert!(s.outcome.is_none());
    assert!(s.last_url.is_none());
    let status = s.status.clone().unwrap().text;
    assert!(status.contains("created a session after all"), "{status}");
}

#[test]
fn a_failure_keeps_the_form_exactly_as_typed() {
    let mut s = state(80, 24);
    type_text(&mut s, "李小龍");
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "Zoë");
    update(&mut s, key(KeyCode::Left));
    let before = (s.form.to_input(), s.form.focus, s.form.last_name.cursor());
    let seq = submit(&mut s);
    let err = ApiError::ConnectionRefused {
        host: "127.0.0.1:4010".into(),
    };
    assert!(
        update(
            &mut s,
            Msg::Generated {
                seq,
                result: Box::new(Err(Failed::NotCreated(err.clone()))),
            }
        )
        .is_empty()
    );
    assert_eq!(
        (s.form.to_input(), s.form.focus, s.form.last_name.cursor()),
        before
    );
    match &s.outcome {
        Some(Outcome::Failed {
            kind: FailKind::NotCreated,
            message,
            hint,
        }) => {
            assert_eq!(message, &err.to_string());
            assert_eq!(hint, &err.hint());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn success_copies_and_remembers_the_url_of_the_request_as_sent() {
    let mut s = state(80, 24);
    type_text(&mut s, "Ann");
    let effects = update(&mut s, ctrl('s'));
    let (seq, request) = match effects.as_slice() {
        [
            Effect::Generate {
                seq,
                request,
                keep: true,
            },
        ] => (*seq, request.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(request.profile, "sandbox");
    assert!(request.sandbox);
    assert_eq!(request.input.first_name, "Ann");
    // Typing and switching profile while it runs change nothing of the request.
    type_text(&mut s, "ette");
    update(&mut s, ctrl('p'));
    let effects = update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::Copy { what: CopyWhat::GeneratedUrl, text }] if text == URL
    ));
    assert_eq!(s.last_url.as_deref(), Some(URL));
    update(
        &mut s,
        Msg::Copied {
            what: CopyWhat::GeneratedUrl,
            outcome: CopyOutcome::Native,
        },
    );
    let text = screen_text(&render(&s));
    assert!(text.contains("copied to clipboard"), "{text}");
}

#[test]
fn an_unwritable_history_sends_nothing_until_the_operator_agrees() {
    let mut s = state(80, 24);
    type_text(&mut s, "Ann");
    let seq = submit(&mut s);
    fail(
        &mut s,
        seq,
        Failed::HistoryUnwritable {
            why: "the history database /x is locked by another process".into(),
            shared: false,
        },
    );
    let text = screen_text(&render(&s));
    assert!(text.contains("Nothing was sent"), "{text}");
    assert!(
        text.contains("Press y to create the session anyway"),
        "{text}"
    );
    // n: still nothing sent.
    assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
    assert!(s.confirm_unkept.is_none());
    assert_eq!(s.form.first_name.value(), "Ann", "n types nothing");
    // Again, and y: the same request, not kept.
    let seq = submit(&mut s);
    fail(
        &mut s,
        seq,
        Failed::HistoryUnwritable {
            why: "locked".into(),
            shared: false,
        },
    );
    match update(&mut s, key(KeyCode::Char('y'))).as_slice() {
        [
            Effect::Generate {
                request,
                keep: false,
                ..
            },
        ] => {
            assert_eq!(request.input.first_name, "Ann")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.form.first_name.value(), "Ann", "y types nothing");
}

#[test]
fn an_unknown_outcome_says_so_and_never_not_created() {
    let mut s = state(80, 24);
    type_text(&mut s, "Ann");
    let seq = submit(&mut s);
    fail(
        &mut s,
        seq,
        Failed::Unknown {
            error: ApiError::Timeout { secs: 30 },
            recorded: true,
        },
    );
    let text = screen_text(&render(&s));
    assert!(text.contains("Outcome unknown"), "{text}");
    assert!(text.contains("Customer Portal"), "{text}");
    assert!(!text.contains("not created"), "{text}");
}

#[test]
fn q_types_in_fields_and_quits_elsewhere_ctrl_c_always_quits() {
    let mut s = state(80, 24);
    type_text(&mut s, "q?");
    assert_eq!(s.form.first_name.value(), "q?");
    assert!(!s.quit && s.help.is_none());
    update(&mut s, alt('2'));
    assert_eq!(s.screen, Screen::Tokens);
    update(&mut s, key(KeyCode::Char('?')));
    assert!(s.help.is_some());
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.quit);

    let mut s = state(80, 24);
    update(&mut s, ctrl('c'));
    assert!(s.quit);
    let mut s = state(80, 24);
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::F(3), KeyModifiers::NONE)),
    );
    assert_eq!(s.screen, Screen::Dashboard);
}

#[test]
fn filter_results_of_an_older_query_are_dropped() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 40);
    update(&mut s, key(KeyCode::Char('/')));
    let first = type_text(&mut s, "a");
    let second = type_text(&mut s, "b");
    // The newer answer lands first, then the older one: the older must not win.
    answer_loads(&mut s, second, 3);
    answer_loads(&mut s, first.clone(), 30);
    assert_eq!(s.tokens.total, Some(3));
    assert_eq!(s.tokens.rows.len(), 3);
    match first.first() {
        Some(Effect::List(Load::Page { query, .. })) => {
            assert_eq!(query.search.as_deref(), Some("a"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_list_pages_instead_of_loading_everything() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    for e in &effects {
        if let Effect::List(Load::Page { query, .. }) = e {
            assert!(query.limit <= 200, "{query:?}");
        }
    }
    answer_loads(&mut s, effects, 5_000);
    assert!(s.tokens.rows.len() <= 200);
    let mut fetched = Vec::new();
    for _ in 0..300 {
        let effects = update(&mut s, key(KeyCode::Char('j')));
        fetched.extend(effects.iter().filter_map(|e| match e {
            Effect::List(Load::Page { query, .. }) => Some(query.offset),
            _ => None,
        }));
        answer_loads(&mut s, effects, 5_000);
        assert!(
            s.tokens.selected_record().is_some(),
            "row {}",
            s.tokens.selected
        );
    }
    assert_eq!(s.tokens.selected, 300);
    assert!(!fetched.is_empty() && fetched.len() < 20, "{fetched:?}");
    let effects = update(&mut s, key(KeyCode::End));
    answer_loads(&mut s, effects, 5_000);
    assert_eq!(s.tokens.selected, 4_999);
    assert_eq!(
        s.tokens.selected_record().map(|r| r.session_id.clone()),
        Some(record(4_999).session_id)
    );
}

#[test]
fn record_keys_copy_open_and_delete_after_confirmation() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5);
    let effects = update(&mut s, key(KeyCode::Char('i')));
    assert!(matches!(effects.as_slice(),
        [Effect::Copy { what: CopyWhat::SessionId, text }] if text.starts_with("47fd7000")));
    let effects = update(&mut s, key(KeyCode::Char('y')));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Copy {
            what: CopyWhat::Url,
            ..
        }]
    ));
    let effects = update(&mut s, key(KeyCode::Char('o')));
    assert!(matches!(effects.as_slice(), [Effect::OpenUrl(u)] if u == URL));
    assert!(update(&mut s, key(KeyCode::Char('d'))).is_empty());
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
    update(&mut s, key(KeyCode::Char('d')));
    let effects = update(&mut s, key(KeyCode::Char('y')));
    // The selected row: the newest of the five, the last the store numbered.
    assert!(matches!(effects.as_slice(), [Effect::Delete { id: 5 }]));

    // Only http(s) links are opened.
    s.tokens.rows[0].url = "file:///etc/passwd".into();
    assert!(update(&mut s, key(KeyCode::Char('o'))).is_empty());
    assert!(s.status.unwrap().text.contains("only http(s)"));
}

#[test]
fn ctrl_p_cycles_profiles_and_marks_a_live_one() {
    let mut settings = live_settings();
    settings.use_sandbox(
        "http://127.0.0.1:4010",
        veriff_tui::sandbox::SANDBOX_API_KEY,
        veriff_tui::sandbox::SANDBOX_SHARED_SECRET,
    );
    let mut s = State::new(settings, env(80, 24, false));
    assert_eq!(s.form.callback.value(), "");
    assert!(!s.profile_live());
    update(&mut s, ctrl('p'));
    assert_eq!(s.settings.profile_name, "production");
    assert!(s.profile_live() && !s.settings.sandbox);
    // The untouched callback follows the profile.
    assert_eq!(s.form.callback.value(), "https://example.com/veriff/done");
    let text = screen_text(&render(&s));
    assert!(
        text.lines().next().unwrap().contains("production  LIVE"),
        "{text}"
    );
    update(&mut s, ctrl('p'));
    assert_eq!(s.settings.profile_name, "sandbox");
    assert!(s.settings.sandbox && !s.profile_live());
    assert_eq!(s.form.callback.value(), "");

    // Switching while a request runs is safe: the request carries its own profile.
    type_text(&mut s, "Ann");
    let effects = update(&mut s, ctrl('s'));
    update(&mut s, ctrl('p'));
    assert_eq!(s.settings.profile_name, "production");
    match effects.as_slice() {
        [Effect::Generate { request, .. }] => {
            assert_eq!(request.profile, "sandbox");
            assert!(request.sandbox);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_last_url_can_be_copied_again_off_the_text_fields() {
    let mut s = state(80, 24);
    type_text(&mut s, "c");
    assert_eq!(
        s.form.first_name.value(),
        "c",
        "in a text field c is a letter"
    );
    let seq = submit(&mut s);
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    while s.form.focus != Field::Submit {
        update(&mut s, key(KeyCode::Tab));
    }
    let effects = update(&mut s, key(KeyCode::Char('c')));
    assert!(matches!(effects.as_slice(),
        [Effect::Copy { what: CopyWhat::Url, text }] if text == URL));
    let effects = update(&mut s, key(KeyCode::Char('o')));
    assert!(matches!(effects.as_slice(), [Effect::OpenUrl(u)] if u == URL));
}

#[test]
fn a_click_selects_a_row_and_the_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mouse = |kind, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 100);
    update(&mut s, mouse(MouseEventKind::Down(MouseButton::Left), 7));
    assert_eq!(s.tokens.selected, 4);
    // The row drawn there is the one selected.
    let text = screen_text(&render(&s));
    let row7 = text.lines().nth(7).unwrap();
    let id = &s.tokens.selected_record().unwrap().session_id[..8];
    assert!(row7.contains(id), "{row7}");
    update(&mut s, mouse(MouseEventKind::ScrollDown, 7));
    assert_eq!(s.tokens.selected, 7);
    // Clicks on the header or below the last row change nothing.
    update(&mut s, mouse(MouseEventKind::Down(MouseButton::Left), 1));
    assert_eq!(s.tokens.selected, 7);
}

/// The Generated tokens list with `total` records loaded.
fn tokens(total: i64) -> State {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, total);
    s
}

fn refreshed(
    session_id: &str,
    result: Result<Option<veriff_tui::veriff::Decision>, ApiError>,
    record: Option<veriff_tui::history::Record>,
) -> Msg {
    Msg::Refreshed(Box::new(veriff_tui::ops::refresh::Refreshed {
        session_id: session_id.into(),
        result,
        store_error: None,
        record,
    }))
}

#[test]
fn r_refreshes_the_selected_record_and_the_detail_follows() {
    use veriff_tui::veriff::{Decision, SessionStatus};
    let mut s = tokens(5);
    let want = s.tokens.selected_record().unwrap().clone();
    let effects = update(&mut s, key(KeyCode::Char('r')));
    let id = match effects.as_slice() {
        [Effect::RefreshOne { session_id, .. }] => session_id.clone(),
        other => panic!("expected one RefreshOne, got {other:?}"),
    };
    assert_eq!(id, want.session_id);
    assert!(s.busy());
    assert!(s.status.as_ref().unwrap().text.contains("checking"));
    // A second r on the same record while the first runs asks nothing more.
    assert!(update(&mut s, key(KeyCode::Char('r'))).is_empty());

    update(&mut s, key(KeyCode::Enter));
    assert!(s.tokens.detail.is_some());
    let mut after = want.clone();
    after.status = SessionStatus::Declined;
    after.decision_code = Some(9102);
    after.decision_reason = Some("Suspected document tampering".into());
    let decision = Decision {
        status: SessionStatus::Declined,
        code: Some(9102),
        reason: Some("Suspected document tampering".into()),
        ..Decision::default()
    };
    let effects = update(&mut s, refreshed(&id, Ok(Some(decision)), Some(after)));
    assert!(!s.busy());
    let text = &s.status.as_ref().unwrap().text;
    assert!(
        text.contains("John Smith: declined (9102): Suspected document tampering"),
        "{text}"
    );
    assert_eq!(
        s.tokens.detail.as_ref().unwrap().status,
        SessionStatus::Declined
    );
    // The list reloads to show the new status.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );

    // r in the detail view refreshes that record (and asks for its inspection again); a
    // failure is said in plain words.
    let effects = update(&mut s, key(KeyCode::Char('r')));
    assert!(
        matches!(effects.first(), Some(Effect::RefreshOne { .. })),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Inspect { .. })),
        "{effects:?}"
    );
    update(
        &mut s,
        refreshed(&id, Err(ApiError::Timeout { secs: 30 }), Some(want.clone())),
    );
    let status = s.status.as_ref().unwrap();
    assert!(
        status
            .text
            .starts_with("could not check John Smith: the request timed out")
    );
    // No decision yet.
    update(&mut s, key(KeyCode::Char('r')));
    update(&mut s, refreshed(&id, Ok(None), Some(want)));
    assert!(s.status.as_ref().unwrap().text.contains("no decision yet"));
}

#[test]
fn r_on_an_expired_record_asks_nothing() {
    let mut s = tokens(3);
    let mut r = s.tokens.rows[0].clone();
    r.status = veriff_tui::veriff::SessionStatus::Created;
    r.expires_at = s.now - chrono::Duration::minutes(1);
    s.tokens.rows[0] = r;
    assert!(update(&mut s, key(KeyCode::Char('r'))).is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("expired"));
}

#[test]
fn big_r_runs_once_with_progress_and_reloads_when_done() {
    let mut s = tokens(5);
    let effects = update(&mut s, key(KeyCode::Char('R')));
    let run = match effects.as_slice() {
        [Effect::RefreshPending { run, profile, .. }] => {
            assert_eq!(profile, "sandbox");
            *run
        }
        other => panic!("expected one RefreshPending, got {other:?}"),
    };
    // Never two runs at once, whether asked by key or by the auto-refresh.
    assert!(update(&mut s, key(KeyCode::Char('R'))).is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("already running"));
    assert!(update(&mut s, Msg::AutoRefresh).is_empty());

    update(&mut s, progress(run, 0, 12, 0));
    let effects = update(&mut s, progress(run, 3, 12, 1_500));
    // Rows update as answers arrive.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );
    let t = render(&s);
    assert!(
        screen_text(&t).contains("refreshing 3 of 12 · 2/s · 5 s left · Esc stops"),
        "{}",
        screen_text(&t)
    );
    // An answer to an older run changes nothing.
    update(
        &mut s,
        Msg::RefreshDone {
            run: run + 100,
            result: Ok(Default::default()),
        },
    );
    assert!(s.refresh.is_some());
    let summary = veriff_tui::ops::refresh::Summary {
        total: 12,
        decided: 8,
        waiting: 2,
        failed: 2,
        not_saved: 0,
        skipped: 0,
        stopped: false,
    };
    let effects = update(
        &mut s,
        Msg::RefreshDone {
            run,
            result: Ok(summary),
        },
    );
    assert!(s.refresh.is_none());
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );
    let text = &s.status.as_ref().unwrap().text;
    assert!(text.contains("refreshed 12: 8 decided"), "{text}");
    assert!(text.contains("2 failed"), "{text}");
    // Now a new run may start.
    assert!(matches!(
        update(&mut s, key(KeyCode::Char('R'))).as_slice(),
        [Effect::RefreshPending { .. }]
    ));
}

#[test]
fn auto_refresh_is_quiet_and_the_dashboard_reloads_after_it() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('3'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StatusCounts { .. }))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::DashboardData { .. }))
    );
    let run = match update(&mut s, Msg::AutoRefresh).as_slice() {
        [Effect::RefreshPending { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    assert!(!s.busy(), "a quiet run shows no spinner");
    update(&mut s, progress(run, 0, 2, 0));
    assert!(!screen_text(&render(&s)).contains("refreshing"));
    let effects = update(
        &mut s,
        Msg::RefreshDone {
            run,
            result: Ok(veriff_tui::ops::refresh::Summary {
                total: 2,
                decided: 1,
                waiting: 1,
                ..Default::default()
            }),
        },
    );
    assert!(s.status.is_none());
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StatusCounts { .. }))
    );
}

#[test]
fn enter_on_a_latest_decision_opens_its_detail() {
    let mut s = state(80, 24);
    update(&mut s, alt('3'));
    let latest = vec![record(1), record(2), record(3)];
    update(
        &mut s,
        Msg::DashboardData(Ok(veriff_tui::tui::app::DashboardData {
            per_day: Vec::new(),
            latest: latest.clone(),
        })),
    );
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.dashboard.selected, 2);
    update(&mut s, key(KeyCode::Up));
    let effects = update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.screen, Screen::Tokens);
    assert_eq!(s.tokens.detail.as_ref(), Some(&latest[1]));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );
    answer_loads(&mut s, effects, 5);
    assert_eq!(s.tokens.detail.as_ref(), Some(&latest[1]));
    // Esc goes back to the list.
    update(&mut s, key(KeyCode::Esc));
    assert!(s.tokens.detail.is_none());
}

#[test]
fn an_open_detail_view_follows_the_answers_of_big_r() {
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Enter));
    let mut after = s.tokens.detail.clone().unwrap();
    after.status = veriff_tui::veriff::SessionStatus::Approved;
    let run = match update(&mut s, key(KeyCode::Char('R'))).as_slice() {
        [Effect::RefreshPending { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    // Another record's answer leaves the detail alone.
    let mut other = record(3);
    other.status = veriff_tui::veriff::SessionStatus::Declined;
    update(
        &mut s,
        Msg::RefreshProgress {
            run,
            report: report(1, 2, 100),
            records: vec![other],
        },
    );
    assert_eq!(
        s.tokens.detail.as_ref().unwrap().status,
        veriff_tui::veriff::SessionStatus::Created
    );
    update(
        &mut s,
        Msg::RefreshProgress {
            run,
            report: report(2, 2, 200),
            records: vec![after.clone()],
        },
    );
    assert_eq!(s.tokens.detail.as_ref(), Some(&after));
}

#[test]
fn r_on_a_record_of_another_sandbox_asks_nothing() {
    let mut s = tokens(3);
    s.tokens.rows[0].base_url = "http://127.0.0.1:9".into();
    assert!(update(&mut s, key(KeyCode::Char('r'))).is_empty());
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("made by another sandbox (http://127.0.0.1:9), not the one in use")
    );
    // The same address (written with a trailing slash) is asked.
    s.tokens.rows[0].base_url = "http://127.0.0.1:4010/".into();
    assert!(matches!(
        update(&mut s, key(KeyCode::Char('r'))).as_slice(),
        [Effect::RefreshOne { .. }]
    ));
}

#[test]
fn a_record_whose_outcome_is_unknown_has_no_link_to_act_on() {
    use veriff_tui::veriff::SessionStatus;
    let mut s = tokens(3);
    s.tokens.rows[0].status = SessionStatus::Unknown;
    s.tokens.rows[0].url = String::new();
    for k in ['c', 'i', 'o', 'Q'] {
        s.status = None;
        assert!(update(&mut s, key(KeyCode::Char(k))).is_empty(), "{k}");
        let text = s.status.as_ref().unwrap().text.clone();
        assert!(text.contains("no link (outcome unknown)"), "{k}: {text}");
        assert!(s.qr.is_none());
    }
    assert!(update(&mut s, key(KeyCode::Char('r'))).is_empty());
    let text = s.status.as_ref().unwrap().text.clone();
    assert!(text.contains("Customer Portal"), "{text}");
    // The details say so in words, and no URL is drawn.
    update(&mut s, key(KeyCode::Enter));
    let screen = screen_text(&render(&s));
    assert!(
        screen.contains("outcome of this request is unknown"),
        "{screen}"
    );
    assert!(screen.contains("Customer Portal"), "{screen}");
    // Its footer offers nothing that needs a link.
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(
        !footer.contains("copy URL") && !footer.contains("QR"),
        "{footer}"
    );
    assert!(!screen.contains("show QR code"), "{screen}");
}

/// The counts asked for: on their own, or with a first page (the shared history).
fn counts(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::List(Load::Count { cap, .. }) => Some(*cap),
            Effect::List(Load::Page {
                count: Some(cap), ..
            }) => Some(*cap),
            _ => None,
        })
        .collect()
}

/// A list of a shared history (as `State::new` sets it for PostgreSQL) of 5000 records,
/// with "a" typed in its filter; the effects of the keystroke, not yet answered.
fn shared_list_typing_a(width: u16, height: u16) -> (State, Vec<Effect>) {
    let mut s = state(width, height);
    s.tokens.shared = true;
    let effects = update(&mut s, alt('2'));
    answer_loads_seen(&mut s, effects, 5_000);
    update(&mut s, key(KeyCode::Char('/')));
    let effects = type_text(&mut s, "a");
    (s, effects)
}

#[test]
fn a_narrow_list_with_a_filter_keeps_its_count_in_sight_in_short_words() {
    let cap = veriff_tui::history::FIRST_COUNT_CAP_SHARED;
    let (mut s, effects) = shared_list_typing_a(60, 16);
    answer_loads_seen(&mut s, effects, 5_000);
    let text = screen_text(&render(&s));
    let title = text.lines().nth(1).unwrap_or_default();
    assert!(title.contains(&format!("Tokens · all · {cap}+ ")), "{text}");
    // Wide enough, the long words.
    let (mut s, effects) = shared_list_typing_a(120, 40);
    answer_loads_seen(&mut s, effects, 5_000);
    let text = screen_text(&render(&s));
    assert!(
        text.contains(&format!("Generated tokens · everyone's · {cap}+ records")),
        "{text}"
    );
}

#[test]
fn a_search_of_the_shared_history_is_counted_first_to_its_lower_cap() {
    let (mut s, effects) = shared_list_typing_a(120, 40);
    // The first page comes with the count: one walk of the server's index finds both.
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::List(Load::Page { count: Some(_), .. })]
        ),
        "{effects:?}"
    );
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Count { .. }))),
        "{seen:?}"
    );
    let cap = veriff_tui::history::FIRST_COUNT_CAP_SHARED;
    assert!(cap < veriff_tui::history::FIRST_COUNT_CAP);
    assert_eq!(counts(&seen), vec![cap]);
    assert_eq!((s.tokens.total, s.tokens.total_exact), (Some(cap), false));
    let text = screen_text(&render(&s));
    assert!(text.contains(&format!("{cap}+ records")), "{text}");
    // Scrolling near it counts further.
    update(&mut s, key(KeyCode::Enter));
    let mut asked = Vec::new();
    for _ in 0..20 {
        let effects = update(&mut s, key(KeyCode::PageDown));
        asked.extend(counts(&answer_loads_seen(&mut s, effects, 5_000)));
    }
    assert!(s.tokens.selected > cap, "{}", s.tokens.selected);
    assert!(asked.first().is_some_and(|&c| c >= 4 * cap), "{asked:?}");
}

#[test]
fn a_search_shows_its_rows_first_and_counts_no_further_than_needed() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    // No search: the exact count (a kept tally, cheap), after the first page.
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert!(
        matches!(seen.first(), Some(Effect::List(Load::Page { .. }))),
        "{seen:?}"
    );
    assert_eq!(counts(&seen), vec![0]);
    assert_eq!((s.tokens.total, s.tokens.total_exact), (Some(5_000), true));

    update(&mut s, key(KeyCode::Char('/')));
    let effects = type_text(&mut s, "a");
    // The keystroke asks for rows alone, only what the screen shows and a margin; the
    // count waits for them.
    let viewport = s.viewport();
    assert!(
        matches!(effects.as_slice(), [Effect::List(Load::Page { query, .. })]
            if query.limit > viewport && query.limit <= viewport + 30),
        "{effects:?}"
    );
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert_eq!(counts(&seen), vec![veriff_tui::history::FIRST_COUNT_CAP]);
    assert_eq!((s.tokens.total, s.tokens.total_exact), (Some(1000), false));
    let text = screen_text(&render(&s));
    assert!(text.contains("1000+ records"), "{text}");
    assert!(!text.contains("5000"), "{text}");

    // Scrolling towards the capped end counts further, and scrolling goes on past it.
    update(&mut s, key(KeyCode::Enter));
    let mut asked = Vec::new();
    for _ in 0..60 {
        let effects = update(&mut s, key(KeyCode::PageDown));
        asked.extend(counts(&answer_loads_seen(&mut s, effects, 5_000)));
    }
    assert!(s.tokens.selected > 1000, "{}", s.tokens.selected);
    assert!(asked.iter().all(|&c| c >= 4000), "{asked:?}");
    assert!(!asked.is_empty());
    assert!(!s.tokens.total_exact);

    // End needs the exact count, and lands on the last row once it is in.
    let effects = update(&mut s, key(KeyCode::End));
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert_eq!(counts(&seen), vec![0]);
    assert_eq!((s.tokens.total, s.tokens.total_exact), (Some(5_000), true));
    assert_eq!(s.tokens.selected, 4_999);
    assert_eq!(
        s.tokens.selected_record().map(|r| r.session_id.clone()),
        Some(record(4_999).session_id)
    );
    // The last rows are read from the end of the list, not through an offset of 4 900.
    let tails: Vec<(u64, u64)> = seen
        .iter()
        .filter_map(|e| match e {
            Effect::List(Load::Page {
                query,
                from_end: true,
                ..
            }) => Some((query.offset, query.limit)),
            _ => None,
        })
        .collect();
    assert!(
        matches!(tails.as_slice(), [(o, l)] if o + l == 5_000),
        "{seen:?}"
    );
    // Pages away from the end still go by offset.
    let effects = update(&mut s, key(KeyCode::Home));
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert!(
        seen.iter()
            .all(|e| !matches!(e, Effect::List(Load::Page { from_end: true, .. }))),
        "{seen:?}"
    );
    assert_eq!(
        s.tokens.selected_record().map(|r| r.session_id.clone()),
        Some(record(0).session_id)
    );
}

#[test]
fn a_rare_search_is_never_counted_its_page_is_the_whole_answer() {
    let mut s = state(80, 24);
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5_000);
    update(&mut s, key(KeyCode::Char('/')));
    // The vendor data of 11 records: order-123 and order-1230 to 1239.
    let effects = type_text(&mut s, "order-123");
    let seen = answer_loads_seen(&mut s, effects, 5_000);
    assert_eq!(counts(&seen), Vec::<u64>::new(), "{seen:?}");
    assert_eq!((s.tokens.total, s.tokens.total_exact), (Some(11), true));
    let text = screen_text(&render(&s));
    assert!(text.contains("11 records"), "{text}");
}

#[test]
fn a_rebound_key_acts_and_the_default_it_replaced_does_not() {
    let settings = settings_with_keys("[keys]\nrefresh = \"F5\"\ndown = [\"Ctrl+n\", \"Down\"]\n");
    let mut s = State::new(settings, env(80, 24, false));
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5);
    let f5 = Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
    assert!(
        update(&mut s, key(KeyCode::Char('r'))).is_empty(),
        "r is no longer refresh"
    );
    assert!(s.refreshing.is_empty());
    assert!(matches!(
        update(&mut s, f5.clone()).as_slice(),
        [Effect::RefreshOne { .. }]
    ));
    // down: Ctrl+N moves, j (a default left out) does not.
    update(&mut s, ctrl('n'));
    assert_eq!(s.tokens.selected, 1);
    update(&mut s, key(KeyCode::Char('j')));
    assert_eq!(s.tokens.selected, 1);
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.tokens.selected, 2);
    // On the form F5 is still the Approve preset: another context.
    update(&mut s, alt('1'));
    update(&mut s, f5);
    assert_eq!(s.form.first_name.value(), "Approve");
}

#[test]
fn below_the_minimum_size_nothing_but_quit_acts() {
    let mut s = state(59, 16);
    let typed = type_text(&mut s, "Eve");
    assert!(typed.is_empty());
    assert_eq!(
        s.form.first_name.value(),
        "",
        "the hidden form takes no text"
    );
    assert!(update(&mut s, ctrl('s')).is_empty(), "nobody saw the form");
    assert_eq!(s.in_flight, None);
    assert!(update(&mut s, Msg::Paste("Eve".into())).is_empty());
    assert!(update(&mut s, alt('2')).is_empty());
    assert_eq!(s.screen, Screen::Generate);
    update(&mut s, ctrl('g'));
    assert!(s.help.is_none());
    // Resizing works, and then keys act again.
    update(&mut s, Msg::Resize(80, 24));
    type_text(&mut s, "Eve");
    assert_eq!(s.form.first_name.value(), "Eve");
    // Shrunk with a question open: the answer is not taken while the question is hidden.
    update(&mut s, alt('2'));
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Char('d')));
    assert!(s.tokens.confirm_delete.is_some());
    update(&mut s, Msg::Resize(80, 10));
    assert!(update(&mut s, key(KeyCode::Char('y'))).is_empty());
    update(&mut s, Msg::Resize(80, 24));
    assert!(matches!(
        update(&mut s, key(KeyCode::Char('y'))).as_slice(),
        [Effect::Delete { .. }]
    ));
    // q and Ctrl+C quit there.
    let mut s = state(40, 10);
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.quit);
    let mut s = state(40, 10);
    update(&mut s, ctrl('c'));
    assert!(s.quit);
}

#[test]
fn a_question_is_answered_only_while_it_is_shown() {
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Char('d')));
    // Leaving the screen drops the question; y back on the list copies the URL.
    update(&mut s, alt('1'));
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5);
    assert!(s.tokens.confirm_delete.is_none());
    assert!(matches!(
        update(&mut s, key(KeyCode::Char('y'))).as_slice(),
        [Effect::Copy {
            what: CopyWhat::Url,
            ..
        }]
    ));
}

#[test]
fn g_on_a_form_holding_typed_text_asks_before_replacing_it() {
    let mut s = state(80, 24);
    type_text(&mut s, "Half typ");
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5);
    let record = s.tokens.selected_record().unwrap().clone();
    assert!(update(&mut s, key(KeyCode::Char('g'))).is_empty());
    assert_eq!(s.screen, Screen::Tokens, "nothing replaced yet");
    assert_eq!(s.form.first_name.value(), "Half typ");
    let text = screen_text(&render(&s));
    assert!(text.contains("Replace the text in the form?"), "{text}");
    assert!(text.contains("y replace"), "{text}");
    // Other keys do not reach the list behind the question.
    assert!(update(&mut s, key(KeyCode::Char('d'))).is_empty());
    assert!(s.tokens.confirm_delete.is_none());
    // n keeps the form.
    update(&mut s, key(KeyCode::Char('n')));
    assert!(s.tokens.confirm_resend.is_none());
    assert_eq!(s.form.first_name.value(), "Half typ");
    assert_eq!(s.screen, Screen::Tokens);
    // y replaces it.
    update(&mut s, key(KeyCode::Char('g')));
    update(&mut s, key(KeyCode::Char('y')));
    assert_eq!(s.screen, Screen::Generate);
    assert_eq!(s.form.first_name.value(), record.first_name);
    assert_eq!(s.form.last_name.value(), record.last_name);

    // The form now holds exactly that record: g on it again replaces nothing, asks nothing.
    update(&mut s, alt('2'));
    update(&mut s, key(KeyCode::Char('g')));
    assert!(s.tokens.confirm_resend.is_none());
    assert_eq!(s.screen, Screen::Generate);

    // An untouched form (the defaults, the profile's callback) is filled without a question.
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Char('g')));
    assert!(s.tokens.confirm_resend.is_none());
    assert_eq!(s.screen, Screen::Generate);
    assert_eq!(s.form.first_name.value(), record.first_name);

    // Esc answers no as well.
    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Char(' ')));
    assert!(
        !s.form.selfid,
        "SelfID unticked: a change from the defaults"
    );
    let effects = update(&mut s, alt('2'));
    answer_loads(&mut s, effects, 5);
    update(&mut s, key(KeyCode::Char('g')));
    assert!(s.tokens.confirm_resend.is_some());
    update(&mut s, key(KeyCode::Esc));
    assert!(s.tokens.confirm_resend.is_none());
    assert!(!s.form.selfid);
}

/// Generate `seq` ends with `failed`.
fn fail(s: &mut State, seq: u64, failed: Failed) -> Vec<Effect> {
    update(
        s,
        Msg::Generated {
            seq,
            result: Box::new(Err(failed)),
        },
    )
}

#[test]
fn details_opened_on_the_dashboard_go_back_to_the_dashboard() {
    use veriff_tui::tui::app::DashboardData;
    let mut s = state(80, 24);
    update(&mut s, alt('3'));
    s.dashboard.data = Some(DashboardData {
        per_day: Vec::new(),
        latest: vec![record(1)],
    });
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.screen, Screen::Tokens);
    assert!(s.tokens.detail.is_some());
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.screen, Screen::Dashboard, "back where it was opened");
    assert!(s.tokens.detail.is_none());
    // Opened from the list, Esc stays on the list.
    let mut s = tokens(3);
    update(&mut s, key(KeyCode::Enter));
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.screen, Screen::Tokens);
}

#[test]
fn an_empty_list_exports_nothing() {
    let mut s = tokens(0);
    assert!(update(&mut s, key(KeyCode::Char('e'))).is_empty());
    let text = s.status.as_ref().unwrap().text.clone();
    assert!(text.contains("nothing to export"), "{text}");
    assert!(s.export.is_none());
    let mut s = tokens(3);
    assert!(matches!(
        update(&mut s, key(KeyCode::Char('e'))).as_slice(),
        [Effect::Export { .. }]
    ));
}

fn report(done: u64, total: u64, ms: u64) -> Report {
    Report {
        done,
        total,
        elapsed: std::time::Duration::from_millis(ms),
    }
}

/// A report of refresh run `run`, with no record changed.
fn progress(run: u64, done: u64, total: u64, ms: u64) -> Msg {
    Msg::RefreshProgress {
        run,
        report: report(done, total, ms),
        records: Vec::new(),
    }
}

#[test]
fn an_export_shows_done_of_total_and_esc_stops_it() {
    let mut s = tokens(5);
    let run = match update(&mut s, key(KeyCode::Char('e'))).as_slice() {
        [Effect::Export { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    s.size = (100, 30);
    assert!(s.busy(), "the spinner turns while it runs");
    assert!(screen_text(&render(&s)).contains("counting the records to export…"));
    update(
        &mut s,
        Msg::ExportProgress {
            run,
            report: report(123_456, 619_338, 2_572),
        },
    );
    let text = screen_text(&render(&s));
    assert!(
        text.contains("exporting 123,456 of 619,338 · 48,000/s · 11 s left · Esc stops"),
        "{text}"
    );
    assert!(
        text.contains("Esc stop export"),
        "the footer names the key: {text}"
    );
    // A report of an export no longer current changes nothing.
    update(
        &mut s,
        Msg::ExportProgress {
            run: run + 7,
            report: report(1, 2, 0),
        },
    );
    assert_eq!(s.export.as_ref().unwrap().progress.unwrap().done, 123_456);

    // Esc asks the runtime to stop that very export, once.
    assert!(matches!(
        update(&mut s, key(KeyCode::Esc)).as_slice(),
        [Effect::Stop { run: r }] if *r == run
    ));
    assert!(screen_text(&render(&s)).contains("stopping…"));
    assert!(
        !matches!(
            update(&mut s, key(KeyCode::Esc)).as_slice(),
            [Effect::Stop { .. }]
        ),
        "a second Esc does not stop it again"
    );
    update(
        &mut s,
        Msg::Exported {
            run,
            result: Err(DirExportError::Stopped {
                done: 130_000,
                total: 619_338,
            }),
        },
    );
    assert!(s.export.is_none());
    let status = s.status.clone().unwrap();
    assert_eq!(status.level, Level::Info);
    assert_eq!(
        status.text,
        "export stopped after 130,000 of 619,338 records; nothing kept (the partial files were removed)"
    );
    // With nothing running, Esc is what it was: it clears the message.
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.status.is_none());
}

#[test]
fn esc_stops_a_refresh_of_all_and_its_summary_says_how_far_it_got() {
    let mut s = tokens(5);
    let run = match update(&mut s, key(KeyCode::Char('R'))).as_slice() {
        [Effect::RefreshPending { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    update(&mut s, progress(run, 40, 2_000, 1_000));
    // Esc stops it from the dashboard as well: the status line is on every screen.
    update(&mut s, alt('3'));
    assert!(matches!(
        update(&mut s, key(KeyCode::Esc)).as_slice(),
        [Effect::Stop { run: r }] if *r == run
    ));
    update(
        &mut s,
        Msg::RefreshDone {
            run,
            result: Ok(veriff_tui::ops::refresh::Summary {
                total: 2_000,
                decided: 30,
                waiting: 12,
                stopped: true,
                ..Default::default()
            }),
        },
    );
    assert!(s.refresh.is_none());
    let text = &s.status.as_ref().unwrap().text;
    assert!(
        text.starts_with("stopped: refreshed 42 of 2,000: 30 decided"),
        "{text}"
    );
}

#[test]
fn esc_keeps_its_own_meaning_where_it_closes_something() {
    let mut s = tokens(5);
    let run = match update(&mut s, key(KeyCode::Char('e'))).as_slice() {
        [Effect::Export { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    // In the details, Esc goes back to the list; only there does it stop the export.
    update(&mut s, key(KeyCode::Enter));
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.tokens.detail.is_none());
    assert!(!s.export.as_ref().unwrap().stopping);
    // The help overlay closes first.
    update(&mut s, key(KeyCode::Char('?')));
    update(&mut s, key(KeyCode::Esc));
    assert!(s.help.is_none());
    assert!(!s.export.as_ref().unwrap().stopping);
    assert!(matches!(
        update(&mut s, key(KeyCode::Esc)).as_slice(),
        [Effect::Stop { run: r }] if *r == run
    ));
}

#[test]
fn refresh_reports_reload_the_rows_only_when_answers_came() {
    let mut s = tokens(5);
    let run = match update(&mut s, key(KeyCode::Char('R'))).as_slice() {
        [Effect::RefreshPending { run, .. }] => *run,
        other => panic!("{other:?}"),
    };
    // The count alone changes no row.
    assert!(update(&mut s, progress(run, 0, 3_000, 0)).is_empty());
    assert!(
        update(&mut s, progress(run, 0, 3_000, 100)).is_empty(),
        "nothing answered yet"
    );
    assert!(
        update(&mut s, progress(run, 12, 3_000, 200))
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );
}

#[test]
fn a_result_stays_labelled_with_its_own_profile_and_is_previous_after_a_switch() {
    // Two profiles: the sandbox and a live one.
    let mut settings = sandbox_settings();
    let live = live_settings();
    settings.config.profiles.extend(live.config.profiles);
    let mut s = State::new(settings, env(80, 24, false));
    type_text(&mut s, "Ann");
    let seq = match update(&mut s, ctrl('s')).as_slice() {
        [Effect::Generate { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    let text = screen_text(&render(&s));
    assert!(
        text.contains("✔ Session created for Ann · sandbox"),
        "{text}"
    );
    update(&mut s, ctrl('p'));
    assert_eq!(s.settings.profile_name, "production");
    let text = screen_text(&render(&s));
    assert!(!text.contains("Session created"), "{text}");
    assert!(
        text.contains("Previous session, for Ann · sandbox"),
        "{text}"
    );
}

/// The "More fields" section's fields, in form order.
fn extra_fields() -> Vec<Field> {
    ExtraField::ALL.into_iter().map(Field::Extra).collect()
}

/// The effects asking to keep the section's state, as the flag each keeps.
fn saves(effects: &[Effect]) -> Vec<bool> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveUiState(ui) => Some(ui.more_fields),
            _ => None,
        })
        .collect()
}

#[test]
fn more_fields_open_and_close_on_their_row_and_only_shown_fields_take_the_focus() {
    let mut s = state(80, 24);
    assert!(!s.form.more_open, "closed by default");
    for _ in 0..6 {
        update(&mut s, key(KeyCode::Tab));
    }
    assert_eq!(s.form.focus, Field::MoreFields);
    // Closed: Tab, ↓ and Shift+Tab step over the hidden fields.
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.focus, Field::Submit);
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.form.focus, Field::MoreFields);
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.form.focus, Field::Submit);
    update(&mut s, key(KeyCode::Up));
    // A letter on the row is no text: nothing is typed anywhere.
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    // Enter opens it, the focus staying on the row; the choice is kept for the next run.
    assert_eq!(saves(&update(&mut s, key(KeyCode::Enter))), vec![true]);
    assert!(s.form.more_open);
    assert_eq!(s.form.focus, Field::MoreFields);
    let text = screen_text(&render(&s));
    assert!(text.contains("› More fields ▾"), "{text}");
    assert!(text.contains("Enter hide fields"), "{text}");
    // Every field of the section in turn, then the button.
    for f in extra_fields() {
        update(&mut s, key(KeyCode::Tab));
        assert_eq!(s.form.focus, f);
    }
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.form.focus, Field::Submit);
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.form.focus, Field::Extra(ExtraField::Consents));
    for _ in 0..11 {
        update(&mut s, key(KeyCode::Up));
    }
    assert_eq!(s.form.focus, Field::MoreFields);
    // Space closes it; nothing else is saved while it stays as it is.
    assert_eq!(saves(&update(&mut s, key(KeyCode::Char(' ')))), vec![false]);
    assert!(!s.form.more_open);
    assert!(saves(&update(&mut s, key(KeyCode::Tab))).is_empty());
    let text = screen_text(&render(&s));
    assert!(text.contains("  More fields ▸"), "{text}");
    assert!(!text.contains("End-user ID  "), "{text}");
}

#[test]
fn alt_m_goes_to_the_first_extra_field_from_anywhere_and_hides_them_again() {
    let mut s = state(80, 24);
    type_text(&mut s, "Anna");
    assert_eq!(saves(&update(&mut s, alt('m'))), vec![true]);
    assert_eq!(s.form.focus, Field::Extra(ExtraField::EndUserId));
    // Typing goes to the field focused, which is a text field like the others.
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "38001085718");
    assert_eq!(
        s.form
            .input(Field::Extra(ExtraField::IdNumber))
            .unwrap()
            .value(),
        "38001085718"
    );
    assert_eq!(s.form.first_name.value(), "Anna");
    // Hidden with the focus inside: the focus goes to the section's row, on screen.
    assert_eq!(saves(&update(&mut s, alt('m'))), vec![false]);
    assert_eq!(s.form.focus, Field::MoreFields);
    // What it hides is kept, named on its row, and sent.
    let text = screen_text(&render(&s));
    assert!(text.contains("1 filled, sent: ID number"), "{text}");
    let effects = update(&mut s, ctrl('s'));
    match effects.as_slice() {
        [Effect::Generate { request, .. }] => {
            assert_eq!(request.input.extra.id_number, "38001085718")
        }
        other => panic!("expected one Generate, got {other:?}"),
    }
    // From the Language list too: the list closes.
    let mut s = state(80, 24);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "de");
    assert!(s.form.picker.open);
    update(&mut s, alt('m'));
    assert!(!s.form.picker.open);
    assert_eq!(s.form.focus, Field::Extra(ExtraField::EndUserId));
}

#[test]
fn extra_fields_are_checked_inline_and_a_submit_opens_the_section_at_the_first_bad_one() {
    let mut s = state(80, 24);
    update(&mut s, alt('m'));
    let email = Field::Extra(ExtraField::Email);
    while s.form.focus != email {
        update(&mut s, key(KeyCode::Tab));
    }
    type_text(&mut s, "anna@");
    // Leaving the field checks it, with the core's words, under the field.
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(
        s.form.error(email),
        Some("must be an email address (name@example.com)")
    );
    let text = screen_text(&render(&s));
    let line = text
        .lines()
        .skip_while(|l| !l.contains("Email"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        line.starts_with("                 ✖ must be an email address"),
        "{text}"
    );
    // Hidden, the error is still on screen, on the section's row, named.
    update(&mut s, alt('m'));
    let text = screen_text(&render(&s));
    assert!(text.contains("✖ Email: must be an email address"), "{text}");
    // Ctrl+S sends nothing, opens the section and puts the focus in the field.
    update(&mut s, key(KeyCode::BackTab));
    let effects = update(&mut s, ctrl('s'));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Generate { .. })));
    assert_eq!(saves(&effects), vec![true]);
    assert!(s.form.more_open);
    assert_eq!(s.form.focus, email);
    assert_eq!(s.status.as_ref().unwrap().level, Level::Error);
    // Fixed, the error goes at once; values are sent as Veriff spells them.
    update(&mut s, ctrl('u'));
    type_text(&mut s, "anna@example.com");
    assert_eq!(s.form.error(email), None);
    let doc_type = Field::Extra(ExtraField::DocumentType);
    while s.form.focus != doc_type {
        update(&mut s, key(KeyCode::Tab));
    }
    type_text(&mut s, "passport");
    let effects = update(&mut s, ctrl('s'));
    match effects.as_slice() {
        [Effect::Generate { request, .. }] => {
            assert_eq!(request.input.extra.email, "anna@example.com");
            assert_eq!(request.input.extra.document_type, "PASSPORT");
        }
        other => panic!("expected one Generate, got {other:?}"),
    }
    // A date of birth in the future, a gender that is neither: the core's words again.
    let mut s = state(80, 24);
    update(&mut s, alt('m'));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "2999-01-01");
    update(&mut s, key(KeyCode::Tab));
    type_text(&mut s, "X");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(
        s.form.error(Field::Extra(ExtraField::DateOfBirth)),
        Some("must be a date in the past")
    );
    assert_eq!(
        s.form.error(Field::Extra(ExtraField::Gender)),
        Some("must be M or F")
    );
}

#[test]
fn a_paste_into_an_extra_field_is_one_edit_and_never_submits() {
    let mut s = state(80, 24);
    update(&mut s, alt('m'));
    let address = Field::Extra(ExtraField::Address);
    while s.form.focus != address {
        update(&mut s, key(KeyCode::Tab));
    }
    let effects = update(
        &mut s,
        Msg::Paste("Narva mnt 5\r\nTallinn\n\x1b[31m".into()),
    );
    assert!(effects.is_empty());
    assert_eq!(s.in_flight, None);
    assert_eq!(
        s.form.input(address).unwrap().value(),
        "Narva mnt 5 Tallinn"
    );
    // On the section's row (no text field) a paste goes nowhere.
    update(&mut s, alt('m'));
    assert_eq!(s.form.focus, Field::MoreFields);
    assert!(update(&mut s, Msg::Paste("ID_CARD\n".into())).is_empty());
    assert_eq!(s.in_flight, None);
    assert_eq!(
        s.form
            .input(Field::Extra(ExtraField::DocumentType))
            .unwrap()
            .value(),
        ""
    );
}

#[test]
fn a_resend_with_extra_values_fills_them_and_opens_the_section() {
    let mut s = state(80, 24);
    update(&mut s, alt('2'));
    let mut r = record(1);
    r.extra.email = "anna@example.com".into();
    r.extra.document_type = "PASSPORT".into();
    r.extra.consents = vec!["ine".into(), "bipa".into()];
    s.tokens.detail = Some(r);
    let effects = update(&mut s, key(KeyCode::Char('g')));
    assert_eq!(s.screen, Screen::Generate);
    assert!(s.form.more_open);
    assert_eq!(saves(&effects), vec![true]);
    let value = |s: &State, f| s.form.input(Field::Extra(f)).unwrap().value().to_string();
    assert_eq!(value(&s, ExtraField::Email), "anna@example.com");
    assert_eq!(value(&s, ExtraField::DocumentType), "PASSPORT");
    assert_eq!(value(&s, ExtraField::Consents), "ine, bipa");
    // Sent again as it was.
    let effects = update(&mut s, ctrl('s'));
    match effects.as_slice() {
        [Effect::Generate { request, .. }] => {
            assert_eq!(request.input.extra.consents, vec!["ine", "bipa"]);
            assert_eq!(request.input.extra.email, "anna@example.com");
        }
        other => panic!("expected one Generate, got {other:?}"),
    }
    // A record without them leaves the section as it was.
    let mut s = state(80, 24);
    update(&mut s, alt('2'));
    s.tokens.detail = Some(record(2));
    let effects = update(&mut s, key(KeyCode::Char('g')));
    assert!(!s.form.more_open);
    assert!(saves(&effects).is_empty());
}

/// The row of the focused field is on screen, with its marker.
fn assert_focus_shown(s: &State, what: &str) {
    let text = screen_text(&render(s));
    let label = s.form.focus.label();
    let shown = if s.form.focus == Field::Submit {
        text.contains("[ Generate URL ]")
    } else {
        text.lines().any(|l| l.starts_with(&format!("› {label}")))
    };
    assert!(shown, "{what}: {label} is not on screen:\n{text}");
}

#[test]
fn the_focused_field_stays_on_screen_with_the_section_open_in_a_small_window() {
    for (w, h) in [(60, 16), (80, 24), (120, 40)] {
        let mut s = state(w, h);
        update(&mut s, alt('m'));
        // Round the form twice, forwards then back.
        for step in 0..40 {
            update(&mut s, key(KeyCode::Tab));
            assert_focus_shown(&s, &format!("{w}x{h} Tab {step}"));
        }
        for step in 0..40 {
            update(&mut s, key(KeyCode::BackTab));
            assert_focus_shown(&s, &format!("{w}x{h} Shift+Tab {step}"));
        }
    }
    // At the minimum size the form scrolls, and a step back does not move it while the
    // field is still in view; a mark says there is more.
    let mut s = state(60, 16);
    update(&mut s, alt('m'));
    while s.form.focus != Field::Submit {
        update(&mut s, key(KeyCode::Tab));
    }
    let scrolled = s.form.scroll;
    assert!(scrolled > 0);
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.form.scroll, scrolled);
    let text = screen_text(&render(&s));
    assert!(
        text.lines().nth(1).unwrap_or_default().ends_with('↑'),
        "{text}"
    );
    // With a result under the form: the result keeps its rows, the focus is still shown.
    let seq = submit(&mut s);
    update(
        &mut s,
        Msg::Created {
            seq,
            session: Box::new(created()),
        },
    );
    assert_focus_shown(&s, "60x16 with a result");
    let text = screen_text(&render(&s));
    assert!(text.contains("✔ Session created"), "{text}");
    assert!(text.contains("https://alchemy"), "{text}");
    for step in 0..20 {
        update(&mut s, key(KeyCode::Up));
        assert_focus_shown(&s, &format!("60x16 with a result, up {step}"));
        assert!(screen_text(&render(&s)).contains("✔ Session created"));
    }
    // A resize keeps it in view too.
    while s.form.focus != Field::Extra(ExtraField::Consents) {
        update(&mut s, key(KeyCode::Tab));
    }
    let s = resized(resized(s, 120, 40), 60, 16);
    assert_focus_shown(&s, "after a resize");
}

// ---- The details' inspection, the media viewer, `C` ----

/// Enter on the selected row: its details, and the numbered requests for its inspection
/// (the kept one, a fresh one).
fn open_details(s: &mut State) -> u64 {
    let effects = update(s, key(KeyCode::Enter));
    let want = s.tokens.detail.clone().expect("details open");
    let kept = effects.iter().find_map(|e| match e {
        Effect::KeptInspection { seq, record_id } => Some((*seq, *record_id)),
        _ => None,
    });
    let (seq, record_id) = kept.expect("the kept inspection is read at once");
    assert_eq!(record_id, want.id);
    let fresh = effects.iter().find_map(|e| match e {
        Effect::Inspect { seq, record, .. } => Some((*seq, record.id)),
        _ => None,
    });
    assert_eq!(
        fresh,
        Some((seq, want.id)),
        "a fresh one is asked for: {effects:?}"
    );
    seq
}

fn answer(
    r: &veriff_tui::history::Record,
    inspection: Option<veriff_tui::veriff::inspect::Inspection>,
) -> Box<veriff_tui::tui::inspector::Answer> {
    Box::new(veriff_tui::tui::inspector::Answer {
        inspection,
        error: None,
        not_kept: None,
        record: Some(r.clone()),
    })
}

#[test]
fn r_in_the_details_asks_for_the_inspection_again_keeping_the_scroll() {
    let mut s = tokens(5);
    let first = open_details(&mut s);
    s.tokens.detail_scroll = 3;
    let effects = update(&mut s, key(KeyCode::Char('r')));
    let again = effects.iter().find_map(|e| match e {
        Effect::Inspect { seq, .. } => Some(*seq),
        _ => None,
    });
    assert!(
        again.is_some_and(|seq| seq > first),
        "a fresh inspection, numbered anew: {effects:?}"
    );
    assert_eq!(s.tokens.detail_scroll, 3);
    assert!(s.tokens.detail.is_some());
}

#[test]
fn details_show_the_kept_inspection_at_once_then_the_fresh_one() {
    let mut s = tokens(5);
    let seq = open_details(&mut s);
    let r = s.tokens.detail.clone().unwrap();
    let insp = s.inspector.as_ref().unwrap();
    assert!(insp.fetching && insp.shown().is_none());
    let kept = inspection(&r, now() - chrono::Duration::days(1));
    update(
        &mut s,
        Msg::KeptInspection {
            seq,
            result: Ok(Some(Box::new(kept.clone()))),
        },
    );
    assert_eq!(s.inspector.as_ref().unwrap().shown(), Some(&kept));
    let fresh = inspection(&r, now());
    let mut decided = r.clone();
    decided.status = veriff_tui::veriff::SessionStatus::Approved;
    let effects = update(
        &mut s,
        Msg::Inspected {
            seq,
            answer: answer(&decided, Some(fresh.clone())),
        },
    );
    let insp = s.inspector.as_ref().unwrap();
    assert!(!insp.fetching);
    assert_eq!(insp.shown(), Some(&fresh));
    // The decision it stored shows in the details and, reloaded, in the list.
    assert_eq!(s.tokens.detail.as_ref(), Some(&decided));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. })))
    );
    // A kept one arriving late does not replace the fresh one.
    update(
        &mut s,
        Msg::KeptInspection {
            seq,
            result: Ok(Some(Box::new(kept))),
        },
    );
    assert_eq!(s.inspector.as_ref().unwrap().shown(), Some(&fresh));
    // Esc leaves the details; the inspection goes with them.
    update(&mut s, key(KeyCode::Esc));
    assert!(s.tokens.detail.is_none() && s.inspector.is_none());
}

#[test]
fn a_late_inspection_for_details_no_longer_shown_is_dropped() {
    let mut s = tokens(5);
    let first = open_details(&mut s);
    let a = s.tokens.detail.clone().unwrap();
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, key(KeyCode::Down));
    let second = open_details(&mut s);
    assert_ne!(first, second);
    let b = s.tokens.detail.clone().unwrap();
    assert_ne!(a.id, b.id);
    let mut a_after = a.clone();
    a_after.status = veriff_tui::veriff::SessionStatus::Declined;
    update(
        &mut s,
        Msg::Inspected {
            seq: first,
            answer: answer(&a_after, Some(inspection(&a, now()))),
        },
    );
    update(
        &mut s,
        Msg::KeptInspection {
            seq: first,
            result: Ok(Some(Box::new(inspection(&a, now())))),
        },
    );
    let insp = s.inspector.as_ref().unwrap();
    assert_eq!(insp.record_id, b.id);
    assert!(insp.shown().is_none() && insp.fetching, "{insp:?}");
    assert_eq!(s.tokens.detail.as_ref(), Some(&b), "B's details stay B's");
}

#[test]
fn a_failed_part_and_a_failed_fetch_are_kept_apart() {
    use veriff_tui::veriff::inspect::Part;
    let mut s = tokens(3);
    let seq = open_details(&mut s);
    let r = s.tokens.detail.clone().unwrap();
    let mut i = inspection(&r, now());
    i.watchlist_screening =
        Part::Error("Veriff refused it (403): watchlist screening is not enabled".into());
    update(
        &mut s,
        Msg::Inspected {
            seq,
            answer: answer(&r, Some(i)),
        },
    );
    let insp = s.inspector.as_ref().unwrap();
    assert!(insp.fetch_error.is_none());
    assert!(matches!(
        insp.shown().unwrap().watchlist_screening,
        Part::Error(_)
    ));
    assert_eq!(insp.media().len(), 2, "the other parts still came");
    // Nothing could be asked at all: said once, the kept one still shown.
    let seq = {
        update(&mut s, key(KeyCode::Esc));
        open_details(&mut s)
    };
    update(
        &mut s,
        Msg::KeptInspection {
            seq,
            result: Ok(Some(Box::new(inspection(&r, now())))),
        },
    );
    update(
        &mut s,
        Msg::Inspected {
            seq,
            answer: Box::new(veriff_tui::tui::inspector::Answer {
                inspection: None,
                error: Some("could not connect".into()),
                not_kept: None,
                record: None,
            }),
        },
    );
    let insp = s.inspector.as_ref().unwrap();
    assert_eq!(insp.fetch_error.as_deref(), Some("could not connect"));
    assert!(insp.shown().is_some(), "the kept one stays on screen");
}

/// Details of the first record with a fresh inspection holding two media files.
fn inspected() -> (State, u64) {
    let mut s = tokens(3);
    let seq = open_details(&mut s);
    let r = s.tokens.detail.clone().unwrap();
    update(
        &mut s,
        Msg::Inspected {
            seq,
            answer: answer(&r, Some(inspection(&r, now()))),
        },
    );
    (s, seq)
}

fn loaded() -> std::sync::Arc<veriff_tui::tui::inspector::Loaded> {
    let bytes = include_bytes!("../../assets/sandbox-document.png").to_vec();
    std::sync::Arc::new(veriff_tui::tui::inspector::Loaded {
        picture: veriff_tui::tui::inspector::Picture::decode(&bytes),
        file: veriff_tui::veriff::MediaFile {
            bytes,
            content_type: Some("image/png".into()),
        },
    })
}

fn fetch_of(effects: &[Effect]) -> (u64, String) {
    match effects {
        [Effect::FetchMedia { seq, media_id, .. }] => (*seq, media_id.clone()),
        other => panic!("expected one FetchMedia, got {other:?}"),
    }
}

#[test]
fn the_media_viewer_fetches_only_what_is_shown_and_drops_it_on_close() {
    use veriff_tui::keymap::Context;
    use veriff_tui::tui::app::context;
    let (mut s, _) = inspected();
    assert_eq!(context(&s), Context::Detail);
    // Nothing is fetched before it is asked for.
    let (seq, id) = fetch_of(&update(&mut s, key(KeyCode::Char('m'))));
    assert_eq!(id, "a1b2c3d4-front");
    assert_eq!(context(&s), Context::Media);
    let file = loaded();
    update(
        &mut s,
        Msg::MediaFetched {
            seq,
            result: Ok(file.clone()),
        },
    );
    assert!(matches!(s.viewer().unwrap().file, Some(Ok(_))));
    assert_eq!(std::sync::Arc::strong_count(&file), 2);
    // ↓: the next file, fetched then; the first is dropped, and its late answer too.
    let (next, id) = fetch_of(&update(&mut s, key(KeyCode::Down)));
    assert_eq!(id, "a1b2c3d4-face");
    assert_eq!(
        std::sync::Arc::strong_count(&file),
        1,
        "the first file is dropped"
    );
    update(
        &mut s,
        Msg::MediaFetched {
            seq,
            result: Ok(file.clone()),
        },
    );
    assert!(
        s.viewer().unwrap().file.is_none(),
        "a late answer for the first is dropped"
    );
    assert!(
        update(&mut s, key(KeyCode::Down)).is_empty(),
        "no file past the last"
    );
    update(
        &mut s,
        Msg::MediaFetched {
            seq: next,
            result: Ok(file.clone()),
        },
    );
    // Keys act on the viewer only: r, C, d mean nothing here.
    for c in ['r', 'C', 'd', 'g'] {
        assert!(update(&mut s, key(KeyCode::Char(c))).is_empty(), "{c}");
    }
    assert!(s.tokens.confirm_delete.is_none());
    // Esc closes the viewer (its bytes go), then the details.
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(context(&s), Context::Detail);
    assert!(s.viewer().is_none());
    assert_eq!(std::sync::Arc::strong_count(&file), 1);
    // m opens on the file shown last.
    let (_, id) = fetch_of(&update(&mut s, key(KeyCode::Char('m'))));
    assert_eq!(id, "a1b2c3d4-face");
    // Another screen: the file goes; the details stay, without it.
    update(&mut s, alt('1'));
    assert!(s.inspector.as_ref().unwrap().viewer.is_none());
    update(&mut s, alt('2'));
    assert_eq!(context(&s), Context::Detail);
    update(&mut s, key(KeyCode::Esc));
    assert!(s.tokens.detail.is_none() && s.inspector.is_none());
}

#[test]
fn s_saves_the_file_shown_under_a_name_the_operator_gives_never_over_one() {
    use veriff_tui::keymap::Context;
    use veriff_tui::tui::app::context;
    use veriff_tui::tui::inspector::SaveFailure;
    let (mut s, _) = inspected();
    let (seq, _) = fetch_of(&update(&mut s, key(KeyCode::Char('m'))));
    // Nothing to save while it is fetched.
    assert!(update(&mut s, key(KeyCode::Char('s'))).is_empty());
    assert_eq!(context(&s), Context::Media);
    update(
        &mut s,
        Msg::MediaFetched {
            seq,
            result: Ok(loaded()),
        },
    );
    update(&mut s, key(KeyCode::Char('s')));
    assert_eq!(context(&s), Context::SavePath);
    let name = s
        .viewer()
        .unwrap()
        .save
        .as_ref()
        .unwrap()
        .input
        .value()
        .to_string();
    let short: String = s
        .tokens
        .detail
        .as_ref()
        .unwrap()
        .session_id
        .chars()
        .take(8)
        .collect();
    assert_eq!(name, format!("{short}-document-front.png"));
    // q and ? are text here.
    type_text(&mut s, "q?");
    assert!(!s.quit);
    let effects = update(&mut s, key(KeyCode::Enter));
    let path = match effects.as_slice() {
        [Effect::SaveMedia { path, file, .. }] => {
            assert_eq!(file.file.bytes.len(), loaded().file.bytes.len());
            path.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(path, format!("{name}q?"));
    update(
        &mut s,
        Msg::MediaSaved {
            seq,
            path: path.clone(),
            result: Err(SaveFailure {
                exists: true,
                message: "File exists (os error 17)".into(),
            }),
        },
    );
    let prompt = s.viewer().unwrap().save.as_ref().unwrap();
    assert!(
        prompt
            .error
            .as_deref()
            .unwrap()
            .contains("never written over"),
        "{prompt:?}"
    );
    assert!(!prompt.saving);
    update(&mut s, key(KeyCode::Backspace));
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(matches!(effects.as_slice(), [Effect::SaveMedia { .. }]));
    update(
        &mut s,
        Msg::MediaSaved {
            seq,
            path: "x.png".into(),
            result: Ok(1234),
        },
    );
    assert_eq!(context(&s), Context::Media);
    let status = s.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Success);
    assert!(
        status
            .text
            .contains("saved 1 KB to x.png (readable by you only)"),
        "{}",
        status.text
    );
    // Esc in the prompt cancels it, and only it.
    update(&mut s, key(KeyCode::Char('s')));
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(context(&s), Context::Media);
}

#[test]
fn big_c_copies_the_request_as_curl_without_the_api_key() {
    let mut s = tokens(3);
    let check = |effects: Vec<Effect>| match effects.as_slice() {
        [
            Effect::Copy {
                what: CopyWhat::Curl,
                text,
            },
        ] => {
            assert!(text.starts_with("curl "), "{text}");
            assert!(
                text.contains("-H \"X-AUTH-CLIENT: $VERIFF_API_KEY\" -H"),
                "{text}"
            );
            // One line: a copy turns line breaks into spaces, and `\ ` breaks a command.
            assert!(!text.contains('\n') && !text.contains('\\'), "{text}");
            assert!(
                !text.contains(veriff_tui::sandbox::SANDBOX_API_KEY),
                "{text}"
            );
            assert!(
                !text.contains(veriff_tui::sandbox::SANDBOX_SHARED_SECRET),
                "{text}"
            );
            text.clone()
        }
        other => panic!("{other:?}"),
    };
    // From the list and from the details, the same record's request.
    let in_list = check(update(&mut s, key(KeyCode::Char('C'))));
    open_details(&mut s);
    let in_details = check(update(&mut s, key(KeyCode::Char('C'))));
    assert_eq!(in_list, in_details);
    update(
        &mut s,
        Msg::Copied {
            what: CopyWhat::Curl,
            outcome: CopyOutcome::Native,
        },
    );
    let text = &s.status.as_ref().unwrap().text;
    assert!(
        text.contains("curl command") && text.contains("$VERIFF_API_KEY"),
        "{text}"
    );
    assert!(text.contains("copied to clipboard"), "{text}");
}

#[test]
fn where_the_terminal_draws_pictures_the_shown_one_is_encoded_for_its_area() {
    use veriff_tui::tui::graphics::{Graphics, Protocol, encode};
    let (mut s, _) = inspected();
    let g = Graphics {
        protocol: Protocol::Kitty,
        cell: (10, 20),
    };
    s.graphics = Some(g);
    let (seq, _) = fetch_of(&update(&mut s, key(KeyCode::Char('m'))));
    let file = loaded();
    let area = |effects: &[Effect]| match effects {
        [Effect::EncodeMedia { seq: e, area, .. }] => {
            assert_eq!(*e, seq);
            *area
        }
        other => panic!("{other:?}"),
    };
    // 80x24: the body less the viewer's title and info rows.
    let first = area(&update(
        &mut s,
        Msg::MediaFetched {
            seq,
            result: Ok(file.clone()),
        },
    ));
    assert_eq!(first, (80, 19));
    let picture = file.picture.as_ref().unwrap();
    let encoded = |a| encode(picture, g, a, 9).unwrap();
    // A resize asks again; the encoding for the old size, arriving late, is not kept.
    let second = area(&update(&mut s, Msg::Resize(100, 30)));
    assert_eq!(second, (100, 25));
    update(
        &mut s,
        Msg::MediaEncoded {
            seq,
            result: Ok(encoded(first)),
        },
    );
    assert!(s.viewer().unwrap().encoded.is_none());
    update(
        &mut s,
        Msg::MediaEncoded {
            seq,
            result: Ok(encoded(second)),
        },
    );
    assert_eq!(s.viewer().unwrap().encoded.as_ref().unwrap().area, second);
    // Drawn as the terminal's picture (kitty's placeholders), not in half-blocks.
    let text = screen_text(&render(&s));
    assert!(text.contains('\u{10EEEE}') && !text.contains('▀'), "{text}");
    // Resized back and forth to the same size: nothing to encode again.
    assert!(update(&mut s, Msg::Resize(100, 30)).is_empty());
}

#[test]
fn details_of_a_record_whose_outcome_is_unknown_ask_nothing() {
    let mut s = tokens(3);
    let mut r = s.tokens.rows[0].clone();
    r.status = veriff_tui::veriff::SessionStatus::Unknown;
    s.tokens.rows[0] = r;
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(s.tokens.detail.is_some());
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::KeptInspection { .. } | Effect::Inspect { .. })),
        "{effects:?}"
    );
    assert!(s.inspector.is_none());
    assert!(update(&mut s, key(KeyCode::Char('m'))).is_empty());
}

fn changed(
    record: veriff_tui::history::Record,
    status_before: Option<&str>,
) -> veriff_tui::history::Changed {
    veriff_tui::history::Changed {
        record,
        status_before: status_before.map(str::to_string),
    }
}

fn history_changed(changes: veriff_tui::history::Changes) -> Msg {
    Msg::HistoryChanged(Box::new(changes))
}

#[test]
fn the_details_of_a_link_that_waited_close_once_it_is_on_the_shared_history() {
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Enter));
    // As the list shows a link made while the server could not be reached: its local id,
    // negated.
    let mut waiting = s.tokens.detail.clone().expect("details open");
    waiting.id = -waiting.id;
    s.tokens.detail = Some(waiting);
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            sent_from_outbox: 1,
            overflow: true,
            ..Default::default()
        }),
    );
    assert!(s.tokens.detail.is_none());
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. }))),
        "{effects:?}"
    );
    let text = screen_text(&render(&s));
    assert!(text.contains("the shared history is back"), "{text}");
    // Details of a record of the server stay open.
    update(&mut s, key(KeyCode::Enter));
    let shown = s.tokens.detail.clone();
    assert!(shown.is_some());
    update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            sent_from_outbox: 1,
            overflow: true,
            ..Default::default()
        }),
    );
    assert_eq!(s.tokens.detail, shown);
}

#[test]
fn a_decision_another_process_stored_shows_in_the_details_list_and_status_line() {
    use veriff_tui::veriff::SessionStatus;
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Enter));
    let shown = s.tokens.detail.clone().expect("details open");
    let mut after = shown.clone();
    after.status = SessionStatus::Declined;
    after.decision_code = Some(9102);
    after.decision_reason = Some("Suspected document tampering".into());
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            records: vec![changed(after, Some(shown.status.as_str()))],
            ..Default::default()
        }),
    );
    assert_eq!(
        s.tokens.detail.as_ref().unwrap().status,
        SessionStatus::Declined
    );
    let text = &s.status.as_ref().unwrap().text;
    assert!(
        text.contains("John Smith: declined (9102): Suspected document tampering"),
        "{text}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::List(Load::Page { .. }))),
        "the list reloads: {effects:?}"
    );
}

#[test]
fn writes_that_move_no_status_or_touch_another_profile_say_nothing() {
    let mut s = tokens(5);
    let status_before = s.status.clone();
    let r = record(2);
    let same = r.status.as_str().to_string();
    // A check's time: the list reloads, the status line stays.
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            records: vec![changed(r.clone(), Some(&same))],
            ..Default::default()
        }),
    );
    assert_eq!(s.status, status_before);
    assert!(!effects.is_empty());
    // Another profile's new record: nothing shown here changed.
    let mut theirs = record(3);
    theirs.profile = "live-shop".into();
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            records: vec![changed(theirs, None)],
            ..Default::default()
        }),
    );
    assert_eq!(s.status, status_before);
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn many_changes_at_once_reload_the_dashboard_and_name_the_newest() {
    use veriff_tui::veriff::SessionStatus;
    let mut s = state(80, 24);
    update(&mut s, alt('3'));
    let mut a = record(0);
    a.status = SessionStatus::Approved;
    let mut b = record(1);
    b.first_name = "অমিত".into();
    b.last_name = "দাস".into();
    b.status = SessionStatus::Approved;
    b.decision_code = Some(9001);
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            records: vec![changed(a, Some("created")), changed(b, Some("submitted"))],
            ..Default::default()
        }),
    );
    let text = &s.status.as_ref().unwrap().text;
    assert!(
        text.contains("অমিত দাস: approved (9001) · 1 more changed"),
        "{text}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StatusCounts { .. })),
        "{effects:?}"
    );
    // Too many to name: everything shown reloads, without a word.
    let before = s.status.clone();
    let effects = update(
        &mut s,
        history_changed(veriff_tui::history::Changes {
            overflow: true,
            ..Default::default()
        }),
    );
    assert_eq!(s.status, before);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::DashboardData { .. })),
        "{effects:?}"
    );
}

#[test]
fn batch_name_in_the_filter_shows_that_batch_and_searches_the_rest() {
    let mut s = tokens(5);
    update(&mut s, key(KeyCode::Char('/')));
    let effects = type_text(&mut s, "batch:people.csv anna");
    let query = effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::List(Load::Page { query, .. }) => Some(query.clone()),
            _ => None,
        })
        .expect("a page asked for");
    assert_eq!(query.batch.as_deref(), Some("people.csv"));
    assert_eq!(query.search.as_deref(), Some("anna"));
}

/// The list loads among `effects`, as whether each asks for only the operator's records.
fn mine_of(effects: &[Effect]) -> Vec<bool> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::List(Load::Page { query, .. } | Load::Count { query, .. }) => Some(query.mine),
            _ => None,
        })
        .collect()
}

/// A State on a shared history (the URL is never connected to here).
fn shared_state(w: u16, h: u16) -> State {
    let mut settings = sandbox_settings();
    settings.config.history.url = Some("postgres://anna@db.example.com/veriff".into());
    State::new(settings, env(w, h, false))
}

#[test]
fn m_shows_only_my_records_on_a_shared_history_then_everyones_and_is_kept() {
    let mut s = shared_state(120, 24);
    let effects = update(&mut s, alt('2'));
    assert_eq!(mine_of(&effects), vec![false]);
    let seen = answer_loads_seen(&mut s, effects, 120);
    // Everyone's: the kept tally counts them exactly.
    assert_eq!(counts(&seen), vec![0]);
    let text = screen_text(&render(&s));
    assert!(
        text.contains("Generated tokens · everyone's · 120 records"),
        "{text}"
    );
    assert!(text.contains("m mine"), "{text}");

    // The key is the table's: a rebound one would act and show instead.
    let effects = update(&mut s, key(KeyCode::Char('m')));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveUiState(ui) if ui.mine && !ui.more_fields)),
        "{effects:?}"
    );
    assert_eq!(mine_of(&effects), vec![true]);
    let seen = answer_loads_seen(&mut s, effects, 120);
    assert!(mine_of(&seen).iter().all(|&m| m), "{seen:?}");
    // One operator's records are counted row by row: capped, as a search is.
    assert_eq!(
        counts(&seen),
        vec![veriff_tui::history::FIRST_COUNT_CAP_SHARED]
    );
    assert_eq!(s.tokens.selected, 0);
    let text = screen_text(&render(&s));
    assert!(
        text.contains("Generated tokens · mine · 120 records"),
        "{text}"
    );
    assert!(
        text.contains("only the records you made (m: everyone's)"),
        "{text}"
    );
    assert!(text.contains("m everyone's"), "{text}");
    // A filter and an export read the same records as the list shows.
    update(&mut s, key(KeyCode::Char('/')));
    let effects = type_text(&mut s, "smith");
    assert_eq!(mine_of(&effects), vec![true; 5]);
    answer_loads(&mut s, effects, 120);
    update(&mut s, key(KeyCode::Enter));
    let export = update(&mut s, key(KeyCode::Char('e')));
    assert!(
        matches!(export.as_slice(), [Effect::Export { query, .. }] if query.mine),
        "{export:?}"
    );

    let effects = update(&mut s, key(KeyCode::Char('m')));
    assert_eq!(mine_of(&effects), vec![false]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveUiState(ui) if !ui.mine)),
        "{effects:?}"
    );
    answer_loads(&mut s, effects, 120);
    let text = screen_text(&render(&s));
    assert!(text.contains("Generated tokens · everyone's"), "{text}");
}

#[test]
fn the_choice_of_the_last_run_is_where_the_list_starts() {
    let mut s = shared_state(120, 24);
    s.restore(veriff_tui::tui::ui_state::UiState {
        more_fields: false,
        mine: true,
    });
    let effects = update(&mut s, alt('2'));
    assert_eq!(mine_of(&effects), vec![true]);
    // Nothing changed, so nothing is written back.
    assert!(!effects.iter().any(|e| matches!(e, Effect::SaveUiState(_))));
    answer_loads(&mut s, effects, 0);
    let text = screen_text(&render(&s));
    assert!(
        text.contains("Generated tokens · mine · 0 records"),
        "{text}"
    );
    assert!(
        text.contains("None of the records here are yours yet: m shows everyone's."),
        "{text}"
    );
}

#[test]
fn m_on_a_local_history_says_every_record_is_yours_and_changes_nothing() {
    let mut s = tokens(5);
    // Chosen on a shared history in an earlier run: kept for the next, not applied here.
    s.tokens.mine = true;
    let effects = update(&mut s, key(KeyCode::Char('m')));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(s.tokens.mine);
    let status = s
        .status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("a local file: every record in it is yours"),
        "{status}"
    );
    let effects = update(&mut s, key(KeyCode::Char('j')));
    assert!(mine_of(&effects).iter().all(|&m| !m), "{effects:?}");
    let text = screen_text(&render(&s));
    assert!(text.contains("Generated tokens · 5 records"), "{text}");
    assert!(
        !text.contains("everyone's") && !text.contains("m mine"),
        "{text}"
    );
}
