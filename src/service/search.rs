//! The text the TUI's `/` filter searches: one packed, lowercase line per
//! golden record, built a page at a time. A value the acting user sees
//! masked is left out entirely, so it cannot be found by what it hides.

use super::Workbench;
use crate::domain::Field;
use crate::error::Result;
use pinyin::ToPinyin;
use rusqlite::params;

/// Fields in one customer's search text are separated by this.
pub const CORPUS_SEPARATOR: char = ' ';

impl Workbench {
    /// Search texts of the golden records (absorbed customers are left out)
    /// with id > `after_id`, in id order, at most `limit`: `(id, text)`.
    ///
    /// Each text holds, lowercase and separated by spaces: the number, the
    /// name, its core, the name's pinyin without spaces (北京星辰 →
    /// `beijingxingchen`) and its initials (`bjxc`), the contact names and
    /// the city, and — only where the acting user sees them unmasked — the
    /// phone numbers (digits only) and e-mail addresses, of the golden
    /// record, its contacts and its phone and e-mail lists.
    ///
    /// Four queries per page whatever its size (keyset paging on the
    /// primary key, then the page's id range in each child table): page
    /// on with the last id returned.
    pub fn search_corpus_page(&self, after_id: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let conn = self.store.conn();
        let access = &self.access;
        let mut stmt = conn.prepare_cached(
            "SELECT id, number, name, name_core, contact_name, city, owner, mobile, landline, email
               FROM customers WHERE id > ?1 AND merged_into IS NULL ORDER BY id LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![after_id, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out: Vec<(i64, String)> = Vec::with_capacity(limit.min(4096));
        // Per customer of the page: whether its sensitive values are hidden.
        let mut hidden: Vec<bool> = Vec::with_capacity(limit.min(4096));
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let owner = column_text(r, 6)?;
            let hide = access.masks(owner);
            let shows = |f: Field| !(hide && access.is_sensitive(f));
            let mut text = String::with_capacity(128);
            let text_of = |i: usize| column_text(r, i);
            if shows(Field::Number) {
                push_lower(&mut text, text_of(1)?.unwrap_or(""));
            }
            if shows(Field::Name) {
                let name = text_of(2)?.unwrap_or("");
                push_lower(&mut text, name);
                if let Some(core) = text_of(3)? {
                    push_lower(&mut text, core);
                }
                push_pinyin(&mut text, name);
            }
            if shows(Field::ContactName) {
                if let Some(c) = text_of(4)? {
                    push_lower(&mut text, c);
                }
            }
            if shows(Field::City) {
                if let Some(c) = text_of(5)? {
                    push_lower(&mut text, c);
                }
            }
            if shows(Field::Mobile) {
                push_digits(&mut text, text_of(7)?);
            }
            if shows(Field::Landline) {
                push_digits(&mut text, text_of(8)?);
            }
            if shows(Field::Email) {
                if let Some(e) = text_of(9)? {
                    push_lower(&mut text, e);
                }
            }
            out.push((id, text));
            hidden.push(hide);
        }
        let (Some(first), Some(last)) = (out.first().map(|x| x.0), out.last().map(|x| x.0)) else {
            return Ok(out);
        };
        let slot = |id: i64| out.binary_search_by_key(&id, |x| x.0).ok();
        let shows = |i: usize, f: Field| !(hidden[i] && access.is_sensitive(f));
        // The child rows of the page's id range; rows of absorbed customers
        // in that range find no slot and are skipped.
        let mut extra: Vec<(usize, String)> = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT customer_id, name, mobile, landline, email FROM contacts
              WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            let Some(i) = slot(r.get(0)?) else { continue };
            let mut t = String::new();
            if shows(i, Field::ContactName) {
                push_lower(&mut t, column_text(r, 1)?.unwrap_or(""));
            }
            if shows(i, Field::Mobile) {
                push_digits(&mut t, column_text(r, 2)?);
            }
            if shows(i, Field::Landline) {
                push_digits(&mut t, column_text(r, 3)?);
            }
            if shows(i, Field::Email) {
                push_lower(&mut t, column_text(r, 4)?.unwrap_or(""));
            }
            extra.push((i, t));
        }
        let any_visible = |f: Field| (0..out.len()).any(|i| shows(i, f));
        if any_visible(Field::Mobile) || any_visible(Field::Landline) {
            let mut stmt = conn.prepare_cached(
                "SELECT customer_id, kind, number FROM customer_phones WHERE customer_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                let Some(i) = slot(r.get(0)?) else { continue };
                let f = if column_text(r, 1)? == Some("mobile") { Field::Mobile } else { Field::Landline };
                if shows(i, f) {
                    let mut t = String::new();
                    push_digits(&mut t, column_text(r, 2)?);
                    extra.push((i, t));
                }
            }
        }
        if any_visible(Field::Email) {
            let mut stmt = conn
                .prepare_cached("SELECT customer_id, email FROM customer_emails WHERE customer_id BETWEEN ?1 AND ?2")?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                let Some(i) = slot(r.get(0)?) else { continue };
                if shows(i, Field::Email) {
                    let mut t = String::new();
                    push_lower(&mut t, column_text(r, 1)?.unwrap_or(""));
                    extra.push((i, t));
                }
            }
        }
        for (i, t) in extra {
            // The golden mobile is usually also in the phone list: once is enough.
            for word in t.split(CORPUS_SEPARATOR).filter(|w| !w.is_empty()) {
                let text = &mut out[i].1;
                if !text.split(CORPUS_SEPARATOR).any(|w| w == word) {
                    text.push(CORPUS_SEPARATOR);
                    text.push_str(word);
                }
            }
        }
        for (_, text) in &mut out {
            if text.starts_with(CORPUS_SEPARATOR) {
                text.remove(0);
            }
        }
        Ok(out)
    }
}

