//! Duplicate detection (docs/matching.md): blocking on a union of keys,
//! Fellegi–Sunter comparison levels whose weights are learned from the data,
//! term-frequency adjustment, and clustering that refuses weak chains.
//!
//! Pure: records in, model, scored pairs and clusters out. No SQL, no clock;
//! the service layer loads, stores and audits.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod eval;
pub mod features;
pub mod model;

pub use blocking::{KeyDef, KeyKind, KeyStats};
pub use compare::{CompDef, CompKind, LevelBounds};
pub use features::{CustomType, CustomValue, InputRecord, Record};
pub use model::{Holders, Model};

use compare::Shared;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default probability from which a pair goes to the review queue: a pair
/// at least as likely to be the same customer as not.
pub const DEFAULT_REVIEW: f64 = 0.5;
/// Default probability from which `--auto-merge` merges without asking.
pub const DEFAULT_AUTO_MERGE: f64 = 0.99;
/// Default block cap: blocks larger than this are split by place, then skipped.
pub const DEFAULT_MAX_BLOCK: usize = 20;

/// A match configuration (`crmwb match --config FILE`); every part optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    pub thresholds: Thresholds,
    pub blocking: BlockingConfig,
    pub model: ModelConfig,
    pub levels: LevelBounds,
    /// Custom field types that override the declared ones: `NAME = "identifier"`.
    pub custom: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub review: f64,
    pub auto_merge: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { review: DEFAULT_REVIEW, auto_merge: DEFAULT_AUTO_MERGE }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockingConfig {
    /// Key names: mobile landline email name brand pinyin contact_city custom:NAME.
    pub keys: Option<Vec<String>>,
    pub max_block: usize,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        BlockingConfig { keys: None, max_block: DEFAULT_MAX_BLOCK }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Comparisons to use: name legal_form branch location contact landline
    /// email address industry first_contact custom:NAME (default: all).
    pub fields: Option<Vec<String>>,
    /// Random pairs sampled for u (default: see `ModelConfig::u_samples`).
    pub u_samples: Option<u64>,
    /// Most pairs of one blocking pass EM looks at (a systematic sample).
    pub em_max_pairs: usize,
    /// The share of true matches the deterministic rule finds; estimated
    /// from the learned m when not given.
    pub rule_recall: Option<f64>,
    /// Seed of the random-pair sample.
    pub seed: u64,
    /// Term-frequency adjustment on exact agreement.
    pub term_frequency: bool,
}

impl ModelConfig {
    /// Random pairs sampled for u among `records`: as configured, else a
    /// million or three per record, whichever is more. A level no sampled
    /// pair falls into gets u of about one in the sample, and that has to
    /// stay under the prior (about a record's duplicates in all records)
    /// for a name or a mobile alone to count for what it is; a fixed
    /// million does not at a million customers (generator, 1,651,660
    /// records: pairwise recall 0.868 with 1M pairs, 0.966 with 5M, the same
    /// with 20M).
    pub fn u_samples(&self, records: usize) -> u64 {
        self.u_samples.unwrap_or_else(|| (records as u64).saturating_mul(3).max(1_000_000))
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            fields: None,
            u_samples: None,
            em_max_pairs: 400_000,
            rule_recall: None,
            seed: 1,
            term_frequency: true,
        }
    }
}

impl MatchConfig {
    pub fn from_toml(text: &str) -> Result<MatchConfig, String> {
        let c: MatchConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    pub fn check(&self) -> Result<(), String> {
        let t = &self.thresholds;
        for (n, v) in [("review", t.review), ("auto_merge", t.auto_merge)] {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                return Err(format!("thresholds.{n} = {v}: give a probability between 0 and 1"));
            }
        }
        if t.review > t.auto_merge {
            return Err(format!("thresholds.review ({}) is above thresholds.auto_merge ({})", t.review, t.auto_merge));
        }
        if self.blocking.max_block < 2 {
            return Err("blocking.max_block must be at least 2".into());
        }
        if let Some(r) = self.model.rule_recall {
            if !(r > 0.0 && r <= 1.0) {
                return Err(format!("model.rule_recall = {r}: give a share in (0, 1]"));
            }
        }
        for (name, ty) in &self.custom {
            if CustomType::parse(ty).is_none() {
                return Err(format!("custom.{name} = `{ty}`: use text, identifier, date, number, phone or email"));
            }
        }
        Ok(())
    }

