// Baseline: the cost of framing a SET command into a reusable buffer, the floor that the request
// parser benchmarks are compared against.
using System.Buffers.Text;
using BenchmarkDotNet.Attributes;

namespace Csredis.Bench;

[MemoryDiagnoser]
public class RespEncodingBenchmarks
{
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _key = "key:000000012345"u8.ToArray();
    private readonly byte[] _value = "xxx"u8.ToArray();

    [Benchmark]
    public int EncodeSetCommand()
    {
        var span = _buffer.AsSpan();
        var pos = 0;
        "*3\r\n$3\r\nSET\r\n"u8.CopyTo(span);
        pos += 13;
        pos += WriteBulk(span[pos..], _key);
        pos += WriteBulk(span[pos..], _value);
        return pos;
    }

    private static int WriteBulk(Span<byte> span, ReadOnlySpan<byte> payload)
    {
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(payload.Length, span[1..], out var digits);
        var pos = 1 + digits;
        "\r\n"u8.CopyTo(span[pos..]);
        pos += 2;
        payload.CopyTo(span[pos..]);
        pos += payload.Length;
        "\r\n"u8.CopyTo(span[pos..]);
        return pos + 2;
    }
}
