//! A one-line text editor for the filter, the palette and form fields.
//! Positions are in characters; what is drawn is measured in display columns
//! so CJK text (two columns a character) keeps the cursor where it belongs.

use crate::display::{sanitize, width};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor, in characters from the start.
    cursor: usize,
}

impl TextInput {
    pub fn new(text: &str) -> TextInput {
        // Control characters cannot be typed into a field, nor come in with a value.
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        let cursor = text.chars().count();
        TextInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn set(&mut self, text: &str) {
        *self = TextInput::new(text);
    }

    fn byte(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(b, _)| b)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Applies an editing key; returns whether the text changed. Keys that
    /// are not editing keys are ignored (returns false, text unchanged).
    pub fn handle_key(&mut self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        match k.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('u') if ctrl => {
                let b = self.byte(self.cursor);
                self.text.replace_range(..b, "");
                self.cursor = 0;
                return b > 0;
            }
            KeyCode::Char('k') if ctrl => {
                let b = self.byte(self.cursor);
                let changed = b < self.text.len();
                self.text.truncate(b);
                return changed;
            }
            KeyCode::Char('w') if ctrl => return self.delete_word(),
            KeyCode::Backspace if alt || ctrl => return self.delete_word(),
            KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => {
                let b = self.byte(self.cursor);
                self.text.insert(b, c);
                self.cursor += 1;
                return true;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let (a, b) = (self.byte(self.cursor - 1), self.byte(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor -= 1;
                return true;
            }
            KeyCode::Delete if self.cursor < self.len() => {
                let (a, b) = (self.byte(self.cursor), self.byte(self.cursor + 1));
                self.text.replace_range(a..b, "");
                return true;
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            _ => {}
        }
        false
    }

    /// Pasted text: inserted at the cursor, newlines and controls dropped.
    pub fn paste(&mut self, s: &str) -> bool {
        let clean: String = s.chars().filter(|c| !c.is_control()).collect();
        if clean.is_empty() {
            return false;
        }
        let b = self.byte(self.cursor);
        self.text.insert_str(b, &clean);
        self.cursor += clean.chars().count();
        true
    }

    fn delete_word(&mut self) -> bool {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        if start == self.cursor {
            return false;
        }
        let (a, b) = (self.byte(start), self.byte(self.cursor));
        self.text.replace_range(a..b, "");
        self.cursor = start;
        true
    }

    /// The part of the text to draw in `cols` columns, scrolled so the
    /// cursor is visible, and the cursor's column within it.
    pub fn view(&self, cols: usize) -> (String, usize) {
        let chars: Vec<char> = self.text.chars().collect();
        let w = |cs: &[char]| width(&cs.iter().collect::<String>());
        // Scroll from the left until the cursor (plus one cell for it) fits.
        let mut start = 0;
        while start < self.cursor && w(&chars[start..self.cursor]) + 1 > cols.max(1) {
            start += 1;
        }
        let mut end = start;
        while end < chars.len() && w(&chars[start..=end]) <= cols {
            end += 1;
        }
        let shown: String = chars[start..end].iter().collect();
        (sanitize(&shown).into_owned(), w(&chars[start..self.cursor]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(s: &str) -> TextInput {
        let mut t = TextInput::default();
        for c in s.chars() {
            t.handle_key(&key(KeyCode::Char(c)));
        }
        t
    }

    #[test]
    fn typing_editing_and_cjk_cursor() {
        let mut t = typed("北京ab");
        assert_eq!(t.text(), "北京ab");
        assert_eq!(t.view(20), ("北京ab".to_string(), 6));
        t.handle_key(&key(KeyCode::Left));
        t.handle_key(&key(KeyCode::Left));
        t.handle_key(&key(KeyCode::Backspace));
        assert_eq!(t.text(), "北ab");
        assert_eq!(t.view(20).1, 2);
        t.handle_key(&key(KeyCode::Delete));
        assert_eq!(t.text(), "北b");
        t.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!((t.text(), t.view(20).1), ("b", 0));
        assert!(!t.handle_key(&key(KeyCode::Backspace)));
    }

    #[test]
    fn delete_word_and_paste_drop_controls() {
        let mut t = typed("foo bar ");
        t.handle_key(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(t.text(), "foo ");
        t.paste("x\x1b[31my\nz");
        assert_eq!(t.text(), "foo x[31myz");
        assert_eq!(TextInput::new("a\x07b").text(), "ab");
    }

    #[test]
    fn long_text_scrolls_to_keep_the_cursor_visible() {
        let t = typed("0123456789客户abcdef");
        let (shown, col) = t.view(8);
        assert!(width(&shown) <= 8, "{shown}");
        assert!(shown.ends_with("def"));
        assert!(col <= 8);
    }
}
