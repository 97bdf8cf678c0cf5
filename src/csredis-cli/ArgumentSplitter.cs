// Splits a typed line into arguments the way redis-cli does: whitespace separates, "double quotes"
// understand \n \r \t \b \a \xHH escapes, 'single quotes' only \', and a closing quote must be followed
// by whitespace. Arguments are bytes so \xHH can produce any binary value.
namespace Csredis.Cli;

public static class ArgumentSplitter
{
    /// <summary>The arguments, or null when quotes are unbalanced or misplaced.</summary>
    public static List<byte[]>? Split(ReadOnlySpan<byte> line)
    {
        var result = new List<byte[]>();
        int p = 0;
        while (true)
        {
            while (p < line.Length && IsSpace(line[p])) p++;
            if (p >= line.Length) return result;
            var current = new List<byte>();
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (p >= line.Length) return null;
                    byte c = line[p];
                    if (c == '\\' && p + 3 < line.Length && line[p + 1] == 'x' && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        current.Add((byte)(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
                        p += 3;
                    }
                    else if (c == '\\' && p + 1 < line.Length)
                    {
                        p++;
                        current.Add(line[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        });
                    }
                    else if (c == '"')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else current.Add(c);
                }
                else if (inSingle)
                {
                    if (p >= line.Length) return null;
                    byte c = line[p];
                    if (c == '\\' && p + 1 < line.Length && line[p + 1] == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (c == '\'')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else current.Add(c);
                }
                else
                {
                    if (p >= line.Length) { done = true; break; }
                    byte c = line[p];
                    if (c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0) done = true;
                    else if (c == '"') inDouble = true;
                    else if (c == '\'') inSingle = true;
                    else current.Add(c);
                }
                if (p < line.Length) p++;
            }
            result.Add(current.ToArray());
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
