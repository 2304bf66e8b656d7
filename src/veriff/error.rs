//! Every way a call to Veriff can fail, each with plain words and the likely fix.

use thiserror::Error;

/// A failed API call. `Display` is one line fit for a status bar or stderr; [`ApiError::hint`]
/// says what to do next. Neither ever contains the API key or the shared secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApiError {
    /// Veriff (or whatever answered) replied with a non-success status.
    #[error("{}", http_summary(*status, code.as_deref(), message.as_deref()))]
    Http {
        status: u16,
        /// Veriff's error code, number or string in the body (e.g. "1803").
        code: Option<String>,
        /// Veriff's message, sanitised.
        message: Option<String>,
    },
    #[error("the request timed out after {secs} s")]
    Timeout { secs: u64 },
    #[error("connection refused by {host}")]
    ConnectionRefused { host: String },
    #[error("could not resolve host {host}")]
    Dns { host: String },
    #[error("TLS handshake with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("network error talking to {host}: {detail}")]
    Network { host: String, detail: String },
    /// `first_line`: the body's first line, or the one with an HTML page's `<title>`.
    #[error("{}", not_json_summary(*status, first_line))]
    NotJson { status: u16, first_line: String },
    #[error("the answer is larger than 1 MiB and was not read")]
    TooLarge,
    #[error("the answer (HTTP {status}) is not the JSON Veriff sends: {detail}")]
    BadJson { status: u16, detail: String },
    #[error("Veriff answered success but gave no session URL")]
    MissingUrl,
    #[error("Veriff answered success but the session URL is not an http(s) link: {url}")]
    BadUrl { url: String },
    /// The URL held control characters or invisible formatting (e.g. an escape sequence that
    /// would drive the terminal or write the clipboard), so it was dropped, not shown.
    #[error(
        "Veriff answered success but the session URL holds control or escape characters and was not used: {url}"
    )]
    UnsafeUrl { url: String },
    #[error("the answer (HTTP {status}) is not UTF-8 text")]
    NotUtf8 { status: u16 },
    /// Redirects are not followed: a POST would turn into a GET (or be sent twice), and the
    /// API key header would travel to wherever the redirect points.
    #[error("{}", redirect_summary(*status, location.as_deref()))]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    #[error("\"{id}\" is not a session id Veriff gives out")]
    BadSessionId { id: String },
    #[error("the request was cancelled")]
    Cancelled,
    #[error("{0}")]
    Config(String),
}

fn http_summary(status: u16, code: Option<&str>, message: Option<&str>) -> String {
    let mut s = format!("HTTP {status}");
    if let Some(reason) = http_reason(status) {
        s.push(' ');
        s.push_str(reason);
    }
    if let Some(code) = code {
        s.push_str(&format!(", Veriff code {code}"));
        if let Some(meaning) = code_meaning(code) {
            s.push_str(&format!(" ({meaning})"));
        }
    }
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        s.push_str(&format!(": {m}"));
    }
    s
}

/// A proxy's error page is best named by its title ("502 Bad Gateway"), not its first tag.
fn not_json_summary(status: u16, first_line: &str) -> String {
    match html_title(first_line) {
        Some(title) => {
            format!("the answer (HTTP {status}) is not JSON but a web page titled \"{title}\"")
        }
        None => format!("the answer (HTTP {status}) is not JSON; it starts with: {first_line}"),
    }
}

/// The text of `<title>…</title>` in `line`, if it holds a non-empty one.
pub(crate) fn html_title(line: &str) -> Option<&str> {
    let lower = line.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start
        + lower[start..]
            .find("</title")
            .unwrap_or(lower.len() - start);
    // ASCII lowercasing keeps byte offsets, so they are valid in `line`.
    let title = line.get(start..end)?.trim();
    (!title.is_empty() && !title.contains('<')).then_some(title)
}

