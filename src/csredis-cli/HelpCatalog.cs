// Command help built from the server's COMMAND DOCS: one entry per command and subcommand with its
// argument synopsis, summary, version and group. Serves `help <command>`, `help @group`, the hints shown
// while typing and tab completion of command names. Without a server that answers COMMAND DOCS, the
// help comes from Redis 7.0.15's own COMMAND DOCS reply, embedded (the table csredis-server serves),
// the way redis-cli falls back to the help table compiled into it.
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public sealed record HelpEntry(string Name, string Arguments, string Summary, string Since, string Group);

public sealed class HelpCatalog
{
    private static HelpCatalog? cached;
    public readonly List<HelpEntry> Entries;

    private HelpCatalog(List<HelpEntry> entries) => Entries = entries;

    /// <summary>Loads once per process from the connected server; empty when not connected or unsupported.</summary>
    public static HelpCatalog For(CliSession session)
    {
        if (cached is { Entries.Count: > 0 }) return cached;
        return Reload(session);
    }

    /// <summary>Asks the server for COMMAND DOCS again (keeping what was known if that fails).</summary>
    public static HelpCatalog Reload(CliSession session)
    {
        var entries = new List<HelpEntry>();
        if (session.Connection is { } connection && !session.LinkBroken)
        {
            try
            {
                var docs = connection.Execute("COMMAND", "DOCS");
                if (docs.Type is RespType.Array or RespType.Map) AddCommands(docs, entries, parent: null);
            }
            catch (RedisConnectionException) { session.LinkBroken = true; }
        }
        if (entries.Count == 0 && cached is { Entries.Count: > 0 }) return cached;
        if (entries.Count == 0) AddBuiltInCommands(entries);
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        cached = new HelpCatalog(entries);
        return cached;
    }

    // redis-cli's compiled-in table words a few synopses differently from COMMAND DOCS.
    private static readonly Dictionary<string, string> BuiltInSynopses = new(StringComparer.Ordinal)
    {
        ["BITFIELD"] = "key GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment " +
                       "[GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment ...]",
        ["BITFIELD_RO"] = "key GET encoding offset [GET encoding offset ...]",
        ["MIGRATE"] = "host port key| destination-db timeout [COPY] [REPLACE] [[AUTH password]|[AUTH2 username password]] [KEYS key [key ...]]",
        ["REPLICAOF"] = "host port",
        ["SLAVEOF"] = "host port",
    };

    private static void AddBuiltInCommands(List<HelpEntry> entries)
    {
        using var stream = typeof(HelpCatalog).Assembly.GetManifestResourceStream("CommandDocs.resp3");
        if (stream is null) return;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var parser = new RespReplyParser();
        if (parser.TryParse(buffer.ToArray(), out _, out var docs) != RespParseStatus.Complete || docs is null) return;
        // Each command's value in the file is [docs, tips, key specs]; the docs map is what COMMAND DOCS gives.
        var elements = docs.Elements.Select((e, i) => i % 2 == 1 && e.Type == RespType.Array && e.Elements.Length > 0 ? e.Elements[0] : e).ToArray();
        var builtIn = new List<HelpEntry>();
        AddCommands(RespValue.Aggregate(RespType.Map, elements), builtIn, parent: null);
        foreach (var entry in builtIn)
            entries.Add(BuiltInSynopses.TryGetValue(entry.Name, out var synopsis) ? entry with { Arguments = synopsis } : entry);
    }

    private static void AddCommands(RespValue docs, List<HelpEntry> entries, string? parent)
    {
        for (int i = 0; i + 1 < docs.Elements.Length; i += 2)
        {
            string name = docs.Elements[i].AsText().ToUpperInvariant();
            var fields = docs.Elements[i + 1];
            string summary = "", since = "", group = "", arguments = "";
            RespValue? subcommands = null;
            for (int f = 0; f + 1 < fields.Elements.Length; f += 2)
            {
                var value = fields.Elements[f + 1];
                switch (fields.Elements[f].AsText())
                {
                    case "summary": summary = value.AsText(); break;
                    case "since": since = value.AsText(); break;
                    case "group": group = value.AsText(); break;
                    case "arguments": arguments = RenderArguments(value, " "); break;
                    case "subcommands": subcommands = value; break;
                }
            }
            string displayName = name.Replace('|', ' ');
            entries.Add(new HelpEntry(displayName, arguments, summary, since, group));
            if (subcommands is not null) AddCommands(subcommands, entries, name);
        }
    }

    private static string RenderArguments(RespValue list, string separator) =>
        string.Join(separator, list.Elements.Select(RenderArgument));

