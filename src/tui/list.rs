//! The Generated tokens list as a window onto the store: only rows around the viewport are
//! held, and more are asked for as the selection moves. Results of an older query (an
//! earlier filter) are recognised by their sequence number and dropped.

use tui_input::Input;

use crate::history::{Query, Record};

/// Rows fetched per page; a few screens' worth so scrolling rarely waits.
const PAGE: u64 = 150;
/// Fetch again when the viewport comes this close to the edge of the window.
const MARGIN: u64 = 30;

#[derive(Debug, Clone, Default)]
pub struct TokenList {
    pub filter: Input,
    /// `/` was pressed: keys go to the filter.
    pub filtering: bool,
    /// Rows matching the filter; `None` until counted.
    pub total: Option<u64>,
    pub selected: u64,
    /// First row shown.
    pub offset: u64,
    /// Index (in the whole list) of `rows[0]`.
    pub window_start: u64,
    pub rows: Vec<Record>,
    /// Sequence number of the current query; answers to older ones are dropped.
    pub seq: u64,
    /// The page asked for and not yet answered (`offset`, `limit`).
    pub pending: Option<(u64, u64)>,
    /// Where the list ends, learnt from a page shorter than asked for.
    pub known_end: Option<u64>,
    pub error: Option<String>,
    /// The record in the detail view.
    pub detail: Option<Record>,
    /// Asking "delete this local record?".
    pub confirm_delete: Option<Record>,
    /// Something changed in the store since the last load.
    pub stale: bool,
    pub loaded_once: bool,
}

/// A request the list needs sent to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    Count { seq: u64, query: Query },
    Page { seq: u64, query: Query },
}

impl TokenList {
    fn query(&self, profile: &str, offset: u64, limit: u64) -> Query {
        let search = self.filter.value().trim();
        Query {
            search: (!search.is_empty()).then(|| search.to_string()),
            profile: Some(profile.to_string()),
            offset,
            limit,
        }
    }

    /// Every record of the list as shown (filter applied), for an export; the export reads
    /// them all, page by page, whatever the window holds.
    pub fn export_query(&self, profile: &str) -> Query {
        self.query(profile, 0, 0)
    }

    /// Starts over for a new filter or after the store changed: count, then the page around
    /// the selection.
    pub fn reload(&mut self, profile: &str, viewport: u64, reset_selection: bool) -> Vec<Load> {
        self.seq += 1;
        self.pending = None;
        self.known_end = None;
        self.stale = false;
        self.loaded_once = true;
        if reset_selection {
            self.selected = 0;
            self.offset = 0;
        }
        let mut loads = vec![Load::Count {
            seq: self.seq,
            query: self.query(profile, 0, 0),
        }];
        if reset_selection {
            // Another filter: the rows held belong to the old one.
            self.rows.clear();
            self.window_start = self.offset;
        }
        // A refresh keeps showing the rows held until the new page replaces them: no flicker.
        loads.extend(self.fetch(profile, viewport, true));
        loads
    }

    /// Index of the row at `i`, when it is in the window.
    pub fn row(&self, i: u64) -> Option<&Record> {
        i.checked_sub(self.window_start)
            .and_then(|k| self.rows.get(usize::try_from(k).ok()?))
    }

    pub fn selected_record(&self) -> Option<&Record> {
        self.row(self.selected)
    }

    /// Moves the selection by `delta` rows (clamped), keeping it in view.
    pub fn move_by(&mut self, delta: i64, profile: &str, viewport: u64) -> Vec<Load> {
        let last = self.total.unwrap_or(0).saturating_sub(1);
        let next = if delta < 0 {
            self.selected.saturating_sub(delta.unsigned_abs())
        } else {
            self.selected.saturating_add(delta.unsigned_abs()).min(last)
        };
        self.select(next, profile, viewport)
    }

    pub fn select(&mut self, index: u64, profile: &str, viewport: u64) -> Vec<Load> {
        let last = self.total.unwrap_or(0).saturating_sub(1);
        self.selected = index.min(last);
        self.scroll_into_view(viewport);
        self.fetch(profile, viewport, false)
    }

    pub fn scroll_into_view(&mut self, viewport: u64) {
        let viewport = viewport.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + viewport {
            self.offset = self.selected + 1 - viewport;
        }
        // After a resize or a shrinking list, do not leave empty rows below the last one.
        let total = self.total.unwrap_or(0);
        if self.offset + viewport > total {
            self.offset = total.saturating_sub(viewport);
        }
    }

    /// Asks for the page around the viewport when the window does not cover it (or soon
    /// will not).
    pub fn fetch(&mut self, profile: &str, viewport: u64, force: bool) -> Vec<Load> {
        let total = self.total;
        let need_start = self.offset.saturating_sub(MARGIN);
        let mut need_end = self.offset + viewport + MARGIN;
        if let Some(t) = total {
            need_end = need_end.min(t);
        }
        if let Some(end) = self.known_end {
            need_end = need_end.min(end);
        }
        let have_end = self.window_start + self.rows.len() as u64;
        let covered = self.window_start <= need_start && have_end >= need_end;
        if !force && (covered || total == Some(0)) {
            return Vec::new();
        }
        let start = self.offset.saturating_sub(PAGE / 3);
        let limit = PAGE.max(viewport * 3);
        if !force && self.pending.is_some_and(|(o, _)| o == start) {
            return Vec::new();
        }
        self.pending = Some((start, limit));
        vec![Load::Page {
            seq: self.seq,
            query: self.query(profile, start, limit),
        }]
    }

    pub fn on_count(&mut self, seq: u64, result: Result<u64, String>, viewport: u64) {
        if seq != self.seq {
            return;
        }
        match result {
            Ok(n) => {
                self.total = Some(n);
                self.selected = self.selected.min(n.saturating_sub(1));
                self.scroll_into_view(viewport);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Takes a page; true when it was current.
    pub fn on_page(&mut self, seq: u64, offset: u64, result: Result<Vec<Record>, String>) -> bool {
        if seq != self.seq {
            return false;
        }
        let asked = self.pending.filter(|(o, _)| *o == offset).map(|(_, l)| l);
        if asked.is_some() {
            self.pending = None;
        }
        match result {
            Ok(rows) => {
                if asked.is_some_and(|limit| (rows.len() as u64) < limit) {
                    self.known_end = Some(offset + rows.len() as u64);
                }
                self.window_start = offset;
                self.rows = rows;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }
}
