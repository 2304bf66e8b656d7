//! The end-user flow: the page a session URL opens, where the visitor picks the decision.
//! Everything shown that came from a request is HTML-escaped.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::Outcome;
use super::state::{Session, Shared};

const TEMPLATE: &str = include_str!("../../assets/flow.html");
/// Talks to Veriff's InContext SDK when the page is in its frame (`assets/flow.js`).
const SCRIPT: &str = include_str!("../../assets/flow.js");

/// Which page it is, for the script: the choice (`flow`), the page right after a choice
/// (`done`: submitted and finished), anything else (`other`: no events).
#[derive(Clone, Copy)]
enum Kind {
    Flow,
    Done,
    Other,
}

pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// `&`, `<`, `>`, `"` and `'` as entities: enough for text and quoted attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `content` must already be escaped HTML.
fn html(status: StatusCode, title: &str, content: &str) -> Response {
    page_of(Kind::Other, status, title, content)
}

fn page_of(kind: Kind, status: StatusCode, title: &str, content: &str) -> Response {
    let name = match kind {
        Kind::Flow => "flow",
        Kind::Done => "done",
        Kind::Other => "other",
    };
    let page = TEMPLATE
        .replacen("{{title}}", &escape_html(title), 1)
        .replacen("{{page}}", name, 1)
        .replacen("{{content}}", content, 1);
    let mut r = (status, page).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page needs nothing from anywhere: inline style, its own script, forms to itself.
    // Any page may frame it, as Veriff's flow is framed by the InContext SDK on a shop's
    // page; it holds no secret and acts only on a click inside it.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors *",
        ),
    );
    // The URL holds the session token: do not hand it to the callback site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn unknown_token() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Link not found",
        "<h1>This link is not known here</h1>\
         <p>This sandbox has no session for this link. Sandbox sessions live only as long as the \
         sandbox that created them, and at most 7 days, as Veriff's links: generate a new \
         link.</p>",
    )
}

fn display_name(s: &Session) -> String {
    let name = [s.first_name.as_deref(), s.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        "(no name given)".to_string()
    } else {
        name
    }
}

fn outcome_words(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Approved => ("Approved", "The verification was approved."),
        Outcome::Declined => ("Declined", "The verification was declined."),
        Outcome::ResubmissionRequested => (
            "Resubmission requested",
            "New data was requested: the same link can be used again.",
        ),
    }
}

pub(crate) async fn page(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let mut store = shared.store();
    let Some(session) = store.by_token_mut(&token) else {
        return unknown_token();
    };
    if shared.open(session) {
        shared.persist(&store);
    }
    let Some(session) = store.by_token_mut(&token) else {
        return unknown_token();
    };
    if !session.accepts_decision() {
        return result_page(session, Kind::Other);
    }
    let again = match &session.decision {
        Some(d) => format!(
            "<p class=\"muted\">{} Choose again.</p>",
            outcome_words(d.outcome).1
        ),
        None => String::new(),
    };
    let content = format!(
        "<h1>Verify {name}</h1>\
         <p>In a real Veriff flow this person would now show a document and their face. \
         Here you choose the decision the API will report.</p>{again}\
         <form method=\"post\" action=\"/v/{token}/decide\">\
         <button class=\"approve\" name=\"decision\" value=\"approve\">Approve</button>\
         <button class=\"decline\" name=\"decision\" value=\"decline\">Decline</button>\
         <button class=\"resubmit\" name=\"decision\" value=\"resubmit\">Resubmit</button>\
         <button type=\"button\" class=\"close\" id=\"close\" hidden>Close</button>\
         </form>\
         <p class=\"muted\">Session <code>{id}</code></p>",
        name = escape_html(&display_name(session)),
        token = escape_html(&session.token),
        id = escape_html(&session.id),
    );
    page_of(Kind::Flow, StatusCode::OK, "Verify", &content)
}

/// The form body is `decision=approve|decline|resubmit`; only fixed words are accepted, so
/// no percent-decoding is needed.
fn chosen(body: &[u8]) -> Option<Outcome> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&').find_map(|pair| match pair.split_once('=') {
        Some(("decision", "approve")) => Some(Outcome::Approved),
        Some(("decision", "decline")) => Some(Outcome::Declined),
        Some(("decision", "resubmit")) => Some(Outcome::ResubmissionRequested),
        _ => None,
    })
}

pub(crate) async fn decide(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let mut store = shared.store();
    let Some(session) = store.by_token_mut(&token) else {
        return unknown_token();
    };
    let Some(outcome) = chosen(&body) else {
        return html(
            StatusCode::BAD_REQUEST,
            "Choose a decision",
            &format!(
                "<h1>No decision chosen</h1><p>Go back and press Approve, Decline or \
                 Resubmit.</p><p><a href=\"/v/{}\">Back to the choice</a></p>",
                escape_html(&session.token)
            ),
        );
    };
    // A final decision stands, as on Veriff: the visitor just sees it again.
    let done = format!("/v/{}/done", session.token);
    if session.accepts_decision() {
        shared.choose(session, outcome);
        shared.persist(&store);
    }
    // Post/Redirect/Get: reloading the thank-you page does not post again.
    Redirect::to(&done).into_response()
}

pub(crate) async fn done(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let store = shared.store();
    let Some(id) = store.by_token_id(&token) else {
        return unknown_token();
    };
    match store.get(&id) {
        Some(session) if session.decision.is_some() => result_page(session, Kind::Done),
        Some(session) => Redirect::to(&format!("/v/{}", session.token)).into_response(),
        None => unknown_token(),
    }
}

fn result_page(session: &Session, kind: Kind) -> Response {
    let Some(d) = &session.decision else {
        return unknown_token();
    };
    let (title, sentence) = outcome_words(d.outcome);
    let reason = match d.outcome.reason() {
        Some((code, text)) => format!("<p>Reason {code}: {}</p>", escape_html(text)),
        None => String::new(),
    };
    // The callback is https by construction (the API rejects anything else).
    let again = if d.outcome.is_final() {
        String::new()
    } else {
        format!(
            "<p><a href=\"/v/{}\">Go through the flow again</a></p>",
            escape_html(&session.token)
        )
    };
    let back = match &session.callback {
        Some(url) => format!(
            "<p><a class=\"button\" href=\"{}\">Continue</a></p>",
            escape_html(url)
        ),
        None => "<p class=\"muted\">You can close this page.</p>".to_string(),
    };
    let content = format!(
        "<h1>Thank you, {name}</h1>\
         <div class=\"result {status}\"><strong>{title}</strong>{sentence}{reason}</div>\
         <p class=\"muted\">The API now reports <code>{status}</code> for session \
         <code>{id}</code>.</p>{again}{back}",
        name = escape_html(&display_name(session)),
        status = d.outcome.status(),
        id = escape_html(&session.id),
    );
    page_of(kind, StatusCode::OK, title, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn reads_the_chosen_button() {
        assert_eq!(chosen(b"decision=approve"), Some(Outcome::Approved));
        assert_eq!(chosen(b"x=1&decision=decline"), Some(Outcome::Declined));
        assert_eq!(
            chosen(b"decision=resubmit"),
            Some(Outcome::ResubmissionRequested)
        );
        assert_eq!(chosen(b"decision=maybe"), None);
        assert_eq!(chosen(b"\xff"), None);
    }
}
