//! The terminal is always given back: after a panic, SIGTERM and SIGHUP the screen, cursor,
//! paste mode and line discipline are as they were; any window size is drawn without a panic.

use crate::support;

use support::Tui;

fn spawn(dir: &std::path::Path, extra: &[(&str, &str)]) -> Tui {
    let data = dir.join("data").display().to_string();
    let cfg = dir.join("none.toml").display().to_string();
    let mut env: Vec<(&str, &str)> = vec![
        ("VERIFF_TUI_DATA_DIR", data.as_str()),
        ("VERIFF_TUI_CONFIG", cfg.as_str()),
    ];
    env.extend_from_slice(extra);
    Tui::spawn(&["--sandbox"], &env, 100, 30)
}

/// Everything a broken terminal would show: the alternate screen still on, the cursor
/// hidden, bracketed paste on, raw mode (no canonical input, no echo) left behind.
fn assert_restored(tui: &Tui) {
    let raw = tui.raw();
    assert!(
        support::contains(&raw, b"\x1b[?1049h"),
        "the app never entered the alternate screen"
    );
    tui.with_screen(|s| {
        assert!(!s.alternate_screen(), "alternate screen still on");
        assert!(!s.hide_cursor(), "cursor still hidden");
        assert!(!s.bracketed_paste(), "bracketed paste still on");
    });
    let stty = tui.stty();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            stty.split_whitespace().any(|w| w == flag),
            "terminal left without {flag}: {stty}"
        );
    }
}

#[test]
fn a_panic_restores_the_terminal_and_says_where_details_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path(), &[("VERIFF_TUI_TEST_PANIC", "1")]);
    let code = tui.wait_exit();
    let screen = tui.screen();
    // The exit of a panic, not an abort (a second panic while unwinding).
    assert_eq!(code, 101, "{screen}");
    assert_restored(&tui);
    assert!(
        screen.contains("panic requested by VERIFF_TUI_TEST_PANIC"),
        "{screen}"
    );
    assert!(!screen.contains("aborting"), "{screen}");
    // The details: the log has the panic and where it happened.
    let log = std::fs::read_to_string(dir.path().join("data").join("veriff-tui.log")).unwrap();
    assert!(
        log.contains("panic: panicked at") && log.contains("VERIFF_TUI_TEST_PANIC"),
        "{log}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path(), &[]);
    tui.wait_for("Generate URL");
    let pid = tui.pid().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    tui.wait_exit();
    assert_restored(&tui);
}

#[test]
fn sighup_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path(), &[]);
    tui.wait_for("Generate URL");
    let pid = tui.pid().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    tui.wait_exit();
    assert_restored(&tui);
}

#[test]
fn rapid_resizes_from_tiny_to_huge_never_break_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path(), &[]);
    tui.wait_for("Generate URL");
    for (cols, rows) in [
        (1, 1),
        (400, 200),
        (2, 50),
        (300, 3),
        (59, 15),
        (400, 200),
        (1, 1),
        (61, 17),
        (80, 24),
    ] {
        tui.resize(cols, rows);
    }
    tui.resize(100, 30);
    // Keys typed before the app has seen the last resize are dropped (below the minimum size
    // only quitting acts): type again, into a cleared field, until the text shows.
    let start = std::time::Instant::now();
    'typed: loop {
        tui.send("\x15"); // Ctrl+U
        tui.type_text("Still");
        let tried = std::time::Instant::now();
        while tried.elapsed() < std::time::Duration::from_millis(500) {
            if tui.screen().contains("› First name     Still") {
                break 'typed;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "typing never reached the form; the screen was:\n{}",
            tui.screen()
        );
    }
    tui.resize(1, 1);
    tui.resize(100, 30);
    tui.wait_for("Generate URL");
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);
    assert_restored(&tui);
}

