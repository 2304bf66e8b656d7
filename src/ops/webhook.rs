//! Receiving one Veriff webhook: the raw body and headers in, what to answer out. The
//! signature is checked over the exact bytes before anything is parsed, with the secrets of
//! the integration whose API key came in `X-AUTH-CLIENT`; a verified webhook is written to
//! the history (committed) before this returns, so an answer of 200 means it is kept.
//!
//! `listen` is a thin server around [`receive`]; the tests call the same function through it.

use std::collections::HashMap;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::history::{Elsewhere, Record, WebhookOutcome, WebhookWrite};
use crate::ops::{SharedStore, on_store};
use crate::veriff::response::{Scrub, parse_decision};
use crate::veriff::{Decision, SessionStatus, sign};

/// The headers, both as Veriff's docs name them; HeaderMap looks names up case-insensitively.
const SIGNATURE_HEADERS: [&str; 2] = ["x-hmac-signature", "vrf-hmac-signature"];
const KEY_HEADERS: [&str; 2] = ["x-auth-client", "vrf-auth-client"];

/// Longest text kept from a webhook field (names, vendor data, attempt id).
const FIELD_MAX: usize = 1000;

/// One integration a webhook may come from.
#[derive(Clone)]
pub struct Integration {
    pub profile: String,
    pub base_url: String,
    pub sandbox: bool,
    /// Every secret a webhook of this integration may be signed with (rotation: old and new).
    secrets: Vec<String>,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line, even through Debug.
        f.debug_struct("Integration")
            .field("profile", &self.profile)
            .field("base_url", &self.base_url)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// The integrations webhooks are accepted from, by API key.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    by_key: HashMap<String, Integration>,
}

impl Keys {
    /// Every configured profile with an API key and at least one secret (`shared_secret`,
    /// `webhook_secrets`), and words for the profiles left out (never their secrets).
    pub fn from_settings(settings: &Settings) -> (Keys, Vec<String>) {
        let mut keys = Keys::default();
        let mut left_out = Vec::new();
        for name in settings.profile_names() {
            let shown = crate::text::sanitize(&name);
            let endpoint = match settings.endpoint_of(&name) {
                Ok(e) => e,
                Err(_) => {
                    left_out.push(format!(
                        "profile \"{shown}\" has no api_key: its webhooks cannot be told apart"
                    ));
                    continue;
                }
            };
            let mut secrets: Vec<String> = endpoint.shared_secret.into_iter().collect();
            if let Some(p) = settings.config.profiles.get(&name) {
                secrets.extend(p.webhook_secrets.iter().filter(|s| !s.is_empty()).cloned());
            }
            if secrets.is_empty() {
                left_out.push(format!(
                    "profile \"{shown}\" has no shared_secret: its webhooks cannot be checked, so none is accepted"
                ));
                continue;
            }
            let sandbox = endpoint.api_key == crate::sandbox::SANDBOX_API_KEY
                || name == crate::config::SANDBOX_PROFILE && settings.sandbox;
            keys.insert(
                &endpoint.api_key,
                Integration {
                    profile: name,
                    base_url: endpoint.base_url,
                    sandbox,
                    secrets,
                },
            );
        }
        (keys, left_out)
    }

    /// Adds (or, for a key seen before, adds the secrets of) an integration.
    pub fn insert(&mut self, api_key: &str, integration: Integration) {
        match self.by_key.get_mut(api_key) {
            // Two profiles with one key are one integration: either's secrets sign.
            Some(known) => known.secrets.extend(integration.secrets),
            None => {
                self.by_key.insert(api_key.to_string(), integration);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The profile names accepted, for the start-up message.
    pub fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = self.by_key.values().map(|i| i.profile.clone()).collect();
        names.sort();
        names
    }
}

impl Integration {
    pub fn new(profile: &str, base_url: &str, sandbox: bool, secrets: Vec<String>) -> Self {
        Integration {
            profile: profile.into(),
            base_url: base_url.into(),
            sandbox,
            secrets,
        }
    }
}

/// A webhook refused: the HTTP status to answer and why, in words for the log (never a
/// secret, never the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub why: String,
    /// The session it named, when it got that far.
    pub session_id: Option<String>,
}

impl Refused {
    fn new(status: u16, why: impl Into<String>) -> Self {
        Refused {
            status,
            why: why.into(),
            session_id: None,
        }
    }
}

/// A webhook written to the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub session_id: String,
    /// "started", "submitted" (events) or "decision: approved" and the like.
    pub kind: String,
    pub outcome: WebhookOutcome,
}

