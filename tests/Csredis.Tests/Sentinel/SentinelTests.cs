// Sentinel scenes of the seeds, with real processes on loopback: real redis-server master and
// replica, sentinels that are csredis-sentinel or real redis-sentinel 7.0, a master killed with
// SIGKILL; plus the sentinel's replies compared with a real redis-sentinel watching the same master.
using System.Diagnostics;
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Sentinel;

public sealed class SentinelTests
{
    const string MasterName = "mymaster";

    static ServerProcess StartSentinel(string kind, int masterPort, int quorum)
    {
        var dir = Path.Combine(Path.GetTempPath(), "csredis-sentinel-conf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "sentinel.conf");
        File.WriteAllText(conf,
            $"sentinel monitor {MasterName} 127.0.0.1 {masterPort} {quorum}\n" +
            $"sentinel down-after-milliseconds {MasterName} 1000\n" +
            $"sentinel failover-timeout {MasterName} 10000\n");
        return ServerProcess.StartWithConfig(kind, conf);
    }

    static string Text(RawClient c, params string[] args) => RespFrame.Parse(c.Execute(args)).Text;

    static (string Ip, int Port) MasterAddress(ServerProcess sentinel)
    {
        using var c = sentinel.Connect();
        var reply = RespFrame.Parse(c.Execute("SENTINEL", "get-master-addr-by-name", MasterName));
        return (reply.Children[0].Text, int.Parse(reply.Children[1].Text));
    }

    static Dictionary<string, string> MasterFields(ServerProcess sentinel)
    {
        using var c = sentinel.Connect();
        var reply = RespFrame.Parse(c.Execute("SENTINEL", "master", MasterName));
        var fields = new Dictionary<string, string>();
        for (int i = 0; i + 1 < reply.Children.Count; i += 2) fields[reply.Children[i].Text] = reply.Children[i + 1].Text;
        return fields;
    }

    static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Func<string> diagnostics)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            try { if (condition()) return; } catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException) { }
            Thread.Sleep(100);
        }
        Assert.Fail($"timed out waiting for {what}\n{diagnostics()}");
    }

    static (ServerProcess Master, ServerProcess Replica) StartReplicatedPair()
    {
        var master = ServerProcess.StartRedis();
        var replica = ServerProcess.StartRedis("--replicaof", "127.0.0.1", master.Port.ToString(), "--repl-diskless-sync", "no");
        using var rc = replica.Connect();
        WaitFor(() => Text(rc, "INFO", "replication").Contains("master_link_status:up"), TimeSpan.FromSeconds(20), "replica link up", replica.Describe);
        return (master, replica);
    }

    [Theory]
    [InlineData(ServerProcess.CsredisSentinelName, ServerProcess.CsredisSentinelName, ServerProcess.CsredisSentinelName)]
    [InlineData(ServerProcess.CsredisSentinelName, ServerProcess.CsredisSentinelName, ServerProcess.RedisSentinelName)]
    public void SentinelsFailOverAKilledMaster(string first, string second, string third)
    {
        var (master, replica) = StartReplicatedPair();
        var sentinels = new[] { first, second, third }.Select(kind => StartSentinel(kind, master.Port, quorum: 2)).ToList();
        string Logs() => string.Join("\n----\n", sentinels.Select(s => s.Describe()));
        try
        {
            // Hello messages: every sentinel knows the two others and the replica.
            WaitFor(() => sentinels.All(s => MasterFields(s) is var f && f["num-other-sentinels"] == "2" && f["num-slaves"] == "1"),
                TimeSpan.FromSeconds(30), "discovery of sentinels and replica", Logs);

            master.Dispose(); // SIGKILL, like the seeds' kill -9
            WaitFor(() => sentinels.All(s => MasterAddress(s).Port == replica.Port), TimeSpan.FromSeconds(45), "failover to the replica", Logs);

            using (var rc = replica.Connect())
                Assert.Equal("master", RespFrame.Parse(rc.Execute("ROLE")).Children[0].Text);
            string switchLine = $"+switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}";
            Assert.All(sentinels, s => Assert.Contains(switchLine, s.LogText));
            // The leader logged the whole failover, in Redis's order.
            var leader = sentinels.Single(s => s.LogText.Contains("+elected-leader"));
            var events = new[] { "+sdown master", "+odown master", "+try-failover", "+elected-leader", "+failover-state-select-slave",
                "+selected-slave", "+failover-state-send-slaveof-noone", "+failover-state-wait-promotion", "+promoted-slave",
                "+failover-state-reconf-slaves", "+failover-end", "+switch-master" };
            int position = 0;
            foreach (var e in events)
            {
                int found = leader.LogText.IndexOf(e, position, StringComparison.Ordinal);
                Assert.True(found >= 0, $"{e} missing or out of order in the leader's log\n{leader.Describe()}");
                position = found;
            }
            // csredis-sentinels rewrote their config with the new master.
            foreach (var s in sentinels.Where(s => s.Name == ServerProcess.CsredisSentinelName))
            {
                string conf = File.ReadAllText(s.Arguments[0]);
                Assert.Contains($"sentinel monitor {MasterName} 127.0.0.1 {replica.Port} 2", conf);
                Assert.Contains("# Generated by CONFIG REWRITE", conf);
            }
        }
        finally
        {
            foreach (var s in sentinels) s.Dispose();
            replica.Dispose();
            master.Dispose();
        }
    }

    [Fact]
    public void RepliesHaveTheShapeOfRedisSentinel()
    {
        var (master, replica) = StartReplicatedPair();
        using var ours = StartSentinel(ServerProcess.CsredisSentinelName, master.Port, quorum: 1);
        using var theirs = StartSentinel(ServerProcess.RedisSentinelName, master.Port, quorum: 1);
        try
        {
            WaitFor(() => MasterFields(ours)["num-slaves"] == "1" && MasterFields(theirs)["num-slaves"] == "1",
                TimeSpan.FromSeconds(20), "replica discovery", () => ours.Describe() + theirs.Describe());
            using var a = ours.Connect();
            using var b = theirs.Connect();
            // Same bytes.
            foreach (var cmd in new[]
            {
                new[] { "SENTINEL", "get-master-addr-by-name", MasterName },
                new[] { "SENTINEL", "get-master-addr-by-name", "nope" },
                new[] { "SENTINEL", "master", "nope" },
                new[] { "SENTINEL", "foo" },
                new[] { "GET", "x" },
                new[] { "SENTINEL", "ckquorum", MasterName },
                new[] { "SENTINEL", "monitor", MasterName, "127.0.0.1", master.Port.ToString(), "1" },
                new[] { "SENTINEL", "set", MasterName, "quorum", "0" },
                new[] { "PING" },
            })
                Assert.Equal(RespFrame.Escape(b.Execute(cmd)), RespFrame.Escape(a.Execute(cmd)));
            // Same field names in the same order (values are times and ids).
            foreach (var cmd in new[] { new[] { "SENTINEL", "master", MasterName }, new[] { "SENTINEL", "replicas", MasterName } })
            {
                var mine = Names(RespFrame.Parse(a.Execute(cmd)));
                var real = Names(RespFrame.Parse(b.Execute(cmd)));
                Assert.Equal(real, mine);
            }
            var infoMine = Text(a, "INFO", "sentinel").Split("\r\n").Select(l => l.Split(':')[0]);
            var infoReal = Text(b, "INFO", "sentinel").Split("\r\n").Select(l => l.Split(':')[0]);
            Assert.Equal(infoReal, infoMine);
            Assert.Equal(RespFrame.Escape(b.Execute("ROLE")), RespFrame.Escape(a.Execute("ROLE")));
        }
        finally
        {
            replica.Dispose();
            master.Dispose();
        }
    }

    static List<string> Names(RespFrame reply)
    {
        var frame = reply.Children.Count > 0 && reply.Children[0].IsAggregate ? reply.Children[0] : reply;
        var names = new List<string>();
        for (int i = 0; i < frame.Children.Count; i += 2) names.Add(frame.Children[i].Text);
        return names;
    }
}
