// Directives of Redis 7.0 that csredis does not act on (yet). A config file written for Redis must
// still start csredis and CONFIG GET must still answer for them, so each is registered with its
// Redis type, default, range and aliases: values are validated with Redis's error texts, kept,
// shown by CONFIG GET and written by CONFIG REWRITE. Setting one (file or CONFIG SET) logs a
// warning naming it. Any other unknown directive is a fatal error, as in Redis. When a feature
// implements a directive, it registers its own entry in ServerConfig and the line here goes.
using System.Globalization;
using System.Text;
using Csredis.Common.Logging;

namespace Csredis.Server.Config;

public sealed class AcceptedDirectives
{
    readonly ConfigRegistry _registry;
    readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    AcceptedDirectives(ConfigRegistry registry) => _registry = registry;

    public static void Register(ConfigRegistry registry) => new AcceptedDirectives(registry).RegisterAll();

    /// <summary>Logged once per directive when a config file or CONFIG SET gives it a value.</summary>
    public static string Warning(string name) =>
        $"Configuration directive '{name}' is accepted for compatibility but has no effect in csredis.";

    void RegisterAll()
    {
        Enum("acl-pubsub-default", "resetchannels", ["allchannels", "resetchannels"]);
        Text("aclfile", "", immutable: true);
        Int("acllog-max-len", 128, 0, long.MaxValue);
        Int("active-defrag-cycle-max", 25, 1, 99);
        Int("active-defrag-cycle-min", 1, 1, 99);
        Memory("active-defrag-ignore-bytes", 104857600, 1, long.MaxValue);
        Int("active-defrag-max-scan-fields", 1000, 1, long.MaxValue);
        Int("active-defrag-threshold-lower", 10, 0, 1000);
        Int("active-defrag-threshold-upper", 100, 0, 1000);
        Int("active-expire-effort", 1, 1, 10);
        // Defragmentation needs Redis's patched jemalloc; csredis refuses to turn it on as a Redis
        // built without it does, with the same words (file line or CONFIG SET).
        Special("activedefrag", "no", args =>
        {
            if (args.Length != 1) return (null, "wrong number of arguments");
            var value = ConfigRegistry.ParseBool(args[0]);
            if (value == null) return (null, ConfigRegistry.YesOrNo);
            if (value.Value) return (null, "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
            return ("no", null);
        });
        Bool("always-show-logo", false, immutable: true);
        Bool("aof-disable-auto-gc", false);
        Bool("aof-load-truncated", true);
        Bool("aof-rewrite-incremental-fsync", true);
        Bool("aof-timestamp-enabled", false);
        Bool("aof-use-rdb-preamble", true);
        Text("aof_rewrite_cpulist", "", immutable: true);
        Text("appenddirname", "appendonlydir", immutable: true);
        Text("appendfilename", "appendonly.aof", immutable: true);
        Enum("appendfsync", "everysec", ["everysec", "always", "no"]);
        Memory("auto-aof-rewrite-min-size", 67108864, 0, long.MaxValue);
        Int("auto-aof-rewrite-percentage", 100, 0, int.MaxValue);
        Text("bgsave_cpulist", "", immutable: true);
        Text("bind-source-addr", "");
        Text("bio_cpulist", "", immutable: true);
        Int("busy-reply-threshold", 5000, 0, long.MaxValue, aliases: ["lua-time-limit"]);
        Bool("cluster-allow-pubsubshard-when-down", true);
        Bool("cluster-allow-reads-when-down", false);
        Bool("cluster-allow-replica-migration", true);
        Int("cluster-announce-bus-port", 0, 0, 65535);
        Text("cluster-announce-ip", "");
        Int("cluster-announce-port", 0, 0, 65535);
        Int("cluster-announce-tls-port", 0, 0, 65535);
        Text("cluster-config-file", "nodes.conf", immutable: true);
        Bool("cluster-enabled", false, immutable: true);
        _values["cluster-link-sendbuf-limit"] = "0";
        _registry.UnsignedMemory("cluster-link-sendbuf-limit", () => ulong.Parse(_values["cluster-link-sendbuf-limit"], CultureInfo.InvariantCulture),
            v => _values["cluster-link-sendbuf-limit"] = v.ToString(CultureInfo.InvariantCulture), accepted: true);
        Int("cluster-migration-barrier", 1, 0, int.MaxValue);
        Int("cluster-node-timeout", 15000, 0, long.MaxValue);
        Int("cluster-port", 0, 0, 65535, immutable: true);
        Enum("cluster-preferred-endpoint-type", "ip", ["ip", "hostname", "unknown-endpoint"]);
        Bool("cluster-replica-no-failover", false, aliases: ["cluster-slave-no-failover"]);
        Int("cluster-replica-validity-factor", 10, 0, int.MaxValue, aliases: ["cluster-slave-validity-factor"]);
        Bool("cluster-require-full-coverage", true);
        Bool("crash-log-enabled", true);
        Bool("crash-memcheck-enabled", true);
        Bool("disable-thp", true, immutable: true);
        Enum("enable-debug-command", "no", ["no", "yes", "local"], immutable: true);
        Enum("enable-module-command", "no", ["no", "yes", "local"], immutable: true);
        Enum("enable-protected-configs", "no", ["no", "yes", "local"], immutable: true);
        Text("ignore-warnings", "");
        Int("io-threads", 1, 1, 128, immutable: true);
        Bool("io-threads-do-reads", false, immutable: true);
        Bool("jemalloc-bg-thread", true);
        Bool("lazyfree-lazy-eviction", false);
        Bool("lazyfree-lazy-expire", false);
        Bool("lazyfree-lazy-server-del", false);
        Int("list-compress-depth", 0, 0, int.MaxValue);
        Text("masterauth", "");
        Text("masteruser", "");
        Int("maxmemory-eviction-tenacity", 10, 0, 100);
        Int("maxmemory-samples", 5, 1, int.MaxValue);
        Bool("no-appendfsync-on-rewrite", false);
        Enum("oom-score-adj", "no", ["no", "yes", "relative", "absolute"]);
        Special("proc-title-template", "{title} {listen-addr} {server-mode}", args =>
        {
            if (args.Length != 1) return (null, "wrong number of arguments");
            return ProcTitleTemplateIsValid(args[0]) ? (args[0], null) : (null, "template format is invalid or contains unknown variables");
        }, rewrite: v => [Common.Config.ConfigRewriter.Quote(v)]);
        Enum("propagation-error-behavior", "ignore", ["ignore", "panic", "panic-on-replicas"]);
        Bool("rdb-del-sync-files", false);
        Bool("rdb-save-incremental-fsync", true);
        Bool("repl-disable-tcp-nodelay", false);
        Enum("repl-diskless-load", "disabled", ["disabled", "on-empty-db", "swapdb"]);
        Text("replica-announce-ip", "", aliases: ["slave-announce-ip"]);
        Int("replica-announce-port", 0, 0, 65535, aliases: ["slave-announce-port"]);
        Bool("replica-announced", true);
        Bool("replica-ignore-disk-write-errors", false);
        Bool("replica-ignore-maxmemory", true, aliases: ["slave-ignore-maxmemory"]);
        Bool("replica-lazy-flush", false, aliases: ["slave-lazy-flush"]);
        Int("replica-priority", 100, 0, int.MaxValue, aliases: ["slave-priority"]);
        Bool("replica-read-only", true, aliases: ["slave-read-only"]);
        Bool("replica-serve-stale-data", true, aliases: ["slave-serve-stale-data"]);
        Enum("sanitize-dump-payload", "no", ["no", "yes", "clients"]);
        Text("server_cpulist", "", immutable: true);
        Bool("set-proc-title", true, immutable: true);
        Int("shutdown-timeout", 10, 0, int.MaxValue);
        Int("socket-mark-id", 0, 0, uint.MaxValue, immutable: true);
        Memory("stream-node-max-bytes", 4096, 0, long.MaxValue);
        Int("stream-node-max-entries", 100, 0, long.MaxValue);
        Enum("supervised", "no", ["upstart", "systemd", "auto", "no"], immutable: true);
        Bool("syslog-enabled", false, immutable: true);
        Enum("syslog-facility", "local0", ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], immutable: true);
        Text("syslog-ident", "redis", immutable: true);
        Enum("tls-auth-clients", "yes", ["no", "yes", "optional"]);
        Text("tls-ca-cert-dir", "");
        Text("tls-ca-cert-file", "");
        Text("tls-cert-file", "");
        Text("tls-ciphers", "");
        Text("tls-ciphersuites", "");
        Text("tls-client-cert-file", "");
        Text("tls-client-key-file", "");
        Text("tls-client-key-file-pass", "");
        Bool("tls-cluster", false);
        Text("tls-dh-params-file", "");
        Text("tls-key-file", "");
        Text("tls-key-file-pass", "");
        Int("tls-port", 0, 0, 65535);
        Bool("tls-prefer-server-ciphers", false);
        Text("tls-protocols", "");
        Bool("tls-replication", false);
        Int("tls-session-cache-size", 20480, 0, int.MaxValue);
        Int("tls-session-cache-timeout", 300, 0, int.MaxValue);
        Bool("tls-session-caching", true);
        Int("tracking-table-max-keys", 1000000, 0, long.MaxValue);
        Text("unixsocket", "", immutable: true);

        RegisterSpecial();
        // csredis has no TLS: turning it on fails as it does in a Redis that cannot set TLS up.
        foreach (var name in (string[])["tls-port", "tls-replication", "tls-cluster"])
            _registry.Find(name)!.ApplyChange = () =>
            {
                if (!TlsRequested(_registry)) return null;
                LogTlsUnavailable(_registry);
                return "Unable to update TLS configuration. Check server logs.";
            };
    }

