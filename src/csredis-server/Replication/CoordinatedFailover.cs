// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: Redis 6.2's coordinated failover
// (replication.c's failoverCommand, updateFailoverStatus, abortFailover).
// The master holds writes, waits until a replica has acknowledged its whole stream, then becomes a
// replica of that one and asks it for PSYNC <replid> <offset> FAILOVER. The target, seeing its own
// master's replication id, promotes itself before answering (keeping the old id as replid2), so the
// old master continues as its replica with a partial resync and no acknowledged write is lost.
//   no-failover -(FAILOVER)-> waiting-for-sync -(target acked master_repl_offset, or TIMEOUT passed
//   with FORCE)-> failover-in-progress -(+CONTINUE or +FULLRESYNC from the target)-> no-failover
// ABORT, a TIMEOUT without FORCE, or a target refusing the PSYNC end it early; a refusal while in
// progress makes this server a master again (with a new replication id).
using Csredis.Common.Logging;
using Csredis.Common.Text;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public enum FailoverState { None, WaitForSync, InProgress }

public sealed class CoordinatedFailover(RedisServer server)
{
    public FailoverState State { get; private set; }
    string? _targetHost;
    long _targetPort;
    /// <summary>failover_end_time: 0 without TIMEOUT.</summary>
    long _endMs;
    bool _force;

    /// <summary>master_failover_state of INFO replication.</summary>
    public string StateName => State switch
    {
        FailoverState.WaitForSync => "waiting-for-sync",
        FailoverState.InProgress => "failover-in-progress",
        _ => "no-failover",
    };

    /// <summary>While a FAILOVER with a TIMEOUT holds writes, the replicas get no PING, so the offset they must reach stays put.</summary>
    public bool HoldsPings => _endMs != 0 && server.PausedForFailover;

    public static void Register(CommandTable t)
    {
        t.Add(new Command
        {
            Name = "failover", Arity = -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale,
            Handler = c => c.Server.Failover.Command(c), Group = "server", Since = "6.2.0", Categories = ["admin", "slow", "dangerous"],
        });
    }

