// Shared pieces of the persistence tests: a temporary data directory both servers of a test
// point --dir at (so one server's RDB file is the other's input), data set builders that cover
// every string encoding RDB has (ints of each width, LZF-compressible, incompressible, empty,
// binary) plus TTLs and several databases, and small reply helpers.
using Xunit;
using System.Text;
using Csredis.Tests.Infrastructure;

namespace Csredis.Tests.Persistence;

public sealed class DataDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"csredis-rdb-{Guid.NewGuid():N}");
    public DataDir() => Directory.CreateDirectory(Path);
    public string File(string name = "dump.rdb") => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class PersistenceKit
{
    /// <summary>Arguments that point a server at <paramref name="dir"/> with DEBUG enabled and no save points.</summary>
    public static string[] ServerArgs(DataDir dir, params string[] more) =>
        ["--dir", dir.Path, "--enable-debug-command", "yes", .. more];

    public static RespFrame Exec(RawClient c, params object[] args)
    {
        var bytes = args.Select(a => a switch
        {
            byte[] b => b,
            string s => Encoding.UTF8.GetBytes(s),
            _ => Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!),
        }).ToArray();
        return RespFrame.Parse(c.Execute(bytes));
    }

    public static string Digest(RawClient c) => Exec(c, "DEBUG", "DIGEST").Text;

    /// <summary>Sends many commands in one write and reads all replies (a pipeline), returning the failures.</summary>
    public static List<string> Pipeline(RawClient c, IReadOnlyList<byte[][]> commands)
    {
        var buffer = new MemoryStream();
        foreach (var cmd in commands) buffer.Write(RawClient.EncodeCommand(cmd));
        c.SendRaw(buffer.ToArray());
        var errors = new List<string>();
        for (int i = 0; i < commands.Count; i++)
        {
            var frame = RespFrame.Parse(c.ReadRawReply());
            if (frame.IsError) errors.Add(frame.Text);
        }
        return errors;
    }

    public static byte[][] Cmd(params object[] args) => args.Select(a => a switch
    {
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        _ => Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!),
    }).ToArray();

    /// <summary>Strings of every RDB encoding in databases 0..2, some with a TTL far in the future.</summary>
    public static void FillStrings(RawClient c, int keys, int seed)
    {
        var random = new Random(seed);
        var commands = new List<byte[][]>();
        for (int db = 0; db < 3; db++)
        {
            commands.Add(Cmd("SELECT", db));
            for (int i = 0; i < keys; i++)
            {
                string key = $"k:{db}:{i}";
                object value = (i % 9) switch
                {
                    0 => random.NextInt64(long.MinValue, long.MaxValue).ToString(),
                    1 => random.Next(-128, 128).ToString(),
                    2 => random.Next(-32768, 32768).ToString(),
                    3 => random.Next().ToString(),
                    4 => string.Concat(Enumerable.Repeat("abc", random.Next(7, 200))),
                    5 => RandomBytes(random, random.Next(0, 400)),
                    6 => "",
                    7 => "007",
                    _ => new string('x', random.Next(21, 3000)),
                };
                commands.Add(Cmd("SET", key, value));
                if (i % 5 == 0) commands.Add(Cmd("PEXPIREAT", key, 4_000_000_000_000L + i));
            }
        }
        commands.Add(Cmd("SELECT", 0));
        var errors = Pipeline(c, commands);
        Assert.Empty(errors);
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            Thread.Sleep(20);
        }
    }
}
