//! The batch dialog over Generated tokens (`b`): the file's path being typed, the rows
//! being checked, then what the check found (the invalid rows by line) and the question.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::keymap::Action;
use crate::text::sanitize;
use crate::tui::app::{BatchStage, BatchUi, State};
use crate::tui::glyphs::shown;
use crate::tui::theme::Theme;
use crate::tui::view::centered;
use crate::tui::widgets::text_field;

/// Invalid rows listed in the dialog; the rest are counted.
const LISTED: usize = 6;

pub fn draw(frame: &mut Frame, area: Rect, batch: &BatchUi, state: &State, theme: Theme) {
    let keys = &state.keys;
    let key = |a: Action| Span::styled(keys.label(a), theme.key());
    let mut text: Vec<Line> = Vec::new();
    let mut field = None;
    match &batch.stage {
        BatchStage::Path { input, error } => {
            text.push(Line::from(
                "A link for every row of a CSV file whose header names the fields",
            ));
            text.push(Line::from(Span::styled(
                "(first_name, last_name, email, …; comma or semicolon).",
                theme.dim(),
            )));
            text.push(Line::default());
            field = Some(input);
            text.push(Line::default());
            if let Some(e) = error {
                text.push(Line::from(Span::styled(shown(&sanitize(e)), theme.error())));
            }
            text.push(Line::from(vec![
                key(Action::Select),
                Span::raw(" check the rows (nothing is sent yet)   "),
                key(Action::Back),
                Span::raw(" cancel"),
            ]));
        }
        BatchStage::Checking { path, .. } => {
            text.push(Line::from(shown(&format!(
                "Reading and checking {}…",
                sanitize(path)
            ))));
        }
        BatchStage::Checked { plan } => {
            let invalid = plan.invalid();
            text.push(Line::from(shown(&format!(
                "{}: {} rows, {} valid, {} invalid",
                sanitize(&plan.name),
                plan.rows.len(),
                plan.valid(),
                invalid.len()
            ))));
            for (line, problems) in invalid.iter().take(LISTED) {
                text.push(Line::from(Span::styled(
                    shown(&format!("line {line}: {}", problems.join("; "))),
                    theme.warning(),
                )));
            }
            if invalid.len() > LISTED {
                text.push(Line::from(Span::styled(
                    format!("…and {} more invalid rows", invalid.len() - LISTED),
                    theme.dim(),
                )));
            }
            text.push(Line::from(Span::styled(
                "Rows with a session from an earlier run are skipped; invalid rows are not sent.",
                theme.dim(),
            )));
            text.push(Line::default());
            text.push(Line::from(vec![
                key(Action::Yes),
                Span::raw(format!(" send the {} valid rows   ", plan.valid())),
                key(Action::No),
                Span::raw(" cancel"),
            ]));
        }
        BatchStage::Running { .. } => return,
    }
    // Wrapped lines count as the rows they take.
    let width = area.width.min(76);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = text
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let rect = centered(area, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(" Batch ", theme.accent()));
    frame.render_widget(Clear, rect);
    let inner = block.inner(rect);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        rect,
    );
    if let Some(input) = field
        && inner.height > 3
    {
        text_field::render(
            frame,
            Rect::new(inner.x, inner.y + 2, inner.width, 1),
            input,
            true,
            "path of the CSV file, e.g. ~/people.csv",
            theme,
        );
    }
}
