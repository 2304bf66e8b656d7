//! Reading Veriff's answers: lenient about shape (Veriff adds fields, older answers differ),
//! strict about what may reach a screen, a clipboard or an error message.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::token;
use super::types::{Decision, SessionStatus};
use crate::text::sanitize;

/// Answers larger than this are not read: Veriff's are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The longest session URL taken from an answer (Veriff's are about 300-400 characters).
pub const MAX_URL_BYTES: usize = 2048;

/// Length limits for strings that end up in one-line error messages.
const SHORT: usize = 120;
const LONG: usize = 300;
/// Limits for stored fields: generous, only there so a hostile answer cannot bloat history.
const FIELD: usize = 4096;
const TOKEN: usize = 16 * 1024;

/// Makes strings from the network safe to show: control characters removed, the API key and
/// shared secret masked (a server may echo them), length bounded.
#[derive(Debug, Default)]
pub struct Scrub<'a> {
    secrets: Vec<&'a str>,
}

impl<'a> Scrub<'a> {
    /// Values shorter than 4 characters are not masked: masking them would mangle ordinary
    /// text and they are no secret worth the name.
    pub fn new(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            secrets: secrets
                .into_iter()
                .filter(|s| s.chars().count() >= 4)
                .collect(),
        }
    }

    /// Sanitised, secrets masked, at most `max` characters (an ellipsis marks a cut).
    pub fn clean(&self, s: &str, max: usize) -> String {
        let mut out = sanitize(s);
        for secret in &self.secrets {
            out = mask_ignoring_ascii_case(&out, secret);
        }
        truncate(&out, max)
    }
}

fn mask_ignoring_ascii_case(haystack: &str, needle: &str) -> String {
    // ASCII lowercasing keeps byte offsets, so positions found in the lowered copy are valid
    // in the original.
    let lower_hay = haystack.to_ascii_lowercase();
    let lower_needle = needle.to_ascii_lowercase();
    if needle.is_empty() || !lower_hay.contains(&lower_needle) {
        return haystack.to_string();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut rest = 0;
    for (at, _) in lower_hay.match_indices(&lower_needle) {
        if at < rest {
            continue;
        }
        out.push_str(&haystack[rest..at]);
        out.push_str("***");
        rest = at + needle.len();
    }
    out.push_str(&haystack[rest..]);
    out
}

/// At most `max` characters; a cut is marked with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// True for characters that must never reach a terminal inside a URL: control characters
/// (C0, DEL, C1 — escape sequences start with these) and invisible formatting that can make
/// a link display as something it is not (bidirectional overrides, zero-width characters).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}')
}

/// The fields of a create-session answer, cleaned. The client adds the timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFields {
    pub id: String,
    pub url: String,
    pub host: Option<String>,
    pub session_token: Option<String>,
    pub vendor_data: Option<String>,
    pub status: Option<String>,
}

/// Parses a body as JSON, telling apart "not JSON at all" (a proxy's page), "not text",
/// and "JSON cut short or broken".
pub(super) fn json_body(status: u16, body: &[u8], scrub: &Scrub) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::NotUtf8 { status })?;
    let text = text.trim_start_matches('\u{FEFF}');
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ApiError::BadJson {
            status,
            detail: "the body is empty".into(),
        });
    }
    serde_json::from_str::<Value>(trimmed).map_err(|e| {
        if !trimmed.starts_with(['{', '[']) {
            ApiError::NotJson {
                status,
                first_line: title_line(trimmed, scrub)
                    .unwrap_or_else(|| first_line(trimmed, scrub)),
            }
        } else if e.is_eof() {
            ApiError::BadJson {
                status,
                detail: "the JSON ends early (the answer was cut off)".into(),
            }
        } else {
            ApiError::BadJson {
                status,
                detail: scrub.clean(&e.to_string(), LONG),
            }
        }
    })
}

/// The first non-empty line of a body, cleaned: enough to recognise a proxy's error page.
pub fn first_line(text: &str, scrub: &Scrub) -> String {
    text.lines()
        .map(str::trim)
        .map(|l| scrub.clean(l, SHORT))
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
}

