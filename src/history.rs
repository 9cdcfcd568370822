//! The audit trail as people read it: one sentence per entry, old → new per
//! field, stamped in the reader's local time zone. The one formatting used
//! by the workbench's History and by `crmwb audit` (whose `--json` keeps the
//! raw entries for machines). Every value is sanitised: it may come from an
//! imported file.

use crate::display::sanitize_lines;
use crate::domain::AuditEntry;
use serde_json::Value;

/// An audit entry ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When, in local time (`2026-12-06 18:26`).
    pub at: String,
    /// Who, with the admin who acted as them (`li (by root --as)`).
    pub who: String,
    /// What happened, as a sentence.
    pub what: String,
}

/// One entry as a line of history.
pub fn history_line(e: &AuditEntry) -> HistoryLine {
    let who = match &e.real_actor {
        Some(real) => tr!("hist-by-as", actor = clean(&e.actor), real = clean(real)),
        None => clean(&e.actor),
    };
    HistoryLine { at: local_time(&e.at), who, what: sentence(e) }
}

/// A stored UTC stamp (`2026-12-06T17:26:54Z`) in the local time zone (the
/// `TZ` environment variable, else the system's), to the minute. A stamp
/// that does not parse is shown as stored.
pub fn local_time(stamp: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stamp) {
        Ok(t) => t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => clean(stamp),
    }
}

/// One line of inert text (newlines shown as ` / `).
fn clean(s: &str) -> String {
    sanitize_lines(s).join(" / ")
}

/// A JSON value as text: `—` for none, strings sanitised, lists joined.
fn val(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => clean(s),
        Value::Array(a) if a.is_empty() => "—".into(),
        Value::Array(a) => a.iter().map(val).collect::<Vec<_>>().join(", "),
        Value::Object(_) => clean(&v.to_string()),
        other => other.to_string(),
    }
}

fn text<'a>(d: &'a Value, k: &str) -> Option<&'a str> {
    d[k].as_str().filter(|s| !s.is_empty())
}

/// ` (reason …)` when the entry gives one.
fn reason(d: &Value) -> String {
    text(d, "reason").map(|r| tr!("hist-reason", r = clean(r))).unwrap_or_default()
}

/// `FIELD old → new` for each change.
fn changes(list: &Value) -> String {
    let parts: Vec<String> = list
        .as_array()
        .map(|a| a.iter().map(|c| format!("{} {} → {}", val(&c["field"]), val(&c["old"]), val(&c["new"]))).collect())
        .unwrap_or_default();
    parts.join("; ")
}

/// `label old → new` for a `[old, new]` pair that changed, else nothing.
fn pair(d: &Value, k: &str, label: &str) -> Option<String> {
    let p = d[k].as_array()?;
    let (old, new) = (p.first()?, p.get(1)?);
    (old != new).then(|| format!("{label} {} → {}", val(old), val(new)))
}

fn counts(d: &Value) -> String {
    let c = &d["counts"];
    let n = |k: &str| c[k].as_i64().unwrap_or(0);
    tr!(
        "hist-counts",
        read = n("read"),
        imported = n("imported"),
        updated = n("updated"),
        unchanged = n("unchanged"),
        rejected = n("rejected")
    )
}

