//! `generate --batch FILE`: every row of a CSV file checked, then sent through
//! `ops::batch` (the same core as the TUI's Batch screen); the rows with their links out as
//! CSV (or JSON lines), a progress bar on a terminal, Ctrl+C stops sending and says how to
//! go on.

use std::sync::Mutex;

use super::bar::Bar;
use super::{EXIT_API, EXIT_LOCAL, EXIT_NETWORK, EXIT_USAGE, Failure, GenerateArgs, Outcome};
use super::{open_store, output};
use crate::config::Settings;
use crate::history::Store;
use crate::ops::batch::{self, Options, Plan, PlanError, RowOutcome, Status};
use crate::ops::batch_csv::SheetError;
use crate::text::sanitize;
use crate::veriff::Client;

/// Invalid rows listed one per line before the run; the rest are counted.
const LISTED: usize = 50;

pub(super) async fn run(settings: &Settings, args: GenerateArgs) -> Outcome {
    let b = &args.batch;
    let Some(path) = b.file.clone() else {
        return Ok(());
    };
    if !args.extra.to_extras().is_empty() {
        return Err(Failure::new(
            EXIT_USAGE,
            "with --batch, every field comes from the file's columns",
        )
        .hint("Add a column for it (its name as the flag's, e.g. document_country), or set a default under [profiles.NAME.defaults]."));
    }
    let plan = batch::plan(settings, &path, b.name.as_deref()).map_err(|e| match e {
        PlanError::Sheet(e @ (SheetError::Read { .. } | SheetError::TooLarge { .. })) => {
            Failure::new(EXIT_LOCAL, e.to_string())
        }
        PlanError::Sheet(e) => Failure::new(EXIT_USAGE, e.to_string()),
        PlanError::Config(e) => Failure::from(e),
    })?;
    let invalid = plan.invalid();
    for (line, problems) in invalid.iter().take(LISTED) {
        output::note(&format!("line {line}: {}", problems.join("; ")));
    }
    if invalid.len() > LISTED {
        output::note(&format!(
            "…and {} more invalid rows",
            invalid.len() - LISTED
        ));
    }
    let valid = plan.valid();
    if valid == 0 {
        return Err(Failure::new(
            EXIT_USAGE,
            format!("{}: no row can be sent; nothing was sent", plan.name),
        )
        .hint("Fix the rows listed above; the first line must name the columns."));
    }
    if !invalid.is_empty() && !b.skip_invalid {
        return Err(Failure::new(
            EXIT_USAGE,
            format!(
                "{} of {} rows are invalid (listed above); nothing was sent",
                invalid.len(),
                plan.rows.len()
            ),
        )
        .hint(format!(
            "Fix them and run again, or add --skip-invalid to send the other {valid}."
        )));
    }
    if let Some(out) = &b.out
        && same_file(out, &path)
    {
        return Err(Failure::new(
            EXIT_USAGE,
            "--out names the batch file itself; it would be overwritten",
        )
        .hint("Give another file for --out, e.g. links.csv."));
    }
    let store = open_store(settings).map_err(|f| {
        Failure::new(
            EXIT_LOCAL,
            format!("nothing was sent: the history cannot be opened: {}", f.message),
        )
        .hint("A batch needs the history (it is how a run started again knows which rows have a session). `veriff-tui history --move-aside` if it is damaged.")
    })?;
    let store = crate::ops::shared(store);
    // Made before anything is sent: a wrong path fails now, not after the sessions exist.
    let mut out_file = match &b.out {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| {
            Failure::new(
                EXIT_LOCAL,
                format!(
                    "cannot write {}: {e}; nothing was sent",
                    sanitize(&p.display().to_string())
                ),
            )
        })?),
        None => None,
    };
    let request = plan
        .rows
        .iter()
        .find_map(|r| r.checked.as_ref().ok())
        .ok_or_else(|| Failure::new(EXIT_USAGE, "no row can be sent"))?;
    let client = Client::new(&request.endpoint)?;

    let bar = Bar::on_stderr(true);
    let mut progress = bar.progress("sending");
    let cancel = progress.cancel().clone();
    let stop = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let written: Mutex<Result<(), Failure>> = Mutex::new(Ok(()));
    let on_row = |o: &RowOutcome| {
        if !args.json {
            return;
        }
        let line = batch::row_json(&plan, o).to_string();
        if let Ok(mut w) = written.lock()
            && w.is_ok()
        {
            *w = bar.suspend(|| output::line(&line));
        }
    };
    let options = Options {
        jobs: b.jobs.map_or(batch::DEFAULT_JOBS, usize::from),
        resend_unknown: b.resend_unknown,
    };
    let ran = batch::run(&plan, &client, &store, &options, &mut progress, &on_row).await;
    stop.abort();
    bar.clear();
    let (outcomes, summary) = ran.map_err(|e| {
        Failure::new(
            EXIT_LOCAL,
            format!("nothing was sent: the history cannot be written: {e}"),
        )
    })?;

    // The rows with their links: to the file, or to stdout.
    let csv_written = match (&mut out_file, args.json) {
        (Some(f), _) => batch::write_csv(&plan, &outcomes, f).map_err(|e| {
            Failure::new(
                EXIT_LOCAL,
                format!("cannot write the output file: {e}; every link is in the history (veriff-tui history --batch NAME --csv)"),
            )
        }),
        (None, false) => {
            let mut buf = Vec::new();
            batch::write_csv(&plan, &outcomes, &mut buf)
                .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot write CSV: {e}")))
                .and_then(|()| output::write_all(&buf))
        }
        (None, true) => Ok(()),
    };
    written.into_inner().unwrap_or(Ok(()))?;
    csv_written?;

    report_rows(&outcomes);
    output::note(&format!("{}: {}", plan.name, summary.describe()));
    if summary.stopped && summary.fatal.is_none() {
        output::note(&format!(
            "Stopped: no more rows were sent; the requests in flight were waited for. To go on (rows with a session are skipped):\n  {}",
            resume_command()
        ));
    }
    if let Some(fatal) = summary.fatal {
        return Err(Failure::new(EXIT_LOCAL, fatal).hint(
            "Fix the history (close the program holding it, or `veriff-tui history --move-aside`), then run the same command again: rows with a session are skipped.",
        ));
    }
    exit_for(&plan, &summary, &outcomes)
}

