//! The Follow-ups pane: overdue, due today and the next 7 days, grouped, with the rule that raised each.
//!
//! The list is read by a background job (on a large database the rules take
//! a noticeable fraction of a second), so the pane shows "loading…" until it
//! arrives and keeps showing the previous list while it is re-read. Acting on
//! an item updates the shown list at once and then reloads.
//!
//! As in the Customers pane, quick filters (`f m` mine, `f o` overdue, `f u`
//! one owner, `f r` one rule) and `/` narrow what is shown, `Esc` clears
//! them, and `Space` marks items (and moves on): done, snooze and reassign
//! then act on every marked item, each customer its own unit of work in the
//! service, and the message line says how many were done and which were
//! refused, and why.

use super::action::Action;
use super::detail::{DLine, Seg, Tone};
use super::form::Form;
use super::input::TextInput;
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::nav::Spot;
use super::pane::{Avail, Cx, Effect, PaneId, Reply};
use super::view::{clip, pane_block, scroll, wrap_dline, Theme};
use crate::display::{fit, sanitize};
use crate::domain::{InteractionKind, Reminder, Urgency};
use crate::service::{FollowupQuery, NewInteraction, ReminderHorizon, ReminderKey, SearchQuery, Snoozed};
use chrono::NaiveDate;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::BTreeSet;

/// How far ahead the pane looks.
const HORIZON_DAYS: u32 = 7;
/// Lines under the list: a rule (saying which dates are history), then the
/// selected reminder in full: who and why (wrapped, three rows between
/// them), then when it is due and from which day its dates count.
const FOOTER: u16 = 5;

const TAG_SNOOZE: u32 = 2;
const TAG_OWNER: u32 = 3;
const TAG_DONE: u32 = 4;

// Labels fit the form's 16-column label space; an empty next date leaves it to the rules.

/// The reminder a prompt acts on, fixed when it opened: the list may be
/// re-read while the prompt is open.
#[derive(Debug, Clone)]
struct Target {
    customer_id: i64,
    number: String,
    name: String,
    rule: String,
}

impl Target {
    fn of(r: &Reminder) -> Target {
        Target { customer_id: r.customer_id, number: r.number.clone(), name: r.name.clone(), rule: r.rule.clone() }
    }

    fn key(&self) -> ReminderKey {
        ReminderKey { number: self.number.clone(), rule: self.rule.clone() }
    }

    /// "CRM2026-000001 北京星辰科技有限公司 [first-followup]", for prompt titles.
    fn label(&self) -> String {
        format!("{} {} [{}]", self.number, sanitize(&self.name), self.rule)
    }
}

/// The quick filters; all that are set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Narrow {
    /// Owned by the acting user, under their login or their name.
    pub mine: bool,
    pub overdue: bool,
    /// One owner, cycled through the owners listed.
    pub owner: Option<String>,
    /// One rule, cycled through the rules listed.
    pub rule: Option<String>,
}

impl Narrow {
    fn labels(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.mine {
            v.push(tr!("quick-mine"));
        }
        if self.overdue {
            v.push(tr!("quick-overdue"));
        }
        if let Some(o) = &self.owner {
            v.push(tr!("fu-owner-label", owner = sanitize(o)));
        }
        if let Some(r) = &self.rule {
            v.push(tr!("fu-rule-label", rule = r.as_str()));
        }
        v
    }
}

/// The pane's `/`: a search within the list, by the customer search's rules.
#[derive(Default)]
pub(crate) struct Search {
    pub input: TextInput,
    /// The input has the keys (FILTER mode).
    pub editing: bool,
}

#[derive(Default)]
pub(crate) struct FollowupsPane {
    /// What the list shows: the loaded reminders the filters let through.
    /// `None` until the first load arrives.
    pub items: Option<Vec<Reminder>>,
    /// Every reminder loaded, filtered or not.
    all: Vec<Reminder>,
    pub narrow: Narrow,
    pub search: Search,
    /// The owner names that are "mine" (login and name).
    mine: Vec<String>,
    /// Marked reminders, by customer and rule.
    pub marked: BTreeSet<(i64, String)>,
    pub selected: usize,
    /// First visible line of the grouped list (headings count as lines).
    pub offset: usize,
    pub today: Option<NaiveDate>,
    /// How many reminders each of `GROUPS` holds.
    groups: [usize; 3],
    /// How many of `all` are overdue, for the title; kept by `regroup`.
    overdue: usize,
    load: Option<JobId>,
    load_error: Option<String>,
    /// What an open prompt acts on: one reminder, or the marked ones.
    targets: Vec<Target>,
    /// Which dates are history (before an import's reminders-from day).
    horizon: ReminderHorizon,
    /// What the last snooze of this session changed, for `u` to put back.
    last_snooze: Vec<Snoozed>,
    /// The reminder (number, rule) the next load selects: the first one an
    /// undo put back, where the user's eyes go.
    reselect: Option<(String, String)>,
}

/// The three groups, in list order (the list is sorted by effective due date,
/// so each group is one contiguous run).
const GROUPS: [(Urgency, &str); 3] = [
    (Urgency::Overdue, "fu-group-overdue"),
    (Urgency::DueToday, "fu-group-today"),
    (Urgency::Upcoming, "fu-group-upcoming"),
];

impl FollowupsPane {
    pub fn context(&self) -> Context {
        if self.search.editing {
            Context::Filter
        } else {
            Context::Followups
        }
    }

    /// The pane bar's label; `count` is the background count, once known.
    pub fn title(&self, count: Option<usize>) -> String {
        let loaded = self.items.as_ref().map(|_| self.overdue);
        match count.or(loaded) {
            Some(n) => tr!("fu-title", n = n),
            None => tr!("pane-followups"),
        }
    }

    /// Re-reads what the pane shows (on first show and after data changes).
    pub fn reload(&mut self, cx: &mut Cx) {
        if let Some(id) = self.load.take() {
            cx.jobs.cancel(id);
        }
        let today = cx.wb.clock().today();
        self.today = Some(today);
        let q = FollowupQuery { due_within: Some(HORIZON_DAYS), ..Default::default() };
        match cx.wb.mine_owners() {
            Ok(m) => self.mine = m,
            Err(e) => cx.error(tr!("err-user", e = e.to_string())),
        }
        self.load = Some(cx.spawn(&tr!("job-followups"), false, move |wb, _ctl| {
            Ok(Box::new((wb.reminders(today, &q)?, wb.reminder_horizon()?)))
        }));
    }

    /// How many planned dates the list would hold were they not history,
    /// under the same owner and rule filters as the list (`refilter`).
    fn history_shown(&self) -> u64 {
        let n = &self.narrow;
        self.horizon.history_of(n.rule.as_deref(), |owner| {
            (!n.mine || owner.is_some_and(|o| self.mine.iter().any(|m| m == o)))
                && n.owner.as_deref().is_none_or(|o| owner == Some(o))
        })
    }

    /// Whether a filter or the search narrows the list.
    fn filtered(&self) -> bool {
        self.narrow != Narrow::default() || self.query().is_some()
    }

    fn query(&self) -> Option<SearchQuery> {
        SearchQuery::parse(self.search.input.text())
    }

    /// Recomputes what the list shows from what was loaded, keeping the
    /// selected reminder selected when it is still shown; marks on
    /// reminders no longer shown are dropped, so a bulk action never acts
    /// on what the user cannot see.
    fn refilter(&mut self, area: Rect) {
        let keep = self.current().map(key);
        let q = self.query();
        let scorer = q.as_ref().map(SearchQuery::scorer);
        let n = &self.narrow;
        let shown: Vec<Reminder> = self
            .all
            .iter()
            .filter(|r| {
                let owner = r.owner.as_deref();
                (!n.mine || owner.is_some_and(|o| self.mine.iter().any(|m| m == o)))
                    && (!n.overdue || r.urgency == Urgency::Overdue)
                    && n.owner.as_deref().is_none_or(|o| owner == Some(o))
                    && n.rule.as_deref().is_none_or(|x| r.rule == x)
                    && scorer.as_ref().is_none_or(|s| s.score(&crate::service::reminder_search_text(r)).is_some())
            })
            .cloned()
            .collect();
        let keys: BTreeSet<(i64, String)> = shown.iter().map(key).collect();
        self.marked.retain(|k| keys.contains(k));
        self.items = Some(shown);
        self.regroup();
        if let Some(pos) = keep.and_then(|k| self.position(&k)) {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.len().saturating_sub(1));
        self.follow(area);
    }

    /// The next value of a cycling filter: none, then each value listed, then none.
    fn cycle(current: &Option<String>, values: Vec<String>) -> Option<String> {
        match current {
            None => values.into_iter().next(),
            Some(c) => values.iter().position(|v| v == c).and_then(|i| values.get(i + 1)).cloned(),
        }
    }

    /// The distinct values `f` gives the loaded reminders, in the order the
    /// lists use (pinyin for Chinese names, as the Customers pane sorts
    /// owners), so `f u` walks 李娜 next to li, not after every Latin name.
    fn values(&self, f: impl Fn(&Reminder) -> Option<&str>) -> Vec<String> {
        let set: BTreeSet<&str> = self.all.iter().filter_map(f).collect();
        let mut v: Vec<String> = set.into_iter().map(str::to_string).collect();
        v.sort_by_cached_key(|s| crate::clean::text::name_sort_key(s));
        v
    }

    /// A key typed while the search is being edited.
    pub fn type_key(&mut self, k: &KeyEvent, cx: &mut Cx) {
        if self.search.editing && self.search.input.handle_key(k) {
            self.refilter(cx.area);
        }
    }

    pub fn paste(&mut self, s: &str, cx: &mut Cx) {
        if self.search.editing && self.search.input.paste(s) {
            self.refilter(cx.area);
        }
    }

    /// Rows the list shows in `area`: the search line, when shown, takes one.
    fn rows(&self, area: Rect) -> usize {
        list_rows(area).saturating_sub(usize::from(self.search_line()))
    }

    /// Whether a line under the list shows the search.
    fn search_line(&self) -> bool {
        self.search.editing || !self.search.input.text().is_empty()
    }

