// The byte blobs Redis embeds in RDB values: listpack (7.0's small lists, hashes and sorted sets),
// and the older ziplist, zipmap and intset that Redis 7.0 still loads.
//   listpack: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), elements, 0xFF.
//     An element is an encoding byte (7-bit uint, 6/12/32-bit length strings, 13/16/24/32/64-bit
//     ints) with its payload, then its own size as a "back length" (7-bit groups, most significant
//     first, all but the first flagged 0x80) so the list can be walked backwards.
//   ziplist: total bytes (u32), tail offset (u32), count (u16), entries each prefixed by the
//     previous entry's size (1 byte, or 0xFE + u32), an encoding header, payload; 0xFF ends it.
//   zipmap: count byte, then key/value pairs of length-prefixed strings (value with a free-space
//     byte and padding), 0xFF ends it.
//   intset: element width (u32: 2, 4, 8), count (u32), sorted little-endian integers.
// Readers validate every length against the blob and throw RdbFormatException on damage.
using System.Buffers.Binary;
using Csredis.Common.Text;

namespace Csredis.Server.Rdb;

/// <summary>Builds a listpack blob element by element.</summary>
public sealed class ListpackBuilder
{
    byte[] _buffer = new byte[64];
    int _length = 6;
    int _count;

    public int Count => _count;
    public int Bytes => _length + 1;

    void Ensure(int n)
    {
        if (_length + n + 1 > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n + 1));
    }

    /// <summary>Adds a string element, stored as an integer when it is the canonical form of one (as Redis's lpAppend).</summary>
    public void Add(ReadOnlySpan<byte> value)
    {
        if (value.Length > 0 && value.Length <= 20 && NumberParsing.TryParseInt64(value, out long v)) { AddInteger(v); return; }
        int len = value.Length;
        Ensure(len + 5 + 5);
        int start = _length;
        if (len < 64) _buffer[_length++] = (byte)(0x80 | len);
        else if (len < 4096)
        {
            _buffer[_length++] = (byte)(0xE0 | (len >> 8));
            _buffer[_length++] = (byte)len;
        }
        else
        {
            _buffer[_length++] = 0xF0;
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), len);
            _length += 4;
        }
        value.CopyTo(_buffer.AsSpan(_length));
        _length += len;
        WriteBacklen(_length - start);
    }

    public void AddInteger(long v)
    {
        Ensure(9 + 5);
        int start = _length;
        if (v >= 0 && v <= 127) _buffer[_length++] = (byte)v;
        else if (v >= -4096 && v <= 4095)
        {
            int u = v < 0 ? (1 << 13) + (int)v : (int)v;
            _buffer[_length++] = (byte)(0xC0 | (u >> 8));
            _buffer[_length++] = (byte)u;
        }
        else if (v >= short.MinValue && v <= short.MaxValue)
        {
            _buffer[_length++] = 0xF1;
            BinaryPrimitives.WriteInt16LittleEndian(_buffer.AsSpan(_length), (short)v);
            _length += 2;
        }
        else if (v >= -(1 << 23) && v < (1 << 23))
        {
            _buffer[_length++] = 0xF2;
            _buffer[_length++] = (byte)v;
            _buffer[_length++] = (byte)(v >> 8);
            _buffer[_length++] = (byte)(v >> 16);
        }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            _buffer[_length++] = 0xF3;
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), (int)v);
            _length += 4;
        }
        else
        {
            _buffer[_length++] = 0xF4;
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), v);
            _length += 8;
        }
        WriteBacklen(_length - start);
    }

    void WriteBacklen(int size)
    {
        Ensure(5);
        if (size <= 127) { _buffer[_length++] = (byte)size; }
        else if (size < 16383)
        {
            _buffer[_length++] = (byte)(size >> 7);
            _buffer[_length++] = (byte)((size & 127) | 128);
        }
        else if (size < 2097151)
        {
            _buffer[_length++] = (byte)(size >> 14);
            _buffer[_length++] = (byte)(((size >> 7) & 127) | 128);
            _buffer[_length++] = (byte)((size & 127) | 128);
        }
        else if (size < 268435455)
        {
            _buffer[_length++] = (byte)(size >> 21);
            _buffer[_length++] = (byte)(((size >> 14) & 127) | 128);
            _buffer[_length++] = (byte)(((size >> 7) & 127) | 128);
            _buffer[_length++] = (byte)((size & 127) | 128);
        }
        else
        {
            _buffer[_length++] = (byte)(size >> 28);
            _buffer[_length++] = (byte)(((size >> 21) & 127) | 128);
            _buffer[_length++] = (byte)(((size >> 14) & 127) | 128);
            _buffer[_length++] = (byte)(((size >> 7) & 127) | 128);
            _buffer[_length++] = (byte)((size & 127) | 128);
        }
        _count++;
    }

    /// <summary>The finished blob (header and terminator written); the builder is reset.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        _buffer[_length] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)(_length + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), (ushort)Math.Min(_count, 65535));
        var result = _buffer.AsSpan(0, _length + 1);
        _length = 6;
        _count = 0;
        return result;
    }
}

