//! Layout and rendering. `render` reads `App` and draws; it never touches the
//! database. Layout sizes are computed by the same functions `App` uses to
//! decide what to fetch, so the two cannot disagree.

use super::action::Action;
use super::app::{App, Logged, Message, Overlay};
use super::detail::{DLine, Seg, Tone};
use super::keymap::{Binding, Context, Key, Keymap};
use super::palette::Palette;
use super::pane::{Avail, Confirm, PaneId};
use crate::display::{fit, sanitize, truncate, width};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

/// Colours are decoration only: every state they mark is also shown by
/// text, a border shape or a modifier, so `NO_COLOR` loses nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Honours <https://no-color.org>: set and non-empty means no colour.
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn fg(self, style: Style, c: Color) -> Style {
        if self.color {
            style.fg(c)
        } else {
            style
        }
    }

    pub fn tone(self, t: Tone) -> Style {
        match t {
            Tone::Plain => Style::default(),
            Tone::Heading => self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan),
            Tone::Label => self.fg(Style::default(), Color::Blue),
            Tone::Dim => self.fg(Style::default(), Color::DarkGray),
            Tone::Flag => self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Yellow),
        }
    }

    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub(crate) fn key(self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub(crate) fn error_style(self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Red)
    }

    pub(crate) fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
        } else {
            Style::default()
        }
    }
}

/// Below this the panes cannot show anything useful.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 10;

pub struct Areas {
    pub bar: Rect,
    pub main: Rect,
    pub status: Rect,
    pub hints: Rect,
}

pub fn areas(size: Rect) -> Areas {
    let [bar, main, status, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)])
            .areas(size);
    Areas { bar, main, status, hints }
}

/// A box centred over the panes, leaving the status bar and hints visible:
/// at most `max_w` wide, and no taller than `lines` need.
fn overlay_area(size: Rect, max_w: u16, lines: usize) -> Rect {
    let main = areas(size).status.y.saturating_sub(size.y);
    let w = size.width.saturating_sub(4).min(max_w);
    let h = main.saturating_sub(2).min(u16::try_from(lines).unwrap_or(u16::MAX).saturating_add(2));
    Rect::new(size.x + (size.width - w) / 2, size.y + (main - h) / 2, w, h)
}

/// The help overlay.
pub fn help_area(size: Rect, lines: usize) -> Rect {
    overlay_area(size, 80, lines)
}

pub fn help_rows(size: Rect, lines: usize) -> usize {
    help_area(size, lines).height.saturating_sub(2) as usize
}

/// A scroll position or selection after a cursor action.
pub(crate) fn scroll(pos: usize, action: Action, page: usize, max: usize) -> usize {
    let page = page.max(1);
    match action {
        Action::CursorDown => (pos + 1).min(max),
        Action::CursorUp => pos.saturating_sub(1),
        Action::PageDown => (pos + page).min(max),
        Action::PageUp => pos.saturating_sub(page),
        Action::HalfPageDown => (pos + page.div_ceil(2)).min(max),
        Action::HalfPageUp => pos.saturating_sub(page.div_ceil(2)),
        Action::Top => 0,
        Action::Bottom => max,
        _ => pos.min(max),
    }
}

/// Clips styled segments to `cols` columns, marking a cut with `…`.
pub(crate) fn clip(segs: &[Seg], cols: usize, theme: Theme) -> Line<'static> {
    let mut left = cols;
    let mut spans = Vec::with_capacity(segs.len());
    for s in segs {
        if left == 0 {
            break;
        }
        let t = truncate(&s.text, left);
        left -= width(&t);
        spans.push(Span::styled(t.into_owned(), theme.tone(s.tone)));
    }
    Line::from(spans)
}

pub(crate) fn pane_block(title: &str, focused: bool, theme: Theme) -> Block<'static> {
    // The focused pane is marked by shape and a ▶, not by colour alone.
    let (bt, mark) = if focused { (BorderType::Thick, "▶ ") } else { (BorderType::Plain, "") };
    Block::bordered()
        .border_type(bt)
        .border_style(theme.border(focused))
        .title(Span::styled(format!(" {mark}{title} "), theme.border(focused)))
}

