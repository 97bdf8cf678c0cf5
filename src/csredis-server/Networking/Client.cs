// One connected client: its socket, query buffer and parser, reply buffer, selected database and
// per-connection state (name, protocol, auth, flags). The client is its own epoll handler; the
// read/parse/execute/write cycle is in Networking.cs.
using System.Buffers;
using Csredis.Common.Resp;
using Csredis.Server.Commands;
using Csredis.Server.Keyspace;

namespace Csredis.Server.Networking;

[Flags]
public enum ClientFlags
{
    None = 0,
    CloseAfterReply = 1 << 0,
    CloseAsap = 1 << 1,
    Master = 1 << 2,
    Replica = 1 << 3,
    Monitor = 1 << 4,
    PubSub = 1 << 5,
    Multi = 1 << 6,
    Blocked = 1 << 7,
    DirtyCas = 1 << 8,
    DirtyExec = 1 << 9,
    ReplyOff = 1 << 10,
    ReplySkipNext = 1 << 11,
    ReplySkip = 1 << 12,
    NoEvict = 1 << 13,
    PendingWrite = 1 << 14,
    Closed = 1 << 15,
    Unblocked = 1 << 16,
    Tracking = 1 << 17,
    NoTouch = 1 << 18,
}

public sealed partial class Client
{
    public const int QueryChunk = 16 * 1024; // PROTO_IOBUF_LEN

    public readonly RedisServer Server;
    public readonly long Id;
    public int Fd;
    public string Address = "";
    public string LocalAddress = "";
    public string? Name;
    public ClientFlags Flags;
    public bool Authenticated;
    public string User = "default";
    public Db Db;
    public readonly long CreatedMs;
    public long LastInteractionMs;
    public Command? LastCommand;
    public Command? CurrentCommand;
    /// <summary>The command the client sent while it runs (EXEC while its queued commands run): what CLIENT LIST shows as cmd=, as Redis's lastcmd.</summary>
    public Command? TopLevelCommand;

    public byte[] QueryBuffer;
    public int QueryLength;
    public int QueryBufferPeak;
    public readonly RequestParser Parser = new();
    public readonly ReplyBuffer Reply = new();
    public long TotalWrittenBytes;

    public Client(RedisServer server, int fd, long id)
    {
        Server = server;
        Fd = fd;
        Id = id;
        Db = server.Databases[0];
        CreatedMs = Common.Clock.UnixMs();
        LastInteractionMs = CreatedMs;
        QueryBuffer = ArrayPool<byte>.Shared.Rent(QueryChunk);
        Authenticated = !server.Config.AuthRequired;
    }

    public int Protocol => Reply.Protocol;

    // Arguments normally come straight from the parser (spans into the query buffer). Commands
    // replayed later (EXEC of a MULTI queue, a blocked command retried) carry their own copies.
    byte[][]? _ownedArgs;

    public int Argc => _ownedArgs?.Length ?? Parser.ArgCount;
    public ReadOnlySpan<byte> Arg(int i) => _ownedArgs != null ? _ownedArgs[i] : Parser.Arg(i);
    public byte[] ArgBytes(int i) => Arg(i).ToArray();
    public string ArgString(int i) => System.Text.Encoding.UTF8.GetString(Arg(i));

    /// <summary>Copies of the current command's arguments (to queue or replay the command).</summary>
    public byte[][] CopyArgs()
    {
        var copy = new byte[Argc][];
        for (int i = 0; i < copy.Length; i++) copy[i] = Arg(i).ToArray();
        return copy;
    }

    /// <summary>Runs <paramref name="cmd"/> with saved arguments, as if the client had just sent them.</summary>
    public void ExecuteWithArgs(Command cmd, byte[][] args)
    {
        var saved = _ownedArgs;
        _ownedArgs = args;
        try { Server.Call(this, cmd); }
        finally { _ownedArgs = saved; }
    }
    public bool ArgIs(int i, ReadOnlySpan<byte> lowercaseWord) => Ascii.EqualsIgnoreCase(Arg(i), lowercaseWord);

    public bool IsClosing => (Flags & (ClientFlags.CloseAsap | ClientFlags.Closed)) != 0;

    public void SelectDb(int index) => Db = Server.Databases[index];
}
