//! Copying a URL so the operator can paste it: native (arboard) where a display is, OSC 52
//! through the terminal where none is (SSH, tmux), behind one small trait.

/// How a copy went; shown to the user word for word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    Native,
    Osc52,
    Off,
    Failed(String),
}

impl CopyOutcome {
    pub fn describe(&self) -> String {
        match self {
            CopyOutcome::Native => "copied to clipboard".into(),
            CopyOutcome::Osc52 => "sent to terminal clipboard (OSC 52)".into(),
            CopyOutcome::Off => "clipboard is off in the config".into(),
            CopyOutcome::Failed(why) => format!("not copied: {why}"),
        }
    }
}

pub trait Clipboard: Send {
    fn copy(&mut self, text: &str) -> CopyOutcome;
}

/// Entry of the hidden `internal-clipboard-hold` command (temporary until the TUI lands).
pub fn hold_from_stdin() -> i32 {
    1
}

/// One copy for the CLI's `--copy` (temporary until the clipboard lands).
pub fn copy_once(mode: crate::config::ClipboardMode, text: &str) -> CopyOutcome {
    let _ = (mode, text);
    CopyOutcome::Failed("clipboard not available yet".into())
}
