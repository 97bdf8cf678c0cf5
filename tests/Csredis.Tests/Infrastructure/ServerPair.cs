// A fresh real redis-server and a fresh ./csredis-server started with the same arguments, one
// connection to each, for tests that play the same command stream against both and require the
// same reply bytes at every step (a failure names the step and shows both replies escaped).
using System.Text;
using Xunit;

namespace Csredis.Tests.Infrastructure;

public sealed class ServerPair : IDisposable
{
    public readonly ServerProcess Redis, Csredis;
    public readonly RawClient R, C;

    public ServerPair(params string[] serverArgs)
    {
        Redis = ServerProcess.StartRedis(serverArgs);
        try
        {
            Csredis = ServerProcess.StartCsredis(serverArgs);
        }
        catch
        {
            Redis.Dispose();
            throw;
        }
        R = Redis.Connect();
        C = Csredis.Connect();
    }

    /// <summary>Arguments as bytes: byte arrays as they are, anything else formatted invariantly.</summary>
    public static byte[][] Args(params object[] parts) =>
        parts.Select(p => p as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(p, System.Globalization.CultureInfo.InvariantCulture)!)).ToArray();

    /// <summary>Runs a command on both servers and asserts identical replies; returns Redis's reply.</summary>
    public byte[] Both(int step, params object[] parts)
    {
        var args = Args(parts);
        var expected = R.Execute(args);
        var actual = C.Execute(args);
        if (!expected.AsSpan().SequenceEqual(actual)) Assert.Fail($"step {step}: {Describe(args)}\n  redis   {Shorten(expected)}\n  csredis {Shorten(actual)}");
        return expected;
    }

    /// <summary>Sends the commands to both servers as one pipeline each and asserts identical replies, one by one.</summary>
    public void BothPipelined(string what, IReadOnlyList<byte[][]> commands)
    {
        var buffer = new MemoryStream();
        foreach (var command in commands) buffer.Write(RawClient.EncodeCommand(command));
        var bytes = buffer.ToArray();
        R.SendRaw(bytes);
        C.SendRaw(bytes);
        for (int i = 0; i < commands.Count; i++)
        {
            var expected = R.ReadRawReply();
            var actual = C.ReadRawReply();
            if (!expected.AsSpan().SequenceEqual(actual))
                Assert.Fail($"{what}, command {i}: {Describe(commands[i])}\n  redis   {Shorten(expected)}\n  csredis {Shorten(actual)}");
        }
    }

    static string Describe(byte[][] args) =>
        string.Join(' ', args.Take(8).Select(a => a.Length > 24 ? RespFrame.Escape(a.AsSpan(0, 24)) + "..." : RespFrame.Escape(a))) + (args.Length > 8 ? $" ... ({args.Length} arguments)" : "");

    static string Shorten(byte[] reply) => reply.Length > 600 ? RespFrame.Escape(reply.AsSpan(0, 600)) + $"... ({reply.Length} bytes)" : RespFrame.Escape(reply);

    public void Dispose()
    {
        R.Dispose();
        C.Dispose();
        Redis.Dispose();
        Csredis.Dispose();
    }
}