/// Whatever an entry's details hold, as `key value` pairs (for the entries
/// without a sentence of their own).
fn generic(d: &Value) -> String {
    match d {
        Value::Object(m) => m
            .iter()
            .filter(|(k, v)| !v.is_null() && !k.starts_with("version") && *k != "signature")
            .map(|(k, v)| format!("{} {}", clean(k), val(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => val(other),
    }
}

/// What an audit entry records, as a sentence: `status 潜在客户 → 意向客户
/// (reason …)`, `name 甲 → 乙; mobile — → 13800001111`.
pub fn sentence(e: &AuditEntry) -> String {
    let d = &e.details;
    match e.action.as_str() {
        "customer.status" => {
            let mut s = tr!("hist-status", from = val(&d["from"]), to = val(&d["to"]));
            if let Some(no) = text(d, "contract_no") {
                s.push_str(&tr!("hist-contract", no = clean(no)));
            }
            if let Some(on) = text(d, "contract_signed") {
                s.push_str(&tr!("hist-signed", on = clean(on)));
            }
            s + &reason(d)
        }
        "customer.edit" => {
            let c = changes(&d["changes"]);
            let own: Vec<String> = d["own_rows"].as_array().map(|a| a.iter().map(val).collect()).unwrap_or_default();
            match (c.is_empty(), own.is_empty()) {
                (false, true) => c,
                (false, false) => format!("{c}; {}", tr!("hist-edited-own-rows", fields = own.join(", "))),
                (true, false) => tr!("hist-edited-own-rows", fields = own.join(", ")),
                (true, true) => tr!("hist-edited-none"),
            }
        }
        "customer.create" => {
            let name = d["fields"]["name"].as_str().map(clean).unwrap_or_else(|| "—".into());
            let n = d["fields"].as_object().map_or(0, |m| m.len());
            tr!("hist-created", name = name, n = n)
        }
        "contact.add" => {
            let title = text(d, "title").map(|t| format!(" ({})", clean(t))).unwrap_or_default();
            tr!("hist-contact", name = val(&d["name"]), title = title)
        }
        "interaction.log" => {
            let kind = d["kind"].as_str().map_or_else(|| val(&d["kind"]), |k| crate::i18n::value("interaction", k));
            let mut s = tr!("hist-interaction", kind = kind, at = val(&d["at"]), summary = val(&d["summary"]));
            if let Some(c) = text(d, "contact") {
                s.push_str(&tr!("hist-with", c = clean(c)));
            }
            for p in [pair(d, "last_followup", &tr!("hist-last-fu")), pair(d, "next_followup", &tr!("hist-next-fu"))]
                .into_iter()
                .flatten()
            {
                s.push_str(&format!("; {p}"));
            }
            s
        }
        "followup.done" => {
            let rules = rules_of(d);
            tr!("hist-fu-done", rules = rules, note = val(&d["note"]))
        }
        "followup.snooze" => {
            tr!("hist-snoozed", rules = rules_of(d), length = val(&d["for"]), until = val(&d["until"]))
        }
        "followup.unsnooze" => tr!("hist-unsnoozed", rules = rules_of(d)),
        "customer.merge" => {
            tr!(
                "hist-merge",
                absorbed = val(&d["absorbed"]),
                survivor = val(&d["survivor"]),
                merge = d["merge"].to_string()
            )
        }
        "customer.merged_into" => {
            tr!("hist-merged-into", survivor = val(&d["survivor"]), merge = d["merge"].to_string())
        }
        "customer.unmerge" => {
            let (merge, survivor) = (d["merge"].to_string(), val(&d["survivor"]));
            let mut s = if d["whole"].as_bool() == Some(true) {
                tr!("hist-unmerge-undone", merge = merge, survivor = survivor)
            } else {
                tr!("hist-unmerge-split", merge = merge, survivor = survivor)
            };
            if d["kept_edited"].as_array().is_some_and(|a| !a.is_empty()) {
                s.push_str(&tr!("hist-kept-edited", fields = val(&d["kept_edited"])));
            }
            s
        }
        "customer.unmerged" => {
            tr!("hist-unmerged", survivor = val(&d["survivor"]), merge = d["merge"].to_string())
        }
        "source.move" => tr!(
            "hist-source-move",
            source = val(&d["source"]),
            key = val(&d["key"]),
            from = val(&d["from"]),
            to = val(&d["to"])
        ),
        "match.approve" => {
            tr!("hist-approve", merged = val(&d["merged"]), survivor = val(&d["survivor"]))
                + &text_list(d, "dropped", &tr!("hist-left-out"))
        }
        "match.reject" => tr!("hist-reject", members = val(&d["members"])),
        "match.skip" => tr!("hist-skip"),
        "match.drop" => tr!("hist-drop", dropped = val(&d["dropped"])),
        "match.run" => {
            tr!("hist-match-run", mode = val(&d["mode"]), pairs = val(&d["pairs"]), open = val(&d["clusters_open"]))
        }
        "import" | "import.resume" => {
            let (source, status) = (
                val(&d["source"]),
                d["status"].as_str().map_or_else(|| val(&d["status"]), |s| crate::i18n::value("batch", s)),
            );
            let mut s = if e.action == "import" {
                tr!("hist-import", source = source, status = status, counts = counts(d))
            } else {
                tr!("hist-import-resumed", source = source, status = status, counts = counts(d))
            };
            if let Some(err) = text(d, "error") {
                s.push_str(&tr!("hist-stopped", err = clean(err)));
            }
            s
        }
        // An undo is audited as a pair: 'undoing' with its first chunk,
        // 'undone' with its last (older entries have no status).
        "import.undo" if text(d, "status") == Some("undoing") => tr!(
            "hist-import-undo-begun",
            source = val(&d["source"]),
            file = val(&d["file"]),
            removed = val(&d["customers_removed"]),
            restored = val(&d["customers_restored"])
        ),
        "import.undo" => {
            let chunks = d["chunks"].as_i64().map(|n| tr!("hist-import-undo-chunks", n = n)).unwrap_or_default();
            tr!(
                "hist-import-undo",
                source = val(&d["source"]),
                file = val(&d["file"]),
                removed = val(&d["customers_removed"]),
                restored = val(&d["customers_restored"]),
                chunks = chunks
            )
        }
        "customer.erase" => tr!("hist-erase", reason = reason(d)),
        _ => match generic(d) {
            g if g.is_empty() => clean(&e.action),
            g => format!("{}: {g}", clean(&e.action)),
        },
    }
}

/// ` (RULE, RULE)` for the reminders an entry names.
fn rules_of(d: &Value) -> String {
    let rules: Vec<String> =
        d["reminders"].as_array().map(|a| a.iter().map(|r| val(&r["rule"])).collect()).unwrap_or_default();
    if rules.is_empty() {
        String::new()
    } else {
        format!(" ({})", rules.join(", "))
    }
}

fn text_list(d: &Value, k: &str, prefix: &str) -> String {
    match d[k].as_array() {
        Some(a) if !a.is_empty() => format!("{prefix}{}", val(&d[k])),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, details: Value) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: "2026-12-06T17:26:54Z".into(),
            actor: "wang".into(),
            action: action.into(),
            entity: "customer".into(),
            entity_id: Some("CRM2026-000001".into()),
            customer_id: Some(1),
            details,
            real_actor: None,
        }
    }

    /// Issue 16, finding 13: history reads as sentences, old → new per field.
    #[test]
    fn finding_16_13_history_reads_as_sentences() {
        let e = entry(
            "customer.status",
            serde_json::json!({"from": "潜在客户", "to": "意向客户", "reason": "演示\n后有兴趣", "version_before": 3}),
        );
        assert_eq!(sentence(&e), "status 潜在客户 → 意向客户 (reason 演示 / 后有兴趣)");
        let e = entry(
            "customer.edit",
            serde_json::json!({"version_before": 1, "version": 2, "changes": [
                {"field": "owner", "old": "林峰", "new": "郭鹏"},
                {"field": "mobile", "old": null, "new": "13800001111"}], "warnings": []}),
        );
        assert_eq!(sentence(&e), "owner 林峰 → 郭鹏; mobile — → 13800001111");
        // A value typed in as shown changes nothing, but the row it gets is said.
        let e = entry("customer.edit", serde_json::json!({"changes": [], "own_rows": ["mobile", "email"]}));
        assert_eq!(sentence(&e), "typed in as shown: mobile, email now the customer's own (it stays at an unmerge)");
        let e = entry("customer.edit", serde_json::json!({"changes": []}));
        assert_eq!(sentence(&e), "edited (no field changed)");
        let e = entry(
            "customer.edit",
            serde_json::json!({"changes": [{"field": "name", "old": "甲", "new": "乙"}], "own_rows": ["mobile"]}),
        );
        assert_eq!(
            sentence(&e),
            "name 甲 → 乙; typed in as shown: mobile now the customer's own (it stays at an unmerge)"
        );
        // Values are inert text: no escape sequence reaches the terminal.
        let e = entry(
            "customer.edit",
            serde_json::json!({"changes": [{"field": "name", "old": "a\u{1b}[31m", "new": "b\u{202e}"}]}),
        );
        let s = sentence(&e);
        assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s}");
        // Entries without a sentence of their own still read as words, not JSON.
        let e = entry("database.backup", serde_json::json!({"file": "/tmp/b.db", "bytes": 4096}));
        assert_eq!(sentence(&e), "database.backup: bytes 4096, file /tmp/b.db");
    }

    /// Issue 16, finding 13: timestamps in the reader's local time zone.
    #[test]
    fn finding_16_13_history_in_local_time() {
        let utc = chrono::DateTime::parse_from_rfc3339("2026-12-06T17:26:54Z").unwrap();
        let want = utc.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string();
        assert_eq!(local_time("2026-12-06T17:26:54Z"), want);
        assert_eq!(local_time("not a stamp\u{1b}"), "not a stamp^[");
    }
}
