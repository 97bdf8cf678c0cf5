#!/usr/bin/env bash
# RDB persistence, ./csredis-server against real redis-server in the same run (loopback, free
# ports, fresh dirs, identical settings), alternating the two servers round by round so drift on a
# shared machine hits both alike. Medians over the rounds. Two measures:
#
#  1. SAVE and load of a mixed data set (bench/persistence_data.py: 1M keys by default, strings,
#     small and big lists/hashes/sets/zsets, 10% of the strings with a TTL). Both servers get the
#     same commands through `redis-cli --pipe`; their DEBUG DIGEST must match. Each round then
#     times SAVE (the client's wall time, and the CPU seconds the server spent, from /proc), and
#     restarts the server on its dump: the load time is the "DB loaded from disk: X seconds" line
#     of its log; the DEBUG DIGEST after the load must still match.
#  2. Memory during BGSAVE under writes: a fresh server is filled by redis-benchmark (PREFILL),
#     then `redis-benchmark $LOAD_ARGS` writes while bench/persistence_probe.py samples the memory
#     of the server and of every process it forked (Redis's BGSAVE child) before BGSAVE, during it
#     and for a second after. Extra memory = peak - before, for RSS summed over the processes (a
#     page shared by Redis and its child counts twice, as the issue asks) and for PSS (shared pages
#     split between them). The data set is the server's RSS after the prefill minus its RSS empty.
#
# Results also go to bench/results/persistence-<timestamp>.md.
# Usage: bench/persistence.sh [rounds]
# Environment (all optional):
#   ROUNDS=3                         rounds of each measure (also the first argument)
#   KEYS=1000000 BIG=50 BIG_SIZE=10000   data set of measure 1 (see persistence_data.py)
#   SAVELOAD=1 MEMORY=1              0 skips a measure
#   PREFILL='-t set -r 1000000 -n 3000000 -P 32'
#   LOAD_ARGS='-t set -r 1000000 -n 5000000'
#   CSREDIS=./csredis-server REDIS=redis-server BENCHMARK=redis-benchmark CLI=redis-cli
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
KEYS=${KEYS:-1000000}
BIG=${BIG:-50}
BIG_SIZE=${BIG_SIZE:-10000}
SAVELOAD=${SAVELOAD:-1}
MEMORY=${MEMORY:-1}
PREFILL=${PREFILL:-'-t set -r 1000000 -n 3000000 -P 32'}
LOAD_ARGS=${LOAD_ARGS:-'-t set -r 1000000 -n 5000000'}
CSREDIS=${CSREDIS:-./csredis-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
BENCHMARK=${BENCHMARK:-redis-benchmark}
CLI=${CLI:-redis-cli}
PYTHON=/usr/bin/python3

for program in "$REDIS" "$BENCHMARK" "$CLI" "$PYTHON"; do
  command -v "$program" >/dev/null || { echo "persistence.sh: $program not found (make test-deps installs Redis 7.0)" >&2; exit 2; }
done
"$PYTHON" -c 'import redis' 2>/dev/null || { echo "persistence.sh: python3-redis is missing (apt-get install python3-redis)" >&2; exit 2; }
[ -x "$CSREDIS" ] || { echo "persistence.sh: $CSREDIS not found: run make first" >&2; exit 2; }

WORK=$(mktemp -d /tmp/csredis-persistence.XXXXXX)
STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p bench/results
REPORT=bench/results/persistence-$STAMP.md
declare -A PID=() PORT=()
LOADPID=

cleanup() {
  [ -z "$LOADPID" ] || { kill "$LOADPID" 2>/dev/null || true; wait "$LOADPID" 2>/dev/null || true; }
  for name in "${!PID[@]}"; do stop_server "$name"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH_NAME=persistence.sh
. bench/servers.sh
cli() { "$CLI" -p "${PORT[$1]}" "${@:2}" | tr -d '\r'; }
info_field() { cli "$1" info "$2" | awk -F: -v field="$3" '$1 == field { print $2 }'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "n/a" }'; }
order_of_round() { if [ $(( $1 % 2 )) = 1 ]; then echo "redis csredis"; else echo "csredis redis"; fi; }

emit "# RDB persistence: csredis-server vs redis-server ($("$REDIS" --version | awk '{ print $3 }'))"
emit ""
emit "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# ---- 1. SAVE and load ----
if [ "$SAVELOAD" != 0 ]; then
  emit ""
  emit "## SAVE and load: $KEYS keys (mixed types, $BIG big collections of each type with $BIG_SIZE elements), $ROUNDS rounds, medians"
  "$PYTHON" bench/persistence_data.py "$KEYS" "$BIG" "$BIG_SIZE" >"$WORK/data.resp"
  declare -A DIGEST=()
  for name in redis csredis; do
    start_server "$name" "$WORK/$name-rdb"
    cli "$name" --pipe <"$WORK/data.resp" >"$WORK/$name.pipe" 2>&1
    grep -q 'errors: 0,' "$WORK/$name.pipe" || { echo "persistence.sh: loading the data set into $name failed:" >&2; cat "$WORK/$name.pipe" >&2; exit 1; }
    DIGEST[$name]=$(cli "$name" debug digest)
    echo "$name: $(cli "$name" dbsize) keys, digest ${DIGEST[$name]}" >&2
    [ "$(cli "$name" save)" = OK ] || { echo "persistence.sh: SAVE failed on $name" >&2; exit 1; }
    stop_server "$name"
  done
  [ "${DIGEST[redis]}" = "${DIGEST[csredis]}" ] || { echo "persistence.sh: the two data sets differ (DEBUG DIGEST)" >&2; exit 1; }
  rm -f "$WORK/data.resp"
  for round in $(seq 1 "$ROUNDS"); do
    for name in $(order_of_round "$round"); do
      dir="$WORK/$name-rdb"
      start_server "$name" "$dir"
      grep -o 'DB loaded from disk: [0-9.]*' "$WORK/$name.log" | awk '{ print $5 }' >>"$WORK/$name.load"
      echo "$(( $(rss_kb "${PID[$name]}") / 1024 ))" >>"$WORK/$name.loadrss"
      cpu_seconds "${PID[$name]}" >>"$WORK/$name.loadcpu" # start-up itself costs a few hundredths
      [ "$(cli "$name" debug digest)" = "${DIGEST[$name]}" ] || { echo "persistence.sh: $name's data set changed across save and load" >&2; exit 1; }
      cpu0=$(cpu_seconds "${PID[$name]}"); t0=$(now_ms)
      [ "$(cli "$name" save)" = OK ] || { echo "persistence.sh: SAVE failed on $name" >&2; exit 1; }
      t1=$(now_ms); cpu1=$(cpu_seconds "${PID[$name]}")
      awk -v ms=$(( t1 - t0 )) 'BEGIN { printf "%.3f\n", ms / 1000 }' >>"$WORK/$name.save"
      awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f\n", b - a }' >>"$WORK/$name.savecpu"
      stat -c %s "$dir/dump.rdb" >"$WORK/$name.size"
      stop_server "$name"
    done
  done
  # Each server loads the other's last dump: both must read each other's files.
  for name in $(order_of_round $(( ROUNDS + 1 ))); do
    other=$([ "$name" = redis ] && echo csredis || echo redis)
    mkdir -p "$WORK/$name-cross"; cp "$WORK/$other-rdb/dump.rdb" "$WORK/$name-cross/"
    start_server "$name" "$WORK/$name-cross"
    [ "$(cli "$name" debug digest)" = "${DIGEST[$other]}" ] || { echo "persistence.sh: $name loaded $other's dump into a different data set" >&2; exit 1; }
    grep -o 'DB loaded from disk: [0-9.]*' "$WORK/$name.log" | awk '{ print $5 }' >"$WORK/$name.crossload"
    stop_server "$name"
  done
  for name in redis csredis; do
    for m in save savecpu load loadcpu loadrss; do eval "${name}_$m=\$(median <\"\$WORK/\$name.\$m\")"; done
    eval "${name}_size=\$(( \$(cat \"\$WORK/\$name.size\") / 1024 / 1024 ))"
    eval "${name}_cross=\$(cat \"\$WORK/\$name.crossload\")"
  done
  emit ""
  emit "| measure | redis | csredis | csredis/redis |"
  emit "|---|---:|---:|---:|"
  emit "| SAVE wall time, s | $redis_save | $csredis_save | $(ratio "$redis_save" "$csredis_save") |"
  emit "| SAVE server CPU time, s | $redis_savecpu | $csredis_savecpu | $(ratio "$redis_savecpu" "$csredis_savecpu") |"
  emit "| dump.rdb size, MiB | $redis_size | $csredis_size | $(ratio "$redis_size" "$csredis_size") |"
  emit "| load at start-up (\"DB loaded from disk\"), s | $redis_load | $csredis_load | $(ratio "$redis_load" "$csredis_load") |"
  emit "| load: server CPU time at \"ready\", s | $redis_loadcpu | $csredis_loadcpu | $(ratio "$redis_loadcpu" "$csredis_loadcpu") |"
  emit "| load of the other server's dump, s (1 run) | $redis_cross | $csredis_cross | $(ratio "$redis_cross" "$csredis_cross") |"
  emit "| RSS after the load, MiB | $redis_loadrss | $csredis_loadrss | $(ratio "$redis_loadrss" "$csredis_loadrss") |"
  emit ""
  emit "Each value: the median of $ROUNDS runs (SAVE wall times: redis $(paste -sd' ' "$WORK/redis.save"); csredis $(paste -sd' ' "$WORK/csredis.save"). Loads: redis $(paste -sd' ' "$WORK/redis.load"); csredis $(paste -sd' ' "$WORK/csredis.load"))."
fi

# ---- 2. memory during BGSAVE under writes ----
if [ "$MEMORY" != 0 ]; then
  emit ""
  emit "## Memory during BGSAVE while \`redis-benchmark $LOAD_ARGS\` runs (after \`redis-benchmark $PREFILL\`), $ROUNDS rounds, medians"
  for round in $(seq 1 "$ROUNDS"); do
    for name in $(order_of_round "$round"); do
      dir="$WORK/$name-mem"; rm -rf "$dir"
      start_server "$name" "$dir"
      empty=$(rss_kb "${PID[$name]}")
      # shellcheck disable=SC2086 # benchmark arguments are word-split on purpose
      "$BENCHMARK" -h 127.0.0.1 -p "${PORT[$name]}" -q $PREFILL >/dev/null 2>&1
      sleep 1
      filled=$(rss_kb "${PID[$name]}")
      echo $(( filled - empty )) >>"$WORK/$name.dataset"
      echo $(( $(info_field "$name" memory used_memory) / 1024 )) >>"$WORK/$name.used"
      # shellcheck disable=SC2086
      "$BENCHMARK" -h 127.0.0.1 -p "${PORT[$name]}" -q $LOAD_ARGS >/dev/null 2>&1 &
      LOADPID=$!
      sleep 1
      line=$("$PYTHON" bench/persistence_probe.py "${PID[$name]}" "${PORT[$name]}" 1)
      kill "$LOADPID" 2>/dev/null || true; wait "$LOADPID" 2>/dev/null || true; LOADPID=
      echo "$name round $round: data set $(( filled - empty )) KiB, $line" >&2
      eval "$line"
      # shellcheck disable=SC2154 # set by the eval of the probe's line
      {
        echo $(( rss_peak - rss_before )) >>"$WORK/$name.rssextra"
        echo $(( pss_peak - pss_before )) >>"$WORK/$name.pssextra"
        echo "$rss_before" >>"$WORK/$name.rssbefore"
        echo "$rss_peak" >>"$WORK/$name.rsspeak"
        echo "$cow" >>"$WORK/$name.cow"
        echo "$seconds" >>"$WORK/$name.bgsave"
      }
      stop_server "$name"
    done
  done
  for name in redis csredis; do
    for m in dataset used rssbefore rsspeak rssextra pssextra cow bgsave; do eval "${name}_$m=\$(median <\"\$WORK/\$name.\$m\")"; done
  done
  mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
  percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "n/a" }'; }
  emit ""
  emit "| measure | redis | csredis | csredis/redis |"
  emit "|---|---:|---:|---:|"
  emit "| data set (RSS filled - RSS empty), MiB | $(mib "$redis_dataset") | $(mib "$csredis_dataset") | $(ratio "$redis_dataset" "$csredis_dataset") |"
  emit "| INFO used_memory filled, MiB | $(mib "$redis_used") | $(mib "$csredis_used") | $(ratio "$redis_used" "$csredis_used") |"
  emit "| RSS before BGSAVE (under writes), MiB | $(mib "$redis_rssbefore") | $(mib "$csredis_rssbefore") | $(ratio "$redis_rssbefore" "$csredis_rssbefore") |"
  emit "| peak RSS, all processes, MiB | $(mib "$redis_rsspeak") | $(mib "$csredis_rsspeak") | $(ratio "$redis_rsspeak" "$csredis_rsspeak") |"
  emit "| extra RSS (peak - before), MiB | $(mib "$redis_rssextra") | $(mib "$csredis_rssextra") | $(ratio "$redis_rssextra" "$csredis_rssextra") |"
  emit "| extra RSS / data set | $(percent "$redis_rssextra" "$redis_dataset") | $(percent "$csredis_rssextra" "$csredis_dataset") | |"
  emit "| extra PSS (peak - before), MiB | $(mib "$redis_pssextra") | $(mib "$csredis_pssextra") | $(ratio "$redis_pssextra" "$csredis_pssextra") |"
  emit "| extra PSS / data set | $(percent "$redis_pssextra" "$redis_dataset") | $(percent "$csredis_pssextra" "$csredis_dataset") | |"
  emit "| INFO rdb_last_cow_size, MiB | $(mib "$redis_cow") | $(mib "$csredis_cow") | $(ratio "$redis_cow" "$csredis_cow") |"
  emit "| BGSAVE duration, s | $redis_bgsave | $csredis_bgsave | $(ratio "$redis_bgsave" "$csredis_bgsave") |"
  emit ""
  emit "Extra RSS per round: redis $(paste -sd' ' "$WORK/redis.rssextra"); csredis $(paste -sd' ' "$WORK/csredis.rssextra") (KiB)."
fi
emit ""
emit "Report: $REPORT"
