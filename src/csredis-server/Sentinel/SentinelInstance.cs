// What a sentinel knows about one instance: a monitored master, one of its replicas, or another
// sentinel watching the same master (Redis's sentinelRedisInstance). Masters own their replicas
// and sentinels; every instance has a link (a command connection and, for Redis instances, a
// pub/sub connection for hello messages) carrying the timing facts SDOWN is judged on. The same
// physical sentinel seen through several masters shares one link (refcounted), so five sentinels
// watching a hundred masters still ping each other five times per period, not five hundred.
using Csredis.Common;
using Csredis.Common.Client;

namespace Csredis.Server.Sentinel;

[Flags]
public enum InstanceFlags
{
    None = 0,
    Master = 1 << 0,
    Slave = 1 << 1,
    Sentinel = 1 << 2,
    SDown = 1 << 3,
    ODown = 1 << 4,
    MasterDown = 1 << 5,          // a sentinel instance that told us it sees the master down
    FailoverInProgress = 1 << 6,
    Promoted = 1 << 7,
    ReconfSent = 1 << 8,
    ReconfInprog = 1 << 9,
    ReconfDone = 1 << 10,
    ForceFailover = 1 << 11,
    ScriptKillSent = 1 << 12,
    MasterRebootDown = 1 << 13,
}

public enum FailoverState { None, WaitStart, SelectSlave, SendSlaveofNoOne, WaitPromotion, ReconfSlaves, UpdateConfig }

