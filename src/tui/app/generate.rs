//! The Generate screen: the form's keys, sending the request, and its answer.

use super::*;

/// Veriff test integrations decide a session by its first name; F5 F6 F7 fill these in.
pub const PRESETS: [(&str, &str); 3] = [
    ("Approve", "approved"),
    ("Decline", "declined"),
    ("Resubmit", "resubmission requested"),
];

pub(super) fn preset(state: &mut State, index: usize) -> Vec<Effect> {
    let Some((name, decision)) = PRESETS.get(index) else {
        return Vec::new();
    };
    state.form.first_name = tui_input::Input::new((*name).to_string());
    state.form.errors.retain(|(f, _)| *f != Field::FirstName);
    state.set_status(
        Level::Info,
        format!(
            "first name {name}: a Veriff test integration (and the sandbox) decides it {decision}"
        ),
    );
    Vec::new()
}

/// Shows the QR code of `url` full screen.
pub(super) fn show_qr(state: &mut State, url: Option<String>) -> Vec<Effect> {
    match url {
        Some(url) => state.qr = Some(url),
        None => state.set_status(Level::Info, "no URL to show yet: generate one first"),
    }
    Vec::new()
}

/// Prints `url` on one line of the normal screen (see [`Effect::ShowUrlLine`]).
pub(super) fn show_url_line(state: &mut State, url: Option<String>) -> Vec<Effect> {
    match url {
        Some(url) => {
            let url = sanitize(&url);
            state.url_line = Some(url.clone());
            vec![Effect::ShowUrlLine(url)]
        }
        None => {
            state.set_status(Level::Info, "no URL to show yet: generate one first");
            Vec::new()
        }
    }
}

/// Veriff answered with a session: its URL goes on screen and to the clipboard now; the
/// record is completed after this, by the task that sent the request.
pub(super) fn on_created(state: &mut State, seq: u64, session: CreatedSession) -> Vec<Effect> {
    let url = sanitize(&session.url);
    if state.in_flight != Some(seq) {
        // The operator stopped waiting (Esc): the link is kept all the same.
        state.set_status(
            Level::Warning,
            "the request you stopped waiting for created a session after all: it is in Generated tokens",
        );
        return after_store_change(state);
    }
    state.in_flight = None;
    let sent = state.sent.take();
    let made_for = sent.as_ref().map(made_for).unwrap_or_default();
    state.last_url_sandbox = sent.filter(|r| r.sandbox).map(|r| r.endpoint.base_url);
    state.last_url = Some(url.clone());
    state.set_status(Level::Success, "session created");
    state.outcome = Some(Outcome::Created {
        session,
        made_for,
        previous: false,
        record_note: None,
    });
    vec![Effect::Copy {
        what: CopyWhat::GeneratedUrl,
        text: url,
    }]
}

/// The end of a Generate: the record completed (or why not), or why there is no link.
pub(super) fn on_generated(
    state: &mut State,
    seq: u64,
    result: Result<Generated, Failed>,
) -> Vec<Effect> {
    let current = state.in_flight == Some(seq);
    match result {
        Ok(generated) => {
            let note = match &generated.saved {
                Some(Err(e)) => Some(format!("not saved to history: {}", sanitize(e))),
                Some(Ok(r)) if r.is_waiting() => {
                    Some("kept locally until the shared history is back".to_string())
                }
                _ => None,
            };
            if let Some(note) = note
                && let Some(Outcome::Created {
                    session,
                    record_note,
                    ..
                }) = &mut state.outcome
                && session.id == generated.session.id
            {
                *record_note = Some(note);
            }
            after_store_change(state)
        }
        Err(failed) if !current => {
            // A request the operator stopped waiting for: say how it ended.
            let text = format!(
                "the request you stopped waiting for: {}",
                sanitize(&failed.message())
            );
            state.set_status(Level::Warning, text);
            after_store_change(state)
        }
        Err(failed) => {
            state.in_flight = None;
            let sent = state.sent.take();
            let kind = match &failed {
                Failed::HistoryUnwritable { .. } => FailKind::NotSent,
                Failed::NotCreated(_) => FailKind::NotCreated,
                Failed::Unknown { .. } => FailKind::Unknown,
            };
            let (level, status) = match kind {
                FailKind::NotSent => (
                    Level::Error,
                    format!(
                        "nothing was sent: the history cannot be written ({}: create a link that is not kept)",
                        state.keys.label(Action::Yes)
                    ),
                ),
                FailKind::NotCreated => (Level::Error, "the session was not created".into()),
                FailKind::Unknown => (
                    Level::Warning,
                    "outcome unknown: a session may have been created".into(),
                ),
            };
            state.set_status(level, status);
            if kind == FailKind::NotSent {
                state.confirm_unkept = sent;
            }
            state.outcome = Some(Outcome::Failed {
                kind,
                message: sanitize(&failed.detail()),
                hint: sanitize(&failed.hint()),
            });
            after_store_change(state)
        }
    }
}

