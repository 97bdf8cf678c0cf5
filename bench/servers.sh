# Shared by the benchmark scripts that run Redis and csredis side by side (compare.sh,
# persistence.sh): free ports, starting a server with the settings both get, stopping it, and
# writing the report. The caller sets REDIS, CSREDIS, CLI, WORK, REPORT, BENCH_NAME and declares
# the associative arrays PID and PORT.

binary_of() { if [ "$1" = redis ]; then echo "$REDIS"; else echo "$CSREDIS"; fi; }

# A port nobody listens on: random below the kernel's ephemeral range (so no outgoing connection
# holds it), checked by a failing connect.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(( 20000 + RANDOM % 12000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "$BENCH_NAME: no free port found" >&2; exit 1
}

# start_server NAME DIR: starts redis or csredis on DIR (loading its dump.rdb if there is one) with
# the settings both get, and waits until it answers PONG (not -LOADING). Log in $WORK/NAME.log,
# replaced on each start. A port taken between probing and binding costs a retry on another port.
start_server() {
  local name=$1 dir=$2 port attempt
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    port=$(free_port)
    "$(binary_of "$name")" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
      --enable-debug-command yes >"$WORK/$name.log" 2>&1 &
    PID[$name]=$!; PORT[$name]=$port
    for _ in $(seq 1 30000); do
      if [ "$("$CLI" -p "$port" ping 2>/dev/null)" = PONG ]; then return; fi
      kill -0 "${PID[$name]}" 2>/dev/null || break
      sleep 0.01
    done
    stop_server "$name"
    grep -q 'Address already in use' "$WORK/$name.log" || break
  done
  echo "$BENCH_NAME: $name did not start; its log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}

stop_server() {
  local name=$1 pid=${PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 3000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PID[$name]"
}

emit() { printf '%s\n' "$*" | tee -a "$REPORT"; }
# CPU seconds (user + system) the process has used, from /proc/PID/stat (fields 14 and 15, in ticks).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
