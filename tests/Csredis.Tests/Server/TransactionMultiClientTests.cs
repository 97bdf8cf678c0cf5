// WATCH as seen from several connections: another client's writes, deletes, expiry, FLUSHDB and
// FLUSHALL invalidate the watcher's EXEC; writes to other keys or other databases do not. Each
// scenario runs against real redis-server and ./csredis-server and the transcripts must be equal.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Server.BothServers;

namespace Csredis.Tests.Server;

public sealed class TransactionMultiClientTests
{
    /// <summary>a WATCHes <paramref name="key"/>, b runs <paramref name="interference"/>, a runs MULTI GET EXEC.</summary>
    static void WatchRound(RawClient a, RawClient b, List<string> log, string key, params string[][] interference)
    {
        log.Add(a.Call("WATCH", key));
        foreach (var cmd in interference) log.Add(b.Call(cmd));
        log.Add(a.Call("MULTI"));
        log.Add(a.Call("GET", key));
        log.Add(a.Call("EXEC"));
    }

    [Fact]
    public void WatchIsInvalidatedByOtherClientsWrites() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        log.Add(a.Call("SET", "k", "1"));
        WatchRound(a, b, log, "k", ["SET", "k", "2"]);
        WatchRound(a, b, log, "k", ["SET", "other", "1"]);
        WatchRound(a, b, log, "k", ["APPEND", "k", "x"]);
        WatchRound(a, b, log, "k", ["DEL", "k"]);
        WatchRound(a, b, log, "k", ["DEL", "k"]); // deleting a missing key changes nothing
        WatchRound(a, b, log, "k", ["SET", "k", "v", "NX"]);
        WatchRound(a, b, log, "k", ["SET", "k", "v", "NX"]); // NX on an existing key writes nothing
        WatchRound(a, b, log, "k", ["EXPIRE", "k", "100"]);
        WatchRound(a, b, log, "k", ["PERSIST", "k"]);
        WatchRound(a, b, log, "k", ["SELECT", "1"], ["SET", "k", "db1"], ["SELECT", "0"]);
        // UNWATCH forgets the keys.
        log.Add(a.Call("WATCH", "k"));
        log.Add(a.Call("UNWATCH"));
        log.Add(b.Call("SET", "k", "3"));
        log.Add(a.Call("MULTI"));
        log.Add(a.Call("GET", "k"));
        log.Add(a.Call("EXEC"));
    }));

    [Fact]
    public void WatchIsInvalidatedByFlushes() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        log.Add(a.Call("SET", "k", "1"));
        WatchRound(a, b, log, "k", ["FLUSHALL"]);
        WatchRound(a, b, log, "k", ["FLUSHALL"]); // the watched key did not exist: no change
        log.Add(a.Call("SET", "k", "1"));
        WatchRound(a, b, log, "k", ["SELECT", "1"], ["FLUSHDB"], ["SELECT", "0"]);
        WatchRound(a, b, log, "k", ["FLUSHDB"]);
    }));

    [Fact]
    public void WatchIsInvalidatedBySwapdbWhenTheKeyChanges() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        log.Add(a.Call("SET", "k", "db0"));
        log.Add(b.Call("SELECT", "1"));
        // The other database has no k: swapping it in removes the watched key.
        WatchRound(a, b, log, "k", ["SWAPDB", "0", "1"]);
        // Neither side has the key: nothing changes.
        WatchRound(a, b, log, "absent", ["SWAPDB", "0", "1"]);
        // Swapping a database with itself changes nothing.
        WatchRound(a, b, log, "k", ["SWAPDB", "1", "1"]);
        log.Add(b.Call("SET", "k", "db1"));
        WatchRound(a, b, log, "k", ["SWAPDB", "1", "0"]);
        // A key watched in another database than the swapped ones is unaffected.
        log.Add(a.Call("SELECT", "2"));
        log.Add(a.Call("SET", "k", "db2"));
        WatchRound(a, b, log, "k", ["SWAPDB", "0", "1"]);
    }));

    [Fact]
    public void WatchedKeyExpiringAbortsExec() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        log.Add(a.Call("SET", "k", "1", "PX", "100"));
        log.Add(a.Call("WATCH", "k"));
        Thread.Sleep(300);
        log.Add(b.Call("GET", "k"));
        log.Add(a.Call("MULTI"));
        log.Add(a.Call("GET", "k"));
        log.Add(a.Call("EXEC"));
        // Already expired when watched: its removal is no change, but setting it again is.
        log.Add(a.Call("SET", "j", "1", "PX", "20"));
        Thread.Sleep(200);
        WatchRound(a, b, log, "j", ["GET", "j"]);
        WatchRound(a, b, log, "j", ["SET", "j", "2"]);
    }));

    [Fact]
    public void AbortedExecIsNullInBothProtocols() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        foreach (var proto in new[] { "2", "3" })
        {
            a.Send("HELLO", proto);
            a.Next();
            WatchRound(a, b, log, "k", ["INCR", "k"]);
        }
    }));
}
