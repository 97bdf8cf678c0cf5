// The server (Redis's server.c): global state, start-up, the command pipeline and serverCron.
// Everything here runs on the one event-loop thread; commands execute one at a time, so the
// keyspace needs no locks. Other threads (signal handlers) only Post() work to the loop.
using System.Runtime.InteropServices;
using Csredis.Common;
using Csredis.Common.Events;
using Csredis.Common.Logging;
using Csredis.Common.Native;
using Csredis.Server.Commands;
using Csredis.Server.Config;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed class ServerStats
{
    public long ConnectionsReceived, RejectedConnections, CommandsProcessed;
    public long NetInputBytes, NetOutputBytes;
    public long ExpiredKeys, ExpiredStalePerc, ExpiredTimeCapReachedCount, ExpireCycleCpuMilliseconds, EvictedKeys;
    public long KeyspaceHits, KeyspaceMisses;
    public long TotalErrorReplies, UnexpectedErrorReplies;
    public long ReadsProcessed, WritesProcessed, ReplyBufferShrinks, ReplyBufferExpands;
    public readonly Dictionary<string, long> ErrorCounts = new(StringComparer.Ordinal);

    // Instantaneous metrics: samples of the counters taken by the cron, as Redis's trackInstantaneousMetric.
    public readonly InstantaneousMetric OpsPerSec = new(), InputKbps = new(), OutputKbps = new();

    public void CountError(ReadOnlySpan<byte> message)
    {
        TotalErrorReplies++;
        int space = message.IndexOf((byte)' ');
        var prefix = space > 0 ? message[..space] : message;
        if (prefix.Length > 64) prefix = prefix[..64];
        // The prefix is a short error code ("ERR", "WRONGTYPE"): a handful of distinct strings.
        var lookup = ErrorCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> chars = stackalloc char[prefix.Length];
        for (int i = 0; i < prefix.Length; i++) chars[i] = (char)prefix[i];
        if (lookup.TryGetValue(chars, out long n)) lookup[chars] = n + 1;
        else if (ErrorCounts.Count < 128) ErrorCounts[new string(chars)] = 1;
    }

    public void Reset()
    {
        ConnectionsReceived = RejectedConnections = CommandsProcessed = NetInputBytes = NetOutputBytes = 0;
        ExpiredKeys = ExpiredStalePerc = ExpiredTimeCapReachedCount = ExpireCycleCpuMilliseconds = EvictedKeys = 0;
        KeyspaceHits = KeyspaceMisses = TotalErrorReplies = UnexpectedErrorReplies = 0;
        ReadsProcessed = WritesProcessed = ReplyBufferShrinks = ReplyBufferExpands = 0;
        ErrorCounts.Clear();
    }
}

public sealed class InstantaneousMetric
{
    const int Samples = 16;
    readonly long[] _values = new long[Samples];
    int _index;
    long _lastReading, _lastTimeMs;

    public void Track(long current, long nowMs)
    {
        long elapsed = nowMs - _lastTimeMs;
        if (_lastTimeMs != 0 && elapsed > 0) _values[_index++ % Samples] = (current - _lastReading) * 1000 / elapsed;
        _lastReading = current;
        _lastTimeMs = nowMs;
    }

    public long Average()
    {
        long sum = 0;
        foreach (var v in _values) sum += v;
        return sum / Samples;
    }
}

public sealed partial class RedisServer
{
    public const string RedisVersion = "7.0.15";

    public readonly ServerConfig Config;
    public readonly EventLoop Loop = new();
    public readonly CommandTable Commands;
    /// <summary>RDB save/load state and orchestration (INFO persistence reads its public fields).</summary>
    public readonly Persistence.RdbPersistence Persistence;
    public Db[] Databases = null!;
    public readonly ServerStats Stats = new();
    public readonly string RunId = Common.RunId.New();
    public readonly long StartTimeMs = Clock.UnixMs();
    public readonly long StartMonotonicUs = Clock.MonotonicUs();
    public readonly Random Random = new();

    public readonly Dictionary<long, Client> Clients = new();
    // Redis 7.0 gives ids 1 and 2 to its scripting and functions clients at start-up, so the first
    // connection is id 3; tools and write-ups (CLIENT LIST, CLIENT KILL ID) see the same numbers here.
    long _nextClientId = 2;
    readonly List<Client> _pendingWrites = new();
    readonly List<Listener> _listeners = new();
    public readonly List<(string Address, int Port)> BoundAddresses = new();

