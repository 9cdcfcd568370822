//! Human and JSON output of the CLI. Every untrusted string goes through
//! `display::sanitize` before it reaches a terminal.

use crate::display::{fit, rfit, sanitize, width};
use crate::domain::{Customer, Field, ImportBatch};
use crate::error::Result;
use crate::ingest::Mapping;
use crate::service::{ImportProgress, ImportReport, Workbench};
use crate::store::CustomerDetail;
use serde_json::{Map, Value};
use std::io::Write;

/// The one way text reaches standard error. Messages quote input (headers,
/// cells, arguments, file names), so every line is sanitised whatever
/// stderr is: a terminal now, or a log file someone `cat`s later.
pub fn to_stderr(text: &str, newline: bool) {
    let mut err = std::io::stderr().lock();
    let lines = crate::display::sanitize_lines(text);
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        // Nothing useful is left to do when stderr itself is gone.
        let _ = err.write_all(line.as_bytes());
        if i < last || newline {
            let _ = err.write_all(b"\n");
        }
    }
    let _ = err.flush();
}

/// `eprintln!` through the sanitiser: the only stderr printing in the CLI.
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::output::to_stderr(&format!($($arg)*), true) };
}
pub(crate) use say;

/// `eprint!` through the sanitiser, for a question before reading an answer.
macro_rules! ask {
    ($($arg:tt)*) => { $crate::cli::output::to_stderr(&format!($($arg)*), false) };
}
pub(crate) use ask;

pub fn print_mapping(out: &mut impl Write, m: &Mapping) -> Result<()> {
    writeln!(out, "{}", tr!("cli-mapping"))?;
    let w = m.columns.iter().map(|c| width(&sanitize(&c.header))).max().unwrap_or(0).min(30);
    for j in &m.joins {
        writeln!(
            out,
            "{}",
            tr!("cli-joined", cols = sanitize(&j.columns.join(" + ")).into_owned(), target = j.target.to_string())
        )?;
    }
    let joins = m.join_targets();
    for c in &m.columns {
        let is_key = m.key.as_deref() == Some(c.header.trim());
        let joined = joins.get(c.header.trim()).copied();
        let target = match &c.target {
            None if is_key => tr!("cli-to-key"),
            // Read, though not alone: a part of a join printed above.
            None if joined.is_some() => tr!("cli-in-join", target = joined.unwrap_or_default().to_string()),
            Some(t) => format!(
                "→ {t}{}",
                match (c.explicit, c.saved, c.guessed) {
                    (true, true, _) => tr!("cli-saved-mapping"),
                    (true, false, _) => " (--map)".to_string(),
                    (false, _, true) => tr!("cli-guess"),
                    _ => String::new(),
                }
            ),
            None => match &c.dropped {
                Some(why) => tr!("cli-raw-why", why = sanitize(why)),
                None => tr!("cli-raw"),
            },
        };
        writeln!(out, "  {} {target}", fit(&sanitize(&c.header), w))?;
    }
    match m.key_candidate() {
        Some(k) if m.key.is_none() => writeln!(out, "{}", tr!("cli-key-candidate", k = sanitize(k)))?,
        _ if m.key.is_none() => writeln!(out, "{}", tr!("cli-key-row"))?,
        _ => {}
    }
    Ok(())
}

pub fn print_report(out: &mut impl Write, r: &ImportReport) -> Result<()> {
    let c = &r.counts;
    let what = match r.batch_id {
        Some(b) => tr!("cli-batch", id = b),
        None => tr!("cli-dry"),
    };
    let blank = if r.blank == 0 { String::new() } else { tr!("cli-blank", n = r.blank) };
    let line = if r.batch_id.is_some() {
        tr!(
            "cli-report",
            what = what,
            read = c.read,
            blank = blank,
            imported = c.imported,
            updated = c.updated,
            unchanged = c.unchanged,
            warned = c.warned,
            rejected = c.rejected
        )
    } else {
        tr!(
            "cli-report-dry",
            what = what,
            read = c.read,
            blank = blank,
            imported = c.imported,
            updated = c.updated,
            unchanged = c.unchanged,
            warned = c.warned,
            rejected = c.rejected
        )
    };
    writeln!(out, "{line}")?;
    for i in &r.issues {
        let col = i.column.as_ref().map(|c| tr!("cli-column", c = sanitize(c))).unwrap_or_default();
        let line = tr!(
            "cli-issue",
            row = i.row,
            col = col,
            severity = crate::i18n::value("severity", &i.severity),
            rule = i.rule.as_str(),
            message = sanitize(&i.message)
        );
        writeln!(out, "{line}")?;
    }
    if r.cancelled {
        if let Some(b) = r.batch_id {
            writeln!(out, "{}", tr!("cli-interrupted", b = b))?;
        }
    } else if let (Some(b), true) = (r.batch_id, c.warned + c.rejected > 0) {
        writeln!(out, "{}", tr!("cli-see-why", b = b))?;
    }
    Ok(())
}

