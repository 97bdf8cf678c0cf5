// The pieces of redis-cli's behaviour that are algorithms rather than output: the cluster key slot
// (CRC16/XMODEM with hash tags, checked against values Redis reports), glibc's rand() sequence (which
// the cluster manager's random choices follow; reference values from a C program calling srand/rand),
// and the iteration order of Redis dicts that orders some listings.
using System.Text;
using Csredis.Cli;
using Csredis.Common.Cluster;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class CliAlgorithmTests
{
    [Theory]
    [InlineData("foo", 12182)]
    [InlineData("user1000", 3443)]
    [InlineData("{user1000}.following", 3443)]
    [InlineData("{}foo", 9500)]
    [InlineData("fHh", 0)]
    [InlineData("Qi", 1)]
    [InlineData("a{b", 13340)]
    public void KeySlotsMatchRedis(string key, int slot) => Assert.Equal(slot, HashSlot.ForKey(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void RandMatchesGlibc()
    {
        var random = new GlibcRandom(1764656000u);
        Assert.Equal([1647040366, 422211120, 971572391, 981547376, 333627539],
            Enumerable.Range(0, 5).Select(_ => random.Next()).ToArray());
        Assert.Equal(1804289383, new GlibcRandom(0).Next()); // srand(0) is srand(1)
    }

    [Fact]
    public void DictOrderIgnoresDuplicatesButKeepsRehashing()
    {
        var order = new RedisDictOrder();
        foreach (var key in new[] { "5", "1", "300", "77", "2", "5", "9", "41" }) order.Add(key);
        var keys = order.IterationOrder().ToList();
        Assert.Equal(7, keys.Count);
        Assert.Equal(keys.Distinct().Count(), keys.Count);
    }
}