    /// <summary>Wall clock cached per event-loop iteration and per command (Redis's mstime cache).</summary>
    public long CachedUnixMs = Clock.UnixMs();
    /// <summary>Derives per-command wall-clock times from the command's monotonic start tick.</summary>
    Clock.WallClock _wallClock;
    /// <summary>The time a command sees for expiry decisions: fixed while it (or its MULTI) runs.</summary>
    public long CommandTimeMs => CachedUnixMs;
    /// <summary>Non-zero while EXEC (or a script) runs: the command time stays what it was when it started.</summary>
    public int CommandTimeFrozen;
    /// <summary>Errors already attributed to a command's failed_calls, so a nested call's error is not counted twice (EXEC).</summary>
    long _errorsAttributed;

    public long Dirty;
    public long CronLoops;
    public bool IsReplica => MasterHost != null;
    public string? MasterHost;
    public int MasterPort;
    public bool ShutdownRequested;
    public string ShutdownReason = "";

    /// <summary>CLIENT PAUSE state: until when, and whether only writes (and may-replicate commands) are held.</summary>
    public bool ClientsPaused;
    public long PauseEndMs;
    public bool PauseWritesOnly;
    long _pauseTimer;
    bool _resumePostponed;
    /// <summary>Writes held by a FAILOVER waiting for its target: a pause of its own, which CLIENT UNPAUSE leaves alone.</summary>
    public bool PausedForFailover { get; private set; }
    public bool AnyPause => ClientsPaused || PausedForFailover;
    readonly List<Client> _postponed = new();

    /// <summary>Set by transactions: whether EXEC would run a write (an EXEC is then held by CLIENT PAUSE WRITE).</summary>
    public Func<Client, bool>? MultiQueueHasWrites;

    /// <summary>Raised when a key is removed because its time to live passed (WATCH, notifications and replication subscribe).</summary>
    public event Action<Db, byte[]>? KeyExpired;

    /// <summary>Set in sentinel mode (csredis-sentinel, or csredis-server --sentinel): the server then runs Sentinel only.</summary>
    public readonly Sentinel.SentinelState? Sentinel;

    public RedisServer(ServerConfig config, bool sentinelMode = false)
    {
        Config = config;
        Commands = sentinelMode ? Csredis.Server.Sentinel.SentinelCommands.CreateTable() : CommandTable.CreateServerTable();
        if (sentinelMode)
        {
            Sentinel = new Sentinel.SentinelState(this);
            Sentinel.Publish = (channel, message) =>
                PubSub!.Publish(System.Text.Encoding.UTF8.GetBytes(channel), System.Text.Encoding.UTF8.GetBytes(message));
            Cron += Sentinel.Timer;
        }
        foreach (var (from, to) in config.RenamedCommands) Commands.Rename(from, to);
        Databases = new Db[config.Databases];
        for (int i = 0; i < Databases.Length; i++) Databases[i] = new Db(this, i);
        Loop.BeforeSleep = BeforeSleep;
        // Sentinel traffic is a few messages a second: nothing to poll for.
        Loop.BusyPollMicros = sentinelMode ? 0 : Config.BusyPollMicros;
        if (!sentinelMode) Config.Registry.Find("busy-poll-us")!.ApplyChange = () => { Loop.BusyPollMicros = Config.BusyPollMicros; return null; };
        CommandFilters.Add(HoldIfPaused);
        Config.Registry.Find("port")!.ApplyChange = () => Rebind("Unable to listen on this port");
        Config.Registry.Find("bind")!.ApplyChange = () => Rebind("Failed to bind to specified addresses.");
        InitDiagnostics();
        Loop.AfterSleep = AfterSleep;
        // Filter order matters: Redis refuses no-multi commands first and queues MULTI commands last.
        Transactions = new Transactions(this);
        CommandFilters.Add(Transactions.NoMultiFilter);
        PubSub = new PubSub(this);
        KeyspaceEvents = new KeyspaceEvents(this);
        Blocking = new Blocking(this);
        OutputLimits = new OutputBufferLimits(this);
        // Persistence's MISCONF guard runs before MULTI queueing, as Redis rejects such commands at queue time.
        Persistence = new Persistence.RdbPersistence(this);
        Replication = new Csredis.Server.Replication.ReplicationStream(this);
        // After the stream: the link relays into it and adds the replica's save info to the master's.
        ReplicaLink = new Replication.ReplicaLink(this);
        Failover = new Replication.CoordinatedFailover(this);
        CommandFilters.Add(Transactions.QueueFilter);
    }