/// The line of an HTML page that holds its `<title>`, cleaned: a proxy's error page names
/// itself there ("502 Bad Gateway").
fn title_line(text: &str, scrub: &Scrub) -> Option<String> {
    if !text.starts_with('<') {
        return None;
    }
    text.lines()
        .take(50)
        .map(|l| scrub.clean(l.trim(), SHORT))
        .find(|l| super::error::html_title(l).is_some())
}

pub(super) fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    scrub: &Scrub,
    max: usize,
) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) => Some(scrub.clean(s.trim(), max)).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// A string or a number, as text (Veriff has sent codes and ids both ways).
pub(super) fn text_field(
    obj: &Map<String, Value>,
    key: &str,
    scrub: &Scrub,
    max: usize,
) -> Option<String> {
    match obj.get(key) {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => string_field(obj, key, scrub, max),
    }
}

/// A number, or a string holding one.
pub(super) fn int_field(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `{"status":"fail","code":...,"message":...}` as an [`ApiError::Http`].
pub(super) fn fail_from(status: u16, obj: &Map<String, Value>, scrub: &Scrub) -> ApiError {
    ApiError::Http {
        status,
        code: text_field(obj, "code", scrub, 40),
        message: string_field(obj, "message", scrub, LONG)
            .or_else(|| string_field(obj, "error", scrub, LONG)),
    }
}

pub(super) fn says_fail(obj: &Map<String, Value>) -> bool {
    matches!(obj.get("status"), Some(Value::String(s)) if s.eq_ignore_ascii_case("fail"))
}

/// Any answer that is not a success: an HTTP error with whatever the body tells.
pub fn parse_failure(status: u16, location: Option<&str>, body: &[u8], scrub: &Scrub) -> ApiError {
    if (300..400).contains(&status) {
        return ApiError::Redirect {
            status,
            location: location.map(|l| scrub.clean(l, SHORT)),
        };
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return ApiError::Http {
            status,
            code: None,
            message: None,
        };
    }
    match json_body(status, body, scrub) {
        Ok(Value::Object(obj)) => fail_from(status, &obj, scrub),
        Ok(_) => ApiError::Http {
            status,
            code: None,
            message: None,
        },
        Err(e) => e,
    }
}

pub(super) fn object(status: u16, value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(obj) => Ok(obj),
        _ => Err(ApiError::BadJson {
            status,
            detail: "the answer is not a JSON object".into(),
        }),
    }
}

/// A create-session success answer (HTTP 200/201).
pub fn parse_created(status: u16, body: &[u8], scrub: &Scrub) -> Result<SessionFields, ApiError> {
    let obj = object(status, json_body(status, body, scrub)?)?;
    if says_fail(&obj) {
        return Err(fail_from(status, &obj, scrub));
    }
    let Some(Value::Object(ver)) = obj.get("verification") else {
        return Err(ApiError::MissingUrl);
    };
    let url = match ver.get("url") {
        None | Some(Value::Null) => return Err(ApiError::MissingUrl),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(ApiError::MissingUrl),
        Some(Value::String(s)) if s.len() > MAX_URL_BYTES => {
            // A session link is a few hundred characters; one of megabytes would be stored,
            // copied and printed whole.
            return Err(ApiError::BadJson {
                status,
                detail: format!(
                    "the session URL is {} bytes long, more than a session link ever is ({MAX_URL_BYTES}): it was not used",
                    s.len()
                ),
            });
        }
        Some(Value::String(s)) => session_url(status, s, scrub)?,
        Some(other) => {
            return Err(ApiError::BadUrl {
                url: scrub.clean(&other.to_string(), SHORT),
            });
        }
    };
    let session_token = string_field(ver, "sessionToken", scrub, TOKEN);
    // The token carries the id too; an answer without `id` is odd but still usable.
    let id = text_field(ver, "id", scrub, 256)
        .or_else(|| {
            session_token
                .as_deref()
                .and_then(token::decode_claims)
                .and_then(|c| c.session_id)
                .map(|id| scrub.clean(id.trim(), 256))
                .filter(|id| !id.is_empty())
        })
        .ok_or_else(|| ApiError::BadJson {
            status,
            detail: "the answer has no verification.id".into(),
        })?;
    // Veriff's session ids are UUIDs: anything else (a formula, a 10,000-character string
    // cut to fit) is not stored as one.
    let raw_id = ver.get("id").and_then(Value::as_str).map(str::trim);
    if uuid::Uuid::parse_str(&id).is_err() || raw_id.is_some_and(|r| r != id) {
        return Err(ApiError::BadJson {
            status,
            detail: format!(
                "verification.id {:?} is not a session id (a UUID)",
                truncate(&id, 40)
            ),
        });
    }
    Ok(SessionFields {
        id,
        url,
        host: string_field(ver, "host", scrub, FIELD)
            .or_else(|| string_field(ver, "baseUrl", scrub, FIELD))
            .filter(|h| is_plain_host_url(h)),
        session_token,
        vendor_data: string_field(ver, "vendorData", scrub, FIELD),
        status: documented_status(string_field(ver, "status", scrub, 64)),
    })
}

