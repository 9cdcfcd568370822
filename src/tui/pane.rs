//! What panes share: their ids, the context an update runs in, and the
//! effects a pane asks of the app (open a customer, a modal, a job…).
//!
//! A pane is a plain struct with the same few methods, called by `app.rs`:
//! `context`, `title`, `reload`, `update`, `on_job`, `on_reply`, `render`. The app routes actions to the pane in
//! front, job events to the pane that started the job, and replies from
//! prompts and confirmations to the pane that asked.

use super::action::Action;
use super::app::Message;
use super::form::Form;
use super::jobs::{JobCtl, JobId, Jobs, Output};
use super::keymap::{Context, Keymap};
use crate::error::Result;
use crate::service::Workbench;
use ratatui::layout::Rect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Customers,
    Duplicates,
    Followups,
    Imports,
    Quality,
}

impl PaneId {
    pub const ALL: [PaneId; 5] =
        [PaneId::Customers, PaneId::Duplicates, PaneId::Followups, PaneId::Imports, PaneId::Quality];

    pub fn name(self) -> String {
        match self {
            PaneId::Customers => tr!("pane-customers"),
            PaneId::Duplicates => tr!("pane-duplicates"),
            PaneId::Followups => tr!("pane-followups"),
            PaneId::Imports => tr!("pane-imports"),
            PaneId::Quality => tr!("pane-quality"),
        }
    }
}

/// A question with a yes/no answer. The accept key is `confirm.accept` of
/// the active keymap (`y` by default), never the key that asked.
pub(crate) struct Confirm {
    pub title: String,
    /// What will happen, one line each; shown sanitised.
    pub body: Vec<String>,
    /// Passed back to the asking pane's `on_reply` when accepted.
    pub tag: u32,
}

/// What a pane asks of the app.
pub(crate) enum Effect {
    /// Show the customer in the Customers pane's detail view.
    OpenCustomer(i64),
    /// Open a modal editor or prompt.
    OpenForm(Box<Form>),
    /// Ask first; on yes, the asking pane gets `on_reply(tag, Reply::Confirmed)`.
    Confirm(Confirm),
    /// The data changed: every pane reloads (after a merge, an import, an
    /// edit) and the pane bar counts are recounted.
    DataChanged,
}

/// Answers to a pane's questions.
pub(crate) enum Reply {
    Confirmed,
    /// A prompt's values, in field order.
    Values(Vec<String>),
}

/// Whether an action works in a pane's current state (gitui's
/// `CommandInfo`): built once per pane, it drives the hints, the help
/// overlay and the palette, and a key bound to an action that cannot run
/// says why instead of doing nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Avail {
    /// Runs here; `Some(title)` names what it does in this state when that
    /// differs from the keymap's description (Enter in the import preview
    /// runs the import).
    Ready(Option<String>),
    /// Runs on the `n` marked items rather than the selected one. Said as a
    /// fact, not folded into a title: each consumer says "the n marked" once
    /// in its own room (the hint line has none to repeat it per key, and
    /// offers these first so that none of them is cut off).
    Marked(usize),
    /// Belongs here but cannot run now: why, in words the user can act on.
    Off(String),
    /// Means nothing in this pane.
    NotHere,
}

impl Avail {
    pub fn ready(&self) -> bool {
        matches!(self, Avail::Ready(_) | Avail::Marked(_))
    }

    /// What `desc` (the keymap's description, or an action's title) does
    /// in this state, where there is room to say it in full: the pending
    /// key box, help, the palette.
    pub fn describe(&self, desc: &str) -> String {
        match self {
            Avail::Ready(Some(t)) => t.clone(),
            Avail::Marked(n) => tr!("on-marked", what = desc, n = *n),
            _ => desc.to_string(),
        }
    }

    /// Ready when `ok`, else off for `why`.
    pub fn when(ok: bool, why: impl FnOnce() -> String) -> Avail {
        if ok {
            Avail::Ready(None)
        } else {
            Avail::Off(why())
        }
    }
}

/// The active keymap as seen from one context: how messages name an action
/// (`u Undo the last merge`), never by its internal name.
#[derive(Clone, Copy)]
pub(crate) struct Keys<'a> {
    pub keymap: &'a Keymap,
    pub ctx: Context,
}

impl Keys<'_> {
    /// `key Title` for `action` here, from the active keymap.
    pub fn title(&self, action: Action) -> String {
        self.keymap.key_title(&self.ctx.path(self.ctx), action)
    }

    /// Just the key, or the title when nothing here is bound to it.
    pub fn key(&self, action: Action) -> String {
        self.keymap.key_for(&self.ctx.path(self.ctx), action).unwrap_or_else(|| self.title(action))
    }
}

/// The context an update runs in.
pub(crate) struct Cx<'a> {
    pub wb: &'a mut Workbench,
    pub jobs: &'a mut Jobs,
    /// The status-bar message to show after this update.
    pub message: &'a mut Option<Message>,
    pub effects: &'a mut Vec<Effect>,
    /// The pane's area on screen, for paging.
    pub area: Rect,
    pub pane: PaneId,
    /// The active keymap, to name keys in messages.
    pub keys: Keys<'a>,
}

impl Cx<'_> {
    pub fn info(&mut self, m: impl Into<String>) {
        *self.message = Some(Message::Info(m.into()));
    }

    pub fn error(&mut self, m: impl Into<String>) {
        *self.message = Some(Message::Error(m.into()));
    }

    pub fn effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    /// Starts a background job owned by this pane; events come back to its
    /// `on_job`.
    pub fn spawn<F>(&mut self, label: &str, visible: bool, work: F) -> JobId
    where
        F: FnOnce(&mut Workbench, &JobCtl) -> Result<Output> + Send + 'static,
    {
        self.jobs.spawn(self.wb, self.pane, label, visible, work)
    }

    /// Starts work that needs no database on its own thread.
    pub fn spawn_pure<F>(&mut self, label: &str, work: F) -> JobId
    where
        F: FnOnce(&JobCtl) -> std::result::Result<Output, String> + Send + 'static,
    {
        self.jobs.spawn_pure(self.pane, label, work)
    }
}
