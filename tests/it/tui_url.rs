//! Getting the URL out of the app, with the real binary: into tmux's buffer inside a real
//! tmux server, on one line of the normal screen (`u`), and as an OSC 8 hyperlink.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support;
use support::{BIN, DEADLINE, Tui, contains};

fn env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("XDG_CONFIG_HOME", dir.join("cfg").display().to_string()),
        (
            "VERIFF_TUI_DATA_DIR",
            dir.join("data").display().to_string(),
        ),
    ]
}

fn spawn(dir: &Path, extra: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
    let env = env(dir);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    Tui::spawn(&["--sandbox"], &env, cols, rows)
}

/// Generates a session and returns its URL, read from the screen (whole on its lines).
fn generate(tui: &Tui) -> String {
    tui.wait_for("Generate general session");
    tui.type_text("Ann");
    tui.wait_for("Ann");
    tui.send("\x13"); // Ctrl+S
    let screen = tui.wait_until("the URL and the copy's outcome", |s| {
        // The copy's outcome is said on the status line once the copy is done.
        // A frame may be read half drawn: wait for the URL's first row above the id line.
        let url_then_id = s
            .find("http://127.0.0.1:")
            .is_some_and(|i| s[i..].contains("Session ID"));
        s.contains("Session created") && url_then_id && s.contains("OSC 52")
    });
    url_on(&screen)
}

/// The URL drawn on `screen`: its rows from `http://` to the `Session ID` line, joined.
fn url_on(screen: &str) -> String {
    let start = screen
        .find("http://127.0.0.1:")
        .expect("a sandbox URL on screen");
    let rest = &screen[start..];
    let end = rest.find("Session ID").expect("the Session ID line");
    rest[..end].split_whitespace().collect()
}

#[test]
fn u_prints_the_url_as_one_line_on_the_normal_screen_and_any_key_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let tui = spawn(dir.path(), &[], 80, 24);
    let url = generate(&tui);
    assert!(url.len() > 80, "a URL longer than a row: {url}");
    let before = tui.raw().len();
    tui.send("\x1bu"); // Alt+U: the focus is in a text field
    tui.wait_for("Press any key to return to veriff-tui.");
    let raw = tui.raw();
    let out = &raw[before..];
    let leave = out
        .windows(8)
        .position(|w| w == b"\x1b[?1049l")
        .expect("left the alternate screen");
    // One contiguous string: the terminal wraps it softly and a selection copies one line.
    let mut line = b"\r\n".to_vec();
    line.extend_from_slice(url.as_bytes());
    line.extend_from_slice(b"\r\n");
    assert!(
        contains(&out[leave..], &line),
        "{:?}",
        String::from_utf8_lossy(out)
    );
    let shown = tui.raw().len();

    // Any key comes back, redrawn whole, and is not typed into the form.
    tui.send("x");
    tui.wait_until("the TUI back", |s| {
        s.contains("Generate general session") && s.contains("Session created")
    });
    let raw = tui.raw();
    assert!(contains(&raw[shown..], b"\x1b[?1049h"));
    let screen = tui.screen();
    assert!(
        screen.contains("Ann") && !screen.contains("Annx"),
        "{screen}"
    );
    assert_eq!(url_on(&screen), url);
}

