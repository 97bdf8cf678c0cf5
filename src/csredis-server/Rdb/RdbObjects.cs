// RDB encodings of lists, hashes, sets and sorted sets.
// Written as Redis 7.0 writes them: lists as quicklist-v2 (nodes of listpacks, about 8 KB each);
// small hashes and sorted sets as one listpack, big ones as plain pairs (hash) or member +
// binary double (zset-v2); sets as an intset blob or plain members.
// Read in every encoding Redis 7.0 loads: also linked lists, ziplists, quicklist-v1 of ziplists,
// zipmaps, zset-v1 with text scores. Loaded values are built through the types' own insert paths,
// so they get the encoding csredis would give them under the current size thresholds.
using Csredis.Common.Resp;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;

namespace Csredis.Server.Rdb;

public static partial class RdbValues
{
    /// <summary>Size thresholds of the encodings (set-max-intset-entries, zset-max-listpack-*), from the server configuration.</summary>
    public static Func<(long SetMaxIntset, long ZsetMaxEntries, long ZsetMaxValue)> Limits = () => (512, 128, 64);


    static byte TypeByteOfObject(RedisObject o) => o switch
    {
        ListObject => RdbFormat.TypeListQuicklist2,
        HashObject h => h.IsPacked ? RdbFormat.TypeHashListpack : RdbFormat.TypeHash,
        SetObject s => s.IsIntSet ? RdbFormat.TypeSetIntset : RdbFormat.TypeSet,
        ZSetObject z => z.IsListpack ? RdbFormat.TypeZSetListpack : RdbFormat.TypeZSet2,
        _ => throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented"),
    };

    static void WriteObject(RdbWriter w, RedisObject o)
    {
        switch (o)
        {
            case ListObject list: WriteList(w, list); break;
            case HashObject hash: WriteHash(w, hash); break;
            case SetObject set: WriteSet(w, set); break;
            case ZSetObject zset: WriteZSet(w, zset); break;
            default: throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented");
        }
    }

    static void WriteList(RdbWriter w, ListObject list)
    {
        // One listpack per quicklist node, as Redis writes them: the nodes follow list-max-listpack-size
        // as Redis's do, so DUMP payloads and RDB files carry Redis's bytes. Counted first for the header.
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        var nodes = new List<byte[]>();
        var builder = new ListpackBuilder();
        if (list.Count > 0)
        {
            var p = list.First;
            int node = p.Node;
            do
            {
                if (p.Node != node && builder.Count > 0)
                {
                    nodes.Add(builder.Finish().ToArray());
                    builder = new ListpackBuilder();
                }
                node = p.Node;
                builder.Add(list.ValueAt(p, scratch));
            } while (list.Next(ref p));
        }
        if (builder.Count > 0) nodes.Add(builder.Finish().ToArray());
        w.WriteLength((ulong)nodes.Count);
        foreach (var node in nodes)
        {
            w.WriteLength(RdbFormat.QuicklistNodePacked);
            w.WriteString(node);
        }
    }

    static void WriteHash(RdbWriter w, HashObject hash)
    {
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
        if (hash.IsPacked)
        {
            var builder = new ListpackBuilder();
            var it = hash.Iterate(scratch);
            while (it.MoveNext())
            {
                builder.Add(it.Field);
                builder.Add(it.Value);
            }
            w.WriteString(builder.Finish());
            return;
        }
        w.WriteLength((ulong)hash.Count);
        var pairs = hash.Iterate(scratch);
        while (pairs.MoveNext())
        {
            w.WriteString(pairs.Field);
            w.WriteString(pairs.Value);
        }
    }

    static void WriteSet(RdbWriter w, SetObject set)
    {
        Span<byte> scratch = stackalloc byte[20];
        if (set.IsIntSet)
        {
            var values = new List<long>(set.Count);
            for (int i = 0; i < set.PositionLimit; i++)
                if (set.TryGetAt(i, scratch, out var member) && NumberParsing.TryParseInt64(member, out long v)) values.Add(v);
            w.WriteString(PackedFormats.WriteIntset(values));
            return;
        }
        w.WriteLength((ulong)set.Count);
        for (int i = 0; i < set.PositionLimit; i++)
            if (set.TryGetAt(i, scratch, out var member)) w.WriteString(member);
    }