    /// The comparisons and keys of a run, given the database's custom fields.
    pub fn plan(&self, declared: &[(String, CustomType)]) -> Result<Plan, String> {
        let custom: Vec<(String, CustomType)> = declared
            .iter()
            .map(|(n, t)| (n.clone(), self.custom.get(n).and_then(|t| CustomType::parse(t)).unwrap_or(*t)))
            .collect();
        for n in self.custom.keys() {
            if !custom.iter().any(|(c, _)| c == n) {
                return Err(format!("custom.{n}: no custom field of that name in this database"));
            }
        }
        let all_comps = compare::default_comparisons(&custom);
        let comps = match &self.model.fields {
            None => all_comps,
            Some(names) => pick(all_comps, names, |c| &c.name, "model.fields")?,
        };
        let all_keys = blocking::default_keys(&custom);
        let keys = match &self.blocking.keys {
            None => all_keys,
            Some(names) => {
                // Any custom field may be a key when asked for, whatever its type.
                let mut avail = all_keys;
                for (i, (n, _)) in custom.iter().enumerate() {
                    let name = format!("custom:{n}");
                    if !avail.iter().any(|k| k.name == name) {
                        avail.push(KeyDef { name, kind: KeyKind::Custom(i) });
                    }
                }
                pick(avail, names, |k| &k.name, "blocking.keys")?
            }
        };
        if keys.is_empty() {
            return Err("blocking.keys is empty: name at least one key".into());
        }
        if keys.len() > 31 {
            return Err("blocking.keys: at most 31 keys".into());
        }
        let place = comps.iter().position(|c| c.kind == CompKind::Location);
        let numbers = comps
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.kind, CompKind::Contact | CompKind::Landline))
            .map(|(i, _)| i)
            .collect();
        Ok(Plan { comps, keys, custom, place, numbers })
    }
}

fn pick<T>(all: Vec<T>, names: &[String], name: impl Fn(&T) -> &String, what: &str) -> Result<Vec<T>, String> {
    for n in names {
        if !all.iter().any(|x| name(x) == n) {
            let known: Vec<&str> = all.iter().map(|x| name(x).as_str()).collect();
            return Err(format!("{what}: unknown `{n}` (known: {})", known.join(", ")));
        }
    }
    Ok(all.into_iter().filter(|x| names.contains(name(x))).collect())
}

/// What a run compares and blocks on.
#[derive(Debug, Clone)]
pub struct Plan {
    pub comps: Vec<CompDef>,
    pub keys: Vec<KeyDef>,
    pub custom: Vec<(String, CustomType)>,
    /// The location comparison and the ones that can share a number
    /// (contact, landline): looked up once, since `Scorer::weigh` asks for
    /// every pair.
    place: Option<usize>,
    numbers: Vec<usize>,
}

impl Plan {
    /// The location comparison, where the pair's `levels` share a number (a
    /// contact's mobile or e-mail, a landline): being in the same place
    /// then follows from the number (see `Scorer::weigh`).
    fn place_follows(&self, levels: &[u8]) -> Option<usize> {
        let lc = self.place?;
        self.numbers.iter().any(|&c| compare::number_shared(&self.comps[c].kind, levels[c])).then_some(lc)
    }
}

/// Runs `f` over `items` on two threads (the machines this runs on have two
/// cores), concatenating the results in order.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 4096 {
        return items.iter().map(&f).collect();
    }
    let mid = items.len() / 2;
    let (a, b) = items.split_at(mid);
    let f = &f;
    let (mut ra, rb) = std::thread::scope(|s| {
        let h = s.spawn(move || b.iter().map(f).collect::<Vec<R>>());
        let ra: Vec<R> = a.iter().map(f).collect();
        (ra, h.join().expect("worker thread"))
    });
    ra.extend(rb);
    ra
}

/// A hasher for keys that are integers already spread out (key hashes,
/// record indices): one multiplication instead of SipHash, which was a
/// visible share of counting and looking up 13M key hashes. Not for
/// untrusted keys.
#[derive(Default, Clone, Copy)]
pub struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        // Fibonacci hashing: the high bits, which hashbrown uses for its
        // control bytes, depend on every bit of x.
        self.0 = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// A HashMap keyed by integers, hashed with `IntHasher`.
pub type IntMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IntHasher>>;

/// `f` of every item, items shared out over two threads one by one (for a
/// few items of very different cost), results in order.
pub fn par_map_each<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let work = move || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else { return out };
            out.push((i, f(item)));
        }
    };
    let mut all = std::thread::scope(|s| {
        let h = s.spawn(work);
        let mut mine = work();
        mine.extend(h.join().expect("worker thread"));
        mine
    });
    all.sort_by_key(|p| p.0);
    all.into_iter().map(|p| p.1).collect()
}

/// Runs `f` over the two halves of `0..n` on two threads, results in order.
pub fn par_halves<R: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> R + Sync) -> Vec<R> {
    if n < 4096 {
        return vec![f(0..n)];
    }
    let f = &f;
    std::thread::scope(|s| {
        let h = s.spawn(move || f(n / 2..n));
        let first = f(0..n / 2);
        vec![first, h.join().expect("worker thread")]
    })
}

pub fn prepare(inputs: &[InputRecord], plan: &Plan) -> Vec<Record> {
    par_map(inputs, |r| Record::from_input(r, &plan.custom))
}

pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// Level vectors of the pairs, `plan.comps.len()` bytes each.
pub fn compare_pairs(records: &[Record], plan: &Plan, lb: &LevelBounds, pairs: &[(u64, u32)]) -> Vec<u8> {
    let nc = plan.comps.len();
    let chunks: Vec<&[(u64, u32)]> = pairs.chunks(pairs.len().div_ceil(2).max(1)).collect();
    let parts = par_map_chunks(&chunks, |chunk| {
        let mut out = Vec::with_capacity(chunk.len() * nc);
        for &(p, _) in chunk.iter() {
            let (a, b) = unpack(p);
            let (ra, rb) = (&records[a as usize], &records[b as usize]);
            out.extend(plan.comps.iter().map(|c| compare::level(&c.kind, ra, rb, lb)));
        }
        out
    });
    parts.concat()
}

