// Every command the server knows, looked up by name without allocating: the name bytes are
// widened to chars on the stack and matched through the dictionary's span lookup.
// Each command family registers itself from its own file (StringCommands, KeyCommands, ...);
// this file only lists the families, so a newcomer finds a command by its family name.
namespace Csredis.Server.Commands;

public sealed class CommandTable
{
    readonly Dictionary<string, Command> _byName = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Commands under their original names, including renamed and disabled ones (COMMAND, stats).</summary>
    readonly Dictionary<string, Command> _original = new(StringComparer.OrdinalIgnoreCase);

    public static CommandTable CreateServerTable()
    {
        var table = new CommandTable();
        ConnectionCommands.Register(table);
        StringCommands.Register(table);
        BitmapCommands.Register(table);
        SortCommand.Register(table);
        HyperLogLogCommands.Register(table);
        SetCommands.Register(table);
        SortedSetCommands.Register(table);
        KeyCommands.Register(table);
        ServerCommands.Register(table);
        // Containers other families attach subcommands to (CLIENT, DEBUG) come first.
        ClientCommands.Register(table);
        CommandCommands.Register(table);
        DiagnosticCommands.Register(table);
        MemoryCommands.Register(table);
        PersistenceCommands.Register(table);
        ConfigCommands.Register(table);
        InfoCommand.Register(table);
        ListCommands.Register(table);
        HashCommands.Register(table);
        TransactionCommands.Register(table);
        PubSubCommands.Register(table);
        BlockingCommands.Register(table);
        SyncCommands.Register(table);
        Replication.ReplicaCommands.Register(table);
        return table;
    }

    public void Add(Command command)
    {
        // Two families registering one name would silently drop one of them.
        if (_original.ContainsKey(command.Name)) throw new InvalidOperationException($"command '{command.Name}' is registered twice");
        _byName[command.Name] = command;
        _original[command.Name] = command;
    }

    /// <summary>
    /// Adds <paramref name="sub"/> to the container named like <paramref name="container"/>: the one
    /// already registered by another family, or <paramref name="container"/> itself when none is.
    /// </summary>
    /// <summary>Adds a subcommand to a container another family registered (CLIENT UNBLOCK, DEBUG DIGEST...).</summary>
    public void AttachSubcommand(string container, Command sub)
    {
        var existing = _original.GetValueOrDefault(container)
            ?? throw new InvalidOperationException($"'{container}' must be registered before '{sub.Name}' is attached to it");
        existing.AddSubcommand(sub);
    }

    public IEnumerable<Command> All => _original.Values;
    public int Count => _original.Count;
    /// <summary>The commands clients can call now (renamed ones once, disabled ones not): what COMMAND and INFO list.</summary>
    public IEnumerable<Command> Callable => _byName.Values.Distinct();
    public int CallableCount => _byName.Count;

    public Command? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > 64) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return _byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var cmd) ? cmd : null;
    }

    public Command? FindOriginal(string name) => _original.GetValueOrDefault(name);

    /// <summary>rename-command: an empty new name disables the command. Returns false if the command does not exist.</summary>
    public bool Rename(string from, string to)
    {
        if (!_byName.Remove(from, out var cmd)) return false;
        if (to.Length > 0) _byName[to] = cmd;
        return true;
    }
}
