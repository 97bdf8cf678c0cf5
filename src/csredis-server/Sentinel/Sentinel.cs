// Redis Sentinel (Redis's sentinel.c): monitors masters, their replicas and the other sentinels
// watching them, decides when a master is down, and fails over.
//
// Everything runs on the server's event loop. Every 100 ms the timer walks the instances:
// reconnects broken links, sends PING (every second), INFO (every 10 s, every second during a
// failover) and a hello message (every 2 s, published on __sentinel__:hello of masters and
// replicas, which is how sentinels and their configurations discover each other), then judges
// SDOWN (no valid PING reply for down-after-milliseconds) and, for masters, ODOWN (a quorum of
// sentinels agree, asked through SENTINEL IS-MASTER-DOWN-BY-ADDR), and drives failovers
// (SentinelFailover.cs). State changes are events: logged in Redis's words and published on a
// channel named after the event, and the config file is rewritten (SentinelConfig.cs).
using System.Globalization;
using System.Net;
using Csredis.Common;
using Csredis.Common.Client;
using Csredis.Common.Logging;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    public const string HelloChannel = "__sentinel__:hello";
    const long PingPeriod = 1000, InfoPeriod = 10_000, HelloPeriod = 2000, AskPeriod = 1000;
    const long MinLinkReconnectPeriod = 15_000, TiltTrigger = 2000, TiltPeriod = 30_000;

    readonly RedisServer _server;
    public string MyId = "";
    public long CurrentEpoch;
    public readonly Dictionary<string, SentinelInstance> Masters = new();
    public bool Tilt;
    public long TiltStartTime;
    long _previousTimerTime = Clock.UnixMs();
    public string AnnounceIp = "";
    public int AnnouncePort;
    public bool DenyScriptsReconfig = true;
    public bool ResolveHostnames, AnnounceHostnames;
    public string SentinelUser = "", SentinelPass = "";
    public int SimulateFailureFlags;
    /// <summary>Publishes an event to the sentinel's own pub/sub subscribers (wired to the server's pub/sub).</summary>
    public Action<string, string>? Publish;

    public SentinelState(RedisServer server) => _server = server;

    // Wall-clock milliseconds, as Redis's mstime(): 0 means "long ago"; TILT mode covers clock jumps.
    long Now => Clock.UnixMs();

    /// <summary>Logs and publishes an event (Redis's sentinelEvent): "+sdown master mymaster 127.0.0.1 6379".</summary>
    /// <param name="details">False for events whose text is only <paramref name="extra"/> (+switch-master, +new-epoch...).</param>
    public void Event(LogLevel level, string type, SentinelInstance? instance, string? extra = null, bool details = true)
    {
        string message = instance == null || !details ? extra ?? "" : instance.Details() + (extra == null ? "" : " " + extra);
        Log.Write(level, type + " " + message);
        if (level != LogLevel.Debug) Publish?.Invoke(type, message);
        if (level == LogLevel.Warning && instance != null) QueueNotificationScript(instance, type, message);
    }

    /// <summary>The sentinel timer (sentinelTimer), called from serverCron.</summary>
    public void Timer()
    {
        CheckTilt();
        foreach (var master in Masters.Values.ToArray())
        {
            HandleInstance(master);
            foreach (var slave in master.Slaves.Values.ToArray()) HandleInstance(slave);
            foreach (var sentinel in master.Sentinels.Values.ToArray()) HandleInstance(sentinel);
            if (master.Is(InstanceFlags.FailoverInProgress) || master.FailoverState != FailoverState.None || master.PromotedSlave != null)
                HandleFailoverEnd(master);
        }
        RunPendingScripts();
    }

    void CheckTilt()
    {
        long now = Now, delta = now - _previousTimerTime;
        // A clock jump or a long stall makes every timing judgement wrong: stop acting for a while.
        if (delta < 0 || delta > TiltTrigger)
        {
            Tilt = true;
            TiltStartTime = now;
            Event(LogLevel.Warning, "+tilt", null, "#tilt mode entered");
        }
        _previousTimerTime = now;
    }

    void HandleInstance(SentinelInstance ri)
    {
        ReconnectInstance(ri);
        SendPeriodicCommands(ri);
        if (Tilt)
        {
            if (Now - TiltStartTime < TiltPeriod) return;
            Tilt = false;
            Event(LogLevel.Warning, "-tilt", null, "#tilt mode exited");
        }
        CheckSubjectivelyDown(ri);
        if (ri.Is(InstanceFlags.Master))
        {
            CheckObjectivelyDown(ri);
            if (StartFailoverIfNeeded(ri)) AskMasterStateToOtherSentinels(ri, force: true);
            FailoverStateMachine(ri);
            AskMasterStateToOtherSentinels(ri, force: false);
        }
    }

    // ---- links ----

    void ReconnectInstance(SentinelInstance ri)
    {
        var link = ri.Link;
        if (!link.Disconnected) return;
        if (ri.Port == 0) return;
        long now = Now;
        if (now - link.LastReconnectTime < PingPeriod) return;
        link.LastReconnectTime = now;
        if (!IPAddress.TryParse(ri.Ip, out var ip))
        {
            try { ip = Dns.GetHostAddresses(ri.Ip).FirstOrDefault(); } catch (System.Net.Sockets.SocketException) { ip = null; }
            if (ip == null) return;
        }
        if (link.Command == null || !link.Command.IsOpen)
        {
            var cmd = new AsyncConnection(_server.Loop);
            link.Command = cmd;
            cmd.OnClosed = reason => OnLinkClosed(ri, "cmd", reason);
            if (!cmd.Connect(ip, ri.Port)) { link.Command = null; return; }
            link.CommandConnectedAt = now;
            // ActivePingTime survives reconnections: an instance is down since its oldest unanswered PING.
            Authenticate(ri, cmd);
            cmd.Send(null, "CLIENT", "SETNAME", ClientName("cmd"));
            SendPing(ri);
        }
        if (!ri.Is(InstanceFlags.Sentinel) && (link.PubSub == null || !link.PubSub.IsOpen))
        {
            var pc = new AsyncConnection(_server.Loop) { Subscribed = true };
            link.PubSub = pc;
            pc.OnClosed = reason => OnLinkClosed(ri, "pubsub", reason);
            pc.OnPush = msg => OnHelloMessage(ri, msg);
            if (!pc.Connect(ip, ri.Port)) { link.PubSub = null; return; }
            link.PubSubConnectedAt = now;
            link.PubSubLastActivity = now;
            Authenticate(ri, pc);
            pc.Send(null, "CLIENT", "SETNAME", ClientName("pubsub"));
            pc.Send(null, "SUBSCRIBE", HelloChannel);
        }
        link.Disconnected = link.Command == null || (!ri.Is(InstanceFlags.Sentinel) && link.PubSub == null);
    }

    string ClientName(string kind) => $"sentinel-{MyId[..8]}-{kind}";

    void Authenticate(SentinelInstance ri, AsyncConnection conn)
    {
        var master = ri.Is(InstanceFlags.Master) ? ri : ri.Master!;
        string? user, pass;
        if (ri.Is(InstanceFlags.Sentinel)) { user = SentinelUser.Length > 0 ? SentinelUser : null; pass = SentinelPass.Length > 0 ? SentinelPass : null; }
        else { user = master.AuthUser; pass = master.AuthPass; }
        if (pass == null) return;
        if (user != null) conn.Send(null, "AUTH", user, pass);
        else conn.Send(null, "AUTH", pass);
    }

    void OnLinkClosed(SentinelInstance ri, string which, string reason)
    {
        var link = ri.Link;
        if (which == "cmd") link.Command = null; else link.PubSub = null;
        if (!link.Disconnected)
        {
            link.Disconnected = true;
            Event(LogLevel.Debug, $"-{which}-link", ri, "#" + reason);
        }
    }

    void CloseLink(SentinelInstance ri)
    {
        ri.Link.Command?.Close("closing");
        ri.Link.PubSub?.Close("closing");
        ri.Link.Command = ri.Link.PubSub = null;
        ri.Link.Disconnected = true;
    }

    // ---- periodic PING / INFO / hello ----

    void SendPeriodicCommands(SentinelInstance ri)
    {
        var link = ri.Link;
        if (link.Disconnected || link.Command == null || !link.Command.IsConnected && link.Command.PendingReplies > 0 && false) return;
        if (link.PendingCommands >= 100) return; // a stuck link: don't pile up more
        long now = Now;
        long infoPeriod = InfoPeriod;
        // During failovers and when the master is down, INFO every second to react quickly.
        if (ri.Is(InstanceFlags.Slave) && (ri.Master!.Is(InstanceFlags.ODown | InstanceFlags.FailoverInProgress))
            || ri.Is(InstanceFlags.MasterRebootDown))
            infoPeriod = 1000;
        long pingPeriod = Math.Min(ri.Is(InstanceFlags.Master) ? ri.DownAfterMs : ri.Master!.DownAfterMs, PingPeriod);
        if (!ri.Is(InstanceFlags.Sentinel) && (ri.InfoRefresh == 0 || now - ri.InfoRefresh > infoPeriod))
            link.Command.Send(reply => OnInfoReply(ri, reply), "INFO");
        if (now - link.LastPongTime > pingPeriod && now - link.LastPingTime > pingPeriod / 2)
            SendPing(ri);
        if (now - ri.LastHelloTime > HelloPeriod && ri.Is(InstanceFlags.Master | InstanceFlags.Slave))
            SendHello(ri);
    }

    void SendPing(SentinelInstance ri)
    {
        var cmd = ri.Link.Command;
        if (cmd == null) return;
        long now = Now;
        cmd.Send(reply => OnPingReply(ri, reply), "PING");
        ri.Link.LastPingTime = now;
        if (ri.Link.ActivePingTime == 0) ri.Link.ActivePingTime = now;
    }

    void OnPingReply(SentinelInstance ri, RespValue reply)
    {
        var link = ri.Link;
        long now = Now;
        link.LastPongTime = now;
        if (reply.Type is RespType.SimpleString or RespType.Error)
        {
            string text = reply.AsText();
            if (reply.Type == RespType.SimpleString || text.StartsWith("LOADING", StringComparison.Ordinal) ||
                text.StartsWith("MASTERDOWN", StringComparison.Ordinal))
            {
                link.LastAvailTime = now;
                link.ActivePingTime = 0;
            }
            else if (text.StartsWith("BUSY", StringComparison.Ordinal) && ri.Is(InstanceFlags.SDown) && !ri.Is(InstanceFlags.ScriptKillSent))
            {
                link.Command?.Send(null, "SCRIPT", "KILL");
                ri.Flags |= InstanceFlags.ScriptKillSent;
            }
        }
        link.Disconnected = false;
    }

    void SendHello(SentinelInstance ri)
    {
        var master = ri.Is(InstanceFlags.Master) ? ri : ri.Master!;
        string ip = AnnounceIp.Length > 0 ? AnnounceIp : LocalAddressFor(ri);
        int port = AnnouncePort > 0 ? AnnouncePort : _server.Config.Port;
        var (masterIp, masterPort) = master.CurrentAddress;
        string payload = string.Join(',', ip, port, MyId, CurrentEpoch, master.Name, masterIp, masterPort, master.ConfigEpoch);
        ri.Link.Command?.Send(reply => { if (reply.Type != RespType.Error) ri.LastHelloTime = Now; }, "PUBLISH", HelloChannel, payload);
        ri.LastHelloTime = Now; // don't flood while the reply is pending
    }

    /// <summary>The address other sentinels can reach us at: our end of the link, as Redis's anetFdToString.</summary>
    string LocalAddressFor(SentinelInstance ri) => _server.BoundAddresses.Count > 0 && _server.BoundAddresses[0].Address is not ("*" or "0.0.0.0" or "::")
        ? _server.BoundAddresses[0].Address : "127.0.0.1";

    // ---- INFO ----

    void OnInfoReply(SentinelInstance ri, RespValue reply)
    {
        if (reply.Type != RespType.BulkString && reply.Type != RespType.Verbatim) return;
        RefreshFromInfo(ri, System.Text.Encoding.UTF8.GetString(reply.Bytes));
    }

    void RefreshFromInfo(SentinelInstance ri, string info)
    {
        long now = Now;
        ri.Info = info;
        ri.InfoRefresh = now;
        InstanceFlags role = InstanceFlags.None;
        bool sawRunId = false;
        ri.MasterLinkDownTime = 0;
        foreach (var rawLine in info.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.StartsWith("run_id:", StringComparison.Ordinal) && line.Length == 47)
            {
                string runId = line[7..];
                if (ri.RunId != null && ri.RunId != runId)
                {
                    Event(LogLevel.Notice, "+reboot", ri);
                    if (ri.Is(InstanceFlags.Master) && ri.MasterRebootDownAfterPeriod != 0)
                    {
                        ri.Flags |= InstanceFlags.MasterRebootDown;
                        ri.MasterRebootSinceTime = now;
                    }
                }
                ri.RunId = runId;
                sawRunId = true;
            }
            else if (ri.Is(InstanceFlags.Master) && line.StartsWith("slave", StringComparison.Ordinal) && line.Contains(":ip=", StringComparison.Ordinal))
                DiscoverReplicaFromInfoLine(ri, line);
            else if (line.StartsWith("role:", StringComparison.Ordinal))
                role = line[5..] == "master" ? InstanceFlags.Master : line[5..] == "slave" ? InstanceFlags.Slave : InstanceFlags.None;
            else if (line.StartsWith("master_link_down_since_seconds:", StringComparison.Ordinal) &&
                long.TryParse(line.AsSpan(31), out long downSince))
                ri.MasterLinkDownTime = downSince * 1000;
            else if (line.StartsWith("master_host:", StringComparison.Ordinal))
            {
                string host = line[12..];
                if (ri.SlaveMasterHost != host) { ri.SlaveMasterHost = host; ri.SlaveConfChangeTime = now; }
            }
            else if (line.StartsWith("master_port:", StringComparison.Ordinal) && int.TryParse(line.AsSpan(12), out int mport))
            {
                if (ri.SlaveMasterPort != mport) { ri.SlaveMasterPort = mport; ri.SlaveConfChangeTime = now; }
            }
            else if (line.StartsWith("master_link_status:", StringComparison.Ordinal))
                ri.SlaveMasterLinkUp = line[19..] == "up";
            else if (line.StartsWith("slave_priority:", StringComparison.Ordinal) && int.TryParse(line.AsSpan(15), out int prio))
                ri.SlavePriority = prio;
            else if (line.StartsWith("slave_repl_offset:", StringComparison.Ordinal) && long.TryParse(line.AsSpan(18), out long off))
                ri.SlaveReplOffset = off;
            else if (line.StartsWith("replica_announced:", StringComparison.Ordinal))
                ri.ReplicaAnnounced = line[18..] != "0";
        }
        _ = sawRunId;
        if (role != InstanceFlags.None && role != ri.RoleReported)
        {
            ri.RoleReported = role;
            ri.RoleReportedTime = now;
            if (role == InstanceFlags.Slave) ri.SlaveConfChangeTime = now;
            // The first INFO of a fresh sentinel is logged at debug level: nothing changed for anyone else.
            Event(ri.Info == null ? LogLevel.Debug : LogLevel.Verbose, role == InstanceFlags.Master ? "+role-change" : "-role-change", ri,
                $"new reported role is {(role == InstanceFlags.Master ? "master" : "slave")}");
        }
        if (Tilt) return;
        OnRoleFacts(ri, role);
    }

    void DiscoverReplicaFromInfoLine(SentinelInstance master, string line)
    {
        // slave0:ip=127.0.0.1,port=6380,state=online,offset=420,lag=1
        string? ip = null;
        int port = 0;
        foreach (var field in line[(line.IndexOf(':') + 1)..].Split(','))
        {
            if (field.StartsWith("ip=", StringComparison.Ordinal)) ip = field[3..];
            else if (field.StartsWith("port=", StringComparison.Ordinal)) int.TryParse(field.AsSpan(5), out port);
        }
        if (ip == null || port == 0) return;
        string name = ip + ":" + port;
        if (master.Slaves.ContainsKey(name)) return;
        var slave = new SentinelInstance(InstanceFlags.Slave, name, ip, port, master);
        master.Slaves[name] = slave;
        Event(LogLevel.Notice, "+slave", slave);
        FlushConfig();
    }

    // ---- hello ----

    void OnHelloMessage(SentinelInstance ri, RespValue msg)
    {
        ri.Link.PubSubLastActivity = Now;
        // ["message", "__sentinel__:hello", payload]
        if (msg.Elements.Length != 3 || msg.Elements[0].AsText() != "message") return;
        ProcessHello(System.Text.Encoding.UTF8.GetString(msg.Elements[2].Bytes));
    }

    public void ProcessHello(string hello)
    {
        var token = hello.Split(',');
        if (token.Length != 8) return;
        string ip = token[0], runId = token[2], masterName = token[4], masterIp = token[5];
        if (!int.TryParse(token[1], out int port) || !long.TryParse(token[3], out long epoch) ||
            !int.TryParse(token[6], out int masterPort) || !long.TryParse(token[7], out long masterConfigEpoch)) return;
        if (runId == MyId) return; // our own hello
        if (!Masters.TryGetValue(masterName, out var master)) return;
        // Redis 7 names sentinel instances by their run id.
        var si = master.Sentinels.Values.FirstOrDefault(s => s.RunId == runId && s.Ip == ip && s.Port == port);
        if (si == null)
        {
            // Same run id at another address, or another run id at this address: the old entry is stale.
            int removed = RemoveMatchingSentinelFromMaster(master, runId);
            if (removed > 0) Event(LogLevel.Notice, "+sentinel-address-switch", master, $"ip {ip} port {port} for {runId}");
            else
            {
                // Another run id at this address: that entry's address is no longer valid (port 0 marks it).
                foreach (var other in master.Sentinels.Values.Where(s => s.Ip == ip && s.Port == port).ToArray())
                {
                    Event(LogLevel.Notice, "+sentinel-invalid-addr", other);
                    CloseLink(other);
                    master.Sentinels.Remove(other.Name);
                    other.Port = 0;
                }
            }
            si = new SentinelInstance(InstanceFlags.Sentinel, runId, ip, port, master) { RunId = runId };
            master.Sentinels[runId] = si;
            Event(LogLevel.Notice, "+sentinel", si);
            FlushConfig();
        }
        if (epoch > CurrentEpoch)
        {
            CurrentEpoch = epoch;
            FlushConfig();
            Event(LogLevel.Warning, "+new-epoch", master, epoch.ToString(CultureInfo.InvariantCulture), details: false);
        }
        // A newer configuration of this master (after a failover elsewhere): adopt it.
        if (master.ConfigEpoch < masterConfigEpoch)
        {
            master.ConfigEpoch = masterConfigEpoch;
            if (master.Ip != masterIp || master.Port != masterPort)
            {
                Event(LogLevel.Warning, "+config-update-from", si);
                Event(LogLevel.Warning, "+switch-master", master, $"{masterName} {master.Ip} {master.Port} {masterIp} {masterPort}", details: false);
                ResetMasterAndChangeAddress(master, masterIp, masterPort);
            }
        }
        si.LastHelloTime = Now;
    }

    static int RemoveMatchingSentinelFromMaster(SentinelInstance master, string runId)
    {
        int removed = 0;
        foreach (var s in master.Sentinels.Values.Where(s => s.RunId == runId).ToArray())
        {
            s.Link.Command?.Close("address switch");
            master.Sentinels.Remove(s.Name);
            removed++;
        }
        return removed;
    }

    // ---- SDOWN / ODOWN ----

    void CheckSubjectivelyDown(SentinelInstance ri)
    {
        long now = Now;
        var link = ri.Link;
        long elapsed = link.ActivePingTime != 0 ? now - link.ActivePingTime : link.Disconnected ? now - link.LastAvailTime : 0;
        long downAfter = ri.Is(InstanceFlags.Master) ? ri.DownAfterMs : ri.Master!.DownAfterMs;
        // A connected link that stopped answering for half the period gets a fresh connection.
        if (link.Command != null && link.Command.IsConnected && now - link.CommandConnectedAt >= MinLinkReconnectPeriod &&
            link.ActivePingTime != 0 && now - link.ActivePingTime > downAfter / 2 && now - link.LastPongTime > downAfter / 2)
            link.Command.Close("Connection timed out");
        bool down = elapsed > downAfter ||
            ri.Is(InstanceFlags.Master) && ri.RoleReported == InstanceFlags.Slave && now - ri.RoleReportedTime > downAfter + InfoPeriod * 2 ||
            ri.Is(InstanceFlags.MasterRebootDown) && now - ri.MasterRebootSinceTime > ri.MasterRebootDownAfterPeriod;
        if (down)
        {
            if (!ri.Is(InstanceFlags.SDown))
            {
                Event(LogLevel.Warning, "+sdown", ri);
                ri.SDownSinceTime = now;
                ri.Flags |= InstanceFlags.SDown;
            }
        }
        else if (ri.Is(InstanceFlags.SDown))
        {
            Event(LogLevel.Warning, "-sdown", ri);
            ri.Flags &= ~(InstanceFlags.SDown | InstanceFlags.ScriptKillSent);
        }
    }

    void CheckObjectivelyDown(SentinelInstance master)
    {
        bool odown = false;
        int quorum = 0;
        if (master.Is(InstanceFlags.SDown))
        {
            quorum = 1; // ourselves
            foreach (var s in master.Sentinels.Values) if (s.Is(InstanceFlags.MasterDown)) quorum++;
            odown = quorum >= master.Quorum;
        }
        if (odown)
        {
            if (!master.Is(InstanceFlags.ODown))
            {
                Event(LogLevel.Warning, "+odown", master, $"#quorum {quorum}/{master.Quorum}");
                master.Flags |= InstanceFlags.ODown;
                master.ODownSinceTime = Now;
            }
        }
        else if (master.Is(InstanceFlags.ODown))
        {
            Event(LogLevel.Warning, "-odown", master);
            master.Flags &= ~InstanceFlags.ODown;
        }
    }

    /// <summary>Asks every other sentinel whether it sees the master down (and, when failing over, for its vote).</summary>
    void AskMasterStateToOtherSentinels(SentinelInstance master, bool force)
    {
        if (!master.Is(InstanceFlags.SDown)) return;
        long now = Now;
        foreach (var s in master.Sentinels.Values)
        {
            long elapsed = now - s.LastMasterDownReplyTime;
            // Stale answers don't count.
            if (elapsed > AskPeriod * 5)
            {
                s.Flags &= ~InstanceFlags.MasterDown;
                s.Leader = null;
            }
            if (!force && elapsed < AskPeriod) continue;
            var cmd = s.Link.Command;
            if (s.Link.Disconnected || cmd == null || !cmd.IsConnected) continue;
            bool failing = master.FailoverState > FailoverState.None;
            var sentinel = s;
            cmd.Send(reply => OnIsMasterDownReply(sentinel, reply), "SENTINEL", "is-master-down-by-addr", master.Ip,
                master.Port.ToString(CultureInfo.InvariantCulture), CurrentEpoch.ToString(CultureInfo.InvariantCulture), failing ? MyId : "*");
        }
    }

    void OnIsMasterDownReply(SentinelInstance s, RespValue reply)
    {
        // [down-state, leader-runid, leader-epoch]
        if (reply.Type != RespType.Array || reply.Elements.Length != 3 || reply.Elements[0].Type != RespType.Integer) return;
        s.LastMasterDownReplyTime = Now;
        if (reply.Elements[0].Integer == 1) s.Flags |= InstanceFlags.MasterDown;
        else s.Flags &= ~InstanceFlags.MasterDown;
        string leader = reply.Elements[1].AsText();
        if (leader != "*")
        {
            if (s.LeaderEpoch != reply.Elements[2].Integer)
                Log.Warning($"{s.Name} voted for {leader} {reply.Elements[2].Integer}");
            s.Leader = leader;
            s.LeaderEpoch = reply.Elements[2].Integer;
        }
    }
}