pub fn render(app: &App, f: &mut Frame) {
    let size = f.area();
    if size.width < MIN_WIDTH || size.height < MIN_HEIGHT {
        let msg = tr!("too-small", w = MIN_WIDTH, h = MIN_HEIGHT, cols = size.width, rows = size.height);
        f.render_widget(Paragraph::new(truncate(&msg, size.width as usize).into_owned()), size);
        return;
    }
    let a = areas(size);
    render_bar(app, f, a.bar);
    let active = app.overlay.is_none();
    let theme = app.theme;
    match app.pane {
        PaneId::Customers => app.customers.render(f, a.main, theme, active),
        PaneId::Duplicates => app.duplicates.render(f, a.main, theme, active, &app.keys()),
        PaneId::Followups => app.followups.render(f, a.main, theme, active),
        PaneId::Imports => app.imports.render(f, a.main, theme, active, &app.keys()),
        PaneId::Quality => app.quality.render(f, a.main, theme, active),
    }
    // One layout for both rows: a long message takes the hints' row too.
    let status = status_layout(app, a.status.width as usize);
    if status.message.len() > 1 {
        render_long_message(status, f, a.status.union(a.hints));
    } else {
        render_status(app, status, f, a.status);
        render_hints(app, f, a.hints);
    }
    match &app.overlay {
        Some(Overlay::Help { scroll }) => render_help(app, *scroll, f, size),
        Some(Overlay::Log { scroll, lines }) => render_log(app, *scroll, lines, f, size),
        Some(Overlay::Palette(p)) => render_palette(app, p, f, a.main),
        Some(Overlay::Confirm { confirm, .. }) => render_confirm(app, confirm, f, a.main),
        Some(Overlay::Form(form)) => {
            if let Some((x, y)) = form.render(f, a.main, theme) {
                f.set_cursor_position((x, y));
            }
        }
        None => {
            let at = match app.pane {
                PaneId::Customers => app.customers.cursor_position(a.main),
                PaneId::Followups => app.followups.cursor_position(a.main),
                _ => None,
            };
            if let Some((x, y)) = at {
                f.set_cursor_position((x, y));
            }
        }
    }
    if !app.pending.is_empty() {
        render_pending(app, f, a.main);
    }
}

/// A key prefix is pending: a box over the bottom right of the panes lists
/// the keys that can follow and what they do (helix's info box).
fn render_pending(app: &App, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let path = app.lookup_path();
    let next = app.keymap.continuations(&path, &app.pending);
    if next.is_empty() {
        return;
    }
    let key_w = next.iter().map(|(k, _)| width(&sanitize(k))).max().unwrap_or(1);
    let rows: Vec<(String, String, Option<String>)> = next
        .iter()
        .map(|(k, b)| {
            let (desc, why) = match app.avail(b.action) {
                Avail::Off(why) => (b.text().to_string(), Some(why)),
                a => (a.describe(b.text()), None),
            };
            (fit(&sanitize(k), key_w), sanitize(&desc).into_owned(), why)
        })
        .collect();
    let max_w = area.width.saturating_sub(2) as usize;
    let body_w = rows
        .iter()
        .map(|(k, d, w)| width(k) + 2 + width(d) + w.as_ref().map_or(0, |w| width(w) + 3))
        .max()
        .unwrap_or(0)
        .min(max_w.saturating_sub(2));
    let w = (body_w + 2) as u16;
    let h = (rows.len() as u16 + 2).min(area.height);
    let title = format!(" {} … ", sanitize(&super::keymap::seq_to_string(&app.pending)));
    let w = w.max(width(&title) as u16 + 2).min(area.width);
    let r = Rect::new(area.right().saturating_sub(w + 1), area.bottom().saturating_sub(h), w, h);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.border(true)));
    let inner = block.inner(r);
    clear_with_margin(f, r);
    f.render_widget(block, r);
    let cols = inner.width as usize;
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, d, why)| {
            let mut spans = vec![Span::styled(k.clone(), theme.key()), Span::raw("  ")];
            let left = cols.saturating_sub(width(&k) + 2);
            match why {
                None => spans.push(Span::raw(truncate(&d, left).into_owned())),
                Some(why) => {
                    let text = format!("{d} ✗ {why}");
                    spans.push(Span::styled(truncate(&text, left).into_owned(), theme.tone(Tone::Dim)))
                }
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// The message log overlay: help's box, wider, and as tall as it can be.
pub(crate) fn log_area(size: Rect) -> Rect {
    overlay_area(size, 100, usize::MAX)
}

pub(crate) fn log_rows(size: Rect) -> usize {
    log_area(size).height.saturating_sub(2) as usize
}

/// The log's lines for a box `width` wide: each message in full, wrapped,
/// after its time; the continuation lines indented under the text.
pub(crate) fn log_lines(log: &[Logged], box_width: u16) -> Vec<DLine> {
    let cols = box_width.saturating_sub(2) as usize;
    let mut out: Vec<DLine> = Vec::new();
    if log.is_empty() {
        out.push(vec![Seg { text: tr!("log-empty"), tone: Tone::Dim }]);
        return out;
    }
    for e in log {
        let stamp = e.at.format("%H:%M:%S ").to_string();
        let (text, tone) = match &e.message {
            Message::Info(m) => (sanitize(m).into_owned(), Tone::Plain),
            Message::Error(m) => (tr!("error-prefix", msg = sanitize(m)), Tone::Flag),
        };
        let indent = width(&stamp);
        for (i, l) in wrap_text(&text, cols.saturating_sub(indent)).into_iter().enumerate() {
            let lead = if i == 0 { stamp.clone() } else { " ".repeat(indent) };
            out.push(vec![Seg { text: lead, tone: Tone::Dim }, Seg { text: l, tone }]);
        }
    }
    out
}

fn render_log(app: &App, scroll: usize, lines: &[DLine], f: &mut Frame, size: Rect) {
    let theme = app.theme;
    let area = log_area(size);
    let rows = area.height.saturating_sub(2) as usize;
    let mut block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Span::styled(tr!("log-title", n = app.log.len()), theme.border(true)));
    if lines.len() > rows {
        let last = (scroll + rows).min(lines.len());
        block = block.title_top(Line::from(format!(" {}–{}/{} ", scroll + 1, last, lines.len())).right_aligned());
    }
    let hints = hint_bindings(&app.keymap, &[Context::Log]);
    block = block.title_bottom(Line::from(hint_spans(&hints, area.width.saturating_sub(2) as usize, theme)));
    let inner = block.inner(area);
    let shown: Vec<Line> = lines.iter().skip(scroll).take(rows).map(|l| clip(l, inner.width as usize, theme)).collect();
    clear_with_margin(f, area);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(shown), inner);
}

