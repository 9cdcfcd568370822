//! The Imports pane: past batches, a batch's log, and imports started from here in the background.
//!
//! Everything that reads a file or a long log runs as a job: the mapping
//! preview with its dry run, the import itself (visible, with progress, and
//! cancellable by `job.cancel` or Esc: the batch then stays incomplete and
//! `import.resume` continues it), a resume and an undo. The batch list itself
//! is a handful of rows and is read directly.

use super::action::Action;
use super::detail::{DLine, Seg, Tone};
use super::form::Form;
use super::jobs::{JobEvent, JobId};
use super::keymap::Context;
use super::nav::Spot;
use super::pane::{Avail, Confirm, Cx, Effect, Keys, PaneId, Reply};
use super::view::{clip, pane_block, scroll, wrap_dline, Theme};
use crate::display::{fit, rfit, sanitize, truncate, width};
use crate::domain::{BatchStatus, Field, ImportBatch, InteractionKind};
use crate::ingest::{EncodingChoice, MappingFile, ReadOptions};
use crate::service::{BulkMode, ImportOptions, ImportProgress, MappingPreview, Workbench};
use crate::store::BatchCounts;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::path::PathBuf;

const TAG_START: u32 = 1;
const TAG_RUN: u32 = 2;
const TAG_UNDO: u32 = 3;
const TAG_MAP: u32 = 4;

/// The import form: everything `crmwb import` takes (catalogue ids of
/// the labels, then of the hints) (the preview is its
/// dry run; `--save-mapping` and `--rejected-csv` write files and stay CLI).
const START_FIELDS: [&str; 13] = [
    "imp-field-path",
    "imp-field-source",
    "imp-field-key",
    "imp-field-maps",
    "imp-field-kind",
    "imp-field-ikind",
    "imp-field-encoding",
    "imp-field-delimiter",
    "imp-field-sheet",
    "imp-field-mapping",
    "imp-field-reminders",
    "imp-field-limit",
    "imp-field-bulk",
];
/// What each field of the form takes, shown while it is focused.
const START_HINTS: [&str; 13] = [
    "imp-hint-path",
    "imp-hint-source",
    "imp-hint-key",
    "imp-hint-maps",
    "imp-hint-kind",
    "imp-hint-ikind",
    "imp-hint-encoding",
    "imp-hint-delimiter",
    "imp-hint-sheet",
    "imp-hint-mapping",
    "imp-hint-reminders",
    "imp-hint-limit",
    "imp-hint-bulk",
];
const F_PATH: usize = 0;
const F_SOURCE: usize = 1;
const F_KEY: usize = 2;
const F_MAPS: usize = 3;
const F_KIND: usize = 4;
const F_IKIND: usize = 5;
const F_ENCODING: usize = 6;
const F_DELIMITER: usize = 7;
const F_SHEET: usize = 8;
const F_MAPPING: usize = 9;
const F_REMINDERS: usize = 10;
const F_LIMIT: usize = 11;
const F_BULK: usize = 12;

/// What the user asked to import, kept so the prompt can re-open with it:
/// the form's values as typed, in the order of `START_FIELDS`.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// One per field of `START_FIELDS`.
    pub values: Vec<String>,
}

impl Default for Request {
    fn default() -> Self {
        let mut values = vec![String::new(); START_FIELDS.len()];
        values[F_ENCODING] = "auto".into();
        values[F_BULK] = "auto".into();
        Request { values }
    }
}

impl Request {
    fn from_values(v: &[String]) -> Request {
        let mut r = Request::default();
        for (slot, v) in r.values.iter_mut().zip(v) {
            *slot = v.trim().to_string();
        }
        for (i, default) in [(F_ENCODING, "auto"), (F_BULK, "auto")] {
            if r.values[i].is_empty() {
                r.values[i] = default.into();
            }
        }
        r
    }

    pub fn path(&self) -> &str {
        &self.values[F_PATH]
    }

    pub fn source(&self) -> &str {
        &self.values[F_SOURCE]
    }

    /// The `--map` overrides, separated by `;`.
    fn maps(&self) -> Vec<String> {
        self.values[F_MAPS].split(';').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect()
    }

    /// Maps column `header` to `target` (`-`: raw only; empty: back to the
    /// guess), replacing what the request said about that column before.
    fn set_map(&mut self, header: &str, target: &str) {
        let mut maps: Vec<String> = self
            .maps()
            .into_iter()
            .filter(|m| {
                let spec = m.rsplit_once('=').map_or(m.as_str(), |(s, _)| s);
                !spec.split('+').any(|h| h.trim() == header.trim())
            })
            .collect();
        if !target.trim().is_empty() {
            maps.push(format!("{}={}", header.trim(), target.trim()));
        }
        self.values[F_MAPS] = maps.join("; ");
    }

    /// The service's options for this request (what `crmwb import` builds
    /// from its flags), or what is wrong, per field.
    fn options(&self) -> Result<ImportOptions, Vec<(usize, String)>> {
        let v = &self.values;
        let mut errors = Vec::new();
        let path = PathBuf::from(&v[F_PATH]);
        if v[F_PATH].is_empty() {
            errors.push((F_PATH, tr!("imp-err-path")));
        } else if !path.is_file() {
            errors.push((F_PATH, tr!("imp-err-nofile", path = sanitize(&v[F_PATH]))));
        }
        if v[F_SOURCE].is_empty() {
            errors.push((F_SOURCE, tr!("imp-err-source")));
        }
        let maps = self.maps();
        if let Some(m) = maps.iter().find(|m| !m.contains('=')) {
            errors.push((F_MAPS, tr!("imp-err-map", m = sanitize(m))));
        }
        let opt = |i: usize| Some(v[i].clone()).filter(|s| !s.is_empty());
        if opt(F_KIND).is_some_and(|k| crate::domain::CustomerKind::parse(&k).is_none()) {
            errors.push((F_KIND, tr!("imp-err-kind")));
        }
        if opt(F_IKIND).is_some_and(|k| InteractionKind::parse(&k).is_none()) {
            let kinds: Vec<&str> = InteractionKind::ALL.iter().map(|k| k.as_str()).collect();
            errors.push((F_IKIND, tr!("imp-err-ikind", kinds = kinds.join(", "))));
        }
        let encoding = EncodingChoice::parse(&v[F_ENCODING]);
        if encoding.is_none() {
            errors.push((F_ENCODING, tr!("imp-err-encoding")));
        }
        let delimiter = match v[F_DELIMITER].as_str() {
            "" => None,
            "\\t" | "tab" | "\t" => Some(b'\t'),
            d if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            _ => {
                errors.push((F_DELIMITER, tr!("imp-err-delimiter")));
                None
            }
        };
        let mapping_file = match opt(F_MAPPING) {
            None => None,
            Some(f) => match std::fs::read_to_string(&f) {
                Ok(text) => match MappingFile::from_toml(&text) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        errors.push((F_MAPPING, tr!("imp-err-mapping", e = sanitize(&e))));
                        None
                    }
                },
                Err(e) => {
                    errors.push((F_MAPPING, tr!("imp-err-read", file = sanitize(&f), e = e.to_string())));
                    None
                }
            },
        };
        let reminders_from = match opt(F_REMINDERS) {
            None => None,
            Some(d) => match crate::clean::date::normalize(&d)
                .ok()
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            {
                Some(d) => Some(d),
                None => {
                    errors.push((F_REMINDERS, tr!("imp-err-day", d = sanitize(&d))));
                    None
                }
            },
        };
        let limit = match opt(F_LIMIT) {
            None => None,
            Some(n) => match n.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.push((F_LIMIT, tr!("imp-err-limit")));
                    None
                }
            },
        };
        let bulk = BulkMode::parse(&v[F_BULK]);
        if bulk.is_none() {
            errors.push((F_BULK, tr!("imp-err-bulk")));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ImportOptions {
            source: v[F_SOURCE].clone(),
            key: opt(F_KEY),
            maps,
            mapping_file,
            default_kind: opt(F_KIND),
            interaction_kind: opt(F_IKIND),
            limit,
            read: ReadOptions { encoding: encoding.unwrap_or_default(), delimiter, sheet: opt(F_SHEET) },
            bulk: bulk.unwrap_or_default(),
            reminders_from,
            ..Default::default()
        })
    }

    /// `options` for a job: the request was checked when the form closed,
    /// but a file may have gone since.
    fn job_options(&self) -> crate::error::Result<ImportOptions> {
        self.options().map_err(|e| {
            let all: Vec<String> =
                e.iter().map(|(i, m)| format!("{}: {m}", crate::i18n::message(START_FIELDS[*i], None))).collect();
            crate::error::Error::Invalid(all.join("; "))
        })
    }
}

