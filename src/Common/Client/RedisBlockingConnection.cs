// A plain blocking connection to one Redis-compatible server over TCP or a unix socket, for the cli and
// tests: write a request, block until one whole reply is parsed. Reads go into a growable byte buffer
// that the incremental parser consumes from the front.
using System.Net;
using System.Net.Sockets;

namespace Csredis.Common.Client;

/// <summary>The connection is unusable: refused, reset, closed by the peer or out of protocol sync.
/// Message holds the reason the way redis-cli words it ("Connection refused", "Server closed the connection").</summary>
public sealed class RedisConnectionException(string message) : Exception(message);

public sealed class RedisBlockingConnection : IDisposable
{
    private readonly Socket socket;
    private readonly RespReplyParser parser;
    private TlsSession? tls;
    private byte[] buffer = new byte[16 * 1024];
    private int start;
    private int end;

    private RedisBlockingConnection(Socket socket, bool acceptAttributes)
    {
        this.socket = socket;
        parser = new RespReplyParser { AcceptAttributes = acceptAttributes };
    }

    public Socket Socket => socket;

    /// <summary>Turns the connection into TLS (before anything else is sent). Throws TlsSetupException when
    /// the context cannot be built, RedisConnectionException when the handshake fails.</summary>
    public void StartTls(TlsClientContext context) => tls = context.Handshake((int)socket.Handle);

