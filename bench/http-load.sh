#!/usr/bin/env bash
# HTTP load benchmark: import a synthetic dataset into SQLite and PostgreSQL
# (timed), then load `kinlink serve` from a second process on loopback (wrk)
# with reads by id and by number, list pages and registrations, on SQLite
# with one server and on PostgreSQL with one and with two server processes.
#
#   bench/http-load.sh [CHILDREN]        # default 1000000; prints a Markdown table
#
# Environment: KINLINK_BENCH_POSTGRES (server URL without a database, default
# postgres://postgres@127.0.0.1:5432; the script creates and drops the
# database kinlink_http_load), WORK (default /tmp/kinlink-http-load; the demo
# files are reused between runs), DURATION (seconds per measurement, default
# 20), CONNECTIONS (default 32). Needs wrk (installed with apt-get if absent),
# psql and python3 (to pick random ids). Every person in the data is synthetic.
set -euo pipefail
cd "$(dirname "$0")/.."

CHILDREN=${1:-1000000}
WORK=${WORK:-/tmp/kinlink-http-load}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
PG_SERVER=${KINLINK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
PG_URL="$PG_SERVER/kinlink_http_load"
LUA="$PWD/bench/http-load"

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
cargo build --release -p kinlink >&2
KINLINK="${CARGO_TARGET_DIR:-$PWD/target}/release/kinlink"
# Nothing from the caller's configuration.
unset KINLINK_DATA_DIR KINLINK_LISTEN KINLINK_DATABASE_URL KINLINK_CONFIG RUST_LOG
mkdir -p "$WORK"
log() { printf '%s\n' "$*" >&2; }

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# --- data -------------------------------------------------------------------
DEMO="$WORK/demo-$CHILDREN"
if [ ! -f "$DEMO/requests.csv" ]; then
  log "generating $CHILDREN synthetic children"
  "$KINLINK" demo-data --children "$CHILDREN" --out "$DEMO" >&2
fi
ROWS_CASES=$(($(wc -l <"$DEMO/cases.csv") - 1))
ROWS_REQUESTS=$(($(wc -l <"$DEMO/requests.csv") - 1))

timed() { # prints the seconds the command took
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk "BEGIN { print $end - $start }"
}

log "importing into SQLite"
rm -rf "$WORK/sqlite"
SQLITE_URL="sqlite://$WORK/sqlite/kinlink.sqlite"
T_SQLITE_CASES=$(timed "$KINLINK" --database-url "$SQLITE_URL" import cases "$DEMO/cases.csv")
T_SQLITE_REQUESTS=$(timed "$KINLINK" --database-url "$SQLITE_URL" import requests "$DEMO/requests.csv")

log "importing into PostgreSQL"
psql -X -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS kinlink_http_load WITH (FORCE)" \
  -c "CREATE DATABASE kinlink_http_load"
T_PG_CASES=$(timed "$KINLINK" --database-url "$PG_URL" import cases "$DEMO/cases.csv")
T_PG_REQUESTS=$(timed "$KINLINK" --database-url "$PG_URL" import requests "$DEMO/requests.csv")

# --- the paths the load test reads --------------------------------------------
# 20,000 random cases of each database (ids differ between the two imports).
sample_paths() { # $1: file with "id number" lines; writes by-id, by-number and list-page paths
  awk '{print "/api/v1/cases/" $1}' "$1" >"$1.by-id"
  awk '{print "/api/v1/cases/" $2}' "$1" >"$1.by-number"
  awk '{print "/api/v1/cases?limit=50&after=" $1}' "$1" >"$1.list"
}
python3 - "$WORK/sqlite/kinlink.sqlite" >"$WORK/sqlite.sample" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for id_, number in db.execute(
        "SELECT id, number FROM records WHERE kind = 'child_case' ORDER BY random() LIMIT 20000"):
    print(id_, number)
EOF
psql -X -q -A -t -F ' ' -d "$PG_URL" \
  -c "SELECT id, number FROM records WHERE kind = 'child_case' ORDER BY random() LIMIT 20000" >"$WORK/pg.sample"
sample_paths "$WORK/sqlite.sample"
sample_paths "$WORK/pg.sample"

# --- load ---------------------------------------------------------------------
start_server() { # $1: database URL; prints the address
  local out="$WORK/serve.$RANDOM.out"
  RUST_LOG=warn "$KINLINK" --database-url "$1" serve --listen 127.0.0.1:0 >"$out" 2>"$out.err" &
  PIDS+=($!)
  for _ in $(seq 600); do
    if grep -q '^kinlink listening on http://' "$out" 2>/dev/null; then
      sed -n 's|^kinlink listening on http://||p' "$out"
      return
    fi
    sleep 0.1
  done
  log "the server did not start: $(cat "$out.err")"
  exit 1
}

stop_servers() { cleanup; wait 2>/dev/null || true; PIDS=(); }

# One measurement: wrk on every server address at once, CONNECTIONS shared
# out; requests/s summed, p50 and p99 the slowest server's.
measure() { # $1: lua script, $2: paths file (or -), $3...: addresses
  local script=$1 paths=$2
  shift 2
  local per=$((CONNECTIONS / $#)) outs=() wrks=()
  for address in "$@"; do
    local out="$WORK/wrk.$RANDOM.out"
    outs+=("$out")
    PATHS=$paths wrk -t 1 -c "$per" -d "${DURATION}s" --timeout 10s -s "$LUA/$script" "http://$address" >"$out" 2>&1 &
    wrks+=($!)
  done
  wait "${wrks[@]}" || true
  cat "${outs[@]}" | awk '
    /^RESULT/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      rps += v["requests"] / v["seconds"]; errors += v["errors"]
      if (v["p50_us"] > p50) p50 = v["p50_us"]
      if (v["p99_us"] > p99) p99 = v["p99_us"]
      n++
    }
    END {
      if (n == 0) { print "| (wrk failed) | | | |"; exit }
      printf "| %.0f | %.1f | %.1f | %d |\n", rps, p50 / 1000, p99 / 1000, errors
    }'
}

run_backend() { # $1: label, $2: database URL, $3: sample file, $4: server processes
  local label=$1 url=$2 sample=$3 servers=$4 addresses=()
  for _ in $(seq "$servers"); do addresses+=("$(start_server "$url")"); done
  # Warm the caches a little before measuring.
  DURATION=5 measure get.lua "$sample.by-id" "${addresses[@]}" >/dev/null
  for what in by-id by-number list post; do
    local row
    case $what in
      by-id) row=$(measure get.lua "$sample.by-id" "${addresses[@]}") ;;
      by-number) row=$(measure get.lua "$sample.by-number" "${addresses[@]}") ;;
      list) row=$(measure get.lua "$sample.list" "${addresses[@]}") ;;
      post) row=$(measure post.lua - "${addresses[@]}") ;;
    esac
    echo "| $label | $servers | $what $row"
  done
  stop_servers
}

echo
echo "Import ($CHILDREN children: $ROWS_CASES cases, $ROWS_REQUESTS tracing requests)"
echo
echo "| backend | cases | tracing requests |"
echo "|---|---|---|"
printf '| SQLite | %.1f s | %.1f s |\n' "$T_SQLITE_CASES" "$T_SQLITE_REQUESTS"
printf '| PostgreSQL | %.1f s | %.1f s |\n' "$T_PG_CASES" "$T_PG_REQUESTS"
echo
echo "HTTP load (wrk, $CONNECTIONS connections, ${DURATION} s each)"
echo
echo "| backend | servers | requests | req/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
run_backend SQLite "$SQLITE_URL" "$WORK/sqlite.sample" 1
run_backend PostgreSQL "$PG_URL" "$WORK/pg.sample" 1
run_backend PostgreSQL "$PG_URL" "$WORK/pg.sample" 2
psql -X -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS kinlink_http_load WITH (FORCE)" >&2
