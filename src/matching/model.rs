//! Fellegi–Sunter parameters learned from the data (matching.md):
//! u from random pairs of all records (each counted by a first model's
//! probability that it is no match), m by EM one blocking pass at a time
//! leaving out the fields that pass blocked on, the prior as the match rate
//! among all pairs. The only numbers set here are the documented starting
//! point of EM and the smoothing.

use super::blocking::KeyKind;
use super::compare::{level, CompDef, CompKind, LevelBounds};
use super::features::Record;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Pseudo-count added to every level when m and u are estimated, so that no
/// level reaches probability 0 or 1 (matching.md: smooth m and u).
pub const SMOOTHING: f64 = 1.0;
/// EM stops after this many iterations or when no m moves more than
/// `EM_TOLERANCE`.
pub const EM_MAX_ITERATIONS: u32 = 100;
pub const EM_TOLERANCE: f64 = 1e-6;
/// A pass with fewer (block-weighted) pairs than this cannot estimate m on
/// its own: below 30 pairs the standard error of a share is above 0.09.
pub const MIN_EM_PAIRS: f64 = 30.0;
/// The rules `Model::weight` and `Scorer::weigh` weigh pairs by. 1: term
/// frequency counts the holders besides the pair and the duplicates counted
/// over the candidates; a shared number makes the same place count nothing.
/// 2: a shared landline makes the same place count nothing too, and
/// clusters join by the mean of the two middle pairs across where the upper
/// one is not conclusive (`cluster::build`). 3: only conclusive evidence
/// against vetoes a join. 4: one edit includes two neighbouring
/// characters swapped (`features::within_one_edit`), and company names are
/// also compared whole (region, core, legal form) at that level, so the
/// weights of the `edit1` and `different` levels were learned for other
/// pairs. 5: a name word blocks with a date one typo away
/// (`KeyKind::NameWith`), so a run pairs records an earlier one never
/// compared. Models stored before have 0.
pub const SCORING_VERSION: u32 = 5;

