//! The imitation of Veriff's API: routes, request validation, Veriff-shaped answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::veriff::types::VENDOR_DATA_MAX_CHARS;
use crate::veriff::{allows_http_callback, is_https_url, sign};

use super::state::{Session, Shared};
use super::{
    Fault, Outcome, SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, faults, fields, flow, inspect, limits,
    token,
};

/// What a page of another origin may send: exactly the headers Veriff's JS SDK sets
/// (`content-type`, `x-auth-client`, `x-origin`, `vrf-integration-id`) and the signature
/// the API takes. No cookies are involved, so any origin may ask, as with Veriff.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            HeaderName::from_static("content-type"),
            HeaderName::from_static("x-auth-client"),
            HeaderName::from_static("x-hmac-signature"),
            HeaderName::from_static("x-origin"),
            HeaderName::from_static("vrf-integration-id"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

pub(crate) fn router(shared: Arc<Shared>, body_timeout: std::time::Duration) -> Router {
    let api = Router::new()
        .route("/v1/sessions", post(create_session))
        .route("/v1/sessions/", post(create_session))
        .route("/v1/sessions/{id}/decision", get(decision))
        .route("/v1/sessions/{id}/person", get(inspect::person))
        .route("/v1/sessions/{id}/attempts", get(inspect::attempts))
        .route("/v1/sessions/{id}/media", get(inspect::media_list))
        .route(
            "/v1/sessions/{id}/watchlist-screening",
            get(inspect::watchlist),
        )
        .route("/v1/media/{id}", get(inspect::media_file))
        .layer(cors());
    Router::new()
        .merge(api)
        .route("/assets/flow.js", get(flow::script))
        .route("/v/{token}", get(flow::page))
        .route("/v/{token}/decide", post(flow::decide))
        .route("/v/{token}/done", get(flow::done))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            body_timeout,
            limits::read_body_in_time,
        ))
        // A session request is well under a kilobyte: a bigger body is refused before it is
        // read whole (with --listen 0.0.0.0 anyone on the network can send one).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(shared)
}

/// The largest request body the sandbox reads.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The longest name the sandbox keeps, in characters.
const MAX_NAME_CHARS: usize = 255;

/// The longest callback the sandbox keeps, in bytes: Veriff documents none, and 2,048 is
/// the longest URL that every browser and server handles.
const MAX_CALLBACK_BYTES: usize = 2048;

/// The longest `lang` the sandbox takes: a language tag is a few letters (`en`, `pt-BR`);
/// 35 is the length RFC 5646 asks implementations to allow for one.
const MAX_LANG_CHARS: usize = 35;

/// The longest sessionToken kept from a state file: ours are about 350 bytes.
const MAX_TOKEN_BYTES: usize = 1024;

/// True when the fields of `s` are within the bounds new sessions are held to. A state
/// file written before there were bounds (or edited by hand) may hold sessions that are not.
pub(crate) fn within_bounds(s: &Session) -> bool {
    let chars =
        |f: &Option<String>, max: usize| f.as_ref().is_none_or(|v| v.chars().count() <= max);
    let uuid = |v: &str| uuid::Uuid::parse_str(v).is_ok();
    uuid(&s.id)
        && s.token.len() <= MAX_TOKEN_BYTES
        && chars(&s.first_name, MAX_NAME_CHARS)
        && chars(&s.last_name, MAX_NAME_CHARS)
        && chars(&s.vendor_data, VENDOR_DATA_MAX_CHARS)
        && s.callback
            .as_ref()
            .is_none_or(|c| c.len() <= MAX_CALLBACK_BYTES)
        && s.end_user_id
            .as_ref()
            .is_none_or(|e| e.as_str().is_some_and(uuid))
        && s.open_attempt.as_deref().is_none_or(uuid)
}

/// Veriff's error shape: `{"status":"fail","code":N,"message":"..."}`.
pub(crate) fn fail(status: StatusCode, code: u32, message: &str) -> Response {
    Fail::new(status, code, message).into_response()
}

/// A Veriff-shaped error, small enough to pass around in a `Result`.
#[derive(Debug)]
pub(crate) struct Fail {
    status: StatusCode,
    code: u32,
    message: String,
}

impl Fail {
    fn new(status: StatusCode, code: u32, message: &str) -> Self {
        Fail {
            status,
            code,
            message: message.to_string(),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"status": "fail", "code": self.code, "message": self.message})),
        )
            .into_response()
    }
}

async fn not_found(uri: Uri) -> Response {
    // The usual cause is a base URL with a doubled or missing /v1; say so.
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({
            "status": "fail",
            "message": format!(
                "Not found: {}. The sandbox serves POST /v1/sessions and GET /v1/sessions/{{id}}/decision.",
                uri.path()
            ),
        })),
    )
        .into_response()
}

