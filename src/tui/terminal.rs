//! The terminal itself: raw mode and the alternate screen entered and always left again
//! (on drop, on panic, on signals), how it measures text, and bytes for the terminal
//! (OSC 52) written between frames.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{execute, queue};
use tokio::sync::mpsc;

use crate::config::TextWidth;
use crate::width::WidthModel;

/// Set by the panic hook: the terminal is already restored, the loop must stop drawing.
pub(super) static PANICKED: AtomicBool = AtomicBool::new(false);

/// Grapheme clustering (mode 2027) was turned on and must be turned off again.
static CLUSTERING: AtomicBool = AtomicBool::new(false);

/// Turns grapheme clustering on (DECSET 2027); terminals without it ignore the request.
const CLUSTERING_ON: &str = "\x1b[?2027h";
const CLUSTERING_OFF: &str = "\x1b[?2027l";

/// How the terminal measures text: the config's choice, else what the environment tells.
/// Only terminals known to cluster graphemes (mode 2027) get the grapheme model, and never
/// inside a multiplexer, which re-draws everything by its own (code-point) rule.
pub(super) fn width_model(setting: TextWidth, var: impl Fn(&str) -> Option<String>) -> WidthModel {
    match setting {
        TextWidth::Codepoint => return WidthModel::CodePoint,
        TextWidth::Grapheme => return WidthModel::Grapheme,
        TextWidth::Auto => {}
    }
    let term = var("TERM").unwrap_or_default();
    let program = var("TERM_PROGRAM").unwrap_or_default().to_ascii_lowercase();
    let multiplexed = var("TMUX").is_some_and(|v| !v.is_empty())
        || var("STY").is_some_and(|v| !v.is_empty())
        || term.starts_with("screen")
        || term.starts_with("tmux")
        || program == "tmux";
    let clusters = matches!(program.as_str(), "wezterm" | "ghostty" | "kitty")
        || matches!(
            term.as_str(),
            "xterm-kitty" | "xterm-ghostty" | "wezterm" | "foot" | "foot-extra"
        )
        || var("KITTY_WINDOW_ID").is_some_and(|v| !v.is_empty());
    if clusters && !multiplexed {
        WidthModel::Grapheme
    } else {
        WidthModel::CodePoint
    }
}

/// Puts the terminal back as it was: main screen, cooked mode, cursor, no paste or mouse
/// reporting. Safe to call more than once.
fn restore_terminal(mouse: bool) {
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    if CLUSTERING.swap(false, Ordering::SeqCst) {
        let _ = out.write_all(CLUSTERING_OFF.as_bytes());
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

pub(super) struct TerminalGuard {
    mouse: bool,
}

impl TerminalGuard {
    pub(super) fn enter(mouse: bool, width: WidthModel) -> std::io::Result<Self> {
        let guard = TerminalGuard { mouse };
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
        if width == WidthModel::Grapheme {
            CLUSTERING.store(true, Ordering::SeqCst);
            out.write_all(CLUSTERING_ON.as_bytes())?;
            out.flush()?;
        }
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal(self.mouse);
    }
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Restores the terminal before the panic message is printed, so it is readable; puts the
/// previous hook back when the TUI ends.
pub(super) struct PanicHookGuard {
    previous: Arc<PanicHook>,
}

impl PanicHookGuard {
    pub(super) fn install() -> Self {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore_terminal(true);
            tracing::error!("panic: {info}");
            chained(info);
        }));
        Self { previous }
    }
}

