//! `veriff-tui generate` end to end (process start to exit, history write included)
//! beside `curl` making the same signed POST /v1/sessions to the same local sandbox.
//!
//! Runs alternate between the two so machine noise hits both alike. Uses the binary cargo
//! builds beside this bench (release profile; `VERIFF_TUI_BIN` points elsewhere) and `curl`.
//! `VERIFF_BENCH_RUNS` sets the number of runs of each (default 40).

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use veriff_tui::sandbox::{Sandbox, SandboxOptions};
use veriff_tui::veriff::sign::signature;
use veriff_tui::veriff::{CreateSessionRequest, LegacyFields, SessionInput};

const TARGET_RATIO: f64 = 1.3;

fn main() {
    if !support::as_benchmark() {
        return;
    }
    let bin = support::binary();
    let runs: usize = std::env::var("VERIFF_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions::default()))
        .expect("start the sandbox");
    let data = tempfile::tempdir().expect("temp dir");

    let input = SessionInput {
        first_name: "John".into(),
        last_name: "Smith".into(),
        lang: "en".into(),
        selfid: true,
        callback: String::new(),
        vendor_data: "cust-00012345".into(),
        extra: Default::default(),
    };
    let legacy = LegacyFields {
        lang: true,
        features: true,
        timestamp: true,
    };
    let body = serde_json::to_vec(&CreateSessionRequest::from_input(
        &input,
        legacy,
        chrono::Utc::now(),
    ))
    .expect("encode the body");
    let sig = signature(sandbox.shared_secret(), &body);
    let url = format!("{}/v1/sessions", sandbox.base_url());

    let ours = || {
        let out = Command::new(&bin)
            .args([
                "generate",
                "--first-name",
                "John",
                "--last-name",
                "Smith",
                "--lang",
                "en",
                "--vendor-data",
                "cust-00012345",
            ])
            .env("VERIFF_TUI_CONFIG", data.path().join("absent.toml"))
            .env("VERIFF_TUI_DATA_DIR", data.path())
            .env("VERIFF_BASE_URL", sandbox.base_url())
            .env("VERIFF_API_KEY", sandbox.api_key())
            .env("VERIFF_SHARED_SECRET", sandbox.shared_secret())
            .env_remove("VERIFF_PROFILE")
            .stdin(Stdio::null())
            .output()
            .expect("run veriff-tui");
        assert!(
            out.status.success() && out.stdout.starts_with(b"http"),
            "veriff-tui generate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let curl = || {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "-o", "/dev/null", "-X", "POST"])
            .args(["-H", "Content-Type: application/json"])
            .args(["-H", &format!("X-AUTH-CLIENT: {}", sandbox.api_key())])
            .args(["-H", &format!("X-HMAC-SIGNATURE: {sig}")])
            .arg("--data-binary")
            .arg(String::from_utf8_lossy(&body).as_ref())
            .arg(&url)
            .stdin(Stdio::null())
            .output()
            .expect("run curl (is it installed?)");
        assert!(
            out.status.success(),
            "curl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    let timed = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    // Warm-up: the binary and curl in the page cache, the history file created.
    for _ in 0..3 {
        ours();
        curl();
    }
    let mut ours_t = Vec::with_capacity(runs);
    let mut curl_t = Vec::with_capacity(runs);
    for i in 0..runs {
        if i % 2 == 0 {
            ours_t.push(timed(&ours));
            curl_t.push(timed(&curl));
        } else {
            curl_t.push(timed(&curl));
            ours_t.push(timed(&ours));
        }
    }
    ours_t.sort_unstable();
    curl_t.sort_unstable();
    let med = |v: &[Duration]| support::percentile(v, 50.0);
    let p90 = |v: &[Duration]| support::percentile(v, 90.0);
    let ratio = med(&ours_t).as_secs_f64() / med(&curl_t).as_secs_f64();
    println!(
        "generate  veriff-tui median {:>9}  p90 {:>9}",
        support::ms(med(&ours_t)),
        support::ms(p90(&ours_t))
    );
    println!(
        "generate  curl       median {:>9}  p90 {:>9}",
        support::ms(med(&curl_t)),
        support::ms(p90(&curl_t))
    );
    println!("generate  ratio of medians {ratio:.2} ({runs} runs each)");
    support::summary(
        "generate vs curl, same sandbox (median wall time)",
        &format!(
            "{} vs {} = {ratio:.2}x",
            support::ms(med(&ours_t)),
            support::ms(med(&curl_t))
        ),
        "< 1.3x",
        Some(ratio < TARGET_RATIO),
    );
    runtime.block_on(sandbox.shutdown());
}
