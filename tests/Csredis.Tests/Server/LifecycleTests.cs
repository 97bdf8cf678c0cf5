// Process life cycle compared with Redis 7.0: start-up log lines, SIGTERM shutdown lines, SHUTDOWN,
// daemonize with a pid file, --version/--help, configuration from stdin.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Csredis.Tests.Server;

public class LifecycleTests
{
    /// <summary>The log messages without pid, role and timestamp ("Ready to accept connections").</summary>
    static string[] Messages(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries)
           .Select(l => Regex.Replace(l, @"^\d+:([CMXS] \d\d \w{3} \d{4} [\d:.]+ [#*.-]|signal-handler \(\d+\)) ", ""))
           .ToArray();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    [Fact]
    public void SigtermShutdownLogsAsRedis()
    {
        var dir = Paths.TempDir();
        try
        {
            string pidFile = Path.Combine(dir, "s.pid");
            using var server = TestServer.Start(Paths.Csredis, dir, "--save", "", "--pidfile", pidFile);
            Assert.True(File.Exists(pidFile));
            Assert.Equal(server.Pid.ToString(), File.ReadAllText(pidFile).Trim());
            kill(server.Pid, 15);
            Assert.Equal(0, server.WaitForExit());
            var messages = Messages(server.Output);
            int at = Array.IndexOf(messages, "Received SIGTERM scheduling shutdown...");
            Assert.True(at >= 0, server.Output);
            Assert.Equal(["User requested shutdown...", "Removing the pid file.", "Redis is now ready to exit, bye bye..."], messages[(at + 1)..]);
            Assert.False(File.Exists(pidFile));
            Assert.Matches(@"^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.$",
                server.Output.Split('\n').First(l => l.Contains("SIGTERM")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void StartupLinesMatchRedis()
    {
        var dir = Paths.TempDir();
        try
        {
            using var redis = TestServer.Start(Paths.Redis, dir, "--save", "");
            using var ours = TestServer.Start(Paths.Csredis, dir, "--save", "");
            // Redis's own extra lines: the overcommit warning and RDB loading (no RDB exists here).
            string[] redisOnly = ["WARNING Memory overcommit", "RDB", "DB loaded"];
            var expected = Messages(redis.Output).Where(m => !redisOnly.Any(m.Contains)).Select(m => Regex.Replace(m, @"\d+", "N")).ToArray();
            var actual = Messages(ours.Output).Select(m => Regex.Replace(m, @"\d+", "N")).ToArray();
            Assert.Equal(expected, actual);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ShutdownCommandEndsTheProcess()
    {
        var dir = Paths.TempDir();
        try
        {
            using var server = TestServer.Start(Paths.Csredis, dir, "--save", "");
            using var client = server.Connect();
            Assert.Equal(new RespError("ERR syntax error"), client.Call("SHUTDOWN", "foo"));
            Assert.Equal(new RespError("ERR No shutdown in progress."), client.Call("SHUTDOWN", "ABORT"));
            client.Send("SHUTDOWN", "NOSAVE");
            Assert.Equal(0, server.WaitForExit());
            var messages = Messages(server.Output);
            Assert.Equal(["User requested shutdown...", "Redis is now ready to exit, bye bye..."], messages[^2..]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void DaemonizeDetachesAndWritesThePidFile()
    {
        var dir = Paths.TempDir();
        int port = Paths.FreePort();
        string pidFile = Path.Combine(dir, "d.pid"), logFile = Path.Combine(dir, "d.log");
        try
        {
            var launch = TestServer.RunToExit(Paths.Csredis, dir, "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "",
                "--daemonize", "yes", "--pidfile", pidFile, "--logfile", logFile);
            Assert.Equal(0, launch.ExitCode);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!File.Exists(pidFile) && DateTime.UtcNow < deadline) Thread.Sleep(50);
            int pid = int.Parse(File.ReadAllText(pidFile).Trim());
            using (var daemon = Process.GetProcessById(pid))
            {
                using var client = ConnectWithRetry(port);
                Assert.Equal("PONG", client.Call("PING"));
                var info = (string)client.Call("INFO", "server")!;
                Assert.Contains($"process_id:{pid}\r\n", info);
                client.Send("SHUTDOWN", "NOSAVE");
                Assert.True(daemon.WaitForExit(10_000));
            }
            Assert.False(File.Exists(pidFile));
            var log = File.ReadAllText(logFile);
            Assert.Contains($"{pid}:C", log);
            Assert.Contains("Redis is now ready to exit, bye bye...", log);
        }
        finally
        {
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int leftover)) kill(leftover, 9);
            Directory.Delete(dir, true);
        }
    }

    static RespClient ConnectWithRetry(int port)
    {
        for (int i = 0; ; i++)
        {
            try { return new RespClient(port); }
            catch (System.Net.Sockets.SocketException) when (i < 100) { Thread.Sleep(50); }
        }
    }

    [Fact]
    public void VersionAndHelp()
    {
        var dir = Paths.TempDir();
        try
        {
            var version = TestServer.RunToExit(Paths.Csredis, dir, "--version");
            Assert.Equal(0, version.ExitCode);
            Assert.StartsWith("Redis server v=7.0.15 sha=00000000:0 malloc=", version.Stdout);
            var redisHelp = TestServer.RunToExit(Paths.Redis, dir, "--help");
            var help = TestServer.RunToExit(Paths.Csredis, dir, "--help");
            Assert.Equal(redisHelp.ExitCode, help.ExitCode);
            Assert.StartsWith("Usage: ./csredis-server [/path/to/redis.conf] [options] [-]\n", help.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ConfigurationFromStdin()
    {
        var dir = Paths.TempDir();
        int port = Paths.FreePort();
        try
        {
            var psi = new ProcessStartInfo(Paths.Csredis) { RedirectStandardInput = true, RedirectStandardOutput = true, WorkingDirectory = dir };
            psi.ArgumentList.Add("-");
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            p.StandardInput.Write($"port {port}\nbind 127.0.0.1\nsave \"\"\nmaxmemory 12mb\n");
            p.StandardInput.Close();
            try
            {
                using var client = ConnectWithRetry(port);
                Assert.Equal(new List<object?> { "maxmemory", "12582912" }, client.Call("CONFIG", "GET", "maxmemory"));
                client.Send("SHUTDOWN", "NOSAVE");
                Assert.True(p.WaitForExit(10_000));
                Assert.Contains("Reading config from stdin", output.Result);
            }
            finally { if (!p.HasExited) p.Kill(); }
        }
        finally { Directory.Delete(dir, true); }
    }
}
