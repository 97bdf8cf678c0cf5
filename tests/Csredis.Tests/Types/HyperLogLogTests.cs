// HyperLogLog against real Redis at sizes and in states the differential script cannot spell out:
// 100k elements driven into both servers with the stored bytes (GET) and the estimate compared at
// many points through sparse growth, promotion and dense; values built by one server working in
// the other (GET/SET, DUMP/RESTORE, a Redis RDB file); seeded random merges and counts over keys of mixed
// encodings and sparse limits; crafted values (broken opcode streams, garbage registers, bad
// headers); the dirty counter and keyspace hit/miss statistics; and a BGSAVE taken while PFADD,
// PFMERGE and PFCOUNT rewrite the HLLs it is writing.
using System.Text;
using Csredis.Tests.Infrastructure;
using Csredis.Tests.Persistence;
using Xunit;

namespace Csredis.Tests.Types;

public sealed class HyperLogLogTests
{
    static byte[][] Cmd(params object[] parts) => ServerPair.Args(parts);

    static byte[][] PfAdd(string key, IEnumerable<object> elements) => Cmd(["PFADD", key, .. elements]);

    [Fact]
    public void HundredThousandElementsLeaveRedisBytesAndEstimates()
    {
        using var pair = new ServerPair();
        int[] snapshots = [1, 2, 3, 10, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000, 50_000, 100_000];
        int added = 0, step = 0;
        foreach (int target in snapshots)
        {
            var commands = new List<byte[][]>();
            while (added < target)
            {
                int n = Math.Min(target - added, 400);
                // Every element twice (the second PFADD changes nothing), and each batch re-counted.
                commands.Add(PfAdd("hll", Enumerable.Range(added, n).Select(i => (object)$"element:{i}")));
                commands.Add(PfAdd("hll", Enumerable.Range(added, n).Select(i => (object)$"element:{i}")));
                commands.Add(Cmd("PFCOUNT", "hll"));
                added += n;
            }
            pair.BothPipelined($"adding up to {target}", commands);
            pair.Both(++step, "GET", "hll");
            pair.Both(++step, "PFDEBUG", "ENCODING", "hll");
            pair.Both(++step, "PFCOUNT", "hll");
            pair.Both(++step, "GET", "hll");
        }

        // The same elements again as binary strings, with a sparse limit large enough to stay
        // sparse through thousands of registers.
        pair.Both(++step, "CONFIG", "SET", "hll-sparse-max-bytes", "12000");
        var random = new Random(7);
        for (int round = 0; round < 30; round++)
        {
            var elements = Enumerable.Range(0, 200).Select(_ => (object)PersistenceKit.RandomBytes(random, random.Next(0, 12))).ToArray();
            pair.BothPipelined($"binary round {round}", [PfAdd("binary", elements), Cmd("GET", "binary"), Cmd("PFCOUNT", "binary"), Cmd("GET", "binary")]);
        }
        pair.Both(++step, "PFDEBUG", "ENCODING", "binary");
        pair.Both(++step, "PFMERGE", "union", "binary", "hll");
        pair.Both(++step, "GET", "union");
        pair.Both(++step, "PFCOUNT", "union");
        pair.Both(++step, "PFCOUNT", "binary", "hll");
    }

