//! Copying a URL so the operator can paste it: native (arboard) where a display is, tmux's
//! own paste buffer inside tmux, OSC 52 through the terminal where nothing else reaches a
//! clipboard (SSH), behind one small trait. What is reported is what was verified.

use std::io::{Read, Write};

use base64::Engine;

use crate::config::ClipboardMode;
use crate::tmux::PassOn;

/// How a copy went; shown to the user word for word. Only what is known is claimed: an OSC 52
/// sequence is a request to the terminal, which never answers, so it is never reported as a
/// copy that landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    Native,
    /// Written to the terminal as OSC 52.
    Osc52,
    /// Read back from tmux's buffer after loading it; `native` when the system clipboard has
    /// it too.
    Tmux {
        native: bool,
        pass_on: PassOn,
    },
    Off,
    Failed(String),
}

/// How a tmux buffer is pasted, for the messages.
const TMUX_PASTE: &str = "in tmux buffer (paste with prefix ])";

impl CopyOutcome {
    pub fn describe(&self) -> String {
        match self {
            CopyOutcome::Native => "copied to clipboard".into(),
            CopyOutcome::Osc52 => "sent as OSC 52; check your clipboard".into(),
            CopyOutcome::Tmux { native: true, .. } => {
                format!("copied to clipboard and {TMUX_PASTE}")
            }
            CopyOutcome::Tmux {
                native: false,
                pass_on,
            } => match pass_on {
                PassOn::Asked => format!(
                    "{TMUX_PASTE}; tmux passes it to your terminal's clipboard if the terminal allows"
                ),
                PassOn::SetClipboardOff => format!(
                    "{TMUX_PASTE}; not passed to your terminal's clipboard: tmux's set-clipboard is off"
                ),
                PassOn::Unable => format!(
                    "{TMUX_PASTE}; also sent as OSC 52, which tmux before 3.2 passes on only with set-clipboard on"
                ),
            },
            CopyOutcome::Off => "clipboard is off in the config".into(),
            CopyOutcome::Failed(why) => format!("not copied: {why}"),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            CopyOutcome::Native | CopyOutcome::Osc52 | CopyOutcome::Tmux { .. }
        )
    }
}

pub trait Clipboard: Send {
    fn copy(&mut self, text: &str) -> CopyOutcome;
}

/// The subcommand a detached copy of the binary runs to keep the X11/Wayland clipboard
/// alive after the TUI exits (see [`hold_from_stdin`]).
pub const HOLD_SUBCOMMAND: &str = "internal-clipboard-hold";

/// The OSC 52 sequence that asks the terminal to put `text` on the system clipboard. Inside
/// tmux it reaches nothing unless `set-clipboard` is `on` (the default, `external`, ignores
/// it), which is why tmux gets the text through `load-buffer` instead.
pub fn osc52_sequence(text: &str) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = Vec::with_capacity(encoded.len() + 8);
    out.extend_from_slice(b"\x1b]52;c;");
    out.extend_from_slice(encoded.as_bytes());
    out.push(0x07);
    out
}

/// Where the copy should go, decided from the config and the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Native,
    Osc52,
    Off,
}

/// `auto` means native when a display is reachable and we are not on an SSH session without
/// one; OSC 52 otherwise. `env` looks up environment variables (injectable for tests).
pub fn choose_method(mode: ClipboardMode, env: &dyn Fn(&str) -> Option<String>) -> Method {
    match mode {
        ClipboardMode::Off => Method::Off,
        ClipboardMode::Native => Method::Native,
        ClipboardMode::Osc52 => Method::Osc52,
        ClipboardMode::Auto => {
            let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
            let display = cfg!(target_os = "macos") || set("DISPLAY") || set("WAYLAND_DISPLAY");
            if display {
                Method::Native
            } else {
                Method::Osc52
            }
        }
    }
}

/// Puts text on the system clipboard, or says why it could not.
type NativeCopy = Box<dyn FnMut(&str) -> Result<(), String> + Send>;
/// Puts text in tmux's buffer and reads it back (see [`crate::tmux::load_buffer`]).
type TmuxCopy = Box<dyn FnMut(&str) -> Result<PassOn, String> + Send>;

/// The clipboard the app uses: native or OSC 52 as configured, native falling back to OSC 52;
/// inside tmux, tmux's buffer as well.
pub struct SystemClipboard {
    method: Method,
    /// Inside tmux: every copy (unless the clipboard is off) also goes to tmux's buffer.
    tmux: Option<TmuxCopy>,
    /// The terminal, for OSC 52. The TUI passes a writer that lands between frames.
    terminal: Box<dyn Write + Send>,
    /// Copies natively; replaceable so tests never touch the real clipboard.
    native: NativeCopy,
}

