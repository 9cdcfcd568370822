//! `crmwb customer add|edit`, `crmwb contact add`: parse `--set FIELD=VALUE`
//! pairs and print what the service did.

use super::{open, output, Cli};
use crate::display::sanitize;
use crate::domain::Field;
use crate::error::{Error, Result};
use crate::service::parse_set;
use crate::store::OpenMode;
use std::io::Write;

fn pairs(sets: &[String]) -> Result<Vec<(String, String)>> {
    sets.iter().map(|s| parse_set(s)).collect()
}

pub fn add(cli: &Cli, out: &mut dyn Write, sets: &[String], json: bool) -> Result<()> {
    let mut wb = open(cli, OpenMode::Create)?;
    let c = wb.add_customer(&pairs(sets)?)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &output::customer_json(&c))?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", tr!("cli-added", number = c.number.as_str(), name = sanitize(&c.name).into_owned()))?;
        if !c.flags.is_empty() {
            writeln!(out, "{}", tr!("cli-cust-flags", flags = sanitize(&crate::i18n::join(&c.flags)).into_owned()))?;
        }
    }
    Ok(())
}

pub fn contact_add(cli: &Cli, out: &mut dyn Write, number: &str, sets: &[String]) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let k = wb.add_contact(number, &pairs(sets)?)?;
    writeln!(
        out,
        "{}: contact {}{} added",
        number.trim(),
        sanitize(&k.name),
        k.title.as_deref().map(|t| format!(" ({})", sanitize(t))).unwrap_or_default()
    )?;
    Ok(())
}

pub fn edit(cli: &Cli, out: &mut dyn Write, number: &str, sets: &[String], json: bool) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let mut changes: Vec<(Field, Option<String>)> = Vec::new();
    for (name, value) in pairs(sets)? {
        let field = Field::parse(&name).ok_or_else(|| {
            Error::Invalid(match name.as_str() {
                "phone" => "--set phone=…: edit `mobile` or `landline`".to_string(),
                n if n.starts_with("custom:") => format!("--set {n}=…: custom fields are set by import"),
                n => format!("--set {n}=…: `{n}` is not a field (see `crmwb import --help` for the list)"),
            })
        })?;
        changes.push((field, Some(value)));
    }
    let c = wb.customer_by_number(number)?.customer;
    let r = wb.edit_customer(c.id, c.version, &changes)?;
    if json {
        let mut v = serde_json::to_value(&r)?;
        v["number"] = c.number.clone().into();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    if r.changes.is_empty() {
        writeln!(out, "{}", tr!("cli-nothing-changed", number = c.number.as_str()))?;
    }
    for ch in &r.changes {
        writeln!(
            out,
            "{}: {} {} → {}",
            c.number,
            ch.field.name(),
            ch.old.as_deref().map_or_else(|| tr!("form-empty"), |v| sanitize(v).into_owned()),
            ch.new.as_deref().map_or_else(|| tr!("form-empty"), |v| sanitize(v).into_owned())
        )?;
    }
    for w in &r.warnings {
        writeln!(
            out,
            "{}",
            tr!("cli-warning-rule", rule = w.rule.to_string(), message = sanitize(&w.message).into_owned())
        )?;
    }
    Ok(())
}
