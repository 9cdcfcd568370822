//! The text the TUI's `/` filter searches: one packed, lowercase line per
//! golden record, built a page at a time. A value the acting user sees
//! masked is left out entirely, so it cannot be found by what it hides.

use super::Scope;
use super::Workbench;
use crate::domain::Field;
use crate::error::Result;
use crate::store;
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use pinyin::ToPinyin;
use rusqlite::params;

/// Fields in one customer's search text are separated by this.
pub const CORPUS_SEPARATOR: char = ' ';

impl Workbench {
    /// Search texts of the golden records (absorbed customers are left out)
    /// with id > `after_id`, in id order, at most `limit`: `(id, text)`.
    ///
    /// Each text has three sections separated by `SECTION`: the number; the
    /// words, lowercase and separated by spaces — the number again, the name
    /// (and its core when the name does not spell it out), the name's pinyin
    /// without spaces (北京星辰 → `beijingxingchen`) and its initials
    /// (`bjxc`), the contact names; and — only where the acting user sees
    /// them unmasked — the digits of every phone number of the golden
    /// record, its contacts and its phone list. A run of digits in a query
    /// is looked for in the first and last sections only, so it never
    /// matches digits scattered over names. E-mails and cities are left out:
    /// the index lives in memory for a million customers; an e-mail is found
    /// by `search_direct`.
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
        let mut ids: Vec<i64> = Vec::with_capacity(cap);
        // Per customer of the page: its words, its phones' digits, and
        // whether its sensitive values are hidden.
        let mut words: Vec<String> = Vec::with_capacity(cap);
        let mut phones: Vec<String> = Vec::with_capacity(cap);
        let mut hidden: Vec<bool> = Vec::with_capacity(cap);
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
            let number = if shows(Field::Number) { column_text(r, 1)?.unwrap_or("") } else { "" };
            lower_into(&mut text, number);
            text.push(SECTION);
            let head = text.len();
            push_word_after(&mut text, head, |t| lower_into(t, number));
            if shows(Field::Name) {
                let name = column_text(r, 2)?.unwrap_or("");
                push_word_after(&mut text, head, |t| lower_into(t, name));
                // The core is nearly always part of the name already; only a
                // core the name does not spell out is worth its memory.
                if let Some(core) = column_text(r, 3)?.filter(|c| !name.contains(c) && !name.to_lowercase().contains(c))
                {
                    push_word_after(&mut text, head, |t| lower_into(t, core));
                }
                if !name.is_ascii() {
                    scratch.clear();
                    push_word_after(&mut text, head, |t| pinyin_into(t, &mut scratch, name));
                    push_word_after(&mut text, head, |t| t.push_str(&scratch));
                }
            }
            if shows(Field::ContactName) {
                if let Some(c) = column_text(r, 4)? {
                    push_word_after(&mut text, head, |t| lower_into(t, c));
                }
            }
            let mut digits = String::new();
            for (col, f) in [(6, Field::Mobile), (7, Field::Landline)] {
                if shows(f) {
                    if let Some(v) = column_text(r, col)? {
                        push_new_word(&mut digits, 0, |t| digits_into(t, v));
                    }
                }
            }
            ids.push(id);
            words.push(text);
            phones.push(digits);
            hidden.push(hide);
        }
        let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
            return Ok(Vec::new());
        };
        // Child rows come in customer order from their index: look the next
        // slot up from the last one, searching only when that misses.
        let mut cursor = 0usize;
        let mut slot = |id: i64| -> Option<usize> {
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
        // Rows of absorbed customers in the page's id range find no slot and
        // are skipped; a word a customer already has (its golden mobile, also
        // in its phone list) is not repeated.
        let mut stmt = conn.prepare_cached(
            "SELECT customer_id, name, mobile, landline, email FROM contacts WHERE customer_id BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            let Some(i) = slot(r.get(0)?) else { continue };
            if let (true, Some(v)) = (shows(i, Field::ContactName), column_text(r, 1)?) {
                let head = words[i].find(SECTION).map_or(0, |p| p + SECTION.len_utf8());
                push_new_word(&mut words[i], head, |t| lower_into(t, v));
            }
            for (col, f) in [(2, Field::Mobile), (3, Field::Landline)] {
                if let (true, Some(v)) = (shows(i, f), column_text(r, col)?) {
                    push_new_word(&mut phones[i], 0, |t| digits_into(t, v));
                }
            }
        }
        let any_visible = |f: Field| (0..ids.len()).any(|i| shows(i, f));
        if any_visible(Field::Mobile) || any_visible(Field::Landline) {
            let mut stmt = conn.prepare_cached(
                "SELECT customer_id, kind, number FROM customer_phones WHERE customer_id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                let Some(i) = slot(r.get(0)?) else { continue };
                let f = if column_text(r, 1)? == Some("mobile") { Field::Mobile } else { Field::Landline };
                if let (true, Some(v)) = (shows(i, f), column_text(r, 2)?) {
                    push_new_word(&mut phones[i], 0, |t| digits_into(t, v));
                }
            }
        }
        Ok(ids
            .into_iter()
            .zip(words.into_iter().zip(phones))
            .map(|(id, (mut text, digits))| {
                text.push(SECTION);
                text.push_str(&digits);
                (id, text)
            })
            .collect())
    }

    /// The lookups that go straight to their customers, for a query of one
    /// word: a customer number, live or absorbed by a merge (absorbed: its
    /// survivor, with a note saying so), or an e-mail address or part of one
    /// (`@` in it) among the e-mails the acting user sees unmasked. None
    /// when the query is neither or finds nobody: the fuzzy search decides.
    pub fn search_direct(&self, q: &str) -> Result<Option<DirectHit>> {
        if !SearchQuery::may_be_direct(q) {
            return Ok(None);
        }
        let t = q.trim();
        let conn = self.store.conn();
        if t.contains('@') {
            let ids = store::listing::ids_by_email_fragment(conn, t, &self.access.visible(Field::Email))?;
            return Ok((!ids.is_empty()).then_some(DirectHit { ids, note: None }));
        }
        let typed = t.to_uppercase();
        let Some(c) = store::customers::find_by_number(conn, &typed)? else { return Ok(None) };
        let note =
            (c.number != typed).then(|| tr!("search-merged-into", typed = typed.as_str(), number = c.number.as_str()));
        Ok(Some(DirectHit { ids: vec![c.id], note }))
    }

    /// The customers `q` finds, best first: the direct lookup when it finds
    /// any, else every golden record whose search text matches (see
    /// `SearchQuery`). The workbench's `/` filter gives the same answers
    /// (it runs the same two steps over its in-memory copy of the texts).
    pub fn search_customers(&self, q: &str) -> Result<SearchResult> {
        if let Some(d) = self.search_direct(q)? {
            return Ok(SearchResult { ids: d.ids, note: d.note });
        }
        let Some(query) = SearchQuery::parse(q) else {
            return Ok(SearchResult { ids: Vec::new(), note: None });
        };
        let scorer = query.scorer();
        let mut hits = Vec::new();
        let mut after = 0;
        loop {
            let page = self.search_corpus_page(after, CORPUS_PAGE)?;
            let Some(last) = page.last().map(|p| p.0) else { break };
            after = last;
            hits.extend(page.iter().filter_map(|(id, text)| scorer.score(text).map(|s| (s, *id))));
        }
        rank_hits(&mut hits);
        Ok(SearchResult { ids: hits.into_iter().map(|h| h.1).collect(), note: None })
    }
}

