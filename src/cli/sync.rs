//! `history sync`: what waits in the local file for the shared history (links made while
//! its server could not be reached) written to it now. It happens by itself whenever the
//! server is reached again; this is the same, by hand, with a report.

use super::{Failure, Outcome, output};
use crate::config::Settings;
use crate::history::{Location, Store, StoreError};
use crate::text::sanitize;

pub(super) fn run(settings: &Settings) -> Outcome {
    let location = settings.history_location();
    let Location::Postgres { url, .. } = &location else {
        return Err(Failure::new(
            super::EXIT_USAGE,
            "history sync writes links that waited in the local file to the shared history, and this run has none",
        )
        .hint("Set [history] url = \"postgres://…\" in the config (or VERIFF_TUI_HISTORY_URL); a local history has nothing to sync."));
    };
    let file = sanitize(&settings.paths.history_db.display().to_string());
    let store = Store::open_at(&location)?;
    match store.sync_outbox() {
        Ok(report) => {
            let mut said = if report.written + report.already_there == 0 {
                format!(
                    "nothing waited in {file}: the shared history at {url} has every link made here"
                )
            } else {
                format!(
                    "wrote {} {} that waited in {file} to the shared history at {url}",
                    report.written,
                    links(report.written)
                )
            };
            if report.already_there > 0 {
                said.push_str(&format!("; {} were there already", report.already_there));
            }
            if report.left.in_flight > 0 {
                said.push_str(&format!(
                    "; {} {} still on {} way (a veriff-tui running now sent {}): written once answered",
                    report.left.in_flight,
                    if report.left.in_flight == 1 { "request is" } else { "requests are" },
                    if report.left.in_flight == 1 { "its" } else { "their" },
                    if report.left.in_flight == 1 { "it" } else { "them" },
                ));
            }
            output::line(&said)
        }
        Err(e @ StoreError::Unreachable { .. }) => {
            let waiting = store.waiting_count().unwrap_or_default();
            Err(Failure::new(super::EXIT_NETWORK, e.to_string()).hint(format!(
                "{} {} {} in {file}, safe; {} written by {} the next time veriff-tui reaches the server (or run `veriff-tui history sync` again then).",
                waiting.records,
                links(waiting.records),
                if waiting.records == 1 { "waits" } else { "wait" },
                if waiting.records == 1 { "it is" } else { "they are" },
                if waiting.records == 1 { "itself" } else { "themselves" },
            )))
        }
        Err(e) => Err(e.into()),
    }
}

fn links(n: u64) -> &'static str {
    if n == 1 { "link" } else { "links" }
}
