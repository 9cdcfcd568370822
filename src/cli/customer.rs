//! `crmwb customer add|edit`, `crmwb contact add`: parse `--set FIELD=VALUE`
//! pairs and print what the service did.

use super::{open, output, Cli};
use crate::display::sanitize;
use crate::error::Result;
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
        writeln!(out, "{}  {} added", c.number, sanitize(&c.name))?;
        if !c.flags.is_empty() {
            writeln!(out, "flags: {}", sanitize(&c.flags.join(", ")))?;
        }
    }
    Ok(())
}

pub fn contact_add(cli: &Cli, out: &mut dyn Write, number: &str, sets: &[String]) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let k = wb.add_contact(number, &pairs(sets)?)?;
    writeln!(
        out,
        "{}: contact {} added{}",
        number.trim(),
        sanitize(&k.name),
        k.title.as_deref().map(|t| format!(" ({})", sanitize(t))).unwrap_or_default()
    )?;
    Ok(())
}
