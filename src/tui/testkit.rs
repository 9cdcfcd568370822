//! What the TUI's tests share: keys through the real keymap, typed text,
//! and the screen as a test terminal shows it.

use super::detail::DLine;
use super::{keymap, render, App};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

/// Presses a key sequence written as in a keymap file (`"g g <Enter>"`).
pub(crate) fn press(app: &mut App, keys: &str) {
    for k in keymap::parse_seq(keys).unwrap() {
        app.handle_key(&KeyEvent::new(k.code, k.mods));
    }
}

/// Types text, key by key.
pub(crate) fn typ(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

/// The screen, drawn into a test terminal of the app's size.
pub(crate) fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| render(app, f)).unwrap();
    t.backend().to_string()
}

/// Each line's text, its segments joined.
pub(crate) fn line_texts(lines: &[DLine]) -> Vec<String> {
    lines.iter().map(|l| l.iter().map(|s| s.text.as_str()).collect()).collect()
}

/// The lines' text, each line ended by a newline.
pub(crate) fn text(lines: &[DLine]) -> String {
    lines.iter().map(|l| l.iter().map(|s| s.text.as_str()).collect::<String>() + "\n").collect()
}

/// The customer detail's lines, as text.
pub(crate) fn detail_lines(app: &App) -> Vec<String> {
    line_texts(&app.customers.detail.as_ref().unwrap().lines)
}

/// One row of `screen`'s text as the terminal shows it, without the test
/// backend's quoting (and its note on wide characters).
pub(crate) fn row(screen_line: &str) -> &str {
    let l = screen_line.strip_prefix('"').unwrap_or(screen_line);
    l.find("\" Hidden by").map_or(l.trim_end_matches('"'), |i| &l[..i])
}