    /// <summary>The replication stream, backlog and attached replicas (master side).</summary>
    public readonly Csredis.Server.Replication.ReplicationStream Replication;

    /// <summary>FAILOVER's state machine.</summary>
    public readonly Csredis.Server.Replication.CoordinatedFailover Failover;

    public readonly Transactions Transactions;
    public readonly PubSub PubSub;
    public readonly KeyspaceEvents KeyspaceEvents;
    public readonly Blocking Blocking;
    public readonly OutputBufferLimits OutputLimits;

    public void OnKeyExpired(Db db, byte[] key) => KeyExpired?.Invoke(db, key);

    /// <summary>Binds every configured address; returns false (after logging as Redis does) when one fails.</summary>
    public bool Listen()
    {
        var opened = OpenListeners(Config.Bind, Config.Port, out string? error, out string? failedAddress);
        if (opened == null)
        {
            Log.Warning($"Warning: Could not create server TCP listening socket {failedAddress}:{Config.Port}: {error}");
            Log.Warning($"Failed listening on port {Config.Port} (TCP), aborting.");
            return false;
        }
        UseListeners(opened);
        return true;
    }

    /// <summary>Opens a listening socket per address ("-addr": skipped if unavailable); null (nothing left open) on failure.</summary>
    List<(Listener Listener, string Address)>? OpenListeners(string[] bind, int port, out string? error, out string? failedAddress)
    {
        var opened = new List<(Listener, string)>();
        error = failedAddress = null;
        foreach (var spec in bind)
        {
            bool optional = spec.StartsWith('-');
            string address = optional ? spec[1..] : spec;
            try
            {
                int fd = Sockets.Listen(address, port, Config.TcpBacklog);
                opened.Add((new Listener(this, fd), address));
            }
            catch (System.Net.Sockets.SocketException e)
            {
                // Sockets.Listen reports the raw errno: 99 EADDRNOTAVAIL, 97 EAFNOSUPPORT.
                bool unavailable = e.NativeErrorCode is 99 or 97 || e.SocketErrorCode is System.Net.Sockets.SocketError.AddressNotAvailable
                    or System.Net.Sockets.SocketError.AddressFamilyNotSupported;
                if (optional && unavailable) continue;
                foreach (var (l, _) in opened) Libc.close(l.Fd);
                error = e.NativeErrorCode == (int)System.Net.Sockets.SocketError.HostNotFound || e.SocketErrorCode == System.Net.Sockets.SocketError.HostNotFound ? "Name or service not known"
                    : "bind: " + Marshal.GetPInvokeErrorMessage(e.NativeErrorCode);
                failedAddress = address;
                return null;
            }
        }
        return opened;
    }

    void UseListeners(List<(Listener Listener, string Address)> opened)
    {
        foreach (var old in _listeners)
        {
            Loop.RemoveFileEvent(old.Fd);
            Libc.close(old.Fd);
        }
        _listeners.Clear();
        BoundAddresses.Clear();
        foreach (var (listener, address) in opened)
        {
            _listeners.Add(listener);
            Loop.AddFileEvent(listener.Fd, Libc.EPOLLIN, listener);
            BoundAddresses.Add((address, Config.Port));
        }
    }


    /// <summary>CONFIG SET port/bind: the new sockets are opened before the old ones close, so a failure changes nothing.</summary>
    public string? Rebind(string errorText)
    {
        // Like Redis, the old sockets close first (the same address may be bound again), and
        // are opened again when the new set fails.
        var previous = BoundAddresses.ToArray();
        UseListeners([]);
        var opened = OpenListeners(Config.Bind, Config.Port, out _, out _);
        if (opened != null)
        {
            UseListeners(opened);
            return null;
        }
        var restored = new List<(Listener, string)>();
        foreach (var (address, port) in previous)
        {
            try { restored.Add((new Listener(this, Sockets.Listen(address, port, Config.TcpBacklog)), address)); }
            catch (System.Net.Sockets.SocketException) { Log.Warning($"Failed to restore listening socket {address}:{port}"); }
        }
        UseListeners(restored);
        return errorText;
    }

