// Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in C's `long double`, which on x86-64 Linux is
// the x87 80-bit extended format: a 64-bit significand and a 15-bit exponent. Replies are printed
// with "%.17Lf" and trailing zeros stripped, so the digits users see depend on that precision.
// .NET has no such type, so this file emulates the three operations Redis performs: strtold
// (correctly rounded decimal/hex parsing with its acceptance rules), one addition (exact sum,
// then rounded to 64 bits, ties to even) and the fixed-point formatting, all through exact
// BigInteger arithmetic. Only these few commands use it, so clarity wins over speed here.
using System.Numerics;

namespace Csredis.Common.Text;

public readonly struct LongDouble
{
    // A finite value is (-1)^Negative * Significand * 2^Exponent with Significand < 2^64.
    public readonly ulong Significand;
    public readonly int Exponent;
    public readonly bool Negative;
    public readonly bool IsInfinity;

    const int SignificandBits = 64;
    const int MaxUnbiasedExponent = 16383;
    /// <summary>Exponent of the least significant bit of the smallest subnormal (2^-16445).</summary>
    const int MinLsbExponent = -16382 - (SignificandBits - 1);

    LongDouble(ulong significand, int exponent, bool negative, bool infinity = false)
    {
        Significand = significand;
        Exponent = exponent;
        Negative = negative;
        IsInfinity = infinity;
    }

    public bool IsZero => !IsInfinity && Significand == 0;

    public static LongDouble FromInt64(long value) =>
        value < 0 ? new LongDouble(0 - (ulong)value, 0, true) : new LongDouble((ulong)value, 0, false);

    /// <summary>
    /// Redis's string2ld: strtold must consume the whole input (a NUL byte stops it, so fails),
    /// no leading space, NaN rejected, overflow and underflow to zero rejected. Infinity is accepted.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        if (s.Length == 0 || s.Length >= 5 * 1024) return false;
        if (IsCSpace(s[0])) return false;
        int p = 0;
        bool negative = false;
        if (s[0] == '+' || s[0] == '-') { negative = s[0] == '-'; p = 1; }
        var rest = s[p..];
        if (EqualsIgnoreCase(rest, "inf"u8) || EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new LongDouble(0, 0, negative, infinity: true);
            return true;
        }
        if (rest.Length >= 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && TryParseHex(rest[2..], negative, out value, out bool hexOk))
            return hexOk;
        return TryParseDecimal(rest, negative, out value);
    }

    static bool IsCSpace(byte b) => b == ' ' || (b >= '\t' && b <= '\r');

    static bool EqualsIgnoreCase(ReadOnlySpan<byte> s, ReadOnlySpan<byte> lower)
    {
        if (s.Length != lower.Length) return false;
        for (int i = 0; i < s.Length; i++) if ((s[i] | 0x20) != lower[i]) return false;
        return true;
    }

    static bool TryParseDecimal(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        if (TryParseDecimalFast(s, negative, out value, out bool valid)) return valid;
        return TryParseDecimalExact(s, negative, out value);
    }

    static readonly UInt128[] PowersOfTen = CreatePowersOfTen();

    static UInt128[] CreatePowersOfTen()
    {
        var powers = new UInt128[39];
        powers[0] = 1;
        for (int i = 1; i < powers.Length; i++) powers[i] = powers[i - 1] * 10;
        return powers;
    }

    /// <summary>
    /// The common case without allocating: at most 19 significant digits and a small exponent, so
    /// the exact value is an integer or a quotient that 128-bit arithmetic can round correctly.
    /// Returns false (not handled) for anything else; the BigInteger path then decides.
    /// </summary>
    static bool TryParseDecimalFast(ReadOnlySpan<byte> s, bool negative, out LongDouble value, out bool valid)
    {
        value = default;
        valid = false;
        ulong digits = 0;
        int significant = 0, fractionDigits = 0, p = 0;
        bool any = false;
        for (; p < s.Length && IsDigit(s[p]); p++)
        {
            any = true;
            if (digits == 0 && s[p] == '0') continue;
            if (++significant > 19) return false;
            digits = digits * 10 + (ulong)(s[p] - '0');
        }
        if (p < s.Length && s[p] == '.')
        {
            for (p++; p < s.Length && IsDigit(s[p]); p++)
            {
                any = true;
                fractionDigits++;
                if (digits == 0 && s[p] == '0') continue;
                if (++significant > 19) return false;
                digits = digits * 10 + (ulong)(s[p] - '0');
            }
        }
        if (!any) return false;
        int exponent10 = 0;
        if (p < s.Length && (s[p] | 0x20) == 'e')
        {
            p++;
            bool expNegative = false;
            if (p < s.Length && (s[p] == '+' || s[p] == '-')) { expNegative = s[p] == '-'; p++; }
            if (p >= s.Length || !IsDigit(s[p])) return false;
            for (; p < s.Length && IsDigit(s[p]); p++)
            {
                if (exponent10 > 1000) return false;
                exponent10 = exponent10 * 10 + (s[p] - '0');
            }
            if (expNegative) exponent10 = -exponent10;
        }
        if (p != s.Length) return false;
        if (digits == 0)
        {
            value = new LongDouble(0, 0, negative);
            valid = true;
            return true;
        }
        exponent10 -= fractionDigits;
        if (exponent10 >= 0)
        {
            if (exponent10 > 19) return false;
            value = RoundFast((UInt128)digits * PowersOfTen[exponent10], 0, false, negative);
        }
        else
        {
            if (exponent10 < -38) return false;
            value = DivideFast(digits, PowersOfTen[-exponent10], negative);
        }
        valid = true;
        return true;
    }

    /// <summary>digits / divisor correctly rounded: binary long division until 66 significant quotient bits.</summary>
    static LongDouble DivideFast(ulong digits, UInt128 divisor, bool negative)
    {
        UInt128 quotient = digits / divisor;
        UInt128 remainder = digits % divisor;
        int exponent = 0;
        while (BitLength(quotient) < SignificandBits + 2)
        {
            remainder <<= 1;
            quotient <<= 1;
            exponent--;
            if (remainder >= divisor)
            {
                remainder -= divisor;
                quotient |= 1;
            }
        }
        return RoundFast(quotient, exponent, remainder != 0, negative);
    }

    static int BitLength(UInt128 v) => 128 - (int)UInt128.LeadingZeroCount(v);

    /// <summary>Round for values far from the exponent limits (no overflow or subnormal handling needed).</summary>
    static LongDouble RoundFast(UInt128 quotient, int exponent, bool sticky, bool negative)
    {
        int bits = BitLength(quotient);
        if (bits <= SignificandBits) return new LongDouble((ulong)quotient, exponent, negative);
        int shift = bits - SignificandBits;
        UInt128 significand = quotient >> shift;
        UInt128 remainder = quotient - (significand << shift);
        UInt128 half = UInt128.One << (shift - 1);
        if (remainder > half || remainder == half && (sticky || (significand & 1) != 0)) significand++;
        exponent += shift;
        if (BitLength(significand) > SignificandBits)
        {
            significand >>= 1;
            exponent++;
        }
        return new LongDouble((ulong)significand, exponent, negative);
    }

    static bool TryParseDecimalExact(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        value = default;
        int p = 0;
        int intStart = p;
        while (p < s.Length && IsDigit(s[p])) p++;
        int intEnd = p, fracStart = p, fracEnd = p;
        if (p < s.Length && s[p] == '.')
        {
            fracStart = ++p;
            while (p < s.Length && IsDigit(s[p])) p++;
            fracEnd = p;
        }
        if (intEnd == intStart && fracEnd == fracStart) return false;
        long exponent10 = 0;
        if (p < s.Length && (s[p] | 0x20) == 'e')
        {
            p++;
            bool expNegative = false;
            if (p < s.Length && (s[p] == '+' || s[p] == '-')) { expNegative = s[p] == '-'; p++; }
            if (p >= s.Length || !IsDigit(s[p])) return false; // strtold would stop before the 'e'
            while (p < s.Length && IsDigit(s[p]))
            {
                if (exponent10 < 1_000_000_000) exponent10 = exponent10 * 10 + (s[p] - '0');
                p++;
            }
            if (expNegative) exponent10 = -exponent10;
        }
        if (p != s.Length) return false;

        var digits = new byte[(intEnd - intStart) + (fracEnd - fracStart)];
        s[intStart..intEnd].CopyTo(digits);
        s[fracStart..fracEnd].CopyTo(digits.AsSpan(intEnd - intStart));
        exponent10 -= fracEnd - fracStart;
        int first = Array.FindIndex(digits, d => d != '0');
        if (first < 0)
        {
            value = new LongDouble(0, 0, negative);
            return true;
        }
        var mantissa = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(digits, first, digits.Length - first));
        int significantDigits = digits.Length - first;
        // Far outside the range of the format: overflow (HUGE_VAL) or underflow to zero, both rejected with ERANGE.
        if (exponent10 + significantDigits > 4940) return false;
        if (exponent10 + significantDigits < -4960) return false;
        BigInteger quotient;
        int binaryExponent;
        bool sticky;
        if (exponent10 >= 0)
        {
            quotient = mantissa * BigInteger.Pow(10, (int)exponent10);
            binaryExponent = 0;
            sticky = false;
        }
        else
        {
            var divisor = BigInteger.Pow(10, (int)-exponent10);
            long extra = SignificandBits + 3 + (long)divisor.GetBitLength() - (long)mantissa.GetBitLength();
            int shift = (int)Math.Max(0, extra);
            quotient = BigInteger.DivRem(mantissa << shift, divisor, out var remainder);
            binaryExponent = -shift;
            sticky = !remainder.IsZero;
        }
        value = Round(quotient, binaryExponent, sticky, negative);
        return !value.IsInfinity && !value.IsZero;
    }

    /// <summary>Hexadecimal float ("0x1.8p3"). hexOk is false when the text is not a complete hex float.</summary>
    static bool TryParseHex(ReadOnlySpan<byte> s, bool negative, out LongDouble value, out bool hexOk)
    {
        value = default;
        hexOk = false;
        BigInteger mantissa = BigInteger.Zero;
        int p = 0, digitCount = 0, fracDigits = 0;
        bool seenPoint = false;
        for (; p < s.Length; p++)
        {
            byte b = s[p];
            int d = HexValue(b);
            if (d >= 0)
            {
                mantissa = (mantissa << 4) + d;
                digitCount++;
                if (seenPoint) fracDigits++;
            }
            else if (b == '.' && !seenPoint) seenPoint = true;
            else break;
        }
        if (digitCount == 0) return true; // "0x" alone: strtold consumes just the "0", so the rest is garbage
        long exponent2 = 0;
        if (p < s.Length && (s[p] | 0x20) == 'p')
        {
            p++;
            bool expNegative = false;
            if (p < s.Length && (s[p] == '+' || s[p] == '-')) { expNegative = s[p] == '-'; p++; }
            if (p >= s.Length || !IsDigit(s[p])) return true;
            while (p < s.Length && IsDigit(s[p]))
            {
                if (exponent2 < 1_000_000_000) exponent2 = exponent2 * 10 + (s[p] - '0');
                p++;
            }
            if (expNegative) exponent2 = -exponent2;
        }
        if (p != s.Length) return true;
        if (mantissa.IsZero)
        {
            value = new LongDouble(0, 0, negative);
            hexOk = true;
            return true;
        }
        long scale = exponent2 - 4L * fracDigits;
        long top = scale + (long)mantissa.GetBitLength();
        if (top > MaxUnbiasedExponent + 1 || top < MinLsbExponent - 1) return true;
        value = Round(mantissa, (int)scale, false, negative);
        hexOk = !value.IsInfinity && !value.IsZero;
        return true;
    }

    static bool IsDigit(byte b) => b >= '0' && b <= '9';

    static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// Rounds (quotient + f) * 2^exponent, where 0 &lt;= f &lt; 1 and f != 0 exactly when sticky,
    /// to the extended format (round to nearest, ties to even, gradual underflow).
    /// </summary>
    static LongDouble Round(BigInteger quotient, int exponent, bool sticky, bool negative)
    {
        if (quotient.IsZero) return new LongDouble(0, 0, negative);
        long bitLength = (long)quotient.GetBitLength();
        long valueExponent = bitLength - 1 + exponent;
        long lsb = Math.Max(valueExponent - (SignificandBits - 1), MinLsbExponent);
        long shift = lsb - exponent;
        BigInteger significand;
        if (shift <= 0) significand = quotient << (int)-shift;
        else
        {
            significand = quotient >> (int)shift;
            var remainder = quotient - (significand << (int)shift);
            var half = BigInteger.One << (int)(shift - 1);
            int cmp = remainder.CompareTo(half);
            if (cmp > 0 || cmp == 0 && (sticky || !significand.IsEven)) significand += 1;
        }
        if (significand.GetBitLength() > SignificandBits)
        {
            significand >>= 1;
            lsb++;
        }
        if (lsb + SignificandBits - 1 > MaxUnbiasedExponent) return new LongDouble(0, 0, negative, infinity: true);
        return new LongDouble((ulong)significand, (int)lsb, negative);
    }

    /// <summary>The sum rounded as the x87 unit does; false when it is NaN or infinite (Redis's error case).</summary>
    public static bool TryAdd(LongDouble a, LongDouble b, out LongDouble sum)
    {
        sum = default;
        if (a.IsInfinity || b.IsInfinity) return false;
        if (a.Significand == 0 && b.Significand == 0)
        {
            sum = new LongDouble(0, 0, a.Negative && b.Negative);
            return true;
        }
        if (a.Significand != 0 && b.Significand != 0 && Math.Abs(a.Exponent - b.Exponent) <= 63
            && Math.Max(a.Exponent, b.Exponent) < 16000 && Math.Min(a.Exponent, b.Exponent) > -16000)
        {
            // Both fit in 128 bits once aligned: exact sum, then one rounding, no allocation.
            var (high, low) = a.Exponent >= b.Exponent ? (a, b) : (b, a);
            UInt128 highBits = (UInt128)high.Significand << (high.Exponent - low.Exponent);
            UInt128 lowBits = low.Significand;
            if (high.Negative == low.Negative)
                sum = RoundFast(highBits + lowBits, low.Exponent, false, high.Negative);
            else if (highBits == lowBits)
                sum = new LongDouble(0, 0, false);
            else if (highBits > lowBits)
                sum = RoundFast(highBits - lowBits, low.Exponent, false, high.Negative);
            else
                sum = RoundFast(lowBits - highBits, low.Exponent, false, low.Negative);
            return true;
        }
        int e = Math.Min(a.Significand == 0 ? b.Exponent : a.Exponent, b.Significand == 0 ? a.Exponent : b.Exponent);
        var total = Signed(a, e) + Signed(b, e);
        if (total.IsZero)
        {
            sum = new LongDouble(0, 0, false); // x + (-x) is +0 when rounding to nearest
            return true;
        }
        sum = Round(BigInteger.Abs(total), e, false, total.Sign < 0);
        return !sum.IsInfinity;
    }

    static BigInteger Signed(LongDouble v, int exponent)
    {
        if (v.Significand == 0) return BigInteger.Zero;
        var magnitude = new BigInteger(v.Significand) << (v.Exponent - exponent);
        return v.Negative ? -magnitude : magnitude;
    }

    /// <summary>
    /// Redis's ld2string in human mode: "%.17Lf" (correctly rounded, ties to even), trailing zeros
    /// and a bare '.' removed, "-0" printed as "0".
    /// </summary>
    /// <summary>
    /// <see cref="ToHumanString"/> written as ASCII into <paramref name="dest"/> without allocating
    /// when the integer part fits in 128 bits; returns -1 when it does not (or dest is too small).
    /// </summary>
    public int TryFormatHuman(Span<byte> dest)
    {
        if (IsInfinity || Exponent > 63 || dest.Length < 64) return -1;
        UInt128 integerPart;
        ulong fraction = 0; // the 17 fraction digits, rounded
        const ulong FractionScale = 100_000_000_000_000_000UL;
        if (Exponent >= 0) integerPart = (UInt128)Significand << Exponent;
        else
        {
            int shift = -Exponent;
            UInt128 fractionBits;
            if (shift >= 128) { integerPart = 0; fractionBits = 0; shift = 0; }
            else if (shift >= 64) { integerPart = 0; fractionBits = Significand; }
            else
            {
                integerPart = Significand >> shift;
                fractionBits = Significand & ((1UL << shift) - 1);
            }
            if (fractionBits != 0)
            {
                UInt128 scaled = fractionBits * FractionScale; // < 2^121
                UInt128 q = scaled >> shift;
                UInt128 remainder = scaled - (q << shift);
                UInt128 half = UInt128.One << (shift - 1);
                if (remainder > half || remainder == half && (q & 1) != 0) q++;
                if (q == FractionScale) { integerPart++; q = 0; }
                fraction = (ulong)q;
            }
        }
        int n = 0;
        if (Negative && (integerPart != 0 || fraction != 0)) dest[n++] = (byte)'-';
        Span<byte> digits = stackalloc byte[40];
        int d = digits.Length;
        do
        {
            digits[--d] = (byte)('0' + (int)(integerPart % 10));
            integerPart /= 10;
        } while (integerPart != 0);
        digits[d..].CopyTo(dest[n..]);
        n += digits.Length - d;
        if (fraction != 0)
        {
            dest[n++] = (byte)'.';
            int width = 17;
            while (fraction % 10 == 0) { fraction /= 10; width--; }
            for (int i = width - 1; i >= 0; i--)
            {
                dest[n + i] = (byte)('0' + (int)(fraction % 10));
                fraction /= 10;
            }
            n += width;
        }
        return n;
    }

    public string ToHumanString()
    {
        if (IsInfinity) return Negative ? "-inf" : "inf";
        const int FractionDigits = 17;
        BigInteger integerPart, fraction;
        var tenPow = BigInteger.Pow(10, FractionDigits);
        if (Exponent >= 0)
        {
            integerPart = new BigInteger(Significand) << Exponent;
            fraction = BigInteger.Zero;
        }
        else
        {
            var scaled = new BigInteger(Significand) * tenPow;
            int shift = -Exponent;
            var q = scaled >> shift;
            var remainder = scaled - (q << shift);
            var half = BigInteger.One << (shift - 1);
            int cmp = remainder.CompareTo(half);
            if (cmp > 0 || cmp == 0 && !q.IsEven) q += 1;
            integerPart = BigInteger.DivRem(q, tenPow, out fraction);
        }
        var text = new System.Text.StringBuilder();
        if (Negative) text.Append('-');
        text.Append(integerPart.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!fraction.IsZero)
        {
            var digits = fraction.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(FractionDigits, '0').TrimEnd('0');
            text.Append('.').Append(digits);
        }
        var result = text.ToString();
        return result == "-0" ? "0" : result;
    }
}