/// The pane bar: every pane with its count, the one in front marked by
/// brackets and reverse video (not colour alone).
fn render_bar(app: &App, f: &mut Frame, area: Rect) {
    let titles: Vec<String> = PaneId::ALL
        .into_iter()
        .map(|pane| {
            let t = match pane {
                // A stale list (changed while another pane was in front) gives way to the count.
                PaneId::Customers => {
                    app.customers.title_counted(app.counts.customers.filter(|_| app.is_stale(PaneId::Customers)))
                }
                PaneId::Duplicates => app.duplicates.title(app.counts.duplicates),
                PaneId::Followups => app.followups.title(app.counts.overdue),
                PaneId::Imports => app.imports.title(None),
                PaneId::Quality => app.quality.title(None),
            };
            sanitize(&t).into_owned()
        })
        .collect();
    let cells = |compact: bool| -> Vec<String> {
        PaneId::ALL
            .into_iter()
            .zip(&titles)
            .enumerate()
            .map(|(i, (pane, title))| {
                let front = pane == app.pane;
                // Narrow terminals: the other panes by a short name, their
                // counts kept (what the bar is for).
                let title = if compact && !front {
                    // The count in parentheses, ASCII or full-width (客户（47）).
                    let count = title.find(" (").or_else(|| title.find('（')).map(|at| &title[at..]).unwrap_or("");
                    format!("{}{count}", short_name(pane))
                } else {
                    title.clone()
                };
                if front {
                    format!("[{} {title}]", i + 1)
                } else {
                    format!(" {} {title} ", i + 1)
                }
            })
            .collect()
    };
    let total = |c: &[String]| c.iter().map(|t| width(t) + 1).sum::<usize>();
    let mut texts = cells(false);
    if total(&texts) > area.width as usize {
        texts = cells(true);
    }
    let mut spans = Vec::new();
    let mut left = area.width as usize;
    for (pane, text) in PaneId::ALL.into_iter().zip(texts) {
        let front = pane == app.pane;
        let text = truncate(&text, left).into_owned();
        left -= width(&text);
        let style = if front { app.theme.selected().add_modifier(Modifier::BOLD) } else { Style::default() };
        spans.push(Span::styled(text, style));
        if left == 0 {
            break;
        }
        spans.push(Span::raw(" "));
        left -= 1;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn short_name(pane: PaneId) -> String {
    match pane {
        PaneId::Customers => tr!("pane-short-customers"),
        PaneId::Duplicates => tr!("pane-short-duplicates"),
        PaneId::Followups => tr!("pane-short-followups"),
        PaneId::Imports => tr!("pane-short-imports"),
        PaneId::Quality => tr!("pane-short-quality"),
    }
}

/// The status bar's context: text, style, and when it gives way to a long
/// message (0: never; higher: sooner).
fn status_segments(app: &App) -> Vec<(String, Style, u8)> {
    let theme = app.theme;
    let role = app.role.map(|r| crate::i18n::value("role", r.as_str())).unwrap_or_else(|| tr!("role-none"));
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mode = match &app.overlay {
        Some(Overlay::Help { .. }) => tr!("mode-help"),
        Some(Overlay::Log { .. }) => tr!("mode-log"),
        Some(Overlay::Palette(_)) => tr!("mode-command"),
        Some(Overlay::Confirm { .. }) => tr!("mode-confirm"),
        Some(Overlay::Form(f)) if f.asks_discard() => tr!("mode-confirm"),
        Some(Overlay::Form(_)) => tr!("mode-edit"),
        None if app.pane_context() == Context::Filter => tr!("mode-filter"),
        None => tr!("mode-normal"),
    };
    let mut segs = vec![
        (format!(" {} ", app.db_name), bold, 3),
        (format!("│ {} ({role}) ", app.user), Style::default(), 4),
        (format!("│ {mode} "), bold, 0),
    ];
    if app.pane == PaneId::Customers {
        segs.push((format!("│ {} ", app.customers.position()), bold, 2));
    }
    for job in app.jobs.visible() {
        let progress = if job.total > 0 {
            format!("{}%", (job.done * 100 / job.total.max(1)).min(100))
        } else if job.done > 0 {
            format!("{}", job.done)
        } else {
            "…".to_string()
        };
        segs.push((format!("│ ⟳ {} {progress} ", sanitize(&job.label)), theme.key(), 1));
    }
    segs
}

/// The message the status bar shows, sanitised, with its style.
fn status_message(app: &App) -> Option<(String, Style)> {
    if !app.pending.is_empty() {
        return None;
    }
    match &app.message {
        Some(Message::Info(m)) => Some((sanitize(m).into_owned(), Style::default())),
        Some(Message::Error(m)) => Some((tr!("error-prefix", msg = sanitize(m)), app.theme.error_style())),
        None => None,
    }
}

/// The status bar laid out for `cols` columns: the context segments kept,
/// and the message on one line, or on two (the hints' row too) when even
/// alone it does not fit on one. A message is cut only when two lines are
/// not enough, and then says where it can be read in full.
struct StatusLayout {
    segs: Vec<(String, Style)>,
    message: Vec<String>,
    style: Style,
}

fn status_layout(app: &App, cols: usize) -> StatusLayout {
    let mut segs = status_segments(app);
    let Some((msg, style)) = status_message(app) else {
        return StatusLayout {
            segs: segs.into_iter().map(|(t, s, _)| (t, s)).collect(),
            message: Vec::new(),
            style: Style::default(),
        };
    };
    let line = format!("│ {msg}");
    let total = |segs: &[(String, Style, u8)]| segs.iter().map(|(t, _, _)| width(t)).sum::<usize>();
    // Context gives way to the message, least useful first.
    while total(&segs) + width(&line) > cols {
        let Some(i) = segs.iter().enumerate().filter(|(_, s)| s.2 > 0).max_by_key(|(_, s)| s.2).map(|(i, _)| i) else {
            break;
        };
        segs.remove(i);
    }
    if total(&segs) + width(&line) <= cols {
        return StatusLayout { segs: segs.into_iter().map(|(t, s, _)| (t, s)).collect(), message: vec![line], style };
    }
    // Two full rows for the message alone.
    let mut lines = wrap_text(&format!(" {msg}"), cols);
    if lines.len() > 2 {
        let more = match app.keymap.key_for(&[Context::Global], Action::LogOpen) {
            Some(k) => tr!("status-more", key = k),
            None => "…".to_string(),
        };
        lines.truncate(2);
        let keep = cols.saturating_sub(width(&more) + 1);
        lines[1] = format!("{} {more}", truncate(&lines[1], keep).trim_end_matches('…'));
    }
    StatusLayout { segs: Vec::new(), message: lines, style }
}

/// A message too long for one row, on the status and hints rows.
fn render_long_message(layout: StatusLayout, f: &mut Frame, area: Rect) {
    let lines: Vec<Line> = layout.message.into_iter().map(|l| Line::from(Span::styled(l, layout.style))).collect();
    f.render_widget(Paragraph::new(lines), area);
}

fn render_status(app: &App, layout: StatusLayout, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let mut segs = layout.segs;
    if !app.pending.is_empty() {
        let keys = super::keymap::seq_to_string(&app.pending);
        segs.push((format!("│ {keys} …"), theme.key()));
    }
    for m in layout.message {
        segs.push((m, layout.style));
    }
    let mut left = area.width as usize;
    let mut spans = Vec::new();
    for (t, st) in segs {
        let t = truncate(&t, left).into_owned();
        left -= width(&t);
        spans.push(Span::styled(t, st));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `key desc` pairs for `path`, help and quit first so they are never the
/// ones cut off at the right edge.
fn hint_bindings(keymap: &Keymap, path: &[Context]) -> Vec<Binding> {
    let mut hints = keymap.reachable(path);
    // What this pane can do comes before moving about, which users know;
    // the pane switches are in the pane bar already.
    hints.sort_by_key(|b| match b.action {
        Action::HelpToggle | Action::HelpClose => 0,
        Action::Quit => 1,
        a if a.scrolls() => 3,
        Action::CursorLeft | Action::CursorRight | Action::FieldNext | Action::FieldPrev => 3,
        Action::PaneNext
        | Action::PanePrev
        | Action::PaneCustomers
        | Action::PaneDuplicates
        | Action::PaneFollowups
        | Action::PaneImports
        | Action::PaneQuality
        | Action::Refresh
        | Action::LogOpen
        | Action::JobCancel => 4,
        _ => 2,
    });
    hints
}

fn hint_spans(bindings: &[Binding], cols: usize, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut left = cols;
    for b in bindings {
        let key = format!(" {} ", sanitize(&b.short()));
        let desc = format!("{} ", sanitize(b.text()));
        if width(&key) + width(&desc) > left {
            break;
        }
        left -= width(&key) + width(&desc);
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(desc));
    }
    spans
}

fn render_hints(app: &App, f: &mut Frame, area: Rect) {
    let hints = offered_hints(app);
    f.render_widget(Paragraph::new(Line::from(hint_spans(&hints, area.width as usize, app.theme))), area);
}

/// The hint line's bindings: only what works here, under the name it has in
/// this state. With marks set, what acts on them comes right after help and
/// quit, so that no key for the marked items is cut off at 80 columns (the
/// pane's title and the message already say how many are marked); a key
/// prefix whose keys all work here is offered once, as `z Snooze…`, and its
/// box lists what can follow.
pub(crate) fn offered_hints(app: &App) -> Vec<Binding> {
    let mut hints = hint_bindings(&app.keymap, &app.lookup_path());
    let mut marked = Vec::new();
    hints.retain_mut(|b| match app.avail(b.action) {
        Avail::Ready(Some(t)) => {
            b.desc = t.to_string();
            b.desc_zh = None;
            true
        }
        Avail::Ready(None) => true,
        Avail::Marked(_) => {
            marked.push(b.action);
            true
        }
        _ => false,
    });
    hints.sort_by_key(|b| match b.action {
        Action::HelpToggle | Action::HelpClose | Action::Quit => 0,
        // What to do with the marked before dropping them.
        Action::MarkClear if marked.contains(&Action::MarkClear) => 2,
        a if marked.contains(&a) => 1,
        _ => 3,
    });
    collapse_prefixes(hints, &marked)
}

/// Folds the hints for the marked items reached through one key prefix
/// (`z 1`, `z 3`, `z w`, `z z`) into one, `z` and what their descriptions
/// share (`Snooze…`), where the first of them stood: 80 columns cannot hold
/// them all beside the rest. Only those: elsewhere each key is worth its
/// room (`f m Only mine` says more than `f Only…`), and prefixes whose keys
/// share no words stay apart.
fn collapse_prefixes(hints: Vec<Binding>, marked: &[Action]) -> Vec<Binding> {
    let prefix = |b: &Binding| b.keys.first().filter(|s| s.len() == 2).map(|s| s[0]);
    let mut out: Vec<Binding> = Vec::new();
    let mut done: Vec<Key> = Vec::new();
    for (i, b) in hints.iter().enumerate() {
        let Some(p) = prefix(b) else {
            out.push(b.clone());
            continue;
        };
        if done.contains(&p) {
            continue;
        }
        let group: Vec<&Binding> = hints[i..].iter().filter(|h| prefix(h) == Some(p)).collect();
        let shared = shared_words(&group.iter().map(|h| h.text()).collect::<Vec<_>>());
        if group.len() < 2 || shared.is_empty() || group.iter().any(|h| !marked.contains(&h.action)) {
            out.push(b.clone());
            continue;
        }
        done.push(p);
        out.push(Binding { keys: vec![vec![p]], desc: format!("{shared}…"), desc_zh: None, ..b.clone() });
    }
    out
}

/// The longest start every text shares, ended at a word: `Snooze` for
/// `Snooze 1 day` and `Snooze for…`, `推迟` for `推迟 1 天` and `推迟……`,
/// nothing for `Only mine` and `One owner`.
fn shared_words(texts: &[&str]) -> String {
    let Some(first) = texts.first() else { return String::new() };
    let mut n = first.len();
    for t in &texts[1..] {
        let same = first.char_indices().zip(t.chars()).take_while(|((_, a), b)| a == b).last();
        n = n.min(same.map_or(0, |((i, a), _)| i + a.len_utf8()));
    }
    let mut head = &first[..n];
    // Cut inside a word (`On` of `Only` and `One`): back to the last space.
    let mid_word = |t: &str| t[n..].chars().next().is_some_and(char::is_alphanumeric);
    if head.chars().last().is_some_and(|c| c.is_ascii_alphanumeric()) && texts.iter().any(|t| mid_word(t)) {
        head = head.rfind(char::is_whitespace).map_or("", |i| &head[..i]);
    }
    head.trim_end_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || "…（：，".contains(c)).to_string()
}

/// The help text, generated from the keymap so it cannot drift from it.
pub fn help_lines(keymap: &Keymap) -> Vec<DLine> {
    help_lines_for(keymap, Context::Customers, &|_| Avail::Ready(None), usize::MAX, None)
}

/// The help text as opened from `pane`: its keys first, then the global
/// ones, then every other context; in the first two, what cannot run now is
/// marked with why (`avail` answers for the pane's state). Lines wider than
/// `cols` wrap under the description, so a reason is read in full. With a
/// `query` (`/` inside help), only the keys whose key, description (in
/// either language) or action name hold it, case aside, under their
/// headings, after a line saying what is searched.
pub(crate) fn help_lines_for(
    keymap: &Keymap,
    pane: Context,
    avail: &dyn Fn(Action) -> Avail,
    cols: usize,
    query: Option<&str>,
) -> Vec<DLine> {
    let q = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
    let wanted = |b: &Binding| {
        q.as_ref().is_none_or(|q| {
            [b.keys_display(), b.desc.clone(), b.desc_zh.clone().unwrap_or_default(), b.action.to_string()]
                .iter()
                .any(|t| t.to_lowercase().contains(q.as_str()))
        })
    };
    let key_cols = Context::ALL
        .iter()
        .flat_map(|c| keymap.bindings(*c))
        .map(|b| width(&sanitize(&b.keys_display())))
        .max()
        .unwrap_or(0)
        .min(28);
    let mut lines: Vec<DLine> = Vec::new();
    let here = [pane, Context::Global];
    let order = here.into_iter().chain(Context::ALL.into_iter().filter(|c| !here.contains(c)));
    for ctx in order {
        let bindings: Vec<&Binding> = keymap.bindings(ctx).iter().filter(|b| wanted(b)).collect();
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Vec::new());
        }
        let heading = if ctx == pane {
            tr!("help-here", title = ctx.title(), name = ctx.name())
        } else {
            format!("{} [{}]", ctx.title(), ctx.name())
        };
        lines.push(vec![Seg { text: heading, tone: Tone::Heading }]);
        // The pane's own commands before moving about, which users know.
        let mut bindings = bindings;
        if ctx == pane {
            bindings.sort_by_key(|b| b.action.scrolls());
        }
        for b in bindings {
            let mut line = vec![
                Seg { text: format!("  {}  ", fit(&sanitize(&b.keys_display()), key_cols)), tone: Tone::Label },
                Seg { text: sanitize(b.text()).into_owned(), tone: Tone::Plain },
            ];
            match avail(b.action) {
                Avail::Off(why) if here.contains(&ctx) => {
                    line.push(Seg { text: format!("  ✗ {}", sanitize(&why)), tone: Tone::Dim })
                }
                // What acts on the marked says so, as the palette and the
                // pending key box do.
                a @ Avail::Marked(_) if ctx == pane => {
                    line[1].text = sanitize(&a.describe(b.text())).into_owned();
                    line.push(Seg { text: format!("  {}", b.action), tone: Tone::Dim })
                }
                _ => line.push(Seg { text: format!("  {}", b.action), tone: Tone::Dim }),
            }
            lines.extend(wrap_dline(&line, cols, key_cols + 4));
        }
    }
    if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
        let n = lines.iter().filter(|l| l.first().is_some_and(|s| s.tone == Tone::Label)).count();
        let head = if n == 0 {
            tr!("help-search-none", q = sanitize(q).into_owned())
        } else {
            tr!("help-search", q = sanitize(q).into_owned(), n = n)
        };
        lines.insert(0, vec![Seg { text: head, tone: Tone::Flag }]);
        if n > 0 {
            lines.insert(1, Vec::new());
        }
    }
    lines
}

