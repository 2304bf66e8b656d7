//! Keys and pastes: the context picks the action from the key table, and the screen's own
//! handler acts on it; what every screen shares (help, screens, profiles, yes/no) is here.

use super::*;

/// A key acts on what is on screen: its context picks the action from the key table.
pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // The URL is on the normal screen (`u`): any key comes back; Ctrl+C still quits.
    if state.url_line.is_some() {
        if state.keys.action(Context::TooSmall, &key) == Some(Action::ForceQuit) {
            state.quit = true;
            return Vec::new();
        }
        state.url_line = None;
        return vec![Effect::BackFromUrlLine];
    }
    let ctx = context(state);
    let action = state.keys.action(ctx, &key);
    match (ctx, action) {
        (_, Some(Action::ForceQuit | Action::Quit)) => {
            state.quit = true;
            return Vec::new();
        }
        // Below the minimum size only "window too small" is shown: nothing else acts.
        (Context::TooSmall, _) => return Vec::new(),
        (Context::Qr, Some(Action::Back | Action::Close | Action::Qr)) => {
            state.qr = None;
            return Vec::new();
        }
        (Context::Qr, _) => return Vec::new(),
        // Where Esc has nothing of its own to close, it stops the long job the status
        // line shows (and only while it shows one).
        (
            Context::List | Context::Dashboard | Context::Field | Context::Control,
            Some(Action::Back),
        ) => {
            if let Some(job) = state.shown_job() {
                return stop_job(state, job);
            }
        }
        _ => {}
    }
    let screen = match action {
        Some(Action::ScreenGenerate) => Some(Screen::Generate),
        Some(Action::ScreenTokens) => Some(Screen::Tokens),
        Some(Action::ScreenDashboard) => Some(Screen::Dashboard),
        _ => None,
    };
    if let Some(screen) = screen {
        state.help = None;
        // A question asked on one screen does not follow the operator around.
        state.tokens.confirm_resend = None;
        return switch_screen(state, screen);
    }
    match action {
        Some(Action::Profile) => {
            state.tokens.confirm_resend = None;
            return cycle_profile(state);
        }
        Some(Action::Help) => {
            state.help = if ctx == Context::Help { None } else { Some(0) };
            return Vec::new();
        }
        _ => {}
    }
    match ctx {
        Context::Help => help_key(state, action),
        Context::Field | Context::Picker | Context::Control => {
            generate_key(state, ctx, action, key)
        }
        Context::BatchPath => batch_key(state, action, key),
        Context::Confirm if state.screen == Screen::Tokens && state.batch.is_some() => {
            batch_key(state, action, key)
        }
        // A yes/no question, on whichever screen asked it.
        Context::Confirm => answer(state, action),
        Context::List | Context::Detail | Context::Filter => tokens_key(state, ctx, action, key),
        Context::Media | Context::SavePath => media_key(state, ctx, action, key),
        Context::Dashboard => dashboard_key(state, action),
        Context::Qr | Context::TooSmall => Vec::new(),
    }
}

pub(super) fn help_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(scroll) = state.help else {
        return Vec::new();
    };
    let max = crate::tui::help_text::max_scroll(state, state.size);
    state.help = match action {
        Some(Action::Back | Action::Close) => None,
        Some(Action::Down) => Some(scroll.saturating_add(1)),
        Some(Action::Up) => Some(scroll.saturating_sub(1)),
        Some(Action::PageDown) => Some(scroll.saturating_add(10)),
        Some(Action::PageUp) => Some(scroll.saturating_sub(10)),
        Some(Action::First) => Some(0),
        Some(Action::Last) => Some(max),
        _ => Some(scroll),
    }
    .map(|s| s.min(max));
    Vec::new()
}

