//! The Generated tokens screen: moving, details, copy/open/QR, re-send, export, delete,
//! and refreshing decisions (which the Dashboard shares).

use super::*;

// A record's text was made safe when it was read from the history (`history::row_to_record`):
// it is used here as it is.

/// The form values a record was made with, as a re-send puts them in the form (a record's
/// text was made safe when it was read from the history).
pub(super) fn record_input(r: &Record) -> SessionInput {
    SessionInput {
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        lang: r.lang.clone(),
        selfid: r.selfid,
        callback: r.callback.clone(),
        vendor_data: r.vendor_data.clone(),
        extra: r.extra.clone(),
    }
}

/// `g`: the Generate form filled with a record's values, for a fresh link. A form holding
/// typed text is replaced only after a yes.
pub(super) fn resend(state: &mut State) -> Vec<Effect> {
    let Some(r) = state.current_record().cloned() else {
        state.set_status(Level::Info, "no record selected");
        return Vec::new();
    };
    if let Some(blocked) = resend_blocked(state) {
        state.set_status(Level::Warning, blocked);
        return Vec::new();
    }
    let mut filled = state.form.clone();
    filled.fill(&record_input(&r));
    if state.form.changed_from(&state.settings.config.form) && !filled.same_values(&state.form) {
        state.tokens.confirm_resend = Some(r);
        return Vec::new();
    }
    resend_now(state, &r)
}

pub(super) fn resend_blocked(state: &State) -> Option<String> {
    state.in_flight.is_some().then(|| {
        format!(
            "a request is running: wait for it or press {} on Generate, then press {} again",
            state.keys.label(Action::Back),
            state.keys.label(Action::Resend)
        )
    })
}

pub(super) fn resend_now(state: &mut State, r: &Record) -> Vec<Effect> {
    if let Some(blocked) = resend_blocked(state) {
        state.set_status(Level::Warning, blocked);
        return Vec::new();
    }
    state.form.fill(&record_input(r));
    // The result panel belongs to the last link, not to the one about to be made.
    state.outcome = None;
    let effects = switch_screen(state, Screen::Generate);
    let short: String = r.session_id.chars().take(8).collect();
    state.set_status(
        Level::Info,
        format!(
            "prefilled from session {short}: check the fields, then {} for a new link",
            state.keys.label(Action::Generate)
        ),
    );
    effects
}

/// `e`: the list as filtered, every matching record, to CSV and JSON.
pub(super) fn export(state: &mut State) -> Vec<Effect> {
    if state.export.is_some() {
        state.set_status(Level::Info, "an export is already being written");
        return Vec::new();
    }
    if state.tokens.total == Some(0) {
        state.set_status(Level::Info, "nothing to export: the list is empty");
        return Vec::new();
    }
    state.job_seq += 1;
    let run = state.job_seq;
    state.export = Some(ExportRun {
        run,
        progress: None,
        stopping: false,
    });
    vec![Effect::Export {
        run,
        query: state.tokens.export_query(&state.settings.profile_name),
        dir: state.settings.paths.export_dir.clone(),
    }]
}

/// Esc while a long job is on the status line: it is asked to stop, and its answer (the
/// export's files removed, how many were refreshed) says when it has.
pub(super) fn stop_job(state: &mut State, job: Job) -> Vec<Effect> {
    let run = match job {
        Job::Refresh(run) => {
            if let Some(r) = state.refresh.as_mut() {
                r.stopping = true;
            }
            run
        }
        Job::Export(run) => {
            if let Some(e) = state.export.as_mut() {
                e.stopping = true;
            }
            run
        }
        Job::Batch(run) => {
            if let Some(BatchStage::Running { stopping, .. }) =
                state.batch.as_mut().map(|b| &mut b.stage)
            {
                *stopping = true;
            }
            run
        }
    };
    vec![Effect::Stop { run }]
}

pub(super) fn tokens_move(state: &mut State, delta: i64) -> Vec<Effect> {
    let profile = state.settings.profile_name.clone();
    let viewport = state.viewport();
    let loads = state.tokens.move_by(delta, &profile, viewport);
    state.loads(loads)
}

pub(super) fn tokens_select(state: &mut State, index: u64) -> Vec<Effect> {
    let profile = state.settings.profile_name.clone();
    let viewport = state.viewport();
    let loads = state.tokens.select(index, &profile, viewport);
    state.loads(loads)
}

/// The record the keys act on, when it has a link (a URL and a session id) to act on; of
/// one whose outcome is unknown, the status line says why there is none.
pub(super) fn linked_record(state: &mut State) -> Option<Record> {
    let r = state.current_record().cloned()?;
    if r.has_link() {
        return Some(r);
    }
    state.set_status(
        Level::Info,
        format!(
            "{}: no link (outcome unknown): look in the Veriff Customer Portal",
            record_name(&r)
        ),
    );
    None
}

