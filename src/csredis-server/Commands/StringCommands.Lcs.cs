// LCS (Redis 7.0's t_string.c): the longest common subsequence of two strings by the classic
// dynamic-programming table, then one walk back from the bottom-right corner that both rebuilds
// the subsequence and reports the matched ranges (IDX), newest range first as Redis emits them.
using System.Buffers;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static partial class StringCommands
{
    static void Lcs(Client c)
    {
        var first = c.Db.LookupRead(c.Arg(1));
        var second = c.Db.LookupRead(c.Arg(2));
        if (first != null && first is not byte[] || second != null && second is not byte[])
        {
            c.Error("ERR The specified keys must contain string values"u8);
            return;
        }
        bool getIdx = false, getLen = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < c.Argc; j++)
        {
            bool moreArgs = j < c.Argc - 1;
            if (c.ArgIs(j, "idx"u8)) getIdx = true;
            else if (c.ArgIs(j, "len"u8)) getLen = true;
            else if (c.ArgIs(j, "withmatchlen"u8)) withMatchLen = true;
            else if (c.ArgIs(j, "minmatchlen"u8) && moreArgs)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out minMatchLen)) { c.Error(Errors.NotInteger); return; }
                if (minMatchLen < 0) minMatchLen = 0;
                j++;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (getIdx && getLen)
        {
            c.Error("ERR If you want both the length and indexes, please just use IDX."u8);
            return;
        }
        var a = first == null ? ReadOnlySpan<byte>.Empty : PackedString.Value((byte[])first);
        var b = second == null ? ReadOnlySpan<byte>.Empty : PackedString.Value((byte[])second);
        long cells = (long)(a.Length + 1) * (b.Length + 1);
        if (cells * sizeof(uint) > c.Server.Config.ProtoMaxBulkLen)
        {
            c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"u8);
            return;
        }
        if (cells > Array.MaxLength)
        {
            c.Error("ERR Insufficient memory, failed allocating transient memory for LCS"u8);
            return;
        }
        int width = b.Length + 1;
        uint[] table = ArrayPool<uint>.Shared.Rent((int)cells);
        try
        {
            for (int j = 0; j < width; j++) table[j] = 0;
            for (int i = 1; i <= a.Length; i++)
            {
                int row = i * width, above = row - width;
                table[row] = 0;
                byte ai = a[i - 1];
                for (int j = 1; j <= b.Length; j++)
                {
                    if (ai == b[j - 1]) table[row + j] = table[above + j - 1] + 1;
                    else
                    {
                        uint up = table[above + j], left = table[row + j - 1];
                        table[row + j] = up > left ? up : left;
                    }
                }
            }
            int total = (int)table[a.Length * width + b.Length];
            WalkBack(c, table, width, a, b, total, getIdx, getLen, withMatchLen, minMatchLen);
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(table);
        }
    }

    static void WalkBack(Client c, uint[] table, int width, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int total,
        bool getIdx, bool getLen, bool withMatchLen, long minMatchLen)
    {
        if (getLen)
        {
            c.Reply.Integer(total);
            return;
        }
        byte[] subsequence = ArrayPool<byte>.Shared.Rent(Math.Max(1, total));
        // Ranges are only known while walking, but the reply needs their count first: collect them.
        List<(int AStart, int AEnd, int BStart, int BEnd)>? ranges = getIdx ? new() : null;
        try
        {
            int idx = total;
            int aLength = a.Length;
            int aStart = aLength, aEnd = 0, bStart = 0, bEnd = 0; // aStart == aLength: no range open
            int i = a.Length, j = b.Length;
            while (i > 0 && j > 0)
            {
                bool emit = false;
                if (a[i - 1] == b[j - 1])
                {
                    subsequence[idx - 1] = a[i - 1];
                    if (aStart == aLength)
                    {
                        aStart = aEnd = i - 1;
                        bStart = bEnd = j - 1;
                    }
                    else if (aStart == i && bStart == j)
                    {
                        aStart--;
                        bStart--;
                    }
                    else emit = true;
                    if (aStart == 0 || bStart == 0) emit = true;
                    idx--; i--; j--;
                }
                else
                {
                    uint up = table[(i - 1) * width + j], left = table[i * width + j - 1];
                    if (up > left) i--;
                    else j--;
                    if (aStart != aLength) emit = true;
                }
                if (emit)
                {
                    int matchLength = aEnd - aStart + 1;
                    if (ranges != null && (minMatchLen == 0 || matchLength >= minMatchLen))
                        ranges.Add((aStart, aEnd, bStart, bEnd));
                    aStart = aLength;
                }
            }
            if (ranges == null)
            {
                c.Reply.Bulk(subsequence.AsSpan(0, total));
                return;
            }
            c.Reply.MapHeader(2);
            c.Reply.Bulk("matches"u8);
            c.Reply.ArrayHeader(ranges.Count);
            foreach (var r in ranges)
            {
                c.Reply.ArrayHeader(withMatchLen ? 3 : 2);
                c.Reply.ArrayHeader(2);
                c.Reply.Integer(r.AStart);
                c.Reply.Integer(r.AEnd);
                c.Reply.ArrayHeader(2);
                c.Reply.Integer(r.BStart);
                c.Reply.Integer(r.BEnd);
                if (withMatchLen) c.Reply.Integer(r.AEnd - r.AStart + 1);
            }
            c.Reply.Bulk("len"u8);
            c.Reply.Integer(total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(subsequence);
        }
    }
}
