// A csredis-sentinel next to a real redis-sentinel 7.0 watching the same master: the same bytes for
// the SENTINEL subcommands and their errors, refused commands, INFO and SENTINEL MASTER field lists;
// csredis-server --sentinel; TILT after a stall; notification and client-reconfig scripts with
// Redis's arguments, retries and timeout; rename-command towards the instances.
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Sentinel.SentinelScene;

namespace Csredis.Tests.Sentinel;

public sealed class SentinelBehaviourTests
{
    const string Ours = ServerProcess.CsredisSentinelName, Theirs = ServerProcess.RedisSentinelName;

    static string Raw(RawClient c, params string[] args) => Encoding.UTF8.GetString(c.Execute(args));

    [Fact]
    public void RepliesAndErrorsAreRedisSentinels()
    {
        using var scene = new SentinelScene();
        var (master, _) = scene.StartReplicatedGroup(ServerProcess.RedisName, 1);
        string[] lines = ["rename-command SHUTDOWN REDIS_SHUTDOWN"];
        var ours = scene.StartSentinel(Ours, master.Port, quorum: 1, lines: lines);
        var theirs = scene.StartSentinel(Theirs, master.Port, quorum: 1, lines: lines);
        scene.WaitForDiscovery(sentinels: 2, replicas: 1);
        using var a = ours.Connect();
        using var b = theirs.Connect();
        string m = MasterName, port = master.Port.ToString();
        string[][] commands =
        [
            ["PING"], ["PING", "hello"], ["SENTINEL"], ["SENTINEL", "foo"], ["SENTINEL", "help"], ["SENTINEL", "masters", "x"],
            ["SENTINEL", "master", "nope"], ["SENTINEL", "replicas"], ["SENTINEL", "slaves", "nope"], ["SENTINEL", "sentinels", "nope"],
            ["SENTINEL", "get-master-addr-by-name", m], ["SENTINEL", "get-master-addr-by-name", "nope"], ["SENTINEL", "reset", "nomatch*"],
            ["SENTINEL", "failover", "nope"], ["SENTINEL", "ckquorum", "nope"], ["SENTINEL", "ckquorum", m], ["SENTINEL", "flushconfig", "x"],
            ["SENTINEL", "monitor", "x", "127.0.0.1", "abc", "1"], ["SENTINEL", "monitor", "x", "127.0.0.1", "1234", "abc"],
            ["SENTINEL", "monitor", "x", "127.0.0.1", "1234", "0"], ["SENTINEL", "monitor", "x", "127.0.0.1", "99999", "1"],
            ["SENTINEL", "monitor", "x", "not-an-ip", "1234", "1"], ["SENTINEL", "monitor", m, "127.0.0.1", port, "1"],
            ["SENTINEL", "remove", "nope"], ["SENTINEL", "set", m], ["SENTINEL", "set", "nope", "quorum", "1"], ["SENTINEL", "set", m, "quorum", "0"],
            ["SENTINEL", "set", m, "quorum", "abc"], ["SENTINEL", "set", m, "foo", "bar"], ["SENTINEL", "set", m, "down-after-milliseconds", "-5"],
            ["SENTINEL", "set", m, "notification-script", "/bin/true"], ["SENTINEL", "set", m, "client-reconfig-script", "/bin/true"],
            ["SENTINEL", "set", m, "rename-command", "a"], ["SENTINEL", "set", m, "master-reboot-down-after-period", "-1"],
            ["SENTINEL", "is-master-down-by-addr", "127.0.0.1", "abc", "0", "*"], ["SENTINEL", "is-master-down-by-addr", "127.0.0.1", port, "0", "*"],
            ["SENTINEL", "is-master-down-by-addr", "10.0.0.1", "1", "0", "*"], ["SENTINEL", "myid", "x"], ["SENTINEL", "info-cache", "nope"],
            ["SENTINEL", "pending-scripts"], ["SENTINEL", "simulate-failure", "help"], ["SENTINEL", "simulate-failure", "foo"],
            ["SENTINEL", "config", "get"], ["SENTINEL", "config", "get", "*"], ["SENTINEL", "config", "get", "announce-*"],
            ["SENTINEL", "config", "set", "foo", "bar"], ["SENTINEL", "config", "set", "announce-port", "70000"],
            ["SENTINEL", "config", "set", "resolve-hostnames", "maybe"], ["SENTINEL", "config", "foo", "bar"], ["SENTINEL", "debug"],
            ["SENTINEL", "debug", "foo"], ["SENTINEL", "debug", "ping-period", "abc"], ["SENTINEL", "debug", "ping-period"],
            ["GET", "x"], ["KEYS", "*"], ["CONFIG", "GET", "port"], ["SELECT", "0"], ["MULTI"], ["QUIT"], ["RESET"], ["SHUTDOWN"],
            ["PUBLISH", "foo", "bar"], ["PUBLISH", "__sentinel__:hello", "garbage"], ["ROLE"], ["ROLE", "x"], ["INFO", "foo"],
            ["COMMAND", "INFO", "get", "ping", "role", "publish", "info", "subscribe"], ["AUTH", "foo"], ["HELLO", "4"],
            ["SUBSCRIBE"], ["ECHO", "hi"],
        ];
        foreach (var cmd in commands)
            Assert.True(Raw(b, cmd) is var expected && Raw(a, cmd) is var actual && expected == actual,
                $"{string.Join(' ', cmd)}\n redis-sentinel:   {RespFrame.Escape(Encoding.UTF8.GetBytes(Raw(b, cmd)))}\n csredis-sentinel: {RespFrame.Escape(Encoding.UTF8.GetBytes(Raw(a, cmd)))}");
        // Same field names in the same order (values are times and ids).
        foreach (var cmd in new[] { new[] { "SENTINEL", "master", m }, ["SENTINEL", "replicas", m], ["SENTINEL", "sentinels", m], ["SENTINEL", "masters"] })
            Assert.Equal(Names(RespFrame.Parse(b.Execute(cmd))), Names(RespFrame.Parse(a.Execute(cmd))));
        foreach (var section in new[] { "sentinel", "server", "" })
        {
            var infoReal = Info(b, section).Split("\r\n").Select(l => l.Split(':')[0]);
            var infoMine = Info(a, section).Split("\r\n").Select(l => l.Split(':')[0]);
            Assert.Equal(infoReal, infoMine);
        }
        Assert.Equal(Raw(b, "HELLO", "3").Split("\r\n")[..10], Raw(a, "HELLO", "3").Split("\r\n")[..10]);
        Assert.Equal(Raw(b, "SENTINEL", "get-master-addr-by-name", m), Raw(a, "SENTINEL", "get-master-addr-by-name", m));
        // A SENTINEL SET shows up as an event and in the rewritten config.
        Assert.Equal("+OK\r\n", Raw(a, "SENTINEL", "set", m, "parallel-syncs", "3", "auth-pass", "pw"));
        ours.AssertLogged($"# +set master {m} 127.0.0.1 {port} parallel-syncs 3");
        ours.AssertLogged($"# +set master {m} 127.0.0.1 {port} auth-pass ******");
        Assert.Contains($"sentinel parallel-syncs {m} 3", scene.ConfigText(ours));
    }

