//! `history`: the records, newest first, as a table, CSV or JSON (`--move-aside` is
//! `move_aside.rs`). A read-only history is read as it is.

use std::io::{IsTerminal, Write};

use super::bar::Bar;
use super::{Outcome, open_store, output};
use crate::config::Settings;
use crate::history::{Query, Store};
use crate::ops::export::ExportError;
use crate::text::sanitize;
use crate::veriff::SessionStatus;

use super::HistoryArgs;

pub(super) fn run(settings: &Settings, args: HistoryArgs) -> Outcome {
    if args.move_aside {
        return super::move_aside::run(settings, !args.no_recover);
    }
    match args.action {
        Some(super::args::HistoryAction::Import(import)) => {
            return super::import::run(settings, import);
        }
        Some(super::args::HistoryAction::Sync) => return super::sync::run(settings),
        None => {}
    }
    let store = open_store(settings)?;
    // Every profile; the limit goes to the streaming below, which pages by itself.
    let query = Query {
        search: args.search.filter(|s| !s.trim().is_empty()),
        batch: super::batch::known_batch(&store, args.batch)?,
        mine: args.mine,
        ..Query::default()
    };
    // Streamed page by page: `-n 0` of a million records never holds them in memory.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // How many listed rows have an unknown outcome (the table says so below itself).
    let written = if args.json || args.csv {
        let (csv, json): (Option<&mut dyn Write>, Option<&mut dyn Write>) = if args.json {
            (None, Some(&mut out))
        } else {
            (Some(&mut out), None)
        };
        // Rows on a terminal show their own progress; the bar is for an export to a file
        // or a pipe.
        let bar = Bar::on_stderr(!std::io::stdout().is_terminal());
        let mut progress = bar.progress("exporting");
        let written = crate::ops::export::write_matching(
            &store,
            &query,
            args.limit,
            &mut progress,
            csv,
            json,
        )
        .map(|_| 0);
        bar.clear();
        written
    } else {
        write_history_table(&store, &query, args.limit, &mut out)
    };
    let written = written.and_then(|n| out.flush().map(|()| n).map_err(ExportError::Write));
    match written {
        Ok(unknown_outcomes) => {
            if unknown_outcomes > 0 {
                output::note(&format!(
                    "{unknown_outcomes} listed with outcome unknown: {}.",
                    SessionStatus::Unknown.advice().unwrap_or_default()
                ));
            }
            Ok(())
        }
        Err(ExportError::Read(e)) => Err(e.into()),
        // Nothing here cancels: a stop is the process's end (Ctrl+C).
        Err(e @ ExportError::Stopped { .. }) => {
            Err(super::Failure::new(super::EXIT_LOCAL, e.to_string()))
        }
        Err(ExportError::Write(e)) => match output::write_failure(&e) {
            // The reader went away (`| head`): what it wanted was written.
            f if f.code == 0 => Ok(()),
            f => Err(f),
        },
    }
}

/// `s` cut (with `…`) and padded to `width` cells, measured as terminals without grapheme
/// clustering (the ones a table is printed to, tmux included) measure: per code point.
fn column(s: &str, width: usize) -> String {
    crate::width::fit(crate::width::WidthModel::CodePoint, s, width)
}

/// The table of `history`; returns how many rows listed have an unknown outcome.
/// `anna@laptop-3`: who made a record of the shared history, and where.
fn made_by(r: &crate::history::Record) -> String {
    match (r.operator.as_str(), r.machine.as_str()) {
        ("", "") => "-".into(),
        (who, "") => sanitize(who),
        (who, machine) => sanitize(&format!("{who}@{machine}")),
    }
}

fn write_history_table(
    store: &Store,
    query: &Query,
    limit: u64,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let now = chrono::Utc::now();
    let shared = store.is_shared();
    let mut header = true;
    let mut unknown = 0u64;
    let mut progress = crate::ops::progress::Progress::silent();
    let written = crate::ops::export::for_each_matching(store, query, limit, &mut progress, |r| {
        // The header only above a first row: an empty history gets a hint instead.
        if std::mem::take(&mut header) {
            // The shared history says who made each record, where a team's records meet.
            let by = if shared {
                format!("{:<20}  ", "MADE BY")
            } else {
                String::new()
            };
            writeln!(
                out,
                "{:<16}  {:<12}  {:<24}  {:<22}  {:<36}  {by}URL",
                "CREATED", "PROFILE", "NAME", "STATUS", "SESSION ID"
            )?;
        }
        let created = r
            .created_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M");
        let name = sanitize(&format!("{} {}", r.first_name, r.last_name));
        let status = r.effective_status(now);
        // A request without an answer has no session id or URL: only our placeholder.
        let (id, url) = if status == SessionStatus::Unknown {
            unknown += 1;
            ("-".to_string(), "-".to_string())
        } else {
            (sanitize(&r.session_id), sanitize(&r.url))
        };
        // Every profile is listed: a LIVE record must not pass for a test one. Columns are
        // cut and padded by terminal cells (`{:<n}` counts characters: 李小龍 takes six).
        writeln!(
            out,
            "{created:<16}  {}  {}  {:<22}  {id:<36}  {}{url}",
            column(&sanitize(&r.profile), 12),
            column(name.trim(), 24),
            status.label(),
            if shared {
                format!("{}  ", column(&made_by(r), 20))
            } else {
                String::new()
            },
        )
    })?;
    if written == 0 {
        match query.search.as_deref().filter(|_| query.has_search()) {
            Some(s) => writeln!(out, "No sessions match \"{}\".", sanitize(s.trim()))?,
            None => writeln!(
                out,
                "No sessions yet. Create one with: veriff-tui generate --first-name John --last-name Smith"
            )?,
        }
    }
    Ok(unknown)
}
