//! The filtered customer list (`crmwb customers --status/--owner/--flag/
//! --search`), paged by id so a million customers never sit in memory.

use super::customers::{row_to_customer, CUSTOMER_COLUMNS};
use crate::domain::{Customer, Field};
use crate::error::{Error, Result};
use rusqlite::{types::Value, Connection};

/// Conditions on the list; all given ones must hold.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// A status, any of its accepted wordings (意向, interested, …).
    pub status: Option<String>,
    pub owner: Option<String>,
    /// A quality flag, e.g. 待完善.
    pub flag: Option<String>,
    /// The workbench's search (`Workbench::search_customers`).
    pub search: Option<String>,
}

impl CustomerFilter {
    pub fn is_empty(&self) -> bool {
        [&self.status, &self.owner, &self.flag, &self.search]
            .iter()
            .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
    }

    /// The filter with its status in stored form; an unknown status is an
    /// error naming the rule, not an empty list.
    pub fn normalised(&self) -> Result<CustomerFilter> {
        let mut f = self.clone();
        if let Some(s) = &self.status {
            f.status = crate::domain::validate::normalize_field(Field::Status, s)
                .map_err(|i| Error::Invalid(format!("--status: [{}] {}", i.rule, i.message)))?;
        }
        Ok(f)
    }
}

/// Whose values of a field a search may look at: a role that sees a field
/// masked must not find a customer by it (by the digits of a hidden phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    All,
    /// Customers whose owner (trimmed) is one of these names.
    Owners(Vec<String>),
    Nobody,
}

impl Visible {
    /// ` AND <owner condition>` with its values, or None when no customer's
    /// value may be searched.
    fn guard(&self) -> Option<(&'static str, Vec<Value>)> {
        match self {
            Visible::All => Some(("", Vec::new())),
            Visible::Owners(names) => Some((
                " AND trim(coalesce(owner, '')) IN (SELECT value FROM json_each(?))",
                vec![Value::Text(serde_json::to_string(names).unwrap_or_else(|_| "[]".into()))],
            )),
            Visible::Nobody => None,
        }
    }
}

