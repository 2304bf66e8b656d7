//! Every input the app reacts to: terminal events, ticks, signals and results of background
//! work. Results carry the sequence number of the request they answer, so stale ones are
//! recognised and dropped.

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};

use crate::clipboard::CopyOutcome;
use crate::history::Record;
use crate::ops::generate::{Failed, Generated};
use crate::veriff::{CreatedSession, SessionStatus};

/// What a copy was for, so its outcome lands in the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    /// The URL just generated (the result panel shows the outcome).
    GeneratedUrl,
    Url,
    SessionId,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Spinner frame; sent only while something is in flight.
    Tick,
    /// SIGTERM, SIGHUP or SIGINT.
    Quit,
    /// Veriff created the session of Generate `seq`: its URL is to be shown now.
    Created {
        seq: u64,
        session: Box<CreatedSession>,
    },
    /// Generate `seq` ended: the record completed (or why not), or why there is no link.
    Generated {
        seq: u64,
        result: Box<Result<Generated, Failed>>,
    },
    Copied {
        what: CopyWhat,
        outcome: CopyOutcome,
    },
    Count {
        seq: u64,
        /// The cap it was counted with (0 = exact): a count that reached it is "cap or more".
        cap: u64,
        result: Result<u64, String>,
    },
    Page {
        seq: u64,
        offset: u64,
        result: Result<Vec<Record>, String>,
    },
    Deleted {
        id: i64,
        result: Result<bool, String>,
    },
    StatusCounts(Result<Vec<(SessionStatus, u64)>, String>),
    Opened(Result<(), String>),
    Exported(Result<crate::ops::export::ExportedFiles, String>),
    /// `r`: one record's decision was fetched and stored (or why not).
    Refreshed(Box<crate::ops::refresh::Refreshed>),
    /// A run of `R` counted its pending records.
    RefreshStarted {
        run: u64,
        total: usize,
    },
    /// A run of `R` stored one more answer.
    RefreshProgress {
        run: u64,
        done: usize,
        total: usize,
        /// The record as stored after this answer.
        record: Option<Box<Record>>,
    },
    RefreshDone {
        run: u64,
        result: Result<crate::ops::refresh::Summary, String>,
    },
    /// The auto-refresh interval (`ui.refresh_interval_secs`) passed.
    AutoRefresh,
    DashboardData(Result<crate::tui::app::DashboardData, String>),
}

impl Msg {
    /// Maps a terminal event; key releases are dropped (kitty protocol terminals send them).
    pub fn from_event(event: Event) -> Option<Msg> {
        match event {
            Event::Key(k) if k.kind == KeyEventKind::Release => None,
            Event::Key(k) => Some(Msg::Key(k)),
            Event::Paste(s) => Some(Msg::Paste(s)),
            Event::Mouse(m) => Some(Msg::Mouse(m)),
            Event::Resize(w, h) => Some(Msg::Resize(w, h)),
            Event::FocusGained | Event::FocusLost => None,
        }
    }
}
