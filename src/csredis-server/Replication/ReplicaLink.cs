// The replica side of replication (Redis's replication.c, replica half): the link to our master
// as a non-blocking state machine on the event loop.
//   CONNECT -(cron or REPLICAOF)-> CONNECTING -(socket writable)-> PING -> AUTH -> REPLCONF
//   listening-port / ip-address / capa eof psync2 -> PSYNC <cached id> <offset+1> (or ? -1)
//   +CONTINUE [id]  -> CONNECTED: the socket becomes the master client, the data is kept.
//   +FULLRESYNC id off -> TRANSFER: the payload ($<len> or $EOF:<mark>) goes to a temp file
//   (or to memory with repl-diskless-load), is loaded over the old data, then CONNECTED.
// Once connected, the master's stream runs through an ordinary client flagged Master (replies
// discarded, see ApplyFromMaster); the bytes it applies advance our offsets and are passed on
// unchanged to our own replicas. When the link drops, the master's id and processed offset are
// kept as the "cached master", so the next PSYNC asks to continue from there.
// Nothing here blocks the loop: connect is non-blocking and every read happens on readability.
using System.Net;
using System.Text;
using Csredis.Common;
using Csredis.Common.Events;
using Csredis.Common.Logging;
using Csredis.Common.Native;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

/// <summary>Redis's repl_state values; the handshake states are those waiting for a reply.</summary>
public enum ReplicaLinkState
{
    None, Connect, Connecting,
    ReceivePingReply, ReceiveAuthReply, ReceivePortReply, ReceiveIpReply, ReceiveCapaReply, ReceivePsyncReply,
    Transfer, Connected,
}

public sealed unsafe partial class ReplicaLink : IFileEventHandler
{
    readonly RedisServer _server;
    ReplicaConfig Settings => _server.Config.Replica;

    public ReplicaLinkState State { get; private set; } = ReplicaLinkState.None;
    /// <summary>The socket during connect, handshake and transfer (-1 otherwise: once connected it belongs to <see cref="Master"/>).</summary>
    int _fd = -1;
    /// <summary>Bytes read from the transfer socket and not consumed yet (reply lines, payload, stream after it).</summary>
    byte[] _in = new byte[16 * 1024];
    int _inLength;

    /// <summary>The master client while connected.</summary>
    public Client? Master { get; private set; }
    /// <summary>Replication id of the master we follow, offset of the stream applied (reploff) and read (read_reploff).</summary>
    string _masterReplId = "";
    public long MasterProcessedOffset { get; private set; }
    public long MasterReadOffset { get; private set; }

    /// <summary>The disconnected master's id, processed offset and database, for PSYNC to continue from.</summary>
    (string ReplId, long Offset, int Db)? _cached;

    /// <summary>repl_transfer_size (-1 until the payload header is read), bytes read, last I/O of the handshake/transfer.</summary>
    public long TransferSize = -1, TransferRead;
    long _transferLastIoMs;
    /// <summary>repl_down_since: when the link was lost (0 when up, or never connected).</summary>
    long _downSinceMs;
    long _replInputBytes;

    /// <summary>The +FULLRESYNC reply's id and offset.</summary>
    string _fullSyncReplId = "";
    long _fullSyncOffset;
    bool _useMark;
    byte[] _eofMark = [];
    readonly byte[] _tail = new byte[40];
    int _tailLength;
    Stream? _payload;
    string? _tempFile;
    bool _disklessLoad;
    bool _sentIp;

    /// <summary>Stream bytes of a MULTI block from the master not applied yet: offsets move when EXEC arrives (as Redis's reploff).</summary>
    readonly System.Buffers.ArrayBufferWriter<byte> _pendingTransaction = new();
    /// <summary>True while a command from the master stream executes (replicas see logically expired keys only then).</summary>
    public bool ApplyingMasterStream { get; private set; }

