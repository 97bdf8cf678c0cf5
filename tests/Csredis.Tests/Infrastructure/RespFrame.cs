// Parses one RESP2/RESP3 reply out of a byte buffer into a small tree that keeps each node's exact
// bytes. Incomplete input yields null (the caller reads more); malformed input throws FormatException.
// Attributes (|) are folded into the reply they annotate, so "one reply" means what a client sees.
// Streamed strings/aggregates ($? *?) are not supported: Redis 7.0 never sends them.
using System.Text;

namespace Csredis.Tests.Infrastructure;

public sealed class RespFrame
{
    /// <summary>The RESP type byte: + - : $ * _ , # ( ! = % ~ &gt; (and | for an attribute node).</summary>
    public char Type { get; }
    /// <summary>The exact bytes of this frame, attribute prefix included.</summary>
    public byte[] Raw { get; }
    /// <summary>The text after the type byte on the first line (a simple value, a length or a count).</summary>
    public string HeaderLine { get; }
    /// <summary>Payload of bulk-like frames ($ ! =); null for others and for $-1.</summary>
    public byte[]? Payload { get; }
    /// <summary>Elements of aggregates (maps and attributes hold key, value, key, value...).</summary>
    public IReadOnlyList<RespFrame> Children { get; }
    /// <summary>The attribute (|) frame sent just before this reply, if any.</summary>
    public RespFrame? Attribute { get; }

    private RespFrame(char type, byte[] raw, string headerLine, byte[]? payload, IReadOnlyList<RespFrame> children, RespFrame? attribute)
    {
        Type = type; Raw = raw; HeaderLine = headerLine; Payload = payload; Children = children; Attribute = attribute;
    }

    public bool IsNull => Type == '_' || ((Type == '$' || Type == '*') && HeaderLine == "-1");
    public bool IsError => Type == '-' || Type == '!';
    public bool IsAggregate => Type is '*' or '%' or '~' or '>' or '|';

    /// <summary>Text of a simple/bulk value (UTF-8), for assertions in tests.</summary>
    public string Text => Payload != null ? Encoding.UTF8.GetString(Payload) : HeaderLine;

    /// <summary>Parses the whole buffer as exactly one frame.</summary>
    public static RespFrame Parse(byte[] bytes)
    {
        var frame = TryParse(bytes, 0, out var consumed) ?? throw new FormatException("incomplete RESP reply: " + Escape(bytes));
        if (consumed != bytes.Length)
            throw new FormatException($"{bytes.Length - consumed} bytes after the reply: " + Escape(bytes));
        return frame;
    }

    /// <summary>Parses one reply starting at <paramref name="start"/>; null when more bytes are needed.</summary>
    public static RespFrame? TryParse(ReadOnlySpan<byte> buffer, int start, out int consumed)
    {
        var pos = start;
        var frame = ParseWithAttributes(buffer, ref pos);
        consumed = frame == null ? 0 : pos - start;
        return frame;
    }

    private static RespFrame? ParseWithAttributes(ReadOnlySpan<byte> buffer, ref int pos)
    {
        var start = pos;
        var node = ParseNode(buffer, ref pos);
        if (node == null || node.Type != '|')
            return node;
        var annotated = ParseWithAttributes(buffer, ref pos);
        if (annotated == null)
            return null;
        return new RespFrame(annotated.Type, buffer[start..pos].ToArray(), annotated.HeaderLine, annotated.Payload, annotated.Children, node);
    }

    private static RespFrame? ParseNode(ReadOnlySpan<byte> buffer, ref int pos)
    {
        var start = pos;
        if (pos >= buffer.Length)
            return null;
        var type = (char)buffer[pos];
        var lineEnd = buffer[pos..].IndexOf("\r\n"u8);
        if (lineEnd < 0)
            return null;
        var header = Encoding.Latin1.GetString(buffer.Slice(pos + 1, lineEnd - 1));
        pos += lineEnd + 2;
        switch (type)
        {
            case '+': case '-': case ':': case '_': case ',': case '#': case '(':
                return new RespFrame(type, buffer[start..pos].ToArray(), header, null, [], null);
            case '$': case '!': case '=':
            {
                var declared = ParseLength(header, type);
                if (declared < 0)
                    return new RespFrame(type, buffer[start..pos].ToArray(), header, null, [], null);
                if (buffer.Length - pos < declared + 2)
                    return null;
                var length = (int)declared;
                if (buffer[pos + length] != '\r' || buffer[pos + length + 1] != '\n')
                    throw new FormatException($"bulk payload of {length} bytes not followed by CRLF");
                var payload = buffer.Slice(pos, length).ToArray();
                pos += length + 2;
                return new RespFrame(type, buffer[start..pos].ToArray(), header, payload, [], null);
            }
            case '*': case '~': case '>': case '%': case '|':
            {
                var count = ParseLength(header, type);
                if (count < 0)
                    return new RespFrame(type, buffer[start..pos].ToArray(), header, null, [], null);
                var elements = type is '%' or '|' ? 2L * count : count;
                var children = new List<RespFrame>((int)Math.Min(elements, 1024));
                for (long i = 0; i < elements; i++)
                {
                    var child = ParseWithAttributes(buffer, ref pos);
                    if (child == null)
                        return null;
                    children.Add(child);
                }
                return new RespFrame(type, buffer[start..pos].ToArray(), header, null, children, null);
            }
            default:
                throw new FormatException($"not a RESP type byte: 0x{(int)type:x2} in {Escape(buffer[start..Math.Min(buffer.Length, start + 64)])}");
        }
    }

    private static long ParseLength(string header, char type)
    {
        if (!long.TryParse(header, out var value) || value < -1 || (value == -1 && type is not ('$' or '*')))
            throw new FormatException($"bad length '{header}' for type '{type}'");
        return value;
    }

    /// <summary>Readable form of raw bytes: printable ASCII as is, \r \n \t \\ \" and \xHH escaped.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\n': text.Append("\\n"); break;
                case (byte)'\t': text.Append("\\t"); break;
                case (byte)'\\': text.Append("\\\\"); break;
                case (byte)'"': text.Append("\\\""); break;
                default:
                    if (b >= 0x20 && b < 0x7f) text.Append((char)b);
                    else text.Append("\\x").Append(b.ToString("x2"));
                    break;
            }
        }
        return text.ToString();
    }

    public override string ToString() => Escape(Raw);
}