/// Bounds of the estimated recall of the prior's deterministic rule: a rule
/// is never credited with more than every match, nor with fewer than one in
/// ten (an estimate that low says the rule's fields are rarely present, and
/// dividing by it would multiply the prior's error tenfold or more).
pub const RULE_RECALL_BOUNDS: (f64, f64) = (0.1, 1.0);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelParam {
    pub level: String,
    /// P(level | same customer), among pairs where the field is present.
    pub m: f64,
    /// P(level | different customers), from random pairs.
    pub u: f64,
    /// log2(m / u): the bits this level adds (before frequency adjustment).
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompParam {
    pub name: String,
    #[serde(flatten)]
    pub kind: CompKind,
    /// Levels after "missing", which contributes 0.
    pub levels: Vec<LevelParam>,
    /// Blocking passes whose EM estimated this field's m.
    pub learned_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassReport {
    pub key: String,
    pub pairs: u64,
    /// Pairs EM used (a systematic sample of a large pass).
    pub used: u64,
    pub iterations: u32,
    /// Share of the pass's pairs EM judged to be matches.
    pub match_share: f64,
    pub left_out: Vec<String>,
    /// Whether EM stopped before `EM_MAX_ITERATIONS` because nothing moved.
    #[serde(default)]
    pub converged: bool,
    /// Why the pass could not estimate m on its own (see [`degenerate`]);
    /// its counts are then not used where another pass is usable.
    #[serde(default)]
    pub degenerate: Option<String>,
}

/// How many records hold a shared value, as term frequency counts them
/// for one pair (see `matching::holders`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holders {
    /// Records holding the value, the pair's re-entries taken off but
    /// the record itself still counted.
    pub n: u32,
    /// Re-entries of one of the pair that hold it and were taken off.
    pub own_seen: u32,
}

impl Holders {
    /// A count with nothing known about whose re-entries hold the value.
    pub fn counted(n: u32) -> Holders {
        Holders { n, own_seen: 0 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub comparisons: Vec<CompParam>,
    pub records: u64,
    pub random_pairs: u64,
    /// The deterministic rule the prior was estimated from (see
    /// `matching::rule`), chosen among those the data's fields allow.
    #[serde(default)]
    pub rule: String,
    /// Pairs meeting the deterministic rule.
    pub rule_pairs: u64,
    /// The share of true matches the rule finds, estimated from m.
    pub rule_recall: f64,
    /// Matches among all record pairs.
    pub prior: f64,
    /// log2(prior / (1 - prior)): where every pair's score starts.
    pub prior_bits: f64,
    /// Duplicates a record has on average, counted over the candidate pairs
    /// by their probabilities (`matching::count_duplicates`); where absent,
    /// `prior × (records − 1)`.
    #[serde(default)]
    pub dups_per_record: Option<f64>,
    /// How pairs are weighed and clustered (`SCORING_VERSION` when
    /// learned): an incremental run scores and clusters new pairs like the
    /// stored ones only with the same rules, so a model of other rules is
    /// learned again.
    #[serde(default)]
    pub scoring: u32,
    pub passes: Vec<PassReport>,
    pub bounds: LevelBounds,
}

impl Model {
    /// The bits a level adds; `tf` is how many records hold the shared value
    /// at a term-frequency level (sharing a rare value is strong evidence,
    /// sharing 王伟 weak).
    pub fn weight(&self, comp: usize, lvl: u8, tf: Option<Holders>) -> f64 {
        if lvl == 0 {
            return 0.0;
        }
        let cp = &self.comparisons[comp];
        let p = &cp.levels[lvl as usize - 1];
        match tf {
            Some(h) if h.n > 0 && self.records > 1 => {
                // The chance that another record, picked at random among the
                // non-matches, holds the value this one holds: the holders
                // besides the pair itself (which holds it under either
                // hypothesis, so counting it would cap any value two
                // records share at "one record in all", however personal)
                // that are not the record's own duplicates. Those are
                // expected `dups × m`, m of every level at which the value
                // is shared (a re-entry with a typo in the contact's name
                // still holds the mobile), and are no sign that the value
                // is common (a customer entered three times is not a common
                // name). The holders already recognised as its re-entries
                // (`h.own_seen`) are some of them: only the rest is
                // discounted, or one duplicate would be taken off twice and
                // a value two firms share would read as one firm's own.
                let others = (self.records - 1) as f64;
                let m_value: f64 = cp.kind.value_levels(lvl).iter().map(|&l| cp.levels[l as usize - 1].m).sum();
                let dups = self.dups_per_record.unwrap_or(self.prior * others);
                let own = (dups * m_value.max(p.m) - h.own_seen as f64).max(0.0);
                let chance = ((h.n.max(2) - 2) as f64 - own).max(0.0) / others;
                // Never rarer than the level's own u: term frequency tells a
                // common value from a typical one. Letting a value nobody
                // else holds count as rarer still (down to one record in
                // all) gained 0.003 F1 on generator data but lost 0.02 on
                // the labelled people, where twins share an address and a
                // birthday that nobody else has.
                let u_tf = chance.max(p.u).min(1.0);
                (p.m / u_tf).log2()
            }
            _ => p.weight,
        }
    }

    pub fn probability(score: f64) -> f64 {
        1.0 / (1.0 + (-score).exp2())
    }

    /// A probability as log2 odds, the unit of scores (`probability`'s
    /// inverse).
    pub fn log2_odds(p: f64) -> f64 {
        (p / (1.0 - p)).log2()
    }
}

/// A small, fast, seedable generator (splitmix64) for sampling.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// u per comparison and level (index 0, missing, unused) from the level
/// patterns of random pairs (`sample_patterns`).
pub fn u_of(comps: &[CompDef], patterns: &[(Vec<u8>, f64)]) -> Vec<Vec<f64>> {
    u_weighted(comps, patterns, |_, n| n)
}

/// u from the patterns, the `n` pairs of a pattern counted as
/// `count(pattern, n)`.
fn u_weighted(comps: &[CompDef], patterns: &[(Vec<u8>, f64)], count: impl Fn(&[u8], f64) -> f64) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.0; c.kind.levels().len()]).collect();
    for (lv, n) in patterns {
        let n = count(lv, *n);
        for (k, &l) in lv.iter().enumerate() {
            counts[k][l as usize] += n;
        }
    }
    counts.into_iter().map(|c| smooth(&c)).collect()
}

/// The level patterns of `samples` random pairs of all records (every
/// pair when there are fewer), with how many pairs had each.
/// `known_match`: pairs the prior's deterministic rule calls matches
/// (same name and a strong identifier). They are left out of the sample:
/// u is the chance of a level among *different* customers, and on a small
/// import with many duplicates the random pairs would otherwise be made
/// mostly of the duplicates themselves at the strong levels, so that a
/// level's u came out as about prior × m and its weight cancelled the prior
/// (name and mobile together could never lift a pair over 0.5). On a large
/// import such pairs are a vanishing share of the sample and nothing changes.
pub fn sample_patterns(
    records: &[Record],
    comps: &[CompDef],
    lb: &LevelBounds,
    samples: u64,
    seed: u64,
    known_match: &(dyn Fn(&[u8]) -> bool + Sync),
) -> Vec<(Vec<u8>, f64)> {
    type Counts = HashMap<Vec<u8>, f64>;
    // Most patterns repeat: look up before allocating a key.
    fn bump(c: &mut Counts, lv: &[u8]) {
        match c.get_mut(lv) {
            Some(x) => *x += 1.0,
            None => {
                c.insert(lv.to_vec(), 1.0);
            }
        }
    }
    let n = records.len() as u64;
    let all_pairs = n * n.saturating_sub(1) / 2;
    let levels_of = |a: &Record, b: &Record, lv: &mut Vec<u8>| {
        for (k, cd) in comps.iter().enumerate() {
            lv[k] = level(&cd.kind, a, b, lb);
        }
    };
    let mut parts: Vec<Counts> = Vec::new();
    if n >= 2 && all_pairs <= samples {
        // Few enough records to take every pair: u exactly, no sampling.
        parts = super::par_map(&(0..n as usize).collect::<Vec<_>>(), |&i| {
            let mut c = Counts::new();
            let mut lv = vec![0u8; comps.len()];
            for j in i + 1..n as usize {
                levels_of(&records[i], &records[j], &mut lv);
                if !known_match(&lv) {
                    bump(&mut c, &lv);
                }
            }
            c
        });
    } else if n >= 2 {
        let threads = 2u64;
        let per = samples.div_ceil(threads);
        parts = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let mut rng = SplitMix(seed ^ (t + 1).wrapping_mul(0xA24B_AED4_963E_E407));
                        let mut c = Counts::new();
                        let mut lv = vec![0u8; comps.len()];
                        for _ in 0..per {
                            let i = rng.below(n);
                            let mut j = rng.below(n - 1);
                            if j >= i {
                                j += 1;
                            }
                            levels_of(&records[i as usize], &records[j as usize], &mut lv);
                            if !known_match(&lv) {
                                bump(&mut c, &lv);
                            }
                        }
                        c
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("sampling thread")).collect()
        });
    }
    // The threads' counts together, in `patterns`' fixed order.
    patterns(parts.iter().flat_map(|p| p.iter().map(|(k, &v)| (k.as_slice(), v))))
}

