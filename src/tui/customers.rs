//! The Customers pane: a virtual list of golden records and the selected
//! customer's 360° detail.

use super::action::Action;
use super::detail::{self, DLine, Tone};
use super::form::Form;
use super::input::TextInput;
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::nav::Spot;
use super::pane::{Avail, Confirm, Cx, Effect, Keys, Reply};
use super::search::{self, Chunk, Query};
use super::view::{self, clip, pane_block, Theme};
use crate::display::{fit, sanitize, truncate, width};
use crate::domain::Status;
use crate::service::{CustomerFilter, FollowupQuery, MergeOrigin, SortKey};
use crate::store::CustomerRow;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
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
    pub id: i64,
    pub lines: Vec<DLine>,
}

/// From this width the detail sits beside the list instead of below it.
const SIDE_BY_SIDE: u16 = 140;

pub(crate) fn split(area: Rect) -> (Rect, Rect) {
    let [list, detail] = if area.width >= SIDE_BY_SIDE {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    (list, detail)
}

/// The quick filters, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Quick {
    pub mine: bool,
    pub overdue: bool,
    pub incomplete: bool,
    pub status: Option<Status>,
}

impl Quick {
    fn labels(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.mine {
            v.push(tr!("quick-mine"));
        }
        if self.overdue {
            v.push(tr!("quick-overdue"));
        }
        if self.incomplete {
            v.push(crate::domain::FLAG_INCOMPLETE.to_string());
        }
        if let Some(s) = self.status {
            v.push(s.as_str().to_string());
        }
        v
    }
}

/// The `/` filter: what is typed, and the hits streaming in for it.
#[derive(Default)]
pub(crate) struct Filter {
    pub input: TextInput,
    /// The input has the keys (FILTER mode).
    pub editing: bool,
    pub query: Option<Query>,
    /// (score, id) of every hit so far, best first.
    pub hits: Vec<(i64, i64)>,
    /// Searches running for the current query (one per batch of chunks).
    pub jobs: Vec<JobId>,
    /// Hits arrived but not yet in the list: merged in at most every
    /// `APPLY_EVERY`, so a query matching half the customers does not
    /// re-rank and redraw for every slice.
    pending: Vec<(i64, i64)>,
    applied_at: Option<std::time::Instant>,
    /// How many customers matched in all; only the best `MAX_HITS` are kept.
    pub matched: usize,
    /// A smaller cap than `MAX_HITS`, for tests.
    pub cap: Option<usize>,
    /// The direct lookup (a customer number, an e-mail) running for the
    /// query; the fuzzy search starts only when it finds nobody.
    direct: Option<JobId>,
    /// The hits are the direct lookup's.
    pub exact: bool,
    /// What the direct lookup said (an absorbed number's survivor).
    note: Option<String>,
    /// Enter was pressed while the direct lookup ran: open what it finds.
    open_found: bool,
    /// The query is being run again on changed data: the hits shown are
    /// replaced by the first new ones (or by none when the run ends).
    refresh: bool,
    /// The customer selected when the re-run started, selected again
    /// when it turns up.
    keep: Option<i64>,
}

/// Hits kept for a query: a query that matches half a million customers
/// (`13`) is narrowed by typing on, not by scrolling, and its full hit list
/// would cost tens of megabytes.
pub(crate) const MAX_HITS: usize = 50_000;

/// How often streamed hits are merged into the list.
const APPLY_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The fuzzy index, loaded in the background on first use.
#[derive(Default)]
pub(crate) struct Index {
    pub chunks: Vec<Arc<Chunk>>,
    pub loading: Option<JobId>,
    pub complete: bool,
    pub customers: usize,
    /// The data changed since it was read.
    pub stale: bool,
}

#[derive(Default)]
pub(crate) struct CustomersPane {
    /// What the list shows, in order: the sorted, quick-filtered ids, or
    /// the fuzzy hits among them.
    pub ids: Arc<Vec<i64>>,
    /// The sorted, quick-filtered ids.
    base: Arc<Vec<i64>>,
    /// `base` as a set, when quick filters narrow it (the hits are checked against it).
    base_set: Option<HashSet<i64>>,
    pub loaded: bool,
    list_job: Option<JobId>,
    pub selected: usize,
    /// Index of the first visible list row.
    pub offset: usize,
    pub window: Window,
    pub detail: Option<DetailView>,
    pub detail_scroll: usize,
    pub focus: Option<Focus>,
    /// How many times list rows were read; lets tests prove the list is virtual.
    pub row_fetches: usize,
    /// The pane's area as last laid out, for paging.
    pub area: Rect,
    pub sort: SortKey,
    pub descending: bool,
    pub quick: Quick,
    pub marked: BTreeSet<i64>,
    pub filter: Filter,
    pub index: Index,
    /// Ids a confirmation is pending for (merge), by tag.
    pending_merge: Vec<i64>,
    pending_unmerge: Option<String>,
    /// A customer to select once the list holds it (one just created).
    want: Option<i64>,
}

const TAG_MERGE: u32 = 1;
const TAG_UNMERGE: u32 = 2;

impl CustomersPane {
    pub fn focus(&self) -> Focus {
        self.focus.unwrap_or(Focus::List)
    }

    pub fn context(&self) -> Context {
        match self.focus() {
            _ if self.filter.editing => Context::Filter,
            Focus::List => Context::Customers,
            Focus::Detail => Context::Detail,
        }
    }

    pub fn title(&self) -> String {
        if !self.loaded {
            return tr!("customers-loading-title");
        }
        if self.filter.query.is_some() || self.base_set.is_some() {
            tr!("customers-title-of", n = self.ids.len(), total = self.total())
        } else {
            tr!("customers-title", n = self.ids.len())
        }
    }