/// <summary>
/// The elements of one packed blob (listpack, ziplist, zipmap) copied into one buffer that is
/// reused from blob to blob, integers formatted as decimal strings: a load builds its values from
/// these spans without an array per element.
/// </summary>
public sealed class PackedElements
{
    byte[] _bytes = new byte[1024];
    int _used;
    readonly List<(int Start, int Length)> _ranges = new();

    public int Count => _ranges.Count;
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var (start, length) = _ranges[index];
            return _bytes.AsSpan(start, length);
        }
    }

    public void Clear()
    {
        _ranges.Clear();
        _used = 0;
    }

    public void Add(ReadOnlySpan<byte> element) => element.CopyTo(Reserve(element.Length));

    public void AddInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Add(digits[..NumberParsing.FormatInt64(value, digits)]);
    }

    Span<byte> Reserve(int n)
    {
        if (_used + n > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + n));
        _ranges.Add((_used, n));
        var span = _bytes.AsSpan(_used, n);
        _used += n;
        return span;
    }
}

public static class PackedFormats
{
    static RdbFormatException Corrupt(string what) => new($"Corrupt {what} blob", -1);

    /// <summary>Every element of a listpack into <paramref name="items"/> (cleared first), integers formatted as decimal strings.</summary>
    public static PackedElements ReadListpack(ReadOnlySpan<byte> lp, PackedElements items)
    {
        if (lp.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(lp) != lp.Length || lp[^1] != 0xFF) throw Corrupt("listpack");
        items.Clear();
        int p = 6;
        while (true)
        {
            if (p >= lp.Length) throw Corrupt("listpack");
            byte b = lp[p];
            if (b == 0xFF) break;
            int start = p;
            if ((b & 0x80) == 0) { items.AddInteger(b & 0x7F); p += 1; }
            else if ((b & 0xC0) == 0x80)
            {
                int len = b & 0x3F;
                Need(lp, p + 1 + len, "listpack");
                items.Add(lp.Slice(p + 1, len));
                p += 1 + len;
            }
            else if ((b & 0xE0) == 0xC0)
            {
                Need(lp, p + 2, "listpack");
                int u = ((b & 0x1F) << 8) | lp[p + 1];
                items.AddInteger(u >= 1 << 12 ? u - (1 << 13) : u);
                p += 2;
            }
            else if ((b & 0xF0) == 0xE0)
            {
                Need(lp, p + 2, "listpack");
                int len = ((b & 0x0F) << 8) | lp[p + 1];
                Need(lp, p + 2 + len, "listpack");
                items.Add(lp.Slice(p + 2, len));
                p += 2 + len;
            }
            else
            {
                switch (b)
                {
                    case 0xF0:
                    {
                        Need(lp, p + 5, "listpack");
                        int len = BinaryPrimitives.ReadInt32LittleEndian(lp[(p + 1)..]);
                        if (len < 0) throw Corrupt("listpack");
                        Need(lp, p + 5 + len, "listpack");
                        items.Add(lp.Slice(p + 5, len));
                        p += 5 + len;
                        break;
                    }
                    case 0xF1: Need(lp, p + 3, "listpack"); items.AddInteger(BinaryPrimitives.ReadInt16LittleEndian(lp[(p + 1)..])); p += 3; break;
                    case 0xF2:
                        Need(lp, p + 4, "listpack");
                        items.AddInteger((lp[p + 1] | lp[p + 2] << 8 | lp[p + 3] << 16) << 8 >> 8);
                        p += 4;
                        break;
                    case 0xF3: Need(lp, p + 5, "listpack"); items.AddInteger(BinaryPrimitives.ReadInt32LittleEndian(lp[(p + 1)..])); p += 5; break;
                    case 0xF4: Need(lp, p + 9, "listpack"); items.AddInteger(BinaryPrimitives.ReadInt64LittleEndian(lp[(p + 1)..])); p += 9; break;
                    default: throw Corrupt("listpack");
                }
            }
            int size = p - start;
            p += size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
        }
        return items;
    }

    static void Need(ReadOnlySpan<byte> blob, int end, string what)
    {
        if (end > blob.Length) throw Corrupt(what);
    }

