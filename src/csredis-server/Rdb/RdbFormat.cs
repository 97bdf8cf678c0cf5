// Constants of the RDB file format as Redis 7.0 writes and reads it (RDB version 10): opcodes,
// value type bytes, the length-prefix encodings and the special string encodings.
namespace Csredis.Server.Rdb;

public static class RdbFormat
{
    public const int Version = 10;
    /// <summary>The oldest version Redis 7.0 still loads.</summary>
    public const int OldestVersion = 1;

    // Opcodes that appear where a value type byte would.
    public const byte OpcodeFunctionPreGa = 246;
    public const byte OpcodeFunction2 = 245;
    public const byte OpcodeModuleAux = 247;
    public const byte OpcodeIdle = 248;
    public const byte OpcodeFreq = 249;
    public const byte OpcodeAux = 250;
    public const byte OpcodeResizeDb = 251;
    public const byte OpcodeExpireTimeMs = 252;
    public const byte OpcodeExpireTime = 253;
    public const byte OpcodeSelectDb = 254;
    public const byte OpcodeEof = 255;

    // Value types.
    public const byte TypeString = 0;
    public const byte TypeList = 1;
    public const byte TypeSet = 2;
    public const byte TypeZSet = 3;
    public const byte TypeHash = 4;
    public const byte TypeZSet2 = 5;
    public const byte TypeModulePreGa = 6;
    public const byte TypeModule2 = 7;
    public const byte TypeHashZipmap = 9;
    public const byte TypeListZiplist = 10;
    public const byte TypeSetIntset = 11;
    public const byte TypeZSetZiplist = 12;
    public const byte TypeHashZiplist = 13;
    public const byte TypeListQuicklist = 14;
    public const byte TypeStreamListpacks = 15;
    public const byte TypeHashListpack = 16;
    public const byte TypeZSetListpack = 17;
    public const byte TypeListQuicklist2 = 18;
    public const byte TypeStreamListpacks2 = 19;

    public static bool IsObjectType(byte t) => t <= 7 || (t >= 9 && t <= 19);

    // Length prefixes: 00 = 6 bits, 01 = 14 bits, 0x80 = 32 bits, 0x81 = 64 bits, 11 = special encoding.
    public const byte Len6Bit = 0;
    public const byte Len14Bit = 1;
    public const byte Len32Bit = 0x80;
    public const byte Len64Bit = 0x81;
    public const byte EncodedValue = 3;

    // Special string encodings (the low 6 bits after a 11 prefix).
    public const byte EncodingInt8 = 0;
    public const byte EncodingInt16 = 1;
    public const byte EncodingInt32 = 2;
    public const byte EncodingLzf = 3;

    // Quicklist 2 node containers.
    public const int QuicklistNodePlain = 1;
    public const int QuicklistNodePacked = 2;

    public static string TypeName(byte t) => t switch
    {
        TypeString => "string",
        TypeList => "list-linked",
        TypeSet => "set-hashtable",
        TypeZSet => "zset-v1",
        TypeHash => "hash-hashtable",
        TypeZSet2 => "zset-v2",
        TypeModulePreGa => "module-pre-release",
        TypeModule2 => "module-value",
        TypeHashZipmap => "hash-zipmap",
        TypeListZiplist => "list-ziplist",
        TypeSetIntset => "set-intset",
        TypeZSetZiplist => "zset-ziplist",
        TypeHashZiplist => "hash-ziplist",
        TypeListQuicklist => "quicklist",
        TypeStreamListpacks => "stream",
        TypeHashListpack => "hash-listpack",
        TypeZSetListpack => "zset-listpack",
        TypeListQuicklist2 => "quicklist-v2",
        TypeStreamListpacks2 => "stream-v2",
        _ => "unknown",
    };
}

/// <summary>A malformed or truncated RDB stream: what is wrong and the byte offset where it was found.</summary>
public sealed class RdbFormatException : Exception
{
    public readonly long Offset;
    public RdbFormatException(string message, long offset) : base(message) { Offset = offset; }
}
