//! Makes ratatui's cells agree with the terminal's (see `crate::width`).
//!
//! ratatui lays text out by `unicode-width` per grapheme; the terminal may take more cells
//! (tmux draws বাং in three, ratatui reserves two) or fewer. So text is handed to ratatui
//! with every cluster that would disagree swapped for placeholders, one per terminal cell,
//! that ratatui measures exactly as the terminal will: a one-cell placeholder is a private-use
//! character of plane 15, a two-cell one an unassigned code point of plane 3 (East Asian
//! Wide by default). Widths, cuts, padding and wrapping then come out right everywhere,
//! ratatui's own included. When the frame is rendered, [`settle`] puts each cell's real text
//! back and tells ratatui's diff the cell's true width, so it neither skips nor repeats a
//! column.
//!
//! The table of placeholders lives for one frame on the drawing thread: [`begin`] starts it,
//! [`settle`] reads it, both inside `view::draw`, which stays a function of the state.

use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroU16;

use ratatui::buffer::{Buffer, CellDiffOption};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::width::{self, WidthModel};

const NARROW: u32 = 0xF_0000;
const WIDE: u32 = 0x3_2400;
/// Placeholders of each kind: both ranges stay inside their plane and below its last
/// two code points (noncharacters).
const LIMIT: u32 = 0xDBFD;

