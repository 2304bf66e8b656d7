//! Veriff's own browser SDKs (`@veriff/js-sdk`, `@veriff/incontext-sdk`) against the
//! sandbox over loopback, in jsdom: `tests/js/sdk.test.mjs` under node's test runner.
//! Needs node and the packages of tests/js (`npm ci --prefix tests/js`, which `.ci/run`
//! does); without them the test fails saying so.

use std::path::Path;
use std::process::Command;

use veriff_tui::sandbox::{SANDBOX_API_KEY, Sandbox};

#[test]
fn veriff_browser_sdks_work_against_the_sandbox() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        dir.join("node_modules/@veriff/js-sdk").exists()
            && dir.join("node_modules/@veriff/incontext-sdk").exists()
            && dir.join("node_modules/jsdom").exists(),
        "the SDK tests' packages are missing: run `npm ci --prefix tests/js` (node 18 or newer)"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(Sandbox::start(Default::default())).unwrap();
    let out = Command::new("node")
        .args(["--test", "--test-reporter=tap", "sdk.test.mjs"])
        .current_dir(&dir)
        .env("VERIFF_SANDBOX_URL", sandbox.base_url())
        .env("VERIFF_SANDBOX_API_KEY", SANDBOX_API_KEY)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (install node 18 or newer): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Every test ran and passed (a runner that found none would also exit 0).
    assert!(stdout.contains("# pass 4"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");
    assert!(
        sandbox.create_requests() >= 3,
        "the SDK's requests reached the sandbox"
    );
    rt.block_on(sandbox.shutdown());
}
