#!/usr/bin/env bash
# What the history tables cost (issue 16), at scale 1 into an empty DuckDB warehouse, REPEAT
# times each, alternating the binaries:
#   next-day       the day-2 snapshot on top of day 1 (loaded untimed first), with the
#                  history of the 11 default tables written in the publish transaction;
#                  prints the wall time, the merge phase per source and the versions the
#                  run closed and opened, and the seconds of the history statements
#                  summed over the tables (from the run's debug log)
#   next-day-base  the same with BASE_BIN (a build without history, e.g. of the commit
#                  before it), when given: the difference is history's cost
#
# usage: scripts/bench-history.sh     (REPEAT=3 BENCH_DIR=bench-data SCALE=1; BASE_BIN=path optional)
set -euo pipefail
REPEAT="${REPEAT:-3}"
SCALE="${SCALE:-1}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"
data="$WORK/history-scale-$SCALE"
if [ ! -d "$data/day2" ]; then
  "$BIN" generate --out "$data/day2" --scale "$SCALE" --days 2 >/dev/null
  for s in molo stellar netsuite; do
    mkdir -p "$data/day1/$s"
    oldest=$(ls -tr "$data/day2/$s" | head -1)
    ln -f "$data/day2/$s/$oldest" "$data/day1/$s/$oldest"
  done
fi
db="$WORK/history.duckdb"
config "duckdb://$db" "$data/day1" >"$WORK/history-day1.toml"
config "duckdb://$db" "$data/day2" >"$WORK/history-day2.toml"

versions() { # versions closed and opened by the latest run, over every history table
  local tables; tables=$("$BIN" --config "$WORK/history-day2.toml" query \
    "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'HIST_%' ORDER BY 1" --format csv | tail -n +2)
  local closed=0 opened=0 c o t
  for t in $tables; do
    read -r c o < <("$BIN" --config "$WORK/history-day2.toml" query \
      "SELECT COUNT(*) FILTER (WHERE VALID_TO = (SELECT MAX(VALID_FROM) FROM $t)), COUNT(*) FILTER (WHERE DW_RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUNS)) FROM $t" \
      --format csv | tail -1 | tr ',' ' ')
    closed=$((closed + c)); opened=$((opened + o))
  done
  echo "versions closed $closed, opened $opened"
}

next_day() { # $1 = binary, $2 = label
  rm -f "$db" "$db.wal" "$db.lock"
  "$1" --config "$WORK/history-day1.toml" run >/dev/null 2>&1 || true
  local out; out=$(mktemp)
  RUST_LOG=marina_etl=debug /usr/bin/time -f "%e" -o "$out.time" "$1" --config "$WORK/history-day2.toml" run >"$out" 2>"$out.log" || true
  printf '%-13s %6.2f s   merge: %s   history statements: %s s' "$2" "$(tail -1 "$out.time")" \
    "$(grep -E '^(molo|stellar|netsuite) |^ +[0-9.]+s: discover' "$out" | grep -oE 'merge [0-9.]+s' | paste -sd ' ' -)" \
    "$(grep 'history written' "$out.log" | grep -oE 'seconds=[0-9.e-]+' | cut -d= -f2 | awk '{s += $1} END {printf "%.2f", s}')"
  rm -f "$out" "$out.time" "$out.log"
}

for i in $(seq "$REPEAT"); do
  next_day "$BIN" next-day; echo "   $(versions)"
  if [ -n "${BASE_BIN:-}" ]; then next_day "$BASE_BIN" next-day-base; echo; fi
done
