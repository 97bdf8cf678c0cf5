// A list value (Redis's quicklist): a deque of nodes, each node one byte block of packed elements
// (PackedEntry with back lengths, so a node is walked from either end). A node holds up to
// list-max-listpack-size worth of elements (negative: 4/8/16/32/64 KB; positive: that many
// elements, within 8 KB), so a million short elements cost their bytes plus ~2 bytes each, and
// the GC sees one array per node instead of one object per element.
// Nodes are structs in a ring buffer: pushing and popping at either end is O(1) on nodes, and a
// one-node list costs a single small node array; an index walks node counts first, then the
// elements of one node.
// Redis 7.0 reports every list as "quicklist" (the small-list listpack encoding came in 7.2).
namespace Csredis.Server.Keyspace.Types;

public sealed class ListObject : RedisObject
{
    /// <summary>list-max-listpack-size (alias list-max-ziplist-size), set by the config.</summary>
    public static int Fill = -2;

    /// <summary>Redis's SORT ... STORE builds its list with quicklistCreate's default fill (-2, 8 KB nodes)
    /// and never applies list-max-listpack-size to it: such a list keeps that fill for its life.</summary>
    public bool KeepsDefaultFill { get; init; }

    int OwnFill => KeepsDefaultFill ? -2 : Fill;
    int OwnNodeByteLimit => OwnFill >= 0 ? SafetyLimit : 4096 << Math.Min(4, -OwnFill - 1);

    const int SafetyLimit = 8192; // node bytes for a positive (count) fill, as Redis's SIZE_SAFETY_LIMIT

    // A struct in the ring, so a one-node list costs one small array of nodes and no node object.
    struct Node
    {
        public byte[] Data;
        public int Used;
        public int Count;
        public Node(int capacity) { Data = new byte[capacity]; Used = 0; Count = 0; }
    }

    Node[] _nodes = new Node[1]; // most lists are one node; the ring doubles as nodes are added
    int _head;       // ring index of the first node
    int _nodeCount;
    long _count;

    public ListObject(byte[] key) : base(key) { }

    public override ObjectType Type => ObjectType.List;
    public override string EncodingName => "quicklist";

    public long Count => _count;

    public override long MemoryBytes
    {
        get
        {
            long bytes = 56 + 24 + 16L * _nodes.Length + 24 + Key.Length;
            for (int i = 0; i < _nodeCount; i++) bytes += 24 + NodeAt(i).Data.Length;
            return bytes;
        }
    }

    ref Node NodeAt(int i) => ref _nodes[(_head + i) & (_nodes.Length - 1)];

    // ---- node ring ----

    void InsertNode(int at, Node node)
    {
        if (_nodeCount == _nodes.Length)
        {
            var bigger = new Node[_nodes.Length * 2];
            for (int i = 0; i < _nodeCount; i++) bigger[i] = NodeAt(i);
            _nodes = bigger;
            _head = 0;
        }
        int mask = _nodes.Length - 1;
        if (at == 0)
        {
            _head = (_head - 1) & mask;
        }
        else
        {
            for (int i = _nodeCount; i > at; i--) _nodes[(_head + i) & mask] = _nodes[(_head + i - 1) & mask];
        }
        _nodes[(_head + at) & mask] = node;
        _nodeCount++;
    }

    void RemoveNode(int at)
    {
        int mask = _nodes.Length - 1;
        if (at == 0)
        {
            _nodes[_head] = default;
            _head = (_head + 1) & mask;
        }
        else
        {
            for (int i = at; i < _nodeCount - 1; i++) _nodes[(_head + i) & mask] = _nodes[(_head + i + 1) & mask];
            _nodes[(_head + _nodeCount - 1) & mask] = default;
        }
        _nodeCount--;
        if (_nodeCount == 0) _head = 0;
    }

    /// <summary>Bytes a node may hold under the current fill (also where RDB writes cut listpack nodes).</summary>
    public static int NodeByteLimit => Fill >= 0 ? SafetyLimit : 4096 << Math.Min(4, -Fill - 1);