impl SystemClipboard {
    /// Reads the environment to resolve `auto` and to find tmux.
    pub fn new(mode: ClipboardMode, terminal: Box<dyn Write + Send>) -> Self {
        let env = |k: &str| std::env::var(k).ok();
        let method = choose_method(mode, &env);
        let clipboard = Self::with_method(method, terminal);
        if crate::tmux::inside(&env) {
            let version = crate::tmux::version(&env);
            clipboard.with_tmux(move |text| crate::tmux::load_buffer(text, version))
        } else {
            clipboard
        }
    }

    pub fn with_method(method: Method, terminal: Box<dyn Write + Send>) -> Self {
        Self {
            method,
            tmux: None,
            terminal,
            native: Box::new(native_copy),
        }
    }

    /// Copies into tmux's buffer too (inside tmux; tests pass a stand-in).
    pub fn with_tmux(
        mut self,
        tmux: impl FnMut(&str) -> Result<PassOn, String> + Send + 'static,
    ) -> Self {
        self.tmux = Some(Box::new(tmux));
        self
    }

    /// Replaces the native copier (tests).
    pub fn with_native(
        mut self,
        native: impl FnMut(&str) -> Result<(), String> + Send + 'static,
    ) -> Self {
        self.native = Box::new(native);
        self
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn in_tmux(&self) -> bool {
        self.tmux.is_some()
    }

    fn osc52(&mut self, text: &str) -> Result<(), String> {
        let seq = osc52_sequence(text);
        self.terminal
            .write_all(&seq)
            .and_then(|()| self.terminal.flush())
            .map_err(|e| format!("could not write to the terminal: {e}"))
    }

    /// tmux's buffer, when inside tmux; a tmux older than 3.2 cannot pass the buffer on, so
    /// the text also goes out as OSC 52 (which it forwards with `set-clipboard on`).
    fn tmux_copy(&mut self, text: &str) -> Option<PassOn> {
        let copy = self.tmux.as_mut()?;
        match copy(text) {
            Ok(pass_on) => {
                if pass_on == PassOn::Unable
                    && let Err(e) = self.osc52(text)
                {
                    tracing::warn!("OSC 52 inside an old tmux failed: {e}");
                }
                Some(pass_on)
            }
            Err(e) => {
                tracing::warn!("tmux buffer: {e}");
                None
            }
        }
    }
}

impl Clipboard for SystemClipboard {
    fn copy(&mut self, text: &str) -> CopyOutcome {
        let text = crate::text::sanitize(text);
        match self.method {
            Method::Off => CopyOutcome::Off,
            Method::Osc52 => {
                if let Some(pass_on) = self.tmux_copy(&text) {
                    return CopyOutcome::Tmux {
                        native: false,
                        pass_on,
                    };
                }
                match self.osc52(&text) {
                    Ok(()) => CopyOutcome::Osc52,
                    Err(e) => CopyOutcome::Failed(e),
                }
            }
            Method::Native => {
                let native = (self.native)(&text);
                if let Some(pass_on) = self.tmux_copy(&text) {
                    if let Err(e) = &native {
                        tracing::warn!("native clipboard failed, tmux has the text: {e}");
                    }
                    return CopyOutcome::Tmux {
                        native: native.is_ok(),
                        pass_on,
                    };
                }
                match native {
                    Ok(()) => CopyOutcome::Native,
                    Err(native_err) => {
                        tracing::warn!("native clipboard failed, trying OSC 52: {native_err}");
                        match self.osc52(&text) {
                            Ok(()) => CopyOutcome::Osc52,
                            Err(e) => CopyOutcome::Failed(format!("{native_err}; {e}")),
                        }
                    }
                }
            }
        }
    }
}

/// Copies natively. On Linux the clipboard content dies with its owner, so a detached copy
/// of this binary owns it until another program takes the clipboard.
#[cfg(target_os = "linux")]
fn native_copy(text: &str) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let exe = std::env::current_exe().map_err(|e| format!("cannot find own binary: {e}"))?;
    let mut holder = Command::new(exe);
    // It outlives us: it gets what reaching the display takes and nothing else (no
    // secrets of ours in a long-lived process's environment).
    crate::child_env::only(
        &mut holder,
        &[
            "DISPLAY",
            "XAUTHORITY",
            "WAYLAND_DISPLAY",
            "XDG_RUNTIME_DIR",
            "XDG_SESSION_TYPE",
            "DBUS_SESSION_BUS_ADDRESS",
            "HOME",
            "LANG",
        ],
    );
    let mut child = holder
        .arg(HOLD_SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl+C or hangup of our terminal does not reach it.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start the clipboard holder: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("could not hand the text to the clipboard holder: {e}"))?;
    }
    // A holder that cannot reach the display exits at once; one that lives holds the text.
    let deadline = Instant::now() + Duration::from_millis(400);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(_)) => return Err("no clipboard is reachable on this display".into()),
            Ok(None) if Instant::now() >= deadline => break,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("clipboard holder: {e}")),
        }
    }
    // Reap it when it ends (when another program takes the clipboard) so no zombie stays.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn native_copy(text: &str) -> Result<(), String> {
    let mut cb = arboard::Clipboard::new().map_err(|e| e.to_string())?;
    cb.set_text(text.to_string()).map_err(|e| e.to_string())
}

