// MONITOR, SLOWLOG and LATENCY: the commands over the server's self-observation (Diagnostics.cs).
using System.Globalization;
using System.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class DiagnosticCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags admin = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
        string[] adminCats = ["admin", "slow", "dangerous"];
        // SLOWLOG's subcommands may run from scripts in Redis 7.0 (no noscript), LATENCY's and MONITOR may not.
        const CommandFlags slowlogAdmin = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale;
        t.Add(new Command { Name = "monitor", Arity = 1, Flags = admin, Handler = Monitor, Group = "server", Categories = adminCats, Since = "1.0.0" });
        t.Add(new Command { Name = "slowlog", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "server", Categories = ["slow"], Since = "2.2.12" }.WithSubcommands(
            new Command { Name = "slowlog|get", Arity = -2, Flags = slowlogAdmin, Handler = SlowlogGet, Group = "server", Categories = adminCats, Since = "2.2.12" },
            new Command { Name = "slowlog|len", Arity = 2, Flags = slowlogAdmin, Handler = c => c.Reply.Integer(c.Server.Slowlog.Count), Group = "server", Categories = adminCats, Since = "2.2.12" },
            new Command { Name = "slowlog|reset", Arity = 2, Flags = slowlogAdmin, Handler = SlowlogReset, Group = "server", Categories = adminCats, Since = "2.2.12" },
            new Command { Name = "slowlog|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = c => Help(c, SlowlogHelp), Group = "server", Categories = ["slow"], Since = "6.2.0" }));
        t.Add(new Command { Name = "latency", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "server", Categories = ["slow"], Since = "2.8.13" }.WithSubcommands(
            new Command { Name = "latency|latest", Arity = 2, Flags = admin, Handler = LatencyLatest, Group = "server", Categories = adminCats, Since = "2.8.13" },
            new Command { Name = "latency|history", Arity = 3, Flags = admin, Handler = LatencyHistory, Group = "server", Categories = adminCats, Since = "2.8.13" },
            new Command { Name = "latency|reset", Arity = -2, Flags = admin, Handler = LatencyReset, Group = "server", Categories = adminCats, Since = "2.8.13" },
            new Command { Name = "latency|graph", Arity = 3, Flags = admin, Handler = LatencyGraph, Group = "server", Categories = adminCats, Since = "2.8.13" },
            new Command { Name = "latency|doctor", Arity = 2, Flags = admin, Handler = LatencyDoctor, Group = "server", Categories = adminCats, Since = "2.8.13" },
            new Command { Name = "latency|histogram", Arity = -2, Flags = admin, Handler = LatencyHistogramCommand, Group = "server", Categories = adminCats, Since = "7.0.0" },
            new Command { Name = "latency|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = c => Help(c, LatencyHelp), Group = "server", Categories = ["slow"], Since = "2.8.13" }));
    }

    static void Monitor(Client c)
    {
        // Inside MULTI the command is refused by the transaction code; a monitor stays one until it disconnects.
        if ((c.Flags & ClientFlags.Monitor) != 0) return;
        c.Flags |= ClientFlags.Monitor;
        c.Server.Monitors.Add(c);
        c.Reply.Ok();
    }

    static void SlowlogGet(Client c)
    {
        long count = 10;
        if (c.Argc == 3)
        {
            if (!Common.Text.NumberParsing.TryParseInt64(c.Arg(2), out count) || count < -1)
            {
                c.Error("ERR count should be greater than or equal to -1"u8);
                return;
            }
            if (count == -1) count = long.MaxValue;
        }
        else if (c.Argc > 3)
        {
            c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.ArgString(1) + "'. Try SLOWLOG HELP.");
            return;
        }
        var entries = c.Server.Slowlog.Take((int)Math.Min(count, int.MaxValue)).ToArray();
        c.Reply.ArrayHeader(entries.Length);
        foreach (var e in entries)
        {
            c.Reply.ArrayHeader(6);
            c.Reply.Integer(e.Id);
            c.Reply.Integer(e.UnixSeconds);
            c.Reply.Integer(e.Microseconds);
            c.Reply.ArrayHeader(e.Args.Length);
            foreach (var arg in e.Args) c.Reply.Bulk(arg);
            c.Reply.Bulk(e.Address);
            c.Reply.Bulk(e.Name);
        }
    }

    static void SlowlogReset(Client c)
    {
        c.Server.Slowlog.Clear();
        c.Reply.Ok();
    }

    static void LatencyLatest(Client c)
    {
        var events = c.Server.LatencyEvents;
        c.Reply.ArrayHeader(events.Count);
        foreach (var (name, ev) in events)
        {
            var last = ev.Samples[^1];
            c.Reply.ArrayHeader(4);
            c.Reply.Bulk(name);
            c.Reply.Integer(last.UnixSeconds);
            c.Reply.Integer(last.Milliseconds);
            c.Reply.Integer(ev.MaxMilliseconds);
        }
    }

    static void LatencyHistory(Client c)
    {
        if (!c.Server.LatencyEvents.TryGetValue(c.ArgString(2), out var ev))
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        c.Reply.ArrayHeader(ev.Samples.Count);
        foreach (var (time, ms) in ev.Samples)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(time);
            c.Reply.Integer(ms);
        }
    }

    static void LatencyReset(Client c)
    {
        var events = c.Server.LatencyEvents;
        if (c.Argc == 2)
        {
            int all = events.Count;
            events.Clear();
            c.Reply.Integer(all);
            return;
        }
        int removed = 0;
        for (int j = 2; j < c.Argc; j++) if (events.Remove(c.ArgString(j))) removed++;
        c.Reply.Integer(removed);
    }

    static void LatencyDoctor(Client c)
    {
        var s = c.Server;
        string text;
        if (s.Config.LatencyMonitorThreshold == 0 && s.LatencyEvents.Count == 0)
            text = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        else if (s.LatencyEvents.Count == 0)
            text = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
        else
        {
            var report = new StringBuilder("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            int n = 1;
            bool commandEvents = false;
            foreach (var (name, ev) in s.LatencyEvents)
            {
                double average = ev.Samples.Average(x => (double)x.Milliseconds);
                double deviation = ev.Samples.Average(x => Math.Abs(x.Milliseconds - average));
                double period = ev.Samples.Count > 1 ? (double)(ev.Samples[^1].UnixSeconds - ev.Samples[0].UnixSeconds) / (ev.Samples.Count - 1) : 0;
                report.Append(CultureInfo.InvariantCulture,
                    $"{n++}. {name}: {ev.Samples.Count} latency spikes (average {(long)average}ms, mean deviation {(long)deviation}ms, period {period:0.00} sec). Worst all time event {ev.MaxMilliseconds}ms.\n");
                commandEvents |= name is "command" or "fast-command";
            }
            // The advice that applies to the events this server records (command execution).
            report.Append("\nI have a few advices for you:\n\n");
            long thresholdUs = s.Config.LatencyMonitorThreshold * 1000;
            if (s.Config.SlowlogLogSlowerThan < 0 || s.Config.SlowlogLogSlowerThan > thresholdUs)
                report.Append(CultureInfo.InvariantCulture, $"- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {thresholdUs}'.\n");
            if (commandEvents)
            {
                report.Append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
                report.Append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
            }
            text = report.ToString();
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        c.Reply.Verbatim(bytes, "txt"u8);
    }

    /// <summary>
    /// LATENCY GRAPH: Redis's sparkline of an event's samples: 4 rows drawn with "_o#" (and '|'
    /// below a peak), scaled between the lowest and highest sample, then each sample's age
    /// ("12s", "3m", "1h", "2d") written vertically under it, 80 columns per block.
    /// </summary>
    static void LatencyGraph(Client c)
    {
        string name = c.ArgString(2);
        if (!c.Server.LatencyEvents.TryGetValue(name, out var ev) || ev.Samples.Count == 0)
        {
            c.Error($"ERR No samples available for event '{name}'");
            return;
        }
        long now = Common.Clock.UnixMs() / 1000;
        var values = ev.Samples.Select(x => x.Milliseconds).ToArray();
        var labels = ev.Samples.Select(x =>
        {
            long elapsed = now - x.UnixSeconds;
            return elapsed < 60 ? $"{elapsed}s" : elapsed < 3600 ? $"{elapsed / 60}m" : elapsed < 86400 ? $"{elapsed / 3600}h" : $"{elapsed / 86400}d";
        }).ToArray();
        long min = values.Min(), max = values.Max();
        var graph = new StringBuilder();
        graph.Append(CultureInfo.InvariantCulture, $"{name} - high {max} ms, low {min} ms (all time high {ev.MaxMilliseconds} ms)\n");
        graph.Append('-', 80).Append('\n');
        const int columns = 80, rows = 4;
        for (int offset = 0; offset < values.Length; offset += columns)
            RenderSparkline(graph, values, labels, min, max, offset, Math.Min(columns, values.Length - offset), rows);
        c.Reply.Verbatim(Encoding.UTF8.GetBytes(graph.ToString()), "txt"u8);
    }

    static void RenderSparkline(StringBuilder output, long[] values, string[] labels, long min, long max, int offset, int length, int rows)
    {
        const string fill = "_o#";
        double range = max - min;
        if (range == 0) range = 1;
        int steps = fill.Length * rows;
        var chars = new char[length];
        for (int row = 0; ; row++)
        {
            bool more = false;
            Array.Fill(chars, ' ');
            for (int j = 0; j < length; j++)
            {
                double relative = values[offset + j] - min;
                int step = (int)((int)(relative * steps) / range);
                step = Math.Clamp(step, 0, steps - 1);
                if (row < rows)
                {
                    int index = step - (rows - row - 1) * fill.Length;
                    more = true;
                    if (index >= 0 && index < fill.Length) chars[j] = fill[index];
                    else if (index >= fill.Length) chars[j] = '|';
                }
                else if (row - rows < 1)
                {
                    // One blank line between the graph and the labels.
                    more = true;
                    break;
                }
                else
                {
                    string label = labels[offset + j];
                    int labelChar = row - rows - 1;
                    if (label.Length > labelChar)
                    {
                        more = true;
                        chars[j] = label[labelChar];
                    }
                }
            }
            if (!more) break;
            output.Append(chars).Append('\n');
        }
    }

    static void LatencyHistogramCommand(Client c)
    {
        var selected = new List<Command>();
        foreach (var cmd in c.Server.Commands.Callable)
        {
            selected.Add(cmd);
            if (cmd.Subcommands != null) selected.AddRange(cmd.Subcommands.Values);
        }
        if (c.Argc > 2)
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (int j = 2; j < c.Argc; j++) names.Add(c.ArgString(j));
            selected = selected.Where(cmd => names.Contains(cmd.FullName)).ToList();
        }
        selected = selected.Where(cmd => cmd.Latency.Count > 0).ToList();
        c.Reply.MapHeader(selected.Count);
        foreach (var cmd in selected)
        {
            c.Reply.Bulk(cmd.FullName);
            c.Reply.MapHeader(2);
            c.Reply.Bulk("calls"u8);
            c.Reply.Integer(cmd.Latency.Count);
            c.Reply.Bulk("histogram_usec"u8);
            var buckets = cmd.Latency.PowerOfTwoBuckets();
            c.Reply.MapHeader(buckets.Count);
            foreach (var (us, count) in buckets)
            {
                c.Reply.Integer(us);
                c.Reply.Integer(count);
            }
        }
    }

    static readonly string[] SlowlogHelp =
    [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];

    static readonly string[] LatencyHelp =
    [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];

    public static void Help(Client c, string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }
}