fn redirect_summary(status: u16, location: Option<&str>) -> String {
    match location.filter(|l| !l.is_empty()) {
        Some(l) => {
            format!("the server redirected (HTTP {status}) to {l}; redirects are not followed")
        }
        None => format!(
            "the server answered with a redirect (HTTP {status}); redirects are not followed"
        ),
    }
}

fn http_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// What a Veriff error code means, in the reference's words.
pub fn code_meaning(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "1102" => "mandatory parameters are missing",
        "1104" => "the request includes invalid parameters",
        "1201" => "timestamp is older than one hour",
        "1202" => "timestamp format is wrong",
        "1203" => "invalid ISO 8601 date",
        "1301" => "requested features are not supported",
        "1302" => "only HTTPS callback URLs are allowed",
        "1500" => "vendorData is longer than 1000 characters",
        "1501" => "vendorData is not a string",
        "1801" => "X-AUTH-CLIENT header is missing",
        "1802" => "API key is not a valid UUID",
        "1803" => "no integration has this API key",
        "1804" => "integration is not active",
        "1812" => "signature is not a valid SHA256 hash",
        "1818" => "signature does not match the session id",
        "1819" => "signature does not match the request body",
        _ => return None,
    })
}

impl ApiError {
    /// What the user can do about it, in one sentence.
    pub fn hint(&self) -> String {
        match self {
            ApiError::Http { status, code, .. } => code
                .as_deref()
                .and_then(code_hint)
                .map(str::to_string)
                .unwrap_or_else(|| status_hint(*status)),
            ApiError::Timeout { .. } => "The server did not answer in time: check the network, or raise request timeout_secs in the config. A session may still have been created; check before retrying.".into(),
            ApiError::ConnectionRefused { .. } => "Nothing listens there: check the profile's base_url (is the sandbox running?).".into(),
            ApiError::Dns { .. } => "Check the host name in the profile's base_url and your network or proxy settings.".into(),
            ApiError::Tls { .. } => "The secure connection failed: check base_url (a server that speaks plain HTTP needs http://), the system clock and any TLS-intercepting proxy.".into(),
            ApiError::Network { .. } => "Check your network connection and proxy settings. If the request got through, a session may have been created: check before creating another.".into(),
            ApiError::NotJson { status, .. } | ApiError::NotUtf8 { status } => {
                if *status >= 500 {
                    "A proxy or gateway answered instead of Veriff: try again in a moment; if it persists, check the profile's base_url and Veriff's status page.".into()
                } else if *status >= 400 {
                    format!("Something other than Veriff answered (a proxy or a wrong base_url). {}", status_hint(*status))
                } else if (200..300).contains(status) {
                    "Something other than Veriff answered (a proxy or a wrong base_url): check the profile's base_url. If a session was being created, it may exist anyway: look for it in the Veriff Customer Portal before creating another.".into()
                } else {
                    "Something other than Veriff answered (a proxy or a wrong base_url): check the profile's base_url.".into()
                }
            }
            ApiError::BadJson { status, .. } if *status >= 400 => status_hint(*status),
            ApiError::TooLarge => {
                "The answer is not what Veriff sends: check the profile's base_url points at the Veriff API.".into()
            }
            // A success status on a create: the session probably exists, its answer is unusable.
            ApiError::BadJson { .. } => {
                "If a session was being created, it may exist anyway: look for it in the Veriff Customer Portal before creating another. If this repeats, check the network and the profile's base_url.".into()
            }
            ApiError::MissingUrl | ApiError::BadUrl { .. } => {
                "A session may have been created but its link is unusable: check the profile's base_url points at the Veriff API, and look for the session in the Veriff Customer Portal before creating another.".into()
            }
            ApiError::UnsafeUrl { .. } => "Do not open or share this link: check that the profile's base_url points at the real Veriff API.".into(),
            ApiError::Redirect { .. } => "Set the profile's base_url to the address it redirects to (often https:// instead of http://).".into(),
            ApiError::BadSessionId { .. } => "Copy the session id exactly as Veriff gave it (veriff-tui history lists them).".into(),
            ApiError::Cancelled => "Nothing was lost: submit again when ready. A session may still have been created.".into(),
            ApiError::Config(_) => "Fix the configuration (veriff-tui config check shows it).".into(),
        }
    }

