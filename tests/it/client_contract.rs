//! Contract tests of the Veriff client against a real HTTP server on loopback: what goes on
//! the wire (path, headers, body bytes, signature) and how every kind of answer or failure
//! comes back.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use veriff_tui::text::has_control;
use veriff_tui::veriff::sign::signature;
use veriff_tui::veriff::{
    ApiError, Client, CreateSessionRequest, CreatedSession, Decision, Endpoint, LegacyFields,
    SessionInput, SessionStatus,
};

const KEY: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
const SESSION_ID: &str = "f04bdb47-d3be-4b28-b028-a652feb060b5";

/// The body for the fixed input below, byte for byte.
const GOLDEN_BODY: &str = r#"{"verification":{"callback":"https://example.com/done","person":{"firstName":"John","lastName":"Smith"},"vendorData":"order-42","lang":"en","features":["selfid"],"timestamp":"2026-11-25T12:00:00.123Z"}}"#;
/// HMAC-SHA256 of GOLDEN_BODY under SECRET, computed independently (Python's hmac).
const GOLDEN_SIGNATURE: &str = "5f8115a80786f2eb6ff631af8488de058b18b12812a492e6b1cf4edf1f3ea9e0";
/// HMAC-SHA256 of SESSION_ID under SECRET, computed independently.
const GOLDEN_ID_SIGNATURE: &str =
    "e37fd070cea548e430c624109ca4b0d7e79bcdef52131c90a2889ca24ad15ab0";

/// Every await that depends on the network gets this long at most.
const DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// A scripted server that records what it receives.

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
enum ReplyBody {
    Bytes(Vec<u8>),
    /// Streamed without a Content-Length, endlessly: only a capped reader survives it.
    Endless,
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: ReplyBody,
    delay: Duration,
}

impl Reply {
    fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: ReplyBody::Bytes(body.into()),
            delay: Duration::ZERO,
        }
    }
}

#[derive(Clone)]
struct Shared {
    reply: Reply,
    log: Arc<Mutex<Vec<Recorded>>>,
}

struct Server {
    base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:?}");
        all.into_iter().next().unwrap()
    }
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    shared.log.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body,
    });
    let reply = shared.reply;
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let body = match reply.body {
        ReplyBody::Bytes(b) => Body::from(b),
        ReplyBody::Endless => Body::from_stream(futures_util::stream::repeat_with(|| {
            Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 64 * 1024]))
        })),
    };
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in reply.headers {
        builder = builder.header(name, value);
    }
    builder.body(body).unwrap()
}

