// The single-purpose modes: --scan, --pipe, --stat, --latency / --latency-history, --latency-dist,
// --lru-test and --intrinsic-latency. Each prints what redis-cli 7.0 prints for the same mode.
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
            if (KeySampler.ScanStep(connection, command) is not { } reply) return 1;
            cursor = reply.Elements[0].Bytes;
            line.ResetWrittenCount();
            foreach (var key in reply.Elements[1].Elements)
            {
                if (options.Output == OutputMode.Standard) ReplyFormatter.Quote(key.Bytes, line);
                else
                {
                    // printf("%s"): a key is cut at its first NUL byte.
                    int nul = key.Bytes.AsSpan().IndexOf((byte)0);
                    line.Write(nul >= 0 ? key.Bytes.AsSpan(0, nul) : key.Bytes);
                }
                line.Write("\n"u8);
            }
            session.WriteStdout(line.WrittenSpan);
            if (options.IntervalMicroseconds > 0) Thread.Sleep(TimeSpan.FromMicroseconds(options.IntervalMicroseconds));
        } while (!cursor.AsSpan().SequenceEqual("0"u8));
        return 0;
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

    /// <summary>redis-cli's reconnectingRedisCommand (used by --stat, --latency, --latency-dist): while the
    /// link is down, show "Reconnecting... N" on stdout and retry once a second (a bare connection, as
    /// redis-cli makes it: no AUTH or SELECT).</summary>
    public static RespValue ReconnectingExecute(CliSession session, params string[] command)
    {
        int tries = 0;
        while (true)
        {
            while (session.Connection is null || session.LinkBroken)
            {
                session.WriteStdout("\r\x1b[0K"u8);
                session.WriteStdout(Encoding.ASCII.GetBytes($"Reconnecting... {++tries}\r"));
                session.Disconnect();
                session.Connection = session.OpenNodeConnection(session.Options.Host, session.Options.Port, quiet: true);
                session.LinkBroken = session.Connection is null;
                Thread.Sleep(1000);
            }
            try
            {
                var reply = session.Connection.Execute(command);
                if (tries > 0) session.WriteStdout("\r\x1b[0K"u8);
                return reply;
            }
            catch (RedisConnectionException) { session.LinkBroken = true; }
        }
    }

    public static int Stat(CliSession session)
    {
        long interval = session.Options.IntervalMicroseconds > 0 ? session.Options.IntervalMicroseconds : 1_000_000;
        long previousRequests = 0;
        for (long line = 0; ; line++)
        {
            var reply = ReconnectingExecute(session, "INFO");
            if (reply.IsError)
            {
                session.WriteStdout(Encoding.UTF8.GetBytes($"ERROR: {reply.AsText()}\n"));
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

    private static long NowMilliseconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private static long NowMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private const int LatencySampleMilliseconds = 10;

    /// <summary>--latency / --latency-history: PING every 10 ms, latencies in whole milliseconds. In the
    /// standard output form the line is redrawn forever (--latency-history starts a new one per interval,
    /// 15 s by default); otherwise --latency prints one summary after the interval (1 s by default) and
    /// --latency-history prints a line per sample.</summary>
    public static int Latency(CliSession session)
    {
        var options = session.Options;
        long historyInterval = options.IntervalMicroseconds != 0 ? options.IntervalMicroseconds / 1000 : 15000;
        long summaryInterval = options.IntervalMicroseconds != 0 ? options.IntervalMicroseconds / 1000 : 1000;
        long min = 0, max = 0, total = 0, count = 0;
        long historyStart = NowMilliseconds();
        while (true)
        {
            long started = NowMilliseconds();
            ReconnectingExecute(session, "PING");
            long latency = NowMilliseconds() - started;
            count++;
            if (count == 1) min = max = total = latency;
            else
            {
                min = Math.Min(min, latency);
                max = Math.Max(max, latency);
                total += latency;
            }
            double average = (double)total / count;
            if (options.Output == OutputMode.Standard)
            {
                session.WriteStdout("\x1b[0G\x1b[2K"u8);
                PrintLatency(session, min, max, average, count);
            }
            else if (options.LatencyHistory) PrintLatency(session, min, max, average, count);
            else if (NowMilliseconds() - historyStart > summaryInterval)
            {
                PrintLatency(session, min, max, average, count);
                return 0;
            }
            if (options.LatencyHistory && NowMilliseconds() - historyStart > historyInterval)
            {
                session.WriteStdout(Encoding.ASCII.GetBytes(
                    $" -- {((NowMilliseconds() - historyStart) / 1000f).ToString("0.00", Invariant)} seconds range\n"));
                historyStart = NowMilliseconds();
                min = max = total = count = 0;
            }
            Thread.Sleep(LatencySampleMilliseconds);
        }
    }

    private static void PrintLatency(CliSession session, long min, long max, double average, long count)
    {
        string avg = average.ToString("0.00", Invariant);
        string? text = session.Options.Output switch
        {
            OutputMode.Standard => $"min: {min}, max: {max}, avg: {avg} ({count} samples)",
            OutputMode.Csv => $"{min},{max},{avg},{count}\n",
            OutputMode.Raw => $"{min} {max} {avg} {count}\n",
            OutputMode.Json => $"{{\"min\": {min}, \"max\": {max}, \"avg\": {avg}, \"count\": {count}}}\n",
            _ => null,
        };
        if (text is not null) session.WriteStdout(Encoding.ASCII.GetBytes(text));
    }

    // --latency-dist buckets: upper bound in microseconds (0 = everything slower) and the glyph shown.
    private static readonly (long MaxMicros, char Glyph)[] SpectrumBuckets =
    [
        (10, '.'), (125, '-'), (250, '*'), (500, '#'), (1000, '1'), (2000, '2'), (3000, '3'), (4000, '4'),
        (5000, '5'), (6000, '6'), (7000, '7'), (8000, '8'), (9000, '9'), (10000, 'A'), (20000, 'B'),
        (30000, 'C'), (40000, 'D'), (50000, 'E'), (100000, 'F'), (200000, 'G'), (300000, 'H'), (400000, 'I'),
        (500000, 'J'), (1000000, 'K'), (2000000, 'L'), (4000000, 'M'), (8000000, 'N'), (16000000, 'O'),
        (30000000, 'P'), (60000000, 'Q'), (0, '?'),
    ];

    private static readonly int[] ColorPalette = [0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 144, 143, 142, 184, 226, 214, 208, 202, 196];
    private static readonly int[] MonoPalette = [0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253];

    /// <summary>--latency-dist: PING every 10 ms and, once per interval (1 s by default), draw one line of a
    /// spectrum in xterm-256 colours: one cell per latency bucket, brighter the larger its share; the
    /// legend is repeated every 20 lines.</summary>
    public static int LatencyDistribution(CliSession session)
    {
        var options = session.Options;
        var palette = options.MonochromeSpectrum ? MonoPalette : ColorPalette;
        long interval = options.IntervalMicroseconds != 0 ? options.IntervalMicroseconds / 1000 : 1000;
        var counts = new long[SpectrumBuckets.Length];
        long count = 0, outputs = 0;
        long windowStart = NowMicroseconds();
        while (true)
        {
            long started = NowMicroseconds();
            ReconnectingExecute(session, "PING");
            long latency = NowMicroseconds() - started;
            count++;
            for (int j = 0; ; j++)
            {
                if (SpectrumBuckets[j].MaxMicros == 0 || latency <= SpectrumBuckets[j].MaxMicros)
                {
                    counts[j]++;
                    break;
                }
            }
            if ((NowMicroseconds() - windowStart) / 1000 > interval)
            {
                var text = new StringBuilder();
                if (outputs++ % 20 == 0)
                {
                    text.Append("---------------------------------------------\n");
                    text.Append(". - * #          .01 .125 .25 .5 milliseconds\n");
                    text.Append("1,2,3,...,9      from 1 to 9     milliseconds\n");
                    text.Append("A,B,C,D,E        10,20,30,40,50  milliseconds\n");
                    text.Append("F,G,H,I,J        .1,.2,.3,.4,.5       seconds\n");
                    text.Append("K,L,M,N,O,P,Q,?  1,2,4,8,16,30,60,>60 seconds\n");
                    text.Append("From 0 to 100%: ");
                    foreach (int color in palette) text.Append($"\x1b[48;5;{color}m ");
                    text.Append("\x1b[0m\n---------------------------------------------\n");
                }
                text.Append("\x1b[38;5;0m");
                for (int j = 0; j < SpectrumBuckets.Length; j++)
                {
                    int colorIndex = (int)Math.Ceiling((float)counts[j] / count * (palette.Length - 1));
                    text.Append($"\x1b[48;5;{palette[colorIndex]}m{SpectrumBuckets[j].Glyph}");
                    counts[j] = 0;
                }
                text.Append("\x1b[0m\n");
                session.WriteStdout(Encoding.ASCII.GetBytes(text.ToString()));
                windowStart = NowMicroseconds();
                count = 0;
            }
            Thread.Sleep(LatencySampleMilliseconds);
        }
    }

    private const int LruPipeline = 250;

    /// <summary>--lru-test N: a cache workload on keys lru:1..lru:N drawn from a power law (80% of accesses on
    /// 20% of the keys): cycles of 250 pipelined SETs then 250 GETs, with the hit rate printed each second.</summary>
    public static int LruTest(CliSession session)
    {
        var connection = session.Connection!;
        long keys = session.Options.LruTestKeys;
        var random = new Random();
        string Key() => "lru:" + PowerLawRandom(random, 1, keys, 6.2).ToString(Invariant);
        var value = new char[5];
        while (true)
        {
            long cycleStart = NowMilliseconds();
            long hits = 0, misses = 0;
            while (NowMilliseconds() - cycleStart < 1000)
            {
                try
                {
                    for (int j = 0; j < LruPipeline; j++)
                    {
                        for (int i = 0; i < value.Length; i++) value[i] = (char)('A' + random.Next('z' - 'A'));
                        connection.Send("SET", Key(), new string(value));
                    }
                    for (int j = 0; j < LruPipeline; j++) connection.ReadReply();
                    for (int j = 0; j < LruPipeline; j++) connection.Send("GET", Key());
                    for (int j = 0; j < LruPipeline; j++)
                    {
                        var reply = connection.ReadReply();
                        if (reply.IsError) session.WriteStdout(Encoding.UTF8.GetBytes(reply.AsText() + "\n"));
                        else if (reply.Type == RespType.Null) misses++;
                        else hits++;
                    }
                }
                catch (RedisConnectionException)
                {
                    Stdio.Error("I/O error during LRU test\n");
                    return 1;
                }
            }
            double total = hits + misses;
            session.WriteStdout(Encoding.ASCII.GetBytes(
                $"{hits + misses} Gets/sec | Hits: {hits} ({(hits / total * 100).ToString("0.00", Invariant)}%) | " +
                $"Misses: {misses} ({(misses / total * 100).ToString("0.00", Invariant)}%)\n"));
        }
    }

    /// <summary>An integer in [min, max] with a power-law bias towards low values (alpha 6.2 gives 80-20).</summary>
    private static long PowerLawRandom(Random random, long min, long max, double alpha)
    {
        max += 1;
        double r = random.NextDouble();
        double pl = Math.Pow((Math.Pow(max, alpha + 1) - Math.Pow(min, alpha + 1)) * r + Math.Pow(min, alpha + 1), 1.0 / (alpha + 1));
        return max - 1 - (long)pl + min;
    }

    /// <summary>--intrinsic-latency: how late this process gets scheduled with no server involved. A short
    /// computation is timed over and over in microseconds; each new worst case is reported, then the
    /// average (over the requested duration) when the time is up or Ctrl-C is pressed.</summary>
    public static int IntrinsicLatency(int seconds)
    {
        var stdout = Stdio.OpenStandardOutput();
        long runTime = (long)seconds * 1_000_000;
        long testEnd = NowMicroseconds() + runTime;
        long maxLatency = 0, runs = 0;
        bool cancelled = false;
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                Volatile.Write(ref cancelled, true);
            });
        while (true)
        {
            long start = NowMicroseconds();
            GC.KeepAlive(ComputeSomethingFast());
            long end = NowMicroseconds();
            long latency = end - start;
            runs++;
            if (latency <= 0) continue;
            if (latency > maxLatency)
            {
                maxLatency = latency;
                stdout.Write(Encoding.ASCII.GetBytes($"Max latency so far: {maxLatency} microseconds.\n"));
            }
            double averageMicros = (double)runTime / runs;
            if (Volatile.Read(ref cancelled) || end > testEnd)
            {
                stdout.Write(Encoding.ASCII.GetBytes(
                    $"\n{runs} total runs (avg latency: {averageMicros.ToString("0.0000", Invariant)} microseconds / " +
                    $"{(averageMicros * 1e3).ToString("0.00", Invariant)} nanoseconds per run).\n" +
                    $"Worst run took {(maxLatency / averageMicros).ToString("0", Invariant)}x longer than the average latency.\n"));
                return 0;
            }
        }
    }

    // A small RC4-style shuffle the JIT cannot fold away; a few microseconds of pure CPU work.
    private static ulong ComputeSomethingFast()
    {
        Span<byte> state = stackalloc byte[256];
        for (int k = 0; k < 256; k++) state[k] = (byte)k;
        byte i = 0, j = 0;
        ulong output = 0;
        for (int count = 0; count < 1000; count++)
        {
            i++;
            j += state[i];
            (state[i], state[j]) = (state[j], state[i]);
            output += state[(state[i] + state[j]) & 255];
        }
        return output;
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