    public void AcceptClient(int fd)
    {
        Stats.ConnectionsReceived++;
        if (Clients.Count >= Config.MaxClients)
        {
            // Redis answers before closing so the client sees why.
            var msg = "-ERR max number of clients reached\r\n"u8;
            unsafe { fixed (byte* p = msg) Libc.send(fd, p, msg.Length, Libc.MSG_NOSIGNAL); }
            Libc.close(fd);
            Stats.RejectedConnections++;
            return;
        }
        var client = CreateClient(fd, out var ip);
        if (Config.ProtectedMode && !Config.AuthRequired && !IsLoopback(ip))
        {
            var denied = System.Text.Encoding.ASCII.GetBytes("-" + ProtectedModeMessage + "\r\n");
            unsafe { fixed (byte* p = denied) Libc.send(fd, p, denied.Length, Libc.MSG_NOSIGNAL); }
            Libc.close(fd);
            Stats.RejectedConnections++;
            return;
        }
        Clients[client.Id] = client;
        Loop.AddFileEvent(fd, Libc.EPOLLIN, client);
        Log.Verbose($"Accepted {client.Address}");
    }

    static string FormatAddress(string ip, int port) => ip.Contains(':') ? $"{ip}:{port}" : $"{ip}:{port}";

    /// <summary>A client connected over loopback (what "local" means for enable-protected-configs).</summary>
    public static bool IsLocalClient(Client c)
    {
        int colon = c.Address.LastIndexOf(':');
        return IsLoopback(colon < 0 ? c.Address : c.Address[..colon]);
    }

    static bool IsLoopback(string ip) => ip == "::1" || ip.StartsWith("127.", StringComparison.Ordinal) || ip == "/unix";

    const string ProtectedModeMessage =
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
        "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
        "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
        "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
        "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
        "4) Setup a an authentication password for the default user. " +
        "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

    public void FreeClient(Client client)
    {
        if ((client.Flags & ClientFlags.Closed) != 0) return;
        client.Flags |= ClientFlags.Closed;
        ClientClosing?.Invoke(client);
        Loop.RemoveFileEvent(client.Fd);
        Libc.close(client.Fd);
        Clients.Remove(client.Id);
        client.Reply.Release();
        System.Buffers.ArrayPool<byte>.Shared.Return(client.QueryBuffer);
        client.QueryBuffer = Array.Empty<byte>();
        client.QueryLength = 0;
    }

    /// <summary>Raised before a client's resources go away (pub/sub, blocking, WATCH and MONITOR clean up here).</summary>
    public event Action<Client>? ClientClosing;

    public void QueueWrite(Client client)
    {
        if ((client.Flags & ClientFlags.PendingWrite) != 0) return;
        // A replica receiving its RDB: the transfer owns the socket, the stream waits in the buffer.
        if (client.ReplicaSession is { HoldOutput: true }) return;
        client.Flags |= ClientFlags.PendingWrite;
        _pendingWrites.Add(client);
    }

    void BeforeSleep()
    {
        Blocking.BeforeSleep();
        OutputLimits.FreeScheduledClients();
        if (_resumePostponed) ResumePostponed();
        // Replies are sent here, once per loop iteration, so a pipeline of commands costs one send().
        for (int i = 0; i < _pendingWrites.Count; i++)
        {
            var c = _pendingWrites[i];
            c.Flags &= ~ClientFlags.PendingWrite;
            if ((c.Flags & ClientFlags.Closed) != 0) continue;
            if (!c.WriteToSocket()) continue;
            if (c.Reply.HasPending) Loop.SetMask(c.Fd, Libc.EPOLLIN | Libc.EPOLLOUT);
            else if ((c.Flags & ClientFlags.CloseAfterReply) != 0) FreeClient(c);
        }
        _pendingWrites.Clear();
        // Acks read in this iteration may complete a FAILOVER's wait (as Redis's beforeSleep does).
        Failover.Update();
        if (ShutdownRequested) TryShutdown();
    }

    void AfterSleep()
    {
        CachedUnixMs = _wallClock.Anchor();
        LruClock.Update(CachedUnixMs);
    }

