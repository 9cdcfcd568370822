//! Quality of a matching against ground truth: pairwise and B-cubed
//! precision, recall and F1 of the proposed clusters, and blocking recall.

use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    fn new(p: f64, r: f64) -> Prf {
        Prf { precision: p, recall: r, f1: if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 } }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    pub customers: u64,
    pub true_pairs: u64,
    pub proposed_pairs: u64,
    pub candidate_pairs: u64,
    pub pairwise: Prf,
    pub bcubed: Prf,
    pub blocking_recall: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// `entity`: each customer's true entity; `clusters`: the proposed clusters
/// (customers outside any are singletons); `candidates`: the pairs blocking
/// produced. Customers without an entity are left out.
pub fn evaluate(entity: &HashMap<i64, String>, clusters: &[Vec<i64>], candidates: &[(i64, i64)]) -> EvalReport {
    let mut by_entity: HashMap<&str, u64> = HashMap::new();
    for e in entity.values() {
        *by_entity.entry(e).or_insert(0) += 1;
    }
    let true_pairs: u64 = by_entity.values().map(|&n| n * (n - 1) / 2).sum();
    let same = |a: i64, b: i64| matches!((entity.get(&a), entity.get(&b)), (Some(x), Some(y)) if x == y);
    let (mut proposed, mut correct) = (0u64, 0u64);
    let mut cluster_of: HashMap<i64, usize> = HashMap::new();
    for (ci, c) in clusters.iter().enumerate() {
        let members: Vec<i64> = c.iter().copied().filter(|m| entity.contains_key(m)).collect();
        for (i, &a) in members.iter().enumerate() {
            cluster_of.insert(a, ci);
            for &b in &members[i + 1..] {
                proposed += 1;
                correct += same(a, b) as u64;
            }
        }
    }
    // B-cubed: per customer, overlap of its proposed and its true cluster.
    let mut overlap: HashMap<(usize, &str), u64> = HashMap::new();
    let mut csize: HashMap<usize, u64> = HashMap::new();
    for (&id, e) in entity {
        if let Some(&c) = cluster_of.get(&id) {
            *overlap.entry((c, e.as_str())).or_insert(0) += 1;
            *csize.entry(c).or_insert(0) += 1;
        }
    }
    let (mut bp, mut br) = (0.0, 0.0);
    for (&id, e) in entity {
        let esize = by_entity[e.as_str()] as f64;
        match cluster_of.get(&id) {
            Some(&c) => {
                let o = overlap[&(c, e.as_str())] as f64;
                bp += o / csize[&c] as f64;
                br += o / esize;
            }
            None => {
                bp += 1.0;
                br += 1.0 / esize;
            }
        }
    }
    let n = entity.len().max(1) as f64;
    let found = candidates.iter().filter(|&&(a, b)| same(a, b)).count() as u64;
    EvalReport {
        customers: entity.len() as u64,
        true_pairs,
        proposed_pairs: proposed,
        candidate_pairs: candidates.len() as u64,
        pairwise: Prf::new(ratio(correct, proposed), ratio(correct, true_pairs)),
        bcubed: Prf::new(bp / n, br / n),
        blocking_recall: ratio(found, true_pairs),
    }
}

/// Recall of one slice of the true pairs (one key, one source pair).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recall {
    pub name: String,
    pub true_pairs: u64,
    pub found: u64,
    pub recall: f64,
}

/// How much of the truth blocking reached, overall, per key and per pair
/// of sources (matching.md: cross-source pairs are the hardest).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockingReport {
    pub customers: u64,
    pub true_pairs: u64,
    pub candidate_pairs: u64,
    pub found: u64,
    pub recall: f64,
    /// Per blocking key: the true pairs that key produced (a pair may come
    /// from several keys, so these do not add up).
    pub per_key: Vec<Recall>,
    /// Per unordered pair of sources, `a ~ b` with a ≤ b.
    pub per_source_pair: Vec<Recall>,
}