    void Command(Client c)
    {
        if (c.Argc == 2 && c.ArgIs(1, "abort"u8))
        {
            if (State == FailoverState.None)
            {
                c.Error("ERR No failover in progress."u8);
                return;
            }
            Abort("Failover manually aborted");
            c.Reply.Ok();
            return;
        }
        long timeoutMs = 0, port = 0;
        bool force = false;
        string? host = null;
        for (int j = 1; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "timeout"u8) && j + 1 < c.Argc && timeoutMs == 0)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out timeoutMs)) { c.Error(Errors.NotInteger); return; }
                if (timeoutMs <= 0)
                {
                    c.Error("ERR FAILOVER timeout must be greater than 0"u8);
                    return;
                }
                j++;
            }
            else if (c.ArgIs(j, "to"u8) && j + 2 < c.Argc && host == null)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 2), out port)) { c.Error(Errors.NotInteger); return; }
                host = c.ArgString(j + 1);
                j += 2;
            }
            else if (c.ArgIs(j, "force"u8) && !force) force = true;
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (State != FailoverState.None) { c.Error("ERR FAILOVER already in progress."u8); return; }
        if (server.IsReplica) { c.Error("ERR FAILOVER is not valid when server is a replica."u8); return; }
        if (server.Replication.Replicas.Count == 0) { c.Error("ERR FAILOVER requires connected replicas."u8); return; }
        if (force && (timeoutMs == 0 || host == null))
        {
            c.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP."u8);
            return;
        }
        if (host != null)
        {
            var replica = FindReplica(host, port);
            if (replica == null) { c.Error("ERR FAILOVER target HOST and PORT is not a replica."u8); return; }
            if (replica.State != ReplicaState.Online) { c.Error("ERR FAILOVER target replica is not online."u8); return; }
            _targetHost = host;
            _targetPort = port;
            Log.Notice($"FAILOVER requested to {host}:{port}.");
        }
        else Log.Notice("FAILOVER requested to any replica.");
        if (timeoutMs != 0) _endMs = server.CachedUnixMs + timeoutMs;
        _force = force;
        State = FailoverState.WaitForSync;
        server.SetFailoverPause(true);
        c.Reply.Ok();
    }

    ReplicaSession? FindReplica(string host, long port)
    {
        foreach (var r in server.Replication.Replicas)
            if (r.ListeningPort == port && string.Equals(r.Ip, host, StringComparison.OrdinalIgnoreCase)) return r;
        return null;
    }

    /// <summary>Before each sleep: fail over once the target has acknowledged everything, or act on the deadline.</summary>
    public void Update()
    {
        if (State != FailoverState.WaitForSync) return;
        if (_endMs != 0 && _endMs <= server.CachedUnixMs)
        {
            if (_force)
            {
                Log.Notice($"FAILOVER to {_targetHost}:{_targetPort} time out exceeded, failing over.");
                FailOverToTarget();
            }
            else Abort("Replica never caught up before timeout");
            return;
        }
        ReplicaSession? replica = null;
        if (_targetHost != null) replica = FindReplica(_targetHost, _targetPort);
        else
        {
            foreach (var r in server.Replication.Replicas)
            {
                if (r.AckOffset != server.MasterReplOffset) continue;
                replica = r;
                _targetHost = r.Ip;
                _targetPort = r.ListeningPort;
                break;
            }
        }
        if (replica == null || replica.AckOffset != server.MasterReplOffset) return;
        Log.Notice($"Failover target {_targetHost}:{_targetPort} is synced, failing over.");
        FailOverToTarget();
    }

    void FailOverToTarget()
    {
        State = FailoverState.InProgress;
        // The link's PSYNC carries FAILOVER while in progress; its answer ends the failover (OnPsyncAnswered).
        server.ReplicaLink.SetMaster(_targetHost!, (int)_targetPort);
    }

    /// <summary>The target answered our PSYNC: accepted (+CONTINUE / +FULLRESYNC) completes the failover, anything else aborts it.</summary>
    public void OnPsyncAnswered(bool accepted)
    {
        if (State != FailoverState.InProgress) return;
        if (accepted) Clear();
        else Abort("Failover target rejected psync request");
    }

    public void Abort(string reason)
    {
        if (State == FailoverState.None) return;
        Log.Notice(_targetHost != null
            ? $"FAILOVER to {_targetHost}:{_targetPort} aborted: {reason}"
            : $"FAILOVER to any replica aborted: {reason}");
        if (State == FailoverState.InProgress) server.ReplicaLink.UnsetMaster();
        Clear();
    }

    void Clear()
    {
        _endMs = 0;
        _force = false;
        _targetHost = null;
        _targetPort = 0;
        State = FailoverState.None;
        server.SetFailoverPause(false);
    }

    /// <summary>
    /// The target's side: PSYNC replid offset FAILOVER from our master. With our master's id we promote
    /// ourselves first, so the PSYNC that follows continues the old master's history with us. False when
    /// refused (the error is the reply).
    /// </summary>
    public static bool AcceptPsyncFailover(Client c)
    {
        var s = c.Server;
        string replid = c.ArgString(1);
        Log.Warning($"Failover request received for replid {replid}.");
        if (!s.IsReplica)
        {
            c.Error("ERR PSYNC FAILOVER can't be sent to a master."u8);
            return false;
        }
        if (!string.Equals(replid, s.ReplId, StringComparison.OrdinalIgnoreCase))
        {
            c.Error("ERR PSYNC FAILOVER replid must match my replid."u8);
            return false;
        }
        s.ReplicaLink.UnsetMaster();
        Log.Notice($"MASTER MODE enabled (failover request from '{c.InfoLine()}')");
        return true;
    }
}
