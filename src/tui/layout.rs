//! Geometry that both `update` and the view need (the minimum window, where the tokens
//! table's rows are, a centred box), so neither has to ask the other.

use ratatui::layout::Rect;

use crate::history::Record;
use crate::width::{self, WidthModel};

/// The smallest window the app draws in; below it, only "window too small" and quit.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// The rows between the header and the status line of a window of `size`, where each
/// screen draws (`view::draw_frame` lays out the same: header, body, status, footer).
pub fn body(size: (u16, u16)) -> Rect {
    Rect::new(0, 1, size.0, size.1.saturating_sub(3))
}

/// Screen row of the table's first record (below the header, the title and the column
/// names).
pub const FIRST_ROW: u16 = 3;

/// Rows of the table that fit a window of `size` (header, status and footer lines, the
/// title and the column header taken away).
pub fn table_rows(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(5).max(1)
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Where the values of a session's details start: two spaces and a 14-column label.
pub const DETAIL_LABEL: usize = 16;

/// Columns the details keep when the QR code stands beside them.
pub const DETAIL_QR_TEXT_MIN: u16 = 50;

/// The rows under the details' title in a window of `size` (the header, the title, the
/// status line and the footer taken away).
pub fn detail_body(size: (u16, u16)) -> Rect {
    Rect::new(0, 2, size.0, size.1.saturating_sub(4))
}

/// Where the media viewer is drawn in a window of `size`: the screen's body (the header,
/// the status line and the footer taken away).
pub fn media_body(size: (u16, u16)) -> Rect {
    Rect::new(0, 1, size.0, size.1.saturating_sub(3))
}

/// Where the viewer draws the picture in its `body`: under its title and the file's type,
/// size and time.
pub fn media_picture(body: Rect) -> Rect {
    Rect::new(
        body.x,
        body.y.saturating_add(2),
        body.width,
        body.height.saturating_sub(2),
    )
}

/// The QR code's size when it stands beside the details in `body` (both whole), else
/// `None`. A record without a link has no code.
pub fn detail_code_beside(r: &Record, body: Rect) -> Option<(u16, u16)> {
    if !r.has_link() {
        return None;
    }
    crate::qr::size(&r.url)
        .filter(|(w, h)| body.width >= w + 2 + DETAIL_QR_TEXT_MIN && body.height >= *h)
}

/// How many rows the details of `r` take when `width` columns wide, laid out as the view
/// lays them out (`view::tokens`, which a test holds to this count): the URL (or what to
/// do when there is none), then a row a field, long values wrapped under their column.
pub fn detail_rows(r: &Record, model: WidthModel, width: u16, qr_hint: bool) -> usize {
    let width = usize::from(width);
    let values = width.saturating_sub(DETAIL_LABEL).max(8);
    let field = |v: &str| width::wrap_words(model, v, values).len().max(1);
    let opt = |v: &str| if v.is_empty() { 1 } else { field(v) };
    let mut rows = match r.status.advice() {
        Some(advice) => 1 + width::wrap_words(model, &detail_advice(advice), width).len(),
        None => width::hard_wrap(model, &r.url, width).len(),
    };
    rows += if r.has_link() {
        field(&r.session_id)
    } else {
        1
    };
    rows += 1; // Status
    rows += r.decision_reason.as_deref().map_or(0, field);
    // Times are 16 columns with one space: one row at any width the app draws.
    rows += usize::from(r.decision_time.is_some()) + usize::from(r.checked_at.is_some());
    rows += r.check_error.as_deref().map_or(0, field);
    rows += 2; // Created, Expires
    rows += opt(&r.first_name) + opt(&r.last_name) + opt(&r.lang) + 1;
    rows += opt(&r.callback) + opt(&r.vendor_data);
    rows += r
        .extra
        .filled()
        .iter()
        .map(|(_, v)| field(v))
        .sum::<usize>();
    rows += field(&r.profile) + field(&r.base_url);
    rows += r.host.as_deref().map_or(0, field);
    rows + usize::from(qr_hint)
}

/// The sentence the details show in place of a URL when the outcome is unknown.
pub fn detail_advice(advice: &str) -> String {
    let mut chars = advice.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// How far the details on screen scroll: the rows past the window, the inspection under
/// the fields included (`inspection_text::rows`, which the view draws).
pub fn detail_max_scroll(state: &crate::tui::app::State) -> u16 {
    let Some(r) = &state.tokens.detail else {
        return 0;
    };
    let model = state.width;
    let body = detail_body(state.size);
    let beside = detail_code_beside(r, body);
    let width = match beside {
        Some((w, _)) => body.width.saturating_sub(w + 2),
        None => body.width,
    };
    let qr_hint = beside.is_none() && r.has_link() && crate::qr::size(&r.url).is_some();
    let mut rows = detail_rows(r, model, width, qr_hint);
    if let Some(insp) = state.inspection_of(r) {
        let key = state.keys.label(crate::keymap::Action::Media);
        rows += crate::tui::inspection_text::rows(insp, model, width, state.tz, &key).len();
    }
    u16::try_from(rows.saturating_sub(usize::from(body.height))).unwrap_or(u16::MAX)
}
