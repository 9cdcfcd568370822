#!/usr/bin/env bash
# The workbench at scale: builds a database of CUSTOMERS customers the way
# users do (gen-sample + crmwb import, every production index, trigger and
# audit write), then runs benches/tui.rs on it.
#
#   benches/tui.sh [CUSTOMERS] [SEED]        (default 1000000 42)
#   CRMWB_BENCH_DB=existing.db benches/tui.sh  (reuse a database)
set -euo pipefail
n=${1:-1000000}
seed=${2:-42}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/crmwb
if [ -z "${CRMWB_BENCH_DB:-}" ]; then
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  "$bin" gen-sample --customers "$n" --seed "$seed" --out "$dir/data" >/dev/null
  export CRMWB_BENCH_DB=$dir/crm.db
  "$bin" --db "$CRMWB_BENCH_DB" import "$dir/data/sales.csv" --source sales --key 客户编号 >/dev/null
  "$bin" --db "$CRMWB_BENCH_DB" import "$dir/data/service.csv" --source service --key 工单号 --interaction-kind ticket >/dev/null
  "$bin" --db "$CRMWB_BENCH_DB" import "$dir/data/marketing.csv" --source marketing --interaction-kind event >/dev/null
fi
cargo bench --quiet --bench tui
