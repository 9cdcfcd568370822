//! `crmwb match`, `queue`, `review` and the hidden `eval-match`: thin
//! adapters over the service's matching API.

use crate::display::{fit, rfit, sanitize};
use crate::domain::Field;
use crate::error::{Error, Result};
use crate::matching::{MatchConfig, Model};
use crate::service::{ClusterView, MatchOptions, MatchReport, ReviewOutcome, Workbench};
use clap::Subcommand;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Merge a cluster (or, with --all, every proposed cluster). Refused if the cluster changed since it was shown.
    Approve {
        /// The cluster id shown by `crmwb queue`.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        cluster: Option<i64>,
        /// Take a field's value from one member: `FIELD=CUSTOMER_NUMBER`. Repeatable.
        #[arg(long = "pick", value_name = "FIELD=CUSTOMER")]
        picks: Vec<String>,
        /// Leave a member out (remembered as not a duplicate of the others), merge the rest. Repeatable.
        #[arg(long = "drop", value_name = "CUSTOMER")]
        drops: Vec<String>,
        /// Approve every open cluster the queue proposes (asks first on a terminal).
        #[arg(long)]
        all: bool,
        /// With --all: only clusters whose score (a probability) is at least P.
        #[arg(long, value_name = "P", requires = "all")]
        min_score: Option<f64>,
        /// With --all: do not ask for confirmation.
        #[arg(long, short = 'y', requires = "all")]
        yes: bool,
    },
    /// Not a duplicate: remember that these customers differ; never propose them again.
    Reject { cluster: i64 },
    /// Take a reject back: the cluster is open in the queue again, as it was.
    Unreject { cluster: i64 },
    /// Decide later: keep the cluster open at the end of the queue.
    Skip { cluster: i64 },
}

pub fn load_config(path: Option<&Path>) -> Result<MatchConfig> {
    match path {
        None => Ok(MatchConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| Error::Io { path: p.to_path_buf(), source })?;
            MatchConfig::from_toml(&text).map_err(|e| Error::input(p.display().to_string(), None, None, e))
        }
    }
}

pub struct MatchArgs<'a> {
    pub json: bool,
    pub config: Option<&'a Path>,
    pub explain_model: bool,
    pub pairs_csv: Option<&'a Path>,
    pub auto_merge: bool,
    pub full: bool,
    /// Ground truth (`source,source_key,entity_id`) to measure blocking recall against.
    pub truth: Option<&'a Path>,
}

pub fn run_match(wb: &mut Workbench, a: &MatchArgs<'_>, out: &mut dyn Write) -> Result<()> {
    let config = load_config(a.config)?;
    let report = wb.run_match(&MatchOptions { config, full: a.full, auto_merge: a.auto_merge, cancel: None })?;
    if let Some(p) = a.pairs_csv {
        let io = |source| Error::Io { path: p.to_path_buf(), source };
        let mut w = std::io::BufWriter::new(crate::files::Output::create(p, wb.file_mode()).map_err(io)?);
        let n = wb.write_pairs_csv(&mut w)?;
        w.into_inner().map_err(|e| io(e.into_error()))?.commit().map_err(io)?;
        if !a.json {
            writeln!(out, "{n} candidate pairs written to {}", p.display())?;
        }
    }
    let model = if a.explain_model { wb.match_model()? } else { None };
    let blocking = match a.truth {
        Some(t) => {
            let keys: Vec<String> = report.keys.iter().map(|k| k.key.clone()).collect();
            Some(wb.evaluate_blocking(&read_truth(t)?, &keys)?)
        }
        None => None,
    };
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        if let Some(m) = &model {
            v["model"] = serde_json::to_value(m)?;
        }
        if let Some(b) = &blocking {
            v["blocking_recall"] = serde_json::to_value(b)?;
        }
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    print_report(out, &report)?;
    if let Some(b) = &blocking {
        print_blocking(out, b)?;
    }
    if let Some(m) = &model {
        print_model(out, m)?;
    }
    Ok(())
}

