// Redis's intset: a sorted array of distinct integers in the narrowest width (2, 4 or 8 bytes) that
// holds all of them, widened (never narrowed) when a larger value arrives. Lookups are binary
// searches; inserts and removals shift the tail. Small sets of integers cost a few bytes each.
using System.Buffers.Binary;

namespace Csredis.Server.Keyspace.Types;

public sealed class IntSet
{
    byte[] _data = [];
    int _count;
    int _width = 2;

    public int Count => _count;
    public long MemoryBytes => _data.Length + 32;

    public long Get(int index) => _width switch
    {
        2 => BinaryPrimitives.ReadInt16LittleEndian(_data.AsSpan(index * 2)),
        4 => BinaryPrimitives.ReadInt32LittleEndian(_data.AsSpan(index * 4)),
        _ => BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(index * 8)),
    };

    void Put(byte[] data, int width, int index, long value)
    {
        switch (width)
        {
            case 2: BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(index * 2), (short)value); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(index * 4), (int)value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(index * 8), value); break;
        }
    }

    static int WidthFor(long value) => value is >= short.MinValue and <= short.MaxValue ? 2 : value is >= int.MinValue and <= int.MaxValue ? 4 : 8;

    /// <summary>Index of <paramref name="value"/>, or ~insertion point when absent.</summary>
    int Search(long value)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            long v = Get(mid);
            if (v < value) lo = mid + 1;
            else if (v > value) hi = mid - 1;
            else return mid;
        }
        return ~lo;
    }

    public bool Contains(long value) => WidthFor(value) <= _width && Search(value) >= 0;

    public bool Add(long value)
    {
        int width = WidthFor(value);
        if (width > _width)
        {
            // A value wider than all others is either below or above every one of them.
            var wider = new byte[(_count + 1) * width];
            int shift = value < 0 ? 1 : 0;
            for (int i = 0; i < _count; i++) Put(wider, width, i + shift, Get(i));
            Put(wider, width, value < 0 ? 0 : _count, value);
            _data = wider;
            _width = width;
            _count++;
            return true;
        }
        int index = Search(value);
        if (index >= 0) return false;
        index = ~index;
        var data = new byte[(_count + 1) * _width];
        Buffer.BlockCopy(_data, 0, data, 0, index * _width);
        Buffer.BlockCopy(_data, index * _width, data, (index + 1) * _width, (_count - index) * _width);
        Put(data, _width, index, value);
        _data = data;
        _count++;
        return true;
    }

    public bool Remove(long value)
    {
        if (WidthFor(value) > _width) return false;
        int index = Search(value);
        if (index < 0) return false;
        var data = new byte[(_count - 1) * _width];
        Buffer.BlockCopy(_data, 0, data, 0, index * _width);
        Buffer.BlockCopy(_data, (index + 1) * _width, data, index * _width, (_count - index - 1) * _width);
        _data = data;
        _count--;
        return true;
    }

    public void RemoveAt(int index) => Remove(Get(index));

    public IntSet Clone() => new() { _data = (byte[])_data.Clone(), _count = _count, _width = _width };
}