/// Sample values shown per column in the preview.
const SAMPLES: usize = 3;
/// A log longer than this shows its first lines and says how to see all.
const LOG_LIMIT: usize = 2000;
/// Lines under the batch list describing the selected batch.
const FOOTER: u16 = 4;

/// The preview before an import: the mapping with sample values, then the
/// dry run's counts.
pub(crate) struct Preview {
    pub request: Request,
    pub lines: Vec<DLine>,
    pub scroll: usize,
    /// The file's columns as the preview shows them, once read.
    pub columns: Vec<PreviewColumn>,
    /// The selected column: `import.map` and `import.key` act on it.
    pub selected: usize,
    /// The dry run's counts once it finished.
    pub dry: Option<BatchCounts>,
    pub failed: Option<String>,
    job: Option<JobId>,
}

pub(crate) enum View {
    List,
    Log { batch: i64, lines: Option<Vec<DLine>>, scroll: usize, job: Option<JobId> },
    Preview(Preview),
}

/// What a running import or resume or undo is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Import,
    Resume(i64),
    Undo(i64),
}

/// An import, resume or undo running in the background.
pub(crate) struct Running {
    pub id: JobId,
    work: Work,
    pub label: String,
    pub done: u64,
    pub total: u64,
    pub note: String,
}

/// One column of the preview: its header, where it goes now, and the line
/// of the preview that shows it.
#[derive(Debug, Clone)]
pub(crate) struct PreviewColumn {
    pub header: String,
    pub target: Option<String>,
    line: usize,
}

/// The preview's first part: the mapping's lines and its columns.
struct PreviewLines {
    lines: Vec<DLine>,
    columns: Vec<PreviewColumn>,
}

/// What the preview's dry run hands back.
struct DryRun {
    counts: BatchCounts,
    cancelled: bool,
}

/// What an import job hands back.
struct Finished {
    batch: Option<i64>,
    counts: BatchCounts,
    cancelled: bool,
}

pub(crate) struct ImportsPane {
    pub batches: Vec<ImportBatch>,
    pub selected: usize,
    pub offset: usize,
    pub view: View,
    pub running: Option<Running>,
    load_error: Option<String>,
    /// The last import request, to start the next prompt from.
    last: Request,
}

impl Default for ImportsPane {
    fn default() -> Self {
        ImportsPane {
            batches: Vec::new(),
            selected: 0,
            offset: 0,
            view: View::List,
            running: None,
            load_error: None,
            last: Request::default(),
        }
    }
}

fn seg(text: impl Into<String>, tone: Tone) -> Seg {
    Seg { text: text.into(), tone }
}

impl ImportsPane {
    pub fn context(&self) -> Context {
        Context::Imports
    }

    /// The pane bar's label; `count` is the background count, once known.
    pub fn title(&self, count: Option<usize>) -> String {
        let _ = count;
        match &self.running {
            Some(r) if r.total > 0 => tr!("imp-title-pct", pct = (r.done * 100 / r.total).min(100)),
            Some(_) => tr!("imp-title-running"),
            None => tr!("pane-imports"),
        }
    }

    /// Where the user is in this pane, for the jump list.
    pub fn spot(&self) -> Spot {
        Spot::Imports { index: self.selected }
    }

    pub fn restore(&mut self, spot: &Spot, cx: &mut Cx) {
        let Spot::Imports { index } = spot else { return };
        self.selected = (*index).min(self.batches.len().saturating_sub(1));
        self.follow(cx.area);
    }

    /// Re-reads what the pane shows (on first show and after data changes).
    pub fn reload(&mut self, cx: &mut Cx) {
        match cx.wb.batches() {
            Ok(b) => {
                self.batches = b;
                self.load_error = None;
            }
            Err(e) => self.load_error = Some(e.to_string()),
        }
        self.selected = self.selected.min(self.batches.len().saturating_sub(1));
        self.follow(cx.area);
    }

    /// What runs here in the view's current state, under the name it has
    /// there (Enter in the preview runs the import), and why not.
    pub fn avail(&self, action: Action) -> Avail {
        let none = || tr!("imp-none");
        let selected = self.batches.get(self.selected);
        let busy = || match &self.running {
            Some(r) => tr!("imp-busy", job = r.label.as_str()),
            None => String::new(),
        };
        match (&self.view, action) {
            (_, Action::ImportStart) => Avail::when(self.running.is_none(), busy),
            (View::Preview(p), Action::ImportOpen) => match &p.failed {
                Some(e) => Avail::Off(tr!("imp-cannot", e = e.as_str())),
                None => Avail::Ready(Some(tr!("ready-run-import"))),
            },
            (View::Preview(_), Action::FocusList) => Avail::Ready(Some(tr!("ready-back-no-import"))),
            (View::Preview(p), Action::ImportMap | Action::ImportKey) => {
                Avail::when(!p.columns.is_empty(), || tr!("imp-no-columns"))
            }
            (View::Preview(_), Action::ImportResume | Action::ImportUndo) => Avail::Off(tr!("imp-no-batch")),
            (View::Log { .. }, Action::FocusList) => Avail::Ready(None),
            (View::Log { .. }, Action::ImportOpen) => Avail::NotHere,
            (View::List, Action::ImportOpen) => Avail::when(selected.is_some(), none),
            (View::List, Action::FocusList) => match &self.running {
                Some(_) => Avail::Ready(Some(tr!("ready-stop-import"))),
                None => Avail::NotHere,
            },
            (_, Action::ImportResume) => match selected {
                None => Avail::Off(none()),
                Some(b) if b.status != BatchStatus::Incomplete => Avail::Off(tr!(
                    "imp-only-incomplete",
                    id = b.id,
                    status = crate::i18n::value("batch", b.status.as_str())
                )),
                Some(_) => Avail::when(self.running.is_none(), busy),
            },
            (_, Action::ImportUndo) => match selected {
                None => Avail::Off(none()),
                Some(b) if b.status == BatchStatus::Undone => Avail::Off(tr!("imp-already-undone", id = b.id)),
                Some(_) => Avail::Ready(None),
            },
            _ => Avail::NotHere,
        }
    }

    pub fn update(&mut self, action: Action, cx: &mut Cx) {
        let page = list_rows(cx.area);
        match &mut self.view {
            View::Log { scroll: pos, lines, .. } => {
                let max = lines.as_ref().map_or(0, |l| l.len().saturating_sub(page));
                match action {
                    Action::FocusList => self.view = View::List,
                    a if a.scrolls() => *pos = scroll(*pos, a, page, max),
                    _ => self.common(action, cx),
                }
                return;
            }
            View::Preview(p) => {
                let max = p.lines.len().saturating_sub(page);
                match action {
                    // With the columns read, the cursor walks them (`m` and
                    // `K` act on the selected one) and the view follows.
                    a if a.scrolls() && !p.columns.is_empty() => {
                        p.selected = scroll(p.selected, a, page, p.columns.len() - 1);
                        let line = p.columns[p.selected].line;
                        if line == usize::MAX {
                            // Not shown yet: the file is being read again.
                        } else if line < p.scroll {
                            p.scroll = line;
                        } else if line >= p.scroll + page {
                            p.scroll = (line + 1 - page).min(max);
                        }
                    }
                    Action::ImportMap => {
                        let Some(c) = p.columns.get(p.selected) else { return };
                        let title = tr!("imp-map-title", header = sanitize(&c.header));
                        let current = c.target.clone().unwrap_or_default();
                        let mut form = Form::prompt(
                            &title,
                            &[(&tr!("imp-map-field"), current.as_str())],
                            PaneId::Imports,
                            TAG_MAP,
                        );
                        let targets = target_names();
                        let opts: Vec<&str> = targets.iter().map(String::as_str).collect();
                        form.set_choices(0, &tr!("imp-map-hint"), &opts);
                        cx.effect(Effect::OpenForm(Box::new(form)));
                    }
                    Action::ImportKey => {
                        let Some(c) = p.columns.get(p.selected) else { return };
                        let header = c.header.trim().to_string();
                        let mut request = p.request.clone();
                        if request.values[F_KEY] == header {
                            request.values[F_KEY].clear();
                            cx.info(tr!("imp-key-row"));
                        } else {
                            request.values[F_KEY] = header.clone();
                            cx.info(tr!("imp-key-col", header = sanitize(&header)));
                        }
                        let selected = p.selected;
                        self.last = request;
                        self.preview(selected, cx);
                    }
                    Action::FocusList => {
                        if let Some(id) = p.job.take() {
                            cx.jobs.cancel(id);
                        }
                        self.view = View::List;
                        cx.info(tr!("imp-not-started"));
                    }
                    a if a.scrolls() => p.scroll = scroll(p.scroll, a, page, max),
                    Action::ImportOpen => {
                        if let Some(e) = &p.failed {
                            return cx.error(tr!("imp-cannot", e = e.as_str()));
                        }
                        let r = &p.request;
                        // Short lines: the confirmation box is narrower than the pane.
                        let mut body =
                            vec![tr!("imp-run-1", file = file_name(r.path()), source = sanitize(r.source()))];
                        let key = &r.values[F_KEY];
                        let ikind = &r.values[F_IKIND];
                        body.push(tr!(
                            "imp-run-2",
                            key = if key.is_empty() { tr!("imp-row-number") } else { sanitize(key).into_owned() },
                            kind = crate::i18n::value(
                                "interaction",
                                if ikind.is_empty() { "note" } else { ikind.as_str() }
                            )
                        ));
                        match p.dry {
                            Some(c) => {
                                body.push(tr!(
                                    "imp-run-dry",
                                    read = c.read,
                                    new = c.imported,
                                    updated = c.updated,
                                    unchanged = c.unchanged
                                ));
                                body.push(tr!("imp-run-dry2", warned = c.warned, rejected = c.rejected));
                            }
                            // A large file's dry run takes as long as the import:
                            // the user may skip it.
                            None => body.push(tr!("imp-run-nodry")),
                        }
                        body.push(tr!("imp-run-bg", key = cx.keys.key(Action::JobCancel)));
                        cx.effect(Effect::Confirm(Confirm { title: tr!("imp-run-title"), body, tag: TAG_RUN }));
                    }
                    // Resume and undo act on the selected batch, which the
                    // preview does not show.
                    Action::ImportStart => self.prompt(&[], cx),
                    _ => {}
                }
                return;
            }
            View::List => {}
        }
        match action {
            a if a.scrolls() => {
                if !self.batches.is_empty() {
                    self.selected = scroll(self.selected, a, page, self.batches.len() - 1);
                    self.follow(cx.area);
                }
            }
            Action::ImportOpen => {
                let Some(b) = self.batches.get(self.selected) else { return cx.info(tr!("imp-none")) };
                let batch = b.id;
                let job = cx.spawn(&tr!("job-batch-log"), false, move |wb, _ctl| Ok(Box::new(log_lines(wb, batch)?)));
                self.view = View::Log { batch, lines: None, scroll: 0, job: Some(job) };
            }
            // Esc on the list stops a running import (as Ctrl-C does).
            Action::FocusList => {
                if let Some(r) = &self.running {
                    cx.jobs.cancel(r.id);
                    cx.info(tr!("cancelling", job = r.label.as_str()));
                }
            }
            _ => self.common(action, cx),
        }
    }

