//! The Generated tokens list as a window onto the store: only rows around the viewport are
//! held, and more are asked for as the selection moves. Results of an older query (an
//! earlier filter) are recognised by their sequence number and dropped.
//!
//! A new filter asks for its first page before anything else, and only then for a count:
//! the rows are what the operator waits for. A search is counted up to a cap ("1000+
//! records", [`crate::history::FIRST_COUNT_CAP`]; fewer on the shared history) and the cap grows as the
//! selection nears it, so a common term never costs a count of every match; End asks for
//! the exact count.

use tui_input::Input;

use crate::history::{Page, Query, Record};

/// Rows fetched per page; a few screens' worth so scrolling rarely waits.
const PAGE: u64 = 150;
/// Fetch again when the viewport comes this close to the edge of the window.
const MARGIN: u64 = 30;

#[derive(Debug, Clone, Default)]
pub struct TokenList {
    pub filter: Input,
    /// Only the records of this batch (`generate --batch`), besides the filter.
    pub batch: Option<String>,
    /// The history is the team's shared one, where records name who made them.
    pub shared: bool,
    /// Only the operator's own records (`m`); it applies only to a shared history (see
    /// [`TokenList::only_mine`]), and is kept as chosen on a local one for the next run.
    pub mine: bool,
    /// `/` was pressed: keys go to the filter.
    pub filtering: bool,
    /// Rows matching the filter; `None` until the first page or count arrives.
    pub total: Option<u64>,
    /// `total` is the exact number, not a lower bound ("1000+").
    pub total_exact: bool,
    /// The count asked for and not yet answered (its cap, 0 = exact).
    pub counting: Option<u64>,
    /// A count of the current query has been asked for (later ones only grow it).
    pub counted: bool,
    /// End was pressed before the exact count was known: go there when it arrives.
    pub want_end: bool,
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
    /// Rows the details are scrolled by (a window too short for all of them).
    pub detail_scroll: u16,
    /// The screen the detail view was opened from, when not this one (the Dashboard):
    /// leaving the details goes back there.
    pub detail_from: Option<crate::tui::app::Screen>,
    /// Asking "delete this local record?".
    pub confirm_delete: Option<Record>,
    /// Asking "replace the text in the form?" before a re-send of this record.
    pub confirm_resend: Option<Record>,
    /// Something changed in the store since the last load.
    pub stale: bool,
    pub loaded_once: bool,
}

/// A request the list needs sent to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Count the matches, stopping at `cap` (0 = count them all).
    Count { seq: u64, query: Query, cap: u64 },
    /// `query.limit` rows from `query.offset`; with `from_end`, the list's last
    /// `query.limit` rows, read from the end (`Store::last_page`), which is where they are
    /// when the offset reaches the end of a list of known length.
    /// With `count`, the matches counted up to that cap with the page (a first page):
    /// one walk of the shared history finds both (`Store::first_page_counted`).
    Page {
        seq: u64,
        query: Query,
        from_end: bool,
        count: Option<u64>,
    },
}

impl TokenList {
    fn query(&self, profile: &str, offset: u64, limit: u64) -> Query {
        // `batch:NAME` in the filter shows that batch (any earlier one, as `history --batch`
        // does); the other words search as usual.
        let mut batch = self.batch.clone();
        let mut words = Vec::new();
        for word in self.filter.value().split_whitespace() {
            match word.strip_prefix("batch:") {
                Some(name) if !name.is_empty() => batch = Some(name.to_string()),
                _ => words.push(word),
            }
        }
        let search = words.join(" ");
        Query {
            search: (!search.is_empty()).then_some(search),
            profile: Some(profile.to_string()),
            batch,
            mine: self.only_mine(),
            offset,
            limit,
            // The list says when it shows them (its title).
            or_waiting: true,
        }
    }

    /// How far a search is counted at first: as far as its store counts within a keystroke.
    pub fn first_count_cap(&self) -> u64 {
        crate::history::first_count_cap(self.shared)
    }

    /// The list shows only the operator's own records: chosen, on a shared history.
    pub fn only_mine(&self) -> bool {
        self.shared && self.mine
    }

    /// Every record of the list as shown (filter applied), for an export; the export reads
    /// them all, page by page, whatever the window holds. Never only the links waiting for
    /// the shared history: an export says the server cannot be reached instead.
    pub fn export_query(&self, profile: &str) -> Query {
        Query {
            or_waiting: false,
            ..self.query(profile, 0, 0)
        }
    }

