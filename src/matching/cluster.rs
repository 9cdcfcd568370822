//! Clusters from scored pairs (matching.md): strongest pairs first. Two
//! clusters are joined only when at least half the pairs across them reach
//! the review threshold (median linkage), and never when any pair across
//! them has conclusive evidence against the match (a Bayes factor that, at
//! even odds, would put it below 1 − the match band's probability) or was
//! rejected by a person: connected components would chain unrelated
//! records through one weak link. Evidence merely against (a record with a
//! typo in every field) is one of the scores the median weighs: as a veto
//! it kept 13% of the true pairs of Splink's fake_1000 apart (pairwise
//! recall 0.885 -> 0.953 without it, precision 1.000 both).
//!
//! A record is one customer's at most. When its match-level links reach
//! two clusters that are kept apart, it is put in its own cluster only if
//! that is likelier than the review threshold among the choices it has
//! (its cluster, each other one, none): a record that fits two different
//! customers about equally well (王伟 in 广东, no number) is left out of
//! both and counted as ambiguous, not merged into the wrong one.

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

/// The clusters, and the records left out as ambiguous (sorted).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clustering {
    pub clusters: Vec<Cluster>,
    pub ambiguous: Vec<u32>,
}

/// `evidence(x, y)`: the Bayes factor (log2, no prior) of any pair, `None`
/// when a person said the two are not the same customer. `prior`,
/// `review` and `conclusive` are log2 odds: the prior of a random pair,
/// the review threshold every edge reaches, and the threshold of the
/// match band (see `linkage`).
pub fn build(
    edges: Vec<Edge>,
    prior: f64,
    review: f64,
    conclusive: f64,
    mut evidence: impl FnMut(u32, u32) -> Option<f64>,
) -> Clustering {
    let mut ambiguous: Vec<u32> = Vec::new();
    let mut edges = edges;
    edges.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
    let component = components(&edges);
    let mut done: Slots = Vec::new();
    // Each round leaves out what the previous one found ambiguous and
    // joins again only the connected parts they were in (joins never reach
    // across parts); leaving a record out only removes links, so a few
    // rounds settle it.
    let mut round = 0;
    loop {
        let (slots, refused) = join(&edges, prior, review, conclusive, &mut evidence);
        let slot_of: super::IntMap<u32, usize> =
            slots.iter().enumerate().flat_map(|(i, s)| s.0.iter().map(move |&n| (n, i))).collect();
        let found = if round < 4 {
            contested(&slots, &slot_of, &refused, prior, review, conclusive, &mut evidence)
        } else {
            vec![]
        };
        if found.is_empty() {
            done.extend(slots);
            let mut clusters: Vec<Cluster> = done
                .into_iter()
                .filter(|(m, _)| m.len() > 1)
                .map(|(mut m, s)| {
                    m.sort_unstable();
                    Cluster { members: m, score: s }
                })
                .collect();
            clusters.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.members.cmp(&y.members)));
            ambiguous.sort_unstable();
            return Clustering { clusters, ambiguous };
        }
        let touched: std::collections::HashSet<u32> = found.iter().map(|n| component[n]).collect();
        let gone: std::collections::HashSet<u32> = found.iter().copied().collect();
        done.extend(slots.into_iter().filter(|(m, _)| !touched.contains(&component[&m[0]])));
        edges.retain(|e| touched.contains(&component[&e.a]) && !gone.contains(&e.a) && !gone.contains(&e.b));
        ambiguous.extend(found);
        round += 1;
    }
}