/// Column `i` of a row as text, NULL as None.
fn column_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(r.get_ref(i)?.as_str_or_null()?)
}

/// Appends ` value` in lowercase (spaces inside a value become `_`, so a
/// value stays one word of the text).
fn push_lower(out: &mut String, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    out.push(CORPUS_SEPARATOR);
    for c in value.chars() {
        if c.is_whitespace() {
            out.push('_');
        } else if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// Appends ` digits` of a phone number.
fn push_digits(out: &mut String, value: Option<&str>) {
    let Some(v) = value else { return };
    if !v.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    out.push(CORPUS_SEPARATOR);
    out.extend(v.chars().filter(char::is_ascii_digit));
}

/// Appends ` pinyin initials` of a name: 北京星辰科技 → ` beijingxingchenkeji
/// bjxckj`. Letters and digits in the name are kept in both; other
/// characters are dropped. One reading per character (the most common).
fn push_pinyin(out: &mut String, name: &str) {
    let mut full = String::with_capacity(name.len() * 2);
    let mut initials = String::with_capacity(name.len());
    let mut any = false;
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                any = true;
                let plain = p.plain();
                full.push_str(plain);
                initials.push_str(&plain[..plain.chars().next().map_or(0, char::len_utf8)]);
            }
            None if c.is_ascii_alphanumeric() => {
                full.push(c.to_ascii_lowercase());
                initials.push(c.to_ascii_lowercase());
            }
            None => {}
        }
    }
    if any {
        out.push(CORPUS_SEPARATOR);
        out.push_str(&full);
        out.push(CORPUS_SEPARATOR);
        out.push_str(&initials);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn add(wb: &mut Workbench, sets: &[(&str, &str)]) -> i64 {
        let sets: Vec<(String, String)> = sets.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
        wb.add_customer(&sets).unwrap().id
    }

    #[test]
    fn corpus_holds_name_pinyin_initials_and_visible_contact_values() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let a = add(
            &mut wb,
            &[
                ("name", "北京星辰科技有限公司"),
                ("contact_name", "张伟"),
                ("mobile", "139-1234-5678"),
                ("email", "Zhang.Wei@Example.COM"),
                ("city", "北京市"),
                ("owner", "li"),
            ],
        );
        let b = add(&mut wb, &[("name", "ABC上海贸易有限公司"), ("landline", "021-12345678")]);
        wb.add_contact(
            &wb.customer_detail(a).unwrap().customer.number,
            &[("name".into(), "李娜".into()), ("mobile".into(), "13700001111".into())],
        )
        .unwrap();
        let page = wb.search_corpus_page(0, 10).unwrap();
        assert_eq!(page.iter().map(|x| x.0).collect::<Vec<_>>(), [a, b]);
        let text = &page[0].1;
        for part in [
            "crm",
            "北京星辰科技有限公司",
            "星辰",
            "beijingxingchen",
            "bjxc",
            "张伟",
            "李娜",
            "北京",
            "13912345678",
            "13700001111",
            "zhang.wei@example.com",
        ] {
            assert!(text.contains(part), "`{part}` missing from {text}");
        }
        assert_eq!(text, &text.to_lowercase());
        assert_eq!(text.matches("13912345678").count(), 1, "the golden mobile and its list entry once: {text}");
        assert!(page[1].1.contains("abcshanghaimaoyi") && page[1].1.contains("abcshmy"), "{}", page[1].1);
        assert!(page[1].1.contains("02112345678"), "{}", page[1].1);
        // Keyset paging: after the first id comes the second only.
        let rest = wb.search_corpus_page(a, 10).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0, b);
        assert!(wb.search_corpus_page(b, 10).unwrap().is_empty());
        assert_eq!(wb.search_corpus_page(0, 1).unwrap().len(), 1);
    }

    #[test]
    fn corpus_leaves_out_what_the_user_sees_masked_and_absorbed_customers() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        wb.add_user("li", Role::Sales, None, None).unwrap();
        let own = add(&mut wb, &[("name", "北京星辰科技有限公司"), ("mobile", "13912345678"), ("owner", "li")]);
        let other = add(
            &mut wb,
            &[("name", "上海远景贸易有限公司"), ("mobile", "13800001111"), ("email", "x@y.cn"), ("owner", "wang")],
        );
        let dup = add(&mut wb, &[("name", "上海远景贸易有限公司"), ("mobile", "13800001111")]);
        wb.merge_customers(other, &[dup], &[], super::super::MergeOrigin::Manual).unwrap();
        wb.act_as("li").unwrap();
        let page = wb.search_corpus_page(0, 100).unwrap();
        assert_eq!(page.iter().map(|x| x.0).collect::<Vec<_>>(), [own, other], "the absorbed customer is left out");
        assert!(page[0].1.contains("13912345678"), "li sees her own customer's phone: {}", page[0].1);
        let text = &page[1].1;
        assert!(text.contains("shanghaiyuanjing") && text.contains("上海远景"), "{text}");
        for hidden in ["13800001111", "1380000", "1111", "x@y.cn", "****"] {
            assert!(!text.contains(hidden), "`{hidden}` of a masked customer is searchable: {text}");
        }
    }
}
