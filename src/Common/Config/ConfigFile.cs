// Reader of redis.conf-style files: one directive per line, arguments split with Redis's quoting
// rules, '#' comments, `include` of other files, and directives appended from the command line
// ("--port 7000"). It only tokenizes; what a directive means belongs to the server or sentinel.
// Every line remembers where it came from so errors can be reported as Redis does.
using Csredis.Common.Text;

namespace Csredis.Common.Config;

public sealed record ConfigLine(int LineNumber, string Text, string[] Args)
{
    public string Name => Args[0].ToLowerInvariant();
}

public sealed class ConfigException(int lineNumber, string line, string reason) : Exception(reason)
{
    public int LineNumber { get; } = lineNumber;
    public string Line { get; } = line;
    public string Reason { get; } = reason;

    /// <summary>The block Redis prints to stderr before exiting with status 1.</summary>
    public string FatalReport() =>
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
        $"Reading the configuration file, at line {LineNumber}\n" +
        $">>> '{Line}'\n" +
        $"{Reason}\n";
}

/// <summary>A configuration file (the main one or an include) that cannot be read: Redis logs it and exits.</summary>
public sealed class ConfigOpenException(string path, string reason)
    : Exception($"Fatal error, can't open config file '{path}': {reason}");

public static class ConfigFile
{
    /// <summary>strerror-style text for a failed open, as Redis words it.</summary>
    public static string OpenErrorReason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    /// <summary>Reads a whole config file; a file that cannot be opened raises ConfigOpenException.</summary>
    public static string ReadFile(string path)
    {
        try { return System.IO.File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigOpenException(path, OpenErrorReason(e));
        }
    }

    /// <summary>
    /// Builds the full configuration text the way Redis does: the file (or stdin when the path is "-"),
    /// then the command-line options, each "--name" starting a new line.
    /// </summary>
    public static string ComposeText(string? path, IReadOnlyList<string> commandLineOptions, bool readStdin)
    {
        var text = new System.Text.StringBuilder();
        if (path != null && path != "-")
            text.Append(ReadFile(path)).Append('\n');
        if (readStdin || path == "-")
            text.Append(Console.In.ReadToEnd()).Append('\n');
        bool first = true;
        foreach (var option in commandLineOptions)
        {
            if (option.StartsWith("--", StringComparison.Ordinal) && option.Length > 2)
            {
                if (!first) text.Append('\n');
                text.Append(option.AsSpan(2));
                first = false;
            }
            else
            {
                text.Append(' ').Append(QuoteIfNeeded(option));
                first = false;
            }
        }
        text.Append('\n');
        return text.ToString();
    }

    static string QuoteIfNeeded(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny([' ', '"', '\'', '\t', '\\']) < 0) return arg;
        return "\"" + arg.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    /// <summary>
    /// The files an include line names. As in Redis 7.0, a path with glob characters (* ? [) is
    /// expanded like glob(3), in sorted order, and matching nothing is not an error; any other path
    /// is opened as it is (and must exist).
    /// </summary>
    public static IEnumerable<string> IncludedFiles(string path)
    {
        if (path.IndexOfAny(['*', '?', '[']) < 0) return [path];
        var candidates = new List<string> { path.StartsWith('/') ? "/" : "" };
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = new List<string>();
            foreach (var dir in candidates)
            {
                if (part.IndexOfAny(['*', '?', '[']) < 0) { next.Add(dir + part + "/"); continue; }
                string listDir = dir.Length == 0 ? "." : dir;
                if (!System.IO.Directory.Exists(listDir)) continue;
                IEnumerable<string> names;
                try { names = System.IO.Directory.EnumerateFileSystemEntries(listDir).Select(System.IO.Path.GetFileName)!; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                foreach (var name in names.Order(StringComparer.Ordinal))
                    // glob(3) leaves dot files to patterns that start with a dot.
                    if ((name[0] != '.' || part[0] == '.') && Glob.Match(part, name)) next.Add(dir + name + "/");
            }
            candidates = next;
        }
        return candidates.Select(c => c.TrimEnd('/')).Where(System.IO.File.Exists).ToList();
    }

    /// <summary>Tokenizes configuration text; `include` lines are expanded in place (recursively).</summary>
    public static List<ConfigLine> Parse(string text, int includeDepth = 0)
    {
        var result = new List<ConfigLine>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim(' ', '\t', '\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var args = ArgSplitter.Split(line);
            if (args == null) throw new ConfigException(i + 1, line, "Unbalanced quotes in configuration line");
            if (args.Length == 0) continue;
            if (args[0].Equals("include", StringComparison.OrdinalIgnoreCase) && args.Length == 2)
            {
                if (includeDepth > 16) throw new ConfigException(i + 1, line, "Too many nested includes");
                foreach (var included in IncludedFiles(args[1]))
                    result.AddRange(Parse(ReadFile(included), includeDepth + 1));
                continue;
            }
            result.Add(new ConfigLine(i + 1, line, args));
        }
        return result;
    }
}
