//! `inspect` through the real binary against the sandbox on loopback: each part shown, each
//! part's error in its own place, the inspection kept with the record, media saved only
//! where asked and privately.

use crate::support;

use serde_json::Value;
use veriff_tui::sandbox::Outcome;

const EXIT_LOCAL: i32 = 1;
const EXIT_API: i32 = 3;

/// Generates a session for `first` and returns its id.
fn generate(env: &support::SandboxEnv, first: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "generate",
        "--first-name",
        first,
        "--last-name",
        "Tamm",
        "--json",
    ];
    args.extend(extra);
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    let record: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    record["session_id"].as_str().unwrap().to_string()
}

fn inspect_json(env: &support::SandboxEnv, id: &str) -> Value {
    let (code, out, err) = env.run(&["inspect", id, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn an_approved_session_shows_every_part_and_is_kept_for_offline_details() {
    let env = support::SandboxEnv::new();
    let id = generate(
        &env,
        "Anna",
        &["--id-number", "47101010033", "--document-country", "LT"],
    );
    assert!(env.sandbox.decide(&id, Outcome::ResubmissionRequested));
    assert!(env.sandbox.decide(&id, Outcome::Approved));

    // A unique prefix is enough, as for `decision`.
    let i = inspect_json(&env, &id[..8]);
    assert_eq!(i["session_id"], id.as_str());
    assert_eq!(i["decision"]["ok"]["status"], "approved", "{i}");
    let person = &i["person"]["ok"];
    assert_eq!(person["first_name"], "Anna");
    assert_eq!(person["id_code"], "47101010033", "the id number sent: {i}");
    assert_eq!(person["nationality"], "LT");
    let attempts = i["attempts"]["ok"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "a resubmission adds an attempt: {i}");
    assert_eq!(attempts[0]["status"], "resubmission_requested");
    let media = i["media"]["ok"].as_array().unwrap();
    assert_eq!(media.len(), 4, "{i}");
    assert_eq!(i["watchlist_screening"]["ok"]["match_status"], "no_match");

    // The text form names each part.
    let (code, text, err) = env.run(&["inspect", &id]);
    assert_eq!(code, 0, "{err}");
    for part in ["Decision", "Person", "Attempts", "Media", "Watchlist"] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert!(text.contains("approved (9001)"), "{text}");

    // The decision reached the record; the inspection is kept beside it, with its time.
    let store = veriff_tui::history::Store::open(&env.history_db()).unwrap();
    let record = store.find_by_session_id(&id).unwrap().unwrap();
    assert_eq!(record.status.as_str(), "approved");
    let kept = store.inspection(record.id).unwrap().expect("kept");
    assert_eq!(kept.session_id, id);
    assert!(kept.media.ok().is_some_and(|m| m.len() == 4));
}

#[test]
fn each_part_says_its_own_error() {
    let env = support::SandboxEnv::new();
    let id = generate(&env, "Approve", &[]);
    env.sandbox.set_watchlist_screening(false);
    let i = inspect_json(&env, &id);
    let error = i["watchlist_screening"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("not enabled"), "{i}");
    assert_eq!(i["decision"]["ok"]["status"], "approved", "{i}");
    assert!(i["person"]["ok"].is_object(), "{i}");

    let (code, text, err) = env.run(&["inspect", &id]);
    assert_eq!(
        code, 0,
        "one part failing is not the command failing: {err}"
    );
    let line = text.lines().find(|l| l.starts_with("Watchlist")).unwrap();
    assert!(
        line.contains("error:") && line.contains("not enabled"),
        "{text}"
    );

    // An undecided session: no person yet, no attempts, no media.
    let fresh = generate(&env, "Mari", &[]);
    let i = inspect_json(&env, &fresh);
    assert!(i["decision"]["ok"].is_null(), "{i}");
    assert!(i["person"]["ok"]["id_code"].is_null(), "{i}");
    assert_eq!(i["attempts"]["ok"].as_array().unwrap().len(), 0);
    assert_eq!(i["media"]["ok"].as_array().unwrap().len(), 0);

    // A session nobody made: every part fails, and so does the command.
    let (code, _, err) = env.run(&["inspect", "00000000-0000-4000-8000-000000000000"]);
    assert_eq!(code, EXIT_API, "{err}");
    assert!(err.contains("nothing could be fetched"), "{err}");
}

#[test]
fn a_media_file_is_saved_only_where_asked_and_privately() {
    let env = support::SandboxEnv::new();
    let id = generate(&env, "Approve", &[]);
    let i = inspect_json(&env, &id);
    let media_id = i["media"]["ok"][0]["id"].as_str().unwrap().to_string();
    let before = std::fs::read_dir(env.data_dir()).unwrap().count();

    let out = env.path("front.png");
    let out_text = out.display().to_string();
    let (code, _, err) = env.run(&["inspect", &id, "--media", &media_id, "--out", &out_text]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG image");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Nothing else was written: no copy in the data dir.
    assert_eq!(std::fs::read_dir(env.data_dir()).unwrap().count(), before);

    // Never over an existing file.
    let (code, _, err) = env.run(&["inspect", &id, "--media", &media_id, "--out", &out_text]);
    assert_eq!(code, EXIT_LOCAL, "{err}");
    assert!(err.contains("new file"), "{err}");
    // A media id that is a path goes nowhere.
    let (code, _, err) = env.run(&[
        "inspect",
        &id,
        "--media",
        "../sessions/x",
        "--out",
        &env.path("x.png").display().to_string(),
    ]);
    assert_ne!(code, 0, "{err}");
    assert!(!env.path("x.png").exists());
}