#[test]
fn where_the_terminal_shows_links_the_url_is_one_with_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let plain = spawn(dir.path(), &[("VERIFF_TUI_HYPERLINKS", "0")], 80, 24);
    let url = generate(&plain);
    assert!(
        !contains(&plain.raw(), b"\x1b]8;;"),
        "no link where not asked"
    );
    drop(plain);

    let tui = spawn(dir.path(), &[("VERIFF_TUI_HYPERLINKS", "1")], 80, 24);
    let linked = generate(&tui);
    // Each row of the URL is a link to the whole URL.
    let raw = tui.raw();
    let open = format!("\x1b]8;;{linked}\x07");
    let rows = raw
        .windows(open.len())
        .filter(|w| *w == open.as_bytes())
        .count();
    assert!(rows >= 2, "{rows} linked rows");
    // The visible text is unchanged: the URL whole on its rows, the next line in place.
    let screen = tui.screen();
    assert_eq!(url_on(&screen), linked);
    let row = screen
        .lines()
        .position(|l| l.starts_with("http://127.0.0.1:"))
        .unwrap();
    let url_rows = linked.len().div_ceil(80);
    assert!(
        screen
            .lines()
            .nth(row + url_rows)
            .unwrap()
            .starts_with("Session ID"),
        "{screen}"
    );
    assert!(url.starts_with("http://127.0.0.1:"));

    // The help drawn over it is drawn whole; closed, the URL is back.
    tui.send("\x07"); // Ctrl+G
    tui.wait_for("Everywhere");
    tui.send("\x1b");
    // A frame may be read half drawn: wait for the URL's rows above the id line again.
    let screen = tui.wait_until("the help closed and the URL back", |s| {
        !s.contains("Everywhere")
            && s.find("http://127.0.0.1:")
                .is_some_and(|i| s[i..].contains("Session ID"))
    });
    assert_eq!(url_on(&screen), linked);
}

/// A tmux server of its own (its own socket, no config file), killed when dropped.
struct TmuxServer {
    socket: String,
}

impl TmuxServer {
    fn start(command: &str, cols: u16, rows: u16) -> TmuxServer {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "this test needs tmux (.ci/run installs it): {found:?}"
        );
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let server = TmuxServer {
            socket: format!("veriff-tui-test-{}-{nanos}", std::process::id()),
        };
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let status = server
            .tmux()
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "t"])
            .args(["-x", &cols, "-y", &rows, command])
            .status()
            .expect("start tmux");
        assert!(status.success());
        server
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        // The test may itself run inside tmux: this server is the one on our socket.
        cmd.env_remove("TMUX");
        cmd
    }

    fn out(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.out(&["capture-pane", "-p", "-t", "t"])
    }

    fn send(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what}; the pane was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

#[test]
fn inside_tmux_ctrl_s_puts_the_url_in_tmuxs_buffer_and_says_only_that() {
    let dir = tempfile::tempdir().unwrap();
    let vars: String = env(dir.path())
        .iter()
        .map(|(k, v)| format!("{k}={v} "))
        .collect();
    // tmux's defaults (`set-clipboard external`): an OSC 52 from the app reaches nothing.
    // No display: the copy is tmux's alone, whatever desktop the test runs on.
    let server = TmuxServer::start(
        &format!("env -u DISPLAY -u WAYLAND_DISPLAY {vars}{BIN} --sandbox"),
        120,
        40,
    );
    server.wait_until("the app", |s| s.contains("Generate general session"));
    server.send(&["Ann"]);
    server.wait_until("the name typed", |s| s.contains("Ann"));
    server.send(&["C-s"]);
    let screen = server.wait_until("the copy's outcome", |s| {
        // The copy's outcome is said on the status line once the copy is done.
        s.contains("Session created") && s.contains("Session ID") && s.contains("tmux buffer")
    });
    let url = url_on(&screen);
    assert_eq!(server.out(&["show-buffer"]), url);
    let said: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        said.contains("in tmux buffer (paste with prefix ])"),
        "{screen}"
    );
    assert!(
        !said.contains("OSC 52)") && !said.contains("copied to"),
        "{screen}"
    );

    // `c` copies again, into a new buffer, and the status line says so.
    server.send(&["Tab", "Tab", "Tab"]); // off the text fields, where c copies
    let _ = server.tmux().args(["delete-buffer"]).status();
    server.send(&["c"]);
    server.wait_until("the copy's status", |s| s.contains("URL: in tmux buffer"));
    assert_eq!(server.out(&["show-buffer"]), url);
}
