#!/usr/bin/env bash
# Loads the same generated snapshots into an empty DuckDB file and into a throwaway
# PostgreSQL cluster, then compares every view row by row (sorted CSV of `marina-etl query`).
# Prints, per view, its rows on each backend and how many rows differ; exits 1 on any
# difference.
#
# usage: scripts/compare-backends.sh      (SCALE=1 BENCH_DIR=bench-data by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/marina-etl/target}"
SCALE="${SCALE:-1}"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/marina-etl"

# A throwaway cluster; the server refuses to run as root, so it runs as postgres.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
PGROOT=$(mktemp -d /tmp/marina-etl-compare.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_cluster() { as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$PGROOT"; }
trap stop_cluster EXIT INT TERM
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -o \
  "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null

data="$WORK/scale-$SCALE/day1"
[ -d "$data" ] || "$BIN" generate --out "$data" --scale "$SCALE" >/dev/null
config() { # $1 = warehouse URL
  printf '[warehouse]\nurl = "%s"\n' "$1"
  for s in molo stellar netsuite; do printf '[sources.%s]\nlocation = "%s/%s"\n' "$s" "$data" "$s"; done
}
out="$PGROOT/out"
mkdir -p "$out"
config "duckdb://$out/compare.duckdb" >"$out/duckdb.toml"
config "postgres://postgres@127.0.0.1:$PORT/postgres" >"$out/postgres.toml"
for backend in duckdb postgres; do
  "$BIN" --config "$out/$backend.toml" run >/dev/null
done

views=$("$BIN" --config "$out/duckdb.toml" query --format csv \
  "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY 1" | tail -n +2)
differ=0
printf '%-36s %9s %9s %9s\n' view duckdb postgres differing
for view in $views; do
  for backend in duckdb postgres; do
    "$BIN" --config "$out/$backend.toml" query --format csv --limit 100000000 "SELECT * FROM $view" |
      tail -n +2 | LC_ALL=C sort >"$out/$view.$backend"
  done
  n=$(LC_ALL=C comm -3 "$out/$view.duckdb" "$out/$view.postgres" | wc -l)
  printf '%-36s %9d %9d %9d\n' "$view" "$(wc -l <"$out/$view.duckdb")" "$(wc -l <"$out/$view.postgres")" "$n"
  [ "$n" -eq 0 ] || differ=1
done
exit $differ
