// MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP and DEBUG. Memory figures are the managed
// heap's (the GC holds the keyspace); per-key usage is an estimate from the stored bytes plus the
// object and table-entry overheads of this runtime.
using System.Runtime.CompilerServices;
using System.Text;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class MemoryCommands
{
    // A .NET array or object header plus method-table pointer, and a KeyTable entry (item + hash + next).
    const int ObjectOverhead = 24, TableEntry = 16;

    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "memory", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "server", Categories = ["slow"], Since = "4.0.0" }.WithSubcommands(
            new Command { Name = "memory|usage", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = Usage, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = "server", Categories = ["read", "slow"], Since = "4.0.0" },
            new Command { Name = "memory|stats", Arity = 2, Flags = CommandFlags.None, Handler = Stats, Group = "server", Categories = ["slow"], Since = "4.0.0" },
            new Command { Name = "memory|doctor", Arity = 2, Flags = CommandFlags.None, Handler = Doctor, Group = "server", Categories = ["slow"], Since = "4.0.0" },
            new Command { Name = "memory|malloc-stats", Arity = 2, Flags = CommandFlags.None, Handler = c => Text(c, "Stats not supported for the current allocator"), Group = "server", Categories = ["slow"], Since = "4.0.0" },
            new Command { Name = "memory|purge", Arity = 2, Flags = CommandFlags.None, Handler = Purge, Group = "server", Categories = ["slow"], Since = "4.0.0" },
            new Command { Name = "memory|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = c => DiagnosticCommands.Help(c, MemoryHelp), Group = "server", Categories = ["slow"], Since = "4.0.0" }));
        t.Add(new Command { Name = "debug", Arity = -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Protected, Handler = Debug, Group = "server", Categories = ["admin", "slow", "dangerous"], Since = "1.0.0" });
    }

    /// <summary>Estimated bytes held for a stored item: its key, value and bookkeeping.</summary>
    public static long ItemBytes(object item) => item switch
    {
        byte[] packed => ObjectOverhead + packed.Length + TableEntry,
        RedisObject obj => ObjectOverhead * 2 + obj.Key.Length + obj.MemoryBytes + TableEntry,
        _ => 0,
    };

    static void Usage(Client c)
    {
        for (int j = 3; j < c.Argc; j += 2)
        {
            if (c.ArgIs(j, "samples"u8) && j + 1 < c.Argc)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out long samples) || samples < 0)
                {
                    c.Error(Errors.NotInteger);
                    return;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var item = c.Db.LookupRead(c.Arg(2), touch: false);
        if (item == null) c.Reply.Null();
        else c.Reply.Integer(ItemBytes(item));
    }

    static void Stats(Client c)
    {
        var s = c.Server;
        long used = s.UsedMemory();
        long rss = RedisServer.ResidentMemory();
        var gc = GC.GetGCMemoryInfo();
        long active = gc.HeapSizeBytes > 0 ? gc.HeapSizeBytes : used;
        long resident = gc.TotalCommittedBytes > 0 ? gc.TotalCommittedBytes : Math.Max(active, rss);
        var (normal, replicas) = InfoCommand.ClientMemory(s);
        long keys = 0, tables = 0;
        var dbs = s.Databases.Where(db => db.Count > 0).ToArray();
        foreach (var db in s.Databases)
        {
            keys += db.Count;
            tables += db.Main.StructureBytes + db.Expires.StructureBytes;
        }
        long overhead = Math.Min(used, s.StartupMemory + normal + replicas + tables);
        long dataset = used - overhead;
        long net = used - s.StartupMemory;
        var r = c.Reply;
        r.MapHeader(27 + dbs.Length);
        void Num(string name, long v) { r.Bulk(name); r.Integer(v); }
        // Redis computes these ratios in single precision; the float rounding is part of the reply.
        void Ratio(string name, double v) { r.Bulk(name); r.Double((float)v); }
        Num("peak.allocated", s.PeakMemory);
        Num("total.allocated", used);
        Num("startup.allocated", s.StartupMemory);
        Num("replication.backlog", s.Counter("mem_replication_backlog"));
        Num("clients.slaves", replicas);
        Num("clients.normal", normal);
        Num("cluster.links", 0);
        Num("aof.buffer", s.Counter("mem_aof_buffer"));
        Num("lua.caches", s.Counter("used_memory_scripts_eval"));
        Num("functions.caches", s.Counter("used_memory_functions"));
        foreach (var db in dbs)
        {
            r.Bulk("db." + db.Id);
            r.MapHeader(3);
            Num("overhead.hashtable.main", db.Main.StructureBytes);
            Num("overhead.hashtable.expires", db.Expires.StructureBytes);
            Num("overhead.hashtable.slot-to-keys", 0);
        }
        Num("overhead.total", overhead);
        Num("keys.count", keys);
        Num("keys.bytes-per-key", keys == 0 ? 0 : net / keys);
        Num("dataset.bytes", dataset);
        Ratio("dataset.percentage", net <= 0 ? 0 : dataset * 100.0 / net);
        Ratio("peak.percentage", s.PeakMemory == 0 ? 0 : used * 100.0 / s.PeakMemory);
        Num("allocator.allocated", used);
        Num("allocator.active", active);
        Num("allocator.resident", resident);
        Ratio("allocator-fragmentation.ratio", (double)active / Math.Max(1, used));
        Num("allocator-fragmentation.bytes", active - used);
        Ratio("allocator-rss.ratio", (double)resident / Math.Max(1, active));
        Num("allocator-rss.bytes", resident - active);
        Ratio("rss-overhead.ratio", (double)rss / Math.Max(1, resident));
        Num("rss-overhead.bytes", rss - resident);
        Ratio("fragmentation", (double)rss / Math.Max(1, used));
        Num("fragmentation.bytes", rss - used);
    }

    static void Doctor(Client c)
    {
        long used = c.Server.UsedMemory();
        Text(c, used < 5 * 1024 * 1024
            ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
            : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n");
    }

    static void Purge(Client c)
    {
        // The allocator here is the GC: a full compacting collection returns what it can to the system.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        c.Reply.Ok();
    }

    static void Text(Client c, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        c.Reply.Verbatim(bytes, "txt"u8);
    }

    static readonly string[] MemoryHelp =
    [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];

    static readonly string[] DebugHelp =
    [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    ];

    static void Debug(Client c)
    {
        string mode = c.Server.Config.Registry.Find("enable-debug-command")?.Get() ?? "no";
        if (!(mode == "yes" || (mode == "local" && RedisServer.IsLocalClient(c))))
        {
            c.Error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."u8);
            return;
        }
        if (c.Argc == 2 && c.ArgIs(1, "help"u8)) DiagnosticCommands.Help(c, DebugHelp);
        // Persistence's subcommands: the data set digests and RELOAD.
        else if (c.Argc == 2 && c.ArgIs(1, "digest"u8)) PersistenceCommands.DebugDigest(c);
        else if (c.ArgIs(1, "digest-value"u8)) PersistenceCommands.DebugDigestValue(c);
        else if (c.ArgIs(1, "reload"u8)) PersistenceCommands.DebugReload(c);
        else if (c.Argc == 3 && c.ArgIs(1, "sleep"u8))
        {
            // Redis blocks its whole event loop here; so do we (tests rely on exactly that).
            double.TryParse(c.ArgString(2), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds);
            if (seconds > 0) Thread.Sleep(TimeSpan.FromSeconds(seconds));
            c.Reply.Ok();
        }
        else if (c.Argc == 3 && c.ArgIs(1, "set-active-expire"u8))
        {
            NumberParsing.TryParseInt64(c.Arg(2), out long on);
            ActiveExpire.Enabled = on != 0;
            c.Reply.Ok();
        }
        else if (c.Argc == 2 && c.ArgIs(1, "change-repl-id"u8))
        {
            c.Server.ReplId2 = c.Server.ReplId;
            c.Server.SecondReplOffset = c.Server.MasterReplOffset + 1;
            c.Server.ReplId = RedisServer.NewReplId();
            c.Reply.Ok();
        }
        else if (c.Argc == 3 && c.ArgIs(1, "log"u8))
        {
            Common.Logging.Log.Warning("DEBUG LOG: " + c.ArgString(2));
            c.Reply.Ok();
        }
        else if (c.Argc == 3 && c.ArgIs(1, "error"u8)) c.Error(c.Arg(2));
        else if (c.Argc == 3 && c.ArgIs(1, "object"u8)) DebugObject(c);
        else c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.ArgString(1) + "'. Try DEBUG HELP.");
    }

    static void DebugObject(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(2), touch: false);
        if (item == null)
        {
            c.Error(Errors.NoSuchKey);
            return;
        }
        uint lru = item is byte[] p ? PackedString.Lru(p) : ((RedisObject)item).Lru;
        string encoding = item is byte[] packed ? PackedString.EncodingName(packed) : ((RedisObject)item).EncodingName;
        long address = RuntimeHelpers.GetHashCode(item) * 16L + 0x7f0000000000L;
        var text = $"Value at:0x{address:x} refcount:1 encoding:{encoding} serializedlength:{SerializedLength(item)} lru:{lru} lru_seconds_idle:{LruClock.IdleSeconds(lru)}";
        c.Reply.SimpleString(text);
    }

    /// <summary>Bytes the value takes in an RDB file: a string's length prefix and bytes, or its integer form.</summary>
    static long SerializedLength(object item)
    {
        if (item is not byte[] packed) return ((RedisObject)item).MemoryBytes;
        var value = PackedString.Value(packed);
        if (value.Length <= 11 && NumberParsing.TryParseInt64(value, out long n))
        {
            if (n >= sbyte.MinValue && n <= sbyte.MaxValue) return 2;
            if (n >= short.MinValue && n <= short.MaxValue) return 3;
            if (n >= int.MinValue && n <= int.MaxValue) return 5;
        }
        int prefix = value.Length < 64 ? 1 : value.Length < 16384 ? 2 : 5;
        return prefix + value.Length;
    }
}