/// u counted from the random pairs' patterns, each counted by its
/// probability of being no match: `bits` is a pattern's Bayes factor
/// (log2, as the scorer weighs it without term frequency) and `prior` the
/// share of matches among the sampled pairs.
pub fn refine_u(
    comps: &[CompDef],
    patterns: &[(Vec<u8>, f64)],
    bits: &dyn Fn(&[u8]) -> f64,
    prior: f64,
) -> Vec<Vec<f64>> {
    // In log2: a prior of 0 (a rule of recall 1) leaves u as it is.
    let prior_bits = Model::log2_odds(prior);
    u_weighted(comps, patterns, |lv, n| n / (1.0 + (prior_bits + bits(lv)).exp2()))
}

/// Puts `u` (as `u_of` returns it) into a model's levels, weights with it.
pub fn set_u(model: &mut [CompParam], u: &[Vec<f64>]) {
    for (cp, uc) in model.iter_mut().zip(u) {
        for (i, lp) in cp.levels.iter_mut().enumerate() {
            lp.u = uc[i + 1];
            lp.weight = (lp.m / lp.u).log2();
        }
    }
}

/// Smoothed shares of the non-missing levels (index 0 kept at 0).
fn smooth(c: &[f64]) -> Vec<f64> {
    let k = (c.len() - 1) as f64;
    let total: f64 = c[1..].iter().sum::<f64>() + SMOOTHING * k;
    std::iter::once(0.0).chain(c[1..].iter().map(|v| (v + SMOOTHING) / total)).collect()
}

/// EM's starting m (a documented prior, not a tuned value): agreement is
/// more likely for a match, halving level by level from the strongest
/// agreement to "different".
fn initial_m(levels: usize) -> Vec<f64> {
    let k = levels - 1;
    let raw: Vec<f64> = (0..k).map(|i| 0.5f64.powi(i as i32)).collect();
    let sum: f64 = raw.iter().sum();
    std::iter::once(0.0).chain(raw.into_iter().map(|v| v / sum)).collect()
}

#[derive(Debug, Clone)]
pub struct EmResult {
    pub m: Vec<Vec<f64>>,
    /// Posterior-weighted level counts for matches (index 0 = missing).
    pub match_counts: Vec<Vec<f64>>,
    pub expected_matches: f64,
    pub share: f64,
    pub iterations: u32,
    /// Block-weighted pairs EM saw.
    pub total: f64,
}

impl EmResult {
    /// A pass that counted these matches per comparison and level (tests of
    /// what is read from the counts).
    #[cfg(test)]
    pub fn counted(match_counts: Vec<Vec<f64>>) -> EmResult {
        EmResult { m: Vec::new(), match_counts, expected_matches: 0.0, share: 0.0, iterations: 0, total: 0.0 }
    }

    pub fn converged(&self) -> bool {
        self.iterations < EM_MAX_ITERATIONS
    }
}

/// Why an EM pass cannot estimate m on its own, if it cannot: too few
/// pairs, a match share at (nearly) 1 or 0 (it separated nothing), or no
/// convergence within `EM_MAX_ITERATIONS`.
pub fn degenerate(r: &EmResult) -> Option<String> {
    if r.total < MIN_EM_PAIRS {
        Some(format!("fewer than {MIN_EM_PAIRS} pairs"))
    } else if r.share >= DEGENERATE_SHARE {
        Some("match share near 1".into())
    } else if r.share <= 1.0 - DEGENERATE_SHARE {
        Some("match share near 0".into())
    } else if !r.converged() {
        Some(format!("no convergence in {EM_MAX_ITERATIONS} iterations"))
    } else {
        None
    }
}

