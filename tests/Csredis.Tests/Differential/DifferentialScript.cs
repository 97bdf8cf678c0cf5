// Parses a differential script (Scripts/*.redis): one command per line in redis-cli quoting, `#`
// comments, an optional first line `#! args: ...` with server arguments, sections separated by blank
// lines or opened by `--- name`, and per-line prefixes that choose how replies are compared:
//   (none)  byte-identical reply         ~      same RESP shape (times, run ids, INFO)
//   @sort   unordered array, compare sorted    @raw   send these escaped bytes instead of a command
//   @fields INFO-style bulk reply: same section headers and field names in the same order, any values
//   @sleep N  pause N ms (at most 2000) before the next step, e.g. to let keys expire
using System.Text;

namespace Csredis.Tests.Differential;

public enum CompareMode { Exact, Shape, Sorted, Fields, Raw, Sleep }

public sealed record ScriptStep(int LineNumber, string Source, CompareMode Mode, IReadOnlyList<byte[]> Arguments, byte[] RawBytes)
{
    /// <summary>Upper-case command name, "" for raw steps.</summary>
    public int SleepMilliseconds { get; init; }

    public string CommandName => Arguments.Count > 0 ? Encoding.UTF8.GetString(Arguments[0]).ToUpperInvariant() : "";
}

public sealed record ScriptSection(string Name, IReadOnlyList<ScriptStep> Steps);

public sealed record DifferentialScript(string Name, IReadOnlyList<string> ServerArguments, IReadOnlyList<ScriptSection> Sections)
{
    public static DifferentialScript Load(string path) => Parse(Path.GetFileName(path), File.ReadAllLines(path));

