// Encodings of the non-string types, dispatched to each family's translator (lists and hashes:
// RdbListsHashes.cs). Types without one report themselves as not supported.
using Csredis.Server.Keyspace;

namespace Csredis.Server.Rdb;

public static partial class RdbValues
{
    static byte TypeByteOfObject(RedisObject o) => o.Type switch
    {
        ObjectType.List or ObjectType.Hash => RdbListsHashes.TypeByteOf(o),
        _ => throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented"),
    };

    static void WriteObject(RdbWriter w, RedisObject o)
    {
        if (o.Type is ObjectType.List or ObjectType.Hash) RdbListsHashes.Write(w, o);
        else throw new NotSupportedException($"RDB encoding of {o.Type} values is not implemented");
    }

    static object ReadObject(RdbReader r, byte type, byte[] key) =>
        RdbListsHashes.IsListOrHashType(type)
            ? RdbListsHashes.Read(r, type, key)
            : throw new RdbFormatException($"Unsupported RDB object type {type} ({RdbFormat.TypeName(type)})", r.Offset);
}
