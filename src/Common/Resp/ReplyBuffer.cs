// A connection's output buffer with RESP2/RESP3 writers (Redis's addReply* family).
// Replies are encoded straight into one growable byte array rented from the shared pool; the
// event loop sends from [Sent, Length) and the buffer shrinks back to its initial size once drained,
// so a client that once read a huge reply does not keep the memory.
using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Csredis.Common.Resp;

public sealed class ReplyBuffer
{
    public const int InitialSize = 16 * 1024;
    byte[] _buf;
    int _length;
    int _sent;

    /// <summary>2 or 3: decides how nulls, maps, sets, doubles, booleans and pushes are framed.</summary>
    public int Protocol = 2;

    public ReplyBuffer() => _buf = ArrayPool<byte>.Shared.Rent(InitialSize);

    public int Length => _length;
    public int PendingBytes => _length - _sent;
    public bool HasPending => _length > _sent;
    public ReadOnlySpan<byte> Pending => new(_buf, _sent, _length - _sent);
    public byte[] RawBuffer => _buf;
    public int SentOffset => _sent;
    /// <summary>Bytes allocated for this buffer, for CLIENT LIST omem/obl and memory accounting.</summary>
    public int Capacity => _buf.Length;

    public void MarkSent(int n)
    {
        _sent += n;
        if (_sent == _length)
        {
            _sent = _length = 0;
            if (_buf.Length > InitialSize * 4)
            {
                ArrayPool<byte>.Shared.Return(_buf);
                _buf = ArrayPool<byte>.Shared.Rent(InitialSize);
            }
        }
    }

    /// <summary>Drops everything not yet sent (CLIENT REPLY OFF paths, closing connections).</summary>
    public void Clear() { _sent = _length = 0; }

    /// <summary>Rewinds to a length previously read from <see cref="Length"/> (used to discard a partial reply).</summary>
    public void Truncate(int length) { if (length >= _sent && length <= _length) _length = length; }

