//! Property tests for the parsers that read untrusted text: Veriff's answers (any bytes, and
//! JSON of any shape) and the config file. None may panic; nothing they return may carry a
//! control character to a terminal, an unsafe session URL, or a secret.
//!
//! Case counts are bounded so the whole file runs in a few seconds.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use veriff_tui::config::{EnvValues, Paths, parse_config_text, resolve};
use veriff_tui::veriff::ApiError;
use veriff_tui::veriff::response::{
    Scrub, is_unsafe_char, parse_created, parse_decision, parse_failure,
};

const KEY: &str = "5ec7e7ca-fe00-4bad-b00b-5ec2e7a11ce5";
const SECRET: &str = "shh-TOPSECRET-c0ffee-4711";

fn scrub() -> Scrub<'static> {
    Scrub::new([KEY, SECRET])
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// An error as the user sees it: plain one-line text, no secret in any case.
fn check_error(e: &ApiError) -> Result<(), TestCaseError> {
    for text in [e.to_string(), e.hint()] {
        prop_assert!(!has_control(&text), "control character in {text:?}");
        let lower = text.to_lowercase();
        prop_assert!(!lower.contains(KEY), "key in {text:?}");
        prop_assert!(
            !lower.contains(&SECRET.to_lowercase()),
            "secret in {text:?}"
        );
    }
    Ok(())
}

/// Strings an answer might hold: anything, URL-ish text with and without unsafe
/// characters, and the credentials themselves (a server may echo them).
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "https?://[a-z0-9]{1,10}\\.example(:[0-9]{2,5})?/v/[A-Za-z0-9._~-]{0,30}",
        "(https?|HTTPS|javascript|ftp|data|file):(//)?[a-z0-9.@:\\[\\]-]{0,16}(/[!-~]{0,20})?",
        "https://x\\.example/[a-z\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{200b}-\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}\\u{feff} ]{0,12}",
        Just(KEY.to_string()),
        Just(KEY.to_uppercase()),
        Just(format!("key {SECRET} echoed")),
        Just(format!("\u{1b}]52;c;{KEY}\u{7}")),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "status", "verification", "url", "id", "host", "baseUrl", "sessionToken",
            "vendorData", "code", "message", "error", "reason", "reasonCode", "decisionTime",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        nasty_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body shaped like Veriff's: `status`, `verification` with its usual fields (any types,
/// any values), and maybe `code`/`message`.
fn veriff_shaped_body() -> impl Strategy<Value = Vec<u8>> {
    let verification = prop_oneof![
        1 => json_value(),
        4 => prop::collection::vec((field_name(), json_value()), 0..8)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
    ];
    (
        prop::option::of(prop_oneof![
            Just(json!("success")),
            Just(json!("fail")),
            json_value()
        ]),
        prop::option::of(verification),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        any::<bool>(),
    )
        .prop_map(|(status, ver, code, message, cut)| {
            let mut obj = Map::new();
            if let Some(s) = status {
                obj.insert("status".into(), s);
            }
            if let Some(v) = ver {
                obj.insert("verification".into(), v);
            }
            if let Some(c) = code {
                obj.insert("code".into(), c);
            }
            if let Some(m) = message {
                obj.insert("message".into(), m);
            }
            let mut bytes = serde_json::to_vec(&Value::Object(obj)).unwrap();
            if cut {
                bytes.truncate(bytes.len() / 2);
            }
            bytes
        })
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(String::into_bytes),
        veriff_shaped_body(),
        veriff_shaped_body(),
    ]
}

fn check_created(status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    match parse_created(status, body, &scrub()) {
        Ok(f) => {
            prop_assert!(!f.url.chars().any(is_unsafe_char), "{:?}", f.url);
            prop_assert!(!f.url.chars().any(char::is_whitespace), "{:?}", f.url);
            let lower = f.url.to_ascii_lowercase();
            prop_assert!(
                lower.starts_with("http://") || lower.starts_with("https://"),
                "{:?}",
                f.url
            );
            let url = reqwest::Url::parse(&f.url).unwrap();
            prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            for s in [Some(&f.id), f.host.as_ref(), f.session_token.as_ref()]
                .into_iter()
                .flatten()
                .chain(f.vendor_data.as_ref())
                .chain(f.status.as_ref())
            {
                prop_assert!(!has_control(s), "{s:?}");
                prop_assert!(!s.to_lowercase().contains(KEY), "{s:?}");
            }
            prop_assert!(!f.id.is_empty());
        }
        Err(e) => check_error(&e)?,
    }
    Ok(())
}

