//! `history import [--from PATH]`: a local history file copied into the shared history
//! this run uses ([history] url), its records and webhook deliveries, those already there
//! skipped, so it is safe to run twice. The file is opened as `history` opens it and is not changed by the copy.

use super::bar::Bar;
use super::{Failure, Outcome, output};
use crate::config::Settings;
use crate::history::{Location, Store};
use crate::text::sanitize;

use super::args::ImportArgs;

pub(super) fn run(settings: &Settings, args: ImportArgs) -> Outcome {
    let Location::Postgres { url, .. } = settings.history_location() else {
        return Err(Failure::new(
            super::EXIT_USAGE,
            "history import copies a local history into the shared one, and this run has none",
        )
        .hint("Set [history] url = \"postgres://…\" in the config (or VERIFF_TUI_HISTORY_URL), then run it again."));
    };
    let from = args
        .from
        .unwrap_or_else(|| settings.paths.history_db.clone());
    let shown = sanitize(&from.display().to_string());
    if std::fs::symlink_metadata(&from).is_err() {
        return Err(Failure::new(
            super::EXIT_USAGE,
            format!("there is no history file at {shown} to import"),
        )
        .hint("Name the file with --from PATH (veriff-tui config path shows where this data dir keeps it)."));
    }
    let source = Store::open(&from)?;
    let target = Store::open_at(&settings.history_location())?;
    let bar = Bar::on_stderr(true);
    let mut progress = bar.progress("importing");
    let mut started = false;
    let mut shown_done = 0;
    let report = target.import_from(&source, &mut |done, total| {
        if !std::mem::replace(&mut started, true) {
            progress.start(total);
        }
        progress.advance(done.saturating_sub(shown_done));
        shown_done = done;
    });
    progress.finish();
    bar.clear();
    let report = report?;
    output::line(&format!(
        "imported {} records from {shown} into the shared history at {url}; {} were there already; {} webhook deliveries copied, {} were there already",
        report.copied, report.skipped, report.deliveries_copied, report.deliveries_skipped
    ))
}
