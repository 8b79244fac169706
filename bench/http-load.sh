#!/usr/bin/env bash
# HTTP load benchmark: import a synthetic dataset into SQLite and PostgreSQL
# (timed), then load `kinlink serve` from a second process on loopback (wrk)
# with reads by id and by number, list pages and registrations, on SQLite
# with one server and on PostgreSQL with one and with two server processes.
#
#   bench/http-load.sh [CHILDREN]        # default 1000000; prints Markdown tables
#
# Each database is a deployment: `kinlink init` (keys in $WORK/data, shared
# by every server), a supervisor `bench` and an API token of theirs scoped
# for reading, listing and registering cases; wrk sends the token and the
# `Kinlink-Purpose: case_management` header (bench/http-load/auth.lua).
# Before serving, the imported records are given to that user's agency and
# team (the CLI imports them without an owner, which only deployment-wide
# grants reach), and the matcher's position is moved to the end of the change
# feed: the servers then load their matching indexes (the script waits until
# they have) but do not spend the run matching the 800,000 imported requests,
# which would measure the initial matching rather than serving.
#
# Environment: KINLINK_BENCH_POSTGRES (server URL without a database, default
# postgres://postgres@127.0.0.1:5432; the script creates and drops the
# database kinlink_http_load), WORK (default /tmp/kinlink-http-load; the demo
# files and the SQLite database are kept), DURATION (seconds per measurement,
# default 20), CONNECTIONS (default 32), KINLINK_BIN (a kinlink binary to use
# instead of building the release one). Needs wrk (installed with apt-get if
# absent), psql and python3. Every person in the data is synthetic.
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
if [ -n "${KINLINK_BIN:-}" ]; then
  KINLINK=$KINLINK_BIN   # an already built binary (a quick check of the script with a debug build)
else
  cargo build --release -p kinlink --bin kinlink >&2
  KINLINK="${CARGO_TARGET_DIR:-$PWD/target}/release/kinlink"
fi
# Nothing from the caller's configuration.
unset KINLINK_DATA_DIR KINLINK_LISTEN KINLINK_DATABASE_URL KINLINK_CONFIG RUST_LOG
mkdir -p "$WORK"
log() { printf '%s\n' "$*" >&2; }

# Server pids go to a file: start_server runs in a command substitution (a
# subshell), whose variables the script never sees.
PIDFILE="$WORK/servers.pid"
: >"$PIDFILE"
cleanup() {
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$PIDFILE"
  : >"$PIDFILE"
}
trap cleanup EXIT

# A deployment per database (its keys in $DATA, set before each use):
# prints the token.
kl() { "$KINLINK" --data-dir "$DATA" "$@"; }
deployment() { # $1: database URL
  rm -rf "$DATA"
  kl --database-url "$1" init --admin bench-admin >/dev/null
  kl --database-url "$1" user add --username bench --agency "Child Protection Authority" \
    --team Reception --role supervisor >/dev/null
  kl --database-url "$1" token create --user bench --name http-load \
    --scope child_case:read --scope child_case:list --scope child_case:create | awk '{print $1; exit}'
}
# After the import: the imported records (written by the CLI, without an
# owner, so reachable by deployment-wide grants only) are given to the bench
# user's agency and team, as if that user had imported them, so that the
# supervisor's agency scope reaches them; and everything imported counts as
# matched (see the header).
PREPARE_SQL="UPDATE records SET
  owner_user = (SELECT id FROM users WHERE username = 'bench'),
  owner_agency = (SELECT agency_id FROM users WHERE username = 'bench'),
  owner_team = (SELECT t.team_id FROM user_teams t JOIN users u ON u.id = t.user_id WHERE u.username = 'bench')
  WHERE owner_user IS NULL;