fn check_decision(status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    match parse_decision(status, body, &scrub()) {
        Ok(Some(d)) => {
            for s in [&d.reason, &d.decision_time, &d.vendor_data]
                .into_iter()
                .flatten()
            {
                prop_assert!(!has_control(s), "{s:?}");
            }
            prop_assert!(!has_control(&d.status.label()));
        }
        Ok(None) => {}
        Err(e) => check_error(&e)?,
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(300) })]

    #[test]
    fn created_answers_of_any_bytes(status in 200u16..202, body in any_body()) {
        check_created(status, &body)?;
    }

    #[test]
    fn decision_answers_of_any_bytes(status in 200u16..202, body in any_body()) {
        check_decision(status, &body)?;
    }

    #[test]
    fn failures_of_any_status_and_bytes(
        status in 100u16..600,
        location in prop::option::of(nasty_string()),
        body in any_body(),
    ) {
        check_error(&parse_failure(status, location.as_deref(), &body, &scrub()))?;
    }

    /// Whatever `verification.url` holds, the parser either refuses it or returns a plain
    /// http(s) link.
    #[test]
    fn any_url_value_is_refused_or_safe(url in json_value(), id in nasty_string()) {
        let body = json!({"status": "success", "verification": {"id": id, "url": url}});
        check_created(201, &serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn any_url_string_is_refused_or_safe(url in nasty_string()) {
        let body = json!({"verification": {"id": "0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d", "url": url}});
        check_created(201, &serde_json::to_vec(&body).unwrap())?;
    }
}

// ---------------------------------------------------------------------------------------
// The config file.

const FILE: &str = "/etc/fuzz/config.toml";

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        // A basic string with TOML escapes for anything that needs one (control chars too).
        any::<String>().prop_map(|s| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }),
        "'[ -&(-~]{0,20}'",
        "\"(https?|ftp)://[a-z0-9.:]{0,12}(/[a-z]{0,6})?\"",
        "\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}\"",
        Just("[]".to_string()),
        Just("[1, \"a\"]".to_string()),
        Just("{ x = 1 }".to_string()),
        Just("\"auto\"".to_string()),
        Just("\"osc52\"".to_string()),
        "[ -~]{0,12}",
    ]
}

fn toml_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "default_profile",
        "lang",
        "selfid",
        "send_lang",
        "send_features",
        "send_timestamp",
        "timeout_secs",
        "clipboard",
        "mouse",
        "refresh_interval_secs",
        "base_url",
        "api_key",
        "shared_secret",
        "integration_id",
        "callback",
        "live",
        "form",
        "profiles",
        "unknown",
    ]);
    prop_oneof![
        2 => prop::sample::select(vec![
            "[form]", "[request]", "[ui]", "[profiles.p]", "[profiles.\"q r\"]", "[profiles]",
            "[[form]]", "[profiles.p.x]", "[other]",
        ])
        .prop_map(str::to_string),
        6 => (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => "[ -~]{0,30}",
        1 => any::<String>(),
    ]
}

/// How a secret is written: quoted either way, or bare (a syntax error around a secret).
fn secret_line() -> impl Strategy<Value = (String, String)> {
    (
        "[A-Za-z0-9_+/=.:-]{8,40}",
        prop::sample::select(vec!["api_key", "shared_secret", "\"api_key\""]),
        0..4usize,
    )
        .prop_map(|(secret, key, style)| {
            let line = match style {
                0 => format!("{key} = \"{secret}\""),
                1 => format!("{key} = '{secret}'"),
                2 => format!("{key} = {secret}"),
                _ => format!("  {key}=\"{secret}\"   # the key"),
            };
            (secret, line)
        })
}

