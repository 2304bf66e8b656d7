//! QR codes as text: two modules per character cell with half blocks, so a phone camera can
//! read a session URL straight off an ordinary terminal. No terminal code here: the TUI
//! draws these lines (dark on light), the CLI can print them.

use qrcode::{Color, EcLevel, QrCode};

/// Low error correction (7 %). The higher levels exist for printed codes that get creased,
/// stained or torn; a code on a screen is photographed whole, and every level up costs
/// versions: at M a 400-character Veriff link needs version 15 (77 modules), 85x48 cells with
/// its URL, more than the common 120x40 window; at L it is version 13 (69 modules).
const EC_LEVEL: EcLevel = EcLevel::L;

/// Light modules left and right of the code. The QR spec's 4 is for codes set in print next
/// to other ink; on screen the code is drawn dark-on-light, so its margin is light whatever
/// the theme, and phones (and `rqrr`, in the tests) read it with 1 or 2 modules. Columns are
/// cheap (a window is wider than tall), so 2 here.
pub const QUIET_X: usize = 2;
/// Light modules above the code. Rows are what a window lacks: 1 here, and 1 + the light
/// lower half of the last row below it (a code's side is always odd, so the half-block
/// rows always end with one light half-row). A 400-character link is then 36 rows of code
/// and 4 rows of URL: 120x40 exactly.
pub const QUIET_Y: usize = 1;

/// A QR code of `text` as lines of `█ ▀ ▄` and spaces, where a drawn block is a DARK module.
/// Draw it dark-on-light (foreground black, background white) so it scans on any theme.
/// All lines are equally wide; there are `ceil((side + 2 * QUIET_Y) / 2)` of them.
pub fn lines(text: &str) -> Result<Vec<String>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL)
        .map_err(|e| format!("cannot draw a QR code: {e}"))?;
    let n = code.width();
    let colors = code.to_colors();
    let (w, h) = (n + 2 * QUIET_X, n + 2 * QUIET_Y);
    let dark = |x: usize, y: usize| -> bool {
        if x < QUIET_X || y < QUIET_Y || x >= QUIET_X + n || y >= QUIET_Y + n {
            return false;
        }
        colors[(y - QUIET_Y) * n + (x - QUIET_X)] == Color::Dark
    };
    Ok((0..h)
        .step_by(2)
        .map(|y| {
            (0..w)
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
    let n = QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL)
        .ok()?
        .width();
    Some((
        u16::try_from(n + 2 * QUIET_X).ok()?,
        u16::try_from((n + 2 * QUIET_Y).div_ceil(2)).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rasterises the text lines back into pixels (4 px per module) and decodes them with
    /// an independent decoder. The code sits on a DARK surround `dark_margin` modules wide:
    /// a dark terminal around the drawn code, so only the code's own quiet zone is light.
    fn decode(lines: &[String], dark_margin: usize) -> String {
        const PX: usize = 4;
        let w = lines[0].chars().count();
        let h = lines.len() * 2;
        let rows: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
        let module_dark = |x: usize, y: usize| -> bool {
            if x < dark_margin || y < dark_margin || x >= dark_margin + w || y >= dark_margin + h {
                return true;
            }
            let (x, y) = (x - dark_margin, y - dark_margin);
            matches!((rows[y / 2][x], y % 2), ('█', _) | ('▀', 0) | ('▄', 1))
        };
        let (iw, ih) = ((w + 2 * dark_margin) * PX, (h + 2 * dark_margin) * PX);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(iw, ih, |x, y| {
            if module_dark(x / PX, y / PX) { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code expected");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn round_trips_a_session_url() {
        let url = "https://alchemy.veriff.com/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX2lkIjoiZjA0YmRiNDctZDNiZS00YjI4LWIwMjgtMmJkOGEwZjVlMmQxIiwiaWF0IjoxNzAwMDAwMDAwfQ.c2ln";
        let lines = lines(url).unwrap();
        assert_eq!(decode(&lines, 0), url);
        assert_eq!(decode(&lines, 6), url, "on a dark terminal");
        let (w, h) = size(url).unwrap();
        assert_eq!(usize::from(w), lines[0].chars().count());
        assert_eq!(usize::from(h), lines.len());
    }

    #[test]
    fn a_400_character_link_is_36_rows_and_reads_back_on_a_dark_surround() {
        let url = crate::history::seed::veriff_link(400);
        assert_eq!(url.len(), 400);
        let lines = lines(&url).unwrap();
        // Version 13 (69 modules) at level L, 2 + 2 light columns, 1 + 1.5 light rows.
        assert_eq!(size(&url), Some((73, 36)));
        assert_eq!(lines.len(), 36);
        assert!(lines.iter().all(|l| l.chars().count() == 73));
        // The margins are light: the first row's top half, the outer columns.
        assert!(lines[0].chars().all(|c| c == ' ' || c == '▄'));
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("  ") && l.ends_with("  "))
        );
        assert_eq!(decode(&lines, 8), url);
    }

    #[test]
    fn too_long_text_is_an_error_not_a_panic() {
        assert!(lines(&"x".repeat(10_000)).is_err());
    }
}