/// EM on level patterns `(levels, count)`, u fixed; comparisons with
/// `left_out[c]` take no part (the pass blocked on them).
pub fn em(patterns: &[(Vec<u8>, f64)], u: &[Vec<f64>], left_out: &[bool], init_share: f64) -> EmResult {
    let nc = u.len();
    let mut m: Vec<Vec<f64>> = u.iter().map(|lv| initial_m(lv.len())).collect();
    let mut share = init_share.clamp(0.01, 0.99);
    let total: f64 = patterns.iter().map(|p| p.1).sum();
    let mut counts: Vec<Vec<f64>> = u.iter().map(|lv| vec![0.0; lv.len()]).collect();
    let mut expected = 0.0;
    let mut iterations = 0;
    for it in 0..EM_MAX_ITERATIONS {
        iterations = it + 1;
        for c in counts.iter_mut() {
            c.iter_mut().for_each(|v| *v = 0.0);
        }
        expected = 0.0;
        let (lm, ln) = (share.ln(), (1.0 - share).ln());
        for (levels, cnt) in patterns {
            let (mut a, mut b) = (lm, ln);
            for c in 0..nc {
                let l = levels[c] as usize;
                if l == 0 || left_out[c] {
                    continue;
                }
                a += m[c][l].ln();
                b += u[c][l].ln();
            }
            let post = 1.0 / (1.0 + (b - a).exp());
            let w = post * cnt;
            expected += w;
            for c in 0..nc {
                counts[c][levels[c] as usize] += w;
            }
        }
        let mut moved: f64 = 0.0;
        for c in 0..nc {
            if left_out[c] {
                continue;
            }
            let new = smooth(&counts[c]);
            for (o, n) in m[c].iter_mut().zip(new) {
                moved = moved.max((*o - n).abs());
                *o = n;
            }
        }
        let new_share = (expected / total.max(1.0)).clamp(1e-6, 1.0 - 1e-6);
        moved = moved.max((new_share - share).abs());
        share = new_share;
        if moved < EM_TOLERANCE {
            break;
        }
    }
    EmResult { m, match_counts: counts, expected_matches: expected, share, iterations, total }
}

/// The comparisons a blocking pass cannot learn about: the ones its key
/// agrees on by construction.
pub fn left_out_by(key: KeyKind, comps: &[CompDef]) -> Vec<bool> {
    comps
        .iter()
        .map(|c| match key {
            KeyKind::Mobile => c.kind == CompKind::Contact,
            KeyKind::Landline => c.kind == CompKind::Landline,
            KeyKind::Email => matches!(c.kind, CompKind::Email | CompKind::Contact),
            // Every name key blocks on the name, whichever comparison reads it.
            KeyKind::Name
            | KeyKind::Brand
            | KeyKind::Pinyin
            | KeyKind::NameSorted
            | KeyKind::SurnameInitial
            | KeyKind::Phonetic
            | KeyKind::NameTypo
            | KeyKind::NamePrefix => matches!(c.kind, CompKind::Name | CompKind::GivenName | CompKind::Surname),
            KeyKind::ContactCity => matches!(c.kind, CompKind::Contact | CompKind::Location),
            KeyKind::Custom(i) => matches!(c.kind, CompKind::Custom { index, .. } if index == i),
            // A name word with the city, an identifier or a date: all of them.
            KeyKind::NameWith => matches!(
                c.kind,
                CompKind::Name
                    | CompKind::GivenName
                    | CompKind::Surname
                    | CompKind::Location
                    | CompKind::Custom { ty: super::CustomType::Identifier | super::CustomType::Date, .. }
            ),
            KeyKind::Address => c.kind == CompKind::Address,
        })
        .collect()
}

/// Groups weighted level vectors into distinct patterns with summed weights.
pub fn patterns<'a>(rows: impl Iterator<Item = (&'a [u8], f64)>) -> Vec<(Vec<u8>, f64)> {
    let mut map: HashMap<&[u8], f64> = HashMap::new();
    for (r, w) in rows {
        *map.entry(r).or_insert(0.0) += w;
    }
    let mut v: Vec<(Vec<u8>, f64)> = map.into_iter().map(|(k, v)| (k.to_vec(), v)).collect();
    // In hash order, EM's sums came out different in their last bits from
    // run to run, and a pair at the threshold changed sides between two
    // runs of one binary on one database.
    v.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    v
}

/// Assembles the model: m per comparison from the passes that did not block
/// on it, weighted by how many matches each pass holds.
/// The match share above which an EM pass is taken to have separated
/// nothing (see `assemble`).
pub const DEGENERATE_SHARE: f64 = 0.999;

