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
        SetCommands.Register(table);
        KeyCommands.Register(table);
        ServerCommands.Register(table);
        ConfigCommands.Register(table);
        InfoCommand.Register(table);
        ListCommands.Register(table);
        HashCommands.Register(table);
        TransactionCommands.Register(table);
        PubSubCommands.Register(table);
        BlockingCommands.Register(table);
        PersistenceCommands.Register(table);
        return table;
    }

    public void Add(Command command)
    {
        _byName[command.Name] = command;
        _original[command.Name] = command;
    }

    /// <summary>
    /// Adds <paramref name="sub"/> to the container named like <paramref name="container"/>: the one
    /// already registered by another family, or <paramref name="container"/> itself when none is.
    /// </summary>
    public void AttachSubcommand(Command container, Command sub)
    {
        var existing = _original.GetValueOrDefault(container.Name);
        if (existing == null)
        {
            Add(container);
            existing = container;
        }
        existing.AddSubcommand(sub);
    }

    public IEnumerable<Command> All => _original.Values;
    public int Count => _original.Count;

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
