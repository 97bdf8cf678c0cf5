#!/usr/bin/python3
# One failover measurement, as a client sees it: a redis-py Sentinel client writes through the
# sentinels every 10 ms; the master is killed with SIGKILL; the figure is the time from the kill
# to the first write accepted by the new master (the client rediscovers it through the sentinels).
# usage: failover_probe.py MASTER_PID MASTER_PORT SENTINEL_PORT...   prints milliseconds
import os, signal, sys, time
import redis
from redis.sentinel import Sentinel

pid, old_port = int(sys.argv[1]), int(sys.argv[2])
sentinel = Sentinel([("127.0.0.1", int(p)) for p in sys.argv[3:]], socket_timeout=0.2)
master = sentinel.master_for("mymaster", socket_timeout=0.2, socket_connect_timeout=0.2)
for i in range(20):                      # warm: the client is connected and writing
    master.set("warm%d" % i, "v")
os.kill(pid, signal.SIGKILL)
killed = time.monotonic()
deadline = killed + 60
i = 0
while time.monotonic() < deadline:
    i += 1
    try:
        master.set("probe%d" % i, "v")
        host, port = master.connection_pool.get_master_address()
        if port != old_port:
            print("%.0f" % ((time.monotonic() - killed) * 1000))
            sys.exit(0)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ReadOnlyError):
        pass
    time.sleep(0.01)
print("timeout")
sys.exit(1)