    /// The title, with `count` (live customers, counted since the list was
    /// read) standing in for an unfiltered list's length.
    pub fn title_counted(&self, count: Option<usize>) -> String {
        match count {
            Some(n) if self.filter.query.is_none() && self.base_set.is_none() => tr!("customers-title", n = n),
            _ => self.title(),
        }
    }

    fn total(&self) -> usize {
        self.index.customers.max(if self.base_set.is_none() { self.base.len() } else { 0 })
    }

    /// Whether a line under the list shows the filter.
    fn filter_line(&self) -> bool {
        self.filter.editing || self.filter.query.is_some()
    }

    pub fn selected_id(&self) -> Option<i64> {
        self.ids.get(self.selected).copied()
    }

    pub fn list_rows(&self) -> usize {
        split(self.area).0.height.saturating_sub(3 + u16::from(self.filter_line())) as usize
    }

    pub fn detail_rows(&self) -> usize {
        split(self.area).1.height.saturating_sub(2) as usize
    }

    /// Re-reads the list (sorted and quick-filtered) in the background; the
    /// old list stays on screen until the new one arrives.
    pub fn reload(&mut self, cx: &mut Cx) {
        self.area = cx.area;
        if let Some(id) = self.list_job.take() {
            cx.jobs.cancel(id);
        }
        let mut f = CustomerFilter::default();
        if self.quick.mine {
            f.owners = cx.wb.mine_owners().unwrap_or_else(|_| vec![cx.wb.actor().to_string()]);
        }
        if self.quick.incomplete {
            f.flag = Some(crate::domain::FLAG_INCOMPLETE.to_string());
        }
        f.status = self.quick.status.map(|s| s.as_str().to_string());
        let (key, desc, overdue) = (self.sort, self.descending, self.quick.overdue);
        let narrowed = f.status.is_some() || !f.owners.is_empty() || f.flag.is_some() || overdue;
        let today = cx.wb.clock().today();
        let id = cx.spawn(&tr!("job-reading-customers"), false, move |wb, _ctl| {
            let mut ids = wb.sorted_customer_ids(&f, key, desc)?;
            if overdue {
                let q = FollowupQuery { overdue_only: true, ..Default::default() };
                let due: HashSet<i64> = wb.reminders(today, &q)?.into_iter().map(|r| r.customer_id).collect();
                ids.retain(|i| due.contains(i));
            }
            Ok(Box::new((ids, narrowed)))
        });
        self.list_job = Some(id);
        // The index may hold merged-away or edited customers now. A query
        // on screen is run again on a fresh index at once (its hits would
        // be stale); otherwise the index is rebuilt when the filter is next
        // opened.
        if self.filter.query.is_some() {
            if let Some(j) = self.index.loading.take() {
                cx.jobs.cancel(j);
            }
            self.index = Index::default();
            self.rerun(cx);
        } else if self.index.complete || self.index.loading.is_some() {
            self.index.stale = true;
        }
        // A detail shown is re-read at once (an edit must show).
        if let Some(id) = self.detail.as_ref().map(|d| d.id) {
            let scroll = self.detail_scroll;
            self.load_detail_of(id, cx);
            self.detail_scroll = scroll;
        }
    }

    fn list_arrived(&mut self, ids: Vec<i64>, narrowed: bool, cx: &mut Cx) {
        if !self.loaded {
            // Read the filter's index while the user looks at the list, so
            // the first `/` searches at once.
            self.load_index(cx);
        }
        self.loaded = true;
        self.base_set = narrowed.then(|| ids.iter().copied().collect());
        self.base = Arc::new(ids);
        self.marked.retain(|id| self.base_set.as_ref().is_none_or(|s| s.contains(id)));
        self.rebuild(cx);
        // A new customer the filters hide is still shown in the detail.
        if let Some(id) = self.want.take() {
            if self.selected_id() != Some(id) {
                self.load_detail_of(id, cx);
            }
        }
    }

    /// After a new customer is saved: select it when the re-read list holds it.
    pub fn select_when_listed(&mut self, id: i64) {
        self.want = Some(id);
        self.focus = Some(Focus::List);
    }

    /// Recomputes what the list shows from `base` and the hits, keeping the
    /// selected customer selected when it is still there.
    fn rebuild(&mut self, cx: &mut Cx) {
        let wanted = self.want.filter(|id| self.base.contains(id) || self.filter.hits.iter().any(|h| h.1 == *id));
        let keep =
            wanted.or(self.filter.keep.filter(|id| self.filter.hits.iter().any(|h| h.1 == *id))).or(self.selected_id());
        self.ids = match &self.filter.query {
            // Shared, not copied: a million ids are 8 MB.
            None => Arc::clone(&self.base),
            Some(_) => Arc::new(
                self.filter
                    .hits
                    .iter()
                    .map(|h| h.1)
                    .filter(|id| self.base_set.as_ref().is_none_or(|s| s.contains(id)))
                    .collect(),
            ),
        };
        self.selected = keep.and_then(|id| self.ids.iter().position(|x| *x == id)).unwrap_or(0);
        self.offset = self.offset.min(self.selected);
        self.window = Window::default();
        self.sync_list(cx);
        if self.selected_id() != self.detail.as_ref().map(|d| d.id) {
            self.load_detail(cx);
        }
    }