/// `entity` and `source`: each customer's true entity and the source it
/// came from; `candidates`: every stored pair with its key bits, bit i
/// standing for `keys[i]`.
pub fn blocking_report(
    entity: &HashMap<i64, String>,
    source: &HashMap<i64, String>,
    candidates: &[(i64, i64, u32)],
    keys: &[String],
) -> BlockingReport {
    let bits: HashMap<(i64, i64), u32> = candidates.iter().map(|&(a, b, k)| ((a.min(b), a.max(b)), k)).collect();
    let mut members: HashMap<&str, Vec<i64>> = HashMap::new();
    for (&id, e) in entity {
        members.entry(e).or_default().push(id);
    }
    let mut per_key = vec![0u64; keys.len()];
    let mut per_source: std::collections::BTreeMap<(&str, &str), (u64, u64)> = Default::default();
    let (mut total, mut found) = (0u64, 0u64);
    for ids in members.values_mut() {
        ids.sort_unstable();
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                total += 1;
                let k = bits.get(&(a, b)).copied();
                let sa = source.get(&a).map_or("?", String::as_str);
                let sb = source.get(&b).map_or("?", String::as_str);
                let slot = per_source.entry((sa.min(sb), sa.max(sb))).or_default();
                slot.0 += 1;
                if let Some(k) = k {
                    found += 1;
                    slot.1 += 1;
                    for (bit, n) in per_key.iter_mut().enumerate() {
                        *n += (k >> bit) as u64 & 1;
                    }
                }
            }
        }
    }
    BlockingReport {
        customers: entity.len() as u64,
        true_pairs: total,
        candidate_pairs: candidates.len() as u64,
        found,
        recall: ratio(found, total),
        per_key: keys
            .iter()
            .zip(per_key)
            .map(|(k, n)| Recall { name: k.clone(), true_pairs: total, found: n, recall: ratio(n, total) })
            .collect(),
        per_source_pair: per_source
            .into_iter()
            .map(|((a, b), (t, f))| Recall { name: format!("{a} ~ {b}"), true_pairs: t, found: f, recall: ratio(f, t) })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_truth_reports_blocking_recall_per_key_and_source_pair() {
        let e: HashMap<i64, String> =
            [(1, "A"), (2, "A"), (3, "A"), (4, "B"), (5, "B")].into_iter().map(|(i, s)| (i, s.to_string())).collect();
        let src: HashMap<i64, String> = [(1, "crm"), (2, "crm"), (3, "tickets"), (4, "crm"), (5, "tickets")]
            .into_iter()
            .map(|(i, s)| (i, s.to_string()))
            .collect();
        // Key 0 found 1~2 and 1~3; key 1 found 1~3 and 4~5; 2~3 missed;
        // 3~4 is a candidate but no true pair.
        let cands = [(1, 2, 0b01), (1, 3, 0b11), (5, 4, 0b10), (3, 4, 0b01)];
        let r = blocking_report(&e, &src, &cands, &["name".into(), "mobile".into()]);
        assert_eq!((r.true_pairs, r.found, r.candidate_pairs), (4, 3, 4));
        assert!((r.recall - 0.75).abs() < 1e-9);
        assert_eq!((r.per_key[0].name.as_str(), r.per_key[0].found), ("name", 2));
        assert_eq!((r.per_key[1].name.as_str(), r.per_key[1].found), ("mobile", 2));
        let sp: Vec<(&str, u64, u64)> =
            r.per_source_pair.iter().map(|s| (s.name.as_str(), s.true_pairs, s.found)).collect();
        assert_eq!(sp, vec![("crm ~ crm", 1, 1), ("crm ~ tickets", 3, 2)]);
    }

    #[test]
    fn perfect_and_imperfect() {
        let e: HashMap<i64, String> =
            [(1, "A"), (2, "A"), (3, "A"), (4, "B"), (5, "C")].into_iter().map(|(i, s)| (i, s.to_string())).collect();
        let r = evaluate(&e, &[vec![1, 2, 3]], &[(1, 2), (2, 3), (1, 3), (4, 5)]);
        assert_eq!((r.pairwise.f1, r.bcubed.f1, r.blocking_recall), (1.0, 1.0, 1.0));
        let r = evaluate(&e, &[vec![1, 2], vec![3, 4]], &[(1, 2)]);
        assert_eq!(r.true_pairs, 3);
        assert!((r.pairwise.precision - 0.5).abs() < 1e-9 && (r.pairwise.recall - 1.0 / 3.0).abs() < 1e-9);
        assert!((r.blocking_recall - 1.0 / 3.0).abs() < 1e-9);
        assert!(r.bcubed.precision < 1.0 && r.bcubed.recall < 1.0);
    }
}
