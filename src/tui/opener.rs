//! Opening a link in the browser.

use std::process::{Command, Stdio};
use std::time::Duration;

/// Opens an http(s) URL in the browser: the opener gets the URL as its one argument, no
/// shell is involved.
pub(super) fn open_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("not opened: only http(s) links are opened".into());
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut command = Command::new(opener);
    let mut child = crate::child_env::without_secrets(&mut command)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("not opened: could not run {opener}: {e}; copy the URL with c instead")
        })?;
    // xdg-open returns quickly; a failure (no browser configured) shows in its exit code.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!(
                    "not opened: {opener} failed ({status}); is a browser configured? Copy the URL with c instead"
                ));
            }
            Ok(None) if std::time::Instant::now() >= deadline => {
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("not opened: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opener_refuses_anything_but_http() {
        for url in ["file:///etc/passwd", "javascript:alert(1)", "--help", ""] {
            assert!(open_url(url).is_err(), "{url}");
        }
    }
}
