//! The language list behind the picker (assets/languages.tsv) and what counts as a code.

use std::sync::OnceLock;

/// One language the picker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    pub code: &'static str,
    pub english: &'static str,
    pub native: &'static str,
}

const SOURCE: &str = include_str!("../../assets/languages.tsv");

/// Every listed language, English first.
pub fn all() -> &'static [Language] {
    static LIST: OnceLock<Vec<Language>> = OnceLock::new();
    LIST.get_or_init(|| {
        SOURCE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let code = parts.next()?.trim();
                let english = parts.next()?.trim();
                let native = parts.next().unwrap_or(english).trim();
                is_valid_code(code).then_some(Language {
                    code,
                    english,
                    native,
                })
            })
            .collect()
    })
}

/// An ISO 639-1 code with an optional region or script (`en`, `pt-BR`, `zh-Hant`), by the
/// core's rule, so the TUI and the CLI accept the same codes.
pub fn is_valid_code(s: &str) -> bool {
    crate::veriff::is_valid_lang(s)
}

/// The listed language with this code (case-insensitive).
pub fn find(code: &str) -> Option<&'static Language> {
    all()
        .iter()
        .find(|l| l.code.eq_ignore_ascii_case(code.trim()))
}

/// Languages matching what was typed, best first: exact code, code prefix, name prefix,
/// then a name containing it. An empty query lists everything.
pub fn search(query: &str) -> Vec<&'static Language> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return all().iter().collect();
    }
    let mut ranked: Vec<(u8, usize, &'static Language)> = all()
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let code = l.code.to_lowercase();
            let english = l.english.to_lowercase();
            let native = l.native.to_lowercase();
            let rank = if code == q {
                0
            } else if code.starts_with(&q) {
                1
            } else if english.starts_with(&q) || native.starts_with(&q) {
                2
            } else if english.contains(&q) || native.contains(&q) {
                3
            } else {
                return None;
            };
            Some((rank, i, l))
        })
        .collect();
    ranked.sort_by_key(|(rank, i, _)| (*rank, *i));
    ranked.into_iter().map(|(_, _, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_loaded_english_first_and_all_codes_valid() {
        let list = all();
        assert!(list.len() >= 60, "{}", list.len());
        assert_eq!(list[0].code, "en");
        assert!(find("pt-br").is_some_and(|l| l.english.contains("Brazil")));
    }

    #[test]
    fn codes() {
        for ok in ["en", "pt-BR", "zh-Hant", "xx", "sr-latn"] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in ["", "e", "eng", "en-", "en-B", "en-Latin", "en_US", "e1"] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn search_ranks_codes_before_names() {
        let r = search("de");
        assert_eq!(r[0].code, "de");
        assert!(search("deut").iter().any(|l| l.code == "de"));
        assert_eq!(search("ESPA")[0].code, "es");
        assert!(search("zzzz").is_empty());
    }
}
