// --bigkeys, --memkeys and --hotkeys: SCAN the keyspace, pipeline TYPE then a size command
// (STRLEN/LLEN/... or MEMORY USAGE) per batch, track the biggest key and totals per type, then print
// the summary; --hotkeys pipelines OBJECT FREQ instead and keeps the 16 most used keys.
// redis-cli keeps its per-type table in a Redis dict, so its summary order is that dict's iteration
// order; RedisDictOrder reproduces it so the output matches.
using System.Buffers;
using System.Globalization;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public static class KeySampler
{
    private sealed class TypeStats(string name, string sizeCommand, string unit)
    {
        public readonly string Name = name;
        public readonly string SizeCommand = sizeCommand;
        public readonly string Unit = unit;
        public long Count, TotalSize, Biggest;
        public byte[]? BiggestKey;
    }

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(CliSession session, bool byMemory)
    {
        var options = session.Options;
        var connection = session.Connection!;
        var types = new Dictionary<string, TypeStats>(StringComparer.Ordinal);
        var order = new RedisDictOrder();
        void AddType(string name, string command, string unit)
        {
            types[name] = new TypeStats(name, command, byMemory ? "bytes" : unit);
            order.Add(name);
        }
        AddType("string", "STRLEN", "bytes");
        AddType("list", "LLEN", "items");
        AddType("set", "SCARD", "members");
        AddType("hash", "HLEN", "fields");
        AddType("zset", "ZCARD", "members");
        AddType("stream", "XLEN", "entries");

        if (DbSize(connection) is not { } totalKeys) return 1;

        var text = new StringBuilder();
        text.Append("\n# Scanning the entire keyspace to find biggest keys as well as\n")
            .Append("# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n")
            .Append("# per 100 SCAN commands (not usually needed).\n\n");
        Flush(session, text);

        long sampled = 0, totalKeyLength = 0, scans = 0;
        byte[] cursor = "0"u8.ToArray();
        bool explicitPattern = options.Pattern is not [(byte)'*'];
        do
        {
            double percent = totalKeys == 0 ? 0 : 100.0 * sampled / totalKeys;
            var scan = new List<byte[]> { "SCAN"u8.ToArray(), cursor };
            if (explicitPattern) { scan.Add("MATCH"u8.ToArray()); scan.Add(options.Pattern); }
            RespValue reply;
            try
            {
                if (ScanStep(connection, scan) is not { } scanned) return 1;
                reply = scanned;
                cursor = reply.Elements[0].Bytes;
                var keys = reply.Elements[1].Elements.Select(k => k.Bytes).ToArray();
                foreach (var key in keys) connection.Send(["TYPE"u8.ToArray(), key]);
                var typeNames = new string[keys.Length];
                for (int i = 0; i < keys.Length; i++)
                {
                    var typeReply = connection.ReadReply();
                    if (typeReply.IsError)
                    {
                        Stdio.Error($"TYPE returned an error: {typeReply.AsText()}\n");
                        return 1;
                    }
                    typeNames[i] = typeReply.AsText();
                    order.Find();
                    if (!types.ContainsKey(typeNames[i])) AddType(typeNames[i], "", "units");
                }
                foreach (var (key, typeName) in keys.Zip(typeNames))
                {
                    var stats = types[typeName];
                    if (byMemory)
                    {
                        var command = new List<byte[]> { "MEMORY"u8.ToArray(), "USAGE"u8.ToArray(), key };
                        if (options.MemKeysSamples > 0) { command.Add("SAMPLES"u8.ToArray()); command.Add(Encoding.ASCII.GetBytes(options.MemKeysSamples.ToString(Invariant))); }
                        connection.Send(command);
                    }
                    else if (stats.SizeCommand.Length > 0) connection.Send([Encoding.ASCII.GetBytes(stats.SizeCommand), key]);
                }
                for (int i = 0; i < keys.Length; i++)
                {
                    var stats = types[typeNames[i]];
                    long size = 0;
                    if (byMemory || stats.SizeCommand.Length > 0)
                    {
                        var sizeReply = connection.ReadReply();
                        if (sizeReply.Type == RespType.Integer) size = sizeReply.Integer;
                        else if (sizeReply.IsError)
                        {
                            Stdio.Error($"Error: {sizeReply.AsText()}\n");
                            return 1;
                        }
                    }
                    stats.Count++;
                    stats.TotalSize += size;
                    totalKeyLength += keys[i].Length;
                    if (size > stats.Biggest)
                    {
                        var line = new ArrayBufferWriter<byte>();
                        ReplyFormatter.Ascii(line, $"[{Pct(percent)}%] Biggest {stats.Name,-6} found so far '");
                        ReplyFormatter.Quote(keys[i], line);
                        ReplyFormatter.Ascii(line, $"' with {size} {stats.Unit}\n");
                        session.WriteStdout(line.WrittenSpan);
                        stats.Biggest = size;
                        stats.BiggestKey = keys[i];
                    }
                }
                sampled += keys.Length;
            }
            catch (RedisConnectionException e)
            {
                Program.PrintContextError(e.Message);
                return 1;
            }
            if (++scans % 100 == 0 && options.IntervalMicroseconds > 0) Thread.Sleep(TimeSpan.FromMicroseconds(options.IntervalMicroseconds));
        } while (!cursor.AsSpan().SequenceEqual("0"u8));

        var summary = new ArrayBufferWriter<byte>();
        ReplyFormatter.Ascii(summary, "\n-------- summary -------\n\n");
        ReplyFormatter.Ascii(summary, $"Sampled {sampled} keys in the keyspace!\n");
        ReplyFormatter.Ascii(summary, $"Total key length in bytes is {totalKeyLength} (avg len {Fixed2(sampled == 0 ? 0 : (double)totalKeyLength / sampled)})\n\n");
        var ordered = order.IterationOrder().Select(n => types[n]).ToList();
        foreach (var stats in ordered.Where(s => s.BiggestKey is not null))
        {
            ReplyFormatter.Ascii(summary, $"Biggest {stats.Name,6} found '");
            ReplyFormatter.Quote(stats.BiggestKey, summary);
            ReplyFormatter.Ascii(summary, $"' has {stats.Biggest} {stats.Unit}\n");
        }
        ReplyFormatter.Ascii(summary, "\n");
        foreach (var stats in ordered)
        {
            double share = sampled == 0 ? 0 : 100.0 * stats.Count / sampled;
            double average = stats.Count == 0 ? 0 : (double)stats.TotalSize / stats.Count;
            ReplyFormatter.Ascii(summary, $"{stats.Count} {stats.Name}s with {stats.TotalSize} {stats.Unit} ({Pct(share)}% of keys, avg size {Fixed2(average)})\n");
        }
        session.WriteStdout(summary.WrittenSpan);
        return 0;
    }

    /// <summary>DBSIZE before scanning, with redis-cli's messages when it cannot be had.</summary>
    private static long? DbSize(RedisBlockingConnection connection)
    {
        RespValue reply;
        try { reply = connection.Execute("DBSIZE"); }
        catch (RedisConnectionException)
        {
            Stdio.Error("\nI/O error\n");
            return null;
        }
        if (reply.IsError)
        {
            Stdio.Error($"Couldn't determine DBSIZE: {reply.AsText()}\n");
            return null;
        }
        if (reply.Type != RespType.Integer)
        {
            Stdio.Error("Non INTEGER response from DBSIZE!\n");
            return null;
        }
        return reply.Integer;
    }

    /// <summary>One SCAN call; null (after printing why) when the reply is not a [cursor, keys] pair.</summary>
    public static RespValue? ScanStep(RedisBlockingConnection connection, List<byte[]> scan)
    {
        RespValue reply;
        try { reply = connection.Execute(scan); }
        catch (RedisConnectionException)
        {
            Stdio.Error("\nI/O error\n");
            return null;
        }
        string? problem = reply.IsError ? $"SCAN error: {reply.AsText()}"
            : reply.Type != RespType.Array ? "Non ARRAY response from SCAN!"
            : reply.Elements.Length != 2 ? "Invalid element count from SCAN!" : null;
        if (problem is null) return reply;
        Stdio.Error(problem + "\n");
        return null;
    }

    private const int HotKeySlots = 16;

    /// <summary>--hotkeys: OBJECT FREQ of every key (an LFU maxmemory-policy must be set), the 16 highest
    /// counters kept in a small sorted pool as redis-cli keeps them.</summary>
    public static int HotKeys(CliSession session)
    {
        var options = session.Options;
        var connection = session.Connection!;
        if (DbSize(connection) is not { } totalKeys) return 1;
        session.WriteStdout("\n# Scanning the entire keyspace to find hot keys as well as\n"u8 +
            "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n"u8 +
            "# per 100 SCAN commands (not usually needed).\n\n"u8);
        var counters = new long[HotKeySlots];
        var hotKeys = new byte[]?[HotKeySlots];
        long sampled = 0;
        byte[] cursor = "0"u8.ToArray();
        bool explicitPattern = options.Pattern is not [(byte)'*'];
        do
        {
            double percent = 100.0 * sampled / totalKeys;
            var scan = new List<byte[]> { "SCAN"u8.ToArray(), cursor };
            if (explicitPattern) { scan.Add("MATCH"u8.ToArray()); scan.Add(options.Pattern); }
            if (ScanStep(connection, scan) is not { } reply) return 1;
            cursor = reply.Elements[0].Bytes;
            var keys = reply.Elements[1].Elements.Select(k => k.Bytes).ToArray();
            var frequencies = new long[keys.Length];
            try
            {
                foreach (var key in keys) connection.Send(["OBJECT"u8.ToArray(), "freq"u8.ToArray(), key]);
                for (int i = 0; i < keys.Length; i++)
                {
                    var freq = connection.ReadReply();
                    if (freq.Type == RespType.Integer) frequencies[i] = freq.Integer;
                    else if (freq.IsError)
                    {
                        Stdio.Error($"Error: {freq.AsText()}\n");
                        return 1;
                    }
                    else Stdio.Error($"Warning: OBJECT freq on '{Encoding.UTF8.GetString(keys[i])}' failed (may have been deleted)\n");
                }
            }
            catch (RedisConnectionException e)
            {
                Stdio.Error($"Error getting freq for key '{Encoding.UTF8.GetString(keys.FirstOrDefault() ?? [])}' (1: {e.Message})\n");
                return 1;
            }
            for (int i = 0; i < keys.Length; i++)
            {
                sampled++;
                if (sampled % 1000000 == 0) session.WriteStdout(Encoding.ASCII.GetBytes($"[{Pct(percent)}%] Sampled {sampled} keys so far\n"));
                // The pool is sorted ascending; a new counter lands below the first bigger one, pushing
                // the smallest out when the pool is full.
                int k = 0;
                while (k < HotKeySlots && frequencies[i] > counters[k]) k++;
                if (k == 0) continue;
                k--;
                if (k != 0 && counters[k] != 0)
                {
                    Array.Copy(counters, 1, counters, 0, k);
                    Array.Copy(hotKeys, 1, hotKeys, 0, k);
                }
                counters[k] = frequencies[i];
                var quoted = new ArrayBufferWriter<byte>();
                ReplyFormatter.Quote(keys[i], quoted);
                hotKeys[k] = quoted.WrittenSpan.ToArray();
                var line = new ArrayBufferWriter<byte>();
                ReplyFormatter.Ascii(line, $"[{Pct(percent)}%] Hot key '");
                line.Write(hotKeys[k]);
                ReplyFormatter.Ascii(line, $"' found so far with counter {frequencies[i]}\n");
                session.WriteStdout(line.WrittenSpan);
            }
            if (sampled > 0 && sampled % 100 == 0 && options.IntervalMicroseconds > 0)
                Thread.Sleep(TimeSpan.FromMicroseconds(options.IntervalMicroseconds));
        } while (!cursor.AsSpan().SequenceEqual("0"u8));

        var summary = new ArrayBufferWriter<byte>();
        ReplyFormatter.Ascii(summary, $"\n-------- summary -------\n\nSampled {sampled} keys in the keyspace!\n");
        for (int k = HotKeySlots - 1; k >= 0; k--)
        {
            if (counters[k] <= 0) continue;
            ReplyFormatter.Ascii(summary, $"hot key found with counter: {counters[k]}\tkeyname: ");
            summary.Write(hotKeys[k]);
            ReplyFormatter.Ascii(summary, "\n");
        }
        session.WriteStdout(summary.WrittenSpan);
        return 0;
    }

    private static string Fixed2(double value) => value.ToString("0.00", Invariant);

    // printf("%05.2f"): two decimals, zero-padded to five characters.
    private static string Pct(double value) => Fixed2(value).PadLeft(5, '0');

    private static void Flush(CliSession session, StringBuilder text)
    {
        session.WriteStdout(Encoding.UTF8.GetBytes(text.ToString()));
        text.Clear();
    }
}
