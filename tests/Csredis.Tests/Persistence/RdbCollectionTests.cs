// Lists, hashes, sets and sorted sets in both of their encodings, in two databases and with
// expiries, cross between real Redis 7.0 and csredis through RDB files and DUMP payloads, with
// equal DEBUG DIGEST on both sides; redis-check-rdb accepts the file csredis wrote.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Persistence;

public class RdbCollectionTests
{
    static readonly int[] Sizes = [1, 3, 20, 200, 700, 3000];

    static object Element(Random random, int i) => (random.Next(5)) switch
    {
        0 => random.Next(-1_000_000, 1_000_000),
        1 => random.NextInt64(long.MinValue, long.MaxValue),
        2 => new string('s', random.Next(0, 90)),
        3 => RandomBytes(random, random.Next(1, 40)),
        _ => $"e{i}",
    };

    /// <summary>Collections written with real Redis's commands (ZADD is not in every csredis branch yet).</summary>
    static void FillCollections(RawClient c, int seed)
    {
        var random = new Random(seed);
        var commands = new List<byte[][]>();
        for (int i = 0; i < 60; i++)
        {
            int n = Sizes[i % Sizes.Length];
            commands.Add(Cmd(["RPUSH", $"list:{i}", .. Enumerable.Range(0, n).Select(j => Element(random, j))]));
            commands.Add(Cmd(["HSET", $"hash:{i}", .. Enumerable.Range(0, n).SelectMany(j => new[] { $"f{j}", Element(random, j) })]));
            commands.Add(Cmd(["SADD", $"ints:{i}", .. Enumerable.Range(0, n).Select(j => (object)(i % 2 == 0 ? random.Next(-100, 40_000) : random.NextInt64(-(1L << 40), 1L << 40)))]));
            commands.Add(Cmd(["SADD", $"set:{i}", .. Enumerable.Range(0, n).Select(j => Element(random, j))]));
            commands.Add(Cmd(["ZADD", $"zset:{i}", .. Enumerable.Range(0, n).SelectMany(j => new[]
            {
                (object)(random.Next(4) switch { 0 => random.Next(-5, 5).ToString(), 1 => (random.NextDouble() * 1e6).ToString("R"), 2 => "-inf", _ => "1e300" }),
                Element(random, j),
            })]));
            if (i % 5 == 0) commands.Add(Cmd("PEXPIREAT", $"hash:{i}", 4_000_000_000_000L));
        }
        Assert.Empty(Pipeline(c, commands));
    }

    [Fact]
    public void CollectionsCrossBothWaysThroughRdbFiles()
    {
        using var dir = new DataDir();
        string digest;
        var encodings = new Dictionary<string, string>();
        string[] probes = ["list:0", "hash:1", "hash:4", "ints:2", "ints:3", "ints:5", "set:1", "zset:1", "zset:4"];
        using (var redis = ServerProcess.StartRedis(ServerArgs(dir)))
        using (var rc = redis.Connect())
        {
            FillCollections(rc, seed: 21);
            // A second database with its own collections and expiries.
            Exec(rc, "SELECT", 5);
            FillCollections(rc, seed: 23);
            Exec(rc, "SELECT", 0);
            digest = Digest(rc);
            foreach (var key in probes) encodings[key] = Exec(rc, "OBJECT", "ENCODING", key).Text;
            Assert.Equal("OK", Exec(rc, "SAVE").Text);
        }
        using (var csredis = ServerProcess.StartCsredis(ServerArgs(dir)))
        using (var cc = csredis.Connect())
        {
            Assert.Equal(digest, Digest(cc));
            foreach (var key in probes) Assert.Equal(encodings[key], Exec(cc, "OBJECT", "ENCODING", key).Text);
            File.Delete(dir.File());
            Assert.Equal("OK", Exec(cc, "SAVE").Text);
        }
        var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("redis-check-rdb", dir.File()) { RedirectStandardOutput = true })!;
        string report = check.StandardOutput.ReadToEnd();
        check.WaitForExit();
        Assert.True(check.ExitCode == 0 && report.Contains("RDB looks OK!") && report.Contains("Checksum OK"), report);
        using (var redis = ServerProcess.StartRedis(ServerArgs(dir)))
        using (var rc = redis.Connect())
        {
            PersistenceKit.WaitFor(() => !Exec(rc, "PING").IsError, TimeSpan.FromSeconds(30), "redis to load");
            Assert.Equal(digest, Digest(rc));
            foreach (var key in probes) Assert.Equal(encodings[key], Exec(rc, "OBJECT", "ENCODING", key).Text);
        }
    }

    [Fact]
    public void CollectionDumpsRestoreAcrossServers()
    {
        using var dir = new DataDir();
        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var rc = redis.Connect();
        FillCollections(rc, seed: 22);
        Assert.Equal("OK", Exec(rc, "SAVE").Text);
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var cc = csredis.Connect();
        foreach (var prefix in new[] { "list", "hash", "ints", "set", "zset" })
        {
            for (int i = 0; i < 12; i++)
            {
                string key = $"{prefix}:{i}";
                var fromRedis = Exec(rc, "DUMP", key).Payload!;
                var fromCsredis = Exec(cc, "DUMP", key).Payload!;
                Assert.Equal("OK", Exec(cc, "RESTORE", "copy:" + key, 0, fromRedis).Text);
                Assert.Equal("OK", Exec(rc, "RESTORE", "copy:" + key, 0, fromCsredis).Text);
                // DIGEST-VALUE mixes in whether the key has a TTL; the copies have none.
                Exec(rc, "PERSIST", key);
                var expected = RespFrame.Escape(Exec(rc, "DEBUG", "DIGEST-VALUE", key).Raw);
                Assert.Equal(expected, RespFrame.Escape(Exec(rc, "DEBUG", "DIGEST-VALUE", "copy:" + key).Raw));
                Assert.True(expected == RespFrame.Escape(Exec(cc, "DEBUG", "DIGEST-VALUE", "copy:" + key).Raw), key);
            }
        }
    }
}
