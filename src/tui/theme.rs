//! Colours and emphasis in one place. With NO_COLOR every style drops its colour and keeps
//! only modifiers, so focus and selection stay visible through reverse and bold.

use ratatui::style::{Color, Modifier, Style};

use crate::veriff::SessionStatus;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Self { no_color }
    }

    fn color(&self, style: Style, fg: Color) -> Style {
        if self.no_color { style } else { style.fg(fg) }
    }

    pub fn base(&self) -> Style {
        Style::new()
    }

    pub fn accent(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn title(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }

    pub fn key(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Yellow)
    }

    /// The focused form label or control.
    pub fn focus(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        }
    }

    /// The area of a text input (visible even when empty).
    pub fn input(&self, focused: bool) -> Style {
        if self.no_color {
            if focused {
                Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
            } else {
                Style::new().add_modifier(Modifier::UNDERLINED)
            }
        } else if focused {
            Style::new().bg(Color::Indexed(237)).fg(Color::White)
        } else {
            Style::new().bg(Color::Indexed(235))
        }
    }

    /// The selected row of a list or table.
    pub fn selected(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
                .bg(Color::Indexed(24))
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn button(&self, focused: bool) -> Style {
        if focused {
            if self.no_color {
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::new()
                    .bg(Color::Cyan)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD)
            }
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn error(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Red)
    }

    pub fn warning(&self) -> Style {
        self.color(Style::new(), Color::Yellow)
    }

    pub fn success(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Green)
    }

    /// The LIVE marker: a production integration.
    pub fn live(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn status(&self, status: &SessionStatus) -> Style {
        let fg = match status {
            SessionStatus::Created => Color::Gray,
            SessionStatus::Started => Color::Blue,
            SessionStatus::Submitted => Color::Cyan,
            SessionStatus::Approved => Color::Green,
            SessionStatus::Declined => Color::Red,
            SessionStatus::ResubmissionRequested => Color::Yellow,
            SessionStatus::Review => Color::Magenta,
            SessionStatus::Expired | SessionStatus::Abandoned => Color::DarkGray,
            SessionStatus::Unknown => Color::LightRed,
            SessionStatus::Other(_) => Color::Gray,
        };
        let style = if status.is_final() {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        self.color(style, fg)
    }
}
