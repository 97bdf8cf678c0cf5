// The connection state redis-cli keeps between commands: the socket (TCP, unix or TLS), the selected
// database, RESP version, MULTI state, cluster redirections, the Lua debugger state, and the rules for
// sending one command and printing its replies (special cases for SELECT/MULTI/EXEC/AUTH, MONITOR and
// SUBSCRIBE streaming, SHUTDOWN, SYNC, MOVED/ASK with -c, SCRIPT DEBUG).
using System.Buffers;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public sealed class CliSession(CliOptions options)
{
    public readonly CliOptions Options = options;
    public RedisBlockingConnection? Connection;
    /// <summary>The database the connection is in now; Options.Database is the one to select on (re)connect.</summary>
    public int Database;
    public bool InMulti;
    private int databaseBeforeMulti;
    public bool Resp3 = options.Resp3;
    public bool Interactive;
    public RespType? LastReplyType;
    private bool expectingShutdown;
    /// <summary>The link failed (I/O error or EOF); the next command reconnects first.</summary>
    public bool LinkBroken;
    /// <summary>-c: the last reply was MOVED/ASK, the command must go again to the new address.</summary>
    public bool ReissueCommand;
    private bool sendAsking;
    public readonly LuaDebuggerState Ldb = new() { Active = options.LuaDebugger };
    private readonly Stream stdout = Stdio.OpenStandardOutput();
    private readonly ArrayBufferWriter<byte> formatted = new(4096);
    private TlsClientContext? tlsContext;

    public bool IsConnected => Connection is not null;

    public string Address => Options.UnixSocket ?? FormatAddress(Options.Host, Options.Port);

    public static string FormatAddress(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    public TlsClientContext? TlsContext => Options.Tls ? tlsContext ??= new TlsClientContext(Options.TlsSettings) : null;

    /// <summary>redis-cli's cliConnect: connects unless already connected (or always with force), then
    /// AUTH, SELECT and HELLO 3, stopping at the first that fails. Connection errors are printed unless
    /// quiet; TLS set-up errors always are.</summary>
    public bool Connect(bool force = false, bool quiet = false)
    {
        if (Connection is not null && !force) return true;
        if (Connection is not null)
        {
            Connection.Dispose();
            Connection = null;
            Database = 0;
            InMulti = false;
        }
        LinkBroken = false;
        string where = Options.UnixSocket ?? $"{Options.Host}:{Options.Port}";
        try
        {
            Connection = Options.UnixSocket is { } path
                ? RedisBlockingConnection.ConnectUnix(path, acceptAttributes: false)
                : RedisBlockingConnection.ConnectTcp(Options.Host, Options.Port, acceptAttributes: false);
        }
        catch (RedisConnectionException e)
        {
            if (!quiet) Stdio.Error($"Could not connect to Redis at {where}: {e.Message}\n");
            return false;
        }
        if (TlsContext is { } tls)
        {
            try { Connection.StartTls(tls); }
            catch (TlsSetupException e)
            {
                Stdio.Error($"Could not negotiate a TLS connection: {e.Message}\n");
                Disconnect();
                return false;
            }
            catch (RedisConnectionException e)
            {
                if (!quiet) Stdio.Error($"Could not connect to Redis at {where}: {e.Message}\n");
                Disconnect();
                return false;
            }
        }
        KeepAlive(Connection);
        try { return Authenticate(Connection, Options.User, Options.Password) && SelectDatabase() && SwitchProtocol(); }
        catch (RedisConnectionException)
        {
            Stdio.Error("\nI/O error\n");
            LinkBroken = true;
            return false;
        }
    }

    // redis-cli sets an aggressive TCP keepalive (15 s) so long commands are not cut by idle timeouts.
    private static void KeepAlive(RedisBlockingConnection connection)
    {
        if (connection.Socket.AddressFamily == System.Net.Sockets.AddressFamily.Unix) return;
        try
        {
            var socket = connection.Socket;
            socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime, 15);
            socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (System.Net.Sockets.SocketException) { }
    }

    /// <summary>AUTH [user] password when a password is configured; "AUTH failed: ..." on an error reply.</summary>
    public static bool Authenticate(RedisBlockingConnection connection, string? user, string? password)
    {
        if (password is null) return true;
        var reply = user is null ? connection.Execute("AUTH", password) : connection.Execute("AUTH", user, password);
        if (!reply.IsError) return true;
        Stdio.Error($"AUTH failed: {reply.AsText()}\n");
        return false;
    }

    private bool SelectDatabase()
    {
        if (Options.Database == Database) return true;
        var reply = Connection!.Execute("SELECT", Options.Database.ToString());
        if (reply.IsError)
        {
            Stdio.Error($"SELECT {Options.Database} failed: {reply.AsText()}\n");
            return false;
        }
        Database = Options.Database;
        return true;
    }

    private bool SwitchProtocol()
    {
        if (!Resp3) return true;
        var reply = Connection!.Execute("HELLO", "3");
        if (!reply.IsError) return true;
        Stdio.Error($"HELLO 3 failed: {reply.AsText()}\n");
        return Options.Resp3Mode != 1;
    }

    /// <summary>Opens another connection with the same credentials and TLS settings (cluster nodes, the
    /// nodes --topology visits). Connection errors are printed as redis-cli prints them for that node.</summary>
    public RedisBlockingConnection? OpenNodeConnection(string host, int port, bool quiet = false, TimeSpan? timeout = null,
        string tlsErrorPrefix = "Could not negotiate a TLS connection: ")
    {
        RedisBlockingConnection connection;
        try { connection = RedisBlockingConnection.ConnectTcp(host, port, acceptAttributes: false, timeout: timeout); }
        catch (RedisConnectionException e)
        {
            if (!quiet) Stdio.Error($"Could not connect to Redis at {host}:{port}: {e.Message}\n");
            return null;
        }
        if (TlsContext is { } tls)
        {
            try { connection.StartTls(tls); }
            catch (Exception e) when (e is TlsSetupException or RedisConnectionException)
            {
                if (!quiet) Stdio.Error(e is TlsSetupException
                    ? $"{tlsErrorPrefix}{e.Message}\n"
                    : $"Could not connect to Redis at {host}:{port}: {e.Message}\n");
                connection.Dispose();
                return null;
            }
        }
        KeepAlive(connection);
        return connection;
    }

    public void Disconnect()
    {
        Connection?.Dispose();
        Connection = null;
    }

    /// <summary>Sends the command <paramref name="repeat"/> times (negative: forever) and prints each reply.
    /// Returns false when the connection failed; the caller reports it and reconnects next time.</summary>
    public bool SendCommand(IReadOnlyList<byte[]> argv, long repeat)
    {
        if (Connection is null) return false;
        string command = Encoding.UTF8.GetString(argv[0]);
        string Arg(int i) => Encoding.UTF8.GetString(argv[i]);
        bool Is(string name) => command.Equals(name, StringComparison.OrdinalIgnoreCase);
        bool ArgIs(int i, string name) => argv.Count > i && Arg(i).Equals(name, StringComparison.OrdinalIgnoreCase);
        int argc = argv.Count;

        // Commands whose reply is a human-readable text block are printed raw, without quoting.
        bool outputRaw = Is("info") || Is("lolwut")
            || (argc >= 2 && Is("debug") && (ArgIs(1, "htstats") || ArgIs(1, "htstats-key") || ArgIs(1, "client-eviction")))
            || (argc >= 2 && Is("memory") && (ArgIs(1, "malloc-stats") || ArgIs(1, "doctor")))
            || (argc == 2 && Is("cluster") && (ArgIs(1, "nodes") || ArgIs(1, "info")))
            || (argc >= 2 && Is("client") && (ArgIs(1, "list") || ArgIs(1, "info")))
            || (argc == 3 && Is("latency") && ArgIs(1, "graph"))
            || (argc == 2 && Is("latency") && ArgIs(1, "doctor"))
            || (argc >= 2 && Is("proxy") && ArgIs(1, "info"));

        if (Is("shutdown")) expectingShutdown = true;
        bool monitor = Is("monitor");
        bool subscribe = Is("subscribe") || Is("psubscribe") || Is("ssubscribe");
        bool replicaStream = Is("sync") || Is("psync");

        // SCRIPT DEBUG typed by hand arms the debugger for the next EVAL, as --ldb does.
        if (argc == 3 && Is("script") && ArgIs(1, "debug"))
            Ldb.EnableOnEval = ArgIs(2, "yes") || ArgIs(2, "sync");
        if (Is("eval") && Ldb.EnableOnEval)
        {
            Ldb.Active = true;
            Options.Output = OutputMode.Raw;
        }

        ConnectionErrorText = null;
        while (repeat < 0 || repeat-- > 0)
        {
            try { Connection.Send(argv); }
            catch (RedisConnectionException e)
            {
                ConnectionErrorText = e.Message;
                LinkBroken = true;
                return HandleReadFailure();
            }

            if (monitor || subscribe)
            {
                // MONITOR and SUBSCRIBE stream until the connection ends or Ctrl-C (see InterruptStreaming).
                if (subscribe && Options.Output != OutputMode.Raw) WriteStdout("Reading messages... (press Ctrl-C to quit)\n"u8);
                Volatile.Write(ref streaming, true);
                try
                {
                    while (true)
                    {
                        if (!ReadAndPrint(outputRaw, out _))
                        {
                            if (Volatile.Read(ref interrupted))
                            {
                                interrupted = false;
                                Connect(force: true, quiet: true);
                                return true;
                            }
                            Program.PrintContextError(ConnectionErrorText);
                            Environment.Exit(1);
                        }
                        if (LastReplyType == RespType.Error) return true;
                    }
                }
                finally { Volatile.Write(ref streaming, false); }
            }
            if (replicaStream)
            {
                WriteStdout("Entering replica output mode...  (press Ctrl-C to quit)\n"u8);
                ReplicaMode.StreamFromOpenConnection(this, sendSync: false);
                return false;
            }

            if (!ReadAndPrint(outputRaw, out bool failedWithErrorCode)) return HandleReadFailure();
            if (failedWithErrorCode) Environment.Exit(1);
            if (!ReissueCommand) TrackState(command, argv, argc);
            // A redirected command is sent again (with its whole repeat count) by the caller.
            if (ReissueCommand) break;
            if (Options.IntervalMicroseconds > 0) Thread.Sleep(TimeSpan.FromMicroseconds(Options.IntervalMicroseconds));
        }
        return true;
    }

    /// <summary>Before a command redirected by -ASK: tells the new node to accept it once.</summary>
    public bool SendAskingIfNeeded()
    {
        if (!sendAsking) return true;
        sendAsking = false;
        try
        {
            var reply = Connection!.Execute("ASKING");
            if (!reply.IsError) return true;
            Stdio.Error($"ASKING failed: {reply.AsText()}\n");
            return false;
        }
        catch (RedisConnectionException e)
        {
            ConnectionErrorText = e.Message;
            LinkBroken = true;
            return false;
        }
    }

    public string? ConnectionErrorText { get; private set; }

    private bool streaming;
    private bool interrupted;

    /// <summary>Ctrl-C while MONITOR or SUBSCRIBE streams ends the stream (by closing the socket) and
    /// returns to the prompt; at any other time it ends the program, as in redis-cli.</summary>
    public void InterruptStreaming()
    {
        if (!Volatile.Read(ref streaming)) Environment.Exit(1);
        Volatile.Write(ref interrupted, true);
        try { Connection?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both); }
        catch (System.Net.Sockets.SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private bool HandleReadFailure()
    {
        if (expectingShutdown)
        {
            expectingShutdown = false;
            Disconnect();
            return true;
        }
        if (!Interactive)
        {
            Program.PrintContextError(ConnectionErrorText);
            Environment.Exit(1);
        }
        return false;
    }

    private void TrackState(string command, IReadOnlyList<byte[]> argv, int argc)
    {
        bool ok = LastReplyType != RespType.Error;
        bool Is(string name) => command.Equals(name, StringComparison.OrdinalIgnoreCase);
        if (Is("select") && argc == 2 && ok) Options.Database = Database = (int)CParse.Atoi(Encoding.UTF8.GetString(argv[1]));
        else if (Is("auth") && (argc == 2 || argc == 3)) SelectDatabaseQuietly();
        else if (Is("multi") && argc == 1 && ok)
        {
            InMulti = true;
            databaseBeforeMulti = Database;
        }
        else if (Is("exec") && argc == 1 && InMulti)
        {
            InMulti = false;
            if (LastReplyType is RespType.Error or RespType.Null) Options.Database = Database = databaseBeforeMulti;
        }
        else if (Is("discard") && argc == 1 && ok)
        {
            InMulti = false;
            Options.Database = Database = databaseBeforeMulti;
        }
        else if (Is("reset") && argc == 1 && ok)
        {
            InMulti = false;
            Options.Database = Database = 0;
            Resp3 = false;
        }
        else if (Is("hello") && argc >= 2 && ok) Resp3 = Encoding.UTF8.GetString(argv[1]) == "3";
    }

    private void SelectDatabaseQuietly()
    {
        if (Connection is null) return;
        try { SelectDatabase(); }
        catch (RedisConnectionException) { LinkBroken = true; }
    }

    /// <summary>Reads one reply and prints it in the configured format; push messages are shown or skipped
    /// and the read continues. False when the connection broke (ConnectionErrorText says why).</summary>
    public bool ReadAndPrint(bool outputRaw, out bool failedWithErrorCode)
    {
        failedWithErrorCode = false;
        RespValue reply;
        while (true)
        {
            try { reply = Connection!.ReadReply(); }
            catch (RedisConnectionException e)
            {
                ConnectionErrorText = e.Message;
                LinkBroken = true;
                if (e.Message.StartsWith("Protocol error", StringComparison.Ordinal) || e.Message.StartsWith("Bad", StringComparison.Ordinal))
                {
                    Program.PrintContextError(e.Message);
                    Environment.Exit(1);
                }
                return false;
            }
            if (reply.Type == RespType.Push && Resp3 && !IsPubSubMessage(reply))
            {
                if (Options.ShowPushes ?? Program.StdoutIsTerminal)
                {
                    if (Options.Output == OutputMode.Standard && IsInvalidation(reply)) PrintInvalidation(reply);
                    else Print(reply, outputRaw);
                }
                continue;
            }
            break;
        }
        LastReplyType = reply.Type;
        if (Options.ClusterMode && reply.IsError && FollowRedirection(reply)) return true;
        if (reply.IsError && Options.ExitCodeOnError && !Interactive)
        {
            Stdio.Error(Encoding.UTF8.GetString(reply.Bytes) + "\n");
            failedWithErrorCode = true;
            return true;
        }
        Print(reply, outputRaw);
        return true;
    }

    /// <summary>-c: "MOVED slot host:port" / "ASK slot host:port" point the session at the node that owns the
    /// slot; the reply itself is not shown (interactive sessions get a "-> Redirected" line).</summary>
    private bool FollowRedirection(RespValue reply)
    {
        var text = Encoding.UTF8.GetString(reply.Bytes);
        bool ask = text.StartsWith("ASK ", StringComparison.Ordinal);
        if (!ask && !text.StartsWith("MOVED ", StringComparison.Ordinal)) return false;
        int slotStart = text.IndexOf(' ') + 1;
        int addressStart = text.IndexOf(' ', slotStart);
        if (addressStart < 0) return false;
        long slot = CParse.Atoi(text[slotStart..addressStart]);
        string address = text[(addressStart + 1)..];
        int colon = address.LastIndexOf(':');
        if (colon < 0) return false;
        // An empty host ("MOVED 3999 :6381", unknown endpoint) keeps the current one.
        if (colon > 0) Options.Host = address[..colon];
        Options.Port = (int)CParse.Atoi(address[(colon + 1)..]);
        if (Interactive) WriteStdout(Encoding.UTF8.GetBytes($"-> Redirected to slot [{slot}] located at {Options.Host}:{Options.Port}\n"));
        ReissueCommand = true;
        if (ask) sendAsking = true;
        return true;
    }

    private static bool IsInvalidation(RespValue push) =>
        push.Elements.Length == 2 && push.Elements[0].Type == RespType.BulkString
        && push.Elements[0].Bytes.AsSpan().StartsWith("invalidate"u8) && push.Elements[1].Type == RespType.Array;

    // Client-side caching invalidations get a one-line form on a terminal: -> invalidate: 'k1', 'k2'
    private void PrintInvalidation(RespValue push)
    {
        formatted.ResetWrittenCount();
        formatted.Write("-> invalidate: "u8);
        var keys = push.Elements[1].Elements;
        for (int i = 0; i < keys.Length; i++)
        {
            formatted.Write("'"u8);
            formatted.Write(keys[i].Bytes);
            formatted.Write("'"u8);
            if (i < keys.Length - 1) formatted.Write(", "u8);
        }
        formatted.Write("\n"u8);
        WriteStdout(formatted.WrittenSpan);
    }

    private static bool IsPubSubMessage(RespValue push)
    {
        if (push.Elements.Length == 0 || push.Elements[0].Type is not (RespType.BulkString or RespType.SimpleString)) return false;
        var kind = Encoding.ASCII.GetString(push.Elements[0].Bytes).ToLowerInvariant();
        return kind is "message" or "pmessage" or "smessage" or "subscribe" or "psubscribe" or "ssubscribe"
            or "unsubscribe" or "punsubscribe" or "sunsubscribe";
    }

    public void Print(RespValue reply, bool outputRaw)
    {
        formatted.ResetWrittenCount();
        try
        {
            if (outputRaw) FormatRaw(reply);
            else if (Options.Output == OutputMode.Standard) ReplyFormatter.Tty(reply, formatted);
            else if (Options.Output == OutputMode.Raw)
            {
                FormatRaw(reply);
                formatted.Write(Options.ReplyDelimiter);
            }
            else if (Options.Output == OutputMode.Csv)
            {
                ReplyFormatter.Csv(reply, formatted);
                formatted.Write("\n"u8);
            }
            else
            {
                ReplyFormatter.Json(reply, formatted, quoted: Options.Output == OutputMode.QuotedJson);
                formatted.Write("\n"u8);
            }
        }
        catch (UnknownReplyTypeException e)
        {
            Stdio.Error(e.Message + "\n");
            Environment.Exit(1);
        }
        WriteStdout(formatted.WrittenSpan);
    }

    // While the Lua debugger runs, its status lines are coloured and "<endsession>" closes the session.
    private void FormatRaw(RespValue reply)
    {
        if (Ldb.Active) LuaDebugger.FormatReply(this, reply, formatted);
        else ReplyFormatter.Raw(reply, formatted, Options.BulkDelimiter);
    }

    public void WriteStdout(ReadOnlySpan<byte> bytes)
    {
        stdout.Write(bytes);
        stdout.Flush();
    }
}
