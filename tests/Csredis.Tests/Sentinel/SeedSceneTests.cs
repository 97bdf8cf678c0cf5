// The seeds' Sentinel scenes with csredis-sentinels watching a master and replicas on loopback,
// each scene played twice: with real redis-server 7.0 nodes and with csredis-server nodes (down-after-milliseconds 1000): SHUTDOWN of the master with two sentinels of
// quorum 2 and 1 (seed 000); kill -9 of the master with three sentinels, the other replica
// reconfigured, the old master back and converted, a replica restarted, the rewritten config and a
// sentinel restarted from it (seed 001); the event sequences and pub/sub events the seeds show.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Sentinel.SentinelScene;

namespace Csredis.Tests.Sentinel;

public sealed class SeedSceneTests
{
    const string Ours = ServerProcess.CsredisSentinelName;

    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public void ShutdownOfTheMasterWithTwoSentinelsOfQuorumTwoAndOne(string nodeKind)
    {
        using var scene = new SentinelScene();
        var (master, replicas) = scene.StartReplicatedGroup(nodeKind, 1);
        var replica = replicas[0];
        var quorum2 = scene.StartSentinel(Ours, master.Port, quorum: 2);
        var quorum1 = scene.StartSentinel(Ours, master.Port, quorum: 1);
        scene.WaitForDiscovery(sentinels: 2, replicas: 1);
        quorum2.AssertLogged($"+monitor master {MasterName} 127.0.0.1 {master.Port} quorum 2");
        quorum1.AssertLogged($"+monitor master {MasterName} 127.0.0.1 {master.Port} quorum 1");
        quorum2.AssertLogged($"+sentinel sentinel ");

        // Clients of a sentinel see its events on channels named after them (PSUBSCRIBE *).
        using var events = quorum2.Connect();
        events.Execute("PSUBSCRIBE", "*");

        using (var c = master.Connect()) c.Send("SHUTDOWN", "NOSAVE");
        string switched = $"# +switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}";
        scene.WaitFor(() => scene.Sentinels.All(s => s.LogText.Contains(switched) && MasterAddress(s).Port == replica.Port), 30, "both sentinels switch to the replica");
        Assert.Equal("master", Role(replica));

        string oldMaster = $"master {MasterName} 127.0.0.1 {master.Port}";
        string promoted = $"slave 127.0.0.1:{replica.Port} 127.0.0.1 {replica.Port} @ {MasterName} 127.0.0.1 {master.Port}";
        var leader = scene.Sentinels.Single(s => s.LogText.Contains("+elected-leader"));
        var other = scene.Sentinels.Single(s => s != leader);
        scene.AssertInOrder(leader, $"# +sdown {oldMaster}", $"# +odown {oldMaster} #quorum ", "# +new-epoch 1", $"# +try-failover {oldMaster}",
            "# +vote-for-leader ", $"# +elected-leader {oldMaster}", $"# +failover-state-select-slave {oldMaster}",
            $"# +selected-slave {promoted}", $"* +failover-state-send-slaveof-noone {promoted}", $"* +failover-state-wait-promotion {promoted}",
            $"# +promoted-slave {promoted}", $"# +failover-state-reconf-slaves {oldMaster}", $"# +failover-end {oldMaster}",
            $"# +switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}",
            $"* +slave slave 127.0.0.1:{master.Port} 127.0.0.1 {master.Port} @ {MasterName} 127.0.0.1 {replica.Port}");
        // The other sentinel learns the new configuration from the leader's hello messages.
        // (Its own +sdown may come before or after the leader's vote request: timing.)
        foreach (var line in new[] { $"# +sdown {oldMaster}", "# +new-epoch 1", "# +vote-for-leader " }) other.AssertLogged(line);
        scene.AssertInOrder(other, "# +vote-for-leader ", "# +config-update-from sentinel ",
            $"# +switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}",
            $"* +slave slave 127.0.0.1:{master.Port} 127.0.0.1 {master.Port} @ {MasterName} 127.0.0.1 {replica.Port}");
        scene.WaitFor(() => scene.Sentinels.All(s => s.LogText.Contains($"# +sdown slave 127.0.0.1:{master.Port} 127.0.0.1 {master.Port} @ {MasterName} 127.0.0.1 {replica.Port}")),
            10, "the old master seen down as a replica");
        if (quorum1 == leader) quorum1.AssertLogged($"# +odown {oldMaster} #quorum ");

        // The pub/sub payloads are the log lines without the event name.
        var published = new List<string>();
        while (events.TryReadRawReply(TimeSpan.FromMilliseconds(300), out var raw))
        {
            var frame = RespFrame.Parse(raw);
            if (frame.Children.Count == 4 && frame.Children[0].Text == "pmessage") published.Add(frame.Children[2].Text + " " + frame.Children[3].Text);
        }
        Assert.Contains($"+switch-master {MasterName} 127.0.0.1 {master.Port} 127.0.0.1 {replica.Port}", published);
        Assert.Contains($"+sdown {oldMaster}", published);
    }

    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public void KillOfTheMasterWithThreeSentinelsThenTheOldMasterAndAReplicaComeBack(string nodeKind)
    {
        using var scene = new SentinelScene();
        var (master, replicas) = scene.StartReplicatedGroup(nodeKind, 2);
        var sentinels = Enumerable.Range(0, 3).Select(_ => scene.StartSentinel(Ours, master.Port, quorum: 2)).ToList();
        scene.WaitForDiscovery(sentinels: 3, replicas: 2);
        using (var c = master.Connect()) Assert.Equal("+OK\r\n", System.Text.Encoding.ASCII.GetString(c.Execute("SET", "before", "failover")));

        int oldPort = master.Port;
        master.Dispose(); // kill -9
        scene.WaitFor(() => sentinels.All(s => MasterAddress(s).Port != oldPort && s.LogText.Contains($"# +switch-master {MasterName} 127.0.0.1 {oldPort} ")), 30, "failover");
        int newPort = MasterAddress(sentinels[0]).Port;
        var promoted = replicas.Single(r => r.Port == newPort);
        var other = replicas.Single(r => r.Port != newPort);
        Assert.Equal("master", Role(promoted));
        var leader = sentinels.Single(s => s.LogText.Contains("+elected-leader"));
        string otherDetails = $"slave 127.0.0.1:{other.Port} 127.0.0.1 {other.Port} @ {MasterName} 127.0.0.1 {oldPort}";
        scene.AssertInOrder(leader, $"# +promoted-slave slave 127.0.0.1:{newPort}", $"# +failover-state-reconf-slaves master {MasterName} 127.0.0.1 {oldPort}",
            $"* +slave-reconf-sent {otherDetails}", $"* +slave-reconf-inprog {otherDetails}", $"* +slave-reconf-done {otherDetails}",
            $"# +failover-end master {MasterName} 127.0.0.1 {oldPort}", $"# +switch-master {MasterName} 127.0.0.1 {oldPort} 127.0.0.1 {newPort}");
        foreach (var s in sentinels.Where(s => s != leader))
            scene.AssertInOrder(s, "# +config-update-from sentinel ", $"# +switch-master {MasterName} 127.0.0.1 {oldPort} 127.0.0.1 {newPort}",
                $"* +slave slave 127.0.0.1:{other.Port} 127.0.0.1 {other.Port} @ {MasterName} 127.0.0.1 {newPort}",
                $"* +slave slave 127.0.0.1:{oldPort} 127.0.0.1 {oldPort} @ {MasterName} 127.0.0.1 {newPort}");
        // The other replica now follows the promoted one, with the data.
        scene.WaitFor(() => Text(other, "INFO", "replication") is var info && info.Contains($"master_port:{newPort}") && info.Contains("master_link_status:up"),
            20, "the other replica replicating the new master");
        Assert.Equal("failover", Text(other, "GET", "before"));

        // The old master comes back as a master and is turned into a replica of the new one.
        string oldAsSlave = $"slave 127.0.0.1:{oldPort} 127.0.0.1 {oldPort} @ {MasterName} 127.0.0.1 {newPort}";
        // Every sentinel first sees the old master down as a replica (a sentinel that learns the new
        // configuration late would otherwise never log +sdown, hence no -sdown either).
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains($"# +sdown {oldAsSlave}")), 15, "the old master seen down as a replica by every sentinel");
        var back = scene.Track(ServerProcess.StartOnPort(nodeKind, oldPort, null));
        scene.WaitFor(() => sentinels.Any(s => s.LogText.Contains($"* +convert-to-slave {oldAsSlave}")), 30, "+convert-to-slave of the old master");
        // Each sentinel pings its replicas once a second, so -sdown shows up on each within about a second of the others.
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains($"# -sdown {oldAsSlave}")), 10, "-sdown of the old master on every sentinel");
        scene.WaitFor(() => Text(back, "INFO", "replication") is var info && info.Contains("role:slave") && info.Contains($"master_port:{newPort}") &&
            info.Contains("master_link_status:up"), 20, "the old master replicating the new one");
        Assert.Equal("failover", Text(back, "GET", "before"));

        // A replica shut down and restarted: +sdown, then +reboot (a new run id) and -sdown.
        string otherNow = $"slave 127.0.0.1:{other.Port} 127.0.0.1 {other.Port} @ {MasterName} 127.0.0.1 {newPort}";
        int otherPort = other.Port;
        using (var c = other.Connect()) c.Send("SHUTDOWN", "NOSAVE");
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains($"# +sdown {otherNow}")), 15, "+sdown of the stopped replica");
        scene.Track(ServerProcess.StartOnPort(nodeKind, otherPort, null, "--replicaof", "127.0.0.1", newPort.ToString()));
        scene.WaitFor(() => sentinels.All(s => s.LogText.Contains($"* +reboot {otherNow}") && s.LogText.Contains($"# -sdown {otherNow}")),
            25, "+reboot and -sdown of the restarted replica");

        // The rewritten config is the sentinel's memory, in the seeds' shape; a restarted sentinel resumes from it.
        var one = sentinels[0];
        string conf = scene.ConfigText(one);
        string myId = Text(one, "SENTINEL", "MYID");
        Assert.Contains($"sentinel monitor {MasterName} 127.0.0.1 {newPort} 2", conf);
        Assert.Contains("# Generated by CONFIG REWRITE", conf);
        Assert.Contains($"sentinel myid {myId}", conf);
        Assert.Contains($"sentinel config-epoch {MasterName} 1", conf);
        Assert.Contains($"sentinel leader-epoch {MasterName} 1", conf);
        Assert.Contains("sentinel current-epoch 1", conf);
        Assert.Contains($"sentinel known-replica {MasterName} 127.0.0.1 {oldPort}", conf);
        Assert.Contains($"sentinel known-replica {MasterName} 127.0.0.1 {otherPort}", conf);
        Assert.Equal(2, conf.Split('\n').Count(l => l.StartsWith($"sentinel known-sentinel {MasterName} 127.0.0.1 ", StringComparison.Ordinal)));
        Assert.DoesNotContain("\nsave ", conf);
        var restarted = scene.RestartSentinel(one);
        restarted.AssertLogged($"# Sentinel ID is {myId}");
        restarted.AssertLogged($"# +monitor master {MasterName} 127.0.0.1 {newPort} quorum 2");
        var fields = MasterFields(restarted);
        Assert.Equal("1", fields["config-epoch"]);
        Assert.Equal("2", fields["num-slaves"]);
        Assert.Equal("2", fields["num-other-sentinels"]);
        scene.WaitFor(() => MasterFields(restarted)["flags"] == "master" && ReplicaFields(restarted).All(r => r["flags"] == "slave"), 15,
            "the restarted sentinel sees the master and replicas up");
    }
}