    fn load_index(&mut self, cx: &mut Cx) {
        if self.index.stale {
            if let Some(j) = self.index.loading.take() {
                cx.jobs.cancel(j);
            }
            self.index = Index::default();
        }
        if self.index.loading.is_some() || self.index.complete {
            return;
        }
        let id = cx.spawn(&tr!("job-indexing"), false, |wb, ctl| {
            let mut after = 0;
            let mut total = 0usize;
            loop {
                if ctl.cancelled() {
                    break;
                }
                let rows = wb.search_corpus_page(after, search::CHUNK)?;
                let Some(last) = rows.last().map(|r| r.0) else { break };
                after = last;
                total += rows.len();
                let n = rows.len();
                ctl.partial(Arc::new(Chunk::new(rows)));
                if n < search::CHUNK {
                    break;
                }
            }
            Ok(Box::new(total))
        });
        self.index.loading = Some(id);
    }

    /// Starts searching `chunks` for the current query.
    fn search_chunks(&mut self, chunks: Vec<Arc<Chunk>>, cx: &mut Cx) {
        let Some(q) = self.filter.query.clone() else { return };
        if chunks.is_empty() {
            return;
        }
        let id = cx.spawn_pure(&tr!("job-filtering"), move |ctl| {
            // Hits are reported a slice at a time, so the first ones show
            // while the rest of the index is still being searched.
            let mut found = Vec::new();
            for c in chunks {
                for start in (0..c.len()).step_by(search::SLICE) {
                    let end = (start + search::SLICE).min(c.len());
                    found.extend(search::search_range(&c, start..end, &q, &|| ctl.cancelled()));
                    if ctl.cancelled() {
                        return Ok(Box::new(()));
                    }
                    // Few hits so far: keep going rather than re-rank the list for each one.
                    if found.len() >= 64 || (end == c.len() && !found.is_empty()) {
                        ctl.partial(std::mem::take(&mut found));
                    }
                }
            }
            Ok(Box::new(()))
        });
        self.filter.jobs.push(id);
    }

    /// Merges the hits that arrived into the ranked list.
    fn apply_hits(&mut self, cx: &mut Cx) {
        if self.filter.pending.is_empty() {
            return;
        }
        let mut new = std::mem::take(&mut self.filter.pending);
        if self.filter.refresh {
            self.filter.matched = 0;
        }
        self.filter.matched += new.len();
        search::rank(&mut new);
        let cap = self.filter.cap.unwrap_or(MAX_HITS);
        new.truncate(cap);
        let old = std::mem::take(&mut self.filter.hits);
        self.filter.hits = if std::mem::take(&mut self.filter.refresh) { new } else { search::merge_ranked(old, new) };
        self.filter.hits.truncate(cap);
        self.filter.applied_at = Some(std::time::Instant::now());
        self.rebuild(cx);
    }

    /// The query changed: drop the old search, start the new one.
    fn requery(&mut self, cx: &mut Cx) {
        self.filter.hits.clear();
        self.filter.matched = 0;
        self.filter.refresh = false;
        self.filter.keep = None;
        self.start_search(cx);
        self.rebuild(cx);
    }

    /// The data changed under a query: run it again, keeping what it shows
    /// (and the selection) until the new answers arrive.
    fn rerun(&mut self, cx: &mut Cx) {
        self.filter.refresh = true;
        self.filter.keep = self.selected_id();
        self.start_search(cx);
    }

    /// Starts the search for the input: the direct lookup when the query
    /// may be one, the fuzzy search over the index otherwise (or when the
    /// lookup finds nobody) — the same two steps as `Workbench::search_customers`.
    fn start_search(&mut self, cx: &mut Cx) {
        for j in self.filter.jobs.drain(..) {
            cx.jobs.cancel(j);
        }
        self.filter.direct = None;
        self.filter.exact = false;
        self.filter.note = None;
        self.filter.open_found = false;
        self.filter.pending.clear();
        self.filter.applied_at = None;
        self.filter.query = Query::parse(self.filter.input.text());
        if self.filter.query.is_none() {
            return;
        }
        self.load_index(cx);
        let text = self.filter.input.text().to_string();
        if Query::may_be_direct(&text) {
            let id = cx.spawn(&tr!("job-looking-up"), false, move |wb, _ctl| Ok(Box::new(wb.search_direct(&text)?)));
            self.filter.direct = Some(id);
            self.filter.jobs.push(id);
        } else {
            let chunks = self.index.chunks.clone();
            self.search_chunks(chunks, cx);
        }
    }

    /// What the direct lookup found: its customers are the answer, or the
    /// fuzzy search runs.
    fn direct_arrived(&mut self, hit: Option<crate::service::DirectHit>, cx: &mut Cx) {
        self.filter.direct = None;
        let Some(hit) = hit else {
            let chunks = self.index.chunks.clone();
            self.search_chunks(chunks, cx);
            return;
        };
        self.filter.exact = true;
        self.filter.refresh = false;
        self.filter.matched = hit.ids.len();
        self.filter.hits = hit.ids.iter().map(|id| (i64::MAX, *id)).collect();
        if let Some(note) = hit.note {
            cx.info(note.clone());
            self.filter.note = Some(note);
        }
        self.rebuild(cx);
        if std::mem::take(&mut self.filter.open_found) && self.ids.len() == 1 {
            self.focus = Some(Focus::Detail);
        }
    }

    /// A re-run that found nothing ends: the old hits go.
    fn finish_refresh(&mut self, cx: &mut Cx) {
        if self.filter.jobs.is_empty() && self.index.loading.is_none() {
            self.filter.keep = None;
            if std::mem::take(&mut self.filter.refresh) {
                self.filter.hits.clear();
                self.filter.matched = 0;
                self.rebuild(cx);
            }
        }
    }

    /// Shows `id`'s detail (from another pane).
    pub fn open(&mut self, id: i64, cx: &mut Cx) {
        if let Some(pos) = self.ids.iter().position(|x| *x == id) {
            self.selected = pos;
            self.sync_list(cx);
        }
        self.load_detail_of(id, cx);
        self.focus = Some(Focus::Detail);
    }

