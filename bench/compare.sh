#!/usr/bin/env bash
# Benchmarks ./csredis-server against real redis-server under identical settings (loopback, free
# ports, save "", appendonly no) with the same redis-benchmark arguments, alternating the two servers
# test by test so drift on a shared machine hits both alike. Prints one table per configuration
# (rps, p50, p99 and csredis/Redis ratios, the medians of the rounds, and in how many rounds csredis
# beat the Redis run it was paired with) for the string tests (issue 2's targets) and for the
# list/set/hash/zset tests (issue 3's), a memory comparison (VmRSS and INFO
# used_memory after a large SET load), the data-type memory table of bench/memory-lists-hashes.py
# (1M-field hash, 1M-member zset, 1M-element list, 100k small hashes...) and startup times (exec to
# "Ready to accept connections"). Results also go to bench/results/<timestamp>.md.
#
# Usage: bench/compare.sh [rounds]
# Environment (all optional):
#   ROUNDS=5                     rounds per configuration (also the first argument)
#   REQUESTS=200000              -n for the throughput configurations
#   TESTS=ping,set,get,incr,mset -t for the throughput configurations
#   CONFIGS='-c 50;-c 50 -P 16;-c 1'  configurations, ';'-separated extra redis-benchmark arguments
#   TYPE_TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_600
#                                -t for the data-type configurations ('' skips them)
#   TYPE_CONFIGS='-c 50;-c 50 -P 16'  their configurations
#   TYPE_REQUESTS=$REQUESTS      their -n
#   MEMORY=1                     0 skips the memory mode
#   MEMORY_ARGS='-t set -r 1000000 -n 2000000'
#   TYPE_MEMORY='bighash bigzset biglist smallhashes'  bench/memory-lists-hashes.py data sets ('' skips)
#   STARTUP_RUNS=5               0 skips the startup-time measure
#   CSREDIS=./csredis-server REDIS=redis-server BENCHMARK=redis-benchmark CLI=redis-cli
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-5}}
REQUESTS=${REQUESTS:-200000}
TESTS=${TESTS:-ping,set,get,incr,mset}
CONFIGS=${CONFIGS:-'-c 50;-c 50 -P 16;-c 1'}
TYPE_TESTS=${TYPE_TESTS-lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_600}
TYPE_CONFIGS=${TYPE_CONFIGS:-'-c 50;-c 50 -P 16'}
TYPE_REQUESTS=${TYPE_REQUESTS:-$REQUESTS}
MEMORY=${MEMORY:-1}
MEMORY_ARGS=${MEMORY_ARGS:-'-t set -r 1000000 -n 2000000'}
TYPE_MEMORY=${TYPE_MEMORY-bighash bigzset biglist smallhashes}
STARTUP_RUNS=${STARTUP_RUNS:-5}
CSREDIS=${CSREDIS:-./csredis-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
BENCHMARK=${BENCHMARK:-redis-benchmark}
CLI=${CLI:-redis-cli}

for program in "$REDIS" "$BENCHMARK" "$CLI"; do
  command -v "$program" >/dev/null || { echo "compare.sh: $program not found (make test-deps installs Redis 7.0)" >&2; exit 2; }
done
[ -x "$CSREDIS" ] || { echo "compare.sh: $CSREDIS not found: run make first" >&2; exit 2; }

WORK=$(mktemp -d /tmp/csredis-bench.XXXXXX)
STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p bench/results
REPORT=bench/results/$STAMP.md
declare -A PID=() PORT=()

cleanup() {
  for name in "${!PID[@]}"; do stop_server "$name"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH_NAME=compare.sh
. bench/servers.sh

# Takes the median of all rounds per server and test (a round that met a burst of the machine's
# neighbours moves a median less than a mean); prints a markdown table (the console shows the same).
summarize() {
  awk -F'","|^"|"$' '
    FNR == 1 {
      # $WORK/<server>-<configuration>-<round>-<test>.csv
      file = FILENAME; sub(/^.*\//, "", file); split(file, part, "-")
      server = part[1]; round = part[3] + 0; if (round > rounds) rounds = round; next
    }
    $2 != "" {
      key = server SUBSEP $2
      if (!(($2) in seen)) { seen[$2] = 1; order[++tests] = $2 }
      i = ++n[key]; rps[key, i] = $3; p50[key, i] = $6; p99[key, i] = $8
      paired[server, $2, round] = $3 + 0
    }
    function median(values, key,    count, i, j, v, t) {
      count = n[key]
      if (!count) return 0
      for (i = 1; i <= count; i++) v[i] = values[key, i] + 0
      for (i = 2; i <= count; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
    }
    function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", b / a) : "n/a" }
    # The rounds in which csredis beat the Redis run it was paired with (same round, back to back).
    function wins(t,    r, won, pairs) {
      for (r = 1; r <= rounds; r++)
        if (("csredis", t, r) in paired && ("redis", t, r) in paired) {
          pairs++; if (paired["csredis", t, r] > paired["redis", t, r]) won++
        }
      return (won + 0) "/" (pairs + 0)
    }
    END {
      print "| test | redis rps | csredis rps | rps ratio | csredis faster in | redis p50 ms | csredis p50 ms | p50 ratio | redis p99 ms | csredis p99 ms | p99 ratio |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= tests; i++) {
        t = order[i]; r = "redis" SUBSEP t; c = "csredis" SUBSEP t
        rr = median(rps, r); cr = median(rps, c); r50 = median(p50, r); c50 = median(p50, c); r99 = median(p99, r); c99 = median(p99, c)
        printf "| %s | %.0f | %.0f | %s | %s | %.3f | %.3f | %s | %.3f | %.3f | %s |\n", t, rr, cr, ratio(rr, cr), wins(t), r50, c50, ratio(r50, c50), r99, c99, ratio(r99, c99)
      }
    }' "$@"
}

# run_configuration INDEX ARGS TESTS REQUESTS
run_configuration() {
  local index=$1 args=$2 tests=$3 requests=$4 round name
  emit ""
  emit "## redis-benchmark -q -n $requests -t $tests $args (medians of $ROUNDS rounds, alternating test by test)"
  emit ""
  local -A cpu=([redis]=0 [csredis]=0) client_cpu=([redis]=0 [csredis]=0)
  local before TIMEFORMAT='%3U %3S'
  local test order
  for round in $(seq 1 "$ROUNDS"); do
    # Test by test, the two servers back to back, the one going first swapped every round: drift
    # on the shared machine then falls on both alike.
    order="redis csredis"; [ $((round % 2)) = 0 ] && order="csredis redis"
    for test in ${tests//,/ }; do
      for name in $order; do
        before=$(cpu_seconds "${PID[$name]}")
        # shellcheck disable=SC2086 # configuration arguments are word-split on purpose
        { time "$BENCHMARK" -h 127.0.0.1 -p "${PORT[$name]}" -q -n "$requests" -t "$test" $args --csv \
          >"$WORK/$name-$index-$round-$test.csv" 2>"$WORK/$name-$index-$round-$test.err"; } 2>"$WORK/client-cpu" || {
            echo "compare.sh: redis-benchmark failed against $name:" >&2; cat "$WORK/$name-$index-$round-$test.err" >&2; }
        cpu[$name]=$(awk -v sum="${cpu[$name]}" -v a="$before" -v b="$(cpu_seconds "${PID[$name]}")" 'BEGIN { print sum + b - a }')
        client_cpu[$name]=$(awk -v sum="${client_cpu[$name]}" '{ print sum + $1 + $2 }' "$WORK/client-cpu")
        "$CLI" -p "${PORT[$name]}" flushall >/dev/null 2>&1 || true
      done
    done
  done
  summarize "$WORK"/redis-"$index"-*.csv "$WORK"/csredis-"$index"-*.csv | tee -a "$REPORT"
  # Server CPU time is steadier than rps on a shared machine: it is what the server spent, whatever
  # else ran. Requests counts every CSV row (LRANGE tests bring their LPUSH prelude).
  local rows
  rows=$(cat "$WORK"/redis-"$index"-*.csv | grep -c '^"[A-Z]')
  emit ""
  emit "$(awk -v r="${cpu[redis]}" -v c="${cpu[csredis]}" -v n="$((rows * requests))" 'BEGIN {
    printf "Server CPU (user+system) per request over the table: redis %.2f us, csredis %.2f us, ratio %s", r * 1e6 / n, c * 1e6 / n, (r > 0 ? sprintf("%.2f", c / r) : "n/a") }')"
  # Where redis-benchmark saturates its core (-c 50 here) the rps of a table is the client's: what a
  # server can still change is how much the client spends per request (waking a sleeping server is
  # paid by the client's send).
  emit ""
  emit "$(awk -v r="${client_cpu[redis]}" -v c="${client_cpu[csredis]}" -v n="$((rows * requests))" 'BEGIN {
    printf "redis-benchmark CPU (user+system) per request over the table: against redis %.2f us, against csredis %.2f us, ratio %s", r * 1e6 / n, c * 1e6 / n, (r > 0 ? sprintf("%.2f", c / r) : "n/a") }')"
}

info_field() { "$CLI" -p "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: -v field="$2" '$1 == field { print $2 }'; }

run_memory() {
  emit ""
  emit "## Memory after redis-benchmark $MEMORY_ARGS (fresh servers)"
  emit ""
  emit "| server | VmRSS before KiB | VmRSS after KiB | used_memory after | keys |"
  emit "|---|---:|---:|---:|---:|"
  local name before after used keys
  for name in redis csredis; do
    start_server "$name" "$WORK/$name-data"
    before=$(rss_kb "${PID[$name]}")
    # shellcheck disable=SC2086
    "$BENCHMARK" -h 127.0.0.1 -p "${PORT[$name]}" -q $MEMORY_ARGS >/dev/null 2>"$WORK/$name-memory.err" || {
      echo "compare.sh: memory load failed against $name:" >&2; cat "$WORK/$name-memory.err" >&2; }
    after=$(rss_kb "${PID[$name]}")
    used=$(info_field "${PORT[$name]}" used_memory)
    keys=$("$CLI" -p "${PORT[$name]}" dbsize 2>/dev/null || echo n/a)
    emit "| $name | $before | $after | ${used:-n/a} | $keys |"
    stop_server "$name"
  done
}

# Startup time: exec time is written by the shell that then execs the server; the ready time is the
# millisecond timestamp the server prints on its "Ready to accept connections" log line.
startup_ms() {
  local name=$1 port dir log
  port=$(free_port); dir="$WORK/$name-startup"; log="$WORK/$name-startup.log"
  rm -rf "$dir"; mkdir -p "$dir"
  # The previous run's log and stamp must be gone before the poll below starts: it could read them.
  rm -f "$log" "$WORK/$name-exec-ms"
  bash -c 'date +%s%3N >"$1"; shift; exec "$@"' _ "$WORK/$name-exec-ms" "$(binary_of "$name")" \
    --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$log" 2>&1 &
  PID[$name]=$!
  local line=""
  for _ in $(seq 1 1000); do
    line=$(grep -m1 'Ready to accept connections' "$log" 2>/dev/null || true)
    [ -n "$line" ] && break
    sleep 0.01
  done
  stop_server "$name"
  [ -n "$line" ] || { echo "n/a"; return; }
  # "PID:M 22 Nov 2026 00:55:46.451 * Ready ..." -> the date and time fields.
  local stamp ready
  stamp=$(awk '{ print $2, $3, $4, $5 }' <<<"$line")
  ready=$(date -d "$stamp" +%s%3N 2>/dev/null || echo "")
  [ -n "$ready" ] || { echo "n/a"; return; }
  [ -s "$WORK/$name-exec-ms" ] || { echo "n/a"; return; }
  echo $(( ready - $(cat "$WORK/$name-exec-ms") ))
}

run_startup() {
  emit ""
  emit "## Startup time, exec to \"Ready to accept connections\" ($STARTUP_RUNS runs each, ms)"
  emit ""
  emit "| server | runs (ms) | median ms |"
  emit "|---|---|---:|"
  local name runs median
  for name in redis csredis; do
    runs=""
    for _ in $(seq 1 "$STARTUP_RUNS"); do runs="$runs $(startup_ms "$name")"; done
    median=$(tr ' ' '\n' <<<"$runs" | grep -E '^-?[0-9]+$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "n/a" }')
    emit "| $name |$runs | $median |"
  done
}

{
  echo "# csredis vs Redis benchmark, $STAMP UTC"
  echo ""
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$REDIS" --version | awk '{ print $1, $2, $3 }')"
  echo "- csredis: $CSREDIS ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo "- settings: --bind 127.0.0.1 --save \"\" --appendonly no; rounds: $ROUNDS; ratio = csredis / Redis (rps: higher is better; latency: lower is better)"
} | tee "$REPORT"

start_server redis "$WORK/redis-data"
start_server csredis "$WORK/csredis-data"
IFS=';' read -r -a CONFIGURATIONS <<<"$CONFIGS"
for i in "${!CONFIGURATIONS[@]}"; do
  run_configuration "$i" "${CONFIGURATIONS[$i]}" "$TESTS" "$REQUESTS"
done
if [ -n "$TYPE_TESTS" ]; then
  IFS=';' read -r -a CONFIGURATIONS <<<"$TYPE_CONFIGS"
  for i in "${!CONFIGURATIONS[@]}"; do
    run_configuration "types$i" "${CONFIGURATIONS[$i]}" "$TYPE_TESTS" "$TYPE_REQUESTS"
  done
fi
stop_server redis
stop_server csredis

[ "$MEMORY" = 0 ] || run_memory
if [ -n "$TYPE_MEMORY" ]; then
  emit ""
  emit "## Memory of data types (bench/memory-lists-hashes.py $TYPE_MEMORY; fresh servers, pipelined RESP load)"
  emit ""
  # shellcheck disable=SC2086 # the data set names are word-split on purpose
  CSREDIS="$CSREDIS" REDIS="$REDIS" CLI="$CLI" python3 bench/memory-lists-hashes.py $TYPE_MEMORY | tee -a "$REPORT"
fi
[ "$STARTUP_RUNS" = 0 ] || run_startup

echo ""
echo "Report written to $REPORT"