    /// <summary>Looks the command up and runs the checks Redis runs before executing it.</summary>
    public void ProcessCommand(Client c)
    {
        var cmd = Commands.Find(c.Arg(0));
        if (cmd == null)
        {
            RejectUnknownCommand(c);
            return;
        }
        if (cmd.Subcommands != null && c.Argc >= 2)
        {
            var sub = cmd.FindSubcommand(c.Arg(1));
            if (sub == null)
            {
                RejectUnknownSubcommand(c, cmd);
                return;
            }
            cmd = sub;
        }
        if (!cmd.ArityOk(c.Argc))
        {
            RejectCommand(c, cmd, System.Text.Encoding.UTF8.GetBytes("ERR wrong number of arguments for '" + cmd.FullName + "' command"), formatted: true);
            return;
        }
        if (!c.Authenticated && !cmd.Is(CommandFlags.NoAuth))
        {
            RejectCommand(c, cmd, "NOAUTH Authentication required."u8);
            return;
        }
        foreach (var filter in CommandFilters)
            if (!filter(c, cmd)) return;
        Call(c, cmd);
        if (c.Reply.PendingBytes > Common.Resp.ReplyBuffer.InitialSize) OutputLimits.Check(c);
        // Keys made ready by this command (a push, a move) serve blocked clients now, in this turn.
        Blocking.HandleReadyKeys();
    }

    /// <summary>Refuses a command before it runs (Redis's rejectCommand): inside MULTI this dooms the transaction.</summary>
    /// <remarks>A rejected EXEC ends the transaction (and the client's WATCHes) as execCommandAbort does,
    /// in or out of MULTI. <paramref name="formatted"/> marks Redis's rejectCommandFormat messages,
    /// which carry no "ERR " code inside the EXECABORT text.</remarks>
    public void RejectCommand(Client c, Command? cmd, ReadOnlySpan<byte> error, bool formatted = false)
    {
        if (cmd != null) cmd.RejectedCalls++;
        if ((c.Flags & ClientFlags.Multi) != 0) c.Flags |= ClientFlags.DirtyExec;
        if (cmd?.Name == "exec")
        {
            Transactions.Discard(c);
            Transactions.UnwatchAll(c);
            if (formatted && error.StartsWith("ERR "u8)) error = error[4..];
            c.Error([.. "EXECABORT Transaction discarded because of: "u8, .. error]);
            return;
        }
        c.Error(error);
    }

    /// <summary>
    /// Checks contributed by features, run in order after lookup, arity and auth (MULTI queueing,
    /// pub/sub context, read-only replica, min-replicas, OOM...). A filter returns false after it has
    /// replied (or queued the command) when the command must not run now.
    /// </summary>
    public readonly List<Func<Client, Command, bool>> CommandFilters = new();

    /// <summary>Runs a command and accounts for it (Redis's call()).</summary>
    public void Call(Client c, Command cmd)
    {
        long start = Clock.Timestamp();
        long errorsBefore = Stats.TotalErrorReplies;
        if (CommandTimeFrozen == 0) CachedUnixMs = _wallClock.UnixMsAt(start);
        var outer = c.CurrentCommand;
        c.CurrentCommand = cmd;
        if (outer == null) c.TopLevelCommand = cmd;
        var propagation = Replication.Propagation.Enter();
        cmd.Handler(c);
        Replication.Propagation.Exit(c, cmd, propagation);
        c.CurrentCommand = outer;
        if (outer == null) c.TopLevelCommand = null;
        c.LastCommand = cmd;
        // A command that blocked is accounted for when it is served or times out.
        if ((c.Flags & ClientFlags.Blocked) != 0) return;
        long duration = Clock.ElapsedUs(start, Clock.Timestamp());
        cmd.Calls++;
        cmd.Microseconds += duration;
        if (Stats.TotalErrorReplies > Math.Max(errorsBefore, _errorsAttributed)) cmd.FailedCalls++;
        _errorsAttributed = Stats.TotalErrorReplies;
        if (Config.LatencyTracking) cmd.Latency.Record(duration * 1000);
        Stats.CommandsProcessed++;
        AfterCall?.Invoke(c, cmd, duration);
    }

    /// <summary>A client for a connected socket (accepted, or our link to a master): socket options, id, both addresses.</summary>
    Client CreateClient(int fd, out string ip)
    {
        Sockets.ConfigureClientSocket(fd, Config.TcpKeepalive);
        var client = new Client(this, fd, ++_nextClientId);
        (ip, int port) = Sockets.PeerAddress(fd);
        var (lip, lport) = Sockets.PeerAddress(fd, local: true);
        client.Address = FormatAddress(ip, port);
        client.LocalAddress = FormatAddress(lip, lport);
        return client;
    }

