#!/usr/bin/python3
# A sentinel-aware client (redis-py, Debian's python3-redis): finds "mymaster" through the
# sentinels given on the command line and writes a new key every 50 ms for SECONDS seconds,
# reconnecting through the sentinels whenever the master fails. Prints "ok HOST:PORT KEY" for
# every acknowledged write, "err ..." for failures.
# usage: sentinel_writer.py SECONDS SENTINEL_PORT...
import sys, time
import redis
from redis.sentinel import Sentinel

seconds = float(sys.argv[1])
sentinel = Sentinel([("127.0.0.1", int(p)) for p in sys.argv[2:]], socket_timeout=0.5)
master = sentinel.master_for("mymaster", socket_timeout=0.5, socket_connect_timeout=0.5)
deadline = time.time() + seconds
i = 0
while time.time() < deadline:
    key = "w%d" % i
    i += 1
    try:
        master.set(key, "v")
        host, port = master.connection_pool.get_master_address()
        print("ok %s:%d %s" % (host, port, key), flush=True)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ReadOnlyError) as e:
        print("err %s %s" % (key, type(e).__name__), flush=True)
    time.sleep(0.05)
