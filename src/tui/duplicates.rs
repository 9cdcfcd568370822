//! The Duplicates pane: the review queue, a side-by-side comparison of the selected cluster and its evidence.
//!
//! Everything shown is read when the selection or the data changes
//! (`reload`, a move, a pick), so `render` only lays out what is stored.
//! Values come from the service's masked read paths (`match_queue`,
//! `customer_detail`); the merge preview is used only for *which* member's
//! value survives, never for a value, because it is not masked.

use super::action::Action;
use super::detail::Tone;
use super::jobs::{JobEvent, JobId, Output};
use super::keymap::Context;
use super::nav::Spot;
use super::pane::{Avail, Confirm, Cx, Effect, Keys, Reply};
use super::view::{self, pane_block, wrap_text, Theme};
use crate::display::{fit, sanitize, truncate, width};
use crate::domain::Field;
use crate::service::{ChoiceReason, ClusterView, MatchOptions, MatchReport, Permission, Workbench};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::HashMap;

const TAG_APPROVE: u32 = 1;
const TAG_REJECT: u32 = 2;
const TAG_DROP: u32 = 3;
const TAG_UNDO: u32 = 4;

/// From this width the comparison sits beside the queue instead of below it.
const SIDE_BY_SIDE: u16 = 140;
/// The queue's height (borders included) when stacked on a small terminal:
/// a header and five clusters.
const QUEUE_HEIGHT: u16 = 8;
/// The narrowest member column: a customer number and its marks.
const MIN_COL: usize = 16;
/// The widest field label (联系人职务).
const LABEL_COLS: usize = 10;
/// How far back the audit log is searched for the latest merge to undo.
const UNDO_SEARCH: usize = 500;

/// Marks in the comparison; the legend in its title explains them.
const KEPT: &str = "✓";
const PICKED: &str = "*";
const DIFFERS: &str = "≠";

/// A destructive action waiting for its confirmation: exactly what was shown
/// when it was asked, so a yes does what the question said.
enum Pending {
    Approve { cluster: i64, picks: Vec<(Field, i64)> },
    Reject { cluster: i64 },
    Drop { cluster: i64, member: i64, number: String },
    Undo { survivor: String },
}

/// One member column.
struct Col {
    id: i64,
    /// Sanitised.
    number: String,
}

/// One row of the comparison: a field and every member's value of it.
struct Row {
    /// Sanitised.
    label: String,
    /// A golden field, which a pick can choose; `None` for rows a merge keeps whole.
    field: Option<Field>,
    /// Per member (as the service shows them: masked where the role may
    /// not see), sanitised to one line.
    values: Vec<Option<String>>,
    /// Members hold different values.
    differ: bool,
    /// The member whose value the merged customer gets.
    chosen: Option<usize>,
    picked: bool,
    /// Why that value: the rule, "all agree", "picked"…
    why: String,
}

/// One compared pair and its evidence.
struct PairLine {
    a: String,
    b: String,
    probability: f64,
    /// "mobile equal +9.1", strongest first; sanitised.
    items: Vec<String>,
}

/// The selected cluster laid out for comparison.
struct Comparison {
    cluster: i64,
    cols: Vec<Col>,
    /// Index into `cols` of the member the others merge into (the oldest).
    survivor: Option<usize>,
    rows: Vec<Row>,
    pairs: Vec<PairLine>,
    /// Why no merge can be previewed (a member changed or is gone), shown
    /// instead of the marks.
    note: Option<String>,
}

/// Clusters read at a time.
const QUEUE_PAGE: usize = 200;

/// What a matching job returns when the user cancelled it.
struct MatchCancelled;

#[derive(Default)]
pub(crate) struct DuplicatesPane {
    /// `None` until first read.
    queue: Option<Vec<ClusterView>>,
    /// How many clusters of the queue's head are read.
    limit: usize,
    selected: usize,
    /// Index into the comparison's columns.
    member: usize,
    /// Index into the comparison's rows.
    field: usize,
    cmp: Option<Comparison>,
    /// Values picked by hand, per cluster: (field, member id).
    picks: HashMap<i64, Vec<(Field, i64)>>,
    pending: Option<Pending>,
    /// The survivor of the last merge approved in this session, for undo.
    last_merge: Option<i64>,
    /// The cluster rejected last in this session, if nothing was approved
    /// since: undo takes the reject back before any merge.
    last_reject: Option<i64>,
    /// After a decision the next reload keeps the position, not the cluster,
    /// so the next cluster shows at once.
    keep_index: bool,
    /// The cluster the next reload selects (one an undo put back).
    want: Option<i64>,
    match_job: Option<JobId>,
    area: Rect,
}

fn split(area: Rect) -> (Rect, Rect) {
    let [queue, cmp] = if area.width >= SIDE_BY_SIDE {
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(area)
    } else {
        let h = if area.height >= 30 { area.height / 3 } else { QUEUE_HEIGHT };
        Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(area)
    };
    (queue, cmp)
}

use crate::display::probability as prob;

fn words(s: &str) -> String {
    sanitize(s).replace('_', " ")
}

/// A matching or survivorship code (`same_city`, `most_complete`) in words
/// of the language in force.
fn coded(kind: &str, code: &str) -> String {
    let v = crate::i18n::value(kind, code);
    if v == code {
        words(code)
    } else {
        sanitize(&v).into_owned()
    }
}

fn s(v: &str) -> String {
    sanitize(v).into_owned()
}

impl DuplicatesPane {
    pub fn context(&self) -> Context {
        Context::Duplicates
    }

    /// The pane bar's label; `count` is the background count, once known.
    pub fn title(&self, count: Option<usize>) -> String {
        match count.or(self.queue.as_ref().map(Vec::len)) {
            Some(n) => tr!("dup-title", n = n),
            None => tr!("dup-title-loading"),
        }
    }

    fn selected_cluster(&self) -> Option<&ClusterView> {
        self.queue.as_ref().and_then(|q| q.get(self.selected))
    }

    fn queue_rows(&self) -> usize {
        // Borders and the header line.
        split(self.area).0.height.saturating_sub(3) as usize
    }

    /// Re-reads what the pane shows (on first show and after data changes).
    pub fn reload(&mut self, cx: &mut Cx) {
        self.area = cx.area;
        let want = self.want.take();
        let keep = want.or(self.selected_cluster().map(|c| c.id));
        let by_index = std::mem::take(&mut self.keep_index) && want.is_none();
        // Only the head of the queue is read (a queue of a hundred thousand
        // clusters would take seconds); more as the cursor reaches its end.
        self.limit = self.limit.max(QUEUE_PAGE);
        match cx.wb.match_queue_head(self.limit) {
            Ok(q) => self.queue = Some(q),
            Err(e) => {
                cx.error(tr!("err-queue", e = e.to_string()));
                self.queue.get_or_insert_with(Vec::new);
            }
        }
        let q = self.queue.as_deref().unwrap_or_default();
        if !by_index {
            if let Some(pos) = keep.and_then(|id| q.iter().position(|c| c.id == id)) {
                self.selected = pos;
            }
        }
        self.selected = self.selected.min(q.len().saturating_sub(1));
        // Decisions made elsewhere end the cluster's picks and drops with it.
        let open: Vec<i64> = q.iter().map(|c| c.id).collect();
        self.picks.retain(|id, _| open.contains(id));
        let same = self.cmp.as_ref().map(|c| c.cluster) == self.selected_cluster().map(|c| c.id);
        self.load_comparison(cx, same);
    }

    /// Where the user is in this pane, for the jump list.
    pub fn spot(&self) -> Spot {
        Spot::Duplicates {
            cluster: self.selected_cluster().map(|c| c.id),
            index: self.selected,
            member: self.member,
            field: self.field,
        }
    }

    /// Goes back to `spot`: the same cluster, member and field when the
    /// cluster is still in the queue, else the cluster now at its place.
    pub fn restore(&mut self, spot: &Spot, cx: &mut Cx) {
        let Spot::Duplicates { cluster, index, member, field } = spot else { return };
        self.area = cx.area;
        let q = self.queue.as_deref().unwrap_or_default();
        let pos = cluster.and_then(|id| q.iter().position(|c| c.id == id));
        self.selected = pos.unwrap_or(*index).min(q.len().saturating_sub(1));
        if pos.is_some() {
            self.member = *member;
            self.field = *field;
        }
        self.load_comparison(cx, pos.is_some());
    }

