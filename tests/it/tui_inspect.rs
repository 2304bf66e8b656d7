//! The details' inspection and media viewer, end to end: the real binary in a
//! pseudo-terminal against the in-process sandbox, from a generated session to a media
//! file drawn in half-blocks and saved 0600.

use crate::support::Tui;

#[test]
fn details_inspect_the_session_show_its_media_and_save_it_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "XDG_CONFIG_HOME",
            dir.path().join("cfg").display().to_string(),
        ),
        (
            "VERIFF_TUI_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn(&["--sandbox"], &env, 120, 40);
    tui.wait_for("Generate general session");
    // "Approve" is decided at once: the session has attempts and media.
    tui.type_text("Approve");
    tui.send("\t");
    tui.type_text("Tamm");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("Session created");
    tui.send("\x1b2"); // Alt+2
    tui.wait_until("its row in the list", |s| {
        s.contains("1 record") && s.contains("Approve Tamm")
    });
    tui.send("\r");
    tui.wait_for("Session details");
    tui.send("\x1b[F"); // End: the inspection is under the fields
    let screen = tui.wait_for("Inspection · fetched");
    let screen = if screen.contains("Watchlist") {
        screen
    } else {
        tui.send("\x1b[F");
        tui.wait_for("Watchlist")
    };
    for section in ["Decision", "Person", "Attempts", "Media", "Watchlist"] {
        assert!(
            screen.contains(&format!("  {section}")),
            "{section}:\n{screen}"
        );
    }
    assert!(screen.contains("document-front · image/png"), "{screen}");

    tui.send("m");
    tui.wait_for("Media 1 of");
    // Drawn: half-blocks in a terminal without graphics (and in tmux).
    // (The whole frame: its footer comes last; the details' QR code had half-blocks too.)
    tui.wait_until("the picture in half-blocks", |s| {
        s.contains('▀') && s.contains("s save") && !s.contains("Fetching")
    });

    let target = dir.path().join("front.png");
    tui.send("s");
    tui.wait_for("Save to:");
    tui.send("\x15"); // Ctrl+U: the default name goes
    tui.type_text(&target.display().to_string());
    tui.send("\r");
    tui.wait_for("(readable by you only)");
    let bytes = std::fs::read(&target).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // Never over an existing file: it asks for another name.
    tui.send("s");
    tui.wait_for("Save to:");
    tui.send("\x15");
    tui.type_text(&target.display().to_string());
    tui.send("\r");
    tui.wait_for("never written over");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    tui.send("\x1b"); // Esc: the prompt
    tui.wait_gone("Save to:");
    std::thread::sleep(std::time::Duration::from_millis(100));
    tui.send("\x1b"); // Esc: the viewer
    tui.wait_for("Inspection · fetched");
    std::thread::sleep(std::time::Duration::from_millis(100));
    tui.send("\x1b"); // Esc: the details
    tui.wait_gone("Session details");
    tui.send("\x03");
    assert_eq!(tui.wait_exit(), 0);
}

/// In a terminal with the kitty graphics protocol (and its size in pixels), the picture is
/// sent as a kitty image, placed with its placeholders, not drawn in half-blocks.
#[test]
fn a_kitty_terminal_gets_the_picture_as_a_kitty_image() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "XDG_CONFIG_HOME",
            dir.path().join("cfg").display().to_string(),
        ),
        (
            "VERIFF_TUI_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        ("KITTY_WINDOW_ID", "1".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tui = Tui::spawn_with_pixels(&["--sandbox"], &env, (100, 30), (1000, 600));
    tui.wait_for("Generate general session");
    tui.type_text("Approve");
    tui.send("\x13");
    tui.wait_for("Session created");
    tui.send("\x1b2");
    tui.wait_until("its row in the list", |s| s.contains("1 record"));
    tui.send("\r");
    tui.wait_for("Session details");
    tui.send("\x1b[F");
    tui.wait_for("Inspection · fetched");
    tui.send("m");
    tui.wait_for("Media 1 of");
    // The image goes to the terminal once (a=T, as a virtual placement: U=1), and the
    // cells hold kitty's placeholder character.
    let raw = tui.wait_raw("a kitty image", b"\x1b_Gq=2,");
    assert!(crate::support::contains(&raw, b",a=T,U=1,f=32,"));
    let placeholder = "\u{10EEEE}".as_bytes();
    let raw = tui.wait_raw("kitty's placeholders", placeholder);
    assert_eq!(
        raw.windows(5).filter(|w| *w == b",a=T,").count(),
        1,
        "sent once (in chunks)"
    );
    let screen = tui.wait_until("the whole frame", |s| s.contains("s save"));
    assert!(
        !screen.contains('▀'),
        "no half-blocks once the image came:\n{screen}"
    );
    tui.send("\x1b");
    tui.wait_for("Inspection · fetched");
    tui.send("\x03");
}
