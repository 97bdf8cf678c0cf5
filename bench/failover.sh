#!/usr/bin/env bash
# Failover time, csredis-sentinel vs redis-sentinel, same topology, same run: 1 master + 2 replicas
# (NODES: real redis-server 7.0 by default, NODES=./csredis-server for csredis nodes) watched by 3
# sentinels of one kind (quorum 2, down-after-milliseconds 1000, failover-timeout 6000). Each round
# builds the topology for each kind in turn, kills the master with SIGKILL and measures, as a
# redis-py client sees it through the sentinels, the time until the first write the new master accepts (bench/failover_probe.py). Prints every round and
# the median of ROUNDS (default 5). Loopback only; everything started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
NODES=${NODES:-redis-server}
[ -x ./csredis-sentinel ] || { echo "missing ./csredis-sentinel: run make first" >&2; exit 1; }
/usr/bin/python3 -c 'import redis' 2>/dev/null || { echo "needs Debian's python3-redis (make test-deps)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/csredis-failover.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 200); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timed out: $1" >&2; exit 1; }

one_round() { # kind -> prints milliseconds
  local kind=$1 bin dir m r1 r2 s mpid ports=()
  [ "$kind" = csredis ] && bin=./csredis-sentinel || bin=redis-sentinel
  dir=$(mktemp -d "$WORK/$kind.XXXX")
  m=$(free_port); "$NODES" --port "$m" --bind 127.0.0.1 --save "" --dir "$dir" --logfile "$dir/m.log" & mpid=$!; PIDS+=($mpid)
  wait_for "redis-cli -p $m ping"
  for _ in 1 2; do r=$(free_port); "$NODES" --port "$r" --bind 127.0.0.1 --save "" --dir "$dir" --logfile "$dir/r$r.log" --replicaof 127.0.0.1 "$m" & PIDS+=($!)
    wait_for "redis-cli -p $r info replication | grep -q master_link_status:up"; done
  for i in 1 2 3; do s=$(free_port); ports+=("$s")
    printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 6000\n' \
      "$s" "$dir" "$dir/s$s.log" "$m" > "$dir/s$s.conf"
    "$bin" "$dir/s$s.conf" & PIDS+=($!); done
  for s in "${ports[@]}"; do
    wait_for "redis-cli -p $s sentinel master mymaster | grep -A1 -x num-other-sentinels | tail -1 | grep -qx 2 && redis-cli -p $s sentinel master mymaster | grep -A1 -x num-slaves | tail -1 | grep -qx 2"
  done
  /usr/bin/python3 bench/failover_probe.py "$mpid" "$m" "${ports[@]}"
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; PIDS=()
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A times=([csredis]="" [redis]="")
printf '%-6s %18s %16s\n' round csredis-sentinel redis-sentinel
for round in $(seq 1 "$ROUNDS"); do
  c=$(one_round csredis); r=$(one_round redis)
  times[csredis]+="$c"$'\n'; times[redis]+="$r"$'\n'
  printf '%-6s %15s ms %13s ms\n' "$round" "$c" "$r"
done
mc=$(printf '%s' "${times[csredis]}" | median); mr=$(printf '%s' "${times[redis]}" | median)
printf '%-6s %15s ms %13s ms\n' median "$mc" "$mr"
echo "failover time = SIGKILL of the master -> first write accepted by the new master, seen by a redis-py Sentinel client; down-after-milliseconds 1000; nodes: $NODES"
