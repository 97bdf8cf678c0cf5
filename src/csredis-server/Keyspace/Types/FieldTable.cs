// The table behind a big hash (Redis's "hashtable" encoding), built so a million fields cost
// their bytes plus ~14, with no object per field for the GC to trace.
//
// Entries are packed into 64 KB pages of an arena: [next:int32][hash:int32][field length varint]
// [value length varint][field][value]. An entry is addressed by an int location (page << 16 |
// offset); big entries (over 4 KB) get an array of their own, addressed with the high bit set.
// Buckets hold the location of a chain head, chains link entries through their `next` field.
// The bucket count is a power of two indexed by the low hash bits, which is what lets SCAN use
// Redis's reverse-binary cursor: every field present for the whole scan is returned even if the
// table doubles or halves in between. Overwritten and deleted entries leave holes; once holes
// outweigh live bytes the arena is rewritten (locations change, buckets do not).
using System.Buffers.Binary;
using System.Numerics;

namespace Csredis.Server.Keyspace.Types;

public sealed class FieldTable
{
    const int PageBits = 16, PageSize = 1 << PageBits, OffsetMask = PageSize - 1;
    const int BigEntry = 4096;
    const int BigFlag = int.MinValue;
    const int MaxPages = 1 << 15;

    int[] _buckets = new int[4];
    byte[][] _pages = new byte[1][];
    int _pageCount;
    int _tail;              // write offset in the last page
    byte[]?[] _big = new byte[4][];
    int _bigCount;
    readonly Stack<int> _freeBig = new();
    int _count;
    long _liveBytes, _garbageBytes;

    public int Count => _count;
    public int BucketCount => _buckets.Length;

    public long MemoryBytes
    {
        get
        {
            long bytes = 96 + 4L * _buckets.Length + 8L * _pages.Length + (long)_pageCount * (PageSize + 24) + 8L * _big.Length;
            for (int i = 0; i < _bigCount; i++) if (_big[i] is { } b) bytes += 24 + b.Length;
            return bytes;
        }
    }

    public FieldTable(int expectedCount)
    {
        int size = 4;
        while (size < expectedCount) size <<= 1;
        _buckets = new int[size];
    }

    // ---- entry access ----

    byte[] BlockOf(int loc, out int offset)
    {
        if (loc < 0) { offset = 0; return _big[loc & ~BigFlag]!; }
        offset = loc & OffsetMask;
        return _pages[loc >>> PageBits];
    }

    static int VarintSize(int v) => v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;

    static int WriteVarint(Span<byte> dst, int v)
    {
        int i = 0;
        uint u = (uint)v;
        while (u >= 0x80) { dst[i++] = (byte)(u | 0x80); u >>= 7; }
        dst[i++] = (byte)u;
        return i;
    }

