// The iteration order of a Redis dict (dict.c) keyed by sds strings, with redis-cli's hash seed (zero):
// SipHash-1-2 buckets in power-of-two tables, new entries at the head of their bucket, growth to the next
// power of two when full, and one bucket moved per add or lookup while a rehash is in progress. redis-cli
// prints some results in the order it finds them in such dicts (--bigkeys' per-type summary, the open
// slots of a cluster check, the uncovered slots of a cluster fix), so reproducing the order reproduces
// the output.
using System.Text;

namespace Csredis.Cli;

/// <summary>Iteration order of a Redis dict keyed by short strings with redis-cli's (zero) hash seed:
/// power-of-two tables, new entries at the head of their bucket, growth when full, and one bucket
/// rehashed per add or lookup while a rehash is in progress.</summary>
public sealed class RedisDictOrder
{
    private List<string>[]? main;
    private List<string>[]? growing;
    private int rehashIndex = -1;
    private int mainCount, growingCount;

    /// <summary>dictAdd: one rehash step, then the key is inserted unless already present.</summary>
    public void Add(string key)
    {
        if (rehashIndex >= 0) RehashStep();
        if (main is null) main = NewTable(4);
        else if (rehashIndex < 0 && mainCount >= main.Length)
        {
            int size = 4;
            while (size < mainCount + 1) size *= 2;
            growing = NewTable(size);
            rehashIndex = 0;
        }
        // Like _dictKeyIndex, the table may start growing even when the key turns out to be there.
        if (Contains(key)) return;
        if (rehashIndex >= 0)
        {
            growing![Bucket(key, growing.Length)].Insert(0, key);
            growingCount++;
        }
        else
        {
            main[Bucket(key, main.Length)].Insert(0, key);
            mainCount++;
        }
    }

    private bool Contains(string key)
    {
        if (main is not null && main[Bucket(key, main.Length)].Contains(key)) return true;
        return rehashIndex >= 0 && growing is not null && growing[Bucket(key, growing.Length)].Contains(key);
    }

    /// <summary>A lookup: it advances an in-progress rehash by one step.</summary>
    public void Find()
    {
        if (rehashIndex >= 0) RehashStep();
    }

    public IEnumerable<string> IterationOrder()
    {
        var result = new List<string>();
        if (main is not null) foreach (var bucket in main) result.AddRange(bucket);
        if (rehashIndex >= 0 && growing is not null) foreach (var bucket in growing) result.AddRange(bucket);
        return result;
    }

    private void RehashStep()
    {
        int emptyVisits = 10;
        while (rehashIndex < main!.Length && main[rehashIndex].Count == 0)
        {
            rehashIndex++;
            if (--emptyVisits == 0) return;
        }
        if (rehashIndex < main.Length)
        {
            foreach (var key in main[rehashIndex])
            {
                growing![Bucket(key, growing.Length)].Insert(0, key);
                growingCount++;
                mainCount--;
            }
            main[rehashIndex].Clear();
            rehashIndex++;
        }
        if (mainCount == 0)
        {
            main = growing;
            mainCount = growingCount;
            growing = null;
            growingCount = 0;
            rehashIndex = -1;
        }
    }

    private static List<string>[] NewTable(int size) => Enumerable.Range(0, size).Select(_ => new List<string>()).ToArray();

    private static int Bucket(string key, int size) => (int)(SipHash12(Encoding.UTF8.GetBytes(key)) & (ulong)(size - 1));

    /// <summary>SipHash-1-2 with an all-zero key, the hash Redis dicts use for sds keys.</summary>
    private static ulong SipHash12(ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575, v1 = 0x646f72616e646f6d, v2 = 0x6c7967656e657261, v3 = 0x7465646279746573;
        void Round()
        {
            v0 += v1; v1 = ulong.RotateLeft(v1, 13); v1 ^= v0; v0 = ulong.RotateLeft(v0, 32);
            v2 += v3; v3 = ulong.RotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = ulong.RotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = ulong.RotateLeft(v1, 17); v1 ^= v2; v2 = ulong.RotateLeft(v2, 32);
        }
        int end = data.Length - data.Length % 8;
        for (int i = 0; i < end; i += 8)
        {
            ulong m = BitConverter.ToUInt64(data.Slice(i, 8));
            v3 ^= m;
            Round();
            v0 ^= m;
        }
        ulong b = (ulong)data.Length << 56;
        for (int i = 0; i < data.Length - end; i++) b |= (ulong)data[end + i] << (8 * i);
        v3 ^= b;
        Round();
        v0 ^= b;
        v2 ^= 0xff;
        Round();
        Round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
