//! Names in every script, drawn by the real binary inside a real tmux (its own server and
//! socket, default settings), read back with `capture-pane`: borders and columns land at the
//! same column on every row, nothing is lost or left behind. tmux lays text out per code
//! point by glibc's `wcwidth`; the screen is measured here the same way, through libc
//! (an independent measure, not the app's own width function). tmux must be installed
//! (.ci/run installs it): without it these tests fail, they do not pass unseen.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::support::{BIN, SandboxEnv};

/// (first name, last name): the preset first names make the sandbox decide, so these
/// reach the Dashboard's latest decisions.
const NAMES: &[(&str, &str)] = &[
    ("Approve", "हिन्दी"),
    ("Decline", "বাংলা"),
    ("Resubmit", "ภาษาไทย"),
    ("বাংলা", "দাস"),
    ("李", "小龍"),
    ("محمد", "علي"),
    ("ភាសា", "ខ្មែរ"),
    ("မြန်", "မာ"),
    ("👩\u{200D}💻", "Dev"),
    ("👍🏽", "Thumb"),
    ("🇩🇪", "Flag"),
    ("Zoe\u{0308}", "Rene\u{0301}e"),
    ("Ada", "Lovelace"),
];

unsafe extern "C" {
    fn wcwidth(c: libc::wchar_t) -> libc::c_int;
}

/// Cells of one code point as tmux counts them: glibc's `wcwidth` in C.UTF-8.
fn glibc_width(c: char) -> usize {
    static LOCALE: std::sync::Once = std::sync::Once::new();
    LOCALE.call_once(|| {
        // SAFETY: a static NUL-terminated string; called once, before any wcwidth.
        let set = unsafe { libc::setlocale(libc::LC_CTYPE, c"C.UTF-8".as_ptr()) };
        assert!(!set.is_null(), "the C.UTF-8 locale is missing");
    });
    // SAFETY: wcwidth reads nothing but its argument.
    let w = unsafe { wcwidth(c as libc::wchar_t) };
    usize::try_from(w).unwrap_or(0)
}

/// The column where each character of a captured line starts, as tmux laid it out:
/// wcwidth per code point, with tmux's one extra rule that a code point after a zero-width
/// joiner joins its cell.
fn columns(line: &str) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut col = 0;
    let mut prev = ' ';
    for c in line.chars() {
        out.push((col, c));
        if prev != '\u{200D}' {
            col += glibc_width(c);
        }
        prev = c;
    }
    out
}

fn line_width(line: &str) -> usize {
    let mut col = 0;
    let mut prev = ' ';
    for c in line.chars() {
        if prev != '\u{200D}' {
            col += glibc_width(c);
        }
        prev = c;
    }
    col
}

fn cols_of(line: &str, wanted: &[char]) -> Vec<usize> {
    columns(line)
        .into_iter()
        .filter(|(_, c)| wanted.contains(c))
        .map(|(col, _)| col)
        .collect()
}

/// The column of `needle` in `line`, as tmux laid it out.
fn col_of(line: &str, needle: &str) -> Option<usize> {
    let at = line.find(needle)?;
    Some(line_width(&line[..at]))
}

/// The name as the app draws it in a terminal that measures per code point: the zero-width
/// joiner left out (tmux would fold the code point after it into the cell before).
fn drawn(first: &str, last: &str) -> String {
    format!("{first} {last}").replace('\u{200D}', "")
}

static SOCKETS: AtomicU32 = AtomicU32::new(0);

/// A tmux server of our own, running the app in one window.
struct Tmux {
    socket: String,
    size: (u16, u16),
}