    /// <summary>Whether the configuration asks for TLS anywhere (a TLS port, TLS replication or cluster bus).</summary>
    public static bool TlsRequested(ConfigRegistry registry) =>
        registry.Find("tls-port")!.Get() != "0" || registry.Find("tls-replication")!.Get() == "yes" || registry.Find("tls-cluster")!.Get() == "yes";

    /// <summary>Why TLS cannot be configured: Redis's words when no certificate is given, ours otherwise.</summary>
    public static void LogTlsUnavailable(ConfigRegistry registry) =>
        Log.Warning(registry.Find("tls-cert-file")!.Get().Length == 0 ? "No tls-cert-file configured!" : "TLS is not supported by csredis.");

    void Bool(string name, bool value, bool immutable = false, string[]? aliases = null)
    {
        _values[name] = value ? "yes" : "no";
        _registry.Bool(name, () => _values[name] == "yes", v => _values[name] = v ? "yes" : "no", immutable, accepted: true, aliases: aliases ?? []);
    }

    void Int(string name, long value, long min, long max, bool immutable = false, string[]? aliases = null)
    {
        _values[name] = value.ToString(CultureInfo.InvariantCulture);
        _registry.Integer(name, min, max, () => long.Parse(_values[name], CultureInfo.InvariantCulture),
            v => _values[name] = v.ToString(CultureInfo.InvariantCulture), immutable, accepted: true, aliases: aliases ?? []);
    }

