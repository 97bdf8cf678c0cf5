// Reads RDB primitives from a stream (a file being loaded, a replication transfer) or from a byte
// array (a RESTORE payload). It counts the offset of every byte it consumes, so a failure names
// where the data went wrong, and keeps the CRC-64 of the consumed bytes to check the trailer.
using System.Buffers.Binary;
using System.Globalization;

namespace Csredis.Server.Rdb;

public sealed class RdbReader
{
    readonly Stream? _source;
    byte[] _buffer;
    int _start, _end;
    long _consumedBefore; // bytes consumed before _buffer[0]
    ulong _crc;
    int _crcFrom;         // buffer index up to which _crc is current
    public bool TrackChecksum = true;

    public RdbReader(Stream source)
    {
        _source = source;
        _buffer = new byte[64 * 1024];
    }

    public RdbReader(byte[] data, int length)
    {
        _buffer = data;
        _end = length;
    }

    /// <summary>Bytes consumed so far: the offset error messages report.</summary>
    public long Offset => _consumedBefore + _start;

    /// <summary>CRC-64 of every byte consumed so far.</summary>
    public ulong Crc
    {
        get
        {
            if (_crcFrom < _start) { _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _start - _crcFrom)); _crcFrom = _start; }
            return _crc;
        }
    }

    /// <summary>True when no byte is left (end of a payload or of the stream).</summary>
    public bool AtEnd => _start == _end && !Fill(1);

    RdbFormatException Eof() => new("Unexpected EOF reading RDB file", Offset);

    /// <summary>Makes at least <paramref name="n"/> bytes available from _start, or returns false at end of input.</summary>
    bool Fill(int n)
    {
        if (_end - _start >= n) return true;
        if (_source == null) return false;
        if (TrackChecksum) _ = Crc;
        // Slide the unread bytes to the front and read more behind them.
        int unread = _end - _start;
        if (n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(n, _buffer.Length * 2));
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
        _consumedBefore += _start;
        _start = 0;
        _crcFrom = 0;
        _end = unread;
        while (_end < n)
        {
            int read = _source.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0) return false;
            _end += read;
        }
        return true;
    }

    ReadOnlySpan<byte> Take(int n)
    {
        if (!Fill(n)) throw Eof();
        var span = _buffer.AsSpan(_start, n);
        _start += n;
        return span;
    }

    public byte ReadByte()
    {
        if (_start == _end && !Fill(1)) throw Eof();
        return _buffer[_start++];
    }

    public byte[] ReadBytes(int n)
    {
        if (n <= _buffer.Length) return Take(n).ToArray();
        // A value larger than the buffer: read it in pieces.
        var result = new byte[n];
        int done = 0;
        while (done < n)
        {
            if (_start == _end && !Fill(1)) throw Eof();
            int chunk = Math.Min(n - done, _end - _start);
            _buffer.AsSpan(_start, chunk).CopyTo(result.AsSpan(done));
            _start += chunk;
            done += chunk;
        }
        return result;
    }

    public void Skip(long n)
    {
        while (n > 0)
        {
            if (_start == _end && !Fill(1)) throw Eof();
            int chunk = (int)Math.Min(n, _end - _start);
            _start += chunk;
            n -= chunk;
        }
    }

    /// <summary>A length prefix; <paramref name="encoded"/> is set for the special string encodings (the value is then the encoding).</summary>
    public ulong ReadLength(out bool encoded)
    {
        encoded = false;
        byte first = ReadByte();
        switch (first >> 6)
        {
            case RdbFormat.Len6Bit: return (ulong)(first & 0x3F);
            case RdbFormat.Len14Bit: return (ulong)((first & 0x3F) << 8 | ReadByte());
            case RdbFormat.EncodedValue:
                encoded = true;
                return (ulong)(first & 0x3F);
        }
        if (first == RdbFormat.Len32Bit) return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        if (first == RdbFormat.Len64Bit) return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
        throw new RdbFormatException($"Unknown length encoding {first} in rdbLoadLen()", Offset - 1);
    }

    public ulong ReadLength()
    {
        long at = Offset;
        ulong length = ReadLength(out bool encoded);
        if (encoded) throw new RdbFormatException("Unexpected encoded value where a length was expected", at);
        return length;
    }

    /// <summary>A length that is used to size a collection or a string: bounded so a corrupt file cannot demand absurd memory.</summary>
    public int ReadCount()
    {
        long at = Offset;
        ulong n = ReadLength();
        if (n > int.MaxValue) throw new RdbFormatException($"Length {n} is too large", at);
        return (int)n;
    }

    public byte[] ReadString()
    {
        long at = Offset;
        ulong length = ReadLength(out bool encoded);
        if (!encoded)
        {
            if (length > int.MaxValue) throw new RdbFormatException($"String length {length} is too large", at);
            return ReadBytes((int)length);
        }
        switch ((byte)length)
        {
            case RdbFormat.EncodingInt8: return FormatInteger((sbyte)ReadByte());
            case RdbFormat.EncodingInt16: return FormatInteger(BinaryPrimitives.ReadInt16LittleEndian(Take(2)));
            case RdbFormat.EncodingInt32: return FormatInteger(BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
            case RdbFormat.EncodingLzf:
            {
                int compressedLength = ReadCount();
                int plainLength = ReadCount();
                var compressed = ReadBytes(compressedLength);
                var plain = new byte[plainLength];
                if (Lzf.Decompress(compressed, plain) != plainLength)
                    throw new RdbFormatException("Invalid LZF compressed string", at);
                return plain;
            }
        }
        throw new RdbFormatException($"Unknown RDB string encoding type {length}", at);
    }

    /// <summary>
    /// A string copied into <paramref name="scratch"/> (grown when too small) instead of a new
    /// array: what the loader uses for values it copies into its own structures anyway. The span is
    /// valid until the scratch is used again.
    /// </summary>
    public ReadOnlySpan<byte> ReadStringInto(ref byte[] scratch)
    {
        long at = Offset;
        ulong length = ReadLength(out bool encoded);
        if (!encoded)
        {
            if (length > int.MaxValue) throw new RdbFormatException($"String length {length} is too large", at);
            var target = Scratch(ref scratch, (int)length);
            ReadInto(target);
            return target;
        }
        switch ((byte)length)
        {
            case RdbFormat.EncodingInt8: return FormatInto(ref scratch, (sbyte)ReadByte());
            case RdbFormat.EncodingInt16: return FormatInto(ref scratch, BinaryPrimitives.ReadInt16LittleEndian(Take(2)));
            case RdbFormat.EncodingInt32: return FormatInto(ref scratch, BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
            case RdbFormat.EncodingLzf:
            {
                int compressedLength = ReadCount();
                int plainLength = ReadCount();
                var target = Scratch(ref scratch, plainLength);
                int produced = compressedLength <= _buffer.Length
                    ? Lzf.Decompress(Take(compressedLength), target)
                    : Lzf.Decompress(ReadBytes(compressedLength), target);
                if (produced != plainLength) throw new RdbFormatException("Invalid LZF compressed string", at);
                return target;
            }
        }
        throw new RdbFormatException($"Unknown RDB string encoding type {length}", at);
    }

    static Span<byte> Scratch(ref byte[] scratch, int n)
    {
        if (scratch.Length < n) scratch = new byte[Math.Max(n, Math.Min(scratch.Length * 2, Array.MaxLength))];
        return scratch.AsSpan(0, n);
    }

    static ReadOnlySpan<byte> FormatInto(ref byte[] scratch, long value)
    {
        var target = Scratch(ref scratch, 20);
        value.TryFormat(target, out int n, default, CultureInfo.InvariantCulture);
        return target[..n];
    }

    void ReadInto(Span<byte> target)
    {
        int done = 0;
        while (done < target.Length)
        {
            if (_start == _end && !Fill(1)) throw Eof();
            int chunk = Math.Min(target.Length - done, _end - _start);
            _buffer.AsSpan(_start, chunk).CopyTo(target[done..]);
            _start += chunk;
            done += chunk;
        }
    }

    public void SkipString()
    {
        long at = Offset;
        ulong length = ReadLength(out bool encoded);
        if (!encoded) { Skip((long)length); return; }
        switch ((byte)length)
        {
            case RdbFormat.EncodingInt8: Skip(1); return;
            case RdbFormat.EncodingInt16: Skip(2); return;
            case RdbFormat.EncodingInt32: Skip(4); return;
            case RdbFormat.EncodingLzf:
                int compressed = ReadCount();
                ReadCount();
                Skip(compressed);
                return;
        }
        throw new RdbFormatException($"Unknown RDB string encoding type {length}", at);
    }

    static byte[] FormatInteger(long value) => System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    public long ReadMillisecondsTime() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public int ReadSecondsTime() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public double ReadBinaryDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));
    public ulong ReadUInt64LittleEndian() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>The old text double of RDB type zset-v1: a length byte (253 nan, 254 +inf, 255 -inf) and %.17g digits.</summary>
    public double ReadTextDouble()
    {
        long at = Offset;
        byte length = ReadByte();
        switch (length)
        {
            case 253: return double.NaN;
            case 254: return double.PositiveInfinity;
            case 255: return double.NegativeInfinity;
        }
        var text = Take(length);
        if (!double.TryParse(System.Text.Encoding.ASCII.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new RdbFormatException("Invalid double value", at);
        return value;
    }
}
