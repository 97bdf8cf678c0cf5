// How a key and its value are held in the keyspace.
//
// A string value and its key share one byte array ("packed string"):
//   [0] encoding (raw, embstr or int: what OBJECT ENCODING reports, kept as Redis would have it)
//   [1..3] 24-bit LRU clock in seconds (OBJECT IDLETIME)
//   [4..] key length as a varint, the key bytes, then the value bytes.
// One array per string key is what lets csredis hold small strings in less memory than Redis
// (one object header instead of the dictEntry + key sds + robj Redis needs).
// Every other type is a RedisObject subclass that carries its key.
using System.Runtime.CompilerServices;

namespace Csredis.Server.Keyspace;

public enum StringEncoding : byte { Raw = 0, Embstr = 1, Int = 2 }

public enum ObjectType : byte { String = 0, List = 1, Set = 2, ZSet = 3, Hash = 4, Stream = 6 }

/// <summary>Base of every non-string value: lists, hashes, sets, sorted sets.</summary>
public abstract class RedisObject
{
    public byte[] Key;
    public uint Lru;
    protected RedisObject(byte[] key) { Key = key; Lru = LruClock.Now; }
    public abstract ObjectType Type { get; }
    /// <summary>Redis's name for the current encoding (OBJECT ENCODING).</summary>
    public abstract string EncodingName { get; }
    /// <summary>Approximate bytes held by this value (MEMORY USAGE, used_memory accounting).</summary>
    public abstract long MemoryBytes { get; }
    /// <summary>A deep copy of the value under another key (COPY, RENAME across databases).</summary>
    public abstract RedisObject Clone(byte[] newKey);
}

public static class LruClock
{
    /// <summary>Seconds resolution, 24 bits, like Redis's LRU_CLOCK.</summary>
    public static uint Now => (uint)(Common.Clock.UnixMs() / 1000) & 0xFFFFFF;

    public static long IdleSeconds(uint lru)
    {
        uint now = Now;
        return now >= lru ? now - lru : (0xFFFFFF - lru) + now;
    }
}

public static class StoredKey
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Of(object item) =>
        item is byte[] packed ? PackedString.Key(packed) : ((RedisObject)item).Key;

    public static ObjectType TypeOf(object item) =>
        item is byte[] ? ObjectType.String : ((RedisObject)item).Type;
}

public static class PackedString
{
    const int HeaderSize = 4;
    /// <summary>Values up to this length are "embstr" in Redis (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).</summary>
    public const int EmbstrLimit = 44;

    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, StringEncoding encoding)
    {
        int varint = VarintSize(key.Length);
        var packed = new byte[HeaderSize + varint + key.Length + value.Length];
        packed[0] = (byte)encoding;
        SetLru(packed, LruClock.Now);
        int p = WriteVarint(packed.AsSpan(HeaderSize), key.Length) + HeaderSize;
        key.CopyTo(packed.AsSpan(p));
        value.CopyTo(packed.AsSpan(p + key.Length));
        return packed;
    }

    /// <summary>The encoding Redis gives a freshly SET value (tryObjectEncoding): int, embstr or raw.</summary>
    public static StringEncoding EncodingForNewValue(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 20 && Common.Text.NumberParsing.TryParseInt64(value, out _)) return StringEncoding.Int;
        return value.Length <= EmbstrLimit ? StringEncoding.Embstr : StringEncoding.Raw;
    }

    public static byte[] CreateForSet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        Create(key, value, EncodingForNewValue(value));

    /// <summary>Same key, new value; the old array is left to the collector (it may still be in a snapshot).</summary>
    public static byte[] WithValue(byte[] packed, ReadOnlySpan<byte> value, StringEncoding encoding)
    {
        var created = Create(Key(packed), value, encoding);
        created[1] = packed[1]; created[2] = packed[2]; created[3] = packed[3];
        return created;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(byte[] packed)
    {
        int len = ReadVarint(packed, out int size);
        return new ReadOnlySpan<byte>(packed, HeaderSize + size, len);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ValueOffset(byte[] packed)
    {
        int len = ReadVarint(packed, out int size);
        return HeaderSize + size + len;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Value(byte[] packed) => packed.AsSpan(ValueOffset(packed));

    public static Span<byte> MutableValue(byte[] packed) => packed.AsSpan(ValueOffset(packed));

    public static StringEncoding Encoding(byte[] packed) => (StringEncoding)packed[0];
    public static void SetEncoding(byte[] packed, StringEncoding e) => packed[0] = (byte)e;

    public static uint Lru(byte[] packed) => packed[1] | (uint)packed[2] << 8 | (uint)packed[3] << 16;

    public static void SetLru(byte[] packed, uint lru)
    {
        packed[1] = (byte)lru;
        packed[2] = (byte)(lru >> 8);
        packed[3] = (byte)(lru >> 16);
    }

    public static string EncodingName(byte[] packed) => Encoding(packed) switch
    {
        StringEncoding.Int => "int",
        StringEncoding.Embstr => "embstr",
        _ => "raw",
    };

    static int VarintSize(int v) => v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;

    static int WriteVarint(Span<byte> dst, int v)
    {
        int i = 0;
        uint u = (uint)v;
        while (u >= 0x80) { dst[i++] = (byte)(u | 0x80); u >>= 7; }
        dst[i++] = (byte)u;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ReadVarint(byte[] packed, out int size)
    {
        byte b = packed[HeaderSize];
        if (b < 0x80) { size = 1; return b; }
        int result = 0, shift = 0, i = HeaderSize;
        while (true)
        {
            b = packed[i++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) break;
            shift += 7;
        }
        size = i - HeaderSize;
        return result;
    }
}
