// HyperLogLog values in Redis's byte format, so GET, SET, DUMP/RESTORE and RDB files carry an HLL
// between csredis and Redis unchanged. Written from the documented representation:
//
//   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, then the cached
//   cardinality as 8 little-endian bytes whose top bit set means "stale, recompute".
//   16384 registers: an element's 64-bit MurmurHash64A (seed 0xadc83b19) picks the register with
//   its low 14 bits; the register keeps the largest "position of the first 1 bit" (1..51) seen
//   in the other 50 bits.
//   dense: the registers as 6-bit fields packed from the least significant bit of each byte
//   (12288 bytes).
//   sparse: run-length opcodes covering all registers in order: ZERO 00xxxxxx (1..64 zero
//   registers), XZERO 01xxxxxx yyyyyyyy (1..16384 zero registers), VAL 1vvvvvxx (1..4 registers
//   holding 1..32). An empty HLL is one XZERO of 16384.
//
// A sparse value is edited in place the way Redis does it: the opcode covering the register is
// split into at most five bytes (zeros before, the new VAL, zeros or the old value after), then
// equal adjacent VALs near the edit are merged. The same additions therefore leave the same bytes
// as in Redis. A value above 32, or an edit that would grow the value past hll-sparse-max-bytes,
// promotes the HLL to dense. The estimate is Otmar Ertl's improved raw estimator ("New
// cardinality estimation algorithms for HyperLogLog sketches", 2017) over the register histogram,
// with Redis's order of floating-point operations so both servers answer the same number.
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Csredis.Server.Keyspace.Types;

public static class HyperLogLog
{
    public const int HeaderSize = 16;
    const int IndexBits = 14;
    public const int Registers = 1 << IndexBits;
    const int RegisterBits = 6;
    const int MaxRegister = (1 << RegisterBits) - 1;
    public const int DenseSize = HeaderSize + Registers * RegisterBits / 8;
    /// <summary>Hash bits left after the index: register values go up to Q + 1.</summary>
    const int Q = 64 - IndexBits;
    public const byte EncodingDense = 0, EncodingSparse = 1;
    const int EncodingOffset = 4, CardinalityOffset = 8, StaleByte = 15;
    const byte StaleBit = 0x80;
    const ulong Seed = 0xadc83b19UL;

    // Sparse opcode limits.
    public const int ZeroMaxRun = 64, XZeroMaxRun = Registers, ValMaxValue = 32, ValMaxRun = 4;

    /// <summary>A new HLL: sparse, one XZERO covering every register, cached cardinality 0 (valid).</summary>
    public static ReadOnlySpan<byte> Empty => [(byte)'H', (byte)'Y', (byte)'L', (byte)'L', EncodingSparse, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x40 | ((XZeroMaxRun - 1) >> 8), (XZeroMaxRun - 1) & 0xFF];

