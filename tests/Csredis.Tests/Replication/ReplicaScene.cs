// Shared pieces of the replica-side tests: servers started with DEBUG enabled, a data set with
// every type csredis has (no streams yet) in several encodings (plus TTLs and several databases), a writer that keeps writing
// to a master while a sync runs, and waits for a replica to catch up with its master.
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Replication;

public sealed class ReplicaScene : IDisposable
{
    readonly List<ServerProcess> _servers = new();

    public ServerProcess Start(string name, params string[] args)
    {
        var server = ServerProcess.Start(name, ["--enable-debug-command", "yes", .. args]);
        _servers.Add(server);
        return server;
    }

    public ServerProcess Redis(params string[] args) => Start(ServerProcess.RedisName, args);
    public ServerProcess Csredis(params string[] args) => Start(ServerProcess.CsredisName, args);

    public static string[] ReplicaOf(ServerProcess master) => ["--replicaof", "127.0.0.1", master.Port.ToString()];

    public void Dispose()
    {
        foreach (var s in _servers) s.Dispose();
    }

    public static string Raw(RawClient c, params string[] args) => Encoding.UTF8.GetString(c.Execute(args));
    public static string Raw(ServerProcess s, params string[] args)
    {
        using var c = s.Connect();
        return Raw(c, args);
    }

    public static string InfoReplication(ServerProcess s)
    {
        using var c = s.Connect();
        return Exec(c, "INFO", "replication").Text;
    }

    public static string Field(string info, string name)
    {
        foreach (var line in info.Split("\r\n"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal)) return line[(name.Length + 1)..];
        return "";
    }

    /// <summary>Waits until the replica's link is up and it has applied everything the master has (offsets equal).</summary>
    public static void WaitCaughtUp(ServerProcess master, ServerProcess replica, int seconds = 20)
    {
        WaitFor(() =>
        {
            var r = InfoReplication(replica);
            return Field(r, "master_link_status") == "up"
                && Field(r, "slave_repl_offset") == Field(InfoReplication(master), "master_repl_offset");
        }, TimeSpan.FromSeconds(seconds), $"{replica} to catch up with {master}");
    }

    public static string Digest(ServerProcess s)
    {
        using var c = s.Connect();
        return Persistence.PersistenceKit.Digest(c);
    }

    /// <summary>Every type, small (listpack/intset) and large (quicklist/hashtable/skiplist) encodings, TTLs, three databases.</summary>
    public static void FillEveryType(ServerProcess s, int seed)
    {
        using var c = s.Connect();
        var random = new Random(seed);
        var commands = new List<byte[][]>();
        for (int db = 0; db < 3; db++)
        {
            commands.Add(Cmd("SELECT", db));
            for (int i = 0; i < 40; i++)
            {
                commands.Add(Cmd("SET", $"s:{i}", i % 3 == 0 ? random.NextInt64().ToString() : RandomBytes(random, random.Next(0, 300))));
                if (i % 4 == 0) commands.Add(Cmd("PEXPIREAT", $"s:{i}", 4_000_000_000_000L + i));
            }
            commands.Add(Cmd("RPUSH", "list:small", "a", "b", "1", "2"));
            for (int i = 0; i < 300; i++) commands.Add(Cmd("RPUSH", "list:big", new string('l', random.Next(1, 100)) + i));
            commands.Add(Cmd("SADD", "set:int", "1", "2", "3", "-7"));
            commands.Add(Cmd("SADD", "set:small", "x", "y", "z"));
            for (int i = 0; i < 300; i++) commands.Add(Cmd("SADD", "set:big", "m" + i));
            commands.Add(Cmd("ZADD", "zset:small", "1", "a", "2.5", "b"));
            for (int i = 0; i < 300; i++) commands.Add(Cmd("ZADD", "zset:big", (random.NextDouble() * 1000).ToString("R", System.Globalization.CultureInfo.InvariantCulture), "z" + i));
            commands.Add(Cmd("HSET", "hash:small", "f1", "v1", "f2", "2"));
            for (int i = 0; i < 300; i++) commands.Add(Cmd("HSET", "hash:big", "f" + i, new string('h', random.Next(1, 80))));
            commands.Add(Cmd("PFADD", "hll", "a", "b", "c", "d"));
            commands.Add(Cmd("SETBIT", "bits", "1000", "1"));
            commands.Add(Cmd("EXPIRE", "hash:small", "100000"));
        }
        commands.Add(Cmd("SELECT", 0));
        Assert.Empty(Pipeline(c, commands));
    }

    /// <summary>Writes of several types to <paramref name="master"/> on a thread until stopped (streamed during a sync).</summary>
    public sealed class Writer : IDisposable
    {
        readonly Thread _thread;
        volatile bool _stop;
        public int Written;

        public Writer(ServerProcess master)
        {
            _thread = new Thread(() =>
            {
                using var c = master.Connect();
                int i = 0;
                while (!_stop)
                {
                    var batch = new List<byte[][]>
                    {
                        Cmd("SELECT", i % 3),
                        Cmd("SET", $"w:{i}", $"value-{i}"),
                        Cmd("INCR", "w:counter"),
                        Cmd("RPUSH", "w:list", i),
                        Cmd("HSET", "w:hash", $"f{i % 50}", i),
                        Cmd("ZADD", "w:zset", i, $"m{i % 70}"),
                        Cmd("SADD", "w:set", i % 90),
                        Cmd("SET", $"w:ttl:{i}", "x", "EX", 1000),
                        Cmd("MULTI"), Cmd("INCR", "w:tx"), Cmd("LPUSH", "w:txlist", i), Cmd("EXEC"),
                    };
                    if (i % 10 == 0) batch.Add(Cmd("DEL", $"w:{i - 5}"));
                    Assert.Empty(Pipeline(c, batch));
                    i++;
                    Written = i;
                    Thread.Sleep(2);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
