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

#[cfg(test)]
mod tests {
    use super::*;

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
