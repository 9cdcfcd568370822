//! Application state and `update`: keys become named actions through the
//! keymap; an action goes to the open overlay, else to the app (global
//! actions), else to the pane in front. Panes read the database when their
//! state changes; `render` only reads what is stored. Long work runs as
//! background jobs whose events arrive through `tick`.

use super::action::Action;
use super::customers::{CustomersPane, Focus};
use super::detail::DLine;
use super::duplicates::DuplicatesPane;
use super::followups::FollowupsPane;
use super::form::{Form, FormOutcome};
use super::imports::ImportsPane;
use super::input::TextInput;
use super::jobs::{JobEvent, JobId, Jobs};
use super::keymap::{Context, Key, KeySeq, Keymap, Resolution};
use super::nav::{Nav, Spot};
use super::palette::Palette;
use super::pane::{Avail, Confirm, Cx, Effect, Keys, PaneId, Reply};
use super::quality::QualityPane;
use super::view::{self, Theme};
use crate::display::sanitize;
use crate::domain::Role;
use crate::error::Result;
use crate::service::{FollowupQuery, Workbench};
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

/// How often the database is asked whether another process (the CLI, a
/// teammate) changed it; what the workbench shows follows within two
/// seconds: one interval, plus the event loop's tick.
const WATCH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

impl Message {
    pub fn text(&self) -> &str {
        match self {
            Message::Info(m) | Message::Error(m) => m,
        }
    }
}

/// One line of the message log: every status-bar message of the session,
/// in full, with the time it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logged {
    pub at: chrono::NaiveDateTime,
    pub message: Message,
}

/// See `App::probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub loaded: bool,
    pub shown: usize,
    pub filter_hits: usize,
    pub filtering: bool,
    pub indexed: usize,
}

/// What is in front of the panes, taking the keys.
pub(crate) enum Overlay {
    Help {
        scroll: usize,
    },
    /// The message log (lazygit's command log); `scroll` is the first line
    /// shown of `lines`, the log wrapped for the screen's size.
    Log {
        scroll: usize,
        lines: Vec<DLine>,
    },
    Palette(Palette),
    /// `owner` gets the answer; `None` is the app's own question (quit).
    Confirm {
        confirm: Confirm,
        owner: Option<PaneId>,
    },
    Form(Box<Form>),
}

/// The pane bar's counts, loaded in the background.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    /// Live customers: the Customers tab's count while its list is stale.
    pub customers: Option<usize>,
    pub duplicates: Option<usize>,
    pub overdue: Option<usize>,
}

pub struct App {
    wb: Workbench,
    pub(crate) keymap: Keymap,
    pub(crate) theme: Theme,
    pub(crate) size: Rect,
    pub(crate) db_name: String,
    pub(crate) user: String,
    pub(crate) role: Option<Role>,
    pub(crate) pane: PaneId,
    pub(crate) customers: CustomersPane,
    pub(crate) duplicates: DuplicatesPane,
    pub(crate) followups: FollowupsPane,
    pub(crate) imports: ImportsPane,
    pub(crate) quality: QualityPane,
    /// Panes whose data changed while they were not shown.
    stale: Vec<PaneId>,
    pub(crate) overlay: Option<Overlay>,
    pub(crate) help_lines: Vec<DLine>,
    /// `/` inside help: what is searched, and whether it is being typed.
    pub(crate) help_search: Option<(TextInput, bool)>,
    pub(crate) jobs: Jobs,
    pub(crate) counts: Counts,
    counts_job: Option<JobId>,
    /// The database's `data_version` as last seen, and when it was asked.
    seen_version: Option<i64>,
    watched_at: Instant,
    pub(crate) pending: KeySeq,
    pub(crate) message: Option<Message>,
    /// Every message of the session, oldest first.
    pub(crate) log: Vec<Logged>,
    /// The back stack and jump list.
    pub(crate) nav: Nav,
    quit: bool,
}

