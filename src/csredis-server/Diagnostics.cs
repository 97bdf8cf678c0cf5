// What the server watches about its own commands, fed from RedisServer.AfterCall: MONITOR
// streams (each executed command as a line), the slow log (SLOWLOG) and the latency monitor
// (LATENCY). Sensitive arguments (AUTH passwords, HELLO AUTH, MIGRATE AUTH) are redacted in
// both, as Redis does.
using System.Globalization;
using System.Text;
using Csredis.Common;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed record SlowlogEntry(long Id, long UnixSeconds, long Microseconds, byte[][] Args, string Address, string Name);

public sealed class LatencyEvent
{
    public readonly List<(long UnixSeconds, long Milliseconds)> Samples = new();
    public long MaxMilliseconds;
}

public sealed partial class RedisServer
{
    public readonly List<Client> Monitors = new();
    public readonly LinkedList<SlowlogEntry> Slowlog = new();
    public long NextSlowlogId;
    /// <summary>Latency events by name ("command", "fast-command", ...), as LATENCY LATEST lists them.</summary>
    public readonly Dictionary<string, LatencyEvent> LatencyEvents = new(StringComparer.Ordinal);
    const int LatencyHistoryLength = 160;

    void InitDiagnostics()
    {
        AfterCall += OnCommandExecuted;
        ClientClosing += c => Monitors.Remove(c);
        // RESET ends MONITOR mode too.
        ClientResetting += c =>
        {
            Monitors.Remove(c);
            c.Flags &= ~ClientFlags.Monitor;
        };
    }

    void OnCommandExecuted(Client c, Command cmd, long microseconds)
    {
        if (Monitors.Count > 0 && !cmd.Is(CommandFlags.SkipMonitor | CommandFlags.Admin)) FeedMonitors(c);
        if (!cmd.Is(CommandFlags.SkipSlowlog) && Config.SlowlogLogSlowerThan >= 0 && microseconds >= Config.SlowlogLogSlowerThan)
            AddSlowlogEntry(c, microseconds);
        long ms = microseconds / 1000;
        if (Config.LatencyMonitorThreshold > 0 && ms >= Config.LatencyMonitorThreshold)
            AddLatencySample(cmd.Is(CommandFlags.Fast) ? "fast-command" : "command", ms);
    }

    /// <summary>The arguments as logged: passwords replaced by "(redacted)".</summary>
    static byte[][] RedactedArgs(Client c)
    {
        var args = c.CopyArgs();
        var redacted = "(redacted)"u8.ToArray();
        string name = Encoding.ASCII.GetString(args[0]).ToLowerInvariant();
        if (name == "auth")
            for (int i = 1; i < args.Length; i++) args[i] = redacted;
        else if (name == "hello" || name == "migrate")
            for (int i = 1; i < args.Length; i++)
            {
                string word = Encoding.ASCII.GetString(args[i]).ToLowerInvariant();
                int secrets = word == "auth" ? (name == "hello" ? 2 : 1) : word == "auth2" && name == "migrate" ? 2 : 0;
                for (int k = 1; k <= secrets && i + k < args.Length; k++) args[i + k] = redacted;
                i += secrets;
            }
        return args;
    }

    void FeedMonitors(Client c)
    {
        long us = Clock.UnixUs();
        var line = new StringBuilder(128);
        line.Append(us / 1_000_000).Append('.').Append((us % 1_000_000).ToString("000000", CultureInfo.InvariantCulture))
            .Append(" [").Append(c.Db.Id).Append(' ').Append(c.Address).Append(']');
        foreach (var arg in RedactedArgs(c)) line.Append(' ').Append(Repr(arg));
        var bytes = Encoding.Latin1.GetBytes(line.ToString());
        foreach (var monitor in Monitors)
        {
            if (monitor.IsClosing) continue;
            monitor.Reply.SimpleString(bytes);
            QueueWrite(monitor);
        }
    }

    /// <summary>Redis's sdscatrepr for bytes: quoted, C escapes, \xHH for anything not printable.</summary>
    public static string Repr(ReadOnlySpan<byte> bytes)
    {
        var s = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\\': s.Append("\\\\"); break;
                case (byte)'"': s.Append("\\\""); break;
                case (byte)'\n': s.Append("\\n"); break;
                case (byte)'\r': s.Append("\\r"); break;
                case (byte)'\t': s.Append("\\t"); break;
                case 7: s.Append("\\a"); break;
                case 8: s.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127) s.Append((char)b);
                    else s.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return s.Append('"').ToString();
    }

    const int SlowlogMaxArgs = 32, SlowlogMaxArgLength = 128;

    void AddSlowlogEntry(Client c, long microseconds)
    {
        var all = RedactedArgs(c);
        int count = Math.Min(all.Length, SlowlogMaxArgs);
        var args = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            if (i == SlowlogMaxArgs - 1 && all.Length > SlowlogMaxArgs)
            {
                args[i] = Encoding.ASCII.GetBytes($"... ({all.Length - SlowlogMaxArgs + 1} more arguments)");
                break;
            }
            var arg = all[i];
            args[i] = arg.Length <= SlowlogMaxArgLength ? arg
                : [.. arg.AsSpan(0, SlowlogMaxArgLength), .. Encoding.ASCII.GetBytes($"... ({arg.Length - SlowlogMaxArgLength} more bytes)")];
        }
        Slowlog.AddFirst(new SlowlogEntry(NextSlowlogId++, CachedUnixMs / 1000, microseconds, args, c.Address, c.Name ?? ""));
        while (Slowlog.Count > Config.SlowlogMaxLen) Slowlog.RemoveLast();
    }

    /// <summary>Records a latency spike; samples in the same second are merged keeping the highest.</summary>
    public void AddLatencySample(string eventName, long milliseconds)
    {
        long now = CachedUnixMs / 1000;
        if (!LatencyEvents.TryGetValue(eventName, out var ev)) LatencyEvents[eventName] = ev = new LatencyEvent();
        if (milliseconds > ev.MaxMilliseconds) ev.MaxMilliseconds = milliseconds;
        if (ev.Samples.Count > 0 && ev.Samples[^1].UnixSeconds == now)
        {
            if (milliseconds > ev.Samples[^1].Milliseconds) ev.Samples[^1] = (now, milliseconds);
            return;
        }
        ev.Samples.Add((now, milliseconds));
        if (ev.Samples.Count > LatencyHistoryLength) ev.Samples.RemoveAt(0);
    }
}
