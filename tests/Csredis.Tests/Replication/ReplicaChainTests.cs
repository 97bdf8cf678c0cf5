// csredis-server in the middle of real Redis nodes: a real Redis sub-replica follows the master's
// stream through us unchanged (same replication id and offsets, seed 004); then we are promoted
// and every real Redis node, the sub-replica, the other replica and the old master itself,
// continues with us by PSYNC from our secondary id ("Partial resynchronization request from ...
// accepted", seed 001) instead of a full resync.
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;
using static Csredis.Tests.Replication.ReplicaScene;

namespace Csredis.Tests.Replication;

public sealed class ReplicaChainTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Fact]
    public void ChainedThroughUsThenPromotedAndEveryoneContinues()
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis("--repl-diskless-sync-delay", "0");
        FillEveryType(master, 11);
        var ours = scene.Csredis([.. ReplicaOf(master), "--repl-diskless-sync-delay", "0"]);
        var sub = scene.Redis(ReplicaOf(ours));
        var sibling = scene.Redis(ReplicaOf(master));
        using (new Writer(master))
        {
            WaitCaughtUp(master, ours);
            WaitCaughtUp(ours, sub);
            Thread.Sleep(200);
        }
        WaitCaughtUp(master, ours);
        WaitCaughtUp(ours, sub);
        WaitCaughtUp(master, sibling);
        var masterInfo = InfoReplication(master);
        foreach (var node in new[] { ours, sub })
        {
            var info = InfoReplication(node);
            Assert.Equal(Field(masterInfo, "master_replid"), Field(info, "master_replid"));
            Assert.Equal(Field(masterInfo, "master_repl_offset"), Field(info, "master_repl_offset"));
            Assert.Equal(Digest(master), Digest(node));
        }
        string oldId = Field(masterInfo, "master_replid");
        long offset = long.Parse(Field(masterInfo, "master_repl_offset"));

        Assert.Equal("+OK\r\n", Raw(ours, "REPLICAOF", "NO", "ONE"));
        Assert.Equal("+OK\r\n", Raw(sibling, "REPLICAOF", "127.0.0.1", ours.Port.ToString()));
        Assert.Equal("+OK\r\n", Raw(master, "REPLICAOF", "127.0.0.1", ours.Port.ToString()));
        foreach (var node in new[] { sub, sibling, master })
            ours.AssertLogged($"Partial resynchronization request from 127.0.0.1:{node.Port} accepted.", Wait);
        ours.AssertLogged($"Setting secondary replication ID to {oldId}, valid up to offset: {offset + 1}.");

        FillEveryType(ours, 12);
        Raw(ours, "SET", "written", "on the promoted replica");
        foreach (var node in new[] { sub, sibling, master })
        {
            WaitCaughtUp(ours, node);
            Assert.Equal(Digest(ours), Digest(node));
            node.AssertLogged("Successful partial resynchronization with master.");
        }
        Assert.Equal(0, Count(master.LogText, "Full resync from master"));
        Assert.Equal(1, Count(sibling.LogText, "Full resync from master"));
        Assert.Equal(1, Count(sub.LogText, "Full resync from master"));
        using var c = ours.Connect();
        var role = Exec(c, "ROLE");
        Assert.Equal("master", role.Children[0].Text);
        Assert.Equal(new[] { sub.Port, sibling.Port, master.Port }.Select(p => p.ToString()).Order(), role.Children[2].Children.Select(r => r.Children[1].Text).Order());
    }
}
