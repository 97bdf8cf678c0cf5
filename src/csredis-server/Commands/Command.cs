// The command model (Redis's redisCommand): name, arity, flags, key positions, handler and the
// per-command statistics that INFO commandstats reports. A container command (CONFIG, CLIENT,
// OBJECT...) holds its subcommands; they are looked up by the second argument.
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

[Flags]
public enum CommandFlags
{
    None = 0,
    Write = 1 << 0,
    ReadOnly = 1 << 1,
    DenyOom = 1 << 2,
    Admin = 1 << 3,
    PubSub = 1 << 4,
    NoScript = 1 << 5,
    Blocking = 1 << 6,
    Loading = 1 << 7,
    Stale = 1 << 8,
    SkipMonitor = 1 << 9,
    SkipSlowlog = 1 << 10,
    Fast = 1 << 11,
    NoAuth = 1 << 12,
    MayReplicate = 1 << 13,
    NoMulti = 1 << 14,
    AllowBusy = 1 << 15,
    Sentinel = 1 << 16,
    OnlySentinel = 1 << 17,
    NoMandatoryKeys = 1 << 18,
    Protected = 1 << 19,
    NoAsyncLoading = 1 << 20,
}

public delegate void CommandHandler(Client client);

/// <summary>Key positions (in the full argument vector) and their COMMAND GETKEYSANDFLAGS flags.</summary>
public delegate List<(int Position, string[] Flags)> KeysFinder(byte[][] args);

public sealed class Command
{
    public required string Name { get; init; }          // lowercase, "get" or "config|get" for subcommands
    public required int Arity { get; init; }            // Redis's convention: negative = at least -Arity
    public required CommandFlags Flags { get; init; }
    public required CommandHandler Handler { get; init; }
    public int FirstKey { get; init; }
    public int LastKey { get; init; }
    public int KeyStep { get; init; }
    /// <summary>ACL category names (without '@'), as COMMAND INFO and `help @group` show them.</summary>
    public string[] Categories { get; init; } = [];
    public string Group { get; init; } = "generic";
    public string Since { get; init; } = "1.0.0";
    public string Summary { get; init; } = "";
    public string Complexity { get; init; } = "";
    /// <summary>
    /// Redis's getkeys_proc, for commands whose key specs cannot tell the keys or their flags
    /// (SORT's STORE target, the read/write flags of SET and BITFIELD); COMMAND GETKEYS prefers it.
    /// </summary>
    public KeysFinder? GetKeys { get; init; }
    public Command? Parent { get; internal set; }
    public Dictionary<string, Command>? Subcommands { get; private set; }

    public long Calls, Microseconds, RejectedCalls, FailedCalls;
    public readonly LatencyHistogram Latency = new();

    /// <summary>The name as the user addresses it (CONFIG GET is "config|get").</summary>
    public string FullName => Name;
    public string ShortName => Parent == null ? Name : Name[(Parent.Name.Length + 1)..];

    public bool Is(CommandFlags flag) => (Flags & flag) != 0;

    public bool ArityOk(int argc) => Arity >= 0 ? argc == Arity : argc >= -Arity;

    public Command WithSubcommands(params Command[] subs)
    {
        Subcommands = new Dictionary<string, Command>(StringComparer.OrdinalIgnoreCase);
        foreach (var sub in subs)
        {
            sub.Parent = this;
            Subcommands[sub.ShortNameOf(this)] = sub;
        }
        return this;
    }

    /// <summary>Adds one subcommand to a container that may already have others (families contribute to CLIENT).</summary>
    public Command AddSubcommand(Command sub)
    {
        Subcommands ??= new Dictionary<string, Command>(StringComparer.OrdinalIgnoreCase);
        sub.Parent = this;
        Subcommands[sub.ShortNameOf(this)] = sub;
        return this;
    }

    string ShortNameOf(Command parent) => Name.StartsWith(parent.Name + "|", StringComparison.Ordinal) ? Name[(parent.Name.Length + 1)..] : Name;

    public Command? FindSubcommand(ReadOnlySpan<byte> name)
    {
        if (Subcommands == null || name.Length > 64) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return Subcommands.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var cmd) ? cmd : null;
    }

    public void ResetStats()
    {
        Calls = Microseconds = RejectedCalls = FailedCalls = 0;
        Latency.Reset();
    }
}
