//! The one State, and what it is made of: screens, the outcome of a Generate, the status
//! line, the dashboard's data, the zone times are shown in; and the context (what is on
//! screen) that keys act on.

use super::*;
use crate::tui::theme::Palette;

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
        /// Whom and which profile it was made for ("Anna Smith · sandbox"): a result is
        /// labelled with its own request, never taken for the form's next one.
        made_for: String,
        /// The form has moved on since (another profile, a new attempt): shown as the
        /// previous result, not as this form's.
        previous: bool,
        /// A word on its record, when it is not simply kept: why it could not be saved,
        /// or that it waits in the local file for the shared history.
        record_note: Option<String>,
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
    pub progress: Option<Report>,
    /// Esc asked it to stop; its summary is on its way.
    pub stopping: bool,
    pub profile: String,
}

/// An export (`e`) being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRun {
    pub run: u64,
    /// `None` until the records are counted.
    pub progress: Option<Report>,
    /// Esc asked it to stop; its files are being removed.
    pub stopping: bool,
}

/// The long work whose progress the status line shows, which Esc stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Refresh(u64),
    Export(u64),
    Batch(u64),
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

    /// How the zone is called in the help: "local time", or the fixed offset.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Local => "local time",
            Zone::Fixed(_) => "fixed offset",
        }
    }
}

/// Things the state needs from outside, injected so a test builds a State without a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub palette: Palette,
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
    pub palette: Palette,
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
    /// The API base of the sandbox that made `last_url`, `None` when Veriff made it: such a
    /// link opens only while that sandbox runs, which the exit line says.
    pub last_url_sandbox: Option<String>,
    /// The URL whose QR code fills the screen.
    pub qr: Option<String>,
    /// The export being written; one at a time.
    pub export: Option<ExportRun>,
    /// The URL printed on one line of the normal screen (`u`): the TUI is not drawn until a
    /// key brings it back.
    pub url_line: Option<String>,
    /// The terminal shows OSC 8 hyperlinks: URLs are drawn as links (set by the front end
    /// from the environment; off in tests unless they ask).
    pub hyperlinks: bool,
    pub quit: bool,
    /// The `R` run in progress; never two at once.
    pub refresh: Option<RefreshRun>,
    /// Numbers the long jobs (`R` runs, exports): their answers carry it, and those of a
    /// job no longer current are dropped.
    pub(super) job_seq: u64,
    /// Session ids whose `r` is in flight.
    pub refreshing: Vec<String>,
    /// The keys bound to each action (the key table with the config file's `[keys]`).
    pub keys: KeyMap,
    /// How the terminal measures text (`crate::width`); chosen once when the TUI starts.
    pub width: crate::width::WidthModel,
    /// The inspection of the record whose details are open, and its media viewer.
    pub inspector: Option<crate::tui::inspector::Inspector>,
    /// Numbers openings of the details and media fetches: late answers are recognised.
    pub(super) inspect_seq: u64,
    /// How the terminal draws pictures, when it can (set by the front end from the
    /// environment; `None`, half-blocks, in tests unless they ask).
    pub graphics: Option<crate::tui::graphics::Graphics>,
    /// `b` on Generated tokens: the batch being chosen, checked or sent.
    pub batch: Option<BatchUi>,
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
        let tokens = TokenList {
            shared: settings.history_location().is_shared(),
            ..TokenList::default()
        };
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
            palette: env.palette,
            now: env.now,
            tz: env.tz,
            form,
            in_flight: None,
            confirm_unkept: None,
            sent: None,
            next_seq: 0,
            outcome: None,
            tokens,
            dashboard: Dashboard::default(),
            help: None,
            status,
            spinner: 0,
            last_url: None,
            last_url_sandbox: None,
            qr: None,
            export: None,
            url_line: None,
            hyperlinks: false,
            quit: false,
            refresh: None,
            job_seq: 0,
            refreshing: Vec::new(),
            width: crate::width::WidthModel::default(),
            keys,
            inspector: None,
            inspect_seq: 0,
            graphics: None,
            batch: None,
        }
    }

    /// True while something shows a spinner (the main loop ticks only then).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
            || self.refresh.as_ref().is_some_and(|r| !r.quiet)
            || self.export.is_some()
            || !self.refreshing.is_empty()
            || self.batch.as_ref().is_some_and(BatchUi::running)
    }

    /// The long job the status line shows (a request in flight comes first), until it was
    /// asked to stop: what Esc stops on a screen with nothing else for it to close.
    pub fn shown_job(&self) -> Option<Job> {
        if self.in_flight.is_some() {
            return None;
        }
        if let Some(r) = self.refresh.as_ref().filter(|r| !r.quiet) {
            return (!r.stopping).then_some(Job::Refresh(r.run));
        }
        if let Some(BatchStage::Running { run, stopping, .. }) =
            self.batch.as_ref().map(|b| &b.stage)
        {
            return (!stopping).then_some(Job::Batch(*run));
        }
        self.export
            .as_ref()
            .filter(|e| !e.stopping)
            .map(|e| Job::Export(e.run))
    }

    /// How the TUI is left now, as the next run is to find it (`tui::ui_state`).
    pub fn ui_state(&self) -> UiState {
        UiState {
            more_fields: self.form.more_open,
            mine: self.tokens.mine,
        }
    }

    /// Takes what the last run left (read once, before the first frame).
    pub fn restore(&mut self, ui: UiState) {
        self.form.more_open = ui.more_fields;
        self.tokens.mine = ui.mine;
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

    /// The inspection held for `r`, when it is `r`'s.
    pub fn inspection_of(&self, r: &Record) -> Option<&crate::tui::inspector::Inspector> {
        self.inspector.as_ref().filter(|i| i.record_id == r.id)
    }

    /// The media viewer, when it is open over the details on screen.
    pub fn viewer(&self) -> Option<&crate::tui::inspector::Viewer> {
        let r = self.tokens.detail.as_ref()?;
        if self.screen != Screen::Tokens {
            return None;
        }
        self.inspection_of(r)?.viewer.as_ref()
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
            if let Some(b) = &state.batch
                && !b.running()
            {
                return match b.stage {
                    BatchStage::Path { .. } => Context::BatchPath,
                    _ => Context::Confirm,
                };
            }
            if t.confirm_delete.is_some() || t.confirm_resend.is_some() {
                Context::Confirm
            } else if t.filtering {
                Context::Filter
            } else if let Some(v) = state.viewer() {
                if v.save.is_some() {
                    Context::SavePath
                } else {
                    Context::Media
                }
            } else if t.detail.is_some() {
                Context::Detail
            } else {
                Context::List
            }
        }
        Screen::Dashboard => Context::Dashboard,
    }
}
