//! Human and JSON output of the CLI. Every untrusted string goes through
//! `display::sanitize` before it reaches a terminal.

use crate::display::{fit, sanitize, width};
use crate::domain::{Customer, Field, ImportBatch};
use crate::error::Result;
use crate::ingest::Mapping;
use crate::service::Workbench;
use crate::store::{BatchCounts, CustomerDetail};
use serde_json::{Map, Value};
use std::io::Write;

pub fn print_mapping(out: &mut impl Write, m: &Mapping) -> Result<()> {
    writeln!(out, "Field mapping:")?;
    let w = m.columns.iter().map(|c| width(&sanitize(&c.header))).max().unwrap_or(0).min(30);
    for c in &m.columns {
        let is_key = m.key.as_deref() == Some(c.header.trim());
        let target = match &c.target {
            None if is_key => "→ record key".into(),
            Some(t) => format!("→ {t}{}", if c.explicit { " (--map)" } else { "" }),
            None => "  (kept in raw row only)".into(),
        };
        writeln!(out, "  {} {target}", fit(&sanitize(&c.header), w))?;
    }
    if m.key.is_none() {
        writeln!(out, "  record key: data row number (use --key HEADER to name the source's own id column)")?;
    }
    Ok(())
}

pub fn print_counts(out: &mut impl Write, batch: i64, c: &BatchCounts) -> Result<()> {
    writeln!(
        out,
        "Batch {batch}: {} rows read, {} imported, {} updated, {} unchanged, {} with warnings, {} rejected",
        c.read, c.imported, c.updated, c.unchanged, c.warned, c.rejected
    )?;
    if c.warned + c.rejected > 0 {
        writeln!(out, "See why: crmwb imports show {batch}")?;
    }
    Ok(())
}

pub fn print_batches(out: &mut impl Write, batches: &[ImportBatch], json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, batches)?;
        writeln!(out)?;
        return Ok(());
    }
    if batches.is_empty() {
        writeln!(out, "No imports yet.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {}  {}  {:<10}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  started",
        "batch",
        fit("source", 14),
        fit("file", 20),
        "status",
        "read",
        "imported",
        "updated",
        "same",
        "warned",
        "rejected"
    )?;
    for b in batches {
        writeln!(
            out,
            "{:>5}  {}  {}  {:<10}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}",
            b.id,
            fit(&sanitize(&b.source), 14),
            fit(&sanitize(&b.file_name), 20),
            b.status.as_str(),
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
    let issues = crate::store::imports::batch_issues(wb.store().conn(), id)?;
    if json {
        let issues: Vec<Value> = issues
            .iter()
            .map(|(row, col, rule, sev, msg)| serde_json::json!({"row": row, "column": col, "rule": rule, "severity": sev, "message": msg}))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "batch": b, "issues": issues }))?;
        writeln!(out)?;
        return Ok(());
    }
    print_batches(out, std::slice::from_ref(&b), false)?;
    writeln!(out)?;
    if issues.is_empty() {
        writeln!(out, "No warnings or rejections.")?;
    }
    for (row, col, rule, sev, msg) in issues {
        let col = col.map(|c| format!(" column {}", sanitize(&c))).unwrap_or_default();
        writeln!(out, "row {row}{col}: {sev} [{rule}] {}", sanitize(&msg))?;
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

pub fn print_customers(out: &mut impl Write, wb: &Workbench, json: bool, limit: Option<usize>) -> Result<()> {
    if json {
        // Written as produced, so a million customers never sit in memory.
        write!(out, "[")?;
        let mut first = true;
        wb.for_each_customer(limit, |c| {
            if !first {
                write!(out, ",")?;
            }
            first = false;
            write!(out, "\n  ")?;
            serde_json::to_writer(&mut *out, &customer_json(c))?;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        return Ok(());
    }
    writeln!(
        out,
        "{}  {}  {}  {}  {}  {}  flags",
        fit("number", 15),
        fit("name", 30),
        fit("status", 8),
        fit("owner", 8),
        fit("city", 8),
        fit("mobile", 11)
    )?;
    let mut n = 0;
    wb.for_each_customer(limit, |c| {
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
        writeln!(out, "No customers yet: import a file with `crmwb import FILE --source NAME`.")?;
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
        writeln!(out, "flags: {}", sanitize(&c.flags.join(", ")))?;
    }
    for f in Field::ALL.iter().skip(2) {
        if let Some(v) = c.get(*f) {
            writeln!(out, "  {} {}", fit(&format!("{} ({})", f.label(), f.name()), 32), sanitize(v))?;
        }
    }
    for (name, _, v) in &d.custom {
        writeln!(out, "  {} {}", fit(&format!("custom:{}", sanitize(name)), 32), sanitize(v))?;
    }
    if d.phones.len() + d.emails.len() > 0 {
        writeln!(out, "\nPhones and e-mails:")?;
        for p in &d.phones {
            writeln!(
                out,
                "  {} {}{}",
                fit(p.kind.as_str(), 9),
                p.number,
                if p.is_primary { " (primary)" } else { "" }
            )?;
        }
        for e in &d.emails {
            writeln!(
                out,
                "  {} {}{}",
                fit("email", 9),
                sanitize(&e.email),
                if e.is_primary { " (primary)" } else { "" }
            )?;
        }
    }
    if !d.contacts.is_empty() {
        writeln!(out, "\nContacts:")?;
        for k in &d.contacts {
            writeln!(out, "  {} {}", sanitize(&k.name), sanitize(k.title.as_deref().unwrap_or("")))?;
        }
    }
    if !d.interactions.is_empty() {
        writeln!(out, "\nInteractions:")?;
        for i in &d.interactions {
            let summary = crate::display::sanitize_lines(&i.summary).join(" / ");
            writeln!(
                out,
                "  {}  {}  {}  {}",
                i.at,
                fit(&sanitize(&i.kind), 8),
                sanitize(i.by.as_deref().unwrap_or("")),
                summary
            )?;
        }
    }
    if !d.sources.is_empty() {
        writeln!(out, "\nSource records (raw, as imported):")?;
        for s in &d.sources {
            writeln!(
                out,
                "  {} #{} (batch {}, row {})",
                sanitize(&s.source),
                sanitize(&s.source_key),
                s.batch_id,
                s.row_number
            )?;
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
        writeln!(out, "\nHistory:")?;
        for h in &d.history {
            writeln!(out, "  {}  {}  {}", h.at, sanitize(&h.actor), sanitize(&h.action))?;
        }
    }
    Ok(())
}
