// The connection state redis-cli keeps between commands: the socket, the selected database, RESP
// version, MULTI state, and the rules for sending one command and printing its replies (special cases
// for SELECT/MULTI/EXEC/AUTH, MONITOR and SUBSCRIBE streaming, SHUTDOWN, SYNC).
using System.Buffers;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public sealed class CliSession(CliOptions options)
{
    public readonly CliOptions Options = options;
    public RedisBlockingConnection? Connection;
    public int Database = options.Database;
    public bool InMulti;
    private int databaseBeforeMulti;
    public bool Resp3 = options.Resp3;
    public bool Interactive;
    public RespType? LastReplyType;
    private bool expectingShutdown;
    private readonly Stream stdout = Stdio.OpenStandardOutput();
    private readonly ArrayBufferWriter<byte> formatted = new(4096);

    public bool IsConnected => Connection is not null;

    public string Address => Options.UnixSocket ?? FormatAddress(Options.Host, Options.Port);

    public static string FormatAddress(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>Connects unless already connected (or always with force), then runs AUTH, SELECT, HELLO 3.
    /// Failures of those are printed and tolerated, as redis-cli does.</summary>
    public bool Connect(bool force = false, bool quiet = false)
    {
        if (Connection is not null && !force) return true;
        Connection?.Dispose();
        Connection = null;
        try
        {
            Connection = Options.UnixSocket is { } path
                ? RedisBlockingConnection.ConnectUnix(path, acceptAttributes: false)
                : RedisBlockingConnection.ConnectTcp(Options.Host, Options.Port, acceptAttributes: false);
        }
        catch (RedisConnectionException e)
        {
            if (!quiet) Stdio.Error($"Could not connect to Redis at {(Options.UnixSocket ?? $"{Options.Host}:{Options.Port}")}: {e.Message}\n");
            return false;
        }
        try
        {
            Authenticate();
            SelectDatabase();
            SwitchProtocol();
        }
        catch (RedisConnectionException)
        {
            Connection?.Dispose();
            Connection = null;
            return false;
        }
        return true;
    }

    private void Authenticate()
    {
        if (Options.Password is null) return;
        var reply = Options.User is null
            ? Connection!.Execute("AUTH", Options.Password)
            : Connection!.Execute("AUTH", Options.User, Options.Password);
        if (reply.IsError) Stdio.Error($"AUTH failed: {reply.AsText()}\n");
    }

    private void SelectDatabase()
    {
        if (Database == 0) return;
        var reply = Connection!.Execute("SELECT", Database.ToString());
        if (reply.IsError)
        {
            Stdio.Error($"SELECT {Database} failed: {reply.AsText()}\n");
            Database = 0;
        }
    }

    private void SwitchProtocol()
    {
        if (!Resp3) return;
        var reply = Connection!.Execute("HELLO", "3");
        if (reply.IsError) Stdio.Error($"HELLO 3 failed: {reply.AsText()}\n");
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

        ConnectionErrorText = null;
        while (repeat < 0 || repeat-- > 0)
        {
            try { Connection.Send(argv); }
            catch (RedisConnectionException e)
            {
                ConnectionErrorText = e.Message;
                return HandleReadFailure();
            }

            if (monitor || subscribe)
            {
                // MONITOR and SUBSCRIBE stream until the connection ends or Ctrl-C (see InterruptStreaming).
                if (subscribe && Options.Output == OutputMode.Standard) WriteStdout("Reading messages... (press Ctrl-C to quit)\n"u8);
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
                            if (monitor) Program.PrintContextError(ConnectionErrorText);
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
            if (failedWithErrorCode) return false;
            TrackState(command, argv, argc);
            if (Options.IntervalMicroseconds > 0) Thread.Sleep(TimeSpan.FromMicroseconds(Options.IntervalMicroseconds));
        }
        return true;
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
        if (Is("select") && argc == 2 && ok) Database = (int)CParse.Atoi(Encoding.UTF8.GetString(argv[1]));
        else if (Is("auth") && (argc == 2 || argc == 3)) SelectDatabaseQuietly();
        else if (Is("multi") && argc == 1 && ok)
        {
            InMulti = true;
            databaseBeforeMulti = Database;
        }
        else if (Is("exec") && argc == 1 && InMulti)
        {
            InMulti = false;
            if (LastReplyType is RespType.Error or RespType.Null) Database = databaseBeforeMulti;
        }
        else if (Is("discard") && argc == 1 && ok)
        {
            InMulti = false;
            Database = databaseBeforeMulti;
        }
        else if (Is("reset") && argc == 1 && ok)
        {
            InMulti = false;
            Database = 0;
            Resp3 = false;
        }
        else if (Is("hello") && argc >= 2 && ok) Resp3 = Encoding.UTF8.GetString(argv[1]) == "3";
    }

    private void SelectDatabaseQuietly()
    {
        if (Database == 0 || Connection is null) return;
        try
        {
            var reply = Connection.Execute("SELECT", Database.ToString());
            if (reply.IsError) Stdio.Error($"SELECT {Database} failed: {reply.AsText()}\n");
        }
        catch (RedisConnectionException) { }
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
        if (reply.IsError && Options.ExitCodeOnError && !Interactive)
        {
            Stdio.Error(Encoding.UTF8.GetString(reply.Bytes) + "\n");
            failedWithErrorCode = true;
            return true;
        }
        Print(reply, outputRaw);
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
            if (outputRaw) ReplyFormatter.Raw(reply, formatted, Options.BulkDelimiter);
            else if (Options.Output == OutputMode.Standard) ReplyFormatter.Tty(reply, formatted);
            else if (Options.Output == OutputMode.Raw)
            {
                ReplyFormatter.Raw(reply, formatted, Options.BulkDelimiter);
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

    public void WriteStdout(ReadOnlySpan<byte> bytes)
    {
        stdout.Write(bytes);
        stdout.Flush();
    }
}