impl App {
    pub fn new(wb: Workbench, keymap: Keymap, theme: Theme, size: Rect) -> Result<App> {
        // Windows of rows and one customer's detail at a time: 16 MB of
        // pages is plenty, and keeps a million-customer session small.
        wb.set_page_cache_mb(16)?;
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
            pane: PaneId::Customers,
            customers: CustomersPane::default(),
            duplicates: DuplicatesPane::default(),
            followups: FollowupsPane::default(),
            imports: ImportsPane::default(),
            quality: QualityPane::default(),
            stale: PaneId::ALL.to_vec(),
            overlay: None,
            help_lines,
            help_search: None,
            jobs: Jobs::default(),
            counts: Counts::default(),
            counts_job: None,
            seen_version: None,
            watched_at: Instant::now(),
            pending: Vec::new(),
            message: None,
            log: Vec::new(),
            nav: Nav::default(),
            quit: false,
        };
        app.seen_version = app.wb.data_version().ok();
        app.show(PaneId::Customers);
        app.recount();
        // Jobs on an in-memory database ran inline: deliver their results now.
        app.tick();
        Ok(app)
    }

    pub fn workbench(&self) -> &Workbench {
        &self.wb
    }

    /// Changes made behind the workbench's back, as another process would.
    #[cfg(test)]
    pub(crate) fn workbench_mut(&mut self) -> &mut Workbench {
        &mut self.wb
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn pane(&self) -> PaneId {
        self.pane
    }

    pub fn focus(&self) -> Focus {
        self.customers.focus()
    }

    pub fn log_open(&self) -> bool {
        matches!(self.overlay, Some(Overlay::Log { .. }))
    }

    pub fn help_open(&self) -> bool {
        matches!(self.overlay, Some(Overlay::Help { .. }))
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// What a benchmark or script driving the app needs to know to wait for
    /// it: whether the list has arrived, how many rows it shows, and whether
    /// the filter is still searching.
    pub fn probe(&self) -> Probe {
        let c = &self.customers;
        Probe {
            loaded: c.loaded,
            shown: c.ids.len(),
            filter_hits: c.filter.hits.len(),
            filtering: !c.filter.jobs.is_empty() || c.index.loading.is_some(),
            indexed: c.index.customers,
        }
    }

    /// Whether any background job is running (the loop polls faster then).
    pub fn busy(&self) -> bool {
        !self.jobs.running.is_empty()
    }

    /// The keymap context of the pane in front.
    pub fn pane_context(&self) -> Context {
        self.context_of(self.pane)
    }

    fn context_of(&self, pane: PaneId) -> Context {
        match pane {
            PaneId::Customers => self.customers.context(),
            PaneId::Duplicates => self.duplicates.context(),
            PaneId::Followups => self.followups.context(),
            PaneId::Imports => self.imports.context(),
            PaneId::Quality => self.quality.context(),
        }
    }

    /// The active keymap as seen from the pane in front.
    pub(crate) fn keys(&self) -> Keys<'_> {
        Keys { keymap: &self.keymap, ctx: self.pane_context() }
    }

    /// The contexts a key is looked up in, most specific first.
    pub fn lookup_path(&self) -> Vec<Context> {
        let pane = self.pane_context();
        match &self.overlay {
            // Typing a help search: keys are text, Enter and Esc end it.
            Some(Overlay::Help { .. }) if self.help_search.as_ref().is_some_and(|s| s.1) => Context::Filter.path(pane),
            Some(Overlay::Help { .. }) => Context::Help.path(pane),
            Some(Overlay::Log { .. }) => Context::Log.path(pane),
            Some(Overlay::Palette(_)) => Context::Palette.path(pane),
            Some(Overlay::Confirm { .. }) => Context::Confirm.path(pane),
            // Esc with unsaved changes asks; `[confirm]`'s keys answer.
            Some(Overlay::Form(f)) if f.asks_discard() => Context::Confirm.path(pane),
            Some(Overlay::Form(_)) => Context::Form.path(pane),
            None => pane.path(pane),
        }
    }

    /// Whether `action` does anything in the current state; the modal help
    /// overlay swallows pane and focus actions, so hints must not offer them.
    pub fn offers(&self, action: Action) -> bool {
        self.avail(action).ready()
    }

    /// Whether `action` runs here and now, and if not, why: one answer for
    /// the hints, the help overlay, the palette and the keys themselves.
    pub(crate) fn avail(&self, action: Action) -> Avail {
        match &self.overlay {
            // Typing a help search looks keys up in `[filter]`, whose words
            // are the list filter's ("Next match"); here they keep or drop
            // the search and scroll help, and say so.
            Some(Overlay::Help { .. }) if self.help_search.as_ref().is_some_and(|s| s.1) => match action {
                Action::InputAccept => Avail::Ready(Some(tr!("ready-help-keep-search"))),
                Action::InputCancel => Avail::Ready(Some(tr!("ready-help-show-all"))),
                // Help's own words for its scroll keys (`Scroll down`).
                a if a.scrolls() => Avail::Ready(Some(
                    self.keymap
                        .bindings(Context::Help)
                        .iter()
                        .find(|b| b.action == a)
                        .map_or_else(|| a.title(), |b| b.text().to_string()),
                )),
                _ => Avail::NotHere,
            },
            Some(Overlay::Help { .. }) => {
                let ok = action.scrolls()
                    || matches!(
                        action,
                        Action::HelpToggle | Action::HelpClose | Action::HelpSearch | Action::Quit | Action::LogOpen
                    );
                if ok {
                    Avail::Ready(None)
                } else {
                    Avail::NotHere
                }
            }
            Some(Overlay::Log { .. }) => {
                let ok = action.scrolls() || matches!(action, Action::LogOpen | Action::LogClose | Action::Quit);
                if ok {
                    Avail::Ready(None)
                } else {
                    Avail::NotHere
                }
            }
            // Offered only while a new customer's duplicates are named.
            Some(Overlay::Form(f)) if action == Action::FormOpenExisting => {
                if f.duplicates.is_empty() {
                    Avail::NotHere
                } else {
                    Avail::Ready(None)
                }
            }
            Some(_) => Avail::Ready(None),
            None => self.avail_here(action),
        }
    }

    /// `avail` with no overlay open: the app's own actions, then the pane's.
    fn avail_here(&self, action: Action) -> Avail {
        match action {
            Action::FilterOpen if self.pane == PaneId::Followups => self.followups.avail(action),
            Action::Quit
            | Action::Refresh
            | Action::HelpToggle
            | Action::PaletteOpen
            | Action::FilterOpen
            | Action::LogOpen
            | Action::PaneNext
            | Action::PanePrev
            | Action::PaneCustomers
            | Action::PaneDuplicates
            | Action::PaneFollowups
            | Action::PaneImports
            | Action::PaneQuality => Avail::Ready(None),
            Action::JobCancel if self.jobs.visible().next().is_none() => Avail::Off(tr!("no-job")),
            Action::JobCancel => Avail::Ready(None),
            Action::JumpBack => Avail::when(self.nav.can_back(), || tr!("nothing-back")),
            Action::JumpForward => Avail::when(self.nav.can_forward(), || tr!("nothing-forward")),
            Action::HelpClose | Action::LogClose => Avail::NotHere,
            Action::FocusList
                if self.pane == PaneId::Customers
                    && self.customers.focus() == Focus::Detail
                    && self.nav.returns_from(self.customers.detail.as_ref().map(|d| d.id)) =>
            {
                Avail::Ready(Some(tr!("ready-back")))
            }
            // Every pane is a list or a scrolling view.
            a if a.scrolls() => Avail::Ready(None),
            a => match self.pane {
                PaneId::Customers => self.customers.avail(a, &self.keys()),
                PaneId::Duplicates => self.duplicates.avail(a),
                PaneId::Followups => self.followups.avail(a),
                PaneId::Imports => self.imports.avail(a),
                // Quality is read-only: it scrolls.
                PaneId::Quality => Avail::NotHere,
            },
        }
    }

    /// The main area (between the pane bar and the status bar).
    pub(crate) fn main_area(&self) -> Rect {
        view::areas(self.size).main
    }

    pub fn handle_event(&mut self, ev: &Event) {
        match ev {
            Event::Key(k) => self.handle_key(k),
            Event::Resize(w, h) => self.resize(Rect::new(0, 0, *w, *h)),
            Event::Paste(s) => self.paste(s),
            _ => {}
        }
    }

    fn paste(&mut self, s: &str) {
        match &mut self.overlay {
            Some(Overlay::Form(form)) => form.paste(s),
            Some(Overlay::Palette(p)) => p.paste(s),
            None if self.pane == PaneId::Customers => {
                let s = s.to_string();
                self.with_pane(PaneId::Customers, move |p, cx| p.customers.paste(&s, cx));
            }
            None if self.pane == PaneId::Followups => {
                let s = s.to_string();
                self.with_pane(PaneId::Followups, move |p, cx| p.followups.paste(&s, cx));
            }
            _ => {}
        }
    }

    pub fn handle_key(&mut self, ev: &KeyEvent) {
        let before = self.message.clone();
        self.handle_key_inner(ev);
        self.log_message(before);
    }

    /// Keeps a message that `before` was not in the message log.
    fn log_message(&mut self, before: Option<Message>) {
        if let Some(m) = &self.message {
            if before.as_ref() != Some(m) {
                let at = self.wb.clock().now_local();
                self.log.push(Logged { at, message: m.clone() });
                if let Some(Overlay::Log { scroll, .. }) = self.overlay {
                    self.show_log(Some(scroll));
                }
            }
        }
    }

    fn handle_key_inner(&mut self, ev: &KeyEvent) {
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
                // While typing, a key that is not a command is text.
                if path.first().is_some_and(|c| c.is_input()) && seq.len() == 1 {
                    self.type_key(ev);
                    return;
                }
                let keys = super::keymap::seq_to_string(&seq);
                // Named from the keymap: a user's own map may put help elsewhere.
                let help = self.keymap.key_for(&path, Action::HelpToggle);
                self.message = Some(Message::Info(match help {
                    Some(h) => tr!("key-unbound-help", keys = keys.as_str(), help = h.as_str()),
                    None => tr!("key-unbound", keys = keys.as_str()),
                }));
            }
        }
    }

    /// The help text for the pane in front (contextual: its keys first,
    /// what cannot run here marked and why), narrowed by a help search.
    fn refresh_help(&mut self) {
        let cols = view::help_area(self.size, 1000).width.saturating_sub(2) as usize;
        let q = self.help_search.as_ref().map(|s| s.0.text().to_string());
        self.help_lines =
            view::help_lines_for(&self.keymap, self.pane_context(), &|a| self.avail(a), cols, q.as_deref());
    }

    fn type_key(&mut self, ev: &KeyEvent) {
        if let (Some(Overlay::Help { .. }), Some((input, true))) = (&self.overlay, &mut self.help_search) {
            if input.handle_key(ev) {
                // Marked as from the pane (what runs there), not the overlay.
                self.overlay = None;
                self.refresh_help();
                self.overlay = Some(Overlay::Help { scroll: 0 });
            }
            return;
        }
        match &mut self.overlay {
            Some(Overlay::Form(form)) => form.handle_key(ev),
            Some(Overlay::Palette(p)) => p.handle_key(ev, &self.keymap),
            _ => match self.pane {
                PaneId::Customers => self.with_pane(PaneId::Customers, |p, cx| p.customers.type_key(ev, cx)),
                PaneId::Followups => self.with_pane(PaneId::Followups, |p, cx| p.followups.type_key(ev, cx)),
                _ => {}
            },
        }
    }

    pub fn update(&mut self, action: Action) {
        self.message = None;
        match self.overlay.take() {
            Some(Overlay::Help { scroll }) => {
                let rows = view::help_rows(self.size, self.help_lines.len());
                let max = self.help_lines.len().saturating_sub(rows);
                match action {
                    Action::HelpToggle | Action::HelpClose => self.help_search = None,
                    Action::HelpSearch => {
                        let input = self.help_search.take().map(|s| s.0).unwrap_or_default();
                        self.help_search = Some((input, true));
                        self.overlay = Some(Overlay::Help { scroll });
                    }
                    // Enter keeps the search (the keys scroll again); Esc drops it.
                    Action::InputAccept if self.help_search.is_some() => {
                        if let Some(s) = &mut self.help_search {
                            s.1 = false;
                        }
                        self.overlay = Some(Overlay::Help { scroll });
                    }
                    Action::InputCancel if self.help_search.is_some() => {
                        self.help_search = None;
                        self.refresh_help();
                        self.overlay = Some(Overlay::Help { scroll: 0 });
                    }
                    Action::Quit => self.request_quit(),
                    Action::LogOpen => self.update_global(action),
                    // The overlay is modal: what it does not handle is not passed on.
                    _ if self.offers(action) => {
                        self.overlay = Some(Overlay::Help { scroll: view::scroll(scroll, action, rows, max) })
                    }
                    _ => self.overlay = Some(Overlay::Help { scroll }),
                }
            }
            Some(Overlay::Log { scroll, lines }) => {
                let rows = view::log_rows(self.size);
                let max = lines.len().saturating_sub(rows);
                match action {
                    Action::LogOpen | Action::LogClose => {}
                    Action::Quit => self.request_quit(),
                    a if a.scrolls() => {
                        self.overlay = Some(Overlay::Log { scroll: view::scroll(scroll, a, rows, max), lines })
                    }
                    _ => self.overlay = Some(Overlay::Log { scroll, lines }),
                }
            }
            Some(Overlay::Palette(mut p)) => match action {
                Action::InputCancel => {}
                Action::InputAccept => {
                    // An action that cannot run here says why instead.
                    if let Some(item) = p.chosen_item() {
                        match &item.why {
                            Some(why) => self.message = Some(Message::Info(why.clone())),
                            None => {
                                let a = item.action;
                                self.update(a)
                            }
                        }
                    }
                }
                Action::CursorDown | Action::CursorUp => {
                    p.move_cursor(action);
                    self.overlay = Some(Overlay::Palette(p));
                }
                _ => self.overlay = Some(Overlay::Palette(p)),
            },
            Some(Overlay::Confirm { confirm, owner }) => match action {
                Action::ConfirmAccept => match owner {
                    Some(pane) => {
                        self.with_pane(pane, |app, cx| app.pane_reply(pane, confirm.tag, Reply::Confirmed, cx))
                    }
                    None => {
                        for r in &self.jobs.running {
                            r.cancel();
                        }
                        self.quit = true;
                    }
                },
                Action::ConfirmReject => self.message = Some(Message::Info(tr!("nothing-done"))),
                _ => self.overlay = Some(Overlay::Confirm { confirm, owner }),
            },
            Some(Overlay::Form(mut form)) => match form.handle_action(action, &mut self.wb) {
                FormOutcome::Open => self.overlay = Some(Overlay::Form(form)),
                FormOutcome::Cancelled => {}
                FormOutcome::Reply { pane, tag, values } => {
                    self.with_pane(pane, |app, cx| app.pane_reply(pane, tag, Reply::Values(values), cx))
                }
                FormOutcome::Saved(msg) => {
                    self.message = Some(Message::Info(msg));
                    self.data_changed();
                }
                FormOutcome::Created { message, id } => {
                    self.message = Some(Message::Info(message));
                    // The list goes to the new customer once re-read.
                    self.customers.select_when_listed(id);
                    self.data_changed();
                }
                FormOutcome::OpenExisting(id) => {
                    let pane = self.pane;
                    self.apply(pane, vec![Effect::OpenCustomer(id)]);
                }
            },
            None => self.update_global(action),
        }
    }

    fn update_global(&mut self, action: Action) {
        match action {
            Action::Quit => self.request_quit(),
            Action::HelpToggle => {
                self.help_search = None;
                self.refresh_help();
                self.overlay = Some(Overlay::Help { scroll: 0 })
            }
            // The newest messages at the bottom, in view.
            Action::LogOpen => self.show_log(None),
            Action::PaletteOpen => {
                let path = self.lookup_path();
                let p = Palette::new(&self.keymap, &path, &|a| self.avail(a));
                self.overlay = Some(Overlay::Palette(p))
            }
            Action::PaneNext | Action::PanePrev => {
                let i = PaneId::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = PaneId::ALL.len();
                let j = if action == Action::PaneNext { (i + 1) % n } else { (i + n - 1) % n };
                self.switch(PaneId::ALL[j]);
            }
            Action::PaneCustomers => self.switch(PaneId::Customers),
            // The Follow-ups pane searches its own list.
            Action::FilterOpen if self.pane == PaneId::Followups => {
                self.with_pane(PaneId::Followups, |p, cx| p.followups.update(Action::FilterOpen, cx));
            }
            // From any other pane: find a customer.
            Action::FilterOpen => {
                self.switch(PaneId::Customers);
                self.with_pane(PaneId::Customers, |p, cx| p.customers.update(Action::FilterOpen, cx));
            }
            Action::PaneDuplicates => self.switch(PaneId::Duplicates),
            Action::PaneFollowups => self.switch(PaneId::Followups),
            Action::PaneImports => self.switch(PaneId::Imports),
            Action::PaneQuality => self.switch(PaneId::Quality),
            Action::JumpBack => self.jump(true),
            Action::JumpForward => self.jump(false),
            // Esc in a customer opened from a follow-up or a cluster goes
            // back there, not to the customer list.
            Action::FocusList
                if self.pane == PaneId::Customers
                    && self.customers.focus() == super::customers::Focus::Detail
                    && self.nav.returns_from(self.customers.detail.as_ref().map(|d| d.id)) =>
            {
                self.jump(true)
            }
            Action::Refresh => {
                self.data_changed();
                self.message = Some(Message::Info(tr!("reloaded")));
            }
            Action::JobCancel => match self.jobs.cancel_visible() {
                Some(label) => self.message = Some(Message::Info(tr!("cancelling", job = label))),
                None => self.message = Some(Message::Info(tr!("no-job"))),
            },
            _ => {
                // What cannot run here says why rather than nothing.
                if let Avail::Off(why) = self.avail_here(action) {
                    self.message = Some(Message::Info(why));
                    return;
                }
                let pane = self.pane;
                self.with_pane(pane, |app, cx| app.pane_update(pane, action, cx));
            }
        }
    }

    fn request_quit(&mut self) {
        let running: Vec<String> = self.jobs.visible().map(|r| r.label.clone()).collect();
        if running.is_empty() {
            self.quit = true;
            return;
        }
        let mut body = vec![tr!("quit-running", jobs = crate::i18n::join(&running))];
        body.push(tr!("quit-running-body"));
        self.overlay =
            Some(Overlay::Confirm { confirm: Confirm { title: tr!("quit-running-title"), body, tag: 0 }, owner: None });
    }

    /// Where the user is now.
    pub(crate) fn spot(&self) -> Spot {
        match self.pane {
            PaneId::Customers => self.customers.spot(),
            PaneId::Duplicates => self.duplicates.spot(),
            PaneId::Followups => self.followups.spot(),
            PaneId::Imports => self.imports.spot(),
            PaneId::Quality => self.quality.spot(),
        }
    }

    /// Goes to another pane, remembering where the user was.
    fn switch(&mut self, pane: PaneId) {
        if pane != self.pane {
            self.nav.record(self.spot());
        }
        self.show(pane);
    }

    /// Back (or forward) along the jump list, selection and scroll restored.
    fn jump(&mut self, back: bool) {
        let here = self.spot();
        let to = if back { self.nav.back(here) } else { self.nav.forward(here) };
        let Some(to) = to else {
            let m = if back { tr!("nothing-back") } else { tr!("nothing-forward") };
            self.message = Some(Message::Info(m));
            return;
        };
        let pane = to.pane();
        self.show(pane);
        self.with_pane(pane, |p, cx| p.pane_restore(&to, cx));
    }

    /// Brings `pane` to the front, reading it if its data changed.
    pub(crate) fn show(&mut self, pane: PaneId) {
        self.pane = pane;
        if let Some(pos) = self.stale.iter().position(|p| *p == pane) {
            self.stale.remove(pos);
            self.with_pane(pane, |app, cx| app.pane_reload(pane, cx));
        }
    }

    /// After a change to the data: the pane in front reloads now, the others
    /// when next shown, and the counts are recounted.
    pub(crate) fn data_changed(&mut self) {
        // Whatever other connections committed so far is read now.
        self.seen_version = self.wb.data_version().ok();
        self.stale = PaneId::ALL.to_vec();
        let pane = self.pane;
        self.show(pane);
        self.recount();
    }

    fn recount(&mut self) {
        if let Some(id) = self.counts_job {
            self.jobs.cancel(id);
        }
        let today = self.wb.clock().today();
        let id = self.jobs.spawn(&mut self.wb, PaneId::Customers, &tr!("job-counting"), false, move |wb, _ctl| {
            let customers = wb.customer_count()? as usize;
            let duplicates = wb.queue_size()?;
            let q = FollowupQuery { overdue_only: true, ..Default::default() };
            let overdue = wb.reminders(today, &q)?.len();
            Ok(Box::new(Counts { customers: Some(customers), duplicates: Some(duplicates), overdue: Some(overdue) }))
        });
        self.counts_job = Some(id);
    }

    /// Delivers what background jobs reported. Called by the event loop
    /// between events; returns whether anything changed on screen.
    pub fn tick(&mut self) -> bool {
        let before = self.message.clone();
        let changed = self.tick_inner();
        self.log_message(before);
        changed
    }

    fn tick_inner(&mut self) -> bool {
        let events = self.jobs.poll();
        let changed = !events.is_empty() || self.jobs.visible().next().is_some();
        for (id, owner, ev) in events {
            if Some(id) == self.counts_job {
                if let JobEvent::Done(r) = ev {
                    self.counts_job = None;
                    match r {
                        Ok(out) => {
                            if let Ok(c) = out.downcast::<Counts>() {
                                self.counts = *c;
                            }
                        }
                        Err(e) => self.message = Some(Message::Error(format!("{}: {e}", tr!("job-counting")))),
                    }
                }
                continue;
            }
            self.with_pane(owner, |app, cx| app.pane_job(owner, id, ev, cx));
        }
        self.watch() || changed
    }

    /// Whether `pane`'s data changed since it last read it (it re-reads when shown).
    pub(crate) fn is_stale(&self, pane: PaneId) -> bool {
        self.stale.contains(&pane)
    }

    /// Notices changes committed by other processes (SQLite's
    /// `data_version`, one cheap read a second) and reloads: the pane in
    /// front re-reads keeping its selection by key (customer, cluster,
    /// reminder), the others when shown, the counts now. An open editor or
    /// question stays as it is. Returns whether anything was reloaded.
    fn watch(&mut self) -> bool {
        if self.watched_at.elapsed() < WATCH_EVERY {
            return false;
        }
        self.watch_now()
    }

    pub(crate) fn watch_now(&mut self) -> bool {
        self.watched_at = Instant::now();
        // An import or a match run writes on its own connection as it goes;
        // its end reloads everything, not every step of it.
        if self.jobs.visible().next().is_some() {
            return false;
        }
        let Ok(v) = self.wb.data_version() else { return false };
        if self.seen_version == Some(v) {
            return false;
        }
        self.data_changed();
        true
    }

    /// Delivers job events until no job is left running; for tests.
    #[cfg(test)]
    pub(crate) fn settle(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            self.tick();
            if self.jobs.running.is_empty() || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.tick();
        assert!(self.jobs.running.is_empty(), "jobs still running after 30 s");
    }

    pub fn resize(&mut self, size: Rect) {
        self.size = size;
        let area = self.main_area();
        self.with_pane(PaneId::Customers, |app, cx| app.customers.resize(area, cx));
        if let Some(Overlay::Help { scroll }) = &mut self.overlay {
            let rows = view::help_rows(size, self.help_lines.len());
            *scroll = (*scroll).min(self.help_lines.len().saturating_sub(rows));
        }
        if let Some(Overlay::Log { scroll, .. }) = self.overlay {
            self.show_log(Some(scroll));
        }
    }

    /// Opens the message log, or re-wraps the open one for a new size or a
    /// new message: at `scroll`, or at the newest messages.
    fn show_log(&mut self, scroll: Option<usize>) {
        let lines = view::log_lines(&self.log, view::log_area(self.size).width);
        let max = lines.len().saturating_sub(view::log_rows(self.size));
        self.overlay = Some(Overlay::Log { scroll: scroll.map_or(max, |s| s.min(max)), lines });
    }

    /// Runs `f` with a context for `pane`, then carries out the effects it
    /// asked for.
    fn with_pane(&mut self, pane: PaneId, f: impl FnOnce(&mut Panes, &mut Cx)) {
        let mut effects = Vec::new();
        let ctx = self.context_of(pane);
        {
            let mut panes = Panes {
                customers: &mut self.customers,
                duplicates: &mut self.duplicates,
                followups: &mut self.followups,
                imports: &mut self.imports,
                quality: &mut self.quality,
            };
            let mut cx = Cx {
                wb: &mut self.wb,
                jobs: &mut self.jobs,
                message: &mut self.message,
                effects: &mut effects,
                area: view::areas(self.size).main,
                pane,
                keys: Keys { keymap: &self.keymap, ctx },
            };
            f(&mut panes, &mut cx);
        }
        self.apply(pane, effects);
    }

    /// Carries out what a pane asked for.
    fn apply(&mut self, pane: PaneId, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::OpenCustomer(id) => {
                    self.nav.record(self.spot());
                    self.show(PaneId::Customers);
                    self.with_pane(PaneId::Customers, |app, cx| app.customers.open(id, cx));
                    self.nav.opened = Some(id);
                }
                Effect::OpenForm(mut form) => {
                    // Hints in the form name the keys of the active keymap.
                    form.set_keys(&self.keymap);
                    // Why fields are locked, in full in the message log: the
                    // form's hint lines may cut a long reason at 80x24.
                    let at = self.wb.clock().now_local();
                    for line in form.lock_reasons() {
                        self.log.push(Logged { at, message: Message::Info(line) });
                    }
                    self.overlay = Some(Overlay::Form(form));
                }
                Effect::Confirm(confirm) => self.overlay = Some(Overlay::Confirm { confirm, owner: Some(pane) }),
                Effect::DataChanged => self.data_changed(),
            }
        }
    }
}