/// The connected part of the edge graph each node is in (a node id of it).
fn components(edges: &[Edge]) -> super::IntMap<u32, u32> {
    let mut parent: super::IntMap<u32, u32> = super::IntMap::default();
    fn find(parent: &mut super::IntMap<u32, u32>, mut x: u32) -> u32 {
        while let Some(&p) = parent.get(&x) {
            if p == x {
                break;
            }
            let g = parent.get(&p).copied().unwrap_or(p);
            parent.insert(x, g);
            x = g;
        }
        x
    }
    for e in edges {
        parent.entry(e.a).or_insert(e.a);
        parent.entry(e.b).or_insert(e.b);
        let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    }
    let nodes: Vec<u32> = parent.keys().copied().collect();
    nodes.into_iter().map(|n| (n, find(&mut parent, n))).collect()
}

/// The score of a set of pairs across two clusters: their median, so that
/// a join needs at least half the pairs across to agree. One pair with a
/// typo on both sides does not keep a record out (an average would), and
/// one record bridging two customers does not join them (the maximum
/// would).
///
/// Of an even number of pairs, the upper of the two middle ones where it
/// is `conclusive` (a record that surely matches half the members), else
/// the two middle ones' mean. A record that only probably fits half of
/// them, contradicted by the other half, is what a namesake looks like:
/// 李静 in 南宁 fits one record of another 李静 at p 0.57 and that
/// customer's other record (another address) at 0.04, and the upper one
/// alone would join them.
fn linkage(scores: &mut [f64], conclusive: f64) -> f64 {
    if scores.is_empty() {
        return f64::NEG_INFINITY;
    }
    // Only the middle ranks are needed, not the order of the rest.
    let n = scores.len();
    let upper = *scores.select_nth_unstable_by((n - 1) / 2, |x, y| y.total_cmp(x)).1;
    if n % 2 == 1 || upper >= conclusive {
        return upper;
    }
    // After the selection the ranks below the upper middle are to its right.
    let lower = scores[n / 2..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (upper + lower) / 2.0
}

type Slots = Vec<(Vec<u32>, f64)>;

/// Greedy joins, strongest edge first: the live clusters (members, score)
/// and the edges whose join was refused.
fn join(
    edges: &[Edge],
    prior: f64,
    review: f64,
    conclusive: f64,
    evidence: &mut impl FnMut(u32, u32) -> Option<f64>,
) -> (Slots, Vec<Edge>) {
    let mut slot_of: super::IntMap<u32, usize> = super::IntMap::default();
    let mut slots: Vec<Option<(Vec<u32>, f64)>> = Vec::new();
    let mut refused = Vec::new();
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
            if ma.len() == 1 && mb.len() == 1 {
                // The edge is the only pair across (most joins).
                evidence(e.a, e.b).is_some_and(|w| w >= 0.0)
            } else {
                let mut scores = Vec::with_capacity(ma.len() * mb.len());
                let mut all = true;
                'pairs: for &x in ma {
                    for &y in mb {
                        match evidence(x, y) {
                            Some(w) if w >= -conclusive => scores.push(w + prior),
                            _ => {
                                all = false;
                                break 'pairs;
                            }
                        }
                    }
                }
                all && linkage(&mut scores, conclusive) >= review
            }
        };
        if !ok {
            refused.push(e.clone());
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
    (slots.into_iter().flatten().collect(), refused)
}

