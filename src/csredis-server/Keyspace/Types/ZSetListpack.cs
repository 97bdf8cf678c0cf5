// The "listpack" encoding of a small sorted set: one byte array of entries in (score, member)
// order, each [score: 8 bytes][varint length][member bytes][length again, readable backwards],
// so a walk can step both ways. Every operation is a linear scan, as in Redis, which only keeps
// sets of at most zset-max-listpack-entries members of at most zset-max-listpack-value bytes here.
using System.Buffers.Binary;

namespace Csredis.Server.Keyspace.Types;

public sealed class ZSetListpack
{
    byte[] _data = [];
    int _used;
    int _count;

    public int Count => _count;
    public int End => _used;
    public long MemoryBytes => _data.Length + 40;

    static int VarintSize(int v) => v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;

    public double ScoreAt(int offset) => BinaryPrimitives.ReadDoubleLittleEndian(_data.AsSpan(offset));

    public ReadOnlySpan<byte> MemberAt(int offset)
    {
        int p = offset + 8;
        int length = ReadVarint(ref p);
        return new ReadOnlySpan<byte>(_data, p, length);
    }

    public int Next(int offset)
    {
        int p = offset + 8;
        int length = ReadVarint(ref p);
        return p + length + VarintSize(length);
    }

    /// <summary>Start of the entry before the one at <paramref name="offset"/> (offset 0 has none).</summary>
    public int Prev(int offset)
    {
        // The trailing length is stored low 7 bits last, each earlier byte flagged with 0x80.
        int p = offset - 1;
        int length = _data[p] & 0x7F, shift = 7, size = 1;
        while ((_data[p] & 0x80) != 0)
        {
            p--;
            length |= (_data[p] & 0x7F) << shift;
            shift += 7;
            size++;
        }
        return offset - size - length - VarintSize(length) - 8;
    }

    int ReadVarint(ref int p)
    {
        byte b = _data[p++];
        if (b < 0x80) return b;
        int result = b & 0x7F, shift = 7;
        while (true)
        {
            b = _data[p++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
        }
    }

    public int OffsetOfRank(int rank)
    {
        int offset = 0;
        while (rank-- > 0) offset = Next(offset);
        return offset;
    }

    /// <summary>Offset of a member's entry (and its rank), or -1.</summary>
    public int Find(ReadOnlySpan<byte> member, out int rank)
    {
        rank = 0;
        for (int offset = 0; offset < _used; offset = Next(offset), rank++)
            if (MemberAt(offset).SequenceEqual(member)) return offset;
        rank = -1;
        return -1;
    }

    public void Insert(ReadOnlySpan<byte> member, double score)
    {
        // Redis stores an integral score as a listpack integer, which cannot hold -0.
        if (score == 0) score = 0;
        int offset = 0;
        while (offset < _used && ScoreTree.CompareElements(ScoreAt(offset), MemberAt(offset), score, member) < 0) offset = Next(offset);
        int vs = VarintSize(member.Length);
        int size = 8 + vs + member.Length + vs;
        if (_used + size > _data.Length)
        {
            var bigger = new byte[Math.Max(_used + size, Math.Min(_data.Length * 2, _used + size + 1024))];
            Buffer.BlockCopy(_data, 0, bigger, 0, _used);
            _data = bigger;
        }
        Buffer.BlockCopy(_data, offset, _data, offset + size, _used - offset);
        BinaryPrimitives.WriteDoubleLittleEndian(_data.AsSpan(offset), score);
        int p = offset + 8;
        uint u = (uint)member.Length;
        while (u >= 0x80) { _data[p++] = (byte)(u | 0x80); u >>= 7; }
        _data[p++] = (byte)u;
        member.CopyTo(_data.AsSpan(p));
        p += member.Length;
        // Backwards-readable copy of the length: highest 7 bits first, continuation flags on all but the last byte.
        for (int i = vs - 1; i >= 0; i--) _data[p++] = (byte)(((member.Length >> (7 * i)) & 0x7F) | (i > 0 ? 0x80 : 0));
        _used += size;
        _count++;
    }

    /// <summary>Removes <paramref name="count"/> entries starting at the entry at <paramref name="offset"/>.</summary>
    public void RemoveRange(int offset, int count)
    {
        int end = offset;
        for (int i = 0; i < count; i++) end = Next(end);
        Buffer.BlockCopy(_data, end, _data, offset, _used - end);
        _used -= end - offset;
        _count -= count;
        if (_data.Length > 256 && _used < _data.Length / 4) Array.Resize(ref _data, Math.Max(_used * 2, 64));
    }

    public ZSetListpack Clone() => new() { _data = _data.AsSpan(0, _used).ToArray(), _used = _used, _count = _count };
}