fn render_help(app: &App, scroll: usize, f: &mut Frame, size: Rect) {
    let theme = app.theme;
    let area = help_area(size, app.help_lines.len());
    let rows = area.height.saturating_sub(2) as usize;
    let mut block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Span::styled(tr!("help-title", source = sanitize(app.keymap.source())), theme.border(true)));
    if app.help_lines.len() > rows {
        let last = (scroll + rows).min(app.help_lines.len());
        block =
            block.title_top(Line::from(format!(" {}–{}/{} ", scroll + 1, last, app.help_lines.len())).right_aligned());
    }
    let hints = hint_bindings(&app.keymap, &[Context::Help]);
    block = block.title_bottom(Line::from(hint_spans(&hints, area.width.saturating_sub(2) as usize, theme)));
    let inner = block.inner(area);
    let lines: Vec<Line> =
        app.help_lines.iter().skip(scroll).take(rows).map(|l| clip(l, inner.width as usize, theme)).collect();
    // One blank column either side: a wide character just left of the box
    // would otherwise spill its right half over the border.
    let x = area.x.saturating_sub(1);
    let margin = Rect::new(x, area.y, (area.right() + 1).min(size.right()) - x, area.height);
    f.render_widget(Clear, margin);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}

/// A box centred in `area`, `w`×`h` at most.
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 3, w, h)
}

