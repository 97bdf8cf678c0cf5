// csredis-server replicating from csredis-server (both sides ours), and the handshake's AUTH:
// full sync with writes running, partial resync after the link is cut, promotion of one replica
// and the other re-pointed to it continuing by PSYNC; masterauth accepted, and a wrong one logged
// as a real Redis replica logs it.
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;
using static Csredis.Tests.Replication.ReplicaScene;

namespace Csredis.Tests.Replication;

public sealed class ReplicaOfCsredisTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Fact]
    public void FullPartialAndPromotionAmongCsredisServers()
    {
        using var scene = new ReplicaScene();
        var master = scene.Csredis("--repl-diskless-sync-delay", "0");
        FillEveryType(master, 31);
        var first = scene.Csredis(ReplicaOf(master));
        var second = scene.Csredis(ReplicaOf(master));
        using (new Writer(master))
        {
            WaitCaughtUp(master, first);
            WaitCaughtUp(master, second);
            Assert.Equal(":1\r\n", Raw(first, "CLIENT", "KILL", "TYPE", "master"));
            first.AssertLogged("Successful partial resynchronization with master.", Wait);
            Thread.Sleep(100);
        }
        WaitCaughtUp(master, first);
        WaitCaughtUp(master, second);
        Assert.Equal(Digest(master), Digest(first));
        Assert.Equal(Digest(master), Digest(second));

        Assert.Equal("+OK\r\n", Raw(first, "REPLICAOF", "NO", "ONE"));
        Assert.Equal("+OK\r\n", Raw(second, "REPLICAOF", "127.0.0.1", first.Port.ToString()));
        second.AssertLogged("Master replication ID changed to " + Field(InfoReplication(first), "master_replid"), Wait);
        FillEveryType(first, 32);
        WaitCaughtUp(first, second);
        Assert.Equal(Digest(first), Digest(second));
        Assert.Equal(1, Count(second.LogText, "Full resync from master"));
        Assert.Equal(1, Count(first.LogText, "Full resync from master"));
    }

    [Fact]
    public void MasterAuthAsRedis()
    {
        using var scene = new ReplicaScene();
        var master = scene.Redis("--requirepass", "s3cret");
        var ours = scene.Csredis([.. ReplicaOf(master), "--masterauth", "s3cret"]);
        WaitFor(() => Field(InfoReplication(ours), "master_link_status") == "up", Wait, "link up with masterauth");

        var wrongOurs = scene.Csredis([.. ReplicaOf(master), "--masterauth", "nope"]);
        var wrongTheirs = scene.Redis([.. ReplicaOf(master), "--masterauth", "nope"]);
        const string Line = "Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled.";
        wrongTheirs.AssertLogged(Line, Wait);
        wrongOurs.AssertLogged(Line, Wait);
        Assert.Equal("down", Field(InfoReplication(wrongOurs), "master_link_status"));
    }
}
