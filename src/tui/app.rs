//! The one State and the one `update(state, msg) -> effects`. No I/O here: everything that
//! touches the network, the store, the clipboard or a browser is an [`Effect`] the main loop
//! runs in a task, whose answer comes back as a [`Msg`].

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use tui_input::InputRequest;

use crate::clipboard::CopyOutcome;
use crate::config::Settings;
use crate::history::{Query, Record};
use crate::keymap::{Action, Context, KeyMap};
use crate::ops::generate::{Failed, Generated, Refused, Request};
use crate::text::sanitize;
use crate::tui::form::{Field, Form};
use crate::tui::list::{Load, TokenList};
use crate::tui::message::{CopyWhat, Msg};
use crate::veriff::{CreatedSession, Endpoint, SessionInput, SessionStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Generate,
    Tokens,
    Dashboard,
}

impl Screen {
    pub const ALL: [Screen; 3] = [Screen::Generate, Screen::Tokens, Screen::Dashboard];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Generate => "Generate",
            Screen::Tokens => "Generated tokens",
            Screen::Dashboard => "Dashboard",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

/// What the last Generate produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    Created {
        session: CreatedSession,
        /// `None` while the copy runs.
        copy: Option<CopyOutcome>,
        /// Why it could not be saved to history, if it could not.
        save_error: Option<String>,
    },
    Failed {
        kind: FailKind,
        message: String,
        hint: String,
    },
}

/// How a Generate ended without a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// Nothing was sent: no profile, or the history cannot be written.
    NotSent,
    /// Veriff refused it, or it never left: no session exists.
    NotCreated,
    /// Sent without a usable answer: a session may exist.
    Unknown,
}

/// Work for the main loop to run off the UI thread.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Ctrl+S: `ops::generate` with the request as it was when the key was pressed.
    Generate {
        seq: u64,
        request: Request,
        /// False only after the operator agreed to a link the history will not keep.
        keep: bool,
    },
    Copy {
        what: CopyWhat,
        text: String,
    },
    /// A page or a count the tokens list asked for.
    List(Load),
    Delete {
        id: i64,
    },
    StatusCounts {
        profile: String,
    },
    OpenUrl(String),
    /// Every record matching `query` to CSV and JSON files in `dir`.
    Export {
        query: Query,
        dir: std::path::PathBuf,
    },
    /// `r`: fetch and store one session's decision, through the record's own profile.
    RefreshOne {
        endpoint: Endpoint,
        session_id: String,
    },
    /// `R` and auto-refresh: every pending session of `profile`, a few at a time.
    RefreshPending {
        run: u64,
        endpoint: Endpoint,
        profile: String,
    },
    /// The dashboard's chart of links per day and its list of latest decisions.
    DashboardData {
        profile: String,
    },
}

/// A run of `R` (or of the auto-refresh) in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRun {
    pub run: u64,
    /// Started by the auto-refresh: no progress on the status line.
    pub quiet: bool,
    /// `None` until the pending records are counted.
    pub total: Option<usize>,
    pub done: usize,
    pub profile: String,
}

#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    pub counts: Option<Vec<(SessionStatus, u64)>>,
    pub error: Option<String>,
    pub loading: bool,
    /// Links per day (oldest first) and the latest decisions.
    pub data: Option<DashboardData>,
    pub data_error: Option<String>,
    /// Selected row of the latest decisions.
    pub selected: usize,
}

/// Days shown in the dashboard's chart of links per day.
pub const DASHBOARD_DAYS: u32 = 30;
/// Latest decisions listed on the dashboard.
pub const DASHBOARD_LATEST: u64 = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardData {
    pub per_day: Vec<(chrono::NaiveDate, u64)>,
    pub latest: Vec<Record>,
}

/// How times are shown: the machine's local zone (with its daylight saving rules, so an
/// old record shows the offset it had), or a fixed offset (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Local,
    Fixed(FixedOffset),
}

impl Zone {
    /// The offset in force at `t`.
    pub fn offset_at(self, t: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Local => *t.with_timezone(&chrono::Local).offset(),
            Zone::Fixed(o) => o,
        }
    }
}

/// Things the state needs from outside, injected so a test builds a State without a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub no_color: bool,
    pub now: DateTime<Utc>,
    /// The zone times are shown in.
    pub tz: Zone,
    pub size: (u16, u16),
}

