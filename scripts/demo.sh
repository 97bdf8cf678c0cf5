#!/usr/bin/env bash
# make demo: the seeds' topology on loopback — 1 master + 2 replicas watched by 3 csredis-sentinels
# (quorum 2) — then the master is killed with SIGKILL and the failover is shown as it happens, and
# the old master, restarted, is turned into a replica, as in the write-ups in shared/seeds.
# Everything runs under a temporary directory and is stopped at the end (or on Ctrl-C).
# Ports: servers 6380-6382, sentinels 26380-26382. The data nodes are SERVER (default
# ./csredis-server; SERVER=redis-server plays the same scene with real Redis 7.0 nodes).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-./csredis-server} SENTINEL=./csredis-sentinel CLI=./csredis-cli
for b in "$SERVER" "$SENTINEL" "$CLI"; do command -v "$b" >/dev/null || { echo "missing $b: run make (and make test-deps) first" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/csredis-demo.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

start_server() { # port [replicaof-port]
  local port=$1 extra=()
  [ $# -gt 1 ] && extra=(--replicaof 127.0.0.1 "$2")
  mkdir -p "$WORK/$port"
  printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsave ""\n' "$port" "$WORK/$port" "$WORK/$port/server.log" > "$WORK/$port/redis.conf"
  "$SERVER" "$WORK/$port/redis.conf" "${extra[@]}" & PIDS+=($!); disown $!
}
start_sentinel() { # port
  local port=$1
  mkdir -p "$WORK/s$port"
  printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsentinel monitor mymaster 127.0.0.1 6380 2\nsentinel down-after-milliseconds mymaster 3000\nsentinel failover-timeout mymaster 15000\n' \
    "$port" "$WORK/s$port" "$WORK/s$port/sentinel.log" > "$WORK/s$port/sentinel.conf"
  "$SENTINEL" "$WORK/s$port/sentinel.conf" & PIDS+=($!); disown $!
}
wait_for() { # description command...
  local what=$1; shift
  for _ in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "timed out waiting for $what" >&2; exit 1
}

echo "== starting master 6380, replicas 6381 6382"
start_server 6380; wait_for "master" "$CLI" -p 6380 ping
start_server 6381 6380; start_server 6382 6380
wait_for "replica 6381 in sync" sh -c "$CLI -p 6381 info replication | grep -q master_link_status:up"
wait_for "replica 6382 in sync" sh -c "$CLI -p 6382 info replication | grep -q master_link_status:up"
"$CLI" -p 6380 set greeting "hello from the old master" >/dev/null
echo "== starting sentinels 26380 26381 26382"
for p in 26380 26381 26382; do start_sentinel $p; done
wait_for "sentinels to find each other" sh -c "$CLI -p 26380 sentinel master mymaster | grep -A1 num-other-sentinels | tail -1 | grep -q 2"
echo; "$CLI" -p 6380 info replication; echo
"$CLI" -p 26380 info sentinel; echo
echo "== kill -9 the master (6380); sentinel 26380's log follows"
kill -9 "${PIDS[0]}"
tail -n 0 -f "$WORK/s26380/sentinel.log" & TAIL=$!; disown $TAIL
wait_for "failover" sh -c "$CLI -p 26380 sentinel get-master-addr-by-name mymaster | tail -1 | grep -qvx 6380"
sleep 3; kill "$TAIL" 2>/dev/null || true
NEW=$("$CLI" -p 26380 sentinel get-master-addr-by-name mymaster | tail -1)
echo; echo "== the sentinels now point to 127.0.0.1:$NEW"
"$CLI" -p "$NEW" info replication; echo
echo "== data written before the failover, read from the new master:"
"$CLI" -p "$NEW" get greeting
echo; echo "== the old master (6380) comes back; the sentinels turn it into a replica (their logs follow)"
tail -q -n 0 -f "$WORK"/s2638?/sentinel.log & TAIL=$!; disown $TAIL
start_server 6380
wait_for "conversion of 6380" sh -c "$CLI -p 6380 info replication | grep -q role:slave"
sleep 1; kill "$TAIL" 2>/dev/null || true
"$CLI" -p 6380 info replication | head -4
echo; echo "== sentinel 26380's rewritten configuration:"; cat "$WORK/s26380/sentinel.conf"