    /// <summary>Whether one more element of <paramref name="entrySize"/> bytes fits in <paramref name="node"/>.</summary>
    bool AllowsInsert(ref Node node, int entrySize)
    {
        if (node.Count == 0) return true;
        if (node.Used + entrySize > OwnNodeByteLimit) return false;
        return OwnFill < 0 || node.Count < Math.Max(1, OwnFill);
    }

    static void EnsureCapacity(ref Node node, int needed)
    {
        if (node.Data.Length >= needed) return;
        int limit = Math.Max(NodeByteLimit, needed);
        int size = Math.Min(limit, Math.Max(needed, node.Data.Length * 2));
        Array.Resize(ref node.Data, Math.Max(size, needed));
    }

    static void InsertInNode(ref Node node, int pos, ReadOnlySpan<byte> value, int entrySize)
    {
        EnsureCapacity(ref node, node.Used + entrySize);
        if (pos < node.Used) Buffer.BlockCopy(node.Data, pos, node.Data, pos + entrySize, node.Used - pos);
        PackedEntry.WriteWithBacklen(node.Data.AsSpan(pos), value);
        node.Used += entrySize;
        node.Count++;
    }

    static void RemoveInNode(ref Node node, int pos, int entrySize)
    {
        Buffer.BlockCopy(node.Data, pos + entrySize, node.Data, pos, node.Used - pos - entrySize);
        node.Used -= entrySize;
        node.Count--;
        // A node that shrank well below its capacity gives the memory back.
        if (node.Data.Length > 256 && node.Used < node.Data.Length / 4) Array.Resize(ref node.Data, Math.Max(64, node.Used * 2));
    }

    static int EntrySizeAt(ref Node node, int pos)
    {
        int size = PackedEntry.SizeAt(node.Data, pos);
        return size + PackedEntry.BacklenSize(size);
    }

    // ---- pushes and pops (also used by the blocking commands) ----

    /// <summary>A fresh end node: small while the list fits one node (many small lists stay small), full size once
    /// the list spans nodes, so a growing big list does not leave a trail of outgrown arrays behind.</summary>
    Node NewEndNode(int entrySize)
    {
        int full = Fill > 0 ? Math.Min(NodeByteLimit, Fill * entrySize) : NodeByteLimit;
        return new(_nodeCount == 0 ? Math.Min(entrySize * 4, Math.Max(entrySize, full)) : Math.Max(entrySize, full));
    }

    public void PushLeft(ReadOnlySpan<byte> value)
    {
        int size = PackedEntry.SizeWithBacklen(value);
        if (_nodeCount == 0 || !AllowsInsert(ref NodeAt(0), size)) InsertNode(0, NewEndNode(size));
        InsertInNode(ref NodeAt(0), 0, value, size);
        _count++;
    }

    public void PushRight(ReadOnlySpan<byte> value)
    {
        int size = PackedEntry.SizeWithBacklen(value);
        if (_nodeCount == 0 || !AllowsInsert(ref NodeAt(_nodeCount - 1), size)) InsertNode(_nodeCount, NewEndNode(size));
        ref var node = ref NodeAt(_nodeCount - 1);
        InsertInNode(ref node, node.Used, value, size);
        _count++;
    }

    /// <summary>Before pushing several elements of <paramref name="bytes"/> in total (their SizeWithBacklen) to one end:
    /// sizes that end's node once when they all fit, instead of growing it element by element.</summary>
    public void ReserveForPush(bool left, int bytes)
    {
        if (_nodeCount == 0)
        {
            InsertNode(0, new Node(Math.Min(bytes, NodeByteLimit)));
            return;
        }
        ref var node = ref NodeAt(left ? 0 : _nodeCount - 1);
        if (node.Used + bytes <= NodeByteLimit) EnsureExactCapacity(ref node, node.Used + bytes);
    }

    static void EnsureExactCapacity(ref Node node, int needed)
    {
        if (node.Data.Length < needed) Array.Resize(ref node.Data, needed);
    }

    public void Push(ReadOnlySpan<byte> value, bool left)
    {
        if (left) PushLeft(value);
        else PushRight(value);
    }

    /// <summary>Removes and returns the first element (null when empty).</summary>
    public byte[]? PopLeft() => Pop(left: true);

    /// <summary>Removes and returns the last element (null when empty).</summary>
    public byte[]? PopRight() => Pop(left: false);

