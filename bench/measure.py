"""Run one command and measure it: wall time and peak resident memory.

    python bench/measure.py --json OUT.json [--timeout SECONDS] -- COMMAND ARGS...

Peak RSS is the largest sum of resident set sizes over the process and all
its descendants, sampled every 0.2 s with psutil (so a peak shorter than
that can be missed; for one long process it agrees with /usr/bin/time -v).
On timeout the whole process group is killed and the status says so.
Writes {"status", "wall_s", "peak_rss_mb", "returncode", "command"} as JSON;
the command's own output goes to this script's stdout/stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

import psutil


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command and args.command[0] == "--" else args.command
    start = time.monotonic()
    child = subprocess.Popen(cmd, start_new_session=True)
    ps = psutil.Process(child.pid)
    peak = 0
    status = "ok"
    while True:
        peak = max(peak, tree_rss(ps))
        try:
            rc = child.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            pass
        if args.timeout is not None and time.monotonic() - start > args.timeout:
            status = "timeout"
            os.killpg(child.pid, signal.SIGKILL)
            rc = child.wait()
            break
    wall = time.monotonic() - start
    if status == "ok" and rc != 0:
        status = f"failed (exit {rc})"
    result = {
        "status": status,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak / 1e6, 1),
        "returncode": rc,
        "command": " ".join(cmd),
    }
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"[measure] {status}: {wall:.1f} s, peak RSS {peak / 1e6:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
