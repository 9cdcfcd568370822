//! Layout and rendering. `render` reads `App` and draws; it never touches the
//! database. Layout sizes are computed by the same functions `App` uses to
//! decide what to fetch, so the two cannot disagree.

use super::app::{App, Focus, Message};
use super::detail::{DLine, Seg, Tone};
use super::keymap::{Binding, Context, Keymap};
use crate::display::{fit, sanitize, truncate, width};
use crate::store::CustomerRow;
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

    fn key(self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    fn error(self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Red)
    }

    fn border(self, focused: bool) -> Style {
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
/// From this width the detail sits beside the list instead of below it.
const SIDE_BY_SIDE: u16 = 140;

pub struct Areas {
    pub list: Rect,
    pub detail: Rect,
    pub status: Rect,
    pub hints: Rect,
}

pub fn areas(size: Rect) -> Areas {
    let [main, status, hints] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)]).areas(size);
    let [list, detail] = if size.width >= SIDE_BY_SIDE {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main)
    };
    Areas { list, detail, status, hints }
}

/// Customer rows visible: the list box minus its borders and header.
pub fn list_rows(size: Rect) -> usize {
    areas(size).list.height.saturating_sub(3) as usize
}

pub fn detail_rows(size: Rect) -> usize {
    areas(size).detail.height.saturating_sub(2) as usize
}

/// The help overlay: centred over the panes, leaving the status bar and
/// hints visible.
pub fn help_area(size: Rect, lines: usize) -> Rect {
    let main = areas(size).status.y.saturating_sub(size.y);
    let w = size.width.saturating_sub(4).min(80);
    let h = main.saturating_sub(2).min(lines as u16 + 2);
    Rect::new(size.x + (size.width - w) / 2, size.y + (main - h) / 2, w, h)
}

pub fn help_rows(size: Rect, lines: usize) -> usize {
    help_area(size, lines).height.saturating_sub(2) as usize
}

/// Clips styled segments to `cols` columns, marking a cut with `…`.
fn clip(segs: &[Seg], cols: usize, theme: Theme) -> Line<'static> {
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