fn par_map_chunks<T: Sync, R: Send>(chunks: &[&[T]], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let f = &f;
    std::thread::scope(|s| {
        let hs: Vec<_> = chunks.iter().map(|c| s.spawn(move || f(c))).collect();
        hs.into_iter().map(|h| h.join().expect("worker thread")).collect()
    })
}

/// How many records hold each counted value: `stored` is every record's
/// `blocking::stored_keys`, each hash once per record. Only values two or
/// more records hold are kept: a hash not in the map is held by one record
/// (or none), which readers take as 1. Most values are one record's own (a
/// mobile, an address): at 1.65M records, 5.1M of the 8.1M values.
///
/// Counted by sorting every hash (8 bytes each) rather than in a map of
/// every value, which grew to 16M slots and lived until the pairs were
/// written: the full run's peak memory fell from 1.96 GB to 1.76 GB.
pub fn term_counts(stored: &[Vec<u64>]) -> IntMap<u64, u32> {
    let mut all: Vec<u64> = Vec::with_capacity(stored.iter().map(Vec::len).sum());
    for ks in stored {
        all.extend_from_slice(ks);
    }
    all.sort_unstable();
    let shared = all.chunk_by(|a, b| a == b).filter(|run| run.len() > 1);
    let mut tf: IntMap<u64, u32> = IntMap::with_capacity_and_hasher(shared.clone().count(), Default::default());
    tf.extend(shared.map(|run| (run[0], run.len() as u32)));
    tf
}

/// The hash under which a shared value's frequency is counted (the same
/// hashes blocking stores).
pub fn tf_hash(s: Shared) -> u64 {
    match s {
        Shared::Name(k) => blocking::name_hash(k),
        Shared::Mobile(m) => blocking::mobile_hash(m),
        Shared::Contact(c) => blocking::contact_hash(c),
        Shared::Landline(h) | Shared::Email(h) | Shared::Domain(h) | Shared::EmailUser(h) => h,
        Shared::Custom(i, t) => blocking::custom_hash(i, t),
        Shared::CustomDate(i, d) => blocking::custom_date_hash(i, d),
        Shared::Part(w) => blocking::part_hash(w),
    }
}

fn index_of(plan: &Plan, kind: CompKind) -> Option<usize> {
    plan.comps.iter().position(|c| c.kind == kind)
}

/// A strict deterministic rule the prior is estimated from (matching.md):
/// the same name together with one strong identifier. Which identifiers
/// there are depends on the data: a mobile or personal e-mail (the contact
/// comparison), or a custom identifier, phone, e-mail or date (a birth
/// date: name + date of birth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Same name and same mobile or e-mail (for two people, same person
    /// and mobile).
    NameAndReach,
    /// Same name and the same value of this custom comparison (its index).
    NameAnd(usize),
}

impl Rule {
    /// The rules this plan's comparisons allow.
    pub fn candidates(plan: &Plan) -> Vec<Rule> {
        let mut v = Vec::new();
        if index_of(plan, CompKind::Contact).is_some() {
            v.push(Rule::NameAndReach);
        }
        for (c, cd) in plan.comps.iter().enumerate() {
            if let CompKind::Custom { ty, .. } = cd.kind {
                if matches!(ty, CustomType::Identifier | CustomType::Date | CustomType::Phone | CustomType::Email) {
                    v.push(Rule::NameAnd(c));
                }
            }
        }
        v
    }

    pub fn describe(&self, plan: &Plan) -> String {
        match self {
            Rule::NameAndReach => "same name and mobile/e-mail".into(),
            Rule::NameAnd(c) => format!("same name and {}", plan.comps[*c].name),
        }
    }

    /// Whether a pair's levels meet the rule.
    pub fn holds(&self, plan: &Plan, levels: &[u8]) -> bool {
        match *self {
            Rule::NameAndReach => {
                let Some(c) = index_of(plan, CompKind::Contact) else { return false };
                let n = index_of(plan, CompKind::Name).map_or(0, |n| levels[n]);
                (name_agrees(plan, levels) && matches!(levels[c], 1..=3)) || (n == 0 && levels[c] == 1)
            }
            Rule::NameAnd(c) => name_agrees(plan, levels) && levels[c] == 1,
        }
    }

    /// P(rule | match) from the EM counts of the passes that did not block
    /// on each field, the fields taken as independent given a match.
    fn recall(&self, plan: &Plan, passes: &[(String, Vec<bool>, model::EmResult)]) -> Option<f64> {
        let shares = |c: Option<usize>| -> Option<Vec<f64>> {
            let c = c?;
            let mut counts = vec![0.0; plan.comps[c].kind.levels().len()];
            for (_, left_out, r) in passes {
                if !left_out[c] {
                    for (a, v) in counts.iter_mut().zip(&r.match_counts[c]) {
                        *a += v;
                    }
                }
            }
            let total: f64 = counts.iter().sum();
            (total > 0.0).then(|| counts.iter().map(|v| v / total).collect())
        };
        let name = shares(index_of(plan, CompKind::Name));
        let person = match (shares(index_of(plan, CompKind::GivenName)), shares(index_of(plan, CompKind::Surname))) {
            (Some(g), Some(s)) => g[1] * s[1],
            _ => 0.0,
        };
        // Name agreement: the company name (exact or core), or where it is
        // not compared, given name and surname both exact.
        let (agree, missing) = match &name {
            Some(n) => (n[1] + n[2], n[0]),
            None => (0.0, 1.0),
        };
        match *self {
            Rule::NameAndReach => {
                let c = shares(index_of(plan, CompKind::Contact))?;
                Some((agree + missing * person) * (c[1] + c[2] + c[3]) + missing * c[1])
            }
            Rule::NameAnd(k) => {
                let c = shares(Some(k))?;
                Some((agree + missing * person) * c[1])
            }
        }
    }
}

