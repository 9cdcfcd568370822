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
    /// Customers owned under any of these names (none: any owner). "Mine"
    /// is a user's login and display name (`linfeng`, `林峰`).
    pub owners: Vec<String>,
    /// A quality flag, e.g. 待完善.
    pub flag: Option<String>,
    /// The workbench's search (`Workbench::search_customers`).
    pub search: Option<String>,
}

impl CustomerFilter {
    pub fn is_empty(&self) -> bool {
        self.owners().is_empty()
            && [&self.status, &self.flag, &self.search].iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
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

    /// The owner names to match, trimmed, blanks dropped, each once.
    pub fn owners(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for o in self.owners.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }
}

/// `owner IN (?n, ?n+1, …)` for `count` owners whose values start at
/// parameter `first`: one range of `customers_live_owner` per name.
pub(crate) fn owner_in(column: &str, first: usize, count: usize) -> String {
    let marks: Vec<String> = (first..first + count).map(|i| format!("?{i}")).collect();
    format!("{column} IN ({})", marks.join(", "))
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
    let owners = f.owners();
    if !owners.is_empty() {
        let marks = vec!["?"; owners.len()].join(", ");
        add(&format!("owner IN ({marks})"), owners.iter().map(|o| Value::Text(o.to_string())).collect(), &mut sql);
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
            // The pinyin key of the name (migration 0014_name_sort).
            SortKey::Name => "name_sort",
            SortKey::Status => "status",
            SortKey::Owner => "owner",
            SortKey::NextFollowup => "next_followup",
        }
    }
}

/// The WHERE terms of `f` (live customers, status, owners, flag) with their
/// values, numbered from ?1.
fn conditions(f: &CustomerFilter) -> (String, Vec<Value>) {
    let mut cond = String::from("merged_into IS NULL");
    let mut values: Vec<Value> = Vec::new();
    if let Some(s) = &f.status {
        values.push(Value::Text(s.clone()));
        cond.push_str(&format!(" AND status = ?{}", values.len()));
    }
    let owners = f.owners();
    if !owners.is_empty() {
        cond.push_str(&format!(" AND {}", owner_in("owner", values.len() + 1, owners.len())));
        values.extend(owners.iter().map(|o| Value::Text(o.to_string())));
    }
    if let Some(flag) = f.flag.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        values.push(Value::Text(like(&format!(";{flag};"))));
        cond.push_str(&format!(" AND (';' || flags || ';') LIKE ?{} ESCAPE '\\'", values.len()));
    }
    (cond, values)
}

/// The ids of live customers matching `f` (its `search` is ignored: the
/// workbench filters by its own fuzzy index), sorted by `key`; customers
/// without a value sort last either way, ties by id.
///
/// Names sort by pinyin (`name_sort`), statuses by the lifecycle
/// (潜在客户 → 意向客户 → 成交客户 → 流失客户, then any other value by code
/// point), owners by the pinyin of their names.
///
/// Each part is read in the order of a `customers_live_*` index, so a
/// million ids come from an index scan, not a scan and sort of the table.
pub fn sorted_ids(conn: &Connection, f: &CustomerFilter, key: SortKey, descending: bool) -> Result<Vec<i64>> {
    let (cond, values) = conditions(f);
    let dir = if descending { "DESC" } else { "ASC" };

    let read = |sql: String, extra: &[Value]| -> Result<Vec<i64>> {
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter().chain(extra)), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    if key == SortKey::Number {
        return read(format!("SELECT id FROM customers WHERE {cond} ORDER BY id {dir}"), &[]);
    }
    let col = key.column();
    let mut ids = match key {
        SortKey::Status => status_order(conn, &cond, &values, descending)?,
        SortKey::Owner => owner_order(conn, &cond, &values, descending)?,
        _ => read(format!("SELECT id FROM customers WHERE {cond} AND {col} > '' ORDER BY {col} {dir}, id {dir}"), &[])?,
    };
    // The empty ones last, in number order: NULL and '' are two ranges of the index.
    let nulls = read(format!("SELECT id FROM customers WHERE {cond} AND {col} IS NULL ORDER BY {col}, id"), &[])?;
    let blanks = read(format!("SELECT id FROM customers WHERE {cond} AND {col} = '' ORDER BY {col}, id"), &[])?;
    let (mut a, mut b) = (nulls.into_iter().peekable(), blanks.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        ids.extend(if x < y { a.next() } else { b.next() });
    }
    ids.extend(a.chain(b));
    Ok(ids)
}

