//! The HTTP client for Veriff's API. One `reqwest::Client` per process, reused.

use std::error::Error as StdError;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::Utc;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};

use super::error::ApiError;
use super::inspect;
use super::response::{self, MAX_BODY_BYTES, Scrub};
use super::sign::signature;
use super::token;
use super::types::{CreateSessionRequest, CreatedSession, Decision};
use crate::text::{has_control, sanitize};

/// Where and as whom to call: one profile's connection settings, resolved.
#[derive(Clone)]
pub struct Endpoint {
    /// As configured; normalised by [`normalize_base_url`] inside the client.
    pub base_url: String,
    pub api_key: String,
    pub shared_secret: Option<String>,
    /// Sent as `vrf-integration-id` when set (flexible API keys).
    pub integration_id: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line, even through Debug.
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("shared_secret", &self.shared_secret.as_ref().map(|_| "***"))
            .field("integration_id", &self.integration_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sent with every request, so Veriff (and proxies' logs) can tell who is calling.
pub const USER_AGENT: &str = concat!("veriff-tui/", env!("CARGO_PKG_VERSION"));

const X_AUTH_CLIENT: HeaderName = HeaderName::from_static("x-auth-client");
const X_HMAC_SIGNATURE: HeaderName = HeaderName::from_static("x-hmac-signature");
const VRF_INTEGRATION_ID: HeaderName = HeaderName::from_static("vrf-integration-id");

/// Turns what a user typed as base URL into `scheme://host[:port][/prefix]` without `/v1`
/// and without a trailing `/`. Errors say what is wrong in plain words.
pub fn normalize_base_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(
            "the base URL is empty: copy the API URL from the integration page \
                    (e.g. https://stationapi.veriff.com)"
                .into(),
        );
    }
    if has_control(trimmed) || trimmed.chars().any(char::is_whitespace) {
        return Err("the base URL contains spaces or control characters".into());
    }
    let shown = response::truncate(&sanitize(trimmed), 80);
    let lower = trimmed.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(format!(
            "base URL must start with https:// or http:// (got \"{shown}\")"
        ));
    }
    let url = Url::parse(trimmed)
        .map_err(|e| format!("the base URL \"{shown}\" is not a valid URL: {e}"))?;
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h,
        _ => return Err(format!("the base URL \"{shown}\" has no host name")),
    };
    // The parser turns `аlchemy.veriff.com` (a Cyrillic а) into `xn--…`: a name that only
    // looks like the one the operator meant to trust with the API key.
    if host.split('.').any(|label| label.starts_with("xn--")) {
        return Err(format!(
            "the base URL \"{shown}\" has an internationalised host name ({host}) that only looks like a plain one: type the host in plain ASCII"
        ));
    }
    // Credentials in a URL would end up in error messages and history.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the base URL must not contain a user name or password".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the base URL \"{shown}\" must not contain a ?query or #fragment"
        ));
    }
    // Users paste the API URL with `/v1`, doubled `/v1/v1`, or even the sessions endpoint.
    let mut path = url.path().trim_end_matches('/');
    loop {
        let before = path;
        for suffix in ["/v1/sessions", "/v1"] {
            if path.len() >= suffix.len()
                && path[path.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            {
                path = path[..path.len() - suffix.len()].trim_end_matches('/');
            }
        }
        if path == before {
            break;
        }
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{host}{port}{path}", url.scheme()))
}

/// The process-wide HTTP clients: one connection pool, one TLS setup, reused by every call.
/// `plain` is for an `http://` base URL (a sandbox, a local mock): that client never does
/// TLS, so it skips loading the system's root certificates (about 150 files read and
/// parsed, most of `generate`'s start-up time against a local sandbox). A redirect is
/// never followed, so it can never be handed an https URL to verify.
pub(crate) fn shared_http(plain: bool) -> Result<reqwest::Client, ApiError> {
    static HTTPS: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    static PLAIN: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    let cell = if plain { &PLAIN } else { &HTTPS };
    cell.get_or_init(|| {
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            // A followed redirect would turn the POST into a GET or carry the API key to
            // another host; the user should fix base_url instead.
            .redirect(reqwest::redirect::Policy::none())
            // A retried POST can create a second session.
            .retry(reqwest::retry::never())
            // Servers close idle connections (the sandbox after 10 s): a kept one is dropped
            // first, so a request never goes out on a connection closing under it.
            .pool_idle_timeout(Duration::from_secs(5));
        // No roots at all: an https connection through this client fails verification.
        let builder = if plain {
            builder.tls_certs_only([])
        } else {
            builder
        };
        builder.build().map_err(|e| sanitize(&e.to_string()))
    })
    .clone()
    .map_err(|e| ApiError::Config(format!("the HTTP client could not be set up: {e}")))
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    base: Url,
    sessions_url: Url,
    /// `host[:port]`, for error messages.
    host: String,
    api_key: String,
    api_key_header: HeaderValue,
    shared_secret: Option<String>,
    integration_id: Option<HeaderValue>,
    timeout: Duration,
    /// The latest time a 429 or 503 answer's `Retry-After` asked requests to wait until:
    /// the server's word for every request, read by a batch to pace the whole run.
    wait_until: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("shared_secret", &self.shared_secret.as_ref().map(|_| "***"))
            .field("integration_id", &self.integration_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Status, redirect target and body of an answer, read with a size cap.
/// A media file as fetched: in memory only, written nowhere unless the operator saves it.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

impl std::fmt::Debug for MediaFile {
    // A document photo is personal data: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaFile")
            .field("bytes", &self.bytes.len())
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// The largest media file fetched: a document photo is a few MB, a video more (videos are
/// listed, not fetched whole).
pub const MAX_MEDIA_BYTES: usize = 25 * 1024 * 1024;

struct Answer {
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn is_success(&self) -> bool {
        matches!(self.status, 200 | 201)
    }
}

impl Client {
    pub fn new(endpoint: &Endpoint) -> Result<Self, ApiError> {
        let (base_url, base) = parsed_base(&endpoint.base_url)?;
        let sessions_url = join(&base, &["v1", "sessions"])?;
        let host = match (base.host_str(), base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(ApiError::Config("the base URL has no host name".into())),
        };

        let api_key = endpoint.api_key.trim().to_string();
        if api_key.is_empty() {
            return Err(ApiError::Config(
                "no API key is set: set api_key in the profile or VERIFF_API_KEY".into(),
            ));
        }
        let mut api_key_header = HeaderValue::from_str(&api_key).map_err(|_| {
            ApiError::Config(
                "the API key holds characters that cannot be sent in an HTTP header".into(),
            )
        })?;
        // Keeps the key out of reqwest's and hyper's Debug output.
        api_key_header.set_sensitive(true);

        let shared_secret = endpoint
            .shared_secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let integration_id = endpoint
            .integration_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|id| {
                HeaderValue::from_str(id).map_err(|_| {
                    ApiError::Config(
                        "the integration id holds characters that cannot be sent in an HTTP header"
                            .into(),
                    )
                })
            })
            .transpose()?;
        if endpoint.timeout.is_zero() {
            return Err(ApiError::Config(
                "the request timeout must be more than 0 seconds".into(),
            ));
        }

        Ok(Self {
            http: shared_http(base.scheme() == "http")?,
            base_url,
            base,
            sessions_url,
            host,
            api_key,
            api_key_header,
            shared_secret,
            integration_id,
            timeout: endpoint.timeout,
            wait_until: Default::default(),
        })
    }

    /// Until when the server last asked to be left alone (`Retry-After` on a 429 or 503),
    /// if that is still ahead.
    pub fn asked_to_wait_until(&self) -> Option<std::time::Instant> {
        let until = (*self.wait_until.lock().ok()?)?;
        (until > std::time::Instant::now()).then_some(until)
    }

    /// The normalised base URL (no `/v1`, no trailing `/`), e.g. for history records.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST {base}/v1/sessions`. Never retried: a retry could create a duplicate session.
    pub async fn create_session(
        &self,
        request: &CreateSessionRequest,
    ) -> Result<CreatedSession, ApiError> {
        // Serialised once: the signature covers exactly these bytes, and these are sent.
        let body = encode(request)?;
        let mut req = self
            .http
            .post(self.sessions_url.clone())
            .header(CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.shared_secret {
            req = req.header(X_HMAC_SIGNATURE, signature(secret, &body));
        }
        let answer = self.send(req.body(body), MAX_BODY_BYTES).await?;
        let scrub = self.scrub();
        if !answer.is_success() {
            return Err(response::parse_failure(
                answer.status,
                answer.location.as_deref(),
                &answer.body,
                &scrub,
            ));
        }
        let fields = response::parse_created(answer.status, &answer.body, &scrub)?;
        let created_at = Utc::now();
        let expires_at = token::expiry(fields.session_token.as_deref(), created_at);
        tracing::info!(host = %self.host, session_id = %fields.id, "session created");
        Ok(CreatedSession {
            id: fields.id,
            url: fields.url,
            host: fields.host,
            session_token: fields.session_token,
            vendor_data: fields.vendor_data,
            status: fields.status,
            created_at,
            expires_at,
        })
    }

    /// `GET {base}/v1/sessions/{id}/decision`. `Ok(None)`: no decision yet.
    pub async fn decision(&self, session_id: &str) -> Result<Option<Decision>, ApiError> {
        self.session_part(session_id, "decision", response::parse_decision)
            .await
    }

    /// `GET {base}/v1/sessions/{id}/{part}`, signed over the id as the decision is; the
    /// answer checked for success and handed to `parse`.
    async fn session_part<T>(
        &self,
        session_id: &str,
        part: &str,
        parse: impl FnOnce(u16, &[u8], &Scrub) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let id = session_id.trim();
        let url = self.part_url(id, part)?;
        let mut req = self.http.get(url).header(CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.shared_secret {
            req = req.header(X_HMAC_SIGNATURE, signature(secret, id.as_bytes()));
        }
        let answer = self.send(req, MAX_BODY_BYTES).await?;
        let scrub = self.scrub();
        if !answer.is_success() {
            return Err(response::parse_failure(
                answer.status,
                answer.location.as_deref(),
                &answer.body,
                &scrub,
            ));
        }
        parse(answer.status, &answer.body, &scrub)
    }

    /// `GET /v1/sessions/{id}/person`.
    pub async fn person(&self, session_id: &str) -> Result<inspect::PersonInfo, ApiError> {
        self.session_part(session_id, "person", inspect::parse_person)
            .await
    }

    /// `GET /v1/sessions/{id}/attempts`.
    pub async fn attempts(&self, session_id: &str) -> Result<Vec<inspect::Attempt>, ApiError> {
        self.session_part(session_id, "attempts", inspect::parse_attempts)
            .await
    }

    /// `GET /v1/sessions/{id}/media`: the list, never the files.
    pub async fn media_list(&self, session_id: &str) -> Result<Vec<inspect::MediaItem>, ApiError> {
        self.session_part(session_id, "media", inspect::parse_media)
            .await
    }

    /// `GET /v1/sessions/{id}/watchlist-screening`.
    pub async fn watchlist(&self, session_id: &str) -> Result<inspect::Watchlist, ApiError> {
        self.session_part(session_id, "watchlist-screening", inspect::parse_watchlist)
            .await
    }

    /// `GET /v1/media/{id}`, signed over the media id: the file itself (a document photo),
    /// at most [`MAX_MEDIA_BYTES`].
    pub async fn media(&self, media_id: &str) -> Result<MediaFile, ApiError> {
        let id = media_id.trim();
        if !inspect::is_plain_id(id) {
            return Err(ApiError::BadSessionId {
                id: self.scrub().clean(id, 80),
            });
        }
        let url = join(&self.base, &["v1", "media", id])?;
        let mut req = self.http.get(url);
        if let Some(secret) = &self.shared_secret {
            req = req.header(X_HMAC_SIGNATURE, signature(secret, id.as_bytes()));
        }
        let answer = self.send(req, MAX_MEDIA_BYTES).await?;
        if !answer.is_success() {
            return Err(response::parse_failure(
                answer.status,
                answer.location.as_deref(),
                &answer.body,
                &self.scrub(),
            ));
        }
        Ok(MediaFile {
            bytes: answer.body,
            content_type: answer.content_type,
        })
    }

    /// The id becomes one percent-encoded path segment, so it cannot reach another endpoint
    /// (`../`, `?`, `#`); what could not be an id is refused before anything is sent.
    fn part_url(&self, id: &str, part: &str) -> Result<Url, ApiError> {
        self.valid_id(id)?;
        join(&self.base, &["v1", "sessions", id, part])
    }

    fn valid_id(&self, id: &str) -> Result<(), ApiError> {
        let valid = !id.is_empty()
            && id.chars().count() <= 256
            && !id.chars().any(response::is_unsafe_char)
            && id != "."
            && id != "..";
        if !valid {
            return Err(ApiError::BadSessionId {
                id: self.scrub().clean(id, 80),
            });
        }
        Ok(())
    }

    fn scrub(&self) -> Scrub<'_> {
        Scrub::new(std::iter::once(self.api_key.as_str()).chain(self.shared_secret.as_deref()))
    }

    /// Sends with the headers every call carries, then reads the answer with a size cap.
    async fn send(&self, req: reqwest::RequestBuilder, cap: usize) -> Result<Answer, ApiError> {
        let mut req = req
            .timeout(self.timeout)
            .header(ACCEPT, "application/json")
            .header(X_AUTH_CLIENT, self.api_key_header.clone());
        if let Some(id) = &self.integration_id {
            req = req.header(VRF_INTEGRATION_ID, id.clone());
        }
        let mut resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status().as_u16();
        tracing::debug!(host = %self.host, status, "answer received");
        if matches!(status, 429 | 503)
            && let Some(wait) = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after)
            && let Ok(mut until) = self.wait_until.lock()
        {
            let asked = std::time::Instant::now() + wait;
            *until = Some(until.map_or(asked, |u| u.max(asked)));
        }
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| sanitize(v).chars().take(100).collect());
        if (300..400).contains(&status) {
            return Ok(Answer {
                status,
                location,
                content_type,
                body: Vec::new(),
            });
        }
        if resp.content_length().is_some_and(|len| len > cap as u64) {
            return Err(ApiError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(&e))? {
            if body.len() + chunk.len() > cap {
                return Err(ApiError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            location,
            content_type,
            body,
        })
    }

    /// Names what went wrong on the way by walking the error's causes (reqwest, hyper, the
    /// TLS library and the OS each wrap the one below).
    fn transport_error(&self, err: &reqwest::Error) -> ApiError {
        let host = self.host.clone();
        if err.is_timeout() {
            return ApiError::Timeout {
                secs: whole_secs(self.timeout),
            };
        }
        if err.is_dns() {
            return ApiError::Dns { host };
        }
        let causes = causes(err);
        let mut tls_like = false;
        for cause in &causes {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        return ApiError::ConnectionRefused { host };
                    }
                    std::io::ErrorKind::TimedOut => {
                        return ApiError::Timeout {
                            secs: whole_secs(self.timeout),
                        };
                    }
                    // TLS libraries report handshake and certificate failures as invalid data.
                    std::io::ErrorKind::InvalidData => tls_like = true,
                    _ => {}
                }
            }
            let text = cause.to_string().to_ascii_lowercase();
            if ["certificate", "tls", "handshake", "alert"]
                .iter()
                .any(|w| text.contains(w))
            {
                tls_like = true;
            }
        }
        // The deepest cause is the most specific ("Connection reset by peer").
        let detail = causes
            .last()
            .map(|c| c.to_string())
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| "the connection failed".into());
        let detail = plain_transport_detail(&detail).map_or(detail, str::to_string);
        let detail = self.scrub().clean(&detail, 200);
        if tls_like && err.is_connect() && self.base.scheme() == "https" {
            ApiError::Tls { host, detail }
        } else {
            ApiError::Network { host, detail }
        }
    }
}

