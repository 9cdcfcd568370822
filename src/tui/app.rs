//! Application state and `update`. All database reads happen here, when
//! state changes; `view::render` only reads what is stored.

use super::action::Action;
use super::detail::{self, DLine};
use super::keymap::{Context, Key, KeySeq, Keymap, Resolution};
use super::view::{self, Theme};
use crate::display::sanitize;
use crate::domain::Role;
use crate::error::Result;
use crate::service::Workbench;
use crate::store::CustomerRow;
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

/// The cached slice of list rows, aligned with `ids[start..]`. A `None`
/// marks an id whose row has gone (merged or deleted since the ids were read).
#[derive(Debug, Default)]
pub(crate) struct Window {
    pub start: usize,
    pub rows: Vec<Option<CustomerRow>>,
}

impl Window {
    fn covers(&self, a: usize, b: usize) -> bool {
        self.start <= a && b <= self.start + self.rows.len()
    }

    pub fn get(&self, i: usize) -> Option<&CustomerRow> {
        i.checked_sub(self.start).and_then(|k| self.rows.get(k)).and_then(Option::as_ref)
    }
}

pub(crate) struct DetailView {
    pub lines: Vec<DLine>,
}

pub struct App {
    wb: Workbench,
    pub(crate) keymap: Keymap,
    pub(crate) theme: Theme,
    pub(crate) size: Rect,
    pub(crate) db_name: String,
    pub(crate) user: String,
    pub(crate) role: Option<Role>,
    pub(crate) ids: Vec<i64>,
    pub(crate) selected: usize,
    /// Index of the first visible list row.
    pub(crate) offset: usize,
    pub(crate) window: Window,
    pub(crate) detail: Option<DetailView>,
    pub(crate) detail_scroll: usize,
    pub(crate) focus: Focus,
    pub(crate) help_open: bool,
    pub(crate) help_lines: Vec<DLine>,
    pub(crate) help_scroll: usize,
    pub(crate) pending: KeySeq,
    pub(crate) message: Option<Message>,
    quit: bool,
    /// How many times list rows were read; lets tests prove the list is virtual.
    pub(crate) row_fetches: usize,
}

