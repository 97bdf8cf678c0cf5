// Non-blocking TCP sockets over raw file descriptors: listen (IPv4 and IPv6), accept, connect,
// and address formatting. Setup paths may allocate; the per-byte paths (recv/send) live in the
// callers and use Libc directly on pinned buffers.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Csredis.Common.Native;

public static unsafe class Sockets
{
    /// <summary>Opens a non-blocking listening socket; returns the fd or throws with the OS error text Redis would log.</summary>
    public static int Listen(string address, int port, int backlog)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            if (address == "*") ip = IPAddress.Any;
            else if (address == "::*") ip = IPAddress.IPv6Any;
            else if (address.Equals("localhost", StringComparison.OrdinalIgnoreCase)) ip = IPAddress.Loopback;
            else
            {
                // A host name, resolved as Redis's getaddrinfo does; a name that does not resolve
                // surfaces as SocketError.HostNotFound (gai's "Name or service not known").
                try { ip = Dns.GetHostAddresses(address).FirstOrDefault() ?? throw new SocketException((int)SocketError.HostNotFound); }
                catch (SocketException) { throw new SocketException((int)SocketError.HostNotFound); }
                catch (ArgumentException) { throw new SocketException((int)SocketError.HostNotFound); }
            }
        }
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        int fd = Libc.socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new SocketException(Libc.Errno);
        Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        if (v6) Libc.SetInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1);
        Libc.SockAddrIn6Storage sa = default;
        int len = WriteSockAddr(ip, port, sa.Bytes);
        if (Libc.bind(fd, sa.Bytes, len) < 0 || Libc.listen(fd, backlog) < 0)
        {
            int err = Libc.Errno;
            Libc.close(fd);
            throw new SocketException(err);
        }
        return fd;
    }

    /// <summary>Starts a non-blocking connect; returns the fd (connection completes on writability) or -1 with errno.</summary>
    public static int ConnectNonBlocking(IPAddress ip, int port)
    {
        int fd = Libc.socket(ip.AddressFamily == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET,
            Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        Libc.SockAddrIn6Storage sa = default;
        int len = WriteSockAddr(ip, port, sa.Bytes);
        if (Libc.connect(fd, sa.Bytes, len) < 0 && Libc.Errno != Libc.EINPROGRESS)
        {
            Libc.close(fd);
            return -1;
        }
        Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        return fd;
    }

    /// <summary>Accepts one pending connection; returns -1 when none is pending (EAGAIN) or on error (errno set).</summary>
    public static int Accept(int listenFd)
    {
        return Libc.accept4(listenFd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
    }

    public static void ConfigureClientSocket(int fd, int keepAliveSeconds)
    {
        Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        if (keepAliveSeconds > 0)
        {
            Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, 1);
            Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPIDLE, keepAliveSeconds);
            Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPINTVL, Math.Max(1, keepAliveSeconds / 3));
            Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPCNT, 3);
        }
    }

    /// <summary>"ip:port" of the peer (or of the local end), as Redis prints it in CLIENT LIST and logs.</summary>
    public static (string Ip, int Port) PeerAddress(int fd, bool local = false)
    {
        Libc.SockAddrIn6Storage sa = default;
        int len = 128;
        int rc = local ? Libc.getsockname(fd, sa.Bytes, &len) : Libc.getpeername(fd, sa.Bytes, &len);
        if (rc < 0) return ("?", 0);
        return ReadSockAddr(sa.Bytes);
    }

    static int WriteSockAddr(IPAddress ip, int port, byte* dst)
    {
        var span = new Span<byte>(dst, 128);
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, Libc.AF_INET6);
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)port);
            ip.TryWriteBytes(span.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)ip.ScopeId);
            return 28;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(span, Libc.AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)port);
        ip.TryWriteBytes(span.Slice(4, 4), out _);
        return 16;
    }

    static (string, int) ReadSockAddr(byte* src)
    {
        var span = new ReadOnlySpan<byte>(src, 128);
        int family = BinaryPrimitives.ReadUInt16LittleEndian(span);
        int port = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        if (family == Libc.AF_INET6)
        {
            var ip = new IPAddress(span.Slice(8, 16));
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            return (ip.ToString(), port);
        }
        if (family == Libc.AF_INET) return (new IPAddress(span.Slice(4, 4)).ToString(), port);
        return ("/unix", 0);
    }
}
