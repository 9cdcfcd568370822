//! Duplicate detection as a unit of work: load customers, block, learn,
//! score, cluster, and store pairs, clusters and the run with its model in
//! one transaction; review decisions (reject, skip, approve) with their
//! audit rows. Incremental runs compare only customers created or changed
//! since the last run, with the last full run's model.

use super::Workbench;
use crate::error::{Error, Result};
use crate::matching::{self, blocking, cluster, Band, IntMap, KeyStats, MatchConfig, Model, Plan, Record, Scorer};
use crate::store::{self, matching as sm, NewAudit};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    pub config: MatchConfig,
    /// Compare everything again and re-learn the model.
    pub full: bool,
    /// Merge clusters whose weakest pair reaches the auto-merge threshold.
    pub auto_merge: bool,
    /// Set by someone else to stop a full run before it writes (the TUI's
    /// Ctrl-C); the database is then left as it was.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl MatchOptions {
    fn check_cancel(&self) -> Result<()> {
        match &self.cancel {
            Some(c) if c.load(std::sync::atomic::Ordering::Relaxed) => {
                Err(Error::Other("finding duplicates was cancelled; nothing was written".into()))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BandCounts {
    pub r#match: u64,
    pub review: u64,
    pub non_match: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchReport {
    pub run_id: i64,
    pub mode: String,
    /// Why a full run was done when an incremental one was possible.
    pub reason: Option<String>,
    pub customers: u64,
    /// Customers compared in this run (all of them in a full run).
    pub compared: u64,
    pub pairs: u64,
    pub keys: Vec<KeyStats>,
    pub bands: BandCounts,
    pub review_threshold: f64,
    pub auto_merge_threshold: f64,
    pub clusters_open: u64,
    pub clusters_new: u64,
    pub clusters_superseded: u64,
    /// Customers left out of every cluster because they fit two customers
    /// the evidence keeps apart about equally well (in the queue of
    /// neither; `crmwb customer` shows their candidate pairs).
    pub ambiguous: u64,
    pub auto_merged: u64,
    pub prior: f64,
    pub seconds: Vec<(String, f64)>,
}

/// What `review approve --all` did: merged clusters, and (cluster, why) refused.
pub type BulkOutcome = (Vec<ReviewOutcome>, Vec<(i64, String)>);

/// One piece of evidence: "contact mobile_and_name +18.2".
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub field: String,
    pub level: String,
    /// Bits (log2 Bayes factor) this field contributed.
    pub weight: f64,
    /// The level follows from another piece of evidence and counts nothing
    /// of its own (the same place where the pair shares a number).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub implied: bool,
}

impl Evidence {
    /// The one wording of a piece of evidence, for the workbench and the
    /// CLI alike: "contact mobile and name +18.2", "city differs −1.3".
    /// Fields and levels are worded in the language in force; a code the
    /// catalogue does not know (a custom field) reads as its words.
    pub fn describe(&self) -> String {
        let coded = |kind: &str, code: &str| {
            let v = crate::i18n::value(kind, code);
            if v == code {
                crate::display::sanitize(code).replace('_', " ")
            } else {
                crate::display::sanitize(&v).into_owned()
            }
        };
        let mut text = format!(
            "{} {} {}",
            coded("evfield", &self.field),
            coded("level", &self.level),
            crate::display::bits(self.weight)
        );
        if self.implied {
            text.push_str(&crate::tr!("ev-implied-by-number"));
        }
        text
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub a: String,
    pub b: String,
    pub probability: f64,
    pub band: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub contact: Option<String>,
    pub mobile: Option<String>,
    pub city: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    pub id: i64,
    /// Probability of the weakest pair that joined the cluster.
    pub score: f64,
    pub signature: String,
    pub skipped: bool,
    pub members: Vec<MemberView>,
    /// Pairs among the members that blocking compared, strongest first.
    pub pairs: Vec<PairView>,
}

/// What a review decision did.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewOutcome {
    pub cluster: i64,
    pub decision: String,
    pub survivor: Option<String>,
    pub merged: Vec<String>,
    pub dropped: Vec<String>,
    pub merge_id: Option<i64>,
}

fn encode_evidence(levels: &[u8], weights: &[f64]) -> Vec<u8> {
    let mut v = Vec::with_capacity(levels.len() * 3);
    for (l, w) in levels.iter().zip(weights) {
        v.push(*l);
        v.extend(((w * 100.0).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16).to_le_bytes());
    }
    v
}

/// Decodes stored evidence against the run's model; missing fields are left out.
pub fn decode_evidence(model: &Model, bytes: &[u8]) -> Vec<Evidence> {
    // Scoring weighs a same-place level 0 where the pair shares a number
    // (`Scorer::weigh`); the reader is told why.
    let number_shared =
        bytes.chunks_exact(3).zip(&model.comparisons).any(|(c, p)| matching::compare::number_shared(&p.kind, c[0]));
    let mut out: Vec<Evidence> = bytes
        .chunks_exact(3)
        .zip(&model.comparisons)
        .filter(|(c, _)| c[0] != 0)
        .map(|(c, p)| {
            let weight = i16::from_le_bytes([c[1], c[2]]) as f64 / 100.0;
            Evidence {
                field: p.name.clone(),
                level: p.levels.get(c[0] as usize - 1).map(|l| l.level.clone()).unwrap_or_default(),
                weight,
                // Zeroed by the rule, not a learned weight that rounds to 0.
                implied: number_shared
                    && p.kind == matching::CompKind::Location
                    && weight == 0.0
                    && p.levels.get(c[0] as usize - 1).is_some_and(|l| l.weight > 0.0),
            }
        })
        .collect();
    out.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    out
}

/// Resolves a customer id through merges to the live survivor.
fn root(merged: &HashMap<i64, i64>, mut id: i64) -> i64 {
    for _ in 0..64 {
        match merged.get(&id) {
            Some(&n) => id = n,
            None => break,
        }
    }
    id
}

/// Each cluster as its members' (customer id, version) and its score, the
/// shape `reconcile` compares with the stored clusters; `member` maps a
/// node index to its (id, version).
/// Every member of a cluster live and at the version it had when the
/// cluster was built; else why not (the number is looked up only then).
fn members_unchanged(conn: &rusqlite::Connection, c: &sm::ClusterRow) -> Result<()> {
    let id = c.id;
    let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
    let now = sm::versions(conn, &ids)?;
    for &(m, v) in &c.members {
        let why = match now.get(&m) {
            Some(&(cur, true)) if cur == v => continue,
            Some(&(_, false)) => {
                "was merged into another customer; run `crmwb match` and `crmwb queue` again".to_string()
            }
            Some(&(cur, _)) => format!(
                "is at version {cur}, the cluster was built at version {v}; run `crmwb match` and `crmwb queue` again"
            ),
            None => "is gone".to_string(),
        };
        let number = store::customers::get_customer(conn, m)?.map(|c| c.number).unwrap_or_else(|| m.to_string());
        return Err(Error::Refused(format!("cluster {id} changed since it was shown: {number} {why}")));
    }
    Ok(())
}

/// The audit entry of a decision on a cluster (reject, take back, skip).
fn audit_decision(
    tx: &rusqlite::Transaction,
    actor: &str,
    action: &str,
    cluster: i64,
    details: serde_json::Value,
    now: &str,
) -> Result<()> {
    store::audit::append(
        tx,
        &NewAudit {
            actor,
            action,
            entity: "match_cluster",
            entity_id: Some(&cluster.to_string()),
            customer_id: None,
            details,
        },
        now,
    )?;
    Ok(())
}

/// The outcome of a decision that merges nothing, naming the members.
fn listing(cluster: i64, decision: &str, numbers: Vec<String>) -> ReviewOutcome {
    ReviewOutcome {
        cluster,
        decision: decision.into(),
        survivor: None,
        merged: Vec::new(),
        dropped: numbers,
        merge_id: None,
    }
}

fn with_versions(clusters: &[cluster::Cluster], member: impl Fn(u32) -> (i64, i64)) -> Vec<(Vec<(i64, i64)>, f64)> {
    clusters.iter().map(|c| (c.members.iter().map(|&i| member(i)).collect(), c.score)).collect()
}

fn signature(members: &[(i64, i64)], score: f64) -> String {
    let text: String = members.iter().map(|(c, v)| format!("{c}.{v};")).collect::<String>() + &format!("{score:.4}");
    format!("{:016x}", matching::features::key_hash("cluster", &text))
}

fn place_of(r: &Record) -> &str {
    r.city.or(r.province).or(r.region).unwrap_or("")
}

/// The sub-block key of an oversized block (see `blocking`).
fn sub_key(h: u64, r: &Record) -> u64 {
    matching::features::key_hash("sub", &format!("{h}|{}", place_of(r)))
}

/// Customers loaded per chunk by each of the two readers: the loaded form
/// of a customer is several times its prepared form, so only one chunk of
/// it is held at a time.
const LOAD_CHUNK: usize = 16_384;

/// Every live customer prepared for matching: the two halves of the
/// customers (by id) read and prepared at once, each by its own thread over
/// its own connection, since reading a million customers from SQLite is one
/// core's work otherwise. An in-memory database (no second connection) or
/// one of fewer than two customers is read by this connection alone.
fn load_prepared(store: &store::Store, plan: &Plan, opts: &MatchOptions) -> Result<Vec<Record>> {
    let conn = store.conn();
    let half = |c: &rusqlite::Connection, after: i64, upto: i64| -> Result<Vec<Record>> {
        let mut out = Vec::new();
        sm::load_range_chunked(c, after, upto, LOAD_CHUNK, |chunk| {
            out.extend(chunk.iter().map(|r| Record::from_input(r, &plan.custom)));
            opts.check_cancel().is_ok()
        })?;
        Ok(out)
    };
    let (Some(mid), Some(second)) = (sm::live_median_id(conn)?, store.reader()?) else {
        return half(conn, i64::MIN, i64::MAX);
    };
    std::thread::scope(|s| {
        let half = &half;
        let upper = s.spawn(move || half(&second, mid, i64::MAX));
        let mut records = half(conn, i64::MIN, mid)?;
        records.extend(upper.join().map_err(|_| Error::Other("reading customers for matching failed".into()))??);
        Ok(records)
    })
}

/// The live ones of the given customers prepared for matching, in the
/// order given: the second half read by `reader` on a thread of its own
/// while `conn` reads the first, since reading a few hundred thousand
/// customers scattered over the table is otherwise one core's work. Both
/// read the same rows: the match run's write transaction (on `conn`, which
/// keeps every other writer out) changes no customer.
fn load_both(
    conn: &rusqlite::Connection,
    reader: Option<&mut rusqlite::Connection>,
    ids: &[i64],
    plan: &Plan,
) -> Result<Vec<Record>> {
    let load = |c: &rusqlite::Connection, ids: &[i64]| -> Result<Vec<Record>> {
        Ok(matching::prepare(&sm::load_ids(c, ids)?, plan))
    };
    let Some(second) = reader.filter(|_| ids.len() >= 2048) else { return load(conn, ids) };
    let (a, b) = ids.split_at(ids.len() / 2);
    std::thread::scope(|s| {
        let upper = s.spawn(move || load(second, b));
        let mut records = load(conn, a)?;
        records.extend(upper.join().map_err(|_| Error::Other("reading customers for matching failed".into()))??);
        Ok(records)
    })
}

struct Timer(Instant, Vec<(String, f64)>);
impl Timer {
    /// A phase of a full run ended: timed, then a point where it may be cancelled.
    fn step(&mut self, what: &str, opts: &MatchOptions) -> Result<()> {
        self.lap(what);
        opts.check_cancel()
    }

    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        self.1.push((what.into(), (now - self.0).as_secs_f64()));
        self.0 = now;
        // Where a run's memory goes, phase by phase (benches/match.sh).
        if std::env::var_os("CRMWB_TRACE_RSS").is_some() {
            let st = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let f = |k: &str| st.lines().find(|l| l.starts_with(k)).unwrap_or("").to_string();
            eprintln!("{what}: {} {}", f("VmRSS"), f("VmHWM"));
        }
    }
}

impl Workbench {
    /// Finds candidate duplicates. Incremental unless `full`, there is no
    /// earlier run, or the configuration or custom fields changed.
    pub fn run_match(&mut self, opts: &MatchOptions) -> Result<MatchReport> {
        self.access.check(super::Permission::Merge, None)?;
        opts.config.check().map_err(|e| Error::Invalid(format!("match config: {e}")))?;
        let conn = self.store.conn();
        let declared = sm::custom_fields(conn)?;
        let plan = opts.config.plan(&declared).map_err(|e| Error::Invalid(format!("match config: {e}")))?;
        let config_json = serde_json::to_string(&opts.config)?;
        let reason = if opts.full {
            None
        } else {
            match (sm::last_run(conn)?, sm::last_full_model(conn)?) {
                (Some(last), Some(_)) if sm::undone_since(conn, last.hw.audit)? => {
                    Some("an import was undone since the last run".to_string())
                }
                // An undo stopped part-way may have removed customers in
                // chunks that leave no audit entry (only its first and last
                // do), which no high-water mark can find.
                (Some(_), Some(_)) if !store::imports::undos_in_progress(conn)?.is_empty() => {
                    Some("an import is part-way through an undo".to_string())
                }
                (Some(_), Some(_)) if sm::keys_without_owners(conn)? => {
                    Some("the stored blocking keys predate this version".to_string())
                }
                (Some(last), Some((cfg, model))) if cfg == config_json => {
                    let model: Model = serde_json::from_str(&model)?;
                    let same_fields = model.comparisons.len() == plan.comps.len()
                        && model.comparisons.iter().zip(&plan.comps).all(|(m, c)| m.name == c.name && m.kind == c.kind);
                    // A model an earlier version stored may know other levels
                    // of a comparison: its weights would be read against the
                    // wrong level.
                    let same_levels = model.comparisons.iter().zip(&plan.comps).all(|(m, c)| {
                        m.levels.iter().map(|l| l.level.as_str()).eq(c.kind.levels().iter().skip(1).copied())
                    });
                    if same_fields && same_levels && model.scoring == matching::model::SCORING_VERSION {
                        return self.match_incremental(opts, &plan, &model, &config_json, last.hw);
                    }
                    Some(if !same_fields {
                        "the custom fields changed since the last run".to_string()
                    } else if !same_levels {
                        "the comparison levels changed in this version".to_string()
                    } else {
                        "pairs are weighed or clustered differently in this version".to_string()
                    })
                }
                (Some(_), Some(_)) => Some("the configuration differs from the last run's".to_string()),
                _ => Some("no earlier run".to_string()),
            }
        };
        let mut r = self.match_full(opts, &plan, &config_json)?;
        r.reason = reason;
        Ok(r)
    }

    fn match_full(&mut self, opts: &MatchOptions, plan: &Plan, config_json: &str) -> Result<MatchReport> {
        let cfg = &opts.config;
        let mut t = Timer(Instant::now(), Vec::new());
        let started = self.clock.stamp();
        let conn = self.store.conn();
        let hw = sm::high_water(conn)?;
        let records = load_prepared(&self.store, plan, opts)?;
        let merged = sm::merged_map(conn)?;
        let rejected: HashSet<(i64, i64)> = sm::rejections(conn)?
            .into_iter()
            .map(|(a, b)| (root(&merged, a), root(&merged, b)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        t.step("load", opts)?;
        let stored: Vec<Vec<u64>> = matching::par_map(&records, |r| blocking::stored_keys(&plan.keys, r));
        let tf = matching::term_counts(&stored);
        t.step("features", opts)?;
        let max_block = cfg.blocking.max_block;
        let (pairs, key_stats) = blocking::candidate_pairs(&records, &plan.keys, max_block);
        t.step("blocking", opts)?;
        let levels = matching::compare_pairs(&records, plan, &cfg.levels, &pairs);
        t.step("compare", opts)?;
        let tf_fn = |h: u64| tf.get(&h).copied().unwrap_or(1);
        let mut model = matching::learn(&records, plan, cfg, &pairs, &levels, &tf_fn);
        t.step("learn", opts)?;
        let nc = plan.comps.len();
        // Every candidate pair's score under `model` (prior included). Only
        // the scores are kept: the evidence of a pair is weighed again when
        // it is written, so that a million pairs never hold a vector each.
        let score_all = |model: &Model| -> Vec<f64> {
            let scorer = Scorer { model, plan, tf: &tf_fn, term_frequency: cfg.model.term_frequency };
            matching::par_halves(pairs.len(), |range| {
                let mut w = vec![0.0; nc];
                range
                    .map(|i| {
                        let (a, b) = matching::unpack(pairs[i].0);
                        let lv = &levels[i * nc..(i + 1) * nc];
                        model.prior_bits + scorer.weigh(&records[a as usize], &records[b as usize], lv, &mut w)
                    })
                    .collect::<Vec<f64>>()
            })
            .concat()
        };
        if cfg.model.term_frequency {
            let first = score_all(&model);
            model.dups_per_record = Some(matching::count_duplicates(&model, &first));
            t.step("count duplicates", opts)?;
        }
        let scorer = Scorer { model: &model, plan, tf: &tf_fn, term_frequency: cfg.model.term_frequency };
        let scored = score_all(&model);
        t.step("score", opts)?;
        // Clustering over pairs in the review band or above, rejections left out.
        let review = cfg.thresholds.review;
        let is_rejected = |a: u32, b: u32| {
            let (x, y) = (records[a as usize].id, records[b as usize].id);
            rejected.contains(&(x.min(y), x.max(y)))
        };
        let edges: Vec<cluster::Edge> = pairs
            .iter()
            .zip(&scored)
            .filter(|(_, &s)| Model::probability(s) >= review)
            .map(|(p, &score)| {
                let (a, b) = matching::unpack(p.0);
                cluster::Edge { a, b, score }
            })
            .filter(|e| !is_rejected(e.a, e.b))
            .collect();
        let clustering = cluster::build(
            edges,
            model.prior_bits,
            Model::log2_odds(review),
            Model::log2_odds(cfg.thresholds.auto_merge),
            |x, y| {
                if is_rejected(x, y) {
                    return None;
                }
                let key = (x.min(y) as u64) << 32 | x.max(y) as u64;
                match pairs.binary_search_by_key(&key, |p| p.0) {
                    Ok(i) => Some(scored[i] - model.prior_bits),
                    Err(_) => Some(scorer.compare(&records[x as usize], &records[y as usize]).2),
                }
            },
        );
        let (clusters, ambiguous) = (clustering.clusters, clustering.ambiguous.len() as u64);
        t.step("cluster", opts)?;
        // Records in oversized blocks also get their place sub-key, so that
        // an incremental run finds the same sub-blocks.
        let mut stored = stored;
        let mut buf = Vec::new();
        for (r, ks) in records.iter().zip(stored.iter_mut()) {
            // Most records are in no oversized block: their keys (sorted,
            // distinct) are already complete.
            if !ks.iter().any(|&h| tf_fn(h) as usize > max_block) {
                continue;
            }
            for k in &plan.keys {
                buf.clear();
                blocking::keys_of(k.kind, r, &mut buf);
                for &h in &buf {
                    if tf_fn(h) as usize > max_block {
                        ks.push(sub_key(h, r));
                    }
                }
            }
            ks.sort_unstable();
            ks.dedup();
        }
        let t_ = &cfg.thresholds;
        let mut bands = BandCounts::default();
        for &score in &scored {
            match Band::of(Model::probability(score), t_) {
                Band::Match => bands.r#match += 1,
                Band::Review => bands.review += 1,
                Band::NonMatch => bands.non_match += 1,
            }
        }
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let report = MatchReport {
            mode: "full".into(),
            customers: records.len() as u64,
            compared: records.len() as u64,
            pairs: pairs.len() as u64,
            keys: key_stats,
            bands,
            review_threshold: t_.review,
            auto_merge_threshold: t_.auto_merge,
            prior: model.prior,
            ambiguous,
            ..Default::default()
        };
        // Every customer a cluster names was live when loaded; when nothing
        // changed since (same high-water marks inside the write lock), the
        // per-row foreign-key lookups of a million cluster members prove
        // nothing and cost seconds of random reads, so they are off for
        // this write. Otherwise the checks stay on.
        let enforced: bool = self.store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        if enforced {
            self.store.conn().execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        let (records, model, scorer, pairs, scored, clusters) = (&records, &model, &scorer, &pairs, &scored, &clusters);
        let this = &mut *self;
        // A closure, so that every way out of the write passes the
        // restoring of the foreign-key checks below.
        let written = (move || -> Result<(MatchReport, Timer)> {
            let (mut report, mut t) = (report, t);
            let mut tx = this.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if enforced && sm::high_water(&tx)? != hw {
                tx.rollback()?;
                this.store.conn().execute_batch("PRAGMA foreign_keys = ON")?;
                tx = this.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            }
            let run_id = sm::insert_run(
                &tx,
                &sm::RunRow {
                    id: 0,
                    mode: "full".into(),
                    started_at: started,
                    config: config_json.into(),
                    model: serde_json::to_string(model)?,
                    stats: "{}".into(),
                    hw,
                },
                &actor,
            )?;
            sm::clear_all(&tx)?;
            // match_keys wants the (key, customer) rows sorted by key: sorted
            // on a second thread while this one writes each customer's keys.
            let stored_ = &stored;
            let key_rows = std::thread::scope(|s| -> Result<Vec<(u64, i64)>> {
                let sorter = s.spawn(move || {
                    let mut rows: Vec<(u64, i64)> = Vec::with_capacity(stored_.iter().map(Vec::len).sum::<usize>());
                    for (r, ks) in records.iter().zip(stored_) {
                        rows.extend(ks.iter().map(|&h| (h, r.id)));
                    }
                    rows.sort_unstable();
                    rows
                });
                sm::insert_customer_keys(&tx, records.iter().zip(stored_).map(|(r, ks)| (r.id, ks.as_slice())))?;
                sorter.join().map_err(|_| Error::Other("sorting blocking keys failed".into()))
            })?;
            drop(stored);
            t.lap("write run");
            // The evidence of each pair is weighed again here (see "score")
            // on a second thread, while this one writes what it weighed.
            const ROWS: usize = 8192;
            let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<Vec<sm::PairRow>>(4);
            let lvs = &levels;
            std::thread::scope(|s| -> Result<()> {
                s.spawn(move || {
                    let mut w = vec![0.0; nc];
                    for (c, chunk) in pairs.chunks(ROWS).enumerate() {
                        let rows = chunk
                            .iter()
                            .zip(&scored[c * ROWS..])
                            .enumerate()
                            .map(|(j, (p, score))| {
                                let i = c * ROWS + j;
                                let (a, b) = matching::unpack(p.0);
                                let lv = &lvs[i * nc..(i + 1) * nc];
                                scorer.weigh(&records[a as usize], &records[b as usize], lv, &mut w);
                                let prob = Model::probability(*score);
                                sm::PairRow {
                                    a: records[a as usize].id,
                                    b: records[b as usize].id,
                                    score: *score,
                                    prob,
                                    band: Band::of(prob, t_).as_str(),
                                    keys: p.1,
                                    evidence: encode_evidence(lv, &w),
                                }
                            })
                            .collect();
                        // The writer stopped (an error): nothing more to weigh.
                        if row_tx.send(rows).is_err() {
                            return;
                        }
                    }
                });
                // Owned here, so that it is gone (and the weigher stops) before
                // the scope waits for it, whatever insert_pairs returns.
                let rx = row_rx;
                sm::insert_pairs(&tx, run_id, &mut rx.iter().flatten(), sm::PairWrite::Full)?;
                Ok(())
            })?;
            drop(levels);
            t.lap("write pairs");
            sm::insert_keys(&tx, &key_rows)?;
            drop(key_rows);
            t.lap("write keys");
            let new = with_versions(clusters, |i| {
                let r = &records[i as usize];
                (r.id, r.version)
            });
            let old = sm::open_signatures(&tx)?;
            let old_ids: Vec<i64> = old.values().copied().collect();
            let (created, superseded) = reconcile(&tx, run_id, &new, old, &old_ids, &now)?;
            report.clusters_new = created;
            report.clusters_superseded = superseded;
            t.lap("write clusters");
            sm::rebuild_indexes(&tx)?;
            report.clusters_open =
                tx.query_row("SELECT count(*) FROM match_clusters WHERE state = 'open'", [], |r| r.get::<_, i64>(0))?
                    as u64;
            report.run_id = run_id;
            t.lap("write indexes");
            report.seconds = t.1.clone();
            record_run(
                &tx,
                &report,
                &actor,
                &now,
                serde_json::json!({ "mode": "full", "pairs": report.pairs, "clusters_open": report.clusters_open,
                    "clusters_new": created, "clusters_superseded": superseded, "prior": model.prior }),
            )?;
            tx.commit()?;
            Ok((report, t))
        })();
        if enforced {
            self.store.conn().execute_batch("PRAGMA foreign_keys = ON")?;
        }
        let (mut report, mut t) = written?;
        t.lap("commit");
        report.seconds = t.1.clone();
        if opts.auto_merge {
            report.auto_merged = self.auto_merge(t_.auto_merge)?;
        }
        Ok(report)
    }

    fn match_incremental(
        &mut self,
        opts: &MatchOptions,
        plan: &Plan,
        model: &Model,
        config_json: &str,
        last_hw: sm::HighWater,
    ) -> Result<MatchReport> {
        let cfg = &opts.config;
        let mut t = Timer(Instant::now(), Vec::new());
        let started = self.clock.stamp();
        let actor = self.actor.clone();
        let now = self.clock.stamp();
        let max_block = cfg.blocking.max_block;
        let review = cfg.thresholds.review;
        // A second connection reads customers beside this one (`load_both`).
        let mut reader = self.store.reader()?;
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let hw = sm::high_water(&tx)?;
        let changed = sm::changed_since(&tx, &last_hw)?;
        let merged = sm::merged_map(&tx)?;
        let run_id = sm::insert_run(
            &tx,
            &sm::RunRow {
                id: 0,
                mode: "incremental".into(),
                started_at: started,
                config: config_json.into(),
                model: "{}".into(),
                stats: "{}".into(),
                hw,
            },
            &actor,
        )?;
        let dirty = load_both(&tx, reader.as_mut(), &changed, plan)?;
        let mut keys_new: Vec<(u64, i64)> = Vec::new();
        for r in &dirty {
            keys_new.extend(blocking::stored_keys(&plan.keys, r).into_iter().map(|h| (h, r.id)));
        }
        keys_new.sort_unstable();
        keys_new.dedup();
        // Forget what changed; absorbed and removed customers simply stay
        // out, and the changed ones hold their keys of now.
        let keys_before = sm::forget(&tx, &changed, run_id, &keys_new)?;
        t.lap("load changed");
        // Candidates: customers sharing a key, blocks over the cap narrowed to the place sub-block.
        // Each distinct key (and sub-key) is read once, in key order: the
        // changed customers share many keys, and reading the index in order
        // touches each of its pages once instead of seeking at random.
        // Each changed customer's keys, per blocking key, worked out once.
        let key_sets: Vec<Vec<Vec<u64>>> = matching::par_map(&dirty, |r| {
            plan.keys
                .iter()
                .map(|k| {
                    let mut hs = Vec::new();
                    blocking::keys_of(k.kind, r, &mut hs);
                    hs.sort_unstable();
                    hs.dedup();
                    hs
                })
                .collect()
        });
        // Per key the changed customers hold: how many more holders it has
        // than before this run (joined less left).
        let mut growth: IntMap<u64, i64> = IntMap::default();
        for &h in key_sets.iter().flatten().flatten() {
            *growth.entry(h).or_default() += 1;
        }
        for (h, _) in &keys_before {
            if let Some(g) = growth.get_mut(h) {
                *g -= 1;
            }
        }
        let changed_ids: HashSet<i64> = dirty.iter().map(|r| r.id).collect();
        // Members of a block, None when it is over the cap.
        let (blocks, crossed) = read_blocks_crossing(&tx, &growth, &changed_ids, max_block)?;
        // The sub-block of an oversized key holds the changed customers of
        // its place as well as those stored: a full run pairs them.
        let mut sub_extra: HashMap<u64, Vec<i64>> = HashMap::new();
        let mut wanted_sub: Vec<u64> = Vec::new();
        for (r, sets) in dirty.iter().zip(&key_sets) {
            for &h in sets.iter().flatten().filter(|h| blocks[h].is_none()) {
                let s = sub_key(h, r);
                wanted_sub.push(s);
                sub_extra.entry(s).or_default().push(r.id);
            }
        }
        // And the unchanged holders of a key that went over the cap in
        // this run, by their own place; their sub-keys are stored below.
        let mut crossed_rows: Vec<(u64, i64)> = Vec::new();
        if !crossed.is_empty() {
            let mut ids: Vec<i64> = crossed.iter().flat_map(|(_, m)| m.iter().copied()).collect();
            ids.sort_unstable();
            ids.dedup();
            let recs: HashMap<i64, Record> =
                load_both(&tx, reader.as_mut(), &ids, plan)?.into_iter().map(|r| (r.id, r)).collect();
            for (h, members) in &crossed {
                for m in members {
                    // Absorbed or removed since it was keyed: not a holder.
                    let Some(r) = recs.get(m) else { continue };
                    let s = sub_key(*h, r);
                    sub_extra.entry(s).or_default().push(*m);
                    crossed_rows.push((s, *m));
                }
            }
        }
        // Each sub-block once: the stored members with the changed ones and
        // the unchanged holders of keys that crossed, None over the cap.
        let sub_blocks: IntMap<u64, Option<Vec<i64>>> = read_blocks(&tx, wanted_sub, max_block)?
            .into_iter()
            .map(|(s, stored)| {
                let merged = stored.and_then(|stored| {
                    let mut m: Vec<i64> = stored.into_iter().chain(sub_extra[&s].iter().copied()).collect();
                    m.sort_unstable();
                    m.dedup();
                    (m.len() <= max_block).then_some(m)
                });
                (s, merged)
            })
            .collect();
        let mut cand: HashMap<(i64, i64), u32> = HashMap::new();
        let mut sub_rows = Vec::new();
        let mut key_stats: Vec<KeyStats> =
            plan.keys.iter().map(|k| KeyStats { key: k.name.clone(), ..Default::default() }).collect();
        for (r, sets) in dirty.iter().zip(&key_sets) {
            for (bit, hs) in sets.iter().enumerate() {
                for &h in hs {
                    let mut members = &blocks[&h];
                    if members.is_none() {
                        let s = sub_key(h, r);
                        sub_rows.push((s, r.id));
                        key_stats[bit].split_blocks += 1;
                        members = &sub_blocks[&s];
                        if members.is_none() {
                            key_stats[bit].skipped_blocks += 1;
                            key_stats[bit].skipped_records += 1;
                            continue;
                        }
                    }
                    key_stats[bit].blocks += 1;
                    for &m in members.iter().flatten() {
                        if m == r.id {
                            continue;
                        }
                        key_stats[bit].pairs += 1;
                        *cand.entry((r.id.min(m), r.id.max(m))).or_insert(0) |= 1 << bit;
                    }
                }
            }
        }
        sub_rows.extend_from_slice(&crossed_rows);
        sm::insert_keys(&tx, &sub_rows)?;
        // What blocking read counts its keys as term frequency does: a block
        // under the cap was read whole. Sub-keys just written count one more.
        let mut known: IntMap<u64, u32> = IntMap::default();
        for (h, m) in blocks.iter().chain(&sub_blocks) {
            if let Some(m) = m {
                known.insert(*h, m.len() as u32);
            }
        }
        for (s, _) in &sub_rows {
            known.remove(s);
        }
        let mut owned: HashMap<i64, Vec<u64>> = HashMap::new();
        for &(h, id) in keys_new.iter().chain(&sub_rows) {
            owned.entry(id).or_default().push(h);
        }
        // An unchanged customer given a sub-key keeps the keys it had.
        let mut kept: Vec<i64> = crossed_rows.iter().map(|&(_, id)| id).collect();
        kept.sort_unstable();
        kept.dedup();
        for (id, hs) in sm::customer_keys(&tx, &kept)? {
            owned.entry(id).or_default().extend(hs);
        }
        let mut owned: Vec<(i64, Vec<u64>)> = owned.into_iter().collect();
        owned.sort_unstable();
        for (_, hs) in &mut owned {
            hs.sort_unstable();
            hs.dedup();
        }
        sm::insert_customer_keys(&tx, owned.iter().map(|(id, hs)| (*id, hs.as_slice())))?;
        t.lap("blocking");
        // Load the other side of every pair.
        let mut by_id: HashMap<i64, Record> = dirty.into_iter().map(|r| (r.id, r)).collect();
        let others: Vec<i64> = {
            let mut v: Vec<i64> = cand.keys().flat_map(|&(a, b)| [a, b]).filter(|id| !by_id.contains_key(id)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for r in load_both(&tx, reader.as_mut(), &others, plan)? {
            by_id.insert(r.id, r);
        }
        // Term frequency of just the values the scorer asks about. Which
        // hashes a pair asks for follows from its levels alone, never from
        // the counts returned, so one pass records them and the counts are
        // read once each, in key order. A hash no loaded customer holds
        // counts 1, as it always has here.
        let counted: HashSet<i64> = by_id.keys().copied().collect();
        let mut pairs: Vec<((i64, i64), u32)> =
            cand.into_iter().filter(|((a, b), _)| by_id.contains_key(a) && by_id.contains_key(b)).collect();
        pairs.sort_unstable();
        type Asked = Vec<(u64, (i64, i64))>;
        let (levels, asked): (Vec<Vec<Vec<u8>>>, Vec<Asked>) = matching::par_halves(pairs.len(), |range| {
            let heard = std::sync::Mutex::new(Vec::new());
            let record = |h: u64| {
                heard.lock().expect("not poisoned").push(h);
                1
            };
            let recorder = Scorer { model, plan, tf: &record, term_frequency: cfg.model.term_frequency };
            let mut asked = Vec::new();
            let lv: Vec<Vec<u8>> = pairs[range]
                .iter()
                .map(|&((a, b), _)| {
                    let lv = recorder.compare(&by_id[&a], &by_id[&b]).0;
                    asked.extend(heard.lock().expect("not poisoned").drain(..).map(|h| (h, (a, b))));
                    lv
                })
                .collect();
            (lv, asked)
        })
        .into_iter()
        .unzip();
        let levels: Vec<Vec<u8>> = levels.concat();
        let mut tf: IntMap<u64, u32> = IntMap::default();
        count_terms(&tx, &mut tf, asked.concat(), &known, &by_id, &counted, &plan.keys)?;
        let tf_fn = |h: u64| tf.get(&h).copied().unwrap_or(1);
        let scorer = Scorer { model, plan, tf: &tf_fn, term_frequency: cfg.model.term_frequency };
        let nc = plan.comps.len();
        let rows: Vec<sm::PairRow> = matching::par_halves(pairs.len(), |range| {
            let mut w = vec![0.0; nc];
            range
                .map(|i| {
                    let ((a, b), keys) = pairs[i];
                    let lv = &levels[i];
                    let bf = scorer.weigh(&by_id[&a], &by_id[&b], lv, &mut w);
                    let score = model.prior_bits + bf;
                    let prob = Model::probability(score);
                    let band = Band::of(prob, &cfg.thresholds);
                    sm::PairRow { a, b, score, prob, band: band.as_str(), keys, evidence: encode_evidence(lv, &w) }
                })
                .collect::<Vec<_>>()
        })
        .concat();
        drop(levels);
        let mut bands = BandCounts::default();
        for r in &rows {
            match r.band {
                "match" => bands.r#match += 1,
                "review" => bands.review += 1,
                _ => bands.non_match += 1,
            }
        }
        t.lap("score");
        // Every pair here is of a changed customer, whose match_pairs rows are forgotten.
        let pair_count = sm::insert_pairs_incremental(&tx, run_id, rows)?;
        // Re-cluster around what changed: the changed customers, their
        // review-band neighbours, and everyone in an open cluster with them.
        let mut nodes: HashSet<i64> = HashSet::new();
        for id in &changed {
            nodes.insert(*id);
            for (a, b, _) in sm::pairs_of(&tx, *id, review)? {
                nodes.insert(a);
                nodes.insert(b);
            }
        }
        let mut touched_clusters: HashSet<i64> = HashSet::new();
        // In id order, as the index is.
        let mut first: Vec<i64> = nodes.iter().copied().collect();
        first.sort_unstable();
        for id in first {
            for c in sm::open_clusters_of(&tx, id)? {
                if touched_clusters.insert(c) {
                    if let Some(cl) = sm::get_cluster(&tx, c)? {
                        nodes.extend(cl.members.iter().map(|m| m.0));
                    }
                }
            }
        }
        let live_nodes: Vec<i64> = {
            let mut v: Vec<i64> = nodes.iter().copied().filter(|id| !merged.contains_key(id)).collect();
            v.sort_unstable();
            v
        };
        let missing: Vec<i64> = live_nodes.iter().copied().filter(|id| !by_id.contains_key(id)).collect();
        for r in load_both(&tx, reader.as_mut(), &missing, plan)? {
            by_id.insert(r.id, r);
        }
        let node_ids: Vec<i64> = live_nodes.into_iter().filter(|id| by_id.contains_key(id)).collect();
        let index: HashMap<i64, u32> = node_ids.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
        let mut stored_pairs: HashMap<(u32, u32), f64> = HashMap::new();
        let mut edges = Vec::new();
        for &id in &node_ids {
            for (a, b, score) in sm::pairs_of(&tx, id, 0.0)? {
                if let (Some(&x), Some(&y)) = (index.get(&a), index.get(&b)) {
                    let k = (x.min(y), x.max(y));
                    if stored_pairs.insert(k, score - model.prior_bits).is_none() && Model::probability(score) >= review
                    {
                        edges.push(cluster::Edge { a: k.0, b: k.1, score });
                    }
                }
            }
        }
        let rejected: HashSet<(i64, i64)> = sm::rejections(&tx)?
            .into_iter()
            .map(|(a, b)| (root(&merged, a), root(&merged, b)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        let is_rejected = |x: u32, y: u32| {
            let (a, b) = (node_ids[x as usize], node_ids[y as usize]);
            rejected.contains(&(a.min(b), a.max(b)))
        };
        edges.retain(|e| !is_rejected(e.a, e.b));
        let conclusive = Model::log2_odds(cfg.thresholds.auto_merge);
        // A pair weighed here (not stored) may ask for a count not read
        // yet: it is read and the clusters built again, until none is missing.
        let clustering = loop {
            let misses = std::sync::Mutex::new(Vec::new());
            let asking = std::sync::Mutex::new((0, 0));
            let tf_fn = |h: u64| match tf.get(&h) {
                Some(&n) => n,
                None => {
                    misses.lock().expect("not poisoned").push((h, *asking.lock().expect("not poisoned")));
                    1
                }
            };
            let scorer = Scorer { model, plan, tf: &tf_fn, term_frequency: cfg.model.term_frequency };
            let clustering =
                cluster::build(edges.clone(), model.prior_bits, Model::log2_odds(review), conclusive, |x, y| {
                    if is_rejected(x, y) {
                        return None;
                    }
                    match stored_pairs.get(&(x.min(y), x.max(y))) {
                        Some(bf) => Some(*bf),
                        None => {
                            let (a, b) = (node_ids[x as usize], node_ids[y as usize]);
                            *asking.lock().expect("not poisoned") = (a, b);
                            Some(scorer.compare(&by_id[&a], &by_id[&b]).2)
                        }
                    }
                });
            let misses = misses.into_inner().expect("not poisoned");
            if misses.is_empty() {
                break clustering;
            }
            count_terms(&tx, &mut tf, misses, &known, &by_id, &counted, &plan.keys)?;
        };
        let (clusters, ambiguous) = (clustering.clusters, clustering.ambiguous.len() as u64);
        let versions = sm::versions(&tx, &node_ids)?;
        let new = with_versions(&clusters, |i| {
            let id = node_ids[i as usize];
            (id, versions.get(&id).map(|v| v.0).unwrap_or(1))
        });
        let mut old_ids: Vec<i64> = touched_clusters.iter().copied().collect();
        old_ids.sort_unstable();
        // Only the touched clusters' signatures: every open one is a few
        // hundred thousand rows read for a run of any size.
        let old = sm::open_signatures_of(&tx, &old_ids)?;
        let (created, superseded) = reconcile(&tx, run_id, &new, old, &old_ids, &now)?;
        t.lap("cluster");
        let mut report = MatchReport {
            run_id,
            mode: "incremental".into(),
            reason: None,
            // Both counts read an index, not the table.
            customers: tx.query_row(
                "SELECT (SELECT count(*) FROM customers) - (SELECT count(*) FROM customers WHERE merged_into IS NOT NULL)",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64,
            compared: changed.len() as u64,
            pairs: pair_count,
            keys: key_stats,
            bands,
            review_threshold: cfg.thresholds.review,
            auto_merge_threshold: cfg.thresholds.auto_merge,
            clusters_open: tx
                .query_row("SELECT count(*) FROM match_clusters WHERE state = 'open'", [], |r| r.get::<_, i64>(0))?
                as u64,
            clusters_new: created,
            clusters_superseded: superseded,
            ambiguous,
            auto_merged: 0,
            prior: model.prior,
            seconds: Vec::new(),
        };
        report.seconds = t.1.clone();
        record_run(
            &tx,
            &report,
            &actor,
            &now,
            serde_json::json!({ "mode": "incremental", "compared": report.compared, "pairs": report.pairs,
                "clusters_new": created, "clusters_superseded": superseded }),
        )?;
        tx.commit()?;
        // As a full run's: the commit writes every page the run dirtied
        // (seconds on a large database), which "Time" left out.
        t.lap("commit");
        report.seconds = t.1.clone();
        if opts.auto_merge {
            report.auto_merged = self.auto_merge(cfg.thresholds.auto_merge)?;
        }
        Ok(report)
    }

    /// The model of the last full run.
    pub fn match_model(&self) -> Result<Option<Model>> {
        match sm::last_full_model(self.store.conn())? {
            Some((_, m)) => Ok(Some(serde_json::from_str(&m)?)),
            None => Ok(None),
        }
    }

    /// Writes every stored candidate pair as CSV `customer_a,customer_b,score,decision`.
    pub fn write_pairs_csv(&self, w: &mut dyn std::io::Write) -> Result<u64> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["customer_a", "customer_b", "score", "decision"]).map_err(csv_err)?;
        let n = sm::for_each_pair_numbers(self.store.conn(), |a, b, p, band| {
            out.write_record([a, b, &format!("{p:.6}"), band]).map_err(csv_err)
        })?;
        out.flush()?;
        Ok(n)
    }

    /// Open clusters, strongest first (skipped ones last), with members and evidence.
    pub fn match_queue(&self) -> Result<Vec<ClusterView>> {
        let conn = self.store.conn();
        let model = self.match_model()?;
        let mut out = Vec::new();
        for c in sm::open_clusters(conn)? {
            out.push(self.cluster_view(&c, model.as_ref())?);
        }
        Ok(out)
    }

    /// The first `limit` clusters of the queue, in queue order: what a
    /// screen shows without reading a queue of a hundred thousand clusters.
    pub fn match_queue_head(&self, limit: usize) -> Result<Vec<ClusterView>> {
        let conn = self.store.conn();
        let model = self.match_model()?;
        let mut out = Vec::new();
        for c in sm::open_clusters_head(conn, limit)? {
            out.push(self.cluster_view(&c, model.as_ref())?);
        }
        Ok(out)
    }

    /// How many clusters wait for review; cheaper than `match_queue`.
    pub fn queue_size(&self) -> Result<usize> {
        let n: i64 =
            self.store
                .conn()
                .query_row("SELECT count(*) FROM match_clusters WHERE state = 'open'", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    pub fn match_cluster(&self, id: i64) -> Result<ClusterView> {
        let c = sm::get_cluster(self.store.conn(), id)?.ok_or_else(|| Error::NotFound(format!("no cluster {id}")))?;
        self.cluster_view(&c, self.match_model()?.as_ref())
    }

    fn cluster_view(&self, c: &sm::ClusterRow, model: Option<&Model>) -> Result<ClusterView> {
        let conn = self.store.conn();
        let mut members = Vec::new();
        let mut numbers = HashMap::new();
        for &(id, version) in &c.members {
            let cust = store::customers::get_customer(conn, id)?
                .ok_or_else(|| Error::NotFound(format!("cluster {}: customer {id} is gone", c.id)))?;
            numbers.insert(id, cust.number.clone());
            // The queue is a read path like any other: masked for who may not see.
            let owner = cust.owner.as_deref();
            let mask =
                |f: crate::domain::Field, v: Option<String>| v.map(|v| self.access.value(owner, f, &v).into_owned());
            let contact = mask(crate::domain::Field::ContactName, cust.contact_name.clone());
            let mobile = mask(crate::domain::Field::Mobile, cust.mobile.clone());
            // Name and city are not sensitive by default; an admin may make them so.
            let name = self.access.value(owner, crate::domain::Field::Name, &cust.name).into_owned();
            let city = mask(crate::domain::Field::City, cust.city.clone());
            members.push(MemberView { id, number: cust.number, name, contact, mobile, city, version });
        }
        let mut pairs = Vec::new();
        for (i, &(a, _)) in c.members.iter().enumerate() {
            for &(b, _) in &c.members[i + 1..] {
                if let Some(p) = sm::pair(conn, a, b)? {
                    pairs.push(PairView {
                        a: numbers[&p.a].clone(),
                        b: numbers[&p.b].clone(),
                        probability: p.prob,
                        band: p.band.into(),
                        evidence: model.map(|m| decode_evidence(m, &p.evidence)).unwrap_or_default(),
                    });
                }
            }
        }
        pairs.sort_by(|x, y| y.probability.total_cmp(&x.probability));
        Ok(ClusterView {
            id: c.id,
            score: Model::probability(c.score),
            signature: c.signature.clone(),
            skipped: c.skipped,
            members,
            pairs,
        })
    }

    /// An open cluster that is still what was shown: every member live and
    /// at the version it had when the cluster was built.
    fn fresh_cluster(&self, id: i64) -> Result<sm::ClusterRow> {
        let conn = self.store.conn();
        let c = sm::get_cluster(conn, id)?.ok_or_else(|| Error::NotFound(format!("no cluster {id}")))?;
        if c.state != "open" {
            return Err(Error::Refused(format!(
                "cluster {id} is {} (it changed or was decided since it was shown); run `crmwb queue` again",
                c.state
            )));
        }
        members_unchanged(conn, &c)?;
        Ok(c)
    }

    /// "Not a duplicate": every pair of the cluster is remembered and never proposed again.
    pub fn review_reject(&mut self, cluster: i64) -> Result<ReviewOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let c = self.fresh_cluster(cluster)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                sm::insert_rejection(&tx, a, b, Some(cluster), &actor, &now)?;
            }
        }
        sm::set_cluster_state(&tx, cluster, "rejected", Some(&actor), &now)?;
        let numbers = numbers_of(&tx, &ids)?;
        let details = serde_json::json!({ "members": numbers, "signature": c.signature });
        audit_decision(&tx, &actor, "match.reject", cluster, details, &now)?;
        tx.commit()?;
        Ok(listing(cluster, "reject", numbers))
    }

    /// Takes back "not a duplicate": the cluster is open in the queue again,
    /// as it was, and its pairs may be proposed again. Refused when a member
    /// was merged away or changed since (run `crmwb match` for a fresh
    /// cluster instead).
    pub fn review_unreject(&mut self, cluster: i64) -> Result<ReviewOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let conn = self.store.conn();
        let c = sm::get_cluster(conn, cluster)?.ok_or_else(|| Error::NotFound(format!("no cluster {cluster}")))?;
        if c.state != "rejected" {
            return Err(Error::Refused(format!(
                "cluster {cluster} is {}, not rejected: nothing to take back",
                c.state
            )));
        }
        members_unchanged(conn, &c)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if !sm::unreject_cluster(&tx, cluster)? {
            return Err(Error::Refused(format!("cluster {cluster} was decided again meanwhile")));
        }
        let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
        let numbers = numbers_of(&tx, &ids)?;
        let details = serde_json::json!({ "members": numbers, "signature": c.signature });
        audit_decision(&tx, &actor, "match.unreject", cluster, details, &now)?;
        tx.commit()?;
        Ok(listing(cluster, "unreject", numbers))
    }

    /// Decide later: the cluster stays open and moves to the end of the queue.
    pub fn review_skip(&mut self, cluster: i64) -> Result<ReviewOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let c = self.fresh_cluster(cluster)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        sm::set_skipped(&tx, cluster, &now)?;
        audit_decision(&tx, &actor, "match.skip", cluster, serde_json::json!({ "signature": c.signature }), &now)?;
        tx.commit()?;
        Ok(listing(cluster, "skip", Vec::new()))
    }

    /// Drops members from a cluster before it is approved: each dropped
    /// customer is remembered as not a duplicate of every other member.
    /// Returns the members that remain. Audited; refused on a stale cluster.
    pub fn review_drop(&mut self, cluster: i64, drop: &[i64]) -> Result<Vec<i64>> {
        self.access.check(super::Permission::Merge, None)?;
        let c = self.fresh_cluster(cluster)?;
        let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
        for d in drop {
            if !ids.contains(d) {
                let n = numbers_of(self.store.conn(), &[*d])?.pop().unwrap_or_else(|| d.to_string());
                return Err(Error::Invalid(format!("--drop {n}: not a member of cluster {cluster}")));
            }
        }
        let keep: Vec<i64> = ids.iter().copied().filter(|i| !drop.contains(i)).collect();
        if drop.is_empty() {
            return Ok(keep);
        }
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for &d in drop {
            for &o in &ids {
                if o != d {
                    sm::insert_rejection(&tx, d, o, Some(cluster), &actor, &now)?;
                }
            }
        }
        let dropped = numbers_of(&tx, drop)?;
        let kept = numbers_of(&tx, &keep)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "match.drop",
                entity: "match_cluster",
                entity_id: Some(&cluster.to_string()),
                customer_id: None,
                details: serde_json::json!({ "dropped": dropped, "kept": kept, "signature": c.signature }),
            },
            &now,
        )?;
        if keep.len() < 2 {
            sm::set_cluster_state(&tx, cluster, "rejected", Some(&actor), &now)?;
        } else {
            // Out of the cluster for good, so no later session (nor an
            // approval from the CLI) proposes the dropped member with the rest.
            for &d in drop {
                tx.execute(
                    "DELETE FROM match_cluster_members WHERE cluster_id = ?1 AND customer_id = ?2",
                    [cluster, d],
                )?;
            }
            tx.execute("UPDATE match_clusters SET size = ?2 WHERE id = ?1", [cluster, keep.len() as i64])?;
        }
        tx.commit()?;
        Ok(keep)
    }

    /// Approves a cluster: `drop` members are first remembered as not
    /// duplicates of the rest, then the others are merged into the oldest
    /// (lowest id) with `picks` (field, customer id) choosing values by hand.
    /// Refused when the cluster changed since it was built.
    pub fn review_approve(
        &mut self,
        cluster: i64,
        picks: &[(crate::domain::Field, i64)],
        drop: &[i64],
    ) -> Result<ReviewOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let c = self.fresh_cluster(cluster)?;
        let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
        for (f, who) in picks {
            if !ids.contains(who) || drop.contains(who) {
                return Err(Error::Invalid(format!(
                    "--pick {}={}: that customer is not among the members being merged",
                    f.name(),
                    numbers_of(self.store.conn(), &[*who])?.pop().unwrap_or_default()
                )));
            }
        }
        let keep = self.review_drop(cluster, drop)?;
        let dropped = numbers_of(self.store.conn(), drop)?;
        if keep.len() < 2 {
            return Ok(ReviewOutcome {
                cluster,
                decision: "reject".into(),
                survivor: None,
                merged: Vec::new(),
                dropped,
                merge_id: None,
            });
        }
        let survivor = *keep.iter().min().expect("two members");
        let absorbed: Vec<i64> = keep.iter().copied().filter(|&i| i != survivor).collect();
        let merge_id = self.merge_for_cluster(survivor, &absorbed, picks, cluster)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        sm::set_cluster_state(&tx, cluster, "approved", Some(&actor), &now)?;
        let survivor_no = numbers_of(&tx, &[survivor])?.pop().unwrap_or_default();
        let merged = numbers_of(&tx, &absorbed)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "match.approve",
                entity: "match_cluster",
                entity_id: Some(&cluster.to_string()),
                customer_id: Some(survivor),
                details: serde_json::json!({ "survivor": survivor_no, "merged": merged, "dropped": dropped,
                    "picks": picks.iter().map(|(f, c)| (f.name().to_string(), *c)).collect::<Vec<_>>(),
                    "merge": merge_id, "signature": c.signature }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(ReviewOutcome {
            cluster,
            decision: "approve".into(),
            survivor: Some(survivor_no),
            merged,
            dropped,
            merge_id: Some(merge_id),
        })
    }

    /// Approves, one by one, every open cluster whose score is at least
    /// `min_score` (a probability); stale clusters are skipped and counted.
    pub fn review_approve_all(&mut self, min_score: f64) -> Result<BulkOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let mut done = Vec::new();
        let mut refused = Vec::new();
        for c in sm::open_clusters(self.store.conn())? {
            if Model::probability(c.score) < min_score {
                continue;
            }
            match self.review_approve(c.id, &[], &[]) {
                Ok(o) => done.push(o),
                Err(e @ (Error::Refused(_) | Error::Invalid(_) | Error::NotFound(_))) => {
                    refused.push((c.id, e.to_string()))
                }
                Err(e) => return Err(e),
            }
        }
        Ok((done, refused))
    }

    /// Clusters whose weakest pair reaches `threshold`, approved whole.
    fn auto_merge(&mut self, threshold: f64) -> Result<u64> {
        let mut n = 0;
        for c in sm::open_clusters(self.store.conn())? {
            if Model::probability(c.score) >= threshold && self.review_approve(c.id, &[], &[]).is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}

fn csv_err(e: csv::Error) -> Error {
    Error::csv("writing CSV", e)
}

fn numbers_of(conn: &rusqlite::Connection, ids: &[i64]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for &id in ids {
        out.push(store::customers::get_customer(conn, id)?.map(|c| c.number).unwrap_or_else(|| id.to_string()));
    }
    Ok(out)
}

/// The members of each of the blocks `hs` (key hashes), each read once and
/// in the index's order; None for a block over the cap.
fn read_blocks(
    conn: &rusqlite::Connection,
    mut hs: Vec<u64>,
    max_block: usize,
) -> Result<IntMap<u64, Option<Vec<i64>>>> {
    hs.sort_unstable_by_key(|&h| h as i64);
    hs.dedup();
    let hs: Vec<(u64, usize)> = hs.into_iter().map(|h| (h, max_block + 1)).collect();
    let mut out = IntMap::with_capacity_and_hasher(hs.len(), Default::default());
    sm::key_members(conn, &hs, |h, m| {
        out.insert(h, (m.len() <= max_block).then_some(m));
    })?;
    Ok(out)
}

/// The blocks of the changed customers' keys, as `read_blocks` gives them,
/// and the keys over the cap that were not before this run: they have at
/// most `max_block` + `growth` holders now (`growth`: the changed customers
/// that hold the key now and did not, less those that did and do not; the
/// keys of now are in match_keys already). Their unchanged holders never
/// got the key's sub-key (a run gives sub-keys to the holders of oversized
/// keys only), so the run works theirs out: a full run would put them in
/// the sub-blocks too. A key that was over the cap before is not one of
/// them, however its changed holders moved: its holders have their
/// sub-keys.
type Crossed = Vec<(u64, Vec<i64>)>;
type Blocks = IntMap<u64, Option<Vec<i64>>>;
fn read_blocks_crossing(
    conn: &rusqlite::Connection,
    growth: &IntMap<u64, i64>,
    changed: &HashSet<i64>,
    max_block: usize,
) -> Result<(Blocks, Crossed)> {
    let was_under = |h: u64, now: usize| now as i64 - growth[&h] <= max_block as i64;
    let mut hs: Vec<(u64, usize)> = growth.iter().map(|(&h, &g)| (h, max_block + 1 + g.max(0) as usize)).collect();
    hs.sort_unstable_by_key(|&(h, _)| h as i64);
    let mut out = IntMap::with_capacity_and_hasher(hs.len(), Default::default());
    let mut crossed = Vec::new();
    sm::key_members(conn, &hs, |h, m| {
        if m.len() <= max_block {
            out.insert(h, Some(m));
            return;
        }
        if was_under(h, m.len()) {
            let unchanged: Vec<i64> = m.iter().copied().filter(|id| !changed.contains(id)).collect();
            crossed.push((h, unchanged));
        }
        out.insert(h, None);
    })?;
    Ok((out, crossed))
}

/// Adds to `tf` how many customers hold each hash of `asked` not in it yet,
/// as match_keys counts them (at least 1): from `known` where blocking read
/// the whole block, else counted. A hash that none of the `counted`
/// customers (of `recs`) holds among its stored keys counts 1: term
/// frequencies were only ever read for the values of the customers loaded
/// for scoring. Each hash comes with the pair (customer ids) that asked for
/// it, nearly always one holder: only the asking customers' keys are
/// worked out, and every counted customer's only for hashes neither holds.
fn count_terms(
    conn: &rusqlite::Connection,
    tf: &mut IntMap<u64, u32>,
    mut asked: Vec<(u64, (i64, i64))>,
    known: &IntMap<u64, u32>,
    recs: &HashMap<i64, Record>,
    counted: &HashSet<i64>,
    keys: &[matching::KeyDef],
) -> Result<()> {
    asked.retain(|(h, _)| !tf.contains_key(h));
    asked.sort_unstable_by_key(|&(h, _)| h as i64);
    asked.dedup_by_key(|(h, _)| *h);
    if asked.is_empty() {
        return Ok(());
    }
    let stored =
        |rs: &[&Record]| -> Vec<(i64, Vec<u64>)> { matching::par_map(rs, |r| (r.id, blocking::stored_keys(keys, r))) };
    let mut askers: Vec<i64> =
        asked.iter().flat_map(|(_, (a, b))| [*a, *b]).filter(|id| counted.contains(id)).collect();
    askers.sort_unstable();
    askers.dedup();
    let askers: Vec<&Record> = askers.iter().filter_map(|id| recs.get(id)).collect();
    let own: HashMap<i64, Vec<u64>> = stored(&askers).into_iter().collect();
    let holds = |id: &i64, h: &u64| own.get(id).is_some_and(|ks| ks.binary_search(h).is_ok());
    let mut held: IntMap<u64, ()> =
        asked.iter().filter(|(h, (a, b))| holds(a, h) || holds(b, h)).map(|&(h, _)| (h, ())).collect();
    if held.len() < asked.len() {
        let rest: IntMap<u64, ()> =
            asked.iter().filter(|(h, _)| !held.contains_key(h)).map(|&(h, _)| (h, ())).collect();
        let all: Vec<&Record> = recs.iter().filter(|(id, _)| counted.contains(id)).map(|(_, r)| r).collect();
        let found: Vec<Vec<u64>> = matching::par_map(&all, |r| {
            blocking::stored_keys(keys, r).into_iter().filter(|h| rest.contains_key(h)).collect()
        });
        held.extend(found.into_iter().flatten().map(|h| (h, ())));
    }
    let mut missing = Vec::new();
    for (h, _) in asked {
        match (held.contains_key(&h), known.get(&h)) {
            (false, _) => {
                tf.insert(h, 1);
            }
            (true, Some(&n)) => {
                tf.insert(h, n.max(1));
            }
            (true, None) => missing.push(h),
        }
    }
    for (h, n) in missing.iter().zip(sm::key_counts(conn, &missing)?) {
        tf.insert(*h, n.max(1));
    }
    Ok(())
}

/// Keeps open clusters that came out the same (same signature), supersedes
/// the other `old_ids`, and inserts the new ones. Returns (created, superseded).
/// Stores a run's report with it and writes its one audit entry.
fn record_run(
    conn: &rusqlite::Connection,
    report: &MatchReport,
    actor: &str,
    now: &str,
    details: serde_json::Value,
) -> Result<()> {
    sm::set_run_stats(conn, report.run_id, &serde_json::to_string(report)?)?;
    store::audit::append(
        conn,
        &NewAudit {
            actor,
            action: "match.run",
            entity: "match_run",
            entity_id: Some(&report.run_id.to_string()),
            customer_id: None,
            details,
        },
        now,
    )?;
    Ok(())
}

fn reconcile(
    conn: &rusqlite::Connection,
    run_id: i64,
    new: &[(Vec<(i64, i64)>, f64)],
    mut old: HashMap<String, i64>,
    old_ids: &[i64],
    now: &str,
) -> Result<(u64, u64)> {
    let mut kept = HashSet::new();
    let mut fresh = Vec::new();
    for (members, score) in new {
        let sig = signature(members, *score);
        if let Some(id) = old.remove(&sig) {
            kept.insert(id);
            continue;
        }
        fresh.push((sig, *score, members.as_slice()));
    }
    sm::insert_clusters(conn, run_id, &fresh, now)?;
    let created = fresh.len() as u64;
    let mut superseded = 0;
    for &id in old_ids {
        if !kept.contains(&id) {
            sm::set_cluster_state(conn, id, "superseded", None, now)?;
            superseded += 1;
        }
    }
    Ok((created, superseded))
}

/// After merge `merge` was undone whole: the cluster it approved goes back
/// in the review queue as it was, its members at their versions now (an
/// undo changes them). Returns the cluster, when one was reopened.
pub(super) fn reopen_after_unmerge(conn: &rusqlite::Connection, merge: i64) -> Result<Option<i64>> {
    let Some(id) = store::merges::cluster_of(conn, merge)? else { return Ok(None) };
    let Some(c) = sm::get_cluster(conn, id)? else { return Ok(None) };
    if c.state != "approved" {
        return Ok(None);
    }
    let ids: Vec<i64> = c.members.iter().map(|m| m.0).collect();
    let now = sm::versions(conn, &ids)?;
    let mut members = Vec::with_capacity(ids.len());
    for id in &ids {
        match now.get(id) {
            Some(&(v, true)) => members.push((*id, v)),
            // A member merged elsewhere or gone: not the cluster it was.
            _ => return Ok(None),
        }
    }
    let sig = signature(&members, c.score);
    Ok(sm::reopen_cluster(conn, id, &sig, &members)?.then_some(id))
}

impl Workbench {
    /// The merge itself, through the merge engine (its own transaction);
    /// returns the merge id.
    fn merge_for_cluster(
        &mut self,
        survivor: i64,
        absorbed: &[i64],
        picks: &[(crate::domain::Field, i64)],
        cluster: i64,
    ) -> Result<i64> {
        Ok(self.merge_customers(survivor, absorbed, picks, super::MergeOrigin::Cluster(cluster))?.0)
    }
}

impl Workbench {
    /// Measures the open clusters and the candidate pairs against ground
    /// truth: `truth` maps (source, source key) to the true entity.
    pub fn evaluate_matching(&self, truth: &HashMap<(String, String), String>) -> Result<matching::eval::EvalReport> {
        let conn = self.store.conn();
        let (entity, _) = self.truth_of_customers(truth)?;
        let clusters: Vec<Vec<i64>> =
            sm::open_clusters(conn)?.into_iter().map(|c| c.members.into_iter().map(|m| m.0).collect()).collect();
        let candidates = sm::all_pair_ids(conn)?;
        Ok(matching::eval::evaluate(&entity, &clusters, &candidates))
    }

    /// Blocking recall of the stored candidate pairs against ground truth,
    /// overall, per key (`keys`: the key names of the last run, in bit
    /// order) and per source pair.
    pub fn evaluate_blocking(
        &self,
        truth: &HashMap<(String, String), String>,
        keys: &[String],
    ) -> Result<matching::eval::BlockingReport> {
        self.access.check(super::Permission::Merge, None)?;
        let (entity, source) = self.truth_of_customers(truth)?;
        let candidates = sm::all_pair_keys(self.store.conn())?;
        Ok(matching::eval::blocking_report(&entity, &source, &candidates, keys))
    }

    /// Each live customer's true entity and source: by majority of the
    /// source records it holds (ties to the smaller name, so the answer is
    /// stable). Customers of no listed record are left out.
    fn truth_of_customers(
        &self,
        truth: &HashMap<(String, String), String>,
    ) -> Result<(HashMap<i64, String>, HashMap<i64, String>)> {
        let conn = self.store.conn();
        let merged = sm::merged_map(conn)?;
        let mut votes: HashMap<i64, HashMap<String, u32>> = HashMap::new();
        let mut sources: HashMap<i64, HashMap<String, u32>> = HashMap::new();
        for (src, key, customer) in sm::source_customers(conn)? {
            let c = root(&merged, customer);
            if let Some(e) = truth.get(&(src.clone(), key)) {
                *votes.entry(c).or_default().entry(e.clone()).or_insert(0) += 1;
                *sources.entry(c).or_default().entry(src).or_insert(0) += 1;
            }
        }
        let top = |m: HashMap<i64, HashMap<String, u32>>| -> HashMap<i64, String> {
            m.into_iter()
                .filter_map(|(c, v)| {
                    v.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(e, _)| (c, e))
                })
                .collect()
        };
        Ok((top(votes), top(sources)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ImportOptions;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// The reader is told why a same-place level weighs 0: a shared
    /// landline, like a shared mobile, is a number in one place. A place
    /// weighing 0 for no such reason is not marked.
    #[test]
    fn a_place_zeroed_by_a_shared_landline_says_so() {
        use crate::matching::{features::InputRecord, CompKind};
        let plan = MatchConfig::default().plan(&[]).unwrap();
        let records: Vec<Record> = (0..10).map(|_| Record::from_input(&InputRecord::default(), &[])).collect();
        let mut m = matching::learn(&records, &plan, &MatchConfig::default(), &[], &[], &|_| 1);
        let at = |kind| plan.comps.iter().position(|c| c.kind == kind).unwrap();
        let (land, place) = (at(CompKind::Landline), at(CompKind::Location));
        m.comparisons[place].levels[0].weight = 5.0; // same district
        let place_evidence = |landline: u8| {
            let mut levels = vec![0u8; plan.comps.len()];
            let mut weights = vec![0.0; plan.comps.len()];
            levels[land] = landline;
            weights[land] = 9.0;
            levels[place] = 1;
            let ev = decode_evidence(&m, &encode_evidence(&levels, &weights));
            ev.into_iter().find(|e| e.field == m.comparisons[place].name).unwrap()
        };
        assert!(place_evidence(1).implied, "same landline");
        assert!(!place_evidence(2).implied, "different landlines");
    }

    fn runs(wb: &Workbench) -> i64 {
        wb.store().conn().query_row("SELECT count(*) FROM match_runs", [], |r| r.get(0)).unwrap()
    }

    /// Customers sharing names, contacts, mobiles, cities and e-mail users
    /// and domains in many combinations, so that term frequencies differ
    /// and blocks go over a small cap.
    fn crowded(from: usize, to: usize) -> String {
        let names = ["北京星辰贸易有限公司", "上海远帆物流有限公司", "星辰贸易", "广州海川电子有限公司", "远帆物流"];
        let contacts = ["王芳", "李娜", "张伟", "刘洋"];
        let cities = ["北京", "上海", "广州"];
        let users = ["wangfang", "lina", "zhangwei"];
        let domains = ["163.com", "qq.com", "xingchen.cn", "yuanfan.com"];
        let mut csv = String::from("客户名称,联系人,手机,城市,邮箱\n");
        for i in from..to {
            let mobile = 13900002000 + (i * 7 % 11) as u64;
            csv.push_str(&format!(
                "{},{},{mobile},{},{}@{}\n",
                names[i % names.len()],
                contacts[i * 3 % contacts.len()],
                cities[i / 4 % cities.len()],
                users[i * 5 % users.len()],
                domains[i / 3 % domains.len()]
            ));
        }
        csv
    }

    /// Loading chosen customers (in chunks of 500 through statements with
    /// bound ids, the last chunk shorter) gives what loading them by range
    /// gives, children included.
    #[test]
    fn customers_loaded_by_id_are_those_loaded_by_range() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, crowded(0, 1300)).unwrap();
        wb.import(&path, &ImportOptions { source: "s".into(), ..Default::default() }, &mut |_| {}).unwrap();
        let conn = wb.store().conn();
        let mut all = Vec::new();
        sm::load_range_chunked(conn, 0, i64::MAX, 400, |chunk| {
            all.extend(chunk);
            true
        })
        .unwrap();
        assert!(all.len() > 1100, "{}", all.len());
        let wanted: Vec<&matching::InputRecord> = all.iter().filter(|r| r.id % 7 != 3).collect();
        let ids: Vec<i64> = wanted.iter().map(|r| r.id).collect();
        assert!(ids.len() > 1000 && ids.len() % 500 != 0);
        let by_id = sm::load_ids(conn, &ids).unwrap();
        assert!(by_id.iter().any(|r| !r.mobiles.is_empty() && !r.contacts.is_empty()));
        assert_eq!(format!("{by_id:?}"), format!("{wanted:?}"));
    }

    #[test]
    fn incremental_scores_count_the_values_of_every_customer_compared() {
        // What an incremental run stores for a pair is the pair weighed with
        // term frequencies counted over match_keys for every value any
        // customer it loaded holds (1 for any other value), whichever of
        // those counts it reads.
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        let mut opts = MatchOptions::default();
        opts.config.blocking.max_block = 4;
        for (i, (from, to)) in [(0, 60), (60, 90)].into_iter().enumerate() {
            let path = dir.path().join(format!("c{i}.csv"));
            std::fs::write(&path, crowded(from, to)).unwrap();
            wb.import(&path, &ImportOptions { source: format!("s{i}"), ..Default::default() }, &mut |_| {}).unwrap();
            let r = wb.run_match(&opts).unwrap();
            assert_eq!(r.mode, if i == 0 { "full" } else { "incremental" });
            // Both kinds of run time their commit (it writes the pages).
            assert_eq!(r.seconds.last().map(|s| s.0.as_str()), Some("commit"), "{:?}", r.seconds);
        }
        let conn = wb.store().conn();
        let run: i64 = conn.query_row("SELECT max(id) FROM match_runs", [], |r| r.get(0)).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT a, b, score FROM match_pairs WHERE run_id = ?1 \
                 UNION ALL SELECT a, b, score FROM match_pairs_low WHERE run_id = ?1 \
                 UNION ALL SELECT a, b, score FROM match_pairs_low_b WHERE run_id = ?1",
            )
            .unwrap();
        let pairs: Vec<(i64, i64, f64)> =
            stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        assert!(pairs.len() > 40, "{}", pairs.len());
        let last_hw = conn
            .query_row("SELECT hw_customer, hw_batch, hw_audit FROM match_runs WHERE id = ?1", [run - 1], |r| {
                Ok(sm::HighWater { customer: r.get(0)?, batch: r.get(1)?, audit: r.get(2)? })
            })
            .unwrap();
        let changed = sm::changed_since(conn, &last_hw).unwrap();
        assert_eq!(changed.len(), 30);
        let mut ids: Vec<i64> = pairs.iter().flat_map(|p| [p.0, p.1]).chain(changed).collect();
        ids.sort_unstable();
        ids.dedup();
        let plan = opts.config.plan(&sm::custom_fields(conn).unwrap()).unwrap();
        let recs = matching::prepare(&sm::load_ids(conn, &ids).unwrap(), &plan);
        let mut held: Vec<u64> = recs.iter().flat_map(|r| blocking::stored_keys(&plan.keys, r)).collect();
        held.sort_unstable();
        held.dedup();
        let counts = sm::key_counts(conn, &held).unwrap();
        let tf: HashMap<u64, u32> = held.into_iter().zip(counts).map(|(h, n)| (h, n.max(1))).collect();
        assert!(tf.values().any(|&n| n > 4), "some value is common");
        let tf_fn = |h: u64| tf.get(&h).copied().unwrap_or(1);
        let model = wb.match_model().unwrap().unwrap();
        let scorer = Scorer { model: &model, plan: &plan, tf: &tf_fn, term_frequency: true };
        let by_id: HashMap<i64, &Record> = recs.iter().map(|r| (r.id, r)).collect();
        for (a, b, score) in pairs {
            let expected = model.prior_bits + scorer.compare(by_id[&a], by_id[&b]).2;
            assert!((expected - score).abs() < 1e-9, "pair {a} {b}: stored {score}, weighed {expected}");
        }
    }

    /// An incremental run pairs what a full run of the same data pairs when
    /// keys are over the cap: changed customers in one place sub-block meet
    /// each other (they were missed: their sub-keys were stored only after
    /// the sub-blocks were read), and the customers of a key that goes over
    /// the cap in this run meet by place (they had no sub-keys at all).
    #[test]
    fn incremental_run_pairs_oversized_blocks_as_a_full_run() {
        let dir = tempfile::tempdir().unwrap();
        let rows = |rows: &[(&str, &str, &str)]| {
            let mut csv = String::from("客户名称,联系人,手机,城市\n");
            for (name, contact, city) in rows {
                csv.push_str(&format!("{name},{contact},,{city}\n"));
            }
            csv
        };
        let first =
            rows(&[("星辰贸易有限公司", "王芳", "北京"), ("星辰贸易", "李娜", "北京"), ("星辰贸易", "张伟", "上海")]);
        let second = rows(&[
            ("星辰贸易有限公司", "刘洋", "北京"),
            ("星辰贸易", "陈静", "北京"),
            ("北京星辰贸易有限公司", "杨帆", "上海"),
        ]);
        let mut cases =
            vec![(crowded(0, 60), crowded(60, 90), matching::DEFAULT_MAX_BLOCK), (crowded(0, 60), crowded(60, 90), 4)];
        // Three holders of the name under a cap of four, then six.
        cases.push((first, second, 4));
        for (i, (a, b, max_block)) in cases.into_iter().enumerate() {
            let mut wb = Workbench::open_in_memory("tester").unwrap();
            let mut opts = MatchOptions::default();
            opts.config.blocking.max_block = max_block;
            for (j, csv) in [a, b].into_iter().enumerate() {
                let path = dir.path().join(format!("c{i}{j}.csv"));
                std::fs::write(&path, csv).unwrap();
                wb.import(&path, &ImportOptions { source: format!("s{j}"), ..Default::default() }, &mut |_| {})
                    .unwrap();
                assert_eq!(wb.run_match(&opts).unwrap().mode, if j == 0 { "full" } else { "incremental" });
            }
            let incremental = sm::all_pair_ids(wb.store().conn()).unwrap();
            opts.full = true;
            wb.run_match(&opts).unwrap();
            let full = sm::all_pair_ids(wb.store().conn()).unwrap();
            let missed: Vec<_> = full.iter().filter(|p| incremental.binary_search(p).is_err()).collect();
            assert!(missed.is_empty(), "case {i}: the incremental run missed {missed:?}");
        }
    }

    /// Issue 15: an incremental run's non-match pairs go where a new
    /// customer's pairs append (match_pairs_low_b), and every reader finds
    /// them as a full run's: the same pairs listed in (a, b) order, each
    /// found by `pair` and by `pairs_of` its newer customer, and a customer
    /// changed again leaves none of its old pairs behind.
    #[test]
    fn incremental_non_match_pairs_are_read_as_a_full_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        let import = |wb: &mut Workbench, name: &str, csv: String| {
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, csv).unwrap();
            wb.import(&path, &ImportOptions { source: name.into(), ..Default::default() }, &mut |_| {}).unwrap();
        };
        let count = |wb: &Workbench, sql: &str| -> i64 { wb.store().conn().query_row(sql, [], |r| r.get(0)).unwrap() };
        import(&mut wb, "s0", crowded(0, 60));
        wb.run_match(&MatchOptions::default()).unwrap();
        import(&mut wb, "s1", crowded(60, 90));
        assert_eq!(wb.run_match(&MatchOptions::default()).unwrap().mode, "incremental");
        let conn = wb.store().conn();
        let run = count(&wb, "SELECT max(id) FROM match_runs");
        let appended: Vec<(i64, i64)> = conn
            .prepare("SELECT a, b FROM match_pairs_low_b WHERE run_id = ?1")
            .unwrap()
            .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(appended.len() > 20, "{}", appended.len());
        assert_eq!(count(&wb, &format!("SELECT count(*) FROM match_pairs_low WHERE run_id = {run}")), 0);
        for &(a, b) in &appended {
            assert!(a < b);
            let p = sm::pair(conn, a, b).unwrap().expect("found by the pair");
            assert_eq!((p.a, p.b, p.band), (a, b, "non-match"));
            assert!(sm::pairs_of(conn, b, 0.0).unwrap().iter().any(|x| (x.0, x.1) == (a, b)));
        }
        let listed = |wb: &Workbench| {
            let ids = sm::all_pair_ids(wb.store().conn()).unwrap();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "in (a, b) order, each pair once");
            ids
        };
        let incremental = listed(&wb);
        for p in &appended {
            assert!(incremental.binary_search(p).is_ok(), "{p:?} listed");
        }
        // One of the new customers moves: its pairs are weighed again, and
        // its sub-blocks are another city's.
        let mut changed = crowded(60, 90);
        changed = changed.replacen("北京\n", "上海\n", 1);
        import(&mut wb, "s1", changed);
        assert_eq!(wb.run_match(&MatchOptions::default()).unwrap().mode, "incremental");
        let again = listed(&wb);
        wb.run_match(&MatchOptions { full: true, ..Default::default() }).unwrap();
        assert_eq!(again, listed(&wb), "an incremental run and a full one list the same pairs");
        assert_eq!(count(&wb, "SELECT count(*) FROM match_pairs_low_b"), 0, "a full run empties it");
    }

    #[test]
    fn a_cancelled_run_writes_nothing_and_the_next_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        let mut csv = String::from("客户名称,联系人,手机,城市\n");
        csv.push_str("北京星辰贸易有限公司,王芳,13900002222,北京\n北京星辰贸易有限公司,王芳,13900002222,北京\n");
        std::fs::write(&path, csv).unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        wb.import(&path, &ImportOptions { source: "t".into(), ..Default::default() }, &mut |_| {}).unwrap();
        let cancel = Arc::new(AtomicBool::new(true));
        let err = wb.run_match(&MatchOptions { cancel: Some(Arc::clone(&cancel)), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("cancelled"), "{err}");
        assert_eq!(runs(&wb), 0, "a cancelled run leaves no trace");
        cancel.store(false, std::sync::atomic::Ordering::Relaxed);
        let r = wb.run_match(&MatchOptions { cancel: Some(cancel), ..Default::default() }).unwrap();
        assert_eq!(r.customers, 2);
        assert_eq!(runs(&wb), 1);
    }
}