/// The names agree: company name exact or same core, or both person name
/// parts exact.
fn name_agrees(plan: &Plan, levels: &[u8]) -> bool {
    let at = |k: CompKind| index_of(plan, k).map(|i| levels[i]);
    matches!(at(CompKind::Name), Some(1 | 2))
        || (at(CompKind::GivenName) == Some(1) && at(CompKind::Surname) == Some(1))
}

/// The rule of a run: the allowed rule met by the most candidate pairs
/// (the best-supported estimate), with its pair count.
pub fn choose_rule(plan: &Plan, levels: &[u8], pairs: usize) -> Option<(Rule, u64)> {
    let nc = plan.comps.len();
    let rules = Rule::candidates(plan);
    let mut counts = vec![0u64; rules.len()];
    for i in 0..pairs {
        let lv = &levels[i * nc..(i + 1) * nc];
        for (r, n) in rules.iter().zip(counts.iter_mut()) {
            if r.holds(plan, lv) {
                *n += 1;
            }
        }
    }
    // The first allowed rule wins ties (mobile + name where there is one).
    let best = (0..rules.len()).rev().max_by_key(|&i| counts[i])?;
    Some((rules[best], counts[best]))
}

/// The size of the smallest block of one key that holds both records.
fn shared_block(kind: KeyKind, a: &Record, b: &Record, tf: &dyn Fn(u64) -> u32) -> u32 {
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    blocking::keys_of(kind, a, &mut ka);
    blocking::keys_of(kind, b, &mut kb);
    ka.iter().filter(|h| kb.contains(h)).map(|&h| tf(h)).min().unwrap_or(2).max(2)
}