    /// Where the user is in this pane, for the jump list.
    pub fn spot(&self) -> Spot {
        Spot::Customers {
            id: self.selected_id(),
            index: self.selected,
            offset: self.offset,
            focus: self.focus(),
            detail: self.detail.as_ref().map(|d| d.id),
            detail_scroll: self.detail_scroll,
        }
    }

    /// Goes back to `spot`: the same customer selected (found again by id,
    /// the list may have been re-read), the same rows in view, the same
    /// detail at the same scroll.
    pub fn restore(&mut self, spot: &Spot, cx: &mut Cx) {
        let Spot::Customers { id, index, offset, focus, detail, detail_scroll } = spot else { return };
        self.area = cx.area;
        self.selected = id.and_then(|id| self.ids.iter().position(|x| *x == id)).unwrap_or(*index);
        self.offset = *offset;
        self.sync_list(cx);
        self.focus = Some(*focus);
        let want = detail.or(self.selected_id());
        if want != self.detail.as_ref().map(|d| d.id) {
            match want {
                Some(d) => self.load_detail_of(d, cx),
                None => self.detail = None,
            }
        }
        let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
        self.detail_scroll = (*detail_scroll).min(len.saturating_sub(self.detail_rows()));
    }

    pub fn resize(&mut self, area: Rect, cx: &mut Cx) {
        self.area = area;
        self.sync_list(cx);
        let rows = self.detail_rows();
        let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
        self.detail_scroll = self.detail_scroll.min(len.saturating_sub(rows));
    }

    /// What runs here in the pane's current state, and why not.
    pub fn avail(&self, action: Action, keys: &Keys) -> Avail {
        let has = self.selected_id().is_some() || self.detail.is_some();
        let none = || tr!("no-customer-selected");
        match action {
            Action::InputAccept | Action::InputCancel if self.filter.editing => Avail::Ready(None),
            Action::FocusNext | Action::FocusPrev | Action::FocusList | Action::FocusDetail => {
                Avail::when(has || self.focus() == Focus::Detail, none)
            }
            Action::FilterClear => {
                Avail::when(self.filter.query.is_some() || self.quick != Quick::default(), || tr!("no-filter"))
            }
            Action::SortNext
            | Action::SortReverse
            | Action::QuickMine
            | Action::QuickOverdue
            | Action::QuickIncomplete
            | Action::QuickStatus
            | Action::CustomerNew => Avail::Ready(None),
            Action::MarkToggle => Avail::when(self.selected_id().is_some(), none),
            Action::MarkClear if !self.marked.is_empty() => Avail::Marked(self.marked.len()),
            Action::MarkClear => Avail::Off(tr!("no-marked")),
            Action::MergeMarked if self.marked.len() >= 2 => Avail::Marked(self.marked.len()),
            Action::MergeMarked => Avail::Off(tr!("mark-two", key = keys.title(Action::MarkToggle))),
            Action::CustomerEdit
            | Action::CustomerStatus
            | Action::CustomerReassign
            | Action::ContactAdd
            | Action::InteractionLog
            | Action::MergeUndo => Avail::when(has, none),
            _ => Avail::NotHere,
        }
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        self.area = cx.area;
        match action {
            Action::FocusNext | Action::FocusPrev => {
                self.focus = Some(match self.focus() {
                    Focus::List => Focus::Detail,
                    Focus::Detail => Focus::List,
                })
            }
            Action::FocusList => self.focus = Some(Focus::List),
            Action::FocusDetail if self.filter.editing => {
                self.filter.editing = false;
                self.focus = Some(Focus::Detail);
            }
            Action::FocusDetail => self.focus = Some(Focus::Detail),
            Action::FilterOpen => {
                self.filter.editing = true;
                self.focus = Some(Focus::List);
                self.load_index(cx);
            }
            Action::InputAccept => {
                self.filter.editing = false;
                if self.filter.query.is_none() {
                    self.filter.input.set("");
                }
                // An exact number or e-mail goes straight to its customer.
                if self.filter.direct.is_some() {
                    self.filter.open_found = true;
                } else if self.filter.exact && self.ids.len() == 1 {
                    self.focus = Some(Focus::Detail);
                }
            }
            Action::InputCancel => {
                self.filter.editing = false;
                self.filter.input.set("");
                self.requery(cx);
            }
            Action::FilterClear => {
                let had = self.filter.query.is_some() || self.quick != Quick::default();
                self.filter.input.set("");
                if self.filter.query.is_some() {
                    self.requery(cx);
                }
                if self.quick != Quick::default() {
                    self.quick = Quick::default();
                    self.reload(cx);
                }
                cx.info(if had { tr!("filters-cleared") } else { tr!("no-filter") });
            }
            Action::SortNext => {
                let i = SortKey::ALL.iter().position(|k| *k == self.sort).unwrap_or(0);
                self.sort = SortKey::ALL[(i + 1) % SortKey::ALL.len()];
                self.descending = false;
                cx.info(tr!("sorted-by", field = self.sort.field().label()));
                self.reload(cx);
            }
            Action::SortReverse => {
                self.descending = !self.descending;
                self.reload(cx);
            }
            Action::QuickMine => {
                self.quick.mine = !self.quick.mine;
                self.reload(cx);
            }
            Action::QuickOverdue => {
                self.quick.overdue = !self.quick.overdue;
                self.reload(cx);
            }
            Action::QuickIncomplete => {
                self.quick.incomplete = !self.quick.incomplete;
                self.reload(cx);
            }
            Action::QuickStatus => {
                self.quick.status = match self.quick.status {
                    None => Some(Status::ALL[0]),
                    Some(s) => Status::ALL.iter().position(|x| *x == s).and_then(|i| Status::ALL.get(i + 1)).copied(),
                };
                self.reload(cx);
            }
            Action::MarkToggle => {
                if let Some(id) = self.selected_id() {
                    if !self.marked.remove(&id) {
                        self.marked.insert(id);
                    }
                    cx.info(tr!("n-marked", n = self.marked.len(), key = cx.keys.key(Action::MergeMarked)));
                    self.move_selection(Action::CursorDown, cx);
                }
            }
            Action::MarkClear => {
                self.marked.clear();
                cx.info(tr!("marks-cleared"));
            }
            Action::MergeMarked => self.ask_merge(cx),
            Action::CustomerNew => open_form(cx, Form::new_customer(cx.wb)),
            Action::CustomerEdit
            | Action::CustomerStatus
            | Action::CustomerReassign
            | Action::ContactAdd
            | Action::InteractionLog => {
                // The detail shows the customer the editors work on.
                let Some(id) = self.detail.as_ref().map(|d| d.id).or(self.selected_id()) else {
                    cx.error(tr!("no-customer-selected"));
                    return;
                };
                let form = match action {
                    Action::CustomerEdit => Form::edit_customer(cx.wb, id),
                    Action::CustomerStatus => Form::change_status(cx.wb, id),
                    Action::CustomerReassign => Form::reassign(cx.wb, id),
                    Action::ContactAdd => Form::add_contact(cx.wb, id),
                    _ => Form::log_interaction(cx.wb, id),
                };
                open_form(cx, form);
            }
            Action::MergeUndo => self.ask_unmerge(cx),
            a if a.scrolls() => match self.focus() {
                Focus::List => self.move_selection(action, cx),
                Focus::Detail => {
                    let rows = self.detail_rows();
                    let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
                    self.detail_scroll = view::scroll(self.detail_scroll, action, rows, len.saturating_sub(rows));
                }
            },
            _ => {}
        }
    }