    /// <summary>Every element of a ziplist into <paramref name="items"/> (cleared first), integers formatted as decimal strings.</summary>
    public static PackedElements ReadZiplist(ReadOnlySpan<byte> zl, PackedElements items)
    {
        if (zl.Length < 11 || BinaryPrimitives.ReadUInt32LittleEndian(zl) != zl.Length || zl[^1] != 0xFF) throw Corrupt("ziplist");
        items.Clear();
        int p = 10;
        while (true)
        {
            if (p >= zl.Length) throw Corrupt("ziplist");
            if (zl[p] == 0xFF) break;
            p += zl[p] == 0xFE ? 5 : 1; // previous entry length
            Need(zl, p + 1, "ziplist");
            byte b = zl[p];
            switch (b >> 6)
            {
                case 0:
                {
                    int len = b & 0x3F;
                    Need(zl, p + 1 + len, "ziplist");
                    items.Add(zl.Slice(p + 1, len));
                    p += 1 + len;
                    continue;
                }
                case 1:
                {
                    Need(zl, p + 2, "ziplist");
                    int len = ((b & 0x3F) << 8) | zl[p + 1];
                    Need(zl, p + 2 + len, "ziplist");
                    items.Add(zl.Slice(p + 2, len));
                    p += 2 + len;
                    continue;
                }
                case 2:
                {
                    Need(zl, p + 5, "ziplist");
                    long len = BinaryPrimitives.ReadUInt32BigEndian(zl[(p + 1)..]);
                    if (len > zl.Length) throw Corrupt("ziplist");
                    Need(zl, p + 5 + (int)len, "ziplist");
                    items.Add(zl.Slice(p + 5, (int)len));
                    p += 5 + (int)len;
                    continue;
                }
            }
            p++;
            long value;
            switch (b)
            {
                case 0xC0: Need(zl, p + 2, "ziplist"); value = BinaryPrimitives.ReadInt16LittleEndian(zl[p..]); p += 2; break;
                case 0xD0: Need(zl, p + 4, "ziplist"); value = BinaryPrimitives.ReadInt32LittleEndian(zl[p..]); p += 4; break;
                case 0xE0: Need(zl, p + 8, "ziplist"); value = BinaryPrimitives.ReadInt64LittleEndian(zl[p..]); p += 8; break;
                case 0xF0: Need(zl, p + 3, "ziplist"); value = (zl[p] | zl[p + 1] << 8 | zl[p + 2] << 16) << 8 >> 8; p += 3; break;
                case 0xFE: Need(zl, p + 1, "ziplist"); value = (sbyte)zl[p]; p += 1; break;
                default:
                    if (b >= 0xF1 && b <= 0xFD) { value = (b & 0x0F) - 1; break; }
                    throw Corrupt("ziplist");
            }
            items.AddInteger(value);
        }
        return items;
    }

    /// <summary>The key/value pairs of a zipmap (pre-2.6 small hashes), flattened.</summary>
    public static PackedElements ReadZipmap(ReadOnlySpan<byte> zm, PackedElements items)
    {
        items.Clear();
        if (zm.Length < 2) throw Corrupt("zipmap");
        int p = 1;
        while (true)
        {
            if (p >= zm.Length) throw Corrupt("zipmap");
            if (zm[p] == 0xFF) break;
            int keyLength = ReadZipmapLength(zm, ref p);
            Need(zm, p + keyLength, "zipmap");
            items.Add(zm.Slice(p, keyLength));
            p += keyLength;
            int valueLength = ReadZipmapLength(zm, ref p);
            Need(zm, p + 1, "zipmap");
            int free = zm[p++];
            Need(zm, p + valueLength + free, "zipmap");
            items.Add(zm.Slice(p, valueLength));
            p += valueLength + free;
        }
        return items;
    }

    static int ReadZipmapLength(ReadOnlySpan<byte> zm, ref int p)
    {
        Need(zm, p + 1, "zipmap");
        if (zm[p] < 254) return zm[p++];
        if (zm[p] == 254)
        {
            Need(zm, p + 5, "zipmap");
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(zm[(p + 1)..]);
            p += 5;
            if (len > zm.Length) throw Corrupt("zipmap");
            return (int)len;
        }
        throw Corrupt("zipmap");
    }

    public static List<long> ReadIntset(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8) throw Corrupt("intset");
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if ((width != 2 && width != 4 && width != 8) || 8 + (long)width * count != blob.Length) throw Corrupt("intset");
        var values = new List<long>((int)count);
        for (int i = 0; i < count; i++)
        {
            var at = blob[(8 + i * (int)width)..];
            long v = width == 2 ? BinaryPrimitives.ReadInt16LittleEndian(at) : width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt64LittleEndian(at);
            if (i > 0 && v <= values[^1]) throw Corrupt("intset");
            values.Add(v);
        }
        return values;
    }

    /// <summary>An intset blob of sorted distinct values in the narrowest width holding them all.</summary>
    public static byte[] WriteIntset(IReadOnlyList<long> sorted)
    {
        int width = 2;
        foreach (var v in sorted)
        {
            if (v < int.MinValue || v > int.MaxValue) { width = 8; break; }
            if (v < short.MinValue || v > short.MaxValue) width = 4;
        }
        var blob = new byte[8 + width * sorted.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)sorted.Count);
        for (int i = 0; i < sorted.Count; i++)
        {
            var at = blob.AsSpan(8 + i * width);
            if (width == 2) BinaryPrimitives.WriteInt16LittleEndian(at, (short)sorted[i]);
            else if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(at, (int)sorted[i]);
            else BinaryPrimitives.WriteInt64LittleEndian(at, sorted[i]);
        }
        return blob;
    }
}
