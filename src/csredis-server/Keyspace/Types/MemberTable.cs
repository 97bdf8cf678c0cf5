// A hash set of byte strings with stable int ids, optionally carrying a double per member: the
// "hashtable" of a large set and the member->score map of a large sorted set (Redis's dict of sds).
//
// Member bytes live in an append-only arena of 64 KB pages as [varint length][bytes], addressed by
// an int handle (page << 16 | offset); a member too large for a shared page gets a page of its own.
// Per member the table then holds only its bytes plus three ints (handle, chain link, bucket slot)
// and the optional 8-byte score, with no object per member for the GC to trace. Removing a member
// leaves its bytes as garbage; when garbage outweighs live bytes the arena is rewritten (amortised
// O(1) per removal). Ids are reused through a free list, so a sorted set's order tree can refer to
// members by id and read their bytes and score here.
// Buckets are a power of two (chained by id); SCAN uses Redis's reverse-binary cursor so a cursor
// stays valid across resizes, exactly as for the keyspace.
using System.Runtime.CompilerServices;

namespace Csredis.Server.Keyspace.Types;

public sealed class MemberTable
{
    const int PageBits = 16, PageSize = 1 << PageBits, PageMask = PageSize - 1;
    /// <summary>Members whose entry exceeds this go to a dedicated page (offset 0), keeping handles 16+16 bits.</summary>
    const int SharedPageLimit = PageSize / 4;
    const int MinBuckets = 4;

    byte[]?[] _pages = new byte[]?[4];
    int _pageCount;
    int _tailPage = -1, _tailOffset;
    long _liveBytes, _garbageBytes;

    int[] _handles;          // -1 for a free id
    int[] _next;             // chain link (id + 1, 0 ends) for live ids, next free id + 1 for free ones
    double[]? _scores;
    int _highWater, _freeHead, _count;
    int[] _buckets = new int[MinBuckets]; // id + 1 of the chain head

    public MemberTable(bool withScores, int capacity = 8)
    {
        capacity = Math.Max(capacity, 4);
        _handles = new int[capacity];
        _next = new int[capacity];
        if (withScores) _scores = new double[capacity];
    }

    public int Count => _count;
    /// <summary>Ids ever used; iterate 0..HighWater with <see cref="IsLive"/>.</summary>
    public int HighWater => _highWater;
    public bool IsLive(int id) => _handles[id] >= 0;

