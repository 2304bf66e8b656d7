//! The inspection under a session's details: the rows `inspection_text` lays out (and
//! `layout` counts), styled. Every piece passes `glyphs::shown`, so names in any script
//! keep their columns.

use ratatui::text::{Line, Span};

use crate::tui::glyphs::shown;
use crate::tui::inspection_text::{Kind, Row};
use crate::tui::theme::Theme;
use crate::tui::view::rule;

/// The rows as lines, one line a row, for `width` columns.
pub fn lines(rows: Vec<Row>, width: u16, theme: Theme) -> Vec<Line<'static>> {
    rows.into_iter()
        .map(|Row(pieces)| {
            let title = pieces.first().is_some_and(|(k, _)| *k == Kind::Title);
            let spans: Vec<Span<'static>> = pieces
                .into_iter()
                .map(|(kind, text)| {
                    let style = match kind {
                        Kind::Title => theme.title(),
                        Kind::Note | Kind::Label | Kind::Dim => theme.dim(),
                        Kind::Value => theme.base(),
                        Kind::Error => theme.error(),
                    };
                    Span::styled(shown(&text), style)
                })
                .collect();
            if title {
                rule(spans, width, theme)
            } else {
                Line::from(spans)
            }
        })
        .collect()
}
