// The replication stream of this server (Redis's replicationFeedSlaves and the master half of
// replicationCron). Everything that must reach replicas goes through Feed(): the bytes are
// appended to the backlog, to the output buffer of every replica that follows the stream, and
// master_repl_offset advances by their length. Nothing is fed while there is neither a backlog
// nor a replica, exactly as Redis (the offset then stays put).
// Replicas in the middle of a full sync (wait_bgsave_end, send_bulk) follow the stream from their
// snapshot's point in time: their bytes pile up in their reply buffer while HoldOutput keeps the
// event loop from writing them, so the RDB transfer owns the socket; they are released when the
// replica goes online (diskless: at its first REPLCONF ACK, so the EOF marker ends the socket's
// bytes, as Redis's repl_start_cmd_stream_on_ack).
// The cron pings replicas every repl-ping-replica-period seconds (the PING is part of the stream,
// so it moves the offset), drops replicas silent for repl-timeout and frees the backlog of a
// master left without replicas for repl-backlog-ttl seconds.
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Common.Resp;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public enum ReplicaState { WaitBgsaveStart, WaitBgsaveEnd, SendBulk, Online }

/// <summary>What a master knows of one replica connection (Redis's replica fields of client).</summary>
public sealed class ReplicaSession
{
    public readonly Client Client;
    public ReplicaState State = ReplicaState.WaitBgsaveStart;
    /// <summary>REPLCONF listening-port / ip-address.</summary>
    public int ListeningPort;
    public string? AnnouncedIp;
    /// <summary>REPLCONF capa eof (diskless RDB with the EOF marker) / capa psync2 (+CONTINUE carries the id).</summary>
    public bool CapaEof, CapaPsync2;
    /// <summary>Offset of the last REPLCONF ACK and when it came (lag).</summary>
    public long AckOffset;
    public long AckTimeMs;
    /// <summary>The offset of the full resync (+FULLRESYNC replid offset): the stream buffered for the replica starts after it.</summary>
    public long InitialOffset = -1;
    /// <summary>Stream bytes accumulate in the reply buffer but the loop does not write them (RDB transfer in progress).</summary>
    public bool HoldOutput;
    /// <summary>Diskless sync done: the buffered stream is released by the first REPLCONF ACK.</summary>
    public bool StartStreamOnAck;
    /// <summary>The full sync this replica waits for or receives (null before it started or after it ended).</summary>
    public FullSync? Sync;
    /// <summary>Attached with the old SYNC: no +FULLRESYNC line before the RDB.</summary>
    public bool PrePsync;
    /// <summary>Whether the replica is part of a diskless (socket) transfer rather than a disk one.</summary>
    public bool DisklessTarget;
    /// <summary>REPLCONF rdb-only 1 (redis-cli --rdb): the replica wants the snapshot and nothing after it.</summary>
    public bool RdbOnly;
    /// <summary>REPLCONF rdb-filter-only (redis-cli --replica sends ""): the snapshot without its keys. Only
    /// replicas asking for the same content share a snapshot.</summary>
    public bool ExcludeData;

    public ReplicaSession(Client client) => Client = client;

    public string Ip
    {
        get
        {
            if (!string.IsNullOrEmpty(AnnouncedIp)) return AnnouncedIp;
            int colon = Client.Address.LastIndexOf(':');
            return colon < 0 ? Client.Address : Client.Address[..colon];
        }
    }

    /// <summary>How Redis names a replica in its log (replicationGetSlaveName).</summary>
    public string Name => ListeningPort != 0 ? $"{Ip}:{ListeningPort}" : $"{Ip}:<unknown-replica-port>";

    public string StateName => State switch
    {
        ReplicaState.WaitBgsaveStart or ReplicaState.WaitBgsaveEnd => "wait_bgsave",
        ReplicaState.SendBulk => "send_bulk",
        _ => "online",
    };
}

public sealed partial class ReplicationStream
{
    readonly RedisServer _server;
    public ReplicationBacklog? Backlog;
    /// <summary>The replicas attached to this server, in attach order (INFO slaveN).</summary>
    public readonly List<ReplicaSession> Replicas = new();
    /// <summary>The database the stream has selected (Redis's slaveseldb); -1 forces a SELECT before the next command.</summary>
    int _streamDb = -1;
    /// <summary>When the last replica went away (repl-backlog-ttl counts from it).</summary>
    long _noReplicasSinceMs = Clock.UnixMs();
    long _cronLoops;
    readonly ReplyBuffer _scratch = new();

    public readonly Propagation Propagation;

