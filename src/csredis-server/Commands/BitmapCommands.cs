// Bitmap commands (Redis's bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
// A bitmap is an ordinary string value; bit 0 is the most significant bit of the first byte, and
// reads see an integer-encoded value as its decimal digits, like every string command.
// Writes follow Redis's lookupStringForBitCommand: the value becomes a raw string (Redis un-shares
// it first, so OBJECT ENCODING says raw afterwards even when no bit changed) and is zero-extended
// up to the highest bit written. Growth gives the value spare capacity as Redis's greedy sds growth
// does (PackedString.CreateZeroExtended), so a bitmap filled left to right is re-packed only
// O(log n) times. While a snapshot runs, the value is re-packed instead of changed in place
// (RedisServer.SnapshotAllowsInPlaceWrite): the snapshot may still be reading the old array.
// A write that changes nothing (SETBIT of a bit already so, a BITFIELD that only fails) sends no
// event and leaves the dirty counter alone, as in Redis 7.0.
using System.Numerics;
using System.Runtime.InteropServices;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class BitmapCommands
{
    static ReadOnlySpan<byte> OffsetError => "ERR bit offset is not an integer or out of range"u8;
    static ReadOnlySpan<byte> BitValueError => "ERR bit is not an integer or out of range"u8;
    static ReadOnlySpan<byte> BitfieldTypeError => "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."u8;

    public static void Register(CommandTable t)
    {
        const CommandFlags writeOom = CommandFlags.Write | CommandFlags.DenyOom;
        t.Add(new Command { Name = "setbit", Arity = 4, Flags = writeOom, Handler = SetBit, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "2.2.0", Categories = ["write", "bitmap", "slow"] });
        t.Add(new Command { Name = "getbit", Arity = 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = GetBit, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "2.2.0", Categories = ["read", "bitmap", "fast"] });
        t.Add(new Command { Name = "bitcount", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = BitCount, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "2.6.0", Categories = ["read", "bitmap", "slow"] });
        t.Add(new Command { Name = "bitpos", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = BitPos, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "2.8.7", Categories = ["read", "bitmap", "slow"] });
        t.Add(new Command { Name = "bitop", Arity = -4, Flags = writeOom, Handler = BitOp, FirstKey = 2, LastKey = -1, KeyStep = 1, Group = "bitmap", Since = "2.6.0", Categories = ["write", "bitmap", "slow"] });
        t.Add(new Command { Name = "bitfield", Arity = -2, Flags = writeOom, Handler = c => BitField(c, readOnlyCommand: false), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "3.2.0", Categories = ["write", "bitmap", "slow"], GetKeys = BitFieldKeys });
        t.Add(new Command { Name = "bitfield_ro", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => BitField(c, readOnlyCommand: true), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "bitmap", Since = "6.0.0", Categories = ["read", "bitmap", "fast"] });
    }

    // ---- arguments -------------------------------------------------------------------------

    /// <summary>
    /// Redis's getBitOffsetFromArgument: a non-negative integer whose byte stays below
    /// proto-max-bulk-len (the master link is trusted). BITFIELD also takes "#N", N fields of
    /// <paramref name="bits"/> bits; the product wraps as Redis's 64-bit multiplication does.
    /// </summary>
    static bool TryBitOffset(Client c, ReadOnlySpan<byte> arg, bool allowFieldIndex, int bits, out long offset)
    {
        bool fieldIndex = allowFieldIndex && bits > 0 && arg.Length > 0 && arg[0] == '#';
        if (!NumberParsing.TryParseInt64(fieldIndex ? arg[1..] : arg, out offset))
        {
            c.Error(OffsetError);
            return false;
        }
        if (fieldIndex) offset = unchecked(offset * bits);
        if (offset < 0 || ((c.Flags & ClientFlags.Master) == 0 && (offset >> 3) >= c.Server.Config.ProtoMaxBulkLen))
        {
            c.Error(OffsetError);
            return false;
        }
        return true;
    }

    /// <summary>
    /// The key's string for a bit write, zero-extended so that <paramref name="maxBit"/> exists
    /// (created when missing); <paramref name="grown"/> tells whether it was created or lengthened.
    /// False after a WRONGTYPE (or too-large) error reply.
    /// </summary>
    static bool TryLookupForWrite(Client c, long maxBit, out byte[] packed, out bool grown)
    {
        var key = c.Arg(1);
        var item = c.Db.LookupWrite(key);
        packed = null!;
        grown = false;
        if (item != null && !StringCommands.TryString(c, item, out packed)) return false;
        long needed = (maxBit >> 3) + 1;
        if (needed > PackedString.MaxValueLength(key.Length))
        {
            // Only reachable with proto-max-bulk-len above what one array holds.
            c.Error(OffsetError);
            return false;
        }
        grown = true;
        if (item == null)
        {
            packed = PackedString.CreateZeroExtended(key, default, (int)needed, (int)needed);
            c.Db.Add(packed);
            return true;
        }
        var value = PackedString.Value(packed);
        int length = Math.Max(value.Length, (int)needed);
        grown = length != value.Length;
        if (c.Server.SnapshotAllowsInPlaceWrite(packed) && PackedString.TryZeroExtendInPlace(packed, length))
        {
            PackedString.SetEncoding(packed, StringEncoding.Raw);
            return true;
        }
        int capacity = grown ? GrownCapacity(length, PackedString.MaxValueLength(key.Length)) : Math.Max(length, PackedString.Capacity(packed));
        var repacked = PackedString.CreateZeroExtended(key, value, length, capacity);
        PackedString.SetLru(repacked, PackedString.Lru(packed));
        c.Db.Replace(repacked);
        packed = repacked;
        return true;
    }

    /// <summary>Redis's sdsMakeRoomFor greed: double below 1 MB, then 1 MB more at a time.</summary>
    static int GrownCapacity(int length, int limit)
    {
        const int MaxPrealloc = 1024 * 1024;
        long capacity = length < MaxPrealloc ? 2L * length : (long)length + MaxPrealloc;
        return (int)Math.Min(capacity, limit);
    }

    /// <summary>Parses BYTE|BIT (the unit of a BITCOUNT/BITPOS range); false after a syntax error reply.</summary>
    static bool TryRangeUnit(Client c, int arg, out bool bits)
    {
        bits = c.ArgIs(arg, "bit"u8);
        if (bits || c.ArgIs(arg, "byte"u8)) return true;
        c.Error(Errors.Syntax);
        return false;
    }

    /// <summary>
    /// Turns a start/end pair (negative counts from the end) into an inclusive bit range over a value
    /// of <paramref name="length"/> bytes, clamped as Redis clamps it; false when the range is empty.
    /// </summary>
    static bool TryBitRange(long start, long end, long length, bool inBits, out long firstBit, out long lastBit)
    {
        long total = inBits ? length << 3 : length;
        if (start < 0) start += total;
        if (end < 0) end += total;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= total) end = total - 1;
        firstBit = inBits ? start : start << 3;
        lastBit = inBits ? end : (end << 3) + 7;
        return start <= end;
    }

    // ---- SETBIT GETBIT -----------------------------------------------------------------------

    static void SetBit(Client c)
    {
        if (!TryBitOffset(c, c.Arg(2), allowFieldIndex: false, 0, out long offset)) return;
        if (!NumberParsing.TryParseInt64(c.Arg(3), out long on) || (on & ~1L) != 0)
        {
            c.Error(BitValueError);
            return;
        }
        if (!TryLookupForWrite(c, offset, out var packed, out bool grown)) return;
        var value = PackedString.MutableValue(packed);
        int index = (int)(offset >> 3), shift = 7 - (int)(offset & 7);
        int old = (value[index] >> shift) & 1;
        if (grown || old != on)
        {
            value[index] = (byte)((value[index] & ~(1 << shift)) | ((int)on << shift));
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "setbit");
        }
        c.Reply.Integer(old);
    }

    static void GetBit(Client c)
    {
        if (!TryBitOffset(c, c.Arg(2), allowFieldIndex: false, 0, out long offset)) return;
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Integer(0); return; }
        if (!StringCommands.TryString(c, item, out var packed)) return;
        var value = PackedString.Value(packed);
        long index = offset >> 3;
        c.Reply.Integer(index < value.Length ? (value[(int)index] >> (7 - (int)(offset & 7))) & 1 : 0);
    }

    // ---- BITCOUNT BITPOS ---------------------------------------------------------------------

    /// <summary>BITCOUNT key [start end [BYTE|BIT]]: Redis 7.0 looks the key up before it reads the range.</summary>
    static void BitCount(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Integer(0); return; }
        if (!StringCommands.TryString(c, item, out var packed)) return;
        var value = PackedString.Value(packed);
        if (c.Argc == 2)
        {
            c.Reply.Integer(PopCount(value));
            return;
        }
        if (c.Argc != 4 && c.Argc != 5)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long start) || !NumberParsing.TryParseInt64(c.Arg(3), out long end))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        if (start < 0 && end < 0 && start > end)
        {
            c.Reply.Integer(0);
            return;
        }
        bool inBits = false;
        if (c.Argc == 5 && !TryRangeUnit(c, 4, out inBits)) return;
        c.Reply.Integer(TryBitRange(start, end, value.Length, inBits, out long first, out long last) ? CountBits(value, first, last) : 0);
    }

    /// <summary>BITPOS key bit [start [end [BYTE|BIT]]].</summary>
    static void BitPos(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long bit))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        if (bit != 0 && bit != 1)
        {
            c.Error("ERR The bit argument must be 1 or 0."u8);
            return;
        }
        // A missing key is an endless run of zeros.
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Integer(bit == 1 ? -1 : 0); return; }
        if (!StringCommands.TryString(c, item, out var packed)) return;
        var value = PackedString.Value(packed);
        if (c.Argc > 6)
        {
            c.Error(Errors.Syntax);
            return;
        }
        long start = 0, end = -1;
        bool endGiven = c.Argc >= 5, inBits = false;
        if (c.Argc >= 4 && !NumberParsing.TryParseInt64(c.Arg(3), out start))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        if (c.Argc == 6 && !TryRangeUnit(c, 5, out inBits)) return;
        if (endGiven && !NumberParsing.TryParseInt64(c.Arg(4), out end))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        if (!TryBitRange(start, end, value.Length, inBits, out long first, out long last))
        {
            c.Reply.Integer(-1);
            return;
        }
        long found = FindBit(value, first, last, bit == 1);
        // Without an explicit end the string counts as followed by zeros: the first clear bit
        // may be the one just past it.
        if (found < 0 && bit == 0 && !endGiven) found = last + 1;
        c.Reply.Integer(found);
    }

    static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong w in words) count += BitOperations.PopCount(w);
        for (int i = words.Length * 8; i < bytes.Length; i++) count += BitOperations.PopCount(bytes[i]);
        return count;
    }

    /// <summary>Set bits in the inclusive bit range (within the value).</summary>
    static long CountBits(ReadOnlySpan<byte> value, long firstBit, long lastBit)
    {
        int firstByte = (int)(firstBit >> 3), lastByte = (int)(lastBit >> 3);
        long count = PopCount(value[firstByte..(lastByte + 1)]);
        count -= BitOperations.PopCount((uint)(value[firstByte] & ~(0xFF >> (int)(firstBit & 7)) & 0xFF));
        count -= BitOperations.PopCount((uint)(value[lastByte] & (0xFF >> (int)((lastBit & 7) + 1))));
        return count;
    }

    /// <summary>The first bit equal to <paramref name="one"/> in the inclusive bit range, or -1.</summary>
    static long FindBit(ReadOnlySpan<byte> value, long firstBit, long lastBit, bool one)
    {
        int firstByte = (int)(firstBit >> 3), lastByte = (int)(lastBit >> 3);
        byte noMatch = one ? (byte)0 : (byte)0xFF;
        for (int i = firstByte; i <= lastByte; i++)
        {
            if (i > firstByte && i < lastByte)
            {
                // Bytes strictly inside the range that cannot match are skipped at once (vectorized).
                int skip = value[i..lastByte].IndexOfAnyExcept(noMatch);
                i = skip < 0 ? lastByte : i + skip;
            }
            int b = one ? value[i] : ~value[i] & 0xFF;
            // Bits outside the range never match.
            if (i == firstByte) b &= 0xFF >> (int)(firstBit & 7);
            if (i == lastByte) b &= (0xFF << (7 - (int)(lastBit & 7))) & 0xFF;
            if (b != 0) return ((long)i << 3) + BitOperations.LeadingZeroCount((uint)b) - 24;
        }
        return -1;
    }

    // ---- BITOP -------------------------------------------------------------------------------

    enum BitOperation { And, Or, Xor, Not }

    /// <summary>BITOP AND|OR|XOR|NOT dest key...: missing keys are empty strings, the result is as long as the longest input.</summary>
    static void BitOp(Client c)
    {
        BitOperation op;
        if (c.ArgIs(1, "and"u8)) op = BitOperation.And;
        else if (c.ArgIs(1, "or"u8)) op = BitOperation.Or;
        else if (c.ArgIs(1, "xor"u8)) op = BitOperation.Xor;
        else if (c.ArgIs(1, "not"u8)) op = BitOperation.Not;
        else
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (op == BitOperation.Not && c.Argc != 4)
        {
            c.Error("ERR BITOP NOT must be called with a single source key."u8);
            return;
        }
        var db = c.Db;
        int sourceCount = c.Argc - 3;
        var sources = new byte[]?[sourceCount];
        int maxLength = 0;
        for (int j = 0; j < sourceCount; j++)
        {
            var item = db.LookupRead(c.Arg(j + 3));
            if (item == null) continue;
            if (!StringCommands.TryString(c, item, out var packed)) return;
            sources[j] = packed;
            maxLength = Math.Max(maxLength, PackedString.Value(packed).Length);
        }
        var target = c.Arg(2);
        if (maxLength == 0)
        {
            if (db.LookupWrite(target) != null)
            {
                db.Delete(target);
                c.Server.Dirty++;
                c.Server.SignalKeyChange(c, db, target, "del");
            }
            c.Reply.Integer(0);
            return;
        }
        // Computed aside (a source may be the target), then stored as SET stores: in place when the
        // target already holds a string of that length, so repeated BITOPs into one key allocate nothing.
        var result = System.Buffers.ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            Combine(op, sources, result.AsSpan(0, maxLength));
            db.LookupWrite(target); // an expired target goes first, as setKey's lookup does
            db.SetString(target, result.AsSpan(0, maxLength), encoding: StringEncoding.Raw);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(result);
        }
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, db, target, "set");
        c.Reply.Integer(maxLength);
    }

    /// <summary>Folds the sources into <paramref name="output"/> (as long as the longest; any content), bytes past a source's end counting as 0.</summary>
    static void Combine(BitOperation op, byte[]?[] sources, Span<byte> output)
    {
        // Block by block, so that every source's block is folded while the output's is in cache.
        const int Block = 8192;
        for (int offset = 0; offset < output.Length; offset += Block)
            CombineBlock(op, sources, output.Slice(offset, Math.Min(Block, output.Length - offset)), offset);
    }

    /// <summary>The bytes of a source at [offset, offset + length): shorter, or empty, past its end.</summary>
    static ReadOnlySpan<byte> Window(byte[]? source, int offset, int length)
    {
        if (source == null) return default;
        var value = PackedString.Value(source);
        return offset >= value.Length ? default : value.Slice(offset, Math.Min(length, value.Length - offset));
    }

    static void CombineBlock(BitOperation op, byte[]?[] sources, Span<byte> output, int offset)
    {
        var first = Window(sources[0], offset, output.Length);
        if (op == BitOperation.Not)
        {
            Invert(output[..first.Length], first);
            output[first.Length..].Fill(0xFF);
            return;
        }
        int start = 1;
        if (sources.Length > 1)
        {
            // The first two sources in one pass.
            var second = Window(sources[1], offset, output.Length);
            int both = Math.Min(first.Length, second.Length);
            Fold(output[..both], first, second, op);
            var longer = first.Length > second.Length ? first : second;
            if (op == BitOperation.And) output[both..].Clear();
            else longer[both..].CopyTo(output[both..]);
            output[longer.Length..].Clear();
            start = 2;
        }
        else
        {
            first.CopyTo(output);
            output[first.Length..].Clear();
        }
        for (int i = start; i < sources.Length; i++)
        {
            var source = Window(sources[i], offset, output.Length);
            Fold(output[..source.Length], output, source, op);
            if (op == BitOperation.And) output[source.Length..].Clear();
        }
    }

    /// <summary>output[i] = a[i] op b[i] over output's length (output may be a).</summary>
    static void Fold(Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, BitOperation op)
    {
        switch (op)
        {
            case BitOperation.And: Fold<AndBits>(output, a, b); break;
            case BitOperation.Or: Fold<OrBits>(output, a, b); break;
            default: Fold<XorBits>(output, a, b); break;
        }
    }

    interface IBitFold
    {
        static abstract Vector<byte> Apply(Vector<byte> x, Vector<byte> y);
        static abstract byte Apply(byte x, byte y);
    }

    struct AndBits : IBitFold
    {
        public static Vector<byte> Apply(Vector<byte> x, Vector<byte> y) => x & y;
        public static byte Apply(byte x, byte y) => (byte)(x & y);
    }

    struct OrBits : IBitFold
    {
        public static Vector<byte> Apply(Vector<byte> x, Vector<byte> y) => x | y;
        public static byte Apply(byte x, byte y) => (byte)(x | y);
    }

    struct XorBits : IBitFold
    {
        public static Vector<byte> Apply(Vector<byte> x, Vector<byte> y) => x ^ y;
        public static byte Apply(byte x, byte y) => (byte)(x ^ y);
    }

    static void Fold<T>(Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) where T : struct, IBitFold
    {
        int i = 0, width = Vector<byte>.Count;
        for (; i + width <= output.Length; i += width) T.Apply(new Vector<byte>(a[i..]), new Vector<byte>(b[i..])).CopyTo(output[i..]);
        for (; i < output.Length; i++) output[i] = T.Apply(a[i], b[i]);
    }

    static void Invert(Span<byte> output, ReadOnlySpan<byte> source)
    {
        int i = 0, width = Vector<byte>.Count;
        for (; i + width <= output.Length; i += width) (~new Vector<byte>(source[i..])).CopyTo(output[i..]);
        for (; i < output.Length; i++) output[i] = (byte)~source[i];
    }

    // ---- BITFIELD ----------------------------------------------------------------------------

    enum FieldOp : byte { Get, Set, IncrBy }
    enum Overflow : byte { Wrap, Sat, Fail }

    struct FieldOperation
    {
        public long Offset, Value;
        public FieldOp Op;
        public Overflow Overflow;
        public int Bits;
        public bool Signed;
    }

    static void BitField(Client c, bool readOnlyCommand)
    {
        // At most one operation per two arguments; small commands keep them on the stack.
        int maxOps = (c.Argc - 2) / 2;
        Span<FieldOperation> ops = maxOps <= 32 ? stackalloc FieldOperation[maxOps] : new FieldOperation[maxOps];
        int opCount = 0;
        var overflow = Overflow.Wrap;
        bool readOnly = true;
        long highestWrittenBit = 0;
        for (int j = 2; j < c.Argc; j++)
        {
            int remaining = c.Argc - j - 1;
            FieldOp op;
            if (c.ArgIs(j, "get"u8) && remaining >= 2) op = FieldOp.Get;
            else if (c.ArgIs(j, "set"u8) && remaining >= 3) op = FieldOp.Set;
            else if (c.ArgIs(j, "incrby"u8) && remaining >= 3) op = FieldOp.IncrBy;
            else if (c.ArgIs(j, "overflow"u8) && remaining >= 1)
            {
                j++;
                if (c.ArgIs(j, "wrap"u8)) overflow = Overflow.Wrap;
                else if (c.ArgIs(j, "sat"u8)) overflow = Overflow.Sat;
                else if (c.ArgIs(j, "fail"u8)) overflow = Overflow.Fail;
                else
                {
                    c.Error("ERR Invalid OVERFLOW type specified"u8);
                    return;
                }
                continue;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
            if (!TryFieldType(c.Arg(j + 1), out bool signed, out int bits))
            {
                c.Error(BitfieldTypeError);
                return;
            }
            if (!TryBitOffset(c, c.Arg(j + 2), allowFieldIndex: true, bits, out long offset)) return;
            long operand = 0;
            if (op != FieldOp.Get)
            {
                readOnly = false;
                highestWrittenBit = Math.Max(highestWrittenBit, offset + bits - 1);
                if (!NumberParsing.TryParseInt64(c.Arg(j + 3), out operand))
                {
                    c.Error(Errors.NotInteger);
                    return;
                }
            }
            ops[opCount++] = new FieldOperation { Offset = offset, Value = operand, Op = op, Overflow = overflow, Bits = bits, Signed = signed };
            j += op == FieldOp.Get ? 2 : 3;
        }

        byte[]? packed = null;
        bool grown = false;
        if (readOnly)
        {
            var item = c.Db.LookupRead(c.Arg(1));
            if (item != null && !StringCommands.TryString(c, item, out packed)) return;
        }
        else
        {
            if (readOnlyCommand)
            {
                c.Error("ERR BITFIELD_RO only supports the GET subcommand"u8);
                return;
            }
            if (!TryLookupForWrite(c, highestWrittenBit, out packed, out grown)) return;
        }

        c.Reply.ArrayHeader(opCount);
        long changes = 0;
        foreach (var op in ops[..opCount])
        {
            if (op.Op == FieldOp.Get)
            {
                var value = packed == null ? default : PackedString.Value(packed);
                ulong raw = ReadField(value, op.Offset, op.Bits);
                c.Reply.Integer(op.Signed ? SignExtend(raw, op.Bits) : (long)raw);
                continue;
            }
            var bytes = PackedString.MutableValue(packed!);
            ulong oldRaw = ReadField(bytes, op.Offset, op.Bits);
            long oldValue = op.Signed ? SignExtend(oldRaw, op.Bits) : (long)oldRaw;
            long newValue, reply;
            bool overflowed;
            if (op.Op == FieldOp.IncrBy)
            {
                overflowed = op.Signed
                    ? SignedOverflows(oldValue, op.Value, op.Bits, op.Overflow, out newValue)
                    : UnsignedOverflows((ulong)oldValue, op.Value, op.Bits, op.Overflow, out newValue);
                if (!overflowed) newValue = unchecked(oldValue + op.Value);
                reply = newValue;
            }
            else
            {
                overflowed = op.Signed
                    ? SignedOverflows(op.Value, 0, op.Bits, op.Overflow, out newValue)
                    : UnsignedOverflows((ulong)op.Value, 0, op.Bits, op.Overflow, out newValue);
                if (!overflowed) newValue = op.Value;
                reply = oldValue;
            }
            if (overflowed && op.Overflow == Overflow.Fail)
            {
                c.Reply.Null();
                continue;
            }
            c.Reply.Integer(reply);
            WriteField(bytes, op.Offset, op.Bits, (ulong)newValue);
            if (grown || oldValue != newValue) changes++;
        }
        if (changes > 0)
        {
            c.Server.Dirty += changes;
            c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "setbit");
        }
    }

    /// <summary>i1..i64 or u1..u63 (Redis reads the width as a C string: up to a NUL).</summary>
    static bool TryFieldType(ReadOnlySpan<byte> arg, out bool signed, out int bits)
    {
        signed = false;
        bits = 0;
        if (arg.Length == 0 || (arg[0] != 'i' && arg[0] != 'u')) return false;
        signed = arg[0] == 'i';
        var width = arg[1..];
        int nul = width.IndexOf((byte)0);
        if (nul >= 0) width = width[..nul];
        if (!NumberParsing.TryParseInt64(width, out long n) || n < 1 || n > (signed ? 64 : 63)) return false;
        bits = (int)n;
        return true;
    }

    /// <summary>The <paramref name="bits"/>-bit unsigned field at the bit offset; bits past the value read as 0.</summary>
    static ulong ReadField(ReadOnlySpan<byte> value, long offset, int bits)
    {
        ulong result = 0;
        for (int i = 0; i < bits; i++)
        {
            long bit = offset + i, index = bit >> 3;
            ulong b = index < value.Length ? (ulong)(value[(int)index] >> (7 - (int)(bit & 7))) & 1 : 0;
            result = (result << 1) | b;
        }
        return result;
    }

    static void WriteField(Span<byte> value, long offset, int bits, ulong field)
    {
        for (int i = 0; i < bits; i++)
        {
            long bit = offset + i;
            int index = (int)(bit >> 3), shift = 7 - (int)(bit & 7);
            int b = (int)((field >> (bits - 1 - i)) & 1);
            value[index] = (byte)((value[index] & ~(1 << shift)) | (b << shift));
        }
    }

    static long SignExtend(ulong raw, int bits) =>
        bits < 64 && (raw & (1UL << (bits - 1))) != 0 ? (long)(raw | (ulong.MaxValue << bits)) : (long)raw;

    /// <summary>
    /// Whether value + increment leaves the unsigned range of the width; when it does, the value to
    /// store under WRAP (modulo 2^bits) or SAT (the nearer limit) is given in <paramref name="limited"/>.
    /// </summary>
    static bool UnsignedOverflows(ulong value, long increment, int bits, Overflow mode, out long limited)
    {
        ulong max = (1UL << bits) - 1;
        long maxIncrement = unchecked((long)(max - value)), minIncrement = unchecked(-(long)value);
        limited = 0;
        bool over = value > max || (increment > 0 && increment > maxIncrement);
        bool under = !over && increment < 0 && increment < minIncrement;
        if (!over && !under) return false;
        if (mode == Overflow.Wrap) limited = (long)(unchecked(value + (ulong)increment) & max);
        else if (mode == Overflow.Sat) limited = over ? (long)max : 0;
        return true;
    }

    /// <summary>As <see cref="UnsignedOverflows"/> for a signed field (WRAP keeps two's complement within the width).</summary>
    static bool SignedOverflows(long value, long increment, int bits, Overflow mode, out long limited)
    {
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        // Either bound's distance can overflow; each is only used once the value's sign makes it safe.
        long maxIncrement = unchecked((long)((ulong)max - (ulong)value)), minIncrement = unchecked(min - value);
        limited = 0;
        bool over = value > max || (bits != 64 && increment > maxIncrement) || (value >= 0 && increment > 0 && increment > maxIncrement);
        bool under = !over && (value < min || (bits != 64 && increment < minIncrement) || (value < 0 && increment < 0 && increment < minIncrement));
        if (!over && !under) return false;
        if (mode == Overflow.Wrap)
        {
            ulong sum = unchecked((ulong)value + (ulong)increment);
            if (bits < 64)
            {
                ulong mask = ulong.MaxValue << bits;
                sum = (sum & (1UL << (bits - 1))) != 0 ? sum | mask : sum & ~mask;
            }
            limited = (long)sum;
        }
        else if (mode == Overflow.Sat) limited = over ? max : min;
        return true;
    }

    /// <summary>Redis's bitfieldGetKeys: the key is read-only unless a SET or INCRBY (or something unparsable) follows.</summary>
    static List<(int Position, string[] Flags)> BitFieldKeys(byte[][] args)
    {
        bool readOnly = true;
        for (int i = 2; i < args.Length; i++)
        {
            int remaining = args.Length - i - 1;
            if (Ascii.EqualsIgnoreCase(args[i], "get"u8) && remaining >= 2) i += 2;
            else if ((Ascii.EqualsIgnoreCase(args[i], "set"u8) || Ascii.EqualsIgnoreCase(args[i], "incrby"u8)) && remaining >= 3) { readOnly = false; break; }
            else if (Ascii.EqualsIgnoreCase(args[i], "overflow"u8) && remaining >= 1) i += 1;
            else { readOnly = false; break; }
        }
        return [(1, readOnly ? ["RO", "access"] : ["RW", "access", "update"])];
    }
}