    public ReplicaLink(RedisServer server)
    {
        _server = server;
        server.ClientClosing += OnClientClosing;
        server.InfoCounters["total_net_repl_input_bytes"] = () => _replInputBytes;
        var previousAux = server.Persistence.ReplicationAux;
        server.Persistence.ReplicationAux = () => ReplicaSaveInfo() ?? previousAux?.Invoke();
        // Our replicas may sync from us only while we are in sync with our master (else -NOMASTERLINK).
        server.Replication.MasterLinkUp = () => IsConnected;
        InstallGuards();
    }

    public bool IsConnected => State == ReplicaLinkState.Connected;
    public bool InHandshake => State >= ReplicaLinkState.ReceivePingReply && State <= ReplicaLinkState.ReceivePsyncReply;

    /// <summary>Before loading: a replicaof directive makes us a replica from the start (the file then loads as a replica's).</summary>
    public void ConfigureFromStartup()
    {
        string conf = _server.Config.ReplicaOf;
        if (conf.Length == 0) return;
        int space = conf.LastIndexOf(' ');
        SetMasterHost(conf[..space]);
        _server.MasterPort = int.Parse(conf[(space + 1)..]);
        State = ReplicaLinkState.Connect;
    }

    /// <summary>After loading: the replication cron starts, and a replica first synthesizes its cached master from the file.</summary>
    public void StartFromConfig()
    {
        // The first run comes at once, as serverCron's first replicationCron: a configured master is contacted right after start-up.
        _server.Loop.AddTimer(1, () => { Cron(); return 1000; });
        if (_server.MasterHost == null) return;
        var p = _server.Persistence;
        // Redis restores the id and offset a replica saved, so it may continue with its master after a restart.
        if (p.LoadedReplId != null && p.LoadedReplOffset != -1 && p.LoadedReplStreamDb != -1)
        {
            _server.ReplId = p.LoadedReplId;
            _server.MasterReplOffset = p.LoadedReplOffset;
            CacheMasterUsingMyself();
            _cached = (_cached!.Value.ReplId, _cached.Value.Offset, p.LoadedReplStreamDb);
        }
    }

    (int StreamDb, string ReplId, long Offset)? ReplicaSaveInfo()
    {
        if (_server.MasterHost == null) return null;
        if (Master != null) return (Master.Db.Id, _server.ReplId, _server.MasterReplOffset);
        if (_cached is { } c) return (c.Db, _server.ReplId, _server.MasterReplOffset);
        return null;
    }

    // ---- REPLICAOF ----

    /// <summary>REPLICAOF host port (replicationSetMaster).</summary>
    public void SetMaster(string host, int port)
    {
        bool wasMaster = _server.MasterHost == null;
        // The old master client goes first with no master configured, so its loss does not reconnect.
        SetMasterHost(null);
        if (Master != null) _server.FreeClient(Master);
        SetMasterHost(host);
        _server.MasterPort = port;
        _server.Config.ReplicaOf = host + " " + port;
        CancelHandshake(reconnect: false);
        if (wasMaster)
        {
            DiscardCachedMaster();
            CacheMasterUsingMyself();
        }
        State = ReplicaLinkState.Connect;
        Log.Notice($"Connecting to MASTER {host}:{port}");
        ConnectWithMaster();
    }

    /// <summary>REPLICAOF NO ONE (replicationUnsetMaster): back to master, with a new history id.</summary>
    public void UnsetMaster()
    {
        if (_server.MasterHost == null) return;
        SetMasterHost(null);
        _server.Config.ReplicaOf = "";
        if (Master != null) _server.FreeClient(Master);
        DiscardCachedMaster();
        CancelHandshake(reconnect: false);
        ShiftReplicationId();
        // Our replicas must learn the new id: they reconnect and continue with PSYNC.
        DisconnectReplicas();
        State = ReplicaLinkState.None;
    }

    /// <summary>The log's role letter follows whether a master is configured, as Redis computes it at each line.</summary>
    void SetMasterHost(string? host)
    {
        _server.MasterHost = host;
        Log.Role = host == null ? 'M' : 'S';
    }