#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub screen: Screen,
    pub size: (u16, u16),
    pub no_color: bool,
    pub now: DateTime<Utc>,
    pub tz: Zone,
    pub form: Form,
    /// Sequence number of the Generate request in flight.
    pub in_flight: Option<u64>,
    /// The request just refused for want of a writable history, waiting for the operator
    /// to agree (y) to a link that will not be kept.
    pub confirm_unkept: Option<Request>,
    /// The request of the Generate in flight, as it was sent.
    pub sent: Option<Request>,
    next_seq: u64,
    pub outcome: Option<Outcome>,
    pub tokens: TokenList,
    pub dashboard: Dashboard,
    /// Help overlay open, with its scroll position.
    pub help: Option<u16>,
    pub status: Option<Status>,
    pub spinner: usize,
    pub last_url: Option<String>,
    /// The URL whose QR code fills the screen.
    pub qr: Option<String>,
    /// An export is being written.
    pub exporting: bool,
    pub quit: bool,
    /// The `R` run in progress; never two at once.
    pub refresh: Option<RefreshRun>,
    refresh_seq: u64,
    /// Session ids whose `r` is in flight.
    pub refreshing: Vec<String>,
    /// The keys bound to each action (the key table with the config file's `[keys]`).
    pub keys: KeyMap,
}

impl State {
    pub fn new(settings: Settings, env: Env) -> Self {
        let callback = settings
            .profile
            .as_ref()
            .and_then(|p| p.callback.clone())
            .unwrap_or_default();
        let form = Form::new(&settings.config.form, &callback);
        // The config loader has checked `[keys]`; settings built in code fall back on defaults.
        let keys = KeyMap::from_config(&settings.config.keys).unwrap_or_default();
        let status = settings.warnings.first().map(|w| {
            let more = match settings.warnings.len() {
                1 => String::new(),
                n => format!(" (+{} more: veriff-tui config check)", n - 1),
            };
            Status {
                level: Level::Warning,
                text: format!("{}{more}", sanitize(w)),
            }
        });
        Self {
            settings,
            screen: Screen::Generate,
            size: env.size,
            no_color: env.no_color,
            now: env.now,
            tz: env.tz,
            form,
            in_flight: None,
            confirm_unkept: None,
            sent: None,
            next_seq: 0,
            outcome: None,
            tokens: TokenList::default(),
            dashboard: Dashboard::default(),
            help: None,
            status,
            spinner: 0,
            last_url: None,
            qr: None,
            exporting: false,
            quit: false,
            refresh: None,
            refresh_seq: 0,
            refreshing: Vec::new(),
            keys,
        }
    }

    /// True while something shows a spinner (the main loop ticks only then).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
            || self.refresh.as_ref().is_some_and(|r| !r.quiet)
            || !self.refreshing.is_empty()
    }

    /// Keys go to a text field, so letters are text rather than commands.
    pub fn typing(&self) -> bool {
        match self.screen {
            Screen::Generate => self.form.focus.is_text(),
            Screen::Tokens => self.tokens.filtering,
            Screen::Dashboard => false,
        }
    }

    pub fn profile_live(&self) -> bool {
        self.settings.profile.as_ref().is_some_and(|p| p.live)
    }

    /// http:// callbacks are fine only for a sandbox on this machine.
    pub fn allow_http_callback(&self) -> bool {
        self.settings.allows_http_callback()
    }

    /// Rows of the Generated tokens table that fit on screen.
    pub fn viewport(&self) -> u64 {
        u64::from(crate::tui::view::tokens::table_rows(self.size))
    }

    fn set_status(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(Status {
            level,
            text: text.into(),
        });
    }

    fn loads(&self, loads: Vec<Load>) -> Vec<Effect> {
        loads.into_iter().map(Effect::List).collect()
    }

    fn reload_tokens(&mut self, reset_selection: bool) -> Vec<Effect> {
        let profile = self.settings.profile_name.clone();
        let viewport = self.viewport();
        let loads = self.tokens.reload(&profile, viewport, reset_selection);
        self.loads(loads)
    }

    fn reload_dashboard(&mut self) -> Vec<Effect> {
        self.dashboard.loading = true;
        vec![
            Effect::StatusCounts {
                profile: self.settings.profile_name.clone(),
            },
            Effect::DashboardData {
                profile: self.settings.profile_name.clone(),
            },
        ]
    }
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
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
                let first_row = crate::tui::view::tokens::FIRST_ROW;
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
            if state.tokens.loaded_once {
                let loads = state.tokens.fetch(&profile, viewport, false);
                state.loads(loads)
            } else {
                Vec::new()
            }
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
                    if let Some(Outcome::Created { copy, .. }) = &mut state.outcome {
                        *copy = Some(outcome);
                    }
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
        Msg::RefreshStarted { run, total } => {
            if let Some(r) = state.refresh.as_mut().filter(|r| r.run == run) {
                r.total = Some(total);
            }
            Vec::new()
        }
        Msg::RefreshProgress {
            run,
            done,
            total,
            record,
        } => {
            let mut effects = Vec::new();
            // An open detail view shows the answer for its record at once.
            if let (Some(record), Some(detail)) = (record, &mut state.tokens.detail)
                && detail.session_id == record.session_id
            {
                *detail = *record;
            }
            if let Some(r) = state.refresh.as_mut().filter(|r| r.run == run) {
                r.done = done;
                r.total = Some(total);
                // Rows change as their answers arrive.
                if state.screen == Screen::Tokens && state.tokens.detail.is_none() {
                    effects = state.reload_tokens(false);
                }
            }
            effects
        }
        Msg::RefreshDone { run, result } => on_refresh_done(state, run, result),
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
        Msg::Exported(result) => {
            state.exporting = false;
            match result {
                Ok(files) => {
                    let n = match files.records {
                        1 => "1 record".to_string(),
                        n => format!("{n} records"),
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
                    let text = if full.chars().count() > room
                        && files.json == files.csv.with_extension("json")
                    {
                        format!("exported {n} to {} and .json", shown(&files.csv))
                    } else {
                        full
                    };
                    state.set_status(Level::Success, text);
                }
                Err(e) => state.set_status(Level::Error, sanitize(&e)),
            }
            Vec::new()
        }
    }
}

