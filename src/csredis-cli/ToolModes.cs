// The single-purpose modes: --scan, --eval, --pipe, --stat, --latency / --latency-history and
// --intrinsic-latency. Each prints what redis-cli 7.0 prints for the same mode.
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public static class ToolModes
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Scan(CliSession session)
    {
        var options = session.Options;
        var connection = session.Connection!;
        var line = new ArrayBufferWriter<byte>();
        byte[] cursor = "0"u8.ToArray();
        bool explicitPattern = options.Pattern is not [(byte)'*'];
        do
        {
            var command = new List<byte[]> { "SCAN"u8.ToArray(), cursor };
            if (explicitPattern) { command.Add("MATCH"u8.ToArray()); command.Add(options.Pattern); }
            if (options.ScanCount is { } count) { command.Add("COUNT"u8.ToArray()); command.Add(Encoding.ASCII.GetBytes(count.ToString(Invariant))); }
            RespValue reply;
            try { reply = connection.Execute(command); }
            catch (RedisConnectionException e)
            {
                Stdio.Error($"I/O error\n{e.Message}\n");
                return 1;
            }
            if (reply.IsError)
            {
                Stdio.Error($"Error: {reply.AsText()}\n");
                return 1;
            }
            cursor = reply.Elements[0].Bytes;
            line.ResetWrittenCount();
            foreach (var key in reply.Elements[1].Elements)
            {
                if (options.Output == OutputMode.Standard) ReplyFormatter.Quote(key.Bytes, line);
                else line.Write(key.Bytes);
                line.Write("\n"u8);
            }
            session.WriteStdout(line.WrittenSpan);
            if (options.IntervalMicroseconds > 0) Thread.Sleep(TimeSpan.FromMicroseconds(options.IntervalMicroseconds));
        } while (!cursor.AsSpan().SequenceEqual("0"u8));
        return 0;
    }

    /// <summary>EVAL of a script file: arguments before a lone "," are keys, after it arguments.</summary>
    public static int Eval(CliSession session)
    {
        var options = session.Options;
        byte[] script;
        try { script = File.ReadAllBytes(options.EvalFile!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory"
                : e is UnauthorizedAccessException ? "Permission denied" : e.Message;
            Stdio.Error($"Can't open file '{options.EvalFile}': {reason}\n");
            return 1;
        }
        int comma = Array.IndexOf(options.Command, ",");
        int keyCount = comma < 0 ? options.Command.Length : comma;
        var argv = new List<byte[]> { "eval"u8.ToArray(), script, Encoding.ASCII.GetBytes(keyCount.ToString(Invariant)) };
        argv.AddRange(options.Command.Where((_, i) => i != comma).Select(Encoding.UTF8.GetBytes));
        return Program.IssueCommand(session, argv, 1) ? 0 : 1;
    }

    /// <summary>Streams stdin (raw protocol) to the server while counting replies; an ECHO of a random token
    /// sent last tells when every reply has arrived.</summary>
    public static int Pipe(CliSession session)
    {
        var options = session.Options;
        var connection = session.Connection!;
        var token = new byte[20];
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int i = 0; i < token.Length; i++) token[i] = (byte)alphabet[Random.Shared.Next(alphabet.Length)];
        bool allSent = false;
        Exception? sendFailure = null;
        var writer = new Thread(() =>
        {
            try
            {
                using var stdin = Stdio.OpenStandardInput();
                var chunk = new byte[64 * 1024];
                int n;
                while ((n = stdin.Read(chunk, 0, chunk.Length)) > 0) connection.SendRaw(chunk.AsSpan(0, n));
                connection.Send(["ECHO"u8.ToArray(), token]);
                session.WriteStdout("All data transferred. Waiting for the last reply...\n"u8);
            }
            catch (Exception e) { sendFailure = e; }
            Volatile.Write(ref allSent, true);
        }) { IsBackground = true };
        writer.Start();
        long errors = 0, replies = 0;
        if (options.PipeTimeoutSeconds > 0) connection.Socket.ReceiveTimeout = 1000;
        var idleSince = Stopwatch.StartNew();
        while (true)
        {
            RespValue reply;
            try { reply = connection.ReadReply(); }
            catch (TimeoutException)
            {
                if (Volatile.Read(ref allSent) && options.PipeTimeoutSeconds > 0 && idleSince.Elapsed.TotalSeconds >= options.PipeTimeoutSeconds)
                {
                    Stdio.Error($"No replies for {options.PipeTimeoutSeconds} seconds: exiting.\n");
                    return 1;
                }
                continue;
            }
            catch (RedisConnectionException e)
            {
                Stdio.Error($"Error reading replies from server: {e.Message}\n");
                return 1;
            }
            idleSince.Restart();
            if (reply.Type == RespType.BulkString && reply.Bytes.AsSpan().SequenceEqual(token))
            {
                writer.Join();
                break;
            }
            if (reply.IsError)
            {
                Stdio.Error(Encoding.UTF8.GetString(reply.Bytes) + "\n");
                errors++;
            }
            replies++;
        }
        if (sendFailure is not null)
        {
            Stdio.Error($"Error writing to the server: {sendFailure.Message}\n");
            return 1;
        }
        session.WriteStdout(Encoding.ASCII.GetBytes($"Last reply received from server.\nerrors: {errors}, replies: {replies}\n"));
        return errors > 0 ? 1 : 0;
    }

    public static int Stat(CliSession session)
    {
        var connection = session.Connection!;
        long interval = session.Options.IntervalMicroseconds > 0 ? session.Options.IntervalMicroseconds : 1_000_000;
        long previousRequests = 0;
        for (long line = 0; ; line++)
        {
            RespValue reply;
            try { reply = connection.Execute("INFO"); }
            catch (RedisConnectionException e)
            {
                Program.PrintContextError(e.Message);
                return 1;
            }
            if (reply.IsError)
            {
                Stdio.Error($"ERROR: {reply.AsText()}\n");
                return 1;
            }
            var info = InfoFields.Parse(reply.AsText());
            var text = new StringBuilder();
            if (line % 20 == 0)
            {
                text.Append("------- data ------ --------------------- load -------------------- - child -\n");
                text.Append("keys       mem      clients blocked requests            connections          \n");
            }
            long keys = 0;
            for (int db = 0; db < 20; db++)
                if (info.TryGetValue($"db{db}", out var dbLine) && InfoFields.SubField(dbLine, "keys") is { } k) keys += k;
            text.Append(keys.ToString(Invariant).PadRight(11));
            text.Append(BytesToHuman(InfoFields.Long(info, "used_memory")).PadRight(8));
            text.Append(' ').Append(InfoFields.Long(info, "connected_clients").ToString(Invariant).PadRight(8));
            text.Append(InfoFields.Long(info, "blocked_clients").ToString(Invariant).PadRight(8));
            long requests = InfoFields.Long(info, "total_commands_processed");
            text.Append($"{requests} (+{(previousRequests == 0 ? 0 : requests - previousRequests)})".PadRight(19));
            previousRequests = requests;
            text.Append(' ').Append(InfoFields.Long(info, "total_connections_received").ToString(Invariant).PadRight(12));
            long children = InfoFields.Long(info, "bgsave_in_progress") | InfoFields.Long(info, "aof_rewrite_in_progress") << 1
                | InfoFields.Long(info, "loading") << 2;
            text.Append(children switch { 1 => "SAVE", 2 => "AOF", 3 => "SAVE+AOF", 4 => "LOAD", _ => "" });
            text.Append('\n');
            session.WriteStdout(Encoding.ASCII.GetBytes(text.ToString()));
            Thread.Sleep(TimeSpan.FromMicroseconds(interval));
        }
    }

    public static string BytesToHuman(long bytes)
    {
        string sign = bytes < 0 ? "-" : "";
        double n = Math.Abs((double)bytes);
        if (n < 1024) return sign + ((long)n).ToString(Invariant) + "B";
        if (n < 1024.0 * 1024) return sign + (n / 1024).ToString("0.00", Invariant) + "K";
        if (n < 1024.0 * 1024 * 1024) return sign + (n / (1024 * 1024)).ToString("0.00", Invariant) + "M";
        if (n < 1024.0 * 1024 * 1024 * 1024) return sign + (n / (1024.0 * 1024 * 1024)).ToString("0.00", Invariant) + "G";
        if (n < 1024.0 * 1024 * 1024 * 1024 * 1024) return sign + (n / (1024.0 * 1024 * 1024 * 1024)).ToString("0.00", Invariant) + "T";
        return sign + (n / (1024.0 * 1024 * 1024 * 1024 * 1024)).ToString("0.00", Invariant) + "P";
    }

    /// <summary>PING every 10 ms, in whole milliseconds. On a terminal the line is redrawn forever (with
    /// --latency-history a new line per interval); otherwise one summary after the interval.</summary>
    public static int Latency(CliSession session)
    {
        var options = session.Options;
        var connection = session.Connection!;
        bool summaryOnly = options.Output != OutputMode.Standard || !Program.StdoutIsTerminal;
        long intervalMs = options.IntervalMicroseconds > 0 ? options.IntervalMicroseconds / 1000
            : options.LatencyHistory && !summaryOnly ? 15000 : 1000;
        long min = 0, max = 0, total = 0, count = 0;
        var windowStart = Stopwatch.StartNew();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var reply = connection.Execute("PING");
                if (reply.IsError)
                {
                    Stdio.Error($"\nI/O error\n");
                    return 1;
                }
            }
            catch (RedisConnectionException)
            {
                Stdio.Error("\nI/O error\n");
                return 1;
            }
            long latency = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            count++;
            if (count == 1) min = max = latency;
            else
            {
                min = Math.Min(min, latency);
                max = Math.Max(max, latency);
            }
            total += latency;
            double average = (double)total / count;
            if (summaryOnly)
            {
                if (windowStart.ElapsedMilliseconds >= intervalMs)
                {
                    string summary = options.Output == OutputMode.Csv
                        ? $"{min},{max},{average.ToString("0.00", Invariant)},{count}\n"
                        : $"{min} {max} {average.ToString("0.00", Invariant)} {count}\n";
                    session.WriteStdout(Encoding.ASCII.GetBytes(summary));
                    return 0;
                }
            }
            else
            {
                session.WriteStdout(Encoding.ASCII.GetBytes(
                    $"\x1b[0G\x1b[2Kmin: {min}, max: {max}, avg: {average.ToString("0.00", Invariant)} ({count} samples)"));
                if (options.LatencyHistory && windowStart.ElapsedMilliseconds >= intervalMs)
                {
                    session.WriteStdout(Encoding.ASCII.GetBytes(
                        $" -- {(windowStart.ElapsedMilliseconds / 1000.0).ToString("0.00", Invariant)} seconds range\n"));
                    windowStart.Restart();
                    min = max = total = count = 0;
                }
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>Measures how late this process itself gets scheduled, with no server involved.</summary>
    public static int IntrinsicLatency(int seconds)
    {
        var stdout = Stdio.OpenStandardOutput();
        long runs = 0, maxLatencyTicks = 0;
        var clock = Stopwatch.StartNew();
        long end = Stopwatch.Frequency * seconds;
        while (true)
        {
            long start = clock.ElapsedTicks;
            long sink = 0;
            for (int i = 0; i < 50; i++) sink += i * i;
            GC.KeepAlive(sink);
            long now = clock.ElapsedTicks;
            long latency = now - start;
            runs++;
            if (latency > maxLatencyTicks)
            {
                maxLatencyTicks = latency;
                long micros = maxLatencyTicks * 1_000_000 / Stopwatch.Frequency;
                stdout.Write(Encoding.ASCII.GetBytes($"Max latency so far: {micros} microseconds.\n"));
                stdout.Flush();
            }
            if (now > end)
            {
                double averageMicros = (double)now * 1_000_000 / Stopwatch.Frequency / runs;
                double maxMicros = (double)maxLatencyTicks * 1_000_000 / Stopwatch.Frequency;
                stdout.Write(Encoding.ASCII.GetBytes(
                    $"\n{runs} total runs (avg latency: {averageMicros.ToString("0.0000", Invariant)} microseconds / {(averageMicros * 1000).ToString("0.00", Invariant)} nanoseconds per run).\n" +
                    $"Worst run took {(maxMicros / averageMicros).ToString("0", Invariant)}x longer than the average latency.\n"));
                stdout.Flush();
                return 0;
            }
        }
    }
}

/// <summary>INFO text as field -> value, for the stat, key sampling and topology modes.</summary>
public static class InfoFields
{
    public static Dictionary<string, string> Parse(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':');
            if (colon > 0) fields[line[..colon]] = line[(colon + 1)..];
        }
        return fields;
    }

    public static long Long(Dictionary<string, string> info, string name) =>
        info.TryGetValue(name, out var value) ? CParse.Atoi(value) : 0;

    /// <summary>A name=value item of a comma-separated INFO value such as db0 or slave0.</summary>
    public static long? SubField(string value, string name)
    {
        foreach (var part in value.Split(','))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && part[..eq] == name) return CParse.Atoi(part[(eq + 1)..]);
        }
        return null;
    }

    public static string? SubText(string value, string name)
    {
        foreach (var part in value.Split(','))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && part[..eq] == name) return part[(eq + 1)..];
        }
        return null;
    }
}