/// What a verified webhook says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub session_id: String,
    pub attempt_id: Option<String>,
    /// An event as the status it moves the session to (with its code), or the decision.
    pub decision: Decision,
    pub is_event: bool,
    pub first_name: String,
    pub last_name: String,
    pub vendor_data: String,
}

/// Checks, parses and stores one webhook. `Err` says what to answer instead of 200.
pub async fn receive(
    store: &SharedStore,
    keys: &Keys,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Received, Refused> {
    let integration = verify(keys, headers, body)?.clone();
    let webhook = parse(body)?;
    let hash = hex::encode(Sha256::digest(body));
    let kind = if webhook.is_event {
        webhook.decision.status.as_str().to_string()
    } else {
        format!("decision: {}", webhook.decision.status.as_str())
    };
    let session_id = webhook.session_id.clone();
    let written = on_store(store, move |s| {
        let w = WebhookWrite {
            body_sha256: &hash,
            session_id: &webhook.session_id,
            kind: if webhook.is_event {
                "event"
            } else {
                "decision"
            },
            attempt_id: webhook.attempt_id.as_deref(),
            decision: &webhook.decision,
            received_at: now,
            elsewhere: Elsewhere {
                profile: &integration.profile,
                base_url: &integration.base_url,
                sandbox: integration.sandbox,
                first_name: &webhook.first_name,
                last_name: &webhook.last_name,
                vendor_data: &webhook.vendor_data,
            },
        };
        s.record_webhook(&w, |current| supersedes(current, &webhook.decision))
    })
    .await;
    match written {
        Ok(outcome) => Ok(Received {
            session_id,
            kind,
            outcome,
        }),
        // Not kept: Veriff must try again, so no 2xx.
        Err(e) => Err(Refused {
            status: 500,
            why: format!("not written to the history: {e}"),
            session_id: Some(session_id),
        }),
    }
}

/// The integration whose key came with the webhook, when the body is signed with one of its
/// secrets. Nothing of the body is read before this passes.
pub fn verify<'k>(
    keys: &'k Keys,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<&'k Integration, Refused> {
    let header = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| headers.get(*n))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let Some(key) = header(KEY_HEADERS) else {
        return Err(Refused::new(401, "no X-AUTH-CLIENT header"));
    };
    let Some(signature) = header(SIGNATURE_HEADERS) else {
        return Err(Refused::new(401, "no X-HMAC-SIGNATURE header"));
    };
    // The key is not echoed: an unknown one may be someone's secret pasted in the wrong place.
    let Some(integration) = keys.by_key.get(key) else {
        return Err(Refused::new(
            401,
            "the API key in X-AUTH-CLIENT is not one of a configured profile",
        ));
    };
    // Stopping at the first secret that matches tells nothing worth hiding (which secret
    // signed); each comparison itself is constant-time, so no secret leaks through timing.
    if integration
        .secrets
        .iter()
        .any(|secret| sign::verify(secret, body, signature))
    {
        Ok(integration)
    } else {
        Err(Refused::new(
            401,
            format!(
                "the signature does not match the body with any secret of profile \"{}\"",
                crate::text::sanitize(&integration.profile)
            ),
        ))
    }
}