    /// What every view does: start, resume, undo.
    fn common(&mut self, action: Action, cx: &mut Cx) {
        match action {
            Action::ImportStart => self.prompt(&[], cx),
            Action::ImportResume => {
                let Some(b) = self.batches.get(self.selected) else { return cx.info(tr!("imp-none")) };
                if b.status != BatchStatus::Incomplete {
                    return cx.info(tr!(
                        "imp-only-incomplete",
                        id = b.id,
                        status = crate::i18n::value("batch", b.status.as_str())
                    ));
                }
                let id = b.id;
                let label = tr!("job-resume", id = id);
                self.start(Work::Resume(id), &label, cx, move |wb, ctl, progress| {
                    let flag = ctl.cancel_flag();
                    let r = wb.resume_import(id, Some(&flag), progress)?;
                    Ok(Finished { batch: r.batch_id, counts: r.counts, cancelled: r.cancelled })
                });
            }
            Action::ImportUndo => {
                let Some(b) = self.batches.get(self.selected) else { return cx.info(tr!("imp-none")) };
                if b.status == BatchStatus::Undone {
                    return cx.info(tr!("imp-already-undone", id = b.id));
                }
                cx.effect(Effect::Confirm(Confirm {
                    title: tr!("imp-undo-title", id = b.id),
                    body: vec![
                        tr!("imp-undo-1", file = b.file_name.as_str(), source = b.source.as_str()),
                        tr!("imp-undo-2", new = b.rows_imported, updated = b.rows_updated),
                        tr!("imp-undo-3"),
                    ],
                    tag: TAG_UNDO,
                }));
            }
            _ => {}
        }
    }

    fn prompt(&mut self, errors: &[(usize, String)], cx: &mut Cx) {
        if self.running.is_some() {
            return cx.info(tr!("imp-running"));
        }
        let labels: Vec<String> = START_FIELDS.iter().map(|id| crate::i18n::message(id, None)).collect();
        let fields: Vec<(&str, &str)> =
            labels.iter().map(String::as_str).zip(self.last.values.iter().map(String::as_str)).collect();
        let mut form = Form::prompt(&tr!("imp-form-title"), &fields, PaneId::Imports, TAG_START);
        let kinds: Vec<&str> = InteractionKind::ALL.iter().map(|k| k.as_str()).collect();
        for (i, hint) in START_HINTS.iter().enumerate() {
            let options: &[&str] = match i {
                F_KIND => &["company", "person"],
                F_IKIND => &kinds,
                F_ENCODING => &["auto", "utf-8", "gb18030"],
                F_BULK => &["auto", "on", "off"],
                _ => &[],
            };
            form.set_choices(i, &crate::i18n::message(hint, None), options);
        }
        for (i, e) in errors {
            if let Some(f) = form.fields.get_mut(*i) {
                f.error = Some(e.clone());
            }
        }
        form.focus = form.fields.iter().position(|f| f.error.is_some()).unwrap_or(0);
        cx.effect(Effect::OpenForm(Box::new(form)));
    }

    /// Starts an import-like job with progress into the status bar and the
    /// pane's gauge.
    fn start<F>(&mut self, work: Work, label: &str, cx: &mut Cx, run: F)
    where
        F: FnOnce(
                &mut Workbench,
                &super::jobs::JobCtl,
                &mut dyn FnMut(ImportProgress),
            ) -> crate::error::Result<Finished>
            + Send
            + 'static,
    {
        if let Some(r) = &self.running {
            return cx.info(tr!("imp-busy", job = r.label.as_str()));
        }
        let id = cx.spawn(label, true, move |wb, ctl| {
            let mut progress = |p: ImportProgress| {
                let c = p.counts;
                let mut note = tr!("imp-progress", read = c.read, new = c.imported, rejected = c.rejected);
                if let Some((done, total)) = p.indexing {
                    note.push_str(&tr!("imp-progress-idx", done = done, total = total));
                }
                ctl.progress(p.done, p.total, note);
            };
            Ok(Box::new(run(wb, ctl, &mut progress)?))
        });
        self.running = Some(Running { id, work, label: label.to_string(), done: 0, total: 0, note: String::new() });
    }

    pub fn on_job(&mut self, id: JobId, ev: JobEvent, cx: &mut Cx) {
        if let View::Log { job, lines, .. } = &mut self.view {
            if *job == Some(id) {
                if let JobEvent::Done(r) = ev {
                    *job = None;
                    match r.map(|o| o.downcast::<Vec<DLine>>()) {
                        // Long lines wrap: a rejection's reason is read in full.
                        Ok(Ok(l)) => {
                            let cols = cx.area.width.saturating_sub(2) as usize;
                            *lines = Some(l.iter().flat_map(|l| wrap_dline(l, cols, 4)).collect())
                        }
                        Ok(Err(_)) => *lines = Some(vec![vec![seg(tr!("imp-log-shape"), Tone::Flag)]]),
                        Err(e) => *lines = Some(vec![vec![seg(tr!("imp-log-failed", e = sanitize(&e)), Tone::Flag)]]),
                    }
                }
                return;
            }
        }
        if let View::Preview(p) = &mut self.view {
            if p.job == Some(id) {
                match ev {
                    JobEvent::Partial(out) => {
                        if let Ok(l) = out.downcast::<PreviewLines>() {
                            p.lines = l.lines;
                            p.columns = l.columns;
                            p.selected = p.selected.min(p.columns.len().saturating_sub(1));
                        }
                    }
                    JobEvent::Progress { .. } => {}
                    JobEvent::Done(r) => {
                        p.job = None;
                        match r.map(|o| o.downcast::<DryRun>()) {
                            Ok(Ok(d)) if d.cancelled => {
                                p.lines.push(Vec::new());
                                p.lines.push(vec![seg(tr!("imp-dry-stopped"), Tone::Flag)]);
                            }
                            Ok(Ok(d)) => {
                                p.lines.extend(dry_lines(&d.counts));
                                p.dry = Some(d.counts);
                            }
                            Ok(Err(_)) => p.failed = Some(tr!("imp-dry-shape")),
                            Err(e) => {
                                p.lines.push(Vec::new());
                                p.lines.push(vec![seg(format!("✗ {}", sanitize(&e)), Tone::Flag)]);
                                cx.error(e.clone());
                                p.failed = Some(e);
                            }
                        }
                    }
                }
                return;
            }
        }
        let Some(run) = self.running.as_mut().filter(|r| r.id == id) else { return };
        match ev {
            JobEvent::Progress { done, total, note } => {
                run.done = done;
                run.total = total;
                run.note = note;
            }
            JobEvent::Partial(_) => {}
            JobEvent::Done(r) => {
                let work = run.work;
                self.running = None;
                match r {
                    Err(e) => cx.error(format!("{}: {e}", label_of(work))),
                    Ok(out) => match work {
                        Work::Undo(id) => match out.downcast::<BatchCounts>() {
                            Ok(c) => cx.info(tr!("imp-undone", id = id, removed = c.imported, restored = c.updated)),
                            Err(_) => cx.error(tr!("imp-undo-shape")),
                        },
                        Work::Import | Work::Resume(_) => match out.downcast::<Finished>() {
                            Ok(f) => {
                                let b =
                                    f.batch.map(|b| tr!("imp-batch-n", id = b)).unwrap_or_else(|| tr!("imp-import"));
                                let c = f.counts;
                                if f.cancelled {
                                    cx.info(tr!(
                                        "imp-stopped",
                                        batch = b,
                                        read = c.read,
                                        resume = cx.keys.key(Action::ImportResume),
                                        undo = cx.keys.key(Action::ImportUndo)
                                    ));
                                } else {
                                    cx.info(tr!(
                                        "imp-done",
                                        batch = b,
                                        read = c.read,
                                        new = c.imported,
                                        updated = c.updated,
                                        unchanged = c.unchanged,
                                        warned = c.warned,
                                        rejected = c.rejected
                                    ));
                                }
                                // The new batch is the newest: show it.
                                self.selected = 0;
                                self.offset = 0;
                            }
                            Err(_) => cx.error(tr!("imp-import-shape")),
                        },
                    },
                }
                cx.effect(Effect::DataChanged);
            }
        }
    }

