//! Writing to standard output and error. Every line to stdout is flushed at once (a link
//! printed is a link kept, even if the process dies on the next line), and a reader that
//! went away (`| head`) ends the command quietly instead of a panic.

use std::io::Write;

use super::{EXIT_LOCAL, Failure};
use crate::text::sanitize;

/// What a failed write to stdout means for the command.
pub fn write_failure(e: &std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::reader_gone()
    } else {
        Failure::new(EXIT_LOCAL, format!("cannot write output: {e}"))
    }
}

/// Writes `bytes` to stdout and flushes.
pub fn write_all(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| write_failure(&e))
}

/// Writes one line to stdout and flushes.
pub fn line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| write_failure(&e))
}

/// `warning: …` on stderr.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {}", sanitize(text));
}

/// A line on stderr as it is (progress, summaries, hints).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
