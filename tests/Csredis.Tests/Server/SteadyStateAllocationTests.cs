// Steady-state GET/SET allocate nothing: a server built in this process serves one client over a
// socketpair through the real request cycle (Client.OnReadable: recv, parse, lookup, filters, call,
// reply; then the loop's BeforeSleep: send), and GC.GetAllocatedBytesForCurrentThread, read around
// thousands of commands after a warm-up, must not move. The keys exist and each SET writes a value
// of the stored length, as redis-benchmark's SET/GET loop does (a new key or a longer value needs
// memory to hold it, in Redis as here). Pipelined batches go through the same path.
// Under the JIT the runtime itself (tiered compilation) allocates a few hundred bytes on this
// thread now and then, about once a second; with DOTNET_TieredCompilation=0 every window is 0.
// So each case runs several windows of thousands of commands and needs a clean one: a command path
// that allocated would show in every window.
using System.Runtime.InteropServices;
using System.Text;
using Csredis.Common.Native;
using Csredis.Server;
using Csredis.Server.Config;
using Csredis.Server.Networking;
using Xunit;
using Xunit.Abstractions;

namespace Csredis.Tests.Server;

public sealed unsafe partial class SteadyStateAllocationTests(ITestOutputHelper output)
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, int* fds);

    const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800;

    sealed class Harness : IDisposable
    {
        public readonly RedisServer Server = new(new ServerConfig());
        public readonly Client Client;
        readonly int _peer;
        readonly byte[] _replies = new byte[1 << 16];

        public Harness()
        {
            int* fds = stackalloc int[2];
            Assert.Equal(0, socketpair(Libc.AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds));
            Client = new Client(Server, fds[0], 3);
            _peer = fds[1];
        }

        /// <summary>One loop turn: the requests arrive, the client reads and executes them, replies are flushed.</summary>
        public int Turn(byte[] requests)
        {
            // No Assert here: xUnit's Assert.Equal allocates its comparer, and this runs inside the measurement.
            nint written;
            fixed (byte* p = requests) written = Libc.write(_peer, p, requests.Length);
            if (written != requests.Length) throw new InvalidOperationException("short write to the socketpair");
            Client.OnReadable();
            Server.Loop.BeforeSleep!();
            nint n;
            fixed (byte* p = _replies) n = Libc.read(_peer, p, _replies.Length);
            return (int)n;
        }

        public string Reply(byte[] requests) => Encoding.ASCII.GetString(_replies, 0, Turn(requests));

        public void Dispose()
        {
            Libc.close(_peer);
            Libc.close(Client.Fd);
        }
    }

    static byte[] Command(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    static byte[] Batch(IEnumerable<byte[]> commands) => commands.SelectMany(c => c).ToArray();

    const int Keys = 64;

    /// <summary>
    /// Runs the turns until a whole window allocates nothing (bounded): under the JIT, tiered
    /// compilation swaps in optimized code from a background thread for a while and that briefly
    /// allocates on the calling thread (the shipped NativeAOT binary has no JIT). The measurement
    /// proper comes after.
    /// </summary>
    static void Settle(Harness h, byte[][] turns)
    {
        // Three clean windows in a row, spaced past the runtime's 100 ms tiering delay.
        for (int attempt = 0, clean = 0; attempt < 60 && clean < 3; attempt++)
        {
            clean = AllocatedOver(h, turns, 50) == 0 ? clean + 1 : 0;
            Thread.Sleep(150);
        }
    }

    /// <summary>Bytes allocated in each of several measurement windows.</summary>
    static long[] Windows(Harness h, byte[][] turns, int rounds) =>
        Enumerable.Range(0, 5).Select(_ => AllocatedOver(h, turns, rounds)).ToArray();

    static long AllocatedOver(Harness h, byte[][] turns, int rounds)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < rounds; r++)
            foreach (var t in turns) h.Turn(t);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void GetAndSetOfExistingKeysAllocateNothing()
    {
        using var h = new Harness();
        // The same shapes redis-benchmark sends: key:NNNNNNNNNNNN, 3-byte values.
        var set = Enumerable.Range(0, Keys).Select(i => Command("SET", $"key:{i:D12}", "xxx")).ToArray();
        var get = Enumerable.Range(0, Keys).Select(i => Command("GET", $"key:{i:D12}")).ToArray();
        var single = set.Zip(get, (s, g) => new[] { s, g }).SelectMany(x => x).ToArray();
        var pipelined = Enumerable.Range(0, Keys / 16).SelectMany(b => new[]
        {
            Batch(set.Skip(b * 16).Take(16)), Batch(get.Skip(b * 16).Take(16)),
        }).ToArray();

        Assert.Equal("+OK\r\n", h.Reply(set[0]));
        Assert.Equal("$3\r\nxxx\r\n", h.Reply(get[0]));
        Assert.Equal(string.Concat(Enumerable.Repeat("+OK\r\n", 16)), h.Reply(pipelined[0]));
        Settle(h, single);    // warm-up: keys created, buffers sized, code paths compiled
        Settle(h, pipelined);

        var singleBytes = Windows(h, single, 100);
        var pipelinedBytes = Windows(h, pipelined, 100);
        int commands = 100 * single.Length;
        output.WriteLine($"windows of {commands} GET/SET, one per turn: [{string.Join(", ", singleBytes)}] bytes allocated; " +
                         $"pipelined by 16: [{string.Join(", ", pipelinedBytes)}] bytes");
        Assert.Equal(0, singleBytes.Min());
        Assert.Equal(0, pipelinedBytes.Min());
    }

    [Fact]
    public void PingAllocatesNothing()
    {
        using var h = new Harness();
        var turns = new[]
        {
            Command("PING"), Encoding.ASCII.GetBytes("PING\r\n"),
            Batch(Enumerable.Repeat(Command("PING"), 16)), Batch(Enumerable.Repeat(Encoding.ASCII.GetBytes("PING\r\n"), 16)),
        };
        Assert.Equal("+PONG\r\n", h.Reply(turns[0]));
        Assert.Equal("+PONG\r\n", h.Reply(turns[1]));
        Settle(h, turns);
        var bytes = Windows(h, turns, 200);
        output.WriteLine($"windows of {200 * 34} PING (multibulk and inline, alone and pipelined by 16): [{string.Join(", ", bytes)}] bytes allocated");
        Assert.Equal(0, bytes.Min());
    }
}