    public long MemoryBytes
    {
        get
        {
            long pages = 0;
            for (int p = 0; p < _pageCount; p++) pages += _pages[p]?.Length ?? 0;
            return pages + (long)_handles.Length * (8 + (_scores != null ? 8 : 0)) + 4L * _buckets.Length + 64;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Hash(ReadOnlySpan<byte> member) => KeyTable.HashKey(member);

    public ReadOnlySpan<byte> Member(int id)
    {
        int handle = _handles[id];
        var page = _pages[handle >>> PageBits]!;
        int offset = handle & PageMask;
        int length = ReadVarint(page, ref offset);
        return new ReadOnlySpan<byte>(page, offset, length);
    }

    public ref double Score(int id) => ref _scores![id];

    public int Find(ReadOnlySpan<byte> member)
    {
        int hash = Hash(member);
        for (int link = _buckets[hash & (_buckets.Length - 1)]; link != 0; link = _next[link - 1])
            if (Member(link - 1).SequenceEqual(member)) return link - 1;
        return -1;
    }

    /// <summary>Adds a member known to be absent; returns its id.</summary>
    public int Add(ReadOnlySpan<byte> member)
    {
        if (_count >= _buckets.Length) Resize(_buckets.Length * 2);
        int id;
        if (_freeHead != 0)
        {
            id = _freeHead - 1;
            _freeHead = _next[id];
        }
        else
        {
            if (_highWater == _handles.Length) GrowIds();
            id = _highWater++;
        }
        _handles[id] = Store(member);
        int bucket = Hash(member) & (_buckets.Length - 1);
        _next[id] = _buckets[bucket];
        _buckets[bucket] = id + 1;
        _count++;
        return id;
    }

    /// <summary>Removes the member with this id. Its bytes stay readable until the next Add.</summary>
    public void Remove(int id)
    {
        var member = Member(id);
        int bucket = Hash(member) & (_buckets.Length - 1);
        ref int link = ref _buckets[bucket];
        while (link != id + 1) link = ref _next[link - 1];
        link = _next[id];
        int entryBytes = EntryBytes(member.Length);
        if (member.Length + VarintSize(member.Length) > SharedPageLimit) _pages[_handles[id] >>> PageBits] = null;
        else _garbageBytes += entryBytes;
        _liveBytes -= entryBytes;
        _handles[id] = -1;
        _next[id] = _freeHead;
        _freeHead = id + 1;
        _count--;
        if (_count == 0) { Clear(); return; }
        if (_buckets.Length > MinBuckets && _count * 10 < _buckets.Length) Resize(NextPowerOfTwo(_count));
        if (_garbageBytes > PageSize && _garbageBytes > _liveBytes) CompactArena();
    }

    public int Remove(ReadOnlySpan<byte> member)
    {
        int id = Find(member);
        if (id >= 0) Remove(id);
        return id;
    }

    void Clear()
    {
        _pages = new byte[]?[4];
        _pageCount = 0;
        _tailPage = -1;
        _tailOffset = 0;
        _liveBytes = _garbageBytes = 0;
        _highWater = _freeHead = 0;
        _buckets = new int[MinBuckets];
        if (_handles.Length > 64)
        {
            _handles = new int[8];
            _next = new int[8];
            if (_scores != null) _scores = new double[8];
        }
    }

    void GrowIds()
    {
        int size = _handles.Length < 1024 ? _handles.Length * 2 : _handles.Length + _handles.Length / 2;
        Array.Resize(ref _handles, size);
        Array.Resize(ref _next, size);
        if (_scores != null) Array.Resize(ref _scores, size);
    }

    void Resize(int buckets)
    {
        buckets = Math.Max(MinBuckets, buckets);
        var table = new int[buckets];
        int mask = buckets - 1;
        for (int id = 0; id < _highWater; id++)
        {
            if (_handles[id] < 0) continue;
            int bucket = Hash(Member(id)) & mask;
            _next[id] = table[bucket];
            table[bucket] = id + 1;
        }
        _buckets = table;
    }

    static int NextPowerOfTwo(int n) => n <= MinBuckets ? MinBuckets : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n);

    static int VarintSize(int v) => v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
    static int EntryBytes(int length) => length + VarintSize(length);

    int Store(ReadOnlySpan<byte> member)
    {
        int size = EntryBytes(member.Length);
        byte[] page;
        int offset;
        if (size > SharedPageLimit)
        {
            page = new byte[size];
            int p = NewPage(page);
            WriteEntry(page, 0, member);
            _liveBytes += size;
            return p << PageBits;
        }
        if (_tailPage < 0 || _tailOffset + size > _pages[_tailPage]!.Length)
        {
            // Pages start small so a table of a few members stays small; the tail page doubles in
            // place (handles are page-relative, so they survive the copy) until it reaches full size.
            int needed = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(_tailOffset + size));
            if (_tailPage >= 0 && _pages[_tailPage]!.Length < PageSize && needed <= PageSize)
                Array.Resize(ref _pages[_tailPage], Math.Max(needed, _pages[_tailPage]!.Length * 2));
            else
            {
                int length = _tailPage < 0 ? Math.Max(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size)) : PageSize;
                _tailPage = NewPage(new byte[length]);
                _tailOffset = 0;
            }
        }
        page = _pages[_tailPage]!;
        offset = _tailOffset;
        WriteEntry(page, offset, member);
        _tailOffset += size;
        _liveBytes += size;
        return _tailPage << PageBits | offset;
    }

    int NewPage(byte[] page)
    {
        if (_pageCount == _pages.Length) Array.Resize(ref _pages, _pages.Length * 2);
        if (_pageCount >= 1 << 15) throw new InvalidOperationException("member table arena is full");
        _pages[_pageCount] = page;
        return _pageCount++;
    }

    static void WriteEntry(byte[] page, int offset, ReadOnlySpan<byte> member)
    {
        uint u = (uint)member.Length;
        while (u >= 0x80) { page[offset++] = (byte)(u | 0x80); u >>= 7; }
        page[offset++] = (byte)u;
        member.CopyTo(page.AsSpan(offset));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ReadVarint(byte[] page, ref int offset)
    {
        byte b = page[offset++];
        if (b < 0x80) return b;
        int result = b & 0x7F, shift = 7;
        while (true)
        {
            b = page[offset++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
        }
    }

    /// <summary>Rewrites every live member into fresh pages, dropping the garbage of removed ones.</summary>
    void CompactArena()
    {
        var oldPages = _pages;
        var oldHandles = (int[])_handles.Clone();
        _pages = new byte[]?[4];
        _pageCount = 0;
        _tailPage = -1;
        _tailOffset = 0;
        _liveBytes = _garbageBytes = 0;
        for (int id = 0; id < _highWater; id++)
        {
            int handle = oldHandles[id];
            if (handle < 0) continue;
            var page = oldPages[handle >>> PageBits]!;
            int offset = handle & PageMask;
            int length = ReadVarint(page, ref offset);
            _handles[id] = Store(new ReadOnlySpan<byte>(page, offset, length));
        }
    }

    /// <summary>A live id chosen uniformly at random.</summary>
    public int RandomId(Random random)
    {
        if (_count == 0) return -1;
        if (_count * 4 >= _highWater)
        {
            while (true)
            {
                int id = random.Next(_highWater);
                if (_handles[id] >= 0) return id;
            }
        }
        // Mostly free ids (after many removals): pick the n-th live one instead of probing blindly.
        int skip = random.Next(_count);
        for (int id = 0; ; id++)
            if (_handles[id] >= 0 && skip-- == 0) return id;
    }

    /// <summary>One SCAN step over the buckets (Redis's reverse-binary cursor); appends ids, returns the next cursor.</summary>
    public ulong Scan(ulong cursor, List<int> output)
    {
        if (_count == 0) return 0;
        ulong mask = (ulong)_buckets.Length - 1;
        for (int link = _buckets[(int)(cursor & mask)]; link != 0; link = _next[link - 1]) output.Add(link - 1);
        return KeyTable.NextCursor(cursor, mask);
    }

    public MemberTable Clone()
    {
        var copy = (MemberTable)MemberwiseClone();
        copy._pages = new byte[]?[_pages.Length];
        for (int p = 0; p < _pageCount; p++) copy._pages[p] = (byte[]?)_pages[p]?.Clone();
        copy._handles = (int[])_handles.Clone();
        copy._next = (int[])_next.Clone();
        copy._scores = (double[]?)_scores?.Clone();
        copy._buckets = (int[])_buckets.Clone();
        return copy;
    }
}