/// Clears `r` and one column either side of it: a wide character just
/// outside the box would otherwise spill its half over the border.
fn clear_with_margin(f: &mut Frame, r: Rect) {
    let size = f.area();
    let x = r.x.saturating_sub(1);
    let right = (r.right() + 1).min(size.right());
    f.render_widget(Clear, Rect::new(x, r.y, right - x, r.height));
}

fn render_palette(app: &App, p: &Palette, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let rows = area.height.saturating_sub(4).min(14);
    let r = centred(area, 70, rows + 3);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Span::styled(tr!("palette-title"), theme.border(true)));
    let inner = block.inner(r);
    clear_with_margin(f, r);
    f.render_widget(block, r);
    let cols = inner.width as usize;
    let (shown, cur) = p.input.view(cols.saturating_sub(3));
    let mut lines = vec![Line::from(vec![Span::styled(": ", theme.key()), Span::raw(shown)])];
    let visible = inner.height.saturating_sub(1) as usize;
    let first = p.cursor.saturating_sub(visible.saturating_sub(1));
    if p.matches.is_empty() {
        lines.push(Line::from(Span::styled(tr!("palette-none"), theme.tone(Tone::Dim))));
    }
    for (n, i) in p.matches.iter().enumerate().skip(first).take(visible) {
        let it = &p.items[*i];
        let keys = fit(&sanitize(&it.keys), 8);
        // What cannot run here is listed dim, with why, and marked ✗ (not
        // by colour alone).
        let line = match &it.why {
            None => Line::from(vec![
                Span::styled(format!("{keys} "), theme.key()),
                Span::raw(truncate(&it.title, cols.saturating_sub(9)).into_owned()),
            ]),
            Some(why) => {
                let text = format!("✗ {} — {}", it.title, sanitize(why));
                Line::from(vec![
                    Span::styled(format!("{keys} "), theme.tone(Tone::Dim)),
                    Span::styled(truncate(&text, cols.saturating_sub(9)).into_owned(), theme.tone(Tone::Dim)),
                ])
            }
        };
        lines.push(if n == p.cursor { line.style(theme.selected()) } else { line });
    }
    f.render_widget(Paragraph::new(lines), inner);
    f.set_cursor_position((inner.x + 2 + cur as u16, inner.y));
}