fn print_blocking(out: &mut dyn Write, b: &crate::matching::eval::BlockingReport) -> Result<()> {
    writeln!(
        out,
        "Blocking recall {:.4}: {} of {} true pairs among {} candidate pairs ({} customers in the truth file)",
        b.recall, b.found, b.true_pairs, b.candidate_pairs, b.customers
    )?;
    writeln!(out, "  {:<28} {:>9} {:>9}", "by key", "found", "recall")?;
    for k in &b.per_key {
        writeln!(out, "  {:<28} {:>9} {:>9.4}", k.name, k.found, k.recall)?;
    }
    writeln!(out, "  {:<28} {:>9} {:>9} {:>9}", "by source pair", "true", "found", "recall")?;
    for s in &b.per_source_pair {
        writeln!(out, "  {:<28} {:>9} {:>9} {:>9.4}", sanitize(&s.name), s.true_pairs, s.found, s.recall)?;
    }
    Ok(())
}

fn print_report(out: &mut dyn Write, r: &MatchReport) -> Result<()> {
    let why = r.reason.as_deref().map(|w| format!(" ({w})")).unwrap_or_default();
    let line = tr!(
        "cli-match-run",
        id = r.run_id.to_string(),
        mode = r.mode.to_string(),
        why = why,
        customers = r.customers,
        compared = r.compared
    );
    writeln!(out, "{line}")?;
    let line = tr!("cli-match-pairs", pairs = r.pairs, prior = format!("{:.3e}", r.prior));
    writeln!(out, "{line}")?;
    writeln!(
        out,
        "  {} {} {} {} {}",
        fit(&tr!("cli-match-col-key"), 16),
        rfit(&tr!("cli-match-col-blocks"), 9),
        rfit(&tr!("cli-match-col-pairs"), 11),
        rfit(&tr!("cli-match-col-split"), 8),
        rfit(&tr!("cli-match-col-skipped"), 8)
    )?;
    for k in &r.keys {
        writeln!(out, "  {:<16} {:>9} {:>11} {:>8} {:>8}", k.key, k.blocks, k.pairs, k.split_blocks, k.skipped_blocks)?;
    }
    let line = tr!(
        "cli-match-bands",
        matched = r.bands.r#match,
        auto = r.auto_merge_threshold.to_string(),
        review = r.bands.review,
        rt = r.review_threshold.to_string(),
        non = r.bands.non_match
    );
    writeln!(out, "{line}")?;
    let line = tr!(
        "cli-match-clusters",
        open = r.clusters_open,
        new = r.clusters_new,
        superseded = r.clusters_superseded,
        auto = if r.auto_merged > 0 { tr!("cli-match-auto", n = r.auto_merged) } else { String::new() }
    );
    writeln!(out, "{line}")?;
    if r.ambiguous > 0 {
        writeln!(out, "{}", tr!("cli-match-ambiguous", n = r.ambiguous))?;
    }
    let total: f64 = r.seconds.iter().map(|s| s.1).sum();
    let parts: Vec<String> = r.seconds.iter().map(|(k, v)| format!("{k} {v:.2}")).collect();
    writeln!(out, "{}", tr!("cli-match-time", total = format!("{total:.2}"), parts = parts.join(", ")))?;
    writeln!(out, "{}", tr!("cli-match-review"))?;
    Ok(())
}

