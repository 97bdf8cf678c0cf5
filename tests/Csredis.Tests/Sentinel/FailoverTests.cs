// Failovers beyond the plain scene, each played with real redis-server nodes and with csredis-server
// nodes: passwords everywhere (requirepass, masterauth, auth-pass, a sentinel's own requirepass), a
// master paused with SIGSTOP under min-replicas-to-write, mixed groups of csredis-sentinel and real
// redis-sentinel with either kind as the elected leader (and real Sentinels alone watching
// csredis-server), and a sentinel-aware client (redis-py) that keeps writing through the failover.
using System.Diagnostics;
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Sentinel.SentinelScene;

namespace Csredis.Tests.Sentinel;

public sealed class FailoverTests
{
    const string Ours = ServerProcess.CsredisSentinelName, Theirs = ServerProcess.RedisSentinelName;

    static string Raw(RawClient c, params string[] args) => Encoding.UTF8.GetString(c.Execute(args));

    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public void PasswordsOnServersAndSentinels(string nodeKind)
    {
        using var scene = new SentinelScene();
        string[] auth = ["--requirepass", "s3cret", "--masterauth", "s3cret"];
        var master = scene.StartServer(nodeKind, auth);
        var replica = scene.StartServer(nodeKind, ["--replicaof", "127.0.0.1", master.Port.ToString(), .. auth]);
        scene.WaitFor(() => { using var c = replica.Connect(); Raw(c, "AUTH", "s3cret"); return Info(c, "replication").Contains("master_link_status:up"); },
            20, "replica link up with masterauth");
        // The sentinels have a requirepass of their own, which they also use to talk to each other.
        var sentinels = Enumerable.Range(0, 3).Select(_ => scene.StartSentinel(Ours, master.Port, quorum: 2,
            lines: [$"sentinel auth-pass {MasterName} s3cret", "requirepass sentinelpw"])).ToList();
        using (var c = sentinels[0].Connect())
        {
            Assert.Equal("-NOAUTH Authentication required.\r\n", Raw(c, "SENTINEL", "masters"));
            Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.\r\n", Raw(c, "AUTH", "nope"));
            Assert.Equal("+OK\r\n", Raw(c, "AUTH", "sentinelpw"));
        }
        scene.WaitFor(() => sentinels.All(s => Authed(s, "SENTINEL", "master", MasterName) is var f && f.Contains("num-other-sentinels\r\n$1\r\n2") && f.Contains("num-slaves\r\n$1\r\n1")),
            20, "discovery through authenticated links");
        master.Dispose();
        scene.WaitFor(() => sentinels.All(s => Authed(s, "SENTINEL", "get-master-addr-by-name", MasterName).Contains($"{replica.Port}")), 30, "failover with passwords");
        using var r = replica.Connect();
        Raw(r, "AUTH", "s3cret");
        Assert.Contains("role:master", Info(r, "replication"));
        Assert.Contains($"sentinel auth-pass {MasterName} s3cret", scene.ConfigText(sentinels[0]));
    }

    static string Authed(ServerProcess sentinel, params string[] args)
    {
        using var c = sentinel.Connect();
        c.Execute("AUTH", "sentinelpw");
        return Encoding.UTF8.GetString(c.Execute(args));
    }

