//! Deleting a local record (never the session at Veriff).

use crate::ops::{SharedStore, on_store};

/// Deletes the record `id` from the history; true when a row went, false when it was
/// already gone.
pub async fn delete(store: &SharedStore, id: i64) -> Result<bool, String> {
    let deleted = on_store(store, move |s| s.delete(id)).await;
    if let Err(e) = &deleted {
        tracing::warn!(id, "delete failed: {e}");
    }
    deleted
}
