// How a key and its value are held in the keyspace.
//
// A string value and its key share one byte array ("packed string"):
//   [0] encoding (raw, embstr or int: what OBJECT ENCODING reports, kept as Redis would have it);
//       bit 7 marks an int that Redis would hold in a private object rather than a shared integer
//       (made by COPY, or while maxmemory with an LRU/LFU policy forbids sharing): OBJECT REFCOUNT;
//       bit 6 marks spare capacity (below)
//   [1..3] 24-bit LRU clock in seconds (OBJECT IDLETIME)
//   [4..] key length as a varint, the key bytes, then the value bytes.
// Normally the value runs to the end of the array. A value that grows a little at a time (SETBIT
// and BITFIELD past the end, as Redis's sdsgrowzero) is given spare capacity instead, as Redis's
// greedy sds allocation does: then the last 4 bytes hold the value length (little endian) and the
// zeroed bytes between the value and them are room to grow in place. Only Value/MutableValue
// know where a value ends; everything else goes through them.
// One array per string key is what lets csredis hold small strings in less memory than Redis
// (one object header instead of the dictEntry + key sds + robj Redis needs).
// Every other type is a RedisObject subclass that carries its key.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Csredis.Server.Keyspace;

public enum StringEncoding : byte { Raw = 0, Embstr = 1, Int = 2 }

public enum ObjectType : byte { String = 0, List = 1, Set = 2, ZSet = 3, Hash = 4, Stream = 6 }

/// <summary>Base of every non-string value: lists, hashes, sets, sorted sets.</summary>
public abstract class RedisObject
{
    /// <summary>The key, for every type but a small hash, which keeps it inside its packed array (HashObject).</summary>
    protected byte[]? KeyBytes;
    public uint Lru;
    protected RedisObject(byte[]? key) { KeyBytes = key; Lru = LruClock.ForNewObject; }
    public virtual ReadOnlySpan<byte> Key => KeyBytes;
    /// <summary>RENAME/MOVE in place: the same value under another key.</summary>
    public virtual void SetKey(byte[] key) => KeyBytes = key;
    public abstract ObjectType Type { get; }
    /// <summary>Redis's name for the current encoding (OBJECT ENCODING).</summary>
    public abstract string EncodingName { get; }
    /// <summary>Approximate bytes held by this value (MEMORY USAGE, used_memory accounting).</summary>
    public abstract long MemoryBytes { get; }
    /// <summary>
    /// An independent deep copy stored under <paramref name="newKey"/> (COPY; RENAME while a snapshot
    /// still reads the original). The copy starts with a fresh LRU, as Redis's duplicated objects do.
    /// </summary>
    public abstract RedisObject Clone(byte[] newKey);
}

/// <summary>
/// The 24 access bits every value carries, as Redis's robj.lru: under an LRU (or no) maxmemory
/// policy the last access time in seconds; under an LFU policy 16 bits of minutes plus an 8-bit
/// logarithmic access counter that decays with time (OBJECT FREQ reads it).
/// </summary>
public static class LruClock
{
    /// <summary>Seconds resolution, 24 bits, like Redis's LRU_CLOCK.</summary>
    public static uint Now => _now;

    // Like Redis's server.lruclock: a cached value the event loop refreshes (each iteration and
    // each cron run), so touching a key costs no clock read.
    static uint _now = Seconds(Common.Clock.UnixMs());
    static uint Seconds(long unixMs) => (uint)(unixMs / 1000) & 0xFFFFFF;

    public static void Update(long unixMs) => _now = Seconds(unixMs);

    /// <summary>Set from the maxmemory-policy config: an LFU policy selects the counter layout.</summary>
    public static bool Lfu;
    public static int LfuLogFactor = 10;
    public static int LfuDecayMinutes = 1;
    const uint LfuInitialCounter = 5;

    /// <summary>The access bits of a value created now.</summary>
    public static uint ForNewObject => Lfu ? (LfuMinutes() << 8) | LfuInitialCounter : Now;

