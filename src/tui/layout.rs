//! Geometry that both `update` and the view need (the minimum window, where the tokens
//! table's rows are, a centred box), so neither has to ask the other.

use ratatui::layout::Rect;

/// The smallest window the app draws in; below it, only "window too small" and quit.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

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