    [Fact]
    public void ValuesMadeByOneServerWorkInTheOther()
    {
        using var pair = new ServerPair();
        int step = 0;
        foreach (int size in new[] { 0, 7, 300, 1800, 6000 })
        {
            string key = $"made:{size}";
            var elements = Enumerable.Range(0, size).Select(i => (object)$"{size}:{i}").ToArray();
            pair.R.Execute(size == 0 ? Cmd("PFADD", key) : PfAdd(key, elements));
            pair.C.Execute(size == 0 ? Cmd("PFADD", key) : PfAdd(key, elements));
            var more = Enumerable.Range(0, 500).Select(i => (object)$"more:{i}").ToArray();
            foreach (var (from, to) in new[] { (pair.R, pair.C), (pair.C, pair.R) })
            {
                // GET from one server, SET into the other: the value is an HLL there as it is here.
                var value = RespFrame.Parse(from.Execute(Cmd("GET", key))).Payload!;
                to.Execute(Cmd("SET", "copied", value));
                var dump = RespFrame.Parse(from.Execute(Cmd("DUMP", key))).Payload!;
                Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(to.Execute(Cmd("RESTORE", "restored", 0, dump, "REPLACE"))));
                foreach (var other in new[] { "copied", "restored" })
                {
                    // The original's twin, "reference", gets the same commands where the value was made.
                    from.Execute(Cmd("SET", "reference", value));
                    Assert.Equal(Encoding.ASCII.GetString(from.Execute(Cmd("PFCOUNT", "reference"))), Encoding.ASCII.GetString(to.Execute(Cmd("PFCOUNT", other))));
                    Assert.Equal(RespFrame.Escape(from.Execute(Cmd("GET", "reference"))), RespFrame.Escape(to.Execute(Cmd("GET", other))));
                    from.Execute(PfAdd("reference", more));
                    to.Execute(PfAdd(other, more));
                    Assert.Equal(RespFrame.Escape(from.Execute(Cmd("GET", "reference"))), RespFrame.Escape(to.Execute(Cmd("GET", other))));
                    Assert.Equal(Encoding.ASCII.GetString(from.Execute(Cmd("PFCOUNT", "reference"))), Encoding.ASCII.GetString(to.Execute(Cmd("PFCOUNT", other))));
                }
                to.Execute(Cmd("DEL", "copied", "restored"));
                from.Execute(Cmd("DEL", "reference"));
            }
            pair.Both(++step, "GET", key);
        }
    }

    [Fact]
    public void HyperLogLogsInARedisRdbFileWorkInCsredis()
    {
        using var dir = new DataDir();
        int[] sizes = [0, 5, 200, 3000, 20_000];
        var expected = new Dictionary<string, (string Count, string After)>();
        var more = Enumerable.Range(0, 300).Select(i => (object)$"more:{i}").ToArray();
        using (var redis = ServerProcess.StartRedis(PersistenceKit.ServerArgs(dir)))
        using (var rc = redis.Connect())
        {
            foreach (int size in sizes)
            {
                var commands = new List<byte[][]> { Cmd("PFADD", $"h{size}") };
                for (int from = 0; from < size; from += 1000)
                    commands.Add(PfAdd($"h{size}", Enumerable.Range(from, Math.Min(1000, size - from)).Select(i => (object)$"e{i}")));
                Assert.Empty(PersistenceKit.Pipeline(rc, commands));
            }
            Assert.Equal("OK", PersistenceKit.Exec(rc, "SAVE").Text);
            foreach (int size in sizes)
            {
                string count = PersistenceKit.Exec(rc, "PFCOUNT", $"h{size}").Text;
                PersistenceKit.Exec(rc, ["PFADD", $"h{size}", .. more]);
                expected[$"h{size}"] = (count, RespFrame.Escape(rc.Execute(Cmd("GET", $"h{size}"))));
            }
        }
        using var server = ServerProcess.StartCsredis(PersistenceKit.ServerArgs(dir));
        using var c = server.Connect();
        foreach (var (key, (count, after)) in expected)
        {
            Assert.Equal(count, PersistenceKit.Exec(c, "PFCOUNT", key).Text);
            PersistenceKit.Exec(c, ["PFADD", key, .. more]);
            Assert.Equal(after, RespFrame.Escape(c.Execute(Cmd("GET", key))));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomMergesAndCountsOfMixedEncodingsAgree(int seed)
    {
        using var pair = new ServerPair();
        var random = new Random(seed);
        int[] sizes = [0, 1, 4, 40, 250, 900, 2500, 15_000];
        int step = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var commands = new List<byte[][]> { Cmd("PFADD", $"k{i}") };
            for (int from = 0; from < sizes[i]; from += 500)
                commands.Add(PfAdd($"k{i}", Enumerable.Range(from, Math.Min(500, sizes[i] - from)).Select(_ => (object)PersistenceKit.RandomBytes(random, random.Next(1, 16)))));
            commands.Add(Cmd("GET", $"k{i}"));
            pair.BothPipelined($"filling k{i}", commands);
        }
        string[] limits = ["3000", "50", "400", "0", "9000"];
        for (int op = 0; op < 400; op++)
        {
            string Key() => $"k{random.Next(sizes.Length + 2)}";
            string key = Key();
            double dice = random.NextDouble();
            if (dice < 0.05) pair.Both(++step, "CONFIG", "SET", "hll-sparse-max-bytes", limits[random.Next(limits.Length)]);
            else if (dice < 0.4)
            {
                pair.Both(++step, ["PFMERGE", key, .. Enumerable.Range(0, random.Next(0, 4)).Select(_ => (object)Key())]);
                pair.Both(++step, "GET", key);
            }
            else if (dice < 0.65) pair.Both(++step, ["PFCOUNT", key, .. Enumerable.Range(0, random.Next(0, 4)).Select(_ => (object)Key())]);
            else
            {
                pair.Both(++step, PfAdd(key, Enumerable.Range(0, random.Next(1, 40)).Select(_ => (object)$"x{random.Next(200_000)}")));
                pair.Both(++step, "GET", key);
                pair.Both(++step, "PFCOUNT", key);
                pair.Both(++step, "GET", key);
            }
            if (op % 50 == 0) pair.Both(++step, "PFDEBUG", "ENCODING", key);
        }
    }

    static byte[] Header(byte encoding, Random random)
    {
        var header = new byte[16];
        "HYLL"u8.CopyTo(header);
        header[4] = encoding;
        if (random.Next(2) == 0) random.NextBytes(header.AsSpan(8, 8));
        else header[15] = 0x80;
        return header;
    }

    /// <summary>
    /// A run of sparse opcodes covering the registers, damaged one way or another when asked. A
    /// value never ends inside a two-byte XZERO: Redis then reads (and may later write) the byte
    /// past the end of its string, which no other implementation can reproduce.
    /// </summary>
    static byte[] Opcodes(Random random, bool damage)
    {
        var ops = new List<byte>();
        int total = 0;
        while (total < 16384)
        {
            int left = 16384 - total, run;
            double dice = random.NextDouble();
            if (dice < 0.3) { run = random.Next(1, Math.Min(64, left) + 1); ops.Add((byte)(run - 1)); }
            else if (dice < 0.5) { run = random.Next(1, left + 1); ops.Add((byte)(0x40 | ((run - 1) >> 8))); ops.Add((byte)((run - 1) & 0xFF)); }
            else { run = random.Next(1, Math.Min(4, left) + 1); ops.Add((byte)(0x80 | ((random.Next(1, 33) - 1) << 2) | (run - 1))); }
            total += run;
        }
        if (damage)
        {
            double dice = random.NextDouble();
            if (dice < 0.3 && ops.Count > 1) ops.RemoveAt(ops.Count - 1);
            else if (dice < 0.6) ops.Add((byte)random.Next(256));
            else ops[random.Next(ops.Count)] = (byte)random.Next(256);
        }
        for (int p = 0; p < ops.Count; p += (ops[p] & 0xC0) == 0x40 ? 2 : 1)
            if ((ops[p] & 0xC0) == 0x40 && p + 1 == ops.Count) ops.Add(0);
        return ops.ToArray();
    }

    static byte[] CraftedValue(Random random)
    {
        double dice = random.NextDouble();
        if (dice < 0.5) return [.. Header(1, random), .. Opcodes(random, damage: random.NextDouble() < 0.4)];
        if (dice < 0.7)
        {
            var registers = new byte[12288];
            for (int i = 0; i < registers.Length; i++) if (random.Next(10) < 3) registers[i] = (byte)random.Next(256);
            return [.. Header(0, random), .. registers];
        }
        if (dice < 0.8) return [.. Header((byte)new[] { 0, 1, 2, 255 }[random.Next(4)], random), .. PersistenceKit.RandomBytes(random, random.Next(0, 5))];
        if (dice < 0.9)
        {
            byte[][] odd = ["HYLL"u8.ToArray(), "HYL"u8.ToArray(), [], "12345"u8.ToArray(), [.. Header(0, random), .. new byte[12287]], [.. Header(0, random), .. new byte[12289]]];
            return odd[random.Next(odd.Length)];
        }
        return [.. Header(1, random), 0x7F, 0xFF];
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void CraftedAndCorruptedValuesAnswerAsInRedis(int seed)
    {
        using var pair = new ServerPair();
        var random = new Random(seed);
        pair.Both(0, "RPUSH", "list", "a");
        string[] debug = ["getreg", "decode", "encoding", "todense", "bogus", "GETREG"];
        for (int step = 1; step <= 700; step++)
        {
            string key = $"c{random.Next(6)}";
            double dice = random.NextDouble();
            if (dice < 0.25) pair.Both(step, "SET", key, CraftedValue(random));
            else if (dice < 0.45) pair.Both(step, PfAdd(key, Enumerable.Range(0, random.Next(0, 6)).Select(_ => (object)$"y{random.Next(50_000)}")));
            else if (dice < 0.6) pair.Both(step, "PFCOUNT", key);
            else if (dice < 0.7) pair.Both(step, "PFCOUNT", key, $"c{random.Next(6)}", new[] { "list", "nokey", "c1" }[random.Next(3)]);
            else if (dice < 0.8) pair.Both(step, "PFMERGE", key, $"c{random.Next(6)}", new[] { "nokey", "c2" }[random.Next(2)]);
            else if (dice < 0.9) pair.Both(step, "PFDEBUG", debug[random.Next(debug.Length)], key);
            else pair.Both(step, "OBJECT", "ENCODING", key);
            pair.Both(step, "GET", key);
        }
    }

    [Fact]
    public void SelfTestPasses()
    {
        // Not in the differential script: Redis's own self-test takes seconds on a busy machine.
        using var server = ServerProcess.StartCsredis();
        using var c = server.Connect();
        c.Timeout = TimeSpan.FromSeconds(60);
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(c.Execute(Cmd("PFSELFTEST"))));
    }

    static long InfoField(RawClient c, string section, string field)
    {
        foreach (var line in RespFrame.Parse(c.Execute(Cmd("INFO", section))).Text.Split("\r\n"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal)) return long.Parse(line[(field.Length + 1)..]);
        throw new InvalidOperationException($"INFO {section} has no {field}");
    }

    [Fact]
    public void DirtyCounterAndKeyspaceStatisticsMoveAsInRedis()
    {
        using var pair = new ServerPair();
        object[][] commands =
        [
            ["PFCOUNT", "missing"], ["PFCOUNT", "missing", "missing2"], ["PFADD", "h"], ["PFADD", "h"], ["PFADD", "h", "a", "b", "c"],
            ["PFADD", "h", "a", "b"], ["PFADD", "h", "a", "d", "e", "f", "g"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFCOUNT", "h", "missing"],
            ["PFMERGE", "m", "h", "missing"], ["PFMERGE", "m"], ["PFDEBUG", "ENCODING", "h"], ["PFDEBUG", "ENCODING", "missing"],
            ["PFDEBUG", "GETREG", "h"], ["PFDEBUG", "GETREG", "h"], ["PFDEBUG", "TODENSE", "m"], ["PFDEBUG", "TODENSE", "m"],
            ["SET", "s", "foo"], ["PFADD", "s", "a"], ["PFCOUNT", "s"], ["PFMERGE", "s", "h"], ["PFMERGE", "h", "s"],
            ["PFADD", "new", .. Enumerable.Range(0, 3000).Select(i => (object)i)], ["PFCOUNT", "new"], ["PFMERGE", "new", "h", "m"],
        ];
        string[] fields = ["rdb_changes_since_last_save", "keyspace_hits", "keyspace_misses"];
        var before = new long[2, fields.Length];
        for (int step = 0; step < commands.Length; step++)
        {
            pair.Both(step, commands[step]);
            for (int f = 0; f < fields.Length; f++)
            {
                string section = f == 0 ? "persistence" : "stats";
                long redis = InfoField(pair.R, section, fields[f]), csredis = InfoField(pair.C, section, fields[f]);
                Assert.True(redis - before[0, f] == csredis - before[1, f],
                    $"step {step} {string.Join(' ', commands[step].Take(4))}: {fields[f]} moved by {redis - before[0, f]} in Redis, {csredis - before[1, f]} in csredis");
                before[0, f] = redis;
                before[1, f] = csredis;
            }
        }
    }

    [Fact]
    public void BackgroundSaveWritesTheHyperLogLogsOfItsMoment()
    {
        using var dir = new DataDir();
        string expectedDigest;
        long sentDuringSave;
        using (var server = ServerProcess.StartCsredis(PersistenceKit.ServerArgs(dir)))
        using (var c = server.Connect())
        {
            // Dense and sparse HLLs, plus bulk that keeps the snapshot busy for a while.
            var commands = new List<byte[][]>();
            for (int i = 0; i < 300; i++)
                commands.Add(PfAdd($"hll:{i}", Enumerable.Range(0, i % 3 == 0 ? 4000 : 1 + i % 50).Select(j => (object)$"{i}:{j}")));
            for (int i = 0; i < 150_000; i++)
            {
                commands.Add(Cmd("SET", $"bulk:{i}", $"value-{i}-{new string('v', i % 50)}"));
                if (commands.Count >= 10_000) { Assert.Empty(PersistenceKit.Pipeline(c, commands)); commands.Clear(); }
            }
            Assert.Empty(PersistenceKit.Pipeline(c, commands));

            using var stop = new CancellationTokenSource();
            long sent = 0;
            var writer = Task.Run(() =>
            {
                using var w = new RawClient(server.Port);
                var random = new Random(5);
                while (!stop.IsCancellationRequested)
                {
                    var batch = new List<byte[][]>();
                    for (int i = 0; i < 40; i++)
                    {
                        batch.Add(PfAdd($"hll:{random.Next(300)}", Enumerable.Range(0, 5).Select(_ => (object)$"w{random.Next(1_000_000)}")));
                        batch.Add(Cmd("PFCOUNT", $"hll:{random.Next(300)}"));
                        batch.Add(Cmd("PFMERGE", $"hll:{random.Next(300)}", $"hll:{random.Next(300)}"));
                    }
                    Assert.Empty(PersistenceKit.Pipeline(w, batch));
                    Interlocked.Add(ref sent, batch.Count);
                }
            });
            PersistenceKit.WaitFor(() => Interlocked.Read(ref sent) > 2_000 || writer.IsCompleted, TimeSpan.FromSeconds(30), "writer warm-up");
            Assert.False(writer.IsFaulted, writer.Exception?.ToString());

            c.Timeout = TimeSpan.FromSeconds(60);
            // One packet: the digest and BGSAVE run back to back, nothing in between.
            c.SendRaw(RawClient.EncodeCommand("DEBUG", "DIGEST").Concat(RawClient.EncodeCommand("BGSAVE")).ToArray());
            expectedDigest = RespFrame.Parse(c.ReadRawReply()).Text;
            Assert.Equal("Background saving started", RespFrame.Parse(c.ReadRawReply()).Text);
            long sentAtStart = Interlocked.Read(ref sent);
            server.AssertLogged("Background saving terminated with success", TimeSpan.FromSeconds(60));
            sentDuringSave = Interlocked.Read(ref sent) - sentAtStart;
            stop.Cancel();
            Assert.True(writer.Wait(TimeSpan.FromSeconds(30)));
            Assert.False(writer.IsFaulted, writer.Exception?.ToString());
            Assert.NotEqual(expectedDigest, PersistenceKit.Digest(c));
        }
        Assert.True(sentDuringSave > 0, "the writer must have run while the snapshot was written");

        using var redis = ServerProcess.StartRedis(PersistenceKit.ServerArgs(dir));
        using var rc = redis.Connect();
        Assert.Equal(expectedDigest, PersistenceKit.Digest(rc));
        // The HLLs in the file are HLLs for Redis: each one counts.
        for (int i = 0; i < 300; i += 37) Assert.False(PersistenceKit.Exec(rc, "PFCOUNT", $"hll:{i}").IsError);
    }
}