/// Rows that have no session and were meant to, each with its error, on stderr.
fn report_rows(outcomes: &[RowOutcome]) {
    let troubled: Vec<&RowOutcome> = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed | Status::Unknown | Status::Busy))
        .collect();
    for o in troubled.iter().take(LISTED) {
        output::note(&format!(
            "line {}: {}: {}",
            o.line,
            o.status.as_str(),
            o.error
        ));
    }
    if troubled.len() > LISTED {
        output::note(&format!(
            "…and {} more; the output's status and error columns have them all",
            troubled.len() - LISTED
        ));
    }
}

fn exit_for(plan: &Plan, summary: &batch::Summary, outcomes: &[RowOutcome]) -> Outcome {
    if summary.stopped {
        return Err(Failure::new(
            EXIT_LOCAL,
            format!("{}: stopped before every row was sent", plan.name),
        ));
    }
    let without = summary.failed + summary.unknown + summary.busy;
    if without == 0 {
        return Ok(());
    }
    let network = outcomes
        .iter()
        .filter(|o| o.status == Status::Unknown)
        .count()
        == without;
    let code = if network { EXIT_NETWORK } else { EXIT_API };
    Err(Failure::new(
        code,
        format!("{without} rows have no certain session (listed above)"),
    )
    .hint("Failed rows can be fixed and sent by running the same command again; for an unknown outcome, look in the Veriff Customer Portal first (--resend-unknown sends those again)."))
}

/// Whether two paths are the same file (the output would overwrite the input).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// This command as typed, quoted for a POSIX shell, to run again.
fn resume_command() -> String {
    let mut words = vec!["veriff-tui".to_string()];
    words.extend(
        std::env::args_os()
            .skip(1)
            .map(|a| shell_word(&sanitize(&a.to_string_lossy()))),
    );
    words.join(" ")
}

fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:@%+,-".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `history --batch NAME`: the name when the history has such a batch; an error listing
/// the batches it has otherwise.
pub(super) fn known_batch(store: &Store, name: Option<String>) -> Result<Option<String>, Failure> {
    let Some(name) = name else {
        return Ok(None);
    };
    if store.batch_id(&name, false)?.is_some() {
        return Ok(Some(name));
    }
    let known: Vec<String> = store
        .batches()?
        .into_iter()
        .take(10)
        .map(|b| b.name)
        .collect();
    let hint = if known.is_empty() {
        "No batch has been sent from this history yet (generate --batch FILE).".to_string()
    } else {
        format!(
            "Batches in this history, newest first: {}",
            known.join(", ")
        )
    };
    Err(Failure::new(
        EXIT_USAGE,
        format!("no batch is named \"{}\"", sanitize(&name)),
    )
    .hint(hint))
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("people.csv"), "people.csv");
        assert_eq!(shell_word("my people.csv"), "'my people.csv'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
