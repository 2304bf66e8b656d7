//! The one State, and what it is made of: screens, the outcome of a Generate, the status
//! line, the dashboard's data, the zone times are shown in; and the context (what is on
//! screen) that keys act on.

use super::*;

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
    pub(super) next_seq: u64,
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
    pub(super) refresh_seq: u64,
    /// Session ids whose `r` is in flight.
    pub refreshing: Vec<String>,
    /// The keys bound to each action (the key table with the config file's `[keys]`).
    pub keys: KeyMap,
    /// How the terminal measures text (`crate::width`); chosen once when the TUI starts.
    pub width: crate::width::WidthModel,
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
            width: crate::width::WidthModel::default(),
            keys,
        }
    }

    /// True while something shows a spinner (the main loop ticks only then).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
            || self.refresh.as_ref().is_some_and(|r| !r.quiet)
            || !self.refreshing.is_empty()
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
        u64::from(crate::tui::layout::table_rows(self.size))
    }

    pub(super) fn set_status(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(Status {
            level,
            text: text.into(),
        });
    }

    pub(super) fn loads(&self, loads: Vec<Load>) -> Vec<Effect> {
        loads.into_iter().map(Effect::List).collect()
    }

    pub(super) fn reload_tokens(&mut self, reset_selection: bool) -> Vec<Effect> {
        let profile = self.settings.profile_name.clone();
        let viewport = self.viewport();
        let loads = self.tokens.reload(&profile, viewport, reset_selection);
        self.loads(loads)
    }

    pub(super) fn reload_dashboard(&mut self) -> Vec<Effect> {
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

impl State {
    /// The URL the Generate screen shows: the session just created. `c`, `o` and `Q` act on
    /// it there, and on nothing when none is shown.
    /// The record the keys act on: the detail view's, else the selected row's.
    pub fn current_record(&self) -> Option<&Record> {
        self.tokens
            .detail
            .as_ref()
            .or_else(|| self.tokens.selected_record())
    }

    pub fn shown_url(&self) -> Option<String> {
        match self.outcome {
            Some(Outcome::Created { .. }) => self.last_url.clone(),
            _ => None,
        }
    }
}

/// The context of what is on screen now; keys act only on that.
pub fn context(state: &State) -> Context {
    if state.qr.is_some() {
        // The QR code fills the window whatever its size.
        return Context::Qr;
    }
    let (w, h) = state.size;
    if w < crate::tui::layout::MIN_WIDTH || h < crate::tui::layout::MIN_HEIGHT {
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
