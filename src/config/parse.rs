//! The config file's text to a `Config`, and its errors in plain words: file, line,
//! column and key, with any secret in the file masked.

use super::*;

/// Parses the text of a config file; errors name `path`, the line, the column and the key.
pub fn parse_config_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let secrets = || secret_values_in(text);
    let config = toml::from_str::<Config>(text).map_err(|e| {
        // A secret given twice fails the profile's table as a whole: named at its second
        // key instead, which is the line to change.
        let (span, what) =
            secret_given_twice(text).unwrap_or_else(|| (e.span(), plain_toml_message(e.message())));
        scrub(located_error(text, path, span, &what), &secrets())
    })?;
    // `[keys]`: an unknown action, a bad key name or a clash, at its place in the file.
    if let Err(e) = crate::keymap::KeyMap::from_config(&config.keys) {
        return Err(scrub(
            located_error(text, path, e.span, &e.message),
            &secrets(),
        ));
    }
    Ok(config)
}

/// Where a profile gives one secret by two keys (`api_key` and `api_key_cmd`): the later
/// key's place and the words. Read leniently, every other key ignored: `None` for a text
/// that does not get this far (its own error is the one to show).
fn secret_given_twice(text: &str) -> Option<(Option<std::ops::Range<usize>>, String)> {
    use serde::de::IgnoredAny;
    use toml::Spanned;
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        profiles: BTreeMap<String, Keys>,
    }
    #[derive(Deserialize)]
    struct Keys {
        api_key: Option<Spanned<IgnoredAny>>,
        api_key_cmd: Option<Spanned<IgnoredAny>>,
        shared_secret: Option<Spanned<IgnoredAny>>,
        shared_secret_cmd: Option<Spanned<IgnoredAny>>,
    }
    let file: File = toml::from_str(text).ok()?;
    file.profiles.into_values().find_map(|k| {
        [
            (SecretField::ApiKey, k.api_key, k.api_key_cmd),
            (
                SecretField::SharedSecret,
                k.shared_secret,
                k.shared_secret_cmd,
            ),
        ]
        .into_iter()
        .find_map(|(field, value, cmd)| {
            let (value, cmd) = (value?.span(), cmd?.span());
            let later = if value.start > cmd.start { value } else { cmd };
            Some((Some(later), super::secret::two_sources(field)))
        })
    })
}

/// `FILE, line L, column C, key K: what. Fix the file…`, the place as far as known.
pub(super) fn located_error(
    text: &str,
    path: &Path,
    span: Option<std::ops::Range<usize>>,
    what: &str,
) -> ConfigError {
    let mut out = shown_path(path);
    if let Some(span) = span {
        let (line, column) = line_col(text, span.start);
        out.push_str(&format!(", line {line}, column {column}"));
        if let Some(key) = key_at(text, span.start) {
            out.push_str(&format!(", key {key}"));
        }
    }
    out.push_str(&format!(
        ": {what}. Fix the file (config.example.toml documents every key) or point --config at another one."
    ));
    ConfigError::Invalid(out)
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted key an error at `offset` is about, read from the text: the table header in
/// force plus the key left of `=` on that line. `None` when the line does not look like a
/// key (inside a multi-line value, say).
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim();
    let looks_like_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | ' '))
    };
    let header = |l: &str| -> Option<String> {
        let l = l.trim();
        let inner = l.strip_prefix("[[").and_then(|r| r.split("]]").next());
        let inner = inner.or_else(|| l.strip_prefix('[').and_then(|r| r.split(']').next()))?;
        let inner = inner.trim();
        looks_like_key(inner).then(|| tidy_key(inner))
    };
    if line.starts_with('[') {
        return header(line);
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('['))
        .and_then(header);
    let (left, _) = line.split_once('=')?;
    let left = left.trim();
    if !looks_like_key(left) {
        return None;
    }
    let key = tidy_key(left);
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    })
}

pub(super) fn tidy_key(k: &str) -> String {
    k.split('.')
        .map(|part| part.trim().trim_matches(|c| c == '"' || c == '\''))
        .collect::<Vec<_>>()
        .join(".")
}