/// Rejected rows as they were read, plus a `reason` column: fix them in a
/// spreadsheet and import the file again. The header is the batch's own.
pub fn write_rejected_csv(wb: &Workbench, batch: i64, path: &std::path::Path) -> Result<()> {
    let rows = wb.rejected_rows(batch)?;
    let headers = wb.batch_headers(batch)?;
    let io = |e: csv::Error| crate::Error::Other(format!("{}: {e}", path.display()));
    let file = crate::files::Output::create(path, wb.file_mode())
        .map_err(|source| crate::Error::Io { path: path.to_path_buf(), source })?;
    let mut w = csv::Writer::from_writer(file);
    let mut header = headers.clone();
    header.push("reason".into());
    header.push("row".into());
    w.write_record(&header).map_err(io)?;
    for r in rows {
        let mut cells = r.cells;
        cells.resize(headers.len().max(cells.len()), String::new());
        cells.push(r.reasons.join("; "));
        cells.push(r.row.to_string());
        w.write_record(&cells).map_err(io)?;
    }
    let file = w.into_inner().map_err(|e| crate::Error::Io { path: path.to_path_buf(), source: e.into_error() })?;
    file.commit().map_err(|source| crate::Error::Io { path: path.to_path_buf(), source })?;
    Ok(())
}

/// A progress bar on a terminal; a plain line every few seconds otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last_line: std::time::Instant,
}

impl Progress {
    pub fn new(file: &std::path::Path) -> Progress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {msg} ({eta} left)")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b.set_prefix(sanitize(&file.display().to_string()).into_owned());
            b
        });
        Progress { bar, last_line: std::time::Instant::now() }
    }

    pub fn update(&mut self, p: &ImportProgress) {
        let mut msg =
            tr!("cli-progress", read = p.counts.read, imported = p.counts.imported, rejected = p.counts.rejected);
        // The first index rebuild is always told: it starts a silent phase.
        let starts_phase = p.indexing.is_some_and(|(done, _)| done == 0);
        if let Some((done, total)) = p.indexing {
            msg.push_str(&tr!("cli-progress-idx", done = done, total = total));
        }
        match &self.bar {
            Some(b) => {
                b.set_length(p.total.max(1));
                b.set_position(p.done);
                b.set_message(msg);
            }
            None if starts_phase || self.last_line.elapsed().as_secs() >= 5 => {
                say!("import: {msg}");
                self.last_line = std::time::Instant::now();
            }
            None => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// A copy of a whole database (an upgrade's, a backup, a restore) as it
/// goes: a bar on a terminal, else a line every few seconds, so a long
/// copy of a large database is not a silent wait.
pub struct CopyBar {
    what: String,
    terminal: bool,
    /// Drawn at the first step: the checks before a copy are not the copy.
    bar: Option<indicatif::ProgressBar>,
    last_line: Option<std::time::Instant>,
}

impl CopyBar {
    /// `what`: what is being copied, already translated.
    pub fn new(what: String) -> CopyBar {
        use std::io::IsTerminal;
        CopyBar { what, terminal: std::io::stderr().is_terminal(), bar: None, last_line: None }
    }

    /// Bytes copied so far, and in all.
    pub fn update(&mut self, done: u64, total: u64) {
        if self.terminal {
            let what = &self.what;
            let b = self.bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new(total.max(1));
                b.set_style(
                    indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {bytes}/{total_bytes}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                b.set_prefix(sanitize(what).into_owned());
                b
            });
            b.set_length(total.max(1));
            b.set_position(done);
            return;
        }
        // The first line after five seconds: a quick copy says nothing.
        let first = self.last_line.get_or_insert_with(std::time::Instant::now);
        if first.elapsed().as_secs() >= 5 && done < total {
            let percent = done * 100 / total.max(1);
            say!(
                "{}",
                tr!(
                    "cli-copying",
                    what = self.what.clone(),
                    percent = percent,
                    mb = done >> 20,
                    total_mb = total >> 20
                )
            );
            self.last_line = Some(std::time::Instant::now());
        }
    }
}

impl Drop for CopyBar {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

pub fn print_batches(out: &mut impl Write, batches: &[ImportBatch], json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, batches)?;
        writeln!(out)?;
        return Ok(());
    }
    if batches.is_empty() {
        writeln!(out, "{}", tr!("cli-no-imports"))?;
        return Ok(());
    }
    let col = |id: &str| crate::i18n::message(&format!("cli-batch-col-{id}"), None);
    writeln!(
        out,
        "{}  {}  {}  {}  {} {} {} {} {} {}  {}",
        rfit(&col("batch"), 5),
        fit(&col("source"), 14),
        fit(&col("file"), 20),
        fit(&col("status"), 10),
        rfit(&col("read"), 8),
        rfit(&col("imported"), 8),
        rfit(&col("updated"), 8),
        rfit(&col("same"), 8),
        rfit(&col("warned"), 8),
        rfit(&col("rejected"), 8),
        col("started")
    )?;
    for b in batches {
        writeln!(
            out,
            "{:>5}  {}  {}  {}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}",
            b.id,
            fit(&sanitize(&b.source), 14),
            fit(&sanitize(&b.file_name), 20),
            fit(&crate::i18n::value("batch", b.status.as_str()), 10),
            b.rows_read,
            b.rows_imported,
            b.rows_updated,
            b.rows_unchanged,
            b.rows_warned,
            b.rows_rejected,
            b.started_at
        )?;
    }
    Ok(())
}

