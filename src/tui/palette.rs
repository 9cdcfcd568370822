//! The command palette: every action by its title and name, fuzzy-matched
//! as you type, with the key that runs it in the current context.

use super::action::Action;
use super::input::TextInput;
use super::keymap::{Context, Keymap};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use ratatui::crossterm::event::KeyEvent;

pub(crate) struct Item {
    pub action: Action,
    /// The key of the active keymap that runs it here, if any.
    pub keys: String,
}

pub(crate) struct Palette {
    pub input: TextInput,
    pub items: Vec<Item>,
    /// Indexes into `items`, best match first.
    pub matches: Vec<usize>,
    pub cursor: usize,
}

/// Actions that only mean something inside an overlay or a text field;
/// running them from the palette would do nothing.
fn offered(a: Action) -> bool {
    !matches!(
        a,
        Action::PaletteOpen
            | Action::HelpClose
            | Action::FormNext
            | Action::FormPrev
            | Action::FormSave
            | Action::FormCancel
            | Action::FormOption
            | Action::InputAccept
            | Action::InputCancel
            | Action::ConfirmAccept
            | Action::ConfirmReject
    )
}

impl Palette {
    pub fn new(keymap: &Keymap, pane: Context) -> Palette {
        let path = pane.path(pane);
        let reachable = keymap.reachable(&path);
        let items = Action::ALL
            .iter()
            .copied()
            .filter(|a| offered(*a))
            .map(|action| Item {
                action,
                keys: reachable.iter().find(|b| b.action == action).map(|b| b.short()).unwrap_or_default(),
            })
            .collect();
        let mut p = Palette { input: TextInput::default(), items, matches: Vec::new(), cursor: 0 };
        p.refilter();
        p
    }

    fn refilter(&mut self) {
        let q = self.input.text().trim();
        if q.is_empty() {
            // Bound actions first: what this pane can do right now.
            let mut idx: Vec<usize> = (0..self.items.len()).collect();
            idx.sort_by_key(|i| self.items[*i].keys.is_empty());
            self.matches = idx;
        } else {
            let m = SkimMatcherV2::default();
            let mut scored: Vec<(i64, usize)> = self
                .items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| {
                    let hay = format!("{} {}", it.action.title(), it.action.name());
                    m.fuzzy_match(&hay, q).map(|s| (s, i))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            self.matches = scored.into_iter().map(|(_, i)| i).collect();
        }
        self.cursor = 0;
    }

    pub fn handle_key(&mut self, k: &KeyEvent, _keymap: &Keymap) {
        if self.input.handle_key(k) {
            self.refilter();
        }
    }

    pub fn paste(&mut self, s: &str) {
        if self.input.paste(s) {
            self.refilter();
        }
    }

    pub fn move_cursor(&mut self, a: Action) {
        let n = self.matches.len();
        if n == 0 {
            return;
        }
        self.cursor = match a {
            Action::CursorDown => (self.cursor + 1) % n,
            Action::CursorUp => (self.cursor + n - 1) % n,
            _ => self.cursor,
        };
    }

    pub fn chosen(&self) -> Option<Action> {
        self.matches.get(self.cursor).map(|i| self.items[*i].action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn fuzzy_finds_actions_and_shows_their_keys() {
        let km = super::super::keymap::load_keymap(None).unwrap();
        let mut p = Palette::new(&km, Context::Customers);
        // Nothing typed: bound actions first.
        assert!(!p.items[p.matches[0]].keys.is_empty());
        for c in "apprv".chars() {
            p.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), &km);
        }
        assert_eq!(p.chosen(), Some(Action::ReviewApprove));
        p.input.set("");
        for c in "quit".chars() {
            p.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), &km);
        }
        assert_eq!(p.chosen(), Some(Action::Quit));
        assert_eq!(p.items[p.matches[0]].keys, "q");
        assert!(p.items.iter().all(|i| i.action != Action::FormSave));
    }
}
