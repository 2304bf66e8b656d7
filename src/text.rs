//! Making untrusted strings safe to show or copy.
//!
//! Anything that came from the network, a file or the history database may hold escape
//! sequences (`ESC ] 52` would write the user's clipboard, `ESC [ 2 J` would wipe the screen).
//! Every such string passes through here before it reaches a terminal or a clipboard.

/// Removes every control character (C0, DEL, C1), including newlines and tabs.
/// The printable text around them is kept, so `"\x1b[2Jhi"` becomes `"[2Jhi"`: inert, visible.
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Like [`sanitize`], but borrows when there is nothing to strip (the common case).
pub fn sanitize_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        std::borrow::Cow::Owned(sanitize(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
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
    fn cow_borrows_clean_text() {
        assert!(matches!(
            sanitize_cow("clean"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(has_control("a\u{7f}"));
        assert!(!has_control("plain"));
    }
}
