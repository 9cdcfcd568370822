#!/usr/bin/env python3
"""Score one tool's output on one labelled data set. The same code scores
every tool (crmwb, Splink, recordlinkage), so their numbers are comparable.

    python evaluate.py --truth T.csv [--truth T2.csv] --clusters C.csv
        [--pairs P.csv [--pair-groups G.csv]] [--hard-negatives H.csv]
        [--field-truth F.csv --fields O.csv] [--json] [--label NAME]

Inputs (CSV, header first):
  --truth           source,source_key,entity_id — the generator's truth.csv
                    format; the universe of records scored
  --clusters        source,source_key,<cluster> — the tool's final grouping
                    (crmwb `links --csv`: customer_number). A truth record
                    missing here (a rejected row) is a singleton.
  --pairs           the candidate pairs the tool compared (blocking output):
                    either source_a,key_a,source_b,key_b (records), or any CSV
                    whose first two columns are group ids (crmwb `match
                    --pairs-csv`: customer_a,customer_b) together with
  --pair-groups     source,source_key,<group>: which group (crmwb: the
                    customer before any merge, `links --csv` after import)
                    each record belonged to when the pairs were made. Two
                    records of one group count as blocked.
  --hard-negatives  entity_a,entity_b,kind — pairs of distinct customers that
                    must not end in one cluster
  --field-truth     source,source_key,field,value — expected normalised values
  --fields          source,source_key,field,value — what the tool stored

Metrics:
  pairwise P/R/F1   over record pairs: a pair is predicted when both records
                    share a cluster, true when both share an entity.
  B-cubed P/R/F1    per record: |cluster ∩ entity| / |cluster| and / |entity|,
                    averaged over records; F1 of the two averages.
  blocking recall   share of true pairs that the candidate pairs cover; also
                    per source pair.
  hard negatives    how many listed pairs ended in one cluster (by kind).
  field accuracy    share of expected (row, field) values the tool stored
                    equal to the expectation, per field and overall. Text is
                    compared after NFKC, case folding and removal of
                    whitespace (names, addresses); dates on their first 10
                    characters; everything else after trimming.
"""
import argparse
import csv
import json
import sys
import unicodedata
from collections import Counter, defaultdict


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def load_truth(paths):
    ent = {}
    for p in paths:
        rows = read_csv(p)
        h = rows[0]
        i_s, i_k, i_e = h.index("source"), h.index("source_key"), h.index("entity_id")
        for r in rows[1:]:
            ent[(r[i_s], r[i_k])] = r[i_e]
    return ent


def load_assignment(path):
    """source,source_key,<id> -> {(source, key): id}"""
    rows = read_csv(path)
    h = rows[0]
    i_s, i_k = h.index("source"), h.index("source_key")
    i_c = [i for i in range(len(h)) if i not in (i_s, i_k)][0]
    return {(r[i_s], r[i_k]): r[i_c] for r in rows[1:] if r}


def c2(n):
    return n * (n - 1) // 2


def complete_clusters(truth, clusters):
    """Every truth record gets a cluster; one missing from the tool's output is a singleton."""
    out = {}
    for rec in truth:
        c = clusters.get(rec)
        out[rec] = ("cl", c) if c is not None and c != "" else ("missing", rec)
    return out


def pairwise(truth, clusters):
    cl = complete_clusters(truth, clusters)
    joint = Counter((cl[r], truth[r]) for r in truth)
    tp = sum(c2(n) for n in joint.values())
    pred = sum(c2(n) for n in Counter(cl.values()).values())
    true = sum(c2(n) for n in Counter(truth.values()).values())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "predicted_pairs": pred, "true_pairs": true, "precision": p, "recall": r, "f1": f}


