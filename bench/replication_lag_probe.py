#!/usr/bin/python3
# Samples a master's replication lag while a load runs: every 10 ms, INFO replication on one
# connection; lag = master_repl_offset minus the first replica's acknowledged offset (slave0 offset=).
# A replica acknowledges once a second, so that lag is a sawtooth whose mean is about half a second
# of stream whatever the master does. The part the master's speed decides is how far behind the
# replica is when it acknowledges: the lag in the first sample after each new ack offset, which is
# reported separately (its mean over the acks of the run).
# usage: replication_lag_probe.py MASTER_PORT LOAD_PID
# prints: samples mean_lag max_lag acks mean_lag_at_ack   (bytes)
import os, sys, time
import redis

port, load_pid = int(sys.argv[1]), int(sys.argv[2])
master = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)


def load_running():
    try:
        os.kill(load_pid, 0)
        return True
    except ProcessLookupError:
        return False


samples = total = largest = 0
acks = at_ack_total = 0
last_ack = None
while load_running():
    info = master.info("replication")
    offset = info.get("master_repl_offset")
    replica = info.get("slave0")
    if offset is not None and isinstance(replica, dict) and "offset" in replica:
        ack = int(replica["offset"])
        lag = offset - ack
        samples += 1
        total += lag
        largest = max(largest, lag)
        if last_ack is not None and ack != last_ack:
            acks += 1
            at_ack_total += lag
        last_ack = ack
    time.sleep(0.01)
print(samples, total // max(samples, 1), largest, acks, at_ack_total // max(acks, 1))
