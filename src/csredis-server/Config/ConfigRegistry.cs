// Typed configuration parameters (Redis's config.c standardConfig table). One entry per
// directive knows how to parse a value (with Redis's units, yes/no and enum rules and error
// texts), how to render it for CONFIG GET and CONFIG REWRITE, and whether CONFIG SET may change it
// at run time. The same entries serve the config file, the command line and CONFIG SET.
using System.Globalization;

namespace Csredis.Server.Config;

public sealed class ConfigEntry
{
    public required string Name { get; init; }
    public string[] Aliases { get; init; } = [];
    /// <summary>Parses and applies the arguments; returns an error text (Redis's wording) or null.</summary>
    public required Func<string[], string?> Set { get; init; }
    public required Func<string> Get { get; init; }
    public bool Immutable { get; init; }
    /// <summary>Directives that may appear several times (save, bind lines are one entry).</summary>
    public bool MultiArg { get; init; }
    public string DefaultValue { get; set; } = "";
}

public sealed class ConfigRegistry
{
    readonly Dictionary<string, ConfigEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    readonly List<ConfigEntry> _ordered = new();

    public IReadOnlyList<ConfigEntry> Entries => _ordered;

    public void Add(ConfigEntry entry)
    {
        entry.DefaultValue = entry.Get();
        _entries[entry.Name] = entry;
        foreach (var alias in entry.Aliases) _entries[alias] = entry;
        _ordered.Add(entry);
    }

    public ConfigEntry? Find(string name) => _entries.GetValueOrDefault(name);

    public void Bool(string name, Func<bool> get, Action<bool> set, bool immutable = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Get = () => get() ? "yes" : "no",
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            if (args[0].Equals("yes", StringComparison.OrdinalIgnoreCase)) set(true);
            else if (args[0].Equals("no", StringComparison.OrdinalIgnoreCase)) set(false);
            else return "argument must be 'yes' or 'no'";
            return null;
        },
    });

    public void Integer(string name, long min, long max, Func<long> get, Action<long> set, bool immutable = false, bool memory = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Get = () => get().ToString(CultureInfo.InvariantCulture),
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            long value;
            if (memory)
            {
                if (!TryParseMemory(args[0], out value)) return "argument must be a memory value";
            }
            else if (!long.TryParse(args[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
                return "argument couldn't be parsed into an integer";
            if (value < min || value > max)
                return memory && min == 0 && value < 0 ? "argument must be a memory value" : $"argument must be between {min} and {max} inclusive";
            set(value);
            return null;
        },
    });

    public void Memory(string name, long min, long max, Func<long> get, Action<long> set, bool immutable = false, params string[] aliases) =>
        Integer(name, min, max, get, set, immutable, memory: true, aliases);

    public void Text(string name, Func<string> get, Action<string> set, bool immutable = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Get = get,
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            set(args[0]);
            return null;
        },
    });

    public void Enum(string name, string[] choices, Func<string> get, Action<string> set, bool immutable = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Get = get,
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            foreach (var choice in choices)
                if (choice.Equals(args[0], StringComparison.OrdinalIgnoreCase)) { set(choice); return null; }
            return "argument(s) must be one of the following: " + string.Join(", ", choices);
        },
    });

    /// <summary>Redis's memtoull: plain bytes, or k/kb/m/mb/g/gb (k = 1000, kb = 1024), case-insensitive.</summary>
    public static bool TryParseMemory(string text, out long bytes)
    {
        bytes = 0;
        string lower = text.ToLowerInvariant();
        long multiplier = 1;
        string digits = lower;
        (string Suffix, long Mul)[] units = [("gb", 1L << 30), ("mb", 1L << 20), ("kb", 1L << 10), ("g", 1_000_000_000L), ("m", 1_000_000L), ("k", 1000L), ("b", 1L)];
        foreach (var (suffix, mul) in units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = mul;
                digits = lower[..^suffix.Length];
                break;
            }
        }
        if (digits.Length == 0 || !long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return false;
        bytes = n * multiplier;
        return true;
    }
}
