//! The one theme. With NO_COLOR every colour is dropped and only modifiers
//! (bold, dim, reversed) remain; words and symbols carry the meaning either
//! way, so BLUE and GREEN are never told apart by colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::app::log::Tone;
use crate::app::overlay::Look;

/// Styles for every region.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub monochrome: bool,
}

impl Theme {
    /// What the environment asks for: no colours when `NO_COLOR` is set
    /// (and not empty).
    pub fn from_env() -> Self {
        Self { monochrome: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) }
    }

    fn paint(self, style: Style) -> Style {
        if self.monochrome {
            let mut plain = Style::new();
            plain.add_modifier = style.add_modifier;
            plain.sub_modifier = style.sub_modifier;
            plain
        } else {
            style
        }
    }

    pub fn plain(self) -> Style {
        Style::new()
    }

    pub fn blue(self) -> Style {
        self.paint(Style::new().fg(Color::LightBlue))
    }

    pub fn green(self) -> Style {
        self.paint(Style::new().fg(Color::LightGreen))
    }

    pub fn title(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD))
    }

    pub fn good(self) -> Style {
        self.paint(Style::new().fg(Color::Green))
    }

    pub fn bad(self) -> Style {
        self.paint(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))
    }

    pub fn warn(self) -> Style {
        self.paint(Style::new().fg(Color::Yellow))
    }

    pub fn action(self) -> Style {
        self.paint(Style::new().fg(Color::Cyan))
    }

    pub fn dim(self) -> Style {
        self.paint(Style::new().fg(Color::DarkGray).add_modifier(Modifier::DIM))
    }

    pub fn selected(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::REVERSED))
    }

    pub fn key(self) -> Style {
        self.paint(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
    }

    pub fn tone(self, tone: Tone) -> Style {
        match tone {
            Tone::Info => self.plain(),
            Tone::Good => self.good(),
            Tone::Bad => self.bad(),
            Tone::Action => self.action(),
        }
    }

    /// The style of an overlay's look.
    pub fn look(self, look: Look) -> Style {
        match look {
            Look::Plain => self.plain(),
            Look::Title => self.title(),
            Look::Dim => self.dim(),
            Look::Warn => self.warn(),
            Look::Bad => self.bad(),
            Look::Good => self.good(),
            Look::Key => self.key(),
            Look::Selected => self.selected(),
            Look::Tone(tone) => self.tone(tone),
        }
    }

    /// The colour of a version in the traffic panel.
    pub fn version(self, index: usize) -> Style {
        const COLOURS: [Color; 4] = [Color::LightBlue, Color::LightGreen, Color::LightMagenta, Color::LightYellow];
        self.paint(Style::new().fg(COLOURS[index % COLOURS.len()]))
    }
}
