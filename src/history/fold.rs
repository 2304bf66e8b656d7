//! Case folding exactly as the FTS5 trigram tokenizer does it (SQLite's
//! `sqlite3Fts5UnicodeFold` with diacritics kept, and its UTF-8 reader): what lets a row be
//! checked for a search term outside the index and agree with the index to the character.
//!
//! It is not Rust's `to_lowercase`: SQLite maps one code point to one (`ſ` to `s`, the
//! Kelvin sign to `k`, final `ς` to `σ`), leaves most characters outside the Basic
//! Multilingual Plane alone, and the tokenizer drops NUL characters.
//!
//! The tables are SQLite 3.50's (public domain), generated from Unicode's CaseFolding.txt.

/// The character the index keeps for `c`, or `None` for one it skips (NUL).
pub(super) fn fold_char(c: char) -> Option<char> {
    let code = u32::from(c);
    if code == 0 {
        return None;
    }
    if code < 128 {
        return Some(c.to_ascii_lowercase());
    }
    let folded = if code < 0x1_0000 {
        // SQLite's UTF-8 reader turns the two non-characters into U+FFFD.
        let code = if code >= 0xFFFE { 0xFFFD } else { code };
        let at = ENTRIES.partition_point(|e| u32::from(e.0) <= code);
        match at.checked_sub(1).map(|i| ENTRIES[i]) {
            Some((first, flags, range))
                if code < u32::from(first) + u32::from(range)
                    && (1 & u32::from(flags) & (u32::from(first) ^ code)) == 0 =>
            {
                (code + u32::from(OFFSETS[usize::from(flags >> 1)])) & 0xFFFF
            }
            _ => code,
        }
    } else if (66_560..66_600).contains(&code) {
        // Deseret capitals.
        code + 40
    } else {
        code
    };
    Some(char::from_u32(folded).unwrap_or(c))
}

/// `s` folded as the index folds it.
pub(super) fn fold(s: &str) -> String {
    s.chars().filter_map(fold_char).collect()
}