pub(super) fn tokens_key(
    state: &mut State,
    ctx: Context,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    match ctx {
        Context::Confirm => return answer(state, action),
        Context::Filter => {
            match action {
                Some(Action::Back) => {
                    state.tokens.filtering = false;
                    state.tokens.filter = tui_input::Input::default();
                    return state.reload_tokens(true);
                }
                Some(Action::Select | Action::Down | Action::NextField) => {
                    state.tokens.filtering = false;
                }
                None => {
                    if let Some(req) = input_request(&key)
                        && state.tokens.filter.handle(req).is_some_and(|c| c.value)
                    {
                        return state.reload_tokens(true);
                    }
                }
                _ => {}
            }
            return Vec::new();
        }
        _ => {}
    }
    let Some(action) = action else {
        return Vec::new();
    };
    let viewport = state.viewport() as i64;
    match action {
        Action::Back if state.tokens.detail.is_some() => {
            state.tokens.detail = None;
            // Back to where the details were opened.
            match state.tokens.detail_from.take() {
                Some(screen) => switch_screen(state, screen),
                None => Vec::new(),
            }
        }
        Action::Back if !state.tokens.filter.value().is_empty() => {
            state.tokens.filter = tui_input::Input::default();
            state.reload_tokens(true)
        }
        Action::Back if state.tokens.batch.is_some() => {
            state.tokens.batch = None;
            state.reload_tokens(true)
        }
        Action::Back => {
            state.status = None;
            Vec::new()
        }
        Action::Batch => batch::open(state),
        Action::Mine => toggle_mine(state),
        Action::Filter => {
            state.tokens.filtering = true;
            Vec::new()
        }
        // In the details the moving keys scroll them; the list behind stays as it is.
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::First
        | Action::Last
            if state.tokens.detail.is_some() =>
        {
            scroll_detail(state, action);
            Vec::new()
        }
        Action::Down => tokens_move(state, 1),
        Action::Up => tokens_move(state, -1),
        Action::PageDown => tokens_move(state, viewport.max(1)),
        Action::PageUp => tokens_move(state, -viewport.max(1)),
        Action::HalfPageDown => tokens_move(state, viewport / 2),
        Action::HalfPageUp => tokens_move(state, -viewport / 2),
        Action::First => tokens_select(state, 0),
        Action::Last => tokens_select(state, u64::MAX),
        Action::Details => match state.tokens.selected_record().cloned() {
            Some(r) => open_details(state, r, None),
            None => {
                state.set_status(Level::Info, "no record selected");
                Vec::new()
            }
        },
        Action::CopyCurl => copy_curl(state),
        Action::Media => open_media(state),
        Action::CopyUrl => match linked_record(state) {
            Some(r) => vec![Effect::Copy {
                what: CopyWhat::Url,
                text: r.url.clone(),
            }],
            None => Vec::new(),
        },
        Action::CopyId => match linked_record(state) {
            Some(r) => vec![Effect::Copy {
                what: CopyWhat::SessionId,
                text: r.session_id.clone(),
            }],
            None => Vec::new(),
        },
        Action::Open => match linked_record(state) {
            Some(r) => open_effect(state, r.url.clone()),
            None => Vec::new(),
        },
        Action::Delete => {
            state.tokens.confirm_delete = state.current_record().cloned();
            Vec::new()
        }
        Action::Resend => resend(state),
        Action::Export => export(state),
        Action::Qr => match linked_record(state) {
            Some(r) => show_qr(state, Some(r.url.clone())),
            None => Vec::new(),
        },
        Action::UrlLine => match linked_record(state) {
            Some(r) => show_url_line(state, Some(r.url.clone())),
            None => Vec::new(),
        },
        Action::Refresh => match state.current_record().cloned() {
            Some(r) if state.tokens.detail.is_some() => {
                // In the details, the whole inspection is asked again too (where the eye is).
                let mut effects = refresh_record(state, &r);
                effects.extend(super::inspect::reinspect(state));
                effects
            }
            Some(r) => refresh_record(state, &r),
            None => {
                state.set_status(Level::Info, "no record selected");
                Vec::new()
            }
        },
        Action::RefreshAll => refresh_all(state),
        _ => Vec::new(),
    }
}

/// `m`: only the operator's own records, or everyone's again, on a shared history; the
/// list starts over from its top. A local history holds only this operator's records,
/// which the status line says rather than doing nothing.
pub(super) fn toggle_mine(state: &mut State) -> Vec<Effect> {
    if !state.tokens.shared {
        state.set_status(
            Level::Info,
            "this history is a local file: every record in it is yours (mine or everyone's is for a shared history, [history] url)",
        );
        return Vec::new();
    }
    state.tokens.mine = !state.tokens.mine;
    let key = state.keys.label(Action::Mine);
    let text = if state.tokens.mine {
        format!("only the records you made ({key}: everyone's)")
    } else {
        format!("everyone's records ({key}: only yours)")
    };
    state.set_status(Level::Info, text);
    state.tokens.detail = None;
    state.reload_tokens(true)
}

pub(super) fn record_name(r: &Record) -> String {
    let name = format!("{} {}", r.first_name, r.last_name);
    match name.trim() {
        "" => r.session_id.chars().take(8).collect(),
        n => n.to_string(),
    }
}