    public static DifferentialScript Parse(string name, IReadOnlyList<string> lines)
    {
        var serverArguments = new List<string>();
        var sections = new List<ScriptSection>();
        string? sectionName = null;
        var steps = new List<ScriptStep>();

        void CloseSection()
        {
            if (steps.Count > 0)
                sections.Add(new ScriptSection(sectionName ?? $"line {steps[0].LineNumber}", steps));
            steps = [];
            sectionName = null;
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].Trim();
            try
            {
                if (line.StartsWith("#! args:"))
                {
                    if (sections.Count > 0 || steps.Count > 0)
                        throw new FormatException("`#! args:` must come before the first command");
                    serverArguments.AddRange(SplitArguments(line["#! args:".Length..]).Select(Encoding.UTF8.GetString));
                }
                else if (line.Length == 0)
                {
                    if (sectionName == null) CloseSection();
                }
                else if (line.StartsWith("---"))
                {
                    CloseSection();
                    sectionName = line[3..].Trim();
                }
                else if (line.StartsWith('#'))
                {
                }
                else if (line.StartsWith("@sleep"))
                {
                    if (!int.TryParse(line["@sleep".Length..].Trim(), out var milliseconds) || milliseconds < 0 || milliseconds > 2000)
                        throw new FormatException("@sleep needs milliseconds between 0 and 2000");
                    steps.Add(new ScriptStep(lineNumber, line, CompareMode.Sleep, [], []) { SleepMilliseconds = milliseconds });
                }
                else if (line.StartsWith("@raw"))
                {
                    var raw = Unescape(line["@raw".Length..].TrimStart());
                    if (raw.Length == 0) throw new FormatException("@raw needs bytes to send");
                    steps.Add(new ScriptStep(lineNumber, line, CompareMode.Raw, [], raw));
                }
                else
                {
                    var mode = CompareMode.Exact;
                    var command = line;
                    if (line.StartsWith('~')) { mode = CompareMode.Shape; command = line[1..]; }
                    else if (line.StartsWith("@sort")) { mode = CompareMode.Sorted; command = line["@sort".Length..]; }
                    else if (line.StartsWith("@fields")) { mode = CompareMode.Fields; command = line["@fields".Length..]; }
                    else if (line.StartsWith('@')) throw new FormatException($"unknown prefix {line.Split(' ')[0]}");
                    var arguments = SplitArguments(command);
                    if (arguments.Count == 0) throw new FormatException("prefix without a command");
                    steps.Add(new ScriptStep(lineNumber, line, mode, arguments, []));
                }
            }
            catch (FormatException e)
            {
                throw new FormatException($"{name}:{lineNumber}: {e.Message}: {lines[i]}");
            }
        }
        CloseSection();
        return new DifferentialScript(name, serverArguments, sections);
    }

    /// <summary>redis-cli argument splitting: whitespace separates; "..." knows \n \r \t \b \a \xHH and
    /// \" \\; '...' knows only \'; a closing quote must end the argument.</summary>
    public static List<byte[]> SplitArguments(string line)
    {
        var result = new List<byte[]>();
        var pos = 0;
        while (true)
        {
            while (pos < line.Length && char.IsWhiteSpace(line[pos])) pos++;
            if (pos >= line.Length) return result;
            var current = new List<byte>();
            var done = false;
            while (!done)
            {
                if (pos >= line.Length) break;
                var c = line[pos];
                if (c == '"')
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= line.Length) throw new FormatException("unbalanced double quote");
                        c = line[pos];
                        if (c == '"') { pos++; break; }
                        if (c == '\\' && pos + 1 < line.Length)
                        {
                            pos += ReadEscape(line, pos, current);
                            continue;
                        }
                        AddChar(current, line, ref pos);
                    }
                    done = RequireEndOfArgument(line, pos);
                }
                else if (c == '\'')
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= line.Length) throw new FormatException("unbalanced single quote");
                        c = line[pos];
                        if (c == '\'') { pos++; break; }
                        if (c == '\\' && pos + 1 < line.Length && line[pos + 1] == '\'') { current.Add((byte)'\''); pos += 2; continue; }
                        AddChar(current, line, ref pos);
                    }
                    done = RequireEndOfArgument(line, pos);
                }
                else if (char.IsWhiteSpace(c))
                {
                    done = true;
                }
                else
                {
                    AddChar(current, line, ref pos);
                }
            }
            result.Add(current.ToArray());
        }
    }

    private static bool RequireEndOfArgument(string line, int pos)
    {
        if (pos < line.Length && !char.IsWhiteSpace(line[pos]))
            throw new FormatException("closing quote must be followed by a space or the end of the line");
        return true;
    }

    private static void AddChar(List<byte> into, string line, ref int pos)
    {
        var length = char.IsSurrogatePair(line, pos) ? 2 : 1;
        into.AddRange(Encoding.UTF8.GetBytes(line.Substring(pos, length)));
        pos += length;
    }

    /// <summary>Decodes one backslash escape at line[pos]; returns how many chars it used.</summary>
    private static int ReadEscape(string line, int pos, List<byte> into)
    {
        var next = line[pos + 1];
        if (next == 'x' && pos + 3 < line.Length && Uri.IsHexDigit(line[pos + 2]) && Uri.IsHexDigit(line[pos + 3]))
        {
            into.Add(Convert.ToByte(line.Substring(pos + 2, 2), 16));
            return 4;
        }
        into.Add(next switch
        {
            'n' => (byte)'\n', 'r' => (byte)'\r', 't' => (byte)'\t', 'b' => (byte)'\b', 'a' => (byte)'\a',
            _ => (byte)next,
        });
        if (next > 0x7f) throw new FormatException("escape of a non-ASCII character");
        return 2;
    }

    /// <summary>Bytes of an @raw line: text as is, with the same backslash escapes as "..." arguments.</summary>
    public static byte[] Unescape(string text)
    {
        var bytes = new List<byte>();
        var pos = 0;
        while (pos < text.Length)
        {
            if (text[pos] == '\\' && pos + 1 < text.Length)
                pos += ReadEscape(text, pos, bytes);
            else
                AddChar(bytes, text, ref pos);
        }
        return bytes.ToArray();
    }
}
