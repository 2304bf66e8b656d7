//! veriff-tui: generate Veriff verification session links from the terminal.
//!
//! The core (everything but `cli` and `tui`) knows nothing of terminals. Every operation
//! (generate, refresh, inspect, export, delete) lives once in `ops`: the CLI and the TUI gather
//! input, call it, and present what it returns.

pub mod child_env;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod history;
pub mod keymap;
pub mod listen;
pub mod logging;
pub mod ops;
pub mod qr;
pub mod sandbox;
mod serve;
pub mod text;
pub mod tmux;
pub mod tui;
pub mod veriff;
pub mod width;
