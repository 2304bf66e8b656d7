//! veriff-tui: generate Veriff verification session links from the terminal.
//!
//! The core (everything but `tui`) knows nothing of terminals: the CLI, the TUI and the
//! tests all stand on the same client, store and sandbox.

pub mod cli;
pub mod clipboard;
pub mod config;
pub mod export;
pub mod history;
pub mod logging;
pub mod qr;
pub mod refresh;
pub mod sandbox;
pub mod text;
pub mod tui;
pub mod veriff;