    /// <summary>
    /// What Redis accepts as an HLL: the magic, a known encoding, and for dense the exact size. A
    /// sparse body is only checked when it is walked (a broken one is an INVALIDOBJ then).
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> value) =>
        value.Length >= HeaderSize && value[..4].SequenceEqual("HYLL"u8) && value[EncodingOffset] <= EncodingSparse
        && (value[EncodingOffset] != EncodingDense || value.Length == DenseSize);

    public static bool IsDense(ReadOnlySpan<byte> value) => value[EncodingOffset] == EncodingDense;
    public static bool CacheIsValid(ReadOnlySpan<byte> value) => (value[StaleByte] & StaleBit) == 0;
    public static ulong CachedCardinality(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadUInt64LittleEndian(value[CardinalityOffset..]);
    public static void StoreCardinality(Span<byte> value, ulong cardinality) => BinaryPrimitives.WriteUInt64LittleEndian(value[CardinalityOffset..], cardinality);
    public static void MarkStale(Span<byte> value) => value[StaleByte] |= StaleBit;
    public static void SetEncoding(Span<byte> value, byte encoding) => value[EncodingOffset] = encoding;

    // ---- hashing -------------------------------------------------------------------------------

    /// <summary>The register an element lands in and the value it offers there (1..51).</summary>
    public static int Hash(ReadOnlySpan<byte> element, out int index)
    {
        ulong hash = MurmurHash64A(element, Seed);
        index = (int)(hash & (Registers - 1));
        // The marker bit bounds the count when the remaining 50 bits are all zero.
        ulong rest = (hash >> IndexBits) | (1UL << Q);
        return BitOperations.TrailingZeroCount(rest) + 1;
    }

    /// <summary>Austin Appleby's MurmurHash64A, reading 8-byte blocks little-endian (as Redis does on any host).</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995UL;
        const int r = 47;
        ulong h = seed ^ ((ulong)data.Length * m);
        int blocks = data.Length & ~7;
        for (int i = 0; i < blocks; i += 8)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        var tail = data[blocks..];
        if (tail.Length > 0)
        {
            for (int i = tail.Length - 1; i >= 0; i--) h ^= (ulong)tail[i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    // ---- dense registers -------------------------------------------------------------------------

    /// <summary>Register <paramref name="index"/> of a dense body (the bytes after the header).</summary>
    public static int GetRegister(ReadOnlySpan<byte> registers, int index)
    {
        int bit = index * RegisterBits, b = bit >> 3, shift = bit & 7;
        int low = registers[b] >> shift;
        int high = b + 1 < registers.Length ? registers[b + 1] << (8 - shift) : 0;
        return (low | high) & MaxRegister;
    }

    public static void SetRegister(Span<byte> registers, int index, int value)
    {
        int bit = index * RegisterBits, b = bit >> 3, shift = bit & 7;
        registers[b] = (byte)((registers[b] & ~(MaxRegister << shift)) | (value << shift));
        // A field starting at bit 0 or 2 ends in its first byte: the last register has no next byte.
        if (shift > 8 - RegisterBits)
            registers[b + 1] = (byte)((registers[b + 1] & ~(MaxRegister >> (8 - shift))) | (value >> (8 - shift)));
    }

    // ---- sparse opcodes --------------------------------------------------------------------------

    public static bool IsZero(byte op) => (op & 0xC0) == 0;
    public static bool IsXZero(byte op) => (op & 0xC0) == 0x40;
    public static bool IsVal(byte op) => (op & 0x80) != 0;
    public static int ZeroRun(byte op) => (op & 0x3F) + 1;
    public static int XZeroRun(byte op, byte next) => (((op & 0x3F) << 8) | next) + 1;
    public static int ValValue(byte op) => ((op >> 2) & 0x1F) + 1;
    public static int ValRun(byte op) => (op & 0x3) + 1;
    public static byte ValOp(int value, int run) => (byte)(0x80 | ((value - 1) << 2) | (run - 1));

    /// <summary>Writes a run of zero registers as ZERO (up to 64) or XZERO; returns the bytes written.</summary>
    public static int WriteZeroRun(Span<byte> dst, int run)
    {
        if (run <= ZeroMaxRun)
        {
            dst[0] = (byte)(run - 1);
            return 1;
        }
        dst[0] = (byte)(0x40 | ((run - 1) >> 8));
        dst[1] = (byte)((run - 1) & 0xFF);
        return 2;
    }

    /// <summary>The byte after an XZERO's first one; a value cut short reads as zero there (the terminator Redis's strings carry).</summary>
    static byte NextByte(ReadOnlySpan<byte> value, int p) => p + 1 < value.Length ? value[p + 1] : (byte)0;

    /// <summary>
    /// Expands a sparse value into a dense one: the header is copied (cache included) with the
    /// dense encoding. False when the opcodes do not cover exactly the 16384 registers.
    /// </summary>
    public static bool SparseToDense(ReadOnlySpan<byte> sparse, Span<byte> dense)
    {
        dense.Clear();
        sparse[..HeaderSize].CopyTo(dense);
        dense[EncodingOffset] = EncodingDense;
        var registers = dense[HeaderSize..];
        int index = 0, p = HeaderSize;
        while (p < sparse.Length)
        {
            byte op = sparse[p];
            if (IsZero(op)) { index += ZeroRun(op); p++; }
            else if (IsXZero(op)) { index += XZeroRun(op, NextByte(sparse, p)); p += 2; }
            else
            {
                int run = ValRun(op), value = ValValue(op);
                if (index + run > Registers) return false; // a VAL past the last register
                for (int i = 0; i < run; i++) SetRegister(registers, index++, value);
                p++;
            }
        }
        return index == Registers;
    }

    /// <summary>PFDEBUG DECODE: the opcodes as "z:run" (ZERO), "Z:run" (XZERO) and "v:value,run", space separated.</summary>
    public static string DecodeSparse(ReadOnlySpan<byte> sparse)
    {
        var text = new StringBuilder();
        int p = HeaderSize;
        while (p < sparse.Length)
        {
            if (text.Length > 0) text.Append(' ');
            byte op = sparse[p];
            if (IsZero(op)) { text.Append("z:").Append(ZeroRun(op)); p++; }
            else if (IsXZero(op)) { text.Append("Z:").Append(XZeroRun(op, NextByte(sparse, p))); p += 2; }
            else { text.Append("v:").Append(ValValue(op)).Append(',').Append(ValRun(op)); p++; }
        }
        return text.ToString();
    }

    // ---- union and estimate ----------------------------------------------------------------------

    /// <summary>
    /// Raises each of <paramref name="max"/>'s 16384 registers (one byte each) to the value's;
    /// false when a sparse value does not cover exactly the registers (PFMERGE, multi-key PFCOUNT).
    /// </summary>
    public static bool MergeInto(Span<byte> max, ReadOnlySpan<byte> value)
    {
        if (IsDense(value))
        {
            var registers = value[HeaderSize..];
            for (int i = 0; i < Registers; i++)
            {
                int v = GetRegister(registers, i);
                if (v > max[i]) max[i] = (byte)v;
            }
            return true;
        }
        int index = 0, p = HeaderSize;
        while (p < value.Length)
        {
            byte op = value[p];
            if (IsZero(op)) { index += ZeroRun(op); p++; }
            else if (IsXZero(op)) { index += XZeroRun(op, NextByte(value, p)); p += 2; }
            else
            {
                int run = ValRun(op), v = ValValue(op);
                if (index + run > Registers) return false; // a VAL past the last register
                for (int i = 0; i < run; i++, index++)
                    if (v > max[index]) max[index] = (byte)v;
                p++;
            }
        }
        return index == Registers;
    }

    /// <summary>The estimate of a stored HLL; false when a sparse value does not cover exactly the registers.</summary>
    public static bool TryCount(ReadOnlySpan<byte> value, out ulong cardinality)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        cardinality = 0;
        if (IsDense(value))
        {
            var registers = value[HeaderSize..];
            for (int i = 0; i < Registers; i++) histogram[GetRegister(registers, i)]++;
        }
        else
        {
            int index = 0, p = HeaderSize;
            while (p < value.Length)
            {
                byte op = value[p];
                int run;
                if (IsZero(op)) { run = ZeroRun(op); histogram[0] += run; p++; }
                else if (IsXZero(op)) { run = XZeroRun(op, NextByte(value, p)); histogram[0] += run; p += 2; }
                else { run = ValRun(op); histogram[ValValue(op)] += run; p++; }
                index += run;
            }
            if (index != Registers) return false;
        }
        cardinality = Estimate(histogram);
        return true;
    }

    /// <summary>The estimate of registers held one per byte (the union multi-key PFCOUNT builds).</summary>
    public static ulong CountRegisters(ReadOnlySpan<byte> registers)
    {
        Span<int> histogram = stackalloc int[256];
        histogram.Clear();
        for (int i = 0; i < Registers; i++) histogram[registers[i]]++;
        return Estimate(histogram);
    }

    /// <summary>1 / (2 ln 2), the asymptotic bias constant of the estimator.</summary>
    const double AlphaInfinity = 0.721347520444481703680;

    /// <summary>
    /// Ertl's estimator: m² α∞ / (m σ(C₀/m) + Σₖ Cₖ 2⁻ᵏ + m τ(1 − C_{q+1}/m) 2⁻q), the sum
    /// evaluated Horner-style from the top register value down, rounded half away from zero.
    /// Register values above q + 1 cannot come from hashing and are ignored.
    /// </summary>
    static ulong Estimate(ReadOnlySpan<int> histogram)
    {
        const double m = Registers;
        double z = m * Tau((m - histogram[Q + 1]) / m);
        for (int k = Q; k >= 1; k--)
        {
            z += histogram[k];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        return (ulong)Math.Round(AlphaInfinity * m * m / z, MidpointRounding.AwayFromZero);
    }

    /// <summary>σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), summed until the value stops changing.</summary>
    static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1.0, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (previous != z);
        return z;
    }

    /// <summary>τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k) / 3, summed until the value stops changing.</summary>
    static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            // Math.Pow is the C library's pow, the function Redis calls here: same bits.
            z -= Math.Pow(1 - x, 2) * y;
        } while (previous != z);
        return z / 3;
    }

    // ---- PFSELFTEST --------------------------------------------------------------------------------

    /// <summary>
    /// Checks the dense register packing with random values, then adds a million distinct elements to
    /// a sparse and a dense HLL: while the sparse one stays sparse both must estimate the same, and
    /// at each power of ten the estimate must lie within five standard errors. Null when all passed.
    /// </summary>
    public static string? SelfTest(long sparseMaxBytes)
    {
        var random = new Random(unchecked((int)Environment.TickCount64));
        var registers = new byte[DenseSize - HeaderSize];
        var expected = new byte[Registers];
        for (int cycle = 0; cycle < 1000; cycle++)
        {
            for (int i = 0; i < Registers; i++)
            {
                expected[i] = (byte)random.Next(MaxRegister + 1);
                SetRegister(registers, i, expected[i]);
            }
            for (int i = 0; i < Registers; i++)
                if (GetRegister(registers, i) != expected[i]) return $"TESTFAILED Register error at {i}";
        }

        var sparse = new HyperLogLogEditor();
        var dense = new HyperLogLogEditor();
        sparse.Begin(null, inPlace: false, sparseMaxBytes);
        dense.Begin(null, inPlace: false, sparseMaxBytes);
        if (!dense.ToDense()) return "TESTFAILED Dense conversion failed";
        double relativeError = 1.04 / Math.Sqrt(Registers);
        Span<byte> element = stackalloc byte[20];
        long checkpoint = 1;
        for (long j = 1; j <= 1_000_000; j++)
        {
            j.TryFormat(element, out int length, provider: System.Globalization.CultureInfo.InvariantCulture);
            if (sparse.Add(element[..length]) < 0 || dense.Add(element[..length]) < 0) return "TESTFAILED Corrupted HLL while adding";
            if (j != checkpoint) continue;
            if (!HyperLogLog.TryCount(dense.Value, out ulong estimate) || !HyperLogLog.TryCount(sparse.Value, out ulong sparseEstimate))
                return "TESTFAILED Corrupted HLL while counting";
            if (!sparse.IsDense && sparseEstimate != estimate) return $"TESTFAILED dense/sparse disagree: {sparseEstimate} != {estimate}";
            double absoluteError = Math.Abs((double)estimate - checkpoint);
            double maxError = checkpoint < 100 ? 1 + checkpoint * relativeError * 5 : checkpoint * relativeError * 5;
            if (absoluteError > maxError)
                return $"TESTFAILED Too big error. card:{estimate} abserr:{absoluteError.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)}";
            checkpoint *= 10;
        }
        return null;
    }
}

