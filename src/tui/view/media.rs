//! The media viewer over a session's details: which file of how many, its type, size and
//! time, the picture drawn in half-blocks (two pixels a cell: the upper as the glyph's
//! colour, the lower as the background), and the file name prompt of `s`.
//!
//! Half-blocks draw in any terminal and inside tmux, need no query of the terminal (whose
//! answer the input thread would read as keys) and no state outside the frame, so the view
//! stays a function of the state. Without colours (NO_COLOR, 16 colours) the picture is
//! drawn in shades (░▒▓█) instead.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::keymap::Action;
use crate::tui::app::State;
use crate::tui::glyphs::shown;
use crate::tui::inspector::{Picture, Viewer};
use crate::tui::theme::{Palette, Theme};
use crate::tui::view::{fit, rule, wrap_words};
use crate::tui::widgets::text_field;

pub fn draw(frame: &mut Frame, area: Rect, viewer: &Viewer, state: &State, theme: Theme) {
    if area.height < 3 || area.width < 10 {
        return;
    }
    frame.render_widget(Clear, area);
    let total = state
        .inspector
        .as_ref()
        .map_or(0, |i| i.media().len())
        .max(viewer.index + 1);
    let item = &viewer.item;
    let name = item
        .name
        .as_deref()
        .or(item.context.as_deref())
        .unwrap_or("(unnamed)");
    let title = vec![
        Span::styled(
            format!("Media {} of {total}", viewer.index + 1),
            theme.title(),
        ),
        Span::styled(shown(&format!(" · {name}")), theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(rule(title, area.width, theme)),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let size = item
        .size
        .or(match &viewer.file {
            Some(Ok(l)) => Some(l.file.bytes.len() as u64),
            _ => None,
        })
        .map(crate::cli::human_size);
    let time = item.timestamp.as_deref().map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| crate::tui::view::local_time(d.with_timezone(&chrono::Utc), state.tz))
            .unwrap_or_else(|_| t.to_string())
    });
    let info = [
        item.mimetype.clone().or(Some(item.kind.clone())),
        size,
        time,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(&format!("  {info}"), usize::from(area.width)),
            theme.dim(),
        )),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );

    // The prompt stands over the picture's last rows rather than shrinking it: a picture
    // the terminal draws itself is encoded for one size.
    let prompt_rows = 4;
    let picture_area = crate::tui::layout::media_picture(area);
    let message = |text: String, style| -> Vec<Line<'static>> {
        wrap_words(&text, usize::from(area.width).saturating_sub(4).max(8))
            .into_iter()
            .map(|l| Line::from(Span::styled(format!("  {l}"), style)))
            .collect()
    };
    let save_key = state.keys.label(Action::SaveMedia);
    match &viewer.file {
        None => frame.render_widget(
            Paragraph::new(message(
                "Fetching the file… (kept in memory only while it is shown)".into(),
                theme.dim(),
            )),
            picture_area,
        ),
        Some(Err(e)) => frame.render_widget(
            Paragraph::new(message(format!("✖ not fetched: {e}"), theme.error())),
            picture_area,
        ),
        Some(Ok(loaded)) => match &loaded.picture {
            Ok(picture) => match viewer.encoded.as_ref().filter(|e| {
                state.graphics.is_some() && e.area == (picture_area.width, picture_area.height)
            }) {
                Some(e) => frame
                    .render_widget(ratatui_image::Image::new(&e.encoding), e.rect(picture_area)),
                None => half_blocks(frame, picture_area, picture, state.palette),
            },
            Err(why) => frame.render_widget(
                Paragraph::new(message(
                    format!("Not drawn here: {why}. {save_key} saves it to a file."),
                    theme.dim(),
                )),
                picture_area,
            ),
        },
    }
    if let Some(prompt) = &viewer.save {
        let rect = Rect::new(
            area.x,
            area.bottom().saturating_sub(prompt_rows),
            area.width,
            prompt_rows,
        );
        frame.render_widget(Clear, rect);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme.dim())
            .title(Span::styled(" Save the file ", theme.title()));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let label = "  Save to: ";
        frame.render_widget(
            Paragraph::new(Span::styled(label, theme.dim())),
            Rect::new(inner.x, inner.y, inner.width, 1),
        );
        let field_x = inner.x + label.len() as u16;
        text_field::render(
            frame,
            Rect::new(
                field_x,
                inner.y,
                inner.right().saturating_sub(field_x + 1),
                1,
            ),
            &prompt.input,
            !prompt.saving,
            "",
            theme,
        );
        let keys = &state.keys;
        let (text, style) = match (&prompt.error, prompt.saving) {
            (_, true) => ("saving…".to_string(), theme.dim()),
            (Some(e), false) => (format!("✖ {e}"), theme.error()),
            (None, false) => (
                format!(
                    "{} saves (a new file, readable by you only; never over one) · {} cancels",
                    keys.label(Action::Select),
                    keys.label(Action::Back)
                ),
                theme.dim(),
            ),
        };
        let lines: Vec<Line> = wrap_words(&text, usize::from(inner.width).saturating_sub(2))
            .into_iter()
            .take(2)
            .map(|l| Line::from(Span::styled(format!("  {l}"), style)))
            .collect();
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(
                inner.x,
                inner.y + 1,
                inner.width,
                inner.height.saturating_sub(1),
            ),
        );
    }
}