fn print_model(out: &mut dyn Write, m: &Model) -> Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Model: {} records, u from {} random pairs (each counted by its probability of being no match); prior {:.3e} ({:+.1} bits) from {} rule pairs at estimated recall {:.2}",
        m.records, m.random_pairs, m.prior, m.prior_bits, m.rule_pairs, m.rule_recall
    )?;
    if !m.rule.is_empty() {
        writeln!(out, "  rule: {}", m.rule)?;
    }
    if let Some(d) = m.dups_per_record {
        writeln!(
            out,
            "  duplicates per record (term frequency's own-duplicate discount): {d:.2} counted over the candidates; the prior implies {:.2}",
            m.prior * (m.records.saturating_sub(1)) as f64
        )?;
    }
    for p in &m.passes {
        writeln!(
            out,
            "  EM pass {:<14} {:>9} pairs ({} used), {} iterations ({}), match share {:.3}, left out: {}",
            p.key,
            p.pairs,
            p.used,
            p.iterations,
            if p.converged { "converged" } else { "not converged" },
            p.match_share,
            p.left_out.join(" ")
        )?;
        if let Some(why) = &p.degenerate {
            writeln!(out, "    degenerate ({why}): not used where another pass is; else shrunk to the prior")?;
        }
    }
    for c in &m.comparisons {
        writeln!(out, "  {} (m learned from: {})", c.name, c.learned_from.join(", "))?;
        for l in &c.levels {
            writeln!(out, "    {:<22} m {:>8.5}  u {:>10.7}  {:>+6.1} bits", l.level, l.m, l.u, l.weight)?;
        }
    }
    Ok(())
}

pub fn print_queue(out: &mut dyn Write, q: &[ClusterView], json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, q)?;
        writeln!(out)?;
        return Ok(());
    }
    if q.is_empty() {
        writeln!(out, "{}", tr!("cli-queue-none"))?;
        return Ok(());
    }
    for c in q {
        let line = tr!(
            "cli-queue-cluster",
            id = c.id,
            score = crate::display::probability(c.score),
            bits = crate::display::odds_bits(c.score),
            n = c.members.len(),
            skipped = if c.skipped { tr!("cli-queue-skipped") } else { String::new() }
        );
        writeln!(out, "{line}")?;
        for m in &c.members {
            writeln!(
                out,
                "  {}  {}  {}  {}  {}",
                m.number,
                sanitize(&m.name),
                sanitize(m.contact.as_deref().unwrap_or("-")),
                sanitize(m.mobile.as_deref().unwrap_or("-")),
                sanitize(m.city.as_deref().unwrap_or("-"))
            )?;
        }
        for p in &c.pairs {
            let ev: Vec<String> = p.evidence.iter().map(|e| e.describe()).collect();
            writeln!(
                out,
                "    {} ~ {}  p {}: {}",
                p.a,
                p.b,
                crate::display::probability(p.probability),
                ev.join(" · ")
            )?;
        }
    }
    writeln!(out, "{}", tr!("cli-queue-total", n = q.len()))?;
    Ok(())
}

fn customer_id(wb: &Workbench, number: &str) -> Result<i64> {
    Ok(wb.customer_by_number(number)?.customer.id)
}

fn print_outcome(out: &mut dyn Write, o: &ReviewOutcome) -> Result<()> {
    match o.decision.as_str() {
        "approve" => {
            let apart = if o.dropped.is_empty() {
                String::new()
            } else {
                tr!("cli-review-apart", numbers = crate::i18n::join(&o.dropped))
            };
            let line = tr!(
                "cli-review-approved",
                cluster = o.cluster,
                merged = crate::i18n::join(&o.merged),
                survivor = o.survivor.as_deref().unwrap_or("?"),
                apart = apart
            );
            writeln!(out, "{line}")?
        }
        "reject" => {
            let line = tr!("cli-review-rejected", cluster = o.cluster, numbers = crate::i18n::join(&o.dropped));
            writeln!(out, "{line}")?
        }
        "unreject" => {
            let line = tr!("cli-review-unrejected", cluster = o.cluster, numbers = crate::i18n::join(&o.dropped));
            writeln!(out, "{line}")?
        }
        _ => writeln!(out, "{}", tr!("cli-review-skipped", cluster = o.cluster))?,
    }
    Ok(())
}

