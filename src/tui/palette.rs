//! The command palette: every action by its title and name, fuzzy-matched
//! as you type, with the key that runs it in the current context.

use super::action::Action;
use super::input::TextInput;
use super::keymap::{Context, Keymap};
use super::pane::Avail;
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use ratatui::crossterm::event::KeyEvent;

pub(crate) struct Item {
    pub action: Action,
    /// The key of the active keymap that runs it here, if any.
    pub keys: String,
    /// What it does here: the pane's name for it in this state, else the
    /// action's title.
    pub title: String,
    /// Why it cannot run here; `None` when it can.
    pub why: Option<String>,
    /// Where it sorts when nothing is typed: what this pane can do first,
    /// quitting and what cannot run last.
    rank: u8,
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
            | Action::LogClose
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
    /// Every action that means something on `path` (the pane in front and
    /// the global context), as `avail` answers for the pane's state: what
    /// runs here first, what cannot run listed last with the reason.
    pub fn new(keymap: &Keymap, path: &[Context], avail: &dyn Fn(Action) -> Avail) -> Palette {
        let reachable = keymap.reachable(path);
        let pane_bindings = path.first().map(|c| keymap.bindings(*c)).unwrap_or(&[]);
        let items = Action::ALL
            .iter()
            .copied()
            .filter(|a| offered(*a))
            .filter_map(|action| {
                let bound = reachable.iter().find(|b| b.action == action);
                let keys = bound.map(|b| b.short()).unwrap_or_default();
                let (title, why) = match avail(action) {
                    Avail::NotHere => return None,
                    Avail::Off(why) => (action.title(), Some(why)),
                    a => (a.describe(&action.title()), None),
                };
                let in_pane = pane_bindings.iter().any(|b| b.action == action);
                let rank = match () {
                    _ if why.is_some() => 5,
                    _ if action == Action::Quit => 4,
                    _ if in_pane && !action.scrolls() => 0,
                    _ if in_pane => 2,
                    _ if !keys.is_empty() => 1,
                    _ => 3,
                };
                Some(Item { action, keys, title, why, rank })
            })
            .collect();
        let mut p = Palette { input: TextInput::default(), items, matches: Vec::new(), cursor: 0 };
        p.refilter();
        p
    }

    fn refilter(&mut self) {
        let q = self.input.text().trim();
        if q.is_empty() {
            // What this pane can do right now first; quitting and what
            // cannot run here last.
            let mut idx: Vec<usize> = (0..self.items.len()).collect();
            idx.sort_by_key(|i| self.items[*i].rank);
            self.matches = idx;
        } else {
            let m = SkimMatcherV2::default();
            let mut scored: Vec<(i64, usize)> = self
                .items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| {
                    // English titles match too, whatever the language shown.
                    let hay = format!(
                        "{} {} {} {}",
                        it.title,
                        it.action.title(),
                        it.action.title_in(crate::i18n::Lang::En),
                        it.action.name()
                    );
                    // What runs here outranks what cannot.
                    m.fuzzy_match(&hay, q).map(|s| (if it.why.is_some() { s - 1000 } else { s }, i))
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

    #[cfg(test)]
    pub fn chosen(&self) -> Option<Action> {
        self.chosen_item().map(|i| i.action)
    }

    pub fn chosen_item(&self) -> Option<&Item> {
        self.matches.get(self.cursor).map(|i| &self.items[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn fuzzy_finds_actions_and_shows_their_keys() {
        let km = super::super::keymap::load_keymap(None).unwrap();
        let mut p = Palette::new(&km, &Context::Customers.path(Context::Customers), &|_| Avail::Ready(None));
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
