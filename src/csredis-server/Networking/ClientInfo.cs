// What CLIENT LIST / CLIENT INFO say about a connection (Redis's catClientInfoString), and the
// per-client state other features report into it: subscription counts (pub/sub), the MULTI
// queue (transactions), the tracking redirection. Also the reply-mode wrapper of CLIENT REPLY
// and the command a paused client is holding.
using System.Globalization;
using System.Text;
using Csredis.Common.Resp;
using Csredis.Server.Commands;

namespace Csredis.Server.Networking;

public enum ClientType { Normal, Master, Replica, PubSub }

public sealed partial class Client
{
    // Read from the features' own state (PubSub.cs, Transactions.cs) so there is one source of truth.
    public int SubscribedChannels => Subscriptions?.Channels.Count ?? 0;
    public int SubscribedPatterns => Subscriptions?.Patterns.Count ?? 0;
    public int SubscribedShardChannels => Subscriptions?.ShardChannels.Count ?? 0;
    /// <summary>Commands queued by MULTI, or -1 outside a transaction; the queue's bytes.</summary>
    public int MultiQueued => MultiQueue?.Count ?? -1;
    public long MultiMemory
    {
        get
        {
            long bytes = 0;
            if (MultiQueue != null) foreach (var (_, args) in MultiQueue) foreach (var a in args) bytes += a.Length;
            return bytes;
        }
    }
    /// <summary>Client id tracking invalidations are redirected to (-1: none).</summary>
    public long TrackingRedirect = -1;
    public int ReplyBufferPeak;

    /// <summary>Set by a command whose whole output is pub/sub confirmations: Redis sends those even under CLIENT REPLY OFF/SKIP.</summary>
    public bool OutputIsPushes;

    /// <summary>A command held by CLIENT PAUSE, run when the pause ends.</summary>
    internal (Command Command, byte[][] Args)? Postponed;

    public ClientType Type =>
        (Flags & ClientFlags.Master) != 0 ? ClientType.Master :
        (Flags & (ClientFlags.Replica | ClientFlags.Monitor)) == ClientFlags.Replica ? ClientType.Replica :
        (Flags & ClientFlags.PubSub) != 0 ? ClientType.PubSub : ClientType.Normal;

    /// <summary>Runs the parsed command, honouring CLIENT REPLY OFF/SKIP: replies are produced, then dropped.</summary>
    public void RunCommand(Command? resolved = null, byte[][]? args = null)
    {
        if ((Flags & ClientFlags.ReplySkipNext) != 0)
        {
            Flags = (Flags & ~ClientFlags.ReplySkipNext) | ClientFlags.ReplySkip;
        }
        // Bytes pending before the command; compaction inside the reply buffer may move them to offset 0.
        int pendingBefore = Reply.PendingBytes;
        if (args == null) Server.ProcessCommand(this);
        else
        {
            var saved = _ownedArgs;
            _ownedArgs = args;
            try { Server.ProcessCommand(this); }
            finally { _ownedArgs = saved; }
        }
        if ((Flags & (ClientFlags.ReplyOff | ClientFlags.ReplySkip)) != 0)
        {
            if (!OutputIsPushes) Reply.Truncate(Reply.SentOffset + pendingBefore);
            Flags &= ~ClientFlags.ReplySkip;
        }
        OutputIsPushes = false;
    }

    /// <summary>Bytes of the current command's arguments (argv-mem).</summary>
    long ArgumentBytes()
    {
        if (CurrentCommand == null) return 0;
        long bytes = 0;
        for (int i = 0; i < Argc; i++) bytes += Arg(i).Length;
        return bytes;
    }

    public static string TypeName(ClientType type) => type switch
    {
        ClientType.Master => "master", ClientType.Replica => "replica", ClientType.PubSub => "pubsub", _ => "normal",
    };