    /// Builds the comparison of the selected cluster; `keep_place` keeps the
    /// selected member and field (a pick, a reload), else they start over.
    fn load_comparison(&mut self, cx: &mut Cx, keep_place: bool) {
        if !keep_place {
            self.member = 0;
            self.field = 0;
        }
        let Some(c) = self.selected_cluster() else {
            self.cmp = None;
            return;
        };
        let picks = self.picks.get(&c.id).cloned().unwrap_or_default();
        let cmp = build_comparison(cx.wb, c, &picks);
        self.member = self.member.min(cmp.cols.len().saturating_sub(1));
        self.field = self.field.min(cmp.rows.len().saturating_sub(1));
        self.cmp = Some(cmp);
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        self.area = cx.area;
        match action {
            a if a.scrolls() => {
                let len = self.queue.as_ref().map_or(0, Vec::len);
                if len == 0 {
                    return;
                }
                let to = view::scroll(self.selected, action, self.queue_rows(), len - 1);
                if to + 1 >= len && len >= self.limit {
                    self.limit += QUEUE_PAGE;
                    let at = self.selected_cluster().map(|c| c.id);
                    self.reload(cx);
                    let len = self.queue.as_ref().map_or(0, Vec::len);
                    self.selected = at.and_then(|id| self.queue.as_ref()?.iter().position(|c| c.id == id)).unwrap_or(0);
                    let to = view::scroll(self.selected, action, self.queue_rows(), len.saturating_sub(1));
                    if to != self.selected {
                        self.selected = to;
                        self.load_comparison(cx, false);
                    }
                    return;
                }
                if to != self.selected {
                    self.selected = to;
                    self.load_comparison(cx, false);
                }
            }
            Action::CursorLeft => self.member = self.member.saturating_sub(1),
            Action::CursorRight => {
                let n = self.cmp.as_ref().map_or(0, |c| c.cols.len());
                self.member = (self.member + 1).min(n.saturating_sub(1));
            }
            Action::FieldNext => {
                let n = self.cmp.as_ref().map_or(0, |c| c.rows.len());
                self.field = (self.field + 1).min(n.saturating_sub(1));
            }
            Action::FieldPrev => self.field = self.field.saturating_sub(1),
            // Refused before asking: a question whose yes cannot work wastes the user's time.
            Action::ReviewApprove
            | Action::ReviewReject
            | Action::ReviewDrop
            | Action::ReviewSkip
            | Action::MergeUndo
            | Action::MatchRun
                if !may_merge(cx) => {}
            Action::ReviewApprove => self.ask_approve(cx),
            Action::ReviewReject => self.ask_reject(cx),
            Action::ReviewDrop => self.ask_drop(cx),
            Action::ReviewSkip => self.skip(cx),
            Action::ReviewPick => self.pick(cx),
            Action::CustomerOpen => match self.cmp.as_ref().and_then(|c| c.cols.get(self.member)) {
                Some(col) => cx.effect(Effect::OpenCustomer(col.id)),
                None => cx.info(tr!("dup-no-cluster")),
            },
            Action::MergeUndo => self.ask_undo(cx),
            Action::MatchRun => self.run_match(cx),
            _ => {}
        }
    }

    /// What runs here in the pane's current state, and why not.
    pub fn avail(&self, action: Action) -> Avail {
        let empty = || match &self.queue {
            None => tr!("dup-loading"),
            Some(_) => tr!("dup-empty"),
        };
        let has = self.cmp.is_some();
        match action {
            Action::CursorLeft | Action::CursorRight | Action::FieldNext | Action::FieldPrev => Avail::when(has, empty),
            Action::ReviewApprove => match &self.cmp {
                None => Avail::Off(empty()),
                Some(c) if c.survivor.is_none() => {
                    Avail::Off(c.note.clone().unwrap_or_else(|| tr!("dup-cannot-merge")))
                }
                Some(_) => Avail::Ready(None),
            },
            Action::ReviewReject
            | Action::ReviewDrop
            | Action::ReviewSkip
            | Action::ReviewPick
            | Action::CustomerOpen => Avail::when(has, empty),
            Action::MergeUndo => Avail::Ready(None),
            Action::MatchRun => Avail::when(self.match_job.is_none(), || tr!("dup-already")),
            _ => Avail::NotHere,
        }
    }

    /// The comparison, when there is a cluster to decide on; else says why not.
    fn current(&self, cx: &mut Cx) -> Option<&Comparison> {
        let c = self.cmp.as_ref();
        if c.is_none() {
            cx.info(tr!("dup-empty"));
        }
        c
    }

    fn ask_approve(&mut self, cx: &mut Cx) {
        let Some(c) = self.current(cx) else { return };
        let Some(sv) = c.survivor.map(|i| &c.cols[i]) else {
            cx.error(c.note.clone().unwrap_or_else(|| tr!("dup-cannot-merge")));
            return;
        };
        let picks = self.picks.get(&c.cluster).cloned().unwrap_or_default();
        let others: Vec<&str> = c.cols.iter().filter(|col| col.id != sv.id).map(|col| col.number.as_str()).collect();
        let number_of = |id: i64| c.cols.iter().find(|col| col.id == id).map_or("?", |col| col.number.as_str());
        let mut body = vec![
            tr!("dup-approve-1", n = c.cols.len(), number = sv.number.as_str()),
            tr!("dup-approve-2", others = crate::i18n::join(&others), number = sv.number.as_str()),
        ];
        for (f, id) in &picks {
            body.push(tr!("dup-approve-pick", field = f.label(), number = number_of(*id)));
        }
        body.push(tr!("dup-approve-undo", key = cx.keys.title(Action::MergeUndo), number = sv.number.as_str()));
        let cluster = c.cluster;
        self.pending = Some(Pending::Approve { cluster, picks });
        cx.effect(Effect::Confirm(Confirm {
            title: tr!("dup-approve-title", cluster = cluster),
            body,
            tag: TAG_APPROVE,
        }));
    }

    fn ask_reject(&mut self, cx: &mut Cx) {
        let Some(c) = self.current(cx) else { return };
        let numbers: Vec<&str> = c.cols.iter().map(|col| col.number.as_str()).collect();
        let body = vec![tr!("dup-reject-1", numbers = crate::i18n::join(&numbers)), tr!("dup-reject-2")];
        let cluster = c.cluster;
        self.pending = Some(Pending::Reject { cluster });
        cx.effect(Effect::Confirm(Confirm {
            title: tr!("dup-reject-title", cluster = cluster),
            body,
            tag: TAG_REJECT,
        }));
    }

    fn ask_drop(&mut self, cx: &mut Cx) {
        let Some(c) = self.current(cx) else { return };
        let Some(col) = c.cols.get(self.member) else { return };
        let rest: Vec<&str> = c.cols.iter().filter(|o| o.id != col.id).map(|o| o.number.as_str()).collect();
        let mut body = vec![tr!("dup-drop-1", number = col.number.as_str(), rest = crate::i18n::join(&rest))];
        if rest.len() < 2 {
            body.push(tr!("dup-drop-last"));
        } else {
            body.push(tr!("dup-drop-rest", n = rest.len()));
        }
        let (cluster, member, number) = (c.cluster, col.id, col.number.clone());
        self.pending = Some(Pending::Drop { cluster, member, number: number.clone() });
        cx.effect(Effect::Confirm(Confirm {
            title: tr!("dup-drop-title", number = number.as_str()),
            body,
            tag: TAG_DROP,
        }));
    }