impl App {
    pub fn new(wb: Workbench, keymap: Keymap, theme: Theme, size: Rect) -> Result<App> {
        let ids = wb.customer_ids()?;
        let role = wb.role()?;
        let db_name = wb
            .path()
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| wb.path().display().to_string());
        let user = wb.actor().to_string();
        let help_lines = view::help_lines(&keymap);
        let mut app = App {
            wb,
            keymap,
            theme,
            size,
            db_name: sanitize(&db_name).into_owned(),
            user: sanitize(&user).into_owned(),
            role,
            ids,
            selected: 0,
            offset: 0,
            window: Window::default(),
            detail: None,
            detail_scroll: 0,
            focus: Focus::List,
            help_open: false,
            help_lines,
            help_scroll: 0,
            pending: Vec::new(),
            message: None,
            quit: false,
            row_fetches: 0,
        };
        app.sync_list();
        app.load_detail();
        Ok(app)
    }

    pub fn workbench(&self) -> &Workbench {
        &self.wb
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_id(&self) -> Option<i64> {
        self.ids.get(self.selected).copied()
    }

    pub fn help_open(&self) -> bool {
        self.help_open
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// The contexts a key is looked up in, most specific first.
    pub fn lookup_path(&self) -> Vec<Context> {
        let pane = match self.focus {
            Focus::List => Context::Customers,
            Focus::Detail => Context::Detail,
        };
        if self.help_open {
            vec![Context::Help, pane, Context::Global]
        } else {
            vec![pane, Context::Global]
        }
    }

    /// Whether `action` does anything in the current state; the modal help
    /// overlay swallows pane and focus actions, so hints must not offer them.
    pub fn offers(&self, action: Action) -> bool {
        !self.help_open
            || matches!(
                action,
                Action::HelpToggle
                    | Action::HelpClose
                    | Action::Quit
                    | Action::CursorDown
                    | Action::CursorUp
                    | Action::PageDown
                    | Action::PageUp
                    | Action::Top
                    | Action::Bottom
            )
    }

    pub fn handle_event(&mut self, ev: &Event) {
        match ev {
            Event::Key(k) => self.handle_key(k),
            Event::Resize(w, h) => self.resize(Rect::new(0, 0, *w, *h)),
            _ => {}
        }
    }

    pub fn handle_key(&mut self, ev: &KeyEvent) {
        // Terminals with the kitty protocol also report repeats and releases;
        // acting on those would move twice per press.
        if ev.kind != KeyEventKind::Press {
            return;
        }
        let key = Key::from_event(ev);
        let path = self.lookup_path();
        match self.keymap.resolve(&path, &mut self.pending, key) {
            Resolution::Action(a) => self.update(a),
            Resolution::Pending => {}
            Resolution::Unbound(seq) => {
                let keys = super::keymap::seq_to_string(&seq);
                // Named from the keymap: a user's own map may put help elsewhere.
                let help = self.keymap.reachable(&path).into_iter().find(|b| b.action == Action::HelpToggle);
                self.message = Some(Message::Info(match help {
                    Some(h) => format!("{keys} is not bound here; {} lists the keys", h.short()),
                    None => format!("{keys} is not bound here"),
                }));
            }
        }
    }

    pub fn update(&mut self, action: Action) {
        self.message = None;
        if self.help_open {
            let rows = view::help_rows(self.size, self.help_lines.len());
            let max = self.help_lines.len().saturating_sub(rows);
            match action {
                Action::HelpToggle | Action::HelpClose => self.help_open = false,
                Action::Quit => self.quit = true,
                // The overlay is modal: what it does not handle is not passed on.
                _ if self.offers(action) => self.help_scroll = scroll(self.help_scroll, action, rows, max),
                _ => {}
            }
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::HelpToggle => {
                self.help_open = true;
                self.help_scroll = 0;
            }
            Action::HelpClose => {}
            Action::FocusNext | Action::FocusPrev => {
                self.focus = match self.focus {
                    Focus::List => Focus::Detail,
                    Focus::Detail => Focus::List,
                }
            }
            Action::FocusList => self.focus = Focus::List,
            Action::FocusDetail => self.focus = Focus::Detail,
            Action::CursorDown
            | Action::CursorUp
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom => match self.focus {
                Focus::List => self.move_selection(action),
                Focus::Detail => {
                    let rows = self.detail_rows();
                    let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
                    self.detail_scroll = scroll(self.detail_scroll, action, rows, len.saturating_sub(rows));
                }
            },
        }
    }

    pub fn resize(&mut self, size: Rect) {
        self.size = size;
        self.sync_list();
        let rows = self.detail_rows();
        let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
        self.detail_scroll = self.detail_scroll.min(len.saturating_sub(rows));
        let rows = view::help_rows(self.size, self.help_lines.len());
        self.help_scroll = self.help_scroll.min(self.help_lines.len().saturating_sub(rows));
    }

    pub(crate) fn list_rows(&self) -> usize {
        view::list_rows(self.size)
    }

    pub(crate) fn detail_rows(&self) -> usize {
        view::detail_rows(self.size)
    }

    fn move_selection(&mut self, action: Action) {
        if self.ids.is_empty() {
            return;
        }
        let last = self.ids.len() - 1;
        let page = self.list_rows().max(1);
        let to = match action {
            Action::CursorDown => (self.selected + 1).min(last),
            Action::CursorUp => self.selected.saturating_sub(1),
            Action::PageDown => (self.selected + page).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => self.selected,
        };
        if to != self.selected {
            self.selected = to;
            self.sync_list();
            self.load_detail();
        }
    }

    /// Keeps the selection in view and the visible rows in the cache.
    fn sync_list(&mut self) {
        let rows = self.list_rows();
        let len = self.ids.len();
        if len == 0 {
            return;
        }
        self.selected = self.selected.min(len - 1);
        if rows == 0 || self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        // After a grow, fill the pane instead of leaving blank rows below the end.
        self.offset = self.offset.min(len.saturating_sub(rows));
        let (a, b) = (self.offset, (self.offset + rows.max(1)).min(len));
        if self.window.covers(a, b) {
            return;
        }
        // A page either side, so scrolling row by row rarely reads.
        let margin = rows.max(1);
        let start = a.saturating_sub(margin);
        let end = (b + margin).min(len);
        match self.wb.customer_rows(&self.ids[start..end]) {
            Ok(found) => {
                self.row_fetches += 1;
                let mut found = found.into_iter().peekable();
                let rows = self.ids[start..end]
                    .iter()
                    .map(|id| if found.peek().is_some_and(|r| r.id == *id) { found.next() } else { None })
                    .collect();
                self.window = Window { start, rows };
            }
            Err(e) => self.message = Some(Message::Error(format!("reading customers: {e}"))),
        }
    }

    fn load_detail(&mut self) {
        self.detail_scroll = 0;
        let Some(id) = self.selected_id() else {
            self.detail = None;
            return;
        };
        match self.wb.customer_detail(id) {
            Ok(d) => self.detail = Some(DetailView { lines: detail::build(&d) }),
            Err(e) => {
                self.detail = None;
                self.message = Some(Message::Error(format!("reading customer: {e}")));
            }
        }
    }
}

/// A scroll position after a cursor action, for panes that scroll as a whole.
fn scroll(pos: usize, action: Action, page: usize, max: usize) -> usize {
    let page = page.max(1);
    match action {
        Action::CursorDown => (pos + 1).min(max),
        Action::CursorUp => pos.saturating_sub(1),
        Action::PageDown => (pos + page).min(max),
        Action::PageUp => pos.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => max,
        _ => pos,
    }
}