    static void WriteZSet(RdbWriter w, ZSetObject zset)
    {
        int count = zset.Count;
        var walker = zset.WalkFrom(0);
        if (zset.IsListpack)
        {
            var builder = new ListpackBuilder();
            Span<byte> text = stackalloc byte[32];
            for (int i = 0; i < count; i++, walker.MoveNext())
            {
                builder.Add(walker.Member);
                builder.Add(text[..ScoreText(walker.Score, text)]);
            }
            w.WriteString(builder.Finish());
            return;
        }
        // Redis writes a skiplist from the greatest element down (its loader then inserts at the head).
        w.WriteLength((ulong)count);
        if (count == 0) return;
        walker = zset.WalkFrom(count - 1);
        for (int i = 0; i < count; i++, walker.MovePrev())
        {
            w.WriteString(walker.Member);
            w.WriteBinaryDouble(walker.Score);
        }
    }

    /// <summary>A score as Redis 7.0's zzlInsertAt stores it in a listpack: an integer when double2ll
    /// allows (integral, within ±LLONG_MAX/2 as a double, -0 included), else d2string's %.17g.</summary>
    static int ScoreText(double score, Span<byte> text)
    {
        if (double.IsNaN(score)) { "nan"u8.CopyTo(text); return 3; }
        if (double.IsPositiveInfinity(score)) { "inf"u8.CopyTo(text); return 3; }
        if (double.IsNegativeInfinity(score)) { "-inf"u8.CopyTo(text); return 4; }
        const double LongHalf = long.MaxValue / 2; // 2^62 once a double, as in Redis's comparison
        if (score >= -LongHalf && score <= LongHalf && score == Math.Floor(score))
            return NumberParsing.FormatInt64((long)score, text);
        return DoubleFormat.Format17g(score, text);
    }

    // ---- reading ----

    static RdbFormatException BadValue(RdbReader r, string what) => new(what, r.Offset);

    static double ParseScore(RdbReader r, ReadOnlySpan<byte> text)
    {
        if (!NumberParsing.TryParseDoubleLenient(text, out double score)) throw BadValue(r, "Bad score in sorted set");
        return score;
    }

    /// <summary>Reads a collection; null when it is empty (Redis skips such keys).</summary>
    static object? ReadObject(RdbReader r, byte type, byte[] key)
    {
        switch (type)
        {
            case RdbFormat.TypeList:
            {
                int n = r.ReadCount();
                var list = new ListObject(key);
                for (int i = 0; i < n; i++) list.PushRight(r.ReadStringInto(ref Scratch.Value));
                return list.Count == 0 ? null : list;
            }
            case RdbFormat.TypeListZiplist:
                return BuildList(key, PackedFormats.ReadZiplist(ReadBlob(r), Scratch.Elements));
            case RdbFormat.TypeListQuicklist:
            case RdbFormat.TypeListQuicklist2:
            {
                int nodes = r.ReadCount();
                var list = new ListObject(key);
                for (int i = 0; i < nodes; i++)
                {
                    ulong container = type == RdbFormat.TypeListQuicklist2 ? r.ReadLength() : RdbFormat.QuicklistNodePacked;
                    var blob = r.ReadStringInto(ref Scratch.Blob);
                    if (container == RdbFormat.QuicklistNodePlain) { list.PushRight(blob); continue; }
                    if (container != RdbFormat.QuicklistNodePacked) throw BadValue(r, $"Quicklist integrity check failed: unknown container {container}");
                    var items = type == RdbFormat.TypeListQuicklist ? PackedFormats.ReadZiplist(blob, Scratch.Elements) : PackedFormats.ReadListpack(blob, Scratch.Elements);
                    for (int j = 0; j < items.Count; j++) list.PushRight(items[j]);
                }
                return list.Count == 0 ? null : list;
            }
            case RdbFormat.TypeSet:
            {
                int n = r.ReadCount();
                SetObject? set = null;
                long max = Limits().SetMaxIntset;
                for (int i = 0; i < n; i++)
                {
                    var member = r.ReadStringInto(ref Scratch.Value);
                    set ??= SetObject.CreateFor(key, member);
                    if (!set.Add(member, max)) throw BadValue(r, "Duplicate set members detected");
                }
                return set;
            }
            case RdbFormat.TypeSetIntset:
            {
                var values = PackedFormats.ReadIntset(ReadBlob(r));
                if (values.Count == 0) return null;
                var set = new SetObject(key);
                long max = Limits().SetMaxIntset;
                Span<byte> digits = stackalloc byte[20];
                foreach (var v in values) set.Add(digits[..NumberParsing.FormatInt64(v, digits)], max);
                return set;
            }
            case RdbFormat.TypeZSet:
            case RdbFormat.TypeZSet2:
            {
                int n = r.ReadCount();
                var scratch = Scratch;
                var members = scratch.Elements;
                members.Clear();
                scratch.Scores.Clear();
                for (int i = 0; i < n; i++)
                {
                    members.Add(r.ReadStringInto(ref scratch.Value));
                    double score = type == RdbFormat.TypeZSet2 ? r.ReadBinaryDouble() : r.ReadTextDouble();
                    if (double.IsNaN(score)) throw BadValue(r, "Zset with NAN score detected");
                    scratch.Scores.Add(score);
                }
                return BuildZSet(r, key, members, 1, scratch.Scores);
            }
            case RdbFormat.TypeZSetZiplist:
            case RdbFormat.TypeZSetListpack:
            {
                var scratch = Scratch;
                var items = type == RdbFormat.TypeZSetZiplist ? PackedFormats.ReadZiplist(ReadBlob(r), scratch.Elements) : PackedFormats.ReadListpack(ReadBlob(r), scratch.Elements);
                if (items.Count % 2 != 0) throw BadValue(r, "Zset listpack integrity check failed.");
                scratch.Scores.Clear();
                for (int i = 0; i < items.Count; i += 2) scratch.Scores.Add(ParseScore(r, items[i + 1]));
                return BuildZSet(r, key, items, 2, scratch.Scores);
            }
            case RdbFormat.TypeHash:
            {
                int n = r.ReadCount();
                var hash = new HashObject(key);
                for (int i = 0; i < n; i++)
                {
                    var scratch = Scratch;
                    var field = r.ReadStringInto(ref scratch.Field);
                    var value = r.ReadStringInto(ref scratch.Value);
                    if (!hash.Set(field, value)) throw BadValue(r, "Duplicate hash fields detected");
                }
                return n == 0 ? null : hash;
            }
            case RdbFormat.TypeHashZipmap:
                return BuildHash(r, key, PackedFormats.ReadZipmap(ReadBlob(r), Scratch.Elements));
            case RdbFormat.TypeHashZiplist:
                return BuildHash(r, key, PackedFormats.ReadZiplist(ReadBlob(r), Scratch.Elements));
            case RdbFormat.TypeHashListpack:
                return BuildHash(r, key, PackedFormats.ReadListpack(ReadBlob(r), Scratch.Elements));
            case RdbFormat.TypeStreamListpacks:
            case RdbFormat.TypeStreamListpacks2:
                throw BadValue(r, $"Unsupported RDB object type {type} ({RdbFormat.TypeName(type)}): streams are not implemented");
        }
        throw new RdbFormatException($"Unknown RDB encoding type {type}", r.Offset);
    }