    public byte[]? Pop(bool left)
    {
        if (_count == 0) return null;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        var value = Peek(left, scratch).ToArray();
        RemoveEnd(left);
        return value;
    }

    /// <summary>The first or last element without removing it; integers are formatted into <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<byte> Peek(bool left, Span<byte> scratch)
    {
        if (left) return PackedEntry.Read(NodeAt(0).Data, 0, scratch, out _);
        ref var node = ref NodeAt(_nodeCount - 1);
        int size = PackedEntry.ReadBacklen(node.Data, node.Used, out int backlen);
        return PackedEntry.Read(node.Data, node.Used - backlen - size, scratch, out _);
    }

    /// <summary>Drops the first or last element.</summary>
    public void RemoveEnd(bool left)
    {
        if (left)
        {
            ref var node = ref NodeAt(0);
            RemoveInNode(ref node, 0, EntrySizeAt(ref node, 0));
            if (node.Count == 0) RemoveNode(0);
        }
        else
        {
            ref var node = ref NodeAt(_nodeCount - 1);
            int size = PackedEntry.ReadBacklen(node.Data, node.Used, out int backlen);
            RemoveInNode(ref node, node.Used - backlen - size, size + backlen);
            if (node.Count == 0) RemoveNode(_nodeCount - 1);
        }
        _count--;
    }

    /// <summary>Drops <paramref name="n"/> elements from the head (or the tail), whole nodes at a time where possible.</summary>
    public void RemoveRange(bool left, long n)
    {
        n = Math.Min(n, _count);
        while (n > 0)
        {
            int at = left ? 0 : _nodeCount - 1;
            ref var node = ref NodeAt(at);
            if (node.Count <= n)
            {
                n -= node.Count;
                _count -= node.Count;
                RemoveNode(at);
                continue;
            }
            // Part of one node: find the byte boundary after (or before) n elements and cut once.
            int cut = left ? 0 : node.Used;
            for (long i = 0; i < n; i++)
            {
                if (left) cut += EntrySizeAt(ref node, cut);
                else
                {
                    int size = PackedEntry.ReadBacklen(node.Data, cut, out int backlen);
                    cut -= size + backlen;
                }
            }
            if (left) Buffer.BlockCopy(node.Data, cut, node.Data, 0, node.Used - cut);
            node.Used = left ? node.Used - cut : cut;
            node.Count -= (int)n;
            _count -= n;
            n = 0;
        }
    }

    // ---- positions: walking and editing in the middle ----

    /// <summary>Where one element sits: node ordinal and byte offset inside the node.</summary>
    public struct Position
    {
        public int Node;
        public int Offset;
    }

    /// <summary>Position of element <paramref name="index"/> (0-based from the head, already in range).</summary>
    public Position PositionOf(long index)
    {
        if (index < _count / 2)
        {
            int n = 0;
            while (index >= NodeAt(n).Count) { index -= NodeAt(n).Count; n++; }
            ref var node = ref NodeAt(n);
            int pos = 0;
            for (long i = 0; i < index; i++) pos += EntrySizeAt(ref node, pos);
            return new Position { Node = n, Offset = pos };
        }
        else
        {
            long fromTail = _count - 1 - index;
            int n = _nodeCount - 1;
            while (fromTail >= NodeAt(n).Count) { fromTail -= NodeAt(n).Count; n--; }
            ref var node = ref NodeAt(n);
            int end = node.Used;
            int size = 0, backlen = 0;
            for (long i = 0; i <= fromTail; i++)
            {
                size = PackedEntry.ReadBacklen(node.Data, end, out backlen);
                end -= size + backlen;
            }
            return new Position { Node = n, Offset = end };
        }
    }

    public Position First => new() { Node = 0, Offset = 0 };

    public Position Last
    {
        get
        {
            ref var node = ref NodeAt(_nodeCount - 1);
            int size = PackedEntry.ReadBacklen(node.Data, node.Used, out int backlen);
            return new Position { Node = _nodeCount - 1, Offset = node.Used - size - backlen };
        }
    }

    public ReadOnlySpan<byte> ValueAt(Position p, Span<byte> scratch) => PackedEntry.Read(NodeAt(p.Node).Data, p.Offset, scratch, out _);

