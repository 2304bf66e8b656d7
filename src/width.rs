//! How many terminal cells text takes, measured the way the terminal itself measures.
//!
//! Terminals disagree with the `unicode-width` crate (what ratatui uses) on scripts with
//! spacing marks and conjuncts. Most terminals (xterm, VTE, alacritty, and tmux, which
//! re-draws everything it shows) advance per code point by `wcwidth`: a spacing mark (category
//! Mc, like U+09BE in বাংলা) takes a cell of its own, so বাংলা is 5 cells there, not 4.
//! Terminals that cluster graphemes (mode 2027: kitty, WezTerm, Ghostty, foot) give a whole
//! cluster one width instead. Layout must use the same rule as the terminal, or every cell
//! after such a name lands in the wrong column.
//!
//! Nothing here knows about terminals beyond that rule; `tui::glyphs` applies it to frames.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

/// The rule the terminal uses to give text its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WidthModel {
    /// One code point at a time, by `wcwidth` (glibc's rule): tmux, xterm, VTE, alacritty,
    /// and any terminal we know nothing about.
    #[default]
    CodePoint,
    /// One grapheme cluster at a time (mode 2027): the cluster takes the width of its first
    /// visible code point, two for emoji presentation (VS16) and flags.
    Grapheme,
}

/// The cells of one code point, by glibc's `wcwidth` rule: none for nonspacing and
/// enclosing marks, format characters (except the soft hyphen) and Hangul medial vowels and
/// final consonants; two for East Asian Wide and Fullwidth; one for everything else, spacing
/// marks included. Control characters (never drawn: `text::sanitize` removes them) count
/// as none.
pub fn char_width(c: char) -> usize {
    if c == '\u{00AD}' {
        return 1;
    }
    if ('\u{1160}'..='\u{11FF}').contains(&c) {
        return 0;
    }
    match c.general_category() {
        GeneralCategory::NonspacingMark
        | GeneralCategory::EnclosingMark
        | GeneralCategory::Format
        | GeneralCategory::Control => 0,
        // unicode-width knows East Asian Width; its zero for Grapheme_Extend letters and
        // marks (U+09BE) is not what terminals do, so only its "wide" is taken.
        _ => match UnicodeWidthChar::width(c) {
            Some(2) => 2,
            _ => 1,
        },
    }
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// The cells of one grapheme cluster in a terminal that clusters them (mode 2027).
fn cluster_width(g: &str) -> usize {
    if g.contains('\u{FE0F}') || g.chars().filter(|c| is_regional_indicator(*c)).count() >= 2 {
        return 2;
    }
    g.chars().map(char_width).find(|w| *w > 0).unwrap_or(0)
}

/// How many cells `s` takes in a terminal using `model`.
pub fn width(model: WidthModel, s: &str) -> usize {
    match model {
        WidthModel::CodePoint => s.chars().map(char_width).sum(),
        WidthModel::Grapheme => s.graphemes(true).map(cluster_width).sum(),
    }
}

/// The zero-width joiner. tmux (3.3) joins the code point after it into the cell before
/// it, while VTE and xterm give that code point cells of its own: the same text would take
/// different room. Drawn per code point, the joiner is left out (👩‍💻 shows as 👩💻 in four
/// cells everywhere); clustering terminals get it, as part of their cluster.
const ZWJ: char = '\u{200D}';

/// `s` as the terminal lays it out: the text of each cell it starts, with that cell's
/// width (1 or 2). Under the code-point model a zero-width code point joins the cell before
/// it; one with no cell before it (the text starts with a combining mark) would join
/// whatever is on screen to the left, so it is left out, as is the zero-width joiner (see
/// [`ZWJ`]).
pub fn cells(model: WidthModel, s: &str) -> Vec<(Cow<'_, str>, usize)> {
    let mut out: Vec<(Cow<'_, str>, usize)> = Vec::new();
    match model {
        WidthModel::CodePoint => {
            let mut start: Option<(usize, usize)> = None;
            for (i, c) in s.char_indices() {
                let w = char_width(c);
                if w == 0 {
                    continue;
                }
                if let Some((from, width)) = start {
                    out.push((without_zwj(&s[from..i]), width));
                }
                start = Some((i, w));
            }
            if let Some((from, width)) = start {
                out.push((without_zwj(&s[from..]), width));
            }
        }
        WidthModel::Grapheme => {
            for g in s.graphemes(true) {
                let w = cluster_width(g);
                if w > 0 {
                    out.push((Cow::Borrowed(g), w.min(2)));
                }
            }
        }
    }
    out
}

fn without_zwj(text: &str) -> Cow<'_, str> {
    if text.contains(ZWJ) {
        Cow::Owned(text.chars().filter(|c| *c != ZWJ).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// `s` split into rows of at most `max` cells, breaking anywhere between cells.
pub fn hard_wrap(model: WidthModel, s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut rows = Vec::new();
    let (mut row, mut used) = (String::new(), 0);
    for (cell, w) in cells(model, s) {
        if used + w > max && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
            used = 0;
        }
        row.push_str(&cell);
        used += w;
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// `s` split into rows of at most `max` cells at spaces; a word longer than a row is
/// broken as [`hard_wrap`] breaks it.
pub fn wrap_words(model: WidthModel, s: &str, max: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in s.split(' ') {
        let need = if row.is_empty() {
            width(model, word)
        } else {
            width(model, &row) + 1 + width(model, word)
        };
        if need > max && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
        if width(model, &row) > max {
            let mut parts = hard_wrap(model, &row, max);
            row = parts.pop().unwrap_or_default();
            rows.extend(parts);
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// `s` as the terminal will draw it: [`cells`] put back together.
pub fn drawn(model: WidthModel, s: &str) -> String {
    cells(model, s).into_iter().map(|(c, _)| c).collect()
}

/// `s` cut to at most `max` cells, at a cell boundary; returns the text kept and its width.
pub fn truncate(model: WidthModel, s: &str, max: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for (cell, w) in cells(model, s) {
        if used + w > max {
            break;
        }
        used += w;
        out.push_str(&cell);
    }
    (out, used)
}

/// `s` cut to `width` cells (with `…` when cut) and padded with spaces to exactly `width`.
pub fn fit(model: WidthModel, s: &str, width: usize) -> String {
    let total = self::width(model, s);
    if total <= width {
        let mut out = drawn(model, s);
        out.push_str(&" ".repeat(width - total));
        return out;
    }
    if width == 0 {
        return String::new();
    }
    let (mut out, used) = truncate(model, s, width - 1);
    out.push('…');
    out.push_str(&" ".repeat(width - 1 - used));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use WidthModel::{CodePoint, Grapheme};

    #[test]
    fn code_points_are_measured_as_wcwidth_does() {
        // Figures measured with glibc's wcwidth (C.UTF-8), which tmux uses.
        assert_eq!(width(CodePoint, "বাংলা"), 5);
        assert_eq!(width(CodePoint, "हिन्दी"), 5);
        assert_eq!(width(CodePoint, "ភាសាខ្មែរ"), 8);
        assert_eq!(width(CodePoint, "မြန်မာ"), 5);
        assert_eq!(width(CodePoint, "👩\u{200D}💻"), 4);
        assert_eq!(width(CodePoint, "👍🏽"), 4);
        assert_eq!(width(CodePoint, "🇩🇪"), 2);
        assert_eq!(width(CodePoint, "❤\u{FE0F}"), 1);
        assert_eq!(width(CodePoint, "李小龍"), 6);
        assert_eq!(width(CodePoint, "Zoe\u{0308}"), 3);
        assert_eq!(width(CodePoint, "ภาษาไทย"), 7);
        assert_eq!(width(CodePoint, "\u{00AD}"), 1);
        assert_eq!(width(CodePoint, "\u{1100}\u{1161}"), 2);
    }

    #[test]
    fn clusters_take_the_width_of_their_first_code_point() {
        assert_eq!(width(Grapheme, "বাংলা"), 2);
        assert_eq!(width(Grapheme, "👩\u{200D}💻"), 2);
        assert_eq!(width(Grapheme, "👍🏽"), 2);
        assert_eq!(width(Grapheme, "🇩🇪"), 2);
        assert_eq!(width(Grapheme, "❤\u{FE0F}"), 2);
        assert_eq!(width(Grapheme, "李小龍"), 6);
    }

    #[test]
    fn cells_keep_every_code_point_but_orphan_marks() {
        let cells = |m, s| -> Vec<(String, usize)> {
            cells(m, s)
                .into_iter()
                .map(|(c, w)| (c.into_owned(), w))
                .collect()
        };
        let owned = |v: &[(&str, usize)]| -> Vec<(String, usize)> {
            v.iter().map(|(c, w)| ((*c).to_string(), *w)).collect()
        };
        assert_eq!(
            cells(CodePoint, "বাং"),
            owned(&[("ব", 1), ("\u{09BE}", 1), ("\u{0982}", 1)])
        );
        assert_eq!(
            cells(CodePoint, "👩\u{200D}💻"),
            owned(&[("👩", 2), ("💻", 2)])
        );
        assert_eq!(
            cells(CodePoint, "\u{0301}e\u{0301}"),
            owned(&[("e\u{0301}", 1)])
        );
        assert_eq!(cells(Grapheme, "বাং"), owned(&[("বাং", 1)]));
        assert_eq!(
            cells(Grapheme, "👩\u{200D}💻"),
            owned(&[("👩\u{200D}💻", 2)])
        );
    }

    #[test]
    fn fit_cuts_at_cells_and_pads() {
        assert_eq!(fit(CodePoint, "李小龍", 5), "李小…");
        assert_eq!(fit(CodePoint, "李小龍", 4), "李… ");
        assert_eq!(fit(CodePoint, "বাংলা", 7), "বাংলা  ");
        assert_eq!(fit(CodePoint, "বাংলা", 4), "বাং…");
        assert_eq!(fit(CodePoint, "abc", 0), "");
        assert_eq!(fit(CodePoint, "👩\u{200D}💻", 5), "👩💻 ");
    }
}
