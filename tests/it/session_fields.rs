//! Every documented session field through the real binary against the sandbox on loopback:
//! each flag's value reaches the stored record and the exports as sent, the identifiers
//! are searchable, a bad value is refused before anything is sent and names its flag.

use crate::support;

use serde_json::Value;

const EXIT_USAGE: i32 = 2;

const ALL_FLAGS: &[&str] = &[
    "generate",
    "--first-name",
    "Anna",
    "--last-name",
    "Tamm",
    "--end-user-id",
    "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
    "--id-number",
    "38001085718",
    "--date-of-birth",
    "1980-01-08",
    "--gender",
    "female",
    "--email",
    "anna.tamm@example.com",
    "--phone",
    "+372 5555 1234",
    "--document-number",
    "AB1234567",
    "--document-type",
    "passport",
    "--document-country",
    "ee",
    "--address",
    "Narva mnt 5, Tallinn",
    "--consent",
    "ine",
    "--consent",
    "bipa",
];

fn history_json(env: &support::SandboxEnv, search: Option<&str>) -> Vec<Value> {
    let mut args = vec!["history", "--json", "-n", "0"];
    if let Some(s) = search {
        args.extend(["--search", s]);
    }
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "history --json failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn every_field_is_kept_as_sent_shown_in_exports_and_found_by_identifiers() {
    let env = support::SandboxEnv::new();
    let (code, out, err) = env.run(ALL_FLAGS);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(env.sandbox.base_url()), "{out}");

    // What arrived is exactly what the table says, and nothing is null.
    let sent: Value = serde_json::from_slice(&env.sandbox.last_create_body().unwrap()).unwrap();
    let v = &sent["verification"];
    assert_eq!(
        v["person"],
        serde_json::json!({"firstName": "Anna", "lastName": "Tamm", "idNumber": "38001085718",
            "phoneNumber": "+37255551234", "gender": "F", "dateOfBirth": "1980-01-08",
            "email": "anna.tamm@example.com"})
    );
    assert_eq!(
        v["document"],
        serde_json::json!({"number": "AB1234567", "type": "PASSPORT", "country": "EE"})
    );
    assert_eq!(
        v["address"],
        serde_json::json!({"fullAddress": "Narva mnt 5, Tallinn"})
    );
    assert_eq!(v["endUserId"], "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    assert_eq!(
        v["consents"],
        serde_json::json!([{"type": "ine", "approved": true}, {"type": "bipa", "approved": true}])
    );
    assert!(!sent.to_string().contains("null"), "{sent}");

    let rows = history_json(&env, None);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let extra = &rows[0]["extra"];
    let want = serde_json::json!({
        "end_user_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "id_number": "38001085718",
        "date_of_birth": "1980-01-08",
        "gender": "F",
        "email": "anna.tamm@example.com",
        "phone": "+37255551234",
        "document_number": "AB1234567",
        "document_type": "PASSPORT",
        "document_country": "EE",
        "address": "Narva mnt 5, Tallinn",
        "consents": "ine, bipa",
    });
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(&rows[0][key], value, "{key} in the export: {:?}", rows[0]);
    }
    assert!(extra.is_null(), "the export has flat columns: {extra:?}");

    for term in ["38001085718", "tamm@example", "3f2504e0"] {
        let found = history_json(&env, Some(term));
        assert_eq!(found.len(), 1, "{term}: {found:?}");
    }
    assert!(history_json(&env, Some("Tallinn")).is_empty());

    let (code, csv, err) = env.run(&["history", "--csv", "-n", "0"]);
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        let i = header.iter().position(|h| h == name).unwrap();
        row[i].to_string()
    };
    assert_eq!(cell("document_type"), "PASSPORT");
    assert_eq!(cell("email"), "anna.tamm@example.com");
    // A phone's leading + would start a formula in a spreadsheet.
    assert_eq!(cell("phone"), "'+37255551234");
}