/// <summary>
/// One HLL value being changed by a command (PFADD, PFMERGE, PFCOUNT storing its estimate,
/// PFDEBUG). A dense value is edited in the stored bytes when no snapshot needs them, otherwise in
/// a copy; a sparse value is edited in a reusable buffer because its length changes. Commit puts
/// the result back as a raw string (Redis unshares the value before any HLL write, so OBJECT
/// ENCODING says raw afterwards even when nothing changed).
/// </summary>
public sealed class HyperLogLogEditor
{
    enum Place { Stored, SparseBuffer, DenseBuffer }

    Place _place;
    byte[]? _stored;
    bool _inPlace;
    /// <summary>The edited bytes differ from the stored value (or it must become raw).</summary>
    bool _changed;
    long _sparseMaxBytes;
    byte[] _sparse = new byte[256];
    int _sparseLength;
    byte[]? _dense;

    /// <summary>
    /// Starts editing <paramref name="stored"/> (a packed string holding a valid HLL), or a new
    /// empty HLL when null. <paramref name="inPlace"/>: no snapshot still reads the stored array.
    /// </summary>
    public void Begin(byte[]? stored, bool inPlace, long sparseMaxBytes)
    {
        _stored = stored;
        _inPlace = inPlace && stored != null;
        _sparseMaxBytes = sparseMaxBytes;
        _changed = false;
        var value = stored == null ? HyperLogLog.Empty : PackedString.Value(stored);
        if (stored != null && PackedString.Encoding(stored) != StringEncoding.Raw)
        {
            if (_inPlace) PackedString.SetEncoding(stored, StringEncoding.Raw);
            else _changed = true;
        }
        if (stored != null && HyperLogLog.IsDense(value)) _place = Place.Stored;
        else if (HyperLogLog.IsDense(value)) LoadDense(value);
        else
        {
            EnsureSparseCapacity(value.Length + 8);
            value.CopyTo(_sparse);
            _sparseLength = value.Length;
            _place = Place.SparseBuffer;
        }
    }