/// <summary>An address as configured (a hostname when resolve-hostnames is on) and as resolved.</summary>
public sealed record SentinelAddr(string Hostname, string Ip, int Port)
{
    /// <summary>Same instance: same port and IP (Redis's sentinelAddrIsEqual).</summary>
    public bool SameAs(SentinelAddr other) => Port == other.Port && string.Equals(Ip, other.Ip, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The connections to an instance, with the ping bookkeeping SDOWN depends on.</summary>
public sealed class InstanceLink
{
    public int RefCount = 1;
    public AsyncConnection? Command;
    public AsyncConnection? PubSub;
    public bool Disconnected = true;
    public long CommandConnectedAt, PubSubConnectedAt;
    /// <summary>When the oldest unanswered PING was sent; 0 once answered. Starts at creation, so an instance never reached goes down too.</summary>
    public long ActivePingTime = Clock.UnixMs();
    public long LastPingTime;
    /// <summary>Last reply of any kind to PING.</summary>
    public long LastPongTime = Clock.UnixMs();
    /// <summary>Last acceptable reply to PING (PONG, LOADING, MASTERDOWN).</summary>
    public long LastAvailTime = Clock.UnixMs();
    public long LastReconnectTime;
    public long PubSubLastActivity;
    public int PendingCommands => Command?.PendingReplies ?? 0;
}

public sealed class SentinelInstance
{
    public InstanceFlags Flags;
    public string Name;
    public string? RunId;
    public SentinelAddr Addr;
    public long ConfigEpoch;
    public InstanceLink Link = new();
    public SentinelInstance? Master;  // for replicas and sentinels
    /// <summary>Set once the instance left its table: replies still queued on a shared link are ignored.</summary>
    public bool Released;

    // Master configuration (replicas and sentinels carry the master's down-after period).
    public int Quorum;
    public long DownAfterMs;
    public long FailoverTimeout;
    public int ParallelSyncs = 1;
    public string? AuthPass, AuthUser;
    public string? NotificationScript, ClientReconfigScript;
    public long MasterRebootDownAfterPeriod;
    public long MasterRebootSinceTime;
    /// <summary>sentinel rename-command: the names this master's instances know SLAVEOF, CONFIG... by.</summary>
    public readonly Dictionary<string, string> RenamedCommands = new(StringComparer.OrdinalIgnoreCase);
    public readonly Dictionary<string, SentinelInstance> Sentinels = new();
    public readonly Dictionary<string, SentinelInstance> Slaves = new();

    // Failover.
    public string? Leader;
    public long LeaderEpoch;
    public long FailoverEpoch;
    public FailoverState FailoverState;
    public long FailoverStateChangeTime;
    public long FailoverStartTime;
    public long FailoverDelayLogged;
    public SentinelInstance? PromotedSlave;

    // Facts learned from INFO.
    public long InfoRefresh;
    public string? Info;
    public InstanceFlags RoleReported;
    public long RoleReportedTime;
    public long SlaveConfChangeTime;
    public long MasterLinkDownTime;
    public string? SlaveMasterHost;
    public int SlaveMasterPort;
    public bool SlaveMasterLinkUp;
    public int SlavePriority = 100;
    public long SlaveReplOffset;
    public bool ReplicaAnnounced = true;
    public long SlaveReconfSentTime;

    // Hello messages: sent (every instance), received (sentinels), and IS-MASTER-DOWN-BY-ADDR replies.
    public long LastPubTime;
    public long LastHelloTime;
    public long LastMasterDownReplyTime;

    public long SDownSinceTime;
    public long ODownSinceTime;

    public SentinelInstance(InstanceFlags kind, string name, SentinelAddr addr, SentinelInstance? master, long defaultDownAfter, long defaultFailoverTimeout)
    {
        long now = Clock.UnixMs();
        Flags = kind;
        Name = name;
        Addr = addr;
        Master = master;
        DownAfterMs = master?.DownAfterMs ?? defaultDownAfter;
        FailoverTimeout = defaultFailoverTimeout;
        LastPubTime = LastHelloTime = LastMasterDownReplyTime = now;
        RoleReported = kind & (InstanceFlags.Master | InstanceFlags.Slave);
        RoleReportedTime = SlaveConfChangeTime = now;
    }

    public bool Is(InstanceFlags f) => (Flags & f) != 0;

    public string Ip => Addr.Ip;
    public int Port => Addr.Port;

    /// <summary>The master this instance belongs to (itself for a master).</summary>
    public SentinelInstance OwnMaster => Is(InstanceFlags.Master) ? this : Master!;

    /// <summary>
    /// Where a master is now (Redis's sentinelGetCurrentMasterAddress): once a failover has promoted the
    /// replica, its address, even before the master entry is switched. Hellos, the config file and
    /// GET-MASTER-ADDR-BY-NAME must all agree on it, or other sentinels adopt the new epoch with the old address.
    /// </summary>
    public SentinelAddr CurrentAddress =>
        Is(InstanceFlags.FailoverInProgress) && PromotedSlave != null && FailoverState >= FailoverState.ReconfSlaves
            ? PromotedSlave.Addr
            : Addr;

    public string TypeName => Is(InstanceFlags.Master) ? "master" : Is(InstanceFlags.Slave) ? "slave" : Is(InstanceFlags.Sentinel) ? "sentinel" : "unknown";

    /// <summary>The name a command is sent under to this instance: renamed through its master's rename-command table.</summary>
    public string MapCommand(string command) => OwnMaster.RenamedCommands.GetValueOrDefault(command) ?? command;

    /// <summary>The flags field of SENTINEL MASTERS/REPLICAS/SENTINELS, in Redis's order.</summary>
    public string FlagsText()
    {
        var parts = new List<string>();
        if (Is(InstanceFlags.SDown)) parts.Add("s_down");
        if (Is(InstanceFlags.ODown)) parts.Add("o_down");
        if (Is(InstanceFlags.Master)) parts.Add("master");
        if (Is(InstanceFlags.Slave)) parts.Add("slave");
        if (Is(InstanceFlags.Sentinel)) parts.Add("sentinel");
        if (Link.Disconnected) parts.Add("disconnected");
        if (Is(InstanceFlags.MasterDown)) parts.Add("master_down");
        if (Is(InstanceFlags.FailoverInProgress)) parts.Add("failover_in_progress");
        if (Is(InstanceFlags.Promoted)) parts.Add("promoted");
        if (Is(InstanceFlags.ReconfSent)) parts.Add("reconf_sent");
        if (Is(InstanceFlags.ReconfInprog)) parts.Add("reconf_inprog");
        if (Is(InstanceFlags.ReconfDone)) parts.Add("reconf_done");
        if (Is(InstanceFlags.ForceFailover)) parts.Add("force_failover");
        if (Is(InstanceFlags.ScriptKillSent)) parts.Add("script_kill_sent");
        return string.Join(',', parts);
    }
}