#[test]
fn a_bad_value_names_its_flag_and_nothing_is_sent() {
    let env = support::SandboxEnv::new();
    for (flag, value, words) in [
        ("--end-user-id", "user-42", "UUID"),
        ("--date-of-birth", "2001-02-29", "real date"),
        ("--date-of-birth", "2999-01-01", "past"),
        ("--gender", "X", "M or F"),
        ("--email", "anna@", "email"),
        ("--phone", "+37 abc", "digits"),
        ("--document-number", "AB-123", "letters"),
        ("--document-type", "VISA", "PASSPORT"),
        ("--document-country", "XX", "ISO 3166-1"),
        ("--consent", "a b", "consent"),
        ("--id-number", "12\u{202e}34", "bidirectional"),
    ] {
        let (code, out, err) = env.run(&["generate", "--first-name", "Anna", flag, value]);
        assert_eq!(code, EXIT_USAGE, "{flag} {value}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(flag), "{flag}: {err}");
        assert!(err.contains(words), "{flag} {value}: {err}");
        assert!(!err.contains('\u{202e}'), "{err}");
    }
    assert_eq!(env.sandbox.create_requests(), 0);
}

/// `--print-curl` sends nothing; the command it prints, run by a shell with the key in
/// `$VERIFF_API_KEY`, creates the same session: the sandbox checks its signature over the
/// exact body, and every field arrives.
#[test]
fn print_curl_makes_the_same_request_when_run() {
    let env = support::SandboxEnv::new();
    // A quote in a value must survive the shell.
    let mut args: Vec<&str> = ALL_FLAGS
        .iter()
        .map(|a| if *a == "Tamm" { "O'Brien" } else { a })
        .collect();
    args.push("--print-curl");
    let (code, command, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Nothing was sent"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0);
    assert!(!command.contains(env.sandbox.api_key()), "{command}");
    assert!(!command.contains(env.sandbox.shared_secret()), "{command}");
    assert!(command.contains("X-HMAC-SIGNATURE: "), "{command}");

    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("VERIFF_API_KEY", env.sandbox.api_key())
        .output()
        .expect("sh and curl (.ci/run installs curl)");
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{answer}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(answer["status"], "success", "{answer}");
    assert_eq!(env.sandbox.create_requests(), 1);
    let sent = env
        .sandbox
        .last_create_body()
        .expect("the body the sandbox got");
    let sent: Value = serde_json::from_slice(&sent).unwrap();
    let v = &sent["verification"];
    assert_eq!(v["person"]["lastName"], "O'Brien");
    assert_eq!(v["person"]["gender"], "F");
    assert_eq!(v["document"]["type"], "PASSPORT");
    assert_eq!(v["consents"][1]["type"], "bipa");
}

/// `[profiles.NAME.defaults]` fills what the operator leaves empty; what is typed wins; a
/// default Veriff would refuse is a config error naming its key.
#[test]
fn a_profiles_defaults_fill_only_the_empty_fields() {
    let env = support::SandboxEnv::new();
    let profile = format!(
        "[profiles.sb]\nbase_url = \"{}\"\napi_key = \"{}\"\n\n[profiles.sb.defaults]\ndocument_country = \"ee\"\nemail = \"desk@example.com\"\nconsents = [\"ine\"]\n",
        env.sandbox.base_url(),
        env.sandbox.api_key()
    );
    std::fs::write(env.config_path(), &profile).unwrap();
    let no_env = [
        ("VERIFF_BASE_URL", ""),
        ("VERIFF_API_KEY", ""),
        ("VERIFF_SHARED_SECRET", ""),
    ];
    let (code, _, err) = env.run_with(
        &[
            "generate",
            "--first-name",
            "Anna",
            "--email",
            "anna@example.com",
        ],
        &no_env,
    );
    assert_eq!(code, 0, "{err}");
    let rows = history_json(&env, None);
    assert_eq!(rows[0]["document_country"], "EE", "{rows:?}");
    assert_eq!(rows[0]["email"], "anna@example.com", "typed wins: {rows:?}");
    assert_eq!(rows[0]["consents"], "ine");
    let sent: Value = serde_json::from_slice(&env.sandbox.last_create_body().unwrap()).unwrap();
    assert_eq!(sent["verification"]["document"]["country"], "EE");

    std::fs::write(
        env.config_path(),
        profile.replace("document_country = \"ee\"", "document_country = \"XX\""),
    )
    .unwrap();
    let (code, _, err) = env.run_with(&["generate", "--first-name", "Anna"], &no_env);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("profiles.sb.defaults.document_country"),
        "{err}"
    );
}
