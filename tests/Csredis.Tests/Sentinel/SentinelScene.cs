// A Sentinel topology of the seeds on loopback: Redis servers (real redis-server 7.0 or csredis-server)
// as master and replicas, and sentinels of either kind monitoring "mymaster"
// with down-after-milliseconds 1000, each writing its own config file in a temp dir. Every process
// the scene starts is stopped by Dispose; waits are bounded and fail with every log attached.
using System.Diagnostics;
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Sentinel;

public sealed class SentinelScene : IDisposable
{
    public const string MasterName = "mymaster";
    readonly List<ServerProcess> _processes = new();
    readonly string _dir = Path.Combine(Path.GetTempPath(), "csredis-sentinel-scene-" + Guid.NewGuid().ToString("N"));

    public SentinelScene() => Directory.CreateDirectory(_dir);

    public IEnumerable<ServerProcess> Sentinels => _processes.Where(p => p.Name.EndsWith("sentinel", StringComparison.Ordinal) && !p.HasExited);

    public ServerProcess Track(ServerProcess p)
    {
        _processes.Add(p);
        return p;
    }

    public ServerProcess StartServer(string kind, params string[] args) => Track(ServerProcess.Start(kind, args));

    public ServerProcess StartReplica(string kind, ServerProcess master, params string[] args)
    {
        var replica = StartServer(kind, ["--replicaof", "127.0.0.1", master.Port.ToString(), .. args]);
        WaitFor(() => Text(replica, "INFO", "replication").Contains("master_link_status:up"), 20, "replica link up", replica.Describe);
        return replica;
    }

    /// <summary>A master and its replicas, all synchronized and shown online by the master.</summary>
    public (ServerProcess Master, ServerProcess[] Replicas) StartReplicatedGroup(string kind, int replicas, string[]? masterArgs = null, string[]? replicaArgs = null)
    {
        var master = StartServer(kind, masterArgs ?? []);
        var list = Enumerable.Range(0, replicas).Select(_ => StartReplica(kind, master, replicaArgs ?? [])).ToArray();
        WaitFor(() => CountOnline(master) == replicas, 20, "replicas online on the master", master.Describe);
        return (master, list);
    }

    static int CountOnline(ServerProcess master)
    {
        using var c = master.Connect();
        return Info(c, "replication").Split("\r\n").Count(l => l.StartsWith("slave", StringComparison.Ordinal) && l.Contains("state=online"));
    }

    /// <summary>Writes a sentinel.conf (monitor, down-after 1000, failover-timeout, extra lines) and starts a sentinel of that kind on it.</summary>
    public ServerProcess StartSentinel(string kind, int masterPort, int quorum, long downAfter = 1000, long failoverTimeout = 6000,
        string[]? lines = null, string[]? args = null)
    {
        var conf = Path.Combine(_dir, $"sentinel-{Guid.NewGuid():N}.conf");
        var text = new StringBuilder();
        text.Append($"sentinel monitor {MasterName} 127.0.0.1 {masterPort} {quorum}\n");
        text.Append($"sentinel down-after-milliseconds {MasterName} {downAfter}\n");
        text.Append($"sentinel failover-timeout {MasterName} {failoverTimeout}\n");
        foreach (var line in lines ?? []) text.Append(line).Append('\n');
        File.WriteAllText(conf, text.ToString());
        return Track(ServerProcess.StartWithConfig(kind, conf, args ?? []));
    }

    /// <summary>Starts a sentinel again on its own (rewritten) config file, on the port it had.</summary>
    public ServerProcess RestartSentinel(ServerProcess old)
    {
        // Stopped, not disposed: its work dir (named by the rewritten "dir" line) must still exist.
        old.Stop();
        return Track(ServerProcess.StartOnPort(old.Name, old.Port, old.Arguments[0]));
    }

    public string ConfigText(ServerProcess sentinel) => File.ReadAllText(sentinel.Arguments[0]);

    public static string Text(ServerProcess p, params string[] args)
    {
        using var c = p.Connect();
        return RespFrame.Parse(c.Execute(args)).Text;
    }

    public static string Info(RawClient c, string section) => RespFrame.Parse(c.Execute("INFO", section)).Text;

    public static (string Ip, int Port) MasterAddress(ServerProcess sentinel)
    {
        using var c = sentinel.Connect();
        var reply = RespFrame.Parse(c.Execute("SENTINEL", "get-master-addr-by-name", MasterName));
        return (reply.Children[0].Text, int.Parse(reply.Children[1].Text));
    }

    public static Dictionary<string, string> Fields(RespFrame frame)
    {
        var fields = new Dictionary<string, string>();
        for (int i = 0; i + 1 < frame.Children.Count; i += 2) fields[frame.Children[i].Text] = frame.Children[i + 1].Text;
        return fields;
    }

    public static Dictionary<string, string> MasterFields(ServerProcess sentinel)
    {
        using var c = sentinel.Connect();
        return Fields(RespFrame.Parse(c.Execute("SENTINEL", "master", MasterName)));
    }

    public static List<Dictionary<string, string>> ReplicaFields(ServerProcess sentinel)
    {
        using var c = sentinel.Connect();
        return RespFrame.Parse(c.Execute("SENTINEL", "replicas", MasterName)).Children.Select(Fields).ToList();
    }

    public static string Role(ServerProcess server)
    {
        using var c = server.Connect();
        return RespFrame.Parse(c.Execute("ROLE")).Children[0].Text;
    }

    /// <summary>Every sentinel knows the others and the replicas (hello messages and INFO did their work).</summary>
    public void WaitForDiscovery(int sentinels, int replicas, int seconds = 20) =>
        WaitFor(() => Sentinels.All(s => MasterFields(s) is var f && f["num-other-sentinels"] == (sentinels - 1).ToString() && f["num-slaves"] == replicas.ToString()),
            seconds, $"discovery of {sentinels} sentinels and {replicas} replicas");

    /// <summary>The sentinel has its replicas connected with fresh INFO: one of them can be promoted.</summary>
    public void WaitForPromotableReplicas(ServerProcess sentinel, int replicas) =>
        WaitFor(() => ReplicaFields(sentinel) is var r && r.Count == replicas && r.All(f => f["flags"] == "slave" && f["master-link-status"] == "ok" && f["info-refresh"] != "0"),
            15, "replicas connected and reporting");

    public void WaitFor(Func<bool> condition, int seconds, string what, Func<string>? diagnostics = null)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try { if (condition()) return; }
            catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or KeyNotFoundException or ArgumentOutOfRangeException) { }
            Thread.Sleep(100);
        }
        Assert.Fail($"timed out after {seconds} s waiting for {what}\n{(diagnostics ?? Logs)()}");
    }

    public string Logs() => string.Join("\n----\n", _processes.Select(p => p.Describe()));

    /// <summary>The events appear in the log in this order (other lines may come between them).</summary>
    public void AssertInOrder(ServerProcess p, params string[] events)
    {
        string log = p.LogText;
        int position = 0;
        foreach (var e in events)
        {
            int found = log.IndexOf(e, position, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{e}' missing or out of order in {p}'s log\n{p.Describe()}");
            position = found + e.Length;
        }
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
