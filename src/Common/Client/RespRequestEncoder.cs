// Encodes a command (a list of binary arguments) as a RESP multibulk request: *N, then $len + payload
// for each argument. Writes straight into a caller-owned buffer so hot senders can reuse one.
using System.Buffers;
using System.Buffers.Text;

namespace Csredis.Common.Client;

public static class RespRequestEncoder
{
    public static void Encode(IReadOnlyList<byte[]> arguments, IBufferWriter<byte> output)
    {
        WriteHeader(output, (byte)'*', arguments.Count);
        foreach (var argument in arguments)
        {
            WriteHeader(output, (byte)'$', argument.Length);
            output.Write(argument);
            output.Write("\r\n"u8);
        }
    }

    public static byte[] Encode(IReadOnlyList<byte[]> arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Encode(arguments, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Encode(params string[] arguments) =>
        Encode(arguments.Select(System.Text.Encoding.UTF8.GetBytes).ToArray());

    private static void WriteHeader(IBufferWriter<byte> output, byte marker, long count)
    {
        var span = output.GetSpan(24);
        span[0] = marker;
        Utf8Formatter.TryFormat(count, span[1..], out int written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(written + 3);
    }
}
