# Shared by the benchmark scripts (sourced, not run): the release binary, run
# configurations, a measured run, and a throwaway PostgreSQL cluster.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/marina-etl/target}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/marina-etl"

# A configuration loading the three sources under one folder (or bucket) into a warehouse.
config() { # $1 = warehouse URL, $2 = data folder or s3://bucket
  printf '[warehouse]\nurl = "%s"\n' "$1"
  for s in molo stellar netsuite; do printf '[sources.%s]\nlocation = "%s/%s"\n' "$s" "$2" "$s"; done
}

# What the phases column of the benchmarks holds, per source (see `run::Phases`).
PHASES_HEADER="per source: total: discover, fetch, stage (busy: decompress, decode, load), merge"

# The per-source phase lines of a run's summary, as "source: phases;source: phases".
phases_of() { # $1 = the run's standard output
  grep -E '^(molo|stellar|netsuite) |^ +[0-9.]+s: discover' "$1" |
    awk '/^ /{sub(/^ +/, ""); print prev ": " $0; next} {prev=$1}' | paste -sd ';' -
}

# Runs the binary under /usr/bin/time; prints "seconds peak_mb rows phases".
measure() { # $1 = config, rest = run arguments
  local cfg=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" --config "$cfg" run "$@" >"$out" 2>/dev/null || true
  local secs kb rows phases
  # /usr/bin/time puts "Command exited with non-zero status N" first for exit codes != 0.
  read -r secs kb < <(tail -1 "$out.time")
  rows=$("$BIN" --config "$cfg" query "SELECT COALESCE(SUM(ROWS_READ), 0) FROM ETL_RUN_TABLES WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUNS)" --format csv | tail -1)
  phases=$(phases_of "$out")
  echo "$secs $((kb / 1024)) $rows ${phases:-}"
  rm -f "$out" "$out.time"
}

# Starts a throwaway cluster on a free loopback port, stopped and removed when the script
# exits; sets PGROOT and PGURL (without a database name). The server refuses to run as
# root, so it runs as postgres.
start_pg_cluster() { # extra server settings, e.g. "-c fsync=off"
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
  PGROOT=$(mktemp -d /tmp/marina-etl-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PGROOT"; fi
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  stop_pg_cluster() { as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$PGROOT"; }
  trap stop_pg_cluster EXIT INT TERM
  as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -o \
    "-p $port -k $PGROOT -c listen_addresses=127.0.0.1 $*" start >/dev/null
  PGURL="postgres://postgres@127.0.0.1:$port"
}