    void Memory(string name, long value, long min, long max, bool immutable = false, string[]? aliases = null)
    {
        _values[name] = value.ToString(CultureInfo.InvariantCulture);
        _registry.Memory(name, min, max, () => long.Parse(_values[name], CultureInfo.InvariantCulture),
            v => _values[name] = v.ToString(CultureInfo.InvariantCulture), immutable, accepted: true, aliases: aliases ?? []);
    }

    void Enum(string name, string value, string[] choices, bool immutable = false, string[]? aliases = null)
    {
        _values[name] = value;
        _registry.Enum(name, choices, () => _values[name], v => _values[name] = v, immutable, accepted: true, aliases: aliases ?? []);
    }

    void Text(string name, string value, bool immutable = false, string[]? aliases = null)
    {
        _values[name] = value;
        _registry.Text(name, () => _values[name], v => _values[name] = v, immutable, accepted: true, aliases: aliases ?? []);
    }

    /// <summary>A directive with its own syntax: the parser returns the stored form or sets the error.</summary>
    void Special(string name, string value, Func<string[], (string? Value, string? Error)> parse, bool multiArg = false,
        bool immutable = false, string[]? aliases = null, Func<string, IReadOnlyList<string>>? rewrite = null)
    {
        _values[name] = value;
        _registry.Add(new ConfigEntry
        {
            Name = name, Aliases = aliases ?? [], Accepted = true, MultiArg = multiArg, Immutable = immutable,
            Get = () => _values[name],
            RewriteLines = rewrite,
            Set = args =>
            {
                var (parsed, error) = parse(args);
                if (error != null) return error;
                _values[name] = parsed!;
                return null;
            },
        });
    }

