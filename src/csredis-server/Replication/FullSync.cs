// Full resynchronization on the master (Redis's syncCommand full path, startBgsaveForReplication,
// updateSlavesWaitingBgsave, sendBulkToSlave, the rdb pipe of diskless sync).
// A replica that cannot continue from the backlog waits (wait_bgsave) for a snapshot. When one
// starts, its point in time is the current master_repl_offset: the offset is read and the
// fork-free Snapshot is created in the same loop-thread step, with no command in between, so
// every write the snapshot does not contain is fed to the stream after that offset, and every
// write it contains was fed before. Each replica gets "+FULLRESYNC <replid> <offset>" and from then
// on the stream piles up in its reply buffer (ReplicaSession.HoldOutput) while the RDB goes out:
//  * disk (repl-diskless-sync no, or a replica without capa eof): a regular BGSAVE writes the RDB
//    file; replicas attaching while it runs share it (they copy the first one's buffered stream and
//    offset, as Redis's copyReplicaOutputBuffer); when it is done, a thread per replica sends
//    "$<length>\r\n" and the file, then the replica is online and its buffered stream flows;
//  * diskless: after repl-diskless-sync-delay seconds (or repl-diskless-sync-max-replicas waiting),
//    one snapshot streams to every waiting replica's socket at once: "$EOF:<40 random chars>\r\n",
//    the RDB, the 40 chars. The replica's buffered stream is released at its first REPLCONF ACK.
// Transfers write on duplicated descriptors from background threads (blocking sends bounded by
// repl-timeout); the loop thread never writes to a replica while its transfer runs, and a replica
// that goes away has its socket shut down so the transfer thread stops at once.
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Common.Native;
using Csredis.Server.Persistence;

namespace Csredis.Server.Replication;

/// <summary>One snapshot serving one or more replicas.</summary>
public sealed class FullSync
{
    public required bool Diskless;
    /// <summary>The offset announced in +FULLRESYNC: the snapshot's point in time.</summary>
    public required long Offset;
    public readonly List<ReplicaSession> Replicas = new();
    public Snapshot? Snapshot;
    /// <summary>The snapshot finished (diskless: the transfer too; disk: the file is written).</summary>
    public bool SnapshotDone;
    internal readonly Dictionary<ReplicaSession, TransferSocket> Sockets = new();
}

/// <summary>A replica's socket as the transfer thread writes it: a duplicate descriptor in blocking mode.</summary>
internal sealed unsafe class TransferSocket
{
    public readonly ReplicaSession Replica;
    readonly int _originalFd;
    int _fd;
    readonly object _lock = new();
    public volatile bool Failed;
    public long BytesSent;

    public TransferSocket(ReplicaSession replica, long timeoutSeconds)
    {
        Replica = replica;
        _originalFd = replica.Client.Fd;
        _fd = Libc.fcntl(_originalFd, 1030 /* F_DUPFD_CLOEXEC */, 0);
        if (_fd < 0) { Failed = true; return; }
        int flags = Libc.fcntl(_fd, Libc.F_GETFL, 0);
        Libc.fcntl(_fd, Libc.F_SETFL, flags & ~Libc.O_NONBLOCK);
        // struct timeval: a stuck replica fails the send after repl-timeout instead of holding the thread.
        long* tv = stackalloc long[2];
        tv[0] = Math.Max(1, timeoutSeconds);
        tv[1] = 0;
        Libc.setsockopt(_fd, Libc.SOL_SOCKET, 21 /* SO_SNDTIMEO */, (int*)tv, 16);
    }

    /// <summary>Transfer thread: sends everything or marks the socket failed.</summary>
    public bool Write(ReadOnlySpan<byte> bytes)
    {
        if (Failed) return false;
        while (bytes.Length > 0)
        {
            nint n;
            fixed (byte* p = bytes) n = Libc.send(_fd, p, bytes.Length, Libc.MSG_NOSIGNAL);
            if (n <= 0)
            {
                if (n < 0 && Libc.Errno == Libc.EINTR) continue;
                Failed = true;
                return false;
            }
            BytesSent += n;
            bytes = bytes[(int)n..];
        }
        return true;
    }

    /// <summary>Loop thread: the replica went away; the transfer thread's next send fails.</summary>
    public void Abort()
    {
        lock (_lock)
        {
            Failed = true;
            if (_fd >= 0) Libc.shutdown(_fd, 2);
        }
    }

