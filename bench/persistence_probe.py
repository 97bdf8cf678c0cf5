#!/usr/bin/python3
# One BGSAVE memory measurement for bench/persistence.sh: samples the memory of the server and of
# every process it forked (Redis's BGSAVE child) for a second, sends BGSAVE, samples every few
# milliseconds until INFO persistence says the save finished and for SETTLE seconds after (memory
# a snapshot leaves behind counts too), then prints one line of key=value figures in KiB:
#   rss_before rss_peak pss_before pss_peak (sums over the processes) seconds cow (rdb_last_cow_size).
# RSS counts a page shared by parent and fork child twice (as `ps` adds them up); PSS splits it.
# usage: persistence_probe.py PID PORT [SETTLE]
import os, sys, time
import redis

pid, port = int(sys.argv[1]), int(sys.argv[2])
settle = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)


def processes(root):
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def field(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample():
    procs = processes(pid)
    rss = sum(field("/proc/%d/status" % p, "VmRSS:") for p in procs)
    pss = sum(field("/proc/%d/smaps_rollup" % p, "Pss:") for p in procs)
    return rss, pss


def persistence():
    return r.info("persistence")


# The memory in the steady state under the write load, just before the save.
before = [sample() for _ in range(20) if time.sleep(0.05) is None]
rss_before = max(s[0] for s in before)
pss_before = max(s[1] for s in before)
started = time.monotonic()
r.bgsave()
rss_peak, pss_peak = rss_before, pss_before
done_at = None
n = 0
while True:
    rss, pss = sample()
    rss_peak, pss_peak = max(rss_peak, rss), max(pss_peak, pss)
    n += 1
    if done_at is None and n % 5 == 0:
        info = persistence()
        if not info["rdb_bgsave_in_progress"]:
            done_at = time.monotonic()
            if info["rdb_last_bgsave_status"] != "ok":
                sys.exit("BGSAVE failed")
            cow = info["rdb_last_cow_size"]
    if done_at is not None and time.monotonic() - done_at >= settle:
        break
    if time.monotonic() - started > 300:
        sys.exit("BGSAVE did not finish in 300 s")
    time.sleep(0.005)
print("rss_before=%d rss_peak=%d pss_before=%d pss_peak=%d seconds=%.2f cow=%d"
      % (rss_before, rss_peak, pss_before, pss_peak, done_at - started, cow // 1024))
