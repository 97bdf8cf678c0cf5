// Renders replies the three ways redis-cli 7.0 does: the TTY form ((integer), "quoted", numbered and
// indented aggregates), the raw form (payload bytes joined by delimiters, what pipes into xargs), and CSV.
// Output is bytes: payloads are binary and must reach stdout untouched.
using System.Buffers;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

/// <summary>A reply type redis-cli's hiredis has no printer for (RESP3 big numbers); redis-cli aborts on it.</summary>
public sealed class UnknownReplyTypeException(int hiredisTypeCode) : Exception($"Unknown reply type: {hiredisTypeCode}");

public static class ReplyFormatter
{
    private const int HiredisBigNumberType = 13;

    public static void Tty(RespValue reply, ArrayBufferWriter<byte> output) => Tty(reply, output, "");

    private static void Tty(RespValue reply, ArrayBufferWriter<byte> output, string prefix)
    {
        switch (reply.Type)
        {
            case RespType.Error:
                Ascii(output, "(error) ");
                output.Write(reply.Bytes);
                Ascii(output, "\n");
                break;
            case RespType.SimpleString:
            case RespType.Verbatim:
                output.Write(reply.Bytes);
                Ascii(output, "\n");
                break;
            case RespType.Integer:
                Ascii(output, "(integer) " + reply.Integer + "\n");
                break;
            case RespType.Double:
                Ascii(output, "(double) ");
                output.Write(reply.Bytes);
                Ascii(output, "\n");
                break;
            case RespType.BulkString:
                Quote(reply.Bytes, output);
                Ascii(output, "\n");
                break;
            case RespType.Null:
                Ascii(output, "(nil)\n");
                break;
            case RespType.Boolean:
                Ascii(output, reply.Integer != 0 ? "(true)\n" : "(false)\n");
                break;
            case RespType.BigNumber:
                throw new UnknownReplyTypeException(HiredisBigNumberType);
            default:
                TtyAggregate(reply, output, prefix);
                break;
        }
    }

    private static void TtyAggregate(RespValue reply, ArrayBufferWriter<byte> output, string prefix)
    {
        if (reply.Elements.Length == 0)
        {
            Ascii(output, reply.Type switch
            {
                RespType.Array => "(empty array)\n",
                RespType.Map => "(empty hash)\n",
                RespType.Set => "(empty set)\n",
                RespType.Push => "(empty push)\n",
                _ => "(empty aggregate type)\n",
            });
            return;
        }
        bool isMap = reply.Type == RespType.Map;
        int entries = reply.EntryCount;
        int indexWidth = entries.ToString().Length;
        string childPrefix = prefix + new string(' ', indexWidth + 2);
        char separator = reply.Type switch { RespType.Set => '~', RespType.Map => '#', _ => ')' };
        for (int entry = 0; entry < entries; entry++)
        {
            // The caller already wrote the prefix for the first line (it follows "N) " or " => ").
            if (entry > 0) Ascii(output, prefix);
            Ascii(output, (entry + 1).ToString().PadLeft(indexWidth) + separator + " ");
            if (!isMap)
            {
                Tty(reply.Elements[entry], output, childPrefix);
                continue;
            }
            var key = new ArrayBufferWriter<byte>(64);
            Tty(reply.Elements[entry * 2], key, childPrefix);
            output.Write(key.WrittenSpan[..^1]); // the key's newline gives way to " => value"
            Ascii(output, " => ");
            var value = reply.Elements[entry * 2 + 1];
            if (value.IsAggregate && value.Elements.Length > (value.Type == RespType.Map ? 2 : 1))
            {
                // A multi-line value starts on its own line, every entry indented under the key.
                Ascii(output, "\n" + childPrefix);
            }
            Tty(value, output, childPrefix);
        }
    }

    /// <summary>The raw form. <paramref name="statusWriter"/>, when given, writes simple-string (status)
    /// replies instead (the Lua debugger colours its status lines).</summary>
    public static void Raw(RespValue reply, ArrayBufferWriter<byte> output, byte[] bulkDelimiter,
        Action<byte[], IBufferWriter<byte>>? statusWriter = null)
    {
        switch (reply.Type)
        {
            case RespType.Error:
                output.Write(reply.Bytes);
                Ascii(output, "\n");
                break;
            case RespType.SimpleString when statusWriter is not null:
                statusWriter(reply.Bytes, output);
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
            case RespType.Double:
                output.Write(reply.Bytes);
                break;
            case RespType.Integer:
                Ascii(output, reply.Integer.ToString());
                break;
            case RespType.Null:
                break;
            case RespType.Boolean:
                Ascii(output, reply.Integer != 0 ? "(true)" : "(false)");
                break;
            case RespType.BigNumber:
                throw new UnknownReplyTypeException(HiredisBigNumberType);
            case RespType.Map:
                for (int i = 0; i < reply.Elements.Length; i += 2)
                {
                    Raw(reply.Elements[i], output, bulkDelimiter, statusWriter);
                    Ascii(output, " ");
                    Raw(reply.Elements[i + 1], output, bulkDelimiter, statusWriter);
                    if (i + 2 < reply.Elements.Length) output.Write(bulkDelimiter);
                }
                break;
            default:
                for (int i = 0; i < reply.Elements.Length; i++)
                {
                    Raw(reply.Elements[i], output, bulkDelimiter, statusWriter);
                    if (i + 1 < reply.Elements.Length) output.Write(bulkDelimiter);
                }
                break;
        }
    }

