//! Every input the app reacts to: terminal events, ticks, signals and results of background
//! work. Results carry the sequence number of the request they answer, so stale ones are
//! recognised and dropped.

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};

use crate::clipboard::CopyOutcome;
use crate::history::Record;
use crate::ops::export::{DirExportError, ExportedFiles};
use crate::ops::generate::{Failed, Generated};
use crate::ops::progress::Report;
use crate::veriff::inspect::Inspection;
use crate::veriff::{CreatedSession, SessionStatus};
use std::sync::Arc;

/// What a copy was for, so its outcome lands in the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    /// The URL just generated (the result panel shows the outcome).
    GeneratedUrl,
    Url,
    SessionId,
    /// `C`: the curl command that makes a record's request again (the key left to the shell).
    Curl,
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
        result: Result<crate::history::Page, String>,
    },
    Deleted {
        id: i64,
        result: Result<bool, String>,
    },
    StatusCounts(Result<Vec<(SessionStatus, u64)>, String>),
    Opened(Result<(), String>),
    /// Export `run` counted its records, or wrote some more.
    ExportProgress {
        run: u64,
        report: Report,
    },
    /// A batch file read and checked (`b`), or why it could not be.
    BatchChecked {
        seq: u64,
        result: Result<Arc<crate::ops::batch::Plan>, String>,
    },
    /// Batch `run` sent some more rows.
    BatchProgress {
        run: u64,
        report: Report,
    },
    /// Batch `run` ended.
    BatchDone {
        run: u64,
        result: Result<crate::ops::batch::Summary, String>,
    },
    /// Export `run` ended: its files, or why nothing was kept.
    Exported {
        run: u64,
        result: Result<ExportedFiles, DirExportError>,
    },
    /// `r`: one record's decision was fetched and stored (or why not).
    Refreshed(Box<crate::ops::refresh::Refreshed>),
    /// A run of `R` counted its pending records, or stored more answers (reported a few
    /// times a second at most, however fast they come).
    RefreshProgress {
        run: u64,
        report: Report,
        /// The records as stored after the answers since the last report.
        records: Vec<Record>,
    },
    RefreshDone {
        run: u64,
        result: Result<crate::ops::refresh::Summary, String>,
    },
    /// Another process changed the history (`tui::watch`): what shows records catches up.
    HistoryChanged(Box<crate::history::Changes>),
    /// The auto-refresh interval (`ui.refresh_interval_secs`) passed.
    AutoRefresh,
    DashboardData(Result<crate::tui::app::DashboardData, String>),
    /// The inspection kept in the history for the details opened as `seq` (`None`: never
    /// inspected), read at once so the details show it offline.
    KeptInspection {
        seq: u64,
        /// Boxed: an inspection is large, and every message is as large as the largest.
        result: Result<Option<Box<Inspection>>, String>,
    },
    /// The fresh inspection asked for when the details `seq` were opened.
    Inspected {
        seq: u64,
        answer: Box<crate::tui::inspector::Answer>,
    },
    /// The media file asked for as `seq`, in memory (and drawn, if it is a picture).
    MediaFetched {
        seq: u64,
        result: Result<Arc<crate::tui::inspector::Loaded>, String>,
    },
    /// The picture of `seq`, encoded for the terminal's graphics (or why not: half-blocks
    /// then).
    MediaEncoded {
        seq: u64,
        result: Result<Arc<crate::tui::graphics::Encoded>, String>,
    },
    /// The media file of `seq` was saved to `path` (or why not).
    MediaSaved {
        seq: u64,
        path: String,
        result: Result<u64, crate::tui::inspector::SaveFailure>,
    },
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
