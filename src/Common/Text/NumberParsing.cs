// Integer parsing and formatting with Redis's exact rules (string2ll / ll2string): no leading
// '+', no leading zeros, no spaces, "-0" rejected, full int64 range. Works on bytes, allocates nothing.
// Doubles follow C's strtod grammar (decimal, hex "0x1p3", inf/infinity, no nan) with the two
// strictness levels Redis uses: getDoubleFromObject (scores, increments) and raw strtod (range bounds).
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

    /// <summary>
    /// Redis's getDoubleFromObject: the whole text must be a strtod number with no surrounding
    /// spaces; NaN, overflow to infinity and underflow to zero are rejected; "inf" is accepted.
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        if (s.Length == 0 || IsCSpace(s[0])) { value = 0; return false; }
        return TryStrtod(s, out value, out bool rangeError) && !rangeError && !double.IsNaN(value);
    }

    /// <summary>Plain strtod over the whole text as ZRANGEBYSCORE bounds use it: leading spaces and
    /// out-of-range values are accepted (an empty text is 0), trailing characters and NaN are not.</summary>
    public static bool TryParseDoubleLenient(ReadOnlySpan<byte> s, out double value)
    {
        int p = 0;
        while (p < s.Length && IsCSpace(s[p])) p++;
        if (p == s.Length) { value = 0; return true; }
        return TryStrtod(s[p..], out value, out _) && !double.IsNaN(value);
    }

    /// <summary>
    /// strtod over the whole text after leading spaces, with glibc's ERANGE in
    /// <paramref name="rangeError"/>: overflow, or a result below the smallest normal double that is
    /// not exact (so "1e-310" is a range error, "0x1p-1074" is not): SORT's score parsing. False
    /// when the text is not entirely one number (including when it is empty or only spaces).
    /// </summary>
    public static bool TryParseDoubleStrtod(ReadOnlySpan<byte> s, out double value, out bool rangeError)
    {
        int p = 0;
        while (p < s.Length && IsCSpace(s[p])) p++;
        rangeError = false;
        value = 0;
        if (p == s.Length || !TryStrtod(s[p..], out value, out rangeError)) return false;
        if (!rangeError && value != 0 && Math.Abs(value) <= SmallestNormal) rangeError = IsInexactTiny(s[p..], Math.Abs(value));
        return true;
    }

    const double SmallestNormal = 2.2250738585072014e-308;

    /// <summary>
    /// For a number text whose double is at most the smallest normal: whether its exact value lies
    /// below that smallest normal and differs from the double (glibc's underflow condition). The
    /// text is already known to be valid.
    /// </summary>
    static bool IsInexactTiny(ReadOnlySpan<byte> s, double magnitude)
    {
        if (s[0] == '+' || s[0] == '-') s = s[1..];
        bool hex = s.Length > 2 && s[0] == '0' && (s[1] | 0x20) == 'x';
        if (hex) s = s[2..];
        var digits = System.Numerics.BigInteger.Zero;
        int fractionDigits = 0, p = 0, radix = hex ? 16 : 10;
        bool inFraction = false;
        for (; p < s.Length; p++)
        {
            byte b = s[p];
            if (b == '.') { inFraction = true; continue; }
            int d = b >= '0' && b <= '9' ? b - '0' : hex && (b | 0x20) >= 'a' && (b | 0x20) <= 'f' ? (b | 0x20) - 'a' + 10 : -1;
            if (d < 0) break;
            digits = digits * radix + d;
            if (inFraction) fractionDigits++;
        }
        long exponent = 0;
        if (p < s.Length)
        {
            int q = p + 1;
            bool negative = false;
            if (q < s.Length && (s[q] == '+' || s[q] == '-')) negative = s[q++] == '-';
            for (; q < s.Length; q++) exponent = Math.Min(exponent * 10 + (s[q] - '0'), 100000);
            if (negative) exponent = -exponent;
        }
        // The exact value is digits * 10^pow10 * 2^pow2; the double is mantissa * 2^-1074 scaled.
        long pow10 = hex ? 0 : exponent - fractionDigits;
        long pow2 = hex ? exponent - 4L * fractionDigits : 0;
        long bits = BitConverter.DoubleToInt64Bits(magnitude);
        long biased = bits >> 52, mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (biased != 0) mantissa |= 1L << 52;
        long doublePow2 = biased == 0 ? -1074 : biased - 1075;
        // Compare exact against 2^-1022 and against the double, as integers: multiply everything
        // by 10^-pow10 (when negative) and by 2^k for a k that clears every negative power of two.
        long shift = Math.Max(0, Math.Max(-pow2, Math.Max(1022, -doublePow2)));
        var scale10 = pow10 < 0 ? System.Numerics.BigInteger.Pow(10, (int)-pow10) : System.Numerics.BigInteger.One;
        var exact = digits * (pow10 > 0 ? System.Numerics.BigInteger.Pow(10, (int)pow10) : System.Numerics.BigInteger.One) << (int)(shift + pow2);
        var smallestNormal = scale10 << (int)(shift - 1022);
        var asDouble = (scale10 * mantissa) << (int)(shift + doublePow2);
        return exact < smallestNormal && exact != asDouble;
    }

    static bool IsCSpace(byte b) => b == ' ' || (b >= '\t' && b <= '\r');

    /// <summary>strtod over exactly <paramref name="s"/> (no leading spaces); false if any byte is left over.</summary>
    static bool TryStrtod(ReadOnlySpan<byte> s, out double value, out bool rangeError)
    {
        value = 0;
        rangeError = false;
        int p = 0;
        bool negative = false;
        if (p < s.Length && (s[p] == '+' || s[p] == '-')) negative = s[p++] == '-';
        var rest = s[p..];
        if (EqualsIgnoreCase(rest, "inf"u8) || EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (rest.Length >= 3 && EqualsIgnoreCase(rest[..3], "nan"u8)) { value = double.NaN; return rest.Length == 3 || rest[3] == '(' && rest[^1] == ')'; }
        bool nonZeroDigit = false;
        if (rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && TryHex(rest[2..], out value, out nonZeroDigit)) { }
        else if (!TryDecimal(rest, out value, out nonZeroDigit)) return false;
        if (negative) value = -value;
        rangeError = double.IsInfinity(value) || value == 0 && nonZeroDigit;
        return true;
    }

    static bool TryDecimal(ReadOnlySpan<byte> s, out double value, out bool nonZeroDigit)
    {
        value = 0;
        nonZeroDigit = false;
        int p = 0, digits = 0;
        while (p < s.Length && (uint)(s[p] - '0') <= 9) { nonZeroDigit |= s[p] != '0'; p++; digits++; }
        if (p < s.Length && s[p] == '.')
        {
            p++;
            while (p < s.Length && (uint)(s[p] - '0') <= 9) { nonZeroDigit |= s[p] != '0'; p++; digits++; }
        }
        if (digits == 0) return false;
        if (p < s.Length && (s[p] | 0x20) == 'e')
        {
            int q = p + 1;
            if (q < s.Length && (s[q] == '+' || s[q] == '-')) q++;
            int start = q;
            while (q < s.Length && (uint)(s[q] - '0') <= 9) q++;
            if (q == start) return false; // "1e" leaves the "e" unconsumed
            p = q;
        }
        if (p != s.Length) return false;
        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++) chars[i] = (char)s[i];
        value = double.Parse(chars, System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowExponent,
            System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The hexadecimal form strtod accepts after "0x": hex digits, optional fraction, optional binary exponent "p".</summary>
    static bool TryHex(ReadOnlySpan<byte> s, out double value, out bool nonZeroDigit)
    {
        value = 0;
        nonZeroDigit = false;
        int p = 0, digits = 0, fractionDigits = 0;
        bool inFraction = false;
        for (; p < s.Length; p++)
        {
            byte b = s[p];
            if (b == '.' && !inFraction) { inFraction = true; continue; }
            int d = b >= '0' && b <= '9' ? b - '0' : (b | 0x20) >= 'a' && (b | 0x20) <= 'f' ? (b | 0x20) - 'a' + 10 : -1;
            if (d < 0) break;
            value = value * 16 + d;
            nonZeroDigit |= d != 0;
            digits++;
            if (inFraction) fractionDigits++;
        }
        if (digits == 0) return false;
        long exponent = -4L * fractionDigits;
        if (p < s.Length && (s[p] | 0x20) == 'p')
        {
            int q = p + 1;
            bool negative = false;
            if (q < s.Length && (s[q] == '+' || s[q] == '-')) negative = s[q++] == '-';
            int start = q;
            long e = 0;
            while (q < s.Length && (uint)(s[q] - '0') <= 9) { e = Math.Min(e * 10 + (s[q] - '0'), 100000); q++; }
            if (q == start) return false;
            exponent += negative ? -e : e;
            p = q;
        }
        if (p != s.Length) return false;
        value = Math.ScaleB(value, (int)Math.Clamp(exponent, -100000, 100000));
        return true;
    }

    static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> lower)
    {
        if (a.Length != lower.Length) return false;
        for (int i = 0; i < a.Length; i++) if ((a[i] | 0x20) != lower[i]) return false;
        return true;
    }
}