    fn ask_merge(&mut self, cx: &mut Cx) {
        // The app asks `avail` before a key gets here; one wording for both.
        if let Avail::Off(why) = self.avail(Action::MergeMarked, &cx.keys) {
            return cx.error(why);
        }
        let ids: Vec<i64> = self.marked.iter().copied().collect();
        // The merged record, field by field, as `crmwb merge --dry-run`
        // shows it: what the survivor becomes is read before `y`.
        match cx.wb.preview_merge(&ids, &[]) {
            Ok(p) => {
                let body = merge_preview_lines(&p, self.area);
                self.pending_merge = ids;
                cx.effect(Effect::Confirm(Confirm { title: tr!("merge-title"), body, tag: TAG_MERGE }));
            }
            Err(e) => cx.error(format!("merge preview: {e}")),
        }
    }

    fn ask_unmerge(&mut self, cx: &mut Cx) {
        let Some(id) = self.selected_id() else { return };
        match cx.wb.merge_history(id) {
            Ok(h) if !h.is_empty() => {
                let number = self.window.get(self.selected).map(|r| r.number.clone()).unwrap_or_default();
                let body =
                    vec![tr!("unmerge-body-1", number = number.as_str()), tr!("unmerge-body-2"), tr!("unmerge-body-3")];
                self.pending_unmerge = Some(number);
                cx.effect(Effect::Confirm(Confirm { title: tr!("unmerge-title"), body, tag: TAG_UNMERGE }));
            }
            Ok(_) => cx.error(tr!("no-merge-to-undo")),
            Err(e) => cx.error(tr!("err-merge-history", e = e.to_string())),
        }
    }

    fn move_selection(&mut self, action: Action, cx: &mut Cx) {
        if self.ids.is_empty() {
            return;
        }
        let to = view::scroll(self.selected, action, self.list_rows(), self.ids.len() - 1);
        if to != self.selected {
            self.selected = to;
            self.sync_list(cx);
            self.load_detail(cx);
        }
    }

    /// Keeps the selection in view and the visible rows in the cache.
    fn sync_list(&mut self, cx: &mut Cx) {
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
        match cx.wb.customer_rows(&self.ids[start..end]) {
            Ok(found) => {
                self.row_fetches += 1;
                let mut found = found.into_iter().peekable();
                let rows = self.ids[start..end]
                    .iter()
                    .map(|id| if found.peek().is_some_and(|r| r.id == *id) { found.next() } else { None })
                    .collect();
                self.window = Window { start, rows };
            }
            Err(e) => cx.error(tr!("err-customers", e = e.to_string())),
        }
    }

    fn load_detail(&mut self, cx: &mut Cx) {
        self.detail_scroll = 0;
        match self.selected_id() {
            Some(id) => self.load_detail_of(id, cx),
            None => self.detail = None,
        }
    }

    fn load_detail_of(&mut self, id: i64, cx: &mut Cx) {
        self.detail_scroll = 0;
        match cx.wb.customer_detail(id) {
            Ok(d) => {
                let today = cx.wb.clock().today();
                // The extras are context: a failure to read one leaves its section empty, and says so.
                let mut extra = detail::Extra::default();
                let mut failed = Vec::new();
                match cx.wb.customer_issues(id) {
                    Ok(v) => extra.issues = v,
                    Err(e) => failed.push(format!("{}: {e}", tr!("part-findings"))),
                }
                match cx.wb.merge_history(id) {
                    Ok(v) => extra.merges = v,
                    Err(e) => failed.push(format!("{}: {e}", tr!("part-merges"))),
                }
                match cx.wb.customer_reminders(id, today, today + chrono::Days::new(30)) {
                    Ok(v) => extra.reminders = v,
                    Err(e) => failed.push(format!("{}: {e}", tr!("pane-followups"))),
                }
                match cx.wb.reminders_from_of(id) {
                    Ok(v) => extra.counts_from = v,
                    Err(e) => failed.push(format!("{}: {e}", tr!("pane-followups"))),
                }
                if !failed.is_empty() {
                    cx.error(tr!("err-reading", what = failed.join("; ")));
                }
                self.detail = Some(DetailView { id, lines: detail::build(&d, &extra) })
            }
            Err(e) => {
                self.detail = None;
                cx.error(tr!("err-customer", e = e.to_string()));
            }
        }
    }

