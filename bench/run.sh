#!/usr/bin/env bash
# The matching benchmark: kinlink and Splink side by side, in one run.
#
#   bench/run.sh            # FEBRL4, FEBRL3, demo data at 20k and 1M cases, top-10 latency at 1M
#   bench/run.sh --quick    # FEBRL4, FEBRL3 and demo data at 20k only
#
# Builds kinlink in release, makes a Python venv in bench/.venv from
# bench/requirements.txt (pinned: Splink 5, DuckDB, recordlinkage), writes
# data and pair files under bench/out/ (gitignored) and prints the tables
# for bench/RESULTS.md (also in bench/out/tables.md). Environment:
#   SPLINK_TIMEOUT       time limit for each Splink demo link, seconds (default 5400)
#   KINLINK_TIMEOUT      time limit for each kinlink demo link, seconds (default 5400)
#   TOPK_QUERIES         requests timed by the top-10 latency example (default 2000)
#   SPLINK_MEMORY_LIMIT  DuckDB memory limit (default 10GB; it spills to disk beyond)
#   BENCH_OUT            output directory (default bench/out)
# Not part of CI. Timings on a shared machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
OUT=${BENCH_OUT:-bench/out}
DATA=$OUT/data
RES=$OUT/results
SPLINK_TIMEOUT=${SPLINK_TIMEOUT:-5400}
KINLINK_TIMEOUT=${KINLINK_TIMEOUT:-5400}
TOPK_QUERIES=${TOPK_QUERIES:-2000}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$DATA" "$RES"

# Python environment.
[[ -x bench/.venv/bin/python ]] || python3 -m venv bench/.venv
bench/.venv/bin/pip install -q -r bench/requirements.txt
PY=bench/.venv/bin/python

# kinlink, release.
cargo build --release --locked -p kinlink
if [[ $QUICK == 0 ]]; then
  cargo build --release --locked -p kinlink-match --example topk_latency
fi
KL=$TARGET/release/kinlink

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (crates modified)')"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mode: $([[ $QUICK == 1 ]] && echo quick || echo full)"
} > "$RES/machine.txt"

# measure NAME [TIMEOUT] -- COMMAND...: wall time and peak RSS into $RES/NAME.time.json.
measure() {
  local name=$1
  shift
  local timeout=()
  if [[ $1 != "--" ]]; then
    timeout=(--timeout "$1")
    shift
  fi
  shift
  echo "== $name" >&2
  "$PY" bench/measure.py --json "$RES/$name.time.json" "${timeout[@]}" -- "$@"
}

ok() { grep -q '"status": "ok"' "$RES/$1.time.json"; }

link_eval() { # NAME PAIRS DIR [META]
  local meta=()
  [[ -n "${4:-}" ]] && meta=(--meta "$4")
  ok "$1" && "$PY" bench/evaluate.py link --pairs "$2" --truth "$3/truth.csv" \
    --requests "$3/requests.csv" "${meta[@]}" --out "$RES/$1.json" || true
}

# 1. FEBRL.
"$PY" bench/febrl.py "$DATA"
F4=$DATA/febrl4
F3=$DATA/febrl3
measure febrl4-kinlink -- "$KL" match link --cases "$F4/cases.csv" --requests "$F4/requests.csv" \
  --out "$F4/pairs-kinlink.csv"
link_eval febrl4-kinlink "$F4/pairs-kinlink.csv" "$F4"
for v in same full; do
  measure "febrl4-splink-$v" -- "$PY" bench/splink_run.py "febrl4-$v" "$F4" "$F4/pairs-splink-$v.csv"
  link_eval "febrl4-splink-$v" "$F4/pairs-splink-$v.csv" "$F4"
done
measure febrl3-kinlink -- "$KL" match dedupe --records "$F3/records.csv" --out "$F3/pairs-kinlink.csv"
ok febrl3-kinlink && "$PY" bench/evaluate.py dedupe --pairs "$F3/pairs-kinlink.csv" \
  --truth "$F3/truth.csv" --out "$RES/febrl3-kinlink.json"
for v in same full; do
  measure "febrl3-splink-$v" -- "$PY" bench/splink_run.py "febrl3-$v" "$F3" "$F3/pairs-splink-$v.csv"
  ok "febrl3-splink-$v" && "$PY" bench/evaluate.py dedupe --pairs "$F3/pairs-splink-$v.csv" \
    --truth "$F3/truth.csv" --out "$RES/febrl3-splink-$v.json"
done

# 2 and 3. Multilingual demo data (deterministic: the default seed).
demo() { # NAME CHILDREN
  local name=$1 dir=$DATA/$1
  [[ -f $dir/meta.csv ]] || "$KL" demo-data --children "$2" --out "$dir"
  measure "$name-kinlink" "$KINLINK_TIMEOUT" -- "$KL" match link --cases "$dir/cases.csv" --requests "$dir/requests.csv" \
    --out "$dir/pairs-kinlink.csv"
  link_eval "$name-kinlink" "$dir/pairs-kinlink.csv" "$dir" "$dir/meta.csv"
  measure "$name-splink" "$SPLINK_TIMEOUT" -- "$PY" bench/splink_run.py demo "$dir" "$dir/pairs-splink.csv"
  link_eval "$name-splink" "$dir/pairs-splink.csv" "$dir" "$dir/meta.csv"
}
demo demo20k 20000
if [[ $QUICK == 0 ]]; then
  # Holds about 10 GB at 1M cases (the index and the generated requests).
  "$TARGET/release/examples/topk_latency" 1000000 "$TOPK_QUERIES" 10 | tee "$RES/topk-1m.txt"
  tail -n 1 "$RES/topk-1m.txt" > "$RES/topk-1m.json"
  demo demo1m 1000000
fi

"$PY" bench/evaluate.py report "$RES" > "$OUT/tables.md"
cat "$RES/machine.txt" "$OUT/tables.md"
