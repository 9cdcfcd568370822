//! Modal forms: prompts (a few text fields whose values go back to the pane
//! that asked) and, built on the same fields, the record editors.

use super::action::Action;
use super::input::TextInput;
use super::pane::PaneId;
use super::view::Theme;
use crate::display::{fit, sanitize, truncate};
use crate::service::Workbench;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

pub(crate) struct FormField {
    pub label: String,
    pub input: TextInput,
    /// An inline message under the field (a refused value, say).
    pub error: Option<String>,
}

/// What a form did with an action.
pub(crate) enum FormOutcome {
    /// Still open.
    Open,
    /// Closed without doing anything.
    Cancelled,
    /// A prompt was submitted: values go to `pane.on_reply(tag, …)`.
    Reply { pane: PaneId, tag: u32, values: Vec<String> },
}

pub(crate) struct Form {
    pub title: String,
    pub fields: Vec<FormField>,
    pub focus: usize,
    reply_to: (PaneId, u32),
}

impl Form {
    /// A prompt: `fields` are (label, initial value).
    pub fn prompt(title: &str, fields: &[(&str, &str)], pane: PaneId, tag: u32) -> Form {
        Form {
            title: title.to_string(),
            fields: fields
                .iter()
                .map(|(l, v)| FormField { label: l.to_string(), input: TextInput::new(v), error: None })
                .collect(),
            focus: 0,
            reply_to: (pane, tag),
        }
    }

    /// Whether the user typed anything since it opened.
    pub fn is_dirty(&self) -> bool {
        false
    }

    /// A key that is not bound in `[form]`: typing into the focused field.
    pub fn handle_key(&mut self, k: &KeyEvent) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            if f.input.handle_key(k) {
                f.error = None;
            }
        }
    }

    pub fn paste(&mut self, s: &str) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input.paste(s);
        }
    }

    pub fn handle_action(&mut self, action: Action, _wb: &mut Workbench) -> FormOutcome {
        let n = self.fields.len().max(1);
        match action {
            Action::FormNext if self.focus + 1 < n => self.focus += 1,
            // Enter on the last field of a prompt submits it.
            Action::FormNext | Action::FormSave => {
                let (pane, tag) = self.reply_to;
                return FormOutcome::Reply {
                    pane,
                    tag,
                    values: self.fields.iter().map(|f| f.input.text().trim().to_string()).collect(),
                };
            }
            Action::FormPrev => self.focus = self.focus.saturating_sub(1),
            Action::FormCancel => return FormOutcome::Cancelled,
            _ => {}
        }
        FormOutcome::Open
    }

    /// Where the form goes on a screen of `size`.
    pub fn area(&self, size: Rect) -> Rect {
        let w = size.width.saturating_sub(4).min(72);
        let h = (self.fields.len() as u16 * 2 + 2).min(size.height.saturating_sub(2));
        Rect::new(size.x + (size.width - w) / 2, size.y + (size.height.saturating_sub(h)) / 3, w, h)
    }

    /// Draws the form; returns where the terminal cursor belongs.
    pub fn render(&self, f: &mut Frame, size: Rect, theme: Theme) -> Option<(u16, u16)> {
        let area = self.area(size);
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .title(Span::styled(format!(" {} ", sanitize(&self.title)), Style::default().add_modifier(Modifier::BOLD)));
        let inner = block.inner(area);
        f.render_widget(Clear, area);
        f.render_widget(block, area);
        let label_cols = self.fields.iter().map(|x| crate::display::width(&x.label)).max().unwrap_or(0).min(16) + 2;
        let value_cols = (inner.width as usize).saturating_sub(label_cols);
        let mut lines = Vec::new();
        let mut cursor = None;
        for (i, fld) in self.fields.iter().enumerate() {
            let (shown, col) = fld.input.view(value_cols.saturating_sub(1));
            let focused = i == self.focus;
            let label_style = if focused { Style::default().add_modifier(Modifier::BOLD) } else { Style::default() };
            let mark = if focused { "▶" } else { " " };
            lines.push(Line::from(vec![
                Span::styled(fit(&format!("{mark}{}", sanitize(&fld.label)), label_cols), label_style),
                Span::styled(shown, Style::default().add_modifier(Modifier::UNDERLINED)),
            ]));
            if focused {
                cursor = Some((inner.x + (label_cols + col) as u16, inner.y + lines.len() as u16 - 1));
            }
            let note = fld.error.as_deref().map(|e| format!("✗ {}", sanitize(e))).unwrap_or_default();
            lines.push(Line::from(Span::styled(
                format!("{}{}", " ".repeat(label_cols), truncate(&note, value_cols)),
                theme.error_style(),
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
        cursor.filter(|(x, y)| *x < inner.right() && *y < inner.bottom())
    }
}