async fn serve(reply: Reply) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().fallback(handle).with_state(Shared {
        reply,
        log: log.clone(),
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        base: format!("http://{addr}"),
        log,
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

fn endpoint(base: &str) -> Endpoint {
    Endpoint {
        base_url: base.to_string(),
        api_key: KEY.into(),
        shared_secret: Some(SECRET.into()),
        integration_id: Some("integration-7".into()),
        timeout: Duration::from_secs(10),
    }
}

fn fixed_request() -> CreateSessionRequest {
    let input = SessionInput {
        first_name: "John".into(),
        last_name: "Smith".into(),
        lang: "EN".into(),
        selfid: true,
        callback: "https://example.com/done".into(),
        vendor_data: "order-42".into(),
        extra: Default::default(),
    };
    let now =
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + chrono::Duration::milliseconds(123);
    CreateSessionRequest::from_input(&input, LegacyFields::default(), now)
}

fn jwt(payload: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// The token's `exp`: ten days from when the tests started (a session's expiry is believed
/// only within 90 days of its creation).
static TOKEN_EXP: std::sync::LazyLock<i64> =
    std::sync::LazyLock::new(|| chrono::Utc::now().timestamp() + 10 * 86_400);

fn success_body() -> String {
    let exp = *TOKEN_EXP;
    let iat = exp - 10 * 86_400;
    let token = jwt(&format!(
        r#"{{"session_id":"{SESSION_ID}","iat":{iat},"exp":{exp}}}"#
    ));
    format!(
        r#"{{"status":"success","verification":{{"id":"{SESSION_ID}","url":"https://alchemy.veriff.com/v/{token}","vendorData":"order-42","host":"https://alchemy.veriff.com","status":"created","sessionToken":"{token}","newField":{{"nested":[1,2,3]}}}}}}"#
    )
}

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {DEADLINE:?}"),
    }
}

async fn create(ep: &Endpoint) -> Result<CreatedSession, ApiError> {
    let client = Client::new(ep).expect("client");
    within("create_session", client.create_session(&fixed_request())).await
}

async fn decide(ep: &Endpoint, id: &str) -> Result<Option<Decision>, ApiError> {
    let client = Client::new(ep).expect("client");
    within("decision", client.decision(id)).await
}

/// Creates a session against a server answering `reply`; returns the error and the server.
async fn create_fails(reply: Reply) -> (ApiError, Server) {
    let server = serve(reply).await;
    let err = create(&endpoint(&server.base))
        .await
        .expect_err("expected an error");
    assert_clean(&err);
    (err, server)
}

/// The key and the secret never appear in what a user or a log could see, and nothing from
/// the network can drive the terminal.
fn assert_clean(err: &ApiError) {
    for text in [err.to_string(), err.hint(), format!("{err:?}")] {
        let lower = text.to_ascii_lowercase();
        assert!(!lower.contains(KEY), "API key leaked: {text}");
        assert!(!lower.contains(SECRET), "shared secret leaked: {text}");
        assert!(!has_control(&text), "control character in: {text:?}");
        assert!(!text.contains('\n'), "more than one line: {text:?}");
    }
    assert!(!err.hint().is_empty());
}

// ---------------------------------------------------------------------------------------
// What goes on the wire

#[tokio::test]
async fn create_sends_exact_path_headers_body_and_signature_for_every_base_url_form() {
    let server = serve(Reply::new(201, success_body())).await;
    for base in [
        server.base.clone(),
        format!("{}/", server.base),
        format!("{}/v1", server.base),
        format!("{}/v1/", server.base),
        format!("{}/v1/v1", server.base),
    ] {
        let created = create(&endpoint(&base)).await.expect("created");
        assert_eq!(created.id, SESSION_ID);
        assert!(created.url.starts_with("https://alchemy.veriff.com/v/eyJ"));
        assert_eq!(created.host.as_deref(), Some("https://alchemy.veriff.com"));
        assert_eq!(created.vendor_data.as_deref(), Some("order-42"));
        assert_eq!(created.status.as_deref(), Some("created"));
        assert!(created.session_token.is_some());
        assert_eq!(
            created.expires_at,
            DateTime::from_timestamp(*TOKEN_EXP, 0).unwrap()
        );
        assert!((Utc::now() - created.created_at).num_seconds().abs() < 60);
    }

    let requests = server.requests();
    assert_eq!(requests.len(), 5, "one request per call, never retried");
    for r in requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v1/sessions");
        assert_eq!(String::from_utf8(r.body.clone()).unwrap(), GOLDEN_BODY);
        assert_eq!(r.header("x-auth-client"), Some(KEY));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("vrf-integration-id"), Some("integration-7"));
        assert_eq!(
            r.header("user-agent"),
            Some(concat!("veriff-tui/", env!("CARGO_PKG_VERSION")))
        );
        // Over the bytes that arrived, not over a re-serialisation.
        assert_eq!(
            r.header("x-hmac-signature"),
            Some(signature(SECRET, &r.body).as_str())
        );
        assert_eq!(r.header("x-hmac-signature"), Some(GOLDEN_SIGNATURE));
        assert_eq!(
            r.header("content-length"),
            Some(GOLDEN_BODY.len().to_string().as_str())
        );
        assert!(r.headers.get("x-signature").is_none(), "legacy header sent");
    }
}