    /// Where the terminal cursor goes (the search input), if anywhere.
    pub fn cursor_position(&self, area: Rect) -> Option<(u16, u16)> {
        if !self.search.editing {
            return None;
        }
        let inner = area.inner(ratatui::layout::Margin::new(1, 1));
        let [list, _] = Layout::vertical([Constraint::Min(0), Constraint::Length(FOOTER)]).areas(inner);
        let (_, col) = self.search.input.view(list.width.saturating_sub(3) as usize);
        Some((list.x + 2 + col as u16, list.bottom().saturating_sub(1)))
    }

    /// What the bulk-capable actions act on: the marked reminders (in list
    /// order), else the selected one.
    fn chosen(&self) -> Vec<Target> {
        let items = self.items.as_deref().unwrap_or(&[]);
        if self.marked.is_empty() {
            return self.current().map(Target::of).into_iter().collect();
        }
        items.iter().filter(|r| self.marked.contains(&key(r))).map(Target::of).collect()
    }

    /// What runs here in the pane's current state, and why not.
    pub fn avail(&self, action: Action) -> Avail {
        let why = || if self.items.is_none() { tr!("fu-loading") } else { tr!("fu-nothing-due") };
        let bulk = !self.marked.is_empty();
        match action {
            Action::InputAccept | Action::InputCancel if self.search.editing => Avail::Ready(None),
            Action::FilterOpen => Avail::Ready(Some(tr!("ready-search-followups"))),
            Action::FilterClear => Avail::when(self.filtered(), || tr!("no-filter")),
            Action::QuickMine | Action::QuickOverdue | Action::QuickOwner | Action::QuickRule => {
                Avail::when(self.items.is_some(), || tr!("fu-loading"))
            }
            Action::MarkToggle => Avail::when(self.current().is_some(), why),
            Action::MarkClear | Action::FollowupDone | Action::CustomerReassign if bulk => {
                Avail::Marked(self.marked.len())
            }
            Action::Snooze1d | Action::Snooze3d | Action::Snooze1w | Action::SnoozeCustom if bulk => {
                Avail::Marked(self.marked.len())
            }
            Action::MarkClear => Avail::Off(tr!("fu-none-marked")),
            Action::SnoozeUndo => Avail::when(!self.last_snooze.is_empty(), || tr!("fu-no-snooze-to-undo")),
            Action::FollowupDone
            | Action::Snooze1d
            | Action::Snooze3d
            | Action::Snooze1w
            | Action::SnoozeCustom
            | Action::CustomerReassign
            | Action::CustomerOpen => Avail::when(self.current().is_some(), why),
            _ => Avail::NotHere,
        }
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        match action {
            a if a.scrolls() => {
                let n = self.len();
                if n == 0 {
                    return;
                }
                self.selected = scroll(self.selected, action, self.rows(cx.area), n - 1);
                self.follow(cx.area);
            }
            Action::FilterOpen => {
                self.search.editing = true;
                // The search line takes a row: the selection stays in view.
                self.follow(cx.area);
            }
            Action::InputAccept => self.search.editing = false,
            Action::InputCancel => {
                self.search.editing = false;
                self.search.input.set("");
                self.refilter(cx.area);
            }
            Action::FilterClear => {
                let had = self.filtered();
                self.narrow = Narrow::default();
                self.search.input.set("");
                self.refilter(cx.area);
                cx.info(if had { tr!("filters-cleared") } else { tr!("no-filter") });
            }
            Action::QuickMine => {
                self.narrow.mine = !self.narrow.mine;
                self.refilter(cx.area);
                self.say_filter(cx);
            }
            Action::QuickOverdue => {
                self.narrow.overdue = !self.narrow.overdue;
                self.refilter(cx.area);
                self.say_filter(cx);
            }
            Action::QuickOwner => {
                self.narrow.owner = Self::cycle(&self.narrow.owner, self.values(|r| r.owner.as_deref()));
                self.refilter(cx.area);
                self.say_filter(cx);
            }
            Action::QuickRule => {
                self.narrow.rule = Self::cycle(&self.narrow.rule, self.values(|r| Some(r.rule.as_str())));
                self.refilter(cx.area);
                self.say_filter(cx);
            }
            Action::MarkToggle => {
                let Some(k) = self.current().map(key) else { return };
                if !self.marked.remove(&k) {
                    self.marked.insert(k);
                }
                let keys = [
                    Action::FollowupDone,
                    Action::Snooze1d,
                    Action::Snooze3d,
                    Action::Snooze1w,
                    Action::SnoozeCustom,
                    Action::CustomerReassign,
                ]
                .map(|a| cx.keys.key(a))
                .join(" / ");
                cx.info(tr!("fu-n-marked", n = self.marked.len(), keys = keys.as_str()));
                let n = self.len();
                self.selected = scroll(self.selected, Action::CursorDown, self.rows(cx.area), n.saturating_sub(1));
                self.follow(cx.area);
            }
            Action::MarkClear => {
                self.marked.clear();
                cx.info(tr!("marks-cleared"));
            }
            Action::FollowupDone if !self.marked.is_empty() => {
                let targets = self.chosen();
                let form =
                    done_prompt(targets.len(), &crate::i18n::value("interaction", InteractionKind::Call.as_str()), "");
                self.targets = targets;
                cx.effect(Effect::OpenForm(Box::new(form)));
            }
            Action::FollowupDone => {
                let Some(t) = self.target_here(cx) else { return };
                // The log-interaction editor, completing this reminder on save.
                match Form::complete_followup(cx.wb, t.customer_id, Some(&t.rule)) {
                    Ok(form) => cx.effect(Effect::OpenForm(Box::new(form))),
                    Err(e) => cx.error(e.to_string()),
                }
            }
            Action::SnoozeUndo => self.undo_snooze(cx),
            Action::Snooze1d => self.snooze("1d", cx),
            Action::Snooze3d => self.snooze("3d", cx),
            Action::Snooze1w => self.snooze("1w", cx),
            Action::SnoozeCustom => {
                let targets = self.chosen();
                if targets.is_empty() {
                    self.target_here(cx);
                    return;
                }
                let form = snooze_prompt(&targets, "");
                self.targets = targets;
                cx.effect(Effect::OpenForm(Box::new(form)));
            }
            Action::CustomerReassign => {
                let targets = self.chosen();
                if targets.is_empty() {
                    self.target_here(cx);
                    return;
                }
                let owner = if self.marked.is_empty() {
                    self.current().and_then(|r| r.owner.clone()).unwrap_or_default()
                } else {
                    String::new()
                };
                let form = owner_prompt(&targets, &owner, cx);
                self.targets = targets;
                cx.effect(Effect::OpenForm(Box::new(form)));
            }
            Action::CustomerOpen => {
                if let Some(r) = self.current() {
                    cx.effect(Effect::OpenCustomer(r.customer_id));
                }
            }
            _ => {}
        }
    }

    /// Where the user is in this pane, for the jump list.
    pub fn spot(&self) -> Spot {
        Spot::Followups { item: self.current().map(key), index: self.selected, offset: self.offset }
    }

    /// Goes back to `spot`: the same reminder when it is still listed, else
    /// the one now at its place.
    pub fn restore(&mut self, spot: &Spot, cx: &mut Cx) {
        let Spot::Followups { item, index, offset } = spot else { return };
        self.selected = item.as_ref().and_then(|k| self.position(k)).unwrap_or(*index);
        self.selected = self.selected.min(self.len().saturating_sub(1));
        self.offset = *offset;
        self.follow(cx.area);
    }

    fn position(&self, k: &(i64, String)) -> Option<usize> {
        self.items.as_ref()?.iter().position(|r| r.customer_id == k.0 && r.rule == k.1)
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        if Some(id) != self.load {
            return;
        }
        let JobEvent::Done(r) = ev else { return };
        self.load = None;
        match r.map(|out| out.downcast::<(Vec<Reminder>, ReminderHorizon)>()) {
            Ok(Ok(loaded)) => {
                // A re-read (an edit, a change by someone else) keeps the
                // selected reminder selected wherever it moved.
                let (items, horizon) = *loaded;
                self.all = items;
                self.horizon = horizon;
                self.load_error = None;
                self.refilter(cx.area);
                if let Some((number, rule)) = self.reselect.take() {
                    let at =
                        self.items.as_ref().and_then(|v| v.iter().position(|r| r.number == number && r.rule == rule));
                    if let Some(at) = at {
                        self.selected = at;
                        self.follow(cx.area);
                    }
                }
            }
            Ok(Err(_)) => self.load_error = Some(tr!("fu-shape")),
            Err(e) => {
                cx.error(tr!("err-followups", e = e.as_str()));
                self.load_error = Some(e);
            }
        }
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        let Reply::Values(values) = reply else { return };
        let targets = self.targets.clone();
        if targets.is_empty() {
            return;
        }
        match tag {
            TAG_SNOOZE => {
                let length = values.first().map(String::as_str).unwrap_or("");
                if let Err(e) = crate::domain::reminder::parse_snooze(length, cx.wb.clock().today()) {
                    let mut form = snooze_prompt(&targets, length);
                    form.fields[0].error = Some(e.clone());
                    cx.error(e);
                    cx.effect(Effect::OpenForm(Box::new(form)));
                    return;
                }
                self.snooze_targets(&targets, length, cx);
            }
            TAG_OWNER => self.reassign(&targets, values, cx),
            TAG_DONE => self.done_all(&targets, values, cx),
            _ => {}
        }
    }

    /// Says what the list shows now that a quick filter changed.
    fn say_filter(&self, cx: &mut Cx) {
        let labels = self.narrow.labels();
        let shown = self.len();
        if labels.is_empty() {
            cx.info(tr!("fu-shown", n = shown));
        } else {
            cx.info(tr!("fu-shown-of", n = shown, total = self.all.len(), labels = labels.join(" · ")));
        }
    }

