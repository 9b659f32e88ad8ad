//! A console session on the terminal: the terminal's keys and resizes go
//! to the session as messages, what the session's sources say is taken in
//! as it comes, and the screen is the UI's drawing of the app. What changed
//! decides how soon it is drawn.

use crossterm::event::KeyEvent;
use ratatui::Frame;

use crate::app::{Change, Effect, Msg, Outcome};
use crate::cloud::Cloud;
use crate::exit::Failure;
use crate::session::Session;
use crate::term::{self, Flow, Redraw};
use crate::ui::theme::Theme;

struct Console<'a, C: Cloud> {
    session: &'a mut Session<C>,
    theme: Theme,
}

impl<C: Cloud> Console<'_, C> {
    fn flow(&self, outcome: &Outcome) -> Flow {
        flow(self.session, outcome)
    }
}

/// What the terminal should do after the session took something in.
pub(super) fn flow<C: Cloud>(session: &Session<C>, outcome: &Outcome) -> Flow {
    if session.app().quit() {
        return Flow::Quit;
    }
    if outcome.effects.contains(&Effect::Suspend) {
        return Flow::Suspend;
    }
    Flow::Go(match outcome.change {
        Change::Nothing => Redraw::No,
        Change::Traffic => Redraw::Lazy,
        Change::State => Redraw::Soon,
    })
}

impl<C: Cloud> term::Screen for Console<'_, C> {
    async fn next(&mut self) -> Result<Flow, Failure> {
        let Some(msg) = self.session.next().await else {
            return Err(Failure::Failed("the world stopped".into()));
        };
        let outcome = self.session.send(msg)?;
        Ok(self.flow(&outcome))
    }

    fn key(&mut self, key: KeyEvent) -> Result<Flow, Failure> {
        let outcome = self.session.send(Msg::Key(key))?;
        Ok(self.flow(&outcome))
    }

    fn resize(&mut self, width: u16, height: u16) -> Result<Flow, Failure> {
        let outcome = self.session.send(Msg::Resize(width, height))?;
        Ok(self.flow(&outcome))
    }

    fn draw(&self, frame: &mut Frame) {
        crate::ui::render(self.session.app(), self.theme, frame);
    }
}

/// Shows the session until the user quits, a signal ends it, or it fails.
pub async fn show<C: Cloud>(session: &mut Session<C>) -> Result<(), Failure> {
    term::show(&mut Console { session, theme: Theme::from_env() }).await
}