    /// <summary>
    /// A master paused by SIGSTOP (a hung machine) with min-replicas-to-write 1: the sentinels fail
    /// over; once resumed it refuses writes (NOREPLICAS, then READONLY once converted) and every write
    /// the new master acknowledged is still there, also on the old master after it resynchronized.
    /// </summary>
    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public void PausedMasterWithMinReplicasToWriteLosesNoAcknowledgedWrite(string nodeKind)
    {
        using var scene = new SentinelScene();
        string[] minReplicas = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"];
        var (master, replicas) = scene.StartReplicatedGroup(nodeKind, 2, minReplicas, minReplicas);
        var sentinels = Enumerable.Range(0, 3).Select(_ => scene.StartSentinel(Ours, master.Port, quorum: 2)).ToList();
        scene.WaitForDiscovery(sentinels: 3, replicas: 2);

        var acknowledged = new List<string>();
        int next = 0;
        void WriteThroughSentinels(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var (_, port) = MasterAddress(sentinels[i % 3]);
                try
                {
                    using var c = new RawClient(port) { Timeout = TimeSpan.FromMilliseconds(300) };
                    string key = "k" + next++;
                    if (Raw(c, "SET", key, "v") == "+OK\r\n") acknowledged.Add(key);
                }
                catch (Exception e) when (e is TimeoutException or IOException or System.Net.Sockets.SocketException) { }
            }
        }
        WriteThroughSentinels(20);
        Assert.Equal(20, acknowledged.Count);

        int oldPort = master.Port;
        master.Signal(ServerProcess.SigStop);
        scene.WaitFor(() => { WriteThroughSentinels(1); return sentinels.All(s => MasterAddress(s).Port != oldPort); }, 30, "failover of the paused master");
        int newPort = MasterAddress(sentinels[0]).Port;
        var promoted = replicas.Single(r => r.Port == newPort);
        scene.WaitFor(() => Text(promoted, "INFO", "replication").Contains("connected_slaves:1"), 20, "the other replica follows the new master");
        WriteThroughSentinels(20);

        master.Signal(ServerProcess.SigCont);
        // Cut from its replicas, the old master refuses writes until it is converted into a replica.
        scene.WaitFor(() =>
        {
            using var c = master.Connect();
            string reply = Raw(c, "SET", "lost", "write");
            Assert.NotEqual("+OK\r\n", reply);
            return reply.StartsWith("-READONLY", StringComparison.Ordinal);
        }, 30, "the old master refusing writes until it is a replica");
        Assert.Contains(sentinels, s => s.LogText.Contains($"+convert-to-slave slave 127.0.0.1:{oldPort} 127.0.0.1 {oldPort} @ {MasterName} 127.0.0.1 {newPort}"));
        WriteThroughSentinels(10);
        Assert.True(acknowledged.Count >= 40, $"only {acknowledged.Count} writes acknowledged");

