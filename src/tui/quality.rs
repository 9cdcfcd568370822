//! The Quality pane: the data-quality report of the whole database.
//!
//! Read-only. The report scans every customer, so it is measured by a
//! background job and turned into display lines there; the pane shows
//! "loading…" until the first report arrives and keeps the last one on
//! screen while a newer one is measured.

use super::action::Action;
use super::detail::{DLine, Seg, Tone};
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::nav::Spot;
use super::pane::{Cx, Reply};
use super::view::{clip, pane_block, scroll, Theme};
use crate::display::{fit, rfit, sanitize};
use crate::domain::{BatchStatus, Field, ImportBatch};
use crate::service::QualityReport;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::BTreeMap;

/// Columns of a completeness bar.
const BAR: usize = 20;

#[derive(Default)]
pub(crate) struct QualityPane {
    /// `None` until the first report arrives.
    pub lines: Option<Vec<DLine>>,
    pub scroll: usize,
    load: Option<JobId>,
    error: Option<String>,
}

fn seg(text: impl Into<String>, tone: Tone) -> Seg {
    Seg { text: text.into(), tone }
}

impl QualityPane {
    pub fn context(&self) -> Context {
        Context::Quality
    }

    /// The pane bar's label; `count` is the background count, once known.
    pub fn title(&self, count: Option<usize>) -> String {
        let _ = count;
        tr!("pane-quality")
    }

    /// Where the user is in this pane, for the jump list.
    pub fn spot(&self) -> Spot {
        Spot::Quality { scroll: self.scroll }
    }

    pub fn restore(&mut self, spot: &Spot, cx: &mut Cx) {
        let Spot::Quality { scroll } = spot else { return };
        let max = self.lines.as_ref().map_or(0, |l| l.len().saturating_sub(rows(cx.area)));
        self.scroll = (*scroll).min(max);
    }

