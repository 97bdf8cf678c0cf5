// The keyspace hash table (Redis's dict.c, shaped for a garbage-collected runtime).
//
// Entries live in a pool of fixed-size chunks and are addressed by an int index that never
// changes while the key exists: chains link entries by index, and resizing only relinks them
// into a new bucket array. That keeps the per-key cost at one 16-byte struct (item reference,
// hash, next) plus a 4-byte bucket slot, with no per-key node object for the GC to trace.
// Resizing is incremental as in Redis: while a second bucket array exists, every operation and
// the server cron move a few buckets over, so a table of millions of keys never stalls the loop.
// SCAN uses Redis's reverse-binary cursor, which visits every key present for the whole scan
// even if the table grows or shrinks in between.
// The optional long payload per entry is what the expires table stores (the expiry time).
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Csredis.Server.Keyspace;

public sealed class KeyTable
{
    struct Entry
    {
        public object? Item;
        public int Hash;
        public int Next; // index + 1 of the next entry in the chain or the free list; 0 ends it
    }

    const int ChunkBits = 12, ChunkSize = 1 << ChunkBits, ChunkMask = ChunkSize - 1;
    const int InitialBuckets = 4;

    Entry[][] _chunks = new Entry[4][];
    long[][]? _payloads;
    readonly bool _hasPayload;
    int _highWater;   // entries ever allocated (indices below it are valid or free)
    int _freeHead;    // index + 1 of the first free entry
    int _count;

    int[] _buckets0 = new int[InitialBuckets]; // index + 1 of the chain head; 0 = empty bucket
    int[]? _buckets1;
    int _rehashIndex = -1;
    /// <summary>While a snapshot iterates bucket order, rehashing must wait (as Redis pauses it under a fork).</summary>
    public int RehashPaused;

    public KeyTable(bool withPayload)
    {
        _hasPayload = withPayload;
        if (withPayload) _payloads = new long[4][];
    }

    public int Count => _count;
    public bool IsRehashing => _buckets1 != null;
    public int BucketCount => _buckets0.Length + (_buckets1?.Length ?? 0);
    /// <summary>Entries ever allocated; iterate 0..HighWater with <see cref="ItemAtOrNull"/> to visit every key.</summary>
    public int HighWater => _highWater;