    public bool ValueEquals(Position p, ReadOnlySpan<byte> other) => PackedEntry.EqualsAt(NodeAt(p.Node).Data, p.Offset, other);

    /// <summary>Moves to the next element; false at the end.</summary>
    public bool Next(ref Position p)
    {
        ref var node = ref NodeAt(p.Node);
        p.Offset += EntrySizeAt(ref node, p.Offset);
        if (p.Offset < node.Used) return true;
        if (p.Node + 1 >= _nodeCount) return false;
        p.Node++;
        p.Offset = 0;
        return true;
    }

    /// <summary>Moves to the previous element; false at the start.</summary>
    public bool Prev(ref Position p)
    {
        if (p.Offset == 0)
        {
            if (p.Node == 0) return false;
            p.Node--;
            p.Offset = NodeAt(p.Node).Used;
        }
        ref var node = ref NodeAt(p.Node);
        int size = PackedEntry.ReadBacklen(node.Data, p.Offset, out int backlen);
        p.Offset -= size + backlen;
        return true;
    }

    /// <summary>Removes the element at <paramref name="p"/>. Afterwards <paramref name="p"/> denotes the element that
    /// followed it (returns false when there is none); the elements before it keep their positions.</summary>
    public bool RemoveAt(ref Position p)
    {
        ref var node = ref NodeAt(p.Node);
        RemoveInNode(ref node, p.Offset, EntrySizeAt(ref node, p.Offset));
        _count--;
        if (node.Count == 0)
        {
            RemoveNode(p.Node);
            p.Offset = 0;
            return p.Node < _nodeCount;
        }
        if (p.Offset < node.Used) return true;
        p.Node++;
        p.Offset = 0;
        return p.Node < _nodeCount;
    }

    /// <summary>Replaces the element at <paramref name="p"/> (LSET).</summary>
    public void SetAt(Position p, ReadOnlySpan<byte> value)
    {
        ref var node = ref NodeAt(p.Node);
        RemoveInNode(ref node, p.Offset, EntrySizeAt(ref node, p.Offset));
        InsertInNode(ref node, p.Offset, value, PackedEntry.SizeWithBacklen(value));
        SplitIfOversized(p.Node);
    }

    /// <summary>Inserts before or after the element at <paramref name="p"/> (LINSERT).</summary>
    public void InsertAt(Position p, ReadOnlySpan<byte> value, bool after)
    {
        ref var node = ref NodeAt(p.Node);
        int pos = after ? p.Offset + EntrySizeAt(ref node, p.Offset) : p.Offset;
        InsertInNode(ref node, pos, value, PackedEntry.SizeWithBacklen(value));
        _count++;
        SplitIfOversized(p.Node);
    }

    /// <summary>A node grown past its limit by an insert in the middle is cut in two halves.</summary>
    void SplitIfOversized(int at)
    {
        ref var node = ref NodeAt(at);
        bool over = node.Used > OwnNodeByteLimit || OwnFill > 0 && node.Count > OwnFill;
        if (!over || node.Count < 2) return;
        int half = node.Count / 2, pos = 0;
        for (int i = 0; i < half; i++) pos += EntrySizeAt(ref node, pos);
        var right = new Node(node.Used - pos) { Used = node.Used - pos, Count = node.Count - half };
        Buffer.BlockCopy(node.Data, pos, right.Data, 0, right.Used);
        node.Used = pos;
        node.Count = half;
        Array.Resize(ref node.Data, Math.Max(pos, 16));
        InsertNode(at + 1, right);
    }

    /// <summary>A deep copy under another key (COPY, RENAME helpers).</summary>
    public override RedisObject Clone(byte[] newKey)
    {
        var copy = new ListObject(newKey) { KeepsDefaultFill = KeepsDefaultFill }; // quicklistDup keeps the fill
        for (int i = 0; i < _nodeCount; i++)
        {
            ref var node = ref NodeAt(i);
            var n = new Node(node.Used) { Used = node.Used, Count = node.Count };
            Buffer.BlockCopy(node.Data, 0, n.Data, 0, node.Used);
            copy.InsertNode(copy._nodeCount, n);
        }
        copy._count = _count;
        return copy;
    }
}