/// One copy outside the TUI (the CLI's `--copy`). OSC 52 goes to the controlling terminal
/// (`/dev/tty`), never to stdout, which may be a pipe carrying the URL.
pub fn copy_once(mode: ClipboardMode, text: &str) -> CopyOutcome {
    let terminal: Box<dyn Write + Send> =
        match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            Ok(tty) => Box::new(tty),
            Err(e) => Box::new(NoTerminal(e.to_string())),
        };
    SystemClipboard::new(mode, terminal).copy(text)
}

/// Stands in for a terminal that could not be opened, so the failure is reported as such.
struct NoTerminal(String);

impl Write for NoTerminal {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other(format!(
            "no terminal for OSC 52 ({})",
            self.0
        )))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Body of the hidden `internal-clipboard-hold` subcommand: reads the text on stdin, puts it
/// on the clipboard and serves it until another program takes the clipboard.
/// Exit code 0 when it held the text, 1 when it could not.
pub fn hold_from_stdin() -> i32 {
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        return 1;
    }
    let Ok(mut cb) = arboard::Clipboard::new() else {
        return 1;
    };
    #[cfg(target_os = "linux")]
    let result = {
        use arboard::SetExtLinux;
        cb.set().wait().text(text)
    };
    #[cfg(not(target_os = "linux"))]
    let result = cb.set_text(text);
    if result.is_ok() { 0 } else { 1 }
}

/// A clipboard for tests: remembers what it was given and answers a fixed outcome.
#[derive(Debug, Clone)]
pub struct FakeClipboard {
    pub copied: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub outcome: CopyOutcome,
}

impl FakeClipboard {
    pub fn new(outcome: CopyOutcome) -> Self {
        Self {
            copied: Default::default(),
            outcome,
        }
    }

