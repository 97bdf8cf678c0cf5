// Saving and loading around the server's life: save points from serverCron, SHUTDOWN's final save,
// LASTSAVE, the MISCONF guard after a failed save, and refusal to start on a damaged file (with the
// offset named, exit code 1, the file left as it was) plus the --check-rdb report.
using Xunit;
using System.Diagnostics;
using Csredis.Tests.Infrastructure;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Persistence;

public class RdbDurabilityTests
{
    [Fact]
    public void SavePointTriggersBackgroundSaveAndLastsaveAdvances()
    {
        using var dir = new DataDir();
        using var server = ServerProcess.StartCsredis(ServerArgs(dir, "--save", "1 2"));
        using var c = server.Connect();
        long before = long.Parse(Exec(c, "LASTSAVE").Text);
        Exec(c, "SET", "a", "1");
        Thread.Sleep(1500);
        Assert.False(File.Exists(dir.File()), "one change must not reach a save point of 2 changes");
        Exec(c, "SET", "b", "2");
        server.AssertLogged("Background saving terminated with success", TimeSpan.FromSeconds(10));
        server.AssertLogged("2 changes in 1 seconds. Saving...");
        Assert.True(long.Parse(Exec(c, "LASTSAVE").Text) > before);
        Assert.True(File.Exists(dir.File()));
    }

    [Fact]
    public void ShutdownSavesAndRestartLoads()
    {
        using var dir = new DataDir();
        using (var server = ServerProcess.StartCsredis(ServerArgs(dir, "--save", "3600 1")))
        {
            using var c = server.Connect();
            Exec(c, "SET", "kept", "value");
            Exec(c, "SET", "ttl", "v");
            Exec(c, "PEXPIRE", "ttl", 100000);
            c.Send("SHUTDOWN");
            Assert.True(c.IsClosedByPeer(TimeSpan.FromSeconds(10)));
            server.Stop();
            server.AssertLogged("Saving the final RDB snapshot before exiting.");
            server.AssertLogged("DB saved on disk");
        }
        using (var server = ServerProcess.StartCsredis(ServerArgs(dir)))
        {
            using var c = server.Connect();
            Assert.Equal("value", Exec(c, "GET", "kept").Text);
            Assert.InRange(long.Parse(Exec(c, "PTTL", "ttl").Text), 1, 100000);
            Exec(c, "SET", "kept", "changed");
            c.Send("SHUTDOWN", "NOSAVE");
            Assert.True(c.IsClosedByPeer(TimeSpan.FromSeconds(10)));
        }
        using (var server = ServerProcess.StartCsredis(ServerArgs(dir)))
        {
            using var c = server.Connect();
            Assert.Equal("value", Exec(c, "GET", "kept").Text);
        }
    }

