// A hash value, in Redis 7.0's two encodings:
//   "listpack"  one exactly-sized byte array of packed field,value elements (PackedEntry, no back
//               lengths: a small hash is only walked forward), in insertion order like Redis's
//               listpack, so HGETALL and HSCAN of a small hash answer in Redis's order;
//   "hashtable" a FieldTable once the hash holds more than hash-max-listpack-entries fields or a
//               field or value longer than hash-max-listpack-value bytes. As in Redis 7.0 a hash
//               never converts back.
// The object keeps one data reference (array or table). A small hash also keeps its key at the
// front of the listpack array ([key length varint][key][pairs...]), so it costs one object and one
// array, where a separate key array would add a third object to every small hash; on conversion
// the key moves to its own array.
namespace Csredis.Server.Keyspace.Types;

public sealed class HashObject : RedisObject
{
    /// <summary>hash-max-listpack-entries / hash-max-listpack-value (and their ziplist aliases), set by the config.</summary>
    public static long MaxListpackEntries = 512, MaxListpackValue = 64;

    /// <summary>Scratch an iterator needs to format integer fields and values of a listpack.</summary>
    public const int IteratorScratch = 2 * PackedEntry.ScratchSize;

    object _data;     // byte[] (listpack) or FieldTable
    int _packedCount; // pairs in the listpack

    // Until the first pair arrives the listpack is empty and the key stays in its own array: making
    // the key block there would only make garbage, as the first write copies the array anyway.
    public HashObject(byte[] key) : base(key) => _data = Array.Empty<byte>();

    public override ReadOnlySpan<byte> Key => _data is byte[] { Length: > 0 } packed ? PackedKey(packed) : KeyBytes;

    public override void SetKey(byte[] key)
    {
        if (_data is not byte[] { Length: > 0 } packed) { KeyBytes = key; return; }
        int start = EntriesStart(packed);
        var renamed = KeyBlock(key, packed.Length - start);
        packed.AsSpan(start).CopyTo(renamed.AsSpan(renamed.Length - (packed.Length - start)));
        _data = renamed;
    }

    /// <summary>A listpack array holding only <paramref name="key"/>, with room for <paramref name="pairBytes"/> after it.</summary>
    static byte[] KeyBlock(ReadOnlySpan<byte> key, int pairBytes)
    {
        var block = new byte[PackedString.VarintSize(key.Length) + key.Length + pairBytes];
        int p = PackedString.WriteVarint(block, key.Length);
        key.CopyTo(block.AsSpan(p));
        return block;
    }

    static ReadOnlySpan<byte> PackedKey(byte[] packed)
    {
        int length = PackedString.ReadVarint(packed, 0, out int size);
        return new ReadOnlySpan<byte>(packed, size, length);
    }

    /// <summary>Offset of the first field in a listpack array (just past the key).</summary>
    static int EntriesStart(byte[] packed)
    {
        int length = PackedString.ReadVarint(packed, 0, out int size);
        return size + length;
    }

    public override ObjectType Type => ObjectType.Hash;
    public override string EncodingName => _data is FieldTable ? "hashtable" : "listpack";
    public bool IsPacked => _data is byte[];

    public long Count => _data is FieldTable t ? t.Count : _packedCount;

    public override long MemoryBytes =>
        48 + 24 + (KeyBytes?.Length ?? 0) + (_data is FieldTable t ? t.MemoryBytes : ((byte[])_data).Length);

    // ---- listpack helpers ----

    /// <summary>Byte offset of the field element equal to <paramref name="field"/> in the listpack, or -1.</summary>
    static int FindPacked(byte[] packed, ReadOnlySpan<byte> field) => FindPacked(packed, packed.Length, field);

    static int FindPacked(byte[] packed, int used, ReadOnlySpan<byte> field)
    {
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        int pos = used > 0 ? EntriesStart(packed) : 0;
        while (pos < used)
        {
            var f = PackedEntry.Read(packed, pos, scratch, out int fsize);
            if (f.SequenceEqual(field)) return pos;
            pos += fsize;
            pos += PackedEntry.SizeAt(packed, pos);
        }
        return -1;
    }

    /// <summary>The listpack array with the key at its front (the key block alone while the hash has no pairs yet).</summary>
    byte[] PackedWithKey()
    {
        var packed = (byte[])_data;
        if (packed.Length > 0) return packed;
        packed = KeyBlock(KeyBytes, 0);
        KeyBytes = null;
        return packed;
    }

    static byte[] Splice(byte[] packed, int start, int removed, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, bool insertTwo)
    {
        int added = insertTwo ? PackedEntry.Size(first) + PackedEntry.Size(second) : PackedEntry.Size(first);
        var result = new byte[packed.Length - removed + added];
        packed.AsSpan(0, start).CopyTo(result);
        int p = start + PackedEntry.Write(result.AsSpan(start), first);
        if (insertTwo) p += PackedEntry.Write(result.AsSpan(p), second);
        packed.AsSpan(start + removed).CopyTo(result.AsSpan(p));
        return result;
    }