/// Learns the model from the records and their candidate pairs. `tf`
/// counts the records holding a key hash.
///
/// In each pass a pair counts 1/(n − 1), n being the size of the block that
/// produced it: a value shared by n records yields n(n − 1)/2 pairs of which
/// at most n − 1 can be needed to link one customer's records, so a
/// bookkeeping agent's mobile on ten firms would otherwise outvote ten true
/// duplicates and teach EM that matches often differ in name.
pub fn learn(
    records: &[Record],
    plan: &Plan,
    cfg: &MatchConfig,
    pairs: &[(u64, u32)],
    levels: &[u8],
    tf: &(dyn Fn(u64) -> u32 + Sync),
) -> Model {
    let nc = plan.comps.len();
    let lb = &cfg.levels;
    let chosen = choose_rule(plan, levels, pairs.len());
    let rule = |lv: &[u8]| chosen.is_some_and(|(r, _)| r.holds(plan, lv));
    let samples = cfg.model.u_samples(records.len());
    let random = model::sample_patterns(records, &plan.comps, lb, samples, cfg.model.seed, &rule);
    let u = model::u_of(&plan.comps, &random);
    // Passes are independent of each other: two at a time.
    let keys: Vec<(usize, &KeyDef)> = plan.keys.iter().enumerate().collect();
    let learned = par_map_each(&keys, |&(bit, key)| {
        let idx: Vec<usize> = pairs.iter().enumerate().filter(|(_, p)| p.1 & (1 << bit) != 0).map(|(i, _)| i).collect();
        if idx.is_empty() {
            return None;
        }
        let step = idx.len().div_ceil(cfg.model.em_max_pairs.max(1));
        let used: Vec<usize> = idx.iter().copied().step_by(step).collect();
        let weights: Vec<f64> = used
            .iter()
            .map(|&i| {
                let (a, b) = unpack(pairs[i].0);
                1.0 / (shared_block(key.kind, &records[a as usize], &records[b as usize], tf) - 1) as f64
            })
            .collect();
        let rows = || used.iter().zip(&weights).map(|(&i, &w)| (&levels[i * nc..(i + 1) * nc], w));
        let rule_share = rows().filter(|r| rule(r.0)).map(|r| r.1).sum::<f64>() / weights.iter().sum::<f64>();
        // A person's name is its contact's name: a pass that blocked on the
        // name of a person blocked on its contact comparison too, so that
        // comparison is treated as unseen in such pairs (companies keep it).
        let masked: Vec<u8> = match (index_of(plan, CompKind::Contact), key.kind) {
            (Some(c), k) if k.is_name_key() || k == KeyKind::NameWith => {
                let mut v = Vec::with_capacity(used.len() * nc);
                for &i in &used {
                    v.extend_from_slice(&levels[i * nc..(i + 1) * nc]);
                    let (a, b) = unpack(pairs[i].0);
                    if records[a as usize].person || records[b as usize].person {
                        let at = v.len() - nc + c;
                        v[at] = 0;
                    }
                }
                v
            }
            _ => Vec::new(),
        };
        let pats = if masked.is_empty() {
            model::patterns(rows())
        } else {
            model::patterns(masked.chunks_exact(nc).zip(weights.iter().copied()))
        };
        let left_out = model::left_out_by(key.kind, &plan.comps);
        let r = model::em(&pats, &u, &left_out, rule_share);
        let report = model::PassReport {
            key: key.name.clone(),
            pairs: idx.len() as u64,
            used: used.len() as u64,
            iterations: r.iterations,
            match_share: r.share,
            left_out: plan.comps.iter().zip(&left_out).filter(|(_, l)| **l).map(|(c, _)| c.name.clone()).collect(),
            converged: r.converged(),
            degenerate: model::degenerate(&r),
        };
        Some((report, (key.name.clone(), left_out, r)))
    });
    let (reports, passes): (Vec<_>, Vec<_>) = learned.into_iter().flatten().unzip();
    // A field every pass blocked on is learned from all candidates together.
    let fallback = if plan.comps.iter().enumerate().any(|(c, _)| passes.iter().all(|p| p.1[c])) {
        let step = pairs.len().div_ceil(cfg.model.em_max_pairs.max(1)).max(1);
        let rows = (0..pairs.len()).step_by(step).map(|i| (&levels[i * nc..(i + 1) * nc], 1.0));
        let pats = model::patterns(rows);
        let share = pats.iter().filter(|p| rule(&p.0)).map(|p| p.1).sum::<f64>()
            / pats.iter().map(|p| p.1).sum::<f64>().max(1.0);
        Some(model::em(&pats, &u, &vec![false; nc], share))
    } else {
        None
    };
    let comparisons = model::assemble(&plan.comps, &u, &passes, fallback.as_ref());
    let rule_pairs = chosen.map_or(0, |(_, n)| n);
    let (lo, hi) = model::RULE_RECALL_BOUNDS;
    let rule_recall = cfg
        .model
        .rule_recall
        .unwrap_or_else(|| chosen.and_then(|(r, _)| r.recall(plan, &passes)).unwrap_or(lo).clamp(lo, hi));
    let n = records.len() as f64;
    let all_pairs = (n * (n - 1.0) / 2.0).max(1.0);
    // Every rule pair counts, however few: a small import with four
    // obvious duplicates has about four matches, and assuming fewer would
    // push them under the review threshold. Without any rule pair the
    // prior counts one match among all pairs (the most cautious prior).
    let matches = rule_pairs as f64 / rule_recall;
    let prior = (matches.max(1.0) / all_pairs).clamp(1e-12, 0.5);
    // The random pairs hold the duplicates the rule did not recognise (a
    // firm entered under its short name, a person without a mobile): on a
    // small import they are most of the agreement at the strong levels, so
    // u came out as about prior × m there and a shared name or mobile
    // weighed a fraction of what it says (24 zh draws: pairs given p 0.4-0.5
    // were matches 9 times in 10). u is counted again with each random pair
    // counted by this model's probability that it is no match (weighed as
    // the scorer weighs it, without term frequency). Once: u again
    // from the model that gives takes still more of the agreeing pairs for
    // matches with nothing to hold it (5 rounds merged 27 hard negatives on
    // 12 draws where one merged 17), and learning m again against the new u
    // merged more too (24 draws: 13 -> 15).
    let mut comparisons = comparisons;
    let in_sample = prior * (1.0 - rule_recall) / (1.0 - prior * rule_recall);
    let bits = |lv: &[u8]| -> f64 {
        let w = |c: usize| if lv[c] == 0 { 0.0 } else { comparisons[c].levels[lv[c] as usize - 1].weight };
        let place = plan.place_follows(lv).map_or(0.0, |lc| w(lc).max(0.0));
        (0..lv.len()).map(w).sum::<f64>() - place
    };
    let u = model::refine_u(&plan.comps, &random, &bits, in_sample);
    model::set_u(&mut comparisons, &u);
    Model {
        comparisons,
        records: records.len() as u64,
        random_pairs: samples.min((n * (n - 1.0) / 2.0) as u64),
        rule: match chosen {
            Some((r, _)) if rule_pairs > 0 => r.describe(plan),
            Some((r, _)) => format!("{} (no pair meets it: one match assumed)", r.describe(plan)),
            None => "none (no strong identifier: one match assumed)".into(),
        },
        rule_pairs,
        rule_recall,
        prior,
        prior_bits: Model::log2_odds(prior),
        dups_per_record: None,
        scoring: model::SCORING_VERSION,
        passes: reports,
        bounds: cfg.levels.clone(),
    }
}

/// Duplicates per record, counted over the candidate pairs by their
/// probabilities (`scores`: log2 odds, prior included). Term
/// frequency takes a record's own duplicates off the holders of a value; the
/// prior alone (matches the rule found over its estimated recall) can be
/// off by a factor of two either way on a small import, and a common name
/// then reads as rare or a re-entry's mobile as common. Blocking reaches
/// nearly every true pair, so the candidates' probabilities count them.
pub fn count_duplicates(model: &Model, scores: &[f64]) -> f64 {
    let expected: f64 = scores.iter().map(|&s| Model::probability(s)).sum();
    2.0 * expected / (model.records.max(1) as f64)
}