    fn ask_undo(&mut self, cx: &mut Cx) {
        // A reject is undone without asking: it only puts a cluster back.
        if let Some(cluster) = self.last_reject.take() {
            match cx.wb.review_unreject(cluster) {
                Ok(_) => {
                    cx.info(tr!("dup-unrejected", cluster = cluster));
                    self.want = Some(cluster);
                    cx.effect(Effect::DataChanged);
                }
                Err(e) => self.refused(cx, &tr!("dup-op-reject"), e),
            }
            return;
        }
        let found = match self.last_merge {
            Some(id) => undo_target(cx.wb, id).transpose(),
            None => None,
        };
        let found = match found {
            Some(r) => Some(r),
            None => latest_merge(cx.wb).transpose(),
        };
        match found {
            None => cx.info(tr!("dup-no-merge")),
            Some(Err(e)) => cx.error(e),
            Some(Ok(t)) => {
                let body = vec![
                    tr!("dup-undo-1", absorbed = crate::i18n::join(&t.absorbed), survivor = t.survivor.as_str()),
                    tr!("dup-undo-2", survivor = t.survivor.as_str()),
                    tr!("dup-undo-3"),
                ];
                let title = tr!("dup-undo-title", merge = t.merge, at = t.at.as_str());
                self.pending = Some(Pending::Undo { survivor: t.survivor });
                cx.effect(Effect::Confirm(Confirm { title, body, tag: TAG_UNDO }));
            }
        }
    }

    fn skip(&mut self, cx: &mut Cx) {
        let Some(c) = self.current(cx) else { return };
        let id = c.cluster;
        match cx.wb.review_skip(id) {
            Ok(_) => {
                cx.info(tr!("dup-skipped", id = id));
                self.decided(cx);
            }
            Err(e) => self.refused(cx, &tr!("dup-op-skip"), e),
        }
    }

    fn pick(&mut self, cx: &mut Cx) {
        let Some(c) = self.current(cx) else { return };
        let (Some(row), Some(col)) = (c.rows.get(self.field), c.cols.get(self.member)) else { return };
        let Some(field) = row.field else {
            cx.info(tr!("dup-pick-whole", label = row.label.as_str()));
            return;
        };
        let (cluster, id, number, label) = (c.cluster, col.id, col.number.clone(), row.label.clone());
        let empty = row.values.get(self.member).is_none_or(|v| v.is_none());
        let picks = self.picks.entry(cluster).or_default();
        let before = picks.iter().position(|(f, _)| *f == field).map(|i| picks.remove(i));
        if before == Some((field, id)) {
            cx.info(tr!("dup-pick-cleared", label = label.as_str()));
        } else {
            picks.push((field, id));
            if empty {
                cx.info(tr!("dup-pick-empty", label = label.as_str(), number = number.as_str()));
            } else {
                cx.info(tr!("dup-pick-value", label = label.as_str(), number = number.as_str()));
            }
        }
        self.load_comparison(cx, true);
    }

    fn run_match(&mut self, cx: &mut Cx) {
        if self.match_job.is_some() {
            cx.info(tr!("dup-already"));
            return;
        }
        let comparing = tr!("job-comparing");
        let id = cx.spawn(&tr!("job-finding"), true, move |wb: &mut Workbench, ctl| {
            ctl.progress(0, 0, &comparing);
            match wb.run_match(&MatchOptions { cancel: Some(ctl.cancel_flag()), ..Default::default() }) {
                Ok(r) => Ok(Box::new(r) as Output),
                // Stopped at the user's request: not an error to report.
                Err(_) if ctl.cancelled() => Ok(Box::new(MatchCancelled) as Output),
                Err(e) => Err(e),
            }
        });
        self.match_job = Some(id);
        cx.info(tr!("dup-finding"));
    }

    /// After a decision: everything reloads, and this pane shows the cluster
    /// now at the same place in the queue.
    fn decided(&mut self, cx: &mut Cx) {
        self.keep_index = true;
        self.cmp = None;
        cx.effect(Effect::DataChanged);
    }