/// Rewrites serde/toml wording into plain words, and drops the offending value itself
/// (it may be a secret typed into the wrong key).
pub(super) fn plain_toml_message(msg: &str) -> String {
    let msg = msg.trim();
    let strip = |s: &str| s.replace('`', "\"");
    if let Some(plain) = plain_syntax_message(msg) {
        return plain.into();
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (name, rest) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = rest
            .trim_start_matches(',')
            .trim()
            .strip_prefix("expected one of ")
            .or_else(|| {
                rest.trim_start_matches(',')
                    .trim()
                    .strip_prefix("expected ")
            })
            .map(|a| a.replace('`', ""));
        return match allowed {
            Some(a) => format!("unknown key \"{name}\" (the keys allowed here are: {a})"),
            None => format!("unknown key \"{name}\" (no keys are allowed here)"),
        };
    }
    // An enum given something that is not a word (toml's own wording).
    if msg.starts_with("wanted string or table") || msg.starts_with("wanted string or inline table")
    {
        return "wrong type: expected one of the words documented for this key, in quotes".into();
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("the required key \"{name}\" is missing");
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let allowed = rest
            .split_once("expected one of ")
            .map(|(_, a)| a.replace('`', ""))
            .or_else(|| {
                rest.split_once("expected ")
                    .map(|(_, a)| a.replace('`', ""))
            });
        return match allowed {
            Some(a) => format!("unknown value; the values allowed are: {a}"),
            None => "unknown value".into(),
        };
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let found = found.split_whitespace().next().unwrap_or("");
            let found = match found {
                "string" => "text",
                "integer" => "a number",
                "floating" => "a decimal number",
                "boolean" => "true or false",
                "map" => "a table",
                "sequence" => "a list",
                "" => "something else",
                other => other,
            };
            let expected = plain_expected(expected);
            return if prefix == "invalid value: " {
                format!("wrong value: expected {expected}")
            } else {
                format!("wrong type: expected {expected}, found {found}")
            };
        }
    }
    strip(msg)
}

/// The TOML parser's syntax errors (`invalid basic string, expected \`"\``) in words that
/// say what is wrong and what to type; `None` for a message not known here.
pub(super) fn plain_syntax_message(msg: &str) -> Option<&'static str> {
    // Longest prefixes first: "invalid multi-line basic string" before "invalid basic…".
    const KNOWN: [(&str, &str); 13] = [
        (
            "invalid multi-line basic string",
            "a multi-line string is not closed: end it with \"\"\"",
        ),
        (
            "invalid multi-line literal string",
            "a multi-line string is not closed: end it with '''",
        ),
        (
            "invalid basic string",
            "a string is not closed (missing \"): end it with \" on the same line",
        ),
        (
            "invalid literal string",
            "a string is not closed (missing '): end it with ' on the same line",
        ),
        (
            "unclosed table",
            "a [table] header is not closed (missing ]): end it with ]",
        ),
        (
            "unclosed array",
            "a list is not closed (missing ]): end it with ]",
        ),
        (
            "unclosed inline table",
            "an inline table is not closed (missing }): end it with }",
        ),
        (
            "string values must be quoted",
            "text must be in quotes, like \"text\" (true, false and numbers go without)",
        ),
        (
            "key with no value",
            "a key without a value: write key = value",
        ),
        (
            "unexpected key or value",
            "something follows the value on the same line: one key = value per line (a comment starts with #)",
        ),
        (
            "duplicate key",
            "this key or [table] is given twice: keep one of them",
        ),
        (
            "missing escaped value",
            "a backslash in \"…\" starts an escape: write \\\\ for one backslash, or use single quotes, like 'C:\\path'",
        ),
        (
            "invalid escape",
            "a backslash in \"…\" starts an escape: write \\\\ for one backslash, or use single quotes, like 'C:\\path'",
        ),
    ];
    KNOWN
        .iter()
        .find(|(prefix, _)| msg.starts_with(prefix))
        .map(|(_, plain)| *plain)
}

pub(super) fn plain_expected(e: &str) -> String {
    let e = e.trim();
    match e {
        "a boolean" | "bool" => "true or false".into(),
        "u64" | "u32" | "usize" | "u16" | "u8" => "a whole number (0 or more)".into(),
        "i64" | "i32" => "a whole number".into(),
        "a string" | "string" => "text in quotes".into(),
        "a map" | "map" => "a table".into(),
        "a sequence" => "a list".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ if e.starts_with("enum ") => "one of the documented words".into(),
        _ if e.is_empty() => "another type".into(),
        _ => e.replace('`', "\""),
    }
}

/// Values assigned to `api_key` or `shared_secret` anywhere in a text, even one that does
/// not parse: no message built from the text may repeat them.
pub(super) fn secret_values_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once('=') else {
            continue;
        };
        let left = left.trim().trim_matches(|c| c == '"' || c == '\'');
        if left.ends_with("webhook_secrets") {
            // A list on one line: every quoted string in it is a secret.
            let quoted = right.split(['"', '\'']).skip(1).step_by(2);
            out.extend(quoted.filter(|v| v.chars().count() >= 4).map(String::from));
            continue;
        }
        if !(left.ends_with("api_key") || left.ends_with("shared_secret")) {
            continue;
        }
        let right = right.trim();
        // `{ keyring = true }` and the like name a place, not a secret.
        if right.starts_with(['{', '[']) {
            continue;
        }
        let value = match right.chars().next() {
            Some(q @ ('"' | '\'')) => right[1..].split(q).next().unwrap_or(""),
            _ => right.split('#').next().unwrap_or("").trim(),
        };
        if value.chars().count() >= 4 {
            out.push(value.to_string());
        }
    }
    out
}

pub(super) fn scrub(e: ConfigError, secrets: &[String]) -> ConfigError {
    let ConfigError::Invalid(mut msg) = e;
    for s in secrets {
        if s.chars().count() >= 4 && msg.contains(s.as_str()) {
            msg = msg.replace(s.as_str(), &mask(s));
        }
    }
    ConfigError::Invalid(crate::text::sanitize(&msg))
}