/// How many records hold the shared value `s`, as term frequency counts
/// them (`tf`: records holding a key hash). A mobile or e-mail is common
/// when records under *other* names hold it (a switchboard, a bookkeeping
/// agent's number on ten firms); the records that hold it under the same
/// customer name are that customer entered again, what the prior's rule
/// (same name and mobile/e-mail) counts as one customer, and no sign that
/// the number is common. Otherwise a person entered four times with one
/// mobile reads like a shared number, and name and mobile together cannot
/// lift any two of the four over the prior.
pub fn holders(tf: &dyn Fn(u64) -> u32, s: Shared, a: &Record, b: &Record) -> Holders {
    let n = tf(tf_hash(s));
    let (mobile, reach) = match s {
        Shared::Mobile(m) => (true, m),
        Shared::Email(e) => (false, e),
        _ => return Holders::counted(n),
    };
    let same_name = [a, b]
        .iter()
        .filter(|r| !r.key.is_empty())
        .map(|r| tf(blocking::named_reach_hash(&r.key, mobile, reach)))
        .max()
        .unwrap_or(1)
        .clamp(1, n.max(1));
    // One record of the group stays counted beside the rest (`Model::weight`
    // takes the pair off, and the expected duplicates not already among the
    // re-entries seen here). Where the pair shares the name both are in the
    // group, so this leaves one holder fewer than there are besides the
    // pair. Counting that holder too is the exact count, and it lost 0.006
    // F1 on generator data (20,000 customers, seed 43: 0.9872 -> 0.9815;
    // zh and the labelled people unchanged): a customer entered under its
    // name several times has more re-entries under other spellings than the
    // average duplicate count expects, and the holder left out stands for
    // them.
    Holders { n: n.max(1) - same_name + 1, own_seen: same_name - 1 }
}

/// Weighs pairs with a learned model.
pub struct Scorer<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    /// How many records hold a value (by its key hash).
    pub tf: &'a (dyn Fn(u64) -> u32 + Sync),
    pub term_frequency: bool,
}

impl Scorer<'_> {
    /// Weights of one pair into `out` (one per comparison); returns the
    /// Bayes factor in bits (the sum, prior excluded).
    pub fn weigh(&self, a: &Record, b: &Record, levels: &[u8], out: &mut [f64]) -> f64 {
        let mut sum = 0.0;
        for (c, cd) in self.plan.comps.iter().enumerate() {
            let l = levels[c];
            let n = if self.term_frequency {
                compare::shared(&cd.kind, l, a, b).map(|s| holders(self.tf, s, a, b))
            } else {
                None
            };
            let w = self.model.weight(c, l, n);
            out[c] = w;
            sum += w;
        }
        // A number belongs to a person or a switchboard in one place. Where
        // the pair shares a contact's mobile or e-mail, or a landline, being
        // in the same place follows under either hypothesis (one firm
        // entered twice, or two firms one bookkeeping agent keeps, or two
        // firms behind one switchboard), so it adds nothing to what the
        // number said; a different place still counts against. Counted as
        // independent, the place lifted firms sharing a bookkeeper over the
        // review threshold (zh dev generator, seeds 2-12: hard negatives
        // merged 18 -> 11, F1 0.9883 -> 0.9871), and firms sharing a
        // switchboard (seeds 1-12: 5 -> 4 merged, F1 unchanged or higher).
        if let Some(lc) = self.plan.place_follows(levels) {
            if out[lc] > 0.0 {
                sum -= out[lc];
                out[lc] = 0.0;
            }
        }
        sum
    }

    /// Levels, weights and Bayes factor of any pair.
    pub fn compare(&self, a: &Record, b: &Record) -> (Vec<u8>, Vec<f64>, f64) {
        let levels: Vec<u8> =
            self.plan.comps.iter().map(|c| compare::level(&c.kind, a, b, &self.model.bounds)).collect();
        let mut w = vec![0.0; levels.len()];
        let bf = self.weigh(a, b, &levels, &mut w);
        (levels, w, bf)
    }
}

/// Band of a probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    Match,
    Review,
    NonMatch,
}