/// X-AUTH-CLIENT: present (1801), a UUID (1802), the sandbox's key (1803).
pub(crate) fn check_api_key(headers: &HeaderMap) -> Result<(), Fail> {
    let Some(value) = headers.get("x-auth-client") else {
        return Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            1801,
            "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request.",
        ));
    };
    let key = value.to_str().unwrap_or_default().trim();
    if uuid::Uuid::parse_str(key).is_err() {
        return Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            1802,
            "API key is not a valid UUID.",
        ));
    }
    if !key.eq_ignore_ascii_case(SANDBOX_API_KEY) {
        return Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            1803,
            "Integration with the API key was not found.",
        ));
    }
    Ok(())
}

/// X-HMAC-SIGNATURE over `message`. `required` is false for POST /v1/sessions, where Veriff
/// accepts an unsigned request but rejects a wrongly signed one.
pub(crate) fn check_signature(
    headers: &HeaderMap,
    message: &[u8],
    required: bool,
    mismatch_code: u32,
) -> Result<(), Fail> {
    let mismatch = |what: &str| {
        Fail::new(
            StatusCode::UNAUTHORIZED,
            mismatch_code,
            &format!(
                "Signature {what} the HMAC-SHA256 of the {}.",
                match mismatch_code {
                    1818 => "session id",
                    _ => "request body",
                }
            ),
        )
    };
    let Some(value) = headers.get("x-hmac-signature") else {
        return if required {
            Err(mismatch("is missing; it must be"))
        } else {
            Ok(())
        };
    };
    let sig = value.to_str().unwrap_or_default().trim();
    if !sign::is_sha256_hex(sig) {
        return Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            1812,
            "Signature is not a valid SHA256 hash.",
        ));
    }
    if !sign::verify(SANDBOX_SHARED_SECRET, message, sig) {
        return Err(mismatch("does not match"));
    }
    Ok(())
}

fn bad_request(code: u32, message: &str) -> Fail {
    Fail::new(StatusCode::BAD_REQUEST, code, message)
}

/// The fields of `verification` the sandbox uses, each checked as Veriff checks it.
struct NewSession {
    first_name: Option<String>,
    last_name: Option<String>,
    vendor_data: Option<String>,
    end_user_id: Option<Value>,
    callback: Option<String>,
    extra: crate::veriff::Extras,
}

fn present<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// 1104, Veriff's answer to an invalid parameter.
fn invalid(what: &str) -> Fail {
    bad_request(
        1104,
        &format!("Request includes invalid parameters: {what}"),
    )
}

/// `obj[key]`, absent or a string of at most `max` characters; anything else is invalid
/// (1104). `label` names the field in the message.
fn bounded_str<'a>(
    obj: Option<&'a serde_json::Map<String, Value>>,
    key: &str,
    label: &str,
    max: usize,
) -> Result<Option<&'a str>, Fail> {
    match obj.and_then(|o| present(o, key)) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(invalid(&format!(
            "{label} is longer than {max} characters."
        ))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&format!("{label} must be a string."))),
    }
}

fn validate(body: &[u8], now: DateTime<Utc>) -> Result<NewSession, Fail> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_request(
            1102,
            "Mandatory parameters are missing from the request: the body is not JSON.",
        ));
    };
    let Some(v) = value.get("verification").and_then(Value::as_object) else {
        return Err(bad_request(
            1102,
            "Mandatory parameters are missing from the request: verification object.",
        ));
    };

    let callback = match present(v, "callback") {
        None => None,
        Some(Value::String(s)) if s.len() > MAX_CALLBACK_BYTES => {
            return Err(invalid(&format!(
                "callback is longer than {MAX_CALLBACK_BYTES} bytes."
            )));
        }
        Some(Value::String(s)) if is_https_url(s) || allows_http_callback(s) => Some(s.clone()),
        Some(_) => {
            return Err(bad_request(1302, "Only HTTPS return URLs are allowed."));
        }
    };

    let vendor_data = match present(v, "vendorData") {
        None => None,
        Some(Value::String(s)) if s.chars().count() > VENDOR_DATA_MAX_CHARS => {
            return Err(bad_request(
                1500,
                "vendorData field cannot be more than 1000 symbols.",
            ));
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad_request(1501, "vendorData field must be a string.")),
    };

    if let Some(ts) = present(v, "timestamp") {
        let parsed = ts
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
        let Some(parsed) = parsed else {
            return Err(bad_request(1202, "Timestamp has an invalid format."));
        };
        if now.signed_duration_since(parsed) > chrono::Duration::hours(1) {
            return Err(bad_request(1201, "Timestamp is older than one hour."));
        }
    }

    let end_user_id = match present(v, "endUserId") {
        None => None,
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => Some(json!(s)),
        Some(_) => {
            return Err(bad_request(
                1104,
                "Request includes invalid parameters: endUserId must be a UUID.",
            ));
        }
    };

    // Not kept (the flow page has one language), but held to a bound like every field.
    bounded_str(Some(v), "lang", "lang", MAX_LANG_CHARS)?;

    let person = v.get("person").and_then(Value::as_object);
    let name = |key: &str| -> Result<Option<String>, Fail> {
        let label = format!("person.{key}");
        Ok(bounded_str(person, key, &label, MAX_NAME_CHARS)?.map(str::to_string))
    };

    Ok(NewSession {
        first_name: name("firstName")?,
        last_name: name("lastName")?,
        vendor_data,
        end_user_id,
        callback,
        extra: fields::extras(v, now).map_err(|(code, message)| bad_request(code, &message))?,
    })
}