pub(super) fn set_focus(state: &mut State, field: Field) {
    let allow_http = state.allow_http_callback();
    let left = state.form.focus;
    if left != field {
        state.form.check_field(left, allow_http);
        if let Some(input) = state.form.input_mut(field) {
            // Arriving in a field puts the cursor at its end, as in a browser form.
            let len = input.value().chars().count();
            input.handle(InputRequest::SetCursor(len));
        }
    }
    state.form.picker = Default::default();
    state.form.focus_on(field);
}

/// Enter or Space on the "More fields" row: shows or hides the section, the focus staying
/// on the row (so the same key undoes it).
fn toggle_more(state: &mut State) {
    let open = !state.form.more_open;
    state.form.set_more_open(open);
}

/// The `more_fields` key, from anywhere in the form: opens the section and goes to its
/// first field (the quick way to an email or a document); when open, hides it, a focus
/// inside it going to the section's row.
fn more_fields_key(state: &mut State) {
    if state.form.more_open {
        // The field left is checked as when Tab leaves it.
        if state.form.focus.in_section() {
            set_focus(state, Field::MoreFields);
        }
        state.form.set_more_open(false);
    } else {
        state.form.set_more_open(true);
        let first = state.form.next_field(Field::MoreFields);
        set_focus(state, first);
    }
}

pub(super) fn submit(state: &mut State) -> Vec<Effect> {
    if state.in_flight.is_some() {
        let esc = state.keys.label(Action::Back);
        state.set_status(
            Level::Info,
            format!("a request is already running ({esc} stops waiting for it)"),
        );
        return Vec::new();
    }
    state.form.picker.open = false;
    let allow_http = state.allow_http_callback();
    if !state.form.validate(allow_http) {
        return fix_fields(state);
    }
    // Everything the request needs is taken now: typing or switching profile while it
    // runs changes nothing of what is sent or stored.
    let request = match Request::new(&state.settings, state.form.to_input()) {
        Ok(r) => r,
        Err(Refused::Invalid(problems)) => {
            state.form.errors = problems
                .into_iter()
                .map(|(f, why)| (Field::from_core(f), why))
                .collect();
            return fix_fields(state);
        }
        Err(Refused::Config(e)) => {
            state.outcome = Some(Outcome::Failed {
                kind: FailKind::NotSent,
                message: sanitize(&e.to_string()),
                // The message says what is missing and where to set it.
                hint: "veriff-tui config check shows the settings in effect; veriff-tui --sandbox tries it offline."
                    .into(),
            });
            state.set_status(
                Level::Error,
                format!(
                    "nothing was sent: the profile \"{}\" cannot send",
                    sanitize(&state.settings.profile_name)
                ),
            );
            return Vec::new();
        }
    };
    send(state, request, true)
}

/// "Anna Smith · sandbox": the person and profile a result belongs to.
fn made_for(request: &Request) -> String {
    let name = [&request.input.first_name, &request.input.last_name]
        .into_iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        "no name".to_string()
    } else {
        sanitize(&name)
    };
    format!("{name} · {}", sanitize(&request.profile))
}

/// The form moved on (another profile, a refused attempt): the result on screen is kept as
/// the previous one, labelled so; a failure of an earlier attempt no longer applies.
pub(super) fn outcome_is_previous(state: &mut State) {
    match &mut state.outcome {
        Some(Outcome::Created { previous, .. }) => *previous = true,
        Some(Outcome::Failed { .. }) => {
            state.outcome = None;
            state.confirm_unkept = None;
        }
        None => {}
    }
}

