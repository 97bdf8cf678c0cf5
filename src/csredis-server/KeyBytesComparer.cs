// Dictionaries keyed by byte strings (watched keys, channels, blocking keys) that can be probed
// with a ReadOnlySpan<byte> straight from the query buffer: the span lookup avoids copying the
// key just to find out nobody is interested in it.
namespace Csredis.Server;

public sealed class KeyBytesComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly KeyBytesComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
    public int GetHashCode(byte[] key) => Hash(key);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);
    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

    static int Hash(ReadOnlySpan<byte> key) => Keyspace.KeyTable.HashKey(key);

    public static Dictionary<byte[], TValue> NewDictionary<TValue>() => new(Instance);
}