/// Records of a cluster whose refused edges reach other clusters, and for
/// which their own cluster is not likelier than the review threshold
/// among the choices (own cluster, each other cluster reached, none),
/// each choice weighed by the odds of its linkage with its members (see
/// `linkage`).
fn contested(
    slots: &Slots,
    slot_of: &super::IntMap<u32, usize>,
    refused: &[Edge],
    prior: f64,
    review: f64,
    conclusive: f64,
    evidence: &mut impl FnMut(u32, u32) -> Option<f64>,
) -> Vec<u32> {
    // node -> other clusters its refused edges reach
    let mut reach: std::collections::BTreeMap<u32, Vec<usize>> = std::collections::BTreeMap::new();
    for e in refused {
        let (sa, sb) = (slot_of[&e.a], slot_of[&e.b]);
        if sa != sb {
            reach.entry(e.a).or_default().push(sb);
            reach.entry(e.b).or_default().push(sa);
        }
    }
    let review_p = 1.0 / (1.0 + (-review).exp2());
    let mut odds = |x: u32, members: &[u32]| -> f64 {
        let mut scores = Vec::with_capacity(members.len());
        for &m in members.iter().filter(|&&m| m != x) {
            match evidence(x, m) {
                Some(w) => scores.push(w + prior),
                None => return 0.0,
            }
        }
        // No other member: linkage is -inf, odds 0.
        linkage(&mut scores, conclusive).exp2()
    };
    let mut out = Vec::new();
    for (x, mut to) in reach {
        let own = &slots[slot_of[&x]].0;
        if own.len() < 2 {
            continue;
        }
        to.sort_unstable();
        to.dedup();
        let o_own = odds(x, own);
        let o_other: f64 = to.iter().map(|&s| odds(x, &slots[s].0)).sum();
        if o_own / (1.0 + o_own + o_other) < review_p {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Scores are log2 odds with a prior of −10 bits; review at 0 (p 0.5).
    const PRIOR: f64 = -10.0;
    // The match band from p 0.99.
    const CONCLUSIVE: f64 = 6.63;

    fn edge(a: u32, b: u32, score: f64) -> Edge {
        Edge { a, b, score }
    }

    /// Evidence (no prior) from a table of pair scores (with the prior);
    /// pairs not in it have `rest`.
    fn table(pairs: &[(u32, u32, f64)], rest: f64) -> impl FnMut(u32, u32) -> Option<f64> + '_ {
        move |x, y| {
            let k = (x.min(y), x.max(y));
            Some(pairs.iter().find(|p| (p.0, p.1) == k).map_or(rest, |p| p.2) - PRIOR)
        }
    }

    #[test]
    fn weak_link_does_not_chain_clusters_with_evidence_against() {
        // 0-1 strong, 2-3 strong, 1-2 weak; 0 and 3 have conclusive
        // evidence against (-10 bits without the prior).
        let edges = vec![edge(0, 1, 20.0), edge(2, 3, 18.0), edge(1, 2, 1.0)];
        let pairs = [(0, 1, 20.0), (2, 3, 18.0), (1, 2, 1.0), (0, 3, -20.0)];
        let c = build(edges.clone(), PRIOR, 0.0, CONCLUSIVE, table(&pairs, 1.0)).clusters;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].members, vec![0, 1]);
        assert_eq!(c[1].members, vec![2, 3]);
        // Without the contrary pair, the weak link joins them and is the score.
        let c = build(edges.clone(), PRIOR, 0.0, CONCLUSIVE, |_, _| Some(11.0));
        assert_eq!(
            c,
            Clustering { clusters: vec![Cluster { members: vec![0, 1, 2, 3], score: 1.0 }], ambiguous: vec![] }
        );
        // Evidence against that is not conclusive (-5 bits: a record with a
        // typo in every field) is weighed by the median, not a veto: three
        // of the four pairs across agree.
        let pairs = [(0, 1, 20.0), (2, 3, 18.0), (1, 2, 1.0), (0, 3, -15.0)];
        let c = build(edges.clone(), PRIOR, 0.0, CONCLUSIVE, table(&pairs, 1.0)).clusters;
        assert_eq!(c.iter().map(|c| c.members.clone()).collect::<Vec<_>>(), vec![vec![0, 1, 2, 3]]);
        // A rejection across refuses the join just the same.
        let c =
            build(edges, PRIOR, 0.0, CONCLUSIVE, |x, y| if (x.min(y), x.max(y)) == (1, 2) { None } else { Some(11.0) });
        assert_eq!(c.clusters.len(), 2);
    }

    #[test]
    fn half_the_pairs_across_must_reach_the_threshold() {
        // 0, 1, 2 are one customer; 3 links to 2 just over the threshold,
        // and its pairs with 0 and 1 are below it (with the prior) though
        // not against by their evidence: one record does not bridge.
        let strong = [(0, 1, 20.0), (1, 2, 20.0), (0, 2, 20.0)];
        let pairs = [strong.as_slice(), &[(2, 3, 1.0), (0, 3, -3.0), (1, 3, -3.0)]].concat();
        let edges: Vec<Edge> = pairs.iter().filter(|p| p.2 >= 0.0).map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -20.0));
        assert_eq!(c.clusters, vec![Cluster { members: vec![0, 1, 2], score: 20.0 }]);
        // A weak pair among agreeing ones does not keep a record out (a
        // swapped name with a typo against one member): two of three agree.
        let pairs = [strong.as_slice(), &[(2, 3, 1.0), (1, 3, 1.0), (0, 3, -3.0)]].concat();
        let edges: Vec<Edge> = pairs.iter().filter(|p| p.2 >= 0.0).map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -20.0));
        assert_eq!(c.clusters, vec![Cluster { members: vec![0, 1, 2, 3], score: 1.0 }]);
    }

    #[test]
    fn a_record_probable_with_one_member_and_contradicted_by_the_other_stays_out() {
        // 0 and 1 are one customer (the same mobile). 2 has their name: it
        // fits 0 at p 0.57 and 1, whose address differs, at p 0.04; neither
        // pair is evidence against it.
        let pairs = [(0, 1, 20.0), (0, 2, 0.4), (1, 2, -4.5)];
        let edges: Vec<Edge> = pairs.iter().filter(|p| p.2 >= 0.0).map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -20.0));
        assert_eq!(c.clusters, vec![Cluster { members: vec![0, 1], score: 20.0 }]);
        // Where it surely matches one of them (p 0.992), a pair with a typo
        // on both sides against the other does not keep it out.
        let pairs = [(0, 1, 20.0), (0, 2, 7.0), (1, 2, -9.0)];
        let edges: Vec<Edge> = pairs.iter().filter(|p| p.2 >= 0.0).map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -20.0));
        assert_eq!(c.clusters, vec![Cluster { members: vec![0, 1, 2], score: 7.0 }]);
    }

    #[test]
    fn a_record_that_fits_two_kept_apart_customers_alike_joins_neither() {
        // 0-1 and 2-3 are two customers (called different across them);
        // 4 fits 0 and 1 (score 1.2) and 2 and 3 (score 0.9) about equally
        // well: in the cluster of neither, counted as ambiguous.
        // 10-11, a customer no link reaches, stays as it is while the part
        // with 4 is joined again without it.
        let pairs = [(0, 1, 20.0), (2, 3, 20.0), (1, 4, 1.2), (0, 4, 1.2), (2, 4, 0.9), (3, 4, 0.9), (10, 11, 5.0)];
        let edges: Vec<Edge> = pairs.iter().map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -3.0));
        assert_eq!(c.ambiguous, vec![4]);
        assert_eq!(
            c.clusters.iter().map(|c| c.members.clone()).collect::<Vec<_>>(),
            vec![vec![0, 1], vec![2, 3], vec![10, 11]]
        );
        // Likelier in one than in the other and than in neither: it joins
        // that one, and 2-3 stays apart.
        let pairs = [(0, 1, 20.0), (2, 3, 20.0), (1, 4, 3.0), (0, 4, 3.0), (2, 4, 0.3), (3, 4, 0.3)];
        let edges: Vec<Edge> = pairs.iter().map(|&(a, b, s)| edge(a, b, s)).collect();
        let c = build(edges, PRIOR, 0.0, CONCLUSIVE, table(&pairs, -3.0));
        assert!(c.ambiguous.is_empty());
        assert_eq!(c.clusters.iter().map(|c| c.members.clone()).collect::<Vec<_>>(), vec![vec![2, 3], vec![0, 1, 4]]);
    }
}
