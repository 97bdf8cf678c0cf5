// SORT and SORT_RO (Redis's sort.c): sort the elements of a list, set or sorted set, numerically
// (each element, or the value BY names, read as a C double) or ALPHA, optionally fetching other
// keys per element (GET, "#" = the element, "key*->field" = a hash field) and storing the result
// as a list (STORE).
// The order Redis gives is reproduced exactly, ties included:
//  * numeric ties are broken by comparing the elements' bytes; ALPHA compares with strcoll under
//    the LC_COLLATE of the environment, as Redis (which calls setlocale at start-up) does: C
//    strings, so only up to a NUL; in the C/POSIX locale that is plain byte order, compared here
//    without calling libc. With STORE, ALPHA compares the full bytes instead, as Redis does;
//  * a full sort is stable (Redis calls glibc's qsort, a merge sort), so equal BY values keep the
//    elements' original order;
//  * BY with a LIMIT that leaves something out runs Redis's partial quicksort (pqsort, Bentley and
//    McIlroy's quicksort that skips partitions outside the range), whose order of equal elements
//    is that algorithm's; PartialSort below follows it step for step.
// Without sorting (BY a pattern with no '*'), lists and sorted sets keep their order (reversed by
// DESC, LIMIT taken directly), sets their iteration order; a set is still sorted ALPHA when the
// result is stored, as Redis does so that replicas store the same list. Sorting a sorted set
// converts it to the skiplist encoding, as it does in Redis.
using System.Runtime.InteropServices;
using Csredis.Common.Native;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static unsafe class SortCommand
{
    public static void Register(CommandTable t)
    {
        string[] categories(string access) => [access, "set", "sortedset", "list", "slow", "dangerous"];
        t.Add(new Command { Name = "sort", Arity = -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => Sort(c, readOnly: false), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "1.0.0", Categories = categories("write"), GetKeys = SortKeys });
        t.Add(new Command { Name = "sort_ro", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = c => Sort(c, readOnly: true), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "7.0.0", Categories = categories("read") });
    }

    /// <summary>
    /// Redis's setlocale(LC_COLLATE, "") at start-up: the collation ALPHA uses comes from LC_ALL,
    /// LC_COLLATE or LANG. Under C or POSIX (or an unknown locale, which leaves C) strcoll is
    /// strcmp, which the sort does itself.
    /// </summary>
    public static void UseEnvironmentCollation()
    {
        byte* empty = stackalloc byte[1];
        empty[0] = 0;
        var name = Marshal.PtrToStringUTF8((nint)Libc.setlocale(Libc.LC_COLLATE, empty));
        _libcCollation = name is not (null or "C" or "POSIX");
    }

    static bool _libcCollation;

    /// <summary>
    /// One element being sorted and what it sorts by: a score, or for ALPHA the BY value (null when
    /// missing) or, when strcoll compares the elements themselves, the element as a C string.
    /// </summary>
    struct SortItem
    {
        public byte[] Element;
        public double Score;
        public byte[]? Key;
    }

    /// <summary>The order of a sort; a struct so that the sorts are specialized per order and inline it.</summary>
    interface IOrder
    {
        int Compare(in SortItem x, in SortItem y);
    }

    /// <summary>By score; equal scores by the elements' bytes (Redis's compareStringObjects).</summary>
    struct NumericOrder : IOrder
    {
        public bool Descending;

        public readonly int Compare(in SortItem x, in SortItem y)
        {
            int cmp = x.Score > y.Score ? 1 : x.Score < y.Score ? -1 : Sign(x.Element.AsSpan().SequenceCompareTo(y.Element));
            return Descending ? -cmp : cmp;
        }
    }

    /// <summary>ALPHA: by the BY values (missing ones first) or the elements, with strcoll, strcmp or (STORE) binary comparison.</summary>
    struct AlphaOrder : IOrder
    {
        public bool Descending, ByPattern, Binary, UseStrcoll;

        public readonly int Compare(in SortItem x, in SortItem y)
        {
            int cmp;
            if (ByPattern)
            {
                if (x.Key == null || y.Key == null) cmp = x.Key == y.Key ? 0 : x.Key == null ? -1 : 1;
                else cmp = Binary ? Sign(x.Key.AsSpan().SequenceCompareTo(y.Key)) : UseStrcoll ? Collate(x.Key, y.Key) : CompareCStrings(x.Key, y.Key);
            }
            else cmp = Binary ? Sign(x.Element.AsSpan().SequenceCompareTo(y.Element)) : UseStrcoll ? Collate(x.Key!, y.Key!) : CompareCStrings(x.Element, y.Element);
            return Descending ? -cmp : cmp;
        }
    }

    static int Sign(int v) => v > 0 ? 1 : v < 0 ? -1 : 0;

    static int Collate(byte[] a, byte[] b)
    {
        fixed (byte* pa = a, pb = b) return Sign(Libc.strcoll(pa, pb));
    }

    /// <summary>The C string strcoll sees: the bytes up to the first NUL, then a NUL.</summary>
    static byte[] NulTerminated(ReadOnlySpan<byte> bytes)
    {
        var text = CString(bytes);
        var result = new byte[text.Length + 1];
        text.CopyTo(result);
        return result;
    }

    /// <summary>strcmp: unsigned bytes up to the first NUL (or the end) of either string.</summary>
    static int CompareCStrings(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        for (int i = 0; ; i++)
        {
            int x = i < a.Length ? a[i] : 0, y = i < b.Length ? b[i] : 0;
            if (x != y) return x < y ? -1 : 1;
            if (x == 0) return 0;
        }
    }

    static void Sort(Client c, bool readOnly)
    {
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        byte[]? sortBy = null;
        int storeArg = -1;
        var getPatterns = new List<byte[]>();
        for (int j = 2; j < c.Argc; j++)
        {
            int left = c.Argc - j - 1;
            if (c.ArgIs(j, "asc"u8)) desc = false;
            else if (c.ArgIs(j, "desc"u8)) desc = true;
            else if (c.ArgIs(j, "alpha"u8)) alpha = true;
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out limitStart) || !NumberParsing.TryParseInt64(c.Arg(j + 2), out limitCount))
                {
                    c.Error(Errors.NotInteger);
                    return;
                }
                j += 2;
            }
            else if (!readOnly && c.ArgIs(j, "store"u8) && left >= 1) storeArg = ++j;
            else if (c.ArgIs(j, "by"u8) && left >= 1)
            {
                sortBy = c.ArgBytes(++j);
                // A pattern without '*' names one key for every element: there is nothing to sort by.
                dontSort = CString(sortBy).IndexOf((byte)'*') < 0;
            }
            else if (c.ArgIs(j, "get"u8) && left >= 1) getPatterns.Add(c.ArgBytes(++j));
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }

        var db = c.Db;
        var value = db.LookupRead(c.Arg(1));
        if (value != null && value is not ListObject && value is not SetObject && value is not ZSetObject)
        {
            c.Error(Errors.WrongType);
            return;
        }
        bool store = storeArg >= 0;
        if (dontSort && value is SetObject && store)
        {
            // Set order is arbitrary: a stored result must not depend on it.
            dontSort = false;
            alpha = true;
            sortBy = null;
        }
        var zset = value as ZSetObject;
        zset?.ConvertToSkiplist();

        long length = value switch { ListObject l => l.Count, SetObject s => s.Count, ZSetObject z => z.Count, _ => 0 };
        long start = Math.Min(Math.Max(limitStart, 0), length);
        long count = Math.Min(Math.Max(limitCount, -1), length);
        long end = count < 0 ? length - 1 : start + count - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;

        SortItem[] items;
        if (dontSort && (value is ListObject || zset != null))
        {
            // Ordered types are read straight in the requested range and direction.
            items = end >= start ? LoadRange(value!, start, end - start + 1, desc) : [];
            end -= start;
            start = 0;
        }
        else items = value == null ? [] : LoadAll(value);

        bool conversionError = false;
        if (!dontSort)
        {
            bool collate = alpha && !store && _libcCollation;
            Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
            for (int j = 0; j < items.Length; j++)
            {
                if (collate && sortBy == null) items[j].Key = NulTerminated(items[j].Element);
                scoped ReadOnlySpan<byte> by = items[j].Element;
                if (sortBy != null && !TryLookupByPattern(c, sortBy, items[j].Element, scratch, out by)) continue;
                if (alpha)
                {
                    if (sortBy != null) items[j].Key = collate ? NulTerminated(by) : by.ToArray();
                }
                else if (!TryParseScore(by, out items[j].Score)) conversionError = true;
            }
            // Redis sorts partially only with BY and a LIMIT that leaves something out.
            bool partial = sortBy != null && (start != 0 || end != items.Length - 1);
            if (alpha) Order(items, new AlphaOrder { Descending = desc, ByPattern = sortBy != null, Binary = store, UseStrcoll = collate }, partial, start, end);
            else Order(items, new NumericOrder { Descending = desc }, partial, start, end);
        }

        long outputLength = (getPatterns.Count > 0 ? getPatterns.Count : 1) * (end - start + 1);
        if (conversionError)
        {
            c.Error("ERR One or more scores can't be converted into double"u8);
            return;
        }
        if (!store)
        {
            ReplyResult(c, items, start, end, getPatterns);
            return;
        }
        StoreResult(c, items, start, end, getPatterns, outputLength, storeArg);
    }

    static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }

    /// <summary>
    /// Redis reads a sort weight with strtod over the C string: leading spaces are allowed, an empty
    /// string is 0, anything left over, NaN or a range error is a conversion error.
    /// </summary>
    static bool TryParseScore(ReadOnlySpan<byte> text, out double score)
    {
        // Integers (most weights) convert exactly as strtod rounds them.
        if (NumberParsing.TryParseInt64(text, out long integer))
        {
            score = integer;
            return true;
        }
        text = CString(text);
        score = 0;
        if (text.IsEmpty) return true;
        return NumberParsing.TryParseDoubleStrtod(text, out score, out bool rangeError) && !rangeError && !double.IsNaN(score);
    }

    static SortItem[] LoadAll(object value)
    {
        var items = new List<SortItem>();
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        switch (value)
        {
            case ListObject list:
                if (list.Count == 0) break;
                var p = list.First;
                do items.Add(new SortItem { Element = list.ValueAt(p, scratch).ToArray() });
                while (list.Next(ref p));
                break;
            case SetObject set:
                for (int position = 0; position < set.PositionLimit; position++)
                    if (set.TryGetAt(position, scratch, out var member)) items.Add(new SortItem { Element = member.ToArray() });
                break;
            case ZSetObject zset:
                var walker = zset.WalkFrom(0);
                for (int i = 0; i < zset.Count; i++, walker.MoveNext()) items.Add(new SortItem { Element = walker.Member.ToArray() });
                break;
        }
        return items.ToArray();
    }

    /// <summary><paramref name="count"/> elements of a list or sorted set from <paramref name="start"/>, counted from the tail when descending.</summary>
    static SortItem[] LoadRange(object value, long start, long count, bool desc)
    {
        var items = new SortItem[count];
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        if (value is ListObject list)
        {
            var p = list.PositionOf(desc ? list.Count - start - 1 : start);
            for (long i = 0; i < count; i++)
            {
                items[i].Element = list.ValueAt(p, scratch).ToArray();
                if (desc) list.Prev(ref p); else list.Next(ref p);
            }
            return items;
        }
        var zset = (ZSetObject)value;
        var walker = zset.WalkFrom((int)(desc ? zset.Count - start - 1 : start));
        for (long i = 0; i < count; i++)
        {
            items[i].Element = walker.Member.ToArray();
            if (desc) walker.MovePrev(); else walker.MoveNext();
        }
        return items;
    }

    /// <summary>
    /// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by
    /// the element and the key read (a string, or with "->field" after the '*' a hash field). The
    /// pattern is searched as a C string (up to a NUL), lengths are the full ones, as in Redis.
    /// </summary>
    static bool TryLookupByPattern(Client c, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> element, Span<byte> scratch, out ReadOnlySpan<byte> value)
    {
        value = default;
        var cPattern = CString(pattern);
        if (cPattern.Length == 1 && cPattern[0] == '#')
        {
            value = element;
            return true;
        }
        int star = cPattern.IndexOf((byte)'*');
        if (star < 0) return false;
        int arrow = cPattern[(star + 1)..].IndexOf("->"u8);
        int fieldStart = -1;
        if (arrow >= 0 && star + 1 + arrow + 2 < cPattern.Length) fieldStart = star + 1 + arrow + 2;
        int postfixLength = pattern.Length - (star + 1) - (fieldStart >= 0 ? pattern.Length - fieldStart + 2 : 0);
        int keyLength = star + element.Length + postfixLength;
        if (_keyBuffer.Length < keyLength) _keyBuffer = new byte[Math.Max(keyLength, _keyBuffer.Length * 2)];
        pattern[..star].CopyTo(_keyBuffer);
        element.CopyTo(_keyBuffer.AsSpan(star));
        pattern.Slice(star + 1, postfixLength).CopyTo(_keyBuffer.AsSpan(star + element.Length));
        var item = c.Db.LookupRead(_keyBuffer.AsSpan(0, keyLength));
        if (item == null) return false;
        if (fieldStart >= 0)
            return item is HashObject hash && hash.TryGet(pattern[fieldStart..], scratch, out value);
        if (item is not byte[] packed) return false;
        value = PackedString.Value(packed);
        return true;
    }

    /// <summary>Where keys made from patterns are assembled (the loop thread is the only user).</summary>
    static byte[] _keyBuffer = new byte[256];

    static void ReplyResult(Client c, SortItem[] items, long start, long end, List<byte[]> getPatterns)
    {
        c.Reply.ArrayHeader((getPatterns.Count > 0 ? getPatterns.Count : 1) * (end - start + 1));
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        for (long j = start; j <= end; j++)
        {
            if (getPatterns.Count == 0) c.Reply.Bulk(items[j].Element);
            foreach (var pattern in getPatterns)
            {
                if (TryLookupByPattern(c, pattern, items[j].Element, scratch, out var found)) c.Reply.Bulk(found);
                else c.Reply.Null();
            }
        }
    }

    static void StoreResult(Client c, SortItem[] items, long start, long end, List<byte[]> getPatterns, long outputLength, int storeArg)
    {
        var db = c.Db;
        var storeKey = c.Arg(storeArg);
        if (outputLength == 0)
        {
            if (db.LookupWrite(storeKey) != null)
            {
                db.Delete(storeKey);
                c.Server.SignalKeyChange(c, db, storeKey, "del");
                c.Server.Dirty++;
            }
            c.Reply.Integer(0);
            return;
        }
        var list = new ListObject(c.ArgBytes(storeArg)) { KeepsDefaultFill = true };
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        for (long j = start; j <= end; j++)
        {
            if (getPatterns.Count == 0) list.PushRight(items[j].Element);
            foreach (var pattern in getPatterns)
                list.PushRight(TryLookupByPattern(c, pattern, items[j].Element, scratch, out var found) ? found : default);
        }
        db.LookupWrite(storeKey); // an expired destination goes first, as setKey's lookup does
        db.Set(list);
        c.Server.SignalKeyChange(c, db, storeKey, "sortstore");
        c.Server.Dirty += outputLength;
        c.Reply.Integer(outputLength);
    }

    // ---- the two sorts ---------------------------------------------------------------------

    static void Order<T>(SortItem[] items, T order, bool partial, long start, long end) where T : struct, IOrder
    {
        if (partial) PartialSort(items, 0, items.Length, order, start, end);
        else StableSort(items, order);
    }

    /// <summary>A stable merge sort: the order glibc's qsort (a merge sort) gives Redis, as any stable sort does.</summary>
    static void StableSort<T>(SortItem[] items, T comparer) where T : struct, IOrder
    {
        if (items.Length < 2) return;
        MergeSort(items, new SortItem[items.Length], 0, items.Length, comparer);
    }

    static void MergeSort<T>(SortItem[] a, SortItem[] temp, int lo, int n, T comparer) where T : struct, IOrder
    {
        if (n <= 12)
        {
            // Stable insertion sort: an element only moves past strictly greater ones.
            for (int m = lo + 1; m < lo + n; m++)
            {
                if (comparer.Compare(in a[m - 1], in a[m]) <= 0) continue;
                var moving = a[m];
                int l = m;
                for (; l > lo && comparer.Compare(in a[l - 1], in moving) > 0; l--) a[l] = a[l - 1];
                a[l] = moving;
            }
            return;
        }
        int n1 = n / 2;
        MergeSort(a, temp, lo, n1, comparer);
        MergeSort(a, temp, lo + n1, n - n1, comparer);
        int i = lo, j = lo + n1, k = 0, leftEnd = lo + n1, rightEnd = lo + n;
        if (comparer.Compare(in a[leftEnd - 1], in a[leftEnd]) <= 0) return; // already in order
        while (i < leftEnd && j < rightEnd) temp[k++] = comparer.Compare(in a[i], in a[j]) <= 0 ? a[i++] : a[j++];
        while (i < leftEnd) temp[k++] = a[i++];
        // Whatever is left on the right is already in place.
        Array.Copy(temp, 0, a, lo, k);
    }

    /// <summary>
    /// Redis's pqsort: Bentley-McIlroy quicksort (median of three, ninther above 40 elements,
    /// insertion sort below 7 or when a partition pass moved nothing) that only descends into
    /// partitions overlapping the element range [rangeStart, rangeEnd]. <paramref name="lo"/> and
    /// <paramref name="n"/> delimit the partition; range bounds are absolute indices.
    /// </summary>
    static void PartialSort<T>(SortItem[] a, int lo, int n, T cmp, long rangeStart, long rangeEnd) where T : struct, IOrder
    {
        while (true)
        {
            if (n < 7)
            {
                InsertionSort(a, lo, n, cmp);
                return;
            }
            int pm = lo + n / 2;
            if (n > 7)
            {
                int pl = lo, pn = lo + n - 1;
                if (n > 40)
                {
                    int d = n / 8;
                    pl = Median3(a, pl, pl + d, pl + 2 * d, cmp);
                    pm = Median3(a, pm - d, pm, pm + d, cmp);
                    pn = Median3(a, pn - 2 * d, pn - d, pn, cmp);
                }
                pm = Median3(a, pl, pm, pn, cmp);
            }
            Swap(a, lo, pm);
            int pa = lo + 1, pb = lo + 1, pc = lo + n - 1, pd = lo + n - 1;
            bool swapped = false;
            while (true)
            {
                int r;
                while (pb <= pc && (r = cmp.Compare(in a[pb], in a[lo])) <= 0)
                {
                    if (r == 0) { swapped = true; Swap(a, pa, pb); pa++; }
                    pb++;
                }
                while (pb <= pc && (r = cmp.Compare(in a[pc], in a[lo])) >= 0)
                {
                    if (r == 0) { swapped = true; Swap(a, pc, pd); pd--; }
                    pc--;
                }
                if (pb > pc) break;
                Swap(a, pb, pc);
                swapped = true;
                pb++;
                pc--;
            }
            if (!swapped)
            {
                InsertionSort(a, lo, n, cmp);
                return;
            }
            int limit = lo + n;
            int s = Math.Min(pa - lo, pb - pa);
            SwapBlocks(a, lo, pb - s, s);
            s = Math.Min(pd - pc, limit - pd - 1);
            SwapBlocks(a, pb, limit - s, s);
            if ((s = pb - pa) > 1 && Overlaps(lo, s, rangeStart, rangeEnd)) PartialSort(a, lo, s, cmp, rangeStart, rangeEnd);
            if ((s = pd - pc) > 1 && Overlaps(limit - s, s, rangeStart, rangeEnd))
            {
                lo = limit - s;
                n = s;
                continue;
            }
            return;
        }
    }

    /// <summary>pqsort's test: a partition is skipped only when the range lies wholly before or after it.</summary>
    static bool Overlaps(int lo, int n, long rangeStart, long rangeEnd)
    {
        int last = lo + n - 1;
        return !((rangeStart < lo && rangeEnd < lo) || (rangeStart > last && rangeEnd > last));
    }

    static void InsertionSort<T>(SortItem[] a, int lo, int n, T cmp) where T : struct, IOrder
    {
        for (int m = lo + 1; m < lo + n; m++)
            for (int l = m; l > lo && cmp.Compare(in a[l - 1], in a[l]) > 0; l--)
                Swap(a, l, l - 1);
    }

    static int Median3<T>(SortItem[] a, int x, int y, int z, T cmp) where T : struct, IOrder =>
        cmp.Compare(in a[x], in a[y]) < 0
            ? (cmp.Compare(in a[y], in a[z]) < 0 ? y : cmp.Compare(in a[x], in a[z]) < 0 ? z : x)
            : (cmp.Compare(in a[y], in a[z]) > 0 ? y : cmp.Compare(in a[x], in a[z]) < 0 ? x : z);

    static void Swap(SortItem[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    static void SwapBlocks(SortItem[] a, int i, int j, int n)
    {
        for (int k = 0; k < n; k++) Swap(a, i + k, j + k);
    }

    /// <summary>Redis's sortGetKeys: the sorted key, and the last STORE target (LIMIT, GET and BY arguments skipped).</summary>
    static List<(int Position, string[] Flags)> SortKeys(byte[][] args)
    {
        var keys = new List<(int, string[])> { (1, ["RO", "access"]) };
        int store = -1;
        for (int i = 2; i < args.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(args[i], "limit"u8)) i += 2;
            else if (Ascii.EqualsIgnoreCase(args[i], "get"u8) || Ascii.EqualsIgnoreCase(args[i], "by"u8)) i += 1;
            else if (Ascii.EqualsIgnoreCase(args[i], "store"u8) && i + 1 < args.Length) store = i + 1;
        }
        if (store >= 0) keys.Add((store, ["OW", "update"]));
        return keys;
    }
}
