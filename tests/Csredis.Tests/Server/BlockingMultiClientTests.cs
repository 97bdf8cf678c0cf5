// Blocking list commands between connections: FIFO wake-up of clients blocked on one key, wake-up
// by another client's push, LMOVE/BLMOVE chains served in the same turn, decimal timeouts, CLIENT
// UNBLOCK, pipelined commands resuming after the wake-up, MULTI, SWAPDB and disconnects. Every
// scenario runs against real redis-server and ./csredis-server; the observed frames must match.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Server.BothServers;

namespace Csredis.Tests.Server;

public sealed class BlockingMultiClientTests
{
    /// <summary>Whether the client got a reply within a short wait (a blocked client must not have).</summary>
    static string Pending(RawClient c) => c.Next(150) ?? "(blocked)";

    /// <summary>Sends a blocking command and gives the server a moment to park the client (arrival order matters).</summary>
    static void Park(RawClient c, params string[] args)
    {
        c.Send(args);
        Thread.Sleep(50);
    }

    static string ClientId(RawClient c)
    {
        var hello = c.Call("HELLO", "2");
        int at = hello.IndexOf("id\\r\\n:", StringComparison.Ordinal) + 7;
        return hello[at..hello.IndexOf('\\', at)];
    }

    [Fact]
    public void ClientsBlockedOnOneKeyAreServedInArrivalOrder() => AssertSame(Run((server, log) =>
    {
        using var pusher = server.Connect();
        using var first = server.Connect();
        using var second = server.Connect();
        using var third = server.Connect();
        Park(first, "BLPOP", "queue", "0");
        Park(second, "BLPOP", "queue", "0");
        Park(third, "BRPOP", "queue", "other", "0");
        log.Add(Pending(first));
        log.Add(pusher.Call("RPUSH", "queue", "1", "2"));
        log.Add(first.Next() ?? "(none)");
        log.Add(second.Next() ?? "(none)");
        log.Add(Pending(third));
        log.Add(pusher.Call("LPUSH", "other", "x"));
        log.Add(third.Next() ?? "(none)");
        log.Add(pusher.Call("EXISTS", "queue", "other"));
    }));

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void TimeoutsAnswerNullAfterTheDecimalDelay(string protocol) => AssertSame(Run((server, log) =>
    {
        using var c = server.Connect();
        c.Send("HELLO", protocol);
        c.Next();
        foreach (var cmd in new[]
        {
            new[] { "BLPOP", "none", "0.3" }, ["BRPOP", "a", "b", "0.3"], ["BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.3"],
            ["BRPOPLPUSH", "none", "dst", "0.3"], ["BLMPOP", "0.3", "2", "a", "b", "LEFT", "COUNT", "2"],
        })
        {
            c.Send(cmd);
            log.Add(c.Next(100) ?? "(still blocked after 0.1s)");
            log.Add(c.Next(2000) ?? "(no timeout reply)");
        }
        foreach (var bad in new[] { "abc", "-1", " 1", "inf", "1e400", "" })
            log.Add(c.Call("BLPOP", "k", bad));
        log.Add(c.Call("BLMPOP", "x", "0", "k", "LEFT"));
        log.Add(c.Call("BLMPOP", "x", "1", "k", "UP"));
        log.Add(c.Call("BLMOVE", "k", "d", "UP", "LEFT", "x"));
    }));

    [Fact]
    public void MovesServeClientsBlockedOnTheDestinationInTheSameTurn() => AssertSame(Run((server, log) =>
    {
        using var pusher = server.Connect();
        using var mover = server.Connect();
        using var second = server.Connect();
        using var popper = server.Connect();
        Park(mover, "BLMOVE", "src", "mid", "LEFT", "RIGHT", "0");
        Park(second, "BRPOPLPUSH", "mid", "dst", "0");
        Park(popper, "BLPOP", "dst", "0");
        log.Add(pusher.Call("LPUSH", "src", "v"));
        log.Add(mover.Next() ?? "(none)");
        log.Add(second.Next() ?? "(none)");
        log.Add(popper.Next() ?? "(none)");
        log.Add(pusher.Call("EXISTS", "src", "mid", "dst"));
        // A plain LMOVE wakes a client blocked on its destination too.
        Park(popper, "BLPOP", "target", "0");
        log.Add(pusher.Call("RPUSH", "origin", "a", "b"));
        log.Add(pusher.Call("LMOVE", "origin", "target", "RIGHT", "LEFT"));
        log.Add(popper.Next() ?? "(none)");
    }));

    [Fact]
    public void PipelinedCommandsRunOnceTheClientIsServed() => AssertSame(Run((server, log) =>
    {
        using var pusher = server.Connect();
        using var c = server.Connect();
        c.SendRaw(RawClient.EncodeCommand("BLPOP", "pipe", "0").Concat(RawClient.EncodeCommand("PING")).Concat(RawClient.EncodeCommand("ECHO", "after")).ToArray());
        log.Add(Pending(c));
        log.Add(pusher.Call("RPUSH", "pipe", "z"));
        log.Add(c.Next() ?? "(none)");
        log.Add(c.Next() ?? "(none)");
        log.Add(c.Next() ?? "(none)");
    }));

