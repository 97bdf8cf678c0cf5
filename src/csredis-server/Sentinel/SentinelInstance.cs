// What a sentinel knows about one instance: a monitored master, one of its replicas, or another
// sentinel watching the same master (Redis's sentinelRedisInstance). Masters own their replicas
// and sentinels; every instance has its own links (a command connection and, for Redis
// instances, a pub/sub connection for hello messages) and the timing facts SDOWN is judged on.
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

/// <summary>The connections to an instance, with the ping bookkeeping SDOWN depends on.</summary>
public sealed class InstanceLink
{
    public AsyncConnection? Command;
    public AsyncConnection? PubSub;
    public bool Disconnected = true;
    public long CommandConnectedAt, PubSubConnectedAt;
    public long ActivePingTime;   // when the oldest unanswered PING was sent (0 = none pending)
    public long LastPingTime;
    public long LastPongTime;     // last reply of any kind to PING
    public long LastAvailTime;    // last valid reply to PING
    public long LastReconnectTime;
    public long PubSubLastActivity;
    public int PendingCommands => Command?.PendingReplies ?? 0;
}

public sealed class SentinelInstance
{
    public InstanceFlags Flags;
    public string Name;
    public string? RunId;
    public string Ip;
    public int Port;
    public long ConfigEpoch;
    public readonly InstanceLink Link = new();
    public SentinelInstance? Master;  // for replicas and sentinels

    // Master configuration.
    public int Quorum;
    public long DownAfterMs = 30000;
    public long FailoverTimeout = 180000;
    public int ParallelSyncs = 1;
    public string? AuthPass, AuthUser;
    public string? NotificationScript, ClientReconfigScript;
    public long MasterRebootDownAfterPeriod;
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
    public long MasterLinkDownTime;
    public string? SlaveMasterHost;
    public int SlaveMasterPort;
    public bool SlaveMasterLinkUp = true;
    public int SlavePriority = 100;
    public long SlaveReplOffset;
    public bool ReplicaAnnounced = true;
    public long SlaveConfChangeTime;
    public long SlaveReconfSentTime;
    public long MasterRebootSinceTime;

    // Sentinel instances.
    public long LastHelloTime;
    public long LastMasterDownReplyTime;

    public long SDownSinceTime;
    public long ODownSinceTime;

    public SentinelInstance(InstanceFlags kind, string name, string ip, int port, SentinelInstance? master)
    {
        Flags = kind;
        Name = name;
        Ip = ip;
        Port = port;
        Master = master;
        Link.LastAvailTime = Link.LastPongTime = Clock.UnixMs();
        RoleReported = kind & (InstanceFlags.Master | InstanceFlags.Slave);
        RoleReportedTime = Clock.UnixMs();
    }

    public bool Is(InstanceFlags f) => (Flags & f) != 0;

    /// <summary>
    /// Where a master is now (Redis's sentinelGetCurrentMasterAddress): once a failover has promoted the
    /// replica, its address, even before the master entry is switched. Hellos, the config file and
    /// GET-MASTER-ADDR-BY-NAME must all agree on it, or other sentinels adopt the new epoch with the old address.
    /// </summary>
    public (string Ip, int Port) CurrentAddress =>
        Is(InstanceFlags.FailoverInProgress) && PromotedSlave != null && FailoverState >= FailoverState.ReconfSlaves
            ? (PromotedSlave.Ip, PromotedSlave.Port)
            : (Ip, Port);
    public string Address => Ip + ":" + Port;

    public string TypeName => Is(InstanceFlags.Master) ? "master" : Is(InstanceFlags.Slave) ? "slave" : "sentinel";

    /// <summary>Redis's "%@" instance details: "type name ip port [@ master-name master-ip master-port]".</summary>
    public string Details()
    {
        var text = $"{TypeName} {Name} {Ip} {Port}";
        if (Master != null) text += $" @ {Master.Name} {Master.Ip} {Master.Port}";
        return text;
    }

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
        if (Is(InstanceFlags.MasterRebootDown)) parts.Add("master_reboot");
        return string.Join(',', parts);
    }
}