/// Draws `p` fitted into `area`, centred, keeping its proportions: a cell is as wide as half
/// its height, so each of its halves is one square pixel.
fn half_blocks(frame: &mut Frame, area: Rect, p: &Picture, palette: Palette) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let (cols, rows) = (u32::from(area.width), u32::from(area.height) * 2);
    // The largest scale at which the picture fits both ways (a rational, kept exact).
    let (w, h) = if u64::from(p.width) * u64::from(rows) > u64::from(p.height) * u64::from(cols) {
        (cols, (p.height * cols / p.width).max(1))
    } else {
        ((p.width * rows / p.height).max(1), rows)
    };
    let x0 = area.x + u16::try_from((cols - w) / 2).unwrap_or(0);
    let cell_rows = h.div_ceil(2);
    let y0 = area.y + u16::try_from((u32::from(area.height) - cell_rows) / 2).unwrap_or(0);
    // The source pixels behind target pixel (x, y): its box, averaged.
    let sample = |x: u32, y: u32| {
        p.average(
            x * p.width / w,
            y * p.height / h,
            (x + 1) * p.width / w,
            (y + 1) * p.height / h,
        )
    };
    let colour = palette == Palette::Extended;
    let buf = frame.buffer_mut();
    for cy in 0..cell_rows {
        for cx in 0..w {
            let top = sample(cx, cy * 2);
            let bottom = (cy * 2 + 1 < h).then(|| sample(cx, cy * 2 + 1));
            let pos = (
                x0 + u16::try_from(cx).unwrap_or(0),
                y0 + u16::try_from(cy).unwrap_or(0),
            );
            let cell = &mut buf[pos];
            if colour {
                cell.set_symbol("▀").set_fg(indexed(top));
                if let Some(b) = bottom {
                    cell.set_bg(indexed(b));
                }
            } else {
                let l = (luma(top) + bottom.map_or(luma(top), luma)) / 2;
                cell.set_symbol(SHADES[usize::from(l) * SHADES.len() / 256]);
            }
        }
    }
}

const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];

fn luma([r, g, b]: [u8; 3]) -> u16 {
    // Rec. 601 weights, in integers.
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u16
}

/// The nearest of the 256 colours every terminal past 16 has (and tmux passes on whatever
/// its outer terminal): the 6x6x6 cube or the grey ramp.
fn indexed([r, g, b]: [u8; 3]) -> Color {
    const STEPS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |v: u8| -> usize {
        STEPS
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| (i32::from(**s) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (STEPS[ri], STEPS[gi], STEPS[bi]);
    let dist = |(a, b2, c): (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a, r) + d(b2, g) + d(c, b)
    };
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    // Greys 232..=255 are 8, 18, …, 238.
    let gi_ = (i32::from(avg) - 8).clamp(0, 230) / 10;
    let grey = u8::try_from(8 + gi_ * 10).unwrap_or(238);
    if dist((grey, grey, grey)) < dist(cube) {
        Color::Indexed(232 + u8::try_from(gi_).unwrap_or(23))
    } else {
        Color::Indexed(16 + u8::try_from(36 * ri + 6 * gi + bi).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_map_to_the_nearest_of_the_256() {
        assert_eq!(indexed([0, 0, 0]), Color::Indexed(16));
        assert_eq!(indexed([255, 255, 255]), Color::Indexed(231));
        assert_eq!(indexed([255, 0, 0]), Color::Indexed(196));
        assert_eq!(indexed([128, 128, 128]), Color::Indexed(244));
    }
}
