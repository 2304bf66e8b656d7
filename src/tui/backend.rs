//! The terminal backend: crossterm's, except that it never asks the terminal where its
//! cursor is. ratatui asks before clearing (to put the cursor back), and crossterm waits up to
//! 2 s for the answer and fails without one: a terminal slow to answer (or a multiplexer that
//! drops the query) would end the app after a resize. In the alternate screen the cursor is
//! placed on every frame anyway, so the last position set is answer enough.

use std::io::Write;

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

pub struct NoQueryBackend<W: Write> {
    inner: CrosstermBackend<W>,
    cursor: Position,
}

impl<W: Write> NoQueryBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            cursor: Position::ORIGIN,
        }
    }
}

impl<W: Write> Write for NoQueryBackend<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for NoQueryBackend<W> {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> std::io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        let position = position.into();
        self.cursor = position;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_position_is_remembered_not_asked() {
        let mut b = NoQueryBackend::new(Vec::new());
        assert_eq!(b.get_cursor_position().unwrap(), Position::ORIGIN);
        b.set_cursor_position(Position::new(7, 3)).unwrap();
        assert_eq!(b.get_cursor_position().unwrap(), Position::new(7, 3));
        // ratatui asks for the cursor before clearing; crossterm's own answer would need a
        // terminal on the other end (there is none here), so success means nobody was asked.
        let mut t = ratatui::Terminal::new(b).unwrap();
        t.clear().unwrap();
        assert_eq!(t.get_cursor_position().unwrap(), Position::new(7, 3));
    }
}
