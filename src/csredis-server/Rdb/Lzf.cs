// LZF compression in the liblzf stream format that RDB uses for long strings.
// The compressed stream is a sequence of runs, each starting with a control byte:
//   000LLLLL                      a literal run of L+1 bytes (1..32) follows;
//   LLLOOOOO oooooooo             a back reference of length LLL+2 (3..8) at distance O:o + 1;
//   111OOOOO llllllll oooooooo    a back reference of length l+9 (up to 264).
// The compressor makes the same choices as liblzf 3.6 as Redis builds it (HLOG 16, VERY_FAST,
// STRICT_ALIGN), so RDB files and DUMP payloads are Redis's bytes: a 64k-slot table of the last
// position of each 3-byte hash (never position 0, which liblzf cannot refer to), a match taken
// whenever the slot's bytes agree within 8 kB, only the two positions before a match's end
// hashed again, and liblzf's conservative "does it fit" tests deciding when compression gives up.
// Slots are stamped with the call's generation instead of being cleared: one pass, no allocation.
namespace Csredis.Server.Rdb;

public static class Lzf
{
    const int HashLog = 16;
    const int HashSize = 1 << HashLog;
    const int MaxLiteral = 1 << 5;
    const int MaxOffset = 1 << 13;
    const int MaxReference = (1 << 8) + (1 << 3);

    [ThreadStatic] static int[]? _positions;
    [ThreadStatic] static int[]? _stamps;
    [ThreadStatic] static int _generation;

    /// <summary>liblzf's VERY_FAST slot of the last three bytes in <paramref name="h"/>.</summary>
    static int Slot(uint h) => (int)(((h >> (3 * 8 - HashLog)) - h * 5) & (HashSize - 1));

    /// <summary>Compresses into <paramref name="output"/>; returns the compressed length, or 0 when it does not fit.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int inEnd = input.Length, outEnd = output.Length;
        if (inEnd == 0 || outEnd == 0) return 0;
        var positions = _positions ??= new int[HashSize];
        var stamps = _stamps ??= new int[HashSize];
        if (++_generation == int.MaxValue)
        {
            Array.Clear(stamps);
            _generation = 1;
        }
        int generation = _generation;

        int ip = 0, op = 1, lit = 0; // output[op - lit - 1] is the open literal run's control byte
        uint hval = inEnd >= 2 ? (uint)(input[0] << 8 | input[1]) : 0;
        while (ip < inEnd - 2)
        {
            hval = (hval << 8) | input[ip + 2];
            int slot = Slot(hval);
            int reference = stamps[slot] == generation ? positions[slot] : 0;
            positions[slot] = ip;
            stamps[slot] = generation;
            int offset = ip - reference - 1;
            if (reference > 0 && offset < MaxOffset
                && input[reference + 2] == input[ip + 2] && input[reference] == input[ip] && input[reference + 1] == input[ip + 1])
            {
                int len = 2;
                int maxLength = Math.Min(inEnd - ip - len, MaxReference);
                if (op + 3 + 1 >= outEnd && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
                output[op - lit - 1] = (byte)(lit - 1); // close the literal run (undone when empty)
                if (lit == 0) op--;
                // liblzf compares 16 bytes unrolled before it looks at the limit, so a match may
                // run up to two bytes past maxLength to the end of the input.
                bool mismatch = false;
                if (maxLength > 16)
                {
                    for (int k = 0; k < 16 && !mismatch; k++)
                        mismatch = input[reference + ++len] != input[ip + len];
                }
                if (!mismatch)
                {
                    do len++;
                    while (len < maxLength && input[reference + len] == input[ip + len]);
                }
                len -= 2;
                ip++;
                if (len < 7)
                {
                    output[op++] = (byte)((offset >> 8) + (len << 5));
                }
                else
                {
                    output[op++] = (byte)((offset >> 8) + (7 << 5));
                    output[op++] = (byte)(len - 7);
                }
                output[op++] = (byte)offset;
                lit = 0;
                op++;
                ip += len + 1;
                if (ip >= inEnd - 2) break;
                // VERY_FAST: hash only the two positions before the match's end.
                ip -= 2;
                hval = (uint)(input[ip] << 8 | input[ip + 1]);
                for (int k = 0; k < 2; k++)
                {
                    hval = (hval << 8) | input[ip + 2];
                    slot = Slot(hval);
                    positions[slot] = ip;
                    stamps[slot] = generation;
                    ip++;
                }
            }
            else
            {
                if (op >= outEnd) return 0;
                lit++;
                output[op++] = input[ip++];
                if (lit == MaxLiteral)
                {
                    output[op - lit - 1] = (byte)(lit - 1);
                    lit = 0;
                    op++;
                }
            }
        }
        if (op + 3 > outEnd) return 0;
        while (ip < inEnd)
        {
            lit++;
            output[op++] = input[ip++];
            if (lit == MaxLiteral)
            {
                output[op - lit - 1] = (byte)(lit - 1);
                lit = 0;
                op++;
            }
        }
        output[op - lit - 1] = (byte)(lit - 1);
        if (lit == 0) op--;
        return op;
    }

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