    public void Release()
    {
        if (_buf.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = Array.Empty<byte>();
        _length = _sent = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Span<byte> Reserve(int n)
    {
        if (_buf.Length - _length < n) Grow(n);
        return _buf.AsSpan(_length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void Grow(int n)
    {
        // Compact first: bytes already sent need not be kept.
        if (_sent > 0)
        {
            Buffer.BlockCopy(_buf, _sent, _buf, 0, _length - _sent);
            _length -= _sent;
            _sent = 0;
            if (_buf.Length - _length >= n) return;
        }
        int size = Math.Max(_buf.Length * 2, _length + n);
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        Buffer.BlockCopy(_buf, 0, bigger, 0, _length);
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void Ok() => Raw("+OK\r\n"u8);
    public void Pong() => Raw("+PONG\r\n"u8);
    public void Queued() => Raw("+QUEUED\r\n"u8);

    public void SimpleString(ReadOnlySpan<byte> s)
    {
        var dst = Reserve(s.Length + 3);
        dst[0] = (byte)'+';
        s.CopyTo(dst[1..]);
        dst[s.Length + 1] = (byte)'\r';
        dst[s.Length + 2] = (byte)'\n';
        _length += s.Length + 3;
    }

    public void SimpleString(string s) => SimpleString(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>An error reply; <paramref name="message"/> carries its own code ("ERR ...", "WRONGTYPE ...").
    /// Newlines are replaced by spaces as Redis does, so the reply stays one line.</summary>
    public void Error(ReadOnlySpan<byte> message)
    {
        var dst = Reserve(message.Length + 3);
        dst[0] = (byte)'-';
        for (int i = 0; i < message.Length; i++)
        {
            byte c = message[i];
            dst[i + 1] = c == '\r' || c == '\n' ? (byte)' ' : c;
        }
        dst[message.Length + 1] = (byte)'\r';
        dst[message.Length + 2] = (byte)'\n';
        _length += message.Length + 3;
    }

    public void Error(string message) => Error(System.Text.Encoding.UTF8.GetBytes(message));

    public void Integer(long value) => Prefixed((byte)':', value);

    public void ArrayHeader(long count) => Prefixed((byte)'*', count);

    /// <summary>RESP3 map header; in RESP2 a flat array of twice as many elements.</summary>
    public void MapHeader(long pairs)
    {
        if (Protocol >= 3) Prefixed((byte)'%', pairs);
        else Prefixed((byte)'*', pairs * 2);
    }

    public void SetHeader(long count) => Prefixed(Protocol >= 3 ? (byte)'~' : (byte)'*', count);
    public void PushHeader(long count) => Prefixed(Protocol >= 3 ? (byte)'>' : (byte)'*', count);
    public void AttributeHeader(long pairs) => Prefixed((byte)'|', pairs);

    public void Bulk(ReadOnlySpan<byte> value)
    {
        var dst = Reserve(value.Length + 24 + 5);
        dst[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, dst[1..], out int n);
        int p = 1 + n;
        dst[p++] = (byte)'\r';
        dst[p++] = (byte)'\n';
        value.CopyTo(dst[p..]);
        p += value.Length;
        dst[p++] = (byte)'\r';
        dst[p++] = (byte)'\n';
        _length += p;
    }

    public void Bulk(string value) => Bulk(System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>An integer sent as a bulk string (e.g. GET of an int-encoded value).</summary>
    public void BulkInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int n);
        Bulk(digits[..n]);
    }

    /// <summary>The null bulk string: $-1 in RESP2, _ in RESP3.</summary>
    public void Null() => Raw(Protocol >= 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null array: *-1 in RESP2, _ in RESP3.</summary>
    public void NullArray() => Raw(Protocol >= 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public void EmptyArray() => Raw("*0\r\n"u8);

    public void Bool(bool value)
    {
        if (Protocol >= 3) Raw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else Raw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>A double: RESP3 ",x", RESP2 a bulk string, formatted as Redis 7.0 does (%.17g, inf, -inf).</summary>
    public void Double(double value)
    {
        Span<byte> text = stackalloc byte[40];
        int n = DoubleFormat.Format17g(value, text);
        if (Protocol >= 3)
        {
            var dst = Reserve(n + 3);
            dst[0] = (byte)',';
            text[..n].CopyTo(dst[1..]);
            dst[n + 1] = (byte)'\r';
            dst[n + 2] = (byte)'\n';
            _length += n + 3;
        }
        else Bulk(text[..n]);
    }

    /// <summary>RESP3 verbatim string ("=len\r\ntxt:..."); a plain bulk string in RESP2.</summary>
    public void Verbatim(ReadOnlySpan<byte> text, ReadOnlySpan<byte> format)
    {
        if (Protocol < 3) { Bulk(text); return; }
        Prefixed((byte)'=', text.Length + 4);
        Raw(format);
        Raw(":"u8);
        Raw(text);
        Raw("\r\n"u8);
    }

    void Prefixed(byte type, long value)
    {
        var dst = Reserve(24);
        dst[0] = type;
        Utf8Formatter.TryFormat(value, dst[1..], out int n);
        dst[n + 1] = (byte)'\r';
        dst[n + 2] = (byte)'\n';
        _length += n + 3;
    }
}

/// <summary>Redis's printf("%.17g") rendering of doubles, plus "inf"/"-inf" (and "nan" never reaches a reply).</summary>
public static class DoubleFormat
{
    public static int Format17g(double value, Span<byte> dest)
    {
        if (double.IsPositiveInfinity(value)) { "inf"u8.CopyTo(dest); return 3; }
        if (double.IsNegativeInfinity(value)) { "-inf"u8.CopyTo(dest); return 4; }
        string s = FormatG(value, 17);
        for (int i = 0; i < s.Length; i++) dest[i] = (byte)s[i];
        return s.Length;
    }

    /// <summary>C's %.{precision}g: shortest of fixed/exponent notation, trailing zeros removed, exponent at least two digits.</summary>
    public static string FormatG(double value, int precision)
    {
        if (value == 0) return BitConverter.DoubleToInt64Bits(value) < 0 ? "-0" : "0";
        string e = value.ToString("E" + (precision - 1), CultureInfo.InvariantCulture); // d.ddddE+xxx
        int ePos = e.IndexOf('E');
        int exponent = int.Parse(e.AsSpan(ePos + 1), CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= precision)
        {
            string mantissa = TrimZeros(e[..ePos]);
            string sign = exponent < 0 ? "-" : "+";
            int abs = Math.Abs(exponent);
            return mantissa + "e" + sign + (abs < 10 ? "0" + abs : abs.ToString(CultureInfo.InvariantCulture));
        }
        string fixedText = value.ToString("F" + Math.Max(0, precision - 1 - exponent), CultureInfo.InvariantCulture);
        return TrimZeros(fixedText);
    }

    static string TrimZeros(string s)
    {
        if (s.IndexOf('.') < 0) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }
}
