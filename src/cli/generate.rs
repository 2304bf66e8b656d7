//! `generate`: one session, its URL on stdout (flushed before the record is completed),
//! through the same `ops::generate` as the TUI's Ctrl+S.

use std::io::Write;

use super::{EXIT_LOCAL, EXIT_USAGE, Failure, GenerateArgs, Outcome};
use super::{open_store, output};
use crate::config::Settings;
use crate::history::Record;
use crate::ops::generate::{self, Failed, Keep, Refused, Request};
use crate::text::sanitize;
use crate::veriff::{Client, CreatedSession, ExtraField, Field, SessionInput};

pub(super) async fn run(settings: &Settings, args: GenerateArgs) -> Outcome {
    if args.batch.file.is_some() {
        return super::batch::run(settings, args).await;
    }
    let profile_callback = settings
        .profile
        .as_ref()
        .and_then(|p| p.callback.clone())
        .unwrap_or_default();
    let input = SessionInput {
        first_name: args.first_name.unwrap_or_default(),
        last_name: args.last_name.unwrap_or_default(),
        lang: args
            .lang
            .unwrap_or_else(|| settings.config.form.lang.clone()),
        selfid: settings.config.form.selfid && !args.no_selfid,
        callback: args.callback.unwrap_or(profile_callback),
        vendor_data: args.vendor_data.unwrap_or_default(),
        extra: args.extra.to_extras(),
    };
    let lang = input.lang.clone();
    let request = Request::new(settings, input).map_err(|r| match r {
        Refused::Config(e) => Failure::from(e),
        Refused::Invalid(problems) => {
            let said = problems.first().map(|(field, why)| {
                let flag = match field {
                    Field::FirstName => "--first-name",
                    Field::LastName => "--last-name",
                    Field::Lang => return lang_refused(&lang, why),
                    Field::Callback => "--callback",
                    Field::VendorData => "--vendor-data",
                    Field::Extra(f) => {
                        let flag = match f {
                            ExtraField::Consents => "--consent".to_string(),
                            f => format!("--{}", f.key().replace('_', "-")),
                        };
                        return format!("{flag} {why}");
                    }
                };
                format!("{flag} {why}")
            });
            Failure::new(EXIT_USAGE, said.unwrap_or_else(|| "invalid input".into()))
        }
    })?;
    if args.print_curl {
        return print_curl(&request);
    }
    // Checked before anything is sent: a link that cannot be kept is created only when
    // asked for with --no-history.
    let keep = if args.no_history {
        Keep::NotKept
    } else {
        let store = open_store(settings).map_err(|f| {
            failed(Failed::HistoryUnwritable {
                why: f.message,
                shared: settings.history_location().is_shared(),
            })
        })?;
        Keep::History(crate::ops::shared(store))
    };
    let client = Client::new(&request.endpoint)?;
    let mut printed: Result<(), Failure> = Ok(());
    let generated = generate::generate(&request, &client, &keep, |session, record| {
        printed = print_link(&request, session, record, args.json);
    })
    .await
    .map_err(failed)?;
    let url = sanitize(&generated.session.url);
    let in_process = super::in_process_sandbox(settings);
    if request.sandbox && in_process.as_deref() == Some(request.endpoint.base_url.as_str()) {
        output::note(&super::sandbox::link_note(
            &request.endpoint.base_url,
            in_process.as_deref(),
            "this command",
        ));
    }
    if args.qr {
        print_qr(&url);
    }
    if args.copy {
        let outcome = crate::clipboard::copy_once(settings.config.ui.clipboard, &url);
        output::note(&outcome.describe());
    }
    let kept = match generated.saved {
        Some(Err(e)) => Err(Failure::new(
            EXIT_LOCAL,
            format!("the session was created but not saved to history: {e}"),
        )
        .hint(
            "The link printed works; only its local record is missing, so keep a copy of it. Do not generate again for this person.",
        )),
        Some(Ok(r)) if r.is_waiting() => {
            output::note(&waiting_note(settings));
            Ok(())
        }
        Some(Ok(_)) | None => Ok(()),
    };
    match printed {
        // The link could not be shown but is kept: say where to find it.
        Err(f) if f.code != 0 && kept.is_ok() && !args.no_history => Err(Failure {
            hint: Some("The session was created and is kept: veriff-tui history lists it.".into()),
            ..f
        }),
        Err(f) if f.code != 0 => Err(f),
        _ => kept,
    }
}

/// Said when the link was kept in the local file because the shared history could not be
/// reached.
pub(super) fn waiting_note(settings: &Settings) -> String {
    format!(
        "the shared history at {} cannot be reached: the link is kept in {} and written to it when it is back (by itself, or `veriff-tui history sync`)",
        settings.history_location(),
        sanitize(&settings.paths.history_db.display().to_string())
    )
}

/// `--lang german: use a two-letter ISO 639-1 code such as en, or en-GB (German is de)`:
/// the value as given, the rule, and the code when the value is a language's name.
fn lang_refused(value: &str, why: &str) -> String {
    let value = value.trim();
    let named = crate::tui::languages::all().iter().find(|l| {
        l.english.eq_ignore_ascii_case(value) || l.native.to_lowercase() == value.to_lowercase()
    });
    let code = match named {
        Some(l) => format!(" ({} is {})", l.english, l.code),
        None => String::new(),
    };
    format!("--lang {}: {why}{code}", sanitize(value))
}

/// The URL (or the record as JSON) on stdout, flushed.
fn print_link(
    request: &Request,
    session: &CreatedSession,
    record: Option<&Record>,
    json: bool,
) -> Result<(), Failure> {
    if !json {
        return output::line(&sanitize(&session.url));
    }
    // The same shape whether kept or not, so scripts can rely on it.
    let record = record
        .cloned()
        .unwrap_or_else(|| request.record(0, session));
    let row = crate::ops::export::ExportRow::new(&record, chrono::Utc::now());
    let text = serde_json::to_string_pretty(&row)
        .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
    output::line(&text)
}

fn failed(f: Failed) -> Failure {
    let code = match &f {
        Failed::HistoryUnwritable { .. } => EXIT_LOCAL,
        Failed::NotCreated(e) | Failed::Unknown { error: e, .. } => Failure::from(e.clone()).code,
    };
    let hint = match &f {
        Failed::HistoryUnwritable { .. } => format!("{} (--no-history)", f.hint()),
        _ => f.hint(),
    };
    Failure::new(code, f.message()).hint(hint)
}

/// Dark on light whatever the terminal's theme, unless NO_COLOR asks for no colour.
fn print_qr(url: &str) {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    let lines = match crate::qr::lines(url) {
        Ok(lines) => lines,
        Err(e) => {
            let _ = writeln!(err, "warning: {e}");
            return;
        }
    };
    let colour = err.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for line in lines {
        let _ = if colour {
            writeln!(err, "\x1b[30;107m{line}\x1b[0m")
        } else {
            writeln!(err, "{line}")
        };
    }
}

/// `--print-curl`: the command on stdout, what it needs on stderr; nothing is sent.
fn print_curl(request: &Request) -> Outcome {
    let command = crate::ops::curl::for_request(request, chrono::Utc::now())
        .map_err(|e| Failure::new(EXIT_LOCAL, e.to_string()))?;
    output::line(&command)?;
    output::note(&format!(
        "Nothing was sent. The command reads the API key from ${}; run it within an hour (its timestamp) to create the session.",
        crate::ops::curl::API_KEY_VARIABLE
    ));
    Ok(())
}
