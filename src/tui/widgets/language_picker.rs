//! The dropdown under the Language field: languages matching what was typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::languages::{self, Language};
use crate::tui::theme::Theme;
use crate::tui::view::{fit, fit_words};

/// Columns of the list, from two left of the field.
pub const WIDTH: u16 = 48;

/// Draws the picker below `anchor` (the field), inside `bounds`; `keys` names the keys that
/// choose and pick (`↑↓ Enter`).
#[allow(clippy::too_many_arguments)]
pub fn render(
    frame: &mut Frame,
    anchor: Rect,
    bounds: Rect,
    query: &str,
    matches: &[&Language],
    selected: usize,
    keys: &str,
    theme: Theme,
) {
    let below = bounds.bottom().saturating_sub(anchor.bottom());
    let want = u16::try_from(matches.len().clamp(1, 8)).unwrap_or(8) + 2;
    let height = want.min(below);
    if height < 3 {
        return;
    }
    // Two columns left of the field, so the box also covers the button's `[` beneath.
    let x = anchor.x.saturating_sub(2).max(bounds.x);
    let width = WIDTH.min(bounds.right().saturating_sub(x));
    let area = Rect::new(x, anchor.bottom(), width, height);
    let inner = usize::from(width.saturating_sub(2));
    let rows = usize::from(height - 2);
    let selected = selected.min(matches.len().saturating_sub(1));
    let first = selected.saturating_sub(rows.saturating_sub(1));
    let mut lines: Vec<Line> = matches
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, l)| {
            let text = fit(
                &format!(" {:<8}{} · {}", l.code, l.english, l.native),
                inner,
            );
            let style = if i == selected {
                theme.selected()
            } else {
                theme.base()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    if matches.is_empty() {
        let q = query.trim();
        let text = if languages::is_valid_code(q) {
            format!(" {q}: not listed, but a valid code")
        } else {
            " no match: type a name or a code like pt-BR".to_string()
        };
        lines.push(Line::from(Span::styled(
            fit_words(&text, inner),
            theme.dim(),
        )));
    }
    let title = format!(" {} of {} · {keys} ", matches.len(), languages::all().len());
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(title, theme.dim()));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