fn check_config_message(msg: &str, secret: &str) -> Result<(), TestCaseError> {
    prop_assert!(!msg.contains(secret), "secret {secret:?} in {msg:?}");
    prop_assert!(!has_control(msg), "control character in {msg:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(800) })]

    #[test]
    fn config_text_of_anything_never_panics(text in any::<String>()) {
        if let Err(e) = parse_config_text(&text, Path::new(FILE)) {
            let msg = e.to_string();
            prop_assert!(msg.starts_with(FILE), "{msg}");
            prop_assert!(!has_control(&msg), "{msg:?}");
        }
    }

    /// TOML-shaped text with secrets in it: parsed, validated and resolved, no error ever
    /// repeats a secret.
    #[test]
    fn config_errors_never_repeat_a_secret(
        mut lines in prop::collection::vec(toml_line(), 0..14),
        (secret, secret_line) in secret_line(),
        at in any::<prop::sample::Index>(),
        profile in prop::option::of(prop::sample::select(vec!["p", "q r", "nope"])),
    ) {
        let pos = at.index(lines.len() + 1);
        lines.insert(pos, secret_line);
        let text = lines.join("\n");
        match parse_config_text(&text, Path::new(FILE)) {
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(FILE), "{msg}");
                check_config_message(&msg, &secret)?;
            }
            Ok(config) => {
                let paths = Paths::new(FILE.into(), "/tmp/fuzz-data".into());
                let env = EnvValues::default();
                match resolve(config, paths, true, env, profile) {
                    Err(e) => check_config_message(&e.to_string(), &secret)?,
                    Ok(settings) => {
                        // What `config check` prints.
                        check_config_message(&settings.describe().replace('\n', " "), &secret)?;
                        if let Err(e) = settings.endpoint() {
                            check_config_message(&e.to_string(), &secret)?;
                        }
                    }
                }
            }
        }
    }
}

/// The generators reach the interesting paths: some answers parse into a session and some
/// configs resolve to a profile, so the properties above are not vacuously true.
#[test]
fn generators_reach_success_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let urls = nasty_string();
    let mut created = 0;
    for _ in 0..300 {
        let url = urls.new_tree(&mut runner).unwrap().current();
        let body =
            json!({"verification": {"id": "0b7c8a51-2f1e-4d8a-9c3b-5e6f7a8b9c0d", "url": url}});
        created += parse_created(201, &serde_json::to_vec(&body).unwrap(), &scrub()).is_ok() as u32;
    }
    assert!(created >= 20, "only {created} of 300 URLs parsed");

    let lines = prop::collection::vec(toml_line(), 0..14);
    let mut parsed = 0;
    for _ in 0..300 {
        let text = lines.new_tree(&mut runner).unwrap().current().join("\n");
        parsed += parse_config_text(&text, Path::new(FILE)).is_ok() as u32;
    }
    assert!(parsed >= 10, "only {parsed} of 300 configs parsed");

    let bases = "(HTTPS?|https?|ftp)://[a-zA-Z0-9.:@\\[\\]%-]{0,20}(/[a-zA-Z0-9/%.é -]{0,20})?";
    let mut normalised = 0;
    for _ in 0..300 {
        let raw = bases.new_tree(&mut runner).unwrap().current();
        normalised += veriff_tui::veriff::normalize_base_url(&raw).is_ok() as u32;
    }
    assert!(
        normalised >= 20,
        "only {normalised} of 300 base URLs normalised"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(500) })]

    /// What a user types as base URL: never a panic; a result is a plain http(s) URL that
    /// normalises to itself.
    #[test]
    fn base_urls_normalise_or_are_refused(raw in prop_oneof![
        any::<String>(),
        "(HTTPS?|https?|ftp)://[a-zA-Z0-9.:@\\[\\]%-]{0,20}(/[a-zA-Z0-9/%.é -]{0,20})?(\\?[a-z=]{0,5})?(#[a-z]{0,5})?",
        nasty_string(),
    ]) {
        if let Ok(url) = veriff_tui::veriff::normalize_base_url(&raw) {
            prop_assert!(url.starts_with("http://") || url.starts_with("https://"), "{url}");
            prop_assert!(!url.chars().any(|c| c.is_control() || c.is_whitespace()), "{url:?}");
            prop_assert!(!url.ends_with('/'), "{url}");
            let again = veriff_tui::veriff::normalize_base_url(&url);
            prop_assert_eq!(again.as_deref(), Ok(url.as_str()));
        }
    }
}