    /// <summary>Transfer thread, when done: drops the duplicate descriptor.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_fd >= 0) Libc.close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Loop thread, after the transfer: the event loop's descriptor is non-blocking again.</summary>
    public void RestoreNonBlocking()
    {
        if (Replica.Client.IsClosing) return;
        int flags = Libc.fcntl(_originalFd, Libc.F_GETFL, 0);
        Libc.fcntl(_originalFd, Libc.F_SETFL, flags | Libc.O_NONBLOCK);
    }
}

/// <summary>Diskless target: the snapshot's bytes go to every replica socket of the sync, then the EOF mark.</summary>
internal sealed class ReplicaSocketsSink : SnapshotSink
{
    readonly FanOutStream _stream;
    readonly byte[] _mark;

    public ReplicaSocketsSink(List<TransferSocket> sockets, byte[] mark)
    {
        _stream = new FanOutStream(sockets);
        _mark = mark;
    }

    public override Stream Stream => _stream;

    public override void Commit()
    {
        _stream.Write(_mark, 0, _mark.Length);
        _stream.CloseSockets();
    }

    public override void Abort()
    {
        foreach (var s in _stream.Sockets) s.Failed = true;
        _stream.CloseSockets();
    }

    sealed class FanOutStream(List<TransferSocket> sockets) : Stream
    {
        public readonly List<TransferSocket> Sockets = sockets;
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            bool any = false;
            foreach (var s in Sockets) any |= s.Write(buffer);
            // Redis kills the child when the last replica is gone: nobody wants the rest.
            if (!any) throw new IOException("Diskless rdb transfer, last replica dropped");
        }
        public void CloseSockets() { foreach (var s in Sockets) s.Close(); }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

public sealed partial class ReplicationStream
{
    /// <summary>The snapshot for replication in progress (only one at a time, like Redis's one child).</summary>
    FullSync? _currentSync;

    partial void InitSync()
    {
        _server.Persistence.BackgroundSaveFinished += OnBackgroundSaveFinished;
    }

