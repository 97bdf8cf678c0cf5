// The master side's configuration directives, typed (the stream's cron and filters read them on
// every tick or command, so they are fields rather than registry lookups). Ranges, defaults and
// aliases are Redis 7.0's.
using Csredis.Server.Config;

namespace Csredis.Server.Replication;

public sealed class MasterSettings
{
    public long BacklogSize = 1048576;
    public long BacklogTtl = 3600;
    public bool DisklessSync = true;
    public long DisklessSyncDelay = 5;
    public long DisklessSyncMaxReplicas;
    public long PingReplicaPeriod = 10;
    public long Timeout = 60;
    public long MinReplicasToWrite, MinReplicasMaxLag = 10;

    /// <summary>Applied by CONFIG SET repl-backlog-size (the stream resizes its backlog); Redis clamps the value to 16k.</summary>
    public Action? BacklogSizeChanged;

    public void Register(ConfigRegistry r)
    {
        r.Memory("repl-backlog-size", 1, long.MaxValue, () => BacklogSize, v => { BacklogSize = Math.Max(v, 16 * 1024); BacklogSizeChanged?.Invoke(); });
        r.Integer("repl-backlog-ttl", 0, long.MaxValue, () => BacklogTtl, v => BacklogTtl = v);
        r.Bool("repl-diskless-sync", () => DisklessSync, v => DisklessSync = v);
        r.Integer("repl-diskless-sync-delay", 0, int.MaxValue, () => DisklessSyncDelay, v => DisklessSyncDelay = v);
        r.Integer("repl-diskless-sync-max-replicas", 0, int.MaxValue, () => DisklessSyncMaxReplicas, v => DisklessSyncMaxReplicas = v);
        r.Integer("repl-ping-replica-period", 1, int.MaxValue, () => PingReplicaPeriod, v => PingReplicaPeriod = v, aliases: "repl-ping-slave-period");
        r.Integer("repl-timeout", 1, int.MaxValue, () => Timeout, v => Timeout = v);
        r.Integer("min-replicas-to-write", 0, int.MaxValue, () => MinReplicasToWrite, v => MinReplicasToWrite = v, aliases: "min-slaves-to-write");
        r.Integer("min-replicas-max-lag", 0, int.MaxValue, () => MinReplicasMaxLag, v => MinReplicasMaxLag = v, aliases: "min-slaves-max-lag");
    }
}
