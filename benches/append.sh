#!/usr/bin/env bash
# Append benchmark (issue 15, "cost follows the change"): importing k rows
# into a database of many customers should cost about what the same file
# costs into an empty database.
#
#   benches/append.sh [CUSTOMERS] [SEED] [RUNS]      (default 200000 42 3)
#   BASE=/path/to/crmwb benches/append.sh …          (compare with a base binary)
#
# Builds the big database once per binary (generator data, the three imports
# of benches/import.sh), then for k ≈ 1,000, ≈ 30,000 and ≈ 100,000 rows
# (generator sales export, seed 99, as a new source `newsales`) times the
# append into a fresh copy of the big database and into an empty one. With BASE, the base
# binary and this tree's alternate run by run, in the same conditions, and
# the summary gives each one's median and the ratio to the base.
# Reports seconds, big/empty, peak RSS, database size and the commit.
# Run on demand, not in CI.
set -euo pipefail
n=${1:-200000}
seed=${2:-42}
runs=${3:-3}
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }
cargo build --release --quiet
new=${CARGO_TARGET_DIR:-$PWD/target}/release/crmwb
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$new" "$dir/new"
bins=(new)
if [ -n "${BASE:-}" ]; then
  cp "$BASE" "$dir/base"
  bins=(base new)
fi

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/new" gen-sample --customers "$n" --seed "$seed" --out "$dir/data" >/dev/null
# k ≈ 1,000, 30,000 and 100,000 sales rows (about 0.78 rows per generated customer).
"$dir/new" gen-sample --customers 1300 --seed 99 --out "$dir/k1" >/dev/null
"$dir/new" gen-sample --customers 38500 --seed 99 --out "$dir/k30" >/dev/null
"$dir/new" gen-sample --customers 130000 --seed 99 --out "$dir/k100" >/dev/null

for b in "${bins[@]}"; do
  db=$dir/big-$b.db
  "$dir/$b" --db "$db" import "$dir/data/sales.csv" --source sales --key 客户编号 --json >/dev/null
  "$dir/$b" --db "$db" import "$dir/data/service.csv" --source service --key 工单号 --interaction-kind ticket --json >/dev/null
  "$dir/$b" --db "$db" import "$dir/data/marketing.csv" --source marketing --interaction-kind event --json >/dev/null
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  printf 'big database (%s): %d customers, %d indexes, %.0f MB\n' "$b" \
    "$(sqlite3 "$db" "SELECT count(*) FROM customers")" \
    "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")" \
    "$(awk "BEGIN { print $(stat -c %s "$db") / 1048576 }")"
done

results=$dir/results
: >"$results"
one() { # bin k target(big|empty) run
  local b=$1 k=$2 target=$3 run=$4 db=$dir/run.db
  rm -f "$db" "$db-wal" "$db-shm"
  [ "$target" = big ] && cp "$dir/big-$b.db" "$db"
  sync
  /usr/bin/time -f "%e %M" -o "$dir/time" "$dir/$b" --db "$db" import "$dir/$k/sales.csv" --source newsales --key 客户编号 --json >"$dir/out.json" 2>"$dir/err"
  read -r secs rss <"$dir/time"
  local rows size
  rows=$(python3 -c "import json; print(json.load(open('$dir/out.json'))['counts']['read'])")
  size=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
  local how=row
  grep -q 'rebuilding indexes' "$dir/err" && how=bulk
  echo "$b $k $target $run $rows $secs $((rss / 1024)) $((size / 1048576)) $how" >>"$results"
  printf '  %-4s %-4s %-5s run %d: %6d rows %6.2f s  peak RSS %4d MB  db+wal %5d MB  %s\n' \
    "$b" "$k" "$target" "$run" "$rows" "$secs" $((rss / 1024)) $((size / 1048576)) "$how"
}
for run in $(seq 1 "$runs"); do
  for k in k1 k30 k100; do
    for b in "${bins[@]}"; do
      one "$b" "$k" big "$run"
      one "$b" "$k" empty "$run"
    done
  done
done

echo "medians over $runs runs:"
python3 - "$results" "${bins[@]}" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
bins = sys.argv[2:]
med = {}
for b in bins:
    for k in ("k1", "k30", "k100"):
        for t in ("big", "empty"):
            sel = [r for r in rows if r[:3] == [b, k, t]]
            med[b, k, t] = (statistics.median(float(r[5]) for r in sel), max(int(r[6]) for r in sel),
                            int(sel[0][4]), max(int(r[7]) for r in sel))
for k in ("k1", "k30", "k100"):
    for b in bins:
        big, empty = med[b, k, "big"], med[b, k, "empty"]
        print(f"  {b:4} {big[2]:6d} rows: big {big[0]:6.2f} s, empty {empty[0]:6.2f} s, big/empty {big[0] / empty[0]:5.2f}x, "
              f"peak RSS {max(big[1], empty[1])} MB, big db+wal {big[3]} MB")
    if "base" in bins:
        for t in ("big", "empty"):
            print(f"       new/base into {t}: {med['new', k, t][0] / med['base', k, t][0]:.2f}x")
EOF
peak=$(awk '{ if ($7 > m) m = $7 } END { print m }' "$results")
if [ "$peak" -gt 300 ]; then
  echo "FAIL: an append peaked over the 300 MB bound ($peak MB)" >&2
  exit 1
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
