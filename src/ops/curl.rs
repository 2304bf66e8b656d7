//! "Copy as curl": the request that creates a session, as a curl command an integrator can
//! run to reproduce what the operator did. The body is the exact bytes `generate` sends
//! (one serialisation, `veriff::client::encode`), signed as it signs them; the API key is
//! left to the shell as `$VERIFF_API_KEY`, so the command can be pasted into a ticket.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::history::Record;
use crate::ops::generate::{Refused, Request};
use crate::veriff::{ApiError, CreateSessionRequest, SessionInput, client, sign};

/// The variable the command reads the API key from.
pub const API_KEY_VARIABLE: &str = "VERIFF_API_KEY";

/// Why there is no command to show.
#[derive(Debug, thiserror::Error)]
pub enum CurlError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Refused(String),
    #[error("a value cannot be written as a shell word: {0}")]
    Quote(String),
}

/// The command for `request`, with its body made at `now` (the legacy `timestamp`, when
/// sent, must be less than an hour old when the command runs).
pub fn for_request(request: &Request, now: DateTime<Utc>) -> Result<String, CurlError> {
    let body = CreateSessionRequest::from_input(&request.input, request.legacy, now);
    let bytes = client::encode(&body)?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|e| CurlError::Quote(format!("the body is not UTF-8: {e}")))?;
    let url = client::sessions_url(&request.endpoint.base_url)?;
    let q = |s: &str| -> Result<String, CurlError> { quote(s) };
    let mut lines = vec![
        format!("curl -sS -X POST {}", q(url.as_str())?),
        format!("  -H {}", q("Content-Type: application/json")?),
        // Double quotes: the shell puts the key in, so it is never in what is copied.
        format!("  -H \"X-AUTH-CLIENT: ${API_KEY_VARIABLE}\""),
    ];
    if let Some(secret) = request.endpoint.shared_secret.as_deref() {
        let signature = sign::signature(secret.trim(), &bytes);
        lines.push(format!(
            "  -H {}",
            q(&format!("X-HMAC-SIGNATURE: {signature}"))?
        ));
    }
    if let Some(id) = request.endpoint.integration_id.as_deref() {
        lines.push(format!("  -H {}", q(&format!("vrf-integration-id: {id}"))?));
    }
    lines.push(format!("  --data-raw {}", q(&text)?));
    Ok(lines.join(" \\\n"))
}

/// One POSIX shell word. Single quotes take everything literally, so the JSON body reads
/// as JSON (a quoting library picks double quotes and backslashes for a body holding `'`);
/// a single quote itself is closed, escaped and reopened. Refused: a NUL, which no shell
/// word can hold (the form never lets one in).
fn quote(s: &str) -> Result<String, CurlError> {
    if s.contains('\0') {
        return Err(CurlError::Quote("it holds a NUL character".into()));
    }
    Ok(format!("'{}'", s.replace('\'', "'\\''")))
}

/// The command that makes `record`'s request again, through the profile it was made under.
pub fn for_record(
    settings: &Settings,
    record: &Record,
    now: DateTime<Utc>,
) -> Result<String, CurlError> {
    let mut under = settings.clone();
    if record.profile != settings.profile_name {
        under.switch_profile(&record.profile).map_err(|_| {
            CurlError::Refused(format!(
                "the profile \"{}\" this record was made under is no longer configured",
                crate::text::sanitize(&record.profile)
            ))
        })?;
    }
    let input = SessionInput {
        first_name: record.first_name.clone(),
        last_name: record.last_name.clone(),
        lang: record.lang.clone(),
        selfid: record.selfid,
        callback: record.callback.clone(),
        vendor_data: record.vendor_data.clone(),
        extra: record.extra.clone(),
    };
    let request = Request::new(&under, input).map_err(|r| match r {
        Refused::Config(e) => CurlError::Refused(e.to_string()),
        Refused::Invalid(problems) => CurlError::Refused(format!(
            "the record's values would not be sent today: {}",
            problems
                .iter()
                .map(|(_, why)| why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    })?;
    for_request(&request, now)
}