impl Band {
    pub fn of(p: f64, t: &Thresholds) -> Band {
        if p >= t.auto_merge {
            Band::Match
        } else if p >= t.review {
            Band::Review
        } else {
            Band::NonMatch
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Match => "match",
            Band::Review => "review",
            Band::NonMatch => "non-match",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value one record holds is not kept (readers count it 1); values
    /// held twice or more are counted once per record.
    #[test]
    fn term_counts_keep_only_shared_values() {
        let tf = term_counts(&[vec![1, 2, 3], vec![2, 3], vec![3, 4]]);
        let mut got: Vec<(u64, u32)> = tf.iter().map(|(&h, &n)| (h, n)).collect();
        got.sort_unstable();
        assert_eq!(got, vec![(2, 2), (3, 3)]);
    }

    /// u's sample grows with the records (three pairs per record) beyond a
    /// million, and a configured size is kept as given.
    #[test]
    fn the_random_pair_sample_grows_with_the_records() {
        let auto = ModelConfig::default();
        assert_eq!(auto.u_samples(2_000), 1_000_000);
        assert_eq!(auto.u_samples(1_651_660), 4_954_980);
        let given = ModelConfig { u_samples: Some(50_000), ..ModelConfig::default() };
        assert_eq!(given.u_samples(1_651_660), 50_000);
    }
    use crate::matching::features::InputRecord;

    /// A pass whose EM counted these name and contact levels among matches.
    fn pass(plan: &Plan, name: &[f64], contact: &[f64]) -> (String, Vec<bool>, model::EmResult) {
        let mut counts: Vec<Vec<f64>> = plan.comps.iter().map(|c| vec![0.0; c.kind.levels().len()]).collect();
        let (n, c) = (index_of(plan, CompKind::Name).unwrap(), index_of(plan, CompKind::Contact).unwrap());
        counts[n][..name.len()].copy_from_slice(name);
        counts[c][..contact.len()].copy_from_slice(contact);
        ("key".into(), vec![false; plan.comps.len()], model::EmResult::counted(counts))
    }

    fn records(rows: &[(bool, &str, &str)]) -> Vec<Record> {
        rows.iter()
            .map(|&(person, name, mobile)| {
                let core = (!person).then(|| name.to_string());
                let i = InputRecord {
                    person,
                    name: name.into(),
                    name_core: core,
                    mobiles: vec![mobile.into()],
                    ..Default::default()
                };
                Record::from_input(&i, &[])
            })
            .collect()
    }

    /// As `match` counts: every stored key hash of every record.
    fn counts(recs: &[Record]) -> IntMap<u64, u32> {
        let keys = blocking::default_keys(&[]);
        term_counts(&recs.iter().map(|r| blocking::stored_keys(&keys, r)).collect::<Vec<_>>())
    }

    #[test]
    fn a_mobile_held_under_one_name_is_not_common_but_under_many_it_is() {
        // One person entered four times with the same mobile, and two
        // others: the mobile has four holders, all under her name.
        let people = records(&[
            (true, "江秀兰", "18850440386"),
            (true, "江秀兰", "18850440386"),
            (true, "江秀兰", "18850440386"),
            (true, "江秀兰", "18850440386"),
            (true, "王伟", "13912345678"),
        ]);
        let tf = counts(&people);
        let f = |h: u64| tf.get(&h).copied().unwrap_or(1);
        let m = Shared::Mobile(people[0].mobiles[0]);
        assert_eq!(f(tf_hash(m)), 4);
        assert_eq!(holders(&f, m, &people[0], &people[1]), Holders { n: 1, own_seen: 3 });
        // A bookkeeping agent's mobile on four firms: four names, common.
        let firms = records(&[
            (false, "星辰科技", "13800001111"),
            (false, "腾达贸易", "13800001111"),
            (false, "云帆物流", "13800001111"),
            (false, "华通电子", "13800001111"),
        ]);
        let tf = counts(&firms);
        let f = |h: u64| tf.get(&h).copied().unwrap_or(1);
        let m = Shared::Mobile(firms[0].mobiles[0]);
        assert_eq!(holders(&f, m, &firms[0], &firms[1]), Holders { n: 4, own_seen: 0 });
        // Two firms under one name and two others: the two others count.
        let mixed = records(&[
            (false, "星辰科技", "13800001111"),
            (false, "星辰科技", "13800001111"),
            (false, "云帆物流", "13800001111"),
            (false, "华通电子", "13800001111"),
        ]);
        let tf = counts(&mixed);
        let f = |h: u64| tf.get(&h).copied().unwrap_or(1);
        assert_eq!(
            holders(&f, Shared::Mobile(mixed[0].mobiles[0]), &mixed[0], &mixed[1]),
            Holders { n: 3, own_seen: 1 }
        );
        // A pair under two names, one of them entered twice: that re-entry
        // is seen and taken off; the pair and the fourth firm stay.
        assert_eq!(
            holders(&f, Shared::Mobile(mixed[0].mobiles[0]), &mixed[0], &mixed[2]),
            Holders { n: 3, own_seen: 1 }
        );
        // Other shared values are counted as they are.
        assert_eq!(holders(&f, Shared::Name(&mixed[0].key), &mixed[0], &mixed[1]), Holders::counted(2));
    }

    #[test]
    fn a_shared_number_makes_the_same_place_no_further_evidence() {
        let plan = MatchConfig::default().plan(&[]).unwrap();
        let records: Vec<Record> = (0..10).map(|_| Record::from_input(&InputRecord::default(), &[])).collect();
        let mut m = learn(&records, &plan, &MatchConfig::default(), &[], &[], &|_| 1);
        let (c, lc) = (index_of(&plan, CompKind::Contact).unwrap(), index_of(&plan, CompKind::Location).unwrap());
        m.comparisons[lc].levels[0].weight = 5.0; // same district
        m.comparisons[lc].levels[3].weight = -8.0; // different
        let tf = |_: u64| 1;
        let scorer = Scorer { model: &m, plan: &plan, tf: &tf, term_frequency: false };
        let land = index_of(&plan, CompKind::Landline).unwrap();
        let weigh_with = |contact: u8, landline: u8, location: u8| {
            let mut levels = vec![0u8; plan.comps.len()];
            levels[c] = contact;
            levels[land] = landline;
            levels[lc] = location;
            let mut out = vec![0.0; levels.len()];
            let bf = scorer.weigh(&records[0], &records[1], &levels, &mut out);
            (out[lc], bf)
        };
        let weigh = |contact: u8, location: u8| weigh_with(contact, 0, location);
        // Same mobile (with the name, alike or not): the place adds nothing.
        for reach in [1, 2, 3] {
            let (w, bf) = weigh(reach, 1);
            assert_eq!(w, 0.0, "contact level {reach}");
            assert!((bf - m.weight(c, reach, None)).abs() < 1e-9, "contact level {reach}: {bf}");
        }
        // A different place still counts against it.
        assert_eq!(weigh(1, 4).0, -8.0);
        // Without a shared number the place is evidence of its own.
        assert_eq!(weigh(4, 1).0, 5.0);
        assert_eq!(weigh(0, 1).0, 5.0);
        // A shared landline (a switchboard two firms sit behind) is a number
        // in one place too; a different landline says nothing of the place.
        let (w, bf) = weigh_with(8, 1, 1);
        assert_eq!(w, 0.0);
        assert!((bf - (m.weight(c, 8, None) + m.weight(land, 1, None))).abs() < 1e-9, "{bf}");
        assert_eq!(weigh_with(8, 1, 4).0, -8.0);
        assert_eq!(weigh_with(8, 2, 1).0, 5.0);
    }

    #[test]
    fn duplicates_are_counted_by_the_candidates_probabilities() {
        let plan = MatchConfig::default().plan(&[]).unwrap();
        let records: Vec<Record> = (0..10).map(|_| Record::from_input(&InputRecord::default(), &[])).collect();
        let m = learn(&records, &plan, &MatchConfig::default(), &[], &[], &|_| 1);
        // Two sure matches, one even pair, one sure non-match among ten
        // records: 2.5 matches, half a duplicate per record.
        let d = count_duplicates(&m, &[50.0, 50.0, 0.0, -70.0]);
        assert!((d - 0.5).abs() < 1e-9, "{d}");
    }

    #[test]
    fn rule_recall_counts_people_by_their_contact() {
        let plan = MatchConfig::default().plan(&[]).unwrap();
        // Companies: names agree (exact or core) in 80 of 100 matches, mobile
        // and contact (reach_and_name, reach_name_alike or reach_only) in 50:
        // 0.8 × 0.5.
        let companies =
            pass(&plan, &[0.0, 60.0, 20.0, 0.0, 0.0, 0.0, 20.0], &[0.0, 30.0, 5.0, 15.0, 0.0, 0.0, 0.0, 0.0, 50.0]);
        assert!((Rule::NameAndReach.recall(&plan, &[companies]).unwrap() - 0.4).abs() < 1e-9);
        // People have no name comparison; the rule is same person and mobile
        // (reach_and_name), met by 40 of 100 matches.
        let people = pass(&plan, &[100.0], &[0.0, 40.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 30.0]);
        assert!((Rule::NameAndReach.recall(&plan, &[people]).unwrap() - 0.4).abs() < 1e-9);
    }

    #[test]
    fn the_rule_adapts_to_the_fields_present() {
        let plan = MatchConfig::default().plan(&[("dob".into(), CustomType::Date)]).unwrap();
        let nc = plan.comps.len();
        let at = |k: CompKind| index_of(&plan, k).unwrap();
        let dob = plan.comps.iter().position(|c| c.name == "custom:dob").unwrap();
        // People without mobiles: given name, surname and birth date agree.
        let mut lv = vec![0u8; nc];
        lv[at(CompKind::GivenName)] = 1;
        lv[at(CompKind::Surname)] = 1;
        lv[dob] = 1;
        let levels: Vec<u8> = lv.iter().copied().cycle().take(nc * 10).collect();
        assert_eq!(choose_rule(&plan, &levels, 10), Some((Rule::NameAnd(dob), 10)));
        assert!(!Rule::NameAndReach.holds(&plan, &lv));
        // A company with the same name and mobile meets the mobile rule,
        // which wins ties.
        let mut co = vec![0u8; nc];
        co[at(CompKind::Name)] = 1;
        co[at(CompKind::Contact)] = 1;
        co[dob] = 1;
        assert_eq!(choose_rule(&plan, &co, 1), Some((Rule::NameAndReach, 1)));
        // Its recall: name agreement × birth date same among matches.
        let mut counts: Vec<Vec<f64>> = plan.comps.iter().map(|c| vec![0.0; c.kind.levels().len()]).collect();
        counts[at(CompKind::GivenName)][1] = 80.0;
        counts[at(CompKind::GivenName)][7] = 20.0;
        counts[at(CompKind::Surname)][1] = 100.0;
        counts[at(CompKind::Name)][0] = 100.0;
        counts[dob][1] = 50.0;
        counts[dob][6] = 50.0;
        let r = model::EmResult::counted(counts);
        let recall = Rule::NameAnd(dob).recall(&plan, &[("k".into(), vec![false; nc], r)]).unwrap();
        assert!((recall - 0.4).abs() < 1e-9, "{recall}");
    }
}
