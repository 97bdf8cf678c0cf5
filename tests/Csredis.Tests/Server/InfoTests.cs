// INFO compared with real Redis 7.0: the same sections, and in each the same field names in the
// same order (per-command, per-error and per-db lines depend on what ran and are left out).
using Xunit;

namespace Csredis.Tests.Server;

public class InfoTests
{
    static List<(string Section, List<string> Fields)> Layout(string info)
    {
        var layout = new List<(string, List<string>)>();
        foreach (var raw in info.Split("\r\n"))
        {
            if (raw.StartsWith("# ", StringComparison.Ordinal)) { layout.Add((raw[2..], new List<string>())); continue; }
            int colon = raw.IndexOf(':');
            if (colon < 0) continue;
            string name = raw[..colon];
            if (name.StartsWith("cmdstat_") || name.StartsWith("errorstat_") || name.StartsWith("latency_percentiles_usec_") || System.Text.RegularExpressions.Regex.IsMatch(name, @"^db\d+$")) continue;
            layout[^1].Item2.Add(name);
        }
        return layout;
    }

    [Theory]
    [InlineData("")]
    [InlineData("everything")]
    [InlineData("all")]
    [InlineData("default")]
    [InlineData("commandstats cpu")]
    [InlineData("SERVER keyspace keyspace")]
    [InlineData("bogus")]
    public void SectionsAndFieldNamesMatchRedis(string sectionList)
    {
        var sections = sectionList.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dir = Paths.TempDir();
        try
        {
            using var redis = TestServer.Start(Paths.Redis, dir, "--save", "");
            using var ours = TestServer.Start(Paths.Csredis, dir, "--save", "");
            using var r = redis.Connect();
            using var o = ours.Connect();
            var args = new[] { "INFO" }.Concat(sections).ToArray();
            var expected = Layout((string)r.Call(args)!);
            var actual = Layout((string)o.Call(args)!);
            Assert.Equal(expected.Select(x => x.Section), actual.Select(x => x.Section));
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Fields, actual[i].Fields);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ValuesReflectServerState()
    {
        var dir = Paths.TempDir();
        try
        {
            using var ours = TestServer.Start(Paths.Csredis, dir, "--save", "");
            using var c = ours.Connect();
            c.Call("SET", "a", "1");
            c.Call("SET", "b", "2");
            c.Call("EXPIRE", "b", "100");
            c.Call("GET", "nokey");
            var info = (string)c.Call("INFO", "everything")!;
            Assert.Contains($"process_id:{ours.Pid}\r\n", info);
            Assert.Contains($"tcp_port:{ours.Port}\r\n", info);
            Assert.Contains("db0:keys=2,expires=1,", info);
            Assert.Contains("keyspace_misses:1\r\n", info);
            Assert.Contains("cmdstat_set:calls=2,", info);
            Assert.Contains("role:master\r\n", info);
            Assert.Contains("connected_clients:1\r\n", info);
            Assert.Matches(@"used_memory_rss:[1-9]\d*\r\n", info);
            Assert.Matches(@"used_cpu_user:\d+\.\d{6}\r\n", info);
            Assert.Matches(@"master_replid:[0-9a-f]{40}\r\n", info);
        }
        finally { Directory.Delete(dir, true); }
    }
}