    public ReplicationStream(RedisServer server)
    {
        _server = server;
        Propagation = new Propagation(server, this);
        server.Cron += Cron;
        server.ClientClosing += OnClientClosing;
        server.InfoCounters["repl_backlog_active"] = () => Backlog != null ? 1 : 0;
        server.InfoCounters["repl_backlog_first_byte_offset"] = () => Backlog?.FirstByteOffset ?? 0;
        server.InfoCounters["repl_backlog_histlen"] = () => Backlog?.HistoryLength ?? 0;
        server.InfoCounters["mem_replication_backlog"] = () => Backlog?.Capacity ?? 0;
        server.Persistence.ReplicationAux = () =>
            !server.IsReplica && Backlog != null ? (Math.Max(0, _streamDb), server.ReplId, server.MasterReplOffset) : null;
        server.Config.Replication.BacklogSizeChanged = ResizeBacklog;
        InitSync();
        InitWait();
    }

    /// <summary>
    /// THE entry point of the replication stream: appends <paramref name="stream"/> (RESP bytes of
    /// the stream, exactly as replicas must receive them) to the backlog and to every replica that
    /// follows the stream, and advances master_repl_offset by its length.
    /// The master's own propagation goes through here (via Propagation). A replica calls it with
    /// the bytes it receives from its master, unchanged, so its sub-replicas get the master's
    /// stream with the same replication id and offsets (chained replication) and its own backlog
    /// can serve a PSYNC after a promotion. Bytes fed from outside may select any database: the
    /// next propagated command re-emits SELECT.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> stream)
    {
        _streamDb = -1;
        Append(stream);
    }

    /// <summary>Whether anything fed now would go anywhere (a backlog or a replica exists).</summary>
    public bool Active => Backlog != null || Replicas.Count > 0;

