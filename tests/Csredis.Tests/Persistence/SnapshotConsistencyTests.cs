// BGSAVE must write the data set exactly as it was when BGSAVE was accepted, while the server keeps
// executing writes. The reference is DEBUG DIGEST sent in the same packet just before BGSAVE (the
// server runs both back to back, nothing runs between them). A writer meanwhile increments a
// counter, creates marker keys, overwrites, appends to, deletes and re-expires existing keys,
// pushes to lists, changes hashes and sets in place, flips and grows bitmaps (SETBIT BITFIELD
// BITOP), replaces lists by SORT ... STORE, overwrites strings in place after a read lookup (SET
// ... GET of the same length, PFCOUNT caching its estimate), flushes a whole database and swaps
// two; any of these leaking into the file, or an old version lost, changes the digest of the file
// when real Redis loads it. (Checked: without the capture in Snapshot.PrepareInPlaceWrite, or
// without the write hooks, this test fails.)
using Xunit;
using System.Text;
using Csredis.Tests.Infrastructure;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Persistence;

public class SnapshotConsistencyTests
{
    const int BaseKeys = 200_000;

    static string BaseValue(int i) => $"value-{i}-{new string('v', i % 64)}";

    static void FillBase(RawClient c)
    {
        var commands = new List<byte[][]>();
        for (int i = 0; i < BaseKeys; i++)
        {
            commands.Add(Cmd("SET", $"key:{i}", BaseValue(i)));
            if (i % 10 == 0) commands.Add(Cmd("PEXPIREAT", $"key:{i}", 4_000_000_000_000L + i));
            if (commands.Count >= 20_000) { Assert.Empty(Pipeline(c, commands)); commands.Clear(); }
        }
        for (int i = 0; i < 2_000; i++)
        {
            commands.Add(Cmd("RPUSH", $"list:{i}", "a", "b", i, new string('l', i % 100)));
            commands.Add(Cmd("HSET", $"hash:{i}", "f1", i, "f2", new string('h', i % 80)));
            commands.Add(Cmd("SADD", $"set:{i}", i, i + 1, $"m{i}"));
            // Bitmaps grown twice have spare capacity: SETBIT may then change them in place.
            commands.Add(Cmd("SETBIT", $"bits:{i}", i % 500 * 8, 1));
            commands.Add(Cmd("SETBIT", $"bits:{i}", i % 500 * 8 + 800, 1));
            commands.Add(Cmd("PFADD", $"hll:{i}", $"a{i}", $"b{i}", "c"));
        }
        commands.Add(Cmd("SELECT", 3));
        for (int i = 0; i < 20_000; i++) commands.Add(Cmd("SET", $"db3:{i}", i));
        commands.Add(Cmd("SELECT", 4));
        for (int i = 0; i < 5_000; i++) commands.Add(Cmd("RPUSH", $"db4:{i}", i, "x"));
        commands.Add(Cmd("SELECT", 0));
        commands.Add(Cmd("SET", "counter", 0));
        Assert.Empty(Pipeline(c, commands));
    }

