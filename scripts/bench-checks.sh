#!/usr/bin/env bash
# What the checks cost (issue 12), at scale 1 into an empty DuckDB warehouse, REPEAT times:
#   cold            first load of day 1: reconciliation and the default rules always run;
#                   prints the wall time, and the seconds the run's checks took by kind
#                   (SUM(SECONDS) of ETL_CHECK_RESULTS; the checks of one source run after
#                   its publish, while other sources may still load)
#   cold-base       the same cold load with BASE_BIN (a build without the checks, e.g. of
#                   main), when given: the difference is the checks' whole cost
#   sample-100      a forced full reload with --validate-fields --sample 100: the wall time
#                   of each source's field validation (from its log line) and the peak memory
#   sample-all      the same with --sample 0 (every row)
#
# usage: scripts/bench-checks.sh     (REPEAT=3 BENCH_DIR=bench-data SCALE=1; BASE_BIN=path optional)
set -euo pipefail
REPEAT="${REPEAT:-3}"
SCALE="${SCALE:-1}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"
data="$WORK/checks-scale-$SCALE"
[ -d "$data/molo" ] || "$BIN" generate --out "$data" --scale "$SCALE" >/dev/null

seconds_by_kind() { # $1 = config, $2 = kinds (SQL list)
  "$BIN" --config "$1" query "SELECT KIND, ROUND(SUM(SECONDS), 2) FROM ETL_CHECK_RESULTS \
     WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUNS) AND KIND IN ($2) GROUP BY KIND ORDER BY KIND" --format csv |
    tail -n +2 | paste -sd ' ' -
}

cold() { # $1 = binary, $2 = label
  local db="$WORK/checks.duckdb" cfg="$WORK/checks.toml"
  rm -f "$db" "$db.wal" "$db.lock"
  config "duckdb://$db" "$data" >"$cfg"
  /usr/bin/time -f "%e" -o "$WORK/time" "$1" --config "$cfg" run >/dev/null 2>&1 || true
  printf '%-11s %6.2f s' "$2" "$(tail -1 "$WORK/time")"
}

for i in $(seq "$REPEAT"); do
  cold "$BIN" cold
  echo "   checks: $(seconds_by_kind "$WORK/checks.toml" "'reconciliation','not_null','unique','relationship','accepted_values','expression','freshness','balanced','anomaly'")"
  if [ -n "${BASE_BIN:-}" ]; then cold "$BASE_BIN" cold-base; echo; fi
done
cfg="$WORK/checks.toml"
cold "$BIN" cold >/dev/null; echo
for sample in 100 0; do
  for i in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" --config "$cfg" run --force --full --validate-fields --sample "$sample" --seed 7 >/dev/null 2>"$WORK/log" || true
    # Each source logs the wall time of its field validation (its tables are compared on
    # several sessions at once, so the recorded per-table seconds add up to more).
    walls=$(grep -o 'field validation source="[a-z]*" tables=[0-9]* seconds="[0-9.]*"' "$WORK/log" |
      sed -E 's/.*source="([a-z]+)".*seconds="([0-9.]+)"/\1 \2 s/' | paste -sd ',' -)
    read -r secs kb < <(tail -1 "$WORK/time")
    printf 'sample-%-4s run %6.2f s (peak %d MB)   field validation wall: %s\n' "$sample" "$secs" "$((kb / 1024))" "$walls"
  done
done
