// Digest of the collection types (see DatasetDigest.cs for the scheme): lists mix their elements
// in order; sets xor each member; hashes xor a digest of mix(field), mix(value) per pair; sorted
// sets xor a digest of mix(member), mix(score as %.17g) per member.
using Csredis.Common.Resp;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;

namespace Csredis.Server.Persistence;

public static partial class DatasetDigest
{
    static void XorObject(Span<byte> digest, RedisObject o)
    {
        Span<byte> pair = stackalloc byte[20];
        switch (o)
        {
            case ListObject list:
            {
                if (list.Count == 0) return;
                Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
                var p = list.First;
                do Mix(digest, list.ValueAt(p, scratch)); while (list.Next(ref p));
                return;
            }
            case SetObject set:
            {
                Span<byte> scratch = stackalloc byte[20];
                for (int i = 0; i < set.PositionLimit; i++)
                    if (set.TryGetAt(i, scratch, out var member)) Xor(digest, member);
                return;
            }
            case HashObject hash:
            {
                Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
                var it = hash.Iterate(scratch);
                while (it.MoveNext())
                {
                    pair.Clear();
                    Mix(pair, it.Field);
                    Mix(pair, it.Value);
                    Xor(digest, pair);
                }
                return;
            }
            case ZSetObject zset:
            {
                Span<byte> text = stackalloc byte[32];
                var walker = zset.WalkFrom(0);
                for (int i = 0; i < zset.Count; i++, walker.MoveNext())
                {
                    pair.Clear();
                    Mix(pair, walker.Member);
                    Mix(pair, text[..DoubleFormat.Format17g(walker.Score, text)]);
                    Xor(digest, pair);
                }
                return;
            }
        }
        throw new NotSupportedException($"digest of {o.Type} values is not implemented");
    }
}