#[tokio::test]
async fn create_without_secret_or_integration_id_sends_neither_header() {
    let server = serve(Reply::new(201, success_body())).await;
    let mut ep = endpoint(&server.base);
    ep.shared_secret = None;
    ep.integration_id = None;
    create(&ep).await.expect("created");
    let mut blank = endpoint(&server.base);
    blank.shared_secret = Some("  ".into());
    blank.integration_id = Some(String::new());
    create(&blank).await.expect("created");
    for r in server.requests() {
        assert!(r.headers.get("x-hmac-signature").is_none());
        assert!(r.headers.get("vrf-integration-id").is_none());
        assert_eq!(r.header("x-auth-client"), Some(KEY));
        assert_eq!(r.body, GOLDEN_BODY.as_bytes());
    }
}

#[tokio::test]
async fn a_path_prefix_in_the_base_url_is_kept() {
    let server = serve(Reply::new(201, success_body())).await;
    create(&endpoint(&format!("{}/gateway/v1/", server.base)))
        .await
        .expect("created");
    assert_eq!(server.only_request().path, "/gateway/v1/sessions");
}

#[tokio::test]
async fn older_answers_with_base_url_and_string_ids_are_read() {
    let body = r#"{"status":"success","verification":{"id":"0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d","url":"https://magic.veriff.me/v/tok","baseUrl":"https://magic.veriff.me","vendorData":null,"sessionToken":"not-a-jwt"}}"#;
    let server = serve(Reply::new(200, body)).await;
    let created = create(&endpoint(&server.base)).await.expect("created");
    assert_eq!(created.id, "0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d");
    assert_eq!(created.host.as_deref(), Some("https://magic.veriff.me"));
    assert_eq!(created.vendor_data, None);
    // No exp in the token: seven days from creation.
    assert_eq!(
        created.expires_at - created.created_at,
        chrono::Duration::days(7)
    );
}