    /// <summary>Observers of executed commands (SLOWLOG, LATENCY, MONITOR, propagation): client, command, microseconds.</summary>
    public event Action<Client, Command, long>? AfterCall;

    void RejectUnknownCommand(Client c)
    {
        var text = new System.Text.StringBuilder("ERR unknown command '");
        AppendTruncated(text, c.Arg(0), 128);
        text.Append("', with args beginning with: ");
        int argsStart = text.Length;
        for (int i = 1; i < c.Argc && text.Length - argsStart < 128; i++)
        {
            text.Append('\'');
            AppendTruncated(text, c.Arg(i), 128 - (text.Length - argsStart));
            text.Append("' ");
        }
        RejectCommand(c, null, System.Text.Encoding.UTF8.GetBytes(text.ToString()));
    }

    void RejectUnknownSubcommand(Client c, Command parent)
    {
        var text = new System.Text.StringBuilder("ERR unknown subcommand '");
        AppendTruncated(text, c.Arg(1), 128);
        text.Append("'. Try ").Append(parent.Name.ToUpperInvariant()).Append(" HELP.");
        RejectCommand(c, null, System.Text.Encoding.UTF8.GetBytes(text.ToString()));
    }

    static void AppendTruncated(System.Text.StringBuilder sb, ReadOnlySpan<byte> bytes, int max)
    {
        if (max < 0) max = 0;
        var part = bytes.Length > max ? bytes[..max] : bytes;
        sb.Append(System.Text.Encoding.Latin1.GetString(part));
    }

    public void Run()
    {
        Loop.AddTimer(1, ServerCron);
        RegisterSignals();
        Loop.Run();
    }

    readonly List<PosixSignalRegistration> _signals = new();

