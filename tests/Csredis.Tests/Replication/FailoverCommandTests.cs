// FAILOVER, Redis 6.2's coordinated failover: the same argument and state errors as Redis (the same
// traffic to both, replies compared byte for byte), writes held while waiting for the target and
// released by ABORT, the roles swapping with the old master continuing by partial resync, between
// csredis servers and with a real Redis on either side, and TIMEOUT with and without FORCE.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;
using static Csredis.Tests.Replication.ReplicaScene;

namespace Csredis.Tests.Replication;

public sealed class FailoverCommandTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>What one server kind answers to the same FAILOVER traffic (its ports masked).</summary>
    static List<string> FailoverTranscript(string kind)
    {
        using var scene = new ReplicaScene();
        var master = scene.Start(kind, "--repl-diskless-sync-delay", "0");
        var replies = new List<string>();
        void Say(ServerProcess s, params string[] args) =>
            replies.Add(Raw(s, args).Replace(master.Port.ToString(), "MASTERPORT"));
        // Argument errors come before the state checks; without replicas there is nothing to fail over to.
        foreach (var args in new[]
                 {
                     new[] { "FAILOVER" }, ["FAILOVER", "ABORT"], ["FAILOVER", "TIMEOUT", "0"], ["FAILOVER", "TIMEOUT", "-5"],
                     ["FAILOVER", "TIMEOUT", "x"], ["FAILOVER", "TIMEOUT"], ["FAILOVER", "TIMEOUT", "10", "TIMEOUT", "20"],
                     ["FAILOVER", "FORCE"], ["FAILOVER", "FORCE", "FORCE"], ["FAILOVER", "TO", "127.0.0.1"],
                     ["FAILOVER", "TO", "127.0.0.1", "port"], ["FAILOVER", "ABORT", "now"], ["FAILOVER", "nonsense"],
                     ["FAILOVER", "TO", "127.0.0.1", "1", "TO", "127.0.0.1", "2"],
                 })
            Say(master, args);
        var replica = scene.Start(kind, ReplicaOf(master));
        WaitCaughtUp(master, replica);
        Say(master, "FAILOVER", "TO", "127.0.0.1", "1");
        Say(master, "FAILOVER", "TO", "127.0.0.1", replica.Port.ToString(), "FORCE");
        Say(master, "FAILOVER", "FORCE", "TIMEOUT", "100");
        Say(replica, "FAILOVER");
        Say(replica, "PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER");
        Say(master, "PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER");
        // A stopped replica cannot acknowledge the write made just before: the failover waits.
        replica.Signal(ServerProcess.SigStop);
        try
        {
            Say(master, "SET", "before", "1");
            Say(master, "FAILOVER", "TO", "127.0.0.1", replica.Port.ToString(), "TIMEOUT", "60000");
            replies.Add(Field(InfoReplication(master), "master_failover_state"));
            Say(master, "FAILOVER");
            Say(master, "REPLICAOF", "NO", "ONE");
            Say(master, "CLIENT", "UNPAUSE");
            Say(master, "GET", "before");
            using var writer = master.Connect();
            writer.Send("SET", "held", "1");
            replies.Add(writer.TryReadRawReply(TimeSpan.FromMilliseconds(500), out _) ? "write answered during the wait" : "write held");
            Say(master, "FAILOVER", "ABORT");
            replies.Add(System.Text.Encoding.UTF8.GetString(writer.ReadRawReply()));
            replies.Add(Field(InfoReplication(master), "master_failover_state"));
        }
        finally
        {
            replica.Signal(ServerProcess.SigCont);
        }
        master.AssertLogged("FAILOVER to 127.0.0.1:" + replica.Port + " aborted: Failover manually aborted", Wait);
        return replies;
    }

    [Fact]
    public void RepliesAndErrorsMatchRedis()
    {
        var expected = FailoverTranscript(ServerProcess.RedisName);
        var actual = FailoverTranscript(ServerProcess.CsredisName);
        Assert.Equal(expected, actual);
        Assert.Contains("write held", actual);
    }

    /// <summary>The target promotes itself on PSYNC ... FAILOVER; the old master and a third node continue
    /// their streams by partial resync, and every node ends with the same data.</summary>
    [Theory]
    [InlineData(ServerProcess.CsredisName, ServerProcess.CsredisName)]
    [InlineData(ServerProcess.RedisName, ServerProcess.CsredisName)]
    [InlineData(ServerProcess.CsredisName, ServerProcess.RedisName)]
    public void RolesSwapAndTheOldMasterContinuesByPartialResync(string masterKind, string targetKind)
    {
        using var scene = new ReplicaScene();
        var master = scene.Start(masterKind, "--repl-diskless-sync-delay", "0");
        FillEveryType(master, 41);
        var target = scene.Start(targetKind, ReplicaOf(master));
        var other = scene.Csredis(ReplicaOf(master));
        WaitCaughtUp(master, target);
        WaitCaughtUp(master, other);
        Assert.Equal("+OK\r\n", Raw(master, "FAILOVER", "TO", "127.0.0.1", target.Port.ToString()));
        WaitFor(() => Raw(target, "ROLE").StartsWith("*3\r\n$6\r\nmaster", StringComparison.Ordinal)
                      && Field(InfoReplication(master), "master_link_status") == "up"
                      && Field(InfoReplication(master), "master_failover_state") == "no-failover",
            Wait, "the roles to swap");
        Assert.Equal("127.0.0.1", Field(InfoReplication(master), "master_host"));
        Assert.Equal(target.Port.ToString(), Field(InfoReplication(master), "master_port"));
        master.AssertLogged($"Failover target 127.0.0.1:{target.Port} is synced, failing over.", Wait);
        target.AssertLogged("MASTER MODE enabled (failover request from '", Wait);
        target.AssertLogged($"Partial resynchronization request from 127.0.0.1:{master.Port} accepted.", Wait);
        Assert.DoesNotContain("Full resync from master", master.LogText);
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", Raw(master, "SET", "after", "1"));
        FillEveryType(target, 42);
        WaitCaughtUp(target, master);
        WaitCaughtUp(master, other);
        Assert.Equal(Digest(target), Digest(master));
        Assert.Equal(Digest(target), Digest(other));
    }

    [Fact]
    public void TimeoutAbortsUnlessForcedThenFailsOverAnyway()
    {
        using var scene = new ReplicaScene();
        var master = scene.Csredis("--repl-diskless-sync-delay", "0");
        var replica = scene.Csredis(ReplicaOf(master));
        WaitCaughtUp(master, replica);
        replica.Signal(ServerProcess.SigStop);
        try
        {
            Assert.Equal("+OK\r\n", Raw(master, "SET", "unacknowledged", "1"));
            Assert.Equal("+OK\r\n", Raw(master, "FAILOVER", "TIMEOUT", "300"));
            master.AssertLogged("FAILOVER to any replica aborted: Replica never caught up before timeout", Wait);
            Assert.Equal("no-failover", Field(InfoReplication(master), "master_failover_state"));
            Assert.Equal("+OK\r\n", Raw(master, "SET", "writable", "again"));

            Assert.Equal("+OK\r\n", Raw(master, "FAILOVER", "TO", "127.0.0.1", replica.Port.ToString(), "TIMEOUT", "300", "FORCE"));
            master.AssertLogged($"FAILOVER to 127.0.0.1:{replica.Port} time out exceeded, failing over.", Wait);
            Assert.Equal("failover-in-progress", Field(InfoReplication(master), "master_failover_state"));
        }
        finally
        {
            replica.Signal(ServerProcess.SigCont);
        }
        // Once resumed, the target applies what was already in its socket, then promotes itself; the old
        // master continues by partial or full resync depending on which comes first: either way, one data set.
        WaitFor(() => Field(InfoReplication(master), "master_failover_state") == "no-failover"
                      && Raw(replica, "ROLE").StartsWith("*3\r\n$6\r\nmaster", StringComparison.Ordinal),
            Wait, "the forced failover to finish");
        WaitCaughtUp(replica, master);
        Assert.Equal(Digest(replica), Digest(master));
    }
}
