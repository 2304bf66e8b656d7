//! The integration tests, in one binary (each test binary links the whole crate and its
//! dependencies; one link instead of eighteen). `cargo test --test it` runs them all;
//! `cargo test --test it tui_view::` one module.

mod support;

mod batch;
mod cli;
mod client_contract;
mod config;
mod decisions;
mod faults;
mod fuzz_core;
mod fuzz_editor;
mod fuzz_parsers;
#[macro_use]
mod history;
mod history_changes;
mod history_offline;
mod history_pg;
mod history_pg_tls;
mod history_read_only;
mod history_recovery;
mod history_seed;
mod hostile;
mod inspect;
mod listen;
mod sandbox;
mod sandbox_limits;
mod sandbox_webhooks;
mod sdk;
mod secret_sources;
mod session_fields;
mod terminal;
mod tui_demo;
mod tui_faults;
mod tui_inspect;
mod tui_live;
mod tui_pty_smoke;
mod tui_scripts;
mod tui_update;
mod tui_url;
mod tui_view;
