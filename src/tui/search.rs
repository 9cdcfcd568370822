//! The `/` filter's index: one packed search text per customer (number,
//! name, pinyin and initials, contacts, and the phones the user may see —
//! built by the service, which leaves out what the role may not search by),
//! held in memory in chunks so a search can run over them on another thread
//! while more chunks load.

/// Customers per chunk: one page read, one unit of search progress.
pub(crate) const CHUNK: usize = 20_000;

#[derive(Debug, Default)]
pub(crate) struct Chunk {
    pub ids: Vec<i64>,
    /// All texts back to back; `ends[i]` is where text `i` ends.
    text: String,
    ends: Vec<u32>,
}

impl Chunk {
    pub fn new(rows: Vec<(i64, String)>) -> Chunk {
        let mut c = Chunk {
            ids: Vec::with_capacity(rows.len()),
            text: String::with_capacity(rows.iter().map(|r| r.1.len()).sum()),
            ends: Vec::with_capacity(rows.len()),
        };
        for (id, t) in rows {
            c.ids.push(id);
            c.text.push_str(&t);
            c.ends.push(c.text.len() as u32);
        }
        c
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    fn text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
}

/// The query: the service's, so the filter and `crmwb customers --search`
/// give the same answers.
pub(crate) use crate::service::SearchQuery as Query;

/// Customers scored between two reports of hits: small enough that the
/// first hits show within a frame or two of a keystroke.
pub(crate) const SLICE: usize = 2048;

/// Scores every customer of `chunk` against `q`: (score, id) for each match.
/// Stops early (returning what it has) when `stop` says so.
#[cfg(test)]
pub(crate) fn search(chunk: &Chunk, q: &Query, stop: &dyn Fn() -> bool) -> Vec<(i64, i64)> {
    search_range(chunk, 0..chunk.len(), q, stop)
}

/// The same for the customers `range` of `chunk`.
pub(crate) fn search_range(
    chunk: &Chunk,
    range: std::ops::Range<usize>,
    q: &Query,
    stop: &dyn Fn() -> bool,
) -> Vec<(i64, i64)> {
    let scorer = q.scorer();
    let mut out = Vec::new();
    for i in range {
        if i % 4096 == 0 && stop() {
            break;
        }
        if let Some(s) = scorer.score(chunk.text(i)) {
            out.push((s, chunk.ids[i]));
        }
    }
    out
}

/// Orders hits best first, ties by id, so results are stable as they stream.
pub(crate) fn rank(hits: &mut [(i64, i64)]) {
    crate::service::rank_hits(hits);
}

/// Merges two lists ranked by `rank` into one, in linear time.
pub(crate) fn merge_ranked(a: Vec<(i64, i64)>, b: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let better = |x: &(i64, i64), y: &(i64, i64)| x.0 > y.0 || (x.0 == y.0 && x.1 < y.1);
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => better(x, y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk() -> Chunk {
        Chunk::new(vec![
            (
                1,
                "crm2026-000001\u{1f}crm2026-000001 北京星辰科技有限公司 beijingxingchen bjxc 张伟\u{1f}13800001111"
                    .into(),
            ),
            (2, "crm2026-000002\u{1f}crm2026-000002 上海云帆贸易有限公司 shanghaiyunfan shyf 李娜\u{1f}".into()),
            (3, "crm2026-000003\u{1f}crm2026-000003 acme trading ltd john smith\u{1f}".into()),
            // Digits scattered over a name and a phone are no match for a run of them.
            (4, "crm2026-000004\u{1f}crm2026-000004 138a公司\u{1f}17600471740".into()),
        ])
    }

    #[test]
    fn finds_by_pinyin_initials_cjk_digits_and_all_terms() {
        let c = chunk();
        let ids = |q: &str| {
            let mut h = search(&c, &Query::parse(q).unwrap(), &|| false);
            rank(&mut h);
            h.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        };
        assert_eq!(ids("bjxc"), vec![1]);
        assert_eq!(ids("云帆"), vec![2]);
        assert_eq!(ids("0000111"), vec![1]);
        assert_eq!(ids("ACME smith"), vec![3]);
        assert!(ids("acme 北京").is_empty());
        assert_eq!(ids("000002"), vec![2], "a run of digits: part of a number or a phone, nothing else");
        assert_eq!(ids("1347174"), Vec::<i64>::new(), "no scattered-digit joins");
        assert_eq!(ids("0047174"), vec![4]);
        assert_eq!(ids("138"), vec![1], "digits in a name are not a phone");
        assert_eq!(ids("138-0000-1111"), vec![1]);
        assert_eq!(Query::parse("   "), None);
    }

    #[test]
    fn merging_ranked_lists_keeps_the_rank() {
        let mut a = vec![(5, 1), (9, 2), (1, 3)];
        let mut b = vec![(9, 0), (4, 7), (5, 0)];
        rank(&mut a);
        rank(&mut b);
        let mut all = [a.clone(), b.clone()].concat();
        rank(&mut all);
        assert_eq!(merge_ranked(a, b), all);
    }

    #[test]
    fn stops_when_told() {
        let c = chunk();
        assert!(search(&c, &Query::parse("crm").unwrap(), &|| true).is_empty());
    }
}