    public bool IsDense => _place != Place.SparseBuffer;

    public ReadOnlySpan<byte> Value => _place switch
    {
        Place.Stored => PackedString.Value(_stored!),
        Place.SparseBuffer => _sparse.AsSpan(0, _sparseLength),
        _ => _dense,
    };

    /// <summary>The value's bytes for writing: a dense value the snapshot still needs is copied first.</summary>
    Span<byte> Writable()
    {
        _changed = true;
        if (_place == Place.Stored)
        {
            if (_inPlace) return PackedString.MutableValue(_stored!);
            LoadDense(PackedString.Value(_stored!));
        }
        return _place == Place.SparseBuffer ? _sparse.AsSpan(0, _sparseLength) : _dense;
    }

    void LoadDense(ReadOnlySpan<byte> value)
    {
        _dense ??= new byte[HyperLogLog.DenseSize];
        value.CopyTo(_dense);
        _place = Place.DenseBuffer;
    }

    void EnsureSparseCapacity(int needed)
    {
        if (_sparse.Length >= needed) return;
        Array.Resize(ref _sparse, Math.Max(needed, _sparse.Length * 2));
    }

    public void MarkStale()
    {
        if (!HyperLogLog.CacheIsValid(Value)) return;
        HyperLogLog.MarkStale(Writable());
    }

