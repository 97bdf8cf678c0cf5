// DEBUG DIGEST and DEBUG DIGEST-VALUE, computed as Redis's debug.c does so the same data set
// gives the same 40 hex digits in both servers.
// Two SHA1 primitives build everything:
//   xor(d, data): d ^= SHA1(data)                 (order-independent accumulation)
//   mix(d, data): d ^= SHA1(data); d = SHA1(d)    (order-dependent chaining)
// Per key: d = 0; mix(key); then the value: mix(big-endian 32-bit type); strings mix their bytes,
// lists mix each element in order, sets xor each member, hashes and sorted sets xor a per-pair
// digest (mix(field), mix(value or score as %.17g)); a key with a TTL xors "!!expire!!".
// Per database with keys: mix(final, big-endian 32-bit db index), then final ^= SHA1(key digest)
// for every key, which makes the result independent of iteration order.
using System.Security.Cryptography;
using Csredis.Server.Keyspace;

namespace Csredis.Server.Persistence;

public static partial class DatasetDigest
{
    public static void Xor(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        for (int i = 0; i < 20; i++) digest[i] ^= hash[i];
    }

    public static void Mix(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Xor(digest, data);
        Span<byte> copy = stackalloc byte[20];
        digest.CopyTo(copy);
        SHA1.HashData(copy, digest);
    }

    static void MixUInt32(Span<byte> digest, uint value)
    {
        Span<byte> be = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(be, value);
        Mix(digest, be);
    }

    /// <summary>The value part of a key's digest (what DEBUG DIGEST-VALUE reports).</summary>
    public static void XorValue(Span<byte> digest, object item, bool hasExpire)
    {
        MixUInt32(digest, (uint)StoredKey.TypeOf(item));
        if (item is byte[] packed) Mix(digest, PackedString.Value(packed));
        else XorObject(digest, (RedisObject)item);
        if (hasExpire) Xor(digest, "!!expire!!"u8);
    }

    public static byte[] OfDataset(Db[] databases)
    {
        var final = new byte[20];
        Span<byte> keyDigest = stackalloc byte[20];
        foreach (var db in databases)
        {
            if (db.Count == 0) continue;
            MixUInt32(final, (uint)db.Id);
            var main = db.Main;
            for (int i = 0; i < main.HighWater; i++)
            {
                var item = main.ItemAtOrNull(i);
                if (item == null) continue;
                var key = StoredKey.Of(item);
                keyDigest.Clear();
                Mix(keyDigest, key);
                XorValue(keyDigest, item, db.GetExpire(key) != -1);
                Xor(final, keyDigest);
            }
        }
        return final;
    }

    public static byte[] OfValue(Db db, ReadOnlySpan<byte> key)
    {
        var digest = new byte[20];
        // A raw table lookup as Redis's dictFind: no lazy expiry, no stats.
        int index = db.Main.Find(key, KeyTable.HashKey(key));
        var item = index >= 0 ? db.Main.ItemAt(index) : null;
        if (item != null) XorValue(digest, item, db.GetExpire(key) != -1);
        return digest;
    }
}
