#!/usr/bin/env bash
# Matching benchmark, run on demand (not in CI).
#
# Quality: for each size in SIZES, generator data is imported as users do
# (the three exports, each with its own key), `crmwb match --pairs-csv`
# runs, and the hidden `crmwb eval-match` scores approving every cluster
# the queue proposes against truth.csv: pairwise and B-cubed precision,
# recall, F1, and blocking recall (true pairs among the candidate pairs).
#
# Speed: a full match of BIG customers (time and peak RSS), then for each k
# in INCS (default 1000) k new records imported from another export onto a
# copy of the matched database and an incremental match, with the issue's
# target (k / N) x full + 2 s beside it.
#
#   benches/match.sh [quality|speed|all]        (default all)
#   SIZES="1000 100000" BIG=1000000 SEED=42
#   BIG_DB=FILE   a database of BIG imported customers to copy instead of
#                 importing again (an import of 1M customers takes minutes);
#                 without it the database is built once and kept in
#                 ${BENCH_CACHE:-$HOME/.cache/crmwb-bench}.
#
# CRMWB_TRACE_RSS=1 makes crmwb match print its resident and peak memory
# after each phase (on stderr).
#
# Reports the load average of the machine before and after each timed run:
# the figures mean little on a busy machine.
set -euo pipefail
what=${1:-all}
sizes=${SIZES:-"1000 100000"}
big=${BIG:-1000000}
seed=${SEED:-42}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/crmwb
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

import_all() { # db data-dir
  "$bin" --db "$1" import "$2/sales.csv" --source sales --key 客户编号 --json >/dev/null
  "$bin" --db "$1" import "$2/service.csv" --source service --key 工单号 --interaction-kind ticket --json >/dev/null
  "$bin" --db "$1" import "$2/marketing.csv" --source marketing --interaction-kind event --json >/dev/null
}

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $(nproc) cores"

if [ "$what" = quality ] || [ "$what" = all ]; then
  for n in $sizes; do
    d=$dir/q$n
    "$bin" gen-sample --customers "$n" --seed "$seed" --out "$d" >/dev/null
    import_all "$d/crm.db" "$d"
    echo "== quality, $n customers (seed $seed), load before: $(load)"
    /usr/bin/time -f "match: %e s, peak RSS %M KB" "$bin" --db "$d/crm.db" match --pairs-csv "$d/pairs.csv" | grep -E "^(Match run|Candidate|Bands|Clusters|Time)"
    echo "pairs.csv: $(($(wc -l <"$d/pairs.csv") - 1)) candidate pairs"
    "$bin" --db "$d/crm.db" eval-match --truth "$d/truth.csv"
  done
fi

if [ "$what" = speed ] || [ "$what" = all ]; then
  cache=${BENCH_CACHE:-$HOME/.cache/crmwb-bench}
  db=$dir/big.db
  if [ -n "${BIG_DB:-}" ]; then
    cp "$BIG_DB" "$db"
  else
    mkdir -p "$cache"
    if [ ! -f "$cache/big-$big-$seed.db" ]; then
      echo "building the $big-customer database once (kept in $cache)…"
      "$bin" gen-sample --customers "$big" --seed "$seed" --out "$dir/bigdata" >/dev/null
      import_all "$cache/big-$big-$seed.db" "$dir/bigdata"
      rm -rf "$dir/bigdata"
    fi
    cp "$cache/big-$big-$seed.db" "$db"
  fi
  echo "== speed, full match of $(sqlite3 "$db" 'SELECT count(*) FROM customers' 2>/dev/null || echo "$big") customers, load before: $(load)"
  /usr/bin/time -v "$bin" --db "$db" match --full >"$dir/full.txt" 2>"$dir/time.txt"
  grep -E "^(Match run|Candidate|Bands|Clusters|Time)" "$dir/full.txt"
  grep -E "Elapsed|Maximum resident" "$dir/time.txt"
  echo "load after: $(load)"
  full_s=$(grep -E "Elapsed" "$dir/time.txt" | awk '{print $NF}' | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  n=$(sqlite3 "$db" 'SELECT count(*) FROM customers WHERE merged_into IS NULL' 2>/dev/null || echo "$big")
  # k new records from another export (new customers and duplicates of old
  # ones), each k onto a copy of the database as the full match left it.
  # The issue's target for incremental work: (k / N) × full + 2 s.
  cp "$db" "$dir/after-full.db"
  for k in ${INCS:-1000}; do
    cp "$dir/after-full.db" "$db"
    rm -f "$db-wal" "$db-shm"
    "$bin" gen-sample --customers $((k * 13 / 10 + 100)) --seed $((seed + 1)) --out "$dir/new" >/dev/null
    "$bin" --db "$db" import "$dir/new/sales.csv" --source "sales 2" --key 客户编号 --limit "$k" --json >/dev/null
    rm -rf "$dir/new"
    echo "== speed, incremental match after importing $k records, load before: $(load)"
    /usr/bin/time -v "$bin" --db "$db" match >"$dir/inc.txt" 2>"$dir/time.txt"
    grep -E "^(Match run|Candidate|Bands|Clusters|Time)" "$dir/inc.txt"
    grep -E "Elapsed|Maximum resident" "$dir/time.txt"
    awk -v k="$k" -v n="$n" -v f="$full_s" 'BEGIN { printf "target for k=%d: (k/N) x full + 2 s = (%d/%d) x %.1f + 2 = %.2f s\n", k, k, n, f, k / n * f + 2 }'
    echo "load after: $(load)"
  done
fi