/// The panes, borrowed apart from the rest of the app so a pane's update can
/// hold the workbench at the same time.
pub(crate) struct Panes<'a> {
    pub customers: &'a mut CustomersPane,
    pub duplicates: &'a mut DuplicatesPane,
    pub followups: &'a mut FollowupsPane,
    pub imports: &'a mut ImportsPane,
    pub quality: &'a mut QualityPane,
}

impl Panes<'_> {
    fn pane_reload(&mut self, pane: PaneId, cx: &mut Cx) {
        match pane {
            PaneId::Customers => self.customers.reload(cx),
            PaneId::Duplicates => self.duplicates.reload(cx),
            PaneId::Followups => self.followups.reload(cx),
            PaneId::Imports => self.imports.reload(cx),
            PaneId::Quality => self.quality.reload(cx),
        }
    }

    fn pane_restore(&mut self, spot: &Spot, cx: &mut Cx) {
        match spot.pane() {
            PaneId::Customers => self.customers.restore(spot, cx),
            PaneId::Duplicates => self.duplicates.restore(spot, cx),
            PaneId::Followups => self.followups.restore(spot, cx),
            PaneId::Imports => self.imports.restore(spot, cx),
            PaneId::Quality => self.quality.restore(spot, cx),
        }
    }

    fn pane_update(&mut self, pane: PaneId, action: Action, cx: &mut Cx) {
        match pane {
            PaneId::Customers => self.customers.update(action, cx),
            PaneId::Duplicates => self.duplicates.update(action, cx),
            PaneId::Followups => self.followups.update(action, cx),
            PaneId::Imports => self.imports.update(action, cx),
            PaneId::Quality => self.quality.update(action, cx),
        }
    }

    fn pane_job(&mut self, pane: PaneId, id: JobId, ev: JobEvent, cx: &mut Cx) {
        match pane {
            PaneId::Customers => self.customers.on_job(id, ev, cx),
            PaneId::Duplicates => self.duplicates.on_job(id, ev, cx),
            PaneId::Followups => self.followups.on_job(id, ev, cx),
            PaneId::Imports => self.imports.on_job(id, ev, cx),
            PaneId::Quality => self.quality.on_job(id, ev, cx),
        }
    }

    fn pane_reply(&mut self, pane: PaneId, tag: u32, reply: Reply, cx: &mut Cx) {
        match pane {
            PaneId::Customers => self.customers.on_reply(tag, reply, cx),
            PaneId::Duplicates => self.duplicates.on_reply(tag, reply, cx),
            PaneId::Followups => self.followups.on_reply(tag, reply, cx),
            PaneId::Imports => self.imports.on_reply(tag, reply, cx),
            PaneId::Quality => self.quality.on_reply(tag, reply, cx),
        }
    }
}

/// Opens a customer's detail as `Enter` on a follow-up does; for tests.
#[cfg(test)]
pub(crate) fn test_open_customer(app: &mut App, id: i64) {
    let pane = app.pane;
    app.apply(pane, vec![Effect::OpenCustomer(id)]);
}
