// LongDouble emulates the x87 80-bit arithmetic behind INCRBYFLOAT. The expected strings are what
// real Redis 7.0 on x86-64 replies, so these pin down rounding at the 64-bit significand and the
// "%.17Lf without trailing zeros" formatting without needing a server.
using System.Text;
using Csredis.Common.Text;
using Xunit;

namespace Csredis.Tests.Common;

public class LongDoubleTests
{
    static string Add(string a, string b)
    {
        Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(a), out var x), a);
        Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(b), out var y), b);
        Assert.True(LongDouble.TryAdd(x, y, out var sum));
        return sum.ToHumanString();
    }

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("0", "0.1", "0.1")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("10", "1", "11")]
    [InlineData("-0", "-0", "0")]
    [InlineData("1", "-1", "0")]
    [InlineData("5", "1e-20", "5")]
    [InlineData("0", "1e20", "100000000000000000000")]
    [InlineData("0", "0x1.8p1", "3")]
    [InlineData("3", "0.000000000000000005", "3")]
    [InlineData("0", "1e-17", "0.00000000000000001")]
    [InlineData("0", "0.000000000000000005", "0")]
    [InlineData("0", "1.1", "1.1")]
    public void SumsFormatAsRedisDoes(string a, string b, string expected)
    {
        Assert.Equal(expected, Add(a, b));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("abc")]
    [InlineData("nan")]
    [InlineData("1e")]
    [InlineData("0x")]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    [InlineData("1\u00002")]
    public void RejectsWhatStrtoldWouldNotFullyAccept(string text)
    {
        Assert.False(LongDouble.TryParse(Encoding.Latin1.GetBytes(text), out _));
    }

    [Fact]
    public void InfinityParsesButCannotBeAdded()
    {
        Assert.True(LongDouble.TryParse("inf"u8, out var inf));
        Assert.False(LongDouble.TryAdd(inf, LongDouble.FromInt64(1), out _));
    }

    [Fact]
    public void OverflowOfTheSumIsRejected()
    {
        Assert.True(LongDouble.TryParse("1e4932"u8, out var big));
        Assert.False(LongDouble.TryAdd(big, big, out _));
    }
}
