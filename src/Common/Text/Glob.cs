// Redis's glob-style matching (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes, on bytes.
// Used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE and the cli's --pattern alike.
namespace Csredis.Common.Text;

public static class Glob
{
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase = false)
        => MatchAt(pattern, text, noCase, 0);

    public static bool Match(string pattern, string text, bool noCase = false)
        => Match(System.Text.Encoding.UTF8.GetBytes(pattern), System.Text.Encoding.UTF8.GetBytes(text), noCase);

    static bool MatchAt(ReadOnlySpan<byte> p, ReadOnlySpan<byte> s, bool noCase, int depth)
    {
        if (depth > 1000) return false; // same guard as Redis against pathological patterns
        while (p.Length > 0 && s.Length > 0 || p.Length > 0 && p[0] == '*')
        {
            switch (p[0])
            {
                case (byte)'*':
                    while (p.Length > 1 && p[1] == '*') p = p[1..];
                    if (p.Length == 1) return true;
                    for (int i = 0; i <= s.Length; i++)
                        if (MatchAt(p[1..], s[i..], noCase, depth + 1)) return true;
                    return false;
                case (byte)'?':
                    s = s[1..];
                    break;
                case (byte)'[':
                {
                    p = p[1..];
                    bool not = p.Length > 0 && p[0] == '^';
                    if (not) p = p[1..];
                    bool match = false;
                    while (true)
                    {
                        if (p.Length == 0) break; // unterminated class: treat as end
                        if (p[0] == '\\' && p.Length >= 2)
                        {
                            p = p[1..];
                            if (p[0] == s[0]) match = true;
                        }
                        else if (p[0] == ']') break;
                        else if (p.Length >= 3 && p[1] == '-')
                        {
                            int start = p[0], end = p[2], c = s[0];
                            if (start > end) (start, end) = (end, start);
                            if (noCase) { start = Lower(start); end = Lower(end); c = Lower(c); }
                            p = p[2..];
                            if (c >= start && c <= end) match = true;
                        }
                        else if (noCase ? Lower(p[0]) == Lower(s[0]) : p[0] == s[0]) match = true;
                        p = p[1..];
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    s = s[1..];
                    if (p.Length == 0) return s.Length == 0; // pattern ended inside the class
                    break;
                }
                case (byte)'\\':
                    if (p.Length >= 2) p = p[1..];
                    goto default;
                default:
                    if (noCase ? Lower(p[0]) != Lower(s[0]) : p[0] != s[0]) return false;
                    s = s[1..];
                    break;
            }
            p = p[1..];
            if (s.Length == 0)
            {
                while (p.Length > 0 && p[0] == '*') p = p[1..];
                break;
            }
        }
        return p.Length == 0 && s.Length == 0;
    }

    static int Lower(int c) => c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}
