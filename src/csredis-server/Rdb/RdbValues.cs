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

    /// <summary>A whole key-value record: expiry, LRU idle hint, type, key, value.</summary>
    public static void WriteRecord(RdbWriter w, object item, long expireMs, bool writeIdle)
    {
        if (expireMs != -1)
        {
            w.WriteByte(RdbFormat.OpcodeExpireTimeMs);
            w.WriteMillisecondsTime(expireMs);
        }
        if (writeIdle)
        {
            uint lru = item is byte[] p ? PackedString.Lru(p) : ((RedisObject)item).Lru;
            w.WriteByte(RdbFormat.OpcodeIdle);
            w.WriteLength((ulong)LruClock.IdleSeconds(lru));
        }
        w.WriteByte(TypeByteOf(item));
        w.WriteString(StoredKey.Of(item));
        if (item is byte[] packed) w.WriteString(PackedString.Value(packed));
        else WriteObject(w, (RedisObject)item);
    }

    /// <summary>Reads a value of RDB type <paramref name="type"/> stored under <paramref name="key"/>.</summary>
    public static object ReadValue(RdbReader r, byte type, byte[] key)
    {
        if (type == RdbFormat.TypeString) return PackedString.CreateForSet(key, r.ReadString());
        return ReadObject(r, type, key);
    }

    /// <summary>Sets the LRU clock from an IDLE hint.</summary>
    public static void ApplyIdle(object item, long idleSeconds)
    {
        uint lru = (uint)((LruClock.Now - idleSeconds) & 0xFFFFFF);
        if (item is byte[] packed) PackedString.SetLru(packed, lru);
        else ((RedisObject)item).Lru = lru;
    }
}
