// Serializes RDB primitives into a buffer that is either kept in memory (DUMP, values captured
// by a snapshot) or drained into a stream (files and replication sockets). The CRC-64 of every
// byte is kept as the bytes leave the buffer, so the trailer costs no second pass.
using System.Buffers.Binary;
using Csredis.Common.Text;

namespace Csredis.Server.Rdb;

public sealed class RdbWriter
{
    byte[] _buffer;
    int _length;
    readonly Stream? _sink;
    ulong _crc;
    long _flushed;
    public bool Compress = true;
    public bool Checksum = true;

    /// <summary>An in-memory writer (read the result with <see cref="WrittenSpan"/>).</summary>
    public RdbWriter(int capacity = 256) { _buffer = new byte[capacity]; }

    /// <summary>A writer that drains into <paramref name="sink"/> every 64 KB.</summary>
    public RdbWriter(Stream sink) { _buffer = new byte[64 * 1024]; _sink = sink; }

    public long Position => _flushed + _length;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);
    public ulong Crc => Checksum ? Crc64.Update(_crc, WrittenSpan) : 0;
    public void Reset() { _length = 0; _crc = 0; _flushed = 0; }

    Span<byte> Reserve(int n)
    {
        if (_length + n > _buffer.Length)
        {
            if (_sink != null)
            {
                Flush();
                if (n <= _buffer.Length) return _buffer.AsSpan(_length, n);
            }
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        }
        return _buffer.AsSpan(_length, n);
    }

    /// <summary>Moves the buffered bytes into the sink (no-op in memory).</summary>
    public void Flush()
    {
        if (_sink == null || _length == 0) return;
        if (Checksum) _crc = Crc64.Update(_crc, WrittenSpan);
        _sink.Write(_buffer, 0, _length);
        _flushed += _length;
        _length = 0;
    }

    public void WriteByte(byte b)
    {
        Reserve(1)[0] = b;
        _length++;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (_sink != null && bytes.Length > _buffer.Length)
        {
            Flush();
            if (Checksum) _crc = Crc64.Update(_crc, bytes);
            _sink.Write(bytes);
            _flushed += bytes.Length;
            return;
        }
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void WriteHeader() => WriteRaw("REDIS0010"u8);

    public void WriteLength(ulong length)
    {
        if (length < 1 << 6) WriteByte((byte)length);
        else if (length < 1 << 14)
        {
            var s = Reserve(2);
            s[0] = (byte)((RdbFormat.Len14Bit << 6) | (int)(length >> 8));
            s[1] = (byte)length;
            _length += 2;
        }
        else if (length <= uint.MaxValue)
        {
            var s = Reserve(5);
            s[0] = RdbFormat.Len32Bit;
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length);
            _length += 5;
        }
        else
        {
            var s = Reserve(9);
            s[0] = RdbFormat.Len64Bit;
            BinaryPrimitives.WriteUInt64BigEndian(s[1..], length);
            _length += 9;
        }
    }

    /// <summary>A string as Redis stores it: as an integer when it is one that fits 32 bits, LZF-compressed when long enough and it pays, raw otherwise.</summary>
    public void WriteString(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && s.Length > 0 && NumberParsing.TryParseInt64(s, out long value) && TryWriteEncodedInteger(value)) return;
        if (Compress && s.Length > 20 && TryWriteLzf(s)) return;
        WriteLength((ulong)s.Length);
        WriteRaw(s);
    }

    /// <summary>An integer written as a string value (aux fields, intset members).</summary>
    public void WriteIntegerString(long value)
    {
        if (TryWriteEncodedInteger(value)) return;
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        WriteLength((ulong)n);
        WriteRaw(digits[..n]);
    }

    bool TryWriteEncodedInteger(long value)
    {
        if (value >= sbyte.MinValue && value <= sbyte.MaxValue)
        {
            var s = Reserve(2);
            s[0] = (RdbFormat.EncodedValue << 6) | RdbFormat.EncodingInt8;
            s[1] = (byte)(sbyte)value;
            _length += 2;
        }
        else if (value >= short.MinValue && value <= short.MaxValue)
        {
            var s = Reserve(3);
            s[0] = (RdbFormat.EncodedValue << 6) | RdbFormat.EncodingInt16;
            BinaryPrimitives.WriteInt16LittleEndian(s[1..], (short)value);
            _length += 3;
        }
        else if (value >= int.MinValue && value <= int.MaxValue)
        {
            var s = Reserve(5);
            s[0] = (RdbFormat.EncodedValue << 6) | RdbFormat.EncodingInt32;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)value);
            _length += 5;
        }
        else return false;
        return true;
    }

    bool TryWriteLzf(ReadOnlySpan<byte> s)
    {
        // Redis keeps the compressed form only when it saves at least 4 bytes.
        int limit = s.Length - 4;
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            int compressed = Lzf.Compress(s, rented.AsSpan(0, limit));
            if (compressed == 0) return false;
            WriteByte((RdbFormat.EncodedValue << 6) | RdbFormat.EncodingLzf);
            WriteLength((ulong)compressed);
            WriteLength((ulong)s.Length);
            WriteRaw(rented.AsSpan(0, compressed));
            return true;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
    }

    public void WriteMillisecondsTime(long ms)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), ms);
        _length += 8;
    }

    public void WriteBinaryDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
        _length += 8;
    }

    public void WriteAux(string key, string value)
    {
        WriteByte(RdbFormat.OpcodeAux);
        WriteString(System.Text.Encoding.UTF8.GetBytes(key));
        WriteString(System.Text.Encoding.UTF8.GetBytes(value));
    }

    public void WriteAux(string key, long value)
    {
        WriteByte(RdbFormat.OpcodeAux);
        WriteString(System.Text.Encoding.UTF8.GetBytes(key));
        WriteIntegerString(value);
    }

    public void WriteSelectDb(int db, long keys, long expires)
    {
        WriteByte(RdbFormat.OpcodeSelectDb);
        WriteLength((ulong)db);
        WriteByte(RdbFormat.OpcodeResizeDb);
        WriteLength((ulong)keys);
        WriteLength((ulong)expires);
    }

    /// <summary>EOF opcode and the CRC-64 trailer (zero when checksums are off), then a final flush.</summary>
    public void WriteEnd()
    {
        WriteByte(RdbFormat.OpcodeEof);
        ulong crc = Crc;
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), crc);
        _length += 8;
        Flush();
    }
}
