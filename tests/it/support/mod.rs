//! The one support module of the integration tests: the binary in a pseudo-terminal
//! (`pty`, shared with benches/tui.rs), the binary run to completion against a sandbox
//! on loopback (`sandbox_env`), a TUI `State` built without a terminal (`tui_state`), a
//! private PostgreSQL server for the shared history (`pg`; one with TLS on, `pg_tls`), and
//! a fake one too old for it (`fake_pg`).
#![allow(dead_code)] // each test module uses a different part of it

pub mod fake_pg;
pub mod pg;
pub mod pg_tls;
pub mod pty;
pub mod sandbox_env;
pub mod tui_state;

pub use pty::*;
pub use sandbox_env::*;
