//! Command-line definitions and the non-interactive commands.

/// Parses the command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    0
}