/// Focuses the first field in error and says what to do.
pub(super) fn fix_fields(state: &mut State) -> Vec<Effect> {
    outcome_is_previous(state);
    if let Some(f) = state.form.first_invalid() {
        state.form.focus_on(f);
    }
    let generate = state.keys.label(Action::Generate);
    state.set_status(
        Level::Error,
        format!("fix the marked fields, then {generate}"),
    );
    Vec::new()
}

/// Starts `ops::generate` for `request`.
pub(super) fn send(state: &mut State, request: Request, keep: bool) -> Vec<Effect> {
    state.next_seq += 1;
    let seq = state.next_seq;
    state.in_flight = Some(seq);
    state.sent = Some(request.clone());
    state.confirm_unkept = None;
    state.outcome = None;
    state.status = None;
    vec![Effect::Generate {
        seq,
        request: Box::new(request),
        keep,
    }]
}

/// Esc while a request runs: stop waiting. The request is not taken back (it may already
/// have reached Veriff); its task still keeps whatever comes back in the history.
pub(super) fn cancel(state: &mut State) -> Vec<Effect> {
    state.in_flight = None;
    state.sent = None;
    state.set_status(
        Level::Warning,
        "stopped waiting: if Veriff answers, the link will be in Generated tokens",
    );
    Vec::new()
}

pub(super) fn generate_key(
    state: &mut State,
    ctx: Context,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(action) = action else {
        // Nothing bound to it here: in a text field, it is text.
        if ctx.typing()
            && let Some(req) = input_request(&key)
        {
            state.form.edit(req);
        }
        return Vec::new();
    };
    let focus = state.form.focus;
    let picker_open = ctx == Context::Picker;
    match action {
        Action::Generate => return submit(state),
        Action::Back => {
            if picker_open {
                state.form.cancel_picker();
            } else if state.in_flight.is_some() {
                return cancel(state);
            } else {
                state.status = None;
            }
        }
        Action::NextField => {
            if picker_open {
                state.form.pick_language();
            }
            let next = state.form.next_field(focus);
            set_focus(state, next);
        }
        Action::PrevField => {
            let prev = state.form.prev_field(focus);
            set_focus(state, prev);
        }
        Action::Down | Action::Up | Action::PageDown | Action::PageUp if picker_open => {
            let n = state.form.picker_matches().len();
            let sel = &mut state.form.picker.selected;
            *sel = match action {
                Action::Down => (*sel + 1).min(n.saturating_sub(1)),
                Action::PageDown => (*sel + 6).min(n.saturating_sub(1)),
                Action::Up => sel.saturating_sub(1),
                _ => sel.saturating_sub(6),
            };
        }
        Action::Down => {
            let next = state.form.next_field(focus);
            set_focus(state, next);
        }
        Action::Up => {
            let prev = state.form.prev_field(focus);
            set_focus(state, prev);
        }
        Action::Select => match focus {
            Field::Submit => return submit(state),
            Field::SelfId => state.form.selfid = !state.form.selfid,
            Field::MoreFields => toggle_more(state),
            Field::Language if picker_open => state.form.pick_language(),
            Field::Language => {
                state.form.picker.open = true;
                state.form.picker.selected = 0;
            }
            _ => {
                let next = state.form.next_field(focus);
                set_focus(state, next);
            }
        },
        Action::Toggle => match focus {
            Field::SelfId => state.form.selfid = !state.form.selfid,
            Field::MoreFields => toggle_more(state),
            Field::Submit => return submit(state),
            _ => {}
        },
        Action::MoreFields => more_fields_key(state),
        // The URL on screen can be copied, opened or shown again.
        Action::CopyUrl => {
            return match state.shown_url() {
                Some(url) => vec![Effect::Copy {
                    what: CopyWhat::Url,
                    text: url,
                }],
                None => Vec::new(),
            };
        }
        Action::Open => {
            return match state.shown_url() {
                Some(url) => open_effect(state, url),
                None => Vec::new(),
            };
        }
        Action::Qr => {
            let url = state.shown_url();
            return show_qr(state, url);
        }
        Action::UrlLine => {
            let url = state.shown_url();
            return show_url_line(state, url);
        }
        Action::PresetApprove => return preset(state, 0),
        Action::PresetDecline => return preset(state, 1),
        Action::PresetResubmit => return preset(state, 2),
        _ => {}
    }
    Vec::new()
}
