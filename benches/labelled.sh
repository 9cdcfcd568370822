#!/usr/bin/env bash
# Matching quality on the labelled people set (examples/labelled_people.rs):
# a schema the sample generator never writes (persons, split name fields,
# date of birth, ID number as custom fields). Imports both systems as the
# example prints, runs `crmwb match --pairs-csv`, scores the queue with
# `crmwb eval-match`, then precision/recall/F1 of the candidate pairs at
# several probability thresholds (needs python3 and sqlite3 for that part).
#
#   benches/labelled.sh            PEOPLE=20000 SEED=1
set -euo pipefail
people=${PEOPLE:-20000}
seed=${SEED:-1}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin crmwb --example labelled_people
target=${CARGO_TARGET_DIR:-$PWD/target}/release
bin=$target/crmwb
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$target/examples/labelled_people" --people "$people" --seed "$seed" --out "$dir" >"$dir/commands.txt"
db=$dir/p.db
# The import commands exactly as the example printed them.
grep '^  crmwb import' "$dir/commands.txt" | while read -r line; do
  eval "\"$bin\" --db \"$db\" ${line#crmwb }" >/dev/null
done
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $people people (seed $seed)"
"$bin" --db "$db" match --pairs-csv "$dir/pairs.csv" | grep -E "^(Match run|Candidate|Bands|Clusters|Time)"
"$bin" --db "$db" eval-match --truth "$dir/truth.csv"
python3 - "$db" "$dir/pairs.csv" "$dir/truth.csv" <<'PY'
import csv, sqlite3, sys
from collections import Counter
db, pairs, truth = sys.argv[1:4]
ent = {(r["source"], r["source_key"]): r["entity_id"] for r in csv.DictReader(open(truth))}
num = {}
for number, src, key in sqlite3.connect(db).execute(
        "SELECT c.number, s.source, s.source_key FROM source_records s JOIN customers c ON c.id = s.customer_id"):
    if (src, key) in ent:
        num[number] = ent[(src, key)]
true_pairs = sum(n * (n - 1) // 2 for n in Counter(num.values()).values())
rows = [(float(r["score"]), num.get(r["customer_a"]) is not None and num.get(r["customer_a"]) == num.get(r["customer_b"]))
        for r in csv.DictReader(open(pairs))]
print("candidate pairs at a threshold (pairwise, before clustering):")
for t in (0.1, 0.5, 0.9, 0.99, 0.999):
    sel = [x for p, x in rows if p >= t]
    tp = sum(sel)
    p = tp / len(sel) if sel else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    print(f"  p >= {t:<6} {len(sel):8d} pairs  P {p:.4f}  R {r:.4f}  F1 {2 * p * r / (p + r) if p + r else 0:.4f}")
PY