    public void StoreCardinality(ulong cardinality) => HyperLogLog.StoreCardinality(Writable(), cardinality);

    /// <summary>Adds an element: 1 when a register grew, 0 when not, -1 for a corrupt sparse value.</summary>
    public int Add(ReadOnlySpan<byte> element)
    {
        int count = HyperLogLog.Hash(element, out int index);
        return Set(index, count);
    }

    /// <summary>Raises register <paramref name="index"/> to <paramref name="count"/>: 1 if it grew, 0 if not, -1 if the sparse value is corrupt.</summary>
    public int Set(int index, int count)
    {
        if (_place == Place.SparseBuffer) return SparseSet(index, count);
        if (HyperLogLog.GetRegister(Value[HyperLogLog.HeaderSize..], index) >= count) return 0;
        HyperLogLog.SetRegister(Writable()[HyperLogLog.HeaderSize..], index, count);
        return 1;
    }

    /// <summary>Converts a sparse value to dense (no-op for dense); false when the sparse value is corrupt.</summary>
    public bool ToDense()
    {
        if (_place != Place.SparseBuffer) return true;
        _dense ??= new byte[HyperLogLog.DenseSize];
        if (!HyperLogLog.SparseToDense(_sparse.AsSpan(0, _sparseLength), _dense)) return false;
        _place = Place.DenseBuffer;
        _changed = true;
        return true;
    }

