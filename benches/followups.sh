#!/usr/bin/env bash
# Reminder-list benchmark: `crmwb followups` on a database built the way
# users build one (gen-sample + crmwb import of the three sources), timed
# as a user runs it (a fresh process: open, evaluate every rule, print).
#
#   benches/followups.sh [CUSTOMERS] [SEED]       (default 1000000 42)
#
# Building a 1M database takes minutes (the import benchmark is
# benches/import.sh); set CRMWB_BENCH_DB=FILE to reuse one built earlier by
# any crmwb version: it is copied, never modified, and the copy is migrated
# on first open (that time is reported too). Each case runs 5 times; the
# median and the fastest are reported, with the machine's load average,
# because the machine may be shared. Run on demand, not in CI.
set -euo pipefail
n=${1:-1000000}
seed=${2:-42}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/crmwb
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/crm.db

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${CRMWB_BENCH_DB:-}" ]; then
  cp "$CRMWB_BENCH_DB" "$db"
  echo "database: copy of $CRMWB_BENCH_DB"
else
  "$bin" gen-sample --customers "$n" --seed "$seed" --out "$dir/data" >/dev/null
  "$bin" --db "$db" import "$dir/data/sales.csv" --source sales --key 客户编号 --json >/dev/null
  "$bin" --db "$db" import "$dir/data/service.csv" --source service --key 工单号 --interaction-kind ticket --json >/dev/null
  "$bin" --db "$db" import "$dir/data/marketing.csv" --source marketing --interaction-kind event --json >/dev/null
  rm -rf "$dir/data"
fi
/usr/bin/time -f "%e" -o "$dir/time" "$bin" --db "$db" init >/dev/null
echo "open + migrate to the current schema: $(cat "$dir/time") s"
python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = lambda s: c.execute(s).fetchone()[0]
print(f"customers {q('SELECT count(*) FROM customers WHERE merged_into IS NULL')}, "
      f"interactions {q('SELECT count(*) FROM interactions')}, "
      f"with next_followup {q('SELECT count(*) FROM customers WHERE next_followup IS NOT NULL')}, "
      f"with contract_expiry {q('SELECT count(*) FROM customers WHERE contract_expiry IS NOT NULL')}, "
      f"high priority {q('SELECT count(*) FROM customers WHERE priority = ' + chr(39) + '高' + chr(39))}")
PY

today=$(date +%F)
year_later=$(date -d '+1 year' +%F)
case_() { # label, args…
  local label=$1; shift
  local times=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$bin" --db "$db" followups "$@" >"$dir/out" || [ $? -eq 4 ]
    # time(1) puts "Command exited with non-zero status 4" first for --check.
    read -r secs user sys rss < <(tail -1 "$dir/time")
    times+=("$secs $(awk "BEGIN { print $user + $sys }")")
  done
  local sorted median fastest lines
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n 3p | cut -d' ' -f1)
  fastest=$(echo "$sorted" | head -1 | cut -d' ' -f1)
  cpu=$(printf '%s\n' "${times[@]}" | cut -d' ' -f2 | sort -n | sed -n 3p)
  lines=$(wc -l <"$dir/out")
  printf '  %-42s wall median %5.2f s, fastest %5.2f s; CPU median %5.2f s; peak RSS %4d MB; %7d lines\n' \
    "$label" "$median" "$fastest" "$cpu" $((rss / 1024)) "$lines"
}
echo "crmwb followups (5 runs each):"
case_ "today: overdue + due today" --now "$today"
case_ "today, --due-within 7 --json" --now "$today" --due-within 7 --json
case_ "today, --owner (one of 20 owners) --check" --now "$today" --owner 张磊 --check
case_ "a year on, --due-within 30 (worst case)" --now "$year_later" --due-within 30
case_ "a year on, --json --due-within 30" --now "$year_later" --due-within 30 --json
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
