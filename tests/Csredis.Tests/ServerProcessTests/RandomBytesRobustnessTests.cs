// Feeds seeded random garbage (some of it shaped like the start of valid RESP) to a live server over
// several connections, then checks the server is still up and serving another client correctly.
// Everything is bounded: fixed chunk counts and sizes, and an overall time budget.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.ServerProcessTests;

public sealed class RandomBytesRobustnessTests
{
    private const int Seed = 20241122;
    private const int Connections = 6;
    private const int ChunksPerConnection = 60;
    private const int MaxChunkBytes = 512;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    // Prefixes that push the parser into its interesting states before the garbage arrives.
    private static readonly string[] Prefixes =
    [
        "", "*", "*3\r\n", "*3\r\n$3\r\nSET\r\n", "*2\r\n$-1\r\n", "$5\r\n", "*1\r\n$100\r\n", "SET a ", "\"", "*-5\r\n",
        "*2147483648\r\n", "*1\r\n$2147483648\r\n", "\r\n\r\n", "ECHO \"\\x", "*1\r\n$4\r\nPIN",
    ];

    public static TheoryData<string> Servers => new() { ServerProcess.RedisName, ServerProcess.CsredisName };

    [Theory]
    [MemberData(nameof(Servers))]
    public void GarbageOnSomeConnectionsDoesNotHurtOthers(string server)
    {
        using var process = ServerProcess.Start(server);
        using var healthy = process.Connect();
        var random = new Random(Seed);
        var clock = Stopwatch.StartNew();
        long bytesSent = 0;
        var reconnects = 0;

        for (var connection = 0; connection < Connections && clock.Elapsed < Budget; connection++)
        {
            var garbage = process.Connect();
            try
            {
                for (var chunk = 0; chunk < ChunksPerConnection && clock.Elapsed < Budget; chunk++)
                {
                    var prefix = Encoding.ASCII.GetBytes(Prefixes[random.Next(Prefixes.Length)]);
                    var noise = new byte[random.Next(1, MaxChunkBytes)];
                    random.NextBytes(noise);
                    // Drop what the server answered; a connection it closed (protocol error) is replaced,
                    // so the garbage keeps reaching a live parser instead of a dead socket.
                    garbage.ReadUntilQuiet(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
                    if (garbage.IsClosedByPeer())
                    {
                        garbage.Dispose();
                        garbage = process.Connect();
                        reconnects++;
                    }
                    try
                    {
                        garbage.SendRaw([.. prefix, .. noise]);
                        bytesSent += prefix.Length + noise.Length;
                    }
                    catch (SocketException)
                    {
                        garbage.Dispose();
                        garbage = process.Connect();
                        reconnects++;
                    }
                    if (chunk % 10 == 0)
                        AssertServes(process, healthy, $"c{connection}-{chunk}");
                }
            }
            finally
            {
                garbage.Dispose();
            }
        }

        AssertServes(process, healthy, "final");
        Assert.True(bytesSent > 0 && reconnects < Connections * ChunksPerConnection, $"sent {bytesSent} bytes, {reconnects} reconnects");
        using var fresh = process.Connect();
        Assert.Equal("+PONG\\r\\n", fresh.ExecuteEscaped("PING"));
    }

    private static void AssertServes(ServerProcess process, RawClient client, string tag)
    {
        Assert.False(process.HasExited, $"{process.Name} died on garbage input.\n{process.Describe()}");
        Assert.Equal("+PONG\\r\\n", client.ExecuteEscaped("PING"));
        var value = "value-" + tag;
        Assert.Equal("+OK\\r\\n", client.ExecuteEscaped("SET", "health", value));
        Assert.Equal($"${value.Length}\\r\\n{value}\\r\\n", client.ExecuteEscaped("GET", "health"));
    }
}
