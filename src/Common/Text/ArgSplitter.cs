// Splits a line into arguments with the quoting rules of Redis's sdssplitargs: used by the
// config file reader, by inline requests and by the cli's --quoted-input, so all three agree on
// what "a\x41b" or 'it\'s' mean.
namespace Csredis.Common.Text;

public static class ArgSplitter
{
    /// <summary>
    /// Appends each argument of <paramref name="line"/> to <paramref name="output"/> and returns the number of
    /// arguments, or -1 when quotes are unbalanced (or a closing quote is not followed by a space).
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, List<byte[]> output)
    {
        line = UpToNul(line);
        int count = 0, p = 0;
        var current = new List<byte>();
        while (true)
        {
            while (p < line.Length && IsSpace(line[p])) p++;
            if (p >= line.Length) return count;
            current.Clear();
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (p >= line.Length) return -1;
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
                            (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b', (byte)'a' => (byte)'\a', _ => line[p],
                        });
                    }
                    else if (c == '"')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return -1;
                        done = true;
                    }
                    else current.Add(c);
                }
                else if (inSingle)
                {
                    if (p >= line.Length) return -1;
                    byte c = line[p];
                    if (c == '\\' && p + 1 < line.Length && line[p + 1] == '\'') { p++; current.Add((byte)'\''); }
                    else if (c == '\'')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return -1;
                        done = true;
                    }
                    else current.Add(c);
                }
                else
                {
                    if (p >= line.Length) { done = true; break; }
                    byte c = line[p];
                    // As sdssplitargs: a quote opens quoting even in the middle of a word ("a"b is ab).
                    if (IsTokenEnd(c)) done = true;
                    else if (c == '"') inDouble = true;
                    else if (c == '\'') inSingle = true;
                    else current.Add(c);
                }
                if (p < line.Length) p++;
            }
            output.Add(current.ToArray());
            count++;
        }
    }

    /// <summary>The arguments of a typed or inline line, or null when quotes are unbalanced or misplaced.</summary>
    public static List<byte[]>? Split(ReadOnlySpan<byte> line)
    {
        var parts = new List<byte[]>();
        return Split(line, parts) < 0 ? null : parts;
    }

    /// <summary>Convenience for configuration text: returns null on unbalanced quotes.</summary>
    public static string[]? Split(string line)
    {
        var parts = new List<byte[]>();
        if (Split(System.Text.Encoding.UTF8.GetBytes(line), parts) < 0) return null;
        var result = new string[parts.Count];
        for (int i = 0; i < parts.Count; i++) result[i] = System.Text.Encoding.UTF8.GetString(parts[i]);
        return result;
    }

    // isspace() in the C locale: what is skipped between arguments.
    public static bool IsSpace(byte c) => c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';

    /// <summary>What ends an unquoted argument in sdssplitargs (narrower than isspace: \v and \f belong to the word).</summary>
    public static bool IsTokenEnd(byte c) => c == ' ' || c == '\n' || c == '\r' || c == '\t';

    /// <summary>sdssplitargs reads a C string: a NUL byte ends the line, whatever follows it is ignored.</summary>
    public static ReadOnlySpan<byte> UpToNul(ReadOnlySpan<byte> line)
    {
        int nul = line.IndexOf((byte)0);
        return nul < 0 ? line : line[..nul];
    }
    static bool IsHex(byte c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