    /// Completes every target with one interaction (kind and summary from
    /// the bulk prompt), each customer its own unit of work.
    fn done_all(&mut self, targets: &[Target], values: Vec<String>, cx: &mut Cx) {
        let kind_text = values.first().cloned().unwrap_or_default();
        let summary = values.get(1).cloned().unwrap_or_default();
        let again = |field: usize, why: String, cx: &mut Cx| {
            let mut form = done_prompt(targets.len(), &kind_text, &summary);
            form.fields[field].error = Some(why.clone());
            form.focus = field;
            cx.error(why);
            cx.effect(Effect::OpenForm(Box::new(form)));
        };
        let Some(kind) = InteractionKind::parse(&kind_text) else {
            let kinds: Vec<String> =
                InteractionKind::ALL.iter().map(|k| crate::i18n::value("interaction", k.as_str())).collect();
            return again(0, tr!("fu-not-kind", text = sanitize(&kind_text), kinds = crate::i18n::join(&kinds)), cx);
        };
        if summary.is_empty() {
            return again(1, tr!("fu-summary-required"), cx);
        }
        let entry = NewInteraction { kind, summary, at: None, contact: None, next: None };
        let keys: Vec<ReminderKey> = targets.iter().map(Target::key).collect();
        let out = cx.wb.complete_followups(&keys, &entry);
        let done: Vec<(i64, String)> =
            out.done.iter().flat_map(|c| c.completed.iter().map(|r| (r.customer_id, r.rule.clone()))).collect();
        for k in &done {
            self.marked.remove(k);
        }
        let gone: BTreeSet<&(i64, String)> = done.iter().collect();
        self.all.retain(|r| !gone.contains(&key(r)));
        self.refilter(cx.area);
        self.report(out.summary(done.len(), &tr!("fu-verb-done")), !out.refused.is_empty(), cx);
        cx.effect(Effect::DataChanged);
    }

    /// A bulk action's outcome in the message line: an error when any
    /// item was refused (those stay marked, to retry or look at).
    fn report(&self, text: String, refused: bool, cx: &mut Cx) {
        if refused {
            cx.error(text);
        } else {
            cx.info(text);
        }
    }

    fn len(&self) -> usize {
        self.items.as_ref().map_or(0, Vec::len)
    }

    fn current(&self) -> Option<&Reminder> {
        self.items.as_ref()?.get(self.selected)
    }

    fn target_here(&self, cx: &mut Cx) -> Option<Target> {
        match self.current() {
            Some(r) => Some(Target::of(r)),
            None => {
                cx.info(if self.items.is_none() { tr!("fu-loading") } else { tr!("fu-nothing-due") });
                None
            }
        }
    }

    /// Recounts the groups (and the title's overdue count) after the list
    /// changed. The list is sorted by effective due date, so each group is
    /// one run and a line's content follows from the counts alone: a
    /// backlog of hundreds of thousands of reminders costs a frame nothing.
    fn regroup(&mut self) {
        let items = self.items.as_deref().unwrap_or(&[]);
        self.groups = GROUPS.map(|(u, _)| items.iter().filter(|r| r.urgency == u).count());
        self.overdue = self.all.iter().filter(|r| r.urgency == Urgency::Overdue).count();
    }

    /// What display line `line` holds: a group heading or a reminder.
    fn line_kind(&self, line: usize) -> Option<LineKind> {
        let (mut start, mut first) = (0, 0);
        for (g, n) in self.groups.iter().enumerate() {
            if line == start {
                return Some(LineKind::Heading(g));
            }
            if line <= start + n {
                return Some(LineKind::Item(first + line - start - 1));
            }
            start += n + 1;
            first += n;
        }
        None
    }

    /// The display line of reminder `i`: one heading line per group up to its own.
    fn line_of(&self, i: usize) -> usize {
        let mut before = 0;
        for (g, n) in self.groups.iter().enumerate() {
            before += n;
            if i < before {
                return i + g + 1;
            }
        }
        i + GROUPS.len()
    }

    /// Scrolls so the selected row (and its group heading when it is the
    /// group's first) is visible.
    fn follow(&mut self, area: Rect) {
        let rows = self.rows(area).max(1);
        if self.selected >= self.len() {
            self.offset = 0;
            return;
        }
        let line = self.line_of(self.selected);
        let top = line.saturating_sub(1);
        if top < self.offset {
            self.offset = top;
        } else if line >= self.offset + rows {
            self.offset = line + 1 - rows;
        }
        // A list that got shorter (a filter, a search) is not left scrolled
        // past its end with rows blank below and its first matches hidden.
        let lines = self.line_of(self.len() - 1) + 1;
        self.offset = self.offset.min(lines.saturating_sub(rows));
    }

    fn snooze(&mut self, length: &str, cx: &mut Cx) {
        let targets = self.chosen();
        if targets.is_empty() {
            self.target_here(cx);
            return;
        }
        self.snooze_targets(&targets, length, cx);
    }

    fn snooze_targets(&mut self, targets: &[Target], length: &str, cx: &mut Cx) {
        match targets {
            [t] if self.marked.is_empty() => self.snooze_target(t, length, cx),
            _ => {
                let keys: Vec<ReminderKey> = targets.iter().map(Target::key).collect();
                match cx.wb.snooze_followups(&keys, length) {
                    Ok(out) => {
                        let snoozed: Vec<Reminder> = out.done.iter().flatten().cloned().collect();
                        self.remember_snooze(&snoozed);
                        let until = snoozed
                            .iter()
                            .find_map(|r| r.snoozed_until)
                            .map(|d| tr!("fu-until", day = d.format("%Y-%m-%d").to_string()))
                            .unwrap_or_default();
                        for r in &snoozed {
                            self.marked.remove(&key(r));
                        }
                        self.replace_all(snoozed.clone(), cx.area);
                        let mut text = out.summary(snoozed.len(), &tr!("fu-verb-snoozed", until = until));
                        if !snoozed.is_empty() {
                            text.push_str(&format!(" · {}", cx.keys.title(Action::SnoozeUndo)));
                        }
                        self.report(text, !out.refused.is_empty(), cx);
                        cx.effect(Effect::DataChanged);
                    }
                    Err(e) => cx.error(e.to_string()),
                }
            }
        }
    }

    fn snooze_target(&mut self, t: &Target, length: &str, cx: &mut Cx) {
        match cx.wb.snooze_followup(&t.number, Some(&t.rule), length) {
            Ok(snoozed) => {
                self.remember_snooze(&snoozed);
                let until = snoozed
                    .first()
                    .and_then(|r| r.snoozed_until)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                // Where the way back is: `u Undo the last snooze`.
                let back = cx.keys.title(Action::SnoozeUndo);
                let done = tr!("fu-snoozed-one", number = t.number.as_str(), rule = t.rule.as_str(), until = until);
                cx.info(format!("{done} · {back}"));
                self.replace(t, snoozed, cx.area);
                cx.effect(Effect::DataChanged);
            }
            Err(e) => cx.error(e.to_string()),
        }
    }

    /// Keeps what a snooze changed, for `u`: each reminder's new day and
    /// the one it had before, read from the list before it is replaced.
    fn remember_snooze(&mut self, snoozed: &[Reminder]) {
        let before =
            |r: &Reminder| self.all.iter().find(|o| key(o) == key(r) && o.due == r.due).and_then(|o| o.snoozed_until);
        let done: Vec<Snoozed> = snoozed
            .iter()
            .filter_map(|r| {
                let until = r.snoozed_until?;
                Some(Snoozed { number: r.number.clone(), rule: r.rule.clone(), due: r.due, until, before: before(r) })
            })
            .collect();
        if !done.is_empty() {
            self.last_snooze = done;
        }
    }

    /// Puts the last snooze back, through the service (rights, audit, one
    /// transaction per customer); what was changed since stays as it is,
    /// and the message says so. Undo is of the last snooze only, once.
    fn undo_snooze(&mut self, cx: &mut Cx) {
        let items = std::mem::take(&mut self.last_snooze);
        match cx.wb.undo_snoozes(&items) {
            Ok(out) => {
                let back = items.iter().filter(|s| out.done.contains(&s.number)).count();
                match (&items[..], out.refused.is_empty()) {
                    ([s], true) => cx.info(tr!("fu-unsnoozed-one", number = s.number.as_str(), rule = s.rule.as_str())),
                    _ => self.report(out.summary(back, &tr!("fu-verb-unsnoozed")), !out.refused.is_empty(), cx),
                }
                if back > 0 {
                    self.reselect =
                        items.iter().find(|s| out.done.contains(&s.number)).map(|s| (s.number.clone(), s.rule.clone()));
                    cx.effect(Effect::DataChanged);
                }
            }
            Err(e) => cx.error(e.to_string()),
        }
    }

    /// Gives the targets' customers the owner typed: checked and written by
    /// the service (an active user's login or name, the right to assign),
    /// each customer its own unit of work.
    fn reassign(&mut self, targets: &[Target], values: Vec<String>, cx: &mut Cx) {
        let login = values.first().map(|s| s.trim().to_string()).unwrap_or_default();
        let refuse = |msg: String, cx: &mut Cx| {
            let mut form = owner_prompt(targets, &login, cx);
            form.fields[0].error = Some(msg.clone());
            cx.error(msg);
            cx.effect(Effect::OpenForm(Box::new(form)));
        };
        let numbers: Vec<String> = targets.iter().map(|t| t.number.clone()).collect();
        let out = match cx.wb.reassign_customers(&numbers, &login) {
            Ok(out) => out,
            Err(e) => return refuse(e.to_string(), cx),
        };
        let done: BTreeSet<i64> =
            targets.iter().filter(|t| out.done.contains(&t.number)).map(|t| t.customer_id).collect();
        for r in self.all.iter_mut().filter(|r| done.contains(&r.customer_id)) {
            r.owner = Some(login.clone());
        }
        self.marked.retain(|k| !done.contains(&k.0));
        self.refilter(cx.area);
        match (targets, out.refused.first()) {
            // One reminder, refused: the prompt again, saying why.
            ([_], Some((_, why))) if self.marked.is_empty() => return refuse(why.clone(), cx),
            ([t], None) => cx.info(tr!("fu-owner-now", number = t.number.as_str(), login = sanitize(&login))),
            _ => self.report(
                out.summary(out.done.len(), &tr!("fu-verb-reassigned", login = sanitize(&login))),
                !out.refused.is_empty(),
                cx,
            ),
        }
        if !out.done.is_empty() {
            cx.effect(Effect::DataChanged);
        }
    }