    /// Starts over for a new filter or after the store changed: the page around the
    /// selection first, the count once it is in.
    pub fn reload(&mut self, profile: &str, viewport: u64, reset_selection: bool) -> Vec<Load> {
        self.seq += 1;
        self.pending = None;
        self.known_end = None;
        self.counting = None;
        self.counted = false;
        self.want_end = false;
        self.stale = false;
        self.loaded_once = true;
        if reset_selection {
            self.selected = 0;
            self.offset = 0;
            // Another filter: the rows and total held belong to the old one.
            self.rows.clear();
            self.window_start = self.offset;
            self.total = None;
            self.total_exact = false;
        } else {
            // A refresh keeps showing the rows held until the new page replaces them (no
            // flicker), and counts again whatever that page says.
            self.total_exact = false;
        }
        self.fetch(profile, viewport, true)
    }

    /// A count with `cap`, unless one at least as good is on its way.
    fn count(&mut self, profile: &str, cap: u64) -> Vec<Load> {
        let covered = self
            .counting
            .is_some_and(|asked| asked == 0 || (cap != 0 && asked >= cap));
        if covered {
            return Vec::new();
        }
        self.counting = Some(cap);
        self.counted = true;
        vec![Load::Count {
            seq: self.seq,
            query: self.query(profile, 0, 0),
            cap,
        }]
    }

