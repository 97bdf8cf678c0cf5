#!/usr/bin/env python3
# Memory of lists and hashes: loads the same data into real redis-server and ./csredis-server (each
# freshly started on a free loopback port, save "" and no AOF), one data set per server process, and
# prints VmRSS before and after the load (and INFO used_memory where the server reports it).
# The load is pipelined RESP written straight to the socket, 200 commands per batch.
#
# Usage: bench/memory-lists-hashes.py [dataset ...]
#   datasets: bighash (1M fields), bigzset (1M members), biglist (1M elements),
#             smallhashes (100k x 10 fields), smalllists (100k x 10 elements),
#             inthashes (100k x 10 integer fields); default: all.
# Environment: CSREDIS=./csredis-server REDIS=redis-server CLI=redis-cli
import os
import socket
import subprocess
import sys
import time

CSREDIS = os.environ.get("CSREDIS", "./csredis-server")
REDIS = os.environ.get("REDIS", "redis-server")
CLI = os.environ.get("CLI", "redis-cli")


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def dataset(name):
    if name == "bighash":
        for i in range(0, 1_000_000, 100):
            args = [b"HSET", b"bighash"]
            for j in range(i, i + 100):
                args += [b"field:%d" % j, b"value:%d" % j]
            yield resp(*args)
    elif name == "bigzset":
        for i in range(0, 1_000_000, 100):
            args = [b"ZADD", b"bigzset"]
            for j in range(i, i + 100):
                args += [b"%d" % (j * 7919 % 1_000_003), b"member:%d" % j]
            yield resp(*args)
    elif name == "biglist":
        for i in range(0, 1_000_000, 100):
            yield resp(b"RPUSH", b"biglist", *[b"element:%d" % j for j in range(i, i + 100)])
    elif name == "smallhashes":
        for i in range(100_000):
            args = [b"HSET", b"user:%d" % i]
            for j in range(10):
                args += [b"f%d" % j, b"value-%d-%d" % (i, j)]
            yield resp(*args)
    elif name == "smalllists":
        for i in range(100_000):
            yield resp(b"RPUSH", b"list:%d" % i, *[b"item-%d-%d" % (i, j) for j in range(10)])
    elif name == "inthashes":
        for i in range(100_000):
            args = [b"HSET", b"h:%d" % i]
            for j in range(10):
                args += [b"%d" % j, b"%d" % (i * 10 + j)]
            yield resp(*args)
    else:
        raise SystemExit("unknown dataset " + name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def load(port, commands):
    with socket.create_connection(("127.0.0.1", port)) as s:
        batch = []

        def flush():
            s.sendall(b"".join(batch))
            expected, got, buf = len(batch), 0, b""
            while got < expected:  # every reply here is one line (integer or +OK)
                data = s.recv(1 << 20)
                if not data:
                    raise ConnectionError("server closed the connection")
                buf += data
                got = buf.count(b"\r\n")
            batch.clear()

        for command in commands:
            batch.append(command)
            if len(batch) >= 200:
                flush()
        if batch:
            flush()


def used_memory(port):
    out = subprocess.run([CLI, "-p", str(port), "info", "memory"], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def measure(name, binary, data):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        before = rss_kb(proc.pid)
        started = time.time()
        load(port, dataset(data))
        seconds = time.time() - started
        time.sleep(1)
        after = rss_kb(proc.pid)
        used = used_memory(port)
        return before, after, used, seconds
    finally:
        proc.terminate()
        proc.wait()


def main():
    datasets = sys.argv[1:] or ["bighash", "bigzset", "biglist", "smallhashes", "smalllists", "inthashes"]
    # The ratios (csredis / Redis) are of the loaded process's RSS and of used_memory: <= 1.00 is the target.
    print("| dataset     | server  | RSS0 MB | RSS MB  | delta   | used_memory MB | load s | RSS ratio | used ratio |")
    print("|-------------|---------|---------|---------|---------|----------------|--------|-----------|------------|")
    for data in datasets:
        rows = {name: measure(name, binary, data) for name, binary in (("redis", REDIS), ("csredis", CSREDIS))}
        for name, (before, after, used, seconds) in rows.items():
            ratios = "|           |            |"
            if name == "csredis":
                _, redis_after, redis_used, _ = rows["redis"]
                used_ratio = f"{used / redis_used:.2f}" if used and redis_used else "n/a"
                ratios = f"| {after / redis_after:9.2f} | {used_ratio:>10} |"
            print(f"| {data:11} | {name:7} | {before / 1024:7.1f} | {after / 1024:7.1f} | {(after - before) / 1024:7.1f} | "
                  f"{'-' if used is None else f'{used / 1048576:.1f}':>14} | {seconds:6.1f} {ratios}", flush=True)


if __name__ == "__main__":
    main()