/// `r`: asks Veriff for one record's decision (an expired one is not asked about).
pub(super) fn refresh_record(state: &mut State, r: &Record) -> Vec<Effect> {
    if state.refreshing.contains(&r.session_id) {
        return Vec::new();
    }
    let name = record_name(r);
    let endpoint = match crate::ops::refresh::endpoint_for(&state.settings, r, state.now) {
        Ok(e) => e,
        Err(skip) => {
            let level = if skip.is_benign() {
                Level::Info
            } else {
                Level::Error
            };
            state.set_status(level, skip.describe(&name));
            return Vec::new();
        }
    };
    state.refreshing.push(r.session_id.clone());
    state.set_status(Level::Info, format!("checking the decision of {name}…"));
    vec![Effect::RefreshOne {
        endpoint,
        session_id: r.session_id.clone(),
    }]
}

/// `R`: every pending session of the active profile.
pub(super) fn refresh_all(state: &mut State) -> Vec<Effect> {
    if let Some(r) = &state.refresh {
        let progress = match r.progress {
            Some(p) => format!(
                " ({} of {})",
                crate::ops::progress::thousands(p.done),
                crate::ops::progress::thousands(p.total)
            ),
            None => String::new(),
        };
        state.set_status(
            Level::Info,
            format!("a refresh is already running{progress}"),
        );
        return Vec::new();
    }
    start_refresh(state, false)
}

pub(super) fn start_refresh(state: &mut State, quiet: bool) -> Vec<Effect> {
    let endpoint = match state.settings.endpoint() {
        Ok(e) => e,
        Err(e) => {
            if !quiet {
                state.set_status(Level::Error, sanitize(&e.to_string()));
            }
            return Vec::new();
        }
    };
    state.job_seq += 1;
    let run = state.job_seq;
    let profile = state.settings.profile_name.clone();
    state.refresh = Some(RefreshRun {
        run,
        quiet,
        progress: None,
        stopping: false,
        profile: profile.clone(),
    });
    vec![Effect::RefreshPending {
        run,
        endpoint,
        profile,
    }]
}

pub(super) fn on_refreshed(state: &mut State, r: crate::ops::refresh::Refreshed) -> Vec<Effect> {
    state.refreshing.retain(|id| *id != r.session_id);
    let name = r
        .record
        .as_ref()
        .map(record_name)
        .unwrap_or_else(|| r.session_id.chars().take(8).collect());
    match &r.result {
        Ok(Some(d)) => state.set_status(Level::Success, format!("{name}: {}", d.describe())),
        Ok(None) => state.set_status(
            Level::Info,
            format!("{name}: no decision yet (the person has not finished the flow)"),
        ),
        Err(e) => state.set_status(
            Level::Error,
            format!(
                "could not check {name}: {} — {}",
                sanitize(&e.to_string()),
                sanitize(&e.hint())
            ),
        ),
    }
    if let Some(e) = &r.store_error {
        state.set_status(
            Level::Warning,
            format!(
                "{name}: the answer was not saved to the history: {}",
                sanitize(e)
            ),
        );
    }
    if let (Some(record), Some(detail)) = (&r.record, &mut state.tokens.detail)
        && detail.session_id == record.session_id
    {
        *detail = record.clone();
    }
    after_store_change(state)
}

pub(super) fn on_refresh_done(
    state: &mut State,
    run: u64,
    result: Result<crate::ops::refresh::Summary, String>,
) -> Vec<Effect> {
    let Some(r) = state.refresh.take_if(|r| r.run == run) else {
        return Vec::new();
    };
    match result {
        Ok(summary) => {
            if !r.quiet {
                let level = if summary.stopped {
                    Level::Info
                } else if summary.failed > 0 || summary.not_saved > 0 {
                    Level::Warning
                } else {
                    Level::Success
                };
                state.set_status(level, summary.describe());
            } else if summary.failed > 0 {
                state.set_status(
                    Level::Warning,
                    format!("auto-refresh: {}", summary.describe()),
                );
            }
        }
        Err(e) => {
            state.set_status(Level::Error, format!("refresh failed: {}", sanitize(&e)));
        }
    }
    if r.profile == state.settings.profile_name {
        after_store_change(state)
    } else {
        Vec::new()
    }
}

/// Scrolls the details on screen, as far as their last row and no further.
fn scroll_detail(state: &mut State, action: Action) {
    if state.tokens.detail.is_none() {
        return;
    }
    let max = crate::tui::layout::detail_max_scroll(state);
    let page = crate::tui::layout::detail_body(state.size).height.max(2) - 1;
    let at = state.tokens.detail_scroll.min(max);
    state.tokens.detail_scroll = match action {
        Action::Down => at.saturating_add(1),
        Action::Up => at.saturating_sub(1),
        Action::PageDown => at.saturating_add(page),
        Action::PageUp => at.saturating_sub(page),
        Action::First => 0,
        _ => max,
    }
    .min(max);
}
