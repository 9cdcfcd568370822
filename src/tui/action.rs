//! Named actions: what a key means, independent of which key it is.
//!
//! Keymaps, the help overlay and (later) the command palette and recorded
//! macros all refer to actions by these names, so a name never changes once
//! shipped; new actions may be added.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "app.quit")]
    Quit,
    #[serde(rename = "help.toggle")]
    HelpToggle,
    #[serde(rename = "help.close")]
    HelpClose,
    #[serde(rename = "focus.next")]
    FocusNext,
    #[serde(rename = "focus.prev")]
    FocusPrev,
    #[serde(rename = "focus.list")]
    FocusList,
    #[serde(rename = "focus.detail")]
    FocusDetail,
    #[serde(rename = "cursor.down")]
    CursorDown,
    #[serde(rename = "cursor.up")]
    CursorUp,
    #[serde(rename = "cursor.page_down")]
    PageDown,
    #[serde(rename = "cursor.page_up")]
    PageUp,
    #[serde(rename = "cursor.top")]
    Top,
    #[serde(rename = "cursor.bottom")]
    Bottom,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Quit,
        Action::HelpToggle,
        Action::HelpClose,
        Action::FocusNext,
        Action::FocusPrev,
        Action::FocusList,
        Action::FocusDetail,
        Action::CursorDown,
        Action::CursorUp,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
    ];

    /// The name used in keymap files; the same string serde writes.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "app.quit",
            Action::HelpToggle => "help.toggle",
            Action::HelpClose => "help.close",
            Action::FocusNext => "focus.next",
            Action::FocusPrev => "focus.prev",
            Action::FocusList => "focus.list",
            Action::FocusDetail => "focus.detail",
            Action::CursorDown => "cursor.down",
            Action::CursorUp => "cursor.up",
            Action::PageDown => "cursor.page_down",
            Action::PageUp => "cursor.page_up",
            Action::Top => "cursor.top",
            Action::Bottom => "cursor.bottom",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for a in Action::ALL {
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.name()));
            assert_eq!(serde_json::from_str::<Action>(&format!("\"{}\"", a.name())).unwrap(), a);
            assert_eq!(Action::parse(a.name()), Some(a));
        }
        assert_eq!(Action::parse("cursor.dwn"), None);
    }
}