    /// <summary>The current history becomes the secondary one, valid up to our offset (shiftReplicationId).</summary>
    public void ShiftReplicationId()
    {
        _server.ReplId2 = _server.ReplId;
        _server.SecondReplOffset = _server.MasterReplOffset + 1;
        _server.ReplId = RedisServer.NewReplId();
        Log.Warning($"Setting secondary replication ID to {_server.ReplId2}, valid up to offset: {_server.SecondReplOffset}. New replication ID is {_server.ReplId}");
    }

    void DisconnectReplicas()
    {
        var replicas = new List<Client>();
        foreach (var c in _server.Clients.Values) if ((c.Flags & ClientFlags.Replica) != 0) replicas.Add(c);
        foreach (var c in replicas) _server.FreeClient(c);
    }

    void CacheMasterUsingMyself()
    {
        Log.Notice("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
        _cached = (_server.ReplId, _server.MasterReplOffset, 0);
    }

    void DiscardCachedMaster()
    {
        if (_cached == null) return;
        Log.Notice("Discarding previously cached master state.");
        _cached = null;
    }

    // ---- connecting and the handshake ----

    void ConnectWithMaster()
    {
        string host = _server.MasterHost!;
        IPAddress? ip = null;
        string? error = null;
        if (!IPAddress.TryParse(host, out ip))
        {
            try
            {
                foreach (var candidate in Dns.GetHostAddresses(host))
                    if (candidate.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || ip == null) ip = candidate;
            }
            catch (System.Net.Sockets.SocketException) { }
            if (ip == null) error = "Name or service not known";
        }
        if (ip != null)
        {
            _fd = Sockets.ConnectNonBlocking(ip, _server.MasterPort);
            if (_fd < 0) error = new System.ComponentModel.Win32Exception(Libc.Errno).Message;
        }
        if (error != null)
        {
            Log.Warning($"Unable to connect to MASTER: {error}");
            _fd = -1;
            return;
        }
        _server.Loop.AddFileEvent(_fd, Libc.EPOLLIN | Libc.EPOLLOUT, this);
        _inLength = 0;
        _transferLastIoMs = _server.CachedUnixMs;
        State = ReplicaLinkState.Connecting;
        Log.Notice("MASTER <-> REPLICA sync started");
    }

    public void OnWritable()
    {
        if (State != ReplicaLinkState.Connecting) { _server.Loop.SetMask(_fd, Libc.EPOLLIN); return; }
        int err = 0, len = sizeof(int);
        Libc.getsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &err, &len);
        if (err != 0)
        {
            Log.Warning("Error condition on socket for SYNC: " + new System.ComponentModel.Win32Exception(err).Message);
            FailHandshake();
            return;
        }
        Log.Notice("Non blocking connect for SYNC fired the event.");
        _server.Loop.SetMask(_fd, Libc.EPOLLIN);
        State = ReplicaLinkState.ReceivePingReply;
        if (!SendCommand("PING")) return;
    }

    public void OnReadable()
    {
        if (_fd < 0) return;
        if (State == ReplicaLinkState.Connecting) { OnWritable(); return; }
        if (_inLength == _in.Length) Array.Resize(ref _in, _in.Length * 2);
        nint n;
        fixed (byte* p = &_in[_inLength]) n = Libc.recv(_fd, p, _in.Length - _inLength, 0);
        if (n <= 0)
        {
            if (n < 0 && (Libc.Errno == Libc.EAGAIN || Libc.Errno == Libc.EINTR)) return;
            string reason = n == 0 ? "connection lost" : new System.ComponentModel.Win32Exception(Libc.Errno).Message;
            if (State == ReplicaLinkState.Transfer) Log.Warning("I/O error trying to sync with MASTER: " + reason);
            else Log.Warning("Master did not respond to command during SYNC handshake");
            FailHandshake();
            return;
        }
        _inLength += (int)n;
        _transferLastIoMs = _server.CachedUnixMs;
        ProcessInput();
    }