#[test]
fn hostile_strings_from_the_history_are_shown_inert() {
    use veriff_tui::history::{NewRecord, Store};
    use veriff_tui::veriff::{CreatedSession, SessionInput};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data").join("history.sqlite3")).unwrap();
    let now = chrono::Utc::now();
    let input = SessionInput {
        first_name: "Mal\x1b]52;c;SGFja2Vk\x07lory".into(),
        last_name: "Wipe\x1b[2JOut".into(),
        lang: "en".into(),
        selfid: true,
        callback: String::new(),
        vendor_data: "v\x1b[31mred".into(),
        extra: Default::default(),
    };
    let session = CreatedSession {
        id: "0badc0de-0000-4000-8000-000000000001".into(),
        url: "https://alchemy.veriff.com/v/token\x1b]0;title\x07".into(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: None,
        created_at: now,
        expires_at: now + chrono::Duration::days(7),
    };
    store
        .insert(&NewRecord {
            profile: "sandbox",
            base_url: "http://127.0.0.1:1",
            sandbox: true,
            input: &input,
            session: &session,
        })
        .unwrap();
    drop(store);

    let mut tui = spawn(dir.path(), &[]);
    tui.wait_for("Generate URL");
    let before = tui.raw().len();
    tui.send("\x1b2"); // Alt+2
    // A frame can arrive in several reads: wait for all of it, not its first line.
    tui.wait_until("the row, its sequences inert", |s| {
        s.contains("]52;c;SGFja2Vk") && s.contains("Wipe[2JOut")
    });
    tui.send("\r");
    tui.wait_until("the details, their sequences inert", |s| {
        s.contains("Session details") && s.contains("v[31mred") && s.contains("token]0;title")
    });
    let raw = tui.raw();
    let shown = &raw[before..];
    for needle in [&b"\x1b]52;c;SGFja2Vk"[..], b"\x1b[31mred", b"\x1b]0;title"] {
        assert!(
            !support::contains(shown, needle),
            "{needle:?} reached the terminal"
        );
    }
    tui.send("\x03");
    tui.wait_exit();
    assert_restored(&tui);
}

/// The parameters of every SGR sequence (`ESC [ … m`) in `raw`, split at `;`.
fn sgr_params(raw: &[u8]) -> Vec<Vec<u16>> {
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b[")
        .skip(1)
        .filter_map(|seq| {
            let end = seq.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (seq[end..].starts_with('m')).then(|| {
                seq[..end]
                    .split(';')
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
        })
        .collect()
}

/// A colour is set: foreground or background, basic, bright or extended (39/49, the
/// defaults, set none).
fn sets_colour(params: &[u16]) -> bool {
    params
        .iter()
        .any(|&n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
}

/// 256-colour numbers 16 and up: shades an 8/16-colour terminal does not have.
fn extended_colour(params: &[u16]) -> bool {
    params
        .windows(3)
        .any(|w| matches!(w[0], 38 | 48) && w[1] == 5 && w[2] >= 16)
}

#[test]
fn terminals_without_colour_get_none_and_eight_colour_ones_no_256_colour_shades() {
    let dir = tempfile::tempdir().unwrap();
    for term in ["vt100", "xterm-mono"] {
        let mut tui = spawn(dir.path(), &[("TERM", term)]);
        tui.wait_for("Generate general session");
        tui.send("\x03");
        tui.wait_exit();
        let sgr = sgr_params(&tui.raw());
        assert!(
            !sgr.is_empty(),
            "TERM={term}: bold and reverse are still used"
        );
        let coloured: Vec<_> = sgr.iter().filter(|p| sets_colour(p)).collect();
        assert!(
            coloured.is_empty(),
            "TERM={term}: colours sent: {coloured:?}"
        );
    }
    let mut tui = spawn(dir.path(), &[("TERM", "xterm")]);
    tui.wait_for("Generate general session");
    tui.send("\x03");
    tui.wait_exit();
    let sgr = sgr_params(&tui.raw());
    assert!(sgr.iter().any(|p| sets_colour(p)), "TERM=xterm has colours");
    let extended: Vec<_> = sgr.iter().filter(|p| extended_colour(p)).collect();
    assert!(
        extended.is_empty(),
        "TERM=xterm: 256-colour shades sent: {extended:?}"
    );
}

#[test]
fn a_dumb_terminal_is_told_to_use_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path(), &[("TERM", "dumb")]);
    tui.wait_for("TERM=dumb cannot draw screens");
    assert_ne!(tui.wait_exit(), 0);
    assert!(!support::contains(&tui.raw(), b"\x1b[?1049h"));
}
