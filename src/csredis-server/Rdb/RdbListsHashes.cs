// RDB encodings of lists and hashes, translated to and from csredis's own packed forms.
// Redis 7.0 writes a list as quicklist-v2 (a count of nodes, each a container kind and a listpack
// blob) and a hash as one listpack blob of field,value pairs (listpack encoding) or as counted
// field/value strings (hashtable encoding); reading also accepts the plain linked-list encoding.
// RedisListpack builds and walks Redis's listpack byte format: a 6-byte header (total bytes,
// element count), entries of encoding+data+back length, and a 0xFF terminator.
using System.Buffers.Binary;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;

namespace Csredis.Server.Rdb;

public static class RdbListsHashes
{
    public static byte TypeByteOf(RedisObject o) => o switch
    {
        ListObject => RdbFormat.TypeListQuicklist2,
        HashObject h => h.IsPacked ? RdbFormat.TypeHashListpack : RdbFormat.TypeHash,
        _ => throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented"),
    };

    public static bool IsListOrHashType(byte type) =>
        type is RdbFormat.TypeList or RdbFormat.TypeListQuicklist2 or RdbFormat.TypeHash or RdbFormat.TypeHashListpack;

    public static void Write(RdbWriter w, RedisObject o)
    {
        if (o is ListObject list) WriteList(w, list);
        else if (o is HashObject hash) WriteHash(w, hash);
        else throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented");
    }

    static void WriteList(RdbWriter w, ListObject list)
    {
        // Nodes are cut where Redis's quicklist would cut them under the current list-max-listpack-size.
        int byteLimit = ListObject.NodeByteLimit, countLimit = ListObject.Fill > 0 ? ListObject.Fill : int.MaxValue;
        var nodes = new List<byte[]>();
        var builder = new RedisListpack();
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        if (list.Count > 0)
        {
            var p = list.First;
            do
            {
                var element = list.ValueAt(p, scratch);
                if (builder.Count > 0 && (builder.Count >= countLimit || builder.Length + element.Length + 11 > byteLimit))
                {
                    nodes.Add(builder.ToArray());
                    builder = new RedisListpack();
                }
                builder.Append(element);
            } while (list.Next(ref p));
        }
        if (builder.Count > 0) nodes.Add(builder.ToArray());
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
            var builder = new RedisListpack();
            var it = hash.Iterate(scratch);
            while (it.MoveNext())
            {
                builder.Append(it.Field);
                builder.Append(it.Value);
            }
            w.WriteString(builder.ToArray());
            return;
        }
        w.WriteLength((ulong)hash.Count);
        var all = hash.Iterate(scratch);
        while (all.MoveNext())
        {
            w.WriteString(all.Field);
            w.WriteString(all.Value);
        }
    }

    public static RedisObject Read(RdbReader r, byte type, byte[] key)
    {
        switch (type)
        {
            case RdbFormat.TypeList:
            {
                var list = new ListObject(key);
                int n = r.ReadCount();
                for (int i = 0; i < n; i++) list.PushRight(r.ReadString());
                return list;
            }
            case RdbFormat.TypeListQuicklist2:
            {
                var list = new ListObject(key);
                int nodes = r.ReadCount();
                for (int i = 0; i < nodes; i++)
                {
                    long at = r.Offset;
                    ulong container = r.ReadLength();
                    var blob = r.ReadString();
                    if (container == RdbFormat.QuicklistNodePlain) list.PushRight(blob);
                    else if (container == RdbFormat.QuicklistNodePacked)
                        RedisListpack.ForEach(blob, at, (ReadOnlySpan<byte> e, ref ListObject l) => l.PushRight(e), ref list);
                    else throw new RdbFormatException($"Unknown quicklist node container {container}", at);
                }
                return list;
            }
            case RdbFormat.TypeHash:
            {
                var hash = new HashObject(key);
                int n = r.ReadCount();
                for (int i = 0; i < n; i++)
                {
                    long at = r.Offset;
                    var field = r.ReadString();
                    var value = r.ReadString();
                    if (!hash.Set(field, value)) throw new RdbFormatException("Duplicate hash field", at);
                }
                return hash;
            }
            case RdbFormat.TypeHashListpack:
            {
                long at = r.Offset;
                var blob = r.ReadString();
                var state = new HashLoad { Hash = new HashObject(key) };
                RedisListpack.ForEach(blob, at, (ReadOnlySpan<byte> e, ref HashLoad s) =>
                {
                    if (s.Field == null) { s.Field = e.ToArray(); return; }
                    if (!s.Hash.Set(s.Field, e)) throw new RdbFormatException("Duplicate hash field in listpack", 0);
                    s.Field = null;
                }, ref state);
                if (state.Field != null) throw new RdbFormatException("Hash listpack with an odd number of elements", at);
                return state.Hash;
            }
        }
        throw new RdbFormatException($"Unsupported RDB object type {type} ({RdbFormat.TypeName(type)})", r.Offset);
    }

    struct HashLoad
    {
        public HashObject Hash;
        public byte[]? Field;
    }
}

/// <summary>Redis's listpack byte format: building one (RDB writes) and walking one (RDB loads).</summary>
public sealed class RedisListpack
{
    const int HeaderSize = 6;
    byte[] _buffer = new byte[64];
    int _length = HeaderSize;

    public int Count { get; private set; }
    public int Length => _length + 1;

