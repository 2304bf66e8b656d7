//! The sandbox against a plain HTTP client: every validation rule, the flow page, decisions,
//! the test knobs (faults, delay, counters) and shutdown on drop.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use veriff_tui::sandbox::{
    Fault, Outcome, SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, Sandbox, SandboxOptions,
};
use veriff_tui::veriff::sign::signature;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxOptions::default()).await.unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// POSTs `body` as is, with the sandbox key and optionally a signature header.
async fn post_raw(
    sb: &Sandbox,
    key: Option<&str>,
    sig: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut req = http()
        .post(format!("{}/v1/sessions", sb.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        req = req.header("x-auth-client", key);
    }
    if let Some(sig) = sig {
        req = req.header("x-hmac-signature", sig);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

async fn create(sb: &Sandbox, verification: Value) -> (StatusCode, Value) {
    let body = json!({ "verification": verification }).to_string();
    post_raw(sb, Some(SANDBOX_API_KEY), None, &body).await
}

async fn created_id(sb: &Sandbox, verification: Value) -> (String, String) {
    let (status, v) = create(sb, verification).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    (
        v["verification"]["id"].as_str().unwrap().to_string(),
        v["verification"]["url"].as_str().unwrap().to_string(),
    )
}

fn assert_fail(got: (StatusCode, Value), status: StatusCode, code: u64) {
    let (s, v) = got;
    assert_eq!(s, status, "{v}");
    assert_eq!(v["status"], "fail", "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
}

async fn get_decision(
    sb: &Sandbox,
    id: &str,
    key: Option<&str>,
    sig: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = http().get(format!("{}/v1/sessions/{id}/decision", sb.base_url()));
    if let Some(key) = key {
        req = req.header("x-auth-client", key);
    }
    if let Some(sig) = sig {
        req = req.header("x-hmac-signature", sig);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn decision(sb: &Sandbox, id: &str) -> Value {
    let sig = signature(SANDBOX_SHARED_SECRET, id.as_bytes());
    let (status, v) = get_decision(sb, id, Some(SANDBOX_API_KEY), Some(&sig)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "success");
    v
}

const OTHER_UUID: &str = "11111111-2222-4333-8444-555555555555";

#[tokio::test]
async fn api_key_errors() {
    let sb = sandbox().await;
    let body = r#"{"verification":{}}"#;
    assert_fail(
        post_raw(&sb, None, None, body).await,
        StatusCode::UNAUTHORIZED,
        1801,
    );
    assert_fail(
        post_raw(&sb, Some("not-a-uuid"), None, body).await,
        StatusCode::UNAUTHORIZED,
        1802,
    );
    assert_fail(
        post_raw(&sb, Some(OTHER_UUID), None, body).await,
        StatusCode::UNAUTHORIZED,
        1803,
    );
    assert_eq!(sb.session_count(), 0);
    assert_eq!(sb.create_requests(), 3);
}

#[tokio::test]
async fn body_errors() {
    let sb = sandbox().await;
    let key = Some(SANDBOX_API_KEY);
    for body in ["not json", "{}", r#"{"verification":"x"}"#, ""] {
        assert_fail(
            post_raw(&sb, key, None, body).await,
            StatusCode::BAD_REQUEST,
            1102,
        );
    }
    // Plain http only to this machine: a sandbox demo's callback may be local, nothing else.
    for callback in [
        "http://example.com/cb",
        "http://127.0.0.1.example.com/cb",
        "ftp://x.y",
    ] {
        assert_fail(
            create(&sb, json!({ "callback": callback })).await,
            StatusCode::BAD_REQUEST,
            1302,
        );
    }
    for callback in ["http://127.0.0.1:9/cb", "http://localhost/cb"] {
        let (status, v) = create(&sb, json!({ "callback": callback })).await;
        assert_eq!(status, StatusCode::CREATED, "{callback}: {v}");
    }
    assert_fail(
        create(&sb, json!({ "vendorData": "é".repeat(1001) })).await,
        StatusCode::BAD_REQUEST,
        1500,
    );
    // 1000 characters (2000 bytes) is still fine: the limit counts characters.
    let (status, v) = create(&sb, json!({ "vendorData": "é".repeat(1000) })).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_fail(
        create(&sb, json!({ "vendorData": 42 })).await,
        StatusCode::BAD_REQUEST,
        1501,
    );
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    assert_fail(
        create(&sb, json!({ "timestamp": two_hours_ago })).await,
        StatusCode::BAD_REQUEST,
        1201,
    );
    assert_fail(
        create(&sb, json!({ "timestamp": "yesterday" })).await,
        StatusCode::BAD_REQUEST,
        1202,
    );
    let fresh = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (status, v) = create(&sb, json!({ "timestamp": fresh })).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(sb.session_count(), 4);
}

/// Every documented session field is checked as the client checks it, with Veriff's code
/// for a bad one; a null is refused (the client leaves an empty field out); good ones are
/// kept and given back by the person endpoint once decided.
#[tokio::test]
async fn every_extra_field_is_checked_and_nulls_refused() {
    let sb = sandbox().await;
    for (bad, code) in [
        (json!({"endUserId": "user-42"}), 1104),
        (json!({"person": {"dateOfBirth": "2001-02-29"}}), 1203),
        (json!({"person": {"dateOfBirth": "2999-01-01"}}), 1203),
        (json!({"person": {"gender": "X"}}), 1104),
        (json!({"person": {"email": "anna@"}}), 1104),
        (json!({"person": {"phoneNumber": "+37 abc"}}), 1104),
        (json!({"person": {"idNumber": null}}), 1104),
        (json!({"document": {"number": "AB-123"}}), 1104),
        (json!({"document": {"type": "VISA"}}), 1104),
        (json!({"document": {"country": "XX"}}), 1104),
        (json!({"document": "PASSPORT"}), 1104),
        (json!({"address": {"fullAddress": null}}), 1104),
        (json!({"consents": [{"type": "ine"}]}), 1104),
        (json!({"consents": "ine"}), 1104),
    ] {
        let got = create(&sb, bad.clone()).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{bad}: {:?}", got.1);
        assert_eq!(got.1["code"], code, "{bad}: {:?}", got.1);
    }
    assert_eq!(sb.session_count(), 0);
    let (status, v) = create(
        &sb,
        json!({
            "person": {"firstName": "Anna", "idNumber": "38001085718", "gender": "FEMALE",
                "dateOfBirth": "1980-01-08", "email": "anna@example.com", "phoneNumber": "+3725551234"},
            "document": {"number": "AB1234567", "type": "PASSPORT", "country": "EE"},
            "address": {"fullAddress": "Narva mnt 5"},
            "endUserId": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "consents": [{"type": "ine", "approved": true}],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn body_signature_is_checked_when_sent() {
    let sb = sandbox().await;
    let key = Some(SANDBOX_API_KEY);
    let body = r#"{"verification":{"person":{"firstName":"John","lastName":"Smith"}}}"#;
    assert_fail(
        post_raw(&sb, key, Some("abc"), body).await,
        StatusCode::UNAUTHORIZED,
        1812,
    );
    let other = signature(SANDBOX_SHARED_SECRET, b"{\"verification\":{}}");
    assert_fail(
        post_raw(&sb, key, Some(&other), body).await,
        StatusCode::UNAUTHORIZED,
        1819,
    );
    let wrong_secret = signature("not-the-secret", body.as_bytes());
    assert_fail(
        post_raw(&sb, key, Some(&wrong_secret), body).await,
        StatusCode::UNAUTHORIZED,
        1819,
    );
    let right = signature(SANDBOX_SHARED_SECRET, body.as_bytes());
    let (status, v) = post_raw(&sb, key, Some(&right.to_uppercase()), body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(sb.session_count(), 1);
}

#[tokio::test]
async fn success_shape_and_token() {
    let sb = sandbox().await;
    let before = chrono::Utc::now().timestamp();
    let (status, v) = create(
        &sb,
        json!({
            "person": {"firstName": "John", "lastName": "Smith"},
            "vendorData": "order-17",
            "lang": "en",
            "features": ["selfid"],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "success");
    let ver = &v["verification"];
    let id = ver["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    assert_eq!(ver["status"], "created");
    assert_eq!(ver["vendorData"], "order-17");
    assert_eq!(ver["host"], sb.base_url());
    let token = ver["sessionToken"].as_str().unwrap();
    assert_eq!(
        ver["url"].as_str().unwrap(),
        format!("{}/v/{token}", sb.base_url())
    );

    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(!token.contains('='));
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["session_id"], id);
    let iat = payload["iat"].as_i64().unwrap();
    assert!(iat >= before && iat <= chrono::Utc::now().timestamp());
    assert_eq!(payload["exp"].as_i64().unwrap(), iat + 7 * 24 * 3600);
    assert!(payload["vid"].is_string());
    let expected = signature(
        SANDBOX_SHARED_SECRET,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
    );
    assert_eq!(
        hex::encode(URL_SAFE_NO_PAD.decode(parts[2]).unwrap()),
        expected
    );

    // No vendorData: null, not missing.
    let (_, v) = create(&sb, json!({})).await;
    assert!(v["verification"]["vendorData"].is_null());
    assert!(
        v["verification"]
            .as_object()
            .unwrap()
            .contains_key("vendorData")
    );

    // A trailing slash is tolerated.
    let resp = http()
        .post(format!("{}/v1/sessions/", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .body(r#"{"verification":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    // A doubled /v1 (a common base URL mistake) is a 404.
    let resp = http()
        .post(format!("{}/v1/v1/sessions", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .body(r#"{"verification":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn flow_page_escapes_the_name_and_approve_decides() {
    let sb = sandbox().await;
    let (id, url) = created_id(
        &sb,
        json!({
            "person": {"firstName": "<script>alert(1)</script>", "lastName": "O'Brien & Co"},
            "callback": "https://example.com/back?a=1&b=2",
            "vendorData": "v-1",
        }),
    )
    .await;
    assert_eq!(sb.session_status(&id), Some("created"));
    assert!(decision(&sb, &id).await["verification"].is_null());

    let resp = http().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = resp.text().await.unwrap();
    assert!(page.contains("veriff-tui sandbox"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; Co"));
    assert!(!page.contains("<script>"));
    for button in ["Approve", "Decline", "Resubmit"] {
        assert!(page.contains(&format!(">{button}</button>")), "{button}");
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
    assert_eq!(sb.session_status(&id), Some("started"));
    // Opening the page is not a decision.
    assert!(decision(&sb, &id).await["verification"].is_null());

    let resp = http()
        .post(format!("{url}/decide"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.url().path().ends_with("/done"));
    let thanks = resp.text().await.unwrap();
    assert!(thanks.contains("Approved"));
    assert!(thanks.contains("href=\"https://example.com/back?a=1&amp;b=2\""));

    let v = decision(&sb, &id).await;
    let ver = &v["verification"];
    assert_eq!(ver["id"], id.as_str());
    assert_eq!(ver["status"], "approved");
    assert_eq!(ver["code"], 9001);
    assert!(ver["reason"].is_null() && ver["reasonCode"].is_null());
    assert_eq!(ver["vendorData"], "v-1");
    assert!(ver["endUserId"].is_null());
    assert_eq!(ver["person"]["firstName"], "<script>alert(1)</script>");
    assert_eq!(ver["person"]["lastName"], "O'Brien & Co");
    assert!(uuid::Uuid::parse_str(ver["attemptId"].as_str().unwrap()).is_ok());
    for field in ["decisionTime", "acceptanceTime"] {
        chrono::DateTime::parse_from_rfc3339(ver[field].as_str().unwrap()).unwrap();
    }
    assert!(v["technicalData"].as_object().unwrap().contains_key("ip"));

    // Approved is final: a later Decline on the same link changes nothing.
    let resp = http()
        .post(format!("{url}/decide"))
        .body("decision=decline")
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("Approved"));
    assert_eq!(
        decision(&sb, &id).await["verification"]["status"],
        "approved"
    );
}

#[tokio::test]
async fn resubmission_lets_the_link_be_used_again() {
    let sb = sandbox().await;
    let (id, url) = created_id(&sb, json!({"person": {"firstName": "Ann"}})).await;
    let decide = |choice: &'static str| {
        let url = url.clone();
        async move {
            http()
                .post(format!("{url}/decide"))
                .body(format!("decision={choice}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let thanks = decide("resubmit").await;
    assert!(thanks.contains("Resubmission requested"));
    assert!(thanks.contains("Go through the flow again"));
    let v = decision(&sb, &id).await;
    assert_eq!(v["verification"]["status"], "resubmission_requested");
    assert_eq!(v["verification"]["code"], 9103);
    let page = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(">Approve</button>"));
    let thanks = decide("decline").await;
    assert!(thanks.contains("Declined") && !thanks.contains("Go through the flow again"));
    let v = decision(&sb, &id).await;
    assert_eq!(v["verification"]["status"], "declined");
    assert_eq!(v["verification"]["reasonCode"], 102);
    // No callback: no link away.
    assert!(!decide("approve").await.contains("href=\"https"));
}

#[tokio::test]
async fn unknown_links_get_a_friendly_404() {
    let sb = sandbox().await;
    let resp = http()
        .get(format!("{}/v/no.such.token", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.text().await.unwrap().contains("not known"));
    let resp = http()
        .post(format!("{}/v/no.such.token/decide", sb.base_url()))
        .body("decision=approve")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn decision_checks_key_and_signature() {
    let sb = sandbox().await;
    let (id, _) = created_id(&sb, json!({})).await;
    let sig = signature(SANDBOX_SHARED_SECRET, id.as_bytes());
    let key = Some(SANDBOX_API_KEY);
    assert_fail(
        get_decision(&sb, &id, None, Some(&sig)).await,
        StatusCode::UNAUTHORIZED,
        1801,
    );
    assert_fail(
        get_decision(&sb, &id, Some("nope"), Some(&sig)).await,
        StatusCode::UNAUTHORIZED,
        1802,
    );
    assert_fail(
        get_decision(&sb, &id, Some(OTHER_UUID), Some(&sig)).await,
        StatusCode::UNAUTHORIZED,
        1803,
    );
    assert_fail(
        get_decision(&sb, &id, key, None).await,
        StatusCode::UNAUTHORIZED,
        1818,
    );
    assert_fail(
        get_decision(&sb, &id, key, Some("xyz")).await,
        StatusCode::UNAUTHORIZED,
        1812,
    );
    let of_other = signature(SANDBOX_SHARED_SECRET, OTHER_UUID.as_bytes());
    assert_fail(
        get_decision(&sb, &id, key, Some(&of_other)).await,
        StatusCode::UNAUTHORIZED,
        1818,
    );
    // A well-signed request for an id this sandbox never made.
    let (status, v) = get_decision(&sb, OTHER_UUID, key, Some(&of_other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["status"], "fail");
    let (status, v) = get_decision(&sb, &id, key, Some(&sig)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["verification"].is_null());
    assert_eq!(sb.decision_requests(), 8);
}

#[tokio::test]
async fn first_name_presets_decide_at_once() {
    let sb = sandbox().await;
    let cases = [
        ("Approve", "approved", 9001, None),
        ("decline", "declined", 9102, Some(102)),
        ("RESUBMIT", "resubmission_requested", 9103, Some(201)),
    ];
    for (name, status, code, reason_code) in cases {
        let (id, _) = created_id(
            &sb,
            json!({"person": {"firstName": name, "lastName": "Test"}}),
        )
        .await;
        let v = decision(&sb, &id).await;
        let ver = &v["verification"];
        assert_eq!(ver["status"], status, "{name}");
        assert_eq!(ver["code"], code, "{name}");
        match reason_code {
            Some(rc) => {
                assert_eq!(ver["reasonCode"], rc, "{name}");
                assert!(ver["reason"].is_string(), "{name}");
            }
            None => assert!(ver["reason"].is_null(), "{name}"),
        }
        assert_eq!(sb.session_status(&id), Some(status));
    }
    let (id, _) = created_id(&sb, json!({"person": {"firstName": "Approver"}})).await;
    assert!(decision(&sb, &id).await["verification"].is_null());
    // The programmatic decision used by tests elsewhere.
    assert!(sb.decide(&id, Outcome::Declined));
    assert_eq!(
        decision(&sb, &id).await["verification"]["status"],
        "declined"
    );
    assert!(!sb.decide(&id, Outcome::Approved));
    assert!(!sb.decide(OTHER_UUID, Outcome::Approved));
}

#[tokio::test]
async fn decision_delay_and_peak_concurrency() {
    let sb = Sandbox::start(SandboxOptions {
        decision_delay: Some(Duration::from_millis(1500)),
        ..Default::default()
    })
    .await
    .unwrap();
    let (id, _) = created_id(&sb, json!({})).await;
    assert_eq!(sb.peak_decisions_in_flight(), 0);
    let client = http();
    let sig = signature(SANDBOX_SHARED_SECRET, id.as_bytes());
    let started = Instant::now();
    let requests = (0..8).map(|_| {
        client
            .get(format!("{}/v1/sessions/{id}/decision", sb.base_url()))
            .header("x-auth-client", SANDBOX_API_KEY)
            .header("x-hmac-signature", &sig)
            .send()
    });
    for resp in futures_util::future::join_all(requests).await {
        assert_eq!(resp.unwrap().status(), StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(sb.decision_requests(), 8);
    assert_eq!(sb.peak_decisions_in_flight(), 8);

    // One after another, the peak is 1.
    sb.reset_counters();
    sb.set_decision_delay(Some(Duration::from_millis(10)));
    for _ in 0..3 {
        decision(&sb, &id).await;
    }
    assert_eq!(sb.decision_requests(), 3);
    assert_eq!(sb.peak_decisions_in_flight(), 1);
}

#[tokio::test]
async fn faults_can_be_switched_at_runtime() {
    let sb = sandbox().await;
    let body = r#"{"verification":{"person":{"firstName":"John"}}}"#;
    let send = || {
        http()
            .post(format!("{}/v1/sessions", sb.base_url()))
            .header("x-auth-client", SANDBOX_API_KEY)
            .body(body)
            .send()
    };

    sb.set_fault(Some(Fault::Status500));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);

    sb.set_fault(Some(Fault::Html502));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(resp.text().await.unwrap().starts_with("<html>"));

    sb.set_fault(Some(Fault::TooMany429));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));

    sb.set_fault(Some(Fault::TruncatedJson));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    sb.set_fault(Some(Fault::ResetMidBody));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.bytes().await.is_err());

    sb.set_fault(Some(Fault::Huge));
    let resp = send().await.unwrap();
    assert!(resp.content_length().is_none());
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.len() > 1024 * 1024);
    serde_json::from_slice::<Value>(&bytes).unwrap();

    sb.set_fault(Some(Fault::MissingUrl));
    let v: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "success");
    assert!(v["verification"]["id"].is_string());
    assert!(v["verification"].get("url").is_none());

    sb.set_fault(Some(Fault::UrlWithEscape));
    let v: Value = send().await.unwrap().json().await.unwrap();
    assert!(
        v["verification"]["url"]
            .as_str()
            .unwrap()
            .contains("\u{1b}]52;")
    );

    sb.set_fault(Some(Fault::NonHttpUrl));
    let v: Value = send().await.unwrap().json().await.unwrap();
    assert!(
        v["verification"]["url"]
            .as_str()
            .unwrap()
            .starts_with("javascript:")
    );

    sb.set_fault(Some(Fault::NonUtf8));
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(String::from_utf8(resp.bytes().await.unwrap().to_vec()).is_err());

    sb.set_fault(Some(Fault::Delay(Duration::from_secs(5))));
    let err = http()
        .post(format!("{}/v1/sessions", sb.base_url()))
        .header("x-auth-client", SANDBOX_API_KEY)
        .body(body)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());

    sb.set_fault(None);
    let resp = send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Every request was counted, faulted or not; the client never sees a retry here.
    assert_eq!(sb.create_requests(), 12);
}

#[tokio::test]
async fn fault_from_options() {
    let sb = Sandbox::start(SandboxOptions {
        fault: Some(Fault::Status500),
        ..Default::default()
    })
    .await
    .unwrap();
    let (status, v) = create(&sb, json!({})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v["status"], "fail");
}

#[tokio::test]
async fn stops_when_dropped() {
    let sb = sandbox().await;
    let addr = sb.addr();
    assert!(sb.base_url().starts_with("http://127.0.0.1:"));
    tokio::net::TcpStream::connect(addr).await.unwrap();
    drop(sb);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            // Queued by the kernel just as the listener closed: reset, not served. The next
            // attempt finds no listener.
            Err(e)
                if e.kind() == std::io::ErrorKind::ConnectionReset && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
                break;
            }
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(_) => panic!("the sandbox still accepts connections 10 s after being dropped"),
        }
    }
}

#[tokio::test]
async fn shutdown_waits_until_gone() {
    let sb = sandbox().await;
    let addr = sb.addr();
    sb.shutdown().await;
    let err = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn busy_port_is_explained() {
    let sb = sandbox().await;
    let err = Sandbox::start(SandboxOptions {
        port: sb.addr().port(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn a_public_url_is_the_base_of_session_links_and_the_api_stays_local() {
    let sb = Sandbox::start(SandboxOptions {
        listen: Some("0.0.0.0".parse().unwrap()),
        public_url: Some("http://192.0.2.7:8780/".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    // The API is reached on loopback even when listening on every address.
    assert!(
        sb.base_url().starts_with("http://127.0.0.1:"),
        "{}",
        sb.base_url()
    );
    assert_eq!(sb.public_url(), "http://192.0.2.7:8780");
    let (id, url) = created_id(&sb, json!({})).await;
    assert!(url.starts_with("http://192.0.2.7:8780/v/"), "{url}");
    // The flow page answers on the listen address under the same path.
    let path = url.trim_start_matches("http://192.0.2.7:8780");
    let local = format!("{}{path}", sb.base_url());
    let resp = http().get(&local).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sb.session_status(&id), Some("started"));

    // Without a public URL the links use the listen address.
    let sb = sandbox().await;
    let (_, url) = created_id(&sb, json!({})).await;
    assert!(url.starts_with(&format!("{}/v/", sb.base_url())), "{url}");

    for bad in [
        "ftp://x",
        "192.0.2.7:8780",
        "http://",
        "http://a b",
        "http://192.0.2.7:80@evil.example/",
        "http://192.0.2.7/?x=1",
    ] {
        let err = Sandbox::start(SandboxOptions {
            public_url: Some(bad.into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("public URL"), "{bad}: {err}");
    }
}

#[tokio::test]
async fn with_a_state_file_a_restarted_sandbox_serves_its_links_and_knows_their_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox-state.json");
    let options = || SandboxOptions {
        state_file: Some(state.clone()),
        ..Default::default()
    };
    let sb = Sandbox::start(options()).await.unwrap();
    let (open_id, open_url) = created_id(&sb, json!({"person": {"firstName": "John"}})).await;
    let (decided_id, _) = created_id(&sb, json!({"person": {"firstName": "Decline"}})).await;
    sb.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    // Started again (another port here; `veriff-tui sandbox` keeps one file per port).
    let sb = Sandbox::start(options()).await.unwrap();
    assert_eq!(sb.session_count(), 2);
    assert_eq!(
        decision(&sb, &decided_id).await["verification"]["status"],
        "declined"
    );
    assert_eq!(decision(&sb, &open_id).await["verification"], Value::Null);
    // The link's path opens the flow page, and a choice made there is kept in turn.
    let path = &open_url[open_url.find("/v/").unwrap()..];
    let page = format!("{}{path}", sb.base_url());
    let resp = http().get(&page).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(sb.decide(&open_id, Outcome::Approved));
    sb.shutdown().await;
    let sb = Sandbox::start(options()).await.unwrap();
    assert_eq!(sb.session_status(&open_id), Some("approved"));

    // Without a state file nothing is kept.
    let plain = sandbox().await;
    assert_eq!(plain.session_count(), 0);

    // A file the sandbox did not write stops it with words saying which and what to do.
    drop(sb);
    std::fs::write(&state, "not json").unwrap();
    let err = Sandbox::start(options()).await.unwrap_err().to_string();
    assert!(
        err.contains("sandbox-state.json") && err.contains("move it away or delete it"),
        "{err}"
    );
}

#[tokio::test]
async fn oversized_requests_and_names_are_refused_and_keep_nothing() {
    let sb = sandbox().await;
    // 1.9 MB of first name: refused before the body is read whole.
    let body = json!({"verification": {"person": {"firstName": "A".repeat(1_900_000)}}});
    let resp = http()
        .post(format!("{}/v1/sessions", sb.base_url()))
        .header("content-type", "application/json")
        .header("x-auth-client", SANDBOX_API_KEY)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A name longer than any person's: refused as Veriff refuses invalid parameters.
    let got = create(&sb, json!({"person": {"firstName": "B".repeat(300)}})).await;
    assert_fail(got, StatusCode::BAD_REQUEST, 1104);
    assert_eq!(sb.session_count(), 0);
    // A normal one still goes through.
    created_id(&sb, json!({"person": {"firstName": "Anna"}})).await;
    assert_eq!(sb.session_count(), 1);
}
