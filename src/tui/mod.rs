//! The terminal UI (The Elm Architecture): one state, one update, a pure view.

use crate::config::Settings;

/// Runs the TUI until the user quits. Returns the last generated URL, which the caller
/// prints after the terminal is restored, so a link is never lost.
pub async fn run(settings: Settings) -> std::io::Result<Option<String>> {
    let _ = settings;
    Err(std::io::Error::other("the TUI is not implemented yet"))
}
