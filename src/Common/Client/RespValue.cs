// One decoded RESP2/RESP3 reply. Payloads stay bytes (bulk strings are binary-safe); aggregates hold
// their children in Elements, maps and attributes flattened as key, value, key, value.
namespace Csredis.Common.Client;

public enum RespType : byte
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Null,
    Array,
    Map,
    Set,
    Push,
    Double,
    Boolean,
    BigNumber,
    Verbatim,
    Attribute,
}

public sealed class RespValue
{
    private static readonly RespValue[] NoElements = [];

    public RespType Type { get; }

    /// <summary>Payload of strings, errors, verbatim text (without its format prefix), and the textual form
    /// of doubles and big numbers exactly as the server sent it.</summary>
    public byte[] Bytes { get; }

    /// <summary>Value of integers; 1/0 for booleans.</summary>
    public long Integer { get; }

    /// <summary>Children of aggregates; maps hold 2 * entry-count items.</summary>
    public RespValue[] Elements { get; }

    /// <summary>The three-letter format of a verbatim string ("txt", "mkd").</summary>
    public string? VerbatimFormat { get; }

    public static readonly RespValue Null = new(RespType.Null, [], 0, NoElements, null);

    private RespValue(RespType type, byte[] bytes, long integer, RespValue[] elements, string? verbatimFormat)
    {
        Type = type;
        Bytes = bytes;
        Integer = integer;
        Elements = elements;
        VerbatimFormat = verbatimFormat;
    }

    public static RespValue SimpleString(byte[] text) => new(RespType.SimpleString, text, 0, NoElements, null);
    public static RespValue Error(byte[] text) => new(RespType.Error, text, 0, NoElements, null);
    public static RespValue BulkString(byte[] payload) => new(RespType.BulkString, payload, 0, NoElements, null);
    public static RespValue FromInteger(long value) => new(RespType.Integer, [], value, NoElements, null);
    public static RespValue FromBoolean(bool value) => new(RespType.Boolean, [], value ? 1 : 0, NoElements, null);
    public static RespValue Double(byte[] text) => new(RespType.Double, text, 0, NoElements, null);
    public static RespValue BigNumber(byte[] text) => new(RespType.BigNumber, text, 0, NoElements, null);
    public static RespValue Verbatim(string format, byte[] text) => new(RespType.Verbatim, text, 0, NoElements, format);

    public static RespValue Aggregate(RespType type, RespValue[] elements) => new(type, [], 0, elements, null);

    public bool IsAggregate => Type is RespType.Array or RespType.Map or RespType.Set or RespType.Push or RespType.Attribute;

    public bool IsError => Type == RespType.Error;

    /// <summary>Number of logical entries: pairs for maps and attributes, items otherwise.</summary>
    public int EntryCount => Type is RespType.Map or RespType.Attribute ? Elements.Length / 2 : Elements.Length;

    /// <summary>Text of a string-like reply, for control-plane code (INFO parsing, role names); never for data paths.</summary>
    public string AsText() => Type switch
    {
        RespType.Integer or RespType.Boolean => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => System.Text.Encoding.UTF8.GetString(Bytes),
    };

    public override string ToString() => Type switch
    {
        RespType.Null => "(nil)",
        _ when IsAggregate => $"{Type}[{Elements.Length}]",
        _ => $"{Type}:{AsText()}",
    };
}
