//! The Imports pane: past batches, a batch's log, and imports started from here in the background.

use super::action::Action;
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::pane::{Cx, Reply};
use super::view::{pane_block, Theme};
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

#[derive(Default)]
pub(crate) struct ImportsPane {}

impl ImportsPane {
    pub fn context(&self) -> Context {
        Context::Imports
    }

    /// The pane bar's label; `count` is the background count, once known.
    pub fn title(&self, count: Option<usize>) -> String {
        let _ = count;
        "Imports".to_string()
    }

    /// Re-reads what the pane shows (on first show and after data changes).
    pub fn reload(&mut self, cx: &mut Cx) {
        let _ = cx;
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        let _ = (action, cx);
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        let _ = (id, ev, cx);
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        let _ = (tag, reply, cx);
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool) {
        let block = pane_block("Imports", active, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(""), inner);
    }
}