        scene.WaitFor(() => Text(master, "INFO", "replication") is var info && info.Contains("master_link_status:up") &&
            Text(master, "DBSIZE") == Text(promoted, "DBSIZE"), 20, "the old master in sync with the new one");
        foreach (var server in new[] { promoted, master })
        {
            using var c = server.Connect();
            foreach (var key in acknowledged) Assert.Equal("$1\r\nv\r\n", Raw(c, "GET", key));
            Assert.Equal("$-1\r\n", Raw(c, "GET", "lost"));
        }
    }

    /// <summary>
    /// csredis-sentinel and redis-sentinel in one group. The leader is steered by configuration: only it
    /// sees the master down soon (down-after 1000, quorum 1); the others (down-after 60 s) still vote
    /// for it and adopt the new configuration from its hellos.
    /// </summary>
    [Theory]
    [InlineData(Ours, Theirs, Ours, ServerProcess.RedisName)]
    [InlineData(Theirs, Ours, Ours, ServerProcess.RedisName)]
    [InlineData(Theirs, Theirs, Theirs, ServerProcess.CsredisName)] // real Sentinels alone watching csredis-server
    [InlineData(Ours, Theirs, Ours, ServerProcess.CsredisName)]
    public void MixedGroupFailsOverWithEitherKindAsLeader(string leaderKind, string secondKind, string thirdKind, string nodeKind)
    {
        using var scene = new SentinelScene();
        var (master, replicas) = scene.StartReplicatedGroup(nodeKind, 2);
        var leader = scene.StartSentinel(leaderKind, master.Port, quorum: 1);
        var others = new[] { secondKind, thirdKind }.Select(k => scene.StartSentinel(k, master.Port, quorum: 2, downAfter: 60_000)).ToList();
        scene.WaitForDiscovery(sentinels: 3, replicas: 2);
        int oldPort = master.Port;
        master.Dispose();
        scene.WaitFor(() => scene.Sentinels.All(s => MasterAddress(s).Port != oldPort && s.LogText.Contains($"# +switch-master {MasterName} 127.0.0.1 {oldPort} ")), 30, "failover");
        int newPort = MasterAddress(leader).Port;
        Assert.Contains(replicas, r => r.Port == newPort);
        scene.AssertInOrder(leader, $"# +odown master {MasterName} 127.0.0.1 {oldPort} #quorum ", $"# +try-failover master {MasterName}",
            $"# +elected-leader master {MasterName}", "# +promoted-slave slave ", "# +failover-end master ", $"# +switch-master {MasterName} 127.0.0.1 {oldPort} 127.0.0.1 {newPort}");
        string leaderId = Text(leader, "SENTINEL", "MYID");
        foreach (var s in others)
        {
            Assert.DoesNotContain("+elected-leader", s.LogText);
            scene.AssertInOrder(s, $"# +vote-for-leader {leaderId} 1", $"# +config-update-from sentinel {leaderId} ",
                $"# +switch-master {MasterName} 127.0.0.1 {oldPort} 127.0.0.1 {newPort}");
        }
        scene.WaitFor(() => scene.Sentinels.All(s => MasterFields(s)["num-slaves"] == "2" && MasterFields(s)["config-epoch"] == "1"), 20,
            "every sentinel with the new configuration");
    }

    /// <summary>redis-py (Debian's python3-redis) asks the csredis-sentinels for the master and keeps writing through a kill -9 failover.</summary>
    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public void SentinelAwareClientKeepsWritingAcrossAFailover(string nodeKind)
    {
        using var scene = new SentinelScene();
        var (master, replicas) = scene.StartReplicatedGroup(nodeKind, 2);
        var sentinels = Enumerable.Range(0, 3).Select(_ => scene.StartSentinel(Ours, master.Port, quorum: 2)).ToList();
        scene.WaitForDiscovery(sentinels: 3, replicas: 2);
        string script = Path.Combine(RepoPaths.Root, "tests", "clients", "sentinel_writer.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new List<string> { script, "15" }.Concat(sentinels.Select(s => s.Port.ToString()))) start.ArgumentList.Add(a);
        using var client = Process.Start(start)!;
        try
        {
            var stdout = new StringBuilder();
            client.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
            client.BeginOutputReadLine();
            scene.WaitFor(() => { lock (stdout) return stdout.ToString().Contains($"ok 127.0.0.1:{master.Port}"); }, 15, "the client writing to the first master");
            master.Dispose();
            Assert.True(client.WaitForExit(40_000), "client did not finish");
            string output;
            lock (stdout) output = stdout.ToString();
            string errors = client.StandardError.ReadToEnd();
            Assert.True(client.ExitCode == 0, output + errors);
            int newPort = MasterAddress(sentinels[0]).Port;
            Assert.Contains($"ok 127.0.0.1:{newPort}", output);
            // Every write the client saw acknowledged is on the new master.
            var acked = output.Split('\n').Where(l => l.StartsWith("ok ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
            using var c = replicas.Single(r => r.Port == newPort).Connect();
            var lost = acked.Where(k => Raw(c, "EXISTS", k) != ":1\r\n").ToList();
            // Asynchronous replication may lose what the killed master acknowledged in its last instant; never what the new one did.
            var ackedByNew = output.Split('\n').Where(l => l.StartsWith($"ok 127.0.0.1:{newPort} ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]);
            Assert.Empty(ackedByNew.Intersect(lost));
        }
        finally
        {
            if (!client.HasExited) client.Kill();
        }
    }
}