/// Veriff test integrations decide a session by its first name; F5 F6 F7 fill these in.
pub const PRESETS: [(&str, &str); 3] = [
    ("Approve", "approved"),
    ("Decline", "declined"),
    ("Resubmit", "resubmission requested"),
];

fn preset(state: &mut State, index: usize) -> Vec<Effect> {
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
fn show_qr(state: &mut State, url: Option<String>) -> Vec<Effect> {
    match url {
        Some(url) => state.qr = Some(url),
        None => state.set_status(Level::Info, "no URL to show yet: generate one first"),
    }
    Vec::new()
}

impl State {
    /// The URL the Generate screen shows: the session just created. `c`, `o` and `Q` act on
    /// it there, and on nothing when none is shown.
    pub fn shown_url(&self) -> Option<String> {
        match self.outcome {
            Some(Outcome::Created { .. }) => self.last_url.clone(),
            _ => None,
        }
    }
}

/// The form values a record was made with, as a re-send puts them in the form.
fn record_input(r: &Record) -> SessionInput {
    SessionInput {
        first_name: sanitize(&r.first_name),
        last_name: sanitize(&r.last_name),
        lang: sanitize(&r.lang),
        selfid: r.selfid,
        callback: sanitize(&r.callback),
        vendor_data: sanitize(&r.vendor_data),
    }
}

/// `g`: the Generate form filled with a record's values, for a fresh link. A form holding
/// typed text is replaced only after a yes.
fn resend(state: &mut State) -> Vec<Effect> {
    let Some(r) = current_record(state) else {
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

fn resend_blocked(state: &State) -> Option<String> {
    state.in_flight.is_some().then(|| {
        format!(
            "a request is running: wait for it or press {} on Generate, then press {} again",
            state.keys.label(Action::Back),
            state.keys.label(Action::Resend)
        )
    })
}

fn resend_now(state: &mut State, r: &Record) -> Vec<Effect> {
    if let Some(blocked) = resend_blocked(state) {
        state.set_status(Level::Warning, blocked);
        return Vec::new();
    }
    state.form.fill(&record_input(r));
    // The result panel belongs to the last link, not to the one about to be made.
    state.outcome = None;
    let effects = switch_screen(state, Screen::Generate);
    let short: String = sanitize(&r.session_id).chars().take(8).collect();
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
fn export(state: &mut State) -> Vec<Effect> {
    if state.exporting {
        state.set_status(Level::Info, "an export is already being written");
        return Vec::new();
    }
    state.exporting = true;
    state.set_status(Level::Info, "exporting…");
    vec![Effect::Export {
        query: state.tokens.export_query(&state.settings.profile_name),
        dir: state.settings.paths.export_dir.clone(),
    }]
}

/// Veriff answered with a session: its URL goes on screen and to the clipboard now; the
/// record is completed after this, by the task that sent the request.
fn on_created(state: &mut State, seq: u64, session: CreatedSession) -> Vec<Effect> {
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
    state.last_url = Some(url.clone());
    state.set_status(Level::Success, "session created");
    state.outcome = Some(Outcome::Created {
        session,
        copy: None,
        save_error: None,
    });
    vec![Effect::Copy {
        what: CopyWhat::GeneratedUrl,
        text: url,
    }]
}

/// The end of a Generate: the record completed (or why not), or why there is no link.
fn on_generated(state: &mut State, seq: u64, result: Result<Generated, Failed>) -> Vec<Effect> {
    let current = state.in_flight == Some(seq);
    match result {
        Ok(generated) => {
            if let Some(Err(e)) = &generated.saved
                && let Some(Outcome::Created {
                    session,
                    save_error,
                    ..
                }) = &mut state.outcome
                && session.id == generated.session.id
            {
                *save_error = Some(sanitize(e));
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
            let kind = match &failed {
                Failed::HistoryUnwritable(_) => FailKind::NotSent,
                Failed::NotCreated(_) => FailKind::NotCreated,
                Failed::Unknown { .. } => FailKind::Unknown,
            };
            let (level, status) = match kind {
                FailKind::NotSent => (
                    Level::Error,
                    "nothing was sent: the history cannot be written (y: create a link that is not kept)",
                ),
                FailKind::NotCreated => (Level::Error, "the session was not created"),
                FailKind::Unknown => (
                    Level::Warning,
                    "outcome unknown: a session may have been created",
                ),
            };
            state.set_status(level, status);
            if kind == FailKind::NotSent {
                state.confirm_unkept = state.sent.take();
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

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    // Only into a field on screen.
    match context(state) {
        Context::Field | Context::Picker | Context::Control => {
            state.form.paste(text);
            Vec::new()
        }
        Context::Filter => {
            let clean: String = text.chars().filter(|c| !c.is_control()).collect();
            let mut v = state.tokens.filter.value().to_string();
            v.push_str(&clean);
            state.tokens.filter = tui_input::Input::new(v);
            state.reload_tokens(true)
        }
        _ => Vec::new(),
    }
}

/// A key acts on what is on screen: its context picks the action from the key table.
fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
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
        // A yes/no question, on whichever screen asked it.
        Context::Confirm => answer(state, action),
        Context::List | Context::Detail | Context::Filter => tokens_key(state, ctx, action, key),
        Context::Dashboard => dashboard_key(state, action),
        Context::Qr | Context::TooSmall => Vec::new(),
    }
}

fn help_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(scroll) = state.help else {
        return Vec::new();
    };
    let max = crate::tui::view::help::max_scroll(state, state.size);
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

fn switch_screen(state: &mut State, screen: Screen) -> Vec<Effect> {
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
fn cycle_profile(state: &mut State) -> Vec<Effect> {
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

fn set_focus(state: &mut State, field: Field) {
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
    state.form.picker.open = false;
    state.form.focus = field;
}

fn submit(state: &mut State) -> Vec<Effect> {
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
                hint: "Add the profile to the config file (veriff-tui config check shows what is in effect), or run veriff-tui --sandbox to try it offline."
                    .into(),
            });
            state.set_status(Level::Error, "nothing was sent: the profile is not usable");
            return Vec::new();
        }
    };
    send(state, request, true)
}

/// Focuses the first field in error and says what to do.
fn fix_fields(state: &mut State) -> Vec<Effect> {
    if let Some(f) = state.form.first_invalid() {
        state.form.focus = f;
    }
    let generate = state.keys.label(Action::Generate);
    state.set_status(
        Level::Error,
        format!("fix the marked fields, then {generate}"),
    );
    Vec::new()
}

/// Starts `ops::generate` for `request`.
fn send(state: &mut State, request: Request, keep: bool) -> Vec<Effect> {
    state.next_seq += 1;
    let seq = state.next_seq;
    state.in_flight = Some(seq);
    state.sent = Some(request.clone());
    state.confirm_unkept = None;
    state.outcome = None;
    state.status = None;
    vec![Effect::Generate { seq, request, keep }]
}

/// Esc while a request runs: stop waiting. The request is not taken back (it may already
/// have reached Veriff); its task still keeps whatever comes back in the history.
fn cancel(state: &mut State) -> Vec<Effect> {
    state.in_flight = None;
    state.sent = None;
    state.set_status(
        Level::Warning,
        "stopped waiting: if Veriff answers, the link will be in Generated tokens",
    );
    Vec::new()
}

/// Word jumps and edits some terminals send with Alt (macOS Option) instead of Ctrl.
fn input_request(key: &KeyEvent) -> Option<InputRequest> {
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

fn generate_key(
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
                state.form.picker.open = false;
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
            set_focus(state, focus.next());
        }
        Action::PrevField => set_focus(state, focus.prev()),
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
        Action::Down => set_focus(state, focus.next()),
        Action::Up => set_focus(state, focus.prev()),
        Action::Select => match focus {
            Field::Submit => return submit(state),
            Field::SelfId => state.form.selfid = !state.form.selfid,
            Field::Language if picker_open => state.form.pick_language(),
            Field::Language => {
                state.form.picker.open = true;
                state.form.picker.selected = 0;
            }
            _ => set_focus(state, focus.next()),
        },
        Action::Toggle => match focus {
            Field::SelfId => state.form.selfid = !state.form.selfid,
            Field::Submit => return submit(state),
            _ => {}
        },
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
        Action::PresetApprove => return preset(state, 0),
        Action::PresetDecline => return preset(state, 1),
        Action::PresetResubmit => return preset(state, 2),
        _ => {}
    }
    Vec::new()
}

/// Opens http(s) links only: anything else could make the opener run a program.
fn open_effect(state: &mut State, url: String) -> Vec<Effect> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        vec![Effect::OpenUrl(url)]
    } else {
        state.set_status(Level::Error, "not opened: only http(s) links are opened");
        Vec::new()
    }
}

fn tokens_move(state: &mut State, delta: i64) -> Vec<Effect> {
    let profile = state.settings.profile_name.clone();
    let viewport = state.viewport();
    let loads = state.tokens.move_by(delta, &profile, viewport);
    state.loads(loads)
}

fn tokens_select(state: &mut State, index: u64) -> Vec<Effect> {
    let profile = state.settings.profile_name.clone();
    let viewport = state.viewport();
    let loads = state.tokens.select(index, &profile, viewport);
    state.loads(loads)
}

/// The record the keys act on: the detail view's, else the selected row's.
fn current_record(state: &State) -> Option<Record> {
    state
        .tokens
        .detail
        .clone()
        .or_else(|| state.tokens.selected_record().cloned())
}

/// The record the keys act on, when it has a link (a URL and a session id) to act on; of
/// one whose outcome is unknown, the status line says why there is none.
fn linked_record(state: &mut State) -> Option<Record> {
    let r = current_record(state)?;
    if r.has_link() {
        return Some(r);
    }
    state.set_status(
        Level::Info,
        format!(
            "{}: no link, the outcome of its request is unknown; look for the session in the Veriff Customer Portal",
            record_name(&r)
        ),
    );
    None
}

fn tokens_key(
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
            Vec::new()
        }
        Action::Back if !state.tokens.filter.value().is_empty() => {
            state.tokens.filter = tui_input::Input::default();
            state.reload_tokens(true)
        }
        Action::Back => {
            state.status = None;
            Vec::new()
        }
        Action::Filter => {
            state.tokens.filtering = true;
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
        Action::Details => {
            match state.tokens.selected_record().cloned() {
                Some(r) => state.tokens.detail = Some(r),
                None => state.set_status(Level::Info, "no record selected"),
            }
            Vec::new()
        }
        Action::CopyUrl => match linked_record(state) {
            Some(r) => vec![Effect::Copy {
                what: CopyWhat::Url,
                text: sanitize(&r.url),
            }],
            None => Vec::new(),
        },
        Action::CopyId => match linked_record(state) {
            Some(r) => vec![Effect::Copy {
                what: CopyWhat::SessionId,
                text: sanitize(&r.session_id),
            }],
            None => Vec::new(),
        },
        Action::Open => match linked_record(state) {
            Some(r) => open_effect(state, sanitize(&r.url)),
            None => Vec::new(),
        },
        Action::Delete => {
            state.tokens.confirm_delete = current_record(state);
            Vec::new()
        }
        Action::Resend => resend(state),
        Action::Export => export(state),
        Action::Qr => match linked_record(state) {
            Some(r) => show_qr(state, Some(sanitize(&r.url))),
            None => Vec::new(),
        },
        Action::Refresh => match current_record(state) {
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

/// The answer to the question on screen: delete this record? replace the form's text?
fn answer(state: &mut State, action: Option<Action>) -> Vec<Effect> {
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

fn record_name(r: &Record) -> String {
    let name = sanitize(&format!("{} {}", r.first_name, r.last_name));
    match name.trim() {
        "" => sanitize(&r.session_id).chars().take(8).collect(),
        n => n.to_string(),
    }
}

/// `r`: asks Veriff for one record's decision (an expired one is not asked about).
fn refresh_record(state: &mut State, r: &Record) -> Vec<Effect> {
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
fn refresh_all(state: &mut State) -> Vec<Effect> {
    if let Some(r) = &state.refresh {
        let progress = match r.total {
            Some(t) => format!(" ({}/{t})", r.done),
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

fn start_refresh(state: &mut State, quiet: bool) -> Vec<Effect> {
    let endpoint = match state.settings.endpoint() {
        Ok(e) => e,
        Err(e) => {
            if !quiet {
                state.set_status(Level::Error, sanitize(&e.to_string()));
            }
            return Vec::new();
        }
    };
    state.refresh_seq += 1;
    let run = state.refresh_seq;
    let profile = state.settings.profile_name.clone();
    state.refresh = Some(RefreshRun {
        run,
        quiet,
        total: None,
        done: 0,
        profile: profile.clone(),
    });
    vec![Effect::RefreshPending {
        run,
        endpoint,
        profile,
    }]
}

/// Reloads what shows records, after the store changed.
fn after_store_change(state: &mut State) -> Vec<Effect> {
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

fn on_refreshed(state: &mut State, r: crate::ops::refresh::Refreshed) -> Vec<Effect> {
    state.refreshing.retain(|id| *id != r.session_id);
    let name = r
        .record
        .as_ref()
        .map(record_name)
        .unwrap_or_else(|| sanitize(&r.session_id).chars().take(8).collect());
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

fn on_refresh_done(
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
                let level = if summary.failed > 0 || summary.not_saved > 0 {
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

fn dashboard_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let latest = state
        .dashboard
        .data
        .as_ref()
        .map(|d| d.latest.as_slice())
        .unwrap_or_default();
    let n = latest.len();
    match action {
        Some(Action::Back) => {
            state.status = None;
            Vec::new()
        }
        Some(Action::Down) => {
            state.dashboard.selected = (state.dashboard.selected + 1).min(n.saturating_sub(1));
            Vec::new()
        }
        Some(Action::Up) => {
            state.dashboard.selected = state.dashboard.selected.saturating_sub(1);
            Vec::new()
        }
        Some(Action::Details) => match latest.get(state.dashboard.selected).cloned() {
            Some(record) => {
                let effects = switch_screen(state, Screen::Tokens);
                state.tokens.detail = Some(record);
                effects
            }
            None => {
                let key = state.keys.label(Action::RefreshAll);
                state.set_status(
                    Level::Info,
                    format!("no decision to open yet: press {key} to refresh"),
                );
                Vec::new()
            }
        },
        Some(Action::Refresh) => match latest.get(state.dashboard.selected).cloned() {
            Some(record) => refresh_record(state, &record),
            None => Vec::new(),
        },
        Some(Action::RefreshAll) => refresh_all(state),
        _ => Vec::new(),
    }
}

/// The context of what is on screen now; keys act only on that.
pub fn context(state: &State) -> Context {
    if state.qr.is_some() {
        // The QR code fills the window whatever its size.
        return Context::Qr;
    }
    let (w, h) = state.size;
    if w < crate::tui::view::MIN_WIDTH || h < crate::tui::view::MIN_HEIGHT {
        return Context::TooSmall;
    }
    if state.help.is_some() {
        return Context::Help;
    }
    match state.screen {
        Screen::Generate => {
            let focus = state.form.focus;
            if state.confirm_unkept.is_some() {
                Context::Confirm
            } else if focus == Field::Language && state.form.picker.open {
                Context::Picker
            } else if focus.is_text() {
                Context::Field
            } else {
                Context::Control
            }
        }
        Screen::Tokens => {
            let t = &state.tokens;
            if t.confirm_delete.is_some() || t.confirm_resend.is_some() {
                Context::Confirm
            } else if t.filtering {
                Context::Filter
            } else if t.detail.is_some() {
                Context::Detail
            } else {
                Context::List
            }
        }
        Screen::Dashboard => Context::Dashboard,
    }
}
