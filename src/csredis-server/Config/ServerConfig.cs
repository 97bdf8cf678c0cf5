// The server's configuration values and their registration. Loading applies each config line to
// its entry and turns the first bad line into Redis's FATAL CONFIG FILE ERROR report.
using Csredis.Common.Config;
using Csredis.Common.Text;
using Csredis.Common.Logging;

namespace Csredis.Server.Config;

public sealed class ServerConfig
{
    /// <summary>repl-backlog-*, repl-diskless-sync*, repl-ping-replica-period, repl-timeout, min-replicas-*.</summary>
    public readonly Csredis.Server.Replication.MasterSettings Replication = new();

    public int Port = 6379;
    public string[] Bind = ["127.0.0.1", "-::1"];
    public int TcpBacklog = 511;
    public int Timeout;
    public int TcpKeepalive = 300;
    public bool ProtectedMode = true;
    public bool Daemonize;
    public string PidFile = "";
    public string LogFile = "";
    public string LogLevel = "notice";
    public int Databases = 16;
    public string Dir = Directory.GetCurrentDirectory();
    public string DbFilename = "dump.rdb";
    public string Save = "3600 1 300 100 60 10000";
    public bool AppendOnly;
    public bool RdbCompression = true, RdbChecksum = true, StopWritesOnBgsaveError = true;
    public long MaxClients = 10000;
    public ulong MaxMemory;
    public string MaxMemoryPolicy = "noeviction";
    public string RequirePass = "";
    public int Hz = 10;
    /// <summary>csredis's own directive: the event loop's busy-poll window (see EventLoop); 0 turns it off.</summary>
    public int BusyPollMicros = 50;
    public bool DynamicHz = true;
    public bool ActiveRehashing = true;
    public long ProtoMaxBulkLen = 512L * 1024 * 1024;
    public long ClientQueryBufferLimit = 1L << 30;
    public long SlowlogLogSlowerThan = 10000;
    public long SlowlogMaxLen = 128;
    public long LatencyMonitorThreshold;
    public bool LazyfreeLazyUserDel, LazyfreeLazyUserFlush;
    public bool LatencyTracking = true;
    /// <summary>What SIGINT / SIGTERM do at shutdown: "default" (as the save points say), "save", "nosave", "now", "force".</summary>
    public string ShutdownOnSigint = "default", ShutdownOnSigterm = "default";
    public string LatencyTrackingPercentiles = "50 99 99.9";
    public long HashMaxListpackEntries = 512, HashMaxListpackValue = 64;
    public int ListMaxListpackSize = -2;
    public long SetMaxIntsetEntries = 512;
    public long ZsetMaxListpackEntries = 128;
    public long ZsetMaxListpackValue = 64;
    /// <summary>A sparse HyperLogLog growing past this many bytes (header included) becomes dense.</summary>
    public long HllSparseMaxBytes = 3000;
    /// <summary>Indexed by Networking.ClientClass: normal, replica, pubsub.</summary>
    public readonly Networking.OutputBufferLimit[] ClientOutputBufferLimits =
    [
        new() { HardBytes = 0, SoftBytes = 0, SoftSeconds = 0 },
        new() { HardBytes = 256L << 20, SoftBytes = 64L << 20, SoftSeconds = 60 },
        new() { HardBytes = 32L << 20, SoftBytes = 8L << 20, SoftSeconds = 60 },
    ];
    /// <summary>notify-keyspace-events as KeyspaceEvents class bits.</summary>
    public int NotifyKeyspaceEvents;
    public string ConfigFile = "";
    /// <summary>rename-command pairs, applied to the command table once at start-up.</summary>
    public readonly List<(string From, string To)> RenamedCommands = new();

    public bool AuthRequired => RequirePass.Length > 0;

    public readonly ConfigRegistry Registry = new();

    /// <summary>The replica side's directives (masterauth, replica-read-only, repl-timeout...).</summary>
    public readonly Replication.ReplicaConfig Replica;

