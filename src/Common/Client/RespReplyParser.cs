// Incremental RESP2/RESP3 reply parser. Feed it whatever bytes have arrived; it consumes every complete
// element, keeps partially filled aggregates on its own stack, and answers NeedMoreData until a whole
// reply is assembled. Consumed bytes are never re-parsed, so a huge reply arriving in small reads costs
// linear time, and the same object can sit on a non-blocking event loop between reads.
using System.Buffers.Text;

namespace Csredis.Common.Client;

public enum RespParseStatus : byte
{
    Complete,
    NeedMoreData,
    ProtocolError,
}

public sealed class RespReplyParser
{
    private struct PendingAggregate
    {
        public RespType Type;
        public RespValue[] Items;
        public int Filled;
    }

    private PendingAggregate[] stack = new PendingAggregate[8];
    private int depth;

    /// <summary>When false an attribute ('|') is a protocol error, as for hiredis-based clients such as
    /// redis-cli 7.0. When true attributes are parsed and dropped.</summary>
    public bool AcceptAttributes { get; init; } = true;

    /// <summary>Description of the last protocol error, in hiredis's wording.</summary>
    public string? ErrorMessage { get; private set; }

    public void Reset()
    {
        depth = 0;
        ErrorMessage = null;
    }

    /// <summary>Parses from the start of <paramref name="buffer"/>. <paramref name="consumed"/> bytes must be
    /// dropped by the caller whatever the status; the rest must be offered again with more data appended.</summary>
    public RespParseStatus TryParse(ReadOnlySpan<byte> buffer, out int consumed, out RespValue? reply)
    {
        int position = 0;
        reply = null;
        while (true)
        {
            var status = TryParseElement(buffer[position..], out int used, out RespValue? element,
                out RespType aggregateType, out int aggregateItems);
            if (status != RespParseStatus.Complete)
            {
                consumed = position;
                return status;
            }
            position += used;
            if (element is null)
            {
                Push(aggregateType, aggregateItems);
                continue;
            }
            while (true)
            {
                if (element.Type == RespType.Attribute)
                {
                    // Out-of-band metadata: it annotates the next element, which carries the real data.
                    break;
                }
                if (depth == 0)
                {
                    reply = element;
                    consumed = position;
                    return RespParseStatus.Complete;
                }
                ref var top = ref stack[depth - 1];
                top.Items[top.Filled++] = element;
                if (top.Filled < top.Items.Length) break;
                element = RespValue.Aggregate(top.Type, top.Items);
                top.Items = null!;
                depth--;
            }
        }
    }

    private void Push(RespType type, int items)
    {
        if (depth == stack.Length) Array.Resize(ref stack, depth * 2);
        stack[depth++] = new PendingAggregate { Type = type, Items = new RespValue[items], Filled = 0 };
    }

    private RespParseStatus TryParseElement(ReadOnlySpan<byte> data, out int used, out RespValue? element,
        out RespType aggregateType, out int aggregateItems)
    {
        used = 0;
        element = null;
        aggregateType = RespType.Null;
        aggregateItems = 0;
        if (data.IsEmpty) return RespParseStatus.NeedMoreData;
        int lineEnd = data.IndexOf((byte)'\r');
        if (lineEnd < 0 || lineEnd + 1 >= data.Length) return RespParseStatus.NeedMoreData;
        var line = data[1..lineEnd];
        int afterLine = lineEnd + 2;
        byte marker = data[0];
        switch (marker)
        {
            case (byte)'+':
                element = RespValue.SimpleString(line.ToArray());
                break;
            case (byte)'-':
                element = RespValue.Error(line.ToArray());
                break;
            case (byte)':':
                if (!TryParseInteger(line, out long integer)) return Fail("Bad integer value");
                element = RespValue.FromInteger(integer);
                break;
            case (byte)',':
                element = RespValue.Double(line.ToArray());
                break;
            case (byte)'(':
                element = RespValue.BigNumber(line.ToArray());
                break;
            case (byte)'#':
                if (line.Length != 1 || (line[0] != 't' && line[0] != 'f')) return Fail("Bad bool value");
                element = RespValue.FromBoolean(line[0] == 't');
                break;
            case (byte)'_':
                element = RespValue.Null;
                break;
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
            {
                if (!TryParseInteger(line, out long length) || length < -1) return Fail("Bad bulk string length");
                if (length == -1)
                {
                    element = RespValue.Null;
                    break;
                }
                if (data.Length < afterLine + length + 2) return RespParseStatus.NeedMoreData;
                var payload = data.Slice(afterLine, (int)length);
                afterLine += (int)length + 2;
                if (marker == '$') element = RespValue.BulkString(payload.ToArray());
                else if (marker == '!') element = RespValue.Error(payload.ToArray());
                else
                {
                    if (payload.Length < 4 || payload[3] != ':') return Fail("Bad verbatim string");
                    element = RespValue.Verbatim(System.Text.Encoding.ASCII.GetString(payload[..3]), payload[4..].ToArray());
                }
                break;
            }
            case (byte)'*':
            case (byte)'%':
            case (byte)'~':
            case (byte)'>':
            case (byte)'|':
            {
                if (marker == '|' && !AcceptAttributes) return Fail(UnexpectedTypeMessage(marker));
                if (!TryParseInteger(line, out long count) || count < -1 || count > int.MaxValue / 2)
                    return Fail("Bad multi-bulk length");
                var type = marker switch
                {
                    (byte)'*' => RespType.Array,
                    (byte)'%' => RespType.Map,
                    (byte)'~' => RespType.Set,
                    (byte)'>' => RespType.Push,
                    _ => RespType.Attribute,
                };
                if (count == -1)
                {
                    element = RespValue.Null;
                    break;
                }
                int items = type is RespType.Map or RespType.Attribute ? (int)count * 2 : (int)count;
                if (items == 0) element = RespValue.Aggregate(type, []);
                else
                {
                    aggregateType = type;
                    aggregateItems = items;
                }
                break;
            }
            default:
                return Fail(UnexpectedTypeMessage(marker));
        }
        used = afterLine;
        return RespParseStatus.Complete;
    }

    private static bool TryParseInteger(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out int read) && read == text.Length;

    private RespParseStatus Fail(string message)
    {
        ErrorMessage = message;
        return RespParseStatus.ProtocolError;
    }

    // hiredis quotes the offending byte the way it quotes any string in its messages.
    private static string UnexpectedTypeMessage(byte marker)
    {
        string shown = marker switch
        {
            (byte)'\\' => "\\\\",
            (byte)'"' => "\\\"",
            (byte)'\n' => "\\n",
            (byte)'\r' => "\\r",
            (byte)'\t' => "\\t",
            (byte)'\a' => "\\a",
            (byte)'\b' => "\\b",
            >= 0x20 and < 0x7f => ((char)marker).ToString(),
            _ => $"\\x{marker:x2}",
        };
        return $"Protocol error, got \"{shown}\" as reply type byte";
    }
}
