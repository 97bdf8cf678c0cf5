// Failover (Redis's sentinel.c failover half): once a master is ODOWN, a sentinel starts a new
// epoch and asks the others for their vote; the one elected by a majority (and at least the
// quorum) promotes the best replica with MULTI / REPLICAOF NO ONE / CONFIG REWRITE / CLIENT KILL /
// EXEC, waits for INFO to show it as master, points the other replicas at it (parallel-syncs at a
// time), and finally switches the master's address. Every other sentinel learns the new
// configuration from the leader's hello messages (higher config epoch wins).
using System.Globalization;
using Csredis.Common;
using Csredis.Common.Logging;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    const long ElectionTimeout = 10_000, SlaveReconfTimeout = 10_000, MaxDesync = 1000;
    readonly Random _random = new();

    /// <summary>SENTINEL IS-MASTER-DOWN-BY-ADDR with a run id: vote for <paramref name="runId"/> once per epoch.</summary>
    public string? VoteLeader(SentinelInstance master, long requestEpoch, string runId, out long leaderEpoch)
    {
        if (requestEpoch > CurrentEpoch)
        {
            CurrentEpoch = requestEpoch;
            FlushConfig();
            Event(LogLevel.Warning, "+new-epoch", master, CurrentEpoch.ToString(CultureInfo.InvariantCulture), details: false);
        }
        if (master.LeaderEpoch < requestEpoch && CurrentEpoch <= requestEpoch)
        {
            master.Leader = runId;
            master.LeaderEpoch = CurrentEpoch;
            FlushConfig();
            Event(LogLevel.Warning, "+vote-for-leader", master, $"{runId} {master.LeaderEpoch}", details: false);
            // Having voted for another sentinel, don't start our own failover right away.
            if (!string.Equals(master.Leader, MyId, StringComparison.OrdinalIgnoreCase))
                master.FailoverStartTime = Now + _random.Next((int)MaxDesync);
        }
        leaderEpoch = master.LeaderEpoch;
        return master.Leader;
    }

    string? GetLeader(SentinelInstance master, long epoch)
    {
        var counters = new Dictionary<string, int>();
        int voters = master.Sentinels.Count + 1;
        foreach (var s in master.Sentinels.Values)
            if (s.Leader != null && s.LeaderEpoch == CurrentEpoch)
                counters[s.Leader] = counters.GetValueOrDefault(s.Leader) + 1;
        string? winner = null;
        int maxVotes = 0;
        foreach (var (candidate, votes) in counters)
            if (votes > maxVotes) { maxVotes = votes; winner = candidate; }
        // Our own vote: the most voted sentinel, or ourselves when nobody voted yet.
        string? myVote = VoteLeader(master, epoch, winner ?? MyId, out long leaderEpoch);
        if (myVote != null && leaderEpoch == epoch)
        {
            int votes = counters.GetValueOrDefault(myVote) + 1;
            counters[myVote] = votes;
            if (votes > maxVotes) { maxVotes = votes; winner = myVote; }
        }
        int votersQuorum = voters / 2 + 1;
        if (winner != null && (maxVotes < votersQuorum || maxVotes < master.Quorum)) winner = null;
        return winner;
    }

    bool StartFailoverIfNeeded(SentinelInstance master)
    {
        if (!master.Is(InstanceFlags.ODown) || master.Is(InstanceFlags.FailoverInProgress)) return false;
        long now = Now;
        if (now - master.FailoverStartTime < master.FailoverTimeout * 2)
        {
            if (master.FailoverDelayLogged != master.FailoverStartTime)
            {
                var when = DateTime.Now.AddMilliseconds(master.FailoverStartTime + master.FailoverTimeout * 2 - now);
                master.FailoverDelayLogged = master.FailoverStartTime;
                Log.Warning($"Next failover delay: I will not start a failover before {when:ddd MMM d HH:mm:ss yyyy}");
            }
            return false;
        }
        StartFailover(master);
        return true;
    }

    public void StartFailover(SentinelInstance master)
    {
        master.FailoverState = FailoverState.WaitStart;
        master.Flags |= InstanceFlags.FailoverInProgress;
        master.FailoverEpoch = ++CurrentEpoch;
        Event(LogLevel.Warning, "+new-epoch", master, CurrentEpoch.ToString(CultureInfo.InvariantCulture), details: false);
        Event(LogLevel.Warning, "+try-failover", master);
        master.FailoverStartTime = Now + _random.Next((int)MaxDesync);
        master.FailoverStateChangeTime = Now;
    }

    void FailoverStateMachine(SentinelInstance master)
    {
        if (!master.Is(InstanceFlags.FailoverInProgress)) return;
        switch (master.FailoverState)
        {
            case FailoverState.WaitStart: FailoverWaitStart(master); break;
            case FailoverState.SelectSlave: FailoverSelectSlave(master); break;
            case FailoverState.SendSlaveofNoOne: FailoverSendSlaveOfNoOne(master); break;
            case FailoverState.WaitPromotion: FailoverWaitPromotion(master); break;
            case FailoverState.ReconfSlaves: FailoverReconfNextSlave(master); break;
        }
    }

    void FailoverWaitStart(SentinelInstance master)
    {
        string? leader = GetLeader(master, master.FailoverEpoch);
        bool isLeader = leader != null && string.Equals(leader, MyId, StringComparison.OrdinalIgnoreCase);
        if (!isLeader && !master.Is(InstanceFlags.ForceFailover))
        {
            long electionTimeout = Math.Min(ElectionTimeout, master.FailoverTimeout);
            if (Now - master.FailoverStartTime > electionTimeout)
            {
                Event(LogLevel.Warning, "-failover-abort-not-elected", master);
                AbortFailover(master);
            }
            return;
        }
        Event(LogLevel.Warning, "+elected-leader", master);
        if ((SimulateFailureFlags & SimFailureCrashAfterElection) != 0) SimulatedCrash();
        master.FailoverState = FailoverState.SelectSlave;
        master.FailoverStateChangeTime = Now;
        Event(LogLevel.Warning, "+failover-state-select-slave", master);
    }

    void FailoverSelectSlave(SentinelInstance master)
    {
        var slave = SelectSlave(master);
        if (slave == null)
        {
            Event(LogLevel.Warning, "-failover-abort-no-good-slave", master);
            AbortFailover(master);
            return;
        }
        Event(LogLevel.Warning, "+selected-slave", slave);
        slave.Flags |= InstanceFlags.Promoted;
        master.PromotedSlave = slave;
        master.FailoverState = FailoverState.SendSlaveofNoOne;
        master.FailoverStateChangeTime = Now;
        Event(LogLevel.Notice, "+failover-state-send-slaveof-noone", slave);
    }

    /// <summary>The replica to promote: usable, then by priority, replication offset and run id (Redis's compareSlavesForPromotion).</summary>
    public SentinelInstance? SelectSlave(SentinelInstance master)
    {
        long now = Now;
        long maxMasterDownTime = master.DownAfterMs * 10;
        if (master.Is(InstanceFlags.SDown)) maxMasterDownTime += now - master.SDownSinceTime;
        long infoValidity = master.Is(InstanceFlags.SDown) ? PingPeriod * 5 : InfoPeriod * 3;
        var candidates = master.Slaves.Values.Where(s =>
            !s.Is(InstanceFlags.SDown | InstanceFlags.ODown) && !s.Link.Disconnected &&
            now - s.Link.LastAvailTime <= PingPeriod * 5 && s.SlavePriority != 0 &&
            now - s.InfoRefresh <= infoValidity && s.MasterLinkDownTime <= maxMasterDownTime).ToList();
        candidates.Sort((a, b) =>
        {
            if (a.SlavePriority != b.SlavePriority) return a.SlavePriority.CompareTo(b.SlavePriority);
            if (a.SlaveReplOffset != b.SlaveReplOffset) return b.SlaveReplOffset.CompareTo(a.SlaveReplOffset);
            if (a.RunId == null) return b.RunId == null ? 0 : 1;
            if (b.RunId == null) return -1;
            return string.Compare(a.RunId, b.RunId, StringComparison.OrdinalIgnoreCase);
        });
        return candidates.FirstOrDefault();
    }

    void FailoverSendSlaveOfNoOne(SentinelInstance master)
    {
        var slave = master.PromotedSlave!;
        if (slave.Link.Disconnected)
        {
            if (Now - master.FailoverStateChangeTime > master.FailoverTimeout)
            {
                Event(LogLevel.Warning, "-failover-abort-slave-timeout", master);
                AbortFailover(master);
            }
            return;
        }
        if (!SendReplicaOf(slave, null, 0)) return;
        Event(LogLevel.Notice, "+failover-state-wait-promotion", slave);
        master.FailoverState = FailoverState.WaitPromotion;
        master.FailoverStateChangeTime = Now;
    }

    void FailoverWaitPromotion(SentinelInstance master)
    {
        // The promotion itself is noticed in INFO (OnRoleFacts); here only the timeout.
        if (Now - master.FailoverStateChangeTime > master.FailoverTimeout)
        {
            Event(LogLevel.Warning, "-failover-abort-slave-timeout", master);
            AbortFailover(master);
        }
    }

    void FailoverReconfNextSlave(SentinelInstance master)
    {
        int inProgress = master.Slaves.Values.Count(s => s.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog));
        long now = Now;
        foreach (var slave in master.Slaves.Values)
        {
            if (inProgress >= master.ParallelSyncs) break;
            if (slave.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone)) continue;
            if (slave.Is(InstanceFlags.ReconfSent) && now - slave.SlaveReconfSentTime > SlaveReconfTimeout)
            {
                Event(LogLevel.Notice, "-slave-reconf-sent-timeout", slave);
                slave.Flags &= ~InstanceFlags.ReconfSent;
                slave.Flags |= InstanceFlags.ReconfDone;
            }
            if (slave.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog)) continue;
            if (slave.Link.Disconnected) continue;
            var promoted = master.PromotedSlave!;
            if (SendReplicaOf(slave, promoted.Ip, promoted.Port))
            {
                slave.Flags |= InstanceFlags.ReconfSent;
                slave.SlaveReconfSentTime = now;
                Event(LogLevel.Notice, "+slave-reconf-sent", slave);
                inProgress++;
            }
        }
        FailoverDetectEnd(master);
    }

    void FailoverDetectEnd(SentinelInstance master)
    {
        var promoted = master.PromotedSlave;
        if (promoted == null || promoted.Is(InstanceFlags.SDown)) return;
        int notReconfigured = master.Slaves.Values.Count(s => !s.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone) && !s.Is(InstanceFlags.SDown));
        bool timeout = false;
        if (Now - master.FailoverStateChangeTime > master.FailoverTimeout)
        {
            notReconfigured = 0;
            timeout = true;
            Event(LogLevel.Warning, "+failover-end-for-timeout", master);
        }
        if (notReconfigured != 0) return;
        Event(LogLevel.Warning, "+failover-end", master);
        master.FailoverState = FailoverState.UpdateConfig;
        master.FailoverStateChangeTime = Now;
        if (!timeout) return;
        // Best effort for the replicas that never confirmed: send them the new master anyway.
        foreach (var slave in master.Slaves.Values)
        {
            if (slave.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone | InstanceFlags.ReconfSent) || slave.Link.Disconnected) continue;
            if (SendReplicaOf(slave, promoted.Ip, promoted.Port))
            {
                Event(LogLevel.Notice, "+slave-reconf-sent-be", slave);
                slave.Flags |= InstanceFlags.ReconfSent;
            }
        }
    }

    void HandleFailoverEnd(SentinelInstance master)
    {
        if (master.FailoverState != FailoverState.UpdateConfig || master.PromotedSlave == null) return;
        var promoted = master.PromotedSlave;
        Event(LogLevel.Warning, "+switch-master", master, $"{master.Name} {master.Ip} {master.Port} {promoted.Ip} {promoted.Port}", details: false);
        ResetMasterAndChangeAddress(master, promoted.Ip, promoted.Port);
    }

    public void AbortFailover(SentinelInstance master)
    {
        master.Flags &= ~(InstanceFlags.FailoverInProgress | InstanceFlags.ForceFailover);
        master.FailoverState = FailoverState.None;
        master.FailoverStateChangeTime = Now;
        if (master.PromotedSlave != null)
        {
            master.PromotedSlave.Flags &= ~InstanceFlags.Promoted;
            master.PromotedSlave = null;
        }
    }

    /// <summary>Reconfigures an instance atomically, as Redis's sentinelSendSlaveOf: null host means REPLICAOF NO ONE.</summary>
    bool SendReplicaOf(SentinelInstance ri, string? host, int port)
    {
        var cmd = ri.Link.Command;
        if (cmd == null || !cmd.IsConnected) return false;
        cmd.Send(null, "MULTI");
        if (host == null) cmd.Send(null, "SLAVEOF", "NO", "ONE");
        else cmd.Send(null, "SLAVEOF", host, port.ToString(CultureInfo.InvariantCulture));
        cmd.Send(null, "CONFIG", "REWRITE");
        cmd.Send(null, "CLIENT", "KILL", "TYPE", "normal");
        cmd.Send(null, "CLIENT", "KILL", "TYPE", "pubsub");
        cmd.Send(null, "EXEC");
        return true;
    }

    /// <summary>What INFO says about roles drives failover progress and fixes misconfigured instances.</summary>
    void OnRoleFacts(SentinelInstance ri, InstanceFlags role)
    {
        long now = Now;
        if (ri.Is(InstanceFlags.Slave) && role == InstanceFlags.Master)
        {
            var master = ri.Master!;
            if (ri.Is(InstanceFlags.Promoted) && master.Is(InstanceFlags.FailoverInProgress) && master.FailoverState == FailoverState.WaitPromotion)
            {
                master.ConfigEpoch = master.FailoverEpoch;
                master.FailoverState = FailoverState.ReconfSlaves;
                master.FailoverStateChangeTime = now;
                FlushConfig();
                Event(LogLevel.Warning, "+promoted-slave", ri);
                if ((SimulateFailureFlags & SimFailureCrashAfterPromotion) != 0) SimulatedCrash();
                Event(LogLevel.Warning, "+failover-state-reconf-slaves", master);
                QueueClientReconfigScript(master, "leader", "start", master.Ip, master.Port, ri.Ip, ri.Port);
                // Tell everyone now rather than at the next hello period.
                foreach (var r in master.Slaves.Values.Append(master)) r.LastHelloTime = 0;
            }
            else
            {
                // A replica that says it is a master (an old master back from the dead): make it follow ours.
                long waitTime = HelloPeriod * 4;
                if (!ri.Is(InstanceFlags.Promoted) && MasterLooksSane(master) && NoDownFor(ri, waitTime) && now - ri.RoleReportedTime > waitTime)
                {
                    if (SendReplicaOf(ri, master.Ip, master.Port)) Event(LogLevel.Notice, "+convert-to-slave", ri);
                }
            }
        }
        if (ri.Is(InstanceFlags.Slave) && role == InstanceFlags.Slave)
        {
            var master = ri.Master!;
            // Replicas pointing at the wrong master are corrected (+fix-slave-config).
            if ((ri.SlaveMasterPort != master.Port || !string.Equals(ri.SlaveMasterHost, master.Ip, StringComparison.OrdinalIgnoreCase)) &&
                !ri.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog) && master.FailoverState == FailoverState.None)
            {
                long waitTime = master.FailoverTimeout;
                if (MasterLooksSane(master) && NoDownFor(ri, waitTime) && now - ri.SlaveConfChangeTime > waitTime)
                {
                    if (SendReplicaOf(ri, master.Ip, master.Port)) Event(LogLevel.Notice, "+fix-slave-config", ri);
                }
            }
            // Progress of the replicas a failover is pointing at the promoted one.
            if (ri.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog) && master.PromotedSlave != null)
            {
                var promoted = master.PromotedSlave;
                if (ri.Is(InstanceFlags.ReconfSent) && ri.SlaveMasterPort == promoted.Port &&
                    string.Equals(ri.SlaveMasterHost, promoted.Ip, StringComparison.OrdinalIgnoreCase))
                {
                    ri.Flags &= ~InstanceFlags.ReconfSent;
                    ri.Flags |= InstanceFlags.ReconfInprog;
                    Event(LogLevel.Notice, "+slave-reconf-inprog", ri);
                }
                if (ri.Is(InstanceFlags.ReconfInprog) && ri.SlaveMasterLinkUp)
                {
                    ri.Flags &= ~InstanceFlags.ReconfInprog;
                    ri.Flags |= InstanceFlags.ReconfDone;
                    Event(LogLevel.Notice, "+slave-reconf-done", ri);
                }
            }
        }
    }

    static bool MasterLooksSane(SentinelInstance master) =>
        master.Is(InstanceFlags.Master) && master.RoleReported == InstanceFlags.Master &&
        !master.Is(InstanceFlags.SDown | InstanceFlags.ODown) && Clock.UnixMs() - master.InfoRefresh < InfoPeriod * 2;

    static bool NoDownFor(SentinelInstance ri, long ms)
    {
        long mostRecent = Math.Max(ri.SDownSinceTime, ri.ODownSinceTime);
        return mostRecent == 0 || Clock.UnixMs() - mostRecent > ms;
    }

    /// <summary>After a switch, the master entry moves to the new address; its replicas (and the old master) are re-learned.</summary>
    public void ResetMasterAndChangeAddress(SentinelInstance master, string ip, int port)
    {
        var slaveAddresses = new List<(string Ip, int Port)>();
        foreach (var s in master.Slaves.Values)
            if (!(s.Ip == ip && s.Port == port)) slaveAddresses.Add((s.Ip, s.Port));
        if (!(master.Ip == ip && master.Port == port)) slaveAddresses.Add((master.Ip, master.Port));
        ResetMaster(master, keepSentinels: true);
        master.Ip = ip;
        master.Port = port;
        foreach (var (sip, sport) in slaveAddresses)
        {
            var slave = new SentinelInstance(InstanceFlags.Slave, sip + ":" + sport, sip, sport, master);
            master.Slaves[slave.Name] = slave;
            Event(LogLevel.Notice, "+slave", slave);
        }
        FlushConfig();
    }

    /// <summary>SENTINEL RESET and address changes: forget replicas, failover state and links (and sentinels unless kept).</summary>
    public void ResetMaster(SentinelInstance master, bool keepSentinels)
    {
        foreach (var s in master.Slaves.Values) CloseLink(s);
        master.Slaves.Clear();
        if (!keepSentinels)
        {
            foreach (var s in master.Sentinels.Values) CloseLink(s);
            master.Sentinels.Clear();
        }
        CloseLink(master);
        master.Flags &= InstanceFlags.Master;
        master.Leader = null;
        master.FailoverState = FailoverState.None;
        master.FailoverStartTime = 0;
        master.PromotedSlave = null;
        master.RunId = null;
        master.Info = null;
        master.InfoRefresh = 0;
        master.RoleReported = InstanceFlags.Master;
        master.RoleReportedTime = Now;
        master.SDownSinceTime = master.ODownSinceTime = 0;
        master.Link.LastAvailTime = master.Link.LastPongTime = Now;
        master.Link.ActivePingTime = 0;
        if (!keepSentinels) Event(LogLevel.Warning, "+reset-master", master);
    }

    // SENTINEL SIMULATE-FAILURE
    public const int SimFailureCrashAfterElection = 1, SimFailureCrashAfterPromotion = 2;

    static void SimulatedCrash()
    {
        Log.Warning("Sentinel is simulating a failure as requested.");
        Environment.Exit(99);
    }
}
