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
    /// Merges whose snapshots were cleared (they can no longer be undone).
    pub merges: usize,
    pub audit_entries: usize,
}

/// What erased text is replaced with.
pub const ERASED: &str = "[已删除 erased]";

/// What a snapshot or a before-image that held erased values becomes.
pub(crate) const ERASED_JSON: &str = r#"{"erased":true}"#;

/// Merges whose snapshots hold an erased person's values: those into an
/// erased survivor, and undone ones an erased customer took part in. A live
/// merge an erased customer was split out of keeps its snapshots (they are
/// the survivor's own, recomputed without the erased member) so its other
/// members can still be split out. ?1 = a JSON array of customer ids.
const ERASED_MERGES: &str = "SELECT id FROM merges WHERE survivor_id IN (SELECT value FROM json_each(?1))
     OR (undone_at IS NOT NULL AND id IN (SELECT merge_id FROM merge_members WHERE customer_id IN (SELECT value FROM json_each(?1))))";

/// Every merge an erased customer took part in, as survivor or member:
/// their audit entries quote the field values each member brought.
const TOUCHED_MERGES: &str = "SELECT id FROM merges WHERE survivor_id IN (SELECT value FROM json_each(?1))
     OR id IN (SELECT merge_id FROM merge_members WHERE customer_id IN (SELECT value FROM json_each(?1)))";

/// Tables added by later features that hold a customer's personal data (or
/// values derived from it), and how to clear them: (table, SQL run with
/// ?1 = a JSON array of ids). Kept in one list so a new table is one line
/// here, and the erasure test scans every table of the schema for leftovers.
const EXTRA_TABLES: &[(&str, &str)] = &[
    // Notes typed when completing a reminder.
    (
        "reminder_states",
        "UPDATE reminder_states SET note = NULL WHERE note IS NOT NULL AND customer_id IN (SELECT value FROM json_each(?1))",
    ),
    // Hashes of the blocking values (name, phone, e-mail…): a phone's hash
    // is found again by hashing every number, so they go.
    ("match_keys", "DELETE FROM match_keys WHERE customer_id IN (SELECT value FROM json_each(?1))"),
    ("match_customer_keys", "DELETE FROM match_customer_keys WHERE customer_id IN (SELECT value FROM json_each(?1))"),
    (
        "match_pairs",
        "DELETE FROM match_pairs WHERE a IN (SELECT value FROM json_each(?1)) OR b IN (SELECT value FROM json_each(?1))",
    ),
    // No index on b here: a scan, as rare as erasure requests are.
    (
        "match_pairs_low",
        "DELETE FROM match_pairs_low WHERE a IN (SELECT value FROM json_each(?1)) OR b IN (SELECT value FROM json_each(?1))",
    ),
    (
        "match_pairs_low_b",
        "DELETE FROM match_pairs_low_b WHERE a IN (SELECT value FROM json_each(?1)) OR b IN (SELECT value FROM json_each(?1))",
    ),
    ("match_pairs_stale", "DELETE FROM match_pairs_stale WHERE customer_id IN (SELECT value FROM json_each(?1))"),
    // A cluster with a tombstone in it is no longer a question to review.
    (
        "match_clusters",
        "UPDATE match_clusters SET state = 'superseded' WHERE state = 'open' AND id IN
             (SELECT cluster_id FROM match_cluster_members WHERE customer_id IN (SELECT value FROM json_each(?1)))",
    ),
];

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
            // An undo part-way through restores these customers from its
            // before-images: erase after it, or the undo brings values back.
            for &id in &ids {
                super::import::refuse_if_undoing(&tx, id)?;
            }
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
            // Before-images of rows a merge or a move changed: a contact's
            // details before they were filled, a custom value, an archived
            // phone or e-mail.
            tx.execute(
                &format!(
                    "UPDATE merge_rows SET before = ?2 WHERE from_customer IN {in_ids} OR merge_id IN ({ERASED_MERGES})
                        OR move_id IN (SELECT id FROM source_moves WHERE from_customer IN {in_ids} OR to_customer IN {in_ids})"
                ),
                params![&ids_json, ERASED_JSON],
            )?;
            // The golden records before and after each merge, and its field
            // choices; an unmerge of such a merge is refused (`unmerge_in`).
            report.merges = tx.execute(
                &format!("UPDATE merges SET before = ?2, after = ?2, choices = ?2 WHERE id IN ({ERASED_MERGES})"),
                params![&ids_json, ERASED_JSON],
            )?;
            // The tombstone: the number (so references resolve), kind and dates.
            let clear: Vec<String> = customers::TEXT_FIELDS
                .iter()
                .map(|f| format!("{} = NULL", f.name()))
                .chain(
                    ["name_region", "name_core", "name_legal", "name_branch", "name_sort"]
                        .map(|c| format!("{c} = NULL")),
                )
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
            // these customers go, the fact that something happened stays,
            // and so do the entries' seals (store::audit). This erasure's
            // own entry lists the entries it blanked, which is what lets
            // `check` tell them from tampering. Earlier erasure entries keep
            // their lists (they hold numbers and a reason, no personal values).
            let blanked: Vec<i64> = tx
                .prepare(&format!(
                    "SELECT id FROM audit_log WHERE (customer_id IN {in_ids}
                        OR (entity = 'merge' AND entity_id IN (SELECT CAST(id AS TEXT) FROM ({TOUCHED_MERGES}))))
                        AND action <> 'customer.erase' ORDER BY id"
                ))?
                .query_map([&ids_json], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            report.audit_entries = store::audit::blank(&tx, &blanked)?;
            store::audit::append(
                &tx,
                &NewAudit {
                    actor: &actor,
                    action: "customer.erase",
                    entity: "customer",
                    entity_id: Some(&c.number),
                    customer_id: Some(c.id),
                    details: serde_json::json!({ "reason": reason, "customers": report.customers,
                        "source_records": report.source_records, (store::audit::BLANKED_KEY): blanked }),
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