#[derive(Default)]
struct Table {
    model: WidthModel,
    /// The text of each placeholder's cell, by its number.
    narrow: Vec<String>,
    wide: Vec<String>,
    index: HashMap<(String, usize), char>,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Starts a frame drawn for a terminal measuring by `model`.
pub fn begin(model: WidthModel) {
    TABLE.with_borrow_mut(|t| {
        *t = Table {
            model,
            ..Table::default()
        };
    });
}

/// The model of the frame being drawn.
pub fn model() -> WidthModel {
    TABLE.with_borrow(|t| t.model)
}

fn placeholder(t: &mut Table, cell: &str, w: usize) -> Option<char> {
    if let Some(c) = t.index.get(&(cell.to_string(), w)) {
        return Some(*c);
    }
    let (list, base) = if w >= 2 {
        (&mut t.wide, WIDE)
    } else {
        (&mut t.narrow, NARROW)
    };
    let n = u32::try_from(list.len()).ok().filter(|n| *n < LIMIT)?;
    let c = char::from_u32(base + n)?;
    list.push(cell.to_string());
    t.index.insert((cell.to_string(), w), c);
    Some(c)
}

fn lookup(t: &Table, c: char) -> Option<(&str, usize)> {
    let n = u32::from(c);
    if (NARROW..NARROW + LIMIT).contains(&n) {
        let i = usize::try_from(n - NARROW).ok()?;
        t.narrow.get(i).map(|s| (s.as_str(), 1))
    } else if (WIDE..WIDE + LIMIT).contains(&n) {
        let i = usize::try_from(n - WIDE).ok()?;
        t.wide.get(i).map(|s| (s.as_str(), 2))
    } else {
        None
    }
}

fn in_ranges(c: char) -> bool {
    let n = u32::from(c);
    (NARROW..NARROW + LIMIT).contains(&n) || (WIDE..WIDE + LIMIT).contains(&n)
}

/// `s` ready to hand to ratatui: clusters whose width ratatui would get wrong are replaced
/// by placeholders (see the module's comment). Text already shown passes unchanged, so
/// calling this twice is harmless; a code point of the placeholder ranges that is no
/// placeholder of this frame becomes U+FFFD rather than another cell's text.
pub fn shown(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    TABLE.with_borrow_mut(|t| {
        let model = t.model;
        let mut out = String::with_capacity(s.len());
        for g in s.graphemes(true) {
            if g.chars().count() == 1 && g.chars().all(in_ranges) {
                let ours = g.chars().all(|c| lookup(t, c).is_some());
                out.push_str(if ours { g } else { "\u{FFFD}" });
                continue;
            }
            let cells = width::cells(model, g);
            let agrees = match cells.as_slice() {
                [(cell, w)] => cell == g && g.width() == *w,
                _ => false,
            };
            if agrees || g.is_ascii() {
                out.push_str(g);
                continue;
            }
            for (cell, w) in cells {
                match placeholder(t, &cell, w) {
                    Some(c) => out.push(c),
                    // More distinct cells in one frame than placeholders: shown as ratatui
                    // would have shown it.
                    None => out.push_str(&cell),
                }
            }
        }
        out
    })
}

/// Puts the real text back into the cells of a rendered frame, each with the width the
/// terminal gives it. A wide glyph whose second column something else was drawn over
/// (a popup's border over a CJK name) becomes a space: drawn, it would cover that column.
pub fn settle(buf: &mut Buffer) {
    TABLE.with_borrow(|t| {
        let area = buf.area;
        // The cells given a forced width here: others with one (a hyperlink's head cell,
        // tui::widgets::hyperlink) are not glyphs and are left as they are.
        let mut forced = std::collections::HashSet::new();
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let symbol = buf[(x, y)].symbol();
                let mut chars = symbol.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    continue;
                };
                let Some((text, w)) = lookup(t, c) else {
                    continue;
                };
                let text = text.to_string();
                let cell = &mut buf[(x, y)];
                cell.set_symbol(&text);
                if text.width() != w {
                    let width =
                        NonZeroU16::new(u16::try_from(w).unwrap_or(1)).unwrap_or(NonZeroU16::MIN);
                    cell.set_diff_option(CellDiffOption::ForcedWidth(width));
                    forced.insert((x, y));
                }
            }
        }
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right().saturating_sub(1) {
                let covered = buf[(x + 1, y)].symbol() != " ";
                let cell = &buf[(x, y)];
                let wide = match cell.diff_option {
                    CellDiffOption::ForcedWidth(w) => forced.contains(&(x, y)) && w.get() >= 2,
                    CellDiffOption::None => cell.symbol().width() >= 2,
                    _ => false,
                };
                if wide && covered {
                    let cell = &mut buf[(x, y)];
                    cell.set_symbol(" ");
                    cell.set_diff_option(CellDiffOption::None);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    fn render(model: WidthModel, text: &str, width: u16) -> Buffer {
        begin(model);
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        buf.set_string(0, 0, shown(text), ratatui::style::Style::default());
        settle(&mut buf);
        buf
    }

    fn symbols(buf: &Buffer) -> Vec<String> {
        buf.content()
            .iter()
            .map(|c| c.symbol().to_string())
            .collect()
    }

    #[test]
    fn bengali_gets_one_cell_per_code_point_under_the_code_point_model() {
        let buf = render(WidthModel::CodePoint, "বাংলা|", 8);
        assert_eq!(
            symbols(&buf),
            ["ব", "\u{09BE}", "\u{0982}", "ল", "\u{09BE}", "|", " ", " "]
        );
    }

    #[test]
    fn a_cluster_is_one_cell_under_the_grapheme_model() {
        let buf = render(WidthModel::Grapheme, "বাংলা|", 5);
        assert_eq!(symbols(&buf), ["বাং", "লা", "|", " ", " "]);
        assert!(matches!(
            buf.content()[0].diff_option,
            CellDiffOption::ForcedWidth(w) if w.get() == 1
        ));
    }

    #[test]
    fn emoji_sequences_split_where_the_terminal_splits_them() {
        let buf = render(WidthModel::CodePoint, "👩\u{200D}💻|", 6);
        assert_eq!(symbols(&buf), ["👩", " ", "💻", " ", "|", " "]);
        let buf = render(WidthModel::Grapheme, "👩\u{200D}💻|", 4);
        assert_eq!(symbols(&buf), ["👩\u{200D}💻", " ", "|", " "]);
        let buf = render(WidthModel::CodePoint, "❤\u{FE0F}|", 3);
        assert_eq!(symbols(&buf), ["❤\u{FE0F}", "|", " "]);
    }

    #[test]
    fn placeholders_are_measured_by_ratatui_as_the_terminal_measures() {
        begin(WidthModel::CodePoint);
        for s in ["বাংলা", "हिन्दी", "ភាសាខ្មែរ", "မြန်မာ", "👍🏽", "🇩🇪", "Zoë", "李"]
        {
            assert_eq!(
                shown(s).width(),
                width::width(WidthModel::CodePoint, s),
                "{s}"
            );
            assert_eq!(shown(&shown(s)), shown(s), "{s}");
        }
        assert_eq!(shown("\u{F0500}"), "\u{FFFD}");
    }

    #[test]
    fn a_wide_glyph_cut_by_a_popup_becomes_a_space() {
        begin(WidthModel::CodePoint);
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "李", ratatui::style::Style::default());
        buf[(1, 0)].set_symbol("│");
        settle(&mut buf);
        assert_eq!(symbols(&buf), [" ", "│", " ", " "]);
    }
}
