// Config file handling compared with real Redis 7.0: the FATAL CONFIG FILE ERROR report and exit
// status for bad lines, start-up with the repository's redis.conf, and CONFIG REWRITE of the same
// file after the same CONFIG SETs (lines Redis appends come out in its dict order, which is random,
// so the generated section is compared as a set).
using System.Text.RegularExpressions;
using Xunit;

namespace Csredis.Tests.Server;

public class ConfigFileTests
{
    /// <summary>Drops what differs between any two runs: pids, timestamps.</summary>
    static string Normalize(string text) =>
        Regex.Replace(Regex.Replace(text, @"^\d+:[CMXS] \d\d \w{3} \d{4} [\d:.]+ [#*.-] ", "", RegexOptions.Multiline), @"pid=\d+", "pid=N");

    [Theory]
    [InlineData("daemonize maybe")]
    [InlineData("port abc")]
    [InlineData("port 70000")]
    [InlineData("port 1 2")]
    [InlineData("loglevel loud")]
    [InlineData("foo bar")]
    [InlineData("maxmemory 10x")]
    [InlineData("maxmemory -1")]
    [InlineData("save 1")]
    [InlineData("databases 0")]
    [InlineData("dir /nonexistent-dir")]
    [InlineData("rename-command get")]
    [InlineData("timeout -1")]
    [InlineData("requirepass a b")]
    [InlineData("port \"abc")]
    [InlineData("maxmemory-policy foo")]
    [InlineData("appendfsync sometimes")]
    [InlineData("client-query-buffer-limit 10")]
    [InlineData("maxclients 0")]
    [InlineData("logfile /nonexistent-dir/x.log")]
    [InlineData("include /nonexistent.conf")]
    [InlineData("io-threads 0")]
    [InlineData("notify-keyspace-events Q")]
    [InlineData("client-output-buffer-limit foo 1 2 3")]
    [InlineData("slaveof onlyhost")]
    [InlineData("enable-debug-command maybe")]
    [InlineData("user")]
    [InlineData("rename-command nosuchcmd bar")]
    [InlineData("rename-command get set")]
    [InlineData("zset-max-listpack-value abc")]
    [InlineData("hash-max-listpack-value -1")]
    [InlineData("maxmemory-clients 101%")]
    [InlineData("activedefrag yes")]
    [InlineData("proc-title-template \"{title}\"")]
    [InlineData("tls-port 6380")]
    [InlineData("tls-replication yes")]
    public void BadConfigLineIsReportedAsRedisDoes(string line)
    {
        var dir = Paths.TempDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "bad.conf"), "# a comment\n" + line + "\n");
            var redis = TestServer.RunToExit(Paths.Redis, dir, "bad.conf");
            var ours = TestServer.RunToExit(Paths.Csredis, dir, "bad.conf");
            Assert.Equal(1, redis.ExitCode);
            Assert.Equal(redis.ExitCode, ours.ExitCode);
            Assert.Equal(Normalize(redis.Stderr), Normalize(ours.Stderr));
            Assert.Equal(Normalize(redis.Stdout), Normalize(ours.Stdout));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingConfigFileIsFatal()
    {
        var dir = Paths.TempDir();
        try
        {
            var redis = TestServer.RunToExit(Paths.Redis, dir, "/nonexistent.conf");
            var ours = TestServer.RunToExit(Paths.Csredis, dir, "/nonexistent.conf");
            Assert.Equal(1, ours.ExitCode);
            Assert.Equal(Normalize(redis.Stdout), Normalize(ours.Stdout));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void RepositoryRedisConfStartsCleanly()
    {
        var dir = Paths.TempDir();
        try
        {
            File.Copy(Path.Combine(Paths.RepoRoot, "redis.conf"), Path.Combine(dir, "redis.conf"));
            using var server = TestServer.Start(Paths.Csredis, dir, "redis.conf", "--pidfile", Path.Combine(dir, "s.pid"), "--save", "");
            using var client = server.Connect();
            Assert.Equal("PONG", client.Call("PING"));
            var info = (string)client.Call("INFO", "server")!;
            Assert.Contains("config_file:" + Path.Combine(dir, "redis.conf"), info);
            Assert.DoesNotContain("FATAL", server.Output);
        }
        finally { Directory.Delete(dir, true); }
    }

    static readonly string[][] RewriteChanges =
    [
        ["CONFIG", "SET", "maxmemory", "100mb"],
        ["CONFIG", "SET", "save", "100 2 200 3"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 3"],
        ["CONFIG", "SET", "list-max-ziplist-size", "-3"],
        ["CONFIG", "SET", "hz", "11"],
        ["CONFIG", "SET", "maxmemory-clients", "10%"],
        ["CONFIG", "SET", "loglevel", "verbose"],
        ["CONFIG", "SET", "timeout", "7"],
        ["CONFIG", "SET", "zset-max-listpack-value", "2kb"],
        ["CONFIG", "SET", "hash-max-listpack-value", "1k"],
        ["CONFIG", "SET", "proto-max-bulk-len", "2gb"],
        ["CONFIG", "SET", "requirepass", "secret"],
    ];

    /// <summary>The rewritten file split at the signature; machine-specific lines made equal.</summary>
    static (string Body, string[] Generated) Split(string text, string dir)
    {
        text = Regex.Replace(text, @"^port \d+$", "port N", RegexOptions.Multiline);
        text = text.Replace(dir, "DIR");
        int signature = text.IndexOf("# Generated by CONFIG REWRITE\n", StringComparison.Ordinal);
        if (signature < 0) return (text, []);
        var generated = text[signature..].Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        return (text[..signature], generated);
    }

    string RewriteWith(string binary, string conf)
    {
        var dir = Paths.TempDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "r.conf"), conf);
            using var server = TestServer.Start(binary, dir, "r.conf", "--pidfile", "", "--daemonize", "no", "--logfile", "");
            using var client = server.Connect();
            foreach (var change in RewriteChanges) Assert.Equal("OK", client.Call(change));
            Assert.Equal("OK", client.Call("AUTH", "secret"));
            Assert.Equal("OK", client.Call("CONFIG", "REWRITE"));
            return File.ReadAllText(Path.Combine(dir, "r.conf")).Replace(dir, "DIR");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("redis.conf")]
    [InlineData("debian")]
    [InlineData("small")]
    public void ConfigRewriteMatchesRedis(string source)
    {
        // Debian's /etc/redis/redis.conf is the file most users start from (it comes with redis-server).
        const string debian = "/etc/redis/redis.conf";
        if (source == "debian" && !File.Exists(debian)) return;
        string conf = source == "redis.conf" ? File.ReadAllText(Path.Combine(Paths.RepoRoot, "redis.conf"))
            : source == "debian" ? File.ReadAllText(debian)
            : "# c1\noom-score-adj-values 0 200 800\n\n\n# x\nhz 10\n\n\n# y\nmaxmemory 1000\nsave 10 1\nsave 20 2\n  timeout   5  \n" +
              "slave-read-only yes\nrename-command FLUSHALL \"\"\nclient-output-buffer-limit pubsub 32mb 8mb 60\nslaveof 127.0.0.1 1\n\n\n";
        if (source == "small") conf = conf.Replace("slaveof 127.0.0.1 1\n", "");
        var redis = Split(RewriteWith(Paths.Redis, conf), "DIR");
        var ours = Split(RewriteWith(Paths.Csredis, conf), "DIR");
        Assert.Equal(redis.Body, ours.Body);
        Assert.Equal(redis.Generated, ours.Generated);
    }

    /// <summary>Start-up output without what differs between runs and Redis's fork-related overcommit warning (csredis never forks).</summary>
    static string[] StartupLines(string output) =>
        Normalize(output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("overcommit", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void LoadmoduleThatCannotLoadAbortsStartupAsRedisDoes()
    {
        var dir = Paths.TempDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "m.conf"), "loadmodule /nonexistent/module.so arg1\n");
            var redis = TestServer.RunToExit(Paths.Redis, dir, "m.conf", "--port", Paths.FreePort().ToString(), "--bind", "127.0.0.1", "--save", "");
            var ours = TestServer.RunToExit(Paths.Csredis, dir, "m.conf", "--port", Paths.FreePort().ToString(), "--bind", "127.0.0.1", "--save", "");
            Assert.Equal(1, redis.ExitCode);
            Assert.Equal(redis.ExitCode, ours.ExitCode);
            Assert.Equal(StartupLines(redis.Stdout).Where(l => !l.Contains("Running mode", StringComparison.Ordinal)),
                StartupLines(ours.Stdout).Where(l => !l.Contains("Running mode", StringComparison.Ordinal)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void IncludeExpandsGlobsInOrderAndToleratesNoMatch()
    {
        var dir = Paths.TempDir();
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "conf.d"));
            File.WriteAllText(Path.Combine(dir, "conf.d", "10-first.conf"), "hz 11\nmaxmemory 1mb\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", "20-second.conf"), "hz 12\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", ".hidden.conf"), "hz 99\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", "other.txt"), "hz 98\n");
            File.WriteAllText(Path.Combine(dir, "g.conf"),
                $"include {dir}/conf.d/*.conf\ninclude {dir}/nothing-here/*.conf\ninclude {dir}/conf.d/2?-*.conf\n");
            foreach (var binary in new[] { Paths.Redis, Paths.Csredis })
            {
                using var server = TestServer.Start(binary, dir, "g.conf", "--save", "");
                using var client = server.Connect();
                Assert.Equal(new List<object?> { "hz", "12" }, client.Call("CONFIG", "GET", "hz"));
                Assert.Equal(new List<object?> { "maxmemory", "1048576" }, client.Call("CONFIG", "GET", "maxmemory"));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    // busy-poll-us is csredis's own directive (the event loop's polling window); everything else about
    // it behaves as a Redis integer directive: file, CONFIG GET/SET, range errors, REWRITE.
    [Fact]
    public void BusyPollWindowIsAnOrdinaryIntegerDirective()
    {
        var dir = Paths.TempDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "c.conf"), "busy-poll-us 0\n");
            using var server = TestServer.Start(Paths.Csredis, dir, "c.conf", "--save", "");
            using var client = server.Connect();
            Assert.Equal(new List<object?> { "busy-poll-us", "0" }, client.Call("CONFIG", "GET", "busy-poll-us"));
            for (int i = 0; i < 50; i++) Assert.Equal("OK", client.Call("SET", "k" + i, "v"));
            Assert.Equal("OK", client.Call("CONFIG", "SET", "busy-poll-us", "200"));
            for (int i = 0; i < 50; i++) Assert.Equal("v", client.Call("GET", "k" + i));
            Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'busy-poll-us') - argument must be between 0 and 1000 inclusive",
                Assert.IsType<RespError>(client.Call("CONFIG", "SET", "busy-poll-us", "1001")).Message);
            Assert.Equal("OK", client.Call("CONFIG", "REWRITE"));
            Assert.Contains("busy-poll-us 200", File.ReadAllText(Path.Combine(dir, "c.conf")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
