// Typed configuration parameters (Redis's config.c standardConfig table). One entry per
// directive knows how to parse a value (with Redis's units, yes/no and enum rules and error
// texts), how to render it for CONFIG GET and for CONFIG REWRITE, and whether CONFIG SET may
// change it at run time. The same entries serve the config file, the command line and CONFIG SET.
using System.Globalization;
using Csredis.Common.Config;

namespace Csredis.Server.Config;

public sealed class ConfigEntry
{
    public required string Name { get; init; }
    public string[] Aliases { get; init; } = [];
    /// <summary>Parses and applies the arguments; returns an error text (Redis's wording) or null.</summary>
    public required Func<string[], string?> Set { get; init; }
    public required Func<string> Get { get; init; }
    /// <summary>
    /// Turns a value (as Get renders it) into the argument text of each line CONFIG REWRITE writes
    /// (without the name). Without it, one line holding the value as is.
    /// </summary>
    public Func<string, IReadOnlyList<string>>? RewriteLines { get; init; }
    public bool Immutable { get; init; }
    /// <summary>Refused by CONFIG SET unless enable-protected-configs allows it (dir, dbfilename...).</summary>
    public bool Protected { get; init; }
    /// <summary>Part of Redis's configuration but not acted on by csredis (see AcceptedDirectives).</summary>
    public bool Accepted { get; init; }
    /// <summary>Directives whose value has several words (save, bind): the file line's arguments are all passed.</summary>
    public bool MultiArg { get; init; }
    /// <summary>Written by CONFIG REWRITE even at its default value (Redis does so for dir).</summary>
    public bool AlwaysRewrite { get; set; }
    public string DefaultValue { get; set; } = "";
    /// <summary>An empty value means "not set": CONFIG REWRITE drops the directive's lines (pidfile, masterauth...).</summary>
    public bool EmptyIsAbsent { get; set; }

    public bool IsDefault => Get() == DefaultValue;

    /// <summary>
    /// Run by CONFIG SET after every value of the command is set: makes the change take effect
    /// (rebinding sockets...). An error text makes CONFIG SET restore all old values.
    /// </summary>
    public Func<string?>? ApplyChange { get; set; }

    public IReadOnlyList<string> LinesForRewrite() => RewriteLines?.Invoke(Get()) ?? [Get()];

    /// <summary>The lines the default value would be written as: a line among them is written only if already in the file.</summary>
    public IReadOnlyList<string> DefaultLines() => RewriteLines?.Invoke(DefaultValue) ?? [DefaultValue];
}

public sealed class ConfigRegistry
{
    readonly Dictionary<string, ConfigEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    readonly List<ConfigEntry> _ordered = new();

    public IReadOnlyList<ConfigEntry> Entries => _ordered;

    public void Add(ConfigEntry entry)
    {
        // A directive a feature implements wins over its accepted-only placeholder, whichever registers first.
        if (_entries.TryGetValue(entry.Name, out var existing))
        {
            if (entry.Accepted && !existing.Accepted) return;
            Remove(existing.Name);
        }
        entry.DefaultValue = entry.Get();
        _entries[entry.Name] = entry;
        foreach (var alias in entry.Aliases) _entries[alias] = entry;
        _ordered.Add(entry);
    }

    /// <summary>Takes a directive out (a feature implementing it registers its own entry).</summary>
    public void Remove(string name)
    {
        if (!_entries.Remove(name, out var entry)) return;
        foreach (var alias in entry.Aliases) _entries.Remove(alias);
        _ordered.Remove(entry);
    }

    public ConfigEntry? Find(string name) => _entries.GetValueOrDefault(name);

    public const string YesOrNo = "argument must be 'yes' or 'no'";

    public static bool? ParseBool(string text) =>
        text.Equals("yes", StringComparison.OrdinalIgnoreCase) ? true :
        text.Equals("no", StringComparison.OrdinalIgnoreCase) ? false : null;