fn pane_block(title: &str, focused: bool, theme: Theme) -> Block<'static> {
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
        let msg =
            format!("crmwb needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}", size.width, size.height);
        f.render_widget(Paragraph::new(truncate(&msg, size.width as usize).into_owned()), size);
        return;
    }
    let a = areas(size);
    render_list(app, f, a.list);
    render_detail(app, f, a.detail);
    render_status(app, f, a.status);
    render_hints(app, f, a.hints);
    if app.help_open {
        render_help(app, f, size);
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

fn render_list(app: &App, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let focused = app.focus == Focus::List && !app.help_open;
    let block = pane_block(&format!("Customers ({})", app.ids.len()), focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (cols, name_cols) = columns(inner.width as usize);
    let header_style = theme.tone(Tone::Heading);
    let head: Vec<(String, Style)> = cols.iter().map(|c| (fit(c.title, c.cols), header_style)).collect();
    let mut lines =
        vec![Line::from(row_line(&head, (crate::domain::Field::Name.label().to_string(), header_style), name_cols))];
    if app.ids.is_empty() {
        lines.push(Line::from(Span::styled(
            "No customers yet. Import a file with: crmwb import FILE --source NAME",
            theme.tone(Tone::Dim),
        )));
    }
    let rows = app.list_rows();
    for i in app.offset..(app.offset + rows).min(app.ids.len()) {
        let line = match app.window.get(i) {
            Some(r) => {
                let cells: Vec<(String, Style)> =
                    cols.iter().map(|c| (fit(&(c.value)(r), c.cols), theme.tone(c.tone))).collect();
                Line::from(row_line(&cells, (sanitize(&r.name).into_owned(), Style::default()), name_cols))
            }
            // Not cached (a read failed) or gone since the ids were read.
            None => Line::from(Span::styled(fit("…", inner.width as usize), theme.tone(Tone::Dim))),
        };
        lines.push(if i == app.selected { line.style(theme.selected()) } else { line });
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_detail(app: &App, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let focused = app.focus == Focus::Detail && !app.help_open;
    let rows = app.detail_rows();
    let mut block = pane_block("Detail", focused, theme);
    let inner = block.inner(area);
    let cols = inner.width as usize;
    let lines: Vec<Line> = match &app.detail {
        Some(d) => {
            if d.lines.len() > rows {
                let last = (app.detail_scroll + rows).min(d.lines.len());
                block = block.title_top(
                    Line::from(format!(" {}–{}/{} ", app.detail_scroll + 1, last, d.lines.len())).right_aligned(),
                );
            }
            d.lines.iter().skip(app.detail_scroll).take(rows).map(|l| clip(l, cols, theme)).collect()
        }
        None => vec![Line::from(Span::styled("Nothing selected", theme.tone(Tone::Dim)))],
    };
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_status(app: &App, f: &mut Frame, area: Rect) {
    let theme = app.theme;
    let role = app.role.map(|r| r.as_str()).unwrap_or("not a user of this database");
    let pos = if app.ids.is_empty() { "0/0".to_string() } else { format!("{}/{}", app.selected + 1, app.ids.len()) };
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut segs = vec![
        (format!(" {} ", app.db_name), bold),
        (format!("│ {} ({role}) ", app.user), Style::default()),
        (format!("│ {pos} "), bold),
    ];
    if !app.pending.is_empty() {
        let keys = super::keymap::seq_to_string(&app.pending);
        segs.push((format!("│ {keys} …"), theme.key()));
    } else {
        match &app.message {
            Some(Message::Info(m)) => segs.push((format!("│ {}", sanitize(m)), Style::default())),
            Some(Message::Error(m)) => segs.push((format!("│ error: {}", sanitize(m)), theme.error())),
            None => {}
        }
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
fn hint_bindings<'k>(keymap: &'k Keymap, path: &[Context]) -> Vec<&'k Binding> {
    use super::action::Action;
    let mut hints = keymap.reachable(path);
    hints.sort_by_key(|b| match b.action {
        Action::HelpToggle | Action::HelpClose => 0,
        Action::Quit => 1,
        _ => 2,
    });
    hints
}

fn hint_spans(bindings: &[&Binding], cols: usize, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut left = cols;
    for b in bindings {
        let key = format!(" {} ", sanitize(&b.short()));
        let desc = format!("{} ", sanitize(&b.desc));
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
    let mut hints = hint_bindings(&app.keymap, &app.lookup_path());
    hints.retain(|b| app.offers(b.action));
    f.render_widget(Paragraph::new(Line::from(hint_spans(&hints, area.width as usize, app.theme))), area);
}

/// The help text, generated from the keymap so it cannot drift from it.
pub fn help_lines(keymap: &Keymap) -> Vec<DLine> {
    let key_cols = Context::ALL
        .iter()
        .flat_map(|c| keymap.bindings(*c))
        .map(|b| width(&sanitize(&b.keys_display())))
        .max()
        .unwrap_or(0)
        .min(28);
    let mut lines: Vec<DLine> = Vec::new();
    for ctx in Context::ALL {
        let bindings = keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Vec::new());
        }
        lines.push(vec![Seg { text: format!("{} [{}]", ctx.title(), ctx.name()), tone: Tone::Heading }]);
        for b in bindings {
            lines.push(vec![
                Seg { text: format!("  {}  ", fit(&sanitize(&b.keys_display()), key_cols)), tone: Tone::Label },
                Seg { text: sanitize(&b.desc).into_owned(), tone: Tone::Plain },
                Seg { text: format!("  {}", b.action), tone: Tone::Dim },
            ]);
        }
    }
    lines
}

fn render_help(app: &App, f: &mut Frame, size: Rect) {
    let theme = app.theme;
    let area = help_area(size, app.help_lines.len());
    let rows = area.height.saturating_sub(2) as usize;
    let mut block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Span::styled(format!(" Keys — {} ", sanitize(app.keymap.source())), theme.border(true)));
    if app.help_lines.len() > rows {
        let last = (app.help_scroll + rows).min(app.help_lines.len());
        block = block.title_top(
            Line::from(format!(" {}–{}/{} ", app.help_scroll + 1, last, app.help_lines.len())).right_aligned(),
        );
    }
    let hints = hint_bindings(&app.keymap, &[Context::Help]);
    block = block.title_bottom(Line::from(hint_spans(&hints, area.width.saturating_sub(2) as usize, theme)));
    let inner = block.inner(area);
    let lines: Vec<Line> =
        app.help_lines.iter().skip(app.help_scroll).take(rows).map(|l| clip(l, inner.width as usize, theme)).collect();
    // One blank column either side: a wide character just left of the box
    // would otherwise spill its right half over the border.
    let x = area.x.saturating_sub(1);
    let margin = Rect::new(x, area.y, (area.right() + 1).min(size.right()) - x, area.height);
    f.render_widget(Clear, margin);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}