    pub fn on_reply(&mut self, tag: u32, reply: Reply, cx: &mut Cx) {
        match (tag, reply) {
            (TAG_START, Reply::Values(v)) => {
                self.last = Request::from_values(&v);
                if let Err(errors) = self.last.options() {
                    let (i, e) = &errors[0];
                    cx.error(format!("{}: {e}", crate::i18n::message(START_FIELDS[*i], None)));
                    return self.prompt(&errors, cx);
                }
                self.preview(0, cx);
            }
            (TAG_MAP, Reply::Values(v)) => {
                let View::Preview(p) = &self.view else { return };
                let Some(c) = p.columns.get(p.selected) else { return };
                let target = v.first().map(|t| t.trim().to_string()).unwrap_or_default();
                let mut request = p.request.clone();
                request.set_map(&c.header, &target);
                let selected = p.selected;
                self.last = request;
                self.preview(selected, cx);
            }
            (TAG_RUN, Reply::Confirmed) => {
                let View::Preview(p) = &mut self.view else { return };
                if let Some(id) = p.job.take() {
                    cx.jobs.cancel(id);
                }
                let request = p.request.clone();
                self.view = View::List;
                let label = tr!("job-import", file = file_name(request.path()));
                self.start(Work::Import, &label, cx, move |wb, ctl, progress| {
                    let mut opts = request.job_options()?;
                    opts.cancel = Some(ctl.cancel_flag());
                    let r = wb.import(&PathBuf::from(request.path()), &opts, progress)?;
                    Ok(Finished { batch: r.batch_id, counts: r.counts, cancelled: r.cancelled })
                });
            }
            (TAG_UNDO, Reply::Confirmed) => {
                let Some(b) = self.batches.get(self.selected) else { return };
                let id = b.id;
                if let Some(r) = &self.running {
                    return cx.info(tr!("imp-busy", job = r.label.as_str()));
                }
                let job =
                    cx.spawn(&tr!("job-undo-batch", id = id), true, move |wb, _ctl| Ok(Box::new(wb.undo_import(id)?)));
                self.running = Some(Running {
                    id: job,
                    work: Work::Undo(id),
                    label: tr!("job-undo-batch", id = id),
                    done: 0,
                    total: 0,
                    note: String::new(),
                });
            }
            _ => {}
        }
    }

    /// Opens the preview and starts its job: the mapping with sample values
    /// first (as a partial result), then the dry run's counts.
    /// `selected`: the column to select once the columns are read.
    fn preview(&mut self, selected: usize, cx: &mut Cx) {
        // Until the file is read again, `m` and `K` still act on the columns
        // read before (a mapping the service refuses shows no columns, and
        // is fixed with `m` again); they are shown once read.
        let mut columns = Vec::new();
        if let View::Preview(p) = &mut self.view {
            if let Some(id) = p.job.take() {
                cx.jobs.cancel(id);
            }
            columns = std::mem::take(&mut p.columns);
            for c in &mut columns {
                c.line = usize::MAX;
            }
        }
        let request = self.last.clone();
        let r = request.clone();
        let job = cx.spawn(&tr!("job-dry-run"), true, move |wb, ctl| {
            let mut opts = r.job_options()?;
            let path = PathBuf::from(r.path());
            ctl.partial(preview_lines(wb, &path, &opts)?);
            opts.dry_run = true;
            opts.cancel = Some(ctl.cancel_flag());
            let report = wb.import(&path, &opts, &mut |_| {})?;
            // A stopped dry run returns the counts so far without saying so.
            Ok(Box::new(DryRun { counts: report.counts, cancelled: report.cancelled || ctl.cancelled() }))
        });
        let lines = vec![vec![seg(tr!("imp-reading-file"), Tone::Dim)]];
        self.view = View::Preview(Preview {
            request,
            lines,
            scroll: 0,
            columns,
            selected,
            dry: None,
            failed: None,
            job: Some(job),
        });
    }