    /// <summary>CLIENT TYPE names (slave is replica's old name); null when unknown.</summary>
    public static ClientType? ParseType(string name) => name.ToLowerInvariant() switch
    {
        "normal" => ClientType.Normal, "master" => ClientType.Master, "replica" or "slave" => ClientType.Replica,
        "pubsub" => ClientType.PubSub, _ => null,
    };

    string FlagLetters()
    {
        var f = new StringBuilder(8);
        if ((Flags & ClientFlags.Monitor) != 0) f.Append('O');
        else if ((Flags & ClientFlags.Replica) != 0) f.Append('S');
        if ((Flags & ClientFlags.Master) != 0) f.Append('M');
        if ((Flags & ClientFlags.PubSub) != 0) f.Append('P');
        if ((Flags & ClientFlags.Multi) != 0) f.Append('x');
        if ((Flags & ClientFlags.Blocked) != 0) f.Append('b');
        if ((Flags & ClientFlags.Tracking) != 0) f.Append('t');
        if ((Flags & ClientFlags.DirtyCas) != 0) f.Append('d');
        if ((Flags & ClientFlags.CloseAfterReply) != 0) f.Append('c');
        if ((Flags & ClientFlags.Unblocked) != 0) f.Append('u');
        if ((Flags & ClientFlags.CloseAsap) != 0) f.Append('A');
        if ((Flags & ClientFlags.NoEvict) != 0) f.Append('e');
        if (f.Length == 0) f.Append('N');
        return f.ToString();
    }

    /// <summary>One CLIENT LIST line (without the newline), fields in Redis 7.0's order.</summary>
    public string InfoLine()
    {
        long now = Server.CachedUnixMs;
        long argvMem = ArgumentBytes();
        int omem = Math.Max(0, Reply.Capacity - ReplyBuffer.InitialSize);
        long totalMem = QueryBuffer.Length + Reply.Capacity + argvMem + MultiMemory;
        var cmd = TopLevelCommand ?? LastCommand;
        var s = new StringBuilder(256);
        s.Append("id=").Append(Id)
         .Append(" addr=").Append(Address)
         .Append(" laddr=").Append(LocalAddress)
         .Append(" fd=").Append(Fd)
         .Append(" name=").Append(Name ?? "")
         .Append(" age=").Append((now - CreatedMs) / 1000)
         .Append(" idle=").Append((now - LastInteractionMs) / 1000)
         .Append(" flags=").Append(FlagLetters())
         .Append(" db=").Append(Db.Id)
         .Append(" sub=").Append(SubscribedChannels)
         .Append(" psub=").Append(SubscribedPatterns)
         .Append(" ssub=").Append(SubscribedShardChannels)
         .Append(" multi=").Append(MultiQueued)
         // Like Redis, the buffer still holds the command being executed (it is trimmed afterwards).
         .Append(" qbuf=").Append(QueryLength)
         .Append(" qbuf-free=").Append(QueryBuffer.Length - QueryLength)
         .Append(" argv-mem=").Append(argvMem)
         .Append(" multi-mem=").Append(MultiMemory)
         .Append(" rbs=").Append(Reply.Capacity)
         .Append(" rbp=").Append(Math.Max(ReplyBufferPeak, Reply.PendingBytes))
         .Append(" obl=").Append(Math.Min(Reply.PendingBytes, ReplyBuffer.InitialSize))
         .Append(" oll=").Append(omem > 0 ? 1 : 0)
         .Append(" omem=").Append(omem)
         .Append(" tot-mem=").Append(totalMem)
         .Append(" events=").Append(Reply.HasPending && (Flags & ClientFlags.PendingWrite) == 0 ? "rw" : "r")
         .Append(" cmd=").Append(cmd?.FullName ?? "NULL")
         .Append(" user=").Append(User)
         .Append(" redir=").Append(TrackingRedirect.ToString(CultureInfo.InvariantCulture))
         .Append(" resp=").Append(Protocol);
        return s.ToString();
    }
}