    static List<string> Names(RespFrame reply)
    {
        var frame = reply.Children.Count > 0 && reply.Children[0].IsAggregate ? reply.Children[0] : reply;
        var names = new List<string>();
        for (int i = 0; i < frame.Children.Count; i += 2) names.Add(frame.Children[i].Text);
        return names;
    }

    [Fact]
    public void CsredisServerWithTheSentinelFlagIsASentinel()
    {
        using var scene = new SentinelScene();
        var (master, _) = scene.StartReplicatedGroup(ServerProcess.RedisName, 1);
        var sentinel = scene.StartSentinel(ServerProcess.CsredisName, master.Port, quorum: 1, args: ["--sentinel"]);
        scene.WaitFor(() => MasterFields(sentinel)["num-slaves"] == "1", 15, "replica discovery");
        using var c = sentinel.Connect();
        Assert.Equal("*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n", Raw(c, "ROLE"));
        Assert.Contains("redis_mode:sentinel", Info(c, "server"));
        Assert.Contains($"master0:name={MasterName},status=ok,address=127.0.0.1:{master.Port},slaves=1,sentinels=1", Info(c, "sentinel"));
        sentinel.AssertLogged("Running mode=sentinel");
    }

    /// <summary>A sentinel stalled longer than the TILT trigger stops acting for the TILT period, as redis-sentinel does.</summary>
    [Fact]
    public void AStalledSentinelEntersAndLeavesTilt()
    {
        using var scene = new SentinelScene();
        var (master, _) = scene.StartReplicatedGroup(ServerProcess.RedisName, 1);
        var sentinels = new[] { Ours, Theirs }.Select(k => scene.StartSentinel(k, master.Port, quorum: 2)).ToList();
        scene.WaitForDiscovery(sentinels: 2, replicas: 1);
        foreach (var s in sentinels)
        {
            using var c = s.Connect();
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "debug", "tilt-period", "2500"));
        }
        foreach (var s in sentinels) s.Signal(ServerProcess.SigStop);
        Thread.Sleep(2500);
        foreach (var s in sentinels) s.Signal(ServerProcess.SigCont);
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains("# +tilt #tilt mode entered")), 10, "+tilt");
        foreach (var s in sentinels)
        {
            using var c = s.Connect();
            Assert.Contains("sentinel_tilt:1", Info(c, "sentinel"));
        }
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains("# -tilt #tilt mode exited")), 10, "-tilt");
        Assert.Equal("master", MasterFields(sentinels[0])["flags"]);
    }

    /// <summary>
    /// notification-script gets "event-type event-description" for every warning event,
    /// client-reconfig-script "master-name role state from-ip from-port to-ip to-port"; a script
    /// exiting 1 is retried, one running too long is killed, both visible in PENDING-SCRIPTS and the log.
    /// </summary>
    [Fact]
    public void ScriptsRunWithRedisArgumentsRetriesAndTimeout()
    {
        using var scene = new SentinelScene();
        var dir = Path.Combine(Path.GetTempPath(), "csredis-scripts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string Script(string name, string body)
            {
                string path = Path.Combine(dir, name);
                File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                return path;
            }
            string notify = Script("notify.sh", $"echo \"$@\" >> {dir}/notify.log");
            string reconf = Script("reconf.sh", $"echo \"$@\" >> {dir}/reconf.log");
            var (master, replicas) = scene.StartReplicatedGroup(ServerProcess.RedisName, 1);
            var sentinel = scene.StartSentinel(Ours, master.Port, quorum: 1,
                lines: [$"sentinel notification-script {MasterName} {notify}", $"sentinel client-reconfig-script {MasterName} {reconf}", "sentinel deny-scripts-reconfig no"]);
            scene.WaitForPromotableReplicas(sentinel, 1);
            Assert.Equal(notify, MasterFields(sentinel)["notification-script"]);
            using var c = sentinel.Connect();
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "failover", MasterName));
            var replica = replicas[0];
            scene.WaitFor(() => MasterAddress(sentinel).Port == replica.Port && File.Exists(Path.Combine(dir, "reconf.log")), 20, "forced failover and client-reconfig-script");
            Assert.Equal($"{MasterName} leader start 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}\n", File.ReadAllText(Path.Combine(dir, "reconf.log")));
            scene.WaitFor(() => File.ReadAllText(Path.Combine(dir, "notify.log")).Contains("+switch-master"), 10, "notification of +switch-master");
            var notified = File.ReadAllLines(Path.Combine(dir, "notify.log"));
            Assert.Contains($"+try-failover master {MasterName} 127.0.0.1 {master.Port}", notified);
            Assert.Contains($"+switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}", notified);
            Assert.Contains($"+promoted-slave slave 127.0.0.1:{replica.Port} 127.0.0.1 {replica.Port} @ {MasterName} 127.0.0.1 {master.Port}", notified);

            // Retries (exit 1) and a timeout (killed, so retried too), with short timings through SENTINEL DEBUG.
            string failing = Script("failing.sh", $"echo run >> {dir}/failing.log; exit 1");
            string slow = Script("slow.sh", "sleep 30");
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "debug", "script-retry-delay", "200", "script-max-runtime", "500"));
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "set", MasterName, "notification-script", failing));
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "set", MasterName, "quorum", "1"));
            scene.WaitFor(() => File.Exists(Path.Combine(dir, "failing.log")) && File.ReadAllLines(Path.Combine(dir, "failing.log")).Length >= 3, 15, "the failing script retried");
            var pending = RespFrame.Parse(c.Execute("SENTINEL", "pending-scripts"));
            Assert.Contains(pending.Children, job => Fields(job) is var f && f["flags"] is "scheduled" or "running" && int.Parse(f["retry-num"]) >= 1);
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "set", MasterName, "notification-script", slow));
            Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "set", MasterName, "quorum", "1"));
            scene.WaitFor(() => sentinel.LogText.Contains($"# -script-timeout {slow} "), 10, "-script-timeout");
            Assert.Contains("sentinel_scripts_queue_length:", Info(c, "sentinel"));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>sentinel rename-command: the sentinel reconfigures instances whose CONFIG and SLAVEOF are renamed.</summary>
    [Fact]
    public void RenamedCommandsOnTheInstancesAreUsed()
    {
        using var scene = new SentinelScene();
        string[] renamed = ["--rename-command", "CONFIG", "MYCONFIG", "--rename-command", "SLAVEOF", "MYSLAVEOF"];
        var (master, replicas) = scene.StartReplicatedGroup(ServerProcess.RedisName, 1, renamed, renamed);
        var sentinel = scene.StartSentinel(Ours, master.Port, quorum: 1,
            lines: [$"sentinel rename-command {MasterName} CONFIG MYCONFIG", $"sentinel rename-command {MasterName} SLAVEOF MYSLAVEOF"]);
        scene.WaitForPromotableReplicas(sentinel, 1);
        using (var c = sentinel.Connect()) Assert.Equal("+OK\r\n", Raw(c, "SENTINEL", "failover", MasterName));
        scene.WaitFor(() => Role(replicas[0]) == "master" && MasterAddress(sentinel).Port == replicas[0].Port, 20, "failover through renamed commands");
        Assert.Contains($"sentinel rename-command {MasterName} CONFIG MYCONFIG", scene.ConfigText(sentinel));
        Assert.Contains($"sentinel rename-command {MasterName} SLAVEOF MYSLAVEOF", scene.ConfigText(sentinel));
    }
}
