// A non-blocking client connection driven by the event loop (hiredis's async context, in
// spirit): connect without blocking, send commands whose replies arrive later to callbacks in
// order, and route pub/sub messages to a handler. The sentinel keeps two per monitored instance
// (commands and pub/sub); nothing here blocks the loop or uses a thread.
using System.Net;
using Csredis.Common.Events;
using Csredis.Common.Native;

namespace Csredis.Common.Client;

public sealed unsafe class AsyncConnection : IFileEventHandler
{
    readonly EventLoop _loop;
    int _fd = -1;
    bool _connected;
    readonly RespReplyParser _parser = new();
    byte[] _in = new byte[16 * 1024];
    int _inLength;
    readonly System.Buffers.ArrayBufferWriter<byte> _out = new(4096);
    int _outSent;
    readonly Queue<Action<RespValue>?> _callbacks = new();

    /// <summary>Push messages (pub/sub "message", "pmessage", "subscribe" confirmations) on a subscribed connection.</summary>
    public Action<RespValue>? OnPush;
    /// <summary>Raised once when the connection fails or closes, with a reason in Redis's words.</summary>
    public Action<string>? OnClosed;
    public Action? OnConnected;
    public bool Subscribed;
    public bool IsConnected => _connected;
    public bool IsOpen => _fd >= 0;
    public int PendingReplies => _callbacks.Count;
    public long ConnectedAtMs;
    /// <summary>Our end of the connection (what a sentinel announces as its address), ("?", 0) when closed.</summary>
    public (string Ip, int Port) LocalAddress => _fd < 0 ? ("?", 0) : Sockets.PeerAddress(_fd, local: true);

    public AsyncConnection(EventLoop loop) => _loop = loop;

    public bool Connect(IPAddress ip, int port)
    {
        _fd = Sockets.ConnectNonBlocking(ip, port);
        if (_fd < 0) return false;
        _loop.AddFileEvent(_fd, Libc.EPOLLIN | Libc.EPOLLOUT, this);
        return true;
    }

    /// <summary>Queues a command; <paramref name="onReply"/> runs on the loop with its reply (or is dropped if the link dies).</summary>
    public void Send(Action<RespValue>? onReply, params string[] args)
    {
        if (_fd < 0) return;
        RespRequestEncoder.Encode(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray(), _out);
        _callbacks.Enqueue(onReply);
        if (_connected) Flush();
    }

    public void OnWritable()
    {
        if (!_connected)
        {
            int err = 0, len = sizeof(int);
            Libc.getsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &err, &len);
            if (err != 0)
            {
                Close(new System.ComponentModel.Win32Exception(err).Message);
                return;
            }
            _connected = true;
            ConnectedAtMs = Clock.UnixMs();
            OnConnected?.Invoke();
            if (_fd < 0) return;
        }
        Flush();
    }

    void Flush()
    {
        while (_outSent < _out.WrittenCount)
        {
            var pending = _out.WrittenSpan[_outSent..];
            nint n;
            fixed (byte* p = pending) n = Libc.send(_fd, p, pending.Length, Libc.MSG_NOSIGNAL);
            if (n < 0)
            {
                if (Libc.Errno == Libc.EAGAIN) break;
                Close(new System.ComponentModel.Win32Exception(Libc.Errno).Message);
                return;
            }
            _outSent += (int)n;
        }
        if (_outSent == _out.WrittenCount)
        {
            _out.ResetWrittenCount();
            _outSent = 0;
            _loop.SetMask(_fd, Libc.EPOLLIN);
        }
        else _loop.SetMask(_fd, Libc.EPOLLIN | Libc.EPOLLOUT);
    }

    public void OnReadable()
    {
        if (!_connected) { OnWritable(); if (!_connected) return; }
        if (_in.Length - _inLength < 4096) Array.Resize(ref _in, _in.Length * 2);
        nint n;
        fixed (byte* p = &_in[_inLength]) n = Libc.recv(_fd, p, _in.Length - _inLength, 0);
        if (n <= 0)
        {
            if (n < 0 && Libc.Errno == Libc.EAGAIN) return;
            Close(n == 0 ? "Connection reset by peer" : new System.ComponentModel.Win32Exception(Libc.Errno).Message);
            return;
        }
        _inLength += (int)n;
        int offset = 0;
        while (_fd >= 0)
        {
            var status = _parser.TryParse(_in.AsSpan(offset, _inLength - offset), out int consumed, out var reply);
            offset += consumed;
            if (status == RespParseStatus.NeedMoreData) break;
            if (status == RespParseStatus.ProtocolError)
            {
                Close("Protocol error: " + _parser.ErrorMessage);
                return;
            }
            Dispatch(reply!);
        }
        if (_fd < 0) return;
        Buffer.BlockCopy(_in, offset, _in, 0, _inLength - offset);
        _inLength -= offset;
    }

    void Dispatch(RespValue reply)
    {
        bool isPush = reply.Type == RespType.Push ||
            Subscribed && reply.Type == RespType.Array && reply.Elements.Length >= 3 && reply.Elements[0].Type == RespType.BulkString
            && IsPushKind(reply.Elements[0].Bytes) && _callbacks.Count == 0;
        if (isPush)
        {
            OnPush?.Invoke(reply);
            return;
        }
        if (_callbacks.Count == 0) return;
        _callbacks.Dequeue()?.Invoke(reply);
    }

    static bool IsPushKind(byte[] kind) =>
        kind.AsSpan().SequenceEqual("message"u8) || kind.AsSpan().SequenceEqual("pmessage"u8) ||
        kind.AsSpan().SequenceEqual("subscribe"u8) || kind.AsSpan().SequenceEqual("psubscribe"u8);

    public void Close(string reason)
    {
        if (_fd < 0) return;
        _loop.RemoveFileEvent(_fd);
        Libc.close(_fd);
        _fd = -1;
        _connected = false;
        _callbacks.Clear();
        _out.ResetWrittenCount();
        _outSent = 0;
        _inLength = 0;
        _parser.Reset();
        OnClosed?.Invoke(reason);
    }
}
