#!/usr/bin/env bash
# Undo benchmark (issue 15, finding 3): `crmwb imports undo` of a large
# batch in a large database, against the import of the same batch, as
# users do it: generator data, the release build.
#
#   benches/undo.sh [CUSTOMERS] [SEED]        (default 200000 42)
#
# Builds a database from the sales and marketing exports, then for each of
# two batches (the service export: new customers; the sales export again
# with every third row's notes changed: customers and raw rows the undo
# restores) imports it into a copy and undoes it,
# with the time and peak RSS of each, the ratio undo / import, the
# number of chunks, and the longest a second writer waited for the write
# lock during the undo. `$BEFORE=path/to/crmwb` runs an older binary on an
# identical copy in the same run (its undo is stopped after `$BEFORE_LIMIT`
# seconds, default 1200). Run on demand, not in CI.
set -euo pipefail
n=${1:-200000}
seed=${2:-42}
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }
cargo build --release --quiet
bin=${AFTER:-${CARGO_TARGET_DIR:-$PWD/target}/release/crmwb}
before=${BEFORE:-}
limit=${BEFORE_LIMIT:-1200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" gen-sample --customers "$n" --seed "$seed" --out "$dir/data" >/dev/null
# The database the batches go into: the sales and marketing exports.
python3 - "$dir/data" <<'EOF'
import sys
d = sys.argv[1]
lines = open(f"{d}/sales.csv", encoding="utf-8").read().splitlines()
out = [l + "改过" if i > 0 and i % 3 == 0 and l.endswith(",") else l for i, l in enumerate(lines)]
open(f"{d}/sales_changed.csv", "w", encoding="utf-8").write("\n".join(out) + "\n")
EOF
base=$dir/base.db
"${before:-$bin}" --db "$base" import "$dir/data/sales.csv" --source sales --key 客户编号 --json >/dev/null
"${before:-$bin}" --db "$base" import "$dir/data/marketing.csv" --source marketing --interaction-kind event --json >/dev/null
printf 'database: %d customers, %.0f MB\n' "$(sqlite3 "$base" "SELECT count(*) FROM customers")" "$(awk "BEGIN { print $(stat -c %s "$base") / 1048576 }")"

# The longest one write (BEGIN IMMEDIATE; COMMIT) waited while process $1 runs.
probe() {
  python3 - "$1" "$2" <<'EOF'
import os, sqlite3, sys, time
pid, db = int(sys.argv[1]), sys.argv[2]
c = sqlite3.connect(db, timeout=3600, isolation_level=None)
worst, n = 0.0, 0
def alive():
    try:
        os.kill(pid, 0)
        return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except OSError:
        return False
while alive():
    t = time.monotonic()
    c.execute("BEGIN IMMEDIATE"); c.execute("COMMIT")
    worst = max(worst, time.monotonic() - t); n += 1
    time.sleep(0.05)
print(f"{worst:.2f} {n}")
EOF
}

run() { # label binary db file source [import args…]
  local label=$1 b=$2 db=$3 file=$4 source=$5; shift 5
  /usr/bin/time -f "%e %M" -o "$dir/time" "$b" --db "$db" import "$dir/data/$file" --source "$source" --json "$@" >"$dir/out.json"
  read -r isecs irss <"$dir/time"
  local rows customers
  rows=$(python3 -c "import json; print(json.load(open('$dir/out.json'))['counts']['read'])")
  customers=$(sqlite3 "$db" "SELECT count(*) FROM customers")
  local batch
  batch=$(python3 -c "import json; print(json.load(open('$dir/out.json'))['batch'])")
  local size
  size=$(stat -c %s "$db")
  local t0=$SECONDS
  timeout "$limit" /usr/bin/time -f "%e %M" -o "$dir/time" "$b" --db "$db" imports undo "$batch" >/dev/null &
  local job=$!
  sleep 0.2
  local wait
  wait=$(probe "$job" "$db")
  if wait "$job"; then
    read -r usecs urss <"$dir/time"
  else
    usecs=">$((SECONDS - t0))"; urss=0
  fi
  local chunks
  chunks=$(sqlite3 "$db" "SELECT coalesce(json_extract(details, '\$.chunks'), 1) FROM audit_log WHERE action = 'import.undo' ORDER BY id DESC LIMIT 1" 2>/dev/null || echo '?')
  printf '%-7s %-18s %7d rows into %7d customers (%4.0f MB): import %7.2f s (%3d MB), undo %8s s (%3d MB), undo/import %5s, chunks %3s, writer waited <= %s s (%s writes)\n' \
    "$label" "$file" "$rows" "$((customers))" "$(awk "BEGIN { print $size / 1048576 }")" "$isecs" $((irss / 1024)) "$usecs" $((urss / 1024)) \
    "$(case $usecs in '>'*) echo - ;; *) awk "BEGIN { printf \"%.2f\", $usecs / $isecs }" ;; esac)" "$chunks" ${wait% *} ${wait#* }
}

for case in "service.csv service --key 工单号 --interaction-kind ticket" "sales_changed.csv sales --key 客户编号"; do
  # shellcheck disable=SC2086
  set -- $case
  if [ -n "$before" ]; then
    cp "$base" "$dir/before.db"
    run before "$before" "$dir/before.db" "$@"
    rm -f "$dir/before.db"*
  fi
  cp "$base" "$dir/after.db"
  "$bin" --db "$dir/after.db" imports >/dev/null # migrated outside the timings
  run after "$bin" "$dir/after.db" "$@"
  echo "  check: $("$bin" --db "$dir/after.db" check 2>&1 | head -1)"
  rm -f "$dir/after.db"*
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
