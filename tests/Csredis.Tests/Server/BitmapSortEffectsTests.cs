// The side effects of the bitmap commands and SORT that one connection cannot see: the dirty
// counter (rdb_changes_since_last_save, which drives save points and replication) and keyspace
// hits/misses, WATCH broken by
// another client, keyspace events received by another subscriber, and a client blocked in BLPOP
// woken by SORT ... STORE. Each scenario runs against real redis-server and ./csredis-server and
// the transcripts must be equal.
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Server.BothServers;

namespace Csredis.Tests.Server;

public sealed class BitmapSortEffectsTests
{
    /// <summary>The dirty counter and the keyspace hit/miss counters (lookups for reading count, lookups for writing do not).</summary>
    static string Counters(RawClient c)
    {
        var info = RespFrame.Parse(c.Execute("INFO", "persistence")).Text + RespFrame.Parse(c.Execute("INFO", "stats")).Text;
        string Field(string name) => Regex.Match(info, name + @":(\d+)").Groups[1].Value;
        return $"dirty={Field("rdb_changes_since_last_save")} hits={Field("keyspace_hits")} misses={Field("keyspace_misses")}";
    }

    /// <summary>Runs each command and logs its reply with the counters after it.</summary>
    static void LogDirty(RawClient c, List<string> log, params string[][] commands)
    {
        foreach (var cmd in commands) log.Add($"{string.Join(' ', cmd)} -> {c.Call(cmd)} {Counters(c)}");
    }

    [Fact]
    public void DirtyAndKeyspaceCountersMatchRedis() => AssertSame(Run((server, log) =>
    {
        using var c = server.Connect();
        LogDirty(c, log,
            ["SETBIT", "b", "7", "1"],
            ["SETBIT", "b", "7", "1"],          // no change
            ["SETBIT", "b", "7", "0"],
            ["SETBIT", "b", "100", "0"],        // grows: counts
            ["SETBIT", "b", "100", "0"],
            ["SETBIT", "b", "x", "0"],
            ["SET", "n", "12"],
            ["SETBIT", "n", "0", "0"],          // re-encoded to raw, no bit changed
            ["GETBIT", "b", "7"],
            ["BITCOUNT", "b"],
            ["BITPOS", "b", "1"],
            ["BITFIELD", "f", "SET", "u8", "0", "1", "SET", "u8", "8", "2", "GET", "u8", "0"],
            ["BITFIELD", "f", "SET", "u8", "0", "1", "INCRBY", "u8", "8", "0"],
            ["BITFIELD", "f", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "8", "1", "INCRBY", "u8", "16", "0"],
            ["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"],
            ["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "800", "1000"], // grows, but nothing written
            ["BITFIELD", "g", "OVERFLOW", "FAIL", "SET", "u2", "0", "9"],
            ["EXISTS", "g"],
            ["BITFIELD_RO", "f", "GET", "u8", "0"],
            ["BITOP", "OR", "o", "b", "f"],
            ["BITOP", "OR", "o", "b", "f"],
            ["BITOP", "AND", "o", "missing"],
            ["BITOP", "AND", "o", "missing"],
            ["RPUSH", "l", "3", "1", "2"],
            ["SORT", "l"],
            ["SORT", "l", "STORE", "s"],
            ["SORT", "l", "GET", "#", "GET", "x_*", "STORE", "s"],
            ["SORT", "l", "LIMIT", "0", "0", "STORE", "s"],
            ["SORT", "l", "LIMIT", "0", "0", "STORE", "s"],
            ["SORT_RO", "l", "ALPHA"],
            ["SET", "w_1", "5"],
            ["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"],
            ["SORT", "missing", "BY", "w_*"],
            ["BITOP", "AND", "o", "missing", "b", "missing2"],
            ["BITFIELD", "missing", "GET", "u8", "0"],
            ["BITFIELD", "missing3", "SET", "u8", "0", "0"]);
    }));

    [Fact]
    public void WatchIsInvalidatedByAnotherClientsBitAndSortWrites() => AssertSame(Run((server, log) =>
    {
        using var a = server.Connect();
        using var b = server.Connect();
        log.Add(a.Call("SETBIT", "k", "1", "1"));
        log.Add(a.Call("RPUSH", "l", "2", "1"));
        foreach (var interference in new[]
        {
            new[] { "SETBIT", "k", "1", "1" },
            ["SETBIT", "k", "1", "0"],
            ["SETBIT", "k", "50", "0"],
            ["BITFIELD", "k", "GET", "u8", "0"],
            ["BITFIELD", "k", "INCRBY", "u8", "0", "1"],
            ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"],
            ["BITOP", "NOT", "k", "k"],
            ["BITOP", "AND", "other", "k"],
            ["SORT", "l", "STORE", "k"],
            ["SORT", "l"],
        })
        {
            log.Add(a.Call("WATCH", "k"));
            log.Add(b.Call(interference));
            log.Add(a.Call("MULTI"));
            log.Add(a.Call("GET", "k"));
            log.Add(a.Call("EXEC"));
        }
    }));

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void KeyspaceEventsReachAnotherSubscriber(string protocol) => AssertSame(Run((server, log) =>
    {
        using var c = server.Connect();
        using var sub = server.Connect();
        sub.Send("HELLO", protocol);
        sub.Next();
        log.Add(c.Call("CONFIG", "SET", "notify-keyspace-events", "KEA"));
        log.Add(sub.Call("PSUBSCRIBE", "__key*@0__:*"));
        foreach (var cmd in new[]
        {
            new[] { "SETBIT", "b", "3", "1" },
            ["SETBIT", "b", "3", "1"],
            ["SETBIT", "b", "40", "0"],
            ["BITFIELD", "b", "INCRBY", "u8", "0", "1", "GET", "u8", "0"],
            ["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"],
            ["BITOP", "XOR", "x", "b", "b"],
            ["BITOP", "OR", "x", "missing"],
            ["RPUSH", "l", "b", "a"],
            ["SORT", "l", "ALPHA", "STORE", "s"],
            ["SORT", "missing", "STORE", "s"],
            ["SORT", "l", "BY", "w_*", "GET", "o_*"],
        })
        {
            log.Add(c.Call(cmd));
        }
        // One drain for all: the subscriber sees every command's events, in command order.
        Drain(sub, log, "sub");
    }));

    [Fact]
    public void SortStoreWakesAClientBlockedOnTheDestination() => AssertSame(Run((server, log) =>
    {
        using var c = server.Connect();
        using var blocked = server.Connect();
        log.Add(c.Call("RPUSH", "src", "3", "1", "2"));
        blocked.Send("BLPOP", "dst", "5");
        Thread.Sleep(100);
        log.Add(c.Call("SORT", "src", "DESC", "STORE", "dst"));
        log.Add("blocked " + blocked.Next());
        log.Add(c.Call("LRANGE", "dst", "0", "-1"));
    }));
}