    /// "12/345" for the status bar.
    pub fn position(&self) -> String {
        if self.ids.is_empty() {
            "0/0".to_string()
        } else {
            format!("{}/{}", self.selected + 1, self.ids.len())
        }
    }

    /// A key typed while the filter is being edited.
    pub fn type_key(&mut self, k: &KeyEvent, cx: &mut Cx) {
        if self.filter.editing && self.filter.input.handle_key(k) {
            self.requery(cx);
        }
    }

    pub fn paste(&mut self, s: &str, cx: &mut Cx) {
        if self.filter.editing && self.filter.input.paste(s) {
            self.requery(cx);
        }
    }

    /// Where the terminal cursor goes (the filter input), if anywhere.
    pub fn cursor_position(&self, area: Rect) -> Option<(u16, u16)> {
        if !self.filter.editing {
            return None;
        }
        let (list, _) = split(area);
        let inner = list.inner(ratatui::layout::Margin::new(1, 1));
        let (_, col) = self.filter.input.view(inner.width.saturating_sub(3) as usize);
        Some((inner.x + 2 + col as u16, inner.bottom().saturating_sub(1)))
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        if Some(id) == self.list_job {
            if let JobEvent::Done(r) = ev {
                self.list_job = None;
                match r {
                    Ok(out) => {
                        if let Ok(v) = out.downcast::<(Vec<i64>, bool)>() {
                            let (ids, narrowed) = *v;
                            self.list_arrived(ids, narrowed, cx);
                        }
                    }
                    Err(e) => cx.error(tr!("err-customers", e = e.to_string())),
                }
            }
        } else if Some(id) == self.index.loading {
            match ev {
                JobEvent::Partial(p) => {
                    if let Ok(c) = p.downcast::<Arc<Chunk>>() {
                        self.index.customers += c.len();
                        self.index.chunks.push(Arc::clone(&c));
                        // A search already running covers the chunks it was given; this one
                        // is new. (A direct lookup searches none, or all once it found nobody.)
                        if self.filter.query.is_some() && self.filter.direct.is_none() && !self.filter.exact {
                            self.search_chunks(vec![*c], cx);
                        }
                    }
                }
                JobEvent::Done(r) => {
                    self.index.loading = None;
                    match r {
                        Ok(_) => self.index.complete = true,
                        Err(e) => cx.error(tr!("err-indexing", e = e.to_string())),
                    }
                    self.finish_refresh(cx);
                }
                JobEvent::Progress { .. } => {}
            }
        } else if Some(id) == self.filter.direct {
            if let JobEvent::Done(r) = ev {
                self.filter.jobs.retain(|j| *j != id);
                match r.map(|out| out.downcast::<Option<crate::service::DirectHit>>()) {
                    Ok(Ok(hit)) => self.direct_arrived(*hit, cx),
                    Ok(Err(_)) => {}
                    Err(e) => cx.error(tr!("err-looking-up", e = e.to_string())),
                }
                self.finish_refresh(cx);
            }
        } else if self.filter.jobs.contains(&id) {
            match ev {
                JobEvent::Partial(p) => {
                    if let Ok(h) = p.downcast::<Vec<(i64, i64)>>() {
                        self.filter.pending.extend(*h);
                        // The first page of hits at once; then at a steady pace.
                        let due = self.filter.hits.len() < 100
                            || self.filter.applied_at.is_none_or(|t| t.elapsed() >= APPLY_EVERY);
                        if due {
                            self.apply_hits(cx);
                        }
                    }
                }
                JobEvent::Done(r) => {
                    self.filter.jobs.retain(|j| *j != id);
                    self.apply_hits(cx);
                    if let Err(e) = r {
                        cx.error(tr!("err-filtering", e = e.to_string()));
                    }
                    self.finish_refresh(cx);
                }
                JobEvent::Progress { .. } => {}
            }
        }
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        if !matches!(reply, Reply::Confirmed) {
            return;
        }
        match tag {
            TAG_MERGE => {
                let ids = std::mem::take(&mut self.pending_merge);
                let Some((&survivor, absorbed)) = ids.split_first() else { return };
                match cx.wb.merge_customers(survivor, absorbed, &[], MergeOrigin::Manual) {
                    Ok(_) => {
                        self.marked.clear();
                        cx.info(tr!("merged-n", n = ids.len(), key = cx.keys.title(Action::MergeUndo)));
                        cx.effect(Effect::DataChanged);
                    }
                    Err(e) => cx.error(tr!("merge-refused", e = e.to_string())),
                }
            }
            TAG_UNMERGE => {
                let Some(number) = self.pending_unmerge.take() else { return };
                match cx.wb.unmerge(&number) {
                    Ok(o) => {
                        cx.info(tr!(
                            "split-back",
                            restored = crate::i18n::join(&o.restored),
                            survivor = o.survivor.as_str()
                        ));
                        cx.effect(Effect::DataChanged);
                    }
                    Err(e) => cx.error(tr!("unmerge-refused", e = e.to_string())),
                }
            }
            _ => {}
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool) {
        let (list, detail) = split(area);
        self.render_list(f, list, theme, active && self.focus() == Focus::List);
        self.render_detail(f, detail, theme, active && self.focus() == Focus::Detail);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let mut title = self.title();
        for l in self.quick.labels() {
            title.push_str(&format!(" · {l}"));
        }
        if !self.marked.is_empty() {
            title.push_str(&tr!("n-marked-title", n = self.marked.len()));
        }
        let block = pane_block(&sanitize(&title), focused, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        // One column for the merge mark, then the table.
        let (cols, name_cols) = columns((inner.width as usize).saturating_sub(1));
        let header_style = theme.tone(Tone::Heading);
        let arrow = if self.descending { "▼" } else { "▲" };
        // While a filter ranks the hits by relevance no column orders the
        // list, so none may claim the sort arrow.
        let ranked = self.filter.query.is_some();
        let head_title = |t: &str, key: Option<SortKey>| {
            if key == Some(self.sort) && !ranked {
                format!("{t}{arrow}")
            } else {
                t.to_string()
            }
        };
        let head: Vec<(String, Style)> =
            cols.iter().map(|c| (fit(&head_title(c.title, c.key), c.cols), header_style)).collect();
        let mut head_line = vec![Span::raw(" ")];
        head_line.extend(row_line(
            &head,
            (head_title(crate::domain::Field::Name.label(), Some(SortKey::Name)), header_style),
            name_cols,
        ));
        let mut lines = vec![Line::from(head_line)];
        if !self.loaded {
            lines.push(Line::from(Span::styled(tr!("customers-loading"), theme.tone(Tone::Dim))));
        } else if self.ids.is_empty() {
            let why = if self.filter.query.is_some() {
                if self.filter.jobs.is_empty() && self.index.loading.is_none() {
                    tr!("customers-none-filter")
                } else {
                    tr!("searching")
                }
            } else if self.base_set.is_some() {
                tr!("customers-none-quick")
            } else {
                tr!("customers-none")
            };
            lines.push(Line::from(Span::styled(why, theme.tone(Tone::Dim))));
        }
        let rows = self.list_rows_in(inner);
        for i in self.offset..(self.offset + rows).min(self.ids.len()) {
            let id = self.ids[i];
            let mark = if self.marked.contains(&id) { "●" } else { " " };
            let mut spans = vec![Span::styled(mark, Style::default().add_modifier(Modifier::BOLD))];
            match self.window.get(i) {
                Some(r) => {
                    let cells: Vec<(String, Style)> =
                        cols.iter().map(|c| (fit(&(c.value)(r), c.cols), theme.tone(c.tone))).collect();
                    spans.extend(row_line(&cells, (sanitize(&r.name).into_owned(), Style::default()), name_cols));
                }
                // Not cached (a read failed) or gone since the ids were read.
                None => spans.push(Span::styled(fit("…", inner.width as usize - 1), theme.tone(Tone::Dim))),
            }
            let line = Line::from(spans);
            lines.push(if i == self.selected { line.style(theme.selected()) } else { line });
        }
        f.render_widget(Paragraph::new(lines), inner);
        if self.filter_line() {
            let y = inner.bottom().saturating_sub(1);
            let cols = inner.width as usize;
            let (shown, _) = self.filter.input.view(cols.saturating_sub(3));
            let state = if !self.filter.jobs.is_empty() || self.index.loading.is_some() {
                format!(" ⟳ {}", self.filter.matched)
            } else {
                if self.filter.matched > self.filter.hits.len() {
                    tr!("found-best", n = self.filter.matched, shown = self.ids.len())
                } else if let Some(note) = &self.filter.note {
                    format!(" → {note}")
                } else {
                    tr!("found", n = self.ids.len())
                }
            };
            let used = 2 + width(&shown);
            let line = Line::from(vec![
                Span::styled("/ ", theme.key()),
                Span::raw(shown),
                Span::styled(truncate(&state, cols.saturating_sub(used)).into_owned(), theme.tone(Tone::Dim)),
            ]);
            f.render_widget(Paragraph::new(line), Rect::new(inner.x, y, inner.width, 1));
        }
    }

    /// Customer rows that fit in the list box's inner area.
    fn list_rows_in(&self, inner: Rect) -> usize {
        inner.height.saturating_sub(1 + u16::from(self.filter_line())) as usize
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let rows = area.height.saturating_sub(2) as usize;
        let mut block = pane_block(&tr!("detail-title"), focused, theme);
        let inner = block.inner(area);
        let cols = inner.width as usize;
        let lines: Vec<Line> = match &self.detail {
            Some(d) => {
                if d.lines.len() > rows {
                    let last = (self.detail_scroll + rows).min(d.lines.len());
                    block = block.title_top(
                        Line::from(format!(" {}–{}/{} ", self.detail_scroll + 1, last, d.lines.len())).right_aligned(),
                    );
                }
                d.lines.iter().skip(self.detail_scroll).take(rows).map(|l| clip(l, cols, theme)).collect()
            }
            None => vec![Line::from(Span::styled(tr!("nothing-selected"), theme.tone(Tone::Dim)))],
        };
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// Opens an editor, or says why it cannot open (the role may not use it).
fn open_form(cx: &mut Cx, form: crate::error::Result<Form>) {
    match form {
        Ok(f) => cx.effect(Effect::OpenForm(Box::new(f))),
        Err(e) => cx.error(e.to_string()),
    }
}

struct Column {
    title: &'static str,
    key: Option<SortKey>,
    cols: usize,
    value: fn(&CustomerRow) -> String,
    tone: Tone,
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(|s| sanitize(s).into_owned()).unwrap_or_default()
}

/// The list columns for `inner` columns of space: the name takes what is
/// left; the least important columns go first when space is short.
fn columns(inner: usize) -> (Vec<Column>, usize) {
    use crate::domain::Field;
    let mut cols = vec![
        Column {
            title: Field::Number.label(),
            key: Some(SortKey::Number),
            cols: 15,
            value: |r| sanitize(&r.number).into_owned(),
            tone: Tone::Plain,
        },
        Column {
            title: Field::Status.label(),
            key: Some(SortKey::Status),
            cols: 9,
            value: |r| opt(&r.status),
            tone: Tone::Plain,
        },
        Column {
            title: Field::Owner.label(),
            key: Some(SortKey::Owner),
            cols: 8,
            value: |r| opt(&r.owner),
            tone: Tone::Plain,
        },
        Column {
            title: Field::NextFollowup.label(),
            key: Some(SortKey::NextFollowup),
            cols: 10,
            value: |r| opt(&r.next_followup),
            tone: Tone::Plain,
        },
        Column {
            title: "标记",
            key: None,
            cols: 6,
            value: |r| sanitize(&r.flags.join(",")).into_owned(),
            tone: Tone::Flag,
        },
    ];
    const MIN_NAME: usize = 12;
    // Dropped in this order: flags, owner, next follow-up, status.
    for drop in [4, 2, 2, 1] {
        let used: usize = cols.iter().map(|c| c.cols + 1).sum();
        if inner >= used + MIN_NAME || cols.len() <= drop {
            break;
        }
        cols.remove(drop);
    }
    let used: usize = cols.iter().map(|c| c.cols + 1).sum();
    (cols, inner.saturating_sub(used))
}

fn row_line(cells: &[(String, Style)], name: (String, Style), name_cols: usize) -> Vec<Span<'static>> {
    let mut spans = Vec::with_capacity(cells.len() * 2 + 2);
    let mut it = cells.iter();
    if let Some((t, st)) = it.next() {
        spans.push(Span::styled(t.clone(), *st));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(fit(&name.0, name_cols), name.1));
    for (t, st) in it {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(t.clone(), *st));
    }
    spans
}

/// The confirmation of a merge of marked customers: who survives, then the
/// merged record's fields that change the survivor or that the members
/// disagree on (`*`: the survivor's value changes), as many as the dialog
/// holds in `area` once wrapped; the rest is counted.
fn merge_preview_lines(p: &crate::service::MergePreview, area: Rect) -> Vec<String> {
    let mut body = vec![tr!(
        "merge-prev-head",
        n = p.absorbed.len() + 1,
        number = p.survivor.number.as_str(),
        name = sanitize(&p.survivor.name),
        rule = crate::service::survivorship::survivor_rule_text(&p.survivor_rule)
    )];
    for m in &p.absorbed {
        body.push(format!("  {} {}", m.number, sanitize(&m.name)));
    }
    let differs = |f: &crate::service::FieldChoice| {
        let mut seen: Vec<&str> = f.alternatives.iter().filter_map(|a| a.value.as_deref()).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() > 1
    };
    let shown: Vec<&crate::service::FieldChoice> = p.fields.iter().filter(|f| f.changed || differs(f)).collect();
    let same = p.fields.iter().filter(|f| f.value.is_some() && !f.changed && !differs(f)).count();
    if shown.is_empty() {
        body.push(tr!("merge-prev-same"));
    } else {
        body.push(tr!("merge-prev-changes"));
    }
    let mut lines = Vec::with_capacity(shown.len());
    for f in &shown {
        let value = f.value.as_deref().map_or_else(|| tr!("form-empty"), |v| sanitize(v).into_owned());
        let from = match &f.from_number {
            Some(n) if *n != p.survivor.number => format!(" ← {n}"),
            _ => String::new(),
        };
        let mut others: Vec<String> = f
            .alternatives
            .iter()
            .filter_map(|a| a.value.as_deref())
            .filter(|v| Some(*v) != f.value.as_deref())
            .map(|v| sanitize(v).into_owned())
            .collect();
        others.dedup();
        let also =
            if others.is_empty() { String::new() } else { tr!("merge-prev-also", values = crate::i18n::join(&others)) };
        let why = crate::service::survivorship::choice_reason_text(&f.reason);
        let mark = if f.changed { "*" } else { " " };
        lines.push(format!("{mark} {} {value}{from} ({why}{also})", fit(f.field.label(), 8)));
    }
    let r = &p.rows;
    let summary = tr!(
        "merge-prev-kept",
        same = same,
        phones = r.phones_moved + r.phones_collapsed,
        emails = r.emails_moved + r.emails_collapsed,
        contacts = r.contacts_moved + r.contacts_collapsed,
        interactions = r.interactions_moved,
        sources = r.sources_moved
    );
    // The dialog wraps its body to at most 62 columns and has two borders.
    let cols = (area.width.min(64) as usize).saturating_sub(2);
    let budget = area.height.saturating_sub(2) as usize;
    let rows_of = |l: &str| view::wrap_text(&sanitize(l), cols).len();
    let mut used: usize = body.iter().chain([&summary]).map(|l| rows_of(l)).sum();
    let all: usize = lines.iter().map(|l| rows_of(l)).sum();
    let more = |k: usize| tr!("merge-prev-more", k = k);
    let fits = used + all <= budget;
    if !fits {
        used += rows_of(&more(lines.len()));
    }
    let mut taken = 0;
    for l in &lines {
        let h = rows_of(l);
        if !fits && used + h > budget {
            break;
        }
        used += h;
        taken += 1;
    }
    let left = lines.len() - taken;
    body.extend(lines.into_iter().take(taken));
    if left > 0 {
        body.push(more(left));
    }
    body.push(summary);
    body
}
