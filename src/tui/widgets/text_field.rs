//! A one-line text field drawn from a `tui_input::Input`, scrolled horizontally and measured
//! by grapheme display width, with the terminal's own cursor placed in it so input methods
//! compose in place.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use tui_input::Input;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::tui::theme::Theme;
use crate::tui::view::{fit, fit_words};

/// The part of `value` visible from display column `scroll`, at most `width` columns wide.
pub fn visible(value: &str, scroll: usize, width: usize) -> String {
    let mut col = 0;
    let mut out = String::new();
    let mut used = 0;
    for g in value.graphemes(true) {
        let w = g.width();
        if col < scroll {
            col += w;
            continue;
        }
        if used + w > width {
            break;
        }
        used += w;
        out.push_str(g);
    }
    out
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
    let scroll = if focused {
        input.visual_scroll(width.saturating_sub(1))
    } else {
        0
    };
    let style = theme.input(focused);
    let line = if input.value().is_empty() && !focused {
        Line::from(Span::styled(
            fit_words(placeholder, width),
            style.patch(theme.dim()),
        ))
    } else if !focused {
        let value = crate::text::sanitize(input.value());
        Line::from(Span::raw(fit(&value, width).trim_end().to_string()))
    } else {
        // A value prefilled from a file may hold control characters: never drawn raw.
        Line::from(Span::raw(crate::text::sanitize(&visible(
            input.value(),
            scroll,
            width,
        ))))
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line).style(style), area);
    if focused {
        let x = input.visual_cursor().saturating_sub(scroll);
        let x = u16::try_from(x).unwrap_or(u16::MAX).min(area.width - 1);
        frame.set_cursor_position(Position::new(area.x + x, area.y));
    }
}