    /// Drops the target's reminder from the shown list; the cursor stays on
    /// the same row, which now holds the next reminder.
    fn remove(&mut self, t: &Target) {
        self.all.retain(|r| !(r.customer_id == t.customer_id && r.rule == t.rule));
        if let Some(items) = &mut self.items {
            items.retain(|r| !(r.customer_id == t.customer_id && r.rule == t.rule));
            self.selected = self.selected.min(items.len().saturating_sub(1));
        }
        self.regroup();
    }

    /// Puts the snoozed reminders where their new due date belongs (or drops
    /// them when it is past the horizon).
    fn replace(&mut self, t: &Target, snoozed: Vec<Reminder>, area: Rect) {
        self.remove(t);
        self.replace_all(snoozed, area);
    }

    /// Puts snoozed reminders where their new due date belongs, in place
    /// of their old selves (or drops them past the horizon); the cursor
    /// stays on its row.
    fn replace_all(&mut self, snoozed: Vec<Reminder>, area: Rect) {
        let horizon = self.today.map(|d| crate::domain::reminder::shift(d, HORIZON_DAYS.into()));
        let gone: BTreeSet<(i64, String)> = snoozed.iter().map(key).collect();
        self.all.retain(|r| !gone.contains(&key(r)));
        self.all.extend(snoozed.into_iter().filter(|r| horizon.is_none_or(|h| r.effective_due() <= h)));
        self.all.sort_by(|a, b| (a.effective_due(), &a.number).cmp(&(b.effective_due(), &b.number)));
        let selected = self.selected;
        let here = self.current().map(key).filter(|k| !gone.contains(k));
        // The snoozed reminder under the cursor moves away and the cursor
        // stays at its row (the next one to triage); when the snoozed ones
        // were marked elsewhere, the cursor stays on its own reminder.
        self.items = None;
        self.refilter(area);
        self.selected = match here.and_then(|k| self.position(&k)) {
            Some(pos) => pos,
            None => selected.min(self.len().saturating_sub(1)),
        };
        self.follow(area);
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool) {
        // The filters in force, as the Customers pane shows its own.
        let mut title = self.title(None);
        if self.items.is_some() && self.filtered() {
            title.push_str(&tr!("fu-of", n = self.len(), total = self.all.len()));
        }
        for l in self.narrow.labels() {
            title.push_str(&format!(" · {l}"));
        }
        if !self.marked.is_empty() {
            title.push_str(&tr!("n-marked-title", n = self.marked.len()));
        }
        let block = pane_block(&sanitize(&title), active, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let Some(items) = &self.items else {
            let text = match &self.load_error {
                Some(e) => {
                    vec![Seg { text: tr!("fu-load-failed", e = sanitize(e)), tone: Tone::Flag }]
                }
                None => vec![Seg { text: tr!("loading"), tone: Tone::Dim }],
            };
            f.render_widget(Paragraph::new(clip(&text, cols, theme)), inner);
            return;
        };
        let [list, footer] = Layout::vertical([Constraint::Min(0), Constraint::Length(FOOTER)]).areas(inner);
        let mut out: Vec<Line> = Vec::new();
        // Marked rows get a gutter, as in the Customers pane; without marks
        // the row keeps its full width.
        let gutter = !self.marked.is_empty();
        let rows_here = list.height.saturating_sub(u16::from(self.search_line())) as usize;
        for l in (self.offset..).take(rows_here).map_while(|l| self.line_kind(l)) {
            match l {
                LineKind::Heading(g) => {
                    let text =
                        tr!("fu-group-heading", name = crate::i18n::message(GROUPS[g].1, None), n = self.groups[g]);
                    out.push(clip(&[Seg { text, tone: Tone::Heading }], cols, theme))
                }
                LineKind::Item(i) => {
                    let mut segs = row(&items[i], cols - usize::from(gutter));
                    if gutter {
                        let mark = if self.marked.contains(&key(&items[i])) { "●" } else { " " };
                        segs.insert(0, seg(mark, Tone::Heading));
                    }
                    let line = clip(&segs, cols, theme);
                    out.push(if i == self.selected && active { line.style(theme.selected()) } else { line });
                }
            }
        }
        if items.is_empty() {
            let text = if self.filtered() { tr!("fu-none-filter") } else { tr!("fu-none-due", days = HORIZON_DAYS) };
            out.push(clip(&[Seg { text, tone: Tone::Dim }], cols, theme));
        }
        f.render_widget(Paragraph::new(out), list);
        if self.search_line() {
            let (shown, _) = self.search.input.view(cols.saturating_sub(3));
            let state = tr!("found", n = items.len());
            let used = 2 + crate::display::width(&shown);
            let line = Line::from(vec![
                ratatui::text::Span::styled("/ ", theme.key()),
                ratatui::text::Span::raw(shown),
                ratatui::text::Span::styled(
                    crate::display::truncate(&state, cols.saturating_sub(used)).into_owned(),
                    theme.tone(Tone::Dim),
                ),
            ]);
            let y = list.bottom().saturating_sub(1);
            f.render_widget(Paragraph::new(line), Rect::new(list.x, y, list.width, 1));
        }
        let about = match items.get(self.selected) {
            Some(r) => about(r),
            None => Vec::new(),
        };
        let mut foot = vec![clip(&rule_line(&self.horizon, self.history_shown(), cols), cols, theme)];
        // The selected reminder in full: its reason wraps onto the footer's
        // rows instead of being cut at the list's edge; the last row says
        // when it is due.
        let wrapped: Vec<DLine> = about.iter().flat_map(|l| wrap_dline(l, cols, 2)).collect();
        let room = FOOTER as usize - 2;
        for (n, l) in wrapped.iter().take(room).enumerate() {
            if n + 1 == room && wrapped.len() > room {
                // More than the footer holds: marked as cut.
                let mut line = clip(l, cols.saturating_sub(1), theme);
                if !line.spans.last().is_some_and(|s| s.content.ends_with('…')) {
                    line.spans.push(ratatui::text::Span::styled("…", theme.tone(Tone::Dim)));
                }
                foot.push(line);
            } else {
                foot.push(clip(l, cols, theme));
            }
        }
        if let Some(r) = items.get(self.selected) {
            // Under the reason, however many rows it took.
            foot.resize(1 + room, Line::default());
            foot.push(clip(&due_line(r), cols, theme));
        }
        f.render_widget(Paragraph::new(foot), footer);
    }
}

enum LineKind {
    /// The heading of `GROUPS[g]`.
    Heading(usize),
    /// `items[i]`.
    Item(usize),
}

/// Rows of the list part of the pane in `area` (the pane's whole area).
fn list_rows(area: Rect) -> usize {
    area.height.saturating_sub(2 + FOOTER) as usize
}

fn seg(text: impl Into<String>, tone: Tone) -> Seg {
    Seg { text: text.into(), tone }
}

/// How late (or how soon) a reminder is, in words.
fn when(r: &Reminder) -> String {
    match r.urgency {
        // Years, past 999 days: the column is eight wide; the footer has the days.
        Urgency::Overdue if r.days_overdue > 999 => tr!("fu-late-years", n = r.days_overdue / 365),
        Urgency::Overdue => tr!("fu-late-days", n = r.days_overdue),
        Urgency::DueToday => tr!("fu-today"),
        Urgency::Upcoming => tr!("fu-in-days", n = -r.days_overdue),
    }
}

/// One list row: due date, lateness, number, name, owner, then the rule and
/// its reason in whatever room is left. Narrow panes drop the year.
fn row(r: &Reminder, cols: usize) -> Vec<Seg> {
    let wide = cols >= 110;
    let due = if wide { r.effective_due().format("%Y-%m-%d") } else { r.effective_due().format("%m-%d") };
    let name_cols = if wide { 26 } else { 16 };
    let lateness_tone = if r.urgency == Urgency::Overdue { Tone::Flag } else { Tone::Plain };
    let mut segs = vec![
        seg(format!("{due} "), Tone::Plain),
        seg(format!("{} ", fit(&when(r), 8)), lateness_tone),
        seg(format!("{} ", fit(&sanitize(&r.number), 14)), Tone::Plain),
        seg(format!("{} ", fit(&sanitize(&r.name), name_cols)), Tone::Plain),
        seg(format!("{} ", fit(&sanitize(r.owner.as_deref().unwrap_or("-")), 8)), Tone::Label),
    ];
    if r.escalated {
        segs.push(seg(format!("{} ", tr!("fu-escalated")), Tone::Flag));
    }
    segs.push(seg(format!("{} ", r.rule), Tone::Label));
    segs.push(seg(sanitize(&r.reason).into_owned(), Tone::Dim));
    segs
}

/// What identifies a reminder across re-reads.
fn key(r: &Reminder) -> (i64, String) {
    (r.customer_id, r.rule.clone())
}

/// The rule over the footer, saying which dates raise nothing: "── 51
/// planned follow-ups are history (before their import's --reminders-from)
/// ──", or that every date counts.
fn rule_line(h: &ReminderHorizon, history: u64, cols: usize) -> Vec<Seg> {
    let note = if history == 1 {
        tr!("fu-history-one")
    } else if history > 0 {
        tr!("fu-history-n", n = history)
    } else if let Some((id, source, day)) = h.batches.first() {
        tr!("fu-reminders-from", day = day.to_string(), id = *id, source = sanitize(source))
    } else {
        tr!("fu-every-date")
    };
    let w = crate::display::width(&note);
    if w + 4 > cols {
        return vec![seg("─".repeat(cols), Tone::Dim)];
    }
    vec![seg("──", Tone::Dim), seg(note, Tone::Label), seg("─".repeat(cols - w - 2), Tone::Dim)]
}

/// When the selected reminder is due and from which day its customer's
/// dates count: the "why" a reason alone does not say.
fn due_line(r: &Reminder) -> Vec<Seg> {
    let mut segs = vec![seg(tr!("fu-due", day = r.due.format("%Y-%m-%d").to_string()), Tone::Label)];
    if let Some(u) = r.snoozed_until {
        segs.push(seg(tr!("fu-snoozed-to", day = u.format("%Y-%m-%d").to_string()), Tone::Label));
    }
    let (when, tone) = match r.urgency {
        Urgency::Overdue if r.days_overdue == 1 => (tr!("fu-1-day-late"), Tone::Flag),
        Urgency::Overdue => (tr!("fu-n-days-late", n = r.days_overdue), Tone::Flag),
        Urgency::DueToday => (tr!("fu-today"), Tone::Plain),
        Urgency::Upcoming => (tr!("fu-in-n-days", n = -r.days_overdue), Tone::Plain),
    };
    segs.push(seg(format!(" · {when} · "), tone));
    segs.push(match r.counts_from {
        Some(d) => seg(tr!("fu-count-from", day = d.format("%Y-%m-%d").to_string()), Tone::Dim),
        None => seg(tr!("fu-every-date-counts"), Tone::Dim),
    });
    segs
}

/// The selected reminder in full, for the footer: who, then why (wrapped
/// there); `due_line` says when.
fn about(r: &Reminder) -> Vec<Vec<Seg>> {
    let mut first = vec![
        seg(format!("{} ", sanitize(&r.number)), Tone::Heading),
        seg(sanitize(&r.name).into_owned(), Tone::Plain),
        seg(
            tr!("fu-about-owner", owner = r.owner.as_deref().map_or_else(|| tr!("none"), |o| sanitize(o).into_owned())),
            Tone::Label,
        ),
    ];
    if let Some(s) = &r.status {
        first.push(seg(format!(" · {}", sanitize(s)), Tone::Label));
    }
    if let Some(u) = r.snoozed_until {
        first.push(seg(tr!("fu-about-snoozed", day = u.format("%Y-%m-%d").to_string()), Tone::Dim));
    }
    let mut second = vec![seg(format!("[{}] ", r.rule), Tone::Label)];
    if r.escalated {
        let text = match r.escalate_to.as_deref() {
            Some(m) => tr!("fu-escalated-to", to = sanitize(m)),
            None => tr!("fu-escalated-colon"),
        };
        second.push(seg(text, Tone::Flag));
    }
    second.push(seg(sanitize(&r.reason).into_owned(), Tone::Plain));
    vec![first, second]
}

/// What a prompt's title names: one reminder in full, or how many.
fn subject(targets: &[Target]) -> String {
    match targets {
        [t] => t.label(),
        _ => tr!("fu-n-marked-subject", n = targets.len()),
    }
}

/// The snooze prompt, for one reminder or the marked ones.
fn snooze_prompt(targets: &[Target], value: &str) -> Form {
    Form::prompt(
        &tr!("fu-snooze-title", what = subject(targets)),
        &[(&tr!("fu-snooze-for"), value)],
        PaneId::Followups,
        TAG_SNOOZE,
    )
}

/// The bulk done prompt: one interaction, logged with each marked
/// customer (their own editor, `d` without marks, plans a next date).
fn done_prompt(n: usize, kind: &str, summary: &str) -> Form {
    Form::prompt(
        &tr!("fu-done-title", n = n),
        &[(&tr!("fu-kind"), kind), (&tr!("fu-what"), summary)],
        PaneId::Followups,
        TAG_DONE,
    )
}

/// The reassign prompt; its title lists the active users to pick from.
fn owner_prompt(targets: &[Target], value: &str, cx: &mut Cx) -> Form {
    let users: Vec<String> = cx
        .wb
        .users()
        .map(|u| u.into_iter().filter(|u| !u.disabled).map(|u| sanitize(&u.login).into_owned()).collect())
        .unwrap_or_default();
    // The number alone, so the list of users has room in the title.
    let what = match targets {
        [t] => t.number.clone(),
        _ => tr!("fu-n-marked-short", n = targets.len()),
    };
    let title = if users.is_empty() {
        tr!("fu-reassign-title", what = what)
    } else {
        tr!("fu-reassign-to", what = what, users = crate::i18n::join(&users))
    };
    Form::prompt(&title, &[(&tr!("fu-new-owner"), value)], PaneId::Followups, TAG_OWNER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InteractionKind;
    use crate::domain::Role;
    use crate::service::NewInteraction;
    use crate::service::{Clock, Workbench};
    use crate::tui::app::{App, Message, Overlay};
    use crate::tui::keymap::Context;
    use crate::tui::load_keymap;
    use crate::tui::testkit::{press, screen, typ};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn add(wb: &mut Workbench, fields: &[(&str, &str)]) -> String {
        let sets: Vec<(String, String)> = fields.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
        wb.add_customer(&sets).unwrap().number
    }

    /// Today is 2026-03-10. Two overdue (a planned follow-up five days late
    /// and an escalated quote), one due today, one in three days, one past
    /// the horizon.
    fn bench() -> Workbench {
        fill(Workbench::open_in_memory("tester").unwrap())
    }

    fn fill(mut wb: Workbench) -> Workbench {
        wb.set_clock(Clock::fixed(d("2026-03-10").and_hms_opt(9, 0, 0).unwrap()));
        wb.add_user("wang", Role::Manager, Some("王经理"), None).unwrap();
        wb.add_user("li", Role::Sales, Some("李娜"), Some("wang")).unwrap();
        add(&mut wb, &[("name", "北京星辰科技有限公司"), ("owner", "li"), ("next_followup", "2026-03-05")]);
        add(&mut wb, &[("name", "上海云帆贸易有限公司"), ("owner", "wang"), ("next_followup", "2026-03-10")]);
        add(&mut wb, &[("name", "Acme Trading Ltd"), ("owner", "li"), ("next_followup", "2026-03-13")]);
        add(&mut wb, &[("name", "远期有限公司"), ("owner", "li"), ("next_followup", "2026-03-30")]);
        let quoted = add(&mut wb, &[("name", "报价有限公司"), ("owner", "li")]);
        let quote = NewInteraction {
            kind: InteractionKind::Quote,
            summary: "quoted 500k".into(),
            at: Some(d("2026-03-06")),
            contact: None,
            next: None,
        };
        wb.log_interaction(&quoted, &quote).unwrap();
        wb
    }

    fn app_on(wb: Workbench) -> App {
        let mut app =
            App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
        press(&mut app, "3");
        app.tick();
        app
    }

    fn shown(app: &App) -> Vec<(String, String, Urgency)> {
        let items = app.followups.items.as_ref().expect("loaded");
        items.iter().map(|r| (r.name.clone(), r.rule.clone(), r.urgency)).collect()
    }

    fn number_of(app: &App, name: &str) -> String {
        let items = app.followups.items.as_ref().unwrap();
        items.iter().find(|r| r.name == name).unwrap().number.clone()
    }

    fn open_reminders(app: &App) -> Vec<(String, String)> {
        let wb = app.workbench();
        let q = FollowupQuery { due_within: Some(7), ..Default::default() };
        wb.reminders(wb.clock().today(), &q).unwrap().into_iter().map(|r| (r.name, r.rule)).collect()
    }

    #[test]
    fn loads_in_the_background_then_groups_by_urgency() {
        let mut app =
            App::new(bench(), load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
        press(&mut app, "3");
        assert!(screen(&app).contains("loading…"));
        app.tick();
        assert_eq!(
            shown(&app),
            vec![
                ("北京星辰科技有限公司".to_string(), "next-followup".to_string(), Urgency::Overdue),
                ("报价有限公司".to_string(), "quote-escalation".to_string(), Urgency::Overdue),
                ("上海云帆贸易有限公司".to_string(), "next-followup".to_string(), Urgency::DueToday),
                ("Acme Trading Ltd".to_string(), "next-followup".to_string(), Urgency::Upcoming),
            ]
        );
        let s = screen(&app);
        for want in
            ["Overdue (2)", "Today (1)", "Next 7 days (1)", "5d late", "in 3d", "▲ESCALATED", "Follow-ups (2 overdue)"]
        {
            assert!(s.contains(want), "{want} missing:\n{s}");
        }
        assert!(!s.contains("远期有限公司"), "{s}");
        insta::assert_snapshot!(s);
    }

    #[test]
    fn done_opens_the_log_editor_which_completes_and_logs_the_interaction() {
        let mut app = app_on(bench());
        let number = number_of(&app, "北京星辰科技有限公司");
        press(&mut app, "d");
        assert!(matches!(app.overlay, Some(Overlay::Form(_))));
        insta::assert_snapshot!("done_prompt", screen(&app));
        // Fields: kind, date, summary, contact, next follow-up. A kind that
        // is not one and a next date in the past are refused inline.
        press(&mut app, "<C-u>");
        typ(&mut app, "fax");
        press(&mut app, "<Tab> <Tab>");
        typ(&mut app, "rang them");
        press(&mut app, "<Tab> <Tab>");
        typ(&mut app, "2026-03-01");
        press(&mut app, "<C-s>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the editor stays open") };
        assert!(form.fields[0].error.is_some(), "kind");
        assert_eq!(form.fields[2].input.text(), "rang them");
        assert!(open_reminders(&app).contains(&("北京星辰科技有限公司".into(), "next-followup".into())));
        // The kind fixed (the refusal put the cursor on it), the date in the
        // past is refused next.
        press(&mut app, "<C-u>");
        typ(&mut app, "visit");
        press(&mut app, "<C-s>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the editor stays open") };
        let next = form.fields[4].error.clone().unwrap_or_default() + &screen(&app);
        assert!(next.contains("past"), "{next}");
        // Fixed where the refusal put the cursor: saved.
        press(&mut app, "<C-u>");
        typ(&mut app, "2026-03-20");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{}", screen(&app));
        assert!(
            matches!(app.message(), Some(Message::Info(m)) if m.contains("done (next-followup)")),
            "{:?}",
            app.message()
        );
        let detail = app.workbench().customer_by_number(&number).unwrap();
        assert_eq!(detail.customer.next_followup.as_deref(), Some("2026-03-20"));
        assert_eq!(detail.customer.last_followup.as_deref(), Some("2026-03-10"));
        assert!(detail.interactions.iter().any(|i| i.kind == "visit" && i.summary == "rang them"));
        app.settle();
        assert!(!open_reminders(&app).iter().any(|(n, _)| n == "北京星辰科技有限公司"));
        // The cursor stays put: the next reminder is selected.
        assert_eq!(app.followups.selected, 0);
        assert_eq!(shown(&app)[0].0, "报价有限公司");
    }

    #[test]
    fn snoozing_moves_the_item_and_a_long_snooze_hides_it() {
        let mut app = app_on(bench());
        press(&mut app, "z w");
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("snoozed until 2026-03-17")));
        app.tick();
        let s = shown(&app);
        assert!(s.contains(&("北京星辰科技有限公司".into(), "next-followup".into(), Urgency::Upcoming)), "{s:?}");
        assert_eq!(s.iter().filter(|r| r.2 == Urgency::Overdue).count(), 1);
        // The cursor stayed on the first row, now the escalated quote.
        assert_eq!(app.followups.selected, 0);
        press(&mut app, "z z");
        typ(&mut app, "soon");
        press(&mut app, "<Enter>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("a bad length re-opens the prompt") };
        assert!(form.fields[0].error.is_some());
        press(&mut app, "<C-u>");
        typ(&mut app, "10d");
        press(&mut app, "<Enter>");
        app.tick();
        assert!(!shown(&app).iter().any(|r| r.0 == "报价有限公司"));
        assert!(!open_reminders(&app).iter().any(|(n, _)| n == "报价有限公司"));
    }

