// A plain TCP client for tests: writes raw bytes or an argument list encoded as a RESP multibulk, and
// hands back the exact bytes of one complete reply (RespFrame decides where a reply ends). Bytes read
// past that reply stay buffered for the next read, so pipelining and subscriptions work.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Csredis.Tests.Infrastructure;

public sealed class RawClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _buffered;
    private bool _peerClosed;

    public TimeSpan Timeout { get; set; } = DefaultTimeout;
    public int Port { get; }

    public RawClient(int port, TimeSpan? connectTimeout = null)
    {
        Port = port;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var connect = _socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            if (!connect.Wait(connectTimeout ?? DefaultTimeout))
                throw new TimeoutException($"connect to 127.0.0.1:{port} timed out");
            connect.GetAwaiter().GetResult();
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>RESP multibulk encoding of an argument list, as every client sends commands.</summary>
    public static byte[] EncodeCommand(IReadOnlyList<byte[]> args)
    {
        var output = new MemoryStream();
        void Ascii(string s) { var b = Encoding.ASCII.GetBytes(s); output.Write(b, 0, b.Length); }
        Ascii($"*{args.Count}\r\n");
        foreach (var arg in args)
        {
            Ascii($"${arg.Length}\r\n");
            output.Write(arg, 0, arg.Length);
            Ascii("\r\n");
        }
        return output.ToArray();
    }

    public static byte[] EncodeCommand(params string[] args) => EncodeCommand(args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());

    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = _socket.Send(bytes);
            bytes = bytes[sent..];
        }
    }

    public void SendRaw(string text) => SendRaw(Encoding.UTF8.GetBytes(text));

    public void Send(params string[] args) => SendRaw(EncodeCommand(args));
    public void Send(IReadOnlyList<byte[]> args) => SendRaw(EncodeCommand(args));

    /// <summary>Sends a command and returns its raw reply bytes.</summary>
    public byte[] Execute(params string[] args)
    {
        Send(args);
        return ReadRawReply();
    }

    public byte[] Execute(IReadOnlyList<byte[]> args)
    {
        Send(args);
        return ReadRawReply();
    }

    /// <summary>Sends a command and returns its reply as escaped text ("+OK\r\n" becomes "+OK\\r\\n").</summary>
    public string ExecuteEscaped(params string[] args) => RespFrame.Escape(Execute(args));

    /// <summary>Sends a command and returns the parsed reply.</summary>
    public RespFrame ExecuteFrame(params string[] args) => RespFrame.Parse(Execute(args));

    /// <summary>Exact bytes of the next complete reply (also pushes of a subscription).
    /// Throws TimeoutException when none completes in time, IOException when the peer closed first.</summary>
    public byte[] ReadRawReply(TimeSpan? timeout = null)
        => TryReadRawReply(timeout ?? Timeout, out var reply)
            ? reply
            : throw new TimeoutException($"no complete reply from 127.0.0.1:{Port} within {(timeout ?? Timeout).TotalMilliseconds} ms; buffered: {RespFrame.Escape(_buffer.AsSpan(0, _buffered))}");

    /// <summary>Like ReadRawReply but returns false on timeout (for "must not reply" checks).</summary>
    public bool TryReadRawReply(TimeSpan timeout, out byte[] reply)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (RespFrame.TryParse(_buffer.AsSpan(0, _buffered), 0, out var consumed) != null)
            {
                reply = _buffer.AsSpan(0, consumed).ToArray();
                Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _buffered - consumed);
                _buffered -= consumed;
                return true;
            }
            if (_peerClosed)
                throw new IOException($"connection closed by 127.0.0.1:{Port} before a complete reply; buffered: {RespFrame.Escape(_buffer.AsSpan(0, _buffered))}");
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !ReceiveSome(left))
            {
                reply = [];
                return false;
            }
        }
    }

    /// <summary>Everything the peer sends until it goes quiet for <paramref name="quiet"/> (or closes),
    /// waiting at most <paramref name="firstByte"/> for anything at all. Used for raw protocol tests
    /// where the number of replies is part of what is compared.</summary>
    public byte[] ReadUntilQuiet(TimeSpan firstByte, TimeSpan quiet, TimeSpan max)
    {
        var start = DateTime.UtcNow;
        var wait = firstByte;
        while (!_peerClosed && DateTime.UtcNow - start < max)
        {
            var before = _buffered;
            if (!ReceiveSome(wait))
                break;
            if (_buffered > before)
                wait = quiet;
        }
        var all = _buffer.AsSpan(0, _buffered).ToArray();
        _buffered = 0;
        return all;
    }

    /// <summary>True when the peer has closed the connection (waiting up to <paramref name="wait"/> for
    /// it to happen). Unread reply bytes count as "not closed yet": they stay buffered.</summary>
    public bool IsClosedByPeer(TimeSpan? wait = null)
    {
        if (_peerClosed)
            return _buffered == 0;
        if (_buffered > 0)
            return false;
        ReceiveSome(wait ?? TimeSpan.Zero);
        return _peerClosed && _buffered == 0;
    }

    /// <summary>Receives whatever arrives within the wait; false on timeout. Sets _peerClosed on EOF or reset.</summary>
    private bool ReceiveSome(TimeSpan wait)
    {
        if (_peerClosed)
            return false;
        var micros = (int)Math.Clamp(wait.TotalMicroseconds, 0, int.MaxValue);
        if (!_socket.Poll(micros, SelectMode.SelectRead))
            return false;
        if (_buffered == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        int read;
        try
        {
            read = _socket.Receive(_buffer, _buffered, _buffer.Length - _buffered, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            read = 0;
        }
        if (read == 0)
        {
            _peerClosed = true;
            return true;
        }
        _buffered += read;
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