    int SparseSet(int index, int count)
    {
        if (count > HyperLogLog.ValMaxValue) return PromoteAndSet(index, count);
        EnsureSparseCapacity(_sparseLength + 8);
        var buffer = _sparse;
        int end = _sparseLength;

        // Find the opcode covering the register: it starts at register 'first' and covers 'span'.
        int p = HyperLogLog.HeaderSize, first = 0, span = 0, previous = -1;
        while (p < end)
        {
            byte op = buffer[p];
            int length = 1;
            if (HyperLogLog.IsZero(op)) span = HyperLogLog.ZeroRun(op);
            else if (HyperLogLog.IsVal(op)) span = HyperLogLog.ValRun(op);
            else
            {
                span = HyperLogLog.XZeroRun(op, p + 1 < end ? buffer[p + 1] : (byte)0);
                length = 2;
            }
            if (index <= first + span - 1) break;
            previous = p;
            p += length;
            first += span;
        }
        if (p >= end) return -1;

        byte current = buffer[p];
        bool isZero = HyperLogLog.IsZero(current), isXZero = HyperLogLog.IsXZero(current), isVal = HyperLogLog.IsVal(current);
        int next = isXZero ? p + 2 : p + 1;
        if (next >= end) next = -1;

        if (isVal)
        {
            if (HyperLogLog.ValValue(current) >= count) return 0;
            if (span == 1)
            {
                buffer[p] = HyperLogLog.ValOp(count, 1);
                return Updated(previous, end);
            }
        }
        if (isZero && span == 1)
        {
            buffer[p] = HyperLogLog.ValOp(count, 1);
            return Updated(previous, end);
        }

        // The general case: the opcode becomes [before] VAL(count,1) [after].
        Span<byte> sequence = stackalloc byte[5];
        int n = 0, last = first + span - 1;
        if (isVal)
        {
            int old = HyperLogLog.ValValue(current);
            if (index != first) sequence[n++] = HyperLogLog.ValOp(old, index - first);
            sequence[n++] = HyperLogLog.ValOp(count, 1);
            if (index != last) sequence[n++] = HyperLogLog.ValOp(old, last - index);
        }
        else
        {
            if (index != first) n += HyperLogLog.WriteZeroRun(sequence[n..], index - first);
            sequence[n++] = HyperLogLog.ValOp(count, 1);
            if (index != last) n += HyperLogLog.WriteZeroRun(sequence[n..], last - index);
        }
        int delta = n - (isXZero ? 2 : 1);
        if (delta > 0 && _sparseLength + delta > _sparseMaxBytes) return PromoteAndSet(index, count);
        if (delta != 0 && next >= 0) buffer.AsSpan(next, end - next).CopyTo(buffer.AsSpan(next + delta));
        _sparseLength += delta;
        sequence[..n].CopyTo(buffer.AsSpan(p));
        return Updated(previous, end + delta);
    }

    /// <summary>
    /// After an edit: VAL opcodes of the same value next to each other are merged while their run
    /// fits, scanning five opcodes from the one before the edit (Redis's window, which decides
    /// the exact bytes). The cache is marked stale.
    /// </summary>
    int Updated(int previous, int end)
    {
        var buffer = _sparse;
        int p = previous >= 0 ? previous : HyperLogLog.HeaderSize;
        int scan = 5;
        while (p < end && scan-- > 0)
        {
            byte op = buffer[p];
            if (HyperLogLog.IsXZero(op)) { p += 2; continue; }
            if (HyperLogLog.IsZero(op)) { p++; continue; }
            if (p + 1 < end && HyperLogLog.IsVal(buffer[p + 1]))
            {
                byte right = buffer[p + 1];
                int value = HyperLogLog.ValValue(op);
                int run = HyperLogLog.ValRun(op) + HyperLogLog.ValRun(right);
                if (value == HyperLogLog.ValValue(right) && run <= HyperLogLog.ValMaxRun)
                {
                    buffer[p + 1] = HyperLogLog.ValOp(value, run);
                    buffer.AsSpan(p + 1, end - p - 1).CopyTo(buffer.AsSpan(p));
                    end--;
                    continue;
                }
            }
            p++;
        }
        _sparseLength = end;
        _changed = true;
        HyperLogLog.MarkStale(_sparse);
        return 1;
    }

    int PromoteAndSet(int index, int count)
    {
        if (!ToDense()) return -1;
        HyperLogLog.SetRegister(_dense.AsSpan(HyperLogLog.HeaderSize), index, count);
        return 1;
    }

    /// <summary>Stores the result under <paramref name="key"/>: added when the HLL is new, else replacing or overwriting the stored value.</summary>
    public void Commit(Db db, ReadOnlySpan<byte> key)
    {
        if (_stored == null)
        {
            db.Add(PackedString.Create(key, Value, StringEncoding.Raw));
            return;
        }
        if (!_changed || (_place == Place.Stored && _inPlace)) return;
        var value = Value;
        if (_inPlace && PackedString.Value(_stored).Length == value.Length)
        {
            value.CopyTo(PackedString.MutableValue(_stored));
            return;
        }
        db.Replace(PackedString.Create(key, value, StringEncoding.Raw));
    }
}