/// Reads a verified body: an event webhook (`action` started / submitted) or a decision
/// webhook (`verification` as the decision endpoint answers it).
pub fn parse(body: &[u8]) -> Result<Webhook, Refused> {
    let bad = |why: String| Refused::new(400, why);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(bad("the body is not a JSON object".into()));
    };
    if obj.contains_key("verification") {
        let decision = parse_decision(200, body, &Scrub::default())
            .map_err(|e| bad(format!("not a decision webhook: {e}")))?
            .ok_or_else(|| bad("the decision webhook's verification is null".into()))?;
        let ver = obj
            .get("verification")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("verification is not an object".into()))?;
        let person = ver.get("person").and_then(Value::as_object);
        let name = |key: &str| person.map(|p| text(p, key)).unwrap_or_default();
        return Ok(Webhook {
            session_id: session_id(ver)?,
            attempt_id: Some(text(ver, "attemptId")).filter(|a| !a.is_empty()),
            first_name: name("firstName"),
            last_name: name("lastName"),
            vendor_data: decision.vendor_data.clone().unwrap_or_default(),
            decision,
            is_event: false,
        });
    }
    let action = text(&obj, "action").to_ascii_lowercase();
    let code = obj.get("code").and_then(Value::as_i64);
    let status = match (action.as_str(), code) {
        ("started", _) | ("", Some(7001)) => SessionStatus::Started,
        ("submitted", _) | ("", Some(7002)) => SessionStatus::Submitted,
        _ => {
            return Err(bad(format!(
                "neither a decision nor a started/submitted event (action {:?}, code {code:?})",
                crate::text::sanitize(&action.chars().take(40).collect::<String>())
            )));
        }
    };
    let code = code.or(Some(if status == SessionStatus::Started {
        7001
    } else {
        7002
    }));
    let vendor_data = text(&obj, "vendorData");
    Ok(Webhook {
        session_id: session_id(&obj)?,
        attempt_id: Some(text(&obj, "attemptId")).filter(|a| !a.is_empty()),
        decision: Decision {
            status,
            code,
            reason: None,
            reason_code: None,
            decision_time: None,
            vendor_data: Some(vendor_data.clone()).filter(|v| !v.is_empty()),
        },
        is_event: true,
        first_name: String::new(),
        last_name: String::new(),
        vendor_data,
    })
}

/// `id`, held to what Veriff gives out (a UUID): anything else is not stored as one.
fn session_id(obj: &Map<String, Value>) -> Result<String, Refused> {
    let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
    match uuid::Uuid::parse_str(id) {
        Ok(uuid) if id.len() == 36 => Ok(uuid.hyphenated().to_string()),
        _ => Err(Refused::new(
            400,
            "the webhook's id is not a session id (a UUID)",
        )),
    }
}

/// A string field, sanitised and bounded; empty when missing or not a string.
fn text(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key)
        .and_then(Value::as_str)
        .map(|s| Scrub::default().clean(s.trim(), FIELD_MAX))
        .unwrap_or_default()
}

/// Where a status stands in a session's life: created < started < submitted < decided.
fn stage(status: &SessionStatus) -> u8 {
    match status {
        SessionStatus::Created | SessionStatus::Unknown => 0,
        SessionStatus::Started => 1,
        SessionStatus::Submitted => 2,
        _ => 3,
    }
}

