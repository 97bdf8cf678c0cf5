// The ServerProcess contract every other test relies on, checked on both servers: ready means PING
// answers, extra arguments reach the server, the log is readable, Stop is graceful, Dispose cleans up.
using System.Diagnostics;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.ServerProcessTests;

public sealed class ServerProcessLifecycleTests
{
    public static TheoryData<string> Servers => new() { ServerProcess.RedisName, ServerProcess.CsredisName };

    [Theory]
    [MemberData(nameof(Servers))]
    public void StartedServerAnswersPingAndLogsReadiness(string server)
    {
        using var process = ServerProcess.Start(server);
        using var client = process.Connect();
        Assert.Equal("+PONG\\r\\n", client.ExecuteEscaped("PING"));
        process.AssertLogged("Ready to accept connections", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void ExtraArgumentsReachTheServer(string server)
    {
        using var process = ServerProcess.Start(server, "--databases", "4");
        using var client = process.Connect();
        Assert.Equal("+OK\\r\\n", client.ExecuteEscaped("SELECT", "3"));
        Assert.Equal("-ERR DB index is out of range\\r\\n", client.ExecuteEscaped("SELECT", "4"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void StopIsGracefulAndDisposeRemovesTheWorkDir(string server)
    {
        var process = ServerProcess.Start(server);
        var workDir = process.WorkDir;
        var pid = process.Pid;
        Assert.True(Directory.Exists(workDir));
        var exitCode = process.Stop();
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{process.Describe()}");
        Assert.True(process.HasExited);
        process.Dispose();
        Assert.False(Directory.Exists(workDir));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void DisposeKillsARunningServer(string server)
    {
        var process = ServerProcess.Start(server);
        var port = process.Port;
        process.Dispose();
        Assert.ThrowsAny<Exception>(() => { using var client = new RawClient(port, TimeSpan.FromSeconds(1)); client.Execute("PING"); });
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void ConfigFileComesFirstAndArgumentsOverrideIt(string server)
    {
        var config = Path.Combine(Path.GetTempPath(), $"csredis-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, "databases 2\nmaxmemory 123mb\n");
        try
        {
            using var process = ServerProcess.StartWithConfig(server, config, "--maxmemory", "7mb");
            using var client = process.Connect();
            Assert.Equal("-ERR DB index is out of range\\r\\n", client.ExecuteEscaped("SELECT", "2"));
            Assert.Equal("*2\\r\\n$9\\r\\nmaxmemory\\r\\n$7\\r\\n7340032\\r\\n", client.ExecuteEscaped("CONFIG", "GET", "maxmemory"));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void AServerThatCannotStartFailsWithItsLog()
    {
        var failure = Assert.ThrowsAny<Exception>(() => ServerProcess.StartRedis("--no-such-option", "x"));
        Assert.Contains("no-such-option", failure.Message);
        Assert.Contains("redis log", failure.Message);
    }
}
