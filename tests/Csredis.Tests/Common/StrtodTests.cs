// NumberParsing.TryParseDoubleStrtod is SORT's weight parser: it must accept exactly what glibc's
// strtod consumes whole, give the same double, and report ERANGE exactly when glibc sets it
// (overflow, and results below the smallest normal that are not exact). The reference is the
// strtod of the C library the tests run on, called directly.
using System.Runtime.InteropServices;
using System.Text;
using Csredis.Common.Text;
using Xunit;

namespace Csredis.Tests.Common;

public unsafe class StrtodTests
{
    [DllImport("libc", EntryPoint = "strtod")]
    static extern double LibcStrtod(byte* text, byte** end);

    [DllImport("libc", EntryPoint = "__errno_location")]
    static extern int* ErrnoLocation();

    const int ERANGE = 34;

    static (bool Whole, double Value, bool RangeError) Libc(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "\0");
        fixed (byte* p = bytes)
        {
            byte* end;
            *ErrnoLocation() = 0;
            double v = LibcStrtod(p, &end);
            int errno = *ErrnoLocation();
            return (end - p == text.Length && text.Length > 0, v, errno == ERANGE);
        }
    }

    static void AssertSameAsLibc(string text)
    {
        var expected = Libc(text);
        bool whole = NumberParsing.TryParseDoubleStrtod(Encoding.ASCII.GetBytes(text), out double value, out bool rangeError);
        Assert.True(expected.Whole == whole, $"'{text}': libc consumes whole={expected.Whole}, csredis={whole}");
        if (!whole) return;
        Assert.True(BitConverter.DoubleToInt64Bits(expected.Value) == BitConverter.DoubleToInt64Bits(value) || double.IsNaN(value) && double.IsNaN(expected.Value),
            $"'{text}': libc {expected.Value:R}, csredis {value:R}");
        Assert.True(expected.RangeError == rangeError, $"'{text}': libc ERANGE={expected.RangeError}, csredis={rangeError}");
    }

    [Theory]
    [InlineData("0")] [InlineData("-0")] [InlineData("1")] [InlineData(" 1")] [InlineData("\t\n 7")] [InlineData("1 ")]
    [InlineData("")] [InlineData(" ")] [InlineData("+5")] [InlineData("--5")] [InlineData(".5")] [InlineData("5.")] [InlineData(".")]
    [InlineData("1e5")] [InlineData("1E-5")] [InlineData("1e")] [InlineData("1e+")] [InlineData("0x10")] [InlineData("0x")] [InlineData("0X1P4")]
    [InlineData("0x1.8p1")] [InlineData("0x.8")] [InlineData("inf")] [InlineData("-Infinity")] [InlineData("infin")] [InlineData("nan")] [InlineData("NaN")]
    [InlineData("1e308")] [InlineData("1e309")] [InlineData("-1e400")] [InlineData("1.7976931348623157e308")] [InlineData("1.7976931348623159e308")]
    [InlineData("1e-300")] [InlineData("1e-310")] [InlineData("-4e-320")] [InlineData("1e-400")] [InlineData("0e-500")] [InlineData("0.000e-99999")]
    [InlineData("2.2250738585072014e-308")] [InlineData("2.2250738585072011e-308")] [InlineData("2.2250738585072012e-308")]
    [InlineData("4.9406564584124654e-324")] [InlineData("2.4703282292062328e-324")] [InlineData("2.4703282292062327e-324")]
    [InlineData("0x1p-1074")] [InlineData("0x1.8p-1074")] [InlineData("0x1p-1075")] [InlineData("0x1p-1022")] [InlineData("0x1p-1023")]
    [InlineData("0x1.0000000000001p-1023")] [InlineData("0x0.0000000000001p-1022")] [InlineData("0x1p1023")] [InlineData("0x1p1024")]
    [InlineData("1x")] [InlineData("abc")] [InlineData("12abc")] [InlineData("1_000")]
    public void MatchesLibc(string text) => AssertSameAsLibc(text);

    [Fact]
    public void MatchesLibcOnRandomNumbersAroundTheRangeLimits()
    {
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder();
            if (random.Next(4) == 0) sb.Append('-');
            if (random.Next(5) == 0)
            {
                sb.Append("0x").Append(random.Next(1, 0x10000).ToString("x"));
                if (random.Next(2) == 0) sb.Append('.').Append(random.Next(0x1000).ToString("x"));
                sb.Append('p').Append(random.Next(-1120, 1030));
            }
            else
            {
                sb.Append(random.Next(1, 10));
                int digits = random.Next(0, 20);
                if (digits > 0) sb.Append('.');
                for (int d = 0; d < digits; d++) sb.Append(random.Next(10));
                sb.Append('e').Append(random.Next(-340, -290) * (random.Next(8) == 0 ? -1 : 1));
            }
            AssertSameAsLibc(sb.ToString());
        }
    }
}
