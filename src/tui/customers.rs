//! The Customers pane: a virtual list of golden records and the selected
//! customer's 360° detail.

use super::action::Action;
use super::detail::{self, DLine, Tone};
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::pane::{Cx, Reply};
use super::view::{self, clip, pane_block, Theme};
use crate::display::{fit, sanitize};
use crate::store::CustomerRow;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

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

#[derive(Default)]
pub(crate) struct CustomersPane {
    pub ids: Vec<i64>,
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
}

impl CustomersPane {
    pub fn focus(&self) -> Focus {
        self.focus.unwrap_or(Focus::List)
    }

    pub fn context(&self) -> Context {
        match self.focus() {
            Focus::List => Context::Customers,
            Focus::Detail => Context::Detail,
        }
    }

    pub fn title(&self) -> String {
        format!("Customers ({})", self.ids.len())
    }

    pub fn selected_id(&self) -> Option<i64> {
        self.ids.get(self.selected).copied()
    }

    pub fn list_rows(&self) -> usize {
        split(self.area).0.height.saturating_sub(3) as usize
    }

    pub fn detail_rows(&self) -> usize {
        split(self.area).1.height.saturating_sub(2) as usize
    }

    pub fn reload(&mut self, cx: &mut Cx) {
        self.area = cx.area;
        let keep = self.selected_id();
        match cx.wb.customer_ids() {
            Ok(ids) => self.ids = ids,
            Err(e) => cx.error(format!("reading customers: {e}")),
        }
        if let Some(id) = keep {
            if let Some(pos) = self.ids.iter().position(|x| *x == id) {
                self.selected = pos;
            }
        }
        self.window = Window::default();
        self.sync_list(cx);
        self.load_detail(cx);
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

    pub fn resize(&mut self, area: Rect, cx: &mut Cx) {
        self.area = area;
        self.sync_list(cx);
        let rows = self.detail_rows();
        let len = self.detail.as_ref().map_or(0, |d| d.lines.len());
        self.detail_scroll = self.detail_scroll.min(len.saturating_sub(rows));
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
            Action::FocusDetail => self.focus = Some(Focus::Detail),
            Action::CursorDown
            | Action::CursorUp
            | Action::PageDown
            | Action::PageUp
            | Action::HalfPageDown
            | Action::HalfPageUp
            | Action::Top
            | Action::Bottom => match self.focus() {
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
            Err(e) => cx.error(format!("reading customers: {e}")),
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
            Ok(d) => self.detail = Some(DetailView { id, lines: detail::build(&d) }),
            Err(e) => {
                self.detail = None;
                cx.error(format!("reading customer: {e}"));
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
    pub fn type_key(&mut self, k: &ratatui::crossterm::event::KeyEvent, cx: &mut Cx) {
        let _ = (k, cx);
    }

    /// Where the terminal cursor goes (the filter input), if anywhere.
    pub fn cursor_position(&self, area: Rect) -> Option<(u16, u16)> {
        let _ = area;
        None
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        let _ = (id, ev, cx);
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        let _ = (tag, reply, cx);
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool) {
        let (list, detail) = split(area);
        self.render_list(f, list, theme, active && self.focus() == Focus::List);
        self.render_detail(f, detail, theme, active && self.focus() == Focus::Detail);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let block = pane_block(&self.title(), focused, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let (cols, name_cols) = columns(inner.width as usize);
        let header_style = theme.tone(Tone::Heading);
        let head: Vec<(String, Style)> = cols.iter().map(|c| (fit(c.title, c.cols), header_style)).collect();
        let mut lines = vec![Line::from(row_line(
            &head,
            (crate::domain::Field::Name.label().to_string(), header_style),
            name_cols,
        ))];
        if self.ids.is_empty() {
            lines.push(Line::from(Span::styled(
                "No customers yet. Import a file with: crmwb import FILE --source NAME",
                theme.tone(Tone::Dim),
            )));
        }
        let rows = inner.height.saturating_sub(1) as usize;
        for i in self.offset..(self.offset + rows).min(self.ids.len()) {
            let line = match self.window.get(i) {
                Some(r) => {
                    let cells: Vec<(String, Style)> =
                        cols.iter().map(|c| (fit(&(c.value)(r), c.cols), theme.tone(c.tone))).collect();
                    Line::from(row_line(&cells, (sanitize(&r.name).into_owned(), Style::default()), name_cols))
                }
                // Not cached (a read failed) or gone since the ids were read.
                None => Line::from(Span::styled(fit("…", inner.width as usize), theme.tone(Tone::Dim))),
            };
            lines.push(if i == self.selected { line.style(theme.selected()) } else { line });
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let rows = area.height.saturating_sub(2) as usize;
        let mut block = pane_block("Detail", focused, theme);
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
            None => vec![Line::from(Span::styled("Nothing selected", theme.tone(Tone::Dim)))],
        };
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(lines), inner);
    }
}

struct Column {
    title: &'static str,
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
            cols: 14,
            value: |r| sanitize(&r.number).into_owned(),
            tone: Tone::Plain,
        },
        Column { title: Field::Status.label(), cols: 8, value: |r| opt(&r.status), tone: Tone::Plain },
        Column { title: Field::Owner.label(), cols: 8, value: |r| opt(&r.owner), tone: Tone::Plain },
        Column { title: Field::NextFollowup.label(), cols: 10, value: |r| opt(&r.next_followup), tone: Tone::Plain },
        Column { title: "标记", cols: 6, value: |r| sanitize(&r.flags.join(",")).into_owned(), tone: Tone::Flag },
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
