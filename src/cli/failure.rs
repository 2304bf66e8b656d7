//! A failure of a command: what happened, what to do next, and the exit code.

use std::io::Write;

use crate::config;
use crate::text::sanitize;
use crate::veriff::ApiError;

pub const EXIT_LOCAL: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_API: i32 = 3;
pub const EXIT_NETWORK: i32 = 4;

/// A failure to report: one line of what happened, one of what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Self {
        Failure::new(EXIT_USAGE, e.to_string())
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = if e.is_usage() {
            EXIT_USAGE
        } else if e.is_network() {
            EXIT_NETWORK
        } else {
            EXIT_API
        };
        Failure::new(code, e.to_string()).hint(e.hint())
    }
}

impl From<crate::history::StoreError> for Failure {
    fn from(e: crate::history::StoreError) -> Self {
        match e {
            crate::history::StoreError::NotOurs { path } => Failure::new(
                EXIT_LOCAL,
                format!(
                    "{path} is not a veriff-tui history database (or it is damaged); it was left untouched"
                ),
            )
            .hint(MOVE_ASIDE_HINT),
            crate::history::StoreError::Damaged { path, detail } => Failure::new(
                EXIT_LOCAL,
                format!("{path} is damaged ({detail}); it was left untouched"),
            )
            .hint(RECOVER_HINT),
            e @ crate::history::StoreError::ReadOnly { .. } => {
                Failure::new(EXIT_LOCAL, e.to_string()).hint(READ_ONLY_HINT)
            }
            e @ crate::history::StoreError::Locked { .. } => Failure::new(EXIT_LOCAL, e.to_string())
                .hint("Close the other program using it (another veriff-tui?)."),
            e @ crate::history::StoreError::Io { .. } => Failure::new(EXIT_LOCAL, e.to_string())
                .hint("Check that path (veriff-tui config path lists every path), or use --data-dir for another directory."),
            e @ crate::history::StoreError::SearchTooLarge { .. } => {
                Failure::new(EXIT_USAGE, e.to_string())
            }
            e => Failure::new(EXIT_LOCAL, e.to_string()),
        }
    }
}

/// How to go on when the history file cannot be used.
pub const MOVE_ASIDE_HINT: &str = "Run `veriff-tui history --move-aside` to keep it under a new name and start a new history, or use --data-dir for a separate one.";

/// How to go on when the history file is damaged.
pub const RECOVER_HINT: &str = "Run `veriff-tui history --move-aside`: it keeps the file as it is under a new name, starts a new history and copies into it every record that can still be read. Or use --data-dir for a separate history.";

/// How to go on when the history cannot be written.
pub const READ_ONLY_HINT: &str = "To generate, refresh or delete, make the file and its directory writable by you (or copy them somewhere writable and use --data-dir); `veriff-tui history` lists, searches and exports it as it is.";

impl Failure {
    /// The reader of standard output went away (`| head`): what it wanted was written, so
    /// the command ends quietly with success.
    pub fn reader_gone() -> Self {
        Failure::new(0, "")
    }
}

/// Prints the failure on stderr (nothing for a quiet one) and returns its exit code.
pub fn report(f: Failure) -> i32 {
    if !f.message.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {}", sanitize(&f.message));
        if let Some(h) = f.hint {
            let _ = writeln!(err, "  hint: {}", sanitize(&h));
        }
    }
    f.code
}