    fn follow(&mut self, area: Rect) {
        let rows = list_rows(area).saturating_sub(1).max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool, keys: &Keys) {
        let title = match &self.view {
            View::List => tr!("pane-imports"),
            View::Log { batch, .. } => tr!("imp-title-log", id = *batch),
            View::Preview(p) => {
                tr!("imp-title-preview", file = file_name(p.request.path()), source = sanitize(p.request.source()))
            }
        };
        let block = pane_block(&truncate(&title, area.width.saturating_sub(8) as usize), active, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = inner.width as usize;
        let gauge_rows = if self.running.is_some() { 2 } else { 0 };
        let [gauge, body] = Layout::vertical([Constraint::Length(gauge_rows), Constraint::Min(0)]).areas(inner);
        if let Some(r) = &self.running {
            f.render_widget(Paragraph::new(gauge_lines(r, cols, theme)), gauge);
        }
        match &self.view {
            View::List => self.render_list(f, body, theme, active, keys),
            View::Log { lines, scroll, .. } => {
                let text: Vec<Line> = match lines {
                    None => vec![clip(&[seg(tr!("loading"), Tone::Dim)], cols, theme)],
                    Some(l) => {
                        l.iter().skip(*scroll).take(body.height as usize).map(|l| clip(l, cols, theme)).collect()
                    }
                };
                f.render_widget(Paragraph::new(text), body);
            }
            View::Preview(p) => {
                let [text, hint] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
                // The selected column is marked (▶, and reversed when active).
                let at = p.columns.get(p.selected).map(|c| c.line);
                let lines: Vec<Line> = p
                    .lines
                    .iter()
                    .enumerate()
                    .skip(p.scroll)
                    .take(text.height as usize)
                    .map(|(i, l)| {
                        if Some(i) != at {
                            return clip(l, cols, theme);
                        }
                        let mut l = l.clone();
                        if let Some(first) = l.first_mut() {
                            *first = seg("▶ ", Tone::Heading);
                        }
                        let line = clip(&l, cols, theme);
                        if active {
                            line.style(theme.selected())
                        } else {
                            line
                        }
                    })
                    .collect();
                f.render_widget(Paragraph::new(lines), text);
                let (run, new, back, map, key) = (
                    keys.key(Action::ImportOpen),
                    keys.key(Action::ImportStart),
                    keys.key(Action::FocusList),
                    keys.key(Action::ImportMap),
                    keys.key(Action::ImportKey),
                );
                let h = if p.failed.is_some() {
                    tr!("imp-hint-failed", map = map, new = new, back = back)
                } else if p.job.is_some() {
                    tr!("imp-hint-dry", run = run, map = map, key = key, back = back)
                } else {
                    tr!("imp-hint-ready", run = run, map = map, key = key, new = new, back = back)
                };
                f.render_widget(Paragraph::new(clip(&[seg(h, Tone::Label)], cols, theme)), hint);
            }
        }
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: Theme, active: bool, keys: &Keys) {
        let cols = area.width as usize;
        let [list, footer] = Layout::vertical([Constraint::Min(0), Constraint::Length(FOOTER)]).areas(area);
        let mut lines = Vec::new();
        if let Some(e) = &self.load_error {
            lines.push(clip(&[seg(tr!("imp-batches-failed", e = sanitize(e)), Tone::Flag)], cols, theme));
        } else if self.batches.is_empty() {
            let how = tr!("imp-none-how", key = keys.key(Action::ImportStart));
            lines.push(clip(&[seg(how, Tone::Dim)], cols, theme));
        } else {
            let wide = cols >= 110;
            lines.push(clip(&[seg(batch_header(cols, wide), Tone::Heading)], cols, theme));
            let rows = list.height.saturating_sub(1) as usize;
            for (i, b) in self.batches.iter().enumerate().skip(self.offset).take(rows) {
                let line = clip(&batch_row(b, cols, wide), cols, theme);
                lines.push(if i == self.selected && active { line.style(theme.selected()) } else { line });
            }
        }
        f.render_widget(Paragraph::new(lines), list);
        let mut foot = vec![clip(&[seg("─".repeat(cols), Tone::Dim)], cols, theme)];
        if let Some(b) = self.batches.get(self.selected) {
            // The selected batch in full: its line wraps onto a second row.
            let about = [
                seg(format!("{} ", tr!("imp-batch-n", id = b.id)), Tone::Heading),
                seg(
                    tr!(
                        "imp-about",
                        file = sanitize(&b.file_name),
                        started = b.started_at.as_str(),
                        actor = sanitize(&b.actor)
                    ),
                    Tone::Plain,
                ),
                seg(b.finished_at.as_deref().map(|f| tr!("imp-finished", at = f)).unwrap_or_default(), Tone::Dim),
            ];
            let wrapped = wrap_dline(&about, cols, 2);
            for l in wrapped.iter().take(2) {
                foot.push(clip(l, cols, theme));
            }
            if wrapped.len() < 2 {
                foot.push(Line::from(""));
            }
            let what = match b.status {
                BatchStatus::Incomplete => seg(
                    tr!("imp-incomplete", resume = keys.key(Action::ImportResume), undo = keys.key(Action::ImportUndo)),
                    Tone::Flag,
                ),
                BatchStatus::Running => seg(crate::i18n::value("batch", "running"), Tone::Flag),
                BatchStatus::Undoing => seg(tr!("imp-undoing", undo = keys.key(Action::ImportUndo)), Tone::Flag),
                BatchStatus::Undone => seg(crate::i18n::value("batch", "undone"), Tone::Dim),
                BatchStatus::Complete => {
                    seg(tr!("imp-complete", n = b.rows_unchanged, key = keys.key(Action::ImportOpen)), Tone::Dim)
                }
            };
            // The batch's reminders horizon (`import --reminders-from`).
            let horizon = match &b.reminders_from {
                Some(d) => seg(tr!("imp-reminders-from", day = sanitize(d)), Tone::Label),
                None => seg(tr!("imp-every-date"), Tone::Dim),
            };
            foot.push(clip(&[what, horizon], cols, theme));
        }
        f.render_widget(Paragraph::new(foot), footer);
    }
}

/// The last part of a path, sanitised, for titles and labels.
fn file_name(path: &str) -> String {
    let p = std::path::Path::new(path);
    let name = p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string());
    sanitize(&name).into_owned()
}

fn label_of(w: Work) -> String {
    match w {
        Work::Import => tr!("job-import-short"),
        Work::Resume(id) => tr!("job-resume", id = id),
        Work::Undo(id) => tr!("job-undo-batch", id = id),
    }
}

/// Rows of the pane's body for a page (the pane's whole area given).
fn list_rows(area: Rect) -> usize {
    area.height.saturating_sub(2 + FOOTER + 1) as usize
}

/// Columns of the batch list: id, status, source, file, counts; the start
/// time only when wide.
const NUM: usize = 7;

fn file_cols(cols: usize, wide: bool) -> usize {
    let fixed = 5 + 11 + 13 + 5 * NUM + if wide { 18 } else { 0 };
    cols.saturating_sub(fixed).max(4)
}

fn batch_header(cols: usize, wide: bool) -> String {
    let mut s = format!(
        "{:>4} {} {} {}",
        "#",
        fit(&tr!("imp-col-status"), 10),
        fit(&tr!("imp-col-source"), 12),
        fit(&tr!("imp-col-file"), file_cols(cols, wide))
    );
    for h in [tr!("imp-col-read"), tr!("imp-col-new"), tr!("imp-col-upd"), tr!("imp-col-warn"), tr!("imp-col-rej")] {
        s.push_str(&rfit(&h, NUM));
    }
    if wide {
        s.push_str(&format!("  {}", tr!("imp-col-started")));
    }
    s
}

fn batch_row(b: &ImportBatch, cols: usize, wide: bool) -> DLine {
    let status_tone = match b.status {
        BatchStatus::Incomplete | BatchStatus::Running | BatchStatus::Undoing => Tone::Flag,
        BatchStatus::Undone => Tone::Dim,
        BatchStatus::Complete => Tone::Plain,
    };
    let mut counts = String::new();
    for n in [b.rows_read, b.rows_imported, b.rows_updated, b.rows_warned, b.rows_rejected] {
        counts.push_str(&format!("{:>NUM$}", compact(n)));
    }
    let mut v = vec![
        seg(format!("{:>4} ", b.id), Tone::Plain),
        seg(format!("{} ", fit(&crate::i18n::value("batch", b.status.as_str()), 10)), status_tone),
        seg(format!("{} ", fit(&sanitize(&b.source), 12)), Tone::Label),
        seg(fit(&sanitize(&b.file_name), file_cols(cols, wide)), Tone::Plain),
        seg(counts, Tone::Plain),
    ];
    if wide {
        // To the minute: "2026-03-02 09:30".
        let started = b.started_at.replace('T', " ");
        v.push(seg(format!("  {}", started.get(..16).unwrap_or(&started)), Tone::Dim));
    }
    v
}