    void ConvertToTable()
    {
        var packed = (byte[])_data;
        var table = new FieldTable(_packedCount);
        Span<byte> fs = stackalloc byte[PackedEntry.ScratchSize], vs = stackalloc byte[PackedEntry.ScratchSize];
        KeyBytes ??= PackedKey(packed).ToArray();
        int pos = packed.Length > 0 ? EntriesStart(packed) : 0;
        while (pos < packed.Length)
        {
            var f = PackedEntry.Read(packed, pos, fs, out int fsize);
            var v = PackedEntry.Read(packed, pos + fsize, vs, out int vsize);
            table.Set(f, v);
            pos += fsize + vsize;
        }
        _data = table;
        _packedCount = 0;
    }

    /// <summary>Converts ahead of a write whose arguments are too long for a listpack (HSET's argument check).</summary>
    public void ConvertIfTooLong(ReadOnlySpan<byte> element)
    {
        if (_data is byte[] && element.Length > MaxListpackValue) ConvertToTable();
    }

    // ---- operations ----

    /// <summary>The value of <paramref name="field"/>; an integer element is formatted into <paramref name="scratch"/>.</summary>
    public bool TryGet(ReadOnlySpan<byte> field, Span<byte> scratch, out ReadOnlySpan<byte> value)
    {
        if (_data is FieldTable t)
        {
            int loc = t.Find(field);
            value = loc == 0 ? default : t.ValueAt(loc);
            return loc != 0;
        }
        var packed = (byte[])_data;
        int pos = FindPacked(packed, field);
        if (pos < 0) { value = default; return false; }
        pos += PackedEntry.SizeAt(packed, pos);
        value = PackedEntry.Read(packed, pos, scratch, out _);
        return true;
    }

    public bool Contains(ReadOnlySpan<byte> field) =>
        _data is FieldTable t ? t.Find(field) != 0 : FindPacked((byte[])_data, field) >= 0;

