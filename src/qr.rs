//! QR codes as text: two modules per character cell with half blocks, so a phone camera can
//! read a session URL straight off an ordinary terminal. No terminal code here: the TUI
//! draws these lines (dark on light), the CLI can print them.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of light margin around the code; the QR spec asks for 4, and phones read 2 poorly
/// on dark terminal backgrounds.
pub const QUIET_ZONE: usize = 4;

/// A QR code of `text` as lines of `█ ▀ ▄` and spaces, where a drawn block is a DARK module.
/// Draw it dark-on-light (foreground black, background white) so it scans on any theme.
/// Each line is `width` cells wide; there are `ceil(width / 2)` lines.
pub fn lines(text: &str) -> Result<Vec<String>, String> {
    // Medium error correction: sturdy enough for a screen photo, small enough for 80x24.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot draw a QR code: {e}"))?;
    let n = code.width();
    let colors = code.to_colors();
    let side = n + 2 * QUIET_ZONE;
    let dark = |x: usize, y: usize| -> bool {
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= QUIET_ZONE + n || y >= QUIET_ZONE + n {
            return false;
        }
        colors[(y - QUIET_ZONE) * n + (x - QUIET_ZONE)] == Color::Dark
    };
    Ok((0..side)
        .step_by(2)
        .map(|y| {
            (0..side)
                .map(|x| match (dark(x, y), dark(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                })
                .collect()
        })
        .collect())
}

/// Size in cells (columns, rows) of the QR code of `text`, without drawing it.
pub fn size(text: &str) -> Option<(u16, u16)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let side = code.width() + 2 * QUIET_ZONE;
    Some((
        u16::try_from(side).ok()?,
        u16::try_from(side.div_ceil(2)).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rasterises the text lines back into pixels (4 px per module) and decodes them.
    fn decode(lines: &[String]) -> String {
        const PX: usize = 4;
        let w = lines[0].chars().count();
        let h = lines.len() * 2;
        let module_dark = |x: usize, y: usize| -> bool {
            let c = lines[y / 2].chars().nth(x).unwrap();
            matches!((c, y % 2), ('█', _) | ('▀', 0) | ('▄', 1))
        };
        let img = rqrr::PreparedImage::prepare_from_greyscale(w * PX, h * PX, |x, y| {
            if module_dark(x / PX, y / PX) { 0 } else { 255 }
        });
        let mut img = img;
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code expected");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn round_trips_a_session_url() {
        let url = "https://alchemy.veriff.com/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX2lkIjoiZjA0YmRiNDctZDNiZS00YjI4LWIwMjgtMmJkOGEwZjVlMmQxIiwiaWF0IjoxNzAwMDAwMDAwfQ.c2ln";
        let lines = lines(url).unwrap();
        assert_eq!(decode(&lines), url);
        let (w, h) = size(url).unwrap();
        assert_eq!(usize::from(w), lines[0].chars().count());
        assert_eq!(usize::from(h), lines.len());
    }

    #[test]
    fn too_long_text_is_an_error_not_a_panic() {
        assert!(lines(&"x".repeat(10_000)).is_err());
    }
}