impl Drop for PanicHookGuard {
    fn drop(&mut self) {
        // Unwinding from a panic of the UI thread: set_hook would panic again (and abort);
        // the process is ending, the hook may stay.
        if std::thread::panicking() {
            return;
        }
        let previous = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Leaves the TUI's screen for the normal one and prints `url` there as one line: the
/// terminal wraps it softly, so a mouse selection copies one line (a URL drawn over rows of
/// the TUI copies as several). Mouse reporting is switched off meanwhile, or the mouse could
/// not select. Raw mode stays on: the next key is read as usual and brings the TUI back.
pub(super) fn url_line_bytes(url: &str, mouse: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if mouse {
        let _ = queue!(out, DisableMouseCapture);
    }
    let _ = queue!(out, LeaveAlternateScreen);
    // Raw mode: a line feed does not return the carriage.
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(crate::text::sanitize(url).as_bytes());
    out.extend_from_slice(b"\r\n\r\nPress any key to return to veriff-tui.\r\n");
    out
}

/// Back to the TUI's screen after [`url_line_bytes`]; the main loop then redraws it whole.
pub(super) fn back_from_url_line_bytes(mouse: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = queue!(out, EnterAlternateScreen);
    if mouse {
        let _ = queue!(out, EnableMouseCapture);
    }
    out
}

/// Hands what the clipboard writes to the main loop, one flush at a time.
pub(super) struct TerminalWriter {
    buf: Vec<u8>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl TerminalWriter {
    pub(super) fn new(tx: mpsc::UnboundedSender<Vec<u8>>) -> Self {
        Self {
            buf: Vec::new(),
            tx,
        }
    }
}

impl Write for TerminalWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.tx
            .send(std::mem::take(&mut self.buf))
            .map_err(|_| std::io::Error::other("the terminal is closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(setting: TextWidth, vars: &[(&str, &str)]) -> WidthModel {
        width_model(setting, |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_string())
        })
    }

    #[test]
    fn only_known_clustering_terminals_outside_a_multiplexer_measure_graphemes() {
        use WidthModel::{CodePoint, Grapheme};
        let auto = TextWidth::Auto;
        assert_eq!(model(auto, &[("TERM", "xterm-kitty")]), Grapheme);
        assert_eq!(model(auto, &[("TERM_PROGRAM", "WezTerm")]), Grapheme);
        assert_eq!(model(auto, &[("TERM", "foot")]), Grapheme);
        assert_eq!(model(auto, &[("TERM", "xterm-256color")]), CodePoint);
        assert_eq!(model(auto, &[]), CodePoint);
        assert_eq!(
            model(auto, &[("TERM", "xterm-kitty"), ("TMUX", "/tmp/s,1,0")]),
            CodePoint
        );
        assert_eq!(model(auto, &[("TERM", "screen-256color")]), CodePoint);
        assert_eq!(model(TextWidth::Grapheme, &[]), Grapheme);
        assert_eq!(
            model(TextWidth::Codepoint, &[("TERM", "xterm-kitty")]),
            CodePoint
        );
    }

    #[test]
    fn the_url_line_is_one_unbroken_line_on_the_normal_screen() {
        let url = "https://x.test/v/".to_string() + &"a".repeat(300);
        let out = url_line_bytes(&(url.clone() + "\x1b]0;x\x07"), true);
        let text = String::from_utf8(out).unwrap();
        let leave = text
            .find("\x1b[?1049l")
            .expect("leaves the alternate screen");
        let at = text.find(&url).expect("the URL whole");
        assert!(leave < at);
        assert!(
            text.contains("\x1b[?1000l"),
            "mouse reporting off: {text:?}"
        );
        assert!(!text.contains("\x1b]0;"), "nothing unsafe printed");
        let back = String::from_utf8(back_from_url_line_bytes(true)).unwrap();
        assert!(back.starts_with("\x1b[?1049h") && back.contains("\x1b[?1000h"));
    }

    #[test]
    fn terminal_writer_hands_over_whole_flushes() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut w = TerminalWriter::new(tx);
        w.write_all(b"\x1b]52;c;").unwrap();
        w.write_all(b"aGk=\x07").unwrap();
        assert!(rx.try_recv().is_err(), "nothing before the flush");
        w.flush().unwrap();
        assert_eq!(rx.try_recv().unwrap(), b"\x1b]52;c;aGk=\x07".to_vec());
    }
}
