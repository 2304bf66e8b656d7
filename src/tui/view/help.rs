//! The help overlay: every key, and where the config and the log live.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::State;
use crate::tui::theme::Theme;
use crate::tui::view::centered;

const KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            (
                "Alt+1 Alt+2 Alt+3",
                "Generate / Generated tokens / Dashboard (also F1 F2 F3)",
            ),
            ("Ctrl+P", "switch to the next profile"),
            ("?", "this help (when not typing in a field)"),
            ("q", "quit (when not typing in a field)"),
            ("Ctrl+C", "quit, always"),
        ],
    ),
    (
        "Generate",
        &[
            ("Tab Shift+Tab ↑ ↓", "next / previous field"),
            ("Ctrl+S", "generate the URL from any field"),
            ("Enter", "on Generate URL: generate; in a field: next field"),
            ("Space", "toggle SelfID"),
            ("Esc", "cancel the request in flight"),
            (
                "c y  o",
                "off the text fields: copy / open the last URL again",
            ),
            (
                "Q  Alt+Q",
                "the last URL as a full-screen QR code (Alt+Q in a field)",
            ),
            (
                "F5 F6 F7",
                "fill in the first name Approve / Decline / Resubmit:",
            ),
            ("", "Veriff test-integration behaviour: first name"),
            ("", "Approve/Decline/Resubmit forces that decision"),
            ("← → Home End", "move the cursor"),
            ("Ctrl+← Ctrl+→", "previous / next word (also Alt+← Alt+→)"),
            ("Backspace Delete", "delete a character"),
            ("Ctrl+W Ctrl+U", "delete the word before / the whole field"),
            (
                "Language",
                "type a name or code, ↑ ↓ to choose, Enter to pick",
            ),
        ],
    ),
    (
        "Generated tokens",
        &[
            ("↑ ↓ j k", "move"),
            ("PgUp PgDn", "page up / down (Ctrl+U Ctrl+D: half a page)"),
            ("Home End G", "first / last"),
            ("/", "filter by name, session id or vendor data"),
            ("Enter", "details of the session"),
            ("c y", "copy the URL"),
            ("i", "copy the session id"),
            ("o", "open the URL in the browser"),
            ("Q", "the URL as a QR code, full screen (Esc closes)"),
            ("g", "re-send: the form filled with this record's values"),
            (
                "e",
                "export the list (filter applied) to CSV and JSON files",
            ),
            ("d", "delete the local record (asks first)"),
            ("r", "ask Veriff for this session's decision"),
            ("R", "refresh all sessions not yet decided, 4 at a time"),
            ("Esc", "back / clear the filter"),
        ],
    ),
    (
        "Dashboard",
        &[
            ("↑ ↓ j k", "move in the latest decisions"),
            ("Enter", "details of the session"),
            ("r", "ask Veriff again for the selected session"),
            ("R", "refresh every session without a final decision"),
            ("", "expired links (7 days) are shown without asking Veriff"),
        ],
    ),
];

pub fn lines(state: &State, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (section, keys) in KEYS {
        lines.push(Line::from(Span::styled(section.to_string(), theme.title())));
        for (key, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<20}"), theme.key()),
                Span::raw(what.to_string()),
            ]));
        }
        lines.push(Line::default());
    }
    let paths = &state.settings.paths;
    lines.push(Line::from(Span::styled("Files", theme.title())));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "config"), theme.dim()),
        Span::raw(paths.config_file.display().to_string()),
    ]));
    if !state.settings.config_file_found {
        lines.push(Line::from(Span::styled(
            format!("  {:<20}(not created yet: see config.example.toml)", ""),
            theme.dim(),
        )));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "log"), theme.dim()),
        Span::raw(paths.log_file.display().to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "history"), theme.dim()),
        Span::raw(paths.history_db.display().to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "exports"), theme.dim()),
        Span::raw(paths.export_dir.display().to_string()),
    ]));
    lines
}

fn rect(area: Rect) -> Rect {
    centered(area, 84, area.height.saturating_sub(2))
}

/// How far the help can scroll in a window of `size`.
pub fn max_scroll(state: &State, size: (u16, u16)) -> u16 {
    let inner_h = rect(Rect::new(0, 0, size.0, size.1))
        .height
        .saturating_sub(2);
    u16::try_from(lines(state, Theme::new(true)).len())
        .unwrap_or(u16::MAX)
        .saturating_sub(inner_h)
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, scroll: u16, theme: Theme) {
    let rect = rect(area);
    let all = lines(state, theme);
    let max_scroll = max_scroll(state, (area.width, area.height));
    let scroll = scroll.min(max_scroll);
    let more = if max_scroll > 0 {
        " ↑↓ scroll ·"
    } else {
        ""
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(" Help ", theme.title()))
        .title_bottom(Span::styled(format!("{more} Esc close "), theme.dim()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(all).block(block).scroll((scroll, 0)), rect);
}