/// Plain words for hyper's wording of a connection that ended early.
fn plain_transport_detail(detail: &str) -> Option<&'static str> {
    let d = detail.to_ascii_lowercase();
    if d.contains("end of file before message length reached")
        || d.contains("connection closed before message completed")
        || d.contains("incomplete message")
    {
        Some("the connection closed before the whole answer arrived")
    } else if d.contains("connection reset") {
        Some("the connection was reset by the other side")
    } else {
        None
    }
}

/// Every cause below `err`. `io::Error::source` skips the error it wraps, so that one is
/// visited explicitly.
fn causes(err: &reqwest::Error) -> Vec<&(dyn StdError + 'static)> {
    let mut out: Vec<&(dyn StdError + 'static)> = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        if out.len() > 32 {
            break;
        }
        out.push(cause);
        next = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => cause.source(),
            },
            None => cause.source(),
        };
    }
    out
}

/// Seconds for a message, rounded up so a sub-second timeout never reads "0 s".
fn whole_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// The body of `POST /v1/sessions` as sent (and signed): what "copy as curl" prints too.
pub fn encode(request: &CreateSessionRequest) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(request)
        .map_err(|e| ApiError::Config(format!("the request could not be encoded: {e}")))
}

/// `{base}/v1/sessions` for a base URL as configured.
pub fn sessions_url(base_url: &str) -> Result<Url, ApiError> {
    let (_, base) = parsed_base(base_url)?;
    join(&base, &["v1", "sessions"])
}

