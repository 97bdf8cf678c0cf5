// Seeded random command streams played against real Redis and csredis side by side, reply by reply.
// The scripts pin down each command's edge cases; these streams reach the states scripts cannot
// spell out: lists spanning many nodes (small node sizes, long and integer elements, inserts and
// removals in the middle), hashes converting mid-command, big hashes growing and shrinking while
// their arena is rewritten, and a full HSCAN of a hash that is being resized.
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.Types;

public sealed class ListHashRandomizedTests
{
    const int Operations = 2500;

    static byte[][] Args(params object[] parts) => ServerPair.Args(parts);

    static string Element(Random random) => random.Next(10) switch
    {
        0 or 1 or 2 => random.Next(-300, 300).ToString(System.Globalization.CultureInfo.InvariantCulture),
        3 => random.NextInt64(long.MinValue, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        4 => new string('L', random.Next(100, 3000)),
        _ => "abcde"[random.Next(5)] + new string('x', random.Next(0, 30)),
    };

    [Theory]
    [InlineData(1, "3")]
    [InlineData(2, "-1")]
    [InlineData(3, "-2")]
    [InlineData(4, "100")]
    public void ListsAgreeWithRedis(int seed, string fill)
    {
        using var pair = new ServerPair();
        var random = new Random(seed);
        pair.Both(0, "CONFIG", "SET", "list-max-listpack-size", fill);
        for (int i = 0; i < 100; i++)
            pair.Both(0, ["RPUSH", "l", .. Enumerable.Range(0, 10).Select(_ => Element(random))]);
        for (int step = 1; step <= Operations; step++)
        {
            const int range = 1500;
            string side() => random.Next(2) == 0 ? "LEFT" : "RIGHT";
            object[] command = random.Next(14) switch
            {
                0 => ["LINDEX", "l", random.Next(-range, range)],
                1 => ["LSET", "l", random.Next(-range, range), Element(random)],
                2 => ["LINSERT", "l", random.Next(2) == 0 ? "BEFORE" : "AFTER", Element(random), Element(random)],
                3 => ["LREM", "l", random.Next(-3, 4), Element(random)],
                4 => ["LRANGE", "l", random.Next(-range, range), random.Next(-range, range)],
                5 => ["LPOS", "l", Element(random), "RANK", random.Next(2) == 0 ? 2 : -1, "COUNT", random.Next(0, 4), "MAXLEN", random.Next(0, 800)],
                6 => ["LPOP", "l", random.Next(0, 20)],
                7 => ["RPOP", "l", random.Next(0, 20)],
                8 => ["LPUSH", "l", .. Enumerable.Range(0, random.Next(1, 15)).Select(_ => Element(random))],
                9 => ["RPUSH", "l", .. Enumerable.Range(0, random.Next(1, 15)).Select(_ => Element(random))],
                10 => random.Next(20) == 0 ? ["LTRIM", "l", random.Next(0, 4), random.Next(-4, 0)] : ["LLEN", "l"],
                11 => ["LMOVE", "l", random.Next(2) == 0 ? "l" : "m", side(), side()],
                12 => ["LMPOP", "2", "m", "l", side(), "COUNT", random.Next(1, 6)],
                _ => ["RPOPLPUSH", "m", "l"],
            };
            pair.Both(step, command);
        }
        pair.Both(Operations + 1, "LRANGE", "l", 0, -1);
        pair.Both(Operations + 1, "LRANGE", "m", 0, -1);
    }

    static SortedSet<string> Pairs(byte[] hgetall)
    {
        var frame = RespFrame.Parse(hgetall);
        var pairs = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < frame.Children.Count; i += 2) pairs.Add(frame.Children[i].Text + "\0" + frame.Children[i + 1].Text);
        return pairs;
    }

    [Theory]
    [InlineData(1, "0")]
    [InlineData(2, "4")]
    [InlineData(3, "512")]
    public void HashesAgreeWithRedis(int seed, string maxEntries)
    {
        using var pair = new ServerPair();
        var random = new Random(seed);
        pair.Both(0, "CONFIG", "SET", "hash-max-listpack-entries", maxEntries);
        string field() => "f" + random.Next(0, 400);
        for (int step = 1; step <= Operations; step++)
        {
            string key = random.Next(3) == 0 ? "h2" : "h1";
            object[] command = random.Next(10) switch
            {
                0 or 1 => ["HSET", key, .. Enumerable.Range(0, random.Next(1, 8)).SelectMany(_ => new object[] { field(), Element(random) })],
                2 => ["HDEL", key, .. Enumerable.Range(0, random.Next(1, 6)).Select(_ => field())],
                3 => ["HGET", key, field()],
                4 => ["HMGET", key, field(), field(), field()],
                5 => ["HINCRBY", key, "n" + random.Next(0, 5), random.Next(-100, 100)],
                6 => ["HSTRLEN", key, field()],
                7 => ["HEXISTS", key, field()],
                8 => ["HSETNX", key, field(), Element(random)],
                _ => ["HLEN", key],
            };
            pair.Both(step, command);
        }
        foreach (var key in new[] { "h1", "h2" })
        {
            var expected = pair.R.Execute(Args("HGETALL", key));
            var actual = pair.C.Execute(Args("HGETALL", key));
            Assert.Equal(Pairs(expected), Pairs(actual));
        }
    }

    [Fact]
    public void BigHashSurvivesRewritesAndScansWhileResizing()
    {
        using var pair = new ServerPair();
        var random = new Random(7);
        const int fields = 30000;
        for (int i = 0; i < fields; i += 500)
            pair.Both(0, ["HSET", "h", .. Enumerable.Range(i, 500).SelectMany(j => new object[] { "orig:" + j, "v" + j })]);
        // Values change length (entries move in the arena), a third of the fields go (holes, compaction).
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < fields; i += 500)
                pair.Both(round, ["HSET", "h", .. Enumerable.Range(i, 500).SelectMany(j => new object[] { "orig:" + j, new string('x', random.Next(1, 40)) })]);
            var deletes = Enumerable.Range(0, 3000).Select(_ => (object)("orig:" + random.Next(fields))).ToArray();
            pair.Both(round, ["HDEL", "h", .. deletes]);
            for (int i = 0; i < 300; i++) pair.Both(round, "HGET", "h", "orig:" + random.Next(fields));
        }
        Assert.Equal(Pairs(pair.R.Execute(Args("HGETALL", "h"))), Pairs(pair.C.Execute(Args("HGETALL", "h"))));

        // A full HSCAN returns every field present throughout, while new fields make the table grow.
        var present = Pairs(pair.C.Execute(Args("HGETALL", "h"))).Select(p => p[..p.IndexOf('\0')]).ToHashSet();
        var seen = new HashSet<string>();
        string cursor = "0";
        int added = 0, calls = 0;
        do
        {
            var reply = pair.C.ExecuteFrame("HSCAN", "h", cursor, "COUNT", "20");
            cursor = reply.Children[0].Text;
            var items = reply.Children[1].Children;
            for (int i = 0; i < items.Count; i += 2) seen.Add(items[i].Text);
            pair.C.Execute(Args(["HSET", "h", .. Enumerable.Range(added, 20).SelectMany(j => new object[] { "new:" + j, "v" })]));
            added += 20;
            Assert.True(++calls < 100000, "HSCAN did not finish");
        } while (cursor != "0");
        Assert.Empty(present.Except(seen));
    }
}