    /// <summary>PSYNC could not continue: the replica waits for (or joins) a snapshot.</summary>
    internal void BeginFullResync(ReplicaSession r)
    {
        var c = r.Client;
        Attach(c);
        r.State = ReplicaState.WaitBgsaveStart;
        r.AckTimeMs = _server.CachedUnixMs;
        if (Backlog == null && _server.IsReplica) EnsureBacklog();
        if (Backlog == null)
        {
            // A master starts a fresh history (a replica keeps its master's id and offsets): a replica
            // of an older history of ours must not continue into this one.
            _server.ReplId = RedisServer.NewReplId();
            _server.ReplId2 = new string('0', 40);
            _server.SecondReplOffset = -1;
            EnsureBacklog();
            Log.Notice($"Replication backlog created, my new replication IDs are '{_server.ReplId}' and '{_server.ReplId2}'");
        }
        ReplicaSetChanged();
        var sync = _currentSync;
        if (sync != null && !sync.SnapshotDone)
        {
            if (!sync.Diskless)
            {
                // The disk snapshot in progress serves this replica too: same offset, same stream since it.
                var donor = sync.Replicas.Find(o => !o.Client.IsClosing && o.State == ReplicaState.WaitBgsaveEnd);
                if (donor != null)
                {
                    SetupForFullResync(r, sync);
                    c.Reply.Raw(donor.Client.Reply.Pending);
                    Log.Notice("Waiting for end of BGSAVE for SYNC");
                    return;
                }
            }
            Log.Notice(sync.Diskless ? "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
                : "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
            return;
        }
        if (_server.Persistence.ActiveSnapshot != null)
        {
            Log.Notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
            return;
        }
        if (_server.Config.Replication.DisklessSync && r.CapaEof && _server.Config.Replication.DisklessSyncDelay > 0)
        {
            // The snapshot starts from the cron, so replicas arriving meanwhile share it.
            Log.Notice("Delay next BGSAVE for diskless SYNC");
            return;
        }
        StartSyncSnapshot();
    }

    /// <summary>Sends +FULLRESYNC and makes the replica follow the stream from the sync's offset.</summary>
    void SetupForFullResync(ReplicaSession r, FullSync sync)
    {
        var c = r.Client;
        // Replies still unsent (REPLCONF's +OK) go out before the +FULLRESYNC line.
        if (c.Reply.HasPending) SendDirect(c, c.Reply.Pending);
        c.Reply.Clear();
        r.InitialOffset = sync.Offset;
        r.State = ReplicaState.WaitBgsaveEnd;
        r.HoldOutput = true;
        r.Sync = sync;
        r.DisklessTarget = sync.Diskless;
        sync.Replicas.Add(r);
        // Replicas that spoke the old SYNC get the RDB without the +FULLRESYNC line.
        if (!r.PrePsync) SendDirect(c, System.Text.Encoding.ASCII.GetBytes($"+FULLRESYNC {_server.ReplId} {sync.Offset}\r\n"));
    }

    partial void SyncCron()
    {
        var sync = _currentSync;
        // A snapshot cancelled under us (FLUSHALL, SHUTDOWN) fails the replicas waiting for it.
        if (sync != null && !sync.SnapshotDone && sync.Snapshot != null && _server.Persistence.ActiveSnapshot != sync.Snapshot)
            FailSync(sync, "SYNC failed. BGSAVE child returned an error");
        if (_currentSync != null || _server.Persistence.ActiveSnapshot != null) return;
        int waiting = 0;
        bool allEof = true;
        long maxIdle = 0;
        foreach (var r in Replicas)
        {
            if (r.State != ReplicaState.WaitBgsaveStart || r.Client.IsClosing) continue;
            waiting++;
            allEof &= r.CapaEof;
            maxIdle = Math.Max(maxIdle, (_server.CachedUnixMs - r.Client.LastInteractionMs) / 1000);
        }
        if (waiting == 0) return;
        if (_server.Config.Replication.DisklessSync && allEof)
        {
            long maxReplicas = _server.Config.Replication.DisklessSyncMaxReplicas;
            if (maxIdle < _server.Config.Replication.DisklessSyncDelay && !(maxReplicas > 0 && waiting >= maxReplicas)) return;
        }
        StartSyncSnapshot();
    }

    /// <summary>Starts the snapshot for every replica in wait_bgsave_start (Redis's startBgsaveForReplication).</summary>
    void StartSyncSnapshot()
    {
        var waiting = Replicas.FindAll(r => r.State == ReplicaState.WaitBgsaveStart && !r.Client.IsClosing);
        if (waiting.Count == 0) return;
        bool diskless = _server.Config.Replication.DisklessSync && waiting.TrueForAll(r => r.CapaEof);
        Log.Notice($"Starting BGSAVE for SYNC with target: {(diskless ? "replicas sockets" : "disk")}");
        // The point in time: from here to the snapshot's creation below no command can run.
        var sync = new FullSync { Diskless = diskless, Offset = _server.MasterReplOffset };
        if (diskless)
        {
            var sockets = new List<TransferSocket>();
            var mark = new byte[40];
            var alphabet = "0123456789abcdef"u8;
            for (int i = 0; i < mark.Length; i++) mark[i] = alphabet[_server.Random.Next(16)];
            long timeout = _server.Config.Replication.Timeout;
            foreach (var r in waiting)
            {
                SetupForFullResync(r, sync);
                SendDirect(r.Client, System.Text.Encoding.ASCII.GetBytes("$EOF:" + System.Text.Encoding.ASCII.GetString(mark) + "\r\n"));
                var socket = new TransferSocket(r, timeout);
                sync.Sockets[r] = socket;
                sockets.Add(socket);
            }
            var sink = new ReplicaSocketsSink(sockets, mark);
            sync.Snapshot = _server.Persistence.StartSnapshot(sink, (_, error) => DisklessSyncDone(sync, error));
            _server.Persistence.ActiveSnapshot = sync.Snapshot;
            Log.Notice($"Background RDB transfer started by pid {Environment.ProcessId} (fork-free snapshot thread)");
        }
        else
        {
            string? error = _server.Persistence.StartBackgroundSave();
            if (error != null || _server.Persistence.ActiveSnapshot == null)
            {
                Log.Warning("BGSAVE for replication failed");
                foreach (var r in waiting)
                {
                    r.Client.Reply.Error("ERR BGSAVE failed, maybe there is not enough memory or disk space");
                    r.Client.Flags |= Networking.ClientFlags.CloseAfterReply;
                    _server.QueueWrite(r.Client);
                }
                return;
            }
            sync.Snapshot = _server.Persistence.ActiveSnapshot;
            foreach (var r in waiting) SetupForFullResync(r, sync);
        }
        ForceSelect();
        _currentSync = sync;
    }

    void FailSync(FullSync sync, string reason)
    {
        if (_currentSync == sync) _currentSync = null;
        sync.SnapshotDone = true;
        foreach (var r in sync.Replicas.ToArray())
        {
            if (r.Client.IsClosing) continue;
            Log.Warning(reason);
            _server.FreeClient(r.Client);
        }
    }

    // ---- disk target ----

    void OnBackgroundSaveFinished(Snapshot snapshot, bool ok)
    {
        var sync = _currentSync;
        if (sync == null || sync.Diskless || sync.Snapshot != snapshot) return;
        _currentSync = null;
        sync.SnapshotDone = true;
        if (!ok)
        {
            FailSync(sync, "SYNC failed. BGSAVE child returned an error");
            return;
        }
        string path = Path.Combine(_server.Config.Dir, _server.Config.DbFilename);
        long timeout = _server.Config.Replication.Timeout;
        foreach (var r in sync.Replicas.ToArray())
        {
            if (r.Client.IsClosing) continue;
            FileStream file;
            try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warning($"SYNC failed. Can't open/stat DB after BGSAVE: {e.Message}");
                _server.FreeClient(r.Client);
                continue;
            }
            r.State = ReplicaState.SendBulk;
            var socket = new TransferSocket(r, timeout);
            sync.Sockets[r] = socket;
            var thread = new Thread(() => SendFile(sync, socket, file)) { IsBackground = true, Name = "repl-send-bulk" };
            thread.Start();
        }
    }