/// Customers per corpus page read by `search_customers`.
const CORPUS_PAGE: usize = 20_000;

/// Separates the sections of a search text (number, words, phones).
pub const SECTION: char = '\u{1f}';

/// What `search_direct` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectHit {
    /// Live customers, in id order.
    pub ids: Vec<i64>,
    /// Why the customer shown is not the one asked for (an absorbed number).
    pub note: Option<String>,
}

/// What `search_customers` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResult {
    pub ids: Vec<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// A run of digits (phone separators taken out): part of a phone number
    /// or of the customer number, nothing else.
    Digits(String),
    /// Anything else: fuzzy over the number, names, pinyin and contacts.
    Text(String),
}

/// A parsed query: terms, all of which must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

impl SearchQuery {
    /// None for a blank query. A query that is one phone number however
    /// written (`010 6234 5678`, `+86 138-1234-5678`) is one run of digits.
    pub fn parse(s: &str) -> Option<SearchQuery> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if s.contains(char::is_whitespace) {
            if let Ok(p) = crate::clean::phone::normalize(s) {
                let mut d = String::new();
                digits_into(&mut d, p.as_str());
                return Some(SearchQuery { terms: vec![Term::Digits(d)] });
            }
        }
        let terms = s
            .split_whitespace()
            .map(|t| {
                let phoneish = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | '+' | '.'));
                if phoneish && t.chars().any(|c| c.is_ascii_digit()) {
                    let mut d = String::new();
                    digits_into(&mut d, t);
                    Term::Digits(d)
                } else {
                    Term::Text(t.to_lowercase())
                }
            })
            .collect();
        Some(SearchQuery { terms })
    }

    /// Whether `s` may be a direct lookup (see `Workbench::search_direct`):
    /// one word, with an `@` or with both letters and digits.
    pub fn may_be_direct(s: &str) -> bool {
        let t = s.trim();
        !t.is_empty()
            && !t.contains(char::is_whitespace)
            && (t.contains('@') || (t.chars().any(|c| c.is_ascii_digit()) && t.chars().any(char::is_alphabetic)))
    }

    pub fn scorer(&self) -> Scorer<'_> {
        Scorer { q: self, m: SkimMatcherV2::default() }
    }
}

