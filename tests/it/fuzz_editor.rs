//! Property test of the form editor: any sequence of keys and pastes leaves every field's
//! cursor inside its text, the terminal cursor inside the window, and never submits on a
//! paste.

use crate::support::tui_state as tui_support;

use proptest::prelude::*;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::{render, state};
use veriff_tui::tui::app::{Effect, update};
use veriff_tui::tui::form::Field;
use veriff_tui::tui::message::Msg;

fn op() -> impl Strategy<Value = Msg> {
    let text = prop_oneof![
        Just('a'),
        Just('Z'),
        Just('李'),
        Just('龍'),
        Just('e'),
        Just('\u{308}'), // combining diaeresis
        Just('👍'),
        Just('👩'),
        Just('\u{200d}'), // zero-width joiner
        Just(' '),
        Just('-'),
    ];
    let keys = prop_oneof![
        Just(KeyCode::Left),
        Just(KeyCode::Right),
        Just(KeyCode::Home),
        Just(KeyCode::End),
        Just(KeyCode::Backspace),
        Just(KeyCode::Delete),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
    ];
    let mods = prop_oneof![
        Just(KeyModifiers::NONE),
        Just(KeyModifiers::CONTROL),
        Just(KeyModifiers::ALT),
        Just(KeyModifiers::SHIFT),
    ];
    prop_oneof![
        4 => text.prop_map(|c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))),
        3 => (keys, mods).prop_map(|(k, m)| Msg::Key(KeyEvent::new(k, m))),
        1 => prop_oneof![Just('w'), Just('u')]
            .prop_map(|c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))),
        // More fields: shown or hidden from anywhere, or on its row.
        1 => prop_oneof![
            Just(KeyEvent::new(KeyCode::Char('m'), KeyModifiers::ALT)),
            Just(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)),
        ]
        .prop_map(Msg::Key),
        1 => "[a-z李👍\n\r\t\u{1b} ]{0,12}".prop_map(Msg::Paste),
        1 => (1u16..=160, 1u16..=50).prop_map(|(w, h)| Msg::Resize(w, h)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn edits_keep_cursors_valid(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s = state(80, 24);
        for msg in ops {
            let paste = matches!(msg, Msg::Paste(_));
            let effects = update(&mut s, msg);
            if paste {
                prop_assert!(
                    !effects.iter().any(|e| matches!(e, Effect::Generate { .. })),
                    "a paste submitted the form"
                );
            }
            for f in Field::ALL.into_iter().filter(|f| f.is_text()) {
                let input = s.form.input(f).unwrap();
                prop_assert!(input.cursor() <= input.value().chars().count());
                prop_assert!(!input.value().chars().any(char::is_control));
            }
            // The focus is on a field on screen: never in a closed section.
            prop_assert!(s.form.visible(s.form.focus), "focus on hidden {:?}", s.form.focus);
            let mut t = render(&s);
            let (w, h) = s.size;
            let pos = t.get_cursor_position().unwrap();
            prop_assert!(pos.x < w.max(1) && pos.y < h.max(1), "cursor {pos:?} outside {w}x{h}");
            // In a window the form is drawn in, the focused field's row is in view.
            let text = tui_support::screen_text(&t);
            let label = s.form.focus.label();
            let drawn = w < veriff_tui::tui::view::MIN_WIDTH
                || h < veriff_tui::tui::view::MIN_HEIGHT
                || s.form.focus == Field::Submit
                || text.lines().any(|l| l.starts_with(&format!("› {label}")));
            prop_assert!(drawn, "{label} is not on screen at {w}x{h}:\n{text}");
        }
    }
}
