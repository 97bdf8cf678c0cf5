// Per-command latency distribution for INFO latencystats, with the bucketing of the HDR histogram
// Redis uses (2 significant digits, 1 ns unit): values below 256 ns are exact, above that each
// power of two is split into 128 equal sub-buckets. A percentile is answered with the highest
// value its bucket stands for, which is what Redis prints. Counts are allocated on first use.
namespace Csredis.Server.Commands;

public sealed class LatencyHistogram
{
    const int SubBuckets = 128;
    long[]? _counts;
    public long Count { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 1) nanoseconds = 1;
        int index = IndexOf(nanoseconds);
        _counts ??= new long[IndexOf(long.MaxValue) + 1];
        _counts[index]++;
        Count++;
    }

    static int IndexOf(long value)
    {
        if (value < 2 * SubBuckets) return (int)value;
        int shift = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)value) - 7;
        long sub = value >> shift;
        return (shift + 1) * SubBuckets + (int)(sub - SubBuckets);
    }

    static long HighestEquivalent(int index)
    {
        if (index < 2 * SubBuckets) return index;
        int shift = index / SubBuckets - 1;
        long sub = index % SubBuckets + SubBuckets;
        return (sub << shift) + (1L << shift) - 1;
    }

    /// <summary>The latency in microseconds at <paramref name="percentile"/> (0-100).</summary>
    public double ValueAtPercentile(double percentile)
    {
        if (_counts == null || Count == 0) return 0;
        long target = Math.Max(1, (long)(percentile / 100 * Count + 0.5));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target) return HighestEquivalent(i) / 1000.0;
        }
        return HighestEquivalent(_counts.Length - 1) / 1000.0;
    }

    /// <summary>
    /// LATENCY HISTOGRAM's buckets: powers of two from 1024 ns, each reported (as whole microseconds
    /// of its highest value) with the cumulative count, only where the count grew.
    /// </summary>
    public List<(long Microseconds, long CumulativeCount)> PowerOfTwoBuckets()
    {
        var buckets = new List<(long, long)>();
        if (_counts == null) return buckets;
        long cumulative = 0;
        int index = 0;
        for (int k = 0; k < 53 && cumulative < Count; k++)
        {
            int upper = IndexOf(1024L << k);
            long added = 0;
            for (; index <= upper && index < _counts.Length; index++) added += _counts[index];
            if (added == 0) continue;
            cumulative += added;
            buckets.Add((HighestEquivalent(upper) / 1000, cumulative));
        }
        return buckets;
    }

    public void Reset()
    {
        _counts = null;
        Count = 0;
    }
}
