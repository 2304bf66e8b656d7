//! Pictures in terminals that draw them: the kitty graphics protocol, iTerm2's inline
//! images, sixel, through the `ratatui-image` crate's encoders. Elsewhere (and as long as an
//! encoding for the window's size is on its way) the media viewer draws half-blocks.
//!
//! The protocol is chosen from the environment only, never by asking the terminal: its
//! answer would arrive on stdin while the input thread reads keys there, and a terminal
//! that does not answer would make the start wait. Inside tmux or screen it is half-blocks:
//! passing pictures through needs `allow-passthrough`, which is the operator's to set, and
//! has not been verified here. A protocol also needs the size of a cell in pixels, which
//! the terminal reports with the window size (an ioctl, no query); without it, half-blocks.

use std::sync::Arc;

use ratatui::layout::{Rect, Size};
use ratatui_image::protocol::Protocol as Encoding;
use ratatui_image::protocol::iterm2::Iterm2;
use ratatui_image::protocol::kitty::Kitty;
use ratatui_image::protocol::sixel::Sixel;
use ratatui_image::{FontSize, Resize};

use crate::tui::inspector::Picture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Kitty,
    Iterm2,
    Sixel,
}

/// How this terminal draws pictures: the protocol, and a cell's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Graphics {
    pub protocol: Protocol,
    pub cell: (u16, u16),
}

/// The protocol the terminal described by the environment draws pictures with, if any.
pub fn protocol(var: &dyn Fn(&str) -> Option<String>) -> Option<Protocol> {
    let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
    let term = var("TERM").unwrap_or_default();
    let program = var("TERM_PROGRAM").unwrap_or_default();
    let multiplexed = set("TMUX")
        || set("STY")
        || term.starts_with("screen")
        || term.starts_with("tmux")
        || program == "tmux";
    if multiplexed {
        return None;
    }
    // WezTerm's kitty support lacks the placeholders the kitty encoder uses; its iTerm2
    // support is whole.
    if program.contains("iTerm") || program == "WezTerm" || set("WEZTERM_EXECUTABLE") {
        return Some(Protocol::Iterm2);
    }
    if var("LC_TERMINAL").is_some_and(|t| t.contains("iTerm")) {
        return Some(Protocol::Iterm2);
    }
    if term == "xterm-kitty"
        || set("KITTY_WINDOW_ID")
        || term == "xterm-ghostty"
        || program.eq_ignore_ascii_case("ghostty")
    {
        return Some(Protocol::Kitty);
    }
    if term.starts_with("foot") || term.starts_with("mlterm") {
        return Some(Protocol::Sixel);
    }
    None
}

/// The graphics of this terminal: its protocol, with the cell size the window's size in
/// pixels gives (`None` when either is unknown).
pub fn detect(
    var: &dyn Fn(&str) -> Option<String>,
    window: Option<(u16, u16, u16, u16)>,
) -> Option<Graphics> {
    let protocol = protocol(var)?;
    let (cols, rows, width, height) = window?;
    if cols == 0 || rows == 0 {
        return None;
    }
    let cell = (width / cols, height / rows);
    (cell.0 > 0 && cell.1 > 0).then_some(Graphics { protocol, cell })
}

/// A picture encoded for one area of the window.
pub struct Encoded {
    /// The size (in cells) of the area it was made for: another size is drawn in
    /// half-blocks until its own encoding comes.
    pub area: (u16, u16),
    pub encoding: Encoding,
}

impl std::fmt::Debug for Encoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoded({:?}, {:?})", self.area, self.encoding.size())
    }
}

impl Encoded {
    /// Where it is drawn in `area`: centred, at its own size.
    pub fn rect(&self, area: Rect) -> Rect {
        let Size { width, height } = self.encoding.size();
        let (w, h) = (width.min(area.width), height.min(area.height));
        Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        )
    }
}

