// --bigkeys and --memkeys: SCAN the keyspace, pipeline TYPE then a size command (STRLEN/LLEN/... or
// MEMORY USAGE) per batch, track the biggest key and totals per type, then print the summary.
// redis-cli keeps its per-type table in a Redis dict, so its summary order is that dict's iteration
// order; TypeTableOrder reproduces it (SipHash-1-2 buckets, incremental rehash) so the output matches.
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
        var order = new TypeTableOrder();
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

        long totalKeys;
        try
        {
            var dbsize = connection.Execute("DBSIZE");
            if (dbsize.Type != RespType.Integer)
            {
                Stdio.Error($"Couldn't determine DBSIZE!\n");
                return 1;
            }
            totalKeys = dbsize.Integer;
        }
        catch (RedisConnectionException e)
        {
            Program.PrintContextError(e.Message);
            return 1;
        }

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
                reply = connection.Execute(scan);
                if (reply.IsError)
                {
                    Stdio.Error($"Error: {reply.AsText()}\n");
                    return 1;
                }
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

    private static string Fixed2(double value) => value.ToString("0.00", Invariant);

    // printf("%05.2f"): two decimals, zero-padded to five characters.
    private static string Pct(double value) => Fixed2(value).PadLeft(5, '0');

    private static void Flush(CliSession session, StringBuilder text)
    {
        session.WriteStdout(Encoding.UTF8.GetBytes(text.ToString()));
        text.Clear();
    }
}

/// <summary>Iteration order of a Redis dict keyed by short strings with redis-cli's (zero) hash seed:
/// power-of-two tables, new entries at the head of their bucket, growth when full, and one bucket
/// rehashed per add or lookup while a rehash is in progress.</summary>
public sealed class TypeTableOrder
{
    private List<string>[]? main;
    private List<string>[]? growing;
    private int rehashIndex = -1;
    private int mainCount, growingCount;

    public void Add(string key)
    {
        if (rehashIndex >= 0) RehashStep();
        if (main is null) main = NewTable(4);
        else if (rehashIndex < 0 && mainCount >= main.Length)
        {
            int size = 4;
            while (size < mainCount + 1) size *= 2;
            growing = NewTable(size);
            rehashIndex = 0;
        }
        if (rehashIndex >= 0)
        {
            growing![Bucket(key, growing.Length)].Insert(0, key);
            growingCount++;
        }
        else
        {
            main[Bucket(key, main.Length)].Insert(0, key);
            mainCount++;
        }
    }

    /// <summary>A lookup: it advances an in-progress rehash by one step.</summary>
    public void Find()
    {
        if (rehashIndex >= 0) RehashStep();
    }

    public IEnumerable<string> IterationOrder()
    {
        var result = new List<string>();
        if (main is not null) foreach (var bucket in main) result.AddRange(bucket);
        if (rehashIndex >= 0 && growing is not null) foreach (var bucket in growing) result.AddRange(bucket);
        return result;
    }

    private void RehashStep()
    {
        int emptyVisits = 10;
        while (rehashIndex < main!.Length && main[rehashIndex].Count == 0)
        {
            rehashIndex++;
            if (--emptyVisits == 0) return;
        }
        if (rehashIndex < main.Length)
        {
            foreach (var key in main[rehashIndex])
            {
                growing![Bucket(key, growing.Length)].Insert(0, key);
                growingCount++;
                mainCount--;
            }
            main[rehashIndex].Clear();
            rehashIndex++;
        }
        if (mainCount == 0)
        {
            main = growing;
            mainCount = growingCount;
            growing = null;
            growingCount = 0;
            rehashIndex = -1;
        }
    }

    private static List<string>[] NewTable(int size) => Enumerable.Range(0, size).Select(_ => new List<string>()).ToArray();

    private static int Bucket(string key, int size) => (int)(SipHash12(Encoding.UTF8.GetBytes(key)) & (ulong)(size - 1));

    /// <summary>SipHash-1-2 with an all-zero key, the hash Redis dicts use for sds keys.</summary>
    private static ulong SipHash12(ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575, v1 = 0x646f72616e646f6d, v2 = 0x6c7967656e657261, v3 = 0x7465646279746573;
        void Round()
        {
            v0 += v1; v1 = ulong.RotateLeft(v1, 13); v1 ^= v0; v0 = ulong.RotateLeft(v0, 32);
            v2 += v3; v3 = ulong.RotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = ulong.RotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = ulong.RotateLeft(v1, 17); v1 ^= v2; v2 = ulong.RotateLeft(v2, 32);
        }
        int end = data.Length - data.Length % 8;
        for (int i = 0; i < end; i += 8)
        {
            ulong m = BitConverter.ToUInt64(data.Slice(i, 8));
            v3 ^= m;
            Round();
            v0 ^= m;
        }
        ulong b = (ulong)data.Length << 56;
        for (int i = 0; i < data.Length - end; i++) b |= (ulong)data[end + i] << (8 * i);
        v3 ^= b;
        Round();
        v0 ^= b;
        v2 ^= 0xff;
        Round();
        Round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