async fn create_session(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared
        .counters
        .create_requests
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if let Ok(mut last) = shared.counters.last_create_body.lock() {
        *last = Some(body.clone());
    }

    let fault = shared.fault();
    match &fault {
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        Some(f) => {
            if let Some(response) = faults::instead_of_processing(f, &shared.base_url) {
                return response;
            }
        }
        None => {}
    }

    let now = shared.now();
    let checked = check_api_key(&headers)
        .and_then(|()| check_signature(&headers, &body, false, 1819))
        .and_then(|()| validate(&body, now));
    let new = match checked {
        Ok(new) => new,
        Err(fail) => return fail.into_response(),
    };

    let id = uuid::Uuid::new_v4().to_string();
    let token = token::session_token(&id, now.timestamp());
    let mut session = Session {
        id: id.clone(),
        token: token.clone(),
        first_name: new.first_name,
        last_name: new.last_name,
        vendor_data: new.vendor_data,
        end_user_id: new.end_user_id,
        callback: new.callback,
        created_at: now,
        started: false,
        decision: None,
        extra: new.extra,
        attempts: Vec::new(),
        open_attempt: None,
    };
    // Veriff test integrations decide at once for these first names.
    if let Some(outcome) = session
        .first_name
        .as_deref()
        .and_then(Outcome::from_first_name)
    {
        session.decide(outcome, now);
    }
    let vendor_data = session.vendor_data.clone();
    {
        let mut store = shared.store();
        store.insert(session);
        shared.persist(&store);
    }

    let mut verification = json!({
        "id": id,
        "url": format!("{}/v/{}", shared.base_url, token),
        "vendorData": vendor_data,
        "host": shared.base_url,
        "status": "created",
        "sessionToken": token,
    });
    if let Some(f) = &fault {
        faults::alter_success(f, &mut verification);
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({"status": "success", "verification": verification})),
    )
        .into_response()
}

async fn decision(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let _in_flight = shared.counters.decision_started();
    if let Some(delay) = shared.decision_delay() {
        tokio::time::sleep(delay).await;
    }

    if let Err(fail) =
        check_api_key(&headers).and_then(|()| check_signature(&headers, id.as_bytes(), true, 1818))
    {
        return fail.into_response();
    }
    let store = shared.store();
    let Some(session) = store.get(&id) else {
        return fail(
            StatusCode::NOT_FOUND,
            1104,
            "Session not found: no session with this id was created in this sandbox.",
        );
    };
    (StatusCode::OK, axum::Json(decision_answer(session))).into_response()
}

/// The decision endpoint's answer for `session`, which the decision webhook carries too
/// (Veriff's is the same object): `verification` is null until there is a decision.
pub(crate) fn decision_answer(session: &Session) -> Value {
    let verification = match &session.decision {
        None => Value::Null,
        Some(d) => {
            let (reason_code, reason) = d.outcome.reason().unzip();
            json!({
                "id": session.id,
                "attemptId": d.attempt_id,
                "vendorData": session.vendor_data,
                "endUserId": session.end_user_id,
                "status": d.outcome.status(),
                "code": d.outcome.code(),
                "reason": reason,
                "reasonCode": reason_code,
                "decisionTime": d.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "acceptanceTime": session
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "person": {
                    "firstName": session.first_name,
                    "lastName": session.last_name,
                },
            })
        }
    };
    json!({
        "status": "success",
        "verification": verification,
        "technicalData": {"ip": null},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_check_is_case_insensitive_and_needs_a_host() {
        assert!(is_https_url("https://example.com"));
        assert!(is_https_url("HTTPS://example.com"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("http://127.0.0.1/cb"));
        assert!(!is_https_url("ftp://x"));
        assert!(!is_https_url("httpsé"));
        assert!(!is_https_url("https://127.0.0.1:80@evil.example/"));
    }
}