    void ProcessInput()
    {
        while (_fd >= 0 && State != ReplicaLinkState.Connected)
        {
            if (State == ReplicaLinkState.Transfer)
            {
                ProcessTransfer();
                return;
            }
            string? line = TakeLine();
            if (line == null) return;
            HandleReply(line);
        }
    }

    /// <summary>One reply line from _in (without CR LF), or null while incomplete.</summary>
    string? TakeLine()
    {
        int nl = _in.AsSpan(0, _inLength).IndexOf((byte)'\n');
        if (nl < 0) return null;
        int end = nl > 0 && _in[nl - 1] == '\r' ? nl - 1 : nl;
        string line = Encoding.UTF8.GetString(_in, 0, end);
        Consume(nl + 1);
        return line;
    }

    void Consume(int n)
    {
        Buffer.BlockCopy(_in, n, _in, 0, _inLength - n);
        _inLength -= n;
    }

    void HandleReply(string line)
    {
        switch (State)
        {
            case ReplicaLinkState.ReceivePingReply:
                // An authentication error is fine here: AUTH comes next.
                if (line.StartsWith('-') && !line.StartsWith("-NOAUTH", StringComparison.Ordinal) && !line.StartsWith("-NOPERM", StringComparison.Ordinal)
                    && !line.StartsWith("-ERR operation not permitted", StringComparison.Ordinal))
                {
                    Log.Warning($"Error reply to PING from master: '{line}'");
                    FailHandshake();
                    return;
                }
                Log.Notice("Master replied to PING, replication can continue...");
                SendHandshake();
                return;
            case ReplicaLinkState.ReceiveAuthReply:
                if (line.StartsWith('-'))
                {
                    Log.Warning("Unable to AUTH to MASTER: " + line);
                    FailHandshake();
                    return;
                }
                State = ReplicaLinkState.ReceivePortReply;
                return;
            case ReplicaLinkState.ReceivePortReply:
                if (line.StartsWith('-')) Log.Notice("(Non critical) Master does not understand REPLCONF listening-port: " + line);
                State = _sentIp ? ReplicaLinkState.ReceiveIpReply : ReplicaLinkState.ReceiveCapaReply;
                return;
            case ReplicaLinkState.ReceiveIpReply:
                if (line.StartsWith('-')) Log.Notice("(Non critical) Master does not understand REPLCONF ip-address: " + line);
                State = ReplicaLinkState.ReceiveCapaReply;
                return;
            case ReplicaLinkState.ReceiveCapaReply:
                if (line.StartsWith('-')) Log.Notice("(Non critical) Master does not understand REPLCONF capa: " + line);
                SendPsync();
                return;
            case ReplicaLinkState.ReceivePsyncReply:
                HandlePsyncReply(line);
                return;
        }
    }

