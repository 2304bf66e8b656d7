//! The help overlay: every key, and where the config and the log live.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::keymap::{Action, Context};
use crate::tui::app::State;
use crate::tui::help_text::{lines, max_scroll, rect};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, scroll: u16, theme: Theme) {
    let rect = rect(area);
    let all = lines(state, theme, rect.width.saturating_sub(2));
    let max_scroll = max_scroll(state, (area.width, area.height));
    let scroll = scroll.min(max_scroll);
    let keys = &state.keys;
    let ctx = Context::Help;
    let label = |a| keys.label_in(a, ctx).unwrap_or_default();
    let more = if max_scroll > 0 {
        format!(" {}{} scroll ·", label(Action::Up), label(Action::Down))
    } else {
        String::new()
    };
    let close = keys
        .label_in(Action::Back, ctx)
        .or_else(|| keys.label_in(Action::Close, ctx))
        .unwrap_or_else(|| keys.label(Action::ForceQuit));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(" Help ", theme.title()))
        .title_bottom(Span::styled(format!("{more} {close} close "), theme.dim()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(all).block(block).scroll((scroll, 0)), rect);
}
