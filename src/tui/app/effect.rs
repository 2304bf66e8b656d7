//! Effects: work for the runtime, each carrying everything it needs.

use super::*;

/// Work for the main loop to run off the UI thread.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Ctrl+S: `ops::generate` with the request as it was when the key was pressed.
    Generate {
        seq: u64,
        request: Box<Request>,
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
    /// `u`: leave the TUI's screen and print the URL as one line, which the terminal wraps
    /// softly, so a mouse selection copies it as one line.
    ShowUrlLine(String),
    /// A key after [`Effect::ShowUrlLine`]: back to the TUI's screen, redrawn whole.
    BackFromUrlLine,
    /// Every record matching `query` to CSV and JSON files in `dir`.
    Export {
        run: u64,
        query: Query,
        dir: std::path::PathBuf,
    },
    /// Esc: the long job `run` (an export, a refresh run) is to stop.
    Stop {
        run: u64,
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
    /// Keep how the TUI was left for the next run (`tui::ui_state`); a failure is logged.
    SaveUiState(UiState),
    /// The inspection kept in the history for `record_id`: the details show it at once.
    KeptInspection {
        seq: u64,
        record_id: i64,
    },
    /// A fresh inspection of `record` through its own profile, kept beside it.
    Inspect {
        seq: u64,
        endpoint: Endpoint,
        record: Box<Record>,
    },
    /// One media file into memory (never to disk), decoded when it is a picture.
    FetchMedia {
        seq: u64,
        endpoint: Endpoint,
        media_id: String,
    },
    /// The picture shown, encoded for the terminal's graphics and an area of `area` cells.
    EncodeMedia {
        seq: u64,
        file: std::sync::Arc<crate::tui::inspector::Loaded>,
        graphics: crate::tui::graphics::Graphics,
        area: (u16, u16),
    },
    /// `b`: read and check a batch file under the settings as they are.
    BatchCheck {
        seq: u64,
        path: std::path::PathBuf,
        settings: Box<Settings>,
    },
    /// Send the batch checked (its valid rows).
    BatchRun {
        run: u64,
        plan: std::sync::Arc<crate::ops::batch::Plan>,
    },
    /// `s`: the media file shown, to the file the operator named (new, 0600).
    SaveMedia {
        seq: u64,
        path: String,
        file: std::sync::Arc<crate::tui::inspector::Loaded>,
    },
}
