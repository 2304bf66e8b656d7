//! Inspect: everything Veriff knows of one session (decision, person, attempts, media list,
//! watchlist screening), fetched at once through the profile the record was made under,
//! each part on its own, and kept with the record so its details open offline. Media files
//! are fetched one at a time, only when asked, and written only where the operator says.

use std::io::Write;
use std::path::Path;

use chrono::Utc;

use crate::history::Record;
use crate::ops::{SharedStore, on_store, refresh};
use crate::veriff::inspect::{Inspection, Part};
use crate::veriff::{ApiError, Client, MediaFile};

/// Fetches every part of `record`'s session at once; the decision is stored on the record
/// as a refresh stores it, the whole inspection beside it. A part that fails says so in
/// its place; the others still come. Err: the inspection could not be stored (it is
/// still returned inside, to be shown).
pub async fn inspect(
    client: &Client,
    store: &SharedStore,
    record: &Record,
) -> Result<Inspection, (Inspection, String)> {
    let id = record.session_id.as_str();
    let (decision, rest) = tokio::join!(client.decision(id), fetch_parts(client, id));
    let refreshed = refresh::save(store, id.to_string(), decision).await;
    let inspection = Inspection {
        decision: Part::from_result(refreshed.result),
        ..rest
    };
    let kept = inspection.clone();
    let record_id = record.id;
    match on_store(store, move |s| s.save_inspection(record_id, &kept)).await {
        Ok(()) => Ok(inspection),
        Err(e) => Err((inspection, e)),
    }
}

/// Fetches every part of the session `session_id` and keeps nothing (a session not in the
/// history).
pub async fn fetch(client: &Client, session_id: &str) -> Inspection {
    let (decision, rest) =
        tokio::join!(client.decision(session_id), fetch_parts(client, session_id));
    Inspection {
        decision: Part::from_result(decision),
        ..rest
    }
}

/// Every part but the decision, which a caller with a history stores on its record.
async fn fetch_parts(client: &Client, id: &str) -> Inspection {
    let (person, attempts, media, watchlist) = tokio::join!(
        client.person(id),
        client.attempts(id),
        client.media_list(id),
        client.watchlist(id),
    );
    Inspection {
        session_id: id.to_string(),
        fetched_at: Utc::now(),
        decision: Part::Error(String::new()),
        person: Part::from_result(person),
        attempts: Part::from_result(attempts),
        media: Part::from_result(media),
        watchlist_screening: Part::from_result(watchlist),
    }
}

/// The stored inspection of `record`, if one was made.
pub async fn stored(store: &SharedStore, record: &Record) -> Result<Option<Inspection>, String> {
    let id = record.id;
    on_store(store, move |s| s.inspection(id)).await
}

/// One media file, into memory.
pub async fn media(client: &Client, media_id: &str) -> Result<MediaFile, ApiError> {
    client.media(media_id).await
}

/// Saves a fetched media file where the operator named: a new file readable by its owner
/// only (a document photo is personal data), never over an existing one.
pub fn save_media(path: &Path, file: &MediaFile) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(path)?;
    out.write_all(&file.bytes)?;
    out.sync_all()
}
