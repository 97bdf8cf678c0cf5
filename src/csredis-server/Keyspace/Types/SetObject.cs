// A set value (Redis's t_set.c object side). Two encodings, as in Redis 7.0:
//   "intset"    while every member is an integer (string2ll rules) and there are at most
//               set-max-intset-entries of them;
//   "hashtable" otherwise (a MemberTable). A set never converts back.
// Members are visited by position: 0..PositionLimit, skipping holes, formatting integers into a
// caller's scratch buffer, so no iteration allocates.
using Csredis.Common.Text;

namespace Csredis.Server.Keyspace.Types;

public sealed class SetObject : RedisObject
{
    IntSet? _ints;
    MemberTable? _table;

    public SetObject(byte[] key) : base(key) => _ints = new IntSet();

    SetObject(byte[] key, IntSet? ints, MemberTable? table) : base(key)
    {
        _ints = ints;
        _table = table;
    }

    /// <summary>A set for a first member, with the encoding Redis gives it (setTypeCreate).</summary>
    public static SetObject CreateFor(byte[] key, ReadOnlySpan<byte> firstMember)
    {
        var set = new SetObject(key);
        if (!NumberParsing.TryParseInt64(firstMember, out _)) set.ConvertToTable(0);
        return set;
    }

    public override ObjectType Type => ObjectType.Set;
    public override string EncodingName => _ints != null ? "intset" : "hashtable";
    public bool IsIntSet => _ints != null;
    public override long MemoryBytes => 48 + (_ints?.MemoryBytes ?? _table!.MemoryBytes);
    public int Count => _ints?.Count ?? _table!.Count;

    public override RedisObject Clone(byte[] newKey) => new SetObject(newKey, _ints?.Clone(), _table?.Clone());

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_ints != null) return NumberParsing.TryParseInt64(member, out long v) && _ints.Contains(v);
        return _table!.Find(member) >= 0;
    }

    /// <summary>Adds a member (converting to a hashtable as Redis does); false when already present.</summary>
    public bool Add(ReadOnlySpan<byte> member, long maxIntsetEntries)
    {
        if (_ints != null)
        {
            if (NumberParsing.TryParseInt64(member, out long v))
            {
                if (!_ints.Add(v)) return false;
                if (_ints.Count > maxIntsetEntries) ConvertToTable(_ints.Count);
                return true;
            }
            ConvertToTable(_ints.Count + 1);
        }
        if (_table!.Find(member) >= 0) return false;
        _table.Add(member);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_ints != null) return NumberParsing.TryParseInt64(member, out long v) && _ints.Remove(v);
        if (_table!.Remove(member) < 0) return false;
        CompactIfSparse();
        return true;
    }

    /// <summary>
    /// Random picks probe ids, so after most members are gone (SPOP draining a set) the table is
    /// rebuilt densely; the cost is paid once per three quarters of the ids freed.
    /// </summary>
    void CompactIfSparse()
    {
        var table = _table!;
        if (table.HighWater < 64 || table.Count * 4 >= table.HighWater) return;
        var dense = new MemberTable(withScores: false, table.Count);
        for (int id = 0; id < table.HighWater; id++)
            if (table.IsLive(id)) dense.Add(table.Member(id));
        _table = dense;
    }

    void ConvertToTable(int capacity)
    {
        var table = new MemberTable(withScores: false, capacity);
        if (_ints != null)
        {
            Span<byte> digits = stackalloc byte[20];
            for (int i = 0; i < _ints.Count; i++)
                table.Add(digits[..NumberParsing.FormatInt64(_ints.Get(i), digits)]);
        }
        _table = table;
        _ints = null;
    }

    /// <summary>Positions run 0..PositionLimit; some may be holes (see <see cref="TryGetAt"/>).</summary>
    public int PositionLimit => _ints?.Count ?? _table!.HighWater;

    /// <summary>The member at a position, or false for a hole. <paramref name="scratch"/> (20 bytes) holds formatted integers.</summary>
    public bool TryGetAt(int position, Span<byte> scratch, out ReadOnlySpan<byte> member)
    {
        if (_ints != null)
        {
            member = scratch[..NumberParsing.FormatInt64(_ints.Get(position), scratch)];
            return true;
        }
        if (!_table!.IsLive(position)) { member = default; return false; }
        member = _table.Member(position);
        return true;
    }

    /// <summary>A position holding a member, chosen uniformly at random.</summary>
    public int RandomPosition(Random random) => _ints != null ? random.Next(_ints.Count) : _table!.RandomId(random);

    /// <summary>Removes the member at a position (as returned by <see cref="RandomPosition"/>).</summary>
    public void RemoveAt(int position)
    {
        if (_ints != null) _ints.RemoveAt(position);
        else
        {
            _table!.Remove(position);
            CompactIfSparse();
        }
    }

    /// <summary>SSCAN step: a hashtable is scanned by bucket cursor; an intset is returned whole (cursor 0).</summary>
    public ulong Scan(ulong cursor, List<int> positions)
    {
        if (_ints != null)
        {
            for (int i = 0; i < _ints.Count; i++) positions.Add(i);
            return 0;
        }
        return _table!.Scan(cursor, positions);
    }
}
