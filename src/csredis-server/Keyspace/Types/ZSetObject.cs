// A sorted set value (Redis's t_zset.c object side). Two encodings, as in Redis 7.0:
//   "listpack" (ZSetListpack) while it has at most zset-max-listpack-entries members of at most
//              zset-max-listpack-value bytes;
//   "skiplist" otherwise: a MemberTable (member -> score, O(1) lookup) plus a ScoreTree (order,
//              O(log n) rank, select and bound search). Converting back only happens where Redis
//              does it: computed results that are stored get the encoding their size calls for.
// Commands address elements by rank: a bound search gives the first rank of a score or lex range,
// a ZWalker steps from a rank in either direction. Both encodings answer the same calls.
namespace Csredis.Server.Keyspace.Types;

public sealed class ZSetObject : RedisObject
{
    ZSetListpack? _pack;
    MemberTable? _table;
    ScoreTree? _tree;

    public ZSetObject(byte[] key, bool listpack = true) : base(key)
    {
        if (listpack) _pack = new ZSetListpack();
        else
        {
            _table = new MemberTable(withScores: true);
            _tree = new ScoreTree(_table);
        }
    }

    /// <summary>A new sorted set for ZADD: a listpack unless listpacks are disabled or the first member is too long (Redis 7.0).</summary>
    public static ZSetObject CreateForAdd(byte[] key, int firstMemberLength, long maxEntries, long maxValue) =>
        new(key, listpack: maxEntries != 0 && firstMemberLength <= maxValue);

    /// <summary>A computed result of known size: a listpack when it fits (zsetConvertToListpackIfNeeded).</summary>
    public static ZSetObject CreateForResult(byte[] key, long size, long longestMember, long maxEntries, long maxValue) =>
        new(key, listpack: size <= maxEntries && longestMember <= maxValue);

    public override ObjectType Type => ObjectType.ZSet;
    public override string EncodingName => _pack != null ? "listpack" : "skiplist";
    public bool IsListpack => _pack != null;
    public override long MemoryBytes => 48 + (_pack?.MemoryBytes ?? _table!.MemoryBytes + _tree!.MemoryBytes);
    public int Count => _pack?.Count ?? _table!.Count;

    public override RedisObject Clone(byte[] newKey)
    {
        var copy = new ZSetObject(newKey, listpack: true);
        if (_pack != null) copy._pack = _pack.Clone();
        else
        {
            copy._pack = null;
            copy._table = _table!.Clone();
            copy._tree = _tree!.Clone(copy._table);
        }
        return copy;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (_pack != null)
        {
            int offset = _pack.Find(member, out _);
            score = offset >= 0 ? _pack.ScoreAt(offset) : 0;
            return offset >= 0;
        }
        int id = _table!.Find(member);
        score = id >= 0 ? _table.Score(id) : 0;
        return id >= 0;
    }

    /// <summary>0-based ascending rank of a member, or -1.</summary>
    public int RankOf(ReadOnlySpan<byte> member)
    {
        if (_pack != null)
        {
            _pack.Find(member, out int rank);
            return rank;
        }
        int id = _table!.Find(member);
        return id < 0 ? -1 : _tree!.RankOf(id);
    }

    /// <summary>Adds a member known to be absent, converting to a skiplist first when Redis would.</summary>
    public void Insert(ReadOnlySpan<byte> member, double score, long maxEntries, long maxValue)
    {
        if (_pack != null && (_pack.Count + 1 > maxEntries || member.Length > maxValue)) ConvertToSkiplist();
        if (_pack != null)
        {
            _pack.Insert(member, score);
            return;
        }
        int id = _table!.Add(member);
        _table.Score(id) = score;
        _tree!.Insert(id);
    }