fn render_confirm(app: &App, c: &Confirm, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    // The body wraps, and the box grows to hold it: a refusal or a merge
    // preview is read in full, never cut at the box's edge.
    let cols = (area.width.min(64) as usize).saturating_sub(2);
    let body: Vec<String> = c.body.iter().flat_map(|l| wrap_text(&sanitize(l), cols)).collect();
    let r = centred(area, 64, body.len() as u16 + 4);
    let accept =
        app.keymap.reachable(&[Context::Confirm]).into_iter().map(|b| (b.action, b.short())).collect::<Vec<_>>();
    let key_of = |a: Action| accept.iter().find(|(x, _)| *x == a).map(|(_, k)| k.clone()).unwrap_or_default();
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.error_style())
        .title(Span::styled(format!(" {} ", sanitize(&c.title)), theme.error_style()))
        .title_bottom(Line::from(vec![
            Span::styled(format!(" {} ", sanitize(&key_of(Action::ConfirmAccept))), theme.key()),
            Span::raw(format!("{}  ", tr!("confirm-yes"))),
            Span::styled(format!(" {} ", sanitize(&key_of(Action::ConfirmReject))), theme.key()),
            Span::raw(format!("{} ", tr!("confirm-no"))),
        ]));
    let inner = block.inner(r);
    clear_with_margin(f, r);
    f.render_widget(block, r);
    let lines: Vec<Line> = body.into_iter().map(Line::from).collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Breaks `text` into lines of at most `cols` display columns: at a space
