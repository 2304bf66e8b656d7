//! A QR code on screen, from the half-block lines of [`crate::qr::lines`].
//!
//! Always black modules on a white ground, NO_COLOR or not. The code is an image, not
//! decoration: a phone reads dark modules on a light quiet zone. `Modifier::REVERSED` would
//! swap the theme's own colours instead, which draws the code light-on-dark on a light
//! theme (inverted codes are rejected by many phone readers), and plain default colours do
//! the same on a dark theme. Only explicit colours keep dark modules dark on every theme.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

/// The style of every cell of a QR code.
pub fn style() -> Style {
    Style::new().fg(Color::Black).bg(Color::White)
}

/// A URL's QR code lines and their size in cells, or `None` when it cannot be drawn.
pub struct Code {
    pub lines: Vec<String>,
    pub width: u16,
    pub height: u16,
}

impl Code {
    pub fn new(text: &str) -> Option<Code> {
        let lines = crate::qr::lines(text).ok()?;
        let width = u16::try_from(lines.first()?.chars().count()).ok()?;
        let height = u16::try_from(lines.len()).ok()?;
        Some(Code {
            lines,
            width,
            height,
        })
    }

    /// True when the whole code fits `area`: a code is never drawn cut.
    pub fn fits(&self, area: Rect) -> bool {
        self.width <= area.width && self.height <= area.height
    }

    /// Draws the code with its top-left corner at `(x, y)` when it fits `area` whole;
    /// returns whether it was drawn.
    pub fn render(&self, buf: &mut Buffer, area: Rect, x: u16, y: u16) -> bool {
        let rect = Rect::new(x, y, self.width, self.height);
        if x < area.x || y < area.y || rect.right() > area.right() || rect.bottom() > area.bottom()
        {
            return false;
        }
        for (i, line) in (0u16..).zip(&self.lines) {
            buf.set_string(x, y + i, line, style());
        }
        true
    }
}
