#!/usr/bin/env bash
# PostgreSQL load benchmark: builds the release binary, starts a throwaway PostgreSQL
# cluster (initdb/pg_ctl in a temporary folder, a free loopback port, stopped on exit),
# generates scale 1, and measures REPEAT times, into an empty database:
#   cold      first load (discover, decompress, decode, COPY into staging, merge, views)
#   reload    the same snapshot again with --force (unchanged ZIP members are skipped)
#   full      the same snapshot again with --force --full (every member read and merged)
# For comparison it measures the same cold load into an empty DuckDB file.
# It prints wall seconds, peak resident memory of marina-etl (not of the server) and the
# seconds per phase that the run reports for each source.
#
# usage: scripts/bench-pg.sh        (SCALE=1 REPEAT=3 BENCH_DIR=bench-data by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/marina-etl/target}"
SCALE="${SCALE:-1}"
REPEAT="${REPEAT:-3}"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/marina-etl"

# --- a throwaway cluster (the server refuses to run as root: run it as postgres) ---------
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
PGROOT=$(mktemp -d /tmp/marina-etl-bench-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_cluster() { as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$PGROOT"; }
trap stop_cluster EXIT INT TERM
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
# Durable settings (fsync on): the figures are those of a real server, not of a test one.
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -o \
  "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT"

config() { # $1 = data folder, $2 = warehouse URL
  printf '[warehouse]\nurl = "%s"\n' "$2"
  for s in molo stellar netsuite; do printf '[sources.%s]\nlocation = "%s/%s"\n' "$s" "$1" "$s"; done
}

# Runs the binary under /usr/bin/time; prints "seconds peak_mb rows phases".
measure() { # $1 = config, rest = run arguments
  local cfg=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" --config "$cfg" run "$@" >"$out" 2>/dev/null || true
  local secs kb rows phases
  read -r secs kb < <(tail -1 "$out.time")
  rows=$("$BIN" --config "$cfg" query "SELECT COALESCE(SUM(ROWS_READ), 0) FROM ETL_RUN_TABLES WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUNS)" --format csv | tail -1)
  phases=$(grep -E '^ +[0-9.]+s: discover' "$out" | sed -E 's/^ +//' | paste -sd ';' -)
  echo "$secs $((kb / 1024)) $rows ${phases:-}"
  rm -f "$out" "$out.time"
}

report() { # $1 = label, $2 = backend, $3 = measurement line
  local secs mb rows phases
  read -r secs mb rows phases <<<"$3"
  printf '%-9s %-8s %7.2f s %9s rows %6s MB  %s\n' "$1" "$2" "$secs" "$rows" "$mb" "$phases"
}

data="$WORK/scale-$SCALE"
if [ ! -d "$data/day1" ]; then
  rm -rf "$data"
  "$BIN" generate --out "$data/day1" --scale "$SCALE" >/dev/null
fi
duck="$WORK/bench-pg-compare.duckdb"
config "$data/day1" "duckdb://$duck" >"$WORK/bench-duckdb.toml"

printf '%-9s %-8s %9s %14s %9s  %s\n' phase backend wall read peak-RSS "per source: total: discover, fetch, decode+stage, publish"
for i in $(seq "$REPEAT"); do
  db="bench_$i"
  psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE $db" postgres >/dev/null
  config "$data/day1" "$URL/$db" >"$WORK/bench-pg.toml"
  report cold postgres "$(measure "$WORK/bench-pg.toml")"
  report reload postgres "$(measure "$WORK/bench-pg.toml" --force)"
  report full postgres "$(measure "$WORK/bench-pg.toml" --force --full)"
  rm -f "$duck" "$duck.wal" "$duck.lock"
  report cold duckdb "$(measure "$WORK/bench-duckdb.toml")"
done