    /// More of a capped count once the selection comes near the number known so far.
    fn grow_count(&mut self, profile: &str, viewport: u64) -> Vec<Load> {
        match self.total {
            // A count on its way past what is known will say more: a new search's first
            // page alone can reach as far as the screen and its margin.
            Some(t) if self.counting.is_some_and(|c| c == 0 || c > t) => Vec::new(),
            Some(t) if !self.total_exact && self.offset + viewport + MARGIN >= t => {
                self.count(profile, t.saturating_mul(4).max(self.first_count_cap()))
            }
            _ => Vec::new(),
        }
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
        let mut loads = Vec::new();
        if index > last && !self.total_exact && self.total.is_some() {
            // Past what is known (End on "1000+"): go as far as known now, the rest of the
            // way when the exact count arrives.
            self.want_end = true;
            loads.extend(self.count(profile, 0));
        }
        self.selected = index.min(last);
        self.scroll_into_view(viewport);
        loads.extend(self.fetch(profile, viewport, false));
        loads
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
    /// will not), and for more of a capped count when the viewport nears its end.
    pub fn fetch(&mut self, profile: &str, viewport: u64, force: bool) -> Vec<Load> {
        let total = self.total;
        let need_start = self.offset.saturating_sub(MARGIN);
        let mut need_end = self.offset + viewport + MARGIN;
        if let Some(t) = total.filter(|_| self.total_exact) {
            need_end = need_end.min(t);
        }
        if let Some(end) = self.known_end {
            need_end = need_end.min(end);
        }
        let mut loads = self.grow_count(profile, viewport);
        let have_end = self.window_start + self.rows.len() as u64;
        let covered = self.window_start <= need_start && have_end >= need_end;
        if !force && (covered || (self.total_exact && total == Some(0))) {
            return loads;
        }
        let start = self.offset.saturating_sub(PAGE / 3);
        // A new filter's first rows are what the operator waits for: the screen and a
        // margin, no more (a search in a small profile reads many matches per row it
        // keeps); a full page follows as soon as the selection moves.
        let wanted = if self.rows.is_empty() && start == 0 {
            viewport + MARGIN
        } else {
            PAGE.max(viewport * 3)
        };
        if !force && self.pending.is_some_and(|(o, _)| o == start) {
            return loads;
        }
        // A page that reaches the end of a list of known length is read from that end: an
        // offset deep into a common search walks every match before it.
        let tail = total
            .filter(|&t| self.total_exact && start > 0 && start + wanted >= t)
            .map(|t| t - start);
        let limit = tail.unwrap_or(wanted);
        self.pending = Some((start, limit));
        let query = self.query(profile, start, limit);
        // On the shared history a search's first page comes with its count: walking the
        // newest records for both at once reads them once (SQLite counts apart, so the
        // rows are drawn before it counts).
        let count = (self.shared
            && start == 0
            && tail.is_none()
            && !self.counted
            && (query.has_search() || query.mine))
            .then(|| self.first_count_cap().max(limit + 1));
        if let Some(cap) = count {
            self.counting = Some(cap);
            self.counted = true;
        }
        loads.insert(
            0,
            Load::Page {
                seq: self.seq,
                query,
                from_end: tail.is_some(),
                count,
            },
        );
        loads
    }

    /// Takes a count; asks for the page End wanted once the count is exact.
    pub fn on_count(
        &mut self,
        seq: u64,
        cap: u64,
        result: Result<u64, String>,
        profile: &str,
        viewport: u64,
    ) -> Vec<Load> {
        if seq != self.seq {
            return Vec::new();
        }
        if self.counting == Some(cap) {
            self.counting = None;
        }
        match result {
            Ok(n) => {
                self.take_count(cap, n);
                self.error = None;
                let mut loads = Vec::new();
                if self.want_end && self.total_exact {
                    self.want_end = false;
                    loads.extend(self.select(u64::MAX, profile, viewport));
                } else {
                    self.scroll_into_view(viewport);
                    loads.extend(self.fetch(profile, viewport, false));
                }
                loads
            }
            Err(e) => {
                self.error = Some(e);
                Vec::new()
            }
        }
    }

    /// `n` matches counted up to `cap` (0: all).
    fn take_count(&mut self, cap: u64, n: u64) {
        if self.counting == Some(cap) {
            self.counting = None;
        }
        let exact = cap == 0 || n < cap;
        if exact {
            self.set_total(n, true);
        } else if !self.total_exact {
            // "At least n": never below what the pages already showed.
            self.set_total(n.max(self.total.unwrap_or(0)), false);
        }
    }

    fn set_total(&mut self, n: u64, exact: bool) {
        self.total = Some(n);
        self.total_exact = exact;
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// Takes a page; the loads it leads to (the count of a new filter, or the page the
    /// selection moved to meanwhile). `None` when the page was for an older query.
    pub fn on_page(
        &mut self,
        seq: u64,
        offset: u64,
        result: Result<Page, String>,
        profile: &str,
        viewport: u64,
    ) -> Option<Vec<Load>> {
        if seq != self.seq {
            return None;
        }
        let asked = self.pending.filter(|(o, _)| *o == offset).map(|(_, l)| l);
        if asked.is_some() {
            self.pending = None;
        }
        let mut loads = Vec::new();
        match result {
            Ok(Page {
                rows,
                total,
                counted,
            }) => {
                let end = offset + rows.len() as u64;
                let short = asked.is_some_and(|limit| (rows.len() as u64) < limit);
                if short && !(rows.is_empty() && offset > 0) {
                    // The end of the list: the exact total, no count needed.
                    self.known_end = Some(end);
                    self.set_total(end, true);
                    self.want_end = false;
                } else if let Some(t) = total.filter(|_| !self.total_exact) {
                    // The store read every match to find this page, and counted them:
                    // no count needed either (a count on its way is taken as less).
                    self.known_end = Some(t);
                    self.set_total(t, true);
                    self.counted = true;
                } else if !self.total_exact {
                    if self.total.is_none_or(|t| t < end) {
                        self.set_total(end, false);
                    }
                    if !self.counted {
                        // Without a search the count is a kept tally, exact at no cost;
                        // one operator's share of the records is counted row by row.
                        let query = self.query(profile, 0, 0);
                        let cap = if query.has_search() || query.mine {
                            self.first_count_cap().max(end + 1)
                        } else {
                            0
                        };
                        loads.extend(self.count(profile, cap));
                    }
                }
                self.window_start = offset;
                self.rows = rows;
                self.error = None;
                if let Some((cap, n)) = counted {
                    self.take_count(cap, n);
                    if self.want_end && self.total_exact {
                        self.want_end = false;
                        loads.extend(self.select(u64::MAX, profile, viewport));
                    }
                }
            }
            Err(e) => {
                // A count asked with a first page failed with it: the next page asks again.
                if offset == 0 {
                    self.counting = None;
                    self.counted = false;
                }
                self.error = Some(e)
            }
        }
        self.scroll_into_view(viewport);
        loads.extend(self.fetch(profile, viewport, false));
        Some(loads)
    }
}