    void SendHandshake()
    {
        var cfg = Settings;
        bool auth = cfg.MasterAuth.Length > 0;
        var commands = new List<string[]>();
        if (auth) commands.Add(cfg.MasterUser.Length > 0 ? ["AUTH", cfg.MasterUser, cfg.MasterAuth] : ["AUTH", cfg.MasterAuth]);
        int port = cfg.AnnouncePort != 0 ? cfg.AnnouncePort : _server.Config.Port;
        commands.Add(["REPLCONF", "listening-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        _sentIp = cfg.AnnounceIp.Length > 0;
        if (_sentIp) commands.Add(["REPLCONF", "ip-address", cfg.AnnounceIp]);
        commands.Add(["REPLCONF", "capa", "eof", "capa", "psync2"]);
        State = auth ? ReplicaLinkState.ReceiveAuthReply : ReplicaLinkState.ReceivePortReply;
        foreach (var args in commands) if (!SendCommand(args)) return;
    }

    void SendPsync()
    {
        string id = "?", offset = "-1";
        if (_cached is { } c)
        {
            id = c.ReplId;
            offset = (c.Offset + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Log.Notice($"Trying a partial resynchronization (request {id}:{offset}).");
        }
        else Log.Notice("Partial resynchronization not possible (no cached master)");
        State = ReplicaLinkState.ReceivePsyncReply;
        // A master failing over to us asks its target to promote itself first (CoordinatedFailover).
        bool failingOver = _server.Failover.State == FailoverState.InProgress;
        bool sent = failingOver ? SendCommand("PSYNC", id, offset, "FAILOVER") : SendCommand("PSYNC", id, offset);
        if (!sent && failingOver) _server.Failover.Abort("Write error to failover target");
    }

    void HandlePsyncReply(string line)
    {
        // The master sends newlines to keep the link alive while it prepares the reply.
        if (line.Length == 0) return;
        if (line.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
        {
            var parts = line.Split(' ');
            if (parts.Length >= 3 && parts[1].Length == 40 && long.TryParse(parts[2], out long off))
            {
                _fullSyncReplId = parts[1];
                _fullSyncOffset = off;
                Log.Notice($"Full resync from master: {_fullSyncReplId}:{_fullSyncOffset}");
            }
            else
            {
                Log.Warning("Master replied with wrong +FULLRESYNC syntax.");
                _fullSyncReplId = new string('0', 40);
                _fullSyncOffset = -1;
            }
            _server.Failover.OnPsyncAnswered(accepted: true);
            BeginTransfer();
            return;
        }
        if (line.StartsWith("+CONTINUE", StringComparison.Ordinal))
        {
            Log.Notice("Successful partial resynchronization with master.");
            var cached = _cached!.Value;
            string newId = line.Length > 10 ? line[10..].Trim() : "";
            if (newId.Length == 40 && newId != cached.ReplId)
            {
                // The master's history continued under a new id (it was promoted): ours does too.
                _server.ReplId2 = cached.ReplId;
                _server.SecondReplOffset = _server.MasterReplOffset + 1;
                _server.ReplId = newId;
                cached = (newId, cached.Offset, cached.Db);
                Log.Warning("Master replication ID changed to " + newId);
                DisconnectReplicas();
            }
            _cached = null;
            KeepOwnStream();
            CreateMasterClient(cached.ReplId, cached.Offset, cached.Db);
            _server.Failover.OnPsyncAnswered(accepted: true);
            Log.Notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            return;
        }
        if (line.StartsWith("-NOMASTERLINK", StringComparison.Ordinal) || line.StartsWith("-LOADING", StringComparison.Ordinal))
        {
            Log.Notice("Master is currently unable to PSYNC but should be in the future: " + line);
            PsyncRefused();
            return;
        }
        Log.Warning("Unexpected reply to PSYNC from master: " + line);
        PsyncRefused();
    }

    /// <summary>A FAILOVER in progress ends here (we become a master again); otherwise the handshake is retried.</summary>
    void PsyncRefused()
    {
        if (_server.Failover.State == FailoverState.InProgress) _server.Failover.OnPsyncAnswered(accepted: false);
        else FailHandshake();
    }

    bool SendCommand(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        int sent = 0;
        while (sent < bytes.Length)
        {
            nint n;
            fixed (byte* p = &bytes[sent]) n = Libc.send(_fd, p, bytes.Length - sent, Libc.MSG_NOSIGNAL);
            if (n < 0 && Libc.Errno == Libc.EINTR) continue;
            if (n <= 0)
            {
                // A handshake command fits any socket buffer: failing to send it means the link is gone.
                Log.Warning($"Failed to send {args[0]} to MASTER: " + new System.ComponentModel.Win32Exception(Libc.Errno).Message);
                FailHandshake();
                return false;
            }
            sent += (int)n;
        }
        return true;
    }

    /// <summary>The handshake or transfer failed: close, and the cron tries again (Redis's "goto error").</summary>
    void FailHandshake()
    {
        CloseTransferSocket();
        State = _server.MasterHost != null ? ReplicaLinkState.Connect : ReplicaLinkState.None;
    }

    /// <summary>cancelReplicationHandshake: abort a connect, handshake or transfer in progress.</summary>
    void CancelHandshake(bool reconnect)
    {
        if (State is ReplicaLinkState.Connected or ReplicaLinkState.None or ReplicaLinkState.Connect) return;
        CloseTransferSocket();
        State = ReplicaLinkState.Connect;
        if (reconnect && _server.MasterHost != null)
        {
            Log.Notice($"Reconnecting to MASTER {_server.MasterHost}:{_server.MasterPort} after failure");
            ConnectWithMaster();
        }
    }

    void CloseTransferSocket()
    {
        if (_fd >= 0)
        {
            _server.Loop.RemoveFileEvent(_fd);
            Libc.close(_fd);
            _fd = -1;
        }
        _inLength = 0;
        AbandonPayload();
    }

    // ---- the master client ----

    /// <summary>The link is up: the socket becomes the master client (replicationCreateMasterClient).</summary>
    void CreateMasterClient(string replId, long offset, int db)
    {
        int fd = _fd;
        _fd = -1;
        _server.Loop.RemoveFileEvent(fd);
        var master = _server.AdoptConnection(fd);
        master.Flags |= ClientFlags.Master | ClientFlags.ReplyOff;
        master.Authenticated = true;
        if (db >= 0 && db < _server.Databases.Length) master.SelectDb(db);
        Master = master;
        _masterReplId = replId;
        MasterProcessedOffset = MasterReadOffset = offset;
        _pendingTransaction.Clear();
        State = ReplicaLinkState.Connected;
        _downSinceMs = 0;
        // What arrived behind the handshake reply or the payload is the start of the stream.
        int leftover = _inLength;
        if (leftover > 0)
        {
            if (leftover > master.QueryBuffer.Length)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(master.QueryBuffer);
                master.QueryBuffer = System.Buffers.ArrayPool<byte>.Shared.Rent(leftover);
            }
            Buffer.BlockCopy(_in, 0, master.QueryBuffer, 0, leftover);
            master.QueryLength = leftover;
            _inLength = 0;
            BytesReadFromMaster(leftover);
            _server.Loop.Post(() => { if (Master == master && !master.IsClosing) master.ProcessInputBuffer(); });
        }
        if (_in.Length > 64 * 1024) _in = new byte[16 * 1024];
    }

    /// <summary>Counts bytes read from the master's socket (slave_read_repl_offset, total_net_repl_input_bytes).</summary>
    public void BytesReadFromMaster(long n)
    {
        MasterReadOffset += n;
        _replInputBytes += n;
    }

    /// <summary>
    /// Runs one command of the master's stream (the parser holds it; it started at
    /// <paramref name="commandStart"/> in the query buffer). Replies are discarded by ReplyOff,
    /// except the ACK a GETACK asks for. The bytes applied advance the offsets and go to our
    /// replicas unchanged; a MULTI block counts once its EXEC ran, as in Redis.
    /// </summary>
    public void ApplyFromMaster(Client c, int commandStart)
    {
        int end = c.Parser.Position;
        bool getAck = c.Argc >= 2 && c.ArgIs(0, "replconf"u8) && c.ArgIs(1, "getack"u8);
        if (getAck) SendAck();
        else if (c.Argc > 0)
        {
            ApplyingMasterStream = true;
            try { c.RunCommand(); }
            finally { ApplyingMasterStream = false; }
            // The command may have ended the link (its buffers are gone with it).
            if (c != Master || (c.Flags & ClientFlags.Closed) != 0) return;
        }
        var bytes = c.QueryBuffer.AsSpan(commandStart, end - commandStart);
        if ((c.Flags & ClientFlags.Multi) != 0)
        {
            System.Buffers.BuffersExtensions.Write(_pendingTransaction, bytes);
            return;
        }
        if (_pendingTransaction.WrittenCount > 0)
        {
            Applied(_pendingTransaction.WrittenSpan);
            _pendingTransaction.Clear();
        }
        Applied(bytes);
    }

    void Applied(ReadOnlySpan<byte> bytes)
    {
        MasterProcessedOffset += bytes.Length;
        FeedOwnStream(bytes);
    }

    /// <summary>REPLCONF ACK &lt;processed offset&gt; to the master (replicationSendAck).</summary>
    public void SendAck()
    {
        var m = Master;
        if (m == null || m.IsClosing) return;
        Span<byte> digits = stackalloc byte[24];
        MasterProcessedOffset.TryFormat(digits, out int len, default, System.Globalization.CultureInfo.InvariantCulture);
        m.Reply.Raw("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$"u8);
        Span<byte> lenDigits = stackalloc byte[8];
        len.TryFormat(lenDigits, out int lenLen, default, System.Globalization.CultureInfo.InvariantCulture);
        m.Reply.Raw(lenDigits[..lenLen]);
        m.Reply.Raw("\r\n"u8);
        m.Reply.Raw(digits[..len]);
        m.Reply.Raw("\r\n"u8);
        _server.QueueWrite(m);
    }

    void OnClientClosing(Client c)
    {
        if (c != Master) return;
        // replicationCacheMaster: keep the id and what was applied; the partial MULTI is dropped.
        Log.Warning("Connection with master lost.");
        Log.Notice("Caching the disconnected master state.");
        _cached = (_masterReplId, MasterProcessedOffset, c.Db.Id);
        _pendingTransaction.Clear();
        Master = null;
        State = ReplicaLinkState.Connect;
        _downSinceMs = _server.CachedUnixMs;
        if (_server.MasterHost != null)
        {
            // At once rather than at the next cron: the backlog may not keep our offset for long.
            Log.Notice($"Reconnecting to MASTER {_server.MasterHost}:{_server.MasterPort}");
            // The client's socket is closed after this handler: connect once it is.
            _server.Loop.Post(() =>
            {
                if (State == ReplicaLinkState.Connect && _server.MasterHost != null && _fd < 0) ConnectWithMaster();
            });
        }
    }

    // ---- cron ----

    /// <summary>replicationCron's replica part, once a second: timeouts, (re)connection, ACK.</summary>
    void Cron()
    {
        long now = _server.CachedUnixMs = Clock.UnixMs();
        long timeoutMs = _server.Config.Replication.Timeout * 1000L;
        if (_server.MasterHost != null && (State == ReplicaLinkState.Connecting || InHandshake) && now - _transferLastIoMs > timeoutMs)
        {
            Log.Warning("Timeout connecting to the MASTER...");
            CancelHandshake(reconnect: true);
        }
        if (_server.MasterHost != null && State == ReplicaLinkState.Transfer && now - _transferLastIoMs > timeoutMs)
        {
            Log.Warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            CancelHandshake(reconnect: true);
        }
        if (_server.MasterHost != null && State == ReplicaLinkState.Connected && Master != null && now - Master.LastInteractionMs > timeoutMs)
        {
            Log.Warning("MASTER timeout: no data nor PING received...");
            _server.FreeClient(Master);
        }
        if (State == ReplicaLinkState.Connect && _server.MasterHost != null && _fd < 0)
        {
            Log.Notice($"Connecting to MASTER {_server.MasterHost}:{_server.MasterPort}");
            ConnectWithMaster();
        }
        if (Master != null) SendAck();
    }

    /// <summary>Seconds since the link went down, -1 if it never was up (INFO master_link_down_since_seconds).</summary>
    public long LinkDownSinceSeconds => _downSinceMs == 0 ? -1 : (_server.CachedUnixMs - _downSinceMs) / 1000;
    public long TransferLastIoSeconds => (_server.CachedUnixMs - _transferLastIoMs) / 1000;

    /// <summary>slave_repl_offset / slave_read_repl_offset: the master's, else the cached master's, else 1.</summary>
    public long ReportedProcessedOffset => Master != null ? MasterProcessedOffset : _cached?.Offset ?? 1;
    public long ReportedReadOffset => Master != null ? MasterReadOffset : _cached?.Offset ?? 1;
}
