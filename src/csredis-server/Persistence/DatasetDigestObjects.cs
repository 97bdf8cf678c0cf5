// Digest of the non-string types (see DatasetDigest.cs for the scheme), dispatched per family
// (lists and hashes: DatasetDigestListsHashes.cs); the others are filled in as their types land.
using Csredis.Server.Keyspace;

namespace Csredis.Server.Persistence;

public static partial class DatasetDigest
{
    static void XorObject(Span<byte> digest, RedisObject o)
    {
        if (o is Keyspace.Types.ListObject list) DigestList(digest, list);
        else if (o is Keyspace.Types.HashObject hash) DigestHash(digest, hash);
        else throw new NotSupportedException($"digest of {o.Type} values is not implemented");
    }
}