    static void WriteConcurrently(int port, CancellationToken stop, ref long commandsSent)
    {
        using var w = new RawClient(port);
        var random = new Random(42);
        long marker = 0;
        while (!stop.IsCancellationRequested)
        {
            var batch = new List<byte[][]>();
            for (int i = 0; i < 50; i++)
            {
                int k = random.Next(BaseKeys);
                batch.Add(Cmd("INCR", "counter"));
                batch.Add(Cmd("SET", $"marker:{marker++}", "1"));
                batch.Add(Cmd("SET", $"key:{k}", "overwritten"));
                batch.Add(Cmd("DEL", $"key:{random.Next(BaseKeys)}"));
                batch.Add(Cmd("APPEND", $"key:{random.Next(BaseKeys)}", "+appended"));
                batch.Add(Cmd("EXPIRE", $"key:{random.Next(BaseKeys)}", 5000));
                batch.Add(Cmd("PERSIST", $"key:{random.Next(BaseKeys)}"));
                batch.Add(Cmd("SET", $"key:{k}", "recreated-after-delete"));
                int m = random.Next(2_000);
                batch.Add(Cmd("RPUSH", $"list:{m}", "pushed"));
                batch.Add(Cmd("LPOP", $"list:{random.Next(2_000)}"));
                batch.Add(Cmd("HSET", $"hash:{m}", "f1", "changed", $"new{marker}", "v"));
                batch.Add(Cmd("SADD", $"set:{m}", $"added{marker}"));
                batch.Add(Cmd("SREM", $"set:{random.Next(2_000)}", "m1", "m2", "m3"));
                batch.Add(Cmd("SETBIT", $"bits:{m}", random.Next(6_000), random.Next(2)));
                batch.Add(Cmd("BITFIELD", $"bits:{random.Next(2_000)}", "INCRBY", "u8", $"#{random.Next(700)}", 1));
                batch.Add(Cmd("BITOP", "OR", $"bits:{random.Next(2_000)}", $"bits:{m}", $"bits:{random.Next(2_000)}"));
                batch.Add(Cmd("SORT", $"list:{random.Next(2_000)}", "ALPHA", "STORE", $"list:{m}"));
                // Changes in place after a read lookup (no write hook on the way): SET ... GET with a
                // value of the base value's length, PFCOUNT storing its estimate in the HLL header.
                int g = random.Next(BaseKeys);
                batch.Add(Cmd("SET", $"key:{g}", new string('G', BaseValue(g).Length), "GET"));
                batch.Add(Cmd("PFADD", $"hll:{m}", $"e{marker}"));
                batch.Add(Cmd("PFCOUNT", $"hll:{random.Next(2_000)}"));
            }
            if (marker % 2000 == 0)
            {
                batch.Add(Cmd("SELECT", 3));
                batch.Add(Cmd("FLUSHDB"));
                batch.Add(Cmd("SET", "db3:new", "after-flush"));
                batch.Add(Cmd("SELECT", 0));
            }
            if (marker % 3000 == 0)
            {
                batch.Add(Cmd("SWAPDB", 4, 5));
                batch.Add(Cmd("SELECT", 5));
                batch.Add(Cmd("RPUSH", $"db4:{random.Next(5_000)}", "after-swap"));
                batch.Add(Cmd("DEL", $"db4:{random.Next(5_000)}"));
                batch.Add(Cmd("SELECT", 0));
            }
            Assert.Empty(Pipeline(w, batch));
            Interlocked.Add(ref commandsSent, batch.Count);
        }
    }

    [Fact]
    public void BackgroundSaveIsAPointInTimeImageUnderConcurrentWrites()
    {
        using var dir = new DataDir();
        string expectedDigest;
        long counterAtStart;
        long sentDuringSave;
        using (var server = ServerProcess.StartCsredis(ServerArgs(dir)))
        using (var c = server.Connect())
        {
            FillBase(c);
            using var stop = new CancellationTokenSource();
            long sent = 0;
            var writer = Task.Run(() => WriteConcurrently(server.Port, stop.Token, ref sent));
            PersistenceKit.WaitFor(() => Interlocked.Read(ref sent) > 20_000 || writer.IsCompleted, TimeSpan.FromSeconds(30), "writer warm-up");
            Assert.False(writer.IsFaulted, writer.Exception?.ToString());

            // DEBUG DIGEST of ~230k keys takes seconds while the writer competes for the loop.
            c.Timeout = TimeSpan.FromSeconds(60);
            // One packet: the digest, the counter and BGSAVE run back to back in the server.
            c.SendRaw(RawClient.EncodeCommand("DEBUG", "DIGEST").Concat(RawClient.EncodeCommand("GET", "counter"))
                .Concat(RawClient.EncodeCommand("BGSAVE")).ToArray());
            expectedDigest = RespFrame.Parse(c.ReadRawReply()).Text;
            counterAtStart = long.Parse(RespFrame.Parse(c.ReadRawReply()).Text);
            Assert.Equal("Background saving started", RespFrame.Parse(c.ReadRawReply()).Text);
            long sentAtStart = Interlocked.Read(ref sent);

            server.AssertLogged("Background saving terminated with success", TimeSpan.FromSeconds(60));
            sentDuringSave = Interlocked.Read(ref sent) - sentAtStart;
            stop.Cancel();
            writer.Wait(TimeSpan.FromSeconds(30));
            Assert.False(writer.IsFaulted, writer.Exception?.ToString());
            Assert.NotEqual(expectedDigest, Digest(c));
            // What the snapshot added to the process (Redis's copy-on-write size): real, and small
            // next to the data set, because captured entries are copies released once written.
            var info = Exec(c, "INFO", "persistence").Text + Exec(c, "INFO", "memory").Text;
            long InfoField(string name) => long.Parse(info.Split("\r\n").First(l => l.StartsWith(name + ":"))[(name.Length + 1)..]);
            long cow = InfoField("rdb_last_cow_size"), used = InfoField("used_memory");
            Assert.True(cow > 0 && cow < used / 10, $"rdb_last_cow_size {cow} for used_memory {used}");
            Assert.Equal(1, InfoField("rdb_saves"));
            server.AssertLogged("Fork CoW for RDB: current");
        }
        Assert.True(sentDuringSave > 0, "the writer must have run while the snapshot was written");

        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var rc = redis.Connect();
        Assert.Equal(counterAtStart.ToString(), Exec(rc, "GET", "counter").Text);
        Assert.Equal(expectedDigest, Digest(rc));
    }
}
