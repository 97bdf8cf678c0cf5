// The order of a large sorted set: a counted B+tree of member ids (ids of a MemberTable that holds
// each member's bytes and score), sorted by (score, member bytes) exactly as Redis's skiplist.
// Every node knows how many elements it holds, so rank lookups, "element at rank" and "first rank
// satisfying a bound" all take O(log n); leaves are linked both ways for range walks.
// Inner nodes keep the first id of each child as separator; ids are live members, so a separator
// always reads current data. Leaves hold 4-byte ids only, about 6 bytes per element in total.
using System.Runtime.CompilerServices;

namespace Csredis.Server.Keyspace.Types;

/// <summary>A test over elements in sorted order that is false for a prefix and true after it.</summary>
public interface IOrderBound
{
    bool IsReached(double score, ReadOnlySpan<byte> member);
}

public sealed class ScoreTree
{
    const int LeafCapacity = 128, InnerCapacity = 64;

    public abstract class Node { public int Count; }

    public sealed class Leaf : Node
    {
        public readonly int[] Ids = new int[LeafCapacity];
        public int Size;
        public Leaf? Prev, Next;
    }

    sealed class Inner : Node
    {
        public readonly Node[] Children = new Node[InnerCapacity];
        public readonly int[] FirstIds = new int[InnerCapacity];
        public int Size;
    }

    readonly MemberTable _table;
    Node _root;
    Leaf _head;

    public ScoreTree(MemberTable table)
    {
        _table = table;
        _head = new Leaf();
        _root = _head;
    }

    public int Count => _root.Count;

    public long MemoryBytes => MemoryOf(_root);

    static long MemoryOf(Node n)
    {
        if (n is Leaf) return 48 + 24 + 4 * LeafCapacity;
        var inner = (Inner)n;
        long total = 48 + 48 + 12 * InnerCapacity;
        for (int i = 0; i < inner.Size; i++) total += MemoryOf(inner.Children[i]);
        return total;
    }

