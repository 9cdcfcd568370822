//! Clusters from scored pairs (matching.md): strongest pairs first, and two
//! clusters are never joined when any pair across them has net evidence
//! against the match (Bayes factor < 1) or was rejected by a person —
//! connected components would chain unrelated records through one weak link.

#[derive(Debug, Clone)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    /// log2 odds, prior included.
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Sorted node indices.
    pub members: Vec<u32>,
    /// The weakest pair that joined it (log2 odds): the cluster's score.
    pub score: f64,
}

/// `evidence(x, y)`: the Bayes factor (log2, no prior) of a pair across two
/// clusters, `None` when a person said the two are not the same customer.
pub fn build(mut edges: Vec<Edge>, mut evidence: impl FnMut(u32, u32) -> Option<f64>) -> Vec<Cluster> {
    edges.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
    // node -> cluster slot; slot -> (members, score)
    let mut slot_of: super::IntMap<u32, usize> = super::IntMap::default();
    let mut slots: Vec<Option<(Vec<u32>, f64)>> = Vec::new();
    for e in edges {
        let sa = *slot_of.entry(e.a).or_insert_with(|| {
            slots.push(Some((vec![e.a], f64::INFINITY)));
            slots.len() - 1
        });
        let sb = *slot_of.entry(e.b).or_insert_with(|| {
            slots.push(Some((vec![e.b], f64::INFINITY)));
            slots.len() - 1
        });
        if sa == sb {
            continue;
        }
        let ok = {
            let (ma, mb) = (&slots[sa].as_ref().expect("live slot").0, &slots[sb].as_ref().expect("live slot").0);
            ma.iter().all(|&x| mb.iter().all(|&y| evidence(x, y).is_some_and(|w| w >= 0.0)))
        };
        if !ok {
            continue;
        }
        let (keep, gone) = {
            let la = slots[sa].as_ref().map_or(0, |s| s.0.len());
            let lb = slots[sb].as_ref().map_or(0, |s| s.0.len());
            if la >= lb {
                (sa, sb)
            } else {
                (sb, sa)
            }
        };
        let (gm, gs) = slots[gone].take().expect("live slot");
        for &n in &gm {
            slot_of.insert(n, keep);
        }
        let k = slots[keep].as_mut().expect("live slot");
        k.0.extend(gm);
        k.1 = k.1.min(gs).min(e.score);
    }
    let mut out: Vec<Cluster> = slots
        .into_iter()
        .flatten()
        .filter(|(m, _)| m.len() > 1)
        .map(|(mut m, s)| {
            m.sort_unstable();
            Cluster { members: m, score: s }
        })
        .collect();
    out.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.members.cmp(&y.members)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_link_does_not_chain_clusters_with_evidence_against() {
        // 0-1 strong, 2-3 strong, 1-2 weak; 0 and 3 have evidence against.
        let edges =
            vec![Edge { a: 0, b: 1, score: 20.0 }, Edge { a: 2, b: 3, score: 18.0 }, Edge { a: 1, b: 2, score: 1.0 }];
        let ev = |x: u32, y: u32| Some(if (x, y) == (0, 3) || (x, y) == (3, 0) { -5.0 } else { 3.0 });
        let c = build(edges.clone(), ev);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].members, vec![0, 1]);
        assert_eq!(c[1].members, vec![2, 3]);
        // Without the contrary pair, the weak link joins them and is the score.
        let c = build(edges.clone(), |_, _| Some(1.0));
        assert_eq!(c, vec![Cluster { members: vec![0, 1, 2, 3], score: 1.0 }]);
        // A rejection across refuses the join just the same.
        let c = build(edges, |x, y| if (x.min(y), x.max(y)) == (1, 2) { None } else { Some(1.0) });
        assert_eq!(c.len(), 2);
    }
}