    fn refused(&mut self, cx: &mut Cx, what: &str, e: crate::error::Error) {
        cx.error(format!("{what}: {e}"));
        // The cluster may have changed under us: show what is there now.
        cx.effect(Effect::DataChanged);
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        if Some(id) != self.match_job {
            return;
        }
        if let JobEvent::Done(r) = ev {
            self.match_job = None;
            match r {
                Ok(out) => match out.downcast::<MatchReport>() {
                    Ok(r) => {
                        let mut done = tr!("dup-match-done", open = r.clusters_open, new = r.clusters_new);
                        if r.ambiguous > 0 {
                            // One message (the log keeps it in full): the
                            // customers left out are decided by hand.
                            done = format!("{done}; {}", tr!("cli-match-ambiguous", n = r.ambiguous));
                        }
                        cx.info(done);
                        cx.effect(Effect::DataChanged);
                    }
                    Err(out) if out.is::<MatchCancelled>() => cx.info(tr!("dup-match-cancelled")),
                    Err(_) => cx.error(tr!("dup-match-noreport")),
                },
                Err(e) => cx.error(tr!("err-finding", e = e.as_str())),
            }
        }
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        if !matches!(reply, Reply::Confirmed) {
            return;
        }
        let pending = self.pending.take();
        match (tag, pending) {
            (TAG_APPROVE, Some(Pending::Approve { cluster, picks })) => {
                match cx.wb.review_approve(cluster, &picks, &[]) {
                    Ok(o) => {
                        match (&o.survivor, o.merge_id) {
                            (Some(sv), Some(_)) => {
                                self.last_merge = cx.wb.customer_id(sv).ok();
                                self.last_reject = None;
                                cx.info(tr!(
                                    "dup-merged",
                                    merged = crate::i18n::join(&o.merged),
                                    survivor = s(sv),
                                    key = cx.keys.key(Action::MergeUndo)
                                ));
                            }
                            _ => cx.info(tr!("dup-too-few", cluster = cluster)),
                        }
                        self.decided(cx);
                    }
                    Err(e) => self.refused(cx, &tr!("dup-op-approve"), e),
                }
            }
            (TAG_REJECT, Some(Pending::Reject { cluster })) => match cx.wb.review_reject(cluster) {
                Ok(_) => {
                    self.last_reject = Some(cluster);
                    cx.info(tr!("dup-rejected", cluster = cluster, key = cx.keys.key(Action::MergeUndo)));
                    self.decided(cx);
                }
                Err(e) => self.refused(cx, &tr!("dup-op-reject"), e),
            },
            (TAG_DROP, Some(Pending::Drop { cluster, member, number })) => {
                // The service takes the member out of the cluster for good.
                match cx.wb.review_drop(cluster, &[member]) {
                    Ok(keep) if keep.len() < 2 => {
                        cx.info(tr!("dup-dropped-closed", number = number.as_str()));
                        self.decided(cx);
                    }
                    Ok(keep) => {
                        cx.info(tr!("dup-dropped", number = number.as_str(), n = keep.len()));
                        self.picks.entry(cluster).or_default().retain(|(_, id)| *id != member);
                        self.member = self.member.saturating_sub(1);
                        self.load_comparison(cx, true);
                        cx.effect(Effect::DataChanged);
                    }
                    Err(e) => self.refused(cx, &tr!("dup-op-drop"), e),
                }
            }
            (TAG_UNDO, Some(Pending::Undo { survivor })) => match cx.wb.unmerge(&survivor) {
                Ok(o) => {
                    let mut m = tr!(
                        "dup-undid",
                        merge = o.merge.to_string(),
                        restored = crate::i18n::join(&o.restored),
                        n = o.restored.len()
                    );
                    if !o.kept.is_empty() {
                        let kept: Vec<&str> = o.kept.iter().map(|f| f.label()).collect();
                        m.push_str(&tr!("dup-undid-kept", fields = crate::i18n::join(&kept)));
                    }
                    match o.reopened_cluster {
                        Some(c) => {
                            m.push_str(&tr!("dup-undid-back", cluster = c));
                            self.want = Some(c);
                        }
                        None => m.push_str(&tr!("dup-undid-run")),
                    }
                    cx.info(s(&m));
                    if self.last_merge.is_some_and(|id| cx.wb.customer_id(&survivor).ok() == Some(id)) {
                        self.last_merge = None;
                    }
                    cx.effect(Effect::DataChanged);
                }
                Err(e) => cx.error(tr!("err-undo", e = e.to_string())),
            },
            _ => {}
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool, keys: &Keys) {
        let (qa, ca) = split(area);
        self.render_queue(f, qa, theme, active, keys);
        self.render_comparison(f, ca, theme);
    }

    fn render_queue(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool, keys: &Keys) {
        let len = self.queue.as_ref().map_or(0, Vec::len);
        let mut block = pane_block(&tr!("dup-queue"), active, theme);
        if len > 0 {
            block = block.title_top(Line::from(format!(" {}/{len} ", self.selected + 1)).right_aligned());
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let dim = theme.tone(Tone::Dim);
        let Some(q) = &self.queue else {
            f.render_widget(Paragraph::new(Span::styled(tr!("dup-reading-queue"), dim)), inner);
            return;
        };
        if q.is_empty() {
            // Wrapped, not cut: the way out of an empty queue is read in full.
            let how = tr!("dup-how", key = keys.title(Action::MatchRun));
            let mut lines = vec![Line::from(tr!("dup-none"))];
            lines.extend(wrap_text(&how, cols).into_iter().map(|l| Line::from(Span::styled(l, dim))));
            f.render_widget(Paragraph::new(lines), inner);
            return;
        }
        let rows = inner.height.saturating_sub(1) as usize;
        let offset = if rows == 0 { self.selected } else { (self.selected + 1).saturating_sub(rows) };
        // As many places as tell the shown clusters apart (0.9972, 0.99902),
        // and the log-odds in bits, which differ where six places do not.
        let sw = q.iter().skip(offset).take(rows).map(|c| prob(c.score).len()).max().unwrap_or(4).max(5);
        // The bits column is right-aligned, its heading too (by display
        // width: 比特 takes four columns).
        let bits_head = tr!("dup-head-bits");
        let bits_pad = " ".repeat(5usize.saturating_sub(crate::display::width(&bits_head)));
        let head = format!(
            "  {} {bits_pad}{bits_head}  {} {}",
            fit(&tr!("dup-head-score"), sw),
            fit(&tr!("dup-head-n"), 2),
            tr!("dup-head-customers")
        );
        let mut lines = vec![Line::from(Span::styled(fit(&head, cols), theme.tone(Tone::Heading)))];
        for (i, c) in q.iter().enumerate().skip(offset).take(rows) {
            let mark = if i == self.selected { "▶ " } else { "  " };
            let names: Vec<String> = c.members.iter().map(|m| s(&m.name)).collect();
            let skipped = if c.skipped { tr!("dup-skipped-mark") } else { String::new() };
            let text = format!(
                "{mark}{:<sw$} {:>5}  {:<2} {skipped}{}",
                prob(c.score),
                crate::display::odds_bits(c.score),
                c.members.len(),
                names.join(" · ")
            );
            let line = Line::from(fit(&text, cols));
            lines.push(if i == self.selected { line.style(theme.selected()) } else { line });
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_comparison(&self, f: &mut Frame, area: Rect, theme: Theme) {
        let Some(c) = &self.cmp else {
            let block = pane_block(&tr!("dup-compare"), false, theme);
            let inner = block.inner(area);
            f.render_widget(block, area);
            let text = if self.queue.as_ref().is_some_and(|q| !q.is_empty()) {
                tr!("dup-reading-cluster")
            } else {
                String::new()
            };
            f.render_widget(Paragraph::new(Span::styled(text, theme.tone(Tone::Dim))), inner);
            return;
        };
        let mut title = tr!("dup-cluster-title", cluster = c.cluster, n = c.cols.len());
        if let Some(sv) = c.survivor {
            title.push_str(&format!(" → {}", c.cols[sv].number));
        }
        let mut block = pane_block(&title, false, theme);
        // The legend gives way to the title, which names the survivor.
        let room = (area.width as usize).saturating_sub(width(&title) + 6);
        let legend = [
            tr!("dup-legend-long", kept = KEPT, picked = PICKED, differs = DIFFERS),
            tr!("dup-legend-short", kept = KEPT, picked = PICKED, differs = DIFFERS),
        ]
        .into_iter()
        .find(|l| width(l) <= room);
        if let Some(l) = legend {
            block = block.title_top(Line::from(l).right_aligned());
        }
        if let Some(row) = c.rows.get(self.field) {
            let text = format!("{}/{} {}", self.field + 1, c.rows.len(), row_explanation(c, row));
            let cols = (area.width as usize).saturating_sub(4);
            block = block.title_bottom(Line::from(format!(" {} ", truncate(&text, cols))));
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let height = inner.height as usize;

        // Columns: the field label, then as many members as fit around the selected one.
        let label_w = c.rows.iter().map(|r| width(&r.label)).max().unwrap_or(0).clamp(4, LABEL_COLS);
        let lead = 2 + label_w + 1;
        let room = cols.saturating_sub(lead);
        let fit_n = (room / MIN_COL).max(1).min(c.cols.len().max(1));
        let start = self.member.saturating_sub(fit_n / 2).min(c.cols.len().saturating_sub(fit_n));
        let shown = start..(start + fit_n).min(c.cols.len());
        let col_w = room / fit_n;
        let hidden = c.cols.len() - shown.len();

        let heading = theme.tone(Tone::Heading);
        let mut lines = Vec::new();
        let more = if hidden > 0 { tr!("dup-more", n = hidden) } else { String::new() };
        let mut head = vec![Span::styled(fit(&more, lead), theme.tone(Tone::Dim))];
        for i in shown.clone() {
            let mark = if i == self.member { "▶" } else { " " };
            let st = if i == self.member { heading.add_modifier(Modifier::UNDERLINED) } else { heading };
            head.push(Span::styled(fit(&format!("{mark}{}", c.cols[i].number), col_w), st));
        }
        lines.push(Line::from(head));

        // Fields, a blank line, the evidence; when space is short the
        // evidence keeps a third (at least three lines) and the fields scroll.
        let mut ev = evidence_lines(c, self.member, cols, theme, false);
        let avail = height.saturating_sub(1);
        let (field_rows, ev_rows) = if c.rows.len() + 1 + ev.len() <= avail {
            ev = evidence_lines(c, self.member, cols, theme, true);
            (c.rows.len(), ev.len())
        } else {
            let ev_min = ev.len().min((avail / 3).max(3)).min(avail / 2);
            let field_rows = c.rows.len().min(avail - ev_min);
            (field_rows, (avail - field_rows).min(ev.len()))
        };
        let offset = if field_rows == 0 { self.field } else { (self.field + 1).saturating_sub(field_rows) };
        for (ri, row) in c.rows.iter().enumerate().skip(offset).take(field_rows) {
            let sel_row = ri == self.field;
            let label_st = if sel_row { theme.selected() } else { theme.tone(Tone::Label) };
            let mut spans = vec![
                Span::raw(if row.differ { DIFFERS } else { " " }),
                Span::raw(if sel_row { "▶" } else { " " }),
                Span::styled(fit(&row.label, label_w), label_st),
                Span::raw(" "),
            ];
            for i in shown.clone() {
                let mark = match row.chosen {
                    Some(k) if k == i && row.picked => PICKED,
                    Some(k) if k == i => KEPT,
                    _ => " ",
                };
                let (text, mut st) = match &row.values[i] {
                    Some(v) => (
                        v.as_str(),
                        if row.differ { Style::default().add_modifier(Modifier::BOLD) } else { Style::default() },
                    ),
                    None => ("—", theme.tone(Tone::Dim)),
                };
                if sel_row && i == self.member {
                    st = theme.selected();
                }
                spans.push(Span::raw(mark));
                spans.push(Span::styled(fit(text, col_w.saturating_sub(2)), st));
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        while lines.len() < 1 + field_rows {
            lines.push(Line::default());
        }
        lines.extend(ev.into_iter().take(ev_rows));
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// Whether the user may decide on clusters; says why not when not.
fn may_merge(cx: &mut Cx) -> bool {
    match cx.wb.access().check(Permission::Merge, None) {
        Ok(()) => true,
        Err(e) => {
            cx.error(e.to_string());
            false
        }
    }
}

/// "客户名称 ← CRM2026-000003 (most_complete)": where the selected field's value comes from.
fn row_explanation(c: &Comparison, row: &Row) -> String {
    if let Some(note) = &c.note {
        return format!("{}: {note}", row.label);
    }
    match row.chosen.and_then(|i| c.cols.get(i).map(|col| (col, row.values[i].as_deref()))) {
        Some((col, Some(v))) => format!("{} ← {} {v} ({})", row.label, col.number, row.why),
        Some((col, None)) => {
            tr!("dup-no-value", label = row.label.as_str(), number = col.number.as_str(), why = row.why.as_str())
        }
        None => format!("{}: {}", row.label, row.why),
    }
}

/// The evidence, pairs with the selected member first, each pair's items
/// flowing over as many lines as they need; `heading` when there is room for one.
fn evidence_lines(c: &Comparison, member: usize, cols: usize, theme: Theme, heading: bool) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if heading {
        out.push(Line::from(Span::styled(
            truncate(&tr!("dup-evidence-head"), cols).into_owned(),
            theme.tone(Tone::Heading),
        )));
    }
    if let Some(note) = &c.note {
        out.push(Line::from(Span::styled(truncate(&format!("! {note}"), cols).into_owned(), theme.error_style())));
    }
    let sel = c.cols.get(member).map(|col| col.number.as_str()).unwrap_or_default();
    let mut pairs: Vec<&PairLine> = c.pairs.iter().collect();
    pairs.sort_by_key(|p| !(p.a == sel || p.b == sel));
    let label = theme.tone(Tone::Label);
    for p in pairs {
        let head = if c.cols.len() > 2 {
            format!("{}~{} p {} ", p.a, p.b, prob(p.probability))
        } else if heading {
            format!("p {} ", prob(p.probability))
        } else {
            tr!("dup-evidence-p", p = prob(p.probability))
        };
        let mut spans = vec![Span::styled(head.clone(), label)];
        let mut used = width(&head);
        for (k, item) in p.items.iter().enumerate() {
            let sep = if k == 0 { "" } else { " · " };
            let w = width(sep) + width(item);
            if used + w > cols && used > width(&head) {
                out.push(Line::from(std::mem::take(&mut spans)));
                spans.push(Span::raw("  "));
                used = 2;
                spans.push(Span::raw(truncate(item, cols.saturating_sub(used)).into_owned()));
                used += width(item);
                continue;
            }
            spans.push(Span::raw(format!("{sep}{}", truncate(item, cols.saturating_sub(used + width(sep))))));
            used += w;
        }
        if p.items.is_empty() {
            spans.push(Span::styled(tr!("dup-no-evidence"), theme.tone(Tone::Dim)));
        }
        out.push(Line::from(spans));
    }
    out
}

/// Reads the members (masked by the service) and the merge preview of `c`.
fn build_comparison(wb: &Workbench, c: &ClusterView, picks: &[(Field, i64)]) -> Comparison {
    let members: Vec<_> = c.members.iter().collect();
    let cols: Vec<Col> = members.iter().map(|m| Col { id: m.id, number: s(&m.number) }).collect();
    let shown = |n: &str| members.iter().any(|m| m.number == n);
    let pairs = c
        .pairs
        .iter()
        .filter(|p| shown(&p.a) && shown(&p.b))
        .map(|p| PairLine {
            a: s(&p.a),
            b: s(&p.b),
            probability: p.probability,
            items: p.evidence.iter().map(|e| e.describe()).collect(),
        })
        .collect();
    let mut cmp = Comparison { cluster: c.id, cols, survivor: None, rows: Vec::new(), pairs, note: None };
    let mut details = Vec::with_capacity(members.len());
    for m in &members {
        match wb.customer_detail(m.id) {
            Ok(d) => details.push(d),
            Err(e) => {
                cmp.note = Some(format!("{}: {e}", s(&m.number)));
                return cmp;
            }
        }
    }
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let preview = match wb.preview_merge(&ids, picks) {
        Ok(p) => Some(p),
        Err(e) => {
            cmp.note = Some(sanitize(&e.to_string()).into_owned());
            None
        }
    };
    if let Some(p) = &preview {
        cmp.survivor = ids.iter().position(|id| *id == p.survivor.id);
    }
    let differ = |values: &[Option<String>]| {
        let mut seen: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() > 1
    };
    for f in Field::ALL {
        if f != Field::Number {
            let values: Vec<Option<String>> =
                details.iter().map(|d| d.customer.get(f).map(|v| s(&crate::i18n::field_value(f, v)))).collect();
            if values.iter().any(Option::is_some) {
                let choice = preview.as_ref().and_then(|p| p.fields.iter().find(|x| x.field == f));
                cmp.rows.push(Row {
                    label: f.label().to_string(),
                    field: Some(f),
                    differ: differ(&values),
                    values,
                    chosen: choice.and_then(|x| x.from).and_then(|id| ids.iter().position(|i| *i == id)),
                    picked: choice.is_some_and(|x| x.reason == ChoiceReason::Picked),
                    why: choice.map_or_else(String::new, |x| match &x.reason {
                        ChoiceReason::Picked => tr!("dup-your-pick"),
                        ChoiceReason::Agreed => tr!("reason-agreed"),
                        ChoiceReason::Empty => tr!("reason-empty"),
                        ChoiceReason::Rule { rule } => coded("rule", &rule.to_string()),
                        ChoiceReason::Follows { leader } => {
                            let leader = Field::parse(leader).map_or_else(|| words(leader), |f| f.label().to_string());
                            tr!("reason-follows", leader = leader)
                        }
                    }),
                });
            }
        }
        // Every phone and e-mail, not only the primary ones: a merge keeps them all.
        if f == Field::Email {
            let phones: Vec<Vec<String>> =
                details.iter().map(|d| d.phones.iter().map(|p| s(&p.number)).collect()).collect();
            if phones.iter().any(|p| p.len() > 1) {
                cmp.rows.push(kept_whole("全部电话", phones));
            }
            let emails: Vec<Vec<String>> =
                details.iter().map(|d| d.emails.iter().map(|e| s(&e.email)).collect()).collect();
            if emails.iter().any(|e| e.len() > 1) {
                cmp.rows.push(kept_whole("全部邮箱", emails));
            }
        }
    }
    // Custom fields: the survivor keeps its own value; one it lacks comes
    // from the first other member that has one (the merge's order).
    let mut names: Vec<&str> = Vec::new();
    for d in &details {
        for (name, _, _) in &d.custom {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    for name in names {
        let values: Vec<Option<String>> =
            details.iter().map(|d| d.custom.iter().find(|(n, _, _)| n == name).map(|(_, _, v)| s(v))).collect();
        let chosen = cmp.survivor.and_then(|sv| {
            std::iter::once(sv).chain((0..values.len()).filter(|i| *i != sv)).find(|i| values[*i].is_some())
        });
        cmp.rows.push(Row {
            label: s(name),
            field: None,
            differ: differ(&values),
            values,
            chosen,
            picked: false,
            why: tr!("dup-survivor-first"),
        });
    }
    cmp
}

/// A row a merge keeps whole (every member's phones, e-mails).
fn kept_whole(label: &str, per_member: Vec<Vec<String>>) -> Row {
    let values: Vec<Option<String>> =
        per_member.iter().map(|v| if v.is_empty() { None } else { Some(v.join(", ")) }).collect();
    let mut all: Vec<&String> = per_member.iter().flatten().collect();
    all.sort_unstable();
    all.dedup();
    Row {
        label: label.to_string(),
        field: None,
        differ: per_member.iter().any(|v| v.len() != all.len()),
        values,
        chosen: None,
        picked: false,
        why: tr!("dup-all-kept"),
    }
}

/// A merge that undo would reverse.
struct UndoTarget {
    merge: String,
    at: String,
    survivor: String,
    absorbed: Vec<String>,
}

/// What undoing `survivor`'s merges would reverse: its latest merge not yet
/// undone (that is what `unmerge` of a survivor's number does). `None` when
/// it has none; refused when it was itself merged away since.
fn undo_target(wb: &Workbench, survivor: i64) -> std::result::Result<Option<UndoTarget>, String> {
    let history = wb.merge_history(survivor).map_err(|e| tr!("err-merge-history", e = e.to_string()))?;
    if let Some(later) = history.iter().find(|m| m.role == "absorbed" && m.undone_at.is_none()) {
        return Err(tr!(
            "dup-merged-since",
            number = s(&later.absorbed.first().cloned().unwrap_or_default()),
            survivor = s(&later.survivor),
            merge = later.merge.to_string()
        ));
    }
    Ok(history.iter().find(|m| m.role == "survivor" && m.undone_at.is_none()).map(|m| UndoTarget {
        merge: m.merge.to_string(),
        // "2026-11-23T17:51:16Z" → "2026-11-23 17:51": minutes tell merges apart for a person.
        at: s(&m.at.replace('T', " ").chars().take(16).collect::<String>()),
        survivor: m.survivor.clone(),
        absorbed: m.absorbed.iter().map(|a| s(a)).collect(),
    }))
}

/// The newest merge not yet undone, from the audit log.
fn latest_merge(wb: &Workbench) -> std::result::Result<Option<UndoTarget>, String> {
    let entries = wb.recent_audit(UNDO_SEARCH).map_err(|e| tr!("dup-no-latest", e = e.to_string()))?;
    let mut seen = Vec::new();
    for e in entries.iter().filter(|e| e.action == "customer.merge") {
        let Some(id) = e.customer_id else { continue };
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        if let Some(t) = undo_target(wb, id)? {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Clock, ImportOptions};
    use crate::tui::keymap::load_keymap;
    use crate::tui::testkit::screen;
    use crate::tui::{App, PaneId};

    /// Two companies entered three and two times with variants (the second
    /// once without its contact, so it scores below the first), a person
    /// twice, and enough others for the model to learn what a non-match looks like.
    fn workbench() -> Workbench {
        fill(Workbench::open_in_memory("tester").unwrap())
    }

    fn fill(mut wb: Workbench) -> Workbench {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dups.csv");
        let mut csv = String::from("客户名称,联系人,手机,邮箱,城市,详细地址,所属行业,客户状态\n");
        csv.push_str(
            "上海华通科技有限公司,陈明,13812340001,chen@huatong.cn,上海,上海市浦东新区张江路88号,信息技术,意向客户\n",
        );
        csv.push_str("上海华通科技公司,陈明,138-1234-0001,,上海,浦东新区张江路88号2201室,,潜在客户\n");
        csv.push_str("华通科技(上海)有限公司,陈明,13812340001,chen@huatong.cn,上海市,,软件和信息技术服务业,\n");
        csv.push_str("北京星辰贸易有限公司,王芳,13900002222,,北京,北京市朝阳区建国路1号,批发和零售业,潜在客户\n");
        csv.push_str("北京星辰贸易有限公司,,,wf@xingchen.com,北京,,,意向客户\n");
        let cities = ["成都", "武汉", "西安", "南京", "重庆", "长沙", "郑州", "青岛"];
        let words = ["远航", "恒信", "金桥", "瑞丰", "新锐", "博达", "天成", "宏图", "嘉禾", "和泰"];
        for n in 0..40 {
            let name = format!("{}{}{}有限公司", cities[n % 8], words[n % 10], ["物流", "机械", "食品", "建材"][n % 4]);
            csv.push_str(&format!("{name},联系人{n},1350000{n:04},,{},,制造业,潜在客户\n", cities[n % 8]));
        }
        std::fs::write(&path, csv).unwrap();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 30, 0).unwrap();
        wb.set_clock(Clock::fixed(at));
        let opts = ImportOptions { source: "test".into(), ..Default::default() };
        wb.import(&path, &opts, &mut |_| {}).unwrap();
        wb.run_match(&MatchOptions::default()).unwrap();
        wb
    }

    fn app_with(wb: Workbench, w: u16, h: u16) -> App {
        let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, w, h)).unwrap();
        app.tick();
        press(&mut app, "2");
        app
    }

    fn app(w: u16, h: u16) -> App {
        app_with(workbench(), w, h)
    }

    /// Keys through the real default keymap; inline jobs' events delivered.
    /// Keys, then whatever the jobs they started reported.
    fn press(app: &mut App, keys: &str) {
        crate::tui::testkit::press(app, keys);
        app.tick();
    }

    fn live(app: &App) -> i64 {
        app.workbench().customer_count().unwrap()
    }

    fn name_of(app: &App, number: &str) -> String {
        app.workbench().customer_by_number(number).unwrap().customer.name
    }

    fn shown_cluster(app: &App) -> Option<i64> {
        app.duplicates.cmp.as_ref().map(|c| c.cluster)
    }

    fn message(app: &App) -> String {
        match app.message() {
            Some(crate::tui::Message::Info(m)) | Some(crate::tui::Message::Error(m)) => m.clone(),
            None => String::new(),
        }
    }

    #[test]
    fn the_queue_shows_clusters_by_score_and_j_k_move_the_comparison() {
        let mut app = app(80, 24);
        let s = screen(&app);
        assert!(s.contains("Duplicates (2)"), "{s}");
        assert!(s.contains("▶ 0.9951  +7.7  3  上海华通科技有限公司"), "{s}");
        assert!(s.contains("0.54    +0.3  2  北京星辰贸易有限公司"), "{s}");
        assert!(s.contains("Cluster 1: 3 customers → CRM2026-000001"), "{s}");
        assert_eq!(shown_cluster(&app), Some(1));
        press(&mut app, "j");
        assert_eq!(shown_cluster(&app), Some(2));
        let s = screen(&app);
        assert!(s.contains("Cluster 2: 2 customers → CRM2026-000004"), "{s}");
        assert!(s.contains("Evidence p 0.54 name exact +6.8 · location same city +2.8"), "{s}");
        press(&mut app, "j");
        assert_eq!(shown_cluster(&app), Some(2), "the last cluster stays selected");
        press(&mut app, "k");
        assert_eq!(shown_cluster(&app), Some(1));
        press(&mut app, "G");
        assert_eq!(shown_cluster(&app), Some(2));
        press(&mut app, "g g");
        assert_eq!(shown_cluster(&app), Some(1));
    }

    /// Issue 16, finding 15: clusters that all start 0.99 read apart (as
    /// many places as it takes), and the evidence is worded as `crmwb queue`
    /// words it (one source: `Evidence::describe`).
    #[test]
    fn finding_16_15_scores_read_apart_and_evidence_reads_as_in_the_cli() {
        let wb = workbench();
        let conn = wb.store().conn();
        // Scores are stored in bits: 10 bits is p 0.99902, 8.5 bits p 0.99725.
        conn.execute("UPDATE match_clusters SET score = CASE id WHEN 1 THEN 10.0 ELSE 8.5 END", []).unwrap();
        let mut app = app_with(wb, 80, 24);
        let s = screen(&app);
        assert!(s.contains("  score    bits  n  customers"), "{s}");
        assert!(s.contains("▶ 0.99902 +10.0  3  上海华通科技有限公司"), "{s}");
        assert!(s.contains("  0.9972   +8.5  2  北京星辰贸易有限公司"), "{s}");
        insta::assert_snapshot!(s);
        let mut out = Vec::new();
        crate::cli::matching::print_queue(&mut out, &app.workbench().match_queue().unwrap(), false).unwrap();
        let cli = String::from_utf8(out).unwrap();
        assert!(cli.contains("Cluster 1  score 0.99902 (+10.0 bits)"), "{cli}");
        assert!(cli.contains("Cluster 2  score 0.9972 (+8.5 bits)"), "{cli}");
        for cluster in [1, 2] {
            let c = app.duplicates.cmp.as_ref().unwrap();
            assert_eq!(c.cluster, cluster);
            let items: Vec<&String> = c.pairs.iter().flat_map(|p| &p.items).collect();
            assert!(!items.is_empty());
            for item in items {
                assert!(cli.contains(item.as_str()), "the workbench says {item:?}, the CLI:\n{cli}");
            }
            press(&mut app, "j");
        }
        assert!(cli.contains("contact reach and name +"), "{cli}");
    }

    #[test]
    fn snapshot_comparison_80x24() {
        let mut app = app(80, 24);
        press(&mut app, "l J J J J");
        insta::assert_snapshot!(screen(&app));
    }

    #[test]
    fn snapshot_comparison_160x48() {
        let mut app = app(160, 48);
        press(&mut app, "l");
        insta::assert_snapshot!(screen(&app));
    }

    #[test]
    fn approve_asks_then_merges_and_the_next_cluster_shows_at_once() {
        let mut app = app(80, 24);
        assert_eq!(live(&app), 45);
        press(&mut app, "a");
        let s = screen(&app);
        assert!(s.contains("Merge cluster 1?"), "{s}");
        assert!(s.contains("merge 3 customers into CRM2026-000001"), "{s}");
        // The key that asked does not answer.
        press(&mut app, "a");
        assert_eq!(live(&app), 45);
        press(&mut app, "y");
        assert_eq!(live(&app), 43);
        assert!(
            message(&app).starts_with("Merged CRM2026-000002, CRM2026-000003 into CRM2026-000001"),
            "{}",
            message(&app)
        );
        assert_eq!(shown_cluster(&app), Some(2));
        let s = screen(&app);
        assert!(s.contains("Cluster 2: 2 customers"), "{s}");
        assert!(s.contains("Duplicates (1)"), "{s}");
        // By the rules (most complete), the longest name survives.
        assert_eq!(name_of(&app, "CRM2026-000001"), "华通科技（上海）有限公司");
    }

    #[test]
    fn no_leaves_everything_as_it_was() {
        let mut app = app(80, 24);
        press(&mut app, "a n");
        assert_eq!(live(&app), 45);
        assert_eq!(message(&app), "Nothing was done");
        assert_eq!(shown_cluster(&app), Some(1));
    }

    #[test]
    fn a_pick_changes_the_survivors_value() {
        let mut app = app(80, 24);
        // Field row 1 is the name; the selected member is the survivor, whose name the rule passed over.
        press(&mut app, "p");
        assert!(message(&app).contains("keeping CRM2026-000001's value"), "{}", message(&app));
        let s = screen(&app);
        assert!(s.contains("*上海华通科技有限公司"), "{s}");
        assert!(s.contains("客户名称 ← CRM2026-000001 上海华通科技有限公司 (your pick)"), "{s}");
        press(&mut app, "a");
        assert!(screen(&app).contains("客户名称 from CRM2026-000001 (your pick)"));
        press(&mut app, "y");
        assert_eq!(live(&app), 43);
        assert_eq!(name_of(&app, "CRM2026-000001"), "上海华通科技有限公司");
    }

    #[test]
    fn picking_the_same_value_again_clears_the_pick() {
        let mut app = app(80, 24);
        press(&mut app, "p p");
        assert!(message(&app).contains("pick cleared"), "{}", message(&app));
        assert!(screen(&app).contains("✓华通科技"));
        press(&mut app, "a y");
        assert_eq!(name_of(&app, "CRM2026-000001"), "华通科技（上海）有限公司");
    }

    #[test]
    fn reject_is_remembered_across_a_new_match_run() {
        let mut app = app(80, 24);
        press(&mut app, "j x");
        assert!(screen(&app).contains("CRM2026-000004, CRM2026-000005 are not duplicates"));
        press(&mut app, "y");
        assert_eq!(live(&app), 45);
        assert_eq!(shown_cluster(&app), Some(1), "the cluster before it is the only one left");
        // Find duplicates again (inline for an in-memory database): the pair stays apart.
        press(&mut app, "m");
        assert!(message(&app).starts_with("Matching done: 1 clusters to review"), "{}", message(&app));
        let q = app.workbench().match_queue().unwrap();
        assert_eq!(q.len(), 1);
        assert!(q[0].members.iter().all(|m| m.number != "CRM2026-000004"));
    }

    /// A reject made by mistake is taken back with the undo key: the
    /// cluster is in the queue again, selected, and can be approved.
    #[test]
    fn undo_takes_a_reject_back() {
        let mut app = app(80, 24);
        press(&mut app, "j x y");
        assert_eq!(shown_cluster(&app), Some(1));
        assert!(message(&app).ends_with("u takes it back"), "{}", message(&app));
        assert!(screen(&app).contains("Duplicates (1)"));
        press(&mut app, "u");
        assert!(message(&app).contains("is back in the queue"), "{}", message(&app));
        assert_eq!(shown_cluster(&app), Some(2), "the cluster that came back is selected");
        assert!(screen(&app).contains("Duplicates (2)"), "{}", screen(&app));
        // Nothing of the reject is left: a new match proposes the pair again.
        press(&mut app, "m");
        let q = app.workbench().match_queue().unwrap();
        assert!(q.iter().any(|c| c.members.iter().any(|m| m.number == "CRM2026-000004")), "{q:?}");
        // With the reject taken back, the undo key is the merge undo again.
        press(&mut app, "u");
        assert_eq!(message(&app), "No merge to undo");
    }

    #[test]
    fn a_dropped_member_stays_out_of_the_merge() {
        let mut app = app(80, 24);
        press(&mut app, "l l d");
        let s = screen(&app);
        assert!(s.contains("Drop CRM2026-000003 from the cluster?"), "{s}");
        press(&mut app, "y");
        assert_eq!(shown_cluster(&app), Some(1));
        let s = screen(&app);
        assert!(s.contains("Cluster 1: 2 customers → CRM2026-000001"), "{s}");
        // Another session (a fresh read of the queue) no longer has it either.
        let q = app.workbench().match_queue().unwrap();
        assert!(q.iter().all(|c| c.members.iter().all(|m| m.number != "CRM2026-000003")), "{q:?}");
        let comparison: Vec<&str> = s.lines().filter(|l| l.starts_with("\"│")).collect();
        assert!(comparison.len() > 3 && comparison.iter().all(|l| !l.contains("CRM2026-000003")), "{s}");
        press(&mut app, "a");
        assert!(screen(&app).contains("merge 2 customers into CRM2026-000001"));
        press(&mut app, "y");
        assert_eq!(live(&app), 44);
        let d = app.workbench().customer_by_number("CRM2026-000003").unwrap();
        assert_eq!(d.customer.merged_into, None, "the dropped member is a customer of its own");
        let d = app.workbench().customer_by_number("CRM2026-000002").unwrap();
        assert_eq!(d.customer.number, "CRM2026-000001", "the other one was merged");
    }

    #[test]
    fn dropping_from_a_pair_closes_the_cluster() {
        let mut app = app(80, 24);
        press(&mut app, "j d y");
        assert_eq!(live(&app), 45);
        assert!(message(&app).contains("the cluster is closed"), "{}", message(&app));
        assert_eq!(app.workbench().match_queue().unwrap().len(), 1);
        assert_eq!(shown_cluster(&app), Some(1));
    }

    #[test]
    fn skip_moves_the_cluster_to_the_end_and_shows_the_next() {
        let mut app = app(80, 24);
        press(&mut app, "s");
        assert_eq!(shown_cluster(&app), Some(2));
        let s = screen(&app);
        assert!(s.contains("(skipped) 上海华通"), "{s}");
        assert_eq!(live(&app), 45);
    }

    #[test]
    fn undo_restores_the_last_merge() {
        let mut app = app(80, 24);
        press(&mut app, "u");
        assert_eq!(message(&app), "No merge to undo");
        press(&mut app, "a y");
        assert_eq!(live(&app), 43);
        press(&mut app, "u");
        let s = screen(&app);
        assert!(s.contains("Undo merge #1 of 2026-03-02 09:30?"), "{s}");
        assert!(s.contains("split CRM2026-000002, CRM2026-000003 back out of"), "{s}");
        press(&mut app, "y");
        assert_eq!(live(&app), 45);
        assert!(message(&app).starts_with("Undid merge #1"), "{}", message(&app));
        assert_eq!(name_of(&app, "CRM2026-000001"), "上海华通科技有限公司");
        press(&mut app, "u");
        assert_eq!(message(&app), "No merge to undo");
    }

    /// Issue 16, finding 8: undoing an approved merge puts its cluster back
    /// in the queue as it was (same place, same members), selected, the tab
    /// count with it; it can be approved again at once, without a new match.
    #[test]
    fn finding_16_8_undo_brings_the_merged_cluster_back_as_it_was() {
        let mut app = app(80, 24);
        let before = screen(&app);
        press(&mut app, "a y");
        assert_eq!((live(&app), shown_cluster(&app)), (43, Some(2)));
        assert!(screen(&app).contains("Duplicates (1)"));
        press(&mut app, "u y");
        assert_eq!(live(&app), 45);
        assert!(message(&app).contains("cluster 1 is back in the queue"), "{}", message(&app));
        assert_eq!(shown_cluster(&app), Some(1), "the cluster that came back is selected");
        let s = screen(&app);
        assert!(s.contains("Duplicates (2)"), "{s}");
        assert!(s.contains("▶ 0.9951  +7.7  3  上海华通科技有限公司"), "{s}");
        // Every line but the status bar's message is as before the merge.
        let body = |s: &str| s.lines().take(22).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(body(&s), body(&before), "{s}");
        insta::assert_snapshot!(s);
        // Still a cluster that can be decided: approved again, no new match run.
        press(&mut app, "a y");
        assert_eq!(live(&app), 43, "{}", message(&app));
    }

    #[test]
    fn undo_finds_the_latest_merge_of_an_earlier_session() {
        let mut wb = workbench();
        wb.review_approve(2, &[], &[]).unwrap();
        let mut app = app_with(wb, 80, 24);
        assert_eq!(live(&app), 44);
        press(&mut app, "u");
        assert!(screen(&app).contains("split CRM2026-000005 back out of CRM2026-000004"));
        press(&mut app, "y");
        assert_eq!(live(&app), 45);
    }

    #[test]
    fn enter_opens_the_selected_member() {
        let mut app = app(80, 24);
        press(&mut app, "l <Enter>");
        assert_eq!(app.pane(), PaneId::Customers);
        let s = screen(&app);
        assert!(s.contains("CRM2026-000002  上海华通科技公司"), "{s}");
    }

    #[test]
    fn finding_16_2_esc_returns_to_the_cluster_and_member() {
        let mut app = app(80, 24);
        press(&mut app, "j l J J");
        let (cluster, member, field) = (shown_cluster(&app), app.duplicates.member, app.duplicates.field);
        assert_eq!((member, field), (1, 2));
        press(&mut app, "<Enter>");
        assert_eq!(app.pane(), PaneId::Customers);
        press(&mut app, "<Esc>");
        assert_eq!(app.pane(), PaneId::Duplicates);
        assert_eq!(shown_cluster(&app), cluster);
        assert_eq!((app.duplicates.member, app.duplicates.field), (member, field));
        insta::assert_snapshot!(screen(&app));
    }

    #[test]
    fn finding_16_4_the_approve_confirmation_names_the_undo_key() {
        let mut app = app(80, 24);
        press(&mut app, "a");
        let s = screen(&app);
        assert!(s.contains("u Undo the last merge here"), "{s}");
        assert!(!s.contains("merge.undo"), "{s}");
        insta::assert_snapshot!(s);
        press(&mut app, "y");
        let m = app.message().unwrap().text().to_string();
        assert!(m.contains("; u undoes it") && !m.contains("merge.undo"), "{m}");
    }

    #[test]
    fn an_empty_queue_says_how_to_find_duplicates() {
        let wb = Workbench::open_in_memory("tester").unwrap();
        let mut app = app_with(wb, 80, 24);
        let s = screen(&app);
        assert!(s.contains("Duplicates (0)"), "{s}");
        assert!(s.contains("No clusters wait for review."), "{s}");
        assert!(s.contains("m Find duplicates now here"), "{s}");
        for k in ["a", "x", "d", "s", "p", "<Enter>", "j", "l", "J"] {
            press(&mut app, k);
        }
        assert_eq!(app.pane(), PaneId::Duplicates);
    }

    #[test]
    fn the_title_counts_what_is_known() {
        let p = DuplicatesPane::default();
        assert_eq!(p.title(None), "Duplicates (…)");
        assert_eq!(p.title(Some(7)), "Duplicates (7)");
        let app = app(80, 24);
        assert_eq!(app.duplicates.title(None), "Duplicates (2)");
    }

    #[test]
    fn a_stale_cluster_is_refused_not_merged() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("dups.db");
        let wb = fill(Workbench::open(&db, crate::store::OpenMode::Create, "tester").unwrap());
        let mut app = app_with(wb, 80, 24);
        press(&mut app, "a");
        // Another session merges a member away while the question is open.
        let mut other = Workbench::open(&db, crate::store::OpenMode::Existing, "tester").unwrap();
        other.merge_customers(2, &[3], &[], crate::service::MergeOrigin::Manual).unwrap();
        press(&mut app, "y");
        assert!(message(&app).starts_with("approve: cluster 1 changed since it was shown"), "{}", message(&app));
        assert_eq!(live(&app), 44, "only the other session's merge happened");
    }

    #[test]
    fn members_are_masked_for_a_role_that_may_not_see_phones() {
        let mut wb = workbench();
        wb.add_user("mk", crate::domain::Role::Marketing, None, None).unwrap();
        wb.act_as("mk").unwrap();
        let app = app_with(wb, 160, 48);
        let s = screen(&app);
        assert!(s.contains("Cluster 1: 3 customers"), "{s}");
        assert!(s.contains("手机"), "{s}");
        for secret in ["13812340001", "chen@huatong.cn", "浦东新区张江路88号"] {
            assert!(!s.contains(secret), "{secret} shown to a role that may not see it:\n{s}");
        }
    }

    #[test]
    fn a_role_that_may_not_merge_is_told_before_any_question() {
        let mut wb = workbench();
        wb.add_user("mk", crate::domain::Role::Marketing, None, None).unwrap();
        wb.act_as("mk").unwrap();
        let mut app = app_with(wb, 80, 24);
        for k in ["a", "x", "d", "s", "u", "m"] {
            press(&mut app, k);
            assert!(app.overlay.is_none(), "{k} asked a question");
            assert!(message(&app).contains("may not"), "{k}: {}", message(&app));
        }
        assert_eq!(live(&app), 45);
        assert_eq!(app.workbench().match_queue().unwrap().len(), 2);
    }

    #[test]
    fn too_many_members_show_the_selected_and_its_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("five.csv");
        let mut csv = String::from("客户名称,联系人,手机,城市\n");
        for (n, name) in [
            "杭州云栖网络科技有限公司",
            "杭州云栖网络科技公司",
            "云栖网络科技（杭州）有限公司",
            "杭州云栖网络",
            "杭州市云栖网络科技有限公司",
        ]
        .iter()
        .enumerate()
        {
            csv.push_str(&format!("{name},林{n},13700001234,杭州\n"));
        }
        for n in 0..30 {
            csv.push_str(&format!("其他{n}号贸易有限公司,联系人{n},1350000{n:04},城{n}\n"));
        }
        std::fs::write(&path, csv).unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        wb.import(&path, &ImportOptions { source: "five".into(), ..Default::default() }, &mut |_| {}).unwrap();
        wb.run_match(&MatchOptions::default()).unwrap();
        let q = wb.match_queue().unwrap();
        assert_eq!(q.first().map(|c| c.members.len()), Some(5), "one cluster of five");
        let mut app = app_with(wb, 80, 24);
        let s = screen(&app);
        assert!(s.contains("+1 more"), "{s}");
        assert!(s.contains("▶CRM2026-000001") && !s.contains("CRM2026-000005  "), "{s}");
        press(&mut app, "l l l l");
        let s = screen(&app);
        assert!(s.contains("▶CRM2026-000005") && s.contains("+1 more"), "{s}");
        let head = s.lines().find(|l| l.contains("▶CRM2026-000005")).unwrap();
        assert!(!head.contains("CRM2026-000001"), "the first member scrolled out: {s}");
    }

    #[test]
    fn hostile_text_in_a_member_shows_inert() {
        let mut wb = workbench();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evil.csv");
        std::fs::write(
            &path,
            "客户名称,联系人,手机,城市,备注\n\
             红色警告有限公司,周洁,13655550000,杭州,\"红字\x1b[31m备注\u{202E}gnp.exe\"\n\
             红色警告有限公司,周洁,13655550000,杭州,\n",
        )
        .unwrap();
        wb.import(&path, &ImportOptions { source: "evil".into(), ..Default::default() }, &mut |_| {}).unwrap();
        wb.run_match(&MatchOptions::default()).unwrap();
        let mut app = app_with(wb, 160, 48);
        let q = app.workbench().match_queue().unwrap();
        let at = q.iter().position(|c| c.members.iter().any(|m| m.name.contains("警告"))).expect("clustered");
        for _ in 0..at {
            press(&mut app, "j");
        }
        // Down to the notes row.
        for _ in 0..12 {
            press(&mut app, "J");
        }
        let s = screen(&app);
        assert!(s.contains("红字^[[31m备注<U+202E>gnp.exe"), "{s}");
        assert!(!s.contains('\u{202E}') && !s.contains('\x1b'), "{s}");
    }
}