    static int ReadVarint(byte[] block, ref int pos)
    {
        int result = 0, shift = 0;
        while (true)
        {
            byte b = block[pos++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
        }
    }

    static int NextOf(byte[] block, int offset) => BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(offset));
    static void SetNext(byte[] block, int offset, int next) => BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(offset), next);
    int NextOf(int loc) { var b = BlockOf(loc, out int o); return NextOf(b, o); }
    void SetNext(int loc, int next) { var b = BlockOf(loc, out int o); SetNext(b, o, next); }
    int HashOf(int loc) { var b = BlockOf(loc, out int o); return BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(o + 4)); }

    public ReadOnlySpan<byte> FieldAt(int loc)
    {
        var block = BlockOf(loc, out int pos);
        pos += 8;
        int flen = ReadVarint(block, ref pos);
        ReadVarint(block, ref pos);
        return new ReadOnlySpan<byte>(block, pos, flen);
    }

    int ValueOffset(int loc, out byte[] block, out int valueLength)
    {
        block = BlockOf(loc, out int pos);
        pos += 8;
        int flen = ReadVarint(block, ref pos);
        valueLength = ReadVarint(block, ref pos);
        return pos + flen;
    }

    public ReadOnlySpan<byte> ValueAt(int loc)
    {
        var block = BlockOf(loc, out int pos);
        pos += 8;
        int flen = ReadVarint(block, ref pos);
        int vlen = ReadVarint(block, ref pos);
        return new ReadOnlySpan<byte>(block, pos + flen, vlen);
    }

    int EntrySize(int loc)
    {
        var block = BlockOf(loc, out int pos);
        int start = pos;
        pos += 8;
        int flen = ReadVarint(block, ref pos);
        int vlen = ReadVarint(block, ref pos);
        return pos - start + flen + vlen;
    }

    int Write(int hash, int next, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int size = 8 + VarintSize(field.Length) + VarintSize(value.Length) + field.Length + value.Length;
        byte[] block;
        int loc, pos;
        if (size > BigEntry)
        {
            block = new byte[size];
            int index = _freeBig.Count > 0 ? _freeBig.Pop() : _bigCount++;
            if (index >= _big.Length) Array.Resize(ref _big, _big.Length * 2);
            _big[index] = block;
            loc = BigFlag | index;
            pos = 0;
        }
        else
        {
            if (_pageCount == 0 || _tail + size > PageSize) AddPage();
            block = _pages[_pageCount - 1];
            pos = _tail;
            loc = (_pageCount - 1) << PageBits | pos;
            _tail += size;
        }
        var span = block.AsSpan(pos);
        BinaryPrimitives.WriteInt32LittleEndian(span, next);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], hash);
        int p = 8;
        p += WriteVarint(span[p..], field.Length);
        p += WriteVarint(span[p..], value.Length);
        field.CopyTo(span[p..]);
        value.CopyTo(span[(p + field.Length)..]);
        _liveBytes += size;
        return loc;
    }

    void AddPage()
    {
        if (_pageCount > 0) _garbageBytes += PageSize - _tail; // the unused end of the page
        if (_pageCount == MaxPages) throw new InvalidOperationException("hash too large");
        if (_pageCount == _pages.Length) Array.Resize(ref _pages, _pages.Length * 2);
        // Location 0 means "no entry", so the very first page starts at offset 8.
        _pages[_pageCount++] = new byte[PageSize];
        _tail = _pageCount == 1 ? 8 : 0;
    }

    void Release(int loc)
    {
        if (loc < 0)
        {
            int index = loc & ~BigFlag;
            _liveBytes -= _big[index]!.Length;
            _big[index] = null;
            _freeBig.Push(index);
            return;
        }
        int size = EntrySize(loc);
        _liveBytes -= size;
        _garbageBytes += size;
    }

    // ---- lookups and updates ----

    /// <summary>Location of <paramref name="field"/>, or 0 when absent.</summary>
    public int Find(ReadOnlySpan<byte> field)
    {
        int hash = KeyTable.HashKey(field);
        for (int loc = _buckets[hash & (_buckets.Length - 1)]; loc != 0; loc = NextOf(loc))
            if (HashOf(loc) == hash && FieldAt(loc).SequenceEqual(field)) return loc;
        return 0;
    }

    /// <summary>Sets a field; true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int hash = KeyTable.HashKey(field);
        int bucket = hash & (_buckets.Length - 1);
        int prev = 0;
        for (int loc = _buckets[bucket]; loc != 0; prev = loc, loc = NextOf(loc))
        {
            if (HashOf(loc) != hash || !FieldAt(loc).SequenceEqual(field)) continue;
            int valueOffset = ValueOffset(loc, out var block, out int oldLength);
            if (oldLength == value.Length)
            {
                value.CopyTo(block.AsSpan(valueOffset));
                return false;
            }
            int next = NextOf(loc);
            int created = Write(hash, next, field, value);
            if (prev == 0) _buckets[bucket] = created;
            else SetNext(prev, created);
            Release(loc);
            CompactIfFragmented();
            return false;
        }
        if (_count >= _buckets.Length) Resize(_buckets.Length * 2);
        bucket = hash & (_buckets.Length - 1);
        _buckets[bucket] = Write(hash, _buckets[bucket], field, value);
        _count++;
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        int hash = KeyTable.HashKey(field);
        int bucket = hash & (_buckets.Length - 1);
        int prev = 0;
        for (int loc = _buckets[bucket]; loc != 0; prev = loc, loc = NextOf(loc))
        {
            if (HashOf(loc) != hash || !FieldAt(loc).SequenceEqual(field)) continue;
            int next = NextOf(loc);
            if (prev == 0) _buckets[bucket] = next;
            else SetNext(prev, next);
            Release(loc);
            _count--;
            // Shrink below 10% fill, as Redis's htNeedsResize.
            if (_buckets.Length > 4 && (long)_count * 10 < _buckets.Length) Resize(Math.Max(4, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(_count, 1))));
            CompactIfFragmented();
            return true;
        }
        return false;
    }

    void Resize(int size)
    {
        var buckets = new int[size];
        int mask = size - 1;
        foreach (int head in _buckets)
        {
            for (int loc = head; loc != 0;)
            {
                int next = NextOf(loc);
                int b = HashOf(loc) & mask;
                SetNext(loc, buckets[b]);
                buckets[b] = loc;
                loc = next;
            }
        }
        _buckets = buckets;
    }

    void CompactIfFragmented()
    {
        if (_garbageBytes < PageSize || _garbageBytes < _liveBytes) return;
        // Rewrite every small entry into fresh pages, bucket by bucket; chains keep their order.
        var oldPages = _pages;
        _pages = new byte[Math.Max(1, _pageCount)][];
        _pageCount = 0;
        _tail = 0;
        _garbageBytes = 0;
        _liveBytes = 0;
        for (int b = 0; b < _buckets.Length; b++)
        {
            int prev = 0;
            for (int loc = _buckets[b]; loc != 0;)
            {
                int current = loc;
                if (current >= 0)
                {
                    var block = oldPages[current >>> PageBits];
                    int offset = current & OffsetMask;
                    int pos = offset + 8;
                    int flen = ReadVarint(block, ref pos);
                    int vlen = ReadVarint(block, ref pos);
                    int next = NextOf(block, offset);
                    int hash = BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(offset + 4));
                    current = Write(hash, next, block.AsSpan(pos, flen), block.AsSpan(pos + flen, vlen));
                    if (prev == 0) _buckets[b] = current;
                    else SetNext(prev, current);
                }
                else _liveBytes += _big[current & ~BigFlag]!.Length;
                prev = current;
                loc = NextOf(current);
            }
        }
    }

    // ---- iteration, scan and sampling ----

    /// <summary>Visits every entry's location (HGETALL, conversions, copies).</summary>
    public Enumerator GetEnumerator() => new(this);

    public struct Enumerator
    {
        readonly FieldTable _table;
        int _bucket, _loc;
        internal Enumerator(FieldTable table) { _table = table; _bucket = -1; _loc = 0; }
        public int Current => _loc;
        public bool MoveNext()
        {
            if (_loc != 0) _loc = _table.NextOf(_loc);
            while (_loc == 0)
            {
                if (++_bucket >= _table._buckets.Length) return false;
                _loc = _table._buckets[_bucket];
            }
            return true;
        }
    }

    /// <summary>One SCAN step: adds the locations of one bucket to <paramref name="output"/>, returns the next cursor.</summary>
    public ulong ScanBucket(ulong cursor, List<int> output)
    {
        ulong mask = (ulong)_buckets.Length - 1;
        for (int loc = _buckets[(int)(cursor & mask)]; loc != 0; loc = NextOf(loc)) output.Add(loc);
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    static ulong ReverseBits(ulong v)
    {
        ulong r = 0;
        for (int i = 0; i < 64; i++) { r = (r << 1) | (v & 1); v >>= 1; }
        return r;
    }

    /// <summary>A random entry: a random non-empty bucket, then a random link of its chain.</summary>
    public int RandomEntry(Random random)
    {
        if (_count == 0) return 0;
        int head;
        do head = _buckets[random.Next(_buckets.Length)]; while (head == 0);
        int length = 0;
        for (int loc = head; loc != 0; loc = NextOf(loc)) length++;
        int pick = random.Next(length);
        int at = head;
        while (pick-- > 0) at = NextOf(at);
        return at;
    }
}