    void RegisterSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, ctx =>
            {
                ctx.Cancel = true;
                string name = ctx.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
                Loop.Post(() =>
                {
                    if (ShutdownRequested && ctx.Signal == PosixSignal.SIGINT)
                    {
                        Log.Warning("You insist... exiting now.");
                        Environment.Exit(1);
                    }
                    // Redis logs this from its signal handler, hence the "signal-handler (unix time)" prefix.
                    if (Log.Enabled(LogLevel.Warning))
                        Log.Raw($"{Environment.ProcessId}:signal-handler ({Clock.UnixMs() / 1000}) Received {name} scheduling shutdown...\n");
                    string mode = ctx.Signal == PosixSignal.SIGINT ? Config.ShutdownOnSigint : Config.ShutdownOnSigterm;
                    ShutdownSave = mode switch { "save" => true, "nosave" => false, _ => null };
                    ShutdownRequested = true;
                });
            }));
        }
    }

    /// <summary>serverCron: runs Hz times per second.</summary>
    long ServerCron()
    {
        CachedUnixMs = _wallClock.Anchor();
        LruClock.Update(CachedUnixMs);
        CronLoops++;
        if (CronLoops % Math.Max(1, Config.Hz / 10) == 0)
        {
            Stats.OpsPerSec.Track(Stats.CommandsProcessed, CachedUnixMs);
            Stats.InputKbps.Track(Stats.NetInputBytes, CachedUnixMs);
            Stats.OutputKbps.Track(Stats.NetOutputBytes, CachedUnixMs);
        }
        if (ClientsPaused && CachedUnixMs >= PauseEndMs) Unpause();
        UsedMemory();
        ClientsCron();
        DatabasesCron();
        Cron?.Invoke();
        return 1000 / CurrentHz;
    }

    /// <summary>Periodic work contributed by features (replication, persistence), run from serverCron.</summary>
    public event Action? Cron;

    void ClientsCron()
    {
        if (Config.Timeout <= 0) return;
        long limitMs = Config.Timeout * 1000L;
        List<Client>? idle = null;
        foreach (var c in Clients.Values)
        {
            if ((c.Flags & (ClientFlags.Replica | ClientFlags.Master | ClientFlags.Monitor | ClientFlags.Blocked | ClientFlags.PubSub)) != 0) continue;
            if (CachedUnixMs - c.LastInteractionMs > limitMs) (idle ??= new()).Add(c);
        }
        if (idle == null) return;
        foreach (var c in idle)
        {
            Log.Verbose("Closing idle client");
            FreeClient(c);
        }
    }

    void DatabasesCron()
    {
        // Keys do not expire while clients are paused: the dataset must stay as the pause found it.
        if (!IsReplica && !AnyPause) ActiveExpire.Cycle(this);
        foreach (var db in Databases)
        {
            db.Main.ShrinkIfSparse();
            db.Expires.ShrinkIfSparse();
        }
        if (!Config.ActiveRehashing) return;
        foreach (var db in Databases)
        {
            if (db.Main.IsRehashing) { db.Main.RehashForMilliseconds(1); break; }
            if (db.Expires.IsRehashing) { db.Expires.RehashForMilliseconds(1); break; }
        }
    }

    /// <summary>CLIENT PAUSE: the later end time and the stricter mode win over a pause in progress.</summary>
    public void PauseClients(long endMs, bool writesOnly)
    {
        if (ClientsPaused)
        {
            PauseEndMs = Math.Max(PauseEndMs, endMs);
            PauseWritesOnly &= writesOnly;
        }
        else
        {
            PauseEndMs = endMs;
            PauseWritesOnly = writesOnly;
            ClientsPaused = true;
        }
        if (_pauseTimer != 0) Loop.RemoveTimer(_pauseTimer);
        _pauseTimer = Loop.AddTimer(Math.Max(0, PauseEndMs - Clock.UnixMs()), () =>
        {
            _pauseTimer = 0;
            if (ClientsPaused && Clock.UnixMs() >= PauseEndMs) Unpause();
            else if (ClientsPaused) return Math.Max(1, PauseEndMs - Clock.UnixMs());
            return -1;
        });
    }

    public void SetFailoverPause(bool on)
    {
        PausedForFailover = on;
        if (!on) _resumePostponed = true;
    }

    /// <summary>Ends the pause; held commands run before the loop next sleeps (not inside the current command).</summary>
    public void Unpause()
    {
        ClientsPaused = false;
        if (_pauseTimer != 0)
        {
            Loop.RemoveTimer(_pauseTimer);
            _pauseTimer = 0;
        }
        _resumePostponed = true;
    }

    /// <summary>
    /// Command filter of CLIENT PAUSE: replicas and the master link are never held; in WRITE mode
    /// only writes and may-replicate commands are (also when sent inside MULTI, as Redis does), and an
    /// EXEC whose queue holds a write.
    /// A held command is copied aside and the client stops reading until the pause ends.
    /// </summary>
    bool HoldIfPaused(Client c, Command cmd)
    {
        if (!AnyPause || (c.Flags & (ClientFlags.Replica | ClientFlags.Master)) != 0) return true;
        bool isExec = cmd.Name == "exec";
        bool mayReplicate = cmd.Is(CommandFlags.Write | CommandFlags.MayReplicate)
            || (isExec && MultiQueueHasWrites != null && MultiQueueHasWrites(c));
        // A FAILOVER holds writes only; with CLIENT PAUSE too, the stricter of the two wins.
        bool writesOnly = !ClientsPaused || PauseWritesOnly;
        if (writesOnly && !mayReplicate) return true;
        c.Postponed = (cmd, c.CopyArgs());
        c.Flags |= ClientFlags.Blocked;
        _postponed.Add(c);
        return false;
    }

    void ResumePostponed()
    {
        _resumePostponed = false;
        var held = _postponed.ToArray();
        _postponed.Clear();
        foreach (var c in held)
        {
            if (c.IsClosing || c.Postponed == null) continue;
            var (_, args) = c.Postponed.Value;
            c.Postponed = null;
            c.Flags &= ~ClientFlags.Blocked;
            c.RunCommand(args: args);
            // Whatever the client pipelined behind the held command runs now too.
            c.ProcessInputBuffer();
        }
    }

    /// <summary>Hooks run at shutdown before the process exits (final snapshot, pid file); false aborts.</summary>
    public Func<bool>? BeforeShutdown;

    public void TryShutdown()
    {
        ShutdownRequested = false;
        Log.Warning("User requested shutdown...");
        if (BeforeShutdown != null && !BeforeShutdown())
        {
            Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
            return;
        }
        if (Config.PidFile.Length > 0)
        {
            Log.Notice("Removing the pid file.");
            try { File.Delete(Config.PidFile); } catch (IOException) { }
        }
        foreach (var l in _listeners) Libc.close(l.Fd);
        Log.Warning("Redis is now ready to exit, bye bye...");
        Environment.Exit(0);
    }
}