    /// <summary>Bytes of managed memory the table structure itself holds (buckets and entry chunks).</summary>
    public long StructureBytes
    {
        get
        {
            long chunks = (long)((_highWater + ChunkMask) >> ChunkBits) * ChunkSize;
            return chunks * (16 + (_hasPayload ? 8 : 0)) + 4L * BucketCount;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HashKey(ReadOnlySpan<byte> key)
    {
        // HashCode is seeded randomly per process, which keeps bucket order unpredictable (hash flooding).
        var h = new HashCode();
        h.AddBytes(key);
        return h.ToHashCode();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ref Entry At(int index) => ref _chunks[index >> ChunkBits][index & ChunkMask];

    public object ItemAt(int index) => At(index).Item!;
    public object? ItemAtOrNull(int index) => At(index).Item;
    public void SetItem(int index, object item) => At(index).Item = item;
    public int HashAt(int index) => At(index).Hash;
    public ref long PayloadAt(int index) => ref _payloads![index >> ChunkBits][index & ChunkMask];

    /// <summary>Index of the entry holding <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        if (_count == 0) return -1;
        if (_buckets1 != null) RehashStep(1);
        int i = FindIn(_buckets0, key, hash);
        if (i >= 0 || _buckets1 == null) return i;
        return FindIn(_buckets1, key, hash);
    }

    int FindIn(int[] buckets, ReadOnlySpan<byte> key, int hash)
    {
        int link = buckets[hash & (buckets.Length - 1)];
        while (link != 0)
        {
            ref Entry e = ref At(link - 1);
            if (e.Hash == hash && StoredKey.Of(e.Item!).SequenceEqual(key)) return link - 1;
            link = e.Next;
        }
        return -1;
    }

    /// <summary>Adds an item whose key is known to be absent; returns its entry index.</summary>
    public int Insert(object item, int hash)
    {
        if (_buckets1 != null) RehashStep(1);
        else if (_count >= _buckets0.Length && RehashPaused == 0) StartResize(_buckets0.Length * 2);
        int index = AllocateEntry();
        ref Entry e = ref At(index);
        e.Item = item;
        e.Hash = hash;
        int[] target = _buckets1 ?? _buckets0;
        ref int head = ref target[hash & (target.Length - 1)];
        e.Next = head;
        head = index + 1;
        _count++;
        return index;
    }

    /// <summary>Unlinks the entry holding <paramref name="key"/>; returns its (now freed) index or -1.</summary>
    public int Remove(ReadOnlySpan<byte> key, int hash)
    {
        if (_count == 0) return -1;
        if (_buckets1 != null) RehashStep(1);
        int i = RemoveFrom(_buckets0, key, hash);
        if (i < 0 && _buckets1 != null) i = RemoveFrom(_buckets1, key, hash);
        return i;
    }

    int RemoveFrom(int[] buckets, ReadOnlySpan<byte> key, int hash)
    {
        ref int link = ref buckets[hash & (buckets.Length - 1)];
        while (link != 0)
        {
            int index = link - 1;
            ref Entry e = ref At(index);
            if (e.Hash == hash && StoredKey.Of(e.Item!).SequenceEqual(key))
            {
                link = e.Next;
                e.Item = null;
                e.Next = _freeHead;
                _freeHead = index + 1;
                _count--;
                return index;
            }
            link = ref e.Next;
        }
        return -1;
    }

    /// <summary>Drops every entry and returns to the initial size (FLUSHDB).</summary>
    public void Clear()
    {
        _chunks = new Entry[4][];
        if (_hasPayload) _payloads = new long[4][];
        _highWater = _freeHead = _count = 0;
        _buckets0 = new int[InitialBuckets];
        _buckets1 = null;
        _rehashIndex = -1;
    }

    /// <summary>
    /// Sizes an empty table for <paramref name="entries"/> keys in one step (an RDB's RESIZEDB), so
    /// loading a file never rehashes nor grows the chunk directory.
    /// </summary>
    public void Reserve(int entries)
    {
        if (_count != 0 || _buckets1 != null || entries <= _buckets0.Length) return;
        _buckets0 = new int[(int)BitOperations.RoundUpToPowerOf2((uint)entries)];
        int chunks = (entries + ChunkMask) >> ChunkBits;
        if (chunks <= _chunks.Length) return;
        int directory = (int)BitOperations.RoundUpToPowerOf2((uint)chunks);
        Array.Resize(ref _chunks, directory);
        if (_hasPayload) Array.Resize(ref _payloads, directory);
    }

    int AllocateEntry()
    {
        if (_freeHead != 0)
        {
            int index = _freeHead - 1;
            _freeHead = At(index).Next;
            return index;
        }
        int chunk = _highWater >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunks.Length * 2);
            if (_hasPayload) Array.Resize(ref _payloads, _chunks.Length);
        }
        if (_chunks[chunk] == null)
        {
            _chunks[chunk] = new Entry[ChunkSize];
            if (_hasPayload) _payloads![chunk] = new long[ChunkSize];
        }
        return _highWater++;
    }

    void StartResize(int buckets)
    {
        if (buckets < InitialBuckets) buckets = InitialBuckets;
        if (buckets == _buckets0.Length) return;
        _buckets1 = new int[buckets];
        _rehashIndex = 0;
    }

    /// <summary>Starts shrinking when the table is under 10% full, as Redis's htNeedsResize.</summary>
    public void ShrinkIfSparse()
    {
        if (_buckets1 != null || RehashPaused != 0) return;
        if (_buckets0.Length > InitialBuckets && (long)_count * 10 < _buckets0.Length)
            StartResize((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(_count, InitialBuckets)));
    }

