// Digest of lists and hashes as Redis's debug.c computes it: a list mixes its elements in order;
// a hash xors (as SHA1) one digest per pair, mix(field) then mix(value), so pair order does not matter.
using Csredis.Server.Keyspace.Types;

namespace Csredis.Server.Persistence;

public static partial class DatasetDigest
{
    static void DigestList(Span<byte> digest, ListObject list)
    {
        if (list.Count == 0) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        var p = list.First;
        do Mix(digest, list.ValueAt(p, scratch));
        while (list.Next(ref p));
    }

    static void DigestHash(Span<byte> digest, HashObject hash)
    {
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
        Span<byte> pair = stackalloc byte[20];
        var it = hash.Iterate(scratch);
        while (it.MoveNext())
        {
            pair.Clear();
            Mix(pair, it.Field);
            Mix(pair, it.Value);
            Xor(digest, pair);
        }
    }
}