    /// <summary>A packed blob read into the reused scratch: valid until the next blob.</summary>
    static ReadOnlySpan<byte> ReadBlob(RdbReader r)
    {
        long at = r.Offset;
        try { return r.ReadStringInto(ref Scratch.Blob); }
        catch (RdbFormatException e) when (e.Offset < 0) { throw new RdbFormatException(e.Message, at); }
    }

    static ListObject? BuildList(byte[] key, PackedElements items)
    {
        if (items.Count == 0) return null;
        var list = new ListObject(key);
        for (int i = 0; i < items.Count; i++) list.PushRight(items[i]);
        return list;
    }

    static HashObject? BuildHash(RdbReader r, byte[] key, PackedElements items)
    {
        if (items.Count % 2 != 0) throw BadValue(r, "Hash listpack integrity check failed.");
        if (items.Count == 0) return null;
        var hash = new HashObject(key);
        // All pairs in one step: a listpack is built once instead of growing pair by pair.
        if (hash.SetPairs(items, 0, items.Count / 2, static (elements, i) => elements[i]) != items.Count / 2)
            throw BadValue(r, "Duplicate hash fields detected");
        return hash;
    }

    /// <summary>Member i is <paramref name="members"/>[i * <paramref name="stride"/>], its score <paramref name="scores"/>[i].</summary>
    static ZSetObject? BuildZSet(RdbReader r, byte[] key, PackedElements members, int stride, List<double> scores)
    {
        if (scores.Count == 0) return null;
        var (_, maxEntries, maxValue) = Limits();
        long longest = 0;
        for (int i = 0; i < scores.Count; i++) longest = Math.Max(longest, members[i * stride].Length);
        var zset = ZSetObject.CreateForResult(key, scores.Count, longest, maxEntries, maxValue);
        for (int i = 0; i < scores.Count; i++)
        {
            var member = members[i * stride];
            if (zset.TryGetScore(member, out _)) throw BadValue(r, "Duplicate zset fields detected");
            zset.Insert(member, scores[i], maxEntries, maxValue);
        }
        return zset;
    }
}