fn parsed_base(raw: &str) -> Result<(String, Url), ApiError> {
    let base_url = normalize_base_url(raw).map_err(ApiError::Config)?;
    let base = Url::parse(&base_url)
        .map_err(|e| ApiError::Config(format!("the base URL is not valid: {e}")))?;
    Ok((base_url, base))
}

fn join(base: &Url, segments: &[&str]) -> Result<Url, ApiError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| ApiError::Config("the base URL cannot have a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// A `Retry-After` value: seconds, or an HTTP date (RFC 9110 §10.2.3). At most a day: a
/// longer one is taken as a day, a date in the past as no wait.
fn retry_after(value: &str) -> Option<Duration> {
    const DAY: u64 = 86_400;
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(DAY)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.with_timezone(&Utc) - Utc::now()).num_seconds().max(0) as u64;
    Some(Duration::from_secs(secs.min(DAY)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(super::retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            super::retry_after("99999999"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            super::retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(super::retry_after("soon"), None);
    }

    #[test]
    fn base_urls_are_normalised() {
        let ok = [
            (
                "https://stationapi.veriff.com",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/v1",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/v1/",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/V1//",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/v1/v1",
                "https://stationapi.veriff.com",
            ),
            (
                "https://stationapi.veriff.com/v1/sessions/",
                "https://stationapi.veriff.com",
            ),
            ("  HTTPS://API.Veriff.ME  ", "https://api.veriff.me"),
            ("https://api.veriff.me:443/v1", "https://api.veriff.me"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080"),
            ("http://[::1]:9000/", "http://[::1]:9000"),
            (
                "https://proxy.example/veriff/v1",
                "https://proxy.example/veriff",
            ),
            ("https://proxy.example/v1x", "https://proxy.example/v1x"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize_base_url(raw).as_deref(), Ok(want), "{raw:?}");
        }
        let bad = [
            ("", "empty"),
            ("   ", "empty"),
            (
                "stationapi.veriff.com",
                "must start with https:// or http://",
            ),
            (
                "ftp://stationapi.veriff.com",
                "must start with https:// or http://",
            ),
            ("https://", "not a valid URL"),
            ("https://stationapi veriff.com", "spaces"),
            ("https://x.example/\u{1b}[2J", "control"),
            ("https://user:pw@x.example", "user name or password"),
            ("https://x.example/v1?a=b", "query"),
            ("https://x.example/#top", "fragment"),
            ("https://\u{430}lchemy.veriff.com", "internationalised"),
            ("https://xn--80ak6aa92e.com", "internationalised"),
        ];
        for (raw, want) in bad {
            let e = normalize_base_url(raw).unwrap_err();
            assert!(e.contains(want), "{raw:?}: {e}");
            assert!(!e.contains('\u{1b}'));
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint {
            base_url: "https://stationapi.veriff.com/v1/".into(),
            api_key: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
            shared_secret: Some("top-secret-value".into()),
            integration_id: None,
            timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn urls_are_joined_and_ids_cannot_escape_their_segment() {
        let c = Client::new(&endpoint()).unwrap();
        assert_eq!(c.base_url(), "https://stationapi.veriff.com");
        assert_eq!(
            c.sessions_url.as_str(),
            "https://stationapi.veriff.com/v1/sessions"
        );
        assert_eq!(
            c.part_url("f04bdb47-d3be-4b28-b028-a652feb060b5", "decision")
                .unwrap()
                .as_str(),
            "https://stationapi.veriff.com/v1/sessions/f04bdb47-d3be-4b28-b028-a652feb060b5/decision"
        );
        assert_eq!(
            c.part_url("../a/b?c#d%", "decision").unwrap().path(),
            "/v1/sessions/..%2Fa%2Fb%3Fc%23d%25/decision"
        );
        for bad in ["", "..", ".", "a\u{1b}b"] {
            assert!(matches!(
                c.part_url(bad, "decision"),
                Err(ApiError::BadSessionId { .. })
            ));
        }
        let mut prefixed = endpoint();
        prefixed.base_url = "http://127.0.0.1:1/gw/".into();
        let c = Client::new(&prefixed).unwrap();
        assert_eq!(c.sessions_url.as_str(), "http://127.0.0.1:1/gw/v1/sessions");
    }

    #[test]
    fn configuration_errors_are_named_and_keep_secrets_out() {
        let mut e = endpoint();
        e.base_url = "stationapi.veriff.com".into();
        assert!(matches!(Client::new(&e), Err(ApiError::Config(m)) if m.contains("https://")));
        let mut e = endpoint();
        e.api_key = " ".into();
        assert!(matches!(Client::new(&e), Err(ApiError::Config(m)) if m.contains("api_key")));
        let mut e = endpoint();
        e.api_key = "bad\nkey".into();
        let err = Client::new(&e).unwrap_err();
        assert!(!err.to_string().contains("bad"));
        let mut e = endpoint();
        e.timeout = Duration::ZERO;
        assert!(Client::new(&e).is_err());
        let c = Client::new(&endpoint()).unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("3f2504e0") && !debug.contains("top-secret"));
        assert_eq!(whole_secs(Duration::from_millis(300)), 1);
        assert_eq!(whole_secs(Duration::from_secs(30)), 30);
    }
}