def bcubed(truth, clusters):
    cl = complete_clusters(truth, clusters)
    joint = Counter((cl[r], truth[r]) for r in truth)
    csize = Counter(cl.values())
    esize = Counter(truth.values())
    n = len(truth)
    if n == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    p = sum(joint[(cl[r], truth[r])] / csize[cl[r]] for r in truth) / n
    rc = sum(joint[(cl[r], truth[r])] / esize[truth[r]] for r in truth) / n
    return {"precision": p, "recall": rc, "f1": 2 * p * rc / (p + rc) if p + rc else 0.0}


def load_pairs(path):
    """Either record pairs (source_a,key_a,source_b,key_b) or group pairs (first two columns)."""
    rows = read_csv(path)
    h = rows[0]
    if {"source_a", "key_a", "source_b", "key_b"} <= set(h):
        ia, ka, ib, kb = h.index("source_a"), h.index("key_a"), h.index("source_b"), h.index("key_b")
        return "records", [((r[ia], r[ka]), (r[ib], r[kb])) for r in rows[1:] if r]
    return "groups", [(r[0], r[1]) for r in rows[1:] if r]


def blocking_recall(truth, kind, pairs, groups=None):
    """Share of true pairs covered by the candidate pairs; per source pair too."""
    if kind == "groups":
        if groups is None:
            raise ValueError("group pairs need --pair-groups")
        gid = {rec: ("g", groups[rec]) if rec in groups else ("r", rec) for rec in truth}
        cand = {frozenset((("g", a), ("g", b))) for a, b in pairs}
    else:
        gid = {rec: ("r", rec) for rec in truth}
        cand = {frozenset((("r", a), ("r", b))) for a, b in pairs}
    by_entity = defaultdict(list)
    for rec, e in truth.items():
        by_entity[e].append(rec)
    hit = total = 0
    per = defaultdict(lambda: [0, 0])
    for recs in by_entity.values():
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                a, b = recs[i], recs[j]
                ok = gid[a] == gid[b] or frozenset((gid[a], gid[b])) in cand
                sp = " / ".join(sorted((a[0], b[0])))
                per[sp][0] += ok
                per[sp][1] += 1
                hit += ok
                total += 1
    return {"recall": hit / total if total else 1.0, "covered": hit, "true_pairs": total,
            "candidate_pairs": len(cand),
            "per_source_pair": {k: {"recall": v[0] / v[1], "covered": v[0], "true_pairs": v[1]}
                                for k, v in sorted(per.items())}}


def hard_negatives(truth, clusters, path):
    rows = read_csv(path)
    h = rows[0]
    ia, ib, ik = h.index("entity_a"), h.index("entity_b"), h.index("kind")
    cl = complete_clusters(truth, clusters)
    ent_clusters = defaultdict(set)
    for rec, e in truth.items():
        ent_clusters[e].add(cl[rec])
    merged = Counter()
    total = Counter()
    for r in rows[1:]:
        if not r:
            continue
        total[r[ik]] += 1
        if ent_clusters[r[ia]] & ent_clusters[r[ib]]:
            merged[r[ik]] += 1
    return {"merged": sum(merged.values()), "pairs": sum(total.values()),
            "by_kind": {k: {"merged": merged[k], "pairs": total[k]} for k in sorted(total)}}


TEXT_FIELDS = {"name", "contact_name", "address", "owner", "needs", "notes", "decision_maker"}
DATE_FIELDS = {"first_contact", "last_followup", "next_followup", "contract_expiry", "contract_signed",
               "interaction_at"}


def norm_value(field, v):
    v = (v or "").strip()
    if field in TEXT_FIELDS:
        return "".join(unicodedata.normalize("NFKC", v).casefold().split())
    if field in DATE_FIELDS:
        return v[:10]
    if field == "email":
        return v.lower()
    return v