pub fn assemble(
    comps: &[CompDef],
    u: &[Vec<f64>],
    passes: &[(String, Vec<bool>, EmResult)],
    fallback: Option<&EmResult>,
) -> Vec<CompParam> {
    comps
        .iter()
        .enumerate()
        .map(|(c, cd)| {
            let mut counts = vec![0.0; cd.kind.levels().len()];
            let mut from = Vec::new();
            // A pass whose EM put (nearly) every pair in the match class told
            // matches from non-matches apart by nothing: its counts describe
            // all the pairs its key brought together, households sharing a
            // phone and an address included. Where another pass did separate
            // the two, the field is learned from those only.
            let separated = |r: &EmResult| degenerate(r).is_none();
            let any_separated = passes.iter().any(|(_, left_out, r)| !left_out[c] && separated(r));
            for (key, left_out, r) in passes {
                if left_out[c] || (any_separated && !separated(r)) {
                    continue;
                }
                from.push(key.clone());
                for (acc, v) in counts.iter_mut().zip(&r.match_counts[c]) {
                    *acc += v;
                }
            }
            if from.is_empty() {
                if let Some(r) = fallback {
                    from.push("all candidates".into());
                    counts.clone_from(&r.match_counts[c]);
                }
            }
            // Where every pass was degenerate the counts are still the best
            // estimate there is: shrinking them towards EM's starting point
            // (tried) changed nothing on the dev sets and lowered the obvious
            // duplicates of a small import below the review threshold.
            let m = smooth(&counts);
            let levels = cd
                .kind
                .levels()
                .iter()
                .enumerate()
                .skip(1)
                .map(|(l, name)| LevelParam {
                    level: (*name).into(),
                    m: m[l],
                    u: u[c][l],
                    weight: (m[l] / u[c][l]).log2(),
                })
                .collect();
            CompParam { name: cd.name.clone(), kind: cd.kind, levels, learned_from: from }
        })
        .collect()
}