    /// True for failures of the transport rather than answers from the API (CLI exit code 4).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout { .. }
                | ApiError::ConnectionRefused { .. }
                | ApiError::Dns { .. }
                | ApiError::Tls { .. }
                | ApiError::Network { .. }
                | ApiError::Cancelled
        )
    }

    /// True when the failure proves that no session was created: Veriff refused the request
    /// (4xx), or it never reached anything (refused, unresolved, TLS, redirect, bad config).
    /// Anything else (a timeout, a dropped connection, a 5xx from a proxy that may have
    /// passed it on, a success answer that cannot be used) leaves the outcome unknown.
    pub fn proves_not_created(&self) -> bool {
        match self {
            ApiError::Http { status, .. } => (400..500).contains(status),
            ApiError::NotJson { status, .. }
            | ApiError::NotUtf8 { status }
            | ApiError::BadJson { status, .. } => (400..500).contains(status),
            ApiError::ConnectionRefused { .. }
            | ApiError::Dns { .. }
            | ApiError::Tls { .. }
            | ApiError::Redirect { .. }
            | ApiError::BadSessionId { .. }
            | ApiError::Config(_) => true,
            ApiError::Timeout { .. }
            | ApiError::Network { .. }
            | ApiError::TooLarge
            | ApiError::MissingUrl
            | ApiError::BadUrl { .. }
            | ApiError::UnsafeUrl { .. }
            | ApiError::Cancelled => false,
        }
    }

    /// True when nothing was sent because the input or the configuration is wrong
    /// (CLI exit code 2), as opposed to an answer from the API.
    pub fn is_usage(&self) -> bool {
        matches!(self, ApiError::Config(_) | ApiError::BadSessionId { .. })
    }
}

/// What to do about an HTTP status when the body gave no Veriff code to go on.
fn status_hint(status: u16) -> String {
    match status {
        401 | 403 => "Check the profile's api_key and shared_secret (veriff-tui config check).",
        404 => "Check the profile's base_url: it is the API URL from the integration page, with or without /v1.",
        409 => "The session no longer accepts this change; generate a new session.",
        429 => "Veriff is limiting requests: wait a minute and try again.",
        500..=599 => "Veriff or a proxy on the way failed: try again in a moment; if it persists, check Veriff's status page.",
        _ => "Check the form values and the profile (veriff-tui config check).",
    }
    .into()
}

fn code_hint(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "1102" | "1104" => "Check the form values; empty optional fields are left out.",
        "1201" | "1202" => "Check the system clock, or set send_timestamp = false in the config.",
        "1301" => "Uncheck SelfID, or set send_features = false in the config.",
        "1302" => "Use an https:// callback URL.",
        "1500" | "1501" => "Shorten vendor data to at most 1000 characters.",
        "1801" | "1802" | "1803" => {
            "Check the profile's api_key: copy the API key from the integration page in the Veriff Customer Portal."
        }
        "1804" => "Activate the integration in the Veriff Customer Portal, or use another profile.",
        "1812" | "1818" | "1819" => {
            "Check the profile's shared_secret: copy the shared secret key from the integration page."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_error_reads_plainly() {
        let e = ApiError::Http {
            status: 401,
            code: Some("1803".into()),
            message: Some("Integration not found".into()),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 401 Unauthorized, Veriff code 1803 (no integration has this API key): Integration not found"
        );
        assert!(e.hint().contains("api_key"));
        assert!(!e.is_network());
        assert!(
            ApiError::Http {
                status: 404,
                code: None,
                message: None
            }
            .hint()
            .contains("base_url")
        );
    }
}