#[tokio::test]
async fn decision_is_a_get_signed_over_the_session_id() {
    let body = r#"{"status":"success","verification":{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","status":"approved","code":9001,"reason":null,"reasonCode":null,"decisionTime":"2026-11-25T12:30:00.000Z","vendorData":"order-42","person":{"firstName":"John"},"unknown":1},"technicalData":{"ip":"127.0.0.1"}}"#;
    let server = serve(Reply::new(200, body)).await;
    for base in [
        server.base.clone(),
        format!("{}/", server.base),
        format!("{}/v1", server.base),
        format!("{}/v1/", server.base),
    ] {
        let decision = decide(&endpoint(&base), SESSION_ID)
            .await
            .expect("decision")
            .expect("a decision");
        assert_eq!(
            decision,
            Decision {
                status: SessionStatus::Approved,
                code: Some(9001),
                reason: None,
                reason_code: None,
                decision_time: Some("2026-11-25T12:30:00.000Z".into()),
                vendor_data: Some("order-42".into()),
            }
        );
    }
    for r in server.requests() {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, format!("/v1/sessions/{SESSION_ID}/decision"));
        assert_eq!(r.header("x-auth-client"), Some(KEY));
        assert_eq!(r.header("x-hmac-signature"), Some(GOLDEN_ID_SIGNATURE));
        assert_eq!(r.header("vrf-integration-id"), Some("integration-7"));
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn decision_null_means_no_decision_yet() {
    let server = serve(Reply::new(
        200,
        r#"{"status":"success","verification":null,"technicalData":{"ip":null}}"#,
    ))
    .await;
    let mut ep = endpoint(&server.base);
    ep.shared_secret = None;
    assert_eq!(decide(&ep, SESSION_ID).await, Ok(None));
    assert!(
        server
            .only_request()
            .headers
            .get("x-hmac-signature")
            .is_none()
    );
}

#[tokio::test]
async fn decision_reads_codes_given_as_strings() {
    let server = serve(Reply::new(
        200,
        r#"{"verification":{"status":"declined","code":"9102","reason":"Document not readable","reasonCode":"102"}}"#,
    ))
    .await;
    let d = decide(&endpoint(&server.base), SESSION_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status, SessionStatus::Declined);
    assert_eq!((d.code, d.reason_code), (Some(9102), Some(102)));
}

#[tokio::test]
async fn a_session_id_cannot_change_the_path() {
    let server = serve(Reply::new(200, r#"{"verification":null}"#)).await;
    let ep = endpoint(&server.base);
    assert_eq!(decide(&ep, "a/b?c").await, Ok(None));
    let r = server.only_request();
    assert_eq!(r.path, "/v1/sessions/a%2Fb%3Fc/decision");
    assert_eq!(
        r.header("x-hmac-signature"),
        Some(signature(SECRET, b"a/b?c").as_str())
    );
    for bad in ["", "..", "id\u{1b}[2J"] {
        let err = decide(&ep, bad).await.unwrap_err();
        assert!(matches!(err, ApiError::BadSessionId { .. }), "{err:?}");
        assert!(err.is_usage());
        assert_clean(&err);
    }
    assert_eq!(server.requests().len(), 1, "invalid ids are never sent");
}

// ---------------------------------------------------------------------------------------
// Answers that are errors

#[tokio::test]
async fn auth_errors_read_the_code_as_number_or_string() {
    for code in ["1801", "1802", "1803", "1812", "1819"] {
        for quoted in [false, true] {
            let code_json = if quoted {
                format!("\"{code}\"")
            } else {
                code.to_string()
            };
            let (err, server) = create_fails(Reply::new(
                401,
                format!(r#"{{"status":"fail","code":{code_json},"message":"Nope","extra":[]}}"#),
            ))
            .await;
            assert_eq!(
                err,
                ApiError::Http {
                    status: 401,
                    code: Some(code.into()),
                    message: Some("Nope".into())
                }
            );
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("HTTP 401 Unauthorized, Veriff code {code} (")),
                "{text}"
            );
            let hint = err.hint();
            let expected = if code.starts_with("181") {
                "shared_secret"
            } else {
                "api_key"
            };
            assert!(hint.contains(expected), "{code}: {hint}");
            assert!(!err.is_network());
            assert_eq!(server.requests().len(), 1);
        }
    }
}

#[tokio::test]
async fn an_echoed_key_or_secret_is_masked() {
    let (err, _server) = create_fails(Reply::new(
        401,
        format!(
            r#"{{"status":"fail","code":1803,"message":"no integration for {} (secret {})"}}"#,
            KEY.to_uppercase(),
            SECRET
        ),
    ))
    .await;
    assert!(
        err.to_string()
            .contains("no integration for *** (secret ***)")
    );

    let (err, _server) = create_fails(Reply::new(502, format!("<p>key={KEY}</p>\n"))).await;
    assert!(
        matches!(err, ApiError::NotJson { ref first_line, .. } if first_line == "<p>key=***</p>")
    );
}

#[tokio::test]
async fn server_error_500_is_not_retried() {
    let (err, server) = create_fails(Reply::new(
        500,
        r#"{"status":"fail","message":"Internal error"}"#,
    ))
    .await;
    assert_eq!(
        err,
        ApiError::Http {
            status: 500,
            code: None,
            message: Some("Internal error".into())
        }
    );
    assert_eq!(
        err.to_string(),
        "HTTP 500 Internal Server Error: Internal error"
    );
    assert!(err.hint().contains("try again"));
    assert_eq!(server.requests().len(), 1, "a POST is never retried");

    let (err, server) = create_fails(Reply::new(500, "")).await;
    assert_eq!(err.to_string(), "HTTP 500 Internal Server Error");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn proxy_html_is_reported_with_its_first_line() {
    let mut reply = Reply::new(
        502,
        "\r\n\r\n  <html><head><title>502 Bad Gateway</title></head>\u{1b}[2J\r\n<body>nginx</body></html>\r\n",
    );
    reply.headers = vec![("content-type", "text/html".into())];
    let (err, server) = create_fails(reply).await;
    assert_eq!(
        err,
        ApiError::NotJson {
            status: 502,
            first_line: "<html><head><title>502 Bad Gateway</title></head>[2J".into()
        }
    );
    assert!(err.to_string().contains("HTTP 502"));
    assert!(err.hint().contains("proxy"));
    assert_eq!(server.requests().len(), 1);

    // A long first line is cut.
    let (err, _server) = create_fails(Reply::new(503, "x".repeat(5000))).await;
    let ApiError::NotJson { first_line, .. } = err else {
        panic!("{err:?}")
    };
    assert!(first_line.chars().count() <= 120);
}

#[tokio::test]
async fn too_many_requests() {
    let (err, _server) = create_fails(Reply::new(429, r#"{"status":"fail"}"#)).await;
    assert!(matches!(err, ApiError::Http { status: 429, .. }));
    assert!(err.to_string().starts_with("HTTP 429 Too Many Requests"));
    assert!(err.hint().contains("wait"));
}

#[tokio::test]
async fn not_found_points_at_the_base_url() {
    let (err, _server) = create_fails(Reply::new(404, "404 page not found")).await;
    assert!(
        matches!(err, ApiError::NotJson { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.hint().contains("base_url"));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let mut reply = Reply::new(301, "");
    reply.headers = vec![(
        "location",
        "https://stationapi.veriff.com/v1/sessions".into(),
    )];
    let (err, server) = create_fails(reply).await;
    assert_eq!(
        err,
        ApiError::Redirect {
            status: 301,
            location: Some("https://stationapi.veriff.com/v1/sessions".into())
        }
    );
    assert!(err.hint().contains("base_url"));
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Success answers that cannot be used

#[tokio::test]
async fn truncated_json_is_bad_json() {
    let full = success_body();
    let (err, _server) = create_fails(Reply::new(201, &full.as_bytes()[..full.len() / 2])).await;
    assert!(
        matches!(err, ApiError::BadJson { status: 201, ref detail } if detail.contains("cut off")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_not_read() {
    // Announced by Content-Length.
    let mut big = br#"{"verification":{"url":""#.to_vec();
    big.resize(2 * 1024 * 1024, b'a');
    let (err, _server) = create_fails(Reply::new(201, big)).await;
    assert_eq!(err, ApiError::TooLarge);

    // Streamed without a length, never ending: the reader must stop at the cap.
    let mut endless = Reply::new(201, "");
    endless.body = ReplyBody::Endless;
    let (err, _server) = create_fails(endless).await;
    assert_eq!(err, ApiError::TooLarge);
    assert!(err.to_string().contains("1 MiB"));
}

#[tokio::test]
async fn a_body_of_exactly_the_cap_is_read() {
    let mut body = success_body().into_bytes();
    body.resize(1024 * 1024, b' ');
    let server = serve(Reply::new(201, body)).await;
    create(&endpoint(&server.base)).await.expect("created");
}

#[tokio::test]
async fn success_without_url() {
    let (err, _server) = create_fails(Reply::new(
        201,
        format!(
            r#"{{"status":"success","verification":{{"id":"{SESSION_ID}","status":"created"}}}}"#
        ),
    ))
    .await;
    assert_eq!(err, ApiError::MissingUrl);
    assert!(err.hint().contains("base_url"));
}

#[tokio::test]
async fn a_url_with_an_escape_sequence_is_refused() {
    let (err, _server) = create_fails(Reply::new(
        201,
        format!(
            r#"{{"verification":{{"id":"{SESSION_ID}","url":"https://alchemy.veriff.com/v/x\u001b]52;c;SGVsbG8=\u0007"}}}}"#
        ),
    ))
    .await;
    let ApiError::UnsafeUrl { ref url } = err else {
        panic!("{err:?}")
    };
    assert_eq!(url, "https://alchemy.veriff.com/v/x]52;c;SGVsbG8=");
    assert!(err.hint().contains("Do not open"));
}

#[tokio::test]
async fn a_javascript_url_is_refused() {
    let (err, _server) = create_fails(Reply::new(
        201,
        format!(r#"{{"verification":{{"id":"{SESSION_ID}","url":"javascript:alert(document.cookie)"}}}}"#),
    ))
    .await;
    assert_eq!(
        err,
        ApiError::BadUrl {
            url: "javascript:alert(document.cookie)".into()
        }
    );
}

#[tokio::test]
async fn a_body_that_is_not_utf8() {
    let mut body = br#"{"verification":{"id":"x","url":"https://a.example/v/"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc0]);
    body.extend_from_slice(br#""}}"#);
    let (err, _server) = create_fails(Reply::new(201, body)).await;
    assert_eq!(err, ApiError::NotUtf8 { status: 201 });
}

// ---------------------------------------------------------------------------------------
// Transport failures

#[tokio::test]
async fn timeout_names_the_configured_limit() {
    let mut reply = Reply::new(201, success_body());
    reply.delay = Duration::from_secs(30);
    let server = serve(reply).await;
    let mut ep = endpoint(&server.base);
    ep.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = create(&ep).await.unwrap_err();
    assert_eq!(err, ApiError::Timeout { secs: 1 });
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.is_network());
    assert!(err.hint().contains("may still have been created"));
    assert_clean(&err);
    assert_eq!(
        server.requests().len(),
        1,
        "a timed-out POST is not retried"
    );
}

#[tokio::test]
async fn connection_refused() {
    let refusing = crate::support::RefusingPort::new();
    let port = refusing.port;
    let err = create(&endpoint(&refusing.base_url())).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::ConnectionRefused {
            host: format!("127.0.0.1:{port}")
        }
    );
    assert!(err.is_network());
    assert_clean(&err);
}

#[tokio::test]
async fn tls_failure_against_a_plain_http_server() {
    let server = serve(Reply::new(201, success_body())).await;
    let https = server.base.replace("http://", "https://");
    let host = https.trim_start_matches("https://").to_string();
    let err = create(&endpoint(&https)).await.unwrap_err();
    match &err {
        ApiError::Tls { host: h, detail } => {
            assert_eq!(h, &host);
            assert!(!detail.is_empty());
        }
        other => panic!("expected Tls, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with(&format!("TLS handshake with {host} failed"))
    );
    assert!(err.hint().contains("http://"));
    assert!(err.is_network());
    assert_clean(&err);
}

#[tokio::test]
async fn dns_failure_names_the_host() {
    let host = "veriff-tui-contract-test.invalid";
    let err = create(&endpoint(&format!("https://{host}/v1")))
        .await
        .unwrap_err();
    // A resolver that cannot answer `.invalid` quickly may surface as a generic network error.
    assert!(
        matches!(&err, ApiError::Dns { host: h } | ApiError::Network { host: h, .. } if h == host),
        "{err:?}"
    );
    assert!(err.to_string().contains(host));
    assert!(err.is_network());
    assert_clean(&err);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_a_network_error_and_not_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    let err = create(&endpoint(&format!("http://{addr}")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Network { host, .. } if host == &addr.to_string()),
        "{err:?}"
    );
    assert!(err.is_network());
    assert_clean(&err);
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "the POST was retried");
}

#[tokio::test]
async fn no_error_reveals_the_key_or_secret_in_config_failures() {
    let mut ep = endpoint("ftp://example.com");
    ep.api_key = KEY.into();
    let err = Client::new(&ep).unwrap_err();
    assert!(
        err.to_string()
            .contains("base URL must start with https:// or http://")
    );
    assert!(err.is_usage());
    assert_clean(&err);
    let shown = format!("{:?}", endpoint("https://x.example"));
    assert!(!shown.contains(KEY) && !shown.contains(SECRET));
}
