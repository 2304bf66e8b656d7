//! The operations, once: generate, refresh, export, delete. Each takes everything it needs
//! as arguments (input, profile, endpoint, store) and returns a typed result; the CLI and
//! the TUI only gather input and present what comes back, so what the tests prove of an
//! operation is what both front ends do.
//!
//! The store is shared between tasks and every access runs in a blocking task, so a caller
//! on the UI thread never waits on SQLite.

pub mod batch;
pub mod batch_csv;
pub mod curl;
pub mod delete;
pub mod export;
pub mod generate;
pub mod inspect;
pub mod pace;
pub mod progress;
pub mod refresh;
pub mod webhook;

use std::sync::{Arc, Mutex};

use crate::history::{Store, StoreError};

/// The store shared between tasks.
pub type SharedStore = Arc<Mutex<Store>>;

/// Wraps an open store for the operations.
pub fn shared(store: Store) -> SharedStore {
    Arc::new(Mutex::new(store))
}

/// Runs `f` on the store: in a blocking task where other work shares the runtime (the
/// TUI), on this very thread in a one-shot command (a current-thread runtime), where a
/// hand-over to another thread and back only added two wake-ups to every write.
pub async fn on_store<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    let one_shot = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
    if one_shot {
        return with_lock(store, f);
    }
    let store = store.clone();
    tokio::task::spawn_blocking(move || with_lock(&store, f))
        .await
        .unwrap_or_else(|e| Err(format!("history task failed: {e}")))
}

fn with_lock<T>(
    store: &SharedStore,
    f: impl FnOnce(&Store) -> Result<T, StoreError>,
) -> Result<T, String> {
    let guard = store
        .lock()
        .map_err(|_| "the history is unavailable after an earlier failure".to_string())?;
    f(&guard).map_err(|e| e.to_string())
}
