// Encodings of the non-string types. Until the list, hash, set and sorted set types exist in this
// tree there is nothing to write; reading any of their encodings reports the type as not supported.
using Csredis.Server.Keyspace;

namespace Csredis.Server.Rdb;

public static partial class RdbValues
{
    static byte TypeByteOfObject(RedisObject o) =>
        throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented");

    static void WriteObject(RdbWriter w, RedisObject o) =>
        throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented");

    static object ReadObject(RdbReader r, byte type, byte[] key) =>
        throw new RdbFormatException($"Unsupported RDB object type {type} ({RdbFormat.TypeName(type)})", r.Offset);
}
