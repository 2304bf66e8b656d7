//! The QR code full screen (`Q`): the code centred, the URL below it on lines of its own (so
//! it can still be selected by hand), or, in a window too small, how big it needs to be.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::keymap::{Action, Context, KeyMap};
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::view::hard_wrap;
use crate::tui::widgets::qr::Code;

/// The smallest window (columns, rows) that shows the code of `url` and the URL below it,
/// for a window `width` columns wide: the URL takes fewer rows in a wider window, so the
/// rows are counted at this width (or the code's, if wider).
pub fn needed(url: &str, width: u16) -> Option<(u16, u16)> {
    let code = Code::new(url)?;
    let url_rows = hard_wrap(url, usize::from(code.width.max(width))).len();
    let rows = usize::from(code.height) + url_rows;
    Some((code.width, u16::try_from(rows).unwrap_or(u16::MAX)))
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    url: &str,
    keys: &KeyMap,
    theme: Theme,
    hyperlinks: bool,
) {
    frame.render_widget(Clear, area);
    // What closes this view, as bound.
    let esc = keys
        .label_in(Action::Back, Context::Qr)
        .or_else(|| keys.label_in(Action::Qr, Context::Qr))
        .unwrap_or_else(|| keys.label(Action::ForceQuit));
    let close = format!("{esc} closes · scan it with a phone camera");
    let short_close = format!(" {esc} closes");
    let url = sanitize(url);
    let url_lines = hard_wrap(&url, usize::from(area.width));
    let Some(code) = Code::new(&url) else {
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "This URL is too long for a QR code; copy it instead ({}). {esc} closes.",
                keys.label(Action::CopyUrl)
            ),
            theme.warning(),
        ))];
        lines.extend(url_lines.into_iter().map(Line::from));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    };
    let url_rows = u16::try_from(url_lines.len()).unwrap_or(u16::MAX);
    let tight = code.height.saturating_add(url_rows);
    if code.width > area.width || tight > area.height {
        let (w, h) = needed(&url, area.width).unwrap_or((code.width, tight));
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "The QR code needs a window of at least {w}x{h} (now {}x{}).",
                    area.width, area.height
                ),
                theme.warning(),
            )),
            Line::from(Span::styled(
                format!(
                    "Enlarge the window or make the font smaller (Ctrl+- in most terminals). {esc} closes."
                ),
                theme.dim(),
            )),
            Line::default(),
        ];
        lines.extend(url_lines.into_iter().map(Line::from));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    // The code, a blank line, the URL and the close hint, centred as a block; when the
    // window is just big enough (a long sandbox URL in 120x40), the code, the URL right
    // below it, and the hint beside the code if there is room.
    let roomy = tight.saturating_add(2) <= area.height;
    let rows = if roomy { tight + 2 } else { tight };
    let top = area.y + (area.height - rows) / 2;
    let x = area.x + (area.width - code.width) / 2;
    code.render(frame.buffer_mut(), area, x, top);
    let url_y = top + code.height + u16::from(roomy);
    let lines: Vec<Line> = url_lines.iter().cloned().map(Line::from).collect();
    let url_area = Rect::new(area.x, url_y, area.width, url_rows);
    frame.render_widget(Paragraph::new(lines), url_area);
    if hyperlinks {
        crate::tui::view::generate::link_rows(frame, url_area, 0, &url_lines, &url);
    }
    if roomy {
        frame.render_widget(
            Paragraph::new(Span::styled(close, theme.dim()))
                .alignment(ratatui::layout::Alignment::Center),
            Rect::new(area.x, url_y + url_rows, area.width, 1),
        );
    } else if usize::from(x - area.x) > short_close.width() {
        frame.render_widget(
            Paragraph::new(Span::styled(short_close, theme.dim())),
            Rect::new(area.x, top, x - area.x - 1, 1),
        );
    }
}