    /// <summary>
    /// Redis's validateProcTitleTemplate: the template expands (known {variables}, "{{" and "}}" for
    /// braces) to something not blank for this server, whose title is still empty while checking.
    /// </summary>
    bool ProcTitleTemplateIsValid(string template)
    {
        var expanded = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char ch = template[i];
            if (ch == '{' && i + 1 < template.Length && template[i + 1] == '{') { expanded.Append('{'); i++; continue; }
            if (ch == '}' && i + 1 < template.Length && template[i + 1] == '}') { expanded.Append('}'); i++; continue; }
            if (ch != '{') { expanded.Append(ch); continue; }
            int close = template.IndexOf('}', i + 1);
            if (close < 0) return false;
            string? value = template[(i + 1)..close] switch
            {
                "title" => "",
                "listen-addr" => "*:0",
                "server-mode" => _values["cluster-enabled"] == "yes" ? "[cluster]" : "",
                "port" => "0",
                "tls-port" => _values["tls-port"],
                "unixsocket" => _values["unixsocket"],
                "config-file" => "",
                _ => null,
            };
            if (value == null) return false;
            expanded.Append(value);
            i = close;
        }
        return expanded.ToString().Trim(' ').Length > 0;
    }

    void RegisterSpecial()
    {
        Special("cluster-announce-hostname", "", args =>
        {
            if (args.Length != 1) return (null, "wrong number of arguments");
            foreach (char ch in args[0])
                if (!char.IsAsciiLetterOrDigit(ch) && ch != '-' && ch != '.')
                    return (null, "Hostnames may only contain alphanumeric characters, hyphens or dots");
            return (args[0], null);
        }, rewrite: v => [Common.Config.ConfigRewriter.Quote(v)]);
        Special("maxmemory-clients", "0", args =>
        {
            if (args.Length != 1) return (null, "wrong number of arguments");
            string text = args[0];
            long value;
            // Redis tries a memory value first, then "N%"; it keeps a percentage as a negative
            // number, so a memory value that wraps negative reads back as a percentage there too.
            if (ConfigRegistry.TryParseMemory(text, out ulong bytes)) value = unchecked((long)bytes);
            else if (text.Length > 1 && text.EndsWith('%')
                && Common.Text.NumberParsing.TryParseInt64(Encoding.ASCII.GetBytes(text[..^1]), out long percent) && percent >= 0)
                value = -percent;
            else return (null, "argument must be a memory or percent value");
            if (value < 0)
            {
                if (value < -100) return (null, "percentage argument must be less or equal to 100");
                return ((-value) + "%", null);
            }
            return (value.ToString(CultureInfo.InvariantCulture), null);
        }, rewrite: v => [v.EndsWith('%') ? v : ConfigRegistry.FormatMemory(long.Parse(v, CultureInfo.InvariantCulture))]);
        Special("oom-score-adj-values", "0 200 800", args =>
        {
            var words = string.Join(' ', args).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 3) return (null, "wrong number of arguments");
            foreach (var w in words)
                if (!int.TryParse(w, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) || v < -2000 || v > 2000)
                    return (null, "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
            return (string.Join(' ', words.Select(w => int.Parse(w, CultureInfo.InvariantCulture))), null);
        }, multiArg: true);
        Special("unixsocketperm", "0", args =>
        {
            if (args.Length != 1) return (null, "wrong number of arguments");
            try { return (Convert.ToInt64(args[0], 8).ToString(CultureInfo.InvariantCulture), null); }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            { return (null, "argument couldn't be parsed as an octal number"); }
        }, immutable: true, rewrite: v => [Convert.ToString(long.Parse(v, CultureInfo.InvariantCulture), 8)]);
    }
}