    /// Issue 16, finding 7: the data names owners (林峰), not logins: a user's
    /// name is as good as their login for a reassignment.
    #[test]
    fn finding_16_7_reassign_to_an_owner_named_in_the_data() {
        let mut wb = bench();
        wb.add_user("linfeng", Role::Sales, Some("林峰"), Some("wang")).unwrap();
        let mut app = app_on(wb);
        let number = number_of(&app, "北京星辰科技有限公司");
        press(&mut app, "O");
        press(&mut app, "<C-u>");
        typ(&mut app, "林峰");
        press(&mut app, "<Enter>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        let c = app.workbench().customer_by_number(&number).unwrap().customer;
        assert_eq!(c.owner.as_deref(), Some("林峰"));
    }

    #[test]
    fn reassign_changes_the_owner_and_refuses_unknown_logins() {
        let mut app = app_on(bench());
        let number = number_of(&app, "北京星辰科技有限公司");
        press(&mut app, "O");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("a prompt") };
        assert!(form.title.contains("wang") && form.title.contains("li"), "{}", form.title);
        assert_eq!(form.fields[0].input.text(), "li");
        press(&mut app, "<C-u>");
        typ(&mut app, "nobody");
        press(&mut app, "<Enter>");
        assert!(matches!(app.message(), Some(Message::Error(m)) if m.contains("not an active user")));
        press(&mut app, "<C-u>");
        typ(&mut app, "wang");
        press(&mut app, "<Enter>");
        assert!(app.overlay.is_none());
        let c = app.workbench().customer_by_number(&number).unwrap().customer;
        assert_eq!(c.owner.as_deref(), Some("wang"));
        app.tick();
        assert_eq!(app.followups.items.as_ref().unwrap()[0].owner.as_deref(), Some("wang"));
    }

