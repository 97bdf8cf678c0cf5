// Runs a multi-client scenario against a fresh real redis-server and a fresh ./csredis-server
// (Infrastructure.ServerProcess) and compares what the clients observed, frame by frame. Replies
// are kept as escaped text so a failing assertion shows the exact bytes on each side.
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Server;

public static class BothServers
{
    public static (List<string> Redis, List<string> Csredis) Run(Action<ServerProcess, List<string>> scenario, params string[] serverArgs)
    {
        var logs = new List<string>[2];
        string[] names = [ServerProcess.RedisName, ServerProcess.CsredisName];
        for (int i = 0; i < names.Length; i++)
        {
            using var server = ServerProcess.Start(names[i], serverArgs);
            logs[i] = new List<string>();
            scenario(server, logs[i]);
        }
        return (logs[0], logs[1]);
    }

    public static void AssertSame((List<string> Redis, List<string> Csredis) run) =>
        Assert.Equal(Numbered(run.Redis), Numbered(run.Csredis));

    static string Numbered(List<string> log) => string.Join("\n", log.Select((line, i) => $"{i}: {line}"));

    /// <summary>Sends a command and returns its reply, escaped.</summary>
    public static string Call(this RawClient c, params string[] args) => c.ExecuteEscaped(args);

    /// <summary>The next frame (reply or push), escaped; null when none arrives in time, "(closed)" when the server hung up.</summary>
    public static string? Next(this RawClient c, int timeoutMs = 5000)
    {
        try { return c.TryReadRawReply(TimeSpan.FromMilliseconds(timeoutMs), out var frame) ? RespFrame.Escape(frame) : null; }
        catch (IOException) { return "(closed)"; }
    }

    /// <summary>Logs every frame that arrives until the connection stays quiet for a moment.</summary>
    public static void Drain(RawClient c, List<string> log, string who)
    {
        while (c.Next(300) is { } frame) log.Add(who + " " + frame);
        log.Add(who + " (quiet)");
    }

    /// <summary>Discards whatever arrives; true when the server closed the connection within the timeout.</summary>
    public static bool ClosedByServer(RawClient c, int timeoutMs)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            c.ReadUntilQuiet(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
            if (c.IsClosedByPeer(TimeSpan.FromMilliseconds(50))) return true;
        }
        return false;
    }
}
