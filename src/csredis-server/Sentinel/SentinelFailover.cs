// Failover (Redis's sentinel.c failover half): once a master is ODOWN, a sentinel starts a new
// epoch and asks the others for their vote; the one elected by a majority of the sentinels it
// knows (and at least the quorum) promotes the best replica with MULTI / SLAVEOF NO ONE / CONFIG
// REWRITE / CLIENT KILL / EXEC, waits for INFO to show it as master, points the other replicas
// at it (parallel-syncs at a time), and finally switches the master's address. Every other
// sentinel learns the new configuration from the leader's hello messages (higher config epoch
// wins). Replicas and old masters that disagree with the configuration are corrected from INFO:
// +convert-to-slave, +fix-slave-config.
using System.Globalization;
using Csredis.Common.Logging;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    const int MaxDesync = 1000;
    public const int SimFailureCrashAfterElection = 1, SimFailureCrashAfterPromotion = 2;

    /// <summary>A vote for <paramref name="runId"/> in <paramref name="requestEpoch"/>, or the vote already given (sentinelVoteLeader).</summary>
    public string? VoteLeader(SentinelInstance master, long requestEpoch, string runId, out long leaderEpoch)
    {
        if (requestEpoch > CurrentEpoch)
        {
            CurrentEpoch = requestEpoch;
            FlushConfig();
            EventText(LogLevel.Warning, "+new-epoch", master, CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        }
        if (master.LeaderEpoch < requestEpoch && CurrentEpoch <= requestEpoch)
        {
            master.Leader = runId;
            master.LeaderEpoch = CurrentEpoch;
            FlushConfig();
            EventText(LogLevel.Warning, "+vote-for-leader", master, $"{runId} {master.LeaderEpoch}");
            // Having voted for another sentinel, wait before starting a failover of our own.
            if (!string.Equals(master.Leader, MyId, StringComparison.OrdinalIgnoreCase))
                master.FailoverStartTime = Now + _random.Next(MaxDesync);
        }
        leaderEpoch = master.LeaderEpoch;
        return master.Leader;
    }

    /// <summary>The sentinel elected for <paramref name="epoch"/>: a majority of the voters and at least the quorum (sentinelGetLeader).</summary>
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
        // Our own vote goes to the most voted sentinel, or to ourselves when nobody voted yet.
        string? myVote = VoteLeader(master, epoch, winner ?? MyId, out long leaderEpoch);
        if (myVote != null && leaderEpoch == epoch)
        {
            int votes = counters.GetValueOrDefault(myVote) + 1;
            counters[myVote] = votes;
            if (votes > maxVotes) { maxVotes = votes; winner = myVote; }
        }
        if (winner != null && (maxVotes < voters / 2 + 1 || maxVotes < master.Quorum)) winner = null;
        return winner;
    }

    bool StartFailoverIfNeeded(SentinelInstance master)
    {
        if (!master.Is(InstanceFlags.ODown) || master.Is(InstanceFlags.FailoverInProgress)) return false;
        if (Now - master.FailoverStartTime < master.FailoverTimeout * 2)
        {
            if (master.FailoverDelayLogged != master.FailoverStartTime)
            {
                master.FailoverDelayLogged = master.FailoverStartTime;
                long notBefore = (master.FailoverStartTime + master.FailoverTimeout * 2) / 1000;
                Log.Warning($"Next failover delay: I will not start a failover before {CTime(notBefore)}");
            }
            return false;
        }
        StartFailover(master);
        return true;
    }

    /// <summary>ctime() without its newline: "Wed Dec  2 05:45:00 2026" in local time.</summary>
    static string CTime(long unixSeconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToLocalTime();
        return string.Create(CultureInfo.InvariantCulture, $"{t:ddd MMM} {t.Day,2} {t:HH:mm:ss yyyy}");
    }

    public void StartFailover(SentinelInstance master)
    {
        master.FailoverState = FailoverState.WaitStart;
        master.Flags |= InstanceFlags.FailoverInProgress;
        master.FailoverEpoch = ++CurrentEpoch;
        EventText(LogLevel.Warning, "+new-epoch", master, CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        Event(LogLevel.Warning, "+try-failover", master);
        master.FailoverStartTime = Now + _random.Next(MaxDesync);
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
            if (Now - master.FailoverStartTime > Math.Min(ElectionTimeout, master.FailoverTimeout))
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

    /// <summary>
    /// The replica to promote (sentinelSelectSlave): up, answering, with fresh INFO, not cut from the
    /// master for too long, priority not 0; then lowest priority, highest offset, smallest run id.
    /// </summary>
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
        // Retried until the replica is reachable, or the failover times out.
        if (slave.Link.Disconnected)
        {
            if (Now - master.FailoverStateChangeTime > master.FailoverTimeout)
            {
                Event(LogLevel.Warning, "-failover-abort-slave-timeout", master);
                AbortFailover(master);
            }
            return;
        }
        if (!SendSlaveOf(slave, null)) return;
        // Ask for INFO right behind the transaction: its reply shows the promotion at once instead
        // of at the next once-a-second INFO, which is most of what clients wait for after the election.
        slave.Link.Command!.Send(reply => OnInfoReply(slave, reply), slave.MapCommand("INFO"));
        Event(LogLevel.Notice, "+failover-state-wait-promotion", slave);
        master.FailoverState = FailoverState.WaitPromotion;
        master.FailoverStateChangeTime = Now;
    }

    void FailoverWaitPromotion(SentinelInstance master)
    {
        // The promotion itself is seen in the replica's INFO (OnRoleFacts); here only the timeout.
        if (Now - master.FailoverStateChangeTime <= master.FailoverTimeout) return;
        Event(LogLevel.Warning, "-failover-abort-slave-timeout", master);
        AbortFailover(master);
    }

    void FailoverReconfNextSlave(SentinelInstance master)
    {
        int inProgress = master.Slaves.Values.Count(s => s.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog));
        foreach (var slave in master.Slaves.Values)
        {
            if (inProgress >= master.ParallelSyncs) break;
            if (slave.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone)) continue;
            // A replica that never moved on is taken as done: the misconfiguration is fixed later from INFO.
            if (slave.Is(InstanceFlags.ReconfSent) && Now - slave.SlaveReconfSentTime > SlaveReconfTimeout)
            {
                Event(LogLevel.Notice, "-slave-reconf-sent-timeout", slave);
                slave.Flags &= ~InstanceFlags.ReconfSent;
                slave.Flags |= InstanceFlags.ReconfDone;
            }
            if (slave.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog) || slave.Link.Disconnected) continue;
            if (!SendSlaveOf(slave, master.PromotedSlave!.Addr)) continue;
            slave.Flags |= InstanceFlags.ReconfSent;
            slave.SlaveReconfSentTime = Now;
            Event(LogLevel.Notice, "+slave-reconf-sent", slave);
            inProgress++;
        }
        FailoverDetectEnd(master);
    }

    void FailoverDetectEnd(SentinelInstance master)
    {
        var promoted = master.PromotedSlave;
        if (promoted == null || promoted.Is(InstanceFlags.SDown)) return;
        int notReconfigured = master.Slaves.Values.Count(s => !s.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone | InstanceFlags.SDown));
        bool timeout = false;
        if (Now - master.FailoverStateChangeTime > master.FailoverTimeout)
        {
            notReconfigured = 0;
            timeout = true;
            Event(LogLevel.Warning, "+failover-end-for-timeout", master);
        }
        if (notReconfigured == 0)
        {
            Event(LogLevel.Warning, "+failover-end", master);
            master.FailoverState = FailoverState.UpdateConfig;
            master.FailoverStateChangeTime = Now;
        }
        if (!timeout) return;
        // Best effort for the replicas that never confirmed: send them the new master anyway.
        foreach (var slave in master.Slaves.Values)
        {
            if (slave.Is(InstanceFlags.Promoted | InstanceFlags.ReconfDone | InstanceFlags.ReconfSent) || slave.Link.Disconnected) continue;
            if (!SendSlaveOf(slave, promoted.Addr)) continue;
            Event(LogLevel.Notice, "+slave-reconf-sent-be", slave);
            slave.Flags |= InstanceFlags.ReconfSent;
        }
    }

    /// <summary>The end of a failover: the master entry takes the promoted replica's address (sentinelFailoverSwitchToPromotedSlave).</summary>
    void SwitchToPromotedSlave(SentinelInstance master)
    {
        var target = master.PromotedSlave ?? master;
        EventText(LogLevel.Warning, "+switch-master", master,
            $"{master.Name} {Announce(master.Addr)} {master.Port} {Announce(target.Addr)} {target.Port}");
        ResetMasterAndChangeAddress(master, target.Addr.Hostname, target.Port);
    }

    public void AbortFailover(SentinelInstance master)
    {
        master.Flags &= ~(InstanceFlags.FailoverInProgress | InstanceFlags.ForceFailover);
        master.FailoverState = FailoverState.None;
        master.FailoverStateChangeTime = Now;
        if (master.PromotedSlave == null) return;
        master.PromotedSlave.Flags &= ~InstanceFlags.Promoted;
        master.PromotedSlave = null;
    }

    /// <summary>
    /// Reconfigures an instance in one transaction (sentinelSendSlaveOf): SLAVEOF (NO ONE when
    /// <paramref name="addr"/> is null), CONFIG REWRITE, and CLIENT KILL of normal and pub/sub
    /// clients so they ask the sentinels again. Replies are not read: INFO shows the effect.
    /// </summary>
    bool SendSlaveOf(SentinelInstance ri, SentinelAddr? addr)
    {
        var cmd = ri.Link.Command;
        if (cmd == null || !cmd.IsOpen) return false;
        string host = addr == null ? "NO" : Announce(addr);
        string port = addr == null ? "ONE" : addr.Port.ToString(CultureInfo.InvariantCulture);
        cmd.Send(null, ri.MapCommand("MULTI"));
        cmd.Send(null, ri.MapCommand("SLAVEOF"), host, port);
        cmd.Send(null, ri.MapCommand("CONFIG"), "REWRITE");
        cmd.Send(null, ri.MapCommand("CLIENT"), "KILL", "TYPE", "normal");
        cmd.Send(null, ri.MapCommand("CLIENT"), "KILL", "TYPE", "pubsub");
        cmd.Send(null, ri.MapCommand("EXEC"));
        return true;
    }

    /// <summary>What INFO says about roles drives failover progress and corrects instances that disagree with the configuration.</summary>
    void OnRoleFacts(SentinelInstance ri, InstanceFlags role)
    {
        long now = Now;
        if (ri.Is(InstanceFlags.Slave) && role == InstanceFlags.Master)
        {
            var master = ri.Master!;
            if (ri.Is(InstanceFlags.Promoted) && master.Is(InstanceFlags.FailoverInProgress) && master.FailoverState == FailoverState.WaitPromotion)
            {
                // The promotion happened: our epoch becomes the master's configuration epoch, which
                // makes every other sentinel adopt the new master from our hellos.
                master.ConfigEpoch = master.FailoverEpoch;
                master.FailoverState = FailoverState.ReconfSlaves;
                master.FailoverStateChangeTime = now;
                FlushConfig();
                Event(LogLevel.Warning, "+promoted-slave", ri);
                if ((SimulateFailureFlags & SimFailureCrashAfterPromotion) != 0) SimulatedCrash();
                Event(LogLevel.Warning, "+failover-state-reconf-slaves", master);
                CallClientReconfigScript(master, "leader", "start", master.Addr, ri.Addr);
                ForceHelloUpdateForMaster(master);
            }
            else
            {
                // A replica that says it is a master (an old master back from the dead): make it
                // follow ours, after giving the leader time to tell us about a newer configuration.
                long waitTime = PublishPeriod * 4;
                if (!ri.Is(InstanceFlags.Promoted) && MasterLooksSane(master) && NoDownFor(ri, waitTime) && now - ri.RoleReportedTime > waitTime
                    && SendSlaveOf(ri, master.Addr))
                    Event(LogLevel.Notice, "+convert-to-slave", ri);
            }
        }
        if (ri.Is(InstanceFlags.Slave) && role == InstanceFlags.Slave &&
            (ri.SlaveMasterPort != ri.Master!.Port || !AddrEqualsHostname(ri.Master.Addr, ri.SlaveMasterHost)))
        {
            // A replica of another master: point it at ours once the configuration has been stable for a while.
            long waitTime = ri.Master.FailoverTimeout;
            if (MasterLooksSane(ri.Master) && NoDownFor(ri, waitTime) && now - ri.SlaveConfChangeTime > waitTime
                && SendSlaveOf(ri, ri.Master.Addr))
                Event(LogLevel.Notice, "+fix-slave-config", ri);
        }
        if (ri.Is(InstanceFlags.Slave) && role == InstanceFlags.Slave && ri.Is(InstanceFlags.ReconfSent | InstanceFlags.ReconfInprog)
            && ri.Master!.PromotedSlave is { } promoted)
        {
            if (ri.Is(InstanceFlags.ReconfSent) && ri.SlaveMasterHost != null && AddrEqualsHostname(promoted.Addr, ri.SlaveMasterHost) &&
                ri.SlaveMasterPort == promoted.Port)
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

    /// <summary>A master we can trust: one for us and for itself, up, with recent INFO.</summary>
    bool MasterLooksSane(SentinelInstance master) =>
        master.Is(InstanceFlags.Master) && master.RoleReported == InstanceFlags.Master &&
        !master.Is(InstanceFlags.SDown | InstanceFlags.ODown) && Now - master.InfoRefresh < InfoPeriod * 2;

    static bool NoDownFor(SentinelInstance ri, long ms)
    {
        long mostRecent = Math.Max(ri.SDownSinceTime, ri.ODownSinceTime);
        return mostRecent == 0 || Now - mostRecent > ms;
    }

    /// <summary>
    /// After a switch the master entry moves to the new address (sentinelResetMasterAndChangeAddress):
    /// its replicas, and the old master as one of them, are re-learned; the sentinels are kept.
    /// </summary>
    public bool ResetMasterAndChangeAddress(SentinelInstance master, string hostname, int port)
    {
        var newAddr = CreateAddr(hostname, port, acceptUnresolved: false, out _);
        if (newAddr == null) return false;
        var slaveAddrs = master.Slaves.Values.Where(s => !s.Addr.SameAs(newAddr)).Select(s => s.Addr).ToList();
        if (!newAddr.SameAs(master.Addr)) slaveAddrs.Add(master.Addr);
        ResetMaster(master, keepSentinels: true, generateEvent: false);
        master.Addr = newAddr;
        master.ODownSinceTime = master.SDownSinceTime = 0;
        foreach (var a in slaveAddrs)
        {
            var slave = CreateInstance(null, InstanceFlags.Slave, a.Hostname, a.Port, master.Quorum, master, out _);
            if (slave != null) Event(LogLevel.Notice, "+slave", slave);
        }
        FlushConfig();
        return true;
    }

    /// <summary>SENTINEL RESET and address changes: forget replicas (and sentinels unless kept), failover state and links.</summary>
    public void ResetMaster(SentinelInstance master, bool keepSentinels, bool generateEvent)
    {
        foreach (var s in master.Slaves.Values) ReleaseInstance(s);
        master.Slaves.Clear();
        if (!keepSentinels)
        {
            foreach (var s in master.Sentinels.Values) ReleaseInstance(s);
            master.Sentinels.Clear();
        }
        CloseCommandConnection(master.Link);
        ClosePubSubConnection(master.Link);
        master.Flags &= InstanceFlags.Master;
        master.Leader = null;
        master.FailoverState = FailoverState.None;
        master.FailoverStateChangeTime = 0;
        master.FailoverStartTime = 0; // a new failover may start at once
        master.PromotedSlave = null;
        master.RunId = null;
        master.SlaveMasterHost = null;
        long now = Now;
        master.Link.ActivePingTime = now;
        master.Link.LastPingTime = 0;
        master.Link.LastAvailTime = master.Link.LastPongTime = now;
        master.RoleReportedTime = now;
        master.RoleReported = InstanceFlags.Master;
        if (generateEvent) Event(LogLevel.Warning, "+reset-master", master);
    }

    /// <summary>SENTINEL REMOVE: the master leaves the table with everything it owns.</summary>
    public void RemoveMaster(SentinelInstance master)
    {
        Masters.Remove(master.Name);
        ReleaseInstance(master);
    }

    void SimulatedCrash()
    {
        Log.Warning("Sentinel CRASH because of SENTINEL simulate-failure");
        Environment.Exit(99);
    }
}
