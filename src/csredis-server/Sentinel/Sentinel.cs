// Redis Sentinel (Redis's sentinel.c): monitors masters, their replicas and the other sentinels
// watching them, decides when a master is down, and fails over.
//
// Everything runs on the server's event loop. The timer (every 50-100 ms: the cron frequency is
// drawn anew each time so that sentinels started together do not stay in lockstep and split
// their votes forever) walks the instances: reconnects broken links, sends PING (every second),
// INFO (every 10 s, every second while a master is down or failing over) and a hello message
// (every 2 s, PUBLISHed on __sentinel__:hello of masters, replicas and other sentinels, which is
// how sentinels and their configurations find each other), then judges SDOWN (no acceptable
// PING reply for down-after-milliseconds) and, for masters, ODOWN (a quorum of sentinels agree,
// asked through SENTINEL IS-MASTER-DOWN-BY-ADDR), and drives failovers (SentinelFailover.cs).
// State changes are events: logged in Redis's words, published on a channel named after the
// event, handed to the notification script, and the config file is rewritten (SentinelConfig.cs).
// A timer that fires far too late or early (a stalled process, a clock jump) enters TILT mode:
// information is still collected but nothing is acted on for 30 s.
using System.Globalization;
using System.Net;
using Csredis.Common;
using Csredis.Common.Client;
using Csredis.Common.Logging;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    public const string HelloChannel = "__sentinel__:hello";
    const int MaxPendingCommands = 100, DefaultHz = 10;

    // Timing parameters, milliseconds (SENTINEL DEBUG shows and changes them).
    public long InfoPeriod = 10_000, PingPeriod = 1000, AskPeriod = 1000, PublishPeriod = 2000;
    public long DefaultDownAfter = 30_000, DefaultFailoverTimeout = 180_000;
    public long TiltTrigger = 2000, TiltPeriod = 30_000, SlaveReconfTimeout = 10_000;
    public long MinLinkReconnectPeriod = 15_000, ElectionTimeout = 10_000;
    public long ScriptMaxRuntime = 60_000, ScriptRetryDelay = 30_000;

    readonly RedisServer _server;
    readonly Random _random = new();
    public string MyId = "";
    public long CurrentEpoch;
    public readonly Dictionary<string, SentinelInstance> Masters = new();
    public bool Tilt;
    public long TiltStartTime;
    long _previousTime = Clock.UnixMs();
    public string? AnnounceIp;
    public int AnnouncePort;
    public bool DenyScriptsReconfig = true;
    public bool ResolveHostnames, AnnounceHostnames;
    public string? SentinelUser, SentinelPass;
    public int SimulateFailureFlags;
    /// <summary>Publishes an event to the sentinel's own pub/sub subscribers (wired to the server's pub/sub).</summary>
    public Action<string, string>? Publish;

    public SentinelState(RedisServer server) => _server = server;

    // Wall-clock milliseconds, as Redis's mstime(): TILT mode covers clock jumps.
    static long Now => Clock.UnixMs();

    // ---- addresses ----

    /// <summary>
    /// Resolves an instance address (Redis's createSentinelAddr): an IP as is, a hostname only with
    /// resolve-hostnames (kept unresolved when <paramref name="acceptUnresolved"/>). Null with Redis's
    /// reason on failure.
    /// </summary>
    public SentinelAddr? CreateAddr(string hostname, int port, bool acceptUnresolved, out string? error)
    {
        error = null;
        if (port < 0 || port > 65535) { error = "Invalid port number."; return null; }
        string? ip = Resolve(hostname);
        if (ip == null)
        {
            Log.Warning($"Failed to resolve hostname '{hostname}'");
            if (!(ResolveHostnames && acceptUnresolved)) { error = "Can't resolve instance hostname."; return null; }
            ip = "";
        }
        return new SentinelAddr(hostname, ip, port);
    }

    /// <summary>The IP of an address or, with resolve-hostnames, of a hostname; null when it has none.</summary>
    public string? Resolve(string hostname)
    {
        if (IPAddress.TryParse(hostname, out var parsed)) return parsed.ToString();
        if (!ResolveHostnames) return null;
        try { return Dns.GetHostAddresses(hostname).FirstOrDefault()?.ToString(); }
        catch (System.Net.Sockets.SocketException) { return null; }
        catch (ArgumentException) { return null; }
    }

    /// <summary>The address as told to others: the hostname with announce-hostnames, else the IP.</summary>
    public string Announce(SentinelAddr a) => AnnounceHostnames ? a.Hostname : a.Ip;

    string AnnounceWithPort(SentinelAddr a)
    {
        string host = Announce(a);
        return host.Contains(':') ? $"[{host}]:{a.Port}" : $"{host}:{a.Port}";
    }

    /// <summary>Same address, or same hostname when one could not be resolved (sentinelAddrOrHostnameEqual).</summary>
    static bool SameAddrOrHostname(SentinelAddr a, SentinelAddr b) =>
        a.Port == b.Port && (a.Ip == b.Ip || string.Equals(a.Hostname, b.Hostname, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a hostname (as a replica's INFO reports its master) names this address.</summary>
    bool AddrEqualsHostname(SentinelAddr a, string? hostname)
    {
        if (hostname == null) return false;
        string? ip = Resolve(hostname);
        return ip != null && string.Equals(a.Ip, ip, StringComparison.OrdinalIgnoreCase);
    }

    // ---- instances ----

    /// <summary>
    /// Creates an instance and adds it to its table (createSentinelRedisInstance): replicas are named
    /// "ip:port". Null with Redis's reason when the address is invalid or the entry exists already.
    /// </summary>
    public SentinelInstance? CreateInstance(string? name, InstanceFlags kind, string hostname, int port, int quorum, SentinelInstance? master, out string? error)
    {
        var addr = CreateAddr(hostname, port, acceptUnresolved: true, out error);
        if (addr == null) return null;
        string key = kind == InstanceFlags.Slave ? AnnounceWithPort(addr) : name!;
        var table = kind == InstanceFlags.Master ? Masters : kind == InstanceFlags.Slave ? master!.Slaves : master!.Sentinels;
        if (table.ContainsKey(key))
        {
            error = kind switch
            {
                InstanceFlags.Master => "Duplicate master name.",
                InstanceFlags.Slave => "Duplicate hostname and port for replica.",
                _ => "Duplicate runid for sentinel.",
            };
            return null;
        }
        var ri = new SentinelInstance(kind, key, addr, master, DefaultDownAfter, DefaultFailoverTimeout) { Quorum = quorum };
        table[key] = ri;
        return ri;
    }

    /// <summary>The master monitored at this address (IS-MASTER-DOWN-BY-ADDR names masters by address, not name).</summary>
    public SentinelInstance? MasterByAddr(string host, int port)
    {
        var probe = CreateAddr(host, port, acceptUnresolved: true, out _);
        return probe == null ? null : Masters.Values.FirstOrDefault(m => SameAddrOrHostname(m.Addr, probe));
    }

    SentinelInstance? LookupSlave(SentinelInstance master, string host, int port)
    {
        var addr = CreateAddr(host, port, acceptUnresolved: false, out _);
        return addr == null ? null : master.Slaves.GetValueOrDefault(AnnounceWithPort(addr));
    }

    /// <summary>Forgets an instance: its link closes unless another master's entry for the same sentinel still uses it.</summary>
    void ReleaseInstance(SentinelInstance ri)
    {
        ri.Released = true;
        foreach (var s in ri.Slaves.Values) ReleaseInstance(s);
        foreach (var s in ri.Sentinels.Values) ReleaseInstance(s);
        ri.Slaves.Clear();
        ri.Sentinels.Clear();
        ReleaseLink(ri.Link);
        if (ri.Is(InstanceFlags.Slave) && ri.Is(InstanceFlags.Promoted) && ri.Master != null && ri.Master.PromotedSlave == ri)
            ri.Master.PromotedSlave = null;
    }

    static void ReleaseLink(InstanceLink link)
    {
        if (--link.RefCount > 0) return;
        CloseCommandConnection(link);
        ClosePubSubConnection(link);
    }

    /// <summary>Uses the link another master already has to the same sentinel (sentinelTryConnectionSharing).</summary>
    void TryConnectionSharing(SentinelInstance si)
    {
        if (si.RunId == null || si.Link.RefCount > 1) return;
        foreach (var master in Masters.Values)
        {
            if (master == si.Master) continue;
            var match = master.Sentinels.Values.FirstOrDefault(s => s.RunId == si.RunId);
            if (match == null || match == si) continue;
            ReleaseLink(si.Link);
            si.Link = match.Link;
            match.Link.RefCount++;
            return;
        }
    }

    /// <summary>A sentinel changed address: every master's entry for it moves to the new one (sentinelUpdateSentinelAddressInAllMasters).</summary>
    void UpdateSentinelAddressInAllMasters(SentinelInstance si)
    {
        int reconfigured = 0;
        foreach (var master in Masters.Values)
        {
            var match = master.Sentinels.Values.FirstOrDefault(s => s.RunId == si.RunId);
            if (match == null) continue;
            CloseCommandConnection(match.Link);
            ClosePubSubConnection(match.Link);
            if (match == si) continue;
            match.Addr = si.Addr;
            reconfigured++;
        }
        if (reconfigured > 0) Event(LogLevel.Notice, "+sentinel-address-update", si, $"{reconfigured} additional matching instances");
    }

    static int RemoveMatchingSentinelFromMaster(SentinelState state, SentinelInstance master, string? runId)
    {
        if (runId == null) return 0;
        int removed = 0;
        foreach (var s in master.Sentinels.Values.Where(s => s.RunId == runId).ToArray())
        {
            master.Sentinels.Remove(s.Name);
            state.ReleaseInstance(s);
            removed++;
        }
        return removed;
    }

    // ---- events ----

    /// <summary>Redis's "%@" instance details: "type name ip port [@ master-name master-ip master-port]".</summary>
    public string Details(SentinelInstance ri)
    {
        var master = ri.Is(InstanceFlags.Master) ? null : ri.Master;
        string text = $"{ri.TypeName} {ri.Name} {Announce(ri.Addr)} {ri.Port}";
        return master == null ? text : text + $" @ {master.Name} {Announce(master.Addr)} {master.Port}";
    }

    /// <summary>An event with the instance details first ("+sdown master mymaster 127.0.0.1 6379"), then <paramref name="extra"/>.</summary>
    public void Event(LogLevel level, string type, SentinelInstance ri, string? extra = null) =>
        EmitEvent(level, type, ri, extra == null ? Details(ri) : Details(ri) + " " + extra);

    /// <summary>An event whose text is only <paramref name="message"/> (+new-epoch 3, +switch-master ..., +tilt).</summary>
    public void EventText(LogLevel level, string type, SentinelInstance? ri, string message) => EmitEvent(level, type, ri, message);

    /// <summary>Logs, publishes on the channel named after the event, and runs the notification script (sentinelEvent).</summary>
    void EmitEvent(LogLevel level, string type, SentinelInstance? ri, string message)
    {
        Log.Write(level, type + " " + message);
        if (level != LogLevel.Debug) Publish?.Invoke(type, message);
        if (level == LogLevel.Warning && ri != null)
        {
            var master = ri.Is(InstanceFlags.Master) ? ri : ri.Master;
            if (master?.NotificationScript != null) ScheduleScript(master.NotificationScript, [type, message]);
        }
    }

    // ---- the timer ----

    /// <summary>The sentinel timer (sentinelTimer), called from serverCron.</summary>
    public void Timer()
    {
        CheckTiltCondition();
        HandleInstances(Masters);
        RunPendingScripts();
        CollectTerminatedScripts();
        KillTimedOutScripts();
        _server.HzOverride = DefaultHz + _random.Next(DefaultHz);
    }

    void HandleInstances(Dictionary<string, SentinelInstance> instances)
    {
        SentinelInstance? switchToPromoted = null;
        foreach (var ri in instances.Values.ToArray())
        {
            if (ri.Released) continue;
            HandleInstance(ri);
            if (ri.Is(InstanceFlags.Master))
            {
                HandleInstances(ri.Slaves);
                HandleInstances(ri.Sentinels);
                if (ri.FailoverState == FailoverState.UpdateConfig) switchToPromoted = ri;
            }
        }
        if (switchToPromoted != null) SwitchToPromotedSlave(switchToPromoted);
    }

    void CheckTiltCondition()
    {
        long now = Now, delta = now - _previousTime;
        if (delta < 0 || delta > TiltTrigger)
        {
            Tilt = true;
            TiltStartTime = now;
            EventText(LogLevel.Warning, "+tilt", null, "#tilt mode entered");
        }
        _previousTime = Now;
    }

    void HandleInstance(SentinelInstance ri)
    {
        ReconnectInstance(ri);
        SendPeriodicCommands(ri);
        if (Tilt)
        {
            if (Now - TiltStartTime < TiltPeriod) return;
            Tilt = false;
            EventText(LogLevel.Warning, "-tilt", null, "#tilt mode exited");
        }
        CheckSubjectivelyDown(ri);
        if (ri.Is(InstanceFlags.Master))
        {
            CheckObjectivelyDown(ri);
            if (StartFailoverIfNeeded(ri)) AskMasterStateToOtherSentinels(ri, forced: true);
            FailoverStateMachine(ri);
            AskMasterStateToOtherSentinels(ri, forced: false);
        }
    }

    // ---- links ----

    static void CloseCommandConnection(InstanceLink link)
    {
        var c = link.Command;
        if (c == null) return;
        link.Command = null;
        link.Disconnected = true;
        c.OnClosed = null;
        c.Close("closed by sentinel");
    }

    static void ClosePubSubConnection(InstanceLink link)
    {
        var c = link.PubSub;
        if (c == null) return;
        link.PubSub = null;
        link.Disconnected = true;
        c.OnClosed = null;
        c.Close("closed by sentinel");
    }

    /// <summary>Closes the links of a master and its replicas (they reconnect, e.g. with a new auth-pass).</summary>
    public void DropMasterConnections(SentinelInstance master)
    {
        foreach (var ri in master.Slaves.Values.Append(master))
        {
            CloseCommandConnection(ri.Link);
            ClosePubSubConnection(ri.Link);
        }
    }

    /// <summary>Closes every link to other sentinels (after sentinel-user/sentinel-pass change); returns how many.</summary>
    public int DropAllSentinelConnections()
    {
        int dropped = 0;
        foreach (var m in Masters.Values)
            foreach (var si in m.Sentinels.Values)
            {
                if (si.Link.Disconnected) continue;
                ClosePubSubConnection(si.Link);
                CloseCommandConnection(si.Link);
                dropped++;
            }
        return dropped;
    }

    /// <summary>Opens the missing connections of a link (sentinelReconnectInstance), at most once per ping period.</summary>
    void ReconnectInstance(SentinelInstance ri)
    {
        var link = ri.Link;
        if (!link.Disconnected || ri.Port == 0) return;
        long now = Now;
        if (now - link.LastReconnectTime < PingPeriod) return;
        link.LastReconnectTime = now;

        if (link.Command == null)
        {
            // The instance may have restarted elsewhere, or was unresolvable when first seen.
            if (ResolveHostnames && CreateAddr(ri.Addr.Hostname, ri.Port, acceptUnresolved: false, out _) is { } fresh) ri.Addr = fresh;
            var cmd = Connect(ri, "cmd");
            if (cmd != null)
            {
                link.Command = cmd;
                link.CommandConnectedAt = Now;
                SendAuthIfNeeded(ri, cmd);
                SetClientName(ri, cmd, "cmd");
                SendPing(ri);
            }
        }
        if (ri.Is(InstanceFlags.Master | InstanceFlags.Slave) && link.PubSub == null)
        {
            var pc = Connect(ri, "pubsub");
            if (pc != null)
            {
                pc.Subscribed = true;
                link.PubSub = pc;
                link.PubSubConnectedAt = Now;
                pc.OnPush = msg => OnHelloMessage(ri, msg);
                SendAuthIfNeeded(ri, pc);
                SetClientName(ri, pc, "pubsub");
                pc.Send(null, ri.MapCommand("SUBSCRIBE"), HelloChannel);
            }
        }
        if (link.Command != null && (ri.Is(InstanceFlags.Sentinel) || link.PubSub != null)) link.Disconnected = false;
    }

    AsyncConnection? Connect(SentinelInstance ri, string kind)
    {
        var link = ri.Link;
        if (!IPAddress.TryParse(ri.Ip, out var ip))
        {
            Event(LogLevel.Debug, $"-{kind}-link-reconnection", ri, "#Failed to establish connection");
            return null;
        }
        var conn = new AsyncConnection(_server.Loop);
        // A connection that fails or drops only marks the link for reconnection, as hiredis's callbacks do.
        conn.OnClosed = _ =>
        {
            if (link.Command == conn) link.Command = null;
            if (link.PubSub == conn) link.PubSub = null;
            link.Disconnected = true;
        };
        if (!conn.Connect(ip, ri.Port))
        {
            Event(LogLevel.Debug, $"-{kind}-link-reconnection", ri, "#" + new System.ComponentModel.Win32Exception(Common.Native.Libc.Errno).Message);
            return null;
        }
        return conn;
    }

    /// <summary>
    /// AUTH on a new connection: a master's auth-pass/auth-user for it and its replicas; for other
    /// sentinels sentinel-pass/sentinel-user, or else our own requirepass (all sentinels sharing one).
    /// </summary>
    void SendAuthIfNeeded(SentinelInstance ri, AsyncConnection conn)
    {
        string? pass, user;
        if (ri.Is(InstanceFlags.Sentinel))
        {
            if (SentinelPass != null) { pass = SentinelPass; user = SentinelUser; }
            else { pass = _server.Config.RequirePass.Length > 0 ? _server.Config.RequirePass : null; user = null; }
        }
        else { pass = ri.OwnMaster.AuthPass; user = ri.OwnMaster.AuthUser; }
        if (pass == null) return;
        if (user == null) conn.Send(null, ri.MapCommand("AUTH"), pass);
        else conn.Send(null, ri.MapCommand("AUTH"), user, pass);
    }

    void SetClientName(SentinelInstance ri, AsyncConnection conn, string kind) =>
        conn.Send(null, ri.MapCommand("CLIENT"), "SETNAME", $"sentinel-{MyId[..Math.Min(8, MyId.Length)]}-{kind}");

    // ---- periodic PING / INFO / hello ----

    void SendPeriodicCommands(SentinelInstance ri)
    {
        var link = ri.Link;
        if (link.Disconnected || link.Command == null) return;
        // Not critical commands: don't pile them up on a link that stopped answering.
        if (link.PendingCommands >= MaxPendingCommands * link.RefCount) return;
        long now = Now;
        // Replicas of a master that is down or failing over (and replicas cut from their master)
        // are watched every second, to see promotions and reconfigurations quickly.
        long infoPeriod = ri.Is(InstanceFlags.Slave) &&
            (ri.Master!.Is(InstanceFlags.ODown | InstanceFlags.FailoverInProgress) || ri.MasterLinkDownTime != 0)
            ? 1000 : InfoPeriod;
        long pingPeriod = Math.Min(ri.DownAfterMs, PingPeriod);
        if (!ri.Is(InstanceFlags.Sentinel) && (ri.InfoRefresh == 0 || now - ri.InfoRefresh > infoPeriod))
            link.Command.Send(reply => OnInfoReply(ri, reply), ri.MapCommand("INFO"));
        if (now - link.LastPongTime > pingPeriod && now - link.LastPingTime > pingPeriod / 2)
            SendPing(ri);
        if (now - ri.LastPubTime > PublishPeriod)
            SendHello(ri);
    }

    void SendPing(SentinelInstance ri)
    {
        var cmd = ri.Link.Command;
        if (cmd == null || !cmd.IsOpen) return;
        cmd.Send(reply => OnPingReply(ri, reply), ri.MapCommand("PING"));
        ri.Link.LastPingTime = Now;
        // Still waiting for an older PING: the instance has been silent since that one.
        if (ri.Link.ActivePingTime == 0) ri.Link.ActivePingTime = ri.Link.LastPingTime;
    }

    void OnPingReply(SentinelInstance ri, RespValue reply)
    {
        if (ri.Released) return;
        var link = ri.Link;
        if (reply.Type is RespType.SimpleString or RespType.Error)
        {
            var text = reply.Bytes.AsSpan();
            bool pong = text.StartsWith("PONG"u8);
            if (pong || text.StartsWith("LOADING"u8) || text.StartsWith("MASTERDOWN"u8))
            {
                link.LastAvailTime = Now;
                link.ActivePingTime = 0;
                if (pong) ri.Flags &= ~InstanceFlags.MasterRebootDown;
            }
            else if (text.StartsWith("BUSY"u8) && ri.Is(InstanceFlags.SDown) && !ri.Is(InstanceFlags.ScriptKillSent))
            {
                // Down only because a script runs forever: kill the script.
                link.Command?.Send(null, ri.MapCommand("SCRIPT"), "KILL");
                ri.Flags |= InstanceFlags.ScriptKillSent;
            }
        }
        link.LastPongTime = Now;
    }

    /// <summary>
    /// PUBLISHes "ip,port,runid,current-epoch,master-name,master-ip,master-port,master-config-epoch"
    /// on the hello channel of the instance (a master, a replica, or another sentinel, whose PUBLISH
    /// takes hellos directly).
    /// </summary>
    void SendHello(SentinelInstance ri)
    {
        var cmd = ri.Link.Command;
        if (ri.Link.Disconnected || cmd == null || !cmd.IsConnected) return;
        var master = ri.OwnMaster;
        var masterAddr = master.CurrentAddress;
        string ip;
        if (AnnounceIp != null) ip = AnnounceIp;
        else
        {
            var local = cmd.LocalAddress;
            if (local.Port == 0) return;
            ip = local.Ip;
        }
        int port = AnnouncePort != 0 ? AnnouncePort : _server.Config.Port;
        string payload = string.Join(',', ip, port.ToString(CultureInfo.InvariantCulture), MyId,
            CurrentEpoch.ToString(CultureInfo.InvariantCulture), master.Name, Announce(masterAddr),
            masterAddr.Port.ToString(CultureInfo.InvariantCulture), master.ConfigEpoch.ToString(CultureInfo.InvariantCulture));
        cmd.Send(reply => { if (!ri.Released && reply.Type != RespType.Error) ri.LastPubTime = Now; },
            ri.MapCommand("PUBLISH"), HelloChannel, payload);
    }

    /// <summary>Makes every instance of a master send its hello at the next timer run (sentinelForceHelloUpdateForMaster).</summary>
    void ForceHelloUpdateForMaster(SentinelInstance master)
    {
        foreach (var ri in master.Sentinels.Values.Concat(master.Slaves.Values).Append(master))
            if (ri.LastPubTime >= PublishPeriod + 1) ri.LastPubTime -= PublishPeriod + 1;
    }

    // ---- INFO ----

    void OnInfoReply(SentinelInstance ri, RespValue reply)
    {
        if (ri.Released) return;
        if (reply.Type is RespType.BulkString or RespType.Verbatim) RefreshFromInfo(ri, System.Text.Encoding.UTF8.GetString(reply.Bytes));
    }

    /// <summary>What INFO tells (sentinelRefreshInstanceInfo): run id, replicas, role and replication facts; then acts on roles.</summary>
    void RefreshFromInfo(SentinelInstance ri, string info)
    {
        ri.Info = info;
        ri.MasterLinkDownTime = 0;
        InstanceFlags role = InstanceFlags.None;
        foreach (var line in info.Split("\r\n"))
        {
            if (line.Length >= 47 && line.StartsWith("run_id:", StringComparison.Ordinal))
            {
                string runId = line.Substring(7, 40);
                if (ri.RunId == null) ri.RunId = runId;
                else if (ri.RunId != runId)
                {
                    Event(LogLevel.Notice, "+reboot", ri);
                    if (ri.Is(InstanceFlags.Master) && ri.MasterRebootDownAfterPeriod != 0)
                    {
                        ri.Flags |= InstanceFlags.MasterRebootDown;
                        ri.MasterRebootSinceTime = Now;
                    }
                    ri.RunId = runId;
                }
            }
            if (ri.Is(InstanceFlags.Master) && line.Length >= 7 && line.StartsWith("slave", StringComparison.Ordinal) && char.IsAsciiDigit(line[5]))
                DiscoverReplicaFromInfoLine(ri, line);
            if (line.Length >= 32 && line.StartsWith("master_link_down_since_seconds", StringComparison.Ordinal))
                ri.MasterLinkDownTime = LeadingInt64(line.AsSpan(31)) * 1000;
            if (line.StartsWith("role:master", StringComparison.Ordinal)) role = InstanceFlags.Master;
            else if (line.StartsWith("role:slave", StringComparison.Ordinal)) role = InstanceFlags.Slave;
            if (role != InstanceFlags.Slave) continue;
            if (line.StartsWith("master_host:", StringComparison.Ordinal))
            {
                string host = line[12..];
                if (ri.SlaveMasterHost == null || !string.Equals(host, ri.SlaveMasterHost, StringComparison.OrdinalIgnoreCase))
                {
                    ri.SlaveMasterHost = host;
                    ri.SlaveConfChangeTime = Now;
                }
            }
            else if (line.StartsWith("master_port:", StringComparison.Ordinal))
            {
                int port = (int)LeadingInt64(line.AsSpan(12));
                if (ri.SlaveMasterPort != port) { ri.SlaveMasterPort = port; ri.SlaveConfChangeTime = Now; }
            }
            else if (line.StartsWith("master_link_status:", StringComparison.Ordinal))
                ri.SlaveMasterLinkUp = line.AsSpan(19).Equals("up", StringComparison.OrdinalIgnoreCase);
            else if (line.StartsWith("slave_priority:", StringComparison.Ordinal))
                ri.SlavePriority = (int)LeadingInt64(line.AsSpan(15));
            else if (line.StartsWith("slave_repl_offset:", StringComparison.Ordinal))
                ri.SlaveReplOffset = LeadingInt64(line.AsSpan(18));
            else if (line.StartsWith("replica_announced:", StringComparison.Ordinal))
                ri.ReplicaAnnounced = LeadingInt64(line.AsSpan(18)) != 0;
        }
        ri.InfoRefresh = Now;

        if (role != ri.RoleReported)
        {
            ri.RoleReportedTime = Now;
            ri.RoleReported = role;
            if (role == InstanceFlags.Slave) ri.SlaveConfChangeTime = Now;
            // "+" when the reported role is the one we have it as, "-" on a mismatch.
            bool coherent = (ri.Flags & (InstanceFlags.Master | InstanceFlags.Slave)) == role;
            Event(LogLevel.Verbose, coherent ? "+role-change" : "-role-change", ri,
                $"new reported role is {(role == InstanceFlags.Master ? "master" : "slave")}");
        }
        if (Tilt) return;
        OnRoleFacts(ri, role);
    }

    /// <summary>atoi/strtoll: the leading digits (with a sign), 0 when there are none.</summary>
    static long LeadingInt64(ReadOnlySpan<char> s)
    {
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
        long v = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && v < long.MaxValue / 10) v = v * 10 + (s[i++] - '0');
        return negative ? -v : v;
    }

    /// <summary>"slave0:ip=127.0.0.1,port=6380,state=online,offset=420,lag=1" (or the old "slave0:ip,port,state").</summary>
    void DiscoverReplicaFromInfoLine(SentinelInstance master, string line)
    {
        string ip, portText;
        int ipAt = line.IndexOf("ip=", StringComparison.Ordinal);
        if (ipAt < 0)
        {
            var fields = line[(line.IndexOf(':') + 1)..].Split(',');
            if (line.IndexOf(':') < 0 || fields.Length < 3) return;
            ip = fields[0];
            portText = fields[1];
        }
        else
        {
            int portAt = line.IndexOf("port=", StringComparison.Ordinal);
            if (portAt < 0) return;
            ip = line[(ipAt + 3)..];
            if (ip.IndexOf(',') is var e1 and >= 0) ip = ip[..e1];
            portText = line[(portAt + 5)..];
            if (portText.IndexOf(',') is var e2 and >= 0) portText = portText[..e2];
        }
        int port = (int)LeadingInt64(portText);
        if (LookupSlave(master, ip, port) != null) return;
        var slave = CreateInstance(null, InstanceFlags.Slave, ip, port, master.Quorum, master, out _);
        if (slave == null) return;
        Event(LogLevel.Notice, "+slave", slave);
        FlushConfig();
    }

    // ---- hello ----

    void OnHelloMessage(SentinelInstance ri, RespValue msg)
    {
        if (ri.Released) return;
        // Our own hellos come back too: any activity shows the pub/sub link is alive.
        ri.Link.PubSubLastActivity = Now;
        if (msg.Type is not (RespType.Array or RespType.Push) || msg.Elements.Length != 3 ||
            msg.Elements.Any(e => e.Type != RespType.BulkString) || !msg.Elements[0].Bytes.AsSpan().SequenceEqual("message"u8)) return;
        string hello = System.Text.Encoding.UTF8.GetString(msg.Elements[2].Bytes);
        if (hello.Contains(MyId, StringComparison.Ordinal)) return;
        ProcessHello(hello);
    }

    /// <summary>
    /// A hello from another sentinel (via pub/sub or sent to our PUBLISH): learn the sentinel (or its
    /// new address), a newer epoch, and a newer configuration of the master (sentinelProcessHelloMessage).
    /// </summary>
    public void ProcessHello(string hello)
    {
        var token = hello.Split(',');
        if (token.Length != 8) return;
        if (!Masters.TryGetValue(token[4], out var master)) return;
        int port = (int)LeadingInt64(token[1]), masterPort = (int)LeadingInt64(token[6]);
        string ip = token[0], runId = token[2];
        long currentEpoch = LeadingInt64(token[3]), masterConfigEpoch = LeadingInt64(token[7]);
        var probe = CreateAddr(ip, port, acceptUnresolved: true, out _);
        var si = probe == null ? null : master.Sentinels.Values.FirstOrDefault(s => s.RunId == runId && SameAddrOrHostname(s.Addr, probe));
        if (si == null)
        {
            // Known under another address: the sentinel moved. Another sentinel at this address: that one is gone.
            int removed = RemoveMatchingSentinelFromMaster(this, master, runId);
            if (removed > 0)
                Event(LogLevel.Notice, "+sentinel-address-switch", master, $"ip {ip} port {port} for {runId}");
            else if (probe != null && master.Sentinels.Values.FirstOrDefault(s => SameAddrOrHostname(s.Addr, probe)) is { } other)
            {
                Event(LogLevel.Notice, "+sentinel-invalid-addr", other);
                string? obsolete = other.RunId;
                foreach (var m in Masters.Values) RemoveMatchingSentinelFromMaster(this, m, obsolete);
            }
            si = CreateInstance(runId, InstanceFlags.Sentinel, ip, port, master.Quorum, master, out _);
            if (si != null)
            {
                if (removed == 0) Event(LogLevel.Notice, "+sentinel", si);
                si.RunId = runId;
                TryConnectionSharing(si);
                if (removed > 0) UpdateSentinelAddressInAllMasters(si);
                FlushConfig();
            }
        }
        if (currentEpoch > CurrentEpoch)
        {
            CurrentEpoch = currentEpoch;
            FlushConfig();
            EventText(LogLevel.Warning, "+new-epoch", master, CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        }
        // A newer configuration of this master (a failover elsewhere): adopt it.
        if (si != null && master.ConfigEpoch < masterConfigEpoch)
        {
            master.ConfigEpoch = masterConfigEpoch;
            if (masterPort != master.Port || !AddrEqualsHostname(master.Addr, token[5]))
            {
                Event(LogLevel.Warning, "+config-update-from", si);
                EventText(LogLevel.Warning, "+switch-master", master,
                    $"{master.Name} {Announce(master.Addr)} {master.Port} {token[5]} {masterPort}");
                var oldAddr = master.Addr;
                if (ResetMasterAndChangeAddress(master, token[5], masterPort))
                    CallClientReconfigScript(master, "observer", "start", oldAddr, master.Addr);
            }
        }
        if (si != null) si.LastHelloTime = Now;
    }

    // ---- SDOWN / ODOWN ----

    void CheckSubjectivelyDown(SentinelInstance ri)
    {
        long now = Now;
        var link = ri.Link;
        long elapsed = link.ActivePingTime != 0 ? now - link.ActivePingTime : link.Disconnected ? now - link.LastAvailTime : 0;
        // A command link that looks connected but whose PING waits for half the period: reconnect it.
        if (link.Command != null && now - link.CommandConnectedAt > MinLinkReconnectPeriod && link.ActivePingTime != 0 &&
            now - link.ActivePingTime > ri.DownAfterMs / 2 && now - link.LastPongTime > ri.DownAfterMs / 2)
            CloseCommandConnection(link);
        // A pub/sub link that stopped delivering even our own hellos: reconnect it.
        if (link.PubSub != null && now - link.PubSubConnectedAt > MinLinkReconnectPeriod &&
            now - link.PubSubLastActivity > PublishPeriod * 3)
            ClosePubSubConnection(link);
        bool down = elapsed > ri.DownAfterMs ||
            ri.Is(InstanceFlags.Master) && ri.RoleReported == InstanceFlags.Slave && now - ri.RoleReportedTime > ri.DownAfterMs + InfoPeriod * 2 ||
            ri.Is(InstanceFlags.MasterRebootDown) && now - ri.MasterRebootSinceTime > ri.MasterRebootDownAfterPeriod;
        if (down)
        {
            if (ri.Is(InstanceFlags.SDown)) return;
            Event(LogLevel.Warning, "+sdown", ri);
            ri.SDownSinceTime = now;
            ri.Flags |= InstanceFlags.SDown;
        }
        else if (ri.Is(InstanceFlags.SDown))
        {
            Event(LogLevel.Warning, "-sdown", ri);
            ri.Flags &= ~(InstanceFlags.SDown | InstanceFlags.ScriptKillSent);
        }
    }

    void CheckObjectivelyDown(SentinelInstance master)
    {
        int quorum = 0;
        bool odown = false;
        if (master.Is(InstanceFlags.SDown))
        {
            quorum = 1 + master.Sentinels.Values.Count(s => s.Is(InstanceFlags.MasterDown));
            odown = quorum >= master.Quorum;
        }
        if (odown)
        {
            if (master.Is(InstanceFlags.ODown)) return;
            Event(LogLevel.Warning, "+odown", master, $"#quorum {quorum}/{master.Quorum}");
            master.Flags |= InstanceFlags.ODown;
            master.ODownSinceTime = Now;
        }
        else if (master.Is(InstanceFlags.ODown))
        {
            Event(LogLevel.Warning, "-odown", master);
            master.Flags &= ~InstanceFlags.ODown;
        }
    }

    /// <summary>Asks every other sentinel whether it sees the master down and, once failing over, for its vote.</summary>
    void AskMasterStateToOtherSentinels(SentinelInstance master, bool forced)
    {
        foreach (var s in master.Sentinels.Values)
        {
            long elapsed = Now - s.LastMasterDownReplyTime;
            // Old answers don't count.
            if (elapsed > AskPeriod * 5)
            {
                s.Flags &= ~InstanceFlags.MasterDown;
                s.Leader = null;
            }
            if (!master.Is(InstanceFlags.SDown) || s.Link.Disconnected || s.Link.Command == null) continue;
            if (!forced && Now - s.LastMasterDownReplyTime < AskPeriod) continue;
            var sentinel = s;
            s.Link.Command.Send(reply => OnIsMasterDownReply(sentinel, reply), s.MapCommand("SENTINEL"), "is-master-down-by-addr",
                Announce(master.Addr), master.Port.ToString(CultureInfo.InvariantCulture), CurrentEpoch.ToString(CultureInfo.InvariantCulture),
                master.FailoverState > FailoverState.None ? MyId : "*");
        }
    }

    void OnIsMasterDownReply(SentinelInstance s, RespValue reply)
    {
        if (s.Released) return;
        // [down-state, leader-runid, leader-epoch]; anything else is ignored (the flag then times out).
        if (reply.Type != RespType.Array || reply.Elements.Length != 3 || reply.Elements[0].Type != RespType.Integer ||
            reply.Elements[1].Type is not (RespType.BulkString or RespType.SimpleString) || reply.Elements[2].Type != RespType.Integer) return;
        s.LastMasterDownReplyTime = Now;
        if (reply.Elements[0].Integer == 1) s.Flags |= InstanceFlags.MasterDown;
        else s.Flags &= ~InstanceFlags.MasterDown;
        string leader = reply.Elements[1].AsText();
        if (leader == "*") return;
        long epoch = reply.Elements[2].Integer;
        if (s.LeaderEpoch != epoch) Log.Warning($"{s.Name} voted for {leader} {epoch}");
        s.Leader = leader;
        s.LeaderEpoch = epoch;
    }
}
