//! A session status as words and colour (the words carry it alone under NO_COLOR).

use ratatui::text::Span;

use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::veriff::SessionStatus;

pub fn badge(status: &SessionStatus, theme: Theme) -> Span<'static> {
    Span::styled(sanitize(&status.label()), theme.status(status))
}

/// [`badge`] with the short label, for table columns.
pub fn short_badge(status: &SessionStatus, theme: Theme) -> Span<'static> {
    Span::styled(sanitize(&status.short_label()), theme.status(status))
}
