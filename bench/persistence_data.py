#!/usr/bin/python3
# The mixed data set of bench/persistence.sh, as RESP commands on stdout for `redis-cli --pipe`:
# KEYS keys in total (default 1,000,000), the same bytes on every run (seeded), so both servers
# get the identical data set (the script checks their DEBUG DIGEST). Mix, by share of the keys:
#  * strings (76%): integers, short words and 100-byte compressible texts, 10% with a TTL;
#  * small collections (6% each): 5-element lists, hashes, sets of integers (intset) and of
#    words, sorted sets: the listpack/intset encodings;
#  * big collections: BIG of each of list, hash, set and sorted set with BIG_SIZE elements
#    (defaults 50 and 10,000): quicklists, hash tables, skiplists.
# usage: persistence_data.py [KEYS] [BIG] [BIG_SIZE] > data.resp
import random
import sys

keys = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
big = int(sys.argv[2]) if len(sys.argv) > 2 else 50
big_size = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
rng = random.Random(20260712)
out = sys.stdout.buffer
chunk = []


def command(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    chunk.append(b"".join(parts))
    if len(chunk) >= 10_000:
        out.write(b"".join(chunk))
        chunk.clear()


words = [("w%x" % rng.getrandbits(40)).encode() for _ in range(4096)]
text = b"the quick brown fox jumps over the lazy dog " * 3

big_keys = 4 * big
small_each = keys * 6 // 100
strings = keys - big_keys - 5 * small_each

for i in range(strings):
    kind = i % 4
    key = b"str:%08d" % i
    if kind == 0:
        value = b"%d" % rng.randrange(-10**9, 10**9)
    elif kind == 1:
        value = words[i % len(words)]
    elif kind == 2:
        value = text[i % 40:i % 40 + 100]
    else:
        value = b"%d" % rng.getrandbits(62)
    if i % 10 == 0:
        command(b"SET", key, value, b"EX", 86400 + i % 1000)
    else:
        command(b"SET", key, value)

for i in range(small_each):
    command(b"RPUSH", b"list:%07d" % i, *[words[(i + j) % len(words)] for j in range(5)])
    command(b"HSET", b"hash:%07d" % i, *[x for j in range(5) for x in (b"f%d" % j, words[(i * 7 + j) % len(words)])])
    command(b"SADD", b"iset:%07d" % i, *[b"%d" % (i + j * 1000) for j in range(5)])
    command(b"SADD", b"sset:%07d" % i, *[words[(i * 3 + j) % len(words)] for j in range(5)])
    command(b"ZADD", b"zset:%07d" % i, *[x for j in range(5) for x in (b"%d" % (j * 10 + i % 7), words[(i * 5 + j) % len(words)])])

for i in range(big):
    members = [b"m:%d:%d" % (i, j) for j in range(big_size)]
    for start in range(0, big_size, 1000):
        part = members[start:start + 1000]
        command(b"RPUSH", b"biglist:%d" % i, *part)
        command(b"HSET", b"bighash:%d" % i, *[x for m in part for x in (m, words[len(m) % len(words)])])
        command(b"SADD", b"bigset:%d" % i, *part)
        command(b"ZADD", b"bigzset:%d" % i, *[x for j, m in enumerate(part) for x in (b"%d.5" % (start + j), m)])

out.write(b"".join(chunk))