/// The customers with a status, in lifecycle order: each status of
/// `Status::ALL` is one range of `customers_live_status`, read in turn; a
/// value outside the lifecycle (an import keeps what it cannot place) comes
/// after them, by code point. Descending reverses all of it.
fn status_order(conn: &Connection, cond: &str, values: &[Value], descending: bool) -> Result<Vec<i64>> {
    use crate::domain::Status;
    let dir = if descending { "DESC" } else { "ASC" };
    let n = values.len() + 1;
    let one = |status: &str| -> Result<Vec<i64>> {
        let sql = format!("SELECT id FROM customers WHERE {cond} AND status = ?{n} ORDER BY id {dir}");
        let mut stmt = conn.prepare_cached(&sql)?;
        let extra = [Value::Text(status.to_string())];
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter().chain(&extra)), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    // The values outside the lifecycle lie in the gaps between the known
    // ones: one range read per gap (each empty, or nearly), ascending.
    let mut known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    known.sort_unstable();
    let mut others = Vec::new();
    let bounds: Vec<(&str, Option<&str>)> =
        std::iter::once("").chain(known.iter().copied()).zip(known.iter().copied().map(Some).chain([None])).collect();
    for (low, high) in bounds {
        let mut extra = vec![Value::Text(low.to_string())];
        let mut sql = format!("SELECT id FROM customers WHERE {cond} AND status > ?{n}");
        if let Some(h) = high {
            extra.push(Value::Text(h.to_string()));
            sql.push_str(&format!(" AND status < ?{}", n + 1));
        }
        sql.push_str(" ORDER BY status, id");
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter().chain(&extra)), |r| r.get::<_, i64>(0))?;
        others.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    if descending {
        others.reverse();
    }
    let mut parts = Vec::with_capacity(Status::ALL.len() + 1);
    for s in Status::ALL {
        parts.push(one(s.as_str())?);
    }
    parts.push(others);
    if descending {
        parts.reverse();
    }
    Ok(parts.concat())
}