    /// <summary>Redis's order: by score, then by member bytes (memcmp, shorter first on a common prefix).</summary>
    public static int CompareElements(double scoreA, ReadOnlySpan<byte> memberA, double scoreB, ReadOnlySpan<byte> memberB)
    {
        if (scoreA < scoreB) return -1;
        if (scoreA > scoreB) return 1;
        return memberA.SequenceCompareTo(memberB);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int CompareIdTo(int id, double score, ReadOnlySpan<byte> member) =>
        CompareElements(_table.Score(id), _table.Member(id), score, member);

    static int FirstOf(Node n) => n is Leaf l ? l.Ids[0] : ((Inner)n).FirstIds[0];

    /// <summary>The child that holds (or would hold) the element: the last whose first element is not after it.</summary>
    int ChildFor(Inner inner, double score, ReadOnlySpan<byte> member)
    {
        int lo = 1, hi = inner.Size - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (CompareIdTo(inner.FirstIds[mid], score, member) <= 0) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    /// <summary>First index in the leaf whose element is not before (score, member).</summary>
    int LowerBound(Leaf leaf, double score, ReadOnlySpan<byte> member)
    {
        int lo = 0, hi = leaf.Size;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (CompareIdTo(leaf.Ids[mid], score, member) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Inserts an id whose score and member are already set in the table.</summary>
    public void Insert(int id)
    {
        double score = _table.Score(id);
        var member = _table.Member(id);
        var split = InsertInto(_root, id, score, member);
        if (split == null) return;
        var root = new Inner();
        root.Children[0] = _root;
        root.FirstIds[0] = FirstOf(_root);
        root.Children[1] = split;
        root.FirstIds[1] = FirstOf(split);
        root.Size = 2;
        root.Count = _root.Count + split.Count;
        _root = root;
    }

    Node? InsertInto(Node node, int id, double score, ReadOnlySpan<byte> member)
    {
        if (node is Leaf leaf)
        {
            int pos = LowerBound(leaf, score, member);
            Leaf target = leaf;
            Leaf? right = null;
            if (leaf.Size == LeafCapacity)
            {
                right = SplitLeaf(leaf);
                if (pos > leaf.Size) { target = right; pos -= leaf.Size; }
            }
            Array.Copy(target.Ids, pos, target.Ids, pos + 1, target.Size - pos);
            target.Ids[pos] = id;
            target.Size++;
            target.Count = target.Size;
            return right;
        }
        var inner = (Inner)node;
        int index = ChildFor(inner, score, member);
        var child = inner.Children[index];
        var sibling = InsertInto(child, id, score, member);
        inner.FirstIds[index] = FirstOf(child);
        inner.Count++;
        if (sibling == null) return null;
        Inner targetInner = inner;
        Inner? rightInner = null;
        int at = index + 1;
        if (inner.Size == InnerCapacity)
        {
            rightInner = SplitInner(inner);
            if (at > inner.Size) { targetInner = rightInner; at -= inner.Size; }
        }
        Array.Copy(targetInner.Children, at, targetInner.Children, at + 1, targetInner.Size - at);
        Array.Copy(targetInner.FirstIds, at, targetInner.FirstIds, at + 1, targetInner.Size - at);
        targetInner.Children[at] = sibling;
        targetInner.FirstIds[at] = FirstOf(sibling);
        targetInner.Size++;
        if (rightInner != null)
        {
            // Counts moved with the children; recompute both halves (sibling's elements included).
            inner.Count = SumCounts(inner);
            rightInner.Count = SumCounts(rightInner);
        }
        return rightInner;
    }

    static int SumCounts(Inner inner)
    {
        int total = 0;
        for (int i = 0; i < inner.Size; i++) total += inner.Children[i].Count;
        return total;
    }

    Leaf SplitLeaf(Leaf leaf)
    {
        var right = new Leaf();
        int half = leaf.Size / 2;
        right.Size = leaf.Size - half;
        Array.Copy(leaf.Ids, half, right.Ids, 0, right.Size);
        leaf.Size = half;
        leaf.Count = half;
        right.Count = right.Size;
        right.Next = leaf.Next;
        if (right.Next != null) right.Next.Prev = right;
        right.Prev = leaf;
        leaf.Next = right;
        return right;
    }

    static Inner SplitInner(Inner inner)
    {
        var right = new Inner();
        int half = inner.Size / 2;
        right.Size = inner.Size - half;
        Array.Copy(inner.Children, half, right.Children, 0, right.Size);
        Array.Copy(inner.FirstIds, half, right.FirstIds, 0, right.Size);
        Array.Clear(inner.Children, half, right.Size);
        inner.Size = half;
        return right;
    }

    /// <summary>Removes an id; its score and member must still be readable in the table.</summary>
    public void Delete(int id)
    {
        double score = _table.Score(id);
        var member = _table.Member(id);
        DeleteFrom(_root, id, score, member);
        while (_root is Inner inner && inner.Size == 1) _root = inner.Children[0];
    }

    void DeleteFrom(Node node, int id, double score, ReadOnlySpan<byte> member)
    {
        node.Count--;
        if (node is Leaf leaf)
        {
            int pos = LowerBound(leaf, score, member);
            Array.Copy(leaf.Ids, pos + 1, leaf.Ids, pos, leaf.Size - pos - 1);
            leaf.Size--;
            return;
        }
        var inner = (Inner)node;
        int index = ChildFor(inner, score, member);
        var child = inner.Children[index];
        DeleteFrom(child, id, score, member);
        if (child.Count == 0 && inner.Size > 1)
        {
            RemoveChild(inner, index);
            return;
        }
        if (child.Count > 0) inner.FirstIds[index] = FirstOf(child);
        if (inner.Size > 1 && SizeOf(child) < CapacityOf(child) / 4)
        {
            int left = index + 1 < inner.Size ? index : index - 1;
            var a = inner.Children[left];
            var b = inner.Children[left + 1];
            if (SizeOf(a) + SizeOf(b) <= CapacityOf(a))
            {
                Merge(a, b);
                RemoveChild(inner, left + 1);
            }
        }
    }

    static int SizeOf(Node n) => n is Leaf l ? l.Size : ((Inner)n).Size;
    static int CapacityOf(Node n) => n is Leaf ? LeafCapacity : InnerCapacity;

    void RemoveChild(Inner inner, int index)
    {
        if (inner.Children[index] is Leaf gone)
        {
            if (gone.Prev != null) gone.Prev.Next = gone.Next; else _head = gone.Next!;
            if (gone.Next != null) gone.Next.Prev = gone.Prev;
        }
        Array.Copy(inner.Children, index + 1, inner.Children, index, inner.Size - index - 1);
        Array.Copy(inner.FirstIds, index + 1, inner.FirstIds, index, inner.Size - index - 1);
        inner.Size--;
        inner.Children[inner.Size] = null!;
    }

    static void Merge(Node a, Node b)
    {
        if (a is Leaf la)
        {
            var lb = (Leaf)b;
            Array.Copy(lb.Ids, 0, la.Ids, la.Size, lb.Size);
            la.Size += lb.Size;
            la.Count = la.Size;
            return; // the caller unlinks b
        }
        var ia = (Inner)a;
        var ib = (Inner)b;
        Array.Copy(ib.Children, 0, ia.Children, ia.Size, ib.Size);
        Array.Copy(ib.FirstIds, 0, ia.FirstIds, ia.Size, ib.Size);
        ia.Size += ib.Size;
        ia.Count += ib.Count;
    }

    /// <summary>0-based rank of a live id.</summary>
    public int RankOf(int id)
    {
        double score = _table.Score(id);
        var member = _table.Member(id);
        int rank = 0;
        var node = _root;
        while (node is Inner inner)
        {
            int index = ChildFor(inner, score, member);
            for (int i = 0; i < index; i++) rank += inner.Children[i].Count;
            node = inner.Children[index];
        }
        return rank + LowerBound((Leaf)node, score, member);
    }

    /// <summary>The leaf and index of the element at a rank (0 &lt;= rank &lt; Count).</summary>
    public Leaf At(int rank, out int index)
    {
        var node = _root;
        while (node is Inner inner)
        {
            int i = 0;
            while (rank >= inner.Children[i].Count) { rank -= inner.Children[i].Count; i++; }
            node = inner.Children[i];
        }
        index = rank;
        return (Leaf)node;
    }

    /// <summary>The rank of the first element for which the bound is reached (Count when none).</summary>
    public int FirstReached<TBound>(ref TBound bound) where TBound : struct, IOrderBound
    {
        int rank = 0;
        var node = _root;
        while (node is Inner inner)
        {
            // The last child whose first element has not reached the bound holds the boundary.
            int lo = 1, hi = inner.Size - 1, found = 0;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                int first = inner.FirstIds[mid];
                if (!bound.IsReached(_table.Score(first), _table.Member(first))) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            for (int i = 0; i < found; i++) rank += inner.Children[i].Count;
            node = inner.Children[found];
        }
        var leaf = (Leaf)node;
        int a = 0, b = leaf.Size;
        while (a < b)
        {
            int mid = (a + b) >>> 1;
            int id = leaf.Ids[mid];
            if (!bound.IsReached(_table.Score(id), _table.Member(id))) a = mid + 1;
            else b = mid;
        }
        return rank + a;
    }

    public ScoreTree Clone(MemberTable table)
    {
        var copy = new ScoreTree(table);
        Leaf? previous = null;
        copy._root = CloneNode(_root, ref previous, copy);
        return copy;
    }

    static Node CloneNode(Node node, ref Leaf? previous, ScoreTree owner)
    {
        if (node is Leaf leaf)
        {
            var copy = new Leaf { Size = leaf.Size, Count = leaf.Count, Prev = previous };
            Array.Copy(leaf.Ids, copy.Ids, leaf.Size);
            if (previous != null) previous.Next = copy; else owner._head = copy;
            previous = copy;
            return copy;
        }
        var inner = (Inner)node;
        var innerCopy = new Inner { Size = inner.Size, Count = inner.Count };
        Array.Copy(inner.FirstIds, innerCopy.FirstIds, inner.Size);
        for (int i = 0; i < inner.Size; i++) innerCopy.Children[i] = CloneNode(inner.Children[i], ref previous, owner);
        return innerCopy;
    }
}