/// A count in at most 6 columns, so a million-row batch keeps its columns
/// apart: 99999, 774.2k, 1.2M (the log has the exact figures).
fn compact(n: i64) -> String {
    if n < 100_000 {
        n.to_string()
    } else if n < 999_950 {
        // One decimal rounds 999_950 up to "1000.0k": from there, millions.
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

/// The gauge: a text bar (readable without colour) and the job's note.
fn gauge_lines(r: &Running, cols: usize, theme: Theme) -> Vec<Line<'static>> {
    let bar_cols = 24usize;
    let (bar, pct) = if let Some(pct) = (r.done * 100).checked_div(r.total) {
        let pct = pct.min(100) as usize;
        let filled = bar_cols * pct / 100;
        (format!("[{}{}]", "█".repeat(filled), "·".repeat(bar_cols - filled)), format!(" {pct:>3}%"))
    } else {
        (format!("[{}]", "·".repeat(bar_cols)), "    ".into())
    };
    let head = format!("⟳ {} ", sanitize(&r.label));
    let first = vec![seg(head, Tone::Heading), seg(bar, Tone::Plain), seg(pct, Tone::Heading)];
    let second = vec![
        seg(format!("  {}", sanitize(&r.note)), Tone::Plain),
        seg(if r.note.is_empty() { tr!("imp-starting") } else { String::new() }, Tone::Dim),
        seg(if width(&r.note) + 40 < cols { tr!("imp-stops") } else { String::new() }, Tone::Dim),
    ];
    vec![clip(&first, cols, theme), clip(&second, cols, theme)]
}

fn dry_lines(c: &BatchCounts) -> Vec<DLine> {
    vec![
        Vec::new(),
        vec![seg(tr!("imp-dry-head"), Tone::Heading)],
        vec![seg(
            tr!("imp-dry-1", read = c.read, new = c.imported, updated = c.updated, unchanged = c.unchanged),
            Tone::Plain,
        )],
        vec![seg(tr!("imp-dry-2", warned = c.warned, rejected = c.rejected), Tone::Plain)],
    ]
}

/// A target in the preview's 20 columns with its mark (`?` a guess, `*`
/// set by the user) right after it, or at the end when the name is cut:
/// the mark is never the part cut off.
fn marked(target: &str, mark: char) -> String {
    let whole = format!("{target}{mark}");
    if width(&whole) <= 20 {
        fit(&whole, 20)
    } else {
        format!("{}{mark}", fit(target, 19))
    }
}

/// Every name a column may be mapped to in the preview's `import.map`
/// prompt, in the order `form.option` offers them: the golden fields, then
/// the targets that are not fields, then `-` (the raw row only).
fn target_names() -> Vec<String> {
    let mut names: Vec<String> =
        Field::ALL.iter().filter(|f| **f != Field::Number).map(|f| f.name().to_string()).collect();
    names.extend(
        ["phone", "interaction_at", "interaction_kind", "interaction_summary", "interaction_by", "-"].map(String::from),
    );
    names
}

/// The mapping as the preview shows it, as `crmwb import` prints it: each
/// header, where it goes (a guess marked `?`, what the user set marked `*`,
/// the record key), and the first few values under it. Each column's line
/// starts with a two-column gutter where the selection mark goes.
fn preview_lines(wb: &Workbench, path: &std::path::Path, opts: &ImportOptions) -> crate::error::Result<PreviewLines> {
    let MappingPreview { mapping, samples, encoding } = wb.preview_import(path, opts, SAMPLES)?;
    let mut lines = vec![vec![seg(
        tr!("imp-mapping-head", n = mapping.columns.len(), encoding = encoding.to_string()),
        Tone::Heading,
    )]];
    let hw = mapping.columns.iter().map(|c| width(&sanitize(&c.header))).max().unwrap_or(0).clamp(6, 20);
    // A join the user or a saved mapping made has its columns marked
    // explicit; one the import worked out (a split name, an address over
    // lines) has not, and is not marked `*`.
    let explicit: std::collections::HashSet<&str> =
        mapping.columns.iter().filter(|c| c.explicit).map(|c| c.header.trim()).collect();
    let set_join = |j: &crate::ingest::mapping::JoinMap| j.columns.iter().any(|h| explicit.contains(h.trim()));
    let joined = mapping.join_targets();
    for j in &mapping.joins {
        let target = j.target.to_string();
        lines.push(vec![
            seg("  ", Tone::Plain),
            seg(format!("{} ", sanitize(&j.columns.join(" + "))), Tone::Label),
            seg(
                if set_join(j) { tr!("imp-joined", target = target) } else { tr!("imp-joined-auto", target = target) },
                Tone::Plain,
            ),
        ]);
    }
    let mut columns = Vec::with_capacity(mapping.columns.len());
    for (i, c) in mapping.columns.iter().enumerate() {
        let is_key = mapping.key.as_deref() == Some(c.header.trim());
        let in_join = joined.get(c.header.trim()).copied();
        let (target, tone) = match &c.target {
            Some(t) if c.guessed && !c.explicit => (format!("→ {}", marked(t, '?')), Tone::Plain),
            Some(t) if c.explicit => (format!("→ {}", marked(t, '*')), Tone::Plain),
            Some(t) => (format!("→ {}", fit(t, 20)), Tone::Plain),
            None if is_key => (format!("→ {}", fit(&tr!("imp-record-key"), 20)), Tone::Heading),
            None if in_join.is_some() => {
                let target = in_join.unwrap_or_default().to_string();
                (format!("→ {}", fit(&tr!("imp-in-join", target = target), 20)), Tone::Plain)
            }
            None if c.explicit => (format!("  {}", fit(&format!("{}*", tr!("imp-raw-only")), 20)), Tone::Dim),
            None => (format!("  {}", fit(&tr!("imp-raw-only"), 20)), Tone::Dim),
        };
        let sample: Vec<String> = samples
            .iter()
            .filter_map(|r| r.get(i))
            .filter(|v| !v.trim().is_empty())
            .map(|v| truncate(&sanitize(v.lines().next().unwrap_or("")), 20).into_owned())
            .collect();
        columns.push(PreviewColumn { header: c.header.clone(), target: c.target.clone(), line: lines.len() });
        lines.push(vec![
            seg("  ", Tone::Plain),
            seg(format!("{} ", fit(&sanitize(&c.header), hw)), Tone::Label),
            seg(format!("{target} "), tone),
            // A column both mapped to a field and the record key says both.
            seg(
                if is_key && c.target.is_some() { format!("({}) ", tr!("imp-record-key")) } else { String::new() },
                Tone::Heading,
            ),
            seg(sample.join(" | "), Tone::Dim),
        ]);
    }
    for c in mapping.columns.iter().filter(|c| c.target.is_none()) {
        if let Some(why) = &c.dropped {
            lines.push(vec![seg(tr!("imp-not-mapped", header = sanitize(&c.header), why = sanitize(why)), Tone::Dim)]);
        }
    }
    if mapping.columns.iter().any(|c| c.guessed && !c.explicit) {
        lines.push(vec![seg(tr!("imp-guessed"), Tone::Dim)]);
    }
    if mapping.columns.iter().any(|c| c.explicit) || mapping.joins.iter().any(set_join) {
        lines.push(vec![seg(tr!("imp-set-by-you"), Tone::Dim)]);
    }
    match mapping.key_candidate() {
        Some(k) if mapping.key.is_none() => {
            lines.push(vec![seg(tr!("imp-key-candidate", k = sanitize(k)), Tone::Flag)])
        }
        _ if mapping.key.is_none() => lines.push(vec![seg(tr!("imp-key-rownum"), Tone::Dim)]),
        _ => {}
    }
    Ok(PreviewLines { lines, columns })
}

/// A batch's log: its counts, every warning and rejection with its reason,
/// and the rejected rows as read.
fn log_lines(wb: &Workbench, id: i64) -> crate::error::Result<Vec<DLine>> {
    let b = wb.batch(id)?;
    let issues = wb.batch_issues(id)?;
    let rejected = wb.rejected_rows(id)?;
    let mut lines = vec![
        vec![
            seg(format!("{} ", tr!("imp-batch-n", id = b.id)), Tone::Heading),
            seg(
                tr!(
                    "imp-log-head",
                    file = sanitize(&b.file_name),
                    source = sanitize(&b.source),
                    status = crate::i18n::value("batch", b.status.as_str())
                ),
                Tone::Plain,
            ),
        ],
        vec![seg(
            tr!(
                "imp-log-counts",
                read = b.rows_read,
                // As the CLI's summary says it: blank rows are not rejected.
                blank = if b.rows_blank == 0 { String::new() } else { tr!("cli-blank", n = b.rows_blank) },
                new = b.rows_imported,
                updated = b.rows_updated,
                unchanged = b.rows_unchanged,
                warned = b.rows_warned,
                rejected = b.rows_rejected
            ),
            Tone::Plain,
        )],
        vec![seg(
            tr!(
                "imp-log-started",
                at = b.started_at.as_str(),
                actor = sanitize(&b.actor),
                finished = b.finished_at.map(|f| tr!("imp-log-finished", at = f)).unwrap_or_default()
            ),
            Tone::Dim,
        )],
        Vec::new(),
        vec![seg(tr!("imp-log-issues", n = issues.len()), Tone::Heading)],
    ];
    if issues.is_empty() {
        lines.push(vec![seg(format!("    {}", tr!("none")), Tone::Dim)]);
    }
    for i in issues.iter().take(LOG_LIMIT) {
        let col = i.column.as_ref().map(|c| format!(" {}", sanitize(c))).unwrap_or_default();
        let tone = if i.severity == "error" { Tone::Flag } else { Tone::Plain };
        lines.push(vec![
            seg(tr!("imp-row", row = i.row, col = col), Tone::Label),
            seg(format!("{} ", if i.severity == "error" { tr!("imp-rejected") } else { tr!("imp-warning") }), tone),
            seg(format!("[{}] ", i.rule), Tone::Dim),
            seg(sanitize(&i.message).into_owned(), Tone::Plain),
        ]);
    }
    if issues.len() > LOG_LIMIT {
        lines.push(vec![seg(tr!("imp-more", n = issues.len() - LOG_LIMIT, id = id), Tone::Dim)]);
    }
    lines.push(Vec::new());
    lines.push(vec![seg(tr!("imp-rejected-rows", n = rejected.len()), Tone::Heading)]);
    if rejected.is_empty() {
        lines.push(vec![seg(format!("    {}", tr!("none")), Tone::Dim)]);
    }
    for r in rejected.iter().take(LOG_LIMIT) {
        let cells: Vec<String> = r.cells.iter().map(|c| sanitize(c).into_owned()).collect();
        lines.push(vec![
            seg(tr!("imp-row", row = r.row, col = ""), Tone::Label),
            seg(sanitize(&r.reasons.join("; ")).into_owned(), Tone::Flag),
        ]);
        lines.push(vec![seg(format!("    {}", cells.join(" | ")), Tone::Dim)]);
    }
    if rejected.len() > LOG_LIMIT {
        lines.push(vec![seg(tr!("imp-more-csv", n = rejected.len() - LOG_LIMIT, id = id), Tone::Dim)]);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Clock;
    use crate::store::OpenMode;
    use crate::tui::app::{App, Message, Overlay};
    use crate::tui::load_keymap;
    use crate::tui::testkit::{press, screen, typ};

    /// Two good rows, one with a broken mobile (a warning), one with
    /// neither name nor contact detail (rejected), and `extra` plain rows.
    fn csv(dir: &std::path::Path, name: &str, extra: usize) -> PathBuf {
        let path = dir.join(name);
        let mut text = String::from("客户名称,联系人,手机,城市\n");
        text.push_str("北京星辰科技有限公司,张伟,13800001111,北京\n");
        text.push_str("上海云帆贸易有限公司,李娜,12345,上海\n");
        text.push_str(",,,广州\n");
        text.push_str("红色\x1b[31m警告公司,王强,13700003333,深圳\n");
        for n in 0..extra {
            text.push_str(&format!("测试客户{n}号有限公司,联系人{n},13{n:09},成都\n"));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    fn clock(wb: &mut Workbench) {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 30, 0).unwrap();
        wb.set_clock(Clock::fixed(at));
    }

    /// The Imports pane on a new database file in `dir`, at the fixed clock.
    fn app_in(dir: &std::path::Path) -> App {
        let mut wb = Workbench::open(&dir.join("crm.db"), OpenMode::Create, "tester").unwrap();
        clock(&mut wb);
        app_on(wb)
    }

    fn app_on(wb: Workbench) -> App {
        let mut app =
            App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
        press(&mut app, "4");
        app
    }

    fn start_import(app: &mut App, path: &std::path::Path, source: &str) {
        press(app, "n");
        assert!(matches!(app.overlay, Some(Overlay::Form(_))));
        // The prompt starts from the last request: clear each field first.
        press(app, "<C-u>");
        typ(app, &path.display().to_string());
        press(app, "<Enter> <C-u>");
        typ(app, source);
        press(app, "<C-s>");
    }

    /// The Imports pane after `path` was imported as source `sales`.
    fn imported(path: &std::path::Path) -> App {
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        clock(&mut wb);
        wb.import(path, &ImportOptions { source: "sales".into(), ..Default::default() }, &mut |_| {}).unwrap();
        app_on(wb)
    }

    #[test]
    fn lists_batches_and_shows_a_batch_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = csv(dir.path(), "客户.csv", 0);
        let mut app = imported(&path);
        let s = screen(&app);
        assert!(s.contains("complete") && s.contains("客户.csv") && s.contains("sales"), "{s}");
        insta::assert_snapshot!("imports_list", s);
        press(&mut app, "<Enter>");
        assert!(screen(&app).contains("loading…"));
        app.tick();
        let s = screen(&app);
        for want in ["Warnings and rejections", "REJECTED", "[row.identity]", "[phone.format]", "Rejected rows (1)"] {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        assert!(!s.contains('\x1b'));
        insta::assert_snapshot!("imports_log", s);
        press(&mut app, "<Esc>");
        assert!(matches!(app.imports.view, View::List));
    }

    #[test]
    fn finding_16_3_batch_log_lines_wrap_instead_of_being_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = csv(dir.path(), "客户.csv", 0);
        let mut app = imported(&path);
        press(&mut app, "<Enter>");
        app.tick();
        let s = screen(&app);
        assert!(s.contains("row cannot become a customer"), "the rejection's reason in full:\n{s}");
        let body: Vec<&str> = s.lines().skip(2).take(20).collect();
        assert!(body.iter().all(|l| !l.contains('…')), "{s}");
    }

    /// Issue 15, finding 2: the batch log says how many blank rows the file
    /// held, as `crmwb imports show` does, long after the import.
    #[test]
    fn the_batch_log_counts_blank_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gaps.csv");
        std::fs::write(&path, "客户名称,手机\n甲科技,13712345678\n,\n , \n乙科技,13612345678\n").unwrap();
        let mut app = imported(&path);
        press(&mut app, "<Enter>");
        app.tick();
        let s = screen(&app);
        assert!(s.contains("2 rows read (2 blank rows skipped): 2 new"), "{s}");
    }

    #[test]
    fn counts_fit_their_columns() {
        assert_eq!(compact(99_999), "99999");
        assert_eq!(compact(774_170), "774.2k");
        assert_eq!(compact(1_000_000), "1.0M");
        assert_eq!(compact(999_999), "1.0M");
        assert!([0, 99_999, 100_000, 999_949, 999_999, 1_000_000, 12_345_678].iter().all(|n| compact(*n).len() < NUM));
    }

    #[test]
    fn a_running_import_shows_a_gauge() {
        let mut app = app_on(Workbench::open_in_memory("tester").unwrap());
        app.imports.running = Some(Running {
            id: 99,
            work: Work::Import,
            label: "import 客户.csv".into(),
            done: 450,
            total: 1000,
            note: "1200 rows, 1180 new, 3 rejected".into(),
        });
        let s = screen(&app);
        assert!(s.contains("⟳ import 客户.csv [██████████··············]  45%"), "{s}");
        assert!(s.contains("1200 rows, 1180 new, 3 rejected"), "{s}");
        assert!(s.contains("Imports ⟳45%"), "{s}");
        insta::assert_snapshot!("imports_gauge", s);
    }

    #[test]
    fn undo_asks_first_then_rolls_the_batch_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = csv(dir.path(), "客户.csv", 0);
        let mut app = imported(&path);
        press(&mut app, "U");
        assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
        // The key that asked does not answer.
        press(&mut app, "U");
        assert_eq!(app.workbench().customer_count().unwrap(), 3);
        press(&mut app, "U y");
        app.settle();
        assert_eq!(app.workbench().customer_count().unwrap(), 0);
        assert_eq!(app.imports.batches[0].status, BatchStatus::Undone);
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("undone")), "{:?}", app.message());
    }

    #[test]
    fn the_preview_marks_a_guessed_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("模板.csv");
        std::fs::write(
            &path,
            "客户名称,客户详细地址,跟进负责人,手机\n星辰科技有限公司,宁波海曙区中山西路100号,林峰,13800001111\n",
        )
        .unwrap();
        let mut app = app_in(dir.path());
        start_import(&mut app, &path, "template");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("→ address?"), "a word inside the header is a guess:\n{s}");
        assert!(s.contains("→ owner ") && !s.contains("→ owner?"), "a known spelling is not:\n{s}");
        assert!(s.contains("?: guessed from a word in the header"), "{s}");
        insta::assert_snapshot!("imports_preview_guess", s);
    }

    #[test]
    fn an_import_started_here_previews_dry_runs_and_runs_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = csv(dir.path(), "客户.csv", 20);
        let mut app = app_in(dir.path());
        assert!(screen(&app).contains("No imports yet"));
        // A missing file and no source are refused in the prompt.
        press(&mut app, "n");
        typ(&mut app, "/no/such/file.csv");
        press(&mut app, "<C-s>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the prompt re-opens") };
        assert!(form.fields[0].error.as_deref().unwrap().contains("no file"));
        assert!(form.fields[1].error.is_some());
        press(&mut app, "<Esc>");
        start_import(&mut app, &path, "sales");
        assert!(matches!(app.imports.view, View::Preview(_)));
        app.settle();
        let s = screen(&app);
        for want in
            ["客户名称", "→ name", "北京星辰科技有限公司", "Dry run", "24 rows read: 23 would be new", "1 rejected"]
        {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        insta::assert_snapshot!("imports_preview", s);
        assert_eq!(app.workbench().batches().unwrap().len(), 0, "a dry run writes nothing");
        press(&mut app, "<Enter>");
        assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
        press(&mut app, "y");
        assert!(app.imports.running.is_some());
        assert!(app.busy());
        app.settle();
        assert!(app.imports.running.is_none());
        let Some(Message::Info(m)) = app.message() else { panic!("{:?}", app.message()) };
        assert!(m.contains("24 rows read, 23 new"), "{m}");
        // DataChanged: the list was re-read and shows the new batch.
        assert_eq!(app.imports.batches.len(), 1);
        assert_eq!(app.imports.batches[0].status, BatchStatus::Complete);
        assert_eq!(app.workbench().customer_count().unwrap(), 23);
    }

    #[test]
    fn a_cancelled_import_stays_resumable() {
        let dir = tempfile::tempdir().unwrap();
        let path = csv(dir.path(), "big.csv", 30_000);
        let mut app = app_in(dir.path());
        start_import(&mut app, &path, "big");
        app.settle();
        press(&mut app, "<Enter> y");
        assert!(app.imports.running.is_some());
        press(&mut app, "x");
        app.settle();
        let b = &app.imports.batches[0];
        assert_eq!(b.status, BatchStatus::Incomplete, "{b:?}");
        assert!(b.rows_read < 30_004, "{b:?}");
        let s = screen(&app);
        assert!(s.contains("incomplete") && s.contains("r resumes it"), "{s}");
        press(&mut app, "r");
        app.settle();
        let b = &app.imports.batches[0];
        assert_eq!(b.status, BatchStatus::Complete, "{b:?}");
        assert_eq!(b.rows_read, 30_004);
        assert_eq!(app.workbench().customer_count().unwrap(), 30_003);
    }
    /// A service-ticket export: its own ticket number, the customer, and the
    /// ticket itself (when, what).
    fn tickets(dir: &std::path::Path) -> PathBuf {
        let path = dir.join("工单导出.csv");
        std::fs::write(
            &path,
            "工单号,客户名称,手机,工单时间,问题描述,渠道\n\
             T-1001,北京星辰科技有限公司,13800001111,2026-02-20,打印机卡纸,电话\n\
             T-1002,上海云帆贸易有限公司,13900002222,2026-02-21,发票重开,微信\n\
             T-1003,广州容钢制造有限公司,13700003333,2026-02-22,账号锁定,邮件\n",
        )
        .unwrap();
        path
    }

    /// The source keys and interaction kinds of every customer, in number order.
    fn keys_and_kinds(wb: &Workbench) -> (Vec<String>, Vec<String>) {
        use crate::service::{CustomerFilter, SortKey};
        let ids = wb.sorted_customer_ids(&CustomerFilter::default(), SortKey::Number, false).unwrap();
        let (mut keys, mut kinds) = (Vec::new(), Vec::new());
        for id in ids {
            let d = wb.customer_detail(id).unwrap();
            keys.extend(d.sources.iter().map(|s| s.source_key.clone()));
            kinds.extend(d.interactions.iter().map(|i| i.kind.clone()));
        }
        (keys, kinds)
    }

    #[test]
    fn finding_16_12_the_form_offers_every_import_option() {
        let mut app = app_on(Workbench::open_in_memory("tester").unwrap());
        press(&mut app, "n");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the import form opens") };
        let labels: Vec<&str> = form.fields.iter().map(|f| f.label.as_str()).collect();
        let expected: Vec<String> = START_FIELDS.iter().map(|id| crate::i18n::message(id, None)).collect();
        assert_eq!(labels, expected);
        // To the interaction kind: its allowed values cycle, its hint says what it is.
        press(&mut app, "<Enter> <Enter> <Enter> <Enter> <Enter> <C-o>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!() };
        assert_eq!(form.focus, F_IKIND);
        assert_eq!(form.fields[F_IKIND].input.text(), InteractionKind::ALL[0].as_str());
        press(&mut app, "<C-u>");
        typ(&mut app, "ticket");
        let s = screen(&app);
        for want in ["Record key", "Column mapping", "Customer kind", "Interaction kind", "ticket", "empty: note"] {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        insta::assert_snapshot!(s);
        // A kind that is none is refused in the form, at its field.
        press(&mut app, "<C-u>");
        typ(&mut app, "fax");
        press(&mut app, "<C-s>");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("the form re-opens") };
        assert!(
            form.fields[F_IKIND].error.as_deref().is_some_and(|e| e.contains("ticket")),
            "{:?}",
            form.fields[F_IKIND].error
        );
        assert!(form.fields[F_PATH].error.is_some() && form.fields[F_SOURCE].error.is_some());
        // What was typed stays.
        assert_eq!(form.fields[F_IKIND].input.text(), "fax");
    }

    #[test]
    fn finding_16_12_a_ticket_export_from_the_form_is_keyed_and_logged_as_tickets() {
        let dir = tempfile::tempdir().unwrap();
        let path = tickets(dir.path());
        let mut app = app_in(dir.path());
        press(&mut app, "n <C-u>");
        typ(&mut app, &path.display().to_string());
        press(&mut app, "<Enter> <C-u>");
        typ(&mut app, "service");
        press(&mut app, "<Enter> <C-u>");
        typ(&mut app, "工单号");
        press(&mut app, "<Enter> <C-u> <Enter> <C-u> <Enter> <C-u>");
        typ(&mut app, "ticket");
        press(&mut app, "<C-s>");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("工单号") && s.contains("→ record key"), "{s}");
        assert!(!s.contains("looks like the source's own id"), "{s}");
        press(&mut app, "<Enter>");
        let Some(Overlay::Confirm { .. }) = &app.overlay else { panic!("asks first") };
        let s = screen(&app);
        assert!(s.contains("Keyed by 工单号; interactions logged as ticket."), "{s}");
        press(&mut app, "y");
        app.settle();
        assert_eq!(app.imports.batches.len(), 1);
        let (keys, kinds) = keys_and_kinds(app.workbench());
        assert_eq!(keys, ["T-1001", "T-1002", "T-1003"], "keyed by the ticket number, not the row number");
        assert_eq!(kinds, ["ticket", "ticket", "ticket"], "logged as tickets, not notes");
        // The source remembers its key: the same export again changes nothing.
        let again = ImportOptions { source: "service".into(), ..Default::default() };
        let r = app.workbench_mut().import(&path, &again, &mut |_| {}).unwrap();
        assert_eq!(r.counts.imported, 0, "{:?}", r.counts);
    }

    #[test]
    fn a_join_the_import_worked_out_is_not_marked_as_set_by_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.csv");
        std::fs::write(&path, "Name,Address Line 1,Address Line 2\nAcme Pty,1 Main St,Level 2\n").unwrap();
        let mut app = app_in(dir.path());
        start_import(&mut app, &path, "crm");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("Address Line 1 + Address Line 2 → address (joined)"), "{s}");
        assert!(!s.contains("address* (joined)") && !s.contains("*: set by you"), "{s}");
        // Its columns say where they went, not "raw row only".
        assert!(s.contains("Address Line 1 → address (joined)"), "{s}");
        assert!(!s.contains("raw row only"), "{s}");
    }

    #[test]
    fn finding_16_12_the_mapping_preview_is_editable() {
        let dir = tempfile::tempdir().unwrap();
        let path = tickets(dir.path());
        let mut app = app_in(dir.path());
        start_import(&mut app, &path, "service");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("工单号     (raw row only)") && s.contains("record key: the data row number"), "{s}");
        // K on the first column (工单号) makes it the record key.
        press(&mut app, "K");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("▶ 工单号") && s.contains("→ record key"), "{s}");
        // The last column (渠道) went to source_channel; m maps it elsewhere.
        press(&mut app, "G");
        let View::Preview(p) = &app.imports.view else { panic!() };
        assert_eq!(p.columns[p.selected].header, "渠道");
        press(&mut app, "m");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!("asks for the field") };
        assert!(form.title.contains("渠道"));
        // It opens on where the column goes now.
        assert_eq!(form.fields[0].input.text(), "source_channel");
        press(&mut app, "<C-u>");
        typ(&mut app, "custom:渠道:text");
        press(&mut app, "<Enter>");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("▶ 渠道") && s.contains("→ custom:渠道:text*"), "set by the user, marked:\n{s}");
        assert_eq!(marked("custom:问题类型:text", '*'), "custom:问题类型:te…*");
        assert!(s.contains("*: set by you"), "{s}");
        let View::Preview(p) = &app.imports.view else { panic!() };
        assert_eq!(p.request.values[F_KEY], "工单号");
        assert_eq!(p.request.values[F_MAPS], "渠道=custom:渠道:text");
        insta::assert_snapshot!(s);
        // A field that is none is refused by the mapping, in the preview.
        press(&mut app, "m <C-u>");
        typ(&mut app, "nonsense");
        press(&mut app, "<Enter>");
        app.settle();
        let View::Preview(p) = &app.imports.view else { panic!() };
        assert!(p.failed.is_some(), "{:?}", p.lines);
        // Mapped back to the raw row only, it imports; the request keeps what was set.
        press(&mut app, "m <C-u>");
        typ(&mut app, "-");
        press(&mut app, "<Enter>");
        app.settle();
        press(&mut app, "<Enter> y");
        app.settle();
        let (keys, _) = keys_and_kinds(app.workbench());
        assert_eq!(keys, ["T-1001", "T-1002", "T-1003"]);
        press(&mut app, "n");
        let Some(Overlay::Form(form)) = &app.overlay else { panic!() };
        assert_eq!(form.fields[F_KEY].input.text(), "工单号");
        assert_eq!(form.fields[F_MAPS].input.text(), "渠道=-");
    }
    #[test]
    fn finding_16_12_k_toggles_the_record_key_and_a_mapped_key_says_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = tickets(dir.path());
        let mut app = app_in(dir.path());
        start_import(&mut app, &path, "service");
        app.settle();
        // 客户名称 stays the name and becomes the key too, as `--key 客户名称` would.
        press(&mut app, "j K");
        app.settle();
        let s = screen(&app);
        assert!(s.contains("▶ 客户名称 → name") && s.contains("(record key) 北京星辰"), "{s}");
        assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("Record key: column 客户名称")));
        // Again: back to the row number.
        press(&mut app, "K");
        app.settle();
        let s = screen(&app);
        assert!(!s.contains("(record key)") && s.contains("record key: the data row number"), "{s}");
        let View::Preview(p) = &app.imports.view else { panic!() };
        assert_eq!(p.request.values[F_KEY], "");
        assert_eq!(p.selected, 1, "the selection stays on the column");
    }
}
