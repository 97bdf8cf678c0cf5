// csredis-server as the replica of a real redis-server 7.0 master: full sync from a disk-based and
// a diskless master into disk or diskless loading with data of every type and writes streamed
// during and after the sync; partial resync after the link is cut from either side; a real Redis
// replica promoted and us re-pointed to it (partial resync across the id change); our own
// promotion. A real Redis replica in the same scene is the oracle for replies, INFO and ROLE.
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;
using static Csredis.Tests.Replication.ReplicaScene;

namespace Csredis.Tests.Replication;

public sealed class ReplicaFromRedisTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Theory]
    [InlineData("no", "disabled", "receiving {0} bytes from master to disk")]
    [InlineData("yes", "disabled", "receiving streamed RDB from master with EOF to disk")]
    [InlineData("yes", "swapdb", "receiving streamed RDB from master with EOF to parser")]
    [InlineData("no", "swapdb", "receiving {0} bytes from master to parser")]
    public void FullSyncWithWritesDuringAndAfter(string disklessSync, string disklessLoad, string receivingLine)
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis("--repl-diskless-sync", disklessSync, "--repl-diskless-sync-delay", "0");
        FillEveryType(master, 7);
        var replica = scene.Csredis("--repl-diskless-load", disklessLoad);
        // Data the replica had before must be gone after the sync.
        Assert.Equal("+OK\r\n", Raw(replica, "SET", "only-on-replica", "x"));
        using (new Writer(master))
        {
            Assert.Equal("+OK\r\n", Raw(replica, "REPLICAOF", "127.0.0.1", master.Port.ToString()));
            replica.AssertLogged("MASTER <-> REPLICA sync: Finished with success", Wait);
            Thread.Sleep(300);
        }
        WaitCaughtUp(master, replica);
        Assert.Equal(Digest(master), Digest(replica));
        Assert.Equal("$-1\r\n", Raw(replica, "GET", "only-on-replica"));

        string log = replica.LogText;
        string masterId = Field(InfoReplication(master), "master_replid");
        Assert.Contains("Connecting to MASTER 127.0.0.1:" + master.Port, log);
        Assert.Contains("MASTER <-> REPLICA sync started", log);
        Assert.Contains("Master replied to PING, replication can continue...", log);
        Assert.Matches(@"Trying a partial resynchronization \(request [0-9a-f]{40}:1\)\.", log);
        Assert.Matches("Full resync from master: " + masterId + @":\d+", log);
        Assert.Matches("MASTER <-> REPLICA sync: " + string.Format(receivingLine, @"\d+"), log);
        Assert.Contains("MASTER <-> REPLICA sync: Loading DB in memory", log);
        Assert.Matches(@"Done loading RDB, keys loaded: \d+, keys expired: 0\.", log);
        if (disklessLoad == "swapdb")
        {
            Assert.Contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB", log);
            Assert.Contains("MASTER <-> REPLICA sync: Discarding old DB in background", log);
        }
        else Assert.Contains("MASTER <-> REPLICA sync: Flushing old data", log);

        // The stream after the sync: every type again, and the ids and offsets are the master's.
        FillEveryType(master, 8);
        Raw(master, "FLUSHDB");
        FillEveryType(master, 9);
        WaitCaughtUp(master, replica);
        Assert.Equal(Digest(master), Digest(replica));
        var info = InfoReplication(replica);
        Assert.Equal(masterId, Field(info, "master_replid"));
        Assert.Equal(Field(InfoReplication(master), "master_repl_offset"), Field(info, "master_repl_offset"));
    }

    [Fact]
    public void PartialResyncAfterTheLinkIsCutFromEitherSide()
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis();
        FillEveryType(master, 3);
        var replica = scene.Csredis(ReplicaOf(master));
        WaitCaughtUp(master, replica);
        replica.AssertLogged("Partial resynchronization not possible (no cached master)");
        using (new Writer(master))
        {
            Thread.Sleep(100);
            Assert.Equal(":1\r\n", Raw(replica, "CLIENT", "KILL", "TYPE", "master"));
            replica.AssertLogged("Successful partial resynchronization with master.", Wait);
            Thread.Sleep(100);
            Assert.Equal(":1\r\n", Raw(master, "CLIENT", "KILL", "TYPE", "replica"));
            WaitFor(() => Count(replica.LogText, "Successful partial resynchronization with master.") == 2, Wait, "second partial resync");
            Thread.Sleep(100);
        }
        WaitCaughtUp(master, replica);
        Assert.Equal(Digest(master), Digest(replica));
        string log = replica.LogText;
        Assert.Equal(1, Count(log, "Full resync from master"));
        Assert.Equal(2, Count(log, "# Connection with master lost."));
        Assert.Equal(2, Count(log, "* Caching the disconnected master state."));
        Assert.Equal(2, Count(log, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."));
        string masterId = Field(InfoReplication(master), "master_replid");
        Assert.Contains($"Trying a partial resynchronization (request {masterId}:", log);
        master.AssertLogged("Partial resynchronization request from");
    }

    /// <summary>A replica restarted from its own RDB (which holds the master's id and offset) continues by PSYNC, as Redis does.</summary>
    [Fact]
    public void RestartedReplicaContinuesFromItsSavedOffset()
    {
        using var scene = new ReplicaScene();
        using var dir = new Persistence.DataDir();
        var master = scene.Redis();
        FillEveryType(master, 21);
        string[] args = ["--enable-debug-command", "yes", .. ReplicaOf(master), "--dir", dir.Path];
        int port;
        using (var first = ServerProcess.StartCsredis(args))
        {
            port = first.Port;
            WaitCaughtUp(master, first);
            Assert.Equal("+OK\r\n", Raw(first, "SAVE"));
        }
        FillEveryType(master, 22);
        using var again = ServerProcess.StartOnPort(ServerProcess.CsredisName, port, null, args);
        WaitCaughtUp(master, again);
        Assert.Equal(Digest(master), Digest(again));
        string log = again.LogText;
        Assert.Contains("Before turning into a replica, using my own master parameters to synthesize a cached master", log);
        Assert.Contains($"Trying a partial resynchronization (request {Field(InfoReplication(master), "master_replid")}:", log);
        Assert.Contains("Successful partial resynchronization with master.", log);
        Assert.DoesNotContain("Full resync from master", log);
        Assert.True(log.IndexOf("synthesize a cached master", StringComparison.Ordinal) < log.IndexOf("Ready to accept connections", StringComparison.Ordinal));
    }

    /// <summary>
    /// A real Redis replica is promoted; we and another real Redis replica are re-pointed to it:
    /// both continue with PSYNC across the id change. Then we are promoted ourselves.
    /// </summary>
    [Fact]
    public void FollowingAPromotedReplicaThenPromotion()
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis();
        FillEveryType(master, 5);
        var promoted = scene.Redis(ReplicaOf(master));
        var ours = scene.Csredis(ReplicaOf(master));
        var oracle = scene.Redis(ReplicaOf(master));
        Raw(master, "SET", "before", "promotion");
        foreach (var r in new[] { promoted, ours, oracle }) WaitCaughtUp(master, r);
        string oldId = Field(InfoReplication(master), "master_replid");

        Assert.Equal("+OK\r\n", Raw(promoted, "REPLICAOF", "NO", "ONE"));
        string newId = Field(InfoReplication(promoted), "master_replid");
        foreach (var r in new[] { ours, oracle })
            Assert.Equal("+OK\r\n", Raw(r, "REPLICAOF", "127.0.0.1", promoted.Port.ToString()));
        ours.AssertLogged("Master replication ID changed to " + newId, Wait);
        Raw(promoted, "SET", "after", "promotion");
        FillEveryType(promoted, 6);
        foreach (var r in new[] { ours, oracle }) WaitCaughtUp(promoted, r);
        Assert.Equal(Digest(promoted), Digest(ours));
        Assert.Equal(1, Count(ours.LogText, "Full resync from master"));
        ours.AssertLogged("Successful partial resynchronization with master.");
        ours.AssertLogged($"REPLICAOF 127.0.0.1:{promoted.Port} enabled (user request from 'id=");

        // Our history now is the oracle's: same ids and offsets.
        var mine = InfoReplication(ours);
        var theirs = InfoReplication(oracle);
        foreach (var field in new[] { "master_replid", "master_replid2", "second_repl_offset", "master_repl_offset", "slave_repl_offset" })
            Assert.Equal(Field(theirs, field), Field(mine, field));
        Assert.Equal(oldId, Field(mine, "master_replid2"));

        long offset = long.Parse(Field(mine, "master_repl_offset"));
        Assert.Equal("+OK\r\n", Raw(ours, "REPLICAOF", "NO", "ONE"));
        var after = InfoReplication(ours);
        Assert.Equal("master", Field(after, "role"));
        Assert.Equal(newId, Field(after, "master_replid2"));
        Assert.Equal((offset + 1).ToString(), Field(after, "second_repl_offset"));
        string promotedId = Field(after, "master_replid");
        Assert.Matches("[0-9a-f]{40}", promotedId);
        string promotionLog = ours.LogText[ours.LogText.LastIndexOf("Connection with master lost.", StringComparison.Ordinal)..];
        const string Stamp = @"\d+:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} ";
        Assert.Matches(Stamp + @"\* Caching the disconnected master state\.\n" + Stamp + @"\* Discarding previously cached master state\.\n"
            + Stamp + $"# Setting secondary replication ID to {newId}, valid up to offset: {offset + 1}\\. New replication ID is {promotedId}\n"
            + Stamp + @"\* MASTER MODE enabled \(user request from 'id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:" + ours.Port + " fd=", promotionLog);
        Assert.Equal($"*3\r\n$6\r\nmaster\r\n:{offset}\r\n*0\r\n", Raw(ours, "ROLE"));
        Assert.Equal("+OK\r\n", Raw(ours, "SET", "writable", "again"));
    }

    /// <summary>Replies of a replica, ours and Redis's side by side on the same master.</summary>
    [Fact]
    public void RepliesInfoAndRoleAsRedisReplica()
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis();
        Raw(master, "SET", "k", "v");
        var ours = scene.Csredis(ReplicaOf(master));
        var oracle = scene.Redis(ReplicaOf(master));
        WaitCaughtUp(master, ours);
        WaitCaughtUp(master, oracle);
        string port = master.Port.ToString();
        string[][] commands =
        [
            ["SET", "x", "1"],
            ["GET", "k"],
            ["REPLICAOF", "127.0.0.1", port],
            ["SLAVEOF", "127.0.0.1", port],
            ["REPLICAOF", "127.0.0.1", "abc"],
            ["REPLICAOF", "127.0.0.1", "-1"],
            ["REPLICAOF", "127.0.0.1", "65536"],
            ["REPLICAOF", "127.0.0.1"],
            ["CONFIG", "GET", "replicaof"],
            ["CONFIG", "GET", "slave-read-only"],
            ["CONFIG", "SET", "replicaof", "127.0.0.1 1"],
            ["CONFIG", "SET", "repl-diskless-load", "maybe"],
            ["CONFIG", "SET", "replica-priority", "-1"],
            ["CONFIG", "GET", "repl-timeout"],
            ["ROLE"],
        ];
        foreach (var cmd in commands) Assert.Equal(Raw(oracle, cmd), Raw(ours, cmd));

        // MULTI with a write: refused at queue time, EXEC aborts.
        string Transaction(ServerProcess s)
        {
            using var c = s.Connect();
            return Raw(c, "MULTI") + Raw(c, "SET", "x", "1") + Raw(c, "GET", "k") + Raw(c, "EXEC");
        }
        Assert.Equal(Transaction(oracle), Transaction(ours));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", Raw(ours, "SET", "x", "1"));

        // replica-read-only no: writes are accepted (and stay local).
        foreach (var s in new[] { ours, oracle }) Assert.Equal("+OK\r\n", Raw(s, "CONFIG", "SET", "replica-read-only", "no"));
        Assert.Equal(Raw(oracle, "SET", "local", "1"), Raw(ours, "SET", "local", "1"));
        Assert.Equal(Raw(oracle, "INFO", "replication").Split("\r\n").Select(l => l.Split(':')[0]), Raw(ours, "INFO", "replication").Split("\r\n").Select(l => l.Split(':')[0]));
        Assert.Equal("0", Field(InfoReplication(ours), "slave_read_only"));

        // The link down with replica-serve-stale-data no: MASTERDOWN for all but stale commands.
        int deadPort = FreePort.Next();
        foreach (var s in new[] { ours, oracle })
        {
            Assert.Equal("+OK\r\n", Raw(s, "CONFIG", "SET", "replica-serve-stale-data", "no"));
            Assert.Equal("+OK\r\n", Raw(s, "REPLICAOF", "127.0.0.1", deadPort.ToString()));
        }
        foreach (var cmd in new[] { new[] { "GET", "k" }, ["PING"], ["SET", "x", "1"], ["CONFIG", "GET", "replica-serve-stale-data"] })
            Assert.Equal(Raw(oracle, cmd), Raw(ours, cmd));
        Assert.Equal("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", Raw(ours, "GET", "k"));
        WaitFor(() => ours.LogText.Contains("# Error condition on socket for SYNC: Connection refused"), Wait, "refused connection logged");
        static IEnumerable<string> Names(string info) => info.Split("\r\n").Select(l => l.Split(':')[0]);
        Assert.Equal(Names(InfoReplication(oracle)), Names(InfoReplication(ours)));
        var down = InfoReplication(ours);
        Assert.Equal("down", Field(down, "master_link_status"));
        Assert.Equal("-1", Field(down, "master_last_io_seconds_ago"));
        Assert.Equal(Field(InfoReplication(oracle), "master_link_down_since_seconds"), Field(down, "master_link_down_since_seconds"));
        var role = RespFrame.Parse(Exec(ours.Connect(), "ROLE").Raw);
        Assert.Equal(5, role.Children.Count);
        Assert.Equal("slave", role.Children[0].Text);
        Assert.Equal(deadPort.ToString(), role.Children[2].Text);
        Assert.Contains(role.Children[3].Text, new[] { "connect", "connecting" });
        Assert.Equal("-1", role.Children[4].Text);

        // Promotion while the link is down, on both, the way a sentinel does it (inside MULTI): the log
        // names the requesting client as Redis does (flags=x, the queued count, cmd=exec).
        string Promote(ServerProcess s)
        {
            using var c = s.Connect();
            return Raw(c, "MULTI") + Raw(c, "REPLICAOF", "NO", "ONE") + Raw(c, "CLIENT", "SETNAME", "sentinel-x-cmd") + Raw(c, "PING") + Raw(c, "EXEC");
        }
        foreach (var s in new[] { ours, oracle }) Assert.Equal("+OK\r\n", Raw(s, "CONFIG", "SET", "replica-serve-stale-data", "yes"));
        Assert.Equal(Promote(oracle), Promote(ours));
        static Dictionary<string, string> Requester(ServerProcess s)
        {
            WaitFor(() => s.LogText.Contains("MASTER MODE enabled"), Wait, "promotion logged");
            var m = Regex.Match(s.LogText, @"MASTER MODE enabled \(user request from '([^']*)'\)");
            return m.Groups[1].Value.Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        }
        var theirsRequester = Requester(oracle);
        var oursRequester = Requester(ours);
        Assert.Equal(theirsRequester.Keys, oursRequester.Keys);
        foreach (var key in new[] { "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "resp", "name" })
            Assert.Equal(theirsRequester[key], oursRequester[key]);
        Assert.Equal(Raw(oracle, "REPLICAOF", "NO", "ONE"), Raw(ours, "REPLICAOF", "NO", "ONE"));
        Assert.Equal(Raw(oracle, "GET", "k"), Raw(ours, "GET", "k"));
    }
}