    pub fn copied(&self) -> Vec<String> {
        self.copied.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Clipboard for FakeClipboard {
    fn copy(&mut self, text: &str) -> CopyOutcome {
        if let Ok(mut v) = self.copied.lock() {
            v.push(text.to_string());
        }
        self.outcome.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read back after the clipboard took ownership of it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn osc52_bytes_are_exact() {
        assert_eq!(
            osc52_sequence("https://x.test/v/abc"),
            b"\x1b]52;c;aHR0cHM6Ly94LnRlc3Qvdi9hYmM=\x07".to_vec()
        );
        let out = Shared::default();
        let mut cb = SystemClipboard::with_method(Method::Osc52, Box::new(out.clone()));
        assert_eq!(cb.copy("Zoë 李"), CopyOutcome::Osc52);
        assert_eq!(
            out.0.lock().unwrap().as_slice(),
            b"\x1b]52;c;Wm/DqyDmnY4=\x07".as_slice()
        );
    }

    #[test]
    fn control_characters_never_reach_the_clipboard() {
        let out = Shared::default();
        let mut cb = SystemClipboard::with_method(Method::Osc52, Box::new(out.clone()));
        cb.copy("a\x07b\x1b]c");
        assert_eq!(
            out.0.lock().unwrap().as_slice(),
            osc52_sequence("ab]c").as_slice()
        );
    }

    #[test]
    fn native_failure_falls_back_to_osc52_and_says_why_when_both_fail() {
        let out = Shared::default();
        let mut cb = SystemClipboard::with_method(Method::Native, Box::new(out.clone()))
            .with_native(|_| Err("no display".into()));
        assert_eq!(cb.copy("u"), CopyOutcome::Osc52);
        assert_eq!(
            out.0.lock().unwrap().as_slice(),
            osc52_sequence("u").as_slice()
        );

        // Outside tmux a native copy writes nothing to the terminal.
        let out = Shared::default();
        let mut cb = SystemClipboard::with_method(Method::Native, Box::new(out.clone()))
            .with_native(|_| Ok(()));
        assert_eq!(cb.copy("v"), CopyOutcome::Native);
        assert!(out.0.lock().unwrap().is_empty());

        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("closed"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut cb = SystemClipboard::with_method(Method::Native, Box::new(Broken))
            .with_native(|_| Err("no display".into()));
        match cb.copy("u") {
            CopyOutcome::Failed(why) => {
                assert!(
                    why.contains("no display") && why.contains("closed"),
                    "{why}"
                )
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let mut off = SystemClipboard::with_method(Method::Off, Box::new(Shared::default()));
        assert_eq!(off.copy("u"), CopyOutcome::Off);
    }

    type Given = Arc<Mutex<Vec<String>>>;

    /// A stand-in for tmux: remembers what it was given, answers `answer`.
    fn fake_tmux(
        answer: Result<PassOn, String>,
    ) -> (
        Given,
        impl FnMut(&str) -> Result<PassOn, String> + Send + 'static,
    ) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        (got, move |t: &str| {
            seen.lock().unwrap().push(t.to_string());
            answer.clone()
        })
    }

    #[test]
    fn inside_tmux_the_buffer_is_reported_and_osc52_only_where_it_helps() {
        // OSC 52 mode: tmux's buffer instead of a sequence the default tmux drops.
        let out = Shared::default();
        let (got, tmux) = fake_tmux(Ok(PassOn::Asked));
        let mut cb =
            SystemClipboard::with_method(Method::Osc52, Box::new(out.clone())).with_tmux(tmux);
        let outcome = cb.copy("https://x.test/v/a\x07b");
        assert_eq!(
            outcome,
            CopyOutcome::Tmux {
                native: false,
                pass_on: PassOn::Asked
            }
        );
        assert_eq!(
            *got.lock().unwrap(),
            vec!["https://x.test/v/ab".to_string()]
        );
        assert!(
            out.0.lock().unwrap().is_empty(),
            "no OSC 52 when -w passes it on"
        );
        assert!(
            outcome
                .describe()
                .starts_with("in tmux buffer (paste with prefix ])")
        );
        assert!(
            !outcome.describe().contains("copied"),
            "nothing unverified claimed"
        );

        // A tmux without -w: OSC 52 as well, for set-clipboard on.
        let out = Shared::default();
        let (_, tmux) = fake_tmux(Ok(PassOn::Unable));
        let mut cb =
            SystemClipboard::with_method(Method::Osc52, Box::new(out.clone())).with_tmux(tmux);
        cb.copy("u");
        assert_eq!(
            out.0.lock().unwrap().as_slice(),
            osc52_sequence("u").as_slice()
        );

        // tmux failing: OSC 52 as before, and said as such.
        let out = Shared::default();
        let (_, tmux) = fake_tmux(Err("no server".into()));
        let mut cb =
            SystemClipboard::with_method(Method::Osc52, Box::new(out.clone())).with_tmux(tmux);
        assert_eq!(cb.copy("u"), CopyOutcome::Osc52);
        assert!(!out.0.lock().unwrap().is_empty());

        // Native mode: both, and a failed native copy is not claimed.
        let (_, tmux) = fake_tmux(Ok(PassOn::SetClipboardOff));
        let mut cb = SystemClipboard::with_method(Method::Native, Box::new(Shared::default()))
            .with_native(|_| Ok(()))
            .with_tmux(tmux);
        let both = cb.copy("u");
        assert_eq!(
            both,
            CopyOutcome::Tmux {
                native: true,
                pass_on: PassOn::SetClipboardOff
            }
        );
        assert!(
            both.describe()
                .starts_with("copied to clipboard and in tmux buffer")
        );
        let (_, tmux) = fake_tmux(Ok(PassOn::SetClipboardOff));
        let mut cb = SystemClipboard::with_method(Method::Native, Box::new(Shared::default()))
            .with_native(|_| Err("no display".into()))
            .with_tmux(tmux);
        let only_tmux = cb.copy("u");
        assert!(only_tmux.is_ok());
        assert!(only_tmux.describe().contains("set-clipboard is off"));
        assert!(!only_tmux.describe().contains("copied"));

        // Off means off, tmux or not.
        let (got, tmux) = fake_tmux(Ok(PassOn::Asked));
        let mut cb =
            SystemClipboard::with_method(Method::Off, Box::new(Shared::default())).with_tmux(tmux);
        assert_eq!(cb.copy("u"), CopyOutcome::Off);
        assert!(got.lock().unwrap().is_empty());
    }

    #[test]
    fn auto_picks_native_only_with_a_display() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let none = env(&[("SSH_TTY", "/dev/pts/1")]);
        let x11 = env(&[("DISPLAY", ":0")]);
        let empty = env(&[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")]);
        if !cfg!(target_os = "macos") {
            assert_eq!(choose_method(ClipboardMode::Auto, &none), Method::Osc52);
            assert_eq!(choose_method(ClipboardMode::Auto, &empty), Method::Osc52);
        }
        assert_eq!(choose_method(ClipboardMode::Auto, &x11), Method::Native);
        assert_eq!(choose_method(ClipboardMode::Osc52, &x11), Method::Osc52);
        assert_eq!(choose_method(ClipboardMode::Off, &x11), Method::Off);
        assert_eq!(choose_method(ClipboardMode::Native, &none), Method::Native);
    }
}