    public static void Csv(RespValue reply, ArrayBufferWriter<byte> output)
    {
        switch (reply.Type)
        {
            case RespType.Error:
                Ascii(output, "ERROR,");
                Quote(reply.Bytes, output);
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
                Quote(reply.Bytes, output);
                break;
            case RespType.Integer:
                Ascii(output, reply.Integer.ToString());
                break;
            case RespType.Double:
                output.Write(reply.Bytes);
                break;
            case RespType.Null:
                Ascii(output, "NULL");
                break;
            case RespType.Boolean:
                Ascii(output, reply.Integer != 0 ? "true" : "false");
                break;
            case RespType.BigNumber:
                throw new UnknownReplyTypeException(HiredisBigNumberType);
            default:
                for (int i = 0; i < reply.Elements.Length; i++)
                {
                    Csv(reply.Elements[i], output);
                    if (i + 1 < reply.Elements.Length) Ascii(output, ",");
                }
                break;
        }
    }

    /// <summary>--json / --quoted-json: maps become objects (non-string keys quoted), errors error:"text".</summary>
    public static void Json(RespValue reply, ArrayBufferWriter<byte> output, bool quoted)
    {
        switch (reply.Type)
        {
            case RespType.Error:
                Ascii(output, "error:");
                JsonString(reply.Bytes, output, quoted);
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
                JsonString(reply.Bytes, output, quoted);
                break;
            case RespType.Integer:
                Ascii(output, reply.Integer.ToString());
                break;
            case RespType.Double:
                output.Write(reply.Bytes);
                break;
            case RespType.Null:
                Ascii(output, "null");
                break;
            case RespType.Boolean:
                Ascii(output, reply.Integer != 0 ? "true" : "false");
                break;
            case RespType.BigNumber:
                throw new UnknownReplyTypeException(HiredisBigNumberType);
            case RespType.Map:
                Ascii(output, "{");
                for (int i = 0; i < reply.Elements.Length; i += 2)
                {
                    var key = reply.Elements[i];
                    if (key.Type is RespType.SimpleString or RespType.BulkString or RespType.Verbatim) JsonString(key.Bytes, output, quoted);
                    else
                    {
                        Ascii(output, "\"");
                        Json(key, output, quoted);
                        Ascii(output, "\"");
                    }
                    Ascii(output, ":");
                    Json(reply.Elements[i + 1], output, quoted);
                    if (i + 2 < reply.Elements.Length) Ascii(output, ",");
                }
                Ascii(output, "}");
                break;
            default:
                Ascii(output, "[");
                for (int i = 0; i < reply.Elements.Length; i++)
                {
                    Json(reply.Elements[i], output, quoted);
                    if (i + 1 < reply.Elements.Length) Ascii(output, ",");
                }
                Ascii(output, "]");
                break;
        }
    }

    // JSON escapes for control characters only; other bytes pass through. Quoted mode first applies the
    // C-style quoting so the result is plain ASCII.
    private static void JsonString(ReadOnlySpan<byte> bytes, ArrayBufferWriter<byte> output, bool quoted)
    {
        if (quoted)
        {
            var repr = new ArrayBufferWriter<byte>(bytes.Length + 8);
            Quote(bytes, repr);
            bytes = repr.WrittenSpan[1..^1].ToArray();
        }
        Ascii(output, "\"");
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'"' when !quoted: Ascii(output, "\\\""); break; // quoted mode leaves repr's \" as is
                case (byte)'\\': Ascii(output, "\\\\"); break;
                case (byte)'\b': Ascii(output, "\\b"); break;
                case (byte)'\f': Ascii(output, "\\f"); break;
                case (byte)'\n': Ascii(output, "\\n"); break;
                case (byte)'\r': Ascii(output, "\\r"); break;
                case (byte)'\t': Ascii(output, "\\t"); break;
                default:
                    if (b < 0x20) Ascii(output, $"\\u{b:x4}");
                    else output.Write([b]);
                    break;
            }
        }
        Ascii(output, "\"");
    }

    /// <summary>Double-quoted with C escapes; bytes outside printable ASCII become \xNN.</summary>
    public static void Quote(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(bytes.Length * 4 + 2);
        int n = 0;
        span[n++] = (byte)'"';
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case (byte)'"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case (byte)'\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case (byte)'\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case (byte)'\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case (byte)'\a': span[n++] = (byte)'\\'; span[n++] = (byte)'a'; break;
                case (byte)'\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                default:
                    if (b >= 0x20 && b < 0x7f) span[n++] = b;
                    else
                    {
                        span[n++] = (byte)'\\';
                        span[n++] = (byte)'x';
                        span[n++] = HexDigit(b >> 4);
                        span[n++] = HexDigit(b & 0xf);
                    }
                    break;
            }
        }
        span[n++] = (byte)'"';
        output.Advance(n);
    }

    private static byte HexDigit(int nibble) => (byte)"0123456789abcdef"[nibble];

    public static void Ascii(IBufferWriter<byte> output, string text) => output.Write(Encoding.UTF8.GetBytes(text));
}
