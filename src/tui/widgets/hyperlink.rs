//! URLs on screen as OSC 8 hyperlinks, so a URL wrapped over several rows still opens (and,
//! in most terminals, copies from the link's menu) whole.
//!
//! ratatui cells hold symbols, and it measures a symbol's width from its text, escapes
//! included. As in ratatui's own hyperlink example, the escape goes into a cell's symbol;
//! here one cell carries a whole row of the URL, told its real width
//! (`CellDiffOption::ForcedWidth`), and the cells it covers are skipped: the visible text and
//! its width are exactly those of the plain drawing, and one row costs one escape, not one
//! per two characters.

use std::num::NonZeroU16;

use ratatui::buffer::{Buffer, CellDiffOption};

/// `ESC ] 8 ; ;` starts a link to the URI that follows, up to BEL; an empty URI ends it.
const OPEN: &str = "\x1b]8;;";
const BEL: char = '\x07';
const CLOSE: &str = "\x1b]8;;\x07";

/// Fit to go inside the escape: printable ASCII without spaces (the spec allows bytes 32 to
/// 126 in a URI; a space is never in one of ours). Anything else stays plain text, so no byte
/// of a URL can end the escape or start another.
fn safe(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Makes `text`, already drawn at `(x, y)` in one style, a link to `url`. Nothing changes
/// (and `false` is returned) unless both are safe and the cells hold exactly `text`.
pub fn link(buf: &mut Buffer, x: u16, y: u16, text: &str, url: &str) -> bool {
    if !safe(url) || !safe(text) {
        return false;
    }
    let Some(width) = u16::try_from(text.len()).ok().and_then(NonZeroU16::new) else {
        return false;
    };
    let Some(style) = buf.cell((x, y)).map(|c| c.style()) else {
        return false;
    };
    let drawn = (0u16..).zip(text.chars()).all(|(i, ch)| {
        x.checked_add(i)
            .and_then(|cx| buf.cell((cx, y)))
            .is_some_and(|c| {
                c.symbol().len() == 1
                    && c.symbol().starts_with(ch)
                    && c.style() == style
                    && c.diff_option == CellDiffOption::None
            })
    });
    if !drawn {
        return false;
    }
    if let Some(head) = buf.cell_mut((x, y)) {
        head.set_symbol(&format!("{OPEN}{url}{BEL}{text}{CLOSE}"))
            .set_diff_option(CellDiffOption::ForcedWidth(width));
    }
    // The covered cells keep their character (for anything reading the buffer) but are not
    // written: the head cell writes them.
    for i in 1..width.get() {
        if let Some(c) = buf.cell_mut((x + i, y)) {
            c.set_diff_option(CellDiffOption::Skip);
        }
    }
    true
}

/// The row of text a link's head cell writes, if `symbol` is one made by [`link`].
fn linked_text(symbol: &str) -> Option<&str> {
    let rest = symbol.strip_prefix(OPEN)?.strip_suffix(CLOSE)?;
    Some(&rest[rest.find(BEL)? + 1..])
}

/// Run last, after everything is drawn: a link that something drawn later (the help, a
/// list) partly covers becomes plain text again, so the covering cells are written.
pub fn settle(buf: &mut Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(head) = buf.cell((x, y)) else {
                continue;
            };
            let CellDiffOption::ForcedWidth(width) = head.diff_option else {
                continue;
            };
            let Some(text) = linked_text(head.symbol()).map(str::to_string) else {
                continue;
            };
            let covered = |i: u16, ch: char, buf: &Buffer| {
                buf.cell((x + i, y)).is_some_and(|c| {
                    c.diff_option == CellDiffOption::Skip
                        && c.symbol().len() == 1
                        && c.symbol().starts_with(ch)
                })
            };
            let whole = x
                .checked_add(width.get() - 1)
                .is_some_and(|end| end < area.right())
                && (1u16..)
                    .zip(text.chars().skip(1))
                    .all(|(i, ch)| covered(i, ch, buf));
            if whole {
                continue;
            }
            // Each cell written on its own again: its own character, or what covers it.
            let mut first = [0u8; 4];
            let first = text
                .chars()
                .next()
                .map_or("", |c| c.encode_utf8(&mut first));
            for i in 0..width.get() {
                if let Some(c) = x.checked_add(i).and_then(|cx| buf.cell_mut((cx, y))) {
                    if i == 0 {
                        c.set_symbol(first);
                    }
                    if i == 0 || c.diff_option == CellDiffOption::Skip {
                        c.set_diff_option(CellDiffOption::None);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn drawn(text: &str) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 2));
        buf.set_string(2, 1, text, Style::new());
        buf
    }

    #[test]
    fn a_row_becomes_one_link_cell_of_its_own_width() {
        let mut buf = drawn("https://x.t/v/1");
        assert!(link(&mut buf, 2, 1, "https://x.t/v/1", "https://x.t/v/123"));
        let head = &buf[(2, 1)];
        assert_eq!(
            head.symbol(),
            "\x1b]8;;https://x.t/v/123\x07https://x.t/v/1\x1b]8;;\x07"
        );
        assert_eq!(
            head.diff_option,
            CellDiffOption::ForcedWidth(NonZeroU16::new(15).unwrap())
        );
        assert!((3..17).all(|x| buf[(x, 1)].diff_option == CellDiffOption::Skip));
        assert_eq!(buf[(17, 1)].diff_option, CellDiffOption::None);
        // What is written to the terminal: the head cell only, then the cell after the row.
        let before = Buffer::empty(buf.area);
        let written: Vec<(u16, u16)> = before.diff(&buf).iter().map(|(x, y, _)| (*x, *y)).collect();
        assert_eq!(written, vec![(2, 1)]);
    }

    #[test]
    fn unsafe_or_mismatched_text_stays_plain() {
        for (text, url) in [
            ("https://x.t/\x1b", "https://x.t/\x1b"),
            ("https://x.t/a", "https://x.t/a\x07b"),
            ("https://x.t/ü", "https://x.t/ü"),
            ("https://x.t/a b", "https://x.t/a b"),
        ] {
            let mut buf = drawn(text);
            assert!(!link(&mut buf, 2, 1, text, url), "{text:?}");
            assert_eq!(buf, drawn(text));
        }
        // The cells must hold the text given.
        let mut buf = drawn("https://x.t/a");
        assert!(!link(&mut buf, 2, 1, "https://x.t/b", "https://x.t/b"));
    }

    #[test]
    fn a_link_partly_covered_later_becomes_plain_text_again() {
        let mut buf = drawn("https://x.t/v/1");
        link(&mut buf, 2, 1, "https://x.t/v/1", "https://x.t/v/1");
        let kept = buf.clone();
        settle(&mut buf);
        assert_eq!(buf, kept, "a whole link stays");
        // A popup drawn over columns 8 to 10.
        buf[(8, 1)].reset();
        buf.set_string(8, 1, "###", Style::new());
        settle(&mut buf);
        assert_eq!(buf, {
            let mut plain = drawn("https://x.t/v/1");
            plain.set_string(8, 1, "###", Style::new());
            plain
        });
    }
}
