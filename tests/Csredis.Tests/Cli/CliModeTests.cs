// Modes whose output depends on time or on a second process, so they cannot be compared byte for byte
// with redis-cli: the RDB transfer (the snapshot embeds a timestamp), --replica streaming, --stat and
// --latency (live counters), --topology (ours only). Each checks the shape and the facts instead.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class CliModeTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    private string[] At(params string[] args) => ["-p", server.Port.ToString(), .. args];

    [Fact]
    public void RdbTransferMatchesRedisCli()
    {
        server.Reset([["SET", "k", "v"], ["RPUSH", "l", "a", "b"]]);
        string ours = Path.Combine(Path.GetTempPath(), $"csredis-cli-ours-{server.Port}.rdb");
        string theirs = Path.Combine(Path.GetTempPath(), $"csredis-cli-theirs-{server.Port}.rdb");
        try
        {
            var expected = CliTestEnvironment.Run(CliTestEnvironment.RealCli, At("--rdb", theirs));
            var actual = CliTestEnvironment.Run(CliTestEnvironment.OurCli, At("--rdb", ours));
            Assert.Equal(expected.StderrText.Replace(theirs, "FILE"), actual.StderrText.Replace(ours, "FILE"));
            Assert.Equal(expected.ExitCode, actual.ExitCode);
            var ourBytes = File.ReadAllBytes(ours);
            Assert.Equal(File.ReadAllBytes(theirs).Length, ourBytes.Length);
            Assert.StartsWith("REDIS", System.Text.Encoding.ASCII.GetString(ourBytes, 0, 5));
        }
        finally
        {
            File.Delete(ours);
            File.Delete(theirs);
        }
    }

    [Fact]
    public void RdbToStdoutWritesTheSnapshot()
    {
        server.Reset([["SET", "k", "v"]]);
        var actual = CliTestEnvironment.Run(CliTestEnvironment.OurCli, At("--rdb", "-"));
        Assert.Equal(0, actual.ExitCode);
        Assert.StartsWith("REDIS", System.Text.Encoding.ASCII.GetString(actual.Stdout, 0, 5));
        Assert.Equal(0xFF, actual.Stdout[^9]); // RDB EOF opcode before the 8-byte checksum
    }

    [Fact]
    public async Task ReplicaModePrintsPropagatedCommands()
    {
        server.Reset([]);
        var info = new ProcessStartInfo(CliTestEnvironment.OurCli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in At("--replica")) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            var stderrTask = Task.Run(() => process.StandardError.ReadToEnd());
            var deadline = DateTime.UtcNow.AddSeconds(10);
            string? line = null;
            var reader = Task.Run(() =>
            {
                string? l;
                while ((l = process.StandardOutput.ReadLine()) is not null)
                    if (l.Contains("\"replicated\"")) return l;
                return null;
            });
            while (!reader.IsCompleted && DateTime.UtcNow < deadline)
            {
                using (var connection = server.Connect()) connection.Execute("SET", "replicated", "va\"l");
                await Task.WhenAny(reader, Task.Delay(300));
            }
            line = reader.IsCompleted ? await reader : null;
            process.Kill();
            process.WaitForExit();
            Assert.Equal("\"SET\",\"replicated\",\"va\\\"l\"", line);
            Assert.Matches(new Regex("^sending REPLCONF capa eof\nsending REPLCONF rdb-filter-only \n" +
                "SYNC with master, discarding bytes of bulk transfer until EOF marker...\n" +
                "SYNC done after \\d+ bytes. Logging commands from master.\nsending REPLCONF ACK 0\n$"), await stderrTask);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>redis-cli and csredis-cli as replicas of the same master print the same stream: both read
    /// the first propagated item (here the SELECT) as the reply to their REPLCONF ACK and drop it.</summary>
    [Theory]
    [InlineData(ServerProcess.RedisName)]
    [InlineData(ServerProcess.CsredisName)]
    public async Task ReplicaModeStreamMatchesRedisCli(string masterKind)
    {
        using var master = ServerProcess.Start(masterKind, "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "60");
        var replicas = new[] { CliTestEnvironment.RealCli, CliTestEnvironment.OurCli }
            .Select(cli => StartReplicaMode(cli, master.Port)).ToArray();
        try
        {
            using var client = master.Connect();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            // Both are online once the master has their ACK; only what is written after that is compared.
            while (Regex.Matches(client.ExecuteFrame("INFO", "replication").Text, "state=online").Count < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the two cli replicas did not come online");
                await Task.Delay(50);
            }
            foreach (var command in new[] { new[] { "SET", "a", "1" }, ["SELECT", "1"], ["RPUSH", "l", "x y", "\"q\""], ["SELECT", "0"], ["SET", "end", "1"] })
                client.Execute(command);
            foreach (var replica in replicas)
                Assert.True(replica.EndSeen.Wait(TimeSpan.FromSeconds(10)), "no \"end\" line from " + replica.Process.StartInfo.FileName);
            Assert.Equal(replicas[0].Lines, replicas[1].Lines);
            Assert.Equal("\"SET\",\"a\",\"1\"", replicas[1].Lines[0]);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                if (!replica.Process.HasExited) replica.Process.Kill();
                replica.Process.WaitForExit();
                replica.Process.Dispose();
            }
        }
    }

    private sealed record ReplicaModeProcess(Process Process, List<string> Lines, ManualResetEventSlim EndSeen);

    private static ReplicaModeProcess StartReplicaMode(string cli, int port)
    {
        var info = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-p", port.ToString(), "--replica" }) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var replica = new ReplicaModeProcess(process, [], new ManualResetEventSlim());
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        _ = Task.Run(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                lock (replica.Lines) replica.Lines.Add(line);
                if (line.Contains("\"end\"")) replica.EndSeen.Set();
            }
        });
        return replica;
    }

    [Fact]
    public void OutputAppendsToARedirectedFile()
    {
        string file = Path.Combine(Path.GetTempPath(), $"csredis-cli-redirect-{server.Port}.txt");
        string Run(string cli)
        {
            CliTestEnvironment.Run("/bin/sh", ["-c", $"(echo before; {cli} -p {server.Port} ping; echo after) > {file}"]);
            return File.ReadAllText(file);
        }
        try
        {
            Assert.Equal("before\nPONG\nafter\n", Run(CliTestEnvironment.OurCli));
            Assert.Equal(Run(CliTestEnvironment.RealCli), Run(CliTestEnvironment.OurCli));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void LatencySummaryWhenNotATerminal()
    {
        var result = CliTestEnvironment.Run(CliTestEnvironment.OurCli, At("--latency", "-i", "0.3"));
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(new Regex(@"^\d+ \d+ \d+\.\d\d \d+\n$"), result.StdoutText);
        var csv = CliTestEnvironment.Run(CliTestEnvironment.OurCli, At("--latency", "--csv", "-i", "0.2"));
        Assert.Matches(new Regex(@"^\d+,\d+,\d+\.\d\d,\d+\n$"), csv.StdoutText);
    }

    [Fact]
    public void StatPrintsHeaderAndRows()
    {
        server.Reset([["SET", "a", "1"], ["SET", "b", "2"]]);
        var info = new ProcessStartInfo(CliTestEnvironment.OurCli) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in At("--stat", "-i", "0.2")) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            Assert.Equal("------- data ------ --------------------- load -------------------- - child -", process.StandardOutput.ReadLine());
            Assert.Equal("keys       mem      clients blocked requests            connections          ", process.StandardOutput.ReadLine());
            var first = process.StandardOutput.ReadLine()!;
            var second = process.StandardOutput.ReadLine()!;
            Assert.Matches(new Regex(@"^2          \d+\.\d\d[KMG]\s+ \d+\s+\d+\s+\d+ \(\+0\)\s+ \d+\s*$"), first);
            Assert.Matches(new Regex(@"^2          .* \(\+[1-9]\d*\)"), second);
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Runs a never-ending mode for a while, then stops it; returns what it printed.</summary>
    private static (string Stdout, string Stderr) RunFor(string program, string[] args, TimeSpan duration, Action? meanwhile = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["TERM"] = "xterm";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Thread.Sleep(duration);
            meanwhile?.Invoke();
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
        }
        return (stdout.Result, stderr.Result);
    }

    [Fact]
    public void LruTestReportsHitsEverySecond()
    {
        server.Reset([]);
        // redis-cli's stdio buffers these lines on a pipe (nothing shows before 4 KB); ours writes each
        // line as it is made, so only ours is checked here.
        foreach (var cli in new[] { CliTestEnvironment.OurCli })
        {
            var (stdout, _) = RunFor(cli, At("--lru-test", "1000"), TimeSpan.FromMilliseconds(2500));
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, l => Assert.Matches(new Regex(@"^\d+ Gets/sec \| Hits: \d+ \(\d+\.\d\d%\) \| Misses: \d+ \(\d+\.\d\d%\)$"), l));
        }
        using var connection = server.Connect();
        Assert.True(connection.Execute("DBSIZE").Integer is > 100 and <= 1000);
    }

    [Fact]
    public void LatencyDistributionDrawsTheSpectrum()
    {
        string Shape(string text) => Regex.Replace(Regex.Replace(text, @"\x1b\[48;5;\d+m(.)", "<$1>"), @"\x1b\[48;5;\d+m ", "<>");
        var (theirs, _) = RunFor(CliTestEnvironment.RealCli, At("--latency-dist", "-i", "0.2"), TimeSpan.FromMilliseconds(1100));
        var (ours, _) = RunFor(CliTestEnvironment.OurCli, At("--latency-dist", "-i", "0.2"), TimeSpan.FromMilliseconds(1100));
        var expectedLines = Shape(theirs).Split('\n');
        var actualLines = Shape(ours).Split('\n');
        // Legend, then one spectrum line per interval: same texts, same cells, colours may differ.
        Assert.Equal(expectedLines.Take(8), actualLines.Take(8));
        Assert.Matches(new Regex(@"^\x1b\[38;5;0m(<.>){31}\x1b\[0m$"), actualLines[8]);
        var mono = RunFor(CliTestEnvironment.OurCli, At("--latency-dist", "--mono", "-i", "0.2"), TimeSpan.FromMilliseconds(600)).Stdout;
        Assert.Contains("From 0 to 100%: " + string.Concat(new[] { 0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253 }.Select(c => $"\x1b[48;5;{c}m ")), mono);
    }

    [Fact]
    public void IntrinsicLatencyReportsWorstAndAverage()
    {
        foreach (var cli in new[] { CliTestEnvironment.RealCli, CliTestEnvironment.OurCli })
        {
            var result = CliTestEnvironment.Run(cli, ["--intrinsic-latency", "1"]);
            Assert.Equal(0, result.ExitCode);
            Assert.Matches(new Regex(@"^(Max latency so far: [1-9]\d* microseconds\.\n)+\n\d+ total runs \(avg latency: \d+\.\d{4} microseconds / \d+\.\d\d nanoseconds per run\)\.\nWorst run took \d+x longer than the average latency\.\n$"),
                result.StdoutText);
        }
    }

    [Fact]
    public void LatencyOutputForms()
    {
        foreach (var cli in new[] { CliTestEnvironment.RealCli, CliTestEnvironment.OurCli })
        {
            var json = CliTestEnvironment.Run(cli, At("--latency", "--json", "-i", "0.2"));
            Assert.Matches(new Regex(@"^\{""min"": \d+, ""max"": \d+, ""avg"": \d+\.\d\d, ""count"": \d+\}\n$"), json.StdoutText);
            // Outside the standard form --latency-history prints one line per sample (redis-cli buffers
            // them on a pipe, so its lines are not seen before it is stopped).
            if (cli == CliTestEnvironment.OurCli)
            {
                var (history, _) = RunFor(cli, At("--latency-history", "-i", "0.3"), TimeSpan.FromMilliseconds(700));
                Assert.Matches(new Regex(@"^(\d+ \d+ \d+\.\d\d \d+\n)+ -- \d+\.\d\d seconds range\n"), history);
            }
            // --no-raw on a pipe keeps redrawing the line forever.
            var (redrawn, _) = RunFor(cli, At("--latency", "--no-raw"), TimeSpan.FromMilliseconds(500));
            Assert.StartsWith("\x1b[0G\x1b[2Kmin: ", redrawn);
        }
    }

    [Fact]
    public void StatReconnectsWhenTheServerGoesAway()
    {
        using var own = CliTestServer.StartWith();
        var (stdout, _) = RunFor(CliTestEnvironment.OurCli, ["-p", own.Port.ToString(), "--stat", "-i", "0.2"], TimeSpan.FromMilliseconds(600),
            meanwhile: () =>
            {
                own.Dispose();
                Thread.Sleep(1500);
            });
        Assert.Contains("\r\x1b[0KReconnecting... 1\r", stdout);
        Assert.StartsWith("------- data ------", stdout);
    }

    [Fact]
    public void TopologyDrawsMasterAndReplicas()
    {
        using var replica = CliTestServer.StartWith("--replicaof", "127.0.0.1", server.Port.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var connection = replica.Connect();
            using var master = server.Connect();
            // The replica's link comes up before the master has put it online (diskless sync waits for its first ACK).
            if (connection.Execute("INFO", "replication").AsText().Contains("master_link_status:up")
                && master.Execute("INFO", "replication").AsText().Contains("state=online")) break;
            Thread.Sleep(100);
        }
        // Asked through the replica, it climbs to the master and draws the whole tree.
        var result = CliTestEnvironment.Run(CliTestEnvironment.OurCli, ["-p", replica.Port.ToString(), "--topology"]);
        Assert.Equal(0, result.ExitCode);
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(new Regex($@"^master 127\.0\.0\.1:{server.Port} offset=\d+ replicas=1$"), lines[0]);
        Assert.Matches(new Regex($@"^└─ replica 127\.0\.0\.1:{replica.Port} offset=\d+ link=up state=online acked=\d+ lag=\d+s replicas=0$"), lines[1]);
    }

    [Fact]
    public void TopologyThroughASentinel()
    {
        int sentinelPort = CliTestEnvironment.FreePort();
        string config = Path.Combine(Path.GetTempPath(), $"csredis-cli-sentinel-{sentinelPort}.conf");
        File.WriteAllText(config, $"port {sentinelPort}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {server.Port} 1\n");
        var info = new ProcessStartInfo("redis-sentinel") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(config);
        using var sentinel = Process.Start(info)!;
        sentinel.OutputDataReceived += (_, _) => { };
        sentinel.BeginOutputReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    using var probe = Csredis.Common.Client.RedisBlockingConnection.ConnectTcp("127.0.0.1", sentinelPort);
                    if (probe.Execute("PING").AsText() == "PONG") break;
                }
                catch (Exception) when (DateTime.UtcNow < deadline) { Thread.Sleep(100); }
            }
            var result = CliTestEnvironment.Run(CliTestEnvironment.OurCli, ["-p", sentinelPort.ToString(), "--topology"]);
            Assert.Equal(0, result.ExitCode);
            var lines = result.StdoutText.Split('\n');
            Assert.Equal($"sentinel 127.0.0.1:{sentinelPort} monitors 1 master(s)", lines[0]);
            Assert.Matches(new Regex($@"^""mymaster"" 127\.0\.0\.1:{server.Port} flags=master quorum=1 epoch=0 replicas=\d+ other-sentinels=0$"), lines[2]);
            Assert.Equal("sentinels:", lines[3]);
            Assert.Equal($"└─ sentinel 127.0.0.1:{sentinelPort} (this one)", lines[4]);
            Assert.Equal("replication:", lines[5]);
            Assert.Matches(new Regex($@"^master 127\.0\.0\.1:{server.Port} offset=\d+ replicas=\d+$"), lines[6]);
        }
        finally
        {
            sentinel.Kill();
            sentinel.WaitForExit();
            File.Delete(config);
        }
    }
}