UPDATE matcher_position SET position = (SELECT last FROM change_counter);"
prepare_for_serving() { # $1: database URL
  case $1 in
    sqlite://*) python3 -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
db.executescript(sys.argv[2]); db.commit()" "${1#sqlite://}" "$PREPARE_SQL" ;;
    *) psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$PREPARE_SQL" ;;
  esac
}

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
mkdir -p "$WORK/sqlite"
SQLITE_URL="sqlite://$WORK/sqlite/kinlink.sqlite"
DATA="$WORK/data-sqlite"
SQLITE_TOKEN=$(deployment "$SQLITE_URL")
T_SQLITE_CASES=$(timed kl --database-url "$SQLITE_URL" import cases "$DEMO/cases.csv")
T_SQLITE_REQUESTS=$(timed kl --database-url "$SQLITE_URL" import requests "$DEMO/requests.csv")
prepare_for_serving "$SQLITE_URL"

log "importing into PostgreSQL"
psql -X -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS kinlink_http_load WITH (FORCE)" \
  -c "CREATE DATABASE kinlink_http_load"
DATA="$WORK/data-pg"
PG_TOKEN=$(deployment "$PG_URL")
T_PG_CASES=$(timed kl --database-url "$PG_URL" import cases "$DEMO/cases.csv")
T_PG_REQUESTS=$(timed kl --database-url "$PG_URL" import requests "$DEMO/requests.csv")
prepare_for_serving "$PG_URL"

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
start_server() { # $1: database URL; prints the address once its matching indexes are loaded
  local out="$WORK/serve.$RANDOM.out"
  # The binary itself in the background (not through `kl`), so that its pid is the server's.
  RUST_LOG=warn,kinlink_server::matcher=info "$KINLINK" --data-dir "$DATA" --database-url "$1" \
    serve --listen 127.0.0.1:0 >"$out" 2>"$out.err" &
  echo $! >>"$PIDFILE"
  for _ in $(seq 36000); do
    if grep -q 'matching indexes loaded' "$out.err" 2>/dev/null \
      && grep -q '^kinlink listening on http://' "$out" 2>/dev/null; then
      sed -n 's|^kinlink listening on http://||p' "$out"
      return
    fi
    sleep 0.1
  done
  log "the server did not start: $(cat "$out.err")"
  exit 1
}

stop_servers() { # kill them and wait until they have exited
  local pids
  pids=$(cat "$PIDFILE")
  cleanup
  # A graceful shutdown may wait for open connections: 10 s, then SIGKILL.
  for pid in $pids; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

# One measurement: wrk on every server address at once, CONNECTIONS shared
# out; requests/s summed, p50 and p99 the slowest server's.
measure() { # $1: lua script, $2: paths file (or -), $3...: addresses
  local script=$1 paths=$2
  shift 2
  local per=$((CONNECTIONS / $#)) outs=() wrks=()
  for address in "$@"; do
    local out="$WORK/wrk.$RANDOM.out"
    outs+=("$out")
    TOKEN=$TOKEN PATHS=$paths wrk -t 1 -c "$per" -d "${DURATION}s" --timeout 10s -s "$LUA/$script" "http://$address" >"$out" 2>&1 &
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

run_backend() { # $1: label, $2: database URL, $3: sample file, $4: server processes, $5: token, $6: keys
  local label=$1 url=$2 sample=$3 servers=$4 addresses=()
  TOKEN=$5 DATA=$6
  for _ in $(seq "$servers"); do addresses+=("$(start_server "$url")"); done
  log "$label, $servers server(s): load average $(cut -d' ' -f1-3 /proc/loadavg)"
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
  LOADAVG+=("$label with $servers server(s): $(cut -d' ' -f1-3 /proc/loadavg)")
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
LOADAVG=()
run_backend SQLite "$SQLITE_URL" "$WORK/sqlite.sample" 1 "$SQLITE_TOKEN" "$WORK/data-sqlite"
run_backend PostgreSQL "$PG_URL" "$WORK/pg.sample" 1 "$PG_TOKEN" "$WORK/data-pg"
run_backend PostgreSQL "$PG_URL" "$WORK/pg.sample" 2 "$PG_TOKEN" "$WORK/data-pg"
echo
echo "Load average (1, 5, 15 min) at the end of each backend's measurements:"
for line in "${LOADAVG[@]}"; do echo "- $line"; done
psql -X -q -d "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS kinlink_http_load WITH (FORCE)" >&2