/// The link is already made when the answer's lesser fields come in, so one of them out of
/// shape is dropped (the record keeps its default) rather than costing the operator the link.
fn documented_status(status: Option<String>) -> Option<String> {
    let status = status?;
    match SessionStatus::parse(&status) {
        SessionStatus::Other(_) | SessionStatus::Unknown => {
            tracing::warn!(status = %truncate(&status, 40), "create answer's status is not a documented one; ignored");
            None
        }
        _ => Some(status),
    }
}

/// `host` is the flow's origin (`https://alchemy.veriff.com`): a plain http(s) URL with an
/// ASCII host and nothing else in it.
fn is_plain_host_url(raw: &str) -> bool {
    let ok = url::Url::parse(raw).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.username().is_empty()
            && u.password().is_none()
            && u.host_str().is_some_and(|h| {
                !h.is_empty() && !h.split('.').any(|label| label.starts_with("xn--"))
            })
            && raw.is_ascii()
    });
    if !ok {
        tracing::warn!(host = %truncate(raw, 40), "create answer's host is not a plain URL; ignored");
    }
    ok
}

/// The session URL is opened in browsers, copied and drawn as a QR code: only a plain
/// http(s) link is let through.
fn session_url(status: u16, raw: &str, scrub: &Scrub) -> Result<String, ApiError> {
    let raw = raw.trim_matches(' ');
    if let Some(at) = raw.chars().position(is_unsafe_char) {
        // Shown without the unsafe characters (invisible formatting too, which sanitising
        // keeps), and from near the first one, so a long token does not push it out of view.
        let visible = |s: &str| -> String { s.chars().filter(|c| !is_unsafe_char(*c)).collect() };
        let shown = if at > SHORT / 2 {
            let tail: String = raw.chars().skip(at - SHORT / 3).collect();
            format!("…{}", visible(&tail))
        } else {
            visible(raw)
        };
        return Err(ApiError::UnsafeUrl {
            url: scrub.clean(&shown, SHORT),
        });
    }
    let bad = || ApiError::BadUrl {
        url: scrub.clean(raw, SHORT),
    };
    // The URL parser is lenient (`http:/host`, `https:\\host`), but what is shown and opened
    // is the raw text: it must already be the plain form.
    let lower = raw.to_ascii_lowercase();
    let plain_form = lower.starts_with("https://") || lower.starts_with("http://");
    if raw.chars().any(char::is_whitespace) || raw.contains('\\') || !plain_form {
        return Err(bad());
    }
    let parsed = reqwest::Url::parse(raw).map_err(|_| bad())?;
    let has_host = parsed.host_str().is_some_and(|h| !h.is_empty());
    let has_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    if !matches!(parsed.scheme(), "http" | "https") || !has_host || has_userinfo {
        return Err(bad());
    }
    // Veriff's hosts are plain ASCII names: an internationalised one (`аlchemy.veriff.com`
    // with a Cyrillic а, punycode `xn--…`) only looks like Veriff's.
    let idn = parsed
        .host_str()
        .is_some_and(|h| h.split('.').any(|label| label.starts_with("xn--")));
    if idn {
        return Err(ApiError::BadJson {
            status,
            detail: format!(
                "the session URL's host {} is an internationalised name that only looks like a plain one: it was not used",
                scrub.clean(parsed.host_str().unwrap_or_default(), SHORT)
            ),
        });
    }
    Ok(raw.to_string())
}