    [Fact]
    public void FailedBackgroundSaveStopsWritesWithMisconf()
    {
        using var dir = new DataDir();
        using var server = ServerProcess.StartCsredis(ServerArgs(dir, "--save", "3600 1"));
        using var c = server.Connect();
        Exec(c, "SET", "a", "1");
        Directory.Delete(dir.Path, recursive: true);
        Assert.Equal("Background saving started", Exec(c, "BGSAVE").Text);
        PersistenceKit.WaitFor(() => Exec(c, "SET", "b", "2").IsError, TimeSpan.FromSeconds(10), "MISCONF");
        var error = Exec(c, "SET", "b", "2");
        Assert.StartsWith("MISCONF Redis is configured to save RDB snapshots", error.Text);
        Assert.Equal("1", Exec(c, "GET", "a").Text);
        Exec(c, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no");
        Assert.Equal("OK", Exec(c, "SET", "b", "2").Text);
        Directory.CreateDirectory(dir.Path);
    }

    /// <summary>
    /// kill -9 while a save is writing its temporary file: dump.rdb must still be the previous
    /// good file, byte for byte, and a restart serves the data set it holds. The kill lands while
    /// the temporary file grows (checked), so the test cannot pass by killing before or after.
    /// </summary>
    [Theory]
    [InlineData("BGSAVE")]
    [InlineData("SAVE")]
    public void KillDuringASaveLeavesThePreviousDump(string command)
    {
        using var dir = new DataDir();
        string digest;
        byte[] good;
        var server = ServerProcess.StartCsredis(ServerArgs(dir, "--rdbcompression", "no"));
        try
        {
            using var c = server.Connect();
            c.Timeout = TimeSpan.FromSeconds(60);
            FillStrings(c, 500, seed: 12);
            digest = Digest(c);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
            good = File.ReadAllBytes(dir.File());
            // A data set big enough that its save takes a while: 400k incompressible 150-byte values.
            var random = new Random(13);
            var commands = new List<byte[][]>();
            for (int i = 0; i < 400_000; i++)
            {
                commands.Add(Cmd("SET", $"big:{i}", RandomBytes(random, 150)));
                if (commands.Count == 20_000) { Assert.Empty(Pipeline(c, commands)); commands.Clear(); }
            }
            c.Send(command);
            string? temp = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                temp = Directory.GetFiles(dir.Path, "temp-*.rdb").FirstOrDefault();
                if (temp != null && new FileInfo(temp).Length > 1 << 20) break;
                Thread.Sleep(1);
            }
            Assert.True(temp != null, "the save never created its temporary file");
            server.Dispose(); // SIGKILL, mid-write
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(server.LogText, "DB saved on disk"));
            Assert.True(new FileInfo(temp!).Length < 400_000L * 150, "the kill must land before the save finished");
        }
        finally { server.Dispose(); }
        Assert.Equal(good, File.ReadAllBytes(dir.File()));
        using var again = ServerProcess.StartCsredis(ServerArgs(dir));
        using var ac = again.Connect();
        Assert.Equal(digest, Digest(ac));
        Assert.Equal("0", Exec(ac, "EXISTS", "big:0").Text);
    }

    static (int ExitCode, string Output) CheckRdb(string path)
    {
        var psi = new ProcessStartInfo(RepoPaths.RequireBinary(RepoPaths.CsredisServerPath)) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--check-rdb");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    static byte[] GoodFile(DataDir dir)
    {
        using (var server = ServerProcess.StartCsredis(ServerArgs(dir)))
        using (var c = server.Connect())
        {
            FillStrings(c, 50, seed: 9);
            Assert.Equal("OK", Exec(c, "SAVE").Text);
        }
        return File.ReadAllBytes(dir.File());
    }

    static void AssertRefusesToStart(DataDir dir, byte[] damaged, string problem)
    {
        File.WriteAllBytes(dir.File(), damaged);
        var ex = Assert.ThrowsAny<InvalidOperationException>(() => ServerProcess.StartCsredis(ServerArgs(dir)).Dispose());
        Assert.Contains("exited with code 1", ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.Contains("Internal error in RDB reading offset", ex.Message);
        Assert.Equal(damaged, File.ReadAllBytes(dir.File()));
        var (code, report) = CheckRdb(dir.File());
        Assert.Equal(1, code);
        Assert.Contains("--- RDB ERROR DETECTED ---", report);
        Assert.Contains(problem, report);
    }

    [Fact]
    public void TruncatedFileIsRefusedWithTheOffset()
    {
        using var dir = new DataDir();
        var good = GoodFile(dir);
        var (code, report) = CheckRdb(dir.File());
        Assert.Equal(0, code);
        Assert.Contains("\\o/ RDB looks OK! \\o/", report);
        var truncated = good.AsSpan(0, good.Length / 2).ToArray();
        AssertRefusesToStart(dir, truncated, "Unexpected EOF reading RDB file");
        // The error report names the same offset, step and key as redis-check-rdb's.
        var redisCheck = Process.Start(new ProcessStartInfo("redis-check-rdb", dir.File()) { RedirectStandardOutput = true })!;
        string redisReport = redisCheck.StandardOutput.ReadToEnd();
        redisCheck.WaitForExit();
        string ours = CheckRdb(dir.File()).Output;
        string ErrorPart(string report) => report[report.IndexOf("--- RDB ERROR DETECTED ---", StringComparison.Ordinal)..];
        Assert.Equal(ErrorPart(redisReport), ErrorPart(ours));
    }

    [Fact]
    public void CorruptChecksumIsRefused()
    {
        using var dir = new DataDir();
        var damaged = GoodFile(dir);
        damaged[^3] ^= 0xFF;
        AssertRefusesToStart(dir, damaged, "RDB CRC error");
    }

    [Fact]
    public void UnknownTypeAndBadSignatureAreRefused()
    {
        using var dir = new DataDir();
        var good = GoodFile(dir);
        var badSignature = (byte[])good.Clone();
        badSignature[0] = (byte)'X';
        AssertRefusesToStart(dir, badSignature, "Wrong signature trying to load DB from file");
        var newer = (byte[])good.Clone();
        newer[8] = (byte)'9'; newer[7] = (byte)'9';
        AssertRefusesToStart(dir, newer, "Can't handle RDB format version 0099");
    }

    [Fact]
    public void DebugReloadKeepsTheDataSet()
    {
        using var dir = new DataDir();
        using var server = ServerProcess.StartCsredis(ServerArgs(dir));
        using var c = server.Connect();
        FillStrings(c, 200, seed: 11);
        string digest = Digest(c);
        Assert.Equal("OK", Exec(c, "DEBUG", "RELOAD").Text);
        Assert.Equal(digest, Digest(c));
        Exec(c, "SET", "after", "1");
        Assert.Equal("OK", Exec(c, "DEBUG", "RELOAD", "NOSAVE").Text);
        Assert.Equal(digest, Digest(c));
    }
}