    /// <summary>Moves up to <paramref name="buckets"/> buckets to the new array (visiting at most 10x as many empty ones).</summary>
    public bool RehashStep(int buckets)
    {
        if (_buckets1 == null || RehashPaused != 0) return false;
        int emptyVisits = buckets * 10;
        int[] from = _buckets0, to = _buckets1;
        int toMask = to.Length - 1;
        while (buckets-- > 0 && _rehashIndex < from.Length)
        {
            while (from[_rehashIndex] == 0)
            {
                _rehashIndex++;
                if (_rehashIndex >= from.Length) break;
                if (--emptyVisits == 0) return true;
            }
            if (_rehashIndex >= from.Length) break;
            int link = from[_rehashIndex];
            while (link != 0)
            {
                ref Entry e = ref At(link - 1);
                int next = e.Next;
                ref int head = ref to[e.Hash & toMask];
                e.Next = head;
                head = link;
                link = next;
            }
            from[_rehashIndex] = 0;
            _rehashIndex++;
        }
        if (_rehashIndex >= from.Length)
        {
            _buckets0 = to;
            _buckets1 = null;
            _rehashIndex = -1;
            return false;
        }
        return true;
    }

    /// <summary>Rehashes for about <paramref name="ms"/> milliseconds (serverCron's activerehashing).</summary>
    public void RehashForMilliseconds(int ms)
    {
        long deadline = Common.Clock.MonotonicUs() + ms * 1000L;
        while (RehashStep(100))
            if (Common.Clock.MonotonicUs() >= deadline) break;
    }

    /// <summary>
    /// One SCAN step: appends the indices of the entries of the buckets the cursor covers and
    /// returns the next cursor (0 when done). The reverse-binary increment makes the cursor valid
    /// across resizes: buckets of a smaller table expand to a contiguous set of the larger one.
    /// </summary>
    public ulong Scan(ulong cursor, List<int> output)
    {
        if (_count == 0) return 0;
        if (_buckets1 == null)
        {
            ulong mask = (ulong)_buckets0.Length - 1;
            CollectBucket(_buckets0, (int)(cursor & mask), output);
            return NextCursor(cursor, mask);
        }
        int[] small = _buckets0, large = _buckets1;
        if (small.Length > large.Length) (small, large) = (large, small);
        ulong smallMask = (ulong)small.Length - 1, largeMask = (ulong)large.Length - 1;
        CollectBucket(small, (int)(cursor & smallMask), output);
        do
        {
            CollectBucket(large, (int)(cursor & largeMask), output);
            cursor = NextCursor(cursor, largeMask);
        } while ((cursor & (largeMask ^ smallMask)) != 0);
        return cursor;
    }

    /// <summary>Redis's reverse-binary cursor increment (shared with the member tables of sets and sorted sets).</summary>
    internal static ulong NextCursor(ulong cursor, ulong mask)
    {
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v);
    }

    void CollectBucket(int[] buckets, int bucket, List<int> output)
    {
        for (int link = buckets[bucket]; link != 0; link = At(link - 1).Next) output.Add(link - 1);
    }

    /// <summary>A uniformly chosen bucket, then a uniformly chosen entry of its chain (Redis's dictGetFairRandomKey is close enough for RANDOMKEY and expiry sampling).</summary>
    public int RandomEntry(Random random)
    {
        if (_count == 0) return -1;
        if (_buckets1 != null) RehashStep(1);
        while (true)
        {
            int link;
            if (_buckets1 == null)
                link = _buckets0[random.Next(_buckets0.Length)];
            else
            {
                // Buckets below the rehash index are already empty in the old array.
                int span = _buckets0.Length - _rehashIndex + _buckets1.Length;
                int pick = random.Next(span);
                link = pick < _buckets1.Length ? _buckets1[pick] : _buckets0[_rehashIndex + pick - _buckets1.Length];
            }
            if (link == 0) continue;
            int length = 0;
            for (int l = link; l != 0; l = At(l - 1).Next) length++;
            int skip = random.Next(length);
            while (skip-- > 0) link = At(link - 1).Next;
            return link - 1;
        }
    }
}