    public void Append(ReadOnlySpan<byte> element)
    {
        Ensure(element.Length + 16);
        var dst = _buffer.AsSpan(_length);
        int size;
        if (element.Length > 0 && element.Length <= 20 && NumberParsing.TryParseInt64(element, out long v)) size = WriteInt(dst, v);
        else if (element.Length < 64)
        {
            dst[0] = (byte)(0x80 | element.Length);
            element.CopyTo(dst[1..]);
            size = 1 + element.Length;
        }
        else if (element.Length < 4096)
        {
            dst[0] = (byte)(0xE0 | (element.Length >> 8));
            dst[1] = (byte)element.Length;
            element.CopyTo(dst[2..]);
            size = 2 + element.Length;
        }
        else
        {
            dst[0] = 0xF0;
            BinaryPrimitives.WriteInt32LittleEndian(dst[1..], element.Length);
            element.CopyTo(dst[5..]);
            size = 5 + element.Length;
        }
        _length += size + PackedEntry.WriteBacklen(dst[size..], size);
        Count++;
    }

    static int WriteInt(Span<byte> dst, long v)
    {
        if (v >= 0 && v <= 127) { dst[0] = (byte)v; return 1; }
        if (v >= -4096 && v <= 4095)
        {
            long u = v < 0 ? (1 << 13) + v : v;
            dst[0] = (byte)(0xC0 | (u >> 8));
            dst[1] = (byte)u;
            return 2;
        }
        if (v >= short.MinValue && v <= short.MaxValue) { dst[0] = 0xF1; BinaryPrimitives.WriteInt16LittleEndian(dst[1..], (short)v); return 3; }
        if (v >= -(1 << 23) && v < (1 << 23))
        {
            dst[0] = 0xF2;
            dst[1] = (byte)v; dst[2] = (byte)(v >> 8); dst[3] = (byte)(v >> 16);
            return 4;
        }
        if (v >= int.MinValue && v <= int.MaxValue) { dst[0] = 0xF3; BinaryPrimitives.WriteInt32LittleEndian(dst[1..], (int)v); return 5; }
        dst[0] = 0xF4;
        BinaryPrimitives.WriteInt64LittleEndian(dst[1..], v);
        return 9;
    }

    void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }

    public byte[] ToArray()
    {
        var result = new byte[_length + 1];
        _buffer.AsSpan(0, _length).CopyTo(result);
        result[_length] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)result.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(4), (ushort)Math.Min(Count, 65535));
        return result;
    }

    public delegate void ElementHandler<T>(ReadOnlySpan<byte> element, ref T state);

    /// <summary>Calls <paramref name="handler"/> for every element of a listpack blob, checking its structure
    /// (header size, entry bounds, back lengths, terminator) as Redis's integrity check does.</summary>
    public static void ForEach<T>(byte[] lp, long offset, ElementHandler<T> handler, ref T state)
    {
        if (lp.Length < HeaderSize + 1 || BinaryPrimitives.ReadUInt32LittleEndian(lp) != (uint)lp.Length || lp[^1] != 0xFF)
            throw new RdbFormatException("Invalid listpack header", offset);
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(lp.AsSpan(4));
        int pos = HeaderSize, count = 0, end = lp.Length - 1;
        Span<byte> digits = stackalloc byte[20];
        while (pos < end)
        {
            byte b = lp[pos];
            int header, length = 0;
            long value = 0;
            bool isInt = true;
            if (b < 0x80) { header = 1; value = b; }
            else if ((b & 0xC0) == 0x80) { header = 1; length = b & 0x3F; isInt = false; }
            else if ((b & 0xE0) == 0xC0)
            {
                header = 2;
                value = (b & 0x1F) << 8 | At(lp, pos + 1, end, offset);
                if (value >= 1 << 12) value -= 1 << 13;
            }
            else if ((b & 0xF0) == 0xE0) { header = 2; length = (b & 0x0F) << 8 | At(lp, pos + 1, end, offset); isInt = false; }
            else
            {
                int n = b switch { 0xF0 => 4, 0xF1 => 2, 0xF2 => 3, 0xF3 => 4, 0xF4 => 8, _ => -1 };
                if (n < 0 || pos + 1 + n > end) throw new RdbFormatException("Invalid listpack entry encoding", offset);
                header = 1 + n;
                if (b == 0xF0) { length = BinaryPrimitives.ReadInt32LittleEndian(lp.AsSpan(pos + 1)); isInt = false; }
                else
                {
                    ulong raw = 0;
                    for (int i = 0; i < n; i++) raw |= (ulong)lp[pos + 1 + i] << (8 * i);
                    int shift = 64 - 8 * n;
                    value = (long)(raw << shift) >> shift;
                }
            }
            if (length < 0 || pos + header + length > end) throw new RdbFormatException("Listpack entry out of range", offset);
            int size = header + length;
            int backlenSize = PackedEntry.BacklenSize(size);
            if (pos + size + backlenSize > end || PackedEntry.ReadBacklen(lp, pos + size + backlenSize, out _) != size)
                throw new RdbFormatException("Invalid listpack back length", offset);
            if (isInt)
            {
                int n = NumberParsing.FormatInt64(value, digits);
                handler(digits[..n], ref state);
            }
            else handler(lp.AsSpan(pos + header, length), ref state);
            pos += size + backlenSize;
            count++;
        }
        if (declared != 65535 && declared != count) throw new RdbFormatException("Listpack element count mismatch", offset);
    }

    static byte At(byte[] lp, int pos, int end, long offset) =>
        pos < end ? lp[pos] : throw new RdbFormatException("Listpack entry out of range", offset);
}
