// The master side of replication against the real thing: a real redis-server 7.0 replicates from
// ./csredis-server (full sync by disk and diskless with writes during the sync, streaming, partial
// resync after the link is killed, DEBUG DIGEST equal at the end), the replication stream csredis
// emits compared byte for byte with what real Redis emits for the same commands (a raw PSYNC
// connection against each), WAIT and min-replicas-to-write (NOREPLICAS) compared with Redis.
using System.Text;
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Replication;

public sealed class MasterReplicationTests
{
    static string Info(RawClient c, string field)
    {
        var text = RespFrame.Parse(c.Execute("INFO", "replication")).Text;
        foreach (var line in text.Split("\r\n"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal)) return line[(field.Length + 1)..];
        return "";
    }

    static void Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > end) throw new Xunit.Sdk.XunitException("timed out waiting for " + what);
            Thread.Sleep(50);
        }
    }

    static string Digest(RawClient c) => RespFrame.Parse(c.Execute("DEBUG", "DIGEST")).Text;

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"csredis-repl-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Values of every type, several databases, TTLs, big and small encodings.</summary>
    static void Populate(RawClient c, int keys)
    {
        for (int i = 0; i < keys; i++)
        {
            c.Send("SET", $"s:{i}", $"value-{i}");
            c.Send("RPUSH", $"l:{i % 50}", $"e{i}");
            c.Send("HSET", $"h:{i % 50}", $"f{i}", $"{i}");
            c.Send("SADD", $"set:{i % 50}", $"{i}");
            c.Send("ZADD", $"z:{i % 50}", $"{i}", $"m{i}");
        }
        c.Send("SET", "big", new string('x', 100_000));
        c.Send("SET", "ttl", "v", "EX", "1000");
        c.Send("SELECT", "3");
        c.Send("SET", "in-db3", "1");
        c.Send("PFADD", "hll", "a", "b", "c");
        c.Send("SELECT", "0");
        c.Send("PING");
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // Drain the pipeline: the last reply is PONG.
        while (DateTime.UtcNow < end && !Encoding.ASCII.GetString(c.ReadUntilQuiet(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30))).EndsWith("+PONG\r\n")) { }
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void RealRedisReplicaFullSyncStreamAndPartialResync(string diskless)
    {
        var dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis("--save", "", "--dir", dir, "--enable-debug-command", "yes",
                "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0");
            using var mc = master.Connect();
            Populate(mc, 5000);

            // Writes keep coming while the replica attaches and receives the snapshot.
            using var writerClient = master.Connect();
            var stop = new ManualResetEventSlim();
            var writer = new Thread(() =>
            {
                int i = 0;
                while (!stop.IsSet)
                {
                    writerClient.Execute("INCR", "counter");
                    writerClient.Execute("SET", $"during:{i % 3000}", $"{i}");
                    writerClient.Execute("LPUSH", $"l:{i % 50}", $"d{i}");
                    writerClient.Execute("HINCRBY", $"h:{i % 50}", "n", "1");
                    writerClient.Execute("ZINCRBY", $"z:{i % 50}", "1", "m1");
                    writerClient.Execute("EXPIRE", $"s:{i % 5000}", "10000");
                    i++;
                }
            });
            writer.Start();
            using var replica = ServerProcess.StartRedis("--save", "", "--dir", dir, "--dbfilename", "replica.rdb", "--enable-debug-command", "yes",
                "--replicaof", "127.0.0.1", master.Port.ToString());
            using var rc = replica.Connect();
            Eventually(() => Info(rc, "master_link_status") == "up", TimeSpan.FromSeconds(30), "the replica's link");
            Thread.Sleep(300);
            stop.Set();
            writer.Join();
            Eventually(() => Info(rc, "slave_repl_offset") == Info(mc, "master_repl_offset"), TimeSpan.FromSeconds(10), "the replica to catch up");
            Assert.Equal(Digest(mc), Digest(rc));
            string name = $"127.0.0.1:{replica.Port}";
            master.AssertLogged($"Replica {name} asks for synchronization");
            master.AssertLogged($"Full resync requested by replica {name}");
            master.AssertLogged("Starting BGSAVE for SYNC with target: " + (diskless == "yes" ? "replicas sockets" : "disk"));
            master.AssertLogged($"Synchronization with replica {name} succeeded");
            Assert.Matches($"slave0:ip=127.0.0.1,port={replica.Port},state=online,offset=\\d+,lag=\\d+", RespFrame.Parse(mc.Execute("INFO", "replication")).Text);
            Assert.Equal("1", Info(mc, "connected_slaves"));
            Assert.Equal("1", Info(mc, "repl_backlog_active"));

            // The link drops; the replica continues from the backlog.
            mc.Execute("CLIENT", "KILL", "TYPE", "replica");
            mc.Execute("SET", "after-kill", "1");
            mc.Execute("SELECT", "5");
            mc.Execute("SADD", "after-kill-set", "a", "b");
            mc.Execute("SELECT", "0");
            Eventually(() => replica.LogText.Contains("Successful partial resynchronization with master."), TimeSpan.FromSeconds(15), "the partial resync");
            Assert.Matches($"Partial resynchronization request from {Regex.Escape(name)} accepted. Sending \\d+ bytes of backlog starting from offset \\d+.", master.LogText);
            master.AssertLogged($"Connection with replica {name} lost.");
            Eventually(() => Info(rc, "slave_repl_offset") == Info(mc, "master_repl_offset"), TimeSpan.FromSeconds(10), "the replica to catch up again");
            Assert.Equal(Digest(mc), Digest(rc));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ReplicasArrivingDuringTheDisklessDelayShareOneSnapshot()
    {
        var dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis("--save", "", "--dir", dir, "--enable-debug-command", "yes",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2");
            using var mc = master.Connect();
            Populate(mc, 2000);
            using var r1 = ServerProcess.StartRedis("--save", "", "--dir", dir, "--dbfilename", "r1.rdb", "--enable-debug-command", "yes", "--replicaof", "127.0.0.1", master.Port.ToString());
            using var r2 = ServerProcess.StartRedis("--save", "", "--dir", dir, "--dbfilename", "r2.rdb", "--enable-debug-command", "yes", "--replicaof", "127.0.0.1", master.Port.ToString());
            using var c1 = r1.Connect();
            using var c2 = r2.Connect();
            Eventually(() => Info(c1, "master_link_status") == "up" && Info(c2, "master_link_status") == "up", TimeSpan.FromSeconds(30), "both links");
            mc.Execute("SET", "after", "sync");
            Eventually(() => Info(c1, "slave_repl_offset") == Info(mc, "master_repl_offset") && Info(c2, "slave_repl_offset") == Info(mc, "master_repl_offset"),
                TimeSpan.FromSeconds(10), "both replicas to catch up");
            Assert.Equal(Digest(mc), Digest(c1));
            Assert.Equal(Digest(mc), Digest(c2));
            master.AssertLogged("Delay next BGSAVE for diskless SYNC");
            Assert.Single(Regex.Matches(master.LogText, "Starting BGSAVE for SYNC with target: replicas sockets"));
            Assert.Equal("2", Info(mc, "connected_slaves"));
            Assert.Contains("state=online", Info(mc, "slave1"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ReplicaPastItsOutputBufferLimitIsDropped()
    {
        var dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis("--save", "", "--dir", dir, "--repl-diskless-sync", "no",
                "--client-output-buffer-limit", "replica 1mb 0 0");
            using var link = master.Connect();
            link.Execute("REPLCONF", "listening-port", "4242");
            link.Send("PSYNC", "?", "-1");
            using var mc = master.Connect();
            Eventually(() => Info(mc, "slave0").Contains("state=online"), TimeSpan.FromSeconds(10), "the raw replica online");
            // The "replica" never reads: its stream piles up past the hard limit.
            var value = new string('v', 64 * 1024);
            for (int i = 0; i < 200 && Info(mc, "connected_slaves") != "0"; i++) mc.Execute("SET", $"k{i}", value);
            Eventually(() => Info(mc, "connected_slaves") == "0", TimeSpan.FromSeconds(10), "the replica to be dropped");
            master.AssertLogged("scheduled to be closed ASAP for overcoming of output buffer limits.");
            master.AssertLogged("Connection with replica 127.0.0.1:4242 lost.");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Connects as a replica (PSYNC ? -1, disk transfer), then returns what the stream carries after <paramref name="commands"/> run.</summary>
    static string StreamFor(string serverName, string[][] commands)
    {
        var dir = TempDir();
        try
        {
            using var server = ServerProcess.Start(serverName, "--save", "", "--dir", dir, "--repl-diskless-sync", "no", "--repl-ping-replica-period", "3600");
            using var link = server.Connect();
            Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(link.Execute("REPLCONF", "listening-port", "1")));
            Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(link.Execute("REPLCONF", "capa", "psync2")));
            link.Send("PSYNC", "?", "-1");
            var head = new List<byte>();
            // +FULLRESYNC line, keep-alive newlines, $<len>\r\n, the RDB.
            var end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            int rdbEnd = -1;
            while (rdbEnd < 0 && DateTime.UtcNow < end)
            {
                head.AddRange(link.ReadUntilQuiet(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)));
                var text = Encoding.Latin1.GetString(head.ToArray());
                var m = Regex.Match(text, "^\\+FULLRESYNC [0-9a-f]{40} \\d+\r\n\n*\\$(\\d+)\r\n");
                if (m.Success && head.Count >= m.Length + int.Parse(m.Groups[1].Value)) rdbEnd = m.Length + int.Parse(m.Groups[1].Value);
            }
            Assert.True(rdbEnd >= 0, "no RDB from " + serverName);
            var afterRdb = head.Skip(rdbEnd).ToList();
            using var c = server.Connect();
            foreach (var cmd in commands)
            {
                if (cmd[0] == "#sleep") { Thread.Sleep(int.Parse(cmd[1])); continue; }
                if (cmd[0] == "#restore")
                {
                    // RESTORE target ttl <DUMP of source> [options...]
                    var payload = RespFrame.Parse(c.Execute("DUMP", cmd[1])).Payload!;
                    c.Execute([Encoding.UTF8.GetBytes("RESTORE"), Encoding.UTF8.GetBytes(cmd[2]), Encoding.UTF8.GetBytes(cmd[3]), payload,
                        .. cmd.Skip(4).Select(a => Encoding.UTF8.GetBytes(a))]);
                    continue;
                }
                c.Execute(cmd);
            }
            afterRdb.AddRange(link.ReadUntilQuiet(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5)));
            // Absolute times differ between the two runs; everything else must not.
            return Regex.Replace(RespFrame.Escape(afterRdb.ToArray()), "(?<!\\d)1\\d{12}(?!\\d)", "<ms>");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void PropagatedStreamMatchesRedis()
    {
        string[][] commands =
        [
            ["SET", "a", "1"], ["SELECT", "2"], ["SET", "b", "2"], ["EXPIRE", "b", "100"], ["PEXPIRE", "b", "200000", "GT"], ["PEXPIRE", "b", "1000", "GT"],
            ["EXPIRE", "b", "50", "NX"], ["EXPIREAT", "b", "99999999999"], ["PEXPIREAT", "b", "99999999999999"],
            ["SET", "c", "v", "EX", "100"], ["SET", "c2", "v", "PX", "100000", "NX"], ["SET", "c3", "v", "PXAT", "99999999999999"],
            ["SETEX", "d", "10", "v"], ["PSETEX", "d2", "10000", "v"], ["GETEX", "c", "EX", "50"], ["GETEX", "c", "PERSIST"], ["GETEX", "c", "EXAT", "1"],
            ["INCRBYFLOAT", "f", "1.5"], ["HINCRBYFLOAT", "h", "f", "2.5"], ["SADD", "s", "only"], ["SPOP", "s"],
            ["SADD", "s2", "x", "y"], ["SPOP", "s2", "5"], ["SET", "k", "v"], ["EXPIRE", "k", "-5"], ["DEL", "nonexistent"],
            ["MULTI"], ["SET", "m1", "1"], ["EXEC"], ["MULTI"], ["SET", "m1", "1"], ["SET", "m2", "2"], ["GET", "m1"], ["EXEC"],
            ["MULTI"], ["SELECT", "4"], ["SET", "x", "1"], ["INCR", "x"], ["EXEC"], ["SET", "y", "1"], ["SELECT", "2"],
            ["GETDEL", "m1"], ["RPUSH", "L", "a", "b", "c", "d"], ["LMPOP", "1", "L", "LEFT", "COUNT", "2"], ["BLPOP", "L", "0"],
            ["RPUSH", "L", "e"], ["BLMOVE", "L", "L2", "LEFT", "RIGHT", "0"], ["BRPOPLPUSH", "L2", "L3", "0"], ["BLMPOP", "0", "1", "L3", "RIGHT", "COUNT", "9"],
            ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["BZPOPMIN", "z", "0"], ["ZMPOP", "1", "z", "MAX", "COUNT", "5"],
            ["SET", "e", "v", "PX", "1"], ["#sleep", "20"], ["GET", "e"], ["INCRBY", "n", "0"], ["APPEND", "n", ""], ["SET", "nx", "1", "NX"], ["SET", "nx", "2", "NX"],
            ["FLUSHDB"], ["SWAPDB", "0", "1"],
        ];
        var redis = StreamFor(ServerProcess.RedisName, commands);
        var csredis = StreamFor(ServerProcess.CsredisName, commands);
        Assert.Equal(redis.Replace("*", "\n*"), csredis.Replace("*", "\n*"));
    }

    [Fact]
    public void PropagatedStreamMatchesRedisForEveryFamily()
    {
        string[][] commands =
        [
            ["MSET", "a", "1", "b", "2"], ["MSETNX", "a", "1", "c", "3"], ["MSETNX", "x1", "1", "x2", "2"], ["INCR", "a"], ["DECRBY", "a", "5"],
            ["INCR", "new"], ["SETRANGE", "b", "3", "zz"], ["APPEND", "b", "tail"], ["GETSET", "b", "g"], ["SETNX", "b", "no"], ["SETNX", "sn", "yes"],
            ["SETBIT", "bits", "7", "1"], ["SETBIT", "bits", "7", "1"], ["BITOP", "OR", "bits2", "bits", "a"], ["BITFIELD", "bf", "SET", "u8", "0", "200", "GET", "u8", "0"],
            ["PFADD", "hll", "a", "b"], ["PFADD", "hll", "a"], ["PFCOUNT", "hll"], ["PFMERGE", "hll2", "hll"],
            ["RPUSH", "l", "a", "b", "c", "b"], ["LSET", "l", "0", "z"], ["LINSERT", "l", "BEFORE", "c", "y"], ["LREM", "l", "1", "b"], ["LTRIM", "l", "0", "1"],
            ["LPUSHX", "nolist", "a"], ["RPOP", "l"], ["LPOP", "l", "5"], ["LPOP", "l"], ["LMOVE", "nolist", "l2", "LEFT", "LEFT"],
            ["HSET", "h", "a", "1", "b", "2"], ["HSETNX", "h", "a", "9"], ["HSETNX", "h", "c", "3"], ["HINCRBY", "h", "a", "5"], ["HDEL", "h", "b", "zz"], ["HDEL", "h", "nope"],
            ["SADD", "s1", "a", "b", "c"], ["SADD", "s1", "a"], ["SADD", "s2", "b", "c", "d"], ["SREM", "s1", "zz"], ["SMOVE", "s1", "s2", "a"], ["SINTERSTORE", "si", "s1", "s2"],
            ["SUNIONSTORE", "su", "s1", "s2"], ["SDIFFSTORE", "sd", "s2", "s1"], ["SINTERSTORE", "empty", "s1", "nothing"],
            ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "NX", "1", "a"], ["ZINCRBY", "z", "2", "a"], ["ZREM", "z", "nope"], ["ZREMRANGEBYSCORE", "z", "0", "1"],
            ["ZUNIONSTORE", "zu", "1", "z"], ["ZRANGESTORE", "zr", "z", "0", "-1"], ["ZPOPMAX", "z"], ["ZADD", "z", "INCR", "5", "q"],
            ["SET", "r", "v"], ["RENAME", "r", "r2"], ["RENAMENX", "r2", "a"], ["COPY", "r2", "r3"], ["MOVE", "r3", "5"], ["PERSIST", "r2"], ["EXPIRE", "r2", "100"], ["PERSIST", "r2"],
            ["SORT", "l2", "STORE", "sorted"], ["RPUSH", "nums", "3", "1", "2"], ["SORT", "nums", "STORE", "sorted"], ["DEL", "a", "b", "nope"], ["UNLINK", "c", "nope"],
            ["SET", "src", "hello"], ["#restore", "src", "k1", "0"], ["#restore", "src", "k2", "100000"], ["#restore", "src", "k3", "99999999999999", "ABSTTL"],
            ["#restore", "src", "k1", "5000", "REPLACE", "IDLETIME", "10"], ["#restore", "src", "k1", "1", "REPLACE", "ABSTTL"],
            ["SELECT", "5"], ["DEL", "r3"], ["SELECT", "0"], ["FLUSHALL"],
        ];
        var redis = StreamFor(ServerProcess.RedisName, commands);
        var csredis = StreamFor(ServerProcess.CsredisName, commands);
        Assert.Equal(redis.Replace("*", "\n*"), csredis.Replace("*", "\n*"));
    }

    [Fact]
    public void WaitCountsAcknowledgingReplicas()
    {
        var dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis("--save", "", "--dir", dir, "--repl-diskless-sync-delay", "0");
            using var mc = master.Connect();
            Assert.Equal(":0\r\n", Encoding.ASCII.GetString(mc.Execute("WAIT", "0", "0")));
            Assert.Equal("-ERR timeout is negative\r\n", Encoding.ASCII.GetString(mc.Execute("WAIT", "1", "-1")));
            using var replica = ServerProcess.StartRedis("--save", "", "--dir", dir, "--dbfilename", "r.rdb", "--replicaof", "127.0.0.1", master.Port.ToString());
            using var rc = replica.Connect();
            Eventually(() => Info(rc, "master_link_status") == "up", TimeSpan.FromSeconds(20), "the replica's link");
            mc.Execute("SET", "k", "v");
            Assert.Equal(":1\r\n", Encoding.ASCII.GetString(mc.Execute("WAIT", "1", "5000")));
            var started = DateTime.UtcNow;
            Assert.Equal(":1\r\n", Encoding.ASCII.GetString(mc.Execute("WAIT", "2", "300")));
            Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250), "WAIT 2 returned before its timeout");
            Assert.Equal("v", RespFrame.Parse(rc.Execute("GET", "k")).Text);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void MinReplicasToWriteRefusesWritesLikeRedis()
    {
        string[] args = ["--save", "", "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
        var replies = new List<string>[2];
        string[] names = [ServerProcess.RedisName, ServerProcess.CsredisName];
        for (int i = 0; i < 2; i++)
        {
            using var server = ServerProcess.Start(names[i], args);
            using var c = server.Connect();
            replies[i] =
            [
                c.ExecuteEscaped("SET", "k", "v"), c.ExecuteEscaped("GET", "k"), c.ExecuteEscaped("MULTI"), c.ExecuteEscaped("INCR", "x"),
                c.ExecuteEscaped("EXEC"), c.ExecuteEscaped("CONFIG", "SET", "min-slaves-to-write", "0"), c.ExecuteEscaped("SET", "k", "v"),
                c.ExecuteEscaped("CONFIG", "GET", "min-slaves-max-lag"),
            ];
        }
        Assert.Equal(replies[0], replies[1]);
        Assert.StartsWith("-NOREPLICAS Not enough good replicas to write.", replies[1][0]);
    }
}
