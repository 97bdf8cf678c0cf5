// The replicas redis-cli plays: `--rdb FILE` (REPLCONF rdb-only 1: the snapshot and nothing after it,
// then the master drops the link) and `--replica` (REPLCONF rdb-filter-only "": a snapshot without
// the keys, then the stream). The real redis-cli 7.0.15 runs against csredis-server and against
// redis-server; REPLCONF's filter errors are compared byte for byte.
using System.Diagnostics;
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Replication;

public sealed class SnapshotOnlyReplicaTests
{
    static string[] Settings(string dir) => ["--save", "", "--dir", dir, "--repl-diskless-sync-delay", "0"];

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"csredis-rdbonly-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    static (int Exit, string Stdout, string Stderr) RedisCli(int port, TimeSpan limit, params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(port.ToString());
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)limit.TotalMilliseconds)) p.Kill();
        p.WaitForExit();
        return (p.HasExited ? p.ExitCode : -1, stdout.Result, stderr.Result);
    }

    [Fact]
    public void RdbOnlyReplicaGetsTheSnapshotThenIsDisconnected()
    {
        string dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis(Settings(dir));
            using (var c = master.Connect())
            {
                c.Execute("SET", "k", "v");
                c.Execute("RPUSH", "l", "a", "b");
            }
            string file = Path.Combine(dir, "fetched.rdb");
            var (exit, _, stderr) = RedisCli(master.Port, TimeSpan.FromSeconds(20), "--rdb", file);
            Assert.True(exit == 0, stderr);
            Assert.Contains("Transfer finished with success", stderr);
            // The master drops it once the snapshot is out, unless redis-cli, done with the EOF mark,
            // has hung up first (a race in Redis too).
            var end = DateTime.UtcNow.AddSeconds(10);
            const string dropped = "RDB transfer completed, rdb only replica (127.0.0.1:<unknown-replica-port>) should be disconnected asap";
            const string lost = "Connection with replica 127.0.0.1:<unknown-replica-port> lost.";
            while (DateTime.UtcNow < end && !master.LogText.Contains(dropped) && !master.LogText.Contains(lost)) Thread.Sleep(50);
            Assert.True(master.LogText.Contains(dropped) || master.LogText.Contains(lost), master.LogText);

            // The fetched file is a whole snapshot: a fresh Redis loads it with the same keys.
            using var redis = ServerProcess.StartRedis("--save", "", "--dir", dir, "--dbfilename", "fetched.rdb");
            using var r = redis.Connect();
            Assert.Equal("$1\r\nv\r\n", Encoding.ASCII.GetString(r.Execute("GET", "k")));
            Assert.Equal(":2\r\n", Encoding.ASCII.GetString(r.Execute("LLEN", "l")));
            using var m = master.Connect();
            Assert.Contains("connected_slaves:0", RespFrame.Parse(m.Execute("INFO", "replication")).Text);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void FilteredReplicaGetsAKeylessSnapshotThenTheStream()
    {
        string dir = TempDir();
        try
        {
            using var master = ServerProcess.StartCsredis(Settings(dir));
            using (var c = master.Connect())
                for (int i = 0; i < 2000; i++) c.Execute("SET", $"key:{i}", new string('x', 100));
            using var cli = new Process { StartInfo = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false } };
            foreach (var a in new[] { "-p", master.Port.ToString(), "--replica" }) cli.StartInfo.ArgumentList.Add(a);
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            cli.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
            cli.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
            cli.Start();
            cli.BeginOutputReadLine();
            cli.BeginErrorReadLine();
            try
            {
                var end = DateTime.UtcNow.AddSeconds(15);
                while (DateTime.UtcNow < end && !stderr.ToString().Contains("Logging commands from master")) Thread.Sleep(50);
                string log = stderr.ToString();
                Assert.Contains("Logging commands from master", log);
                // 2000 keys of 100 bytes would be far over 2000 bytes: the snapshot carried none.
                var size = System.Text.RegularExpressions.Regex.Match(log, @"SYNC done after (\d+) bytes");
                Assert.True(size.Success && long.Parse(size.Groups[1].Value) < 2000, log);
                Thread.Sleep(1500); // redis-cli waits a moment before it acknowledges
                using (var c = master.Connect()) c.Execute("SET", "after", "sync");
                end = DateTime.UtcNow.AddSeconds(10);
                while (DateTime.UtcNow < end && !stdout.ToString().Contains("\"SET\",\"after\",\"sync\"")) Thread.Sleep(50);
                Assert.Contains("\"SET\",\"after\",\"sync\"", stdout.ToString());
            }
            finally { if (!cli.HasExited) cli.Kill(); }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void FilterErrorsAsRedis()
    {
        string dir = TempDir();
        try
        {
            using var ours = ServerProcess.StartCsredis(Settings(dir));
            using var theirs = ServerProcess.StartRedis(Settings(dir));
            foreach (var args in new[]
            {
                new[] { "REPLCONF", "rdb-filter-only", "" }, ["REPLCONF", "rdb-filter-only", "functions"], ["REPLCONF", "rdb-filter-only", "FUNCTIONS foo"],
                ["REPLCONF", "rdb-filter-only", "\"unbalanced"], ["REPLCONF", "rdb-filter-only", "\"\""], ["REPLCONF", "rdb-only", "2"], ["REPLCONF", "rdb-filter-only"],
            })
            {
                using var a = ours.Connect();
                using var b = theirs.Connect();
                Assert.Equal(Encoding.ASCII.GetString(b.Execute(args)), Encoding.ASCII.GetString(a.Execute(args)));
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
