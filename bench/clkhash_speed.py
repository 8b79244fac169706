"""clkhash's own encoding benchmark (`clkhash.benchmark.compute_hash_speed`), on 1 and 2 workers.

    bench/.venv/bin/python bench/clkhash_speed.py [N]

Encodes N random (name, date of birth, sex) records of clkhash's `NameList`
with its bundled schema (1024 bits, bigrams, BLAKE2 hashing) and prints
records per second; the last line is JSON. Run by bench/pprl.sh.
"""

import json
import sys

from clkhash.benchmark import compute_hash_speed

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
results = []
for workers in (1, 2):
    rate = compute_hash_speed(n, quiet=True, max_workers=workers)
    print(f"clkhash: {n} records, {workers} worker(s): {rate:,.0f} records/s")
    results.append({"workers": workers, "records": n, "per_s": round(rate)})
print(json.dumps({"clkhash": results}))
