//! The Dashboard screen: counts by status for the active profile (charts come later).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::text::sanitize;
use crate::tui::app::State;
use crate::tui::theme::Theme;
use crate::tui::view::{fit, rule};
use crate::tui::widgets::status_badge;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let profile = sanitize(&state.settings.profile_name);
    let title = vec![
        Span::styled("Dashboard", theme.title()),
        Span::styled(format!(" · {profile}"), theme.dim()),
    ];
    let mut lines = vec![rule(title, area.width, theme), Line::default()];
    let d = &state.dashboard;
    if let Some(e) = &d.error {
        lines.push(Line::from(Span::styled(format!("✖ {e}"), theme.error())));
        lines.push(Line::from(Span::styled(
            "The history could not be read; Alt+3 tries again, and the log file (? shows its path) has details.",
            theme.dim(),
        )));
    } else if let Some(counts) = &d.counts {
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let bar_room = usize::from(area.width).saturating_sub(36).min(50);
        for (status, n) in counts {
            let badge = status_badge::badge(status, theme);
            let bar = usize::try_from(n.saturating_mul(bar_room as u64) / max).unwrap_or(0);
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(fit(&badge.content, 24), badge.style),
                Span::raw(format!("{n:>6}  ")),
                Span::styled("█".repeat(bar), badge.style),
            ]));
        }
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(fit("total", 24), theme.accent()),
            Span::styled(format!("{total:>6}"), theme.accent()),
        ]));
        if total == 0 {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "  No sessions for this profile yet: generate one on the Generate screen (Alt+1).",
                theme.dim(),
            )));
        }
    } else {
        lines.push(Line::from(Span::styled("  loading…", theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
