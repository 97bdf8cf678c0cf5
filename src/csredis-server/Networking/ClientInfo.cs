// One client described as Redis's catClientInfoString does (the CLIENT LIST / CLIENT INFO line and
// the client part of log lines such as the output-buffer-limit warning): the same fields in the
// same order. csredis keeps one reply buffer per client instead of Redis's 16k buffer plus reply
// list, so rbs/obl/oll/omem are reported as that buffer would be split by Redis.
using System.Text;
using Csredis.Common.Resp;

namespace Csredis.Server.Networking;

public sealed partial class Client
{
    public string InfoLine()
    {
        long now = Server.CachedUnixMs;
        var sb = new StringBuilder(256);
        sb.Append("id=").Append(Id)
          .Append(" addr=").Append(Address)
          .Append(" laddr=").Append(LocalAddress)
          .Append(" fd=").Append(Fd)
          .Append(" name=").Append(Name ?? "")
          .Append(" age=").Append(Math.Max(0, (now - CreatedMs) / 1000))
          .Append(" idle=").Append(Math.Max(0, (now - LastInteractionMs) / 1000))
          .Append(" flags=").Append(FlagLetters())
          .Append(" db=").Append(Db.Id)
          .Append(" sub=").Append(Subscriptions?.Channels.Count ?? 0)
          .Append(" psub=").Append(Subscriptions?.Patterns.Count ?? 0)
          .Append(" ssub=").Append(Subscriptions?.ShardChannels.Count ?? 0)
          .Append(" multi=").Append(MultiQueue?.Count ?? -1);
        long argvMem = 0;
        if (CurrentCommand != null) for (int i = 0; i < Argc; i++) argvMem += Arg(i).Length;
        long multiMem = 0;
        if (MultiQueue != null) foreach (var (_, args) in MultiQueue) foreach (var a in args) multiMem += a.Length;
        int pending = Reply.PendingBytes;
        int inBuffer = Math.Min(pending, ReplyBuffer.InitialSize);
        long overflow = pending - inBuffer;
        sb.Append(" qbuf=").Append(QueryLength)
          .Append(" qbuf-free=").Append(Math.Max(0, QueryBuffer.Length - QueryLength))
          .Append(" argv-mem=").Append(argvMem)
          .Append(" multi-mem=").Append(multiMem)
          .Append(" rbs=").Append(Math.Min(Reply.Capacity, ReplyBuffer.InitialSize))
          .Append(" rbp=").Append(Math.Min(Reply.Capacity, ReplyBuffer.InitialSize))
          .Append(" obl=").Append(inBuffer)
          .Append(" oll=").Append(overflow > 0 ? 1 : 0)
          .Append(" omem=").Append(overflow)
          .Append(" tot-mem=").Append(QueryBuffer.Length + Reply.Capacity + argvMem + multiMem)
          .Append(" events=").Append(Reply.HasPending ? "rw" : "r")
          .Append(" cmd=").Append((CurrentCommand ?? LastCommand)?.FullName ?? "NULL")
          .Append(" user=").Append(User)
          .Append(" redir=-1")
          .Append(" resp=").Append(Protocol);
        return sb.ToString();
    }

    /// <summary>Redis's flag letters in its order; "N" when none applies.</summary>
    string FlagLetters()
    {
        var f = new StringBuilder(4);
        if ((Flags & ClientFlags.Replica) != 0) f.Append((Flags & ClientFlags.Monitor) != 0 ? 'O' : 'S');
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
}