/// Encodes `picture` to fit an area of `area` cells (never larger than it is: a small
/// document photo is not blown up). Work for a blocking thread.
pub fn encode(
    picture: &Picture,
    g: Graphics,
    area: (u16, u16),
    id: u32,
) -> Result<Arc<Encoded>, String> {
    let image = picture.to_image().ok_or("the picture could not be read")?;
    let font = FontSize::new(g.cell.0, g.cell.1);
    let resize = Resize::Fit(Some(ratatui_image::FilterType::Triangle));
    let size = resize.size_for(&image, font, Size::new(area.0, area.1));
    let image = resize.resize(&image, font, size, None);
    let fail = |e: ratatui_image::errors::Errors| format!("the picture could not be encoded: {e}");
    let encoding = match g.protocol {
        Protocol::Kitty => {
            Encoding::Kitty(Kitty::new(image, size, id, false, false).map_err(fail)?)
        }
        Protocol::Iterm2 => Encoding::ITerm2(Iterm2::new(image, size, false).map_err(fail)?),
        Protocol::Sixel => Encoding::Sixel(Sixel::new(image, size, false).map_err(fail)?),
    };
    Ok(Arc::new(Encoded { area, encoding }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_protocol_comes_from_the_environment_and_never_inside_tmux() {
        let p = |pairs: &[(&str, &str)]| protocol(&env(pairs));
        assert_eq!(p(&[("TERM", "xterm-kitty")]), Some(Protocol::Kitty));
        assert_eq!(
            p(&[("TERM", "xterm-256color"), ("KITTY_WINDOW_ID", "3")]),
            Some(Protocol::Kitty)
        );
        assert_eq!(p(&[("TERM_PROGRAM", "ghostty")]), Some(Protocol::Kitty));
        assert_eq!(p(&[("TERM_PROGRAM", "iTerm.app")]), Some(Protocol::Iterm2));
        assert_eq!(p(&[("TERM_PROGRAM", "WezTerm")]), Some(Protocol::Iterm2));
        assert_eq!(p(&[("TERM", "foot")]), Some(Protocol::Sixel));
        assert_eq!(p(&[("TERM", "xterm-256color")]), None);
        assert_eq!(p(&[]), None);
        // Inside tmux or screen: half-blocks, whatever the outer terminal.
        assert_eq!(
            p(&[("TERM", "tmux-256color"), ("KITTY_WINDOW_ID", "3")]),
            None
        );
        assert_eq!(
            p(&[("TERM", "xterm-kitty"), ("TMUX", "/tmp/tmux-0/default,1,0")]),
            None
        );
        assert_eq!(
            p(&[("TERM", "screen"), ("TERM_PROGRAM", "iTerm.app")]),
            None
        );
        // No pixel size: no protocol.
        let kitty = env(&[("TERM", "xterm-kitty")]);
        assert_eq!(detect(&kitty, Some((80, 24, 0, 0))), None);
        assert_eq!(detect(&kitty, None), None);
        assert_eq!(
            detect(&kitty, Some((80, 24, 800, 480))),
            Some(Graphics {
                protocol: Protocol::Kitty,
                cell: (10, 20)
            })
        );
    }

    #[test]
    fn a_picture_is_encoded_to_fit_its_area_and_centred() {
        let png = include_bytes!("../../assets/sandbox-document.png");
        let picture = Picture::decode(png).unwrap();
        for protocol in [Protocol::Kitty, Protocol::Iterm2, Protocol::Sixel] {
            let g = Graphics {
                protocol,
                cell: (10, 20),
            };
            let e = encode(&picture, g, (30, 10), 7).unwrap();
            let Size { width, height } = e.encoding.size();
            assert!(
                width <= 30 && height <= 10,
                "{protocol:?}: {width}x{height}"
            );
            let r = e.rect(Rect::new(0, 2, 30, 10));
            assert!(r.x + r.width <= 30 && r.y >= 2 && r.bottom() <= 12);
        }
    }
}