/// when one leaves at least half a line, else between characters (Chinese
/// has no spaces to break at). `wrap_dline` for plain text, per paragraph.
/// Marks that close what comes before them: a line does not start with one.
const CLOSING: &str = "，。、；：！？）》」』】〉…,.;:!?)]}";

pub(crate) fn wrap_text(text: &str, cols: usize) -> Vec<String> {
    text.split('\n')
        .flat_map(|para| wrap_dline(&[Seg { text: para.to_string(), tone: Tone::Plain }], cols, 0))
        .map(|line| line.into_iter().map(|s| s.text).collect())
        .collect()
}

/// Breaks a styled line into lines of at most `cols` columns, keeping each
/// piece's tone; continuation lines start with `indent` spaces. Breaks
/// between two characters when either is wide (Chinese text breaks between
/// any two characters, as UAX #14 allows ideographs to), else at a space
/// when one leaves at least half a line, else between characters. A closing
/// mark (，。）…) never starts a line: the character before it comes along.
pub(crate) fn wrap_dline(line: &[Seg], cols: usize, indent: usize) -> Vec<DLine> {
    let cols = cols.max(indent + 4);
    let total: usize = line.iter().map(|s| width(&s.text)).sum();
    if total <= cols {
        return vec![line.to_vec()];
    }
    // Characters with their tone, then cut into rows.
    let chars: Vec<(char, Tone)> = line.iter().flat_map(|s| s.text.chars().map(move |c| (c, s.tone))).collect();
    let cw = |c: char| width(c.encode_utf8(&mut [0; 4]));
    let mut rows: Vec<Vec<(char, Tone)>> = Vec::new();
    let mut cur: Vec<(char, Tone)> = Vec::new();
    let mut w = 0;
    for &(c, t) in &chars {
        let room = if rows.is_empty() { cols } else { cols - indent };
        if w + cw(c) > room {
            let last_wide = cur.last().is_some_and(|(ch, _)| cw(*ch) > 1);
            let at = if last_wide || cw(c) > 1 {
                None
            } else {
                cur.iter().rposition(|(ch, _)| *ch == ' ').filter(|&i| {
                    let left: usize = cur[..i].iter().map(|(ch, _)| cw(*ch)).sum();
                    left >= room / 2
                })
            };
            let rest = match at {
                Some(i) => {
                    let rest = cur.split_off(i + 1);
                    cur.pop();
                    rest
                }
                None if CLOSING.contains(c) && cur.len() > 1 => cur.split_off(cur.len() - 1),
                None => Vec::new(),
            };
            rows.push(std::mem::replace(&mut cur, rest));
            w = cur.iter().map(|(ch, _)| cw(*ch)).sum();
        }
        cur.push((c, t));
        w += cw(c);
    }
    if !cur.is_empty() {
        rows.push(cur);
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut segs: DLine = Vec::new();
            for (c, t) in r {
                match segs.last_mut() {
                    Some(s) if s.tone == t => s.text.push(c),
                    _ => segs.push(Seg { text: c.to_string(), tone: t }),
                }
            }
            if i > 0 && indent > 0 {
                segs.insert(0, Seg { text: " ".repeat(indent), tone: Tone::Plain });
            }
            segs
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in a real terminal: a Chinese reason broke at its one space,
    /// leaving 17 columns free. Chinese breaks between any two characters;
    /// a closing mark never starts a line; Latin text still breaks at spaces.
    #[test]
    fn chinese_text_wraps_between_characters_and_latin_at_spaces() {
        let lines = wrap_text("提醒：从 2026-10-07 起的事件属于历史，不再提醒，以后的跟进照常计入逾期。", 24);
        for l in &lines[..lines.len() - 1] {
            assert!(width(l) >= 22, "{lines:?}");
        }
        assert!(lines.iter().all(|l| width(l) <= 24), "{lines:?}");
        assert!(lines.iter().all(|l| !l.starts_with(['，', '。'])), "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            "提醒：从2026-10-07起的事件属于历史，不再提醒，以后的跟进照常计入逾期。"
        );
        // A closing mark that would start a line takes the character before it along.
        assert_eq!(wrap_text("一二三四，五", 8), ["一二三", "四，五"]);
        assert_eq!(wrap_text("now version 2; nothing", 12), ["now version", "2; nothing"]);
    }
}
