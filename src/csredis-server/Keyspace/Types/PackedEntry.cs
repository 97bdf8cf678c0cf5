// The byte encoding of one collection element inside a packed block (csredis's listpack entry).
//
// An element is a header, a payload and, in blocks walked in both directions (list nodes), a
// trailing "back length" so the previous element can be found from the end of the next one:
//   header 0x00-0x7F          string of 0..127 bytes follows
//   header 0x80-0xBF + 1 byte string of up to 16383 bytes (14-bit length, high bits first)
//   header 0xC1-0xC8          integer in (header - 0xC0) little-endian two's-complement bytes
//   header 0xF0 + 4 bytes     string of any length (little-endian int32)
// A string is stored as an integer only when it is the canonical decimal form of an int64
// (Redis's string2ll rules), so formatting it back gives the exact same bytes.
// The back length holds header+payload size in 7-bit groups, most significant first, every byte
// after the first flagged with 0x80: read from the end, a flagged byte means "more to the left".
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Csredis.Common.Text;

namespace Csredis.Server.Keyspace.Types;

public static class PackedEntry
{
    /// <summary>Scratch a caller provides to <see cref="Read"/> to hold a formatted integer element.</summary>
    public const int ScratchSize = 20;

    /// <summary>Bytes header+payload take for <paramref name="value"/> (no back length).</summary>
    public static int Size(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 20 && value.Length > 0 && NumberParsing.TryParseInt64(value, out long v)) return 1 + IntBytes(v);
        return HeaderSize(value.Length) + value.Length;
    }

    /// <summary>Size of an element with its back length, as stored in a list node.</summary>
    public static int SizeWithBacklen(ReadOnlySpan<byte> value)
    {
        int size = Size(value);
        return size + BacklenSize(size);
    }

    static int HeaderSize(int length) => length < 0x80 ? 1 : length < 0x4000 ? 2 : 5;

    static int IntBytes(long v)
    {
        int n = 1;
        while (n < 8 && (v < -(1L << (8 * n - 1)) || v >= 1L << (8 * n - 1))) n++;
        return n;
    }

    /// <summary>Writes header+payload; returns the bytes written (same as <see cref="Size"/>).</summary>
    public static int Write(Span<byte> dst, ReadOnlySpan<byte> value)
    {
        if (value.Length <= 20 && value.Length > 0 && NumberParsing.TryParseInt64(value, out long v))
        {
            int n = IntBytes(v);
            dst[0] = (byte)(0xC0 + n);
            for (int i = 0; i < n; i++) dst[1 + i] = (byte)(v >> (8 * i));
            return 1 + n;
        }
        int len = value.Length, h;
        if (len < 0x80) { dst[0] = (byte)len; h = 1; }
        else if (len < 0x4000) { dst[0] = (byte)(0x80 | (len >> 8)); dst[1] = (byte)len; h = 2; }
        else { dst[0] = 0xF0; BinaryPrimitives.WriteInt32LittleEndian(dst[1..], len); h = 5; }
        value.CopyTo(dst[h..]);
        return h + len;
    }

    /// <summary>Writes header, payload and back length; returns the bytes written.</summary>
    public static int WriteWithBacklen(Span<byte> dst, ReadOnlySpan<byte> value)
    {
        int size = Write(dst, value);
        return size + WriteBacklen(dst[size..], size);
    }

    /// <summary>The element at <paramref name="pos"/>; integers are formatted into <paramref name="scratch"/>.
    /// <paramref name="size"/> receives header+payload size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> block, int pos, Span<byte> scratch, out int size)
    {
        byte h = block[pos];
        if (h < 0x80) { size = 1 + h; return block.Slice(pos + 1, h); }
        return ReadSlow(block, pos, scratch, out size);
    }

    static ReadOnlySpan<byte> ReadSlow(ReadOnlySpan<byte> block, int pos, Span<byte> scratch, out int size)
    {
        byte h = block[pos];
        if (h < 0xC0)
        {
            int len = (h & 0x3F) << 8 | block[pos + 1];
            size = 2 + len;
            return block.Slice(pos + 2, len);
        }
        if (h == 0xF0)
        {
            int len = BinaryPrimitives.ReadInt32LittleEndian(block[(pos + 1)..]);
            size = 5 + len;
            return block.Slice(pos + 5, len);
        }
        long v = ReadInt(block, pos, out size);
        int n = NumberParsing.FormatInt64(v, scratch);
        return scratch[..n];
    }

    static long ReadInt(ReadOnlySpan<byte> block, int pos, out int size)
    {
        int n = block[pos] - 0xC0;
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long)block[pos + 1 + i] << (8 * i);
        int shift = 64 - 8 * n;
        v = v << shift >> shift; // sign-extend
        size = 1 + n;
        return v;
    }

    /// <summary>The element as an integer when it is stored as one (HINCRBY and LPOS fast paths).</summary>
    public static bool TryReadInt(ReadOnlySpan<byte> block, int pos, out long value)
    {
        byte h = block[pos];
        if (h > 0xC0 && h <= 0xC8) { value = ReadInt(block, pos, out _); return true; }
        value = 0;
        return false;
    }

    /// <summary>header+payload size of the element at <paramref name="pos"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeAt(ReadOnlySpan<byte> block, int pos)
    {
        byte h = block[pos];
        if (h < 0x80) return 1 + h;
        if (h < 0xC0) return 2 + ((h & 0x3F) << 8 | block[pos + 1]);
        if (h == 0xF0) return 5 + BinaryPrimitives.ReadInt32LittleEndian(block[(pos + 1)..]);
        return 1 + (h - 0xC0);
    }

    public static bool EqualsAt(ReadOnlySpan<byte> block, int pos, ReadOnlySpan<byte> other)
    {
        Span<byte> scratch = stackalloc byte[ScratchSize];
        return Read(block, pos, scratch, out _).SequenceEqual(other);
    }

    public static int BacklenSize(int size) => size < 0x80 ? 1 : size < 0x4000 ? 2 : size < 0x200000 ? 3 : size < 0x10000000 ? 4 : 5;

    public static int WriteBacklen(Span<byte> dst, int size)
    {
        int n = BacklenSize(size);
        for (int i = 0; i < n; i++)
        {
            int group = (size >> (7 * (n - 1 - i))) & 0x7F;
            dst[i] = (byte)(i == 0 ? group : group | 0x80);
        }
        return n;
    }

    /// <summary>Reads the back length that ends just before <paramref name="end"/>; returns header+payload size
    /// and the back length's own size.</summary>
    public static int ReadBacklen(ReadOnlySpan<byte> block, int end, out int backlenSize)
    {
        int value = 0, shift = 0, p = end - 1;
        while (true)
        {
            byte b = block[p];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
            p--;
        }
        backlenSize = end - p;
        return value;
    }
}
