//! The keymap is data: which keys do what. The footer's hints and the help
//! overlay are generated from it, so they cannot drift from what keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::cloud::plan::Intent;

/// What a user can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Plan a deployment of a registered revision (newest first; ↑/↓ in the plan picks another).
    Deploy,
    /// Plan what moves the active deployment on: reroute now, or terminate the originals now.
    Promote,
    /// Plan putting the original (BLUE) group back behind the load balancer.
    Reattach,
    /// Plan deleting an idle Auto Scaling group (its name typed back).
    CleanUp,
    /// Move the focus to the next region (BLUE, GREEN, events).
    FocusNext,
    /// Move the focus to the previous region.
    FocusPrev,
    /// Move up in the focused region.
    Up,
    /// Move down in the focused region.
    Down,
    /// Open the selected instance's lifecycle events and log tail.
    Open,
    /// Show every key.
    Help,
    /// Show the tutorial's steps in the event log's place, or the log again.
    Tour,
    /// Close the overlay or message.
    Close,
    /// Leave bluegreen (the terminal is restored).
    Quit,
}

impl Action {
    /// The plan this action asks for, if it is one of the four operations.
    pub fn intent(self) -> Option<Intent> {
        match self {
            Self::Deploy => Some(Intent::Deploy),
            Self::Promote => Some(Intent::Promote),
            Self::Reattach => Some(Intent::Reattach),
            Self::CleanUp => Some(Intent::CleanUp),
            _ => None,
        }
    }
}

/// One binding: keys, action, the words shown for it. The main screen's
/// actions are [`Action`]s; another screen (the fleet) brings its own.
#[derive(Debug, Clone, Copy)]
pub struct Binding<A = Action> {
    pub keys: &'static [KeyCode],
    /// Shown in the footer and help (`d`, `↑/k`).
    pub label: &'static str,
    pub action: A,
    /// The footer's word for it (`deploy`); `None` keeps it out of the footer.
    pub hint: Option<&'static str>,
    pub help: &'static str,
}

/// Every binding of the main screen, in the order the footer and help show them.
pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('d')],
        label: "d",
        action: Action::Deploy,
        hint: Some("deploy"),
        help: "plan a deployment of a registered revision",
    },
    Binding {
        keys: &[KeyCode::Char('p')],
        label: "p",
        action: Action::Promote,
        hint: Some("promote"),
        help: "reroute traffic now, or terminate the originals now",
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        action: Action::Reattach,
        hint: Some("reattach blue"),
        help: "stop with rollback, or put the kept originals back",
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        label: "c",
        action: Action::CleanUp,
        hint: Some("clean up"),
        help: "delete an idle Auto Scaling group",
    },
    Binding {
        keys: &[KeyCode::Tab],
        label: "Tab",
        action: Action::FocusNext,
        hint: None,
        help: "focus BLUE, GREEN, events in turn",
    },
    Binding {
        keys: &[KeyCode::BackTab],
        label: "S-Tab",
        action: Action::FocusPrev,
        hint: None,
        help: "focus the previous region",
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        action: Action::Up,
        hint: None,
        help: "select the instance above / scroll events up",
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        action: Action::Down,
        hint: None,
        help: "select the instance below / scroll events down",
    },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: Action::Open,
        hint: None,
        help: "lifecycle events and log tail of the selected instance",
    },
    Binding {
        keys: &[KeyCode::Char('t')],
        label: "t",
        action: Action::Tour,
        hint: Some("tour"),
        help: "the tutorial's five steps, ticked as they happen (or the events again)",
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        action: Action::Help,
        hint: Some("help"),
        help: "show this help",
    },
    Binding {
        keys: &[KeyCode::Esc],
        label: "Esc",
        action: Action::Close,
        hint: None,
        help: "close an overlay or message",
    },
    Binding { keys: &[KeyCode::Char('q')], label: "q", action: Action::Quit, hint: Some("quit"), help: "quit" },
];

/// The action bound to a key on the main screen. Ctrl-C always quits.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    KEYMAP.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

/// The key that asks for an operation's plan.
pub fn key_for(intent: Intent) -> KeyCode {
    KEYMAP.iter().find(|b| b.action.intent() == Some(intent)).map_or(KeyCode::Null, |b| b.keys[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut keys: Vec<_> = KEYMAP.iter().flat_map(|b| b.keys.iter()).collect();
        let n = keys.len();
        keys.sort_by_key(|k| format!("{k:?}"));
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
