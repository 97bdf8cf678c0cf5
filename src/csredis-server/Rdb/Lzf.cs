// LZF compression in the liblzf stream format that RDB uses for long strings.
// The compressed stream is a sequence of runs, each starting with a control byte:
//   000LLLLL                      a literal run of L+1 bytes (1..32) follows;
//   LLLOOOOO oooooooo             a back reference of length LLL+2 (3..8) at distance O:o + 1;
//   111OOOOO llllllll oooooooo    a back reference of length l+9 (up to 264).
// The compressor finds repeats with a hash table of 3-byte prefixes (the last position seen for
// each hash), so it is one pass and allocation-free apart from its table. The table is not cleared
// per call (64 KB of memset for every 21-byte string of a snapshot): each call stores positions
// offset by a base above every value earlier calls stored, so older entries read as empty and the
// output is the same as with a fresh table.
namespace Csredis.Server.Rdb;

public static class Lzf
{
    const int HashBits = 14;
    const int MaxLiteral = 32;
    const int MaxOffset = 1 << 13;
    const int MaxReference = 264; // 7 + 255 + 2

    [ThreadStatic] static int[]? _table;
    [ThreadStatic] static int _base;

    /// <summary>Compresses into <paramref name="output"/>; returns the compressed length, or 0 when it does not fit.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var table = _table ??= new int[1 << HashBits];
        int end = input.Length;
        if (_base <= 0 || _base > int.MaxValue - end - 1)
        {
            Array.Clear(table);
            _base = 1;
        }
        int origin = _base;
        _base += end + 1;
        return CompressWith(table, origin, input, output);
    }

    static int CompressWith(int[] table, int origin, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0, literalStart = 0;
        int end = input.Length;
        while (ip + 2 < end)
        {
            int hash = Hash(input[ip], input[ip + 1], input[ip + 2]);
            int candidate = table[hash] - origin;
            table[hash] = ip + origin;
            if (candidate >= 0 && ip - candidate - 1 < MaxOffset
                && input[candidate] == input[ip] && input[candidate + 1] == input[ip + 1] && input[candidate + 2] == input[ip + 2])
            {
                int maxLength = Math.Min(MaxReference, end - ip);
                int length = 3;
                while (length < maxLength && input[candidate + length] == input[ip + length]) length++;
                if (!FlushLiterals(input, literalStart, ip, output, ref op)) return 0;
                int offset = ip - candidate - 1;
                int lengthCode = length - 2;
                if (lengthCode < 7)
                {
                    if (op + 2 > output.Length) return 0;
                    output[op++] = (byte)((lengthCode << 5) | (offset >> 8));
                }
                else
                {
                    if (op + 3 > output.Length) return 0;
                    output[op++] = (byte)((7 << 5) | (offset >> 8));
                    output[op++] = (byte)(lengthCode - 7);
                }
                output[op++] = (byte)offset;
                // Index the positions inside the match so later repeats can refer to them.
                int stop = Math.Min(ip + length, end - 2);
                for (int p = ip + 1; p < stop; p++) table[Hash(input[p], input[p + 1], input[p + 2])] = p + origin;
                ip += length;
                literalStart = ip;
                continue;
            }
            ip++;
        }
        if (!FlushLiterals(input, literalStart, end, output, ref op)) return 0;
        return op;
    }

    static bool FlushLiterals(ReadOnlySpan<byte> input, int start, int stop, Span<byte> output, ref int op)
    {
        while (start < stop)
        {
            int run = Math.Min(MaxLiteral, stop - start);
            if (op + 1 + run > output.Length) return false;
            output[op++] = (byte)(run - 1);
            input.Slice(start, run).CopyTo(output[op..]);
            op += run;
            start += run;
        }
        return true;
    }

    static int Hash(byte a, byte b, byte c) => (int)(((uint)(a << 16 | b << 8 | c) * 2654435761u) >> (32 - HashBits));

    /// <summary>Decompresses into <paramref name="output"/>; returns the length produced, or -1 on a malformed stream.</summary>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int control = input[ip++];
            if (control < 32)
            {
                int run = control + 1;
                if (ip + run > input.Length || op + run > output.Length) return -1;
                input.Slice(ip, run).CopyTo(output[op..]);
                ip += run;
                op += run;
                continue;
            }
            int length = control >> 5;
            if (length == 7)
            {
                if (ip >= input.Length) return -1;
                length += input[ip++];
            }
            length += 2;
            if (ip >= input.Length) return -1;
            int reference = op - ((control & 0x1F) << 8) - 1 - input[ip++];
            if (reference < 0 || op + length > output.Length) return -1;
            // Byte by byte: a reference may overlap the bytes it produces (runs of a repeated pattern).
            for (int k = 0; k < length; k++) output[op++] = output[reference + k];
        }
        return op;
    }
}
