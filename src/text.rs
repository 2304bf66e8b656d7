//! Making untrusted strings safe to show or copy.
//!
//! Anything that came from the network, a file or the history database may hold escape
//! sequences (`ESC ] 52` would write the user's clipboard, `ESC [ 2 J` would wipe the screen)
//! or invisible formatting that makes text display as something it is not (a bidirectional
//! override turning `exe.txt` into `txt.exe`). Every such string passes through here.

/// True for a character never shown as it is: control characters (C0, DEL, C1), the
/// bidirectional embeddings, overrides, isolates and marks, and invisible formatting
/// (zero-width space, word joiner, invisible operators, BOM). The zero-width joiner and
/// non-joiner stay: Indic and Persian words and emoji sequences need them.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}')
}

/// Removes every unsafe character (see [`is_unsafe`]), newlines and tabs included. The
/// printable text around them is kept, so `"\x1b[2Jhi"` becomes `"[2Jhi"`: inert, visible.
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !is_unsafe(*c)).collect()
}

/// Like [`sanitize`], but borrows when there is nothing to strip (the common case).
pub fn sanitize_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_unsafe) {
        std::borrow::Cow::Owned(sanitize(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// [`sanitize`] in place, allocating only when there is something to strip.
pub fn make_safe(s: &mut String) {
    if s.chars().any(is_unsafe) {
        *s = sanitize(s);
    }
}

/// Pasted text as it may enter a one-line field: whole escape sequences removed (a paste
/// from a coloured terminal brings `ESC [31m`; dropping only the ESC would leave `[31m`),
/// each run of line breaks and tabs turned into one space (lines joined as words, never
/// `AnnaMariaSmith`, and never an Enter), then every other unsafe character stripped.
pub fn from_paste(s: &str) -> String {
    // Tabs first: the escape stripper drops them as control characters, gluing words.
    let plain = strip_ansi_escapes::strip_str(s.replace('\t', " "));
    let mut out = String::with_capacity(plain.len());
    let mut gap = false;
    for c in plain.chars() {
        if matches!(c, '\r' | '\n' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}') {
            gap = true;
            continue;
        }
        if is_unsafe(c) {
            continue;
        }
        if gap && !out.is_empty() && !out.ends_with(' ') && c != ' ' {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
}

/// True when `s` holds a control character (used by form validation).
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_c1() {
        assert_eq!(sanitize("a\x1b]52;c;SGVsbG8=\x07b"), "a]52;c;SGVsbG8=b");
        assert_eq!(sanitize("\x1b[2Jclear"), "[2Jclear");
        assert_eq!(sanitize("x\u{9b}31my"), "x31my");
        assert_eq!(sanitize("line\r\nnext\t."), "linenext.");
        assert_eq!(sanitize("李小龍 Zoë 👍"), "李小龍 Zoë 👍");
    }

    #[test]
    fn pastes_join_lines_as_words_and_lose_whole_escapes() {
        assert_eq!(from_paste("Anna\nMaria\r\nSmith\n"), "Anna Maria Smith");
        assert_eq!(from_paste("Evil\x1b[31mRed\x1b[0m"), "EvilRed");
        assert_eq!(from_paste("a\x1b]8;;http://x\x1b\\b\x07c"), "abc");
        assert_eq!(from_paste("tab\there  two"), "tab here  two");
        assert_eq!(from_paste("\n\nlead"), "lead");
        assert_eq!(from_paste("x\u{202E}y"), "xy");
    }

    #[test]
    fn strips_bidi_and_invisible_but_keeps_joiners() {
        assert_eq!(sanitize("evil\u{202E}txt.exe"), "eviltxt.exe");
        assert_eq!(sanitize("a\u{2066}b\u{2069}\u{200B}c\u{FEFF}"), "abc");
        // ZWJ in an emoji family, ZWNJ in Persian, virama conjuncts in Devanagari.
        for keep in ["👨\u{200D}👩\u{200D}👧", "می\u{200C}خواهم", "क्षत्रिय"]
        {
            assert_eq!(sanitize(keep), keep);
        }
        let mut s = String::from("ok");
        make_safe(&mut s);
        assert_eq!(s, "ok");
        let mut s = String::from("x\u{1b}y");
        make_safe(&mut s);
        assert_eq!(s, "xy");
    }

    #[test]
    fn cow_borrows_clean_text() {
        assert!(matches!(
            sanitize_cow("clean"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(has_control("a\u{7f}"));
        assert!(!has_control("plain"));
    }
}
