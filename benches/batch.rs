//! `generate --batch` of 1,000 rows against the local sandbox beside one `generate` per row
//! in a shell loop (what an operator scripts without `--batch`), same binary, same kind of
//! sandbox, a new history for each. Both are end to end: process starts, history writes,
//! the requests. `VERIFF_BENCH_BATCH_ROWS` sets the rows (default 1000; the sandbox keeps
//! at most 1,000 sessions), `VERIFF_TUI_BIN` another binary.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use veriff_tui::sandbox::{Sandbox, SandboxOptions};

fn main() {
    if !support::as_benchmark() {
        return;
    }
    let bin = support::binary();
    let rows: usize = std::env::var("VERIFF_BENCH_BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let mut csv = String::from("first_name,last_name,email\n");
    for i in 0..rows {
        csv.push_str(&format!("Person{i:04},Tamm,p{i}@example.com\n"));
    }

    let mut times = Vec::new();
    for jobs in ["4", "1"] {
        let (sandbox, data) = fresh(&runtime);
        let file = data.path().join("people.csv");
        std::fs::write(&file, &csv).expect("write the batch file");
        let t = Instant::now();
        let out = env(&mut Command::new(&bin), &sandbox, data.path())
            .args(["generate", "--batch"])
            .arg(&file)
            .args(["--jobs", jobs, "--out"])
            .arg(data.path().join("links.csv"))
            .stdin(Stdio::null())
            .output()
            .expect("run veriff-tui");
        let took = t.elapsed();
        assert!(
            out.status.success(),
            "the batch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(sandbox.session_count(), rows, "one session per row");
        times.push((format!("--batch --jobs {jobs}"), took));
        runtime.block_on(sandbox.shutdown());
    }

    let (sandbox, data) = fresh(&runtime);
    let script = r#"i=0; while [ "$i" -lt "$ROWS" ]; do
        "$BIN" generate --first-name "Person$i" --last-name Tamm --email "p$i@example.com" >/dev/null || exit 1
        i=$((i + 1)); done"#;
    let t = Instant::now();
    let out = env(&mut Command::new("sh"), &sandbox, data.path())
        .args(["-c", script])
        .env("ROWS", rows.to_string())
        .env("BIN", &bin)
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "the loop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sandbox.session_count(), rows);
    times.push(("one generate per row (sh loop)".into(), took));
    runtime.block_on(sandbox.shutdown());

    let per_row = |d: Duration| d / u32::try_from(rows).unwrap_or(u32::MAX);
    for (what, took) in &times {
        println!(
            "batch  {what:<32} {rows} rows in {:>9}  {:>9} per row",
            support::ms(*took),
            support::ms(per_row(*took))
        );
    }
    let batch = times[0].1.as_secs_f64();
    let looped = times[2].1.as_secs_f64();
    support::summary(
        &format!("{rows} rows: --batch (4 in flight) vs a generate per row"),
        &format!(
            "{} vs {} per row = {:.2}x",
            support::ms(per_row(times[0].1)),
            support::ms(per_row(times[2].1)),
            batch / looped
        ),
        "(none)",
        None,
    );
}

/// A new sandbox and data dir.
fn fresh(runtime: &tokio::runtime::Runtime) -> (Sandbox, tempfile::TempDir) {
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions::default()))
        .expect("start the sandbox");
    (sandbox, tempfile::tempdir().expect("temp dir"))
}

/// The command pointed at `sandbox`, with its history in `data`.
fn env<'a>(cmd: &'a mut Command, sandbox: &Sandbox, data: &Path) -> &'a mut Command {
    cmd.env("VERIFF_TUI_CONFIG", data.join("absent.toml"))
        .env("VERIFF_TUI_DATA_DIR", data)
        .env("VERIFF_BASE_URL", sandbox.base_url())
        .env("VERIFF_API_KEY", sandbox.api_key())
        .env("VERIFF_SHARED_SECRET", sandbox.shared_secret())
        .env_remove("VERIFF_PROFILE")
}
