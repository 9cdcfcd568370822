//! The text the TUI's `/` filter searches: one packed, lowercase line per
//! golden record, built a page at a time. A value the acting user sees
//! masked is left out entirely, so it cannot be found by what it hides.

use super::Scope;
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
    /// name (and its core when the name does not spell it out), the name's
    /// pinyin without spaces (北京星辰 → `beijingxingchen`) and its initials
    /// (`bjxc`), the contact names, and — only where the acting user sees
    /// them unmasked — the phone numbers (digits only) of the golden record,
    /// its contacts and its phone list. E-mails and cities are left out: the
    /// index lives in memory for a million customers, and `crmwb customers
    /// --search` finds those.
    ///
    /// Four queries per page whatever its size (keyset paging on the
    /// primary key, then the page's id range in each child table): page
    /// on with the last id returned.
    pub fn search_corpus_page(&self, after_id: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let conn = self.store.conn();
        let access = &self.access;
        let mut stmt = conn.prepare_cached(
            "SELECT id, number, name, name_core, contact_name, owner, mobile, landline
               FROM customers WHERE id > ?1 AND merged_into IS NULL ORDER BY id LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![after_id, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let cap = limit.min(8192);
        let mut out: Vec<(i64, String)> = Vec::with_capacity(cap);
        // Per customer of the page: whether its sensitive values are hidden,
        // and where its contact name and phones sit in its text (the
        // contacts and the phone and e-mail lists mostly repeat them).
        let mut hidden: Vec<bool> = Vec::with_capacity(cap);
        let mut golden: Vec<[Span; 3]> = Vec::with_capacity(cap);
        // The rights do not change within a page: look them up once.
        let sensitive: Vec<Field> = access.sensitive_fields().collect();
        let is_sensitive = |f: Field| sensitive.contains(&f);
        let per_owner = matches!(access.scope(super::Permission::SensitiveView), Scope::Own | Scope::Team);
        let hides_all = access.masks(None) && !per_owner;
        let mut scratch = String::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let hide = if per_owner { access.masks(column_text(r, 5)?) } else { hides_all };
            let shows = |f: Field| !(hide && is_sensitive(f));
            let mut text = String::with_capacity(160);
            let mut spans = [NO_SPAN; 3];
            if shows(Field::Number) {
                let number = column_text(r, 1)?.unwrap_or("");
                push_word(&mut text, |t| lower_into(t, number));
            }
            if shows(Field::Name) {
                let name = column_text(r, 2)?.unwrap_or("");
                push_word(&mut text, |t| lower_into(t, name));
                // The core is nearly always part of the name already; only a
                // core the name does not spell out is worth its memory.
                if let Some(core) = column_text(r, 3)?.filter(|c| !name.contains(c) && !name.to_lowercase().contains(c))
                {
                    push_word(&mut text, |t| lower_into(t, core));
                }
                if !name.is_ascii() {
                    scratch.clear();
                    push_word(&mut text, |t| pinyin_into(t, &mut scratch, name));
                    push_word(&mut text, |t| t.push_str(&scratch));
                }
            }
            if shows(Field::ContactName) {
                if let Some(c) = column_text(r, 4)? {
                    spans[0] = push_word(&mut text, |t| lower_into(t, c));
                }
            }
            for (slot, col, f) in [(1, 6, Field::Mobile), (2, 7, Field::Landline)] {
                if shows(f) {
                    if let Some(v) = column_text(r, col)? {
                        spans[slot] = push_word(&mut text, |t| digits_into(t, v));
                    }
                }
            }
            out.push((id, text));
            hidden.push(hide);
            golden.push(spans);
        }
        let (Some(first), Some(last)) = (out.first().map(|x| x.0), out.last().map(|x| x.0)) else {
            return Ok(out);
        };
        // Child rows come in customer order from their index: look the next
        // slot up from the last one, searching only when that misses.
        let ids: Vec<i64> = out.iter().map(|x| x.0).collect();
        let mut cursor = 0usize;
        let mut slot = move |id: i64| -> Option<usize> {
            for i in [cursor, cursor + 1] {
                if ids.get(i) == Some(&id) {
                    cursor = i;
                    return Some(i);
                }
            }
            let i = ids.binary_search(&id).ok()?;
            cursor = i;
            Some(i)
        };
        let shows = |i: usize, f: Field| !(hidden[i] && is_sensitive(f));
        // Words from the child rows of the page's id range, all in one
        // buffer: (customer slot, start, end). Rows of absorbed customers in
        // that range find no slot and are skipped.
        let mut buf = String::new();
        let mut extra: Vec<(usize, Span)> = Vec::new();
        let mut add = |i: usize, write: &dyn Fn(&mut String)| {
            let start = buf.len();
            write(&mut buf);
            if buf.len() > start {
                extra.push((i, (start as u32, buf.len() as u32)));
            }
        };
        let mut stmt = conn.prepare_cached(
            "SELECT customer_id, name, mobile, landline, email FROM contacts WHERE customer_id BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            let Some(i) = slot(r.get(0)?) else { continue };
            for (col, f) in [(1, Field::ContactName), (2, Field::Mobile), (3, Field::Landline)] {
                if let (true, Some(v)) = (shows(i, f), column_text(r, col)?) {
                    if f == Field::Mobile || f == Field::Landline {
                        add(i, &|t| digits_into(t, v));
                    } else {
                        add(i, &|t| lower_into(t, v));
                    }
                }
            }
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
                if let (true, Some(v)) = (shows(i, f), column_text(r, 2)?) {
                    add(i, &|t| digits_into(t, v));
                }
            }
        }
        // Append each customer's words once: a word already in its text (the
        // golden mobile, also in the phone list) is not repeated.
        extra.sort_by_key(|e| e.0);
        let mut seen: Vec<Span> = Vec::new();
        let mut current = usize::MAX;
        for (i, (a, b)) in extra {
            let text = &mut out[i].1;
            if i != current {
                current = i;
                seen.clear();
                seen.extend(golden[i].iter().copied().filter(|s| *s != NO_SPAN));
            }
            let word = &buf[a as usize..b as usize];
            if seen.iter().any(|&(x, y)| &text[x as usize..y as usize] == word) {
                continue;
            }
            let span = push_word(text, |t| t.push_str(word));
            seen.push(span);
        }
        Ok(out)
    }
}

