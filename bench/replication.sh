#!/usr/bin/env bash
# Replication benchmark, csredis master vs real Redis master in the same run, with the same real
# redis-server 7.0 as the replica in both cases (loopback, free ports, save "", diskless sync with
# no delay, as a fresh replica of a loaded master sees it):
#  1. full sync: KEYS keys (default 1M, "key:<n>" -> "val:<n>", loaded with redis-cli --pipe),
#     then a fresh replica is started; the time from its start to master_link_status:up on it;
#  2. lag under load: redis-benchmark -t set -P 16 on the master with the replica attached;
#     master_repl_offset minus the replica's acknowledged offset (slave0 offset= in the master's
#     INFO) sampled every 10 ms during the run by bench/replication_lag_probe.py: mean and max, in
#     bytes, and the mean as time (bytes divided by the run's stream rate: the faster master streams
#     more bytes per second of lag); the replica acks once a second, so that mean is about half a
#     second of stream for any master. Also the lag just after each ack: how far behind the
#     replica was when it acknowledged, the part the master decides. Plus the run's rps.
# Prints a table. Usage: bench/replication.sh   (environment: KEYS, BENCH_REQUESTS, MODE=yes|no
# for repl-diskless-sync, CSREDIS=./csredis-server REDIS=redis-server)
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
BENCH_REQUESTS=${BENCH_REQUESTS:-6000000}
MODE=${MODE:-yes}
CSREDIS=${CSREDIS:-./csredis-server}
REDIS=${REDIS:-redis-server}
CLI=${CLI:-redis-cli}
BENCHMARK=${BENCHMARK:-redis-benchmark}
WORK=$(mktemp -d /tmp/csredis-repl-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
wait_ready() { for _ in $(seq 1 500); do "$CLI" -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.02; done; echo "server on $1 did not start" >&2; exit 1; }
info_field() { "$CLI" -p "$1" info replication | tr -d '\r' | sed -n "s/^$2:\(.*\)/\1/p"; }

# The load, as protocol, generated once.
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; v = "val:" i;
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' > "$WORK/load.resp"

declare -A SYNC_MS LAG_MEAN LAG_MAX LAG_MS RPS ACKS LAG_AT_ACK LAG_AT_ACK_MS
for master in csredis redis; do
  bin=$CSREDIS; [ "$master" = redis ] && bin=$REDIS
  mport=$(free_port)
  mkdir -p "$WORK/$master"
  "$bin" --port "$mport" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$master" --logfile "$WORK/$master/master.log" \
    --repl-diskless-sync "$MODE" --repl-diskless-sync-delay 0 &
  PIDS+=($!)
  wait_ready "$mport"
  "$CLI" -p "$mport" --pipe < "$WORK/load.resp" > /dev/null
  rport=$(free_port)
  start=$(now_ms)
  "$REDIS" --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$master" --dbfilename replica.rdb \
    --logfile "$WORK/$master/replica.log" --replicaof 127.0.0.1 "$mport" &
  rpid=$!
  PIDS+=($rpid)
  wait_ready "$rport"
  until [ "$(info_field "$rport" master_link_status)" = up ]; do sleep 0.01; done
  SYNC_MS[$master]=$(( $(now_ms) - start ))
  [ "$("$CLI" -p "$rport" dbsize)" = "$KEYS" ] || { echo "replica of $master has $("$CLI" -p "$rport" dbsize) keys, expected $KEYS" >&2; exit 1; }

  "$BENCHMARK" -p "$mport" -t set -P 16 -n "$BENCH_REQUESTS" -r 100000 -q > "$WORK/$master/bench.txt" 2>&1 &
  bpid=$!
  off0=$(info_field "$mport" master_repl_offset); t0=$(now_ms)
  read -r _samples LAG_MEAN[$master] LAG_MAX[$master] ACKS[$master] LAG_AT_ACK[$master] \
    < <(/usr/bin/python3 bench/replication_lag_probe.py "$mport" "$bpid")
  wait "$bpid" || true
  rate=$(( ( $(info_field "$mport" master_repl_offset) - off0 ) * 1000 / ( $(now_ms) - t0 + 1 ) ))
  # The same lag as time: how many milliseconds of this run's stream the replica had not acknowledged.
  LAG_MS[$master]=$(( rate > 0 ? LAG_MEAN[$master] * 1000 / rate : 0 ))
  LAG_AT_ACK_MS[$master]=$(( rate > 0 ? LAG_AT_ACK[$master] * 1000 / rate : 0 ))
  RPS[$master]=$(grep -o 'SET: [0-9.]* requests per second' "$WORK/$master/bench.txt" | awk '{print $2}' | tail -1)
  kill "$rpid" 2>/dev/null || true
  "$CLI" -p "$mport" shutdown nosave >/dev/null 2>&1 || true
done

printf '\nReplication, %s keys, repl-diskless-sync %s, replica: real redis-server\n' "$KEYS" "$MODE"
printf '| %-44s | %14s | %14s |\n' "measure" "csredis master" "Redis master"
printf '|%s|%s|%s|\n' "----------------------------------------------" "----------------" "----------------"
printf '| %-44s | %14s | %14s |\n' "full sync to link up (ms)" "${SYNC_MS[csredis]}" "${SYNC_MS[redis]}"
printf '| %-44s | %14s | %14s |\n' "SET -P 16 rps during replication" "${RPS[csredis]}" "${RPS[redis]}"
printf '| %-44s | %14s | %14s |\n' "lag: offset - replica ack, mean (bytes)" "${LAG_MEAN[csredis]}" "${LAG_MEAN[redis]}"
printf '| %-44s | %14s | %14s |\n' "lag: offset - replica ack, max (bytes)" "${LAG_MAX[csredis]}" "${LAG_MAX[redis]}"
printf '| %-44s | %14s | %14s |\n' "mean lag as stream time (ms)" "${LAG_MS[csredis]}" "${LAG_MS[redis]}"
printf '| %-44s | %14s | %14s |\n' "acks seen during the run" "${ACKS[csredis]}" "${ACKS[redis]}"
printf '| %-44s | %14s | %14s |\n' "lag just after each ack, mean (bytes)" "${LAG_AT_ACK[csredis]}" "${LAG_AT_ACK[redis]}"
printf '| %-44s | %14s | %14s |\n' "lag just after each ack, as stream time (ms)" "${LAG_AT_ACK_MS[csredis]}" "${LAG_AT_ACK_MS[redis]}"