def field_accuracy(field_truth_path, fields_path):
    observed = defaultdict(list)
    rows = read_csv(fields_path)
    h = rows[0]
    i_s, i_k, i_f, i_v = h.index("source"), h.index("source_key"), h.index("field"), h.index("value")
    for r in rows[1:]:
        if r:
            observed[(r[i_s], r[i_k], r[i_f])].append(r[i_v])
    rows = read_csv(field_truth_path)
    h = rows[0]
    i_s, i_k, i_f, i_v = h.index("source"), h.index("source_key"), h.index("field"), h.index("value")
    per = defaultdict(lambda: [0, 0])
    for r in rows[1:]:
        if not r:
            continue
        field = r[i_f]
        want = norm_value(field, r[i_v])
        got = observed.get((r[i_s], r[i_k], field), [])
        ok = any(norm_value(field, g) == want for g in got)
        per[field][0] += ok
        per[field][1] += 1
    right = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return {"overall": right / total if total else 1.0, "right": right, "expected": total,
            "per_field": {k: {"accuracy": v[0] / v[1], "right": v[0], "expected": v[1]} for k, v in sorted(per.items())}}


def evaluate(truth_paths, clusters_path, pairs_path=None, pair_groups_path=None, hard_path=None,
             field_truth_path=None, fields_path=None):
    truth = load_truth(truth_paths)
    clusters = load_assignment(clusters_path)
    out = {"records": len(truth), "entities": len(set(truth.values())),
           "records_missing_from_output": sum(1 for r in truth if not clusters.get(r)),
           "pairwise": pairwise(truth, clusters), "bcubed": bcubed(truth, clusters)}
    if pairs_path:
        kind, pairs = load_pairs(pairs_path)
        groups = load_assignment(pair_groups_path) if pair_groups_path else None
        out["blocking"] = blocking_recall(truth, kind, pairs, groups)
    if hard_path:
        out["hard_negatives"] = hard_negatives(truth, clusters, hard_path)
    if field_truth_path and fields_path:
        out["fields"] = field_accuracy(field_truth_path, fields_path)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="score a tool's clusters against labelled truth")
    ap.add_argument("--truth", action="append", required=True)
    ap.add_argument("--clusters", required=True)
    ap.add_argument("--pairs")
    ap.add_argument("--pair-groups")
    ap.add_argument("--hard-negatives")
    ap.add_argument("--field-truth")
    ap.add_argument("--fields")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON object")
    a = ap.parse_args(argv)
    res = evaluate(a.truth, a.clusters, a.pairs, a.pair_groups, a.hard_negatives, a.field_truth, a.fields)
    if a.json:
        print(json.dumps(res, ensure_ascii=False))
        return
    pw, bc = res["pairwise"], res["bcubed"]
    print(f"records {res['records']}, entities {res['entities']}, missing from output {res['records_missing_from_output']}")
    print(f"pairwise P {pw['precision']:.4f} R {pw['recall']:.4f} F1 {pw['f1']:.4f} "
          f"(tp {pw['tp']}, predicted {pw['predicted_pairs']}, true {pw['true_pairs']})")
    print(f"B-cubed  P {bc['precision']:.4f} R {bc['recall']:.4f} F1 {bc['f1']:.4f}")
    if "blocking" in res:
        b = res["blocking"]
        print(f"blocking recall {b['recall']:.4f} ({b['covered']}/{b['true_pairs']}, {b['candidate_pairs']} candidate pairs)")
        for k, v in b["per_source_pair"].items():
            print(f"  {k}: {v['recall']:.4f} ({v['covered']}/{v['true_pairs']})")
    if "hard_negatives" in res:
        hn = res["hard_negatives"]
        print(f"hard negatives merged {hn['merged']}/{hn['pairs']}: "
              + ", ".join(f"{k} {v['merged']}/{v['pairs']}" for k, v in hn["by_kind"].items()))
    if "fields" in res:
        fa = res["fields"]
        print(f"field accuracy {fa['overall']:.4f} ({fa['right']}/{fa['expected']})")
        for k, v in fa["per_field"].items():
            print(f"  {k}: {v['accuracy']:.4f} ({v['right']}/{v['expected']})")


if __name__ == "__main__":
    sys.exit(main())