pub fn print_batch(out: &mut impl Write, wb: &Workbench, id: i64, json: bool) -> Result<()> {
    let b = wb.batch(id)?;
    let issues = wb.batch_issues(id)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "batch": b, "issues": issues }))?;
        writeln!(out)?;
        return Ok(());
    }
    print_batches(out, std::slice::from_ref(&b), false)?;
    match &b.reminders_from {
        Some(d) => writeln!(out, "{}", tr!("cli-batch-from", d = d.as_str()))?,
        None => writeln!(out, "{}", tr!("cli-batch-every"))?,
    }
    if b.rows_blank > 0 {
        writeln!(out, "{}", tr!("cli-batch-blank", n = b.rows_blank))?;
    }
    writeln!(out)?;
    if issues.is_empty() {
        writeln!(out, "{}", tr!("cli-batch-clean"))?;
    }
    for i in issues {
        let col = i.column.map(|c| tr!("cli-column", c = sanitize(&c).into_owned())).unwrap_or_default();
        let line = tr!(
            "cli-batch-issue",
            row = i.row,
            col = col,
            severity = crate::i18n::value("severity", &i.severity),
            rule = i.rule.as_str(),
            message = sanitize(&i.message)
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A customer as a JSON object keyed by target field names.
pub fn customer_json(c: &Customer) -> Value {
    let mut m = Map::new();
    for f in Field::ALL {
        m.insert(f.name().into(), c.get(f).map(|v| Value::String(v.to_string())).unwrap_or(Value::Null));
    }
    m.insert("flags".into(), Value::Array(c.flags.iter().map(|f| Value::String(f.clone())).collect()));
    Value::Object(m)
}

/// A customer of `crmwb customers --json`: the target fields, every phone
/// and e-mail (`phones`, `emails`, as the export has them) and the flags.
fn customer_list_json(row: &crate::store::customers::ExportRow) -> Value {
    let mut v = customer_json(&row.customer);
    let m = v.as_object_mut().expect("object");
    let strings = |l: &[String]| Value::Array(l.iter().map(|s| Value::String(s.clone())).collect());
    m.insert("phones".into(), strings(&row.phones));
    m.insert("emails".into(), strings(&row.emails));
    v
}

pub fn print_customers(
    out: &mut impl Write,
    wb: &Workbench,
    filter: &crate::service::CustomerFilter,
    json: bool,
    limit: Option<usize>,
) -> Result<()> {
    if json {
        // Written as produced, so a million customers never sit in memory.
        write!(out, "[")?;
        let mut first = true;
        wb.for_each_matching_customer(filter, limit, |c| {
            if !first {
                write!(out, ",")?;
            }
            first = false;
            write!(out, "\n  ")?;
            serde_json::to_writer(&mut *out, &customer_list_json(c))?;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        return Ok(());
    }
    let col = |id: &str| crate::i18n::message(&format!("cli-cust-col-{id}"), None);
    writeln!(
        out,
        "{}  {}  {}  {}  {}  {}  {}",
        fit(&col("number"), 15),
        fit(&col("name"), 30),
        fit(&col("status"), 8),
        fit(&col("owner"), 8),
        fit(&col("city"), 8),
        fit(&col("mobile"), 11),
        col("flags")
    )?;
    let mut n = 0;
    wb.for_each_matching_customer(filter, limit, |row| {
        let c = &row.customer;
        n += 1;
        let s = |f: Field| sanitize(c.get(f).unwrap_or("")).into_owned();
        writeln!(
            out,
            "{}  {}  {}  {}  {}  {}  {}",
            fit(&c.number, 15),
            fit(&s(Field::Name), 30),
            fit(&s(Field::Status), 8),
            fit(&s(Field::Owner), 8),
            fit(&s(Field::City), 8),
            fit(&s(Field::Mobile), 11),
            sanitize(&c.flags.join(","))
        )?;
        Ok(())
    })?;
    if n == 0 {
        if filter.is_empty() {
            writeln!(out, "{}", tr!("cli-cust-none"))?;
        } else {
            writeln!(out, "{}", tr!("cli-cust-no-match"))?;
        }
    }
    Ok(())
}

pub fn print_customer(out: &mut impl Write, d: &CustomerDetail, json: bool) -> Result<()> {
    let c = &d.customer;
    if json {
        let mut v = customer_json(c);
        let m = v.as_object_mut().expect("object");
        m.insert("phones".into(), serde_json::to_value(&d.phones)?);
        m.insert("emails".into(), serde_json::to_value(&d.emails)?);
        m.insert("contacts".into(), serde_json::to_value(&d.contacts)?);
        m.insert("interactions".into(), serde_json::to_value(&d.interactions)?);
        m.insert(
            "custom".into(),
            Value::Object(d.custom.iter().map(|(n, _, v)| (format!("custom:{n}"), Value::String(v.clone()))).collect()),
        );
        m.insert("sources".into(), serde_json::to_value(&d.sources)?);
        m.insert("history".into(), serde_json::to_value(&d.history)?);
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{}  {}", c.number, sanitize(&c.name))?;
    if !c.flags.is_empty() {
        writeln!(out, "{}", tr!("cli-cust-flags", flags = sanitize(&crate::i18n::join(&c.flags)).into_owned()))?;
    }
    for f in Field::ALL.iter().skip(2) {
        if let Some(v) = c.get(*f) {
            writeln!(
                out,
                "  {} {}",
                fit(&format!("{} ({})", f.label(), f.name()), 32),
                sanitize(&crate::i18n::field_value(*f, v))
            )?;
        }
    }
    for (name, _, v) in &d.custom {
        writeln!(out, "  {} {}", fit(&format!("custom:{}", sanitize(name)), 32), sanitize(v))?;
    }
    if d.phones.len() + d.emails.len() > 0 {
        writeln!(out, "\n{}", tr!("cli-cust-phones"))?;
        for p in &d.phones {
            writeln!(
                out,
                "  {} {}{}",
                fit(&crate::i18n::value("phone", p.kind.as_str()), 9),
                p.number,
                if p.is_primary { tr!("cli-cust-primary") } else { String::new() }
            )?;
        }
        for e in &d.emails {
            writeln!(
                out,
                "  {} {}{}",
                fit(&tr!("cli-cust-email"), 9),
                sanitize(&e.email),
                if e.is_primary { tr!("cli-cust-primary") } else { String::new() }
            )?;
        }
    }
    if !d.contacts.is_empty() {
        writeln!(out, "\n{}", tr!("cli-cust-contacts"))?;
        for k in &d.contacts {
            writeln!(out, "  {} {}", sanitize(&k.name), sanitize(k.title.as_deref().unwrap_or("")))?;
        }
    }
    if !d.interactions.is_empty() {
        writeln!(out, "\n{}", tr!("cli-cust-interactions"))?;
        for i in &d.interactions {
            let summary = crate::display::sanitize_lines(&i.summary).join(" / ");
            writeln!(
                out,
                "  {}  {}  {}  {}",
                i.at,
                fit(&sanitize(&crate::i18n::value("interaction", &i.kind)), 8),
                sanitize(i.by.as_deref().unwrap_or("")),
                summary
            )?;
        }
    }
    if !d.sources.is_empty() {
        writeln!(out, "\n{}", tr!("cli-cust-sources"))?;
        for s in &d.sources {
            let line = tr!(
                "cli-cust-source",
                source = sanitize(&s.source).into_owned(),
                key = sanitize(&s.source_key).into_owned(),
                batch = s.batch_id,
                row = s.row_number
            );
            writeln!(out, "  {line}")?;
            for (i, v) in s.values.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let h = s.headers.get(i).map(String::as_str).unwrap_or("?");
                writeln!(out, "    {} {}", fit(&sanitize(h), 16), crate::display::sanitize_lines(v).join(" ⏎ "))?;
            }
        }
    }
    if !d.history.is_empty() {
        writeln!(out, "\n{}", tr!("cli-cust-history"))?;
        for e in &d.history {
            let h = crate::history::history_line(e);
            writeln!(out, "  {}  {}  {}", h.at, h.who, h.what)?;
        }
    }
    Ok(())
}

/// Standard output when it is a terminal: every line passes through
/// `sanitize`, so no command can write an imported escape sequence to the
/// user's terminal, whatever its format (CSV and JSON included).
pub struct TerminalSafe<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    pub fn new(inner: W) -> Self {
        TerminalSafe { inner, pending: Vec::new() }
    }

    fn emit(&mut self, line: &[u8], newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        self.inner.write_all(sanitize(&text).as_bytes())?;
        if newline {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.emit(&line[..line.len() - 1], true)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line, false)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for TerminalSafe<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub fn print_quality(out: &mut impl Write, r: &crate::service::QualityReport, json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, r)?;
        writeln!(out)?;
        return Ok(());
    }
    let line = tr!("cli-q-head", customers = r.customers, rows = r.source_records, flagged = r.flagged_incomplete);
    writeln!(out, "{line}\n")?;
    writeln!(out, "{}", tr!("cli-q-targets"))?;
    for t in &r.targets {
        let value = t.value.map(pct).unwrap_or_else(|| tr!("n-a"));
        let verdict = match t.pass {
            Some(true) => tr!("quality-pass"),
            Some(false) => tr!("quality-fail"),
            None => tr!("quality-not-measured"),
        };
        let slug = t.name.replace(' ', "-");
        let (name, measure) = (crate::i18n::value("target", &slug), crate::i18n::value("measure", &slug));
        let measure = if measure == slug { t.measure.clone() } else { measure };
        let target = fit(&tr!("quality-target", target = t.target.as_str()), 13);
        writeln!(out, "  {} {}  {target}  {verdict}", fit(&name, 22), rfit(&value, 7))?;
        writeln!(out, "  {}   {measure}", " ".repeat(22))?;
    }
    let col = |id: &str| crate::i18n::message(&format!("cli-q-col-{id}"), None);
    writeln!(
        out,
        "\n  {} {} {} {} {}",
        fit(&col("field"), 16),
        rfit(&col("filled"), 8),
        rfit(&col("complete"), 9),
        rfit(&col("invalid"), 8),
        rfit(&col("validity"), 9)
    )?;
    for f in &r.fields {
        writeln!(
            out,
            "  {} {:>8} {:>9} {:>8} {:>9}",
            fit(&f.field, 16),
            f.filled,
            pct(f.completeness),
            f.invalid,
            pct(f.validity)
        )?;
    }
    if let (Some(frac), Some(seed)) = (r.sample_fraction, r.sample_seed) {
        writeln!(out, "\n{}", tr!("cli-q-sample", pct = pct(frac), seed = seed.to_string(), n = r.sample.len()))?;
        for c in &r.sample {
            writeln!(out, "\n  {}  {}", c.number, sanitize(&c.name))?;
            for v in &c.values {
                let golden = v.golden.as_deref().map(|g| sanitize(g).into_owned()).unwrap_or_else(|| "—".into());
                let raw: Vec<String> = v
                    .raw
                    .iter()
                    .map(|(s, k, col, val)| {
                        format!(
                            "{}#{} {}: {}",
                            sanitize(s),
                            sanitize(k),
                            sanitize(col),
                            crate::display::sanitize_lines(val).join("⏎")
                        )
                    })
                    .collect();
                let raw = if raw.is_empty() { tr!("cli-q-derived") } else { raw.join(" | ") };
                writeln!(out, "    {} {}  ← {raw}", fit(&v.field, 16), fit(&golden, 24))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_output_is_inert() {
        let mut buf = Vec::new();
        {
            let mut t = TerminalSafe::new(&mut buf);
            write!(t, "ok\nevil\x1b]0;title\x07 \u{202E}x\npartial\x1b").unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "ok\nevil^[]0;title^G <U+202E>x\npartial^[");
    }
}