    /// <summary>Sets a field (converting to a table at Redis's thresholds); true when the field is new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        if (_data is byte[] && (field.Length > MaxListpackValue || value.Length > MaxListpackValue)) ConvertToTable();
        if (_data is FieldTable table) return table.Set(field, value);
        var packed = (byte[])_data;
        int pos = FindPacked(packed, field);
        if (pos >= 0)
        {
            int valuePos = pos + PackedEntry.SizeAt(packed, pos);
            int oldSize = PackedEntry.SizeAt(packed, valuePos);
            // Same encoded size (a counter going from 10 to 11): overwrite where it is, no new array.
            if (PackedEntry.Size(value) == oldSize) PackedEntry.Write(packed.AsSpan(valuePos), value);
            else _data = Splice(packed, valuePos, oldSize, value, default, insertTwo: false);
            return false;
        }
        packed = PackedWithKey();
        _data = Splice(packed, packed.Length, 0, field, value, insertTwo: true);
        _packedCount++;
        if (_packedCount > MaxListpackEntries) ConvertToTable();
        return true;
    }

    /// <summary>Reads argument <paramref name="index"/> of a caller's argument list (a static lambda: no closure).</summary>
    public delegate ReadOnlySpan<byte> ArgAt<T>(T source, int index);

    /// <summary>HSET's many pairs at once: arguments first, first+1 (field, value), ... A listpack is edited in one
    /// pooled working buffer and copied out once, instead of one new array per pair. Returns the fields created.</summary>
    public long SetPairs<T>(T source, int first, int pairCount, ArgAt<T> arg)
    {
        long created = 0;
        int i = 0;
        if (_data is byte[] packed && pairCount > 1)
        {
            bool keyed = packed.Length > 0;
            int bound = keyed ? packed.Length : PackedString.VarintSize(KeyBytes!.Length) + KeyBytes.Length;
            for (int j = 0; j < pairCount; j++)
            {
                var f = arg(source, first + 2 * j);
                var v = arg(source, first + 2 * j + 1);
                if (f.Length > MaxListpackValue || v.Length > MaxListpackValue) { bound = -1; break; }
                bound += PackedEntry.Size(f) + PackedEntry.Size(v);
            }
            if (bound >= 0)
            {
                var work = System.Buffers.ArrayPool<byte>.Shared.Rent(bound);
                int used;
                if (keyed)
                {
                    packed.CopyTo(work, 0);
                    used = packed.Length;
                }
                else
                {
                    used = PackedString.WriteVarint(work, KeyBytes!.Length);
                    KeyBytes.CopyTo(work, used);
                    used += KeyBytes.Length;
                }
                int count = _packedCount;
                for (; i < pairCount && count <= MaxListpackEntries; i++)
                {
                    var f = arg(source, first + 2 * i);
                    var v = arg(source, first + 2 * i + 1);
                    int pos = FindPacked(work, used, f);
                    if (pos >= 0)
                    {
                        int valuePos = pos + PackedEntry.SizeAt(work, pos);
                        int oldSize = PackedEntry.SizeAt(work, valuePos), newSize = PackedEntry.Size(v);
                        Buffer.BlockCopy(work, valuePos + oldSize, work, valuePos + newSize, used - valuePos - oldSize);
                        PackedEntry.Write(work.AsSpan(valuePos), v);
                        used += newSize - oldSize;
                        continue;
                    }
                    used += PackedEntry.Write(work.AsSpan(used), f);
                    used += PackedEntry.Write(work.AsSpan(used), v);
                    count++;
                    created++;
                }
                _data = work.AsSpan(0, used).ToArray();
                KeyBytes = null;
                _packedCount = count;
                System.Buffers.ArrayPool<byte>.Shared.Return(work);
                if (count > MaxListpackEntries) ConvertToTable();
            }
        }
        for (; i < pairCount; i++)
            if (Set(arg(source, first + 2 * i), arg(source, first + 2 * i + 1))) created++;
        return created;
    }

    public bool Delete(ReadOnlySpan<byte> field)
    {
        if (_data is FieldTable table) return table.Remove(field);
        var packed = (byte[])_data;
        int pos = FindPacked(packed, field);
        if (pos < 0) return false;
        int fsize = PackedEntry.SizeAt(packed, pos);
        int size = fsize + PackedEntry.SizeAt(packed, pos + fsize);
        var result = new byte[packed.Length - size];
        packed.AsSpan(0, pos).CopyTo(result);
        packed.AsSpan(pos + size).CopyTo(result.AsSpan(pos));
        _data = result;
        _packedCount--;
        return true;
    }

    // ---- iteration ----

    /// <summary>Walks all fields in storage order (listpack order for small hashes).</summary>
    public Iterator Iterate(Span<byte> scratch) => new(this, scratch);

    public ref struct Iterator
    {
        readonly byte[]? _packed;
        readonly FieldTable? _table;
        FieldTable.Enumerator _tableEnum;
        readonly Span<byte> _scratch;
        int _pos;
        public ReadOnlySpan<byte> Field, Value;

        internal Iterator(HashObject hash, Span<byte> scratch)
        {
            _packed = hash._data as byte[];
            _table = hash._data as FieldTable;
            _tableEnum = _table?.GetEnumerator() ?? default;
            _scratch = scratch;
            _pos = _packed is { Length: > 0 } ? EntriesStart(_packed) : 0;
            Field = Value = default;
        }

        public bool MoveNext()
        {
            if (_table != null)
            {
                if (!_tableEnum.MoveNext()) return false;
                Field = _table.FieldAt(_tableEnum.Current);
                Value = _table.ValueAt(_tableEnum.Current);
                return true;
            }
            if (_pos >= _packed!.Length) return false;
            Field = PackedEntry.Read(_packed, _pos, _scratch[..PackedEntry.ScratchSize], out int fsize);
            Value = PackedEntry.Read(_packed, _pos + fsize, _scratch[PackedEntry.ScratchSize..], out int vsize);
            _pos += fsize + vsize;
            return true;
        }
    }

    /// <summary>The big-hash table, for SCAN and random sampling; null while the hash is a listpack.</summary>
    public FieldTable? Table => _data as FieldTable;

    /// <summary>Field and value of pair number <paramref name="index"/> in a listpack (random sampling).</summary>
    public void PackedPairAt(int index, Span<byte> scratch, out ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        var packed = (byte[])_data;
        int pos = EntriesStart(packed);
        for (int i = 0; i < index; i++)
        {
            pos += PackedEntry.SizeAt(packed, pos);
            pos += PackedEntry.SizeAt(packed, pos);
        }
        field = PackedEntry.Read(packed, pos, scratch[..PackedEntry.ScratchSize], out int fsize);
        value = PackedEntry.Read(packed, pos + fsize, scratch[PackedEntry.ScratchSize..], out _);
    }

    /// <summary>A deep copy under another key (COPY, RENAME helpers).</summary>
    public override RedisObject Clone(byte[] newKey)
    {
        var copy = new HashObject(newKey);
        if (_data is byte[] { Length: > 0 } packed)
        {
            copy._data = packed;
            copy.SetKey(newKey); // writes a new array: nothing is shared with the original
            copy._packedCount = _packedCount;
            return copy;
        }
        var table = (FieldTable)_data;
        var cloned = new FieldTable(table.Count);
        foreach (int loc in table) cloned.Set(table.FieldAt(loc), table.ValueAt(loc));
        copy._data = cloned;
        return copy;
    }
}