/// The share of missing values among matches for a comparison, from EM counts.
pub fn present_share(counts: &[f64]) -> f64 {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        0.0
    } else {
        1.0 - counts[0] / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EM's patterns come in one order whatever order the rows came in, so
    /// that its sums, and a pair at the threshold, are the same every run.
    #[test]
    fn patterns_come_in_one_order() {
        let rows: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i % 7, i % 5, i % 3]).collect();
        let forward = patterns(rows.iter().map(|r| (r.as_slice(), 1.0)));
        let backward = patterns(rows.iter().rev().map(|r| (r.as_slice(), 1.0)));
        assert_eq!(forward, backward);
        assert!(forward.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(forward.iter().map(|p| p.1).sum::<f64>(), 40.0);
    }

    /// Duplicates the rule missed are counted in u by their probability of
    /// being no match: 100 random pairs agreeing on both fields (the first model
    /// says duplicates) no longer make a shared landline look common, while
    /// the pairs that differ keep their share.
    #[test]
    fn u_counts_the_random_pairs_by_their_probability_of_being_no_match() {
        let comps = vec![
            CompDef { name: "landline".into(), kind: CompKind::Landline },
            CompDef { name: "industry".into(), kind: CompKind::Industry },
        ];
        let param = |name: &str, kind, m: f64, u: f64| CompParam {
            name: name.into(),
            kind,
            levels: vec![
                LevelParam { level: "same".into(), m, u, weight: (m / u).log2() },
                LevelParam {
                    level: "different".into(),
                    m: 1.0 - m,
                    u: 1.0 - u,
                    weight: ((1.0 - m) / (1.0 - u)).log2(),
                },
            ],
            learned_from: vec![],
        };
        let first =
            vec![param("landline", CompKind::Landline, 0.9, 0.011), param("industry", CompKind::Industry, 0.9, 0.1)];
        let patterns = vec![(vec![1, 1], 100.0), (vec![1, 2], 10.0), (vec![2, 1], 1000.0), (vec![2, 2], 8890.0)];
        let before = u_of(&comps, &patterns);
        let bits = |lv: &[u8]| -> f64 { lv.iter().zip(&first).map(|(&l, cp)| cp.levels[l as usize - 1].weight).sum() };
        let after = refine_u(&comps, &patterns, &bits, 0.01);
        // No match among the sampled pairs (a rule of recall 1): u as counted.
        assert_eq!(refine_u(&comps, &patterns, &bits, 0.0), before);
        assert!((before[0][1] - 0.011).abs() < 0.001, "{:?}", before[0]);
        assert!(after[0][1] < before[0][1] / 3.0, "{:?} -> {:?}", before[0], after[0]);
        // The pair that agrees on the landline alone is mostly no match.
        assert!(after[0][1] > 9.0 / 10_000.0, "{:?}", after[0]);
        assert!((after[0][2] - before[0][2]).abs() < 0.01, "{:?} -> {:?}", before[0], after[0]);
        let mut model = first.clone();
        set_u(&mut model, &after);
        assert_eq!(model[0].levels[0].u, after[0][1]);
        assert!(model[0].levels[0].weight > first[0].levels[0].weight + 1.5);
    }

    /// u is learned from pairs of different customers: the pairs the prior's
    /// rule calls matches are left out of the sample. Ten people each
    /// entered twice (same name and mobile) among 190 pairs: with them, a
    /// random pair would agree on name and mobile one time in twenty.
    #[test]
    fn u_leaves_out_the_pairs_the_rule_calls_matches() {
        use crate::matching::features::InputRecord;
        let comps = super::super::compare::default_comparisons(&[]);
        let c = comps.iter().position(|d| d.kind == CompKind::Contact).unwrap();
        let names = ["江秀兰", "王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄勇", "周杰"];
        let recs: Vec<Record> = (0..20)
            .map(|i| {
                let input = InputRecord {
                    person: true,
                    name: names[i / 2].into(),
                    mobiles: vec![format!("1380000{:04}", i / 2)],
                    ..Default::default()
                };
                Record::from_input(&input, &[])
            })
            .collect();
        let lb = LevelBounds::default();
        let with = u_of(&comps, &sample_patterns(&recs, &comps, &lb, 1_000_000, 1, &|_| false));
        let without = u_of(&comps, &sample_patterns(&recs, &comps, &lb, 1_000_000, 1, &|lv| lv[c] == 1));
        assert!(with[c][1] > 0.04, "{:?}", with[c]);
        assert!(without[c][1] < 0.01, "{:?}", without[c]);
        // The sampled path (more pairs than samples) leaves them out too.
        let sampled = u_of(&comps, &sample_patterns(&recs, &comps, &lb, 100, 1, &|lv| lv[c] == 1));
        assert!(sampled[c][1] < 0.02, "{:?}", sampled[c]);
    }

    /// A model of one comparison (one agreeing level plus "different").
    fn one_level_model(records: u64, prior: f64, m: f64, u: f64) -> Model {
        let levels = vec![
            LevelParam { level: "same".into(), m, u, weight: (m / u).log2() },
            LevelParam { level: "different".into(), m: 1.0 - m, u: 1.0 - u, weight: ((1.0 - m) / (1.0 - u)).log2() },
        ];
        Model {
            comparisons: vec![CompParam {
                name: "f".into(),
                kind: CompKind::Landline,
                levels,
                learned_from: Vec::new(),
            }],
            records,
            random_pairs: 0,
            rule: String::new(),
            rule_pairs: 0,
            rule_recall: 1.0,
            prior,
            prior_bits: Model::log2_odds(prior),
            dups_per_record: None,
            scoring: SCORING_VERSION,
            passes: Vec::new(),
            bounds: LevelBounds::default(),
        }
    }

    #[test]
    fn a_name_key_leaves_out_the_name_and_no_other_key_does_alone() {
        let comps = crate::matching::compare::default_comparisons(&[]);
        let name = comps.iter().position(|c| c.kind == CompKind::Name).unwrap();
        for k in crate::matching::blocking::default_keys(&[]) {
            let out = left_out_by(k.kind, &comps)[name];
            // NameWith leaves the name out too, with the field it adds.
            assert_eq!(out, k.kind.is_name_key() || k.kind == KeyKind::NameWith, "{}", k.name);
        }
    }

    /// log2(m / u) with u the holders' share among `others` records.
    fn bits(m: f64, holders: f64, others: f64) -> f64 {
        (m / (holders / others)).log2()
    }

    #[test]
    fn term_frequency_does_not_count_a_records_own_duplicates_as_commonness() {
        // 2,048 records, 1.64 own duplicates per record expected (prior ×
        // others × m): 3.3 duplicates, half of them holding the value.
        let small = one_level_model(2048, 1.6e-3, 0.5, 1e-6);
        let own = 1.6e-3 * 2047.0 * 0.5;
        // A value only the pair holds: as strong as the level itself (its u
        // is rarer than one record in all; the pair holds the value under
        // either hypothesis and says nothing of how common it is).
        let two = small.weight(0, 1, Some(Holders::counted(2)));
        assert!((two - small.weight(0, 1, None)).abs() < 1e-9, "{two}");
        // Three or four holders: the one or two besides the pair are about
        // as many as its own duplicates expected, so no commoner.
        assert!((small.weight(0, 1, Some(Holders::counted(3))) - two).abs() < 1e-9);
        assert!((small.weight(0, 1, Some(Holders::counted(4))) - bits(0.5, 2.0 - own, 2047.0)).abs() < 1e-9);
        // A value 50 records hold is common whoever holds it: weaker, by
        // the 46.4 holders besides the pair and its duplicates.
        let common = small.weight(0, 1, Some(Holders::counted(50)));
        assert!((common - bits(0.5, 48.0 - own, 2047.0)).abs() < 1e-9, "{common}");
        assert!(common < two - 5.0);
        // Where the candidates counted the duplicates, that count is used
        // instead of the prior's (which the rule's recall can be off by).
        let mut counted = one_level_model(2048, 1.6e-3, 0.5, 1e-6);
        counted.dups_per_record = Some(1.0);
        let w = counted.weight(0, 1, Some(Holders::counted(50)));
        assert!((w - bits(0.5, 48.0 - 0.5, 2047.0)).abs() < 1e-9, "{w}");
        // A million records: a value only the pair holds keeps the level's
        // weight; one that 30 others hold is weaker by their share.
        let big = one_level_model(1_000_000, 1e-7, 0.5, 1e-5);
        let two = big.weight(0, 1, Some(Holders::counted(2)));
        assert!((two - big.weight(0, 1, None)).abs() < 1e-9, "{two}");
        let thirty = big.weight(0, 1, Some(Holders::counted(32)));
        assert!((thirty - bits(0.5, 30.0 - 1e-7 * 999_999.0 * 0.5, 999_999.0)).abs() < 1e-9, "{thirty}");
    }

    #[test]
    fn re_entries_already_taken_off_are_not_discounted_again() {
        // 2,048 records, 1.64 own duplicates expected per record at m 0.5.
        let small = one_level_model(2048, 1.6e-3, 0.5, 1e-6);
        let own = 1.6e-3 * 2047.0 * 0.5;
        // A bookkeeping agent's mobile on ten firms, one of them entered
        // twice (that re-entry seen and taken off): 0.64 duplicates remain
        // expected among the eight holders besides the pair.
        let seen = small.weight(0, 1, Some(Holders { n: 10, own_seen: 1 }));
        assert!((seen - bits(0.5, 8.0 - (own - 1.0), 2047.0)).abs() < 1e-9, "{seen}");
        // Counted as if nobody's re-entries were known, 1.64 of them would
        // come off the eight again: a rarer, stronger value.
        let unseen = small.weight(0, 1, Some(Holders::counted(10)));
        assert!(unseen > seen + 0.1, "{unseen} {seen}");
        // More re-entries seen than expected: nothing left to discount.
        let many = small.weight(0, 1, Some(Holders { n: 10, own_seen: 4 }));
        assert!((many - bits(0.5, 8.0, 2047.0)).abs() < 1e-9, "{many}");
    }

    #[test]
    fn a_duplicate_holds_the_value_at_every_level_that_shares_it() {
        // Contact: a re-entry with a typo in the contact's name still holds
        // the mobile, so the duplicates expected among a mobile's holders
        // count m of "reach and name" and "reach only" together.
        let kind = CompKind::Contact;
        assert_eq!(kind.value_levels(1), &[1, 2, 3]);
        assert_eq!(kind.value_levels(3), &[1, 2, 3]);
        assert_eq!(kind.value_levels(5), &[1, 4, 5]);
        assert!(kind.value_levels(8).is_empty());
        let mut model = one_level_model(2048, 1.6e-3, 0.5, 1e-6);
        let m: [f64; 8] = [0.4, 0.03, 0.07, 0.02, 0.3, 0.01, 0.12, 0.05];
        model.comparisons[0].kind = kind;
        model.comparisons[0].levels = m
            .iter()
            .zip(&kind.levels()[1..])
            .map(|(&m, l)| LevelParam { level: l.to_string(), m, u: 1e-6, weight: (m / 1e-6).log2() })
            .collect();
        let own = 1.6e-3 * 2047.0 * (0.4 + 0.03 + 0.07);
        let w = model.weight(0, 3, Some(Holders::counted(10)));
        assert!((w - bits(0.07, 8.0 - own, 2047.0)).abs() < 1e-9, "{w}");
    }

    #[test]
    fn em_separates_two_populations() {
        // Two binary comparisons; matches agree 90% of the time, non-matches 10%.
        let u = vec![vec![0.0, 0.1, 0.9], vec![0.0, 0.1, 0.9]];
        let mut pats = Vec::new();
        // 1000 matches, 1000 non-matches, independent fields.
        for (a, b, n) in [(1u8, 1u8, 810.0 + 10.0), (1, 2, 90.0 + 90.0), (2, 1, 90.0 + 90.0), (2, 2, 10.0 + 810.0)] {
            pats.push((vec![a, b], n));
        }
        let r = em(&pats, &u, &[false, false], 0.3);
        assert!((r.share - 0.5).abs() < 0.05, "{}", r.share);
        assert!((r.m[0][1] - 0.9).abs() < 0.05, "{:?}", r.m);
        // A left-out comparison keeps its starting m.
        let r = em(&pats, &u, &[true, false], 0.3);
        assert_eq!(r.m[0], initial_m(3));
    }

    #[test]
    fn a_pass_that_separated_nothing_does_not_teach_m() {
        // One comparison (a landline: missing, same, different). The phone
        // pass put every pair in the match class, households included, so
        // its pairs differ often; the name pass separated matches, which
        // rarely differ.
        let comps = vec![CompDef { name: "landline".into(), kind: CompKind::Landline }];
        let u = vec![vec![0.0, 0.01, 0.99]];
        let pass = |share: f64, same: f64, different: f64| EmResult {
            m: vec![vec![0.0, 0.5, 0.5]],
            match_counts: vec![vec![0.0, same, different]],
            expected_matches: same + different,
            share,
            iterations: 3,
            total: same + different,
        };
        let degenerate = ("phone".to_string(), vec![false], pass(1.0, 600.0, 400.0));
        let separated = ("name".to_string(), vec![false], pass(0.4, 990.0, 10.0));
        let both = assemble(&comps, &u, &[degenerate.clone(), separated], None);
        assert_eq!(both[0].learned_from, vec!["name".to_string()]);
        assert!(both[0].levels[1].m < 0.02, "{:?}", both[0].levels);
        // With no other pass to learn from, the degenerate one still counts.
        let alone = assemble(&comps, &u, &[degenerate], None);
        assert_eq!(alone[0].learned_from, vec!["phone".to_string()]);
        assert!((alone[0].levels[1].m - 0.4).abs() < 0.01, "{:?}", alone[0].levels);
    }

    /// Candidate pairs of a 300-record import: 150 customers with two
    /// records each (150 true pairs) and 300 look-alike pairs; three binary
    /// comparisons (missing, same, different) with known m and u.
    type Import = (Vec<(Vec<u8>, f64)>, Vec<Vec<f64>>, [f64; 3]);

    fn small_import() -> Import {
        let m_same = [0.9, 0.85, 0.8];
        let u_same = [0.02, 0.01, 0.1];
        let mut rng = SplitMix(7);
        let mut draw = |p: f64| if (rng.below(1_000_000) as f64) < p * 1e6 { 1u8 } else { 2u8 };
        let mut rows = Vec::new();
        for i in 0..450 {
            let ps = if i < 150 { &m_same } else { &u_same };
            rows.push(ps.iter().map(|&p| draw(p)).collect::<Vec<u8>>());
        }
        let pats = patterns(rows.iter().map(|r| (r.as_slice(), 1.0)));
        let u = u_same.iter().map(|&p| vec![0.0, p, 1.0 - p]).collect();
        (pats, u, m_same)
    }

    #[test]
    fn em_on_a_small_import_stays_inside_its_bounds() {
        let (pats, u, m_true) = small_import();
        let r = em(&pats, &u, &[false; 3], 0.1);
        assert!(r.converged(), "{} iterations", r.iterations);
        assert!(degenerate(&r).is_none());
        // One pair in three is a match.
        assert!((r.share - 1.0 / 3.0).abs() < 0.06, "share {}", r.share);
        let comps: Vec<CompDef> = (0..3).map(|i| CompDef { name: format!("f{i}"), kind: CompKind::Landline }).collect();
        let params = assemble(&comps, &u, &[("key".into(), vec![false; 3], r)], None);
        for (c, p) in params.iter().enumerate() {
            let (same, differ) = (&p.levels[0], &p.levels[1]);
            // Smoothed: strictly inside (0, 1), near the true m.
            assert!(same.m > 0.0 && same.m < 1.0 && differ.m > 0.0, "{p:?}");
            assert!((same.m - m_true[c]).abs() < 0.1, "{p:?}");
            // Agreement is evidence for, disagreement against.
            assert!(same.weight > 0.0 && differ.weight < 0.0, "{p:?}");
        }
    }

    #[test]
    fn a_degenerate_pass_falls_back_to_the_documented_prior() {
        // Every pair agrees on everything: EM calls them all matches.
        let u = vec![vec![0.0, 0.05, 0.95]; 2];
        let all_agree = vec![(vec![1u8, 1u8], 400.0)];
        let r = em(&all_agree, &u, &[false, false], 0.5);
        assert!(r.share > DEGENERATE_SHARE, "{}", r.share);
        assert_eq!(degenerate(&r).as_deref(), Some("match share near 1"));
        // Too few pairs is degenerate whatever the share.
        let few = em(&[(vec![1, 1], 5.0), (vec![2, 2], 5.0)], &u, &[false, false], 0.5);
        assert!(degenerate(&few).unwrap().starts_with("fewer than"));
        // Alone, its counts are only smoothed: m stays strictly inside
        // (0, 1), at the counted share.
        let comps = vec![CompDef { name: "f".into(), kind: CompKind::Landline }; 2];
        let p = assemble(&comps, &u, &[("k".into(), vec![false, false], few.clone())], None);
        let m = p[0].levels[0].m;
        assert!(m > 0.0 && m < 1.0, "{m}");
        assert!((m - smooth(&few.match_counts[0])[1]).abs() < 1e-12, "{m}");
        // Beside a pass that separated, it is not used.
        let (pats, _, _) = small_import();
        let u3 = vec![vec![0.0, 0.05, 0.95]; 3];
        let good = em(&pats, &u3, &[false; 3], 0.1);
        let bad = em(&[(vec![1, 1, 1], 400.0)], &u3, &[false; 3], 0.5);
        let comps3 = vec![CompDef { name: "f".into(), kind: CompKind::Landline }; 3];
        let p =
            assemble(&comps3, &u3, &[("bad".into(), vec![false; 3], bad), ("good".into(), vec![false; 3], good)], None);
        assert_eq!(p[0].learned_from, vec!["good".to_string()]);
    }

    #[test]
    fn smoothing_never_reaches_zero_or_one() {
        let s = smooth(&[5.0, 10.0, 0.0]);
        assert!(s[1] < 1.0 && s[2] > 0.0);
    }
}