    /// Re-reads what the pane shows (on first show and after data changes).
    pub fn reload(&mut self, cx: &mut Cx) {
        if let Some(id) = self.load.take() {
            cx.jobs.cancel(id);
        }
        self.load = Some(cx.spawn(&tr!("job-quality"), false, |wb, _ctl| {
            let report = wb.quality(None)?;
            let batches = wb.batches()?;
            Ok(Box::new(report_lines(&report, &batches)))
        }));
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        let page = rows(cx.area);
        let max = self.lines.as_ref().map_or(0, |l| l.len().saturating_sub(page));
        self.scroll = scroll(self.scroll, action, page, max);
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        if Some(id) != self.load {
            return;
        }
        let JobEvent::Done(r) = ev else { return };
        self.load = None;
        match r.map(|o| o.downcast::<Vec<DLine>>()) {
            Ok(Ok(lines)) => {
                let max = lines.len().saturating_sub(rows(cx.area));
                self.scroll = self.scroll.min(max);
                self.lines = Some(*lines);
                self.error = None;
            }
            Ok(Err(_)) => self.error = Some(tr!("quality-shape")),
            Err(e) => {
                cx.error(tr!("err-quality", e = e.as_str()));
                self.error = Some(e);
            }
        }
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        // Read-only: the pane never asks anything.
        let _ = (tag, reply, cx);
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool) {
        let page = area.height.saturating_sub(2) as usize;
        let mut block = pane_block(&tr!("pane-quality"), active, theme);
        if let Some(l) = self.lines.as_ref().filter(|l| l.len() > page) {
            let last = (self.scroll + page).min(l.len());
            block = block.title_top(Line::from(format!(" {}–{}/{} ", self.scroll + 1, last, l.len())).right_aligned());
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let lines: Vec<Line> = match (&self.lines, &self.error) {
            (Some(l), _) => l.iter().skip(self.scroll).take(page).map(|l| clip(l, cols, theme)).collect(),
            (None, Some(e)) => {
                vec![clip(&[seg(tr!("quality-failed", e = sanitize(e)), Tone::Flag)], cols, theme)]
            }
            (None, None) => vec![clip(&[seg(tr!("loading"), Tone::Dim)], cols, theme)],
        };
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn rows(area: Rect) -> usize {
    area.height.saturating_sub(2) as usize
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A bar readable without colour: filled and empty cells differ in shape.
fn bar(v: f64) -> String {
    let filled = ((v.clamp(0.0, 1.0) * BAR as f64).round() as usize).min(BAR);
    format!("{}{}", "█".repeat(filled), "·".repeat(BAR - filled))
}

fn heading(lines: &mut Vec<DLine>, title: &str) {
    if !lines.is_empty() {
        lines.push(Vec::new());
    }
    lines.push(vec![seg(format!("── {title} ──"), Tone::Heading)]);
}

/// A field's label as users know it, with its name for the CLI.
fn field_label(name: &str) -> String {
    match Field::parse(name) {
        Some(f) => format!("{} {name}", f.label()),
        None => name.to_string(),
    }
}

/// The report as display lines: overview, targets, completeness per field,
/// invalid values, and the import counts per source.
fn report_lines(r: &QualityReport, batches: &[ImportBatch]) -> Vec<DLine> {
    let mut lines = Vec::new();
    heading(&mut lines, &tr!("quality-overview"));
    let share = if r.customers > 0 { r.flagged_incomplete as f64 / r.customers as f64 } else { 0.0 };
    lines.push(vec![seg(tr!("quality-counts", customers = r.customers, rows = r.source_records), Tone::Plain)]);
    lines.push(vec![
        seg(tr!("quality-flags"), Tone::Label),
        seg(tr!("quality-flagged", n = r.flagged_incomplete, pct = pct(share)), Tone::Plain),
    ]);
    if let Some(d) = r.targets.iter().find(|t| t.name == "duplicate rate") {
        let v = d.value.map(pct).unwrap_or_else(|| tr!("quality-not-measured-run"));
        lines.push(vec![seg(tr!("quality-dup-suspects"), Tone::Label), seg(v, Tone::Plain)]);
    }

    heading(&mut lines, &tr!("quality-targets"));
    for t in &r.targets {
        let value = t.value.map(pct).unwrap_or_else(|| tr!("n-a"));
        let (verdict, tone) = match t.pass {
            Some(true) => (tr!("quality-pass"), Tone::Plain),
            Some(false) => (tr!("quality-fail"), Tone::Flag),
            None => (tr!("quality-not-measured"), Tone::Dim),
        };
        lines.push(vec![
            seg(
                format!(
                    "{} {}  {}  ",
                    fit(&crate::i18n::value("target", &t.name.replace(' ', "-")), 20),
                    rfit(&value, 7),
                    fit(&tr!("quality-target", target = t.target.as_str()), 13)
                ),
                Tone::Plain,
            ),
            seg(verdict, tone),
        ]);
        let measure = crate::i18n::value("measure", &t.name.replace(' ', "-"));
        let measure = if measure == t.name.replace(' ', "-") { t.measure.clone() } else { measure };
        lines.push(vec![seg(format!("    {measure}"), Tone::Dim)]);
    }

    heading(&mut lines, &tr!("quality-completeness"));
    for f in &r.fields {
        lines.push(vec![
            seg(format!("{} ", fit(&field_label(&f.field), 24)), Tone::Label),
            seg(bar(f.completeness), Tone::Plain),
            seg(
                format!(" {}  {}", rfit(&pct(f.completeness), 6), rfit(&tr!("quality-filled", n = f.filled), 15)),
                Tone::Plain,
            ),
        ]);
    }

    heading(&mut lines, &tr!("quality-invalid"));
    let invalid: Vec<_> = r.fields.iter().filter(|f| f.invalid > 0).collect();
    if invalid.is_empty() {
        lines.push(vec![seg(format!("    {}", tr!("none")), Tone::Dim)]);
    }
    for f in invalid {
        lines.push(vec![
            seg(format!("{} ", fit(&field_label(&f.field), 24)), Tone::Label),
            seg(rfit(&tr!("quality-n-invalid", n = f.invalid), 16), Tone::Flag),
            seg(format!("  {}", tr!("quality-validity", pct = pct(f.validity))), Tone::Plain),
        ]);
    }

    heading(&mut lines, &tr!("quality-per-source"));
    #[derive(Default)]
    struct Src {
        batches: i64,
        read: i64,
        imported: i64,
        warned: i64,
        rejected: i64,
        incomplete: i64,
    }
    let mut sources: BTreeMap<String, Src> = BTreeMap::new();
    for b in batches.iter().filter(|b| b.status != BatchStatus::Undone) {
        let s = sources.entry(b.source.clone()).or_default();
        s.batches += 1;
        s.read += b.rows_read;
        s.imported += b.rows_imported;
        s.warned += b.rows_warned;
        s.rejected += b.rows_rejected;
        s.incomplete += i64::from(b.status == BatchStatus::Incomplete);
    }
    if sources.is_empty() {
        lines.push(vec![seg(format!("    {}", tr!("quality-no-imports")), Tone::Dim)]);
    } else {
        lines.push(vec![seg(
            format!(
                "{} {} {} {} {} {}",
                fit(&tr!("quality-col-source"), 16),
                rfit(&tr!("quality-col-batches"), 7),
                rfit(&tr!("quality-col-rows"), 8),
                rfit(&tr!("quality-col-new"), 8),
                rfit(&tr!("quality-col-warned"), 8),
                rfit(&tr!("quality-col-rejected"), 8)
            ),
            Tone::Label,
        )]);
    }
    for (name, s) in &sources {
        let rejected_share = if s.read > 0 { s.rejected as f64 / s.read as f64 } else { 0.0 };
        let mut l = vec![seg(
            format!(
                "{} {:>7} {:>8} {:>8} {:>8} {:>8}",
                fit(&sanitize(name), 16),
                s.batches,
                s.read,
                s.imported,
                s.warned,
                s.rejected
            ),
            Tone::Plain,
        )];
        l.push(seg(tr!("quality-rejected-share", pct = pct(rejected_share)), Tone::Dim));
        if s.incomplete > 0 {
            l.push(seg(format!("  {}", tr!("quality-incomplete", n = s.incomplete)), Tone::Flag));
        }
        lines.push(l);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Clock, ImportOptions, Workbench};
    use crate::tui::app::App;
    use crate::tui::load_keymap;
    use crate::tui::testkit::{press, screen};

    fn app() -> App {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("客户.csv");
        let mut csv = String::from("客户名称,联系人,手机,城市,邮箱\n");
        csv.push_str("北京星辰科技有限公司,张伟,13800001111,北京,zw@example.com\n");
        csv.push_str("上海云帆贸易有限公司,李娜,12345,上海,not-an-email\n");
        csv.push_str(",,,广州,\n");
        csv.push_str("红色\x1b[31m警告公司,王强,13700003333,,\n");
        std::fs::write(&path, csv).unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 30, 0).unwrap();
        wb.set_clock(Clock::fixed(at));
        wb.import(&path, &ImportOptions { source: "sales\u{202E}".into(), ..Default::default() }, &mut |_| {}).unwrap();
        App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap()
    }

    #[test]
    fn the_report_loads_in_the_background_and_scrolls() {
        let mut app = app();
        press(&mut app, "5");
        assert!(screen(&app).contains("loading…"));
        app.tick();
        let s = screen(&app);
        for want in ["3 customers · 4 source rows", "Targets", "missing-field rate", "FAIL", "1–19/"] {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        insta::assert_snapshot!("quality_top", s);
        press(&mut app, "G");
        let s = screen(&app);
        for want in ["Per source", "sales<U+202E>", "Invalid values", "mobile"] {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        assert!(!s.contains('\u{202E}'));
        insta::assert_snapshot!("quality_bottom", s);
        let text: String = app.quality.lines.as_ref().unwrap().iter().flatten().map(|s| s.text.as_str()).collect();
        // Two of three customers have a city: the bar is two-thirds full.
        assert!(text.contains(&format!("{}{}  66.7%", "█".repeat(13), "·".repeat(7))), "{text}");
    }
}
