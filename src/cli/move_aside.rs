//! `history --move-aside`: a history that cannot be used is kept under a new name and a
//! new one starts; from a damaged one, every record that can still be read is copied into
//! the new one. A usable or merely locked history stays where it is.
//!
//! "Damaged" is decided as everywhere else (`history::health`): opening the file says so,
//! or SQLite's check over the whole file does. So whatever `history`, `generate` or the TUI
//! called damaged is moved here, and nothing they can use is.

use super::bar::Bar;
use super::{Outcome, output};
use crate::config::Settings;
use crate::history::{CHECK_AT_OPEN_MAX_BYTES, Recovery, Store, StoreError, history_bytes};
use crate::ops::progress::thousands;
use crate::text::sanitize;

/// Why the file is moved.
enum Unusable {
    /// Ours, and damaged: its readable records are worth copying.
    Damaged,
    /// Not ours, or of a newer schema: nothing to copy.
    Other,
}

pub(super) fn run(settings: &Settings, recover: bool) -> Outcome {
    if let crate::history::Location::Postgres { url, .. } = settings.history_location() {
        return Err(super::Failure::new(
            super::failure::EXIT_USAGE,
            format!(
                "--move-aside is for a history in a local file; this run uses the shared history at {url}, which the server keeps whole"
            ),
        ));
    }
    let path = &settings.paths.history_db;
    let shown = sanitize(&path.display().to_string());
    if std::fs::symlink_metadata(path).is_err() {
        return output::line(&format!(
            "nothing to move: there is no history file at {shown}"
        ));
    }
    let why = match Store::open(path) {
        Ok(store) => match check_whole(&store, path, &shown) {
            Ok(()) => {
                return output::line(&format!(
                    "nothing to move: the history at {shown} opens, and SQLite's integrity check finds no damage in it"
                ));
            }
            Err(StoreError::Damaged { .. }) => Unusable::Damaged,
            Err(e) => return Err(e.into()),
        },
        Err(e @ StoreError::Locked { .. }) => return Err(e.into()),
        Err(StoreError::Damaged { .. }) => Unusable::Damaged,
        Err(_) => Unusable::Other,
    };
    let target = crate::history::move_aside(path)?;
    let kept = sanitize(&target.display().to_string());
    if matches!(why, Unusable::Other) || !recover {
        let skipped = if matches!(why, Unusable::Damaged) {
            " (nothing was copied from it: --no-recover)"
        } else {
            ""
        };
        return output::line(&format!(
            "moved {shown} to {kept}; it is kept as it was, and a new history starts at {shown}{skipped}"
        ));
    }
    output::line(&format!("moved {shown} to {kept}; it is kept as it was"))?;
    let store = Store::open(path)?;
    let bar = Bar::on_stderr(true);
    let mut progress = bar.progress("recovering");
    let mut started = false;
    let mut shown_done = 0;
    let recovered = crate::history::recover(&target, &store, &mut |done, expected| {
        if !std::mem::replace(&mut started, true) {
            progress.start(expected.unwrap_or(0));
        }
        progress.advance(done.saturating_sub(shown_done));
        shown_done = done;
    });
    progress.finish();
    bar.clear();
    let got = recovered.map_err(|e| {
        super::Failure::new(
            super::EXIT_LOCAL,
            format!(
                "copying the readable records of {kept} into the new history at {shown} failed: {e}"
            ),
        )
        .hint(format!(
            "The damaged file is kept at {kept} as it was; the new history may hold some of its records. Fix the cause above, then move the new history aside too and run `veriff-tui history --move-aside` on a copy of {kept} put back at {shown}."
        ))
    })?;
    output::line(&describe(&got, &shown, &kept))
}

/// SQLite's check over the whole file, unless opening it ran that already (a small file).
/// Said on stderr first when it takes a while: it reads every page.
fn check_whole(store: &Store, path: &std::path::Path, shown: &str) -> Result<(), StoreError> {
    let size = history_bytes(path);
    if size <= CHECK_AT_OPEN_MAX_BYTES {
        return Ok(());
    }
    output::note(&format!(
        "checking {shown} for damage ({} MiB: SQLite reads all of it, which takes a while)…",
        size >> 20
    ));
    store.check_integrity()
}

/// `recovered 38 of about 40 records into a new history at X; 2 could not be read; the
/// damaged file is kept at Y`.
fn describe(got: &Recovery, shown: &str, kept: &str) -> String {
    let of = match got.expected {
        Some(n) => format!(" of about {}", thousands(n)),
        None => String::new(),
    };
    let unanswered = match got.unanswered {
        0 => String::new(),
        n => format!(
            " ({} of them requests that were on their way, now of unknown outcome)",
            thousands(n)
        ),
    };
    let lost = match (got.lost(), got.expected) {
        (0, Some(_)) => "nothing was lost".to_string(),
        (0, None) => "how many it held could not be read".to_string(),
        (n, _) => format!("{} could not be read", thousands(n)),
    };
    format!(
        "recovered {}{of} records{unanswered} into a new history at {shown}; {lost}; the damaged file is kept at {kept}",
        thousands(got.recovered)
    )
}
