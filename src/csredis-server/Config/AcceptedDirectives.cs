// Directives of Redis 7.0's default redis.conf that csredis does not act on (yet). A config file
// written for Redis must still start csredis, so these are accepted with a warning naming each one;
// any other unknown directive is a fatal error, as in Redis. As a directive gets implemented it
// moves into ServerConfig and leaves this list.
namespace Csredis.Server.Config;

public static class AcceptedDirectives
{
    static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "unixsocket", "unixsocketperm", "supervised", "syslog-enabled", "syslog-ident", "syslog-facility",
        "crash-log-enabled", "crash-memcheck-enabled", "always-show-logo", "set-proc-title", "proc-title-template",
        "locale-collate",
        "sanitize-dump-payload", "rdb-del-sync-files", "replica-serve-stale-data", "replica-read-only",
        "repl-diskless-sync", "repl-diskless-sync-delay", "repl-diskless-sync-max-replicas", "repl-diskless-load",
        "repl-disable-tcp-nodelay", "replica-priority", "acllog-max-len", "lazyfree-lazy-eviction",
        "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "replica-lazy-flush", "io-threads", "io-threads-do-reads",
        "oom-score-adj", "oom-score-adj-values", "disable-thp", "appendfilename", "appenddirname", "appendfsync",
        "no-appendfsync-on-rewrite", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size", "aof-load-truncated",
        "aof-use-rdb-preamble", "aof-timestamp-enabled", "lua-time-limit", "busy-reply-threshold",
        "cluster-enabled", "cluster-config-file", "cluster-node-timeout", "cluster-replica-validity-factor",
        "cluster-migration-barrier", "cluster-allow-replica-migration", "cluster-require-full-coverage",
        "cluster-replica-no-failover", "cluster-allow-reads-when-down", "cluster-allow-pubsubshard-when-down",
        "cluster-link-sendbuf-limit", "cluster-announce-hostname", "cluster-preferred-endpoint-type",
        "notify-keyspace-events", "hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries",
        "hash-max-ziplist-value", "list-max-listpack-size", "list-max-ziplist-size", "list-compress-depth",
        "set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value", "zset-max-listpack-entries",
        "zset-max-listpack-value", "zset-max-ziplist-entries", "zset-max-ziplist-value", "hll-sparse-max-bytes",
        "stream-node-max-bytes", "stream-node-max-entries", "client-output-buffer-limit", "aof-rewrite-incremental-fsync",
        "rdb-save-incremental-fsync", "lfu-log-factor", "lfu-decay-time", "activedefrag", "active-defrag-ignore-bytes",
        "active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-defrag-cycle-min",
        "active-defrag-cycle-max", "active-defrag-max-scan-fields", "jemalloc-bg-thread", "server_cpulist",
        "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist", "ignore-warnings", "maxmemory-samples",
        "maxmemory-eviction-tenacity", "replica-ignore-maxmemory", "active-expire-effort", "tracking-table-max-keys",
        "enable-protected-configs", "enable-debug-command", "enable-module-command", "shutdown-timeout",
        "shutdown-on-sigint", "shutdown-on-sigterm", "latency-tracking", "latency-tracking-info-percentiles",
        "replica-announced", "min-replicas-to-write", "min-replicas-max-lag", "min-slaves-to-write", "min-slaves-max-lag",
        "repl-ping-replica-period", "repl-timeout", "repl-backlog-size", "repl-backlog-ttl", "masterauth", "masteruser",
        "replicaof", "slaveof", "replica-announce-ip", "replica-announce-port", "slave-announce-ip", "slave-announce-port",
        "slave-serve-stale-data", "slave-read-only", "slave-priority", "slave-lazy-flush", "aclfile", "user",
        "tls-port", "tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-auth-clients",
        "tls-replication", "tls-cluster", "tls-protocols", "tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers",
        "tls-session-caching", "tls-session-cache-size", "tls-session-cache-timeout", "loadmodule", "socket-mark-id",
    };

    public static bool IsAccepted(string name) => Names.Contains(name);
}