/// The customers with an owner, owners by the pinyin of their names: the
/// index gives each owner's customers as one run (ids in order), and the
/// runs, one per owner (a few hundred at most), are put in pinyin order.
fn owner_order(conn: &Connection, cond: &str, values: &[Value], descending: bool) -> Result<Vec<i64>> {
    let dir = if descending { "DESC" } else { "ASC" };
    let sql = format!("SELECT owner, id FROM customers WHERE {cond} AND owner > '' ORDER BY owner {dir}, id {dir}");
    let mut stmt = conn.prepare(&sql)?;
    let mut runs: Vec<(String, Vec<i64>)> = Vec::new();
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(1)?;
        let same = match r.get_ref(0)? {
            rusqlite::types::ValueRef::Text(t) => runs.last().is_some_and(|(o, _)| o.as_bytes() == t),
            _ => false,
        };
        if same {
            if let Some((_, ids)) = runs.last_mut() {
                ids.push(id);
            }
        } else {
            runs.push((r.get(0)?, vec![id]));
        }
    }
    let mut keyed: Vec<(String, Vec<i64>)> =
        runs.into_iter().map(|(o, ids)| (crate::clean::text::name_sort_key(&o), ids)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        keyed.reverse();
    }
    Ok(keyed.into_iter().flat_map(|(_, ids)| ids).collect())
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
        let only = CustomerFilter { owners: vec!["li".into()], ..Default::default() };
        assert_eq!(sorted_ids(conn, &only, SortKey::Name, false).unwrap(), [c]);
        // The list is read from the live-customer indexes, never sorted in a temporary b-tree.
        for (col, index) in [
            ("name_sort", "customers_live_name_sort"),
            ("owner", "customers_live_owner"),
            ("next_followup", "customers_live_next"),
            ("id", "customers_live_id"),
        ] {
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
    /// "Mine" is a set of owners (login and display name): both lists read
    /// `customers_live_owner`, one range per name, never a scan of the table.
    #[test]
    fn mine_matches_a_set_of_owners_through_the_owner_index() {
        let mut wb = Workbench::open_in_memory("admin").unwrap();
        let mut add = |name: &str, owner: &str| {
            let sets = vec![("name".to_string(), name.to_string()), ("owner".to_string(), owner.to_string())];
            wb.add_customer(&sets).unwrap().id
        };
        let (a, b, c, d) =
            (add("甲公司", "linfeng"), add("乙公司", "wang"), add("丙公司", "林峰"), add("丁公司", "林峰"));
        let conn = wb.store().conn();
        let mine =
            CustomerFilter { owners: vec!["linfeng".into(), "林峰".into(), " 林峰 ".into()], ..Default::default() };
        assert_eq!(mine.owners(), ["linfeng", "林峰"]);
        assert_eq!(sorted_ids(conn, &mine, SortKey::Number, false).unwrap(), [a, c, d]);
        let mut by_owner = sorted_ids(conn, &mine, SortKey::Owner, false).unwrap();
        by_owner.sort_unstable();
        assert_eq!(by_owner, [a, c, d]);
        assert_eq!(sorted_ids(conn, &mine, SortKey::Name, true).unwrap(), [a, d, c], "甲 jia, 丁 ding, 丙 bing");
        let page: Vec<i64> = page_filtered(conn, &mine, 0, 10).unwrap().iter().map(|c| c.id).collect();
        assert_eq!(page, [a, c, d]);
        let one = CustomerFilter { owners: vec!["wang".into()], ..Default::default() };
        assert_eq!(sorted_ids(conn, &one, SortKey::Number, false).unwrap(), [b]);
        assert!(!mine.is_empty() && CustomerFilter { owners: vec![" ".into()], ..Default::default() }.is_empty());
        let (cond, values) = conditions(&mine);
        for sql in [
            format!("SELECT id FROM customers WHERE {cond} ORDER BY id"),
            format!("SELECT id FROM customers WHERE {cond} AND owner > '' ORDER BY owner, id"),
            format!("SELECT id FROM customers WHERE id > 0 AND {cond} ORDER BY id LIMIT 100"),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let plan = plan.join("; ");
            assert!(plan.contains("customers_live_owner (owner=?"), "{sql}: {plan}");
            assert!(!plan.contains("SCAN"), "{sql}: {plan}");
        }
    }

    #[test]
    fn finding_16_9_names_sort_by_pinyin_statuses_by_lifecycle_owners_by_pinyin() {
        let mut wb = Workbench::open_in_memory("admin").unwrap();
        let mut add = |name: &str, status: &str, owner: &str| {
            let sets = vec![("name".to_string(), name.to_string()), ("owner".to_string(), owner.to_string())];
            let id = wb.add_customer(&sets).unwrap().id;
            wb.store().conn().execute("UPDATE customers SET status = ?2 WHERE id = ?1", (id, status)).unwrap();
            id
        };
        let sh = add("上海恒安群机械有限公司", "流失客户", "吴昊");
        let bj = add("北京星辰科技有限公司", "成交客户", "郭鹏");
        let ah = add("安徽华禹科技有限公司", "潜在客户", "张磊");
        let cd = add("成都辰雅运输有限公司", "意向客户", "吴昊");
        let conn = wb.store().conn();
        let f = CustomerFilter::default();
        assert_eq!(sorted_ids(conn, &f, SortKey::Name, false).unwrap(), [ah, bj, cd, sh]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Name, true).unwrap(), [sh, cd, bj, ah]);
        // 潜在客户 → 意向客户 → 成交客户 → 流失客户, not 成 < 意 < 流 < 潜 by code point.
        assert_eq!(sorted_ids(conn, &f, SortKey::Status, false).unwrap(), [ah, cd, bj, sh]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Status, true).unwrap(), [sh, bj, cd, ah]);
        // 郭鹏 (guo) < 吴昊 (wu) < 张磊 (zhang); one owner's customers by number.
        assert_eq!(sorted_ids(conn, &f, SortKey::Owner, false).unwrap(), [bj, sh, cd, ah]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Owner, true).unwrap(), [ah, cd, sh, bj]);
        // A renamed customer moves; the name list is read from its pinyin index.
        let mut c = crate::store::customers::get_customer(conn, sh).unwrap().unwrap();
        c.name = "阿里巴巴".into();
        crate::store::customers::write_fields(conn, &c, "2026-01-01T00:00:00").unwrap();
        assert_eq!(sorted_ids(conn, &f, SortKey::Name, false).unwrap(), [sh, ah, bj, cd]);
        // A status outside the lifecycle (an import keeps what it cannot place) comes after it.
        conn.execute("UPDATE customers SET status = 'VIP' WHERE id = ?1", [bj]).unwrap();
        conn.execute("UPDATE customers SET status = '暂停合作' WHERE id = ?1", [ah]).unwrap();
        assert_eq!(sorted_ids(conn, &f, SortKey::Status, false).unwrap(), [cd, sh, bj, ah]);
        assert_eq!(sorted_ids(conn, &f, SortKey::Status, true).unwrap(), [ah, bj, sh, cd]);
        let plan: Vec<String> = conn
            .prepare("EXPLAIN QUERY PLAN SELECT id FROM customers WHERE merged_into IS NULL AND name_sort > '' ORDER BY name_sort, id")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("; ");
        assert!(plan.contains("customers_live_name_sort") && !plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn finding_16_9_the_migration_fills_the_sort_key_of_existing_names() {
        let wb = Workbench::open_in_memory("admin").unwrap();
        let conn = wb.store().conn();
        conn.execute_batch(
            "INSERT INTO customers (number, kind, name, created_at, updated_at) VALUES
               ('CRM2026-000001', 'company', '上海甲', '2026-01-01', '2026-01-01'),
               ('CRM2026-000002', 'company', '北京乙', '2026-01-01', '2026-01-01')",
        )
        .unwrap();
        crate::store::customers::fill_name_sort(conn).unwrap();
        let f = CustomerFilter::default();
        assert_eq!(sorted_ids(conn, &f, SortKey::Name, false).unwrap(), [2, 1]);
    }
}