    #[test]
    fn a_role_that_may_not_complete_it_is_told_before_typing() {
        let mut wb = bench();
        // A salesperson may only complete follow-ups of their own customers.
        wb.act_as("li").unwrap();
        let mut app = app_on(wb);
        press(&mut app, "j j");
        assert_eq!(app.followups.current().unwrap().owner.as_deref(), Some("wang"));
        // Refused before the editor opens: nothing to type in vain.
        press(&mut app, "d");
        let Some(Message::Error(m)) = app.message() else { panic!("{:?}", app.message()) };
        assert!(m.contains("edit follow-ups"), "{m}");
        assert!(app.overlay.is_none());
        assert!(screen(&app).contains("error:"));
        assert!(open_reminders(&app).iter().any(|(n, _)| n == "上海云帆贸易有限公司"));
    }

    /// The bench with `n` more customers overdue since 2026-03-01.
    fn backlog(n: usize) -> App {
        let mut wb = bench();
        for i in 0..n {
            add(&mut wb, &[("name", &format!("积压客户{i:02}有限公司")), ("next_followup", "2026-03-01")]);
        }
        app_on(wb)
    }

    #[test]
    fn paging_keeps_the_selection_and_its_heading_on_screen() {
        let mut app = backlog(30);
        let pane = &app.followups;
        assert_eq!(pane.groups, [32, 1, 1]);
        // Every reminder's line holds it; headings sit before each group.
        for i in 0..pane.len() {
            assert!(matches!(pane.line_kind(pane.line_of(i)), Some(LineKind::Item(j)) if j == i));
        }
        assert!(matches!(pane.line_kind(0), Some(LineKind::Heading(0))));
        assert!(matches!(pane.line_kind(33), Some(LineKind::Heading(1))));
        assert!(matches!(pane.line_kind(35), Some(LineKind::Heading(2))));
        assert!(pane.line_kind(37).is_none());
        press(&mut app, "G");
        let s = screen(&app);
        assert!(s.contains("Next 7 days (1)") && s.contains("03-13 in 3d"), "{s}");
        assert!(!s.contains("Overdue (32)"), "{s}");
        press(&mut app, "g g");
        let s = screen(&app);
        assert!(s.contains("Overdue (32)"), "{s}");
        press(&mut app, "<PageDown>");
        let pane = &app.followups;
        let line = pane.line_of(pane.selected);
        assert!(line >= pane.offset && line < pane.offset + list_rows(app.main_area()), "{line} {}", pane.offset);
    }

    /// Found in a real terminal: `G`, then a search that leaves a few
    /// items, showed the last two of nine found and blank rows above them.
    #[test]
    fn a_search_that_shortens_the_list_scrolls_back_to_its_top() {
        let mut app = backlog(30);
        press(&mut app, "G");
        assert!(app.followups.offset > 0);
        press(&mut app, "/");
        typ(&mut app, "积压客户01");
        let found = shown(&app);
        assert!((2..6).contains(&found.len()), "{found:?}");
        assert_eq!(app.followups.offset, 0, "what was found fits: nothing scrolled off the top");
        let s = screen(&app);
        for (name, _, _) in &found {
            // Names are cut to the column at 80 wide.
            let shown: String = name.chars().take(6).collect();
            assert!(s.contains(&shown), "{name}: {s}");
        }
    }