    private static string RenderArgument(RespValue argument)
    {
        string name = "", type = "", token = "";
        string? displayText = null;
        bool optional = false, multiple = false, multipleToken = false;
        RespValue? children = null;
        for (int f = 0; f + 1 < argument.Elements.Length; f += 2)
        {
            var value = argument.Elements[f + 1];
            switch (argument.Elements[f].AsText())
            {
                case "name": name = value.AsText(); break;
                case "type": type = value.AsText(); break;
                case "token": token = value.AsText(); break;
                case "display_text": displayText = value.AsText(); break;
                case "arguments": children = value; break;
                case "flags":
                    foreach (var flag in value.Elements)
                    {
                        string text = flag.AsText();
                        if (text == "optional") optional = true;
                        else if (text == "multiple") multiple = true;
                        else if (text == "multiple_token") multipleToken = true;
                    }
                    break;
            }
        }
        string body = type switch
        {
            "pure-token" => token,
            "oneof" => children is null ? "" : RenderArguments(children, "|"),
            "block" => children is null ? "" : RenderArguments(children, " "),
            _ => displayText ?? name,
        };
        if (type != "pure-token" && token.Length > 0) body = token + " " + body;
        if (multiple) body = body + " [" + (multipleToken || type == "pure-token" ? body : StripToken(body, token)) + " ...]";
        return optional ? "[" + body + "]" : body;
    }

    private static string StripToken(string body, string token) =>
        token.Length > 0 && body.StartsWith(token + " ", StringComparison.Ordinal) ? body[(token.Length + 1)..] : body;

    public HelpEntry? Find(string commandName) =>
        Entries.FirstOrDefault(e => e.Name.Equals(commandName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Text of `help`, `help @group` or `help <command> [subcommand]`.</summary>
    public string Render(string[] topic)
    {
        if (topic.Length == 0)
        {
            return Usage.VersionLine + "\n" +
                "To get help about Redis commands type:\n" +
                "      \"help @<group>\" to get a list of commands in <group>\n" +
                "      \"help <command>\" for help on <command>\n" +
                "      \"help <tab>\" to get a list of possible help topics\n" +
                "      \"quit\" to exit\n\n" +
                "To set redis-cli preferences:\n" +
                "      \":set hints\" enable online hints\n" +
                "      \":set nohints\" disable online hints\n" +
                "Set your preferences in ~/.redisclirc\n";
        }
        var text = new StringBuilder("\r\n");
        if (topic[0].StartsWith('@'))
        {
            string group = topic[0][1..];
            foreach (var entry in Entries.Where(e => e.Group.Equals(group, StringComparison.OrdinalIgnoreCase)))
                AppendEntry(text, entry, withGroup: false);
            return text.ToString();
        }
        // The typed words must begin the entry's name: "help acl" lists ACL and every ACL subcommand.
        foreach (var entry in Entries)
        {
            var words = entry.Name.Split(' ');
            if (topic.Length > words.Length) continue;
            if (topic.Select((t, i) => t.Equals(words[i], StringComparison.OrdinalIgnoreCase)).All(x => x))
                AppendEntry(text, entry, withGroup: true);
        }
        return text.ToString();
    }

    private static void AppendEntry(StringBuilder text, HelpEntry entry, bool withGroup)
    {
        text.Append("  \x1b[1m").Append(entry.Name).Append("\x1b[0m \x1b[90m").Append(entry.Arguments).Append("\x1b[0m\r\n");
        text.Append("  \x1b[33msummary:\x1b[0m ").Append(entry.Summary).Append("\r\n");
        text.Append("  \x1b[33msince:\x1b[0m ").Append(entry.Since).Append("\r\n");
        if (withGroup) text.Append("  \x1b[33mgroup:\x1b[0m ").Append(entry.Group).Append("\r\n");
        text.Append("\r\n");
    }

    /// <summary>Grey hint for a partly typed line: the synopsis of the longest entry whose name the line
    /// begins with, minus the arguments already typed (stopping at the first optional one), with a
    /// leading space unless the line ends in one.</summary>
    public string? Hint(string line)
    {
        var argv = Csredis.Common.Text.ArgSplitter.Split(Encoding.UTF8.GetBytes(line));
        if (argv is null || argv.Count == 0) return null;
        var words = argv.Select(Encoding.UTF8.GetString).ToArray();
        bool endsWithSpace = line.Length > 0 && char.IsWhiteSpace(line[^1]);
        HelpEntry? entry = null;
        int matched = 0;
        foreach (var candidate in Entries)
        {
            var name = candidate.Name.Split(' ');
            if (name.Length > words.Length || name.Length <= matched) continue;
            bool all = true;
            for (int j = 0; j < name.Length && all; j++) all = name[j].Equals(words[j], StringComparison.OrdinalIgnoreCase);
            if (!all) continue;
            matched = name.Length;
            entry = candidate;
        }
        if (entry is null) return null;
        string hint = entry.Arguments;
        int toRemove = words.Length - matched;
        int p = 0;
        while (toRemove > 0 && p < hint.Length)
        {
            if (hint[p] == '[') break;
            if (hint[p] == ' ') toRemove--;
            p++;
        }
        hint = hint[p..];
        return endsWithSpace ? hint : " " + hint;
    }

    public IEnumerable<string> CommandNames => Entries.Select(e => e.Name);
}
