// Every command the server knows. The callable names also live in a small open-addressing table
// keyed by lowercase ASCII bytes, so looking up a request's first argument folds its case on the
// fly and compares bytes: no widening to chars, no comparer dispatch (it runs once per command).
// Case folding is ASCII only, as Redis's strcasecmp-based command dict.
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
        Replication.CoordinatedFailover.Register(table);
        return table;
    }

    public void Add(Command command)
    {
        // Two families registering one name would silently drop one of them.
        if (_original.ContainsKey(command.Name)) throw new InvalidOperationException($"command '{command.Name}' is registered twice");
        _byName[command.Name] = command;
        _original[command.Name] = command;
        _slots = null;
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
        if (name.Length == 0 || name.Length > MaxNameLength) return null;
        var slots = _slots ?? BuildSlots();
        int mask = slots.Length - 1;
        for (int i = (int)FoldedHash(name) & mask; ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot.Name == null) return null;
            if (slot.Name.Length == name.Length && EqualsFolded(name, slot.Name)) return slot.Command;
        }
    }

    const int MaxNameLength = 64;
    struct Slot { public byte[]? Name; public Command Command; }
    // Rebuilt on first lookup after a change (registration, rename-command); at most half full.
    Slot[]? _slots;

    Slot[] BuildSlots()
    {
        int size = 16;
        while (size < _byName.Count * 2) size *= 2;
        var slots = new Slot[size];
        foreach (var (name, command) in _byName)
        {
            // A renamed command whose name is not bytes (a char past 255) is not something a request can spell.
            if (name.Length > MaxNameLength || name.Any(ch => ch > 255)) continue;
            var bytes = new byte[name.Length];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = FoldAscii((byte)name[i]);
            int i2 = (int)FoldedHash(bytes) & (size - 1);
            while (slots[i2].Name != null) i2 = (i2 + 1) & (size - 1);
            slots[i2] = new Slot { Name = bytes, Command = command };
        }
        return _slots = slots;
    }

    static byte FoldAscii(byte b) => (uint)(b - 'A') <= 'Z' - 'A' ? (byte)(b | 0x20) : b;

    static uint FoldedHash(ReadOnlySpan<byte> name)
    {
        uint h = 2166136261; // FNV-1a over the lowercased bytes
        foreach (byte b in name) h = (h ^ FoldAscii(b)) * 16777619;
        return h ^ (h >> 15);
    }

    static bool EqualsFolded(ReadOnlySpan<byte> name, byte[] lowercase)
    {
        for (int i = 0; i < lowercase.Length; i++)
            if (FoldAscii(name[i]) != lowercase[i]) return false;
        return true;
    }

    public Command? FindOriginal(string name) => _original.GetValueOrDefault(name);

    /// <summary>rename-command: an empty new name disables the command. Returns false if the command does not exist.</summary>
    public bool Rename(string from, string to)
    {
        if (!_byName.Remove(from, out var cmd)) return false;
        if (to.Length > 0) _byName[to] = cmd;
        _slots = null;
        return true;
    }
}
