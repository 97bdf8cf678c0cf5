// Argument rules shared by SSCAN, ZSCAN (and HSCAN): the cursor as Redis's parseScanCursorOrReply
// reads it (strtoul: "-1" wraps, leading spaces and trailing bytes are invalid), then MATCH and
// COUNT options, parsed only after the key was found (a missing key answers an empty scan first).
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class CollectionScan
{
    public static bool TryParseCursor(Client c, int arg, out ulong cursor)
    {
        if (!TryParseUnsignedLong(c.Arg(arg), out cursor))
        {
            c.Error("ERR invalid cursor"u8);
            return false;
        }
        return true;
    }

    /// <summary>C strtoul over the whole text (no leading space allowed): optional sign, digits, wrap on '-'.</summary>
    static bool TryParseUnsignedLong(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.Length == 0) return true;
        int p = 0;
        bool negative = false;
        if (s[0] == '+' || s[0] == '-') { negative = s[0] == '-'; p = 1; }
        if (p == s.Length) return false;
        for (; p < s.Length; p++)
        {
            uint d = (uint)(s[p] - '0');
            if (d > 9) return false;
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        if (negative) value = 0 - value;
        return true;
    }

    /// <summary>MATCH / COUNT options from <paramref name="firstOption"/> on; patternArg is -1 without MATCH.</summary>
    public static bool TryParseOptions(Client c, int firstOption, out int patternArg, out long count)
    {
        patternArg = -1;
        count = 10;
        for (int j = firstOption; j < c.Argc; j += 2)
        {
            bool hasValue = j + 1 < c.Argc;
            if (hasValue && c.ArgIs(j, "count"u8))
            {
                if (!Common.Text.NumberParsing.TryParseInt64(c.Arg(j + 1), out count)) { c.Error(Errors.NotInteger); return false; }
                if (count < 1) { c.Error(Errors.Syntax); return false; }
            }
            else if (hasValue && c.ArgIs(j, "match"u8)) patternArg = j + 1;
            else { c.Error(Errors.Syntax); return false; }
        }
        return true;
    }

    /// <summary>The reply's head: [cursor, then the caller writes an array of <paramref name="elements"/>].</summary>
    public static void ReplyHeader(Client c, ulong cursor, int elements)
    {
        c.Reply.ArrayHeader(2);
        Span<byte> digits = stackalloc byte[20];
        System.Buffers.Text.Utf8Formatter.TryFormat(cursor, digits, out int n);
        c.Reply.Bulk(digits[..n]);
        c.Reply.ArrayHeader(elements);
    }

    /// <summary>Redis's loop bound: stop after COUNT elements or COUNT*10 buckets, whichever first.</summary>
    public static long MaxBuckets(long count) => count > long.MaxValue / 10 ? long.MaxValue : count * 10;
}