/// Where a word sits in a search text: byte offsets (start, end).
type Span = (u32, u32);
const NO_SPAN: Span = (0, 0);

/// Column `i` of a row as text, NULL as None.
fn column_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(r.get_ref(i)?.as_str_or_null()?)
}

/// Appends one word (what `write` writes), after a separator unless it is
/// the first; returns where it went, or `NO_SPAN` when it was empty.
fn push_word(text: &mut String, write: impl FnOnce(&mut String)) -> Span {
    let had = text.len();
    if had > 0 {
        text.push(CORPUS_SEPARATOR);
    }
    let start = text.len();
    write(text);
    if text.len() == start {
        text.truncate(had);
        return NO_SPAN;
    }
    (start as u32, text.len() as u32)
}

/// `value` in lowercase; spaces inside become `_`, so a value stays one word.
fn lower_into(out: &mut String, value: &str) {
    for c in value.trim().chars() {
        match c {
            ' ' | '\t' | '\u{3000}' => out.push('_'),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            // CJK, kana and their punctuation have no case: the common case, kept cheap.
            '\u{3001}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' => out.push(c),
            c if c.is_whitespace() => out.push('_'),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// The digits of a phone number.
fn digits_into(out: &mut String, value: &str) {
    out.extend(value.chars().filter(char::is_ascii_digit));
}

/// The pinyin of a name into `full` (北京星辰科技 → `beijingxingchenkeji`)
/// and its initials into `initials` (`bjxckj`), in one pass. Letters and
/// digits in the name are kept in both; other characters are dropped. One
/// reading per character (the most common).
fn pinyin_into(full: &mut String, initials: &mut String, name: &str) {
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                let plain = p.plain();
                full.push_str(plain);
                // Pinyin in its plain form is ASCII.
                initials.push_str(plain.get(..1).unwrap_or(""));
            }
            None if c.is_ascii_alphanumeric() => {
                full.push(c.to_ascii_lowercase());
                initials.push(c.to_ascii_lowercase());
            }
            None => {}
        }
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
        ] {
            assert!(text.contains(part), "`{part}` missing from {text}");
        }
        assert!(!text.contains("example.com") && !text.contains("北京市"), "e-mails and cities stay out: {text}");
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