/// The answer to the question on screen: delete this record? replace the form's text?
pub(super) fn answer(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    match action {
        Some(Action::Yes) => {
            if let Some(request) = state.confirm_unkept.take() {
                return send(state, request, false);
            }
            if let Some(record) = state.tokens.confirm_delete.take() {
                return vec![Effect::Delete { id: record.id }];
            }
            if let Some(record) = state.tokens.confirm_resend.take() {
                return resend_now(state, &record);
            }
        }
        Some(Action::No | Action::Back) => {
            if state.confirm_unkept.take().is_some() {
                state.set_status(Level::Info, "nothing was sent");
            }
            if state.tokens.confirm_delete.take().is_some() {
                state.set_status(Level::Info, "kept");
            }
            if state.tokens.confirm_resend.take().is_some() {
                state.set_status(Level::Info, "the form keeps its text");
            }
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn switch_screen(state: &mut State, screen: Screen) -> Vec<Effect> {
    state.screen = screen;
    // A question asked on another screen does not follow the operator around.
    state.tokens.confirm_delete = None;
    match screen {
        Screen::Generate => Vec::new(),
        // Another process (the CLI, a second TUI) may have added records meanwhile.
        Screen::Tokens => state.reload_tokens(false),
        Screen::Dashboard => state.reload_dashboard(),
    }
}

/// A request in flight carries its own profile, so switching while it runs is safe.
pub(super) fn cycle_profile(state: &mut State) -> Vec<Effect> {
    let names = state.settings.profile_names();
    if names.len() < 2 {
        let config = state.settings.paths.config_file.display().to_string();
        state.set_status(
            Level::Info,
            format!("only one profile: add more as [profiles.NAME] in {config}"),
        );
        return Vec::new();
    }
    let current = names
        .iter()
        .position(|n| *n == state.settings.profile_name)
        .unwrap_or(0);
    let next = names[(current + 1) % names.len()].clone();
    let switched = state.settings.switch_profile(&next);
    match switched {
        Ok(()) => {
            let callback = state
                .settings
                .profile
                .as_ref()
                .and_then(|p| p.callback.clone())
                .unwrap_or_default();
            state.form.set_callback_default(&callback);
            super::generate::outcome_is_previous(state);
            let live = if state.profile_live() { " (LIVE)" } else { "" };
            state.set_status(Level::Info, format!("profile: {next}{live}"));
            state.tokens.detail = None;
            state.tokens.confirm_delete = None;
            let mut effects = Vec::new();
            if state.tokens.loaded_once {
                effects.extend(state.reload_tokens(true));
            }
            if state.screen == Screen::Dashboard {
                effects.extend(state.reload_dashboard());
            }
            effects
        }
        Err(e) => {
            state.set_status(
                Level::Error,
                format!("could not switch to {next}: {}", sanitize(&e.to_string())),
            );
            Vec::new()
        }
    }
}

/// Word jumps and edits some terminals send with Alt (macOS Option) instead of Ctrl.
pub(super) fn input_request(key: &KeyEvent) -> Option<InputRequest> {
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Left if alt => Some(InputRequest::GoToPrevWord),
        KeyCode::Right if alt => Some(InputRequest::GoToNextWord),
        KeyCode::Char('b') if alt => Some(InputRequest::GoToPrevWord),
        KeyCode::Char('f') if alt => Some(InputRequest::GoToNextWord),
        KeyCode::Backspace if alt => Some(InputRequest::DeletePrevWord),
        KeyCode::Delete if alt => Some(InputRequest::DeleteNextWord),
        _ => tui_input::backend::crossterm::to_input_request(
            &ratatui::crossterm::event::Event::Key(*key),
        ),
    }
}

/// Opens http(s) links only: anything else could make the opener run a program.
pub(super) fn open_effect(state: &mut State, url: String) -> Vec<Effect> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        vec![Effect::OpenUrl(url)]
    } else {
        state.set_status(Level::Error, "not opened: only http(s) links are opened");
        Vec::new()
    }
}

pub(super) fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    // Only into a field on screen.
    match context(state) {
        Context::Field | Context::Picker | Context::Control => {
            state.form.paste(text);
            Vec::new()
        }
        Context::SavePath => {
            paste_path(state, text);
            Vec::new()
        }
        Context::BatchPath => {
            batch::paste(state, text);
            Vec::new()
        }
        Context::Filter => {
            let clean = crate::text::from_paste(text);
            let mut v = state.tokens.filter.value().to_string();
            v.push_str(&clean);
            state.tokens.filter = tui_input::Input::new(v);
            state.reload_tokens(true)
        }
        _ => Vec::new(),
    }
}