    public void Bool(string name, Func<bool> get, Action<bool> set, bool immutable = false, bool isProtected = false, bool accepted = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Protected = isProtected, Accepted = accepted, Get = () => get() ? "yes" : "no",
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            var value = ParseBool(args[0]);
            if (value == null) return YesOrNo;
            set(value.Value);
            return null;
        },
    });

    public void Integer(string name, long min, long max, Func<long> get, Action<long> set, bool immutable = false, bool memory = false, bool accepted = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Accepted = accepted, Get = () => get().ToString(CultureInfo.InvariantCulture),
        RewriteLines = memory ? v => [FormatMemory(long.Parse(v, CultureInfo.InvariantCulture))] : null,
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            string? error = ParseInteger(args[0], min, max, memory, out long value);
            if (error != null) return error;
            set(value);
            return null;
        },
    });

    /// <summary>Redis's numeric config parsing with its error texts; null when the value is accepted.</summary>
    public static string? ParseInteger(string text, long min, long max, bool memory, out long value)
    {
        if (memory)
        {
            if (!TryParseMemory(text, out ulong bytes)) { value = 0; return "argument must be a memory value"; }
            // Redis keeps the parsed value in a long long: a wrapped-around huge value is negative
            // and fails the range check, as it does there.
            value = unchecked((long)bytes);
        }
        // Redis's string2ll: no '+', no leading zeros, no "-0", no spaces.
        else if (!Common.Text.NumberParsing.TryParseInt64(System.Text.Encoding.UTF8.GetBytes(text), out value))
            return "argument couldn't be parsed into an integer";
        if (value < min || value > max) return $"argument must be between {min} and {max} inclusive";
        return null;
    }

    public void Memory(string name, long min, long max, Func<long> get, Action<long> set, bool immutable = false, bool accepted = false, params string[] aliases) =>
        Integer(name, min, max, get, set, immutable, memory: true, accepted, aliases);

    /// <summary>
    /// A memory value held as unsigned long long in Redis (maxmemory, cluster-link-sendbuf-limit):
    /// every value memtoull yields is in range, including the saturated 18446744073709551615.
    /// </summary>
    public void UnsignedMemory(string name, Func<ulong> get, Action<ulong> set, bool immutable = false, bool accepted = false) => Add(new ConfigEntry
    {
        Name = name, Immutable = immutable, Accepted = accepted, Get = () => get().ToString(CultureInfo.InvariantCulture),
        RewriteLines = v => [FormatMemory(ulong.Parse(v, CultureInfo.InvariantCulture))],
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            if (!TryParseMemory(args[0], out ulong value)) return "argument must be a memory value";
            set(value);
            return null;
        },
    });

    public void Text(string name, Func<string> get, Action<string> set, bool immutable = false, bool isProtected = false, bool accepted = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Protected = isProtected, Accepted = accepted, Get = get,
        RewriteLines = v => [ConfigRewriter.Quote(v)], EmptyIsAbsent = true,
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            set(args[0]);
            return null;
        },
    });

    public void Enum(string name, string[] choices, Func<string> get, Action<string> set, bool immutable = false, bool accepted = false, params string[] aliases) => Add(new ConfigEntry
    {
        Name = name, Aliases = aliases, Immutable = immutable, Accepted = accepted, Get = get,
        Set = args =>
        {
            if (args.Length != 1) return "wrong number of arguments";
            foreach (var choice in choices)
                if (choice.Equals(args[0], StringComparison.OrdinalIgnoreCase)) { set(choice); return null; }
            return "argument(s) must be one of the following: " + string.Join(", ", choices);
        },
    });

    /// <summary>
    /// Redis's memtoull: leading decimal digits, then nothing, b, k, kb, m, mb, g or gb (k = 1000,
    /// kb = 1024, case-insensitive). As there, no digits reads as 0 (so "" is 0), a number past
    /// 2^64-1 saturates (strtoull without its ERANGE check) and the unit multiplies modulo 2^64.
    /// </summary>
    public static bool TryParseMemory(string text, out ulong bytes)
    {
        bytes = 0;
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        ulong multiplier;
        switch (text[digits..].ToLowerInvariant())
        {
            case "": case "b": multiplier = 1; break;
            case "k": multiplier = 1000; break;
            case "kb": multiplier = 1024; break;
            case "m": multiplier = 1000 * 1000; break;
            case "mb": multiplier = 1024 * 1024; break;
            case "g": multiplier = 1000L * 1000 * 1000; break;
            case "gb": multiplier = 1024L * 1024 * 1024; break;
            default: return false;
        }
        // Redis copies the digits into a 128-byte buffer first and refuses longer ones.
        if (digits >= 128) return false;
        ulong n = 0;
        for (int i = 0; i < digits; i++)
        {
            ulong digit = (ulong)(text[i] - '0');
            n = n > (ulong.MaxValue - digit) / 10 ? ulong.MaxValue : n * 10 + digit;
        }
        bytes = unchecked(n * multiplier);
        return true;
    }

    /// <summary>TryParseMemory for the signed settings: false where the value does not fit a long.</summary>
    public static bool TryParseMemory(string text, out long bytes)
    {
        bool ok = TryParseMemory(text, out ulong value);
        bytes = unchecked((long)value);
        return ok && bytes >= 0;
    }

    /// <summary>How CONFIG REWRITE writes a byte count: the largest of gb/mb/kb dividing it exactly.</summary>
    public static string FormatMemory(long bytes) => bytes < 0 ? bytes.ToString(CultureInfo.InvariantCulture) : FormatMemory((ulong)bytes);

    public static string FormatMemory(ulong bytes)
    {
        if (bytes != 0)
        {
            if (bytes % (1UL << 30) == 0) return (bytes >> 30).ToString(CultureInfo.InvariantCulture) + "gb";
            if (bytes % (1UL << 20) == 0) return (bytes >> 20).ToString(CultureInfo.InvariantCulture) + "mb";
            if (bytes % (1UL << 10) == 0) return (bytes >> 10).ToString(CultureInfo.InvariantCulture) + "kb";
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
