//! Erasure on request (PIPL): the one sanctioned path around "nothing is
//! ever lost" and around the append-only audit log.

use super::Workbench;
use crate::error::{Error, Result};
use crate::store::{self, customers, NewAudit};
use rusqlite::{params, TransactionBehavior};
use serde::Serialize;

/// What an erasure removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasureReport {
    /// The customer and every customer merged into it.
    pub customers: Vec<String>,
    pub source_records: usize,
    pub contacts: usize,
    pub phones: usize,
    pub emails: usize,
    pub interactions: usize,
    pub audit_entries: usize,
}

/// What erased text is replaced with.
pub const ERASED: &str = "[已删除 erased]";

/// Tables added by later features that hold a customer's personal data,
/// and how to clear them: (table, SQL run with ?1 = a JSON array of ids).
/// Kept in one list so a new table is one line here, and the erasure test
/// scans every table of the schema for leftovers.
const EXTRA_TABLES: &[(&str, &str)] = &[];

impl Workbench {
    /// Removes a customer's personal data everywhere — golden record,
    /// contacts, phones, e-mails, interaction texts, raw source rows and
    /// their history, import log lines about those rows, import
    /// before-images, audit values — leaving a tombstone (number, kind,
    /// dates, the `erased` flag) and one audit entry saying who erased it,
    /// when and why. Admins only; a reason is required.
    pub fn erase(&mut self, number: &str, reason: &str) -> Result<ErasureReport> {
        self.access.check_admin("erase customers")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::Invalid(
                "an erasure needs a reason (--reason \"…\"), e.g. the request's reference".into(),
            ));
        }
        let c = customers::find_by_number(self.store.conn(), number)?
            .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        // Freed pages are zeroed, so erased values do not linger in the file.
        self.store.conn().execute_batch("PRAGMA secure_delete = ON")?;
        let result = (|| -> Result<ErasureReport> {
            let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids: Vec<i64> = tx
                .prepare(
                    "WITH RECURSIVE members(id) AS (SELECT ?1 UNION SELECT c.id FROM customers c JOIN members m ON c.merged_into = m.id)
                     SELECT id FROM members",
                )?
                .query_map([c.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let ids_json = serde_json::to_string(&ids)?;
            let in_ids = "(SELECT value FROM json_each(?1))";
            let mut report = ErasureReport {
                customers: tx
                    .prepare(&format!("SELECT number FROM customers WHERE id IN {in_ids} ORDER BY id"))?
                    .query_map([&ids_json], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
                ..Default::default()
            };

            // Raw rows: the cells go, the row's place (source, batch, row) stays.
            let sources: Vec<(i64, String)> = tx
                .prepare(&format!("SELECT id, raw FROM source_records WHERE customer_id IN {in_ids}"))?
                .query_map([&ids_json], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            report.source_records = sources.len();
            for (id, raw) in &sources {
                let cells: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap_or_default();
                let erased = serde_json::to_string(&vec![ERASED; cells.len()])?;
                tx.execute(
                    "UPDATE source_records SET raw = ?2, source_key = 'erased-' || id WHERE id = ?1",
                    params![id, erased],
                )?;
            }
            let src_json = serde_json::to_string(&sources.iter().map(|s| s.0).collect::<Vec<_>>())?;
            // Log lines about those rows (in any batch that read them) quote values.
            tx.execute(
                &format!(
                    "UPDATE import_issues SET message = ?3, raw = NULL WHERE EXISTS (
                         SELECT 1 FROM source_records s WHERE s.id IN (SELECT value FROM json_each(?2))
                           AND s.batch_id = import_issues.batch_id AND s.row_number = import_issues.row_number)
                     OR EXISTS (SELECT 1 FROM source_record_history h
                         WHERE (h.customer_id IN {in_ids} OR h.source_record_id IN (SELECT value FROM json_each(?2)))
                           AND h.batch_id = import_issues.batch_id AND h.row_number = import_issues.row_number)"
                ),
                params![&ids_json, &src_json, ERASED],
            )?;
            tx.execute(
                &format!(
                    "DELETE FROM source_record_history WHERE customer_id IN {in_ids}
                     OR source_record_id IN (SELECT value FROM json_each(?2))"
                ),
                params![&ids_json, &src_json],
            )?;
            tx.execute(&format!("DELETE FROM batch_changes WHERE customer_id IN {in_ids}"), [&ids_json])?;
            report.interactions = tx.execute(
                &format!("UPDATE interactions SET summary = ?2, contact_id = NULL WHERE customer_id IN {in_ids}"),
                params![&ids_json, ERASED],
            )?;
            report.contacts =
                tx.execute(&format!("DELETE FROM contacts WHERE customer_id IN {in_ids}"), [&ids_json])?;
            report.phones =
                tx.execute(&format!("DELETE FROM customer_phones WHERE customer_id IN {in_ids}"), [&ids_json])?;
            report.emails =
                tx.execute(&format!("DELETE FROM customer_emails WHERE customer_id IN {in_ids}"), [&ids_json])?;
            tx.execute(&format!("DELETE FROM custom_values WHERE customer_id IN {in_ids}"), [&ids_json])?;
            for (_, sql) in EXTRA_TABLES {
                tx.execute(sql, [&ids_json])?;
            }
            // The tombstone: the number (so references resolve), kind and dates.
            let clear: Vec<String> = customers::TEXT_FIELDS
                .iter()
                .map(|f| format!("{} = NULL", f.name()))
                .chain(["name_region", "name_core", "name_legal", "name_branch"].map(|c| format!("{c} = NULL")))
                .collect();
            tx.execute(
                &format!(
                    "UPDATE customers SET name = ?2, {}, flags = 'erased', version = version + 1, updated_at = ?3
                     WHERE id IN {in_ids}",
                    clear.join(", ")
                ),
                params![&ids_json, ERASED, now],
            )?;
            // The audit log is append-only except here: its values about
            // these customers go, the fact that something happened stays.
            tx.execute("INSERT INTO erasure_guard (open) VALUES (1)", [])?;
            report.audit_entries = tx.execute(
                &format!("UPDATE audit_log SET details = '{{\"erased\":true}}' WHERE customer_id IN {in_ids}"),
                [&ids_json],
            )?;
            tx.execute("DELETE FROM erasure_guard", [])?;
            store::audit::append(
                &tx,
                &NewAudit {
                    actor: &actor,
                    action: "customer.erase",
                    entity: "customer",
                    entity_id: Some(&c.number),
                    customer_id: Some(c.id),
                    details: serde_json::json!({ "reason": reason, "customers": report.customers,
                        "source_records": report.source_records }),
                },
                &now,
            )?;
            tx.commit()?;
            Ok(report)
        })();
        self.store.conn().execute_batch("PRAGMA secure_delete = FAST")?;
        let report = result?;
        // The WAL still holds the pages as they were written: fold it into
        // the (zeroed) database and empty it.
        let _ = self.store.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(report)
    }
}
