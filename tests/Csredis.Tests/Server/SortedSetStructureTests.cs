// The storage behind sorted sets and sets, tested on its own against simple models: a ZSetObject
// in either encoding (listpack, skiplist = MemberTable + ScoreTree) must agree with a sorted list
// of (score, member) on ranks, bound searches and walks in both directions through many random
// inserts, score updates and removals (enough to split and merge tree nodes); a MemberTable keeps
// finding its members across growth, shrinking and arena compaction.
using System.Text;
using Csredis.Server.Keyspace.Types;
using Xunit;

namespace Csredis.Tests.Server;

public class SortedSetStructureTests
{
    static byte[] Member(int i) => Encoding.ASCII.GetBytes("member:" + i);

    struct ScoreAtLeast(double min) : IOrderBound
    {
        public readonly bool IsReached(double score, ReadOnlySpan<byte> member) => score >= min;
    }

    static int CompareModel((double Score, byte[] Member) a, (double Score, byte[] Member) b) =>
        ScoreTree.CompareElements(a.Score, a.Member, b.Score, b.Member);

    [Theory]
    [InlineData(true, 300, 2_000)]
    [InlineData(false, 5_000, 40_000)]
    public void ZSetAgreesWithSortedModel(bool listpack, int members, int operations)
    {
        var random = new Random(12345);
        var zset = new ZSetObject("k"u8.ToArray(), listpack);
        var model = new Dictionary<int, double>();
        for (int op = 0; op < operations; op++)
        {
            int i = random.Next(members);
            double score = random.Next(4) == 0 ? random.Next(10) : random.NextDouble() * 1000;
            if (random.Next(3) == 0)
            {
                Assert.Equal(model.Remove(i), zset.Remove(Member(i)));
            }
            else if (model.ContainsKey(i))
            {
                zset.UpdateScore(Member(i), score);
                model[i] = score;
            }
            else
            {
                zset.Insert(Member(i), score, long.MaxValue, long.MaxValue);
                model[i] = score;
            }
            if (op % 997 == 0) AssertSame(zset, model);
        }
        AssertSame(zset, model);
        // Drain from the front in chunks, as ZREMRANGEBYRANK and ZPOPMIN do.
        while (zset.Count > 0)
        {
            int count = Math.Min(zset.Count, 1 + random.Next(200));
            var sorted = Sorted(model);
            for (int r = 0; r < count; r++) model.Remove(int.Parse(Encoding.ASCII.GetString(sorted[r].Member)[7..]));
            zset.RemoveRankRange(0, count);
            AssertSame(zset, model);
        }
    }

    static List<(double Score, byte[] Member)> Sorted(Dictionary<int, double> model)
    {
        var list = model.Select(kv => (kv.Value, Member(kv.Key))).ToList();
        list.Sort(CompareModel);
        return list;
    }

    static void AssertSame(ZSetObject zset, Dictionary<int, double> model)
    {
        var sorted = Sorted(model);
        Assert.Equal(sorted.Count, zset.Count);
        if (sorted.Count == 0) return;
        var forward = zset.WalkFrom(0);
        for (int r = 0; r < sorted.Count; r++, forward.MoveNext())
        {
            Assert.Equal(sorted[r].Member, forward.Member.ToArray());
            Assert.Equal(sorted[r].Score, forward.Score);
        }
        var backward = zset.WalkFrom(sorted.Count - 1);
        for (int r = sorted.Count - 1; r >= 0; r--, backward.MovePrev()) Assert.Equal(sorted[r].Member, backward.Member.ToArray());
        for (int r = 0; r < sorted.Count; r += Math.Max(1, sorted.Count / 50))
        {
            Assert.Equal(r, zset.RankOf(sorted[r].Member));
            Assert.True(zset.TryGetScore(sorted[r].Member, out double score));
            Assert.Equal(sorted[r].Score, score);
            var bound = new ScoreAtLeast(sorted[r].Score);
            Assert.Equal(sorted.FindIndex(e => e.Score >= sorted[r].Score), zset.FirstReached(ref bound));
        }
    }

    [Fact]
    public void MemberTableFindsMembersThroughGrowthShrinkAndCompaction()
    {
        var table = new MemberTable(withScores: true);
        var ids = new Dictionary<int, int>();
        for (int i = 0; i < 20_000; i++)
        {
            int id = table.Add(Member(i));
            table.Score(id) = i;
            ids[i] = id;
        }
        // Removing most members shrinks the buckets and rewrites the arena.
        for (int i = 0; i < 20_000; i++)
            if (i % 10 != 0) table.Remove(ids[i]);
        Assert.Equal(2_000, table.Count);
        for (int i = 0; i < 20_000; i += 10)
        {
            int id = table.Find(Member(i));
            Assert.True(id >= 0);
            Assert.Equal(Member(i), table.Member(id).ToArray());
            Assert.Equal(i, table.Score(id));
        }
        Assert.Equal(-1, table.Find(Member(1)));
        // A member bigger than a shared page lives in its own page.
        var big = new byte[100_000];
        big[^1] = 7;
        int bigId = table.Add(big);
        Assert.Equal(bigId, table.Find(big));
        table.Remove(bigId);
        Assert.Equal(-1, table.Find(big));
    }

    [Fact]
    public void IntSetWidensAndStaysSorted()
    {
        var set = new IntSet();
        long[] values = [5, -3, 40000, long.MinValue, 7, 1L << 40, 0];
        foreach (var v in values) Assert.True(set.Add(v));
        Assert.False(set.Add(7));
        var sorted = values.Order().ToArray();
        for (int i = 0; i < sorted.Length; i++) Assert.Equal(sorted[i], set.Get(i));
        Assert.True(set.Remove(40000));
        Assert.False(set.Contains(40000));
        Assert.True(set.Contains(long.MinValue));
    }
}