/// A decision answer (HTTP 200/201). `Ok(None)`: `verification` is null, no decision yet.
pub fn parse_decision(
    status: u16,
    body: &[u8],
    scrub: &Scrub,
) -> Result<Option<Decision>, ApiError> {
    let obj = object(status, json_body(status, body, scrub)?)?;
    if says_fail(&obj) {
        return Err(fail_from(status, &obj, scrub));
    }
    let ver = match obj.get("verification") {
        Some(Value::Null) => return Ok(None),
        Some(Value::Object(ver)) => ver,
        None => {
            return Err(ApiError::BadJson {
                status,
                detail: "the answer has no verification field".into(),
            });
        }
        Some(_) => {
            return Err(ApiError::BadJson {
                status,
                detail: "verification is neither an object nor null".into(),
            });
        }
    };
    let status_text = string_field(ver, "status", scrub, 64).ok_or_else(|| ApiError::BadJson {
        status,
        detail: "the decision has no status".into(),
    })?;
    // Held to what Veriff documents: a status outside its list, or a decision time that is
    // no time, is not stored as if it were one (it could be a formula, or a bidi trick).
    let decision_status = SessionStatus::parse(&status_text);
    if let SessionStatus::Other(other) = &decision_status {
        return Err(ApiError::BadJson {
            status,
            detail: format!(
                "the decision's status {:?} is not one Veriff documents",
                truncate(other, 40)
            ),
        });
    }
    let decision_time = string_field(ver, "decisionTime", scrub, 64);
    if let Some(t) = decision_time
        .as_deref()
        .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_err())
    {
        return Err(ApiError::BadJson {
            status,
            detail: format!("the decision time {:?} is not a time", truncate(t, 40)),
        });
    }
    Ok(Some(Decision {
        status: decision_status,
        code: int_field(ver, "code"),
        reason: string_field(ver, "reason", scrub, LONG),
        reason_code: int_field(ver, "reasonCode"),
        decision_time,
        vendor_data: string_field(ver, "vendorData", scrub, FIELD),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Scrub<'static> {
        Scrub::default()
    }

    #[test]
    fn created_reads_host_or_base_url_and_ignores_unknown_fields() {
        let body = br#"{"status":"success","verification":{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","url":"https://alchemy.veriff.com/v/eyJ.abc.def","vendorData":"v1","host":"https://alchemy.veriff.com","status":"created","sessionToken":"eyJ.abc.def","brandNew":{"x":[1,2]}},"extra":true}"#;
        let f = parse_created(201, body, &none()).unwrap();
        assert_eq!(f.id, "f04bdb47-d3be-4b28-b028-a652feb060b5");
        assert_eq!(f.url, "https://alchemy.veriff.com/v/eyJ.abc.def");
        assert_eq!(f.host.as_deref(), Some("https://alchemy.veriff.com"));
        assert_eq!(f.session_token.as_deref(), Some("eyJ.abc.def"));
        assert_eq!(f.vendor_data.as_deref(), Some("v1"));
        assert_eq!(f.status.as_deref(), Some("created"));

        let old = br#"{"status":"success","verification":{"id":"0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d","url":"https://magic.veriff.me/v/t","baseUrl":"https://magic.veriff.me","vendorData":null}}"#;
        let f = parse_created(200, old, &none()).unwrap();
        assert_eq!(f.host.as_deref(), Some("https://magic.veriff.me"));
        assert_eq!(f.vendor_data, None);
        assert_eq!(f.session_token, None);
        assert_eq!(f.status, None);
    }

    #[test]
    fn created_takes_the_id_from_the_token_when_missing() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"session_id":"0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d","iat":1}"#);
        let body = format!(
            r#"{{"verification":{{"url":"https://x.example/v/t","sessionToken":"h.{payload}.s"}}}}"#
        );
        let f = parse_created(201, body.as_bytes(), &none()).unwrap();
        assert_eq!(f.id, "0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d");
        let no_id = br#"{"verification":{"url":"https://x.example/v/t"}}"#;
        assert!(matches!(
            parse_created(201, no_id, &none()),
            Err(ApiError::BadJson { .. })
        ));
    }

    #[test]
    fn ids_that_are_no_uuid_and_urls_no_link_is_that_long_are_refused() {
        let bad_ids = [
            "=HYPERLINK(\"http://evil.example/\",\"x\")".to_string(),
            "x".repeat(10_000),
            "f04bdb47-d3be-4b28-b028".to_string(),
        ];
        for id in bad_ids {
            let body =
                serde_json::json!({"verification": {"id": id, "url": "https://x.example/v/t"}});
            let e = parse_created(201, body.to_string().as_bytes(), &none()).unwrap_err();
            assert!(
                matches!(&e, ApiError::BadJson { detail, .. } if detail.contains("not a session id")),
                "{e}"
            );
        }
        let url = format!("https://x.example/v/{}", "a".repeat(900_000));
        let body = serde_json::json!({"verification": {"id": "f04bdb47-d3be-4b28-b028-a652feb060b5", "url": url}});
        let e = parse_created(201, body.to_string().as_bytes(), &none()).unwrap_err();
        assert!(
            e.to_string().contains("more than a session link ever is"),
            "{e}"
        );
    }

    #[test]
    fn a_host_that_only_looks_like_veriffs_is_refused() {
        for url in [
            "https://\u{0430}lchemy.veriff.com/v/t",
            "https://xn--lchemy-6fg.veriff.com/v/t",
        ] {
            let body = serde_json::json!({"verification": {"id": "f04bdb47-d3be-4b28-b028-a652feb060b5", "url": url}});
            let e = parse_created(201, body.to_string().as_bytes(), &none()).unwrap_err();
            assert!(e.to_string().contains("internationalised"), "{url}: {e}");
        }
    }

    type Check = fn(&ApiError) -> bool;

    #[test]
    fn created_rejects_missing_bad_and_unsafe_urls() {
        let cases: [(&[u8], Check); 11] = [
            (br#"{"verification":{"id":"a"}}"#, |e| {
                matches!(e, ApiError::MissingUrl)
            }),
            (br#"{"verification":{"id":"a","url":""}}"#, |e| {
                matches!(e, ApiError::MissingUrl)
            }),
            (br#"{"status":"success"}"#, |e| {
                matches!(e, ApiError::MissingUrl)
            }),
            (
                br#"{"verification":{"id":"a","url":"javascript:alert(1)"}}"#,
                |e| matches!(e, ApiError::BadUrl { url } if url == "javascript:alert(1)"),
            ),
            (
                br#"{"verification":{"id":"a","url":"http:/evil.example"}}"#,
                |e| matches!(e, ApiError::BadUrl { .. }),
            ),
            (
                br#"{"verification":{"id":"a","url":"https:\\evil.example"}}"#,
                |e| matches!(e, ApiError::BadUrl { .. }),
            ),
            (br#"{"verification":{"id":"a","url":"https://"}}"#, |e| {
                matches!(e, ApiError::BadUrl { .. })
            }),
            (
                br#"{"verification":{"id":"a","url":"https://u:p@evil.example/"}}"#,
                |e| matches!(e, ApiError::BadUrl { .. }),
            ),
            (br#"{"verification":{"id":"a","url":42}}"#, |e| {
                matches!(e, ApiError::BadUrl { .. })
            }),
            (
                br#"{"verification":{"id":"a","url":"https://x.example/\u001b]52;c;SGk=\u0007"}}"#,
                |e| matches!(e, ApiError::UnsafeUrl { url } if !url.contains('\u{1b}')),
            ),
            (
                br#"{"verification":{"id":"a","url":"https://x.example/\u202egnp.exe"}}"#,
                |e| matches!(e, ApiError::UnsafeUrl { .. }),
            ),
        ];
        for (body, check) in cases {
            let e = parse_created(201, body, &none()).unwrap_err();
            assert!(check(&e), "{} gave {e:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn body_shapes_are_told_apart() {
        assert!(matches!(
            parse_created(201, b"\xff\xfe{}", &none()),
            Err(ApiError::NotUtf8 { status: 201 })
        ));
        assert!(matches!(
            parse_created(201, br#"{"verification":{"id":"a","ur"#, &none()),
            Err(ApiError::BadJson { detail, .. }) if detail.contains("cut off")
        ));
        match parse_created(200, b"\n\n  <html>\n<body>hi</body>", &none()) {
            Err(ApiError::NotJson {
                status: 200,
                first_line,
            }) => assert_eq!(first_line, "<html>"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_created(201, b"[1,2]", &none()),
            Err(ApiError::BadJson { .. })
        ));
        assert!(matches!(
            parse_created(201, b"", &none()),
            Err(ApiError::BadJson { .. })
        ));
    }

    #[test]
    fn failures_read_code_as_number_or_string() {
        for body in [
            &br#"{"status":"fail","code":1803,"message":"Integration not found"}"#[..],
            br#"{"status":"fail","code":"1803","message":"Integration not found","more":1}"#,
        ] {
            assert_eq!(
                parse_failure(401, None, body, &none()),
                ApiError::Http {
                    status: 401,
                    code: Some("1803".into()),
                    message: Some("Integration not found".into())
                }
            );
        }
        assert_eq!(
            parse_failure(500, None, b"  ", &none()),
            ApiError::Http {
                status: 500,
                code: None,
                message: None
            }
        );
        assert_eq!(
            parse_failure(301, Some("https://x.example/v1/sessions"), b"", &none()),
            ApiError::Redirect {
                status: 301,
                location: Some("https://x.example/v1/sessions".into())
            }
        );
        // A 200 that says fail is a failure.
        assert!(matches!(
            parse_created(200, br#"{"status":"fail","code":1102}"#, &none()),
            Err(ApiError::Http { status: 200, code: Some(c), .. }) if c == "1102"
        ));
    }

    #[test]
    fn network_text_is_sanitised_masked_and_bounded() {
        let key = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        let scrub = Scrub::new([key, "short"]);
        let body = format!(
            r#"{{"status":"fail","code":"1803\u001b[2J","message":"key {} unknown {}"}}"#,
            key.to_uppercase(),
            "x".repeat(1000)
        );
        let ApiError::Http { code, message, .. } =
            parse_failure(401, None, body.as_bytes(), &scrub)
        else {
            panic!("not Http");
        };
        assert_eq!(code.as_deref(), Some("1803[2J"));
        let message = message.unwrap();
        assert!(message.starts_with("key *** unknown xxx"), "{message}");
        assert!(!message.to_ascii_lowercase().contains(key));
        assert!(message.chars().count() <= LONG);
        assert!(message.ends_with('…'));
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
    }

    #[test]
    fn decisions_parse_leniently() {
        assert_eq!(
            parse_decision(
                200,
                br#"{"status":"success","verification":null,"technicalData":{"ip":null}}"#,
                &none()
            ),
            Ok(None)
        );
        let approved = br#"{"status":"success","verification":{"id":"a","status":"approved","code":9001,"reason":null,"reasonCode":null,"decisionTime":"2026-11-25T10:00:00.000Z","vendorData":"v","person":{"firstName":"J"}}}"#;
        assert_eq!(
            parse_decision(200, approved, &none()).unwrap().unwrap(),
            Decision {
                status: SessionStatus::Approved,
                code: Some(9001),
                reason: None,
                reason_code: None,
                decision_time: Some("2026-11-25T10:00:00.000Z".into()),
                vendor_data: Some("v".into()),
            }
        );
        let declined = br#"{"verification":{"status":"declined","code":"9102","reason":"Document not readable","reasonCode":"102"}}"#;
        let d = parse_decision(200, declined, &none()).unwrap().unwrap();
        assert_eq!(d.status, SessionStatus::Declined);
        assert_eq!(d.code, Some(9102));
        assert_eq!(d.reason_code, Some(102));
        assert_eq!(d.reason.as_deref(), Some("Document not readable"));
        assert!(matches!(
            parse_decision(200, br#"{"status":"success"}"#, &none()),
            Err(ApiError::BadJson { .. })
        ));
        assert!(matches!(
            parse_decision(200, br#"{"verification":{"code":9001}}"#, &none()),
            Err(ApiError::BadJson { .. })
        ));
    }

    #[test]
    fn a_decision_outside_what_veriff_documents_is_refused() {
        for body in [
            r#"{"verification":{"status":"weird_new_status\u202e"}}"#,
            r#"{"verification":{"status":"=HYPERLINK(1)"}}"#,
            r#"{"verification":{"status":"approved","decisionTime":"@NOW()"}}"#,
            r#"{"verification":{"status":"approved","decisionTime":"yesterday"}}"#,
        ] {
            assert!(
                matches!(
                    parse_decision(200, body.as_bytes(), &none()),
                    Err(ApiError::BadJson { .. })
                ),
                "{body}"
            );
        }
    }
}
