//! The index of 1- and 2-character substrings (`sessions_grams`, schema V2): what the
//! trigram index cannot answer. Without it a short search term scanned the table, and a
//! rare one ("qz", a CJK surname) read every row: about a second at a million records.
//!
//! Each distinct character and pair of neighbouring characters of a searchable field,
//! case-folded, becomes one ASCII word (`g` and the code points in hex, `x` between), so
//! the ascii tokenizer keeps it whole and the index needs no positions.

use std::fmt::Write;

/// The words to index for a record's searchable fields.
pub(super) fn words(fields: &[&str]) -> String {
    // Each gram as a number (a pair, or one character and 0) so they sort and dedup
    // without an allocation each.
    let mut keys: Vec<u64> = Vec::with_capacity(128);
    for field in fields {
        let mut prev: Option<char> = None;
        for c in field.chars().flat_map(char::to_lowercase) {
            keys.push(u64::from(u32::from(c)) << 32);
            if let Some(p) = prev {
                keys.push((u64::from(u32::from(p)) << 32) | (u64::from(u32::from(c)) + 1));
            }
            prev = Some(c);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    let mut out = String::with_capacity(keys.len() * 8);
    for k in keys {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "g{:x}", k >> 32);
        let second = k & 0xFFFF_FFFF;
        if second != 0 {
            let _ = write!(out, "x{:x}", second - 1);
        }
    }
    out
}

/// The index word of a search term of 1 or 2 characters.
pub(super) fn term(t: &str) -> String {
    let folded: Vec<char> = fold(t).chars().collect();
    word(&folded)
}

/// Lower case, as the trigram index folds (both sides of a search go through this).
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn word(chars: &[char]) -> String {
    let mut w = String::from("g");
    for (i, c) in chars.iter().enumerate() {
        if i > 0 {
            w.push('x');
        }
        let _ = write!(w, "{:x}", u32::from(*c));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_cover_every_short_substring_of_each_field_and_none_across() {
        let w = words(&["Li", "王"]);
        let set: Vec<&str> = w.split(' ').collect();
        assert!(set.contains(&term("l").as_str()));
        assert!(set.contains(&term("LI").as_str()));
        assert!(set.contains(&term("王").as_str()));
        assert!(
            !set.contains(&term("i王").as_str()),
            "no pair across fields"
        );
        assert_eq!(set.len(), 4);
        assert!(w.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '));
    }
}