fn like(s: &str) -> String {
    let mut out = String::from("%");
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// A page of live customers matching `f` after `after_id`, in id order.
/// Its `search` is not applied here: the search is the service's
/// (`Workbench::search_customers`), one for the CLI and the workbench.
pub fn page_filtered(conn: &Connection, f: &CustomerFilter, after_id: i64, limit: usize) -> Result<Vec<Customer>> {
    let mut sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id > ?1 AND merged_into IS NULL");
    let mut values: Vec<Value> = vec![Value::Integer(after_id), Value::Integer(limit as i64)];
    let mut add = |cond: &str, v: Vec<Value>, sql: &mut String| {
        // Each `?` of `cond` takes the next value, numbered after the ones before.
        let mut parts = cond.split('?');
        sql.push_str(" AND ");
        sql.push_str(parts.next().unwrap_or(""));
        for (part, v) in parts.zip(v) {
            values.push(v);
            sql.push_str(&format!("?{}{part}", values.len()));
        }
    };
    if let Some(s) = &f.status {
        add("status = ?", vec![Value::Text(s.clone())], &mut sql);
    }
    if let Some(o) = f.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        add("owner = ?", vec![Value::Text(o.to_string())], &mut sql);
    }
    if let Some(flag) = f.flag.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        add("(';' || flags || ';') LIKE ? ESCAPE '\\'", vec![Value::Text(like(&format!(";{flag};")))], &mut sql);
    }
    sql.push_str(" ORDER BY id LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), row_to_customer)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live customers with an e-mail address (any of theirs) containing
/// `fragment`, compared in lower case, in id order: the search's e-mail
/// lookup. `visible` says whose e-mails may be looked at.
pub fn ids_by_email_fragment(conn: &Connection, fragment: &str, visible: &Visible) -> Result<Vec<i64>> {
    let Some((guard, gv)) = visible.guard() else { return Ok(Vec::new()) };
    let mut values = vec![Value::Text(like(&fragment.to_lowercase()))];
    values.extend(gv);
    let guard = guard.replace('?', "?2");
    let sql = format!(
        "SELECT id FROM customers WHERE merged_into IS NULL
            AND id IN (SELECT customer_id FROM customer_emails WHERE email LIKE ?1 ESCAPE '\\'){guard}
          ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The column the workbench list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Customer number, i.e. creation order.
    #[default]
    Number,
    Name,
    Status,
    Owner,
    NextFollowup,
}

impl SortKey {
    pub const ALL: [SortKey; 5] =
        [SortKey::Number, SortKey::Name, SortKey::Status, SortKey::Owner, SortKey::NextFollowup];

    pub fn field(self) -> Field {
        match self {
            SortKey::Number => Field::Number,
            SortKey::Name => Field::Name,
            SortKey::Status => Field::Status,
            SortKey::Owner => Field::Owner,
            SortKey::NextFollowup => Field::NextFollowup,
        }
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::Number => "id",
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::Owner => "owner",
            SortKey::NextFollowup => "next_followup",
        }
    }
}

/// The ids of live customers matching `f` (its `search` is ignored: the
/// workbench filters by its own fuzzy index), sorted by `key`; customers
/// without a value sort last either way, ties by id.
///
/// Each part is read in the order of a `customers_live_*` index, so a
/// million ids come from an index scan, not a scan and sort of the table.
pub fn sorted_ids(conn: &Connection, f: &CustomerFilter, key: SortKey, descending: bool) -> Result<Vec<i64>> {
    let mut cond = String::from("merged_into IS NULL");
    let mut values: Vec<Value> = Vec::new();
    if let Some(s) = &f.status {
        values.push(Value::Text(s.clone()));
        cond.push_str(&format!(" AND status = ?{}", values.len()));
    }
    if let Some(o) = f.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        values.push(Value::Text(o.to_string()));
        cond.push_str(&format!(" AND owner = ?{}", values.len()));
    }
    if let Some(flag) = f.flag.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        values.push(Value::Text(like(&format!(";{flag};"))));
        cond.push_str(&format!(" AND (';' || flags || ';') LIKE ?{} ESCAPE '\\'", values.len()));
    }
    let dir = if descending { "DESC" } else { "ASC" };
    let read = |sql: String| -> Result<Vec<i64>> {
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    if key == SortKey::Number {
        return read(format!("SELECT id FROM customers WHERE {cond} ORDER BY id {dir}"));
    }
    let col = key.column();
    let mut ids = read(format!("SELECT id FROM customers WHERE {cond} AND {col} > '' ORDER BY {col} {dir}, id {dir}"))?;
    // The empty ones last, in number order: NULL and '' are two ranges of the index.
    let nulls = read(format!("SELECT id FROM customers WHERE {cond} AND {col} IS NULL ORDER BY {col}, id"))?;
    let blanks = read(format!("SELECT id FROM customers WHERE {cond} AND {col} = '' ORDER BY {col}, id"))?;
    let (mut a, mut b) = (nulls.into_iter().peekable(), blanks.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        ids.extend(if x < y { a.next() } else { b.next() });
    }
    ids.extend(a.chain(b));
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Workbench;

    #[test]
    fn sorted_ids_put_empty_values_last_both_ways_and_read_an_index() {
        let mut wb = Workbench::open_in_memory("admin").unwrap();
        let mut add = |name: &str, owner: Option<&str>| {
            let mut sets = vec![("name".to_string(), name.to_string())];
            if let Some(o) = owner {
                sets.push(("owner".into(), o.into()));
            }
            wb.add_customer(&sets).unwrap().id
        };
        let (a, b, c, d) =
            (add("甲公司", Some("wang")), add("乙公司", None), add("丙公司", Some("li")), add("丁公司", None));
        let conn = wb.store().conn();
        conn.execute("UPDATE customers SET owner = '' WHERE id = ?1", [d]).unwrap();
        let f = CustomerFilter::default();
        assert_eq!(sorted_ids(conn, &f, SortKey::Owner, false).unwrap(), [c, a, b, d]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Owner, true).unwrap(), [a, c, b, d]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Number, true).unwrap(), [d, c, b, a]);
        let only = CustomerFilter { owner: Some("li".into()), ..Default::default() };
        assert_eq!(sorted_ids(conn, &only, SortKey::Name, false).unwrap(), [c]);
        // The list is read from the live-customer indexes, never sorted in a temporary b-tree.
        for (col, index) in
            [("name", "customers_live_name"), ("owner", "customers_live_owner"), ("id", "customers_live_id")]
        {
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT id FROM customers WHERE merged_into IS NULL ORDER BY {col}"
                ))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let plan = plan.join("; ");
            assert!(plan.contains(index) && !plan.contains("TEMP B-TREE"), "{col}: {plan}");
        }
    }
}
