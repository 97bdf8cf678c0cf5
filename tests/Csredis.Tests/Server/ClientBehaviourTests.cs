// CLIENT and MONITOR behaviour that needs several connections or timing, each checked against
// real Redis 7.0 where the reply is deterministic: CLIENT PAUSE holding writes only, CLIENT
// REPLY OFF/SKIP, CLIENT KILL, MONITOR lines, idle timeout, maxclients, rename-command.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Csredis.Tests.Server;

public class ClientBehaviourTests
{
    static void OnBoth(Action<TestServer, string> check, params string[] args)
    {
        var dir = Paths.TempDir();
        try
        {
            foreach (var binary in new[] { Paths.Redis, Paths.Csredis })
            {
                using var server = TestServer.Start(binary, dir, new[] { "--save", "" }.Concat(args).ToArray());
                check(server, binary);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static long TimeMs(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.ElapsedMilliseconds;
    }

    [Fact]
    public void PauseWriteHoldsOnlyWrites()
    {
        OnBoth((server, name) =>
        {
            using var admin = server.Connect();
            using var other = server.Connect();
            Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "1000", "WRITE"));
            Assert.True(TimeMs(() => Assert.Null(other.Call("GET", "k"))) < 500, name);
            Assert.True(TimeMs(() => Assert.Equal("OK", other.Call("SET", "k", "v"))) >= 700, name);
            // Under ALL even CLIENT UNPAUSE waits (as in Redis), so this pause ends by its timeout.
            Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "1000", "ALL"));
            other.Send("GET", "k");
            Assert.True(TimeMs(() => Assert.Equal("OK", admin.Call("CLIENT", "UNPAUSE"))) >= 700, name);
            Assert.Equal("v", other.Read());
        });
    }

    [Fact]
    public void ReplyOffAndSkipDropReplies()
    {
        OnBoth((server, name) =>
        {
            using var c = server.Connect();
            c.Send("CLIENT", "REPLY", "OFF");
            c.Send("PING");
            c.Send("SET", "q", "1");
            c.Send("CLIENT", "REPLY", "SKIP");
            c.Send("CLIENT", "REPLY", "ON");
            Assert.Equal("OK", c.Read());
            c.Send("CLIENT", "REPLY", "SKIP");
            c.Send("PING", "skipped");
            c.Send("PING", "seen");
            Assert.Equal("seen", c.Read());
            Assert.Equal("1", c.Call("GET", "q"));
        });
    }

    [Fact]
    public void KillByIdTypeAndAddress()
    {
        OnBoth((server, name) =>
        {
            using var admin = server.Connect();
            using var victim = server.Connect();
            var id = (long)victim.Call("CLIENT", "ID")!;
            Assert.Equal(1L, admin.Call("CLIENT", "KILL", "ID", id.ToString()));
            Assert.Throws<IOException>(() => victim.Call("PING"));
            using var second = server.Connect();
            var info = (string)second.Call("CLIENT", "INFO")!;
            string addr = Regex.Match(info, @" addr=(\S+)").Groups[1].Value;
            Assert.Equal("OK", admin.Call("CLIENT", "KILL", addr));
            Assert.Equal(0L, admin.Call("CLIENT", "KILL", "TYPE", "normal"));
            Assert.Equal(1L, admin.Call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"));
        });
    }

    [Fact]
    public void ClientListFieldsMatchRedis()
    {
        var layouts = new List<string>();
        OnBoth((server, name) =>
        {
            using var c = server.Connect();
            c.Call("CLIENT", "SETNAME", "probe");
            var line = ((string)c.Call("CLIENT", "LIST")!).TrimEnd('\n');
            layouts.Add(Regex.Replace(line, @"=\S*", "="));
            Assert.Contains(" name=probe ", line);
            Assert.Contains(" cmd=client|list ", line);
            Assert.Contains(" flags=N ", line);
        });
        Assert.Equal(layouts[0], layouts[1]);
    }

    [Fact]
    public void MonitorLinesMatchRedis()
    {
        var streams = new List<string[]>();
        OnBoth((server, name) =>
        {
            using var monitor = server.Connect();
            Assert.Equal("OK", monitor.Call("MONITOR"));
            using var c = server.Connect();
            c.Call("SET", "a b", "x\"y\nz");
            c.Call("AUTH", "secret");
            c.Call("SELECT", "3");
            c.Call("INCR", "n");
            c.Call("CONFIG", "GET", "maxmemory");
            c.Call("ECHO", "\u0001");
            c.Call("PING");
            var lines = new List<string>();
            for (int i = 0; i < 6; i++) lines.Add(Regex.Replace((string)monitor.Read()!, @"^\d+\.\d{6} \[(\d+) [^\]]+\]", "[$1 addr]"));
            streams.Add(lines.ToArray());
        });
        Assert.Equal(streams[0], streams[1]);
    }

    [Fact]
    public void IdleClientsAreClosedAfterTimeout()
    {
        OnBoth((server, name) =>
        {
            using var c = server.Connect();
            Assert.Equal("PONG", c.Call("PING"));
            Thread.Sleep(2500);
            Assert.ThrowsAny<Exception>(() => c.Call("PING"));
        }, "--timeout", "1");
    }

    [Fact]
    public void MaxClientsRefusesWithRedisError()
    {
        OnBoth((server, name) =>
        {
            using var first = server.Connect();
            Assert.Equal("PONG", first.Call("PING"));
            using var second = server.Connect();
            Assert.Equal(new RespError("ERR max number of clients reached"), second.Read());
        }, "--maxclients", "1");
    }

    [Fact]
    public void RenameCommandMovesOrDisables()
    {
        OnBoth((server, name) =>
        {
            using var c = server.Connect();
            Assert.Equal(new RespError("ERR unknown command 'get', with args beginning with: 'a' "), c.Call("get", "a"));
            Assert.Equal("OK", c.Call("MYSET", "a", "1"));
            Assert.IsType<RespError>(c.Call("SET", "a", "1"));
            Assert.Equal(new List<object?> { null }, c.Call("COMMAND", "INFO", "get"));
        }, "--rename-command", "get", "", "--rename-command", "set", "myset");
    }
}