/// Whether `incoming` is newer than what `current` holds, so it may replace it. Webhooks
/// come again and out of order (Veriff retries for days): an event never moves a record
/// back, and of two decisions the later decision time wins (one without a time does not
/// replace one with a time).
pub fn supersedes(current: Option<&Record>, incoming: &Decision) -> bool {
    let Some(current) = current else {
        return true;
    };
    let (now, new) = (stage(&current.status), stage(&incoming.status));
    if new != 3 || now != 3 {
        return new > now;
    }
    let time = |t: Option<&str>| t.and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match (
        time(current.decision_time.as_deref()),
        time(incoming.decision_time.as_deref()),
    ) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(held), Some(came)) => came >= held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(status: SessionStatus, time: Option<&str>) -> Decision {
        Decision {
            status,
            code: None,
            reason: None,
            reason_code: None,
            decision_time: time.map(String::from),
            vendor_data: None,
        }
    }

    fn record(status: SessionStatus, time: Option<&str>) -> Record {
        let json = serde_json::json!({
            "id": 1, "created_at": "2026-01-01T00:00:00Z", "profile": "p", "base_url": "",
            "sandbox": false, "first_name": "", "last_name": "", "lang": "", "selfid": false,
            "callback": "", "vendor_data": "", "session_id": "s", "url": "", "host": null,
            "expires_at": "2026-01-08T00:00:00Z", "status": "created", "decision_code": null,
            "decision_reason": null, "decision_time": time, "checked_at": null,
            "check_error": null,
        });
        let mut r: Record = serde_json::from_value(json).unwrap();
        r.status = status;
        r
    }

    #[test]
    fn events_never_move_a_record_back() {
        use SessionStatus::*;
        let started = decision(Started, None);
        let submitted = decision(Submitted, None);
        assert!(supersedes(None, &started));
        assert!(supersedes(Some(&record(Created, None)), &started));
        assert!(supersedes(Some(&record(Started, None)), &submitted));
        assert!(!supersedes(Some(&record(Started, None)), &started));
        assert!(!supersedes(Some(&record(Submitted, None)), &started));
        assert!(!supersedes(
            Some(&record(Approved, Some("2026-01-01T10:00:00Z"))),
            &submitted
        ));
    }

    #[test]
    fn the_later_decision_wins() {
        use SessionStatus::*;
        let early = Some("2026-01-01T10:00:00Z");
        let late = Some("2026-01-01T11:00:00+00:00");
        assert!(supersedes(
            Some(&record(Submitted, None)),
            &decision(Declined, early)
        ));
        assert!(supersedes(
            Some(&record(ResubmissionRequested, early)),
            &decision(Approved, late)
        ));
        assert!(!supersedes(
            Some(&record(Approved, late)),
            &decision(ResubmissionRequested, early)
        ));
        assert!(!supersedes(
            Some(&record(Approved, late)),
            &decision(Declined, None)
        ));
        assert!(supersedes(
            Some(&record(Approved, None)),
            &decision(Declined, None)
        ));
    }

    #[test]
    fn events_and_decisions_are_read_and_others_refused() {
        let id = "f04bdb47-d3be-4b28-b028-a652feb060b5";
        let event = serde_json::json!({"id": id, "attemptId": "a1", "feature": "selfid",
            "code": 7002, "action": "submitted", "vendorData": "v", "endUserId": null});
        let w = parse(event.to_string().as_bytes()).unwrap();
        assert!(w.is_event);
        assert_eq!(w.decision.status, SessionStatus::Submitted);
        assert_eq!(w.decision.code, Some(7002));
        assert_eq!(w.attempt_id.as_deref(), Some("a1"));
        let decision = serde_json::json!({"status": "success", "verification": {"id": id,
            "attemptId": "a2", "status": "approved", "code": 9001, "reason": null,
            "decisionTime": "2026-01-01T10:00:00.000Z", "vendorData": "v",
            "person": {"firstName": "Anna", "lastName": "Smith"}}, "technicalData": {"ip": null}});
        let w = parse(decision.to_string().as_bytes()).unwrap();
        assert!(!w.is_event);
        assert_eq!(w.decision.status, SessionStatus::Approved);
        assert_eq!(
            (w.first_name.as_str(), w.last_name.as_str()),
            ("Anna", "Smith")
        );
        for bad in [
            "[]".to_string(),
            "{".to_string(),
            serde_json::json!({"id": "not-a-uuid", "action": "started"}).to_string(),
            serde_json::json!({"id": id, "action": "deleted"}).to_string(),
        ] {
            assert_eq!(parse(bad.as_bytes()).unwrap_err().status, 400, "{bad}");
        }
    }
}
