// Integer parsing and formatting with Redis's exact rules (string2ll / ll2string): no leading
// '+', no leading zeros, no spaces, "-0" rejected, full int64 range. Works on bytes, allocates nothing.
namespace Csredis.Common.Text;

public static class NumberParsing
{
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        int len = s.Length;
        if (len == 0 || len > 20) return false;
        if (len == 1 && s[0] == '0') return true;
        int p = 0;
        bool negative = false;
        if (s[0] == '-') { negative = true; p = 1; if (len == 1) return false; }
        if (s[p] < '1' || s[p] > '9') return false;
        ulong v = 0;
        for (; p < len; p++)
        {
            uint d = (uint)(s[p] - '0');
            if (d > 9) return false;
            if (v > (ulong.MaxValue - d) / 10) return false;
            v = v * 10 + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    /// <summary>Writes the decimal form of <paramref name="value"/>; returns the number of bytes (at most 20).</summary>
    public static int FormatInt64(long value, Span<byte> dest)
    {
        System.Buffers.Text.Utf8Formatter.TryFormat(value, dest, out int written);
        return written;
    }

    public static int DigitCount(long value)
    {
        if (value < 0) return value == long.MinValue ? 20 : 1 + DigitCount(-value);
        int n = 1;
        while (value >= 10) { value /= 10; n++; }
        return n;
    }
}
