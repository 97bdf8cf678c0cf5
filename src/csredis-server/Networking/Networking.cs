// The client I/O cycle (Redis's networking.c), all on the event-loop thread:
//   readable -> recv into the query buffer -> parse as many complete commands as it holds
//   (pipelining) -> execute each, replies appended to the reply buffer -> the client is queued
//   for writing -> before the loop sleeps, replies are sent directly; whatever the socket does not
//   take waits for EPOLLOUT. A protocol error is answered, then only that client is closed.
using Csredis.Common.Events;
using Csredis.Common.Logging;
using Csredis.Common.Native;
using Csredis.Common.Resp;

namespace Csredis.Server.Networking;

public sealed unsafe partial class Client : IFileEventHandler
{
    public void OnReadable()
    {
        if (IsClosing) return;
        int room = QueryBuffer.Length - QueryLength;
        if (room < QueryChunk / 2) room = GrowQueryBuffer();
        nint n;
        fixed (byte* p = &QueryBuffer[QueryLength]) n = Libc.recv(Fd, p, room, 0);
        if (n <= 0)
        {
            if (n < 0)
            {
                int err = Libc.Errno;
                if (err == Libc.EAGAIN || err == Libc.EINTR) return;
                Log.Verbose("Reading from client: " + new System.ComponentModel.Win32Exception(err).Message);
            }
            else Log.Verbose("Client closed connection " + Describe());
            Server.FreeClient(this);
            return;
        }
        Server.Stats.ReadsProcessed++;
        QueryLength += (int)n;
        if (QueryLength > QueryBufferPeak) QueryBufferPeak = QueryLength;
        LastInteractionMs = Server.CachedUnixMs;
        // The master's stream is counted apart (total_net_repl_input_bytes) and has no query buffer limit.
        bool fromMaster = (Flags & ClientFlags.Master) != 0;
        if (fromMaster) Server.ReplicaLink.BytesReadFromMaster(n);
        else Server.Stats.NetInputBytes += n;
        if (!fromMaster && QueryLength > Server.Config.ClientQueryBufferLimit)
        {
            Log.Warning("Closing client that reached max query buffer length: " + InfoLine()
                + " (qbuf initial bytes: " + RedisServer.Repr(QueryBuffer.AsSpan(0, Math.Min(64, QueryLength))) + ")");
            Server.FreeClient(this);
            return;
        }
        ProcessInputBuffer();
    }

    /// <summary>Executes every complete command in the query buffer, then compacts it.</summary>
    public void ProcessInputBuffer()
    {
        while (!IsClosing && (Flags & (ClientFlags.Blocked | ClientFlags.CloseAfterReply)) == 0)
        {
            int commandStart = Parser.CommandStart;
            // The master may send arguments of any size (Redis exempts it from proto-max-bulk-len).
            var status = Parser.Parse(QueryBuffer, QueryLength, Authenticated, (Flags & ClientFlags.Master) != 0 ? long.MaxValue : Server.Config.ProtoMaxBulkLen);
            if (status == ParseStatus.Incomplete) break;
            if (status == ParseStatus.Error)
            {
                Reply.Error("ERR " + Parser.Error);
                Log.Verbose($"Protocol error ({Parser.Error}) from client: {Describe()}");
                Flags |= ClientFlags.CloseAfterReply;
                break;
            }
            if ((Flags & ClientFlags.Master) != 0)
            {
                Server.ReplicaLink.ApplyFromMaster(this, commandStart);
                continue;
            }
            if (Parser.ArgCount == 0) continue;
            RunCommand();
        }
        CompactQueryBuffer();
        if (Reply.HasPending) Server.QueueWrite(this);
        else if ((Flags & ClientFlags.CloseAfterReply) != 0) Server.FreeClient(this);
    }

    void CompactQueryBuffer()
    {
        int start = Parser.CommandStart;
        if (start == 0) return;
        int remaining = QueryLength - start;
        if (remaining > 0) Buffer.BlockCopy(QueryBuffer, start, QueryBuffer, 0, remaining);
        QueryLength = remaining;
        Parser.Reset(0);
        if (remaining == 0 && QueryBuffer.Length > QueryChunk * 4)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(QueryBuffer);
            QueryBuffer = System.Buffers.ArrayPool<byte>.Shared.Rent(QueryChunk);
        }
    }

    int GrowQueryBuffer()
    {
        // A big bulk argument gets a buffer sized for it at once instead of repeated doubling.
        long wanted = Math.Max((long)QueryBuffer.Length * 2, QueryLength + (long)Parser.PendingBulkBytes + QueryChunk);
        wanted = Math.Min(wanted, Array.MaxLength);
        var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent((int)wanted);
        Buffer.BlockCopy(QueryBuffer, 0, bigger, 0, QueryLength);
        System.Buffers.ArrayPool<byte>.Shared.Return(QueryBuffer);
        QueryBuffer = bigger;
        return QueryBuffer.Length - QueryLength;
    }

    public void OnWritable()
    {
        if (WriteToSocket() && !Reply.HasPending)
        {
            Server.Loop.SetMask(Fd, Libc.EPOLLIN);
            if ((Flags & ClientFlags.CloseAfterReply) != 0) Server.FreeClient(this);
        }
    }

    /// <summary>Sends what the socket accepts; false when the client was closed on error.</summary>
    public bool WriteToSocket()
    {
        if (Reply.HasPending)
        {
            Server.Stats.WritesProcessed++;
            if (Reply.PendingBytes > ReplyBufferPeak) ReplyBufferPeak = Reply.PendingBytes;
        }
        while (Reply.HasPending)
        {
            var pending = Reply.Pending;
            nint n;
            fixed (byte* p = pending) n = Libc.send(Fd, p, pending.Length, Libc.MSG_NOSIGNAL);
            if (n <= 0)
            {
                int err = Libc.Errno;
                if (n < 0 && (err == Libc.EAGAIN || err == Libc.EINTR)) return true;
                Log.Verbose("Error writing to client: " + new System.ComponentModel.Win32Exception(err).Message);
                Server.FreeClient(this);
                return false;
            }
            Reply.MarkSent((int)n);
            TotalWrittenBytes += n;
            Server.Stats.NetOutputBytes += n;
        }
        return true;
    }

    public string Describe() => $"id={Id} addr={Address} laddr={LocalAddress} fd={Fd} name={Name ?? ""}";
}

/// <summary>A listening socket: accepts every pending connection when readable.</summary>
public sealed class Listener(RedisServer server, int fd) : IFileEventHandler
{
    public readonly int Fd = fd;

    public void OnReadable()
    {
        // Up to MAX_ACCEPTS_PER_CALL (1000) per event, as Redis.
        for (int i = 0; i < 1000; i++)
        {
            int cfd = Sockets.Accept(Fd);
            if (cfd < 0)
            {
                int err = Libc.Errno;
                if (err != Libc.EAGAIN && err != Libc.EINTR)
                    Log.Warning("Accepting client connection: " + new System.ComponentModel.Win32Exception(err).Message);
                return;
            }
            server.AcceptClient(cfd);
        }
    }

    public void OnWritable() { }
}
