//! Where the Generate form's rows go: the fields on screen, the rows each takes (itself and
//! its error lines), how many rows the form gets, and which of them show when the form is
//! taller than that (the "More fields" section open in a short window). `update` keeps the
//! focused field in view with it ([`crate::tui::form::Form::scroll`]) and the view draws by
//! it: both read this one layout, so neither guesses the other's.

use crate::text::sanitize;
use crate::tui::app::{Outcome, State};
use crate::tui::form::Field;
use crate::width::{self, WidthModel};

/// Columns of the labels, left of the inputs and of the error lines.
pub const LABEL: u16 = 17;

/// A body this tall or taller gets the form's title, and a blank row under the form.
pub const ROOMY: u16 = 20;

/// One field on screen: its first row (counted from the form's first row, the title not
/// included) and how many rows it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub field: Field,
    pub top: u16,
    pub rows: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormLayout {
    /// The form's title is drawn above it.
    pub title: bool,
    /// The fields on screen, in form order.
    pub fields: Vec<Placed>,
    /// Rows of every field together.
    pub total: u16,
    /// Rows the form gets on screen; it scrolls when `total` is more.
    pub height: u16,
}

impl FormLayout {
    /// The form in a body of `width` x `height` (the window less its header, status line and
    /// footer: [`crate::tui::layout::body`]).
    pub fn of(state: &State, width: u16, height: u16) -> FormLayout {
        let form = &state.form;
        let title = height >= ROOMY;
        let error_room = usize::from(width.saturating_sub(LABEL));
        let mut fields = Vec::new();
        let mut top: u16 = 0;
        for field in form.visible_fields() {
            // In a short window the result needs the row more than the button does; Enter
            // on the Generate button still shows it when it is focused.
            if field == Field::Submit && !title && form.focus != field && state.outcome.is_some() {
                continue;
            }
            let errors = form.shown_error(field).map_or(0, |e| {
                width::wrap_words(state.width, &error_line(&e), error_room).len()
            });
            let rows = u16::try_from(errors).unwrap_or(u16::MAX).saturating_add(1);
            fields.push(Placed { field, top, rows });
            top = top.saturating_add(rows);
        }
        let total = top;
        // The rows under the title, less the blank row a roomy body keeps under the form.
        let room = height.saturating_sub(2 * u16::from(title));
        // The fields above "More fields" keep the rows they always had; the rest of the form
        // gives way to the result's own rows (the link, or why there is none), and scrolls.
        let base: u16 = fields
            .iter()
            .take_while(|p| p.field != Field::MoreFields)
            .map(|p| p.rows)
            .sum();
        let result = result_rows(state, width);
        let height = total.min(room).min(base.max(room.saturating_sub(result)));
        FormLayout {
            title,
            fields,
            total,
            height,
        }
    }

    /// The first row to show, from the one shown before (`scroll`): the focused field whole
    /// in view (its first rows when it is taller than the form), moving no further than
    /// that, and no blank rows under the last field.
    pub fn scroll_for(&self, focus: Field, scroll: u16) -> u16 {
        let mut first = scroll.min(self.total.saturating_sub(self.height));
        if let Some(p) = self.fields.iter().find(|p| p.field == focus) {
            let end = p.top.saturating_add(p.rows);
            if end > first.saturating_add(self.height) {
                first = end.saturating_sub(self.height);
            }
            first = first.min(p.top);
        }
        first
    }
}

/// An error as drawn under its field.
pub fn error_line(error: &str) -> String {
    format!("✖ {error}")
}

/// "Session ID … Expires …" fits one row of `width` columns (else it takes two). The time
/// is always 16 columns (`2026-11-25 18:33`).
pub fn session_facts_fit(model: WidthModel, id: &str, width: usize) -> bool {
    "Session ID ".len() + width::width(model, id) + "  Expires ".len() + 16 <= width
}

/// The rows of the result under the form that matter more than the section's fields: what
/// was made and its link, or why there is none. None without a result: the form's hint
/// then gives way to the fields.
fn result_rows(state: &State, width: u16) -> u16 {
    let model = state.width;
    let w = usize::from(width);
    let rows = match &state.outcome {
        None => 0,
        Some(Outcome::Created {
            session,
            record_note,
            ..
        }) => {
            let url = width::hard_wrap(model, &sanitize(&session.url), w).len();
            let facts = if session_facts_fit(model, &sanitize(&session.id), w) {
                1
            } else {
                2
            };
            1 + url + facts + usize::from(record_note.is_some())
        }
        Some(Outcome::Failed { message, hint, .. }) => {
            let message = width::wrap_words(model, message, w).len();
            let hint = width::wrap_words(model, &format!("→ {hint}"), w).len();
            1 + message + hint + 1
        }
    };
    u16::try_from(rows).unwrap_or(u16::MAX)
}