pub fn run_review(wb: &mut Workbench, action: &ReviewAction, out: &mut dyn Write) -> Result<()> {
    match action {
        ReviewAction::Approve { cluster, picks, drops, all, min_score, yes } => {
            if *all {
                let min = min_score.unwrap_or(0.0);
                if !(0.0..=1.0).contains(&min) {
                    return Err(Error::Invalid(format!("--min-score {min}: give a probability between 0 and 1")));
                }
                let n = wb.match_queue()?.iter().filter(|c| c.score >= min).count();
                if n == 0 {
                    writeln!(out, "{}", tr!("cli-review-none-min", min = min.to_string()))?;
                    return Ok(());
                }
                if !yes && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    write!(out, "{}", tr!("cli-review-ask", n = n, min = min.to_string()))?;
                    out.flush()?;
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    if !matches!(line.trim(), "y" | "Y" | "yes") {
                        writeln!(out, "{}", tr!("cli-review-nothing"))?;
                        return Ok(());
                    }
                }
                let (done, refused) = wb.review_approve_all(min)?;
                for o in &done {
                    print_outcome(out, o)?;
                }
                for (c, why) in &refused {
                    writeln!(out, "{}", tr!("cli-review-refused", cluster = *c, why = why.to_string()))?;
                }
                writeln!(out, "{}", tr!("cli-review-total", done = done.len(), refused = refused.len()))?;
                return Ok(());
            }
            let cluster = cluster.ok_or_else(|| Error::Invalid("name a CLUSTER, or give --all".into()))?;
            let mut pick_ids = Vec::new();
            for p in picks {
                let (f, c) = p
                    .split_once('=')
                    .ok_or_else(|| Error::Invalid(format!("--pick `{p}`: write FIELD=CUSTOMER_NUMBER")))?;
                let field = Field::parse(f.trim())
                    .ok_or_else(|| Error::Invalid(format!("--pick `{p}`: unknown field `{}`", f.trim())))?;
                pick_ids.push((field, customer_id(wb, c.trim())?));
            }
            let mut drop_ids = Vec::new();
            for d in drops {
                drop_ids.push(customer_id(wb, d)?);
            }
            let o = wb.review_approve(cluster, &pick_ids, &drop_ids)?;
            print_outcome(out, &o)?;
        }
        ReviewAction::Reject { cluster } => print_outcome(out, &wb.review_reject(*cluster)?)?,
        ReviewAction::Unreject { cluster } => print_outcome(out, &wb.review_unreject(*cluster)?)?,
        ReviewAction::Skip { cluster } => print_outcome(out, &wb.review_skip(*cluster)?)?,
    }
    Ok(())
}

/// Reads a truth file: CSV `source,source_key,entity_id` with a header.
fn read_truth(truth: &Path) -> Result<HashMap<(String, String), String>> {
    let mut rdr = csv::Reader::from_path(truth)
        .map_err(|e| Error::input(truth.display().to_string(), None, None, e.to_string()))?;
    let mut map = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.map_err(|e| Error::input(truth.display().to_string(), Some(i as u64 + 2), None, e.to_string()))?;
        if rec.len() < 3 {
            return Err(Error::input(
                truth.display().to_string(),
                Some(i as u64 + 2),
                None,
                "expected source,source_key,entity_id",
            ));
        }
        map.insert((rec[0].to_string(), rec[1].to_string()), rec[2].to_string());
    }
    Ok(map)
}

/// Reads truth.csv (`source,source_key,entity_id`) and prints the quality
/// of the open clusters and of blocking.
pub fn run_eval(wb: &Workbench, truth: &Path, json: bool, out: &mut dyn Write) -> Result<()> {
    let map = read_truth(truth)?;
    let r = wb.evaluate_matching(&map)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "customers {}  true pairs {}  proposed pairs {}  candidate pairs {}",
            r.customers, r.true_pairs, r.proposed_pairs, r.candidate_pairs
        )?;
        writeln!(out, "pairwise  P {:.4}  R {:.4}  F1 {:.4}", r.pairwise.precision, r.pairwise.recall, r.pairwise.f1)?;
        writeln!(out, "B-cubed   P {:.4}  R {:.4}  F1 {:.4}", r.bcubed.precision, r.bcubed.recall, r.bcubed.f1)?;
        writeln!(out, "blocking recall {:.4}", r.blocking_recall)?;
    }
    Ok(())
}