    /// <summary>Moves an existing member to a new score.</summary>
    public void UpdateScore(ReadOnlySpan<byte> member, double score)
    {
        if (_pack != null)
        {
            int offset = _pack.Find(member, out _);
            // The member's bytes live in the entry being removed: re-insert from a copy.
            var copy = member.Length <= 256 ? stackalloc byte[member.Length] : new byte[member.Length];
            member.CopyTo(copy);
            _pack.RemoveRange(offset, 1);
            _pack.Insert(copy, score);
            return;
        }
        int id = _table!.Find(member);
        _tree!.Delete(id);
        _table.Score(id) = score;
        _tree.Insert(id);
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_pack != null)
        {
            int offset = _pack.Find(member, out _);
            if (offset < 0) return false;
            _pack.RemoveRange(offset, 1);
            return true;
        }
        int id = _table!.Find(member);
        if (id < 0) return false;
        _tree!.Delete(id);
        _table.Remove(id);
        return true;
    }

    /// <summary>Removes <paramref name="count"/> elements from ascending rank <paramref name="start"/> on.</summary>
    public void RemoveRankRange(int start, int count)
    {
        if (count <= 0) return;
        if (_pack != null)
        {
            _pack.RemoveRange(_pack.OffsetOfRank(start), count);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            var leaf = _tree!.At(start, out int index);
            int id = leaf.Ids[index];
            _tree.Delete(id);
            _table!.Remove(id);
        }
    }

    /// <summary>
    /// The first rank, at or after <paramref name="fromRank"/>, whose element reaches the bound (Count if none).
    /// A listpack is scanned linearly from <paramref name="fromRank"/> as Redis does; the tree assumes the
    /// bound is monotone over the order (true for score bounds, and for lex bounds when scores are equal).
    /// </summary>
    public int FirstReached<TBound>(ref TBound bound, int fromRank = 0) where TBound : struct, IOrderBound
    {
        if (_pack != null)
        {
            int rank = 0;
            for (int offset = 0; offset < _pack.End; offset = _pack.Next(offset), rank++)
                if (rank >= fromRank && bound.IsReached(_pack.ScoreAt(offset), _pack.MemberAt(offset))) return rank;
            return rank;
        }
        return Math.Max(fromRank, _tree!.FirstReached(ref bound));
    }

    public ZWalker WalkFrom(int rank)
    {
        var walker = new ZWalker { Pack = _pack, Table = _table };
        if (_pack != null) walker.Offset = _pack.OffsetOfRank(rank);
        else walker.Leaf = _tree!.At(rank, out walker.Index);
        return walker;
    }

    /// <summary>ZSCAN step: a skiplist is scanned by bucket cursor (ids); a listpack is returned whole (cursor 0, ranks).</summary>
    public ulong Scan(ulong cursor, List<int> idsOrRanks)
    {
        if (_pack != null)
        {
            for (int i = 0; i < _pack.Count; i++) idsOrRanks.Add(i);
            return 0;
        }
        return _table!.Scan(cursor, idsOrRanks);
    }

    public ReadOnlySpan<byte> MemberById(int id) => _table!.Member(id);
    public double ScoreById(int id) => _table!.Score(id);

    /// <summary>Switches a listpack to the skiplist encoding (also SORT, which Redis makes convert whatever the size).</summary>
    public void ConvertToSkiplist()
    {
        if (_pack == null) return;
        var pack = _pack;
        _table = new MemberTable(withScores: true, pack.Count + 1);
        _tree = new ScoreTree(_table);
        for (int offset = 0; offset < pack.End; offset = pack.Next(offset))
        {
            int id = _table.Add(pack.MemberAt(offset));
            _table.Score(id) = pack.ScoreAt(offset);
            _tree.Insert(id);
        }
        _pack = null;
    }
}

/// <summary>A position in a sorted set that steps forwards or backwards in order.</summary>
public struct ZWalker
{
    internal ZSetListpack? Pack;
    internal MemberTable? Table;
    internal int Offset;
    internal ScoreTree.Leaf? Leaf;
    internal int Index;

    public readonly ReadOnlySpan<byte> Member => Pack != null ? Pack.MemberAt(Offset) : Table!.Member(Leaf!.Ids[Index]);
    public readonly double Score => Pack != null ? Pack.ScoreAt(Offset) : Table!.Score(Leaf!.Ids[Index]);

    public void MoveNext()
    {
        if (Pack != null) { Offset = Pack.Next(Offset); return; }
        if (++Index < Leaf!.Size) return;
        Leaf = Leaf.Next;
        Index = 0;
    }

    public void MovePrev()
    {
        if (Pack != null) { if (Offset > 0) Offset = Pack.Prev(Offset); return; }
        if (--Index >= 0) return;
        Leaf = Leaf!.Prev;
        if (Leaf != null) Index = Leaf.Size - 1;
    }
}
