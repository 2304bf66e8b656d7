//! `update`: every message to the state change and the effects it asks for.

use super::*;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let left = state.ui_state();
    let mut effects = step(state, msg);
    // Whatever the message, an inspection never outlives its details.
    settle(state);
    // Whatever moved the focus, opened the section, brought a result or resized the
    // window: the focused field stays on screen.
    let body = crate::tui::layout::body(state.size);
    state.form.scroll = FormLayout::of(state, body.width, body.height)
        .scroll_for(state.form.focus, state.form.scroll);
    // The section and the list are as the operator left them next time too, whatever
    // opened or closed the section.
    let now = state.ui_state();
    if now != left {
        effects.push(Effect::SaveUiState(now));
    }
    effects
}

fn step(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        // Off the TUI's screen (`u`) a paste is not typing into a hidden field.
        Msg::Paste(_) if state.url_line.is_some() => Vec::new(),
        Msg::Paste(text) => on_paste(state, &text),
        // The mouse acts only on the list on screen (not behind a question, nor in a window
        // too small to show it).
        Msg::Mouse(_) if !matches!(context(state), Context::List | Context::Filter) => Vec::new(),
        Msg::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown if state.screen == Screen::Tokens => tokens_move(state, 3),
            MouseEventKind::ScrollUp if state.screen == Screen::Tokens => tokens_move(state, -3),
            // A click on a row of the table selects it (mouse capture is on only by config).
            MouseEventKind::Down(_)
                if state.screen == Screen::Tokens
                    && state.tokens.detail.is_none()
                    && state.tokens.confirm_delete.is_none()
                    && state.help.is_none()
                    && state.qr.is_none() =>
            {
                let first_row = crate::tui::layout::FIRST_ROW;
                match m.row.checked_sub(first_row) {
                    Some(r) if u64::from(r) < state.viewport() => {
                        let index = state.tokens.offset + u64::from(r);
                        if state.tokens.total.is_some_and(|t| index < t) {
                            tokens_select(state, index)
                        } else {
                            Vec::new()
                        }
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        },
        Msg::Resize(w, h) => {
            state.size = (w, h);
            let viewport = state.viewport();
            state.tokens.scroll_into_view(viewport);
            let profile = state.settings.profile_name.clone();
            // A picture drawn by the terminal's graphics is encoded for its area's size.
            let mut effects = encode_shown(state);
            if state.tokens.loaded_once {
                let loads = state.tokens.fetch(&profile, viewport, false);
                effects.extend(state.loads(loads));
            }
            effects
        }
        Msg::Tick => {
            state.spinner = state.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Quit => {
            state.quit = true;
            Vec::new()
        }
        Msg::Created { seq, session } => on_created(state, seq, *session),
        Msg::Generated { seq, result } => on_generated(state, seq, *result),
        Msg::Copied { what, outcome } => {
            match what {
                CopyWhat::GeneratedUrl => {
                    // Said on the status line, under the result: the result panel keeps
                    // its rows for the URL and the session id.
                    let level = if outcome.is_ok() {
                        Level::Success
                    } else {
                        Level::Warning
                    };
                    state.set_status(level, format!("session created · {}", outcome.describe()));
                }
                CopyWhat::Curl => {
                    let level = if outcome.is_ok() {
                        Level::Success
                    } else {
                        Level::Warning
                    };
                    state.set_status(
                        level,
                        // The key's variable first: a long outcome is what gets cut.
                        format!(
                            "curl command, the API key read from ${}: {}",
                            crate::ops::curl::API_KEY_VARIABLE,
                            outcome.describe()
                        ),
                    );
                }
                CopyWhat::Url | CopyWhat::SessionId => {
                    let name = if what == CopyWhat::Url {
                        "URL"
                    } else {
                        "session id"
                    };
                    let level = if outcome.is_ok() {
                        Level::Success
                    } else {
                        Level::Warning
                    };
                    state.set_status(level, format!("{name}: {}", outcome.describe()));
                }
            }
            Vec::new()
        }
        Msg::Count { seq, cap, result } => {
            let profile = state.settings.profile_name.clone();
            let viewport = state.viewport();
            let loads = state.tokens.on_count(seq, cap, result, &profile, viewport);
            state.loads(loads)
        }
        Msg::Page {
            seq,
            offset,
            result,
        } => {
            // The selection may have moved on while this page was on its way.
            let profile = state.settings.profile_name.clone();
            let viewport = state.viewport();
            let loads = state
                .tokens
                .on_page(seq, offset, result, &profile, viewport)
                .unwrap_or_default();
            state.loads(loads)
        }
        Msg::Deleted { id, result } => match result {
            Ok(gone) => {
                if state.tokens.detail.as_ref().is_some_and(|r| r.id == id) {
                    state.tokens.detail = None;
                }
                if gone {
                    state.set_status(
                        Level::Success,
                        "local record deleted (the session at Veriff is not affected)",
                    );
                } else {
                    state.set_status(Level::Info, "that record was already gone");
                }
                state.reload_tokens(false)
            }
            Err(e) => {
                state.set_status(Level::Error, format!("not deleted: {}", sanitize(&e)));
                Vec::new()
            }
        },
        Msg::StatusCounts(result) => {
            state.dashboard.loading = false;
            match result {
                Ok(c) => {
                    state.dashboard.counts = Some(c);
                    state.dashboard.error = None;
                }
                Err(e) => state.dashboard.error = Some(sanitize(&e)),
            }
            Vec::new()
        }
        Msg::Refreshed(r) => on_refreshed(state, *r),
        Msg::RefreshProgress {
            run,
            report,
            records,
        } => {
            let mut effects = Vec::new();
            // An open detail view shows the answer for its record at once.
            if let Some(detail) = &mut state.tokens.detail
                && let Some(record) = records
                    .into_iter()
                    .rfind(|r| r.session_id == detail.session_id)
            {
                *detail = record;
            }
            if let Some(r) = state.refresh.as_mut().filter(|r| r.run == run) {
                let answered = r.progress.is_some_and(|p| p.done < report.done);
                r.progress = Some(report);
                // Rows change as their answers arrive.
                if answered && state.screen == Screen::Tokens && state.tokens.detail.is_none() {
                    effects = state.reload_tokens(false);
                }
            }
            effects
        }
        Msg::RefreshDone { run, result } => on_refresh_done(state, run, result),
        Msg::HistoryChanged(changes) => on_history_changed(state, *changes),
        Msg::AutoRefresh => {
            if state.refresh.is_some() {
                return Vec::new();
            }
            start_refresh(state, true)
        }
        Msg::DashboardData(result) => {
            match result {
                Ok(d) => {
                    state.dashboard.selected = state
                        .dashboard
                        .selected
                        .min(d.latest.len().saturating_sub(1));
                    state.dashboard.data = Some(d);
                    state.dashboard.data_error = None;
                }
                Err(e) => state.dashboard.data_error = Some(sanitize(&e)),
            }
            Vec::new()
        }
        Msg::Opened(result) => {
            match result {
                Ok(()) => state.set_status(Level::Success, "opened in the browser"),
                Err(e) => state.set_status(Level::Error, sanitize(&e)),
            }
            Vec::new()
        }
        Msg::ExportProgress { run, report } => {
            if let Some(e) = state.export.as_mut().filter(|e| e.run == run) {
                e.progress = Some(report);
            }
            Vec::new()
        }
        Msg::KeptInspection { seq, result } => {
            on_kept(state, seq, result);
            Vec::new()
        }
        Msg::Inspected { seq, answer } => on_inspected(state, seq, *answer),
        Msg::MediaFetched { seq, result } => on_media_fetched(state, seq, result),
        Msg::MediaEncoded { seq, result } => {
            on_media_encoded(state, seq, result);
            Vec::new()
        }
        Msg::MediaSaved { seq, path, result } => {
            on_media_saved(state, seq, &path, result);
            Vec::new()
        }
        Msg::BatchChecked { seq, result } => {
            on_checked(state, seq, result);
            Vec::new()
        }
        Msg::BatchProgress { run, report } => batch::on_progress(state, run, report),
        Msg::BatchDone { run, result } => batch::on_done(state, run, result),
        Msg::Exported { run, result } => {
            if state.export.take_if(|e| e.run == run).is_none() {
                return Vec::new();
            }
            on_exported(state, result);
            Vec::new()
        }
    }
}

fn on_exported(
    state: &mut State,
    result: Result<crate::ops::export::ExportedFiles, crate::ops::export::DirExportError>,
) {
    use crate::ops::export::DirExportError;
    match result {
        Ok(files) => {
            let n = match files.records {
                1 => "1 record".to_string(),
                n => format!("{} records", crate::ops::progress::thousands(n as u64)),
            };
            let shown = |p: &std::path::Path| sanitize(&p.display().to_string());
            let full = format!(
                "exported {n}: {} and {}",
                shown(&files.csv),
                shown(&files.json)
            );
            // Both paths whole when the status line holds them, else the CSV path
            // and the JSON file's other extension (they differ in nothing else).
            let room = usize::from(state.size.0).saturating_sub(4);
            let text =
                if full.chars().count() > room && files.json == files.csv.with_extension("json") {
                    format!("exported {n} to {} and .json", shown(&files.csv))
                } else {
                    full
                };
            state.set_status(Level::Success, text);
        }
        Err(e @ DirExportError::Stopped { .. }) => state.set_status(Level::Info, e.to_string()),
        Err(DirExportError::Failed(e)) => state.set_status(Level::Error, sanitize(&e)),
    }
}

/// Reloads what shows records, after the store changed.
pub(super) fn after_store_change(state: &mut State) -> Vec<Effect> {
    state.tokens.stale = true;
    let mut effects = Vec::new();
    if state.tokens.loaded_once {
        effects.extend(state.reload_tokens(false));
    }
    if state.screen == Screen::Dashboard {
        effects.extend(state.reload_dashboard());
    }
    effects
}
