// Digest of the non-string types (see DatasetDigest.cs for the scheme); filled in as the types land.
using Csredis.Server.Keyspace;

namespace Csredis.Server.Persistence;

public static partial class DatasetDigest
{
    static void XorObject(Span<byte> digest, RedisObject o) =>
        throw new NotSupportedException($"digest of {o.Type} values is not implemented");
}