impl Tmux {
    fn start(env: &SandboxEnv, cols: u16, rows: u16) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is needed for the tui_scripts tests and was not found: install it \
             (apt-get install tmux; .ci/run does)"
        );
        let socket = format!(
            "veriff-tui-test-{}-{}",
            std::process::id(),
            SOCKETS.fetch_add(1, Ordering::SeqCst)
        );
        let t = Tmux {
            socket,
            size: (cols, rows),
        };
        let mut cmd = vec!["env".to_string()];
        for (k, v) in env.vars() {
            cmd.push(format!("{k}={v}"));
        }
        cmd.push(BIN.to_string());
        let (c, r) = (cols.to_string(), rows.to_string());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            c.as_str(),
            "-y",
            r.as_str(),
        ];
        args.extend(cmd.iter().map(String::as_str));
        let out = t.tmux(&args);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        t.wait("the app's first frame", |s| s.contains("Generate"));
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "app"];
        args.extend(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
    }

    fn text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", "app", "-l", text]);
        assert!(out.status.success(), "send-keys -l {text}: {out:?}");
    }

    fn capture(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", "app"]);
        assert!(out.status.success(), "capture-pane: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn cursor_x(&self) -> usize {
        let out = self.tmux(&["display-message", "-p", "-t", "app", "#{cursor_x}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("cursor_x")
    }

    /// Waits for the app to end (its window, and with it the server, goes).
    fn wait_gone(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if !self.tmux(&["has-session", "-t", "app"]).status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(60));
        }
        panic!("the app did not quit:\n{}", self.capture());
    }

    /// The screen once `pred` holds, and stays so for one more capture (a frame may be
    /// half written when first seen).
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = String::new();
        while Instant::now() < deadline {
            let s = self.capture();
            if pred(&s) && s == last {
                return s;
            }
            last = s;
            std::thread::sleep(Duration::from_millis(60));
        }
        panic!(
            "timed out waiting for {what} at {}x{}; the screen:\n{last}",
            self.size.0, self.size.1
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// A sandbox with every name generated through the CLI, and the preset ones decided.
fn seeded() -> SandboxEnv {
    let env = SandboxEnv::new();
    for (first, last) in NAMES {
        let (code, _, err) = env.run(&["generate", "--first-name", first, "--last-name", last]);
        assert_eq!(code, 0, "generate {first} {last}: {err}");
    }
    let (code, _, err) = env.run(&["decision", "--pending"]);
    assert_eq!(code, 0, "decision --pending: {err}");
    env
}

/// Every line fits the window, and every vertical border stands under a corner of a box
/// drawn on the same screen (a border pushed right or left by a name stands under none).
fn assert_boxes_aligned(screen: &str, width: u16, what: &str) {
    let mut corners = Vec::new();
    for line in screen.lines() {
        corners.extend(cols_of(line, &['┌', '┐', '└', '┘']));
        let w = line_width(line);
        assert!(
            w <= usize::from(width),
            "{what}: a line {w} columns wide in a {width}-column window:\n{line}\n{screen}"
        );
    }
    for line in screen.lines() {
        for col in cols_of(line, &['│']) {
            assert!(
                corners.contains(&col),
                "{what}: a border at column {col}, under no corner ({corners:?}):\n{line}\n{screen}"
            );
        }
    }
}

/// Every row holding `after` (a column's text, the same on each data row) has it at the
/// same column: the names before it took the room the terminal gave them. Returns how many.
fn assert_rows_aligned(screen: &str, after: &str, what: &str) -> usize {
    let at: Vec<(usize, &str)> = screen
        .lines()
        .filter_map(|l| col_of(l, after).map(|c| (c, l)))
        .collect();
    assert!(!at.is_empty(), "{what}: no row with `{after}`:\n{screen}");
    let first = at[0].0;
    for (col, line) in &at {
        assert_eq!(
            *col, first,
            "{what}: `{after}` at column {col}, not {first}:\n{line}\n{screen}"
        );
    }
    at.len()
}

/// Every name is on screen whole.
fn assert_names_whole(screen: &str, what: &str) {
    for (first, last) in NAMES {
        let name = drawn(first, last);
        assert!(
            screen.contains(&name),
            "{what}: `{name}` is not whole:\n{screen}"
        );
    }
}

fn sizes() -> [(u16, u16); 3] {
    [(120, 40), (80, 24), (60, 16)]
}

#[test]
fn the_list_and_its_selection_keep_every_name_whole_and_columns_aligned() {
    let env = seeded();
    for (w, h) in sizes() {
        let t = Tmux::start(&env, w, h);
        t.keys(&["F2"]);
        let screen = t.wait("the list", |s| s.contains("Ada"));
        let rows = assert_rows_aligned(&screen, " en ", &format!("list {w}x{h}"));
        let shown = usize::from(h).saturating_sub(6).min(NAMES.len());
        assert!(rows >= shown, "{rows} rows, {shown} expected:\n{screen}");
        if w >= 100 {
            assert_names_whole(&screen, &format!("list {w}x{h}"));
        }
        // The selection walks every row: each frame keeps the columns aligned.
        for step in 0..NAMES.len() {
            t.keys(&["Down"]);
            let screen = t.wait("the selection to move", |s| s.contains(" en "));
            assert_rows_aligned(&screen, " en ", &format!("list {w}x{h}, row {step}"));
            if w >= 100 {
                assert_names_whole(&screen, &format!("list {w}x{h}, row {step}"));
            }
        }
    }
}

#[test]
fn details_and_dashboard_keep_borders_in_place() {
    let env = seeded();
    for (w, h) in sizes() {
        let t = Tmux::start(&env, w, h);
        t.keys(&["F3"]);
        // Below 24 rows the counts take the room of the latest decisions.
        let screen = if h >= 24 {
            t.wait("the latest decisions", |s| s.contains("Approve"))
        } else {
            t.wait("the dashboard", |s| s.contains("By status"))
        };
        assert_boxes_aligned(&screen, w, &format!("dashboard {w}x{h}"));
        // Moving the selection over the decisions redraws their rows.
        for _ in 0..3 {
            t.keys(&["Down"]);
            let screen = t.wait("the dashboard", |s| s.contains("Dashboard"));
            assert_boxes_aligned(&screen, w, &format!("dashboard {w}x{h}"));
        }
        // Details of a Bengali name: its title rule spans the window exactly.
        t.keys(&["F2"]);
        t.wait("the list", |s| s.contains(" en "));
        t.keys(&["/"]);
        t.text("দাস");
        t.keys(&["Enter"]);
        t.wait("the filtered list", |s| !s.contains("Ada"));
        t.keys(&["Enter"]);
        let screen = t.wait("the details", |s| s.contains("Session details"));
        let rule = screen
            .lines()
            .find(|l| l.contains("Session details"))
            .unwrap_or_default();
        assert!(rule.contains("বাংলা দাস"), "{screen}");
        assert_eq!(
            line_width(rule),
            usize::from(w),
            "details {w}x{h}: the title rule:\n{rule}\n{screen}"
        );
        let first = screen
            .lines()
            .find(|l| l.contains("First name"))
            .unwrap_or_default();
        // Whole, and followed by blank columns (a QR code may stand further right).
        let value = first
            .split("First name")
            .nth(1)
            .unwrap_or_default()
            .trim_start();
        assert!(
            value.trim_end() == "বাংলা" || value.starts_with("বাংলা "),
            "{screen}"
        );
        assert_boxes_aligned(&screen, w, &format!("details {w}x{h}"));
    }
}

#[test]
fn the_language_picker_draws_bengali_whole_and_leaves_nothing_behind() {
    let env = seeded();
    for (w, h) in sizes() {
        let t = Tmux::start(&env, w, h);
        // Tab to the Language field (the picker opens under it).
        t.keys(&["Tab", "Tab"]);
        let before = t.wait("the Language field", |s| s.contains("› Language"));
        t.keys(&["C-u"]);
        t.text("Bengali");
        let screen = t.wait("the picker", |s| s.contains("Bengali ·"));
        let row = screen
            .lines()
            .find(|l| l.contains("Bengali ·"))
            .unwrap_or_default();
        // The one match is the selected row: whole, its border where the corners are.
        assert!(row.contains("bn      Bengali · বাংলা "), "{screen}");
        assert_boxes_aligned(&screen, w, &format!("picker {w}x{h}"));
        let bars = cols_of(row, &['│']);
        assert_eq!(bars.len(), 2, "{row}");
        // Every row of a fuller list too (Hindi and Thai among them).
        t.keys(&["C-u"]);
        t.text("i");
        // The list's corner, not its title's " of ": the form says "Date of birth".
        let screen = t.wait("the picker", |s| s.contains("Hindi") || s.contains('┌'));
        assert_boxes_aligned(&screen, w, &format!("picker {w}x{h}"));
        // Closed again with the field as it was: the screen is as before, to the cell.
        t.keys(&["C-u"]);
        t.text("en");
        t.keys(&["Escape"]);
        let after = t.wait("the picker to close", |s| !s.contains('┌'));
        assert_eq!(before, after, "picker {w}x{h}: the screen changed");
    }
}

#[test]
fn names_typed_in_the_form_put_the_cursor_after_them() {
    let env = SandboxEnv::new();
    let t = Tmux::start(&env, 80, 24);
    let start = t.cursor_x();
    for (first, last) in NAMES {
        t.keys(&["C-u"]);
        let typed = format!("{first} {last}");
        t.text(&typed);
        let want = drawn(first, last);
        let screen = t.wait("the name in the field", |s| s.contains(&want));
        let line = screen
            .lines()
            .find(|l| l.contains("First name"))
            .unwrap_or_default();
        assert_eq!(
            col_of(line, &want),
            Some(start),
            "{typed}: the field starts elsewhere:\n{screen}"
        );
        assert_eq!(
            t.cursor_x(),
            start + line_width(&want),
            "{typed}: the cursor is not after the name:\n{screen}"
        );
    }
}

#[test]
fn the_history_table_lines_up_for_every_script() {
    let env = seeded();
    let (code, out, err) = env.run(&["history"]);
    assert_eq!(code, 0, "{err}");
    let mut at = Vec::new();
    for line in out.lines().skip(1) {
        // The STATUS column: the first word after the name column.
        let col = ["created", "approved", "declined", "resubmission"]
            .iter()
            .filter_map(|w| col_of(line, w))
            .min()
            .unwrap_or_else(|| panic!("no status in {line}\n{out}"));
        at.push((col, line));
    }
    assert_eq!(at.len(), NAMES.len(), "{out}");
    let header = col_of(out.lines().next().unwrap_or_default(), "STATUS");
    for (col, line) in &at {
        assert_eq!(Some(*col), header, "{line}\n{out}");
    }
}

/// A terminal that clusters graphemes gets mode 2027 turned on, and off again on quitting;
/// kitty's TERM is enough to choose it, tmux around it is enough to keep it off.
#[test]
fn grapheme_clustering_is_turned_on_for_kitty_and_off_again() {
    use crate::support::{Tui, contains};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let cfg = dir.path().join("cfg").display().to_string();
    let base = [
        ("VERIFF_TUI_DATA_DIR", data.as_str()),
        ("XDG_CONFIG_HOME", cfg.as_str()),
    ];
    let mut env = base.to_vec();
    env.push(("TERM", "xterm-kitty"));
    let mut tui = Tui::spawn(&["--sandbox"], &env, 80, 24);
    tui.wait_for("Generate URL");
    assert!(contains(&tui.raw(), b"\x1b[?2027h"), "mode 2027 not set");
    tui.send("\x03");
    tui.wait_exit();
    let raw = tui.raw();
    let on = raw.windows(8).position(|w| w == b"\x1b[?2027h");
    let off = raw.windows(8).rposition(|w| w == b"\x1b[?2027l");
    assert!(
        matches!((on, off), (Some(a), Some(b)) if b > a),
        "mode 2027 is not reset on quitting"
    );

    let mut env = base.to_vec();
    env.extend([("TERM", "xterm-kitty"), ("TMUX", "/tmp/tmux-0/default,1,0")]);
    let mut tui = Tui::spawn(&["--sandbox"], &env, 80, 24);
    tui.wait_for("Generate URL");
    tui.send("\x03");
    tui.wait_exit();
    assert!(
        !contains(&tui.raw(), b"\x1b[?2027"),
        "mode 2027 set inside tmux"
    );
}

/// More fields, end to end: opened from the keyboard, an email and a document type typed
/// (and a Thai address, whose columns must hold), generated against the sandbox, the
/// record read back through the binary; the next start finds the section open, and at the
/// minimum size the form scrolls to keep the focused field in view.
#[test]
fn more_fields_are_sent_kept_and_open_again_next_time() {
    let env = SandboxEnv::new();
    let t = Tmux::start(&env, 80, 24);
    t.text("Ada");
    // Tab to the section's row, Enter opens it.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab"]);
    t.wait("the More fields row", |s| s.contains("› More fields ▸"));
    t.keys(&["Enter"]);
    t.wait("the section open", |s| {
        s.contains("› More fields ▾") && s.contains("End-user ID")
    });
    // End-user ID, ID number, Date of birth, Gender, Email.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    t.wait("the Email field", |s| s.contains("› Email"));
    t.text("ada@example.com");
    // Phone, Document no., Document type.
    t.keys(&["Tab", "Tab", "Tab"]);
    t.wait("the Document type field", |s| s.contains("› Document type"));
    t.text("passport");
    t.keys(&["Tab", "Tab"]);
    let address = "ถนนสุขุมวิท 5";
    t.text(address);
    let screen = t.wait("the address", |s| s.contains(address));
    for line in screen.lines() {
        assert!(line_width(line) <= 80, "{line}\n{screen}");
    }
    // Every value starts in the input column, the Thai one too, and the cursor is after it.
    for (label, value) in [
        ("Email", "ada@example.com"),
        ("Document type", "passport"),
        ("Address", address),
    ] {
        let line = screen
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_default();
        assert_eq!(col_of(line, value), Some(17), "{label}:\n{screen}");
    }
    assert_eq!(t.cursor_x(), 17 + line_width(address), "{screen}");
    t.keys(&["C-s"]);
    t.wait("the session", |s| s.contains("Session created"));
    t.keys(&["C-c"]);
    t.wait_gone();

    let (code, out, err) = env.run(&["history", "--json", "-n", "0"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let row = &rows[0];
    assert_eq!(row["first_name"], "Ada", "{out}");
    assert_eq!(row["email"], "ada@example.com", "{out}");
    assert_eq!(row["document_type"], "PASSPORT", "{out}");
    assert_eq!(row["address"], address, "{out}");
    assert_eq!(row["phone"], "", "{out}");
    // Kept as left: private to the user.
    let state = env.data_dir().join("tui-state.toml");
    let kept = std::fs::read_to_string(&state).unwrap_or_default();
    assert!(kept.contains("more_fields = true"), "{kept}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The next start finds the section open; at 60x16 the form scrolls to the focus.
    let t = Tmux::start(&env, 60, 16);
    let screen = t.wait("the section open", |s| s.contains("More fields ▾"));
    assert!(screen.contains("End-user ID"), "{screen}");
    t.keys(&["M-m"]);
    t.wait("Alt+M to hide them", |s| s.contains("More fields ▸"));
    t.keys(&["M-m"]);
    t.wait("Alt+M to open them at End-user ID", |s| {
        s.contains("› End-user ID")
    });
    for label in [
        "ID number",
        "Date of birth",
        "Gender",
        "Email",
        "Phone",
        "Document no.",
        "Document type",
        "Doc. country",
        "Address",
        "Consents",
    ] {
        t.keys(&["Tab"]);
        let screen = t.wait(label, |s| s.contains(&format!("› {label}")));
        for line in screen.lines() {
            assert!(line_width(line) <= 60, "{line}\n{screen}");
        }
    }
    let screen = t.capture();
    assert!(
        screen.lines().nth(1).unwrap_or_default().ends_with('↑'),
        "{screen}"
    );
    t.keys(&["C-c"]);
    t.wait_gone();
}
