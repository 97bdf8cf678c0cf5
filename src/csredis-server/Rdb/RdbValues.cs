// How each stored value is written to and read from RDB: the value part of a key-value record
// (also the body of a DUMP payload). Writing uses the encodings Redis 7.0 writes; reading accepts
// every encoding Redis 7.0 can load, including those older versions wrote.
using Csredis.Server.Keyspace;

namespace Csredis.Server.Rdb;

public static partial class RdbValues
{
    /// <summary>The RDB type byte Redis 7.0 writes for this value.</summary>
    public static byte TypeByteOf(object item) => item switch
    {
        byte[] => RdbFormat.TypeString,
        RedisObject o => TypeByteOfObject(o),
        _ => throw new InvalidOperationException("not a stored value"),
    };

    /// <summary>Writes the type byte and the value (DUMP's body, and the tail of a key-value record).</summary>
    public static void WriteTypeAndValue(RdbWriter w, object item)
    {
        w.WriteByte(TypeByteOf(item));
        if (item is byte[] packed) w.WriteString(PackedString.Value(packed));
        else WriteObject(w, (RedisObject)item);
    }

    /// <summary>Which access hint records carry: IDLE under an LRU maxmemory-policy, FREQ under LFU, none otherwise (as Redis).</summary>
    public enum AccessHint { None, Idle, Freq }

    public static AccessHint HintFor(string maxmemoryPolicy) =>
        maxmemoryPolicy.Contains("lru", StringComparison.Ordinal) ? AccessHint.Idle
        : maxmemoryPolicy.Contains("lfu", StringComparison.Ordinal) ? AccessHint.Freq : AccessHint.None;

    /// <summary>A whole key-value record: expiry, access hint, type, key, value.</summary>
    public static void WriteRecord(RdbWriter w, object item, long expireMs, AccessHint hint)
    {
        if (item is byte[] packed)
        {
            WriteStringRecord(w, PackedString.Key(packed), PackedString.Value(packed), expireMs, PackedString.Lru(packed), hint);
            return;
        }
        WriteRecordPrefix(w, expireMs, Db.AccessBits(item), hint);
        w.WriteByte(TypeByteOf(item));
        w.WriteString(StoredKey.Of(item));
        WriteObject(w, (RedisObject)item);
    }

    /// <summary>The record of a string value given as its parts (a snapshot's copy of a packed string).</summary>
    public static void WriteStringRecord(RdbWriter w, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireMs, uint accessBits, AccessHint hint)
    {
        WriteRecordPrefix(w, expireMs, accessBits, hint);
        w.WriteByte(RdbFormat.TypeString);
        w.WriteString(key);
        w.WriteString(value);
    }

    static void WriteRecordPrefix(RdbWriter w, long expireMs, uint accessBits, AccessHint hint)
    {
        if (expireMs != -1)
        {
            w.WriteByte(RdbFormat.OpcodeExpireTimeMs);
            w.WriteMillisecondsTime(expireMs);
        }
        if (hint != AccessHint.None)
        {
            uint bits = accessBits;
            if (hint == AccessHint.Idle)
            {
                w.WriteByte(RdbFormat.OpcodeIdle);
                w.WriteLength((ulong)LruClock.IdleSeconds(bits));
            }
            else
            {
                w.WriteByte(RdbFormat.OpcodeFreq);
                w.WriteByte((byte)LruClock.LfuDecayedCounter(bits));
            }
        }
    }

    /// <summary>Buffers for elements the reader copies straight into a value's own storage (no array per element).</summary>
    sealed class ElementScratch { public byte[] Field = new byte[256], Value = new byte[256]; }
    [ThreadStatic] static ElementScratch? _scratch;
    static ElementScratch Scratch => _scratch ??= new ElementScratch();

    /// <summary>Null for an empty collection, which Redis skips on load and RESTORE rejects.</summary>
    public static object? ReadValue(RdbReader r, byte type, byte[] key)
    {
        if (type == RdbFormat.TypeString) return PackedString.CreateForSet(key, r.ReadStringInto(ref Scratch.Value));
        return ReadObject(r, type, key);
    }

    /// <summary>Applies IDLE/FREQ hints (RDB, RESTORE IDLETIME/FREQ) as Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLE otherwise; -1 = absent.</summary>
    public static void ApplyAccessHints(object item, long idleSeconds, long freq)
    {
        if (LruClock.Lfu)
        {
            if (freq >= 0) Db.SetAccessBits(item, (LruClock.ForNewObject & ~0xFFu) | (uint)Math.Min(freq, 255));
        }
        else if (idleSeconds >= 0)
            Db.SetAccessBits(item, (uint)((LruClock.Now - idleSeconds) & 0xFFFFFF));
    }
}