    void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || !Active) return;
        Backlog?.Append(bytes);
        _server.MasterReplOffset += bytes.Length;
        foreach (var r in Replicas)
        {
            if (r.State == ReplicaState.WaitBgsaveStart || r.Client.IsClosing) continue;
            r.Client.Reply.Raw(bytes);
            if (!r.HoldOutput) _server.QueueWrite(r.Client);
            if (r.Client.Reply.PendingBytes > ReplyBuffer.InitialSize) _server.OutputLimits.Check(r.Client);
        }
    }

    /// <summary>Encodes and feeds a command given as byte arrays.</summary>
    internal void FeedCommand(int db, byte[][] args)
    {
        if (!Active) return;
        EmitSelect(db);
        _scratch.Clear();
        _scratch.ArrayHeader(args.Length);
        foreach (var a in args) _scratch.Bulk(a);
        Append(_scratch.Pending);
        _scratch.Clear();
    }

    /// <summary>Encodes and feeds the command a client is running, from its argument spans (no copies).</summary>
    internal void FeedClientCommand(int db, Client c)
    {
        if (!Active) return;
        EmitSelect(db);
        _scratch.Clear();
        _scratch.ArrayHeader(c.Argc);
        for (int i = 0; i < c.Argc; i++) _scratch.Bulk(c.Arg(i));
        Append(_scratch.Pending);
        _scratch.Clear();
    }

    void EmitSelect(int db)
    {
        if (db < 0 || db == _streamDb) return;
        _scratch.Clear();
        _scratch.ArrayHeader(2);
        _scratch.Bulk("SELECT"u8);
        _scratch.BulkInteger(db);
        Append(_scratch.Pending);
        _streamDb = db;
    }

    /// <summary>A new full sync starts: the next command re-selects its database (Redis sets slaveseldb to -1).</summary>
    internal void ForceSelect() => _streamDb = -1;

    /// <summary>Creates the backlog if missing (a replica keeps one too, for its sub-replicas and after a promotion).</summary>
    public void EnsureBacklog()
    {
        if (Backlog != null) return;
        Backlog = new ReplicationBacklog(BacklogSizeConfig, _server.MasterReplOffset);
    }

    long BacklogSizeConfig => _server.Config.Replication.BacklogSize;

    public ReplicaSession? SessionOf(Client c) => c.ReplicaSession;

    /// <summary>Makes a connection a replica of this server (SYNC/PSYNC accepted).</summary>
    internal ReplicaSession Attach(Client c)
    {
        var session = c.ReplicaSession ??= new ReplicaSession(c);
        if (!Replicas.Contains(session)) Replicas.Add(session);
        c.Flags |= ClientFlags.Replica;
        return session;
    }

    void OnClientClosing(Client c)
    {
        var session = c.ReplicaSession;
        if (session == null || !Replicas.Remove(session)) return;
        // Redis logs every replica it loses, whatever its state (freeClient of a slave).
        Log.Warning($"Connection with replica {session.Name} lost.");
        OnReplicaGone(session);
        if (Replicas.Count == 0) _noReplicasSinceMs = _server.CachedUnixMs;
        ReplicaSetChanged();
    }

    /// <summary>Releases the stream buffered for a replica: from now on the loop writes it as it comes.</summary>
    internal void StartStreaming(ReplicaSession r)
    {
        r.HoldOutput = false;
        r.StartStreamOnAck = false;
        if (r.Client.Reply.HasPending) _server.QueueWrite(r.Client);
    }

    /// <summary>Once a second: PING replicas, drop timed-out ones, free an unused backlog.</summary>
    void Cron()
    {
        // serverCron runs hz times a second; replicationCron once a second.
        if (_cronLoops++ % Math.Max(1, _server.CurrentHz) != 0) return; // from the first serverCron on, as Redis's run_with_period
        long now = _server.CachedUnixMs;
        if (!_server.IsReplica && Replicas.Count > 0)
        {
            long period = _server.Config.Replication.PingReplicaPeriod;
            if (_secondsTicks % Math.Max(1, period) == 0 && !_server.ClientsPaused && !_server.Failover.HoldsPings)
            {
                // The PING goes into the stream (and the backlog) like any propagated command.
                FeedCommand(-1, [PingWord]);
            }
        }
        _secondsTicks++;
        // Replicas waiting for a snapshot get a newline a second, so their repl-timeout does not fire.
        foreach (var r in Replicas)
            if (r.State == ReplicaState.WaitBgsaveStart || (r.State == ReplicaState.WaitBgsaveEnd && !r.DisklessTarget))
                SendDirect(r.Client, "\n"u8);
        long timeoutMs = _server.Config.Replication.Timeout * 1000;
        List<ReplicaSession>? timedOut = null;
        foreach (var r in Replicas)
            if (r.State == ReplicaState.Online && !r.StartStreamOnAck && r.AckTimeMs > 0 && now - r.AckTimeMs > timeoutMs)
                (timedOut ??= new()).Add(r);
        if (timedOut != null)
            foreach (var r in timedOut)
            {
                Log.Warning($"Disconnecting timedout replica (streaming sync): {r.Name}");
                _server.FreeClient(r.Client);
            }
        long ttl = _server.Config.Replication.BacklogTtl;
        if (!_server.IsReplica && Backlog != null && Replicas.Count == 0 && ttl > 0 && now - _noReplicasSinceMs > ttl * 1000)
        {
            // A new id: a replica coming back later cannot continue a history we no longer hold.
            _server.ReplId2 = new string('0', 40);
            _server.SecondReplOffset = -1;
            _server.ReplId = RedisServer.NewReplId();
            Backlog = null;
            Log.Notice($"Replication backlog freed after {ttl} seconds without connected replicas.");
        }
        SyncCron();
        RefreshGoodReplicas();
    }

    long _secondsTicks;

    // Implemented by the other concerns of the master side (FullSync.cs, WaitAndMinReplicas.cs).
    partial void InitSync();
    partial void InitWait();
    partial void SyncCron();
    partial void RefreshGoodReplicas();
    partial void ReplicaSetChanged();
    partial void OnReplicaGone(ReplicaSession session);
    // Redis feeds its shared "ping" object: the word is lowercase in the stream (redis-cli --replica shows it).
    static readonly byte[] PingWord = "ping"u8.ToArray();

    /// <summary>Writes bytes straight to a replica's socket, outside its reply buffer (+FULLRESYNC, keep-alive newlines).</summary>
    internal unsafe bool SendDirect(Client c, ReadOnlySpan<byte> bytes)
    {
        int waits = 0;
        while (bytes.Length > 0)
        {
            nint n;
            fixed (byte* p = bytes) n = Common.Native.Libc.send(c.Fd, p, bytes.Length, Common.Native.Libc.MSG_NOSIGNAL);
            if (n <= 0)
            {
                int err = Common.Native.Libc.Errno;
                if (n < 0 && err == Common.Native.Libc.EINTR) continue;
                // These writes are a few bytes: a socket that takes none of them for a second is a dead replica.
                if (n < 0 && err == Common.Native.Libc.EAGAIN && ++waits < 1000) { Thread.Sleep(1); continue; }
                // Freed from the loop, not here: callers may be walking the replica list.
                c.Flags |= ClientFlags.CloseAsap;
                _server.Loop.Post(() => _server.FreeClient(c));
                return false;
            }
            _server.Stats.NetOutputBytes += n;
            bytes = bytes[(int)n..];
        }
        return true;
    }

    /// <summary>CONFIG SET repl-backlog-size takes effect at once.</summary>
    void ResizeBacklog() => Backlog?.Resize(BacklogSizeConfig);
}