    /// <summary>The access bits after a read or write lookup of a value whose bits were <paramref name="previous"/>.</summary>
    public static uint Touched(uint previous)
    {
        if (!Lfu) return Now;
        uint counter = LfuDecayedCounter(previous);
        if (counter < 255)
        {
            // Redis's LFULogIncr: the more hits a key already has, the less likely one more counts.
            double baseValue = Math.Max(0, (double)counter - LfuInitialCounter);
            double probability = 1.0 / (baseValue * LfuLogFactor + 1);
            if (Random.Shared.NextDouble() < probability) counter++;
        }
        return (LfuMinutes() << 8) | counter;
    }

    static uint LfuMinutes() => (uint)(Common.Clock.UnixMs() / 1000 / 60) & 0xFFFF;

    /// <summary>Redis's LFUDecrAndReturn: the counter minus one per decay period elapsed since the last access.</summary>
    public static uint LfuDecayedCounter(uint bits)
    {
        uint lastMinutes = bits >> 8, counter = bits & 0xFF;
        uint now = LfuMinutes();
        uint elapsed = now >= lastMinutes ? now - lastMinutes : 0xFFFF - lastMinutes + now;
        uint periods = LfuDecayMinutes > 0 ? elapsed / (uint)LfuDecayMinutes : 0;
        return periods > counter ? 0 : counter - periods;
    }

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

    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, StringEncoding encoding, int extraCapacity = 0)
    {
        int varint = VarintSize(key.Length);
        var packed = new byte[HeaderSize + varint + key.Length + value.Length + extraCapacity];
        packed[0] = (byte)encoding;
        if (encoding == StringEncoding.Int && !SharedIntegersAllowed) packed[0] |= PrivateIntegerFlag;
        SetLru(packed, LruClock.ForNewObject);
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
    public static ReadOnlySpan<byte> Value(byte[] packed) => MutableValue(packed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> MutableValue(byte[] packed)
    {
        int offset = ValueOffset(packed);
        if ((packed[0] & SpareCapacityFlag) == 0) return packed.AsSpan(offset);
        return packed.AsSpan(offset, BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(packed.Length - LengthTrailer)));
    }

    const byte PrivateIntegerFlag = 0x80, SpareCapacityFlag = 0x40, EncodingMask = 0x03;
    const int LengthTrailer = 4;

    public static StringEncoding Encoding(byte[] packed) => (StringEncoding)(packed[0] & EncodingMask);
    public static void SetEncoding(byte[] packed, StringEncoding e) =>
        packed[0] = (byte)((packed[0] & SpareCapacityFlag) | (e == StringEncoding.Int && !SharedIntegersAllowed ? (byte)e | PrivateIntegerFlag : (byte)e));

    /// <summary>The longest value a packed string under a key of this length can hold.</summary>
    public static int MaxValueLength(int keyLength) => Array.MaxLength - HeaderSize - 5 - keyLength - LengthTrailer;

    /// <summary>The most value bytes this array can hold without being re-packed.</summary>
    public static int Capacity(byte[] packed) =>
        (packed[0] & SpareCapacityFlag) == 0 ? packed.Length - ValueOffset(packed) : packed.Length - LengthTrailer - ValueOffset(packed);

    /// <summary>
    /// A raw value of <paramref name="length"/> bytes that starts with <paramref name="value"/> and is
    /// zero after it, with room for <paramref name="capacity"/> bytes before it must be re-packed.
    /// </summary>
    public static byte[] CreateZeroExtended(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int length, int capacity)
    {
        if (capacity <= length) return Create(key, value, StringEncoding.Raw, extraCapacity: length - value.Length);
        var packed = Create(key, value, StringEncoding.Raw, extraCapacity: capacity - value.Length + LengthTrailer);
        packed[0] |= SpareCapacityFlag;
        BinaryPrimitives.WriteInt32LittleEndian(packed.AsSpan(packed.Length - LengthTrailer), length);
        return packed;
    }

    /// <summary>
    /// Lengthens a value in place when its capacity allows (the new bytes are zero); false when the
    /// value must be re-packed. The caller checks that no snapshot still reads the array.
    /// </summary>
    public static bool TryZeroExtendInPlace(byte[] packed, int length)
    {
        int current = Value(packed).Length;
        if (length <= current) return true;
        if ((packed[0] & SpareCapacityFlag) == 0 || length > Capacity(packed)) return false;
        packed.AsSpan(ValueOffset(packed) + current, length - current).Clear();
        BinaryPrimitives.WriteInt32LittleEndian(packed.AsSpan(packed.Length - LengthTrailer), length);
        return true;
    }

    /// <summary>
    /// Redis shares integer objects 0..9999 unless maxmemory is set with an LRU/LFU policy (which
    /// needs per-key access bits). Decided when a value is created, so it is kept per value.
    /// </summary>
    public static bool SharedIntegersAllowed = true;

    public static void UpdateIntegerSharing(ulong maxMemory, string policy) =>
        SharedIntegersAllowed = maxMemory == 0 || !(policy.EndsWith("lru", StringComparison.Ordinal) || policy.EndsWith("lfu", StringComparison.Ordinal));

    /// <summary>True when Redis would hold this value as a shared integer object: OBJECT REFCOUNT then says INT_MAX.</summary>
    public static bool IsSharedInteger(byte[] packed)
    {
        if ((packed[0] & ~SpareCapacityFlag) != (byte)StringEncoding.Int) return false;
        var value = Value(packed);
        return Common.Text.NumberParsing.TryParseInt64(value, out long n) && n >= 0 && n < SharedIntegers;
    }

    /// <summary>Redis's OBJ_SHARED_INTEGERS.</summary>
    public const int SharedIntegers = 10000;

    /// <summary>The same value under another key, keeping encoding and LRU (RENAME).</summary>
    public static byte[] WithKey(byte[] packed, ReadOnlySpan<byte> newKey)
    {
        var created = Create(newKey, Value(packed), Encoding(packed));
        created[0] = (byte)(packed[0] & ~SpareCapacityFlag);
        created[1] = packed[1]; created[2] = packed[2]; created[3] = packed[3];
        return created;
    }

    /// <summary>A duplicate under another key as Redis's dupStringObject makes it (COPY): fresh LRU, ints become private objects.</summary>
    public static byte[] Duplicate(byte[] packed, ReadOnlySpan<byte> newKey)
    {
        var created = Create(newKey, Value(packed), Encoding(packed));
        if (Encoding(packed) == StringEncoding.Int) created[0] |= PrivateIntegerFlag;
        return created;
    }

    /// <summary>A value made of two parts (APPEND), packed in one allocation.</summary>
    public static byte[] CreateConcat(ReadOnlySpan<byte> key, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, StringEncoding encoding)
    {
        var packed = Create(key, first, encoding, extraCapacity: second.Length);
        second.CopyTo(packed.AsSpan(packed.Length - second.Length));
        return packed;
    }

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

    // The key-length varint: packed strings hold it after their 4-byte header, small hashes at offset 0.
    public static int VarintSize(int v) => v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;

    public static int WriteVarint(Span<byte> dst, int v)
    {
        int i = 0;
        uint u = (uint)v;
        while (u >= 0x80) { dst[i++] = (byte)(u | 0x80); u >>= 7; }
        dst[i++] = (byte)u;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ReadVarint(byte[] packed, out int size) => ReadVarint(packed, HeaderSize, out size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarint(byte[] packed, int at, out int size)
    {
        byte b = packed[at];
        if (b < 0x80) { size = 1; return b; }
        int result = 0, shift = 0, i = at;
        while (true)
        {
            b = packed[i++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) break;
            shift += 7;
        }
        size = i - at;
        return result;
    }
}