/// Whether `field`, folded, contains `folded` (a term already folded), as the trigram
/// phrase `"term"` matches the field. Allocates only for a field with non-ASCII text.
pub(super) fn contains(field: &str, folded: &str) -> bool {
    if field.is_ascii() && !field.contains('\0') {
        // An ASCII field folds to ASCII; the few non-ASCII characters that fold to ASCII
        // (`ſ`, the Kelvin sign) are folded in `folded` already.
        if !folded.is_ascii() {
            return false;
        }
        let (f, t) = (field.as_bytes(), folded.as_bytes());
        if t.is_empty() {
            return true;
        }
        return f
            .windows(t.len())
            .any(|w| w.iter().zip(t).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    fold(field).contains(folded)
}

/// (first code point, flags, range length): the code points `first..first + range` (every
/// one, or every second one when the flags' low bit is set) fold by adding
/// `OFFSETS[flags >> 1]`, modulo 2^16.
const ENTRIES: [(u16, u8, u8); 163] = [
    (65, 14, 26),
    (181, 64, 1),
    (192, 14, 23),
    (216, 14, 7),
    (256, 1, 48),
    (306, 1, 6),
    (313, 1, 16),
    (330, 1, 46),
    (376, 116, 1),
    (377, 1, 6),
    (383, 104, 1),
    (385, 50, 1),
    (386, 1, 4),
    (390, 44, 1),
    (391, 0, 1),
    (393, 42, 2),
    (395, 0, 1),
    (398, 32, 1),
    (399, 38, 1),
    (400, 40, 1),
    (401, 0, 1),
    (403, 42, 1),
    (404, 46, 1),
    (406, 52, 1),
    (407, 48, 1),
    (408, 0, 1),
    (412, 52, 1),
    (413, 54, 1),
    (415, 56, 1),
    (416, 1, 6),
    (422, 60, 1),
    (423, 0, 1),
    (425, 60, 1),
    (428, 0, 1),
    (430, 60, 1),
    (431, 0, 1),
    (433, 58, 2),
    (435, 1, 4),
    (439, 62, 1),
    (440, 0, 1),
    (444, 0, 1),
    (452, 2, 1),
    (453, 0, 1),
    (455, 2, 1),
    (456, 0, 1),
    (458, 2, 1),
    (459, 1, 18),
    (478, 1, 18),
    (497, 2, 1),
    (498, 1, 4),
    (502, 122, 1),
    (503, 134, 1),
    (504, 1, 40),
    (544, 110, 1),
    (546, 1, 18),
    (570, 70, 1),
    (571, 0, 1),
    (573, 108, 1),
    (574, 68, 1),
    (577, 0, 1),
    (579, 106, 1),
    (580, 28, 1),
    (581, 30, 1),
    (582, 1, 10),
    (837, 36, 1),
    (880, 1, 4),
    (886, 0, 1),
    (902, 18, 1),
    (904, 16, 3),
    (908, 26, 1),
    (910, 24, 2),
    (913, 14, 17),
    (931, 14, 9),
    (962, 0, 1),
    (975, 4, 1),
    (976, 140, 1),
    (977, 142, 1),
    (981, 146, 1),
    (982, 144, 1),
    (984, 1, 24),
    (1008, 136, 1),
    (1009, 138, 1),
    (1012, 130, 1),
    (1013, 128, 1),
    (1015, 0, 1),
    (1017, 152, 1),
    (1018, 0, 1),
    (1021, 110, 3),
    (1024, 34, 16),
    (1040, 14, 32),
    (1120, 1, 34),
    (1162, 1, 54),
    (1216, 6, 1),
    (1217, 1, 14),
    (1232, 1, 88),
    (1329, 22, 38),
    (4256, 66, 38),
    (4295, 66, 1),
    (4301, 66, 1),
    (7680, 1, 150),
    (7835, 132, 1),
    (7838, 96, 1),
    (7840, 1, 96),
    (7944, 150, 8),
    (7960, 150, 6),
    (7976, 150, 8),
    (7992, 150, 8),
    (8008, 150, 6),
    (8025, 151, 8),
    (8040, 150, 8),
    (8072, 150, 8),
    (8088, 150, 8),
    (8104, 150, 8),
    (8120, 150, 2),
    (8122, 126, 2),
    (8124, 148, 1),
    (8126, 100, 1),
    (8136, 124, 4),
    (8140, 148, 1),
    (8152, 150, 2),
    (8154, 120, 2),
    (8168, 150, 2),
    (8170, 118, 2),
    (8172, 152, 1),
    (8184, 112, 2),
    (8186, 114, 2),
    (8188, 148, 1),
    (8486, 98, 1),
    (8490, 92, 1),
    (8491, 94, 1),
    (8498, 12, 1),
    (8544, 8, 16),
    (8579, 0, 1),
    (9398, 10, 26),
    (11264, 22, 47),
    (11360, 0, 1),
    (11362, 88, 1),
    (11363, 102, 1),
    (11364, 90, 1),
    (11367, 1, 6),
    (11373, 84, 1),
    (11374, 86, 1),
    (11375, 80, 1),
    (11376, 82, 1),
    (11378, 0, 1),
    (11381, 0, 1),
    (11390, 78, 2),
    (11392, 1, 100),
    (11499, 1, 4),
    (11506, 0, 1),
    (42560, 1, 46),
    (42624, 1, 24),
    (42786, 1, 14),
    (42802, 1, 62),
    (42873, 1, 4),
    (42877, 76, 1),
    (42878, 1, 10),
    (42891, 0, 1),
    (42893, 74, 1),
    (42896, 1, 4),
    (42912, 1, 10),
    (42922, 72, 1),
    (65313, 14, 26),
];

const OFFSETS: [u16; 77] = [
    1, 2, 8, 15, 16, 26, 28, 32, 37, 38, 40, 48, 63, 64, 69, 71, 79, 80, 116, 202, 203, 205, 206,
    207, 209, 210, 211, 213, 214, 217, 218, 219, 775, 7264, 10792, 10795, 23228, 23256, 30204,
    54721, 54753, 54754, 54756, 54787, 54793, 54809, 57153, 57274, 57921, 58019, 58363, 61722,
    65268, 65341, 65373, 65406, 65408, 65410, 65415, 65424, 65436, 65439, 65450, 65462, 65472,
    65476, 65478, 65480, 65482, 65488, 65506, 65511, 65514, 65521, 65527, 65528, 65529,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_one_code_point_to_one_as_sqlite_does() {
        assert_eq!(fold("SMITH"), "smith");
        assert_eq!(fold("ÀÉÎ"), "àéî");
        assert_eq!(fold("ΣΊΣΥΦΟΣ ς"), "σίσυφοσ σ");
        assert_eq!(fold("ПЕТРОВ"), "петров");
        assert_eq!(fold("ſ\u{212A}"), "sk");
        // Left alone: İ (Rust would make it two characters), CJK, and astral letters
        // other than Deseret.
        assert_eq!(fold("İ佐藤"), "İ佐藤");
        assert_eq!(fold("\u{10400}\u{1D400}"), "\u{10428}\u{1D400}");
        assert_eq!(fold("a\0b\u{FFFF}"), "ab\u{FFFD}");
    }

    #[test]
    fn folding_twice_changes_nothing() {
        for code in 0..0x11_0000u32 {
            if let Some(c) = char::from_u32(code)
                && let Some(f) = fold_char(c)
            {
                assert_eq!(fold_char(f), Some(f), "U+{code:04X}");
            }
        }
    }

    #[test]
    fn contains_agrees_with_folding_both_sides() {
        for (field, term, want) in [
            ("Cust-55073818", "cust-5507", true),
            ("Cust-55073818", "cust-5508", false),
            ("ſmith", "smith", true),
            ("SMITH", "smith", true),
            ("Οδυσσεύς", "εύσ", true),
            ("a\0bc", "abc", true),
            ("abc", "ábc", false),
            ("", "abc", false),
        ] {
            assert_eq!(contains(field, &fold(term)), want, "{field:?} {term:?}");
        }
    }
}
