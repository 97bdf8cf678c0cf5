// client-output-buffer-limit (Redis's checkClientOutputBufferLimits): a client whose unsent
// replies pass its class's hard limit, or stay above the soft limit for longer than the soft
// seconds, is scheduled to be closed. The close happens before the loop sleeps, never in the middle
// of the command (or PUBLISH) that overflowed it, so callers can keep writing to other clients.
using Csredis.Common.Logging;

namespace Csredis.Server.Networking;

public enum ClientClass { Normal = 0, Replica = 1, PubSub = 2 }

public sealed class OutputBufferLimit
{
    public long HardBytes, SoftBytes, SoftSeconds;
}

public sealed partial class Client
{
    /// <summary>When the soft output limit was first exceeded without a break (ms), 0 when under it.</summary>
    public long SoftLimitReachedMs;
}

public sealed class OutputBufferLimits
{
    readonly RedisServer _server;
    readonly List<Client> _scheduled = new();

    public OutputBufferLimits(RedisServer server) => _server = server;

    public static ClientClass ClassOf(Client c) =>
        (c.Flags & (ClientFlags.Replica | ClientFlags.Monitor)) == ClientFlags.Replica ? ClientClass.Replica
        : (c.Flags & ClientFlags.PubSub) != 0 ? ClientClass.PubSub
        : ClientClass.Normal;

    /// <summary>Checks <paramref name="c"/> after output was appended; schedules the close when over a limit.</summary>
    public void Check(Client c)
    {
        if (c.IsClosing) return;
        var limit = _server.Config.ClientOutputBufferLimits[(int)ClassOf(c)];
        if (limit.HardBytes == 0 && limit.SoftBytes == 0) return;
        // Redis counts only what overflowed the client's fixed 16k reply buffer into the reply list.
        long used = Math.Max(0, c.Reply.PendingBytes - Common.Resp.ReplyBuffer.InitialSize);
        bool hard = limit.HardBytes > 0 && used >= limit.HardBytes;
        bool soft = limit.SoftBytes > 0 && used >= limit.SoftBytes;
        if (soft)
        {
            long nowSeconds = _server.CachedUnixMs / 1000;
            if (c.SoftLimitReachedMs == 0)
            {
                c.SoftLimitReachedMs = Math.Max(1, nowSeconds * 1000);
                soft = false; // the clock just started
            }
            else soft = nowSeconds - c.SoftLimitReachedMs / 1000 > limit.SoftSeconds;
        }
        else c.SoftLimitReachedMs = 0;
        if (!hard && !soft) return;
        string info = c.InfoLine(); // described as it was before being scheduled (no 'A' flag), as Redis logs it
        c.Flags |= ClientFlags.CloseAsap;
        _scheduled.Add(c);
        Log.Warning($"Client {info} scheduled to be closed ASAP for overcoming of output buffer limits.");
    }

    public void FreeScheduledClients()
    {
        if (_scheduled.Count == 0) return;
        foreach (var c in _scheduled) _server.FreeClient(c);
        _scheduled.Clear();
    }

    /// <summary>Parses "class hard soft seconds [class hard soft seconds ...]" into the limits; an error text or null.</summary>
    public static string? Parse(string[] args, OutputBufferLimit[] limits)
    {
        if (args.Length % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
        var parsed = new (ClientClass Class, long Hard, long Soft, long Seconds)[args.Length / 4];
        for (int i = 0; i < args.Length; i += 4)
        {
            ClientClass cls;
            switch (args[i].ToLowerInvariant())
            {
                case "normal": cls = ClientClass.Normal; break;
                case "slave": case "replica": cls = ClientClass.Replica; break;
                case "pubsub": cls = ClientClass.PubSub; break;
                default: return "Invalid client class specified in buffer limit configuration.";
            }
            if (!Config.ConfigRegistry.TryParseMemory(args[i + 1], out long hard) || hard < 0
                || !Config.ConfigRegistry.TryParseMemory(args[i + 2], out long soft) || soft < 0
                || !long.TryParse(args[i + 3], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long seconds)
                || seconds < 0)
                return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            parsed[i / 4] = (cls, hard, soft, seconds);
        }
        // All or nothing: only apply once every group parsed.
        foreach (var (cls, hard, soft, seconds) in parsed)
        {
            var l = limits[(int)cls];
            l.HardBytes = hard;
            l.SoftBytes = soft;
            l.SoftSeconds = seconds;
        }
        return null;
    }

    /// <summary>CONFIG REWRITE writes one line per class, naming the replica class "replica" and sizes with units.</summary>
    public static IReadOnlyList<string> RewriteLines(string value)
    {
        OutputBufferLimit[] limits = [new(), new(), new()];
        Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries), limits);
        string[] names = ["normal", "replica", "pubsub"];
        var lines = new string[limits.Length];
        for (int i = 0; i < limits.Length; i++)
            lines[i] = $"{names[i]} {Config.ConfigRegistry.FormatMemory(limits[i].HardBytes)} {Config.ConfigRegistry.FormatMemory(limits[i].SoftBytes)} {limits[i].SoftSeconds}";
        return lines;
    }

    public static string Format(OutputBufferLimit[] limits)
    {
        string[] names = ["normal", "slave", "pubsub"];
        var parts = new string[limits.Length];
        for (int i = 0; i < limits.Length; i++)
            parts[i] = $"{names[i]} {limits[i].HardBytes} {limits[i].SoftBytes} {limits[i].SoftSeconds}";
        return string.Join(' ', parts);
    }
}
