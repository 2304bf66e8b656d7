//! A one-line text field drawn from a `tui_input::Input`, scrolled horizontally and measured
//! as the terminal measures (`crate::width`), with the terminal's own cursor placed in it so
//! input methods compose in place.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use tui_input::Input;

use crate::tui::glyphs;
use crate::tui::theme::Theme;
use crate::tui::view::{fit, fit_words};
use crate::width::{self, WidthModel};

/// The part of `value` visible from terminal column `scroll`, at most `width` columns wide.
/// A wide glyph cut by the left edge leaves its visible half blank.
pub fn visible(model: WidthModel, value: &str, scroll: usize, width: usize) -> String {
    let mut col = 0;
    let mut out = String::new();
    let mut used = 0;
    for (cell, w) in width::cells(model, value) {
        if col < scroll {
            col += w;
            if col > scroll && used < width {
                out.push(' ');
                used += 1;
            }
            continue;
        }
        if used + w > width {
            break;
        }
        used += w;
        out.push_str(&cell);
    }
    out
}

/// The terminal column of the insertion point (`Input` counts code points), and the first
/// column shown so that it stays in a field `width` columns wide.
fn cursor_and_scroll(model: WidthModel, input: &Input, width: usize) -> (usize, usize) {
    let value = input.value();
    let byte = value
        .char_indices()
        .nth(input.cursor())
        .map_or(value.len(), |(i, _)| i);
    let cursor = width::width(model, &value[..byte]);
    let want = cursor.saturating_sub(width);
    // Scroll by whole cells, as far as needed and no further.
    let mut scroll = 0;
    for (_, w) in width::cells(model, value) {
        if scroll >= want {
            break;
        }
        scroll += w;
    }
    (cursor, scroll)
}

/// Draws the field; when focused, puts the terminal cursor at the insertion point.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    input: &Input,
    focused: bool,
    placeholder: &str,
    theme: Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let width = usize::from(area.width);
    // One column is kept free so the cursor fits after the last character. Only the
    // focused field has a cursor to follow; the others show their start.
    let model = glyphs::model();
    let (cursor, scroll) = cursor_and_scroll(model, input, width.saturating_sub(1));
    let style = theme.input(focused);
    let line = if input.value().is_empty() {
        // Kept while the empty field has the focus, as a browser does: what to type
        // (`YYYY-MM-DD`) is worth most then. The cursor stands on its first cell.
        Line::from(Span::styled(
            fit_words(placeholder, width),
            style.patch(theme.dim()),
        ))
    } else if !focused {
        let value = crate::text::sanitize(input.value());
        Line::from(Span::raw(fit(&value, width).trim_end().to_string()))
    } else {
        // A value prefilled from a file may hold control characters: never drawn raw.
        Line::from(Span::raw(glyphs::shown(&crate::text::sanitize(&visible(
            model,
            input.value(),
            scroll,
            width,
        )))))
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line).style(style), area);
    if focused {
        let x = cursor.saturating_sub(scroll);
        let x = u16::try_from(x).unwrap_or(u16::MAX).min(area.width - 1);
        frame.set_cursor_position(Position::new(area.x + x, area.y));
    }
}