    [Fact]
    public void ClientUnblockAnswersTimeoutOrError() => AssertSame(Run((server, log) =>
    {
        using var admin = server.Connect();
        using var c = server.Connect();
        string id = ClientId(c);
        Park(c, "BRPOP", "nothing", "0");
        log.Add(admin.Call("CLIENT", "UNBLOCK", id));
        log.Add(c.Next() ?? "(none)");
        Park(c, "BLMOVE", "nothing", "d", "LEFT", "LEFT", "0");
        log.Add(admin.Call("CLIENT", "UNBLOCK", id, "ERROR"));
        log.Add(c.Next() ?? "(none)");
        log.Add(admin.Call("CLIENT", "UNBLOCK", id));
        log.Add(admin.Call("CLIENT", "UNBLOCK", id, "maybe"));
        log.Add(admin.Call("CLIENT", "UNBLOCK", "notanumber"));
        log.Add(c.Call("PING"));
    }));

    [Fact]
    public void WrongTypeTransactionsSwapdbAndDisconnects() => AssertSame(Run((server, log) =>
    {
        using var pusher = server.Connect();
        using var a = server.Connect();
        using var b = server.Connect();
        // A key of another type does not wake the client; a list later does.
        Park(a, "BLPOP", "wt", "0");
        log.Add(pusher.Call("SET", "wt", "string"));
        log.Add(Pending(a));
        log.Add(pusher.Call("DEL", "wt"));
        log.Add(pusher.Call("RPUSH", "wt", "ok"));
        log.Add(a.Next() ?? "(none)");
        // Pushes inside MULTI serve the blocked client after EXEC, with what EXEC left.
        Park(b, "BLPOP", "mq", "0");
        log.Add(pusher.Call("MULTI"));
        log.Add(pusher.Call("LPUSH", "mq", "1"));
        log.Add(pusher.Call("LPUSH", "mq", "2"));
        log.Add(pusher.Call("EXEC"));
        log.Add(b.Next() ?? "(none)");
        log.Add(pusher.Call("LRANGE", "mq", "0", "-1"));
        // Blocking commands inside MULTI never block.
        log.Add(a.Call("MULTI"));
        log.Add(a.Call("BLPOP", "empty", "0"));
        log.Add(a.Call("BLMOVE", "empty", "d", "LEFT", "LEFT", "0"));
        log.Add(a.Call("BLMPOP", "0", "1", "empty", "LEFT"));
        log.Add(a.Call("EXEC"));
        // SWAPDB brings a list under a key someone waits on.
        Park(a, "BLPOP", "swapped", "0");
        log.Add(pusher.Call("SELECT", "1"));
        log.Add(pusher.Call("RPUSH", "swapped", "from-db1"));
        log.Add(pusher.Call("SWAPDB", "0", "1"));
        log.Add(a.Next() ?? "(none)");
        log.Add(pusher.Call("SELECT", "0"));
        // A client that disconnects while blocked is forgotten.
        Park(b, "BLPOP", "gone", "0");
        b.Dispose();
        Thread.Sleep(100);
        log.Add(pusher.Call("RPUSH", "gone", "kept"));
        log.Add(pusher.Call("LLEN", "gone"));
        // BRPOPLPUSH served into a destination that became another type fails with WRONGTYPE.
        Park(a, "BRPOPLPUSH", "s9", "d9", "0");
        log.Add(pusher.Call("SET", "d9", "x"));
        log.Add(pusher.Call("RPUSH", "s9", "e"));
        log.Add(a.Next() ?? "(none)");
        log.Add(pusher.Call("LLEN", "s9"));
    }));

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void SortedSetPopsWakeBlockedClientsInOrder(string protocol) => AssertSame(Run((server, log) =>
    {
        using var writer = server.Connect();
        using var min = server.Connect();
        using var max = server.Connect();
        using var multi = server.Connect();
        foreach (var c in new[] { min, max, multi })
        {
            c.Send("HELLO", protocol);
            c.Next();
        }
        Park(min, "BZPOPMIN", "z", "0");
        Park(max, "BZPOPMAX", "other", "z", "0");
        Park(multi, "BZMPOP", "0", "2", "z", "z2", "MAX", "COUNT", "5");
        log.Add(Pending(min));
        // A list under the key does not wake sorted-set waiters.
        log.Add(writer.Call("RPUSH", "z", "not-a-zset"));
        log.Add(Pending(min));
        log.Add(writer.Call("DEL", "z"));
        log.Add(writer.Call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4.5", "d"));
        log.Add(min.Next() ?? "(none)");
        log.Add(max.Next() ?? "(none)");
        log.Add(multi.Next() ?? "(none)");
        log.Add(writer.Call("EXISTS", "z"));
        Park(min, "BZPOPMIN", "z", "0");
        log.Add(writer.Call("ZINCRBY", "z", "7", "m"));
        log.Add(min.Next() ?? "(none)");
        log.Add(min.Call("BZMPOP", "0.05", "1", "z", "MIN"));
        log.Add(min.Call("BZPOPMAX", "z", "0.05"));
    }));
}
