// Acknowledgements from replicas and what depends on them (Redis's replconf ack handling,
// masterTryPartialResynchronization, waitCommand, refreshGoodSlavesCount, INFO's replica list):
//  * PSYNC continues from the backlog when the replica's id is ours (or our previous one up to
//    second_repl_offset) and its offset is still held;
//  * REPLCONF ACK <offset> records how far each replica got and when (lag); the first ACK after a
//    diskless transfer releases the replica's buffered stream;
//  * WAIT blocks its client until enough replicas acknowledged the offset of its last write, or
//    the timeout: the blocked client asks all replicas with REPLCONF GETACK * (sent once per loop
//    iteration, as part of the stream) and is re-checked on every ACK;
//  * min-replicas-to-write / min-replicas-max-lag: with fewer replicas acknowledging within the lag
//    than required, writes are refused with NOREPLICAS (reads go on), as Redis's processCommand.
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public sealed partial class ReplicationStream
{
    /// <summary>Set by the replica side: whether our link with our own master is up (a replica serves SYNC only then).</summary>
    public Func<bool>? MasterLinkUp;
    /// <summary>Set by the replica side: REPLCONF GETACK arrived from our master on client <c>c</c>.</summary>
    public Action<Client>? GetAckRequested;

    /// <summary>Replicas online that acknowledged within min-replicas-max-lag (repl_good_slaves_count).</summary>
    public int GoodReplicas { get; private set; }

    sealed class Waiter
    {
        public required Client Client;
        public required long Replicas, Offset, DeadlineMs;
        public long TimerId;
    }

    readonly List<Waiter> _waiters = new();
    bool _getAckQueued;
    static readonly byte[][] GetAck = ["REPLCONF"u8.ToArray(), "GETACK"u8.ToArray(), "*"u8.ToArray()];
    static readonly byte[] NoReplicasError = "NOREPLICAS Not enough good replicas to write."u8.ToArray();

    partial void InitWait()
    {
        _server.CommandFilters.Add(DenyWritesWithoutGoodReplicas);
        _server.ClientClosing += c =>
        {
            int i = _waiters.FindIndex(w => w.Client == c);
            if (i < 0) return;
            if (_waiters[i].TimerId != 0) _server.Loop.RemoveTimer(_waiters[i].TimerId);
            _waiters.RemoveAt(i);
        };
    }

    /// <summary>Redis's masterTryPartialResynchronization: true when the replica continues from the backlog.</summary>
    internal bool TryPartialResync(ReplicaSession r, string replid, long offset)
    {
        bool ourHistory = string.Equals(replid, _server.ReplId, StringComparison.OrdinalIgnoreCase)
            || (string.Equals(replid, _server.ReplId2, StringComparison.OrdinalIgnoreCase) && offset <= _server.SecondReplOffset);
        if (!ourHistory)
        {
            if (replid == "?") Log.Notice($"Full resync requested by replica {r.Name}");
            else if (!string.Equals(replid, _server.ReplId2, StringComparison.OrdinalIgnoreCase))
                Log.Notice($"Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{_server.ReplId}' and '{_server.ReplId2}')");
            else
                Log.Notice($"Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {_server.SecondReplOffset}");
            return false;
        }
        if (Backlog == null || !Backlog.CanServeFrom(offset))
        {
            Log.Notice($"Unable to partial resync with replica {r.Name} for lack of backlog (Replica request was: {offset}).");
            if (offset > _server.MasterReplOffset)
                Log.Warning($"Warning: replica {r.Name} tried to PSYNC with an offset that is greater than the master replication offset.");
            return false;
        }
        var c = r.Client;
        Attach(c);
        r.State = ReplicaState.Online;
        r.AckTimeMs = _server.CachedUnixMs;
        r.HoldOutput = false;
        r.StartStreamOnAck = false;
        c.Reply.Raw(System.Text.Encoding.ASCII.GetBytes(r.CapaPsync2 ? $"+CONTINUE {_server.ReplId}\r\n" : "+CONTINUE\r\n"));
        long sent = Backlog.CopyFrom(offset, bytes => c.Reply.Raw(bytes));
        _server.QueueWrite(c);
        Log.Notice($"Partial resynchronization request from {r.Name} accepted. Sending {sent} bytes of backlog starting from offset {offset}.");
        ReplicaSetChanged();
        return true;
    }

    /// <summary>REPLCONF ACK from an attached replica.</summary>
    internal void Acknowledged(ReplicaSession r, long offset)
    {
        if (offset > r.AckOffset) r.AckOffset = offset;
        r.AckTimeMs = _server.CachedUnixMs;
        if (r.StartStreamOnAck && r.State == ReplicaState.Online) StartStreaming(r);
        if (_waiters.Count > 0) ServeWaiters();
    }

    /// <summary>Replicas online whose acknowledged offset reached <paramref name="offset"/> (replicationCountAcksByOffset).</summary>
    public int CountAcks(long offset)
    {
        int n = 0;
        foreach (var r in Replicas) if (r.State == ReplicaState.Online && r.AckOffset >= offset) n++;
        return n;
    }

    internal void Wait(Client c, long numReplicas, long timeoutMs)
    {
        long offset = c.ReplWriteOffset;
        int acked = CountAcks(offset);
        if (acked >= numReplicas || (c.Flags & ClientFlags.Multi) != 0)
        {
            c.Reply.Integer(acked);
            return;
        }
        var waiter = new Waiter { Client = c, Replicas = numReplicas, Offset = offset, DeadlineMs = timeoutMs == 0 ? 0 : _server.CachedUnixMs + timeoutMs };
        c.Flags |= ClientFlags.Blocked;
        _waiters.Add(waiter);
        if (timeoutMs > 0)
            waiter.TimerId = _server.Loop.AddTimer(timeoutMs, () =>
            {
                waiter.TimerId = 0;
                if (_waiters.Remove(waiter)) Unblock(waiter);
                return -1;
            });
        RequestAcks();
    }

    /// <summary>One REPLCONF GETACK * per loop iteration however many clients wait (Redis sends it from beforeSleep).</summary>
    void RequestAcks()
    {
        if (_getAckQueued) return;
        _getAckQueued = true;
        _server.Loop.Post(() =>
        {
            _getAckQueued = false;
            if (_waiters.Count > 0 && Replicas.Count > 0) FeedCommand(-1, GetAck);
        });
    }

    void ServeWaiters()
    {
        for (int i = 0; i < _waiters.Count; i++)
        {
            var w = _waiters[i];
            if (CountAcks(w.Offset) < w.Replicas) continue;
            _waiters.RemoveAt(i--);
            if (w.TimerId != 0) _server.Loop.RemoveTimer(w.TimerId);
            Unblock(w);
        }
    }

    void Unblock(Waiter w)
    {
        var c = w.Client;
        if (c.IsClosing) return;
        c.Flags &= ~ClientFlags.Blocked;
        c.Reply.Integer(CountAcks(w.Offset));
        _server.QueueWrite(c);
        // Commands the client pipelined behind WAIT run now.
        _server.Loop.Post(() => { if (!c.IsClosing) c.ProcessInputBuffer(); });
    }

    // ---- min-replicas-to-write ----

    bool DenyWritesWithoutGoodReplicas(Client c, Command cmd)
    {
        if (_server.IsReplica || (c.Flags & ClientFlags.Master) != 0) return true;
        long toWrite = _server.Config.Replication.MinReplicasToWrite, maxLag = _server.Config.Replication.MinReplicasMaxLag;
        if (toWrite == 0 || maxLag == 0 || GoodReplicas >= toWrite) return true;
        bool write = cmd.Is(CommandFlags.Write)
            || (cmd.Name == "exec" && _server.MultiQueueHasWrites != null && _server.MultiQueueHasWrites(c));
        if (!write) return true;
        _server.RejectCommand(c, cmd, NoReplicasError);
        return false;
    }

    partial void RefreshGoodReplicas()
    {
        long maxLagMs = _server.Config.Replication.MinReplicasMaxLag * 1000;
        long nowSeconds = _server.CachedUnixMs / 1000;
        int good = 0;
        foreach (var r in Replicas)
            if (r.State == ReplicaState.Online && nowSeconds - r.AckTimeMs / 1000 <= maxLagMs / 1000) good++;
        GoodReplicas = good;
    }

    partial void ReplicaSetChanged() => RefreshGoodReplicas();

    /// <summary>INFO replication, master part: connected_slaves, min_slaves_good_slaves, slaveN lines.</summary>
    public void WriteReplicaInfo(InfoWriter info)
    {
        info.Field("connected_slaves", Replicas.Count);
        if (_server.Config.Replication.MinReplicasToWrite > 0 && _server.Config.Replication.MinReplicasMaxLag > 0)
            info.Field("min_slaves_good_slaves", GoodReplicas);
        long nowSeconds = _server.CachedUnixMs / 1000;
        int n = 0;
        foreach (var r in Replicas)
        {
            info.Field($"slave{n++}", $"ip={r.Ip},port={r.ListeningPort},state={r.StateName},offset={r.AckOffset},lag={nowSeconds - r.AckTimeMs / 1000}");
        }
    }
}
