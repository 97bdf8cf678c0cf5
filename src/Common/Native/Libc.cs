// Thin LibraryImport bindings to the Linux calls the event loop and the sockets need.
// Everything here is AOT-safe (source-generated marshalling) and works on raw file descriptors:
// the server never goes through System.Net.Sockets, so no Task, SocketAsyncEventArgs or
// thread-pool callback ever touches a connection.
using System.Runtime.InteropServices;

namespace Csredis.Common.Native;

public static unsafe partial class Libc
{
    public const int AF_INET = 2, AF_INET6 = 10, AF_UNIX = 1;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_KEEPALIVE = 9, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
    public const int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNRESET = 104, EPIPE = 32, EMFILE = 24, ENFILE = 23;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;
    public const int SIGTERM = 15, SIGKILL = 9, SIGINT = 2;

    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3, EPOLL_CLOEXEC = 0x80000;

    // struct epoll_event is packed on x86-64: 4 bytes of events then 8 bytes of data.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn6Storage
    {
        // Large enough for sockaddr_in and sockaddr_in6 (28 bytes); sockaddr_un is not accepted here.
        public fixed byte Bytes[128];
    }

    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);
    [LibraryImport("libc")] public static partial int sched_yield();

    [LibraryImport("libc", SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport("libc", SetLastError = true)] public static partial int bind(int fd, byte* addr, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport("libc", SetLastError = true)] public static partial int accept4(int fd, byte* addr, int* len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int connect(int fd, byte* addr, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, int* value, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockname(int fd, byte* addr, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial int getpeername(int fd, byte* addr, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial nint recv(int fd, byte* buf, nint len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial nint send(int fd, byte* buf, nint len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial nint read(int fd, byte* buf, nint len);
    [LibraryImport("libc", SetLastError = true)] public static partial nint write(int fd, byte* buf, nint len);
    [LibraryImport("libc", SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int shutdown(int fd, int how);
    [LibraryImport("libc", SetLastError = true)] public static partial int fcntl(int fd, int cmd, int arg);
    [LibraryImport("libc", SetLastError = true)] public static partial int getpid();
    [LibraryImport("libc", SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport("libc", SetLastError = true)] public static partial int fsync(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int setsid();
    [LibraryImport("libc", SetLastError = true)] public static partial int fork();
    [LibraryImport("libc", SetLastError = true)] public static partial int dup2(int oldfd, int newfd);
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int open(string path, int flags, int mode);
    [LibraryImport("libc", SetLastError = true)] public static partial nint getrandom(byte* buf, nuint length, uint flags);
    [LibraryImport("libc", SetLastError = true)] public static partial void _exit(int code);
    public const int X_OK = 1, WNOHANG = 1;
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int access(string path, int mode);
    [LibraryImport("libc", SetLastError = true)] public static partial int waitpid(int pid, int* status, int options);
    [LibraryImport("libc", SetLastError = true)] public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    /// <summary>
    /// Starts <paramref name="path"/> with <paramref name="args"/> (argv[0] is the path) and this
    /// process's environment, as fork+execve would; returns the child's pid or -errno.
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> args)
    {
        var env = Environment.GetEnvironmentVariables();
        var strings = new List<string> { path };
        strings.AddRange(args);
        int argc = strings.Count;
        foreach (System.Collections.DictionaryEntry e in env) strings.Add($"{e.Key}={e.Value}");
        var blocks = new byte*[strings.Count];
        var argv = (byte**)NativeMemory.Alloc((nuint)(argc + 1), (nuint)sizeof(byte*));
        var envp = (byte**)NativeMemory.Alloc((nuint)(strings.Count - argc + 1), (nuint)sizeof(byte*));
        try
        {
            for (int i = 0; i < strings.Count; i++)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(strings[i]);
                blocks[i] = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
                bytes.CopyTo(new Span<byte>(blocks[i], bytes.Length));
                blocks[i][bytes.Length] = 0;
            }
            for (int i = 0; i < argc; i++) argv[i] = blocks[i];
            argv[argc] = null;
            for (int i = argc; i < strings.Count; i++) envp[i - argc] = blocks[i];
            envp[strings.Count - argc] = null;
            int pid = 0;
            int rc = posix_spawn(&pid, blocks[0], null, null, argv, envp);
            return rc == 0 ? pid : -rc;
        }
        finally
        {
            foreach (var b in blocks) if (b != null) NativeMemory.Free(b);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
        }
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    // Collation, for SORT ... ALPHA, which Redis does with strcoll under the environment's LC_COLLATE.
    public const int LC_COLLATE = 3;
    [LibraryImport("libc")] public static partial byte* setlocale(int category, byte* locale);
    [LibraryImport("libc")] public static partial int strcoll(byte* a, byte* b);

    public static void SetInt(int fd, int level, int name, int value) => setsockopt(fd, level, name, &value, sizeof(int));

    // uname(2): struct utsname is six char[65] fields (sysname, nodename, release, version, machine, domainname).
    [LibraryImport("libc", SetLastError = true)] public static partial int uname(byte* buf);
    // getrusage(2): struct rusage starts with ru_utime and ru_stime (timeval: seconds, microseconds), then 14 longs.
    [LibraryImport("libc", SetLastError = true)] public static partial int getrusage(int who, long* buf);
    public const int RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

    /// <summary>(user, system) CPU seconds of the process, its waited-for children, or the calling thread.</summary>
    public static (double User, double System) CpuTimes(int who)
    {
        long* usage = stackalloc long[18];
        if (getrusage(who, usage) != 0) return (0, 0);
        return (usage[0] + usage[1] / 1e6, usage[2] + usage[3] / 1e6);
    }

    /// <summary>uname's sysname, release and machine ("Linux", "6.1.0", "x86_64").</summary>
    public static (string System, string Release, string Machine) Uname()
    {
        byte* buf = stackalloc byte[65 * 6];
        if (uname(buf) != 0) return ("Linux", "", "");
        static string Field(byte* f) => Marshal.PtrToStringUTF8((nint)f) ?? "";
        return (Field(buf), Field(buf + 65 * 2), Field(buf + 65 * 4));
    }
}