/// Scores search texts against a query.
pub struct Scorer<'q> {
    q: &'q SearchQuery,
    m: SkimMatcherV2,
}

impl Scorer<'_> {
    /// The score of `text` (a search text of `search_corpus_page`), or None
    /// when a term does not match. Higher is better.
    pub fn score(&self, text: &str) -> Option<i64> {
        let mut parts = text.splitn(3, SECTION);
        let number = parts.next().unwrap_or("");
        let words = parts.next().unwrap_or("");
        let phones = parts.next().unwrap_or("");
        let hay = &text[..(number.len() + SECTION.len_utf8() + words.len()).min(text.len())];
        let mut total = 0;
        for t in &self.q.terms {
            total += match t {
                Term::Digits(d) => {
                    let number_digits: String = number.chars().filter(char::is_ascii_digit).collect();
                    let whole = phones.split(' ').any(|p| p == d) || number_digits == *d;
                    if !whole && !phones.contains(d.as_str()) && !number_digits.contains(d.as_str()) {
                        return None;
                    }
                    // Ranks like a plain substring of the text; a whole number above a part.
                    50 * d.len() as i64 + if whole { 100 } else { 0 }
                }
                Term::Text(t) => {
                    let s = self.m.fuzzy_match(hay, t)?;
                    // A plain substring (a name fragment) ranks above a
                    // scattered fuzzy match of the same letters.
                    s + if hay.contains(t.as_str()) { 50 * t.chars().count() as i64 } else { 0 }
                }
            };
        }
        Some(total)
    }
}

/// A reminder's search text, in the form `Scorer::score` reads: its
/// customer's number; the number, name (with its pinyin and initials), the
/// owner and the rule as words; no phones. Not the reason: fuzzy letters
/// scattered over a sentence would match nearly any query. The Follow-ups
/// pane's `/` searches its list with it, by the customer search's rules.
pub fn reminder_search_text(r: &crate::domain::Reminder) -> String {
    let mut text = String::with_capacity(128);
    lower_into(&mut text, &r.number);
    text.push(SECTION);
    let head = text.len();
    push_word_after(&mut text, head, |t| lower_into(t, &r.number));
    push_word_after(&mut text, head, |t| lower_into(t, &r.name));
    if !r.name.is_ascii() {
        let mut initials = String::new();
        push_word_after(&mut text, head, |t| pinyin_into(t, &mut initials, &r.name));
        push_word_after(&mut text, head, |t| t.push_str(&initials));
    }
    if let Some(owner) = &r.owner {
        push_word_after(&mut text, head, |t| lower_into(t, owner));
    }
    push_word_after(&mut text, head, |t| lower_into(t, &r.rule));
    text.push(SECTION);
    text
}

/// Orders (score, id) hits best first, ties by id, so results are stable.
pub fn rank_hits(hits: &mut [(i64, i64)]) {
    hits.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
}

/// Column `i` of a row as text, NULL as None.
fn column_text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(r.get_ref(i)?.as_str_or_null()?)
}

/// Appends one word (what `write` writes) to `text`, after a separator
/// unless it is the first since `head`; nothing when it is empty.
fn push_word_after(text: &mut String, head: usize, write: impl FnOnce(&mut String)) -> std::ops::Range<usize> {
    let had = text.len();
    if had > head {
        text.push(CORPUS_SEPARATOR);
    }
    let start = text.len();
    write(text);
    if text.len() == start {
        text.truncate(had);
        return had..had;
    }
    start..text.len()
}

/// The same, unless the words after `head` hold that word already.
fn push_new_word(text: &mut String, head: usize, write: impl FnOnce(&mut String)) {
    let had = text.len();
    let range = push_word_after(text, head, write);
    if range.is_empty() {
        return;
    }
    let word = &text[range.clone()];
    if text[head..range.start].split(CORPUS_SEPARATOR).any(|w| w == word) {
        text.truncate(had);
    }
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
