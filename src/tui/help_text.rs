//! The help overlay's content and geometry: every key as bound, by section, and how far it
//! scrolls at a window size. Pure functions of the state: `update` asks how far help
//! scrolls, the view draws it; neither calls the other.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::keymap::{Action, Context, ENTRIES, Section, TEXT_EDITING};
use crate::tui::app::State;
use crate::tui::layout::centered;
use crate::tui::theme::{Palette, Theme};

/// Columns of the key column.
const KEY_COLUMN: usize = 22;

/// The help's lines for an inner width of `width`: every action of the key table, with the
/// keys bound to it now, by section; the text-editing keys; where the files are.
pub fn lines(state: &State, theme: Theme, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut lines = Vec::new();
    let row = |lines: &mut Vec<Line<'static>>, keys: String, what: &str| {
        let keys = format!("  {keys}");
        let room = width.saturating_sub(KEY_COLUMN).max(20);
        let mut parts = wrap(what, room).into_iter();
        // Keys wider than their column stand on a line of their own.
        let first = if keys.width() < KEY_COLUMN {
            let pad = " ".repeat(KEY_COLUMN - keys.width());
            Line::from(vec![
                Span::styled(format!("{keys}{pad}"), theme.key()),
                Span::raw(parts.next().unwrap_or_default()),
            ])
        } else {
            Line::from(Span::styled(keys, theme.key()))
        };
        lines.push(first);
        for part in parts {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(KEY_COLUMN)),
                Span::raw(part),
            ]));
        }
    };
    for section in Section::ALL {
        lines.push(Line::from(Span::styled(section.title(), theme.title())));
        for e in ENTRIES.iter().filter(|e| e.section == section) {
            let keys = state.keys.labels(e.action);
            let keys = if keys.is_empty() {
                format!("(none: {})", e.name)
            } else {
                keys
            };
            row(&mut lines, keys, e.about);
        }
        if let Some(note) = section.note() {
            row(&mut lines, String::new(), note);
        }
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled("Text fields", theme.title())));
    for (keys, what) in TEXT_EDITING {
        let keys = keys
            .iter()
            .filter_map(|k| k.parse::<crate::keymap::KeyCombo>().ok())
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ");
        row(&mut lines, keys, what);
    }
    let in_field = |a| state.keys.label_in(a, Context::Field);
    let mut typing = "In a text field, characters and these keys edit the text: a key bound to an action acts there only when it is neither".to_string();
    match in_field(Action::Help) {
        Some(help) => typing.push_str(&format!(
            " ({help} opens this help, {} quits).",
            state.keys.label(Action::ForceQuit)
        )),
        None => typing.push('.'),
    }
    for note in [
        typing.as_str(),
        "Language: type a name or a code; the list opens as you type.",
        "Rebind any action under [keys] in the config file: its name, then the key or keys (config.example.toml lists them all).",
    ] {
        for part in wrap(note, width.saturating_sub(2).max(20)) {
            lines.push(Line::from(Span::styled(format!("  {part}"), theme.dim())));
        }
    }
    lines.push(Line::default());
    // Every time on every screen is in one zone and one format; the zone is said once here.
    lines.push(Line::from(Span::styled("Times", theme.title())));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "zone"), theme.dim()),
        Span::raw(format!(
            "{} (UTC{}), as YYYY-MM-DD HH:MM",
            state.tz.name(),
            state.tz.offset_at(state.now)
        )),
    ]));
    lines.push(Line::default());
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
        // The shared history's URL (without its password) when the run uses one.
        Span::raw(state.settings.history_location().to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<20}", "exports"), theme.dim()),
        Span::raw(paths.export_dir.display().to_string()),
    ]));
    lines
}

/// Word wrap to `width` columns (a word longer than a line stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

pub fn rect(area: Rect) -> Rect {
    centered(area, 84, area.height.saturating_sub(2))
}

/// How far the help can scroll in a window of `size`.
pub fn max_scroll(state: &State, size: (u16, u16)) -> u16 {
    let rect = rect(Rect::new(0, 0, size.0, size.1));
    let inner_h = rect.height.saturating_sub(2);
    u16::try_from(
        lines(
            state,
            Theme::new(Palette::Mono),
            rect.width.saturating_sub(2),
        )
        .len(),
    )
    .unwrap_or(u16::MAX)
    .saturating_sub(inner_h)
}