    void SendFile(FullSync sync, TransferSocket socket, FileStream file)
    {
        bool ok;
        try
        {
            using (file)
            {
                ok = socket.Write(System.Text.Encoding.ASCII.GetBytes($"${file.Length}\r\n"));
                var buffer = new byte[64 * 1024];
                int n;
                while (ok && (n = file.Read(buffer, 0, buffer.Length)) > 0) ok = socket.Write(buffer.AsSpan(0, n));
            }
        }
        catch (IOException) { ok = false; }
        socket.Close();
        _server.Loop.Post(() => TransferDone(sync, socket, ok, diskless: false));
    }

    // ---- diskless target ----

    void DisklessSyncDone(FullSync sync, string? error)
    {
        if (_currentSync == sync) _currentSync = null;
        if (_server.Persistence.ActiveSnapshot == sync.Snapshot) _server.Persistence.ActiveSnapshot = null;
        sync.SnapshotDone = true;
        if (error == null) Log.Notice("Background RDB transfer terminated with success");
        else Log.Warning("Background transfer error");
        foreach (var (_, socket) in sync.Sockets.ToArray()) TransferDone(sync, socket, error == null && !socket.Failed, diskless: true);
    }

    void TransferDone(FullSync sync, TransferSocket socket, bool ok, bool diskless)
    {
        var r = socket.Replica;
        sync.Sockets.Remove(r);
        sync.Replicas.Remove(r);
        if (r.Sync == sync) r.Sync = null;
        if (r.Client.IsClosing) return;
        socket.RestoreNonBlocking();
        if (!ok)
        {
            Log.Warning($"Diskless rdb transfer to replica {r.Name} failed");
            _server.FreeClient(r.Client);
            return;
        }
        r.State = ReplicaState.Online;
        r.AckTimeMs = _server.CachedUnixMs;
        if (diskless)
        {
            Log.Notice($"Streamed RDB transfer with replica {r.Name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming");
            r.StartStreamOnAck = true;
        }
        else StartStreaming(r);
        Log.Notice($"Synchronization with replica {r.Name} succeeded");
        ReplicaSetChanged();
    }

    partial void OnReplicaGone(ReplicaSession session)
    {
        var sync = session.Sync;
        if (sync == null) return;
        if (sync.Sockets.TryGetValue(session, out var socket)) socket.Abort();
        sync.Replicas.Remove(session);
        session.Sync = null;
    }
}