    public ServerConfig()
    {
        var r = Registry;
        Replica = new Replication.ReplicaConfig(r);
        r.Integer("port", 0, 65535, () => Port, v => Port = (int)v);
        r.Add(new ConfigEntry
        {
            Name = "bind", MultiArg = true, Get = () => string.Join(' ', Bind),
            AlwaysRewrite = false,
            Set = args => { Bind = args; return null; },
        });
        r.Integer("tcp-backlog", 0, int.MaxValue, () => TcpBacklog, v => TcpBacklog = (int)v, immutable: true);
        r.Integer("timeout", 0, int.MaxValue, () => Timeout, v => Timeout = (int)v);
        r.Integer("tcp-keepalive", 0, int.MaxValue, () => TcpKeepalive, v => TcpKeepalive = (int)v);
        r.Bool("protected-mode", () => ProtectedMode, v => ProtectedMode = v);
        r.Bool("daemonize", () => Daemonize, v => Daemonize = v, immutable: true);
        r.Text("pidfile", () => PidFile, v => PidFile = v, immutable: true);
        r.Text("logfile", () => LogFile, v => LogFile = v, immutable: true);
        r.Enum("loglevel", ["debug", "verbose", "notice", "warning"], () => LogLevel, v =>
        {
            LogLevel = v;
            Log.Level = v switch
            {
                "debug" => Common.Logging.LogLevel.Debug, "verbose" => Common.Logging.LogLevel.Verbose,
                "notice" => Common.Logging.LogLevel.Notice, _ => Common.Logging.LogLevel.Warning,
            };
        });
        r.Integer("databases", 1, int.MaxValue, () => Databases, v => Databases = (int)v, immutable: true);
        r.Add(new ConfigEntry
        {
            Name = "dir", Get = () => Dir, Protected = true, AlwaysRewrite = true,
            RewriteLines = v => [ConfigRewriter.Quote(v)],
            Set = args =>
            {
                if (args.Length != 1) return "wrong number of arguments";
                // chdir(2)'s own errors, worded as strerror as Redis reports them.
                if (File.Exists(args[0])) return "Not a directory";
                if (!Directory.Exists(args[0])) return "No such file or directory";
                try { Directory.SetCurrentDirectory(args[0]); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                { return e is UnauthorizedAccessException ? "Permission denied" : e.Message; }
                Dir = Directory.GetCurrentDirectory();
                return null;
            },
        });
        r.Add(new ConfigEntry
        {
            Name = "dbfilename", Get = () => DbFilename, Protected = true,
            RewriteLines = v => [ConfigRewriter.Quote(v)],
            Set = args =>
            {
                if (args.Length != 1) return "wrong number of arguments";
                if (args[0].Contains('/')) return "dbfilename can't be a path, just a filename";
                DbFilename = args[0];
                return null;
            },
        });
        r.Add(new ConfigEntry
        {
            Name = "save", MultiArg = true, Get = () => Save,
            // One line per save point; no save points is written as save "".
            RewriteLines = SavePointLines, AlwaysRewrite = true,
            Set = args =>
            {
                var joined = string.Join(' ', args).Trim();
                if (joined.Length == 0) { Save = ""; return null; }
                var parts = joined.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length % 2 != 0) return "Invalid save parameters";
                foreach (var p in parts) if (!long.TryParse(p, out long n) || n < 0) return "Invalid save parameters";
                Save = string.Join(' ', parts);
                return null;
            },
        });
        r.Bool("rdbcompression", () => RdbCompression, v => RdbCompression = v);
        r.Bool("rdbchecksum", () => RdbChecksum, v => RdbChecksum = v, immutable: true);
        r.Bool("stop-writes-on-bgsave-error", () => StopWritesOnBgsaveError, v => StopWritesOnBgsaveError = v);
        r.Bool("appendonly", () => AppendOnly, v => AppendOnly = v);
        r.Integer("maxclients", 1, uint.MaxValue, () => MaxClients, v => MaxClients = v);
        r.UnsignedMemory("maxmemory", () => MaxMemory, v => { MaxMemory = v; Keyspace.PackedString.UpdateIntegerSharing(v, MaxMemoryPolicy); });
        r.Enum("maxmemory-policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"],
            () => MaxMemoryPolicy, v =>
        {
            MaxMemoryPolicy = v;
            Keyspace.LruClock.Lfu = v.EndsWith("lfu", StringComparison.Ordinal);
            Keyspace.PackedString.UpdateIntegerSharing(MaxMemory, v);
        });
        r.Integer("lfu-log-factor", 0, int.MaxValue, () => Keyspace.LruClock.LfuLogFactor, v => Keyspace.LruClock.LfuLogFactor = (int)v);
        r.Integer("lfu-decay-time", 0, int.MaxValue, () => Keyspace.LruClock.LfuDecayMinutes, v => Keyspace.LruClock.LfuDecayMinutes = (int)v);
        r.Text("requirepass", () => RequirePass, v => RequirePass = v);
        r.Integer("hz", 0, int.MaxValue, () => Hz, v => Hz = (int)Math.Clamp(v, 1, 500));
        r.Integer("busy-poll-us", 0, 1000, () => BusyPollMicros, v => BusyPollMicros = (int)v);
        r.Bool("dynamic-hz", () => DynamicHz, v => DynamicHz = v);
        r.Bool("activerehashing", () => ActiveRehashing, v => ActiveRehashing = v);
        r.Memory("proto-max-bulk-len", 1024 * 1024, long.MaxValue, () => ProtoMaxBulkLen, v => ProtoMaxBulkLen = v);
        r.Memory("client-query-buffer-limit", 1024 * 1024, long.MaxValue, () => ClientQueryBufferLimit, v => ClientQueryBufferLimit = v);
        r.Integer("slowlog-log-slower-than", -1, long.MaxValue, () => SlowlogLogSlowerThan, v => SlowlogLogSlowerThan = v);
        r.Integer("slowlog-max-len", 0, long.MaxValue, () => SlowlogMaxLen, v => SlowlogMaxLen = v);
        r.Integer("latency-monitor-threshold", 0, long.MaxValue, () => LatencyMonitorThreshold, v => LatencyMonitorThreshold = v);
        r.Bool("lazyfree-lazy-user-del", () => LazyfreeLazyUserDel, v => LazyfreeLazyUserDel = v);
        r.Bool("lazyfree-lazy-user-flush", () => LazyfreeLazyUserFlush, v => LazyfreeLazyUserFlush = v);
        r.Add(new ConfigEntry
        {
            Name = "client-output-buffer-limit", MultiArg = true,
            Get = () => Networking.OutputBufferLimits.Format(ClientOutputBufferLimits),
            Set = args => Networking.OutputBufferLimits.Parse(string.Join(' ', args).Split(' ', StringSplitOptions.RemoveEmptyEntries), ClientOutputBufferLimits),
            RewriteLines = Networking.OutputBufferLimits.RewriteLines,
        });
        r.Add(new ConfigEntry
        {
            Name = "notify-keyspace-events",
            RewriteLines = v => [Common.Config.ConfigRewriter.Quote(v)],
            Get = () => KeyspaceEvents.Format(NotifyKeyspaceEvents),
            Set = args =>
            {
                if (args.Length != 1) return "wrong number of arguments";
                int flags = KeyspaceEvents.Parse(args[0]);
                if (flags < 0) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
                NotifyKeyspaceEvents = flags;
                return null;
            },
        });
        r.Integer("set-max-intset-entries", 0, long.MaxValue, () => SetMaxIntsetEntries, v => SetMaxIntsetEntries = v);
        r.Integer("zset-max-listpack-entries", 0, long.MaxValue, () => ZsetMaxListpackEntries, v => ZsetMaxListpackEntries = v, aliases: "zset-max-ziplist-entries");
        r.Memory("hll-sparse-max-bytes", 0, long.MaxValue, () => HllSparseMaxBytes, v => HllSparseMaxBytes = v);
        r.Memory("zset-max-listpack-value", 0, long.MaxValue, () => ZsetMaxListpackValue, v => ZsetMaxListpackValue = v, aliases: "zset-max-ziplist-value");
        // Encoding thresholds live on the value types too, where every write reads them.
        r.Integer("hash-max-listpack-entries", 0, long.MaxValue, () => HashMaxListpackEntries,
            v => HashMaxListpackEntries = Keyspace.Types.HashObject.MaxListpackEntries = v, aliases: "hash-max-ziplist-entries");
        r.Memory("hash-max-listpack-value", 0, long.MaxValue, () => HashMaxListpackValue,
            v => HashMaxListpackValue = Keyspace.Types.HashObject.MaxListpackValue = v, aliases: "hash-max-ziplist-value");
        r.Integer("list-max-listpack-size", int.MinValue, int.MaxValue, () => ListMaxListpackSize,
            v => ListMaxListpackSize = Keyspace.Types.ListObject.Fill = (int)v, aliases: "list-max-ziplist-size");
        // Redis keeps an empty logfile line (log to stdout) where other empty strings mean "unset".
        r.Find("logfile")!.EmptyIsAbsent = false;
        r.Bool("latency-tracking", () => LatencyTracking, v => LatencyTracking = v);
        string[] shutdownModes = ["default", "save", "nosave", "now", "force"];
        r.Enum("shutdown-on-sigint", shutdownModes, () => ShutdownOnSigint, v => ShutdownOnSigint = v);
        r.Enum("shutdown-on-sigterm", shutdownModes, () => ShutdownOnSigterm, v => ShutdownOnSigterm = v);
        r.Add(new ConfigEntry
        {
            Name = "latency-tracking-info-percentiles", MultiArg = true, Get = () => LatencyTrackingPercentiles,
            RewriteLines = v => [v.Length == 0 ? "\"\"" : v],
            // Redis 7.0 writes this one on every rewrite, default or not.
            AlwaysRewrite = true,
            Set = args =>
            {
                var parts = new List<string>();
                foreach (var word in string.Join(' ', args).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!double.TryParse(word, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double p))
                        return "Invalid latency-tracking-info-percentiles parameters";
                    if (p < 0 || p > 100) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
                    parts.Add(p.ToString("0.################", System.Globalization.CultureInfo.InvariantCulture));
                }
                LatencyTrackingPercentiles = string.Join(' ', parts);
                return null;
            },
        });
        RegisterReplicaOf();
        Replication.Register(r);
        AcceptedDirectives.Register(r);
        r.Find("ignore-warnings")!.EmptyIsAbsent = false;
    }

    /// <summary>enable-protected-configs: "yes" for everyone, "local" for loopback and unix-socket clients.</summary>
    public bool ProtectedConfigsAllowed(Networking.Client c)
    {
        string mode = Registry.Find("enable-protected-configs")?.Get() ?? "no";
        return mode == "yes" || (mode == "local" && RedisServer.IsLocalClient(c));
    }

    /// <summary>replicaof/slaveof as written: "host port", or empty when this server is a master.</summary>
    public string ReplicaOf = "";

    /// <summary>Accepted-but-inactive directives given a value by the configuration (named in one start-up warning).</summary>
    public readonly List<string> AcceptedInUse = new();

    /// <summary>Directives that are not settings but are accepted in a file: users (ACL) and modules.</summary>
    static readonly HashSet<string> AcceptedLineDirectives = new(StringComparer.OrdinalIgnoreCase) { "user" };

    /// <summary>loadmodule lines (path and arguments): csredis cannot load Redis modules, so start-up stops as Redis's does when one fails.</summary>
    public readonly List<string[]> ModulesToLoad = new();

    static IReadOnlyList<string> SavePointLines(string save)
    {
        if (save.Length == 0) return ["\"\""];
        var parts = save.Split(' ');
        var lines = new List<string>();
        for (int i = 0; i + 1 < parts.Length; i += 2) lines.Add(parts[i] + " " + parts[i + 1]);
        return lines;
    }

    void RegisterReplicaOf()
    {
        Registry.Add(new ConfigEntry
        {
            Name = "replicaof", Aliases = ["slaveof"], MultiArg = true, Immutable = true, Get = () => ReplicaOf,
            Set = args =>
            {
                if (args.Length != 2) return "wrong number of arguments";
                if (args[0].Equals("no", StringComparison.OrdinalIgnoreCase) && args[1].Equals("one", StringComparison.OrdinalIgnoreCase))
                {
                    ReplicaOf = "";
                    return null;
                }
                if (!int.TryParse(args[1], out int port) || port < 0 || port > 65535) return "Invalid master port";
                ReplicaOf = args[0] + " " + port;
                return null;
            },
        });
    }

    /// <summary>"sentinel ..." lines of the configuration, in order (sentinel mode only).</summary>
    public readonly List<ConfigLine> SentinelLines = new();

    /// <summary>Command names as rename-command lines so far leave them: Redis 7.0's whole table to begin with.</summary>
    HashSet<string>? _commandNames;

    /// <summary>Redis checks each rename-command line against the command table as the file renames it.</summary>
    string? CheckRename(string from, string to)
    {
        _commandNames ??= new HashSet<string>(Commands.CommandDocs.Table.Keys.Where(name => !name.Contains('|')), StringComparer.OrdinalIgnoreCase);
        if (!_commandNames.Remove(from)) return "No such command in rename-command";
        if (to.Length == 0) return null;
        return _commandNames.Add(to) ? null : "Target command name already exists";
    }

    /// <summary>Applies configuration lines; throws ConfigException with Redis's reason on the first bad line.</summary>
    public void Apply(IEnumerable<ConfigLine> lines)
    {
        bool savePointsSeen = false;
        foreach (var line in lines)
        {
            string name = line.Name;
            var args = line.Args[1..];
            if (name == "sentinel")
            {
                // Sentinel's own directives are applied by the sentinel once it exists.
                SentinelLines.Add(line);
                continue;
            }
            // Save points accumulate over "save" lines; the first replaces the defaults, save "" clears.
            if (name == "save" && savePointsSeen && !(args.Length == 1 && args[0].Length == 0) && Save.Length > 0)
                args = [.. Save.Split(' '), .. args];
            if (name == "save") savePointsSeen = true;
            if (name == "rename-command")
            {
                if (args.Length != 2) throw new ConfigException(line.LineNumber, line.Text, "Bad directive or wrong number of arguments");
                string? renameError = CheckRename(args[0], args[1]);
                if (renameError != null) throw new ConfigException(line.LineNumber, line.Text, renameError);
                RenamedCommands.Add((args[0], args[1]));
                continue;
            }
            if (name == "loadmodule")
            {
                if (args.Length == 0) throw new ConfigException(line.LineNumber, line.Text, "Bad directive or wrong number of arguments");
                ModulesToLoad.Add(args);
                continue;
            }
            if (AcceptedLineDirectives.Contains(name))
            {
                if (args.Length == 0) throw new ConfigException(line.LineNumber, line.Text, "Bad directive or wrong number of arguments");
                if (!AcceptedInUse.Contains(name)) AcceptedInUse.Add(name);
                continue;
            }
            var entry = Registry.Find(name);
            if (entry == null) throw new ConfigException(line.LineNumber, line.Text, "Bad directive or wrong number of arguments");
            if (!entry.MultiArg && args.Length != 1)
                throw new ConfigException(line.LineNumber, line.Text, "wrong number of arguments");
            string? error = entry.Set(args);
            if (error != null) throw new ConfigException(line.LineNumber, line.Text, error);
            if (entry.Accepted && !AcceptedInUse.Contains(entry.Name)) AcceptedInUse.Add(entry.Name);
        }
    }
}
