//! A smoke test of the real binary in a pseudo-terminal against the in-process sandbox:
//! the whole Generate → history journey once, with the OSC 52 copy checked byte for byte.

use crate::support;

use base64::Engine;
use support::{Tui, contains};

fn env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("XDG_CONFIG_HOME", dir.join("cfg").display().to_string()),
        (
            "VERIFF_TUI_DATA_DIR",
            dir.join("data").display().to_string(),
        ),
    ]
}

fn spawn(dir: &std::path::Path) -> Tui {
    let env = env(dir);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Tui::spawn(&["--sandbox"], &env, 80, 24)
}

/// The text of the OSC 52 sequence in `raw`, decoded.
fn osc52_text(raw: &[u8]) -> String {
    let start = raw
        .windows(7)
        .position(|w| w == b"\x1b]52;c;")
        .expect("an OSC 52 sequence")
        + 7;
    let len = raw[start..]
        .iter()
        .position(|b| *b == 0x07)
        .expect("OSC 52 ends with BEL");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..start + len])
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn generate_copy_restart_find_filter_detail() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path());
    tui.wait_for("Generate general session");
    // The terminal's own cursor sits in the focused field, after the text by display width.
    tui.type_text("李小龍");
    tui.wait_for("李小龍");
    let cursor = tui.with_screen(|s| (s.cursor_position(), s.hide_cursor()));
    assert_eq!(cursor, ((2, 17 + 6), false));
    tui.send("\t");
    tui.type_text("Zoë");
    // A paste with a newline lands in the field and does not submit.
    tui.paste("-Smith\n");
    tui.wait_for("Zoë-Smith");
    assert!(!tui.screen().contains("Session created"));
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("Session created");
    let raw = tui.wait_raw("the OSC 52 copy", b"\x1b]52;c;");
    let url = osc52_text(&raw);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let screen = tui.wait_for("sent as OSC 52; check your clipboard");
    // The URL is on screen whole (its lines hold nothing else).
    assert!(screen.replace('\n', "").contains(&url), "{screen}");

    tui.send("\x03"); // Ctrl+C
    assert_eq!(tui.wait_exit(), 0);
    // Printed after the terminal was restored: the last bytes carry the URL.
    let raw = tui.raw();
    let leave = raw
        .windows(8)
        .rposition(|w| w == b"\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(contains(&raw[leave..], url.as_bytes()));
    // ... and that the link died with the app's own sandbox.
    assert!(
        contains(&raw[leave..], b"which stops when the app ends"),
        "{}",
        String::from_utf8_lossy(&raw[leave..])
    );

    let tui = spawn(dir.path());
    tui.wait_for("Generate general session");
    // Off the text fields there is no text cursor, and ? opens the help.
    tui.send("\t\t\t");
    tui.wait_until("the cursor hidden", |_| {
        tui.with_screen(|s| s.hide_cursor())
    });
    tui.send("?");
    tui.wait_for("Everywhere");
    tui.send("\x1b");
    tui.wait_gone("Everywhere");
    tui.send("\x1b2"); // Alt+2
    tui.wait_for("1 record");
    tui.wait_for("李小龍 Zoë-Smith");
    tui.send("/");
    tui.type_text("zoë-sm");
    tui.wait_for("/ zoë-sm");
    tui.send("\r");
    tui.send("\r");
    // A frame can arrive in several reads: wait for the URL, not the title alone.
    tui.wait_until("the details with the URL whole", |s| {
        s.contains("Session details") && s.replace('\n', "").contains(&url)
    });
}

#[test]
fn resize_too_small_and_back_then_sighup_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut tui = spawn(dir.path());
    tui.wait_for("Generate general session");
    tui.type_text("Ann");
    // On screen before the resize: keys still unread when the window turns too small are
    // not for the form, and a loaded machine can leave them unread that long.
    tui.wait_for("Ann");
    tui.resize(50, 12);
    tui.wait_for("window too small: need 60x16");
    tui.resize(100, 30);
    tui.wait_for("Generate general session");
    tui.wait_for("Ann");
    let pid = tui.pid().expect("pid") as i32;
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tui.wait_exit();
    let raw = tui.raw();
    // The alternate screen was left, bracketed paste switched off, the cursor shown.
    let tail = &raw[raw.len().saturating_sub(200)..];
    for seq in [&b"\x1b[?1049l"[..], b"\x1b[?2004l", b"\x1b[?25h"] {
        assert!(
            contains(tail, seq),
            "{:?} missing at the end",
            String::from_utf8_lossy(seq)
        );
    }
}