    /// <summary>Connects to host:port, trying every address the name resolves to, as getaddrinfo-based clients do.</summary>
    public static RedisBlockingConnection ConnectTcp(string host, int port, bool acceptAttributes = true, TimeSpan? timeout = null)
    {
        IPAddress[] addresses;
        // getaddrinfo("") fails; .NET would resolve it to this machine's addresses.
        if (host.Length == 0) throw new RedisConnectionException("Name or service not known");
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            try { addresses = Dns.GetHostAddresses(host); }
            catch (SocketException e) { throw new RedisConnectionException(Describe(e.SocketErrorCode, resolving: true)); }
            if (addresses.Length == 0) throw new RedisConnectionException("Name or service not known");
        }
        SocketError lastError = SocketError.ConnectionRefused;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (timeout is { } limit)
                {
                    var result = socket.BeginConnect(new IPEndPoint(address, port), null, null);
                    if (!result.AsyncWaitHandle.WaitOne(limit))
                    {
                        socket.Dispose();
                        lastError = SocketError.TimedOut;
                        continue;
                    }
                    socket.EndConnect(result);
                }
                else socket.Connect(new IPEndPoint(address, port));
                return new RedisBlockingConnection(socket, acceptAttributes);
            }
            catch (SocketException e)
            {
                lastError = e.SocketErrorCode;
                socket.Dispose();
            }
        }
        throw new RedisConnectionException(Describe(lastError, resolving: false));
    }

    public static RedisBlockingConnection ConnectUnix(string path, bool acceptAttributes = true)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new RedisBlockingConnection(socket, acceptAttributes);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new RedisConnectionException(e.SocketErrorCode == SocketError.AddressNotAvailable
                ? "No such file or directory" : Describe(e.SocketErrorCode, resolving: false));
        }
    }

    /// <summary>strerror/gai_strerror wording for the socket errors a client meets while connecting.</summary>
    public static string Describe(SocketError error, bool resolving) => error switch
    {
        SocketError.ConnectionRefused => "Connection refused",
        SocketError.HostNotFound => "Name or service not known",
        SocketError.NoData => resolving ? "Name or service not known" : "No data",
        SocketError.TryAgain => "Temporary failure in name resolution",
        SocketError.TimedOut => "Connection timed out",
        SocketError.NetworkUnreachable => "Network is unreachable",
        SocketError.HostUnreachable => "No route to host",
        SocketError.AddressNotAvailable => "Cannot assign requested address",
        SocketError.AccessDenied => "Permission denied",
        SocketError.ConnectionReset => "Connection reset by peer",
        SocketError.Shutdown or SocketError.ConnectionAborted => "Broken pipe",
        _ => error.ToString(),
    };

    public void Send(IReadOnlyList<byte[]> arguments) => SendRaw(RespRequestEncoder.Encode(arguments));

    public void Send(params string[] arguments) => SendRaw(RespRequestEncoder.Encode(arguments));

    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        if (tls is not null)
        {
            tls.Write(bytes);
            return;
        }
        try
        {
            while (!bytes.IsEmpty)
            {
                int sent = socket.Send(bytes);
                bytes = bytes[sent..];
            }
        }
        catch (SocketException e) { throw new RedisConnectionException(Describe(e.SocketErrorCode, resolving: false)); }
        catch (ObjectDisposedException) { throw new RedisConnectionException("Broken pipe"); }
    }

    /// <summary>Blocks until a whole reply is parsed. A socket receive timeout surfaces as a TimeoutException.</summary>
    public RespValue ReadReply()
    {
        while (true)
        {
            var status = parser.TryParse(buffer.AsSpan(start, end - start), out int consumed, out var reply);
            start += consumed;
            if (status == RespParseStatus.Complete) return reply!;
            if (status == RespParseStatus.ProtocolError) throw new RedisConnectionException(parser.ErrorMessage!);
            FillBuffer();
        }
    }

    /// <summary>Reads whatever arrives next, for raw transfers (RDB payloads, --pipe); at least one byte.</summary>
    public int ReadRaw(Span<byte> destination)
    {
        if (end > start)
        {
            int n = Math.Min(destination.Length, end - start);
            buffer.AsSpan(start, n).CopyTo(destination);
            start += n;
            return n;
        }
        return ReceiveOrThrow(destination);
    }

    /// <summary>Returns bytes taken by ReadRaw that belong to what follows (the replication stream after a
    /// snapshot's EOF marker), so the next read sees them first.</summary>
    public void Unread(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        var rest = buffer.AsSpan(start, end - start).ToArray();
        if (bytes.Length + rest.Length > buffer.Length) buffer = new byte[bytes.Length + rest.Length + 16 * 1024];
        bytes.CopyTo(buffer);
        rest.CopyTo(buffer.AsSpan(bytes.Length));
        start = 0;
        end = bytes.Length + rest.Length;
    }

    /// <summary>Reads one CRLF-terminated line outside the reply protocol (the $len header of a replication payload).</summary>
    public byte[] ReadLine()
    {
        while (true)
        {
            int newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = newline > 0 && buffer[start + newline - 1] == '\r' ? newline - 1 : newline;
                var line = buffer.AsSpan(start, length).ToArray();
                start += newline + 1;
                return line;
            }
            FillBuffer();
        }
    }

    private void FillBuffer()
    {
        if (start > 0 && start == end) start = end = 0;
        if (end == buffer.Length)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            else Array.Resize(ref buffer, buffer.Length * 2);
        }
        end += ReceiveOrThrow(buffer.AsSpan(end));
    }

    private int ReceiveOrThrow(Span<byte> destination)
    {
        if (tls is not null) return tls.Read(destination);
        int received;
        try { received = socket.Receive(destination); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new TimeoutException("Resource temporarily unavailable");
        }
        catch (SocketException e) { throw new RedisConnectionException(Describe(e.SocketErrorCode, resolving: false)); }
        catch (ObjectDisposedException) { throw new RedisConnectionException("Server closed the connection"); }
        if (received == 0) throw new RedisConnectionException("Server closed the connection");
        return received;
    }

    public RespValue Execute(params string[] arguments)
    {
        Send(arguments);
        return ReadReply();
    }

    public RespValue Execute(IReadOnlyList<byte[]> arguments)
    {
        Send(arguments);
        return ReadReply();
    }

    public void Dispose()
    {
        tls?.Dispose();
        tls = null;
        socket.Dispose();
    }
}
