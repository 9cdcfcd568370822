//! The data-quality report: completeness and validity per field, the
//! domain's targets with pass/fail, and a reproducible sample of customers
//! shown beside the raw source values they came from.

use super::Workbench;
use crate::domain::{Field, FLAG_INCOMPLETE};
use crate::error::Result;
use serde::Serialize;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, Serialize)]
pub struct FieldQuality {
    pub field: String,
    /// Customers with a value.
    pub filled: i64,
    pub completeness: f64,
    /// Values refused on import (kept in the raw rows), from current imports.
    pub invalid: i64,
    /// filled / (filled + invalid); 1 when neither.
    pub validity: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub measure: String,
    pub value: Option<f64>,
    pub target: String,
    /// `None` when it cannot be measured yet.
    pub pass: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleValue {
    pub field: String,
    pub golden: Option<String>,
    /// (source, key, column, raw value) for every source cell mapped to this field.
    pub raw: Vec<(String, String, String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampledCustomer {
    pub number: String,
    pub name: String,
    pub values: Vec<SampleValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    pub customers: i64,
    pub source_records: i64,
    pub flagged_incomplete: i64,
    pub fields: Vec<FieldQuality>,
    pub targets: Vec<Target>,
    pub sample: Vec<SampledCustomer>,
    pub sample_fraction: Option<f64>,
    pub sample_seed: Option<u64>,
}

/// The key fields whose absence makes a profile incomplete; the missing-field
/// rate is measured over these.
pub const KEY_FIELDS: [Field; 5] = [Field::Name, Field::Industry, Field::ContactName, Field::City, Field::Status];

fn ratio(a: i64, b: i64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn in_sample(seed: u64, id: i64, fraction: f64) -> bool {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (seed, id).hash(&mut h);
    (h.finish() as f64) < fraction * (u64::MAX as f64)
}

impl Workbench {
    /// Measures the database. `sample`: (fraction, seed) of customers to show
    /// beside their raw source values; the same seed picks the same customers.
    pub fn quality(&self, sample: Option<(f64, u64)>) -> Result<QualityReport> {
        let conn = self.store.conn();
        let fields: Vec<Field> = Field::ALL.iter().copied().filter(|f| *f != Field::Number).collect();
        let counts_sql = format!(
            "SELECT count(*), {} , sum(instr(flags, '{FLAG_INCOMPLETE}') > 0), \
             sum(mobile IS NULL AND landline IS NULL AND email IS NULL) FROM customers WHERE merged_into IS NULL",
            fields.iter().map(|f| format!("count(NULLIF({}, ''))", f.name())).collect::<Vec<_>>().join(", ")
        );
        let (total, filled, incomplete, no_contact): (i64, Vec<i64>, i64, i64) =
            conn.query_row(&counts_sql, [], |r| {
                let n = fields.len();
                Ok((
                    r.get(0)?,
                    (0..n).map(|i| r.get(1 + i)).collect::<rusqlite::Result<_>>()?,
                    r.get::<_, Option<i64>>(n + 1)?.unwrap_or(0),
                    r.get::<_, Option<i64>>(n + 2)?.unwrap_or(0),
                ))
            })?;
        let mut invalid = std::collections::HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT i.field, count(*) FROM import_issues i JOIN import_batches b ON b.id = i.batch_id \
             WHERE b.status != 'undone' AND i.severity = 'warning' AND i.field IS NOT NULL GROUP BY i.field",
        )?;
        for r in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (f, n) = r?;
            invalid.insert(f, n);
        }
        let phone_invalid = invalid.get("phone").copied().unwrap_or(0);
        let mut report_fields = Vec::new();
        let mut total_filled = 0;
        let mut total_invalid = 0;
        for (f, filled) in fields.iter().zip(&filled) {
            let mut bad = invalid.get(f.name()).copied().unwrap_or(0);
            if *f == Field::Mobile {
                // Unsorted `phone` cells that failed are counted with mobiles.
                bad += phone_invalid;
            }
            total_filled += filled;
            total_invalid += bad;
            report_fields.push(FieldQuality {
                field: f.name().into(),
                filled: *filled,
                completeness: ratio(*filled, total),
                invalid: bad,
                validity: ratio(*filled, filled + bad),
            });
        }
        let source_records: i64 = conn.query_row("SELECT count(*) FROM source_records", [], |r| r.get(0))?;
        let linked: i64 = conn.query_row(
            "SELECT count(*) FROM customers c WHERE c.merged_into IS NULL AND EXISTS (SELECT 1 FROM source_records s WHERE s.customer_id = c.id)",
            [],
            |r| r.get(0),
        )?;
        let key_missing: i64 = KEY_FIELDS
            .iter()
            .map(|k| total - filled[fields.iter().position(|f| f == k).expect("key field")])
            .sum::<i64>()
            + no_contact;
        let key_cells = total * (KEY_FIELDS.len() as i64 + 1);
        let missing_rate = if total == 0 { 0.0 } else { key_missing as f64 / key_cells as f64 };
        let accuracy = ratio(total_filled, total_filled + total_invalid);
        let completeness = 1.0 - ratio(incomplete, total.max(1)).min(1.0);
        let linkage = ratio(linked, total);
        let duplicate_rate = self.duplicate_suspect_rate()?;
        let t = |name: &str, measure: &str, value: Option<f64>, target: &str, pass: Option<bool>| Target {
            name: name.into(),
            measure: measure.into(),
            value,
            target: target.into(),
            pass,
        };
        let targets = vec![
            t(
                "duplicate rate",
                "customers in an open duplicate-suspect cluster",
                duplicate_rate,
                "≤ 5%",
                duplicate_rate.map(|v| v <= 0.05),
            ),
            t(
                "missing-field rate",
                "empty key fields (name, industry, contact, city, status, any phone or e-mail)",
                Some(missing_rate),
                "≤ 8%",
                Some(missing_rate <= 0.08),
            ),
            t("accuracy", "imported values that passed validation", Some(accuracy), "≥ 95%", Some(accuracy >= 0.95)),
            t(
                "profile completeness",
                "customers not flagged 待完善",
                Some(completeness),
                "≥ 95%",
                Some(completeness >= 0.95),
            ),
            t(
                "source linkage",
                "customers traceable to at least one source row",
                Some(linkage),
                "≥ 98%",
                Some(linkage >= 0.98),
            ),
        ];
        let mut sampled = Vec::new();
        if let Some((fraction, seed)) = sample {
            // Many sampled rows share a batch: read and parse each mapping once.
            let mut mappings = std::collections::HashMap::new();
            self.for_each_customer(None, |c| {
                if in_sample(seed, c.id, fraction) {
                    sampled.push(self.sample_customer(c, &mut mappings)?);
                }
                Ok(())
            })?;
        }
        Ok(QualityReport {
            customers: total,
            source_records,
            flagged_incomplete: incomplete,
            fields: report_fields,
            targets,
            sample: sampled,
            sample_fraction: sample.map(|s| s.0),
            sample_seed: sample.map(|s| s.1),
        })
    }

    /// The share of live customers in an open duplicate-suspect cluster;
    /// `None` until matching has run.
    fn duplicate_suspect_rate(&self) -> Result<Option<f64>> {
        let has_matching: bool = self.store.conn().query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'match_clusters')",
            [],
            |r| r.get(0),
        )?;
        if !has_matching {
            return Ok(None);
        }
        let (suspects, total): (i64, i64) = self.store.conn().query_row(
            "SELECT (SELECT count(DISTINCT customer_id) FROM match_cluster_members m JOIN match_clusters c ON c.id = m.cluster_id WHERE c.state = 'open'),
                    (SELECT count(*) FROM customers WHERE merged_into IS NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Some(ratio(suspects, total)))
    }

    fn sample_customer(
        &self,
        c: &crate::domain::Customer,
        mappings: &mut std::collections::HashMap<i64, Option<Vec<crate::ingest::MappedInput>>>,
    ) -> Result<SampledCustomer> {
        let conn = self.store.conn();
        let sources = crate::store::imports::sources_of_customer(conn, c.id)?;
        let mut values: Vec<SampleValue> = Field::ALL
            .iter()
            .filter(|f| **f != Field::Number)
            .map(|f| SampleValue { field: f.name().into(), golden: c.get(*f).map(str::to_string), raw: Vec::new() })
            .collect();
        for s in &sources {
            let inputs = match mappings.get(&s.batch_id) {
                Some(cached) => cached,
                None => {
                    let text: String =
                        conn.query_row("SELECT mapping FROM import_batches WHERE id = ?1", [s.batch_id], |r| r.get(0))?;
                    let parsed = serde_json::from_str::<crate::ingest::Mapping>(&text).ok().map(|m| m.inputs());
                    mappings.entry(s.batch_id).or_insert(parsed)
                }
            };
            let Some(inputs) = inputs else { continue };
            for input in inputs {
                // A `phone` cell feeds mobile or landline: show it beside both.
                let targets: Vec<&str> = match &input.target {
                    crate::domain::Target::Field(f) => vec![f.name()],
                    crate::domain::Target::Phone => vec!["mobile", "landline"],
                    _ => continue,
                };
                let raw = input.value(&s.values).trim().to_string();
                if raw.is_empty() {
                    continue;
                }
                for target in targets {
                    if let Some(v) = values.iter_mut().find(|v| v.field == target) {
                        v.raw.push((s.source.clone(), s.source_key.clone(), input.label.clone(), raw.clone()));
                    }
                }
            }
        }
        values.retain(|v| v.golden.is_some() || !v.raw.is_empty());
        let owner = c.owner.as_deref();
        if self.access.masks(owner) {
            for v in &mut values {
                let field = Field::parse(&v.field);
                let mask = |s: &str| match field.filter(|f| self.access.is_sensitive(*f)) {
                    Some(f) => self.access.field(owner, f, s).into_owned(),
                    None => self.access.text(owner, s).into_owned(),
                };
                v.golden = v.golden.as_deref().map(mask);
                for r in &mut v.raw {
                    r.3 = mask(&r.3);
                }
            }
        }
        Ok(SampledCustomer { number: c.number.clone(), name: c.name.clone(), values })
    }
}