    #[test]
    fn a_reminder_done_elsewhere_is_reported_and_the_list_re_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let wb = fill(Workbench::open(&path, crate::store::OpenMode::Create, "tester").unwrap());
        let clock = wb.clock();
        let mut app = app_on(wb);
        app.settle();
        let number = number_of(&app, "北京星辰科技有限公司");
        // Someone else completes it after the list was read.
        let mut other = Workbench::open(&path, crate::store::OpenMode::Existing, "tester").unwrap();
        other.set_clock(clock);
        let call = NewInteraction {
            kind: InteractionKind::Call,
            summary: "done elsewhere".into(),
            at: None,
            contact: None,
            next: None,
        };
        other.complete_followup(&number, Some("next-followup"), &call).unwrap();
        press(&mut app, "d <Tab> <Tab>");
        typ(&mut app, "me too");
        press(&mut app, "<C-s>");
        // The editor says why and keeps what was typed; Esc, then y, leaves it.
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("{:?}", app.message()) };
        assert_eq!(form.fields[2].input.text(), "me too");
        assert!(screen(&app).contains("no open `next-followup` reminder"), "{}", screen(&app));
        press(&mut app, "<Esc> y");
        assert!(app.overlay.is_none());
        press(&mut app, "R");
        app.settle();
        assert!(!shown(&app).iter().any(|r| r.0 == "北京星辰科技有限公司"));
    }

    #[test]
    fn finding_16_2_esc_returns_to_followups_with_selection() {
        let mut app = app_on(bench());
        press(&mut app, "j j");
        let here = app.followups.current().unwrap().clone();
        press(&mut app, "<Enter>");
        assert_eq!(app.pane(), PaneId::Customers);
        assert_eq!(app.focus(), crate::tui::Focus::Detail);
        assert_eq!(app.customers.detail.as_ref().map(|d| d.id), Some(here.customer_id));
        // Esc lands where the user came from, on the same reminder.
        press(&mut app, "<Esc>");
        assert_eq!(app.pane(), PaneId::Followups);
        assert_eq!(app.followups.selected, 2);
        assert_eq!(app.followups.current().map(|r| r.name.clone()), Some(here.name.clone()));
        let s = screen(&app);
        assert!(s.contains(&here.number), "{s}");
        insta::assert_snapshot!(s);
        // The jump list: forward to the customer again, and back.
        press(&mut app, "<C-n>");
        assert_eq!(app.pane(), PaneId::Customers);
        assert_eq!(app.focus(), crate::tui::Focus::Detail);
        assert_eq!(app.customers.detail.as_ref().map(|d| d.id), Some(here.customer_id));
        press(&mut app, "<C-o>");
        assert_eq!(app.pane(), PaneId::Followups);
        assert_eq!(app.followups.current().map(|r| r.name.clone()), Some(here.name));
        // The way back holds only Customers now (the pane the app opened on).
        press(&mut app, "<C-o>");
        assert_eq!(app.pane(), PaneId::Customers);
        assert_eq!(app.focus(), crate::tui::Focus::List);
        press(&mut app, "<C-o>");
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("Nothing to go back to")));
    }

    /// Issue 16, finding 6: what a user migrating an old CRM needs. A
    /// planned follow-up in the past is overdue; a core customer last
    /// visited 45 days ago is overdue under the monthly rule. An import may
    /// say its older events are history (`--reminders-from`): then they raise
    /// nothing, and the pane says so; each item says why it is due.
    #[test]
    fn finding_16_6_past_dates_are_overdue_unless_the_import_says_history() {
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        wb.set_clock(Clock::fixed(d("2026-03-10").and_hms_opt(9, 0, 0).unwrap()));
        let dir = tempfile::tempdir().unwrap();
        let import = |wb: &mut Workbench, file: &str, rows: &str, from: Option<&str>| {
            let path = dir.path().join(file);
            std::fs::write(&path, format!("客户名称,下次跟进,最近跟进,优先级\n{rows}")).unwrap();
            let opts = crate::service::ImportOptions {
                source: file.into(),
                reminders_from: from.map(d),
                ..Default::default()
            };
            wb.import(&path, &opts, &mut |_| {}).unwrap();
        };
        // The old CRM, every date work.
        import(
            &mut wb,
            "old-crm.csv",
            "旧系统甲有限公司,2026-01-05,,\n旧系统乙有限公司,,2026-01-24,高\n旧系统丙有限公司,2026-03-12,,\n",
            None,
        );
        // An archive whose dates before February are history.
        import(
            &mut wb,
            "archive.csv",
            "档案丁有限公司,2025-11-20,,\n档案戊有限公司,,2025-10-01,高\n",
            Some("2026-02-01"),
        );
        let mut app = app_on(wb);
        app.settle();
        assert_eq!(
            shown(&app),
            vec![
                ("旧系统甲有限公司".to_string(), "next-followup".to_string(), Urgency::Overdue),
                ("旧系统乙有限公司".to_string(), "core-monthly".to_string(), Urgency::Overdue),
                ("档案戊有限公司".to_string(), "core-monthly".to_string(), Urgency::Overdue),
                ("旧系统丙有限公司".to_string(), "next-followup".to_string(), Urgency::Upcoming),
            ]
        );
        let s = screen(&app);
        assert!(s.contains("Follow-ups (3 overdue)"), "{s}");
        assert!(s.contains("1 planned date is history (before --reminders-from), not due"), "{s}");
        assert!(s.contains("due 2026-01-05 · 64 days late · every date counts"), "{s}");
        // The monthly rule: 45 days since the last visit, 15 late.
        press(&mut app, "j");
        let s = screen(&app);
        assert!(s.contains("last follow-up 2026-01-24; follow up at least"), "{s}");
        assert!(s.contains("15 days late"), "{s}");
        // The archive's visit counts from its reminders-from day, and says so.
        press(&mut app, "j");
        let s = screen(&app);
        assert!(s.contains("counted from") && s.contains("2026-02-01 (reminders-from)"), "{s}");
        assert!(s.contains("due 2026-03-03 · 7 days late · dates count from 2026-02-01"), "{s}");
        insta::assert_snapshot!(s);
        // The customer whose planned date is history says why it is not due.
        let id = app.workbench().customer_by_number("CRM2026-000004").unwrap().customer.id;
        crate::tui::app::test_open_customer(&mut app, id);
        let lines = crate::tui::testkit::detail_lines(&app);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("2025-11-20  not due: history, before this import's --reminders-from 2026-02-01")),
            "{lines:#?}"
        );
        // The batch shows the day it was imported with.
        let batches = app.workbench().batches().unwrap();
        assert_eq!(batches[0].reminders_from.as_deref(), Some("2026-02-01"));
        assert_eq!(batches[1].reminders_from, None);
    }

    /// Found in a real terminal (80×24): with marks set, the hint line
    /// offered only `d` ("Done: every marked follow-up" left no room), and
    /// so no key for snoozing, reassigning or clearing the marks. Every key
    /// that acts on the marked is offered (the snoozes as `z Snooze…`, whose
    /// box lists the four), and help and the palette say the same: these
    /// act on the n marked.
    #[test]
    fn marks_offer_every_action_on_the_marked_in_hints_help_and_palette() {
        let hints = |app: &App| screen(app).lines().last().unwrap().to_string();
        for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Zh] {
            crate::i18n::set_thread_lang(lang);
            let mut app = app_on(bench());
            press(&mut app, "<Space> <Space>");
            assert_eq!(app.followups.marked.len(), 2);
            let h = hints(&app);
            let want: &[&str] = match lang {
                crate::i18n::Lang::En => &["d Done", "z Snooze…", "O Reassign owner", "U Clear marks"],
                crate::i18n::Lang::Zh => &["d 完成", "z 推迟…", "O 更换负责人", "U 清除标记"],
            };
            for w in want {
                assert!(h.contains(w), "{lang:?} {w}: {h}");
            }
            // (In English, the screen is `bulk_marked`'s.)
            if lang == crate::i18n::Lang::Zh {
                insta::assert_snapshot!("marks_hints_zh", screen(&app));
            }
            // Help: the pane's keys for the marked say so, as the palette does.
            press(&mut app, "?");
            let help = crate::tui::testkit::text(&app.help_lines);
            let on = |what: &str| match lang {
                crate::i18n::Lang::En => format!("{what} · the 2 marked"),
                crate::i18n::Lang::Zh => format!("{what} · 已标记的 2 条"),
            };
            let descs: Vec<String> = [
                Action::FollowupDone,
                Action::Snooze1d,
                Action::Snooze3d,
                Action::Snooze1w,
                Action::SnoozeCustom,
                Action::CustomerReassign,
                Action::MarkClear,
            ]
            .iter()
            .map(|a| {
                app.keymap.bindings(Context::Followups).iter().find(|b| b.action == *a).unwrap().text().to_string()
            })
            .collect();
            for d in &descs {
                assert!(help.contains(&on(d)), "{lang:?} help lacks {}: {help}", on(d));
            }
            press(&mut app, "<Esc> :");
            let Some(Overlay::Palette(p)) = &app.overlay else { panic!("palette") };
            for a in [Action::FollowupDone, Action::Snooze1w, Action::CustomerReassign, Action::MarkClear] {
                let item = p.items.iter().find(|i| i.action == a).unwrap();
                assert_eq!(item.title, on(&a.title()), "{lang:?}");
                assert!(item.why.is_none());
            }
            // Without marks, none of that: U cannot run and says why.
            press(&mut app, "<Esc> U");
            let h = hints(&app);
            assert!(!h.contains(want[3]) && !h.contains(want[1]), "{h}");
        }
        crate::i18n::set_thread_lang(crate::i18n::Lang::En);
    }

    /// Issue 16, beyond the findings: `u` undoes the last snooze, one or
    /// marked ones, through the service; the follow-ups come back where
    /// they were, and `u` says why when there is nothing to undo.
    #[test]
    fn u_undoes_the_last_snooze() {
        let mut app = app_on(bench());
        press(&mut app, "u");
        assert_eq!(app.message(), Some(&Message::Info("No snooze to undo in this session".into())));
        let before = shown(&app);
        let first = app.followups.current().unwrap().number.clone();
        press(&mut app, "z w");
        app.settle();
        let moved = shown(&app).into_iter().find(|r| r.0 == "北京星辰科技有限公司").unwrap();
        assert_eq!(moved.2, Urgency::Upcoming, "snoozed a week");
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.ends_with(" · u Undo the last snooze")));
        assert!(app.followups.avail(Action::SnoozeUndo).ready());
        press(&mut app, "u");
        assert_eq!(app.message(), Some(&Message::Info(format!("{first}: [next-followup] back as before the snooze"))));
        app.settle();
        assert_eq!(shown(&app), before, "back where it was");
        assert_eq!(app.followups.current().unwrap().number, first, "and selected");
        assert!(!app.followups.avail(Action::SnoozeUndo).ready(), "undone once");
        // Marked ones: each back; the message counts them.
        press(&mut app, "<Space> <Space> z 1");
        app.settle();
        assert_ne!(shown(&app), before);
        press(&mut app, "u");
        assert!(
            matches!(app.message(), Some(Message::Info(m)) if m == "2 back as before the snooze"),
            "{:?}",
            app.message()
        );
        app.settle();
        assert_eq!(shown(&app), before);
        insta::assert_snapshot!(screen(&app));
        let history = app.workbench().customer_by_number(&first).unwrap().history;
        assert_eq!(history[0].action, "followup.unsnooze");
    }

    /// Found in a real terminal: "54 planned dates are history" stayed 54
    /// under `f m` (0 of 59 shown) and `f r`, so the note spoke of dates the
    /// list does not hold. It counts under the list's owner, mine and rule
    /// filters.
    #[test]
    fn the_history_count_follows_the_owner_mine_and_rule_filters() {
        let mut app = app_on(with_history());
        app.settle();
        let rule = |app: &App| {
            let s = screen(app);
            let l = s.lines().find(|l| l.contains("──")).map(crate::tui::testkit::row).unwrap_or_default();
            l.trim_matches(['┃', '─', ' ']).to_string()
        };
        assert_eq!(rule(&app), "4 planned dates are history (before --reminders-from), not due");
        press(&mut app, "f m");
        assert!(screen(&app).contains("· mine"), "{}", screen(&app));
        assert_eq!(rule(&app), "2 planned dates are history (before --reminders-from), not due");
        insta::assert_snapshot!(screen(&app));
        // One owner: wang's one.
        press(&mut app, "<Esc>");
        while !screen(&app).contains("owner wang") {
            press(&mut app, "f u");
            assert!(app.followups.narrow.owner.is_some(), "wang is listed");
        }
        assert_eq!(rule(&app), "1 planned date is history (before --reminders-from), not due");
        // A rule the planned dates do not fall under: none of them; theirs: all.
        press(&mut app, "<Esc>");
        while app.followups.narrow.rule.as_deref() != Some("quote-escalation") {
            press(&mut app, "f r");
        }
        assert_eq!(rule(&app), "reminders from 2026-02-01 for import 1 (archive)");
        press(&mut app, "<Esc>");
        while app.followups.narrow.rule.as_deref() != Some("next-followup") {
            press(&mut app, "f r");
        }
        press(&mut app, "f m");
        assert_eq!(rule(&app), "2 planned dates are history (before --reminders-from), not due");
        press(&mut app, "<Esc>");
        assert_eq!(rule(&app), "4 planned dates are history (before --reminders-from), not due");
        // The same in Chinese.
        crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
        let mut app = app_on(with_history());
        app.settle();
        press(&mut app, "f m");
        let s = screen(&app);
        crate::i18n::set_thread_lang(crate::i18n::Lang::En);
        assert!(s.contains("2 个计划日期属于历史"), "{s}");
        insta::assert_snapshot!("the_history_count_follows_the_owner_mine_and_rule_filters_zh", s);
    }

    /// `bench`, as li, with an archive whose planned dates before February
    /// are history: two of li's (as login and as name), one of wang's, one
    /// nobody's; and one of li's dates that counts.
    fn with_history() -> Workbench {
        let mut wb = bench();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.csv");
        std::fs::write(
            &path,
            "客户名称,下次跟进,负责人
档案甲有限公司,2025-11-20,li
档案乙有限公司,2025-12-01,李娜
             档案丙有限公司,2025-12-02,wang
档案丁有限公司,2025-12-03,
档案戊有限公司,2026-03-08,li
",
        )
        .unwrap();
        let opts = crate::service::ImportOptions {
            source: "archive".into(),
            reminders_from: Some(d("2026-02-01")),
            ..Default::default()
        };
        wb.import(&path, &opts, &mut |_| {}).unwrap();
        wb.act_as("li").unwrap();
        wb
    }

    /// Issue 16, finding 10: quick filters by owner, "mine" and rule, shown
    /// in the title, cleared by Esc. "Mine" is the login and the name.
    #[test]
    fn finding_16_10_filters_by_mine_owner_and_rule_and_esc_clears() {
        let mut wb = bench();
        add(&mut wb, &[("name", "广州李记有限公司"), ("owner", "李娜"), ("next_followup", "2026-03-08")]);
        wb.act_as("li").unwrap();
        let mut app = app_on(wb);
        let names = |app: &App| -> Vec<String> { shown(app).into_iter().map(|r| r.0).collect() };
        assert_eq!(names(&app).len(), 5);
        // Mine: owned as `li` and as 李娜; the manager's is hidden.
        press(&mut app, "f m");
        assert_eq!(names(&app), vec!["北京星辰科技有限公司", "广州李记有限公司", "报价有限公司", "Acme Trading Ltd"]);
        let s = screen(&app);
        assert!(s.contains("Follow-ups (3 overdue) · 4 of 5 · mine"), "{s}");
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("4 of 5 shown: mine")));
        // And overdue only.
        press(&mut app, "f o");
        assert_eq!(names(&app), vec!["北京星辰科技有限公司", "广州李记有限公司", "报价有限公司"]);
        // Esc clears every filter.
        press(&mut app, "<Esc>");
        assert_eq!(names(&app).len(), 5);
        assert!(matches!(app.message(), Some(Message::Info(m)) if m == "Filters cleared"));
        assert!(!screen(&app).contains(" of 5"));
        // One owner, cycling through the owners listed in pinyin order:
        // li, 李娜 (li na), wang, none.
        press(&mut app, "f u");
        assert_eq!(names(&app), vec!["北京星辰科技有限公司", "报价有限公司", "Acme Trading Ltd"]);
        press(&mut app, "f u");
        assert_eq!(names(&app), vec!["广州李记有限公司"]);
        assert!(screen(&app).contains("owner 李娜"), "{}", screen(&app));
        press(&mut app, "f u");
        assert_eq!(names(&app), vec!["上海云帆贸易有限公司"]);
        press(&mut app, "f u");
        assert_eq!(names(&app).len(), 5);
        // One rule.
        press(&mut app, "f r");
        assert_eq!(app.followups.narrow.rule.as_deref(), Some("next-followup"));
        assert!(!names(&app).contains(&"报价有限公司".to_string()));
        press(&mut app, "f r");
        assert_eq!(names(&app), vec!["报价有限公司"]);
        let s = screen(&app);
        assert!(s.contains("rule quote-escalation"), "{s}");
        insta::assert_snapshot!(s);
        press(&mut app, "<Esc>");
        assert_eq!(names(&app).len(), 5);
    }

    /// Issue 16, finding 10: `/` searches within the pane (name, pinyin,
    /// number, owner, rule), by the customer search's rules.
    #[test]
    fn finding_16_10_slash_searches_within_the_pane() {
        let mut app = app_on(bench());
        press(&mut app, "/");
        assert_eq!(app.pane(), PaneId::Followups, "the pane's own search, not the customer filter");
        assert_eq!(app.pane_context(), Context::Filter);
        typ(&mut app, "云帆");
        assert_eq!(shown(&app).into_iter().map(|r| r.0).collect::<Vec<_>>(), vec!["上海云帆贸易有限公司"]);
        let s = screen(&app);
        assert!(s.contains("/ 云帆 1 found"), "{s}");
        assert!(s.contains("Follow-ups (2 overdue) · 1 of 4"), "{s}");
        insta::assert_snapshot!(s);
        // Enter keeps it and gives the keys back to the list.
        press(&mut app, "<Enter>");
        assert_eq!(app.pane_context(), Context::Followups);
        assert!(screen(&app).contains("/ 云帆"));
        // Pinyin finds CJK names; the rule and the owner are words too.
        press(&mut app, "/ <C-u>");
        typ(&mut app, "xingchen");
        assert_eq!(shown(&app).into_iter().map(|r| r.0).collect::<Vec<_>>(), vec!["北京星辰科技有限公司"]);
        press(&mut app, "<C-u>");
        typ(&mut app, "quote");
        assert_eq!(shown(&app).into_iter().map(|r| r.0).collect::<Vec<_>>(), vec!["报价有限公司"]);
        press(&mut app, "<C-u>");
        typ(&mut app, "nothing-like-it");
        assert!(screen(&app).contains("Nothing matches the filters (Esc clears them)."), "{}", screen(&app));
        // Esc in the input drops the search.
        press(&mut app, "<Esc>");
        assert_eq!(app.pane_context(), Context::Followups);
        assert_eq!(shown(&app).len(), 4);
        assert!(!screen(&app).contains("/ "));
    }

    /// Issue 16, finding 10: Space marks and moves on, as in Customers;
    /// done, snooze and reassign then act on every marked follow-up, and
    /// the message line says how many were done and which were refused.
    #[test]
    fn finding_16_10_bulk_snooze_reports_done_and_refused() {
        let mut wb = bench();
        wb.act_as("li").unwrap();
        let mut app = app_on(wb);
        let yunfan = number_of(&app, "上海云帆贸易有限公司");
        // 北京星辰 (li's), skip 报价, 上海云帆 (the manager's: li may not).
        press(&mut app, "<Space>");
        assert_eq!(app.followups.selected, 1, "Space moves on");
        press(&mut app, "j <Space>");
        assert_eq!(app.followups.marked.len(), 2);
        assert!(
            matches!(app.message(), Some(Message::Info(m)) if m.starts_with("2 marked; d / ") && m.ends_with("act on every marked one"))
        );
        let s = screen(&app);
        assert!(s.contains("· 2 marked"), "{s}");
        assert!(s.contains("●"), "{s}");
        insta::assert_snapshot!("bulk_marked", s);
        let here = app.followups.current().map(|r| r.number.clone());
        assert!(here.is_some());
        // The `z` box tells the four lengths apart (found in a real terminal:
        // all four read "Snooze every marked follow-up"); each says it acts on the marked.
        press(&mut app, "z");
        let s = screen(&app);
        for what in ["Snooze 1 day", "Snooze 3 days", "Snooze 1 week", "Snooze for…"] {
            assert!(s.contains(&format!("{what} · the 2 marked")), "{what}: {s}");
        }
        press(&mut app, "w");
        // The cursor stays on its own reminder, not on whatever moved up
        // into its row (found in a real terminal).
        assert_eq!(app.followups.current().map(|r| r.number.clone()), here);
        let Some(Message::Error(m)) = app.message().cloned() else { panic!("{:?}", app.message()) };
        assert!(m.starts_with("1 snoozed until 2026-03-17, 1 refused ("), "{m}");
        assert!(m.contains(&yunfan) && m.contains("follow-ups"), "{m}");
        // The refused one stays marked, to look at; the snoozed one moved.
        app.settle();
        let marked: Vec<(i64, String)> = app.followups.marked.iter().cloned().collect();
        assert_eq!(marked.len(), 1);
        let r = shown(&app);
        assert!(r.contains(&("北京星辰科技有限公司".into(), "next-followup".into(), Urgency::Upcoming)), "{r:?}");
        // U clears the marks.
        press(&mut app, "U");
        assert!(app.followups.marked.is_empty());
    }

    #[test]
    fn finding_16_10_bulk_done_and_reassign_through_one_prompt() {
        let mut wb = bench();
        wb.add_user("linfeng", Role::Sales, Some("林峰"), Some("wang")).unwrap();
        let mut app = app_on(wb);
        let (a, b) = (number_of(&app, "北京星辰科技有限公司"), number_of(&app, "报价有限公司"));
        press(&mut app, "<Space> <Space>");
        press(&mut app, "O");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("a prompt") };
        assert!(form.title.starts_with("Reassign 2 marked to one of:"), "{}", form.title);
        typ(&mut app, "林峰");
        press(&mut app, "<Enter>");
        assert!(app.overlay.is_none());
        assert!(matches!(app.message(), Some(Message::Info(m)) if m == "2 reassigned to 林峰"), "{:?}", app.message());
        for n in [&a, &b] {
            assert_eq!(app.workbench().customer_by_number(n).unwrap().customer.owner.as_deref(), Some("林峰"));
        }
        app.settle();
        // Marks went with the done; mark both again and complete them.
        assert!(app.followups.marked.is_empty());
        press(&mut app, "g g <Space> <Space> d");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("a prompt") };
        assert!(form.title.contains("2 marked follow-ups"), "{}", form.title);
        insta::assert_snapshot!("bulk_done_prompt", screen(&app));
        // A kind that is not one is refused in the prompt.
        press(&mut app, "<C-u>");
        typ(&mut app, "fax");
        press(&mut app, "<Tab>");
        typ(&mut app, "电话回访");
        press(&mut app, "<Enter>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the prompt again") };
        assert!(form.fields[0].error.as_deref().is_some_and(|e| e.contains("not a kind")));
        press(&mut app, "<C-u>");
        typ(&mut app, "call");
        press(&mut app, "<Tab> <Enter>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        assert!(matches!(app.message(), Some(Message::Info(m)) if m == "2 done"), "{:?}", app.message());
        app.settle();
        assert!(!open_reminders(&app).iter().any(|(n, _)| n == "北京星辰科技有限公司" || n == "报价有限公司"));
        for n in [&a, &b] {
            let d = app.workbench().customer_by_number(n).unwrap();
            assert!(d.interactions.iter().any(|i| i.summary == "电话回访"), "{n}");
        }
    }

    #[test]
    fn enter_opens_the_customer() {
        let mut app = app_on(bench());
        press(&mut app, "j <Enter>");
        assert_eq!(app.pane(), PaneId::Customers);
        let id = app.customers.detail.as_ref().map(|d| d.id);
        let want = app.workbench().customer_by_number(&number_of(&app, "报价有限公司")).unwrap().customer.id;
        assert_eq!(id, Some(want));
    }
}
