// Decides whether two raw replies agree under a script line's compare mode and renders them for
// failure messages. Shape comparison keeps RESP types, nullness and aggregate sizes, but ignores the
// values of scalars: right for TIME, run ids and the like.
using Csredis.Tests.Infrastructure;

namespace Csredis.Tests.Differential;

public static class ReplyComparison
{
    public static bool Agree(CompareMode mode, byte[] expected, byte[] actual) => mode switch
    {
        CompareMode.Exact or CompareMode.Raw => expected.AsSpan().SequenceEqual(actual),
        CompareMode.Shape => TryParse(expected) is { } e && TryParse(actual) is { } a && SameShape(e, a),
        CompareMode.Sorted => TryParse(expected) is { } e && TryParse(actual) is { } a && SameWhenSorted(e, a),
        CompareMode.Fields => TryParse(expected) is { } e && TryParse(actual) is { } a && SameFields(e, a),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a reply comparison"),
    };

    private static RespFrame? TryParse(byte[] reply)
    {
        try { return RespFrame.Parse(reply); }
        catch (FormatException) { return null; }
    }

    public static bool SameShape(RespFrame expected, RespFrame actual)
    {
        if (expected.Type != actual.Type || expected.IsNull != actual.IsNull)
            return false;
        if ((expected.Attribute == null) != (actual.Attribute == null))
            return false;
        if (expected.Children.Count != actual.Children.Count)
            return false;
        for (var i = 0; i < expected.Children.Count; i++)
        {
            if (!SameShape(expected.Children[i], actual.Children[i]))
                return false;
        }
        return true;
    }

    /// <summary>INFO-style text ("# Section" lines and "name:value" lines): the same lines in the same
    /// order with values ignored. Other replies must be identical.</summary>
    public static bool SameFields(RespFrame expected, RespFrame actual)
    {
        if (expected.Type != actual.Type || expected.Payload == null || actual.Payload == null)
            return expected.Raw.AsSpan().SequenceEqual(actual.Raw);
        return FieldSkeleton(expected.Payload).SequenceEqual(FieldSkeleton(actual.Payload));
    }

    /// <summary>The lines of an INFO-style text with everything after the first ':' dropped.</summary>
    public static IEnumerable<string> FieldSkeleton(byte[] text) =>
        System.Text.Encoding.UTF8.GetString(text)
            .Split("\r\n")
            .Select(line => line.IndexOf(':') is var colon and >= 0 ? line[..(colon + 1)] : line);

    /// <summary>An unordered collection: same type and size, same elements as multisets (maps compare
    /// their key/value pairs).</summary>
    public static bool SameWhenSorted(RespFrame expected, RespFrame actual)
    {
        if (!expected.IsAggregate || expected.IsNull)
            return expected.Raw.AsSpan().SequenceEqual(actual.Raw);
        if (expected.Type != actual.Type || expected.HeaderLine != actual.HeaderLine)
            return false;
        var left = SortedElements(expected);
        var right = SortedElements(actual);
        return left.Count == right.Count && left.Zip(right).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));
    }

    private static List<byte[]> SortedElements(RespFrame aggregate)
    {
        var elements = new List<byte[]>();
        var pairs = aggregate.Type is '%' or '|';
        for (var i = 0; i < aggregate.Children.Count; i += pairs ? 2 : 1)
            elements.Add(pairs ? [.. aggregate.Children[i].Raw, .. aggregate.Children[i + 1].Raw] : aggregate.Children[i].Raw);
        elements.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return elements;
    }

    /// <summary>An unordered flat field/value array (HGETALL, HRANDFIELD WITHVALUES): the same type and
    /// size, and the same (field, value) pairs as multisets.</summary>
    public static bool SamePairsWhenSorted(RespFrame expected, RespFrame actual)
    {
        if (!expected.IsAggregate || expected.IsNull || expected.Children.Count % 2 != 0)
            return expected.Raw.AsSpan().SequenceEqual(actual.Raw);
        if (expected.Type != actual.Type || expected.HeaderLine != actual.HeaderLine)
            return false;
        static List<byte[]> Pairs(RespFrame frame)
        {
            var pairs = new List<byte[]>();
            for (var i = 0; i + 1 < frame.Children.Count; i += 2)
                pairs.Add([.. frame.Children[i].Raw, .. frame.Children[i + 1].Raw]);
            pairs.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            return pairs;
        }
        return Pairs(expected).Zip(Pairs(actual)).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));
    }

    /// <summary>Time-dependent integers (TTL, PTTL, EXPIRETIME): negative codes exactly, others within
    /// <paramref name="tolerance"/>.</summary>
    public static bool SameWithinTolerance(RespFrame expected, RespFrame actual, long tolerance)
    {
        if (expected.Type != ':' || actual.Type != ':' || !long.TryParse(expected.HeaderLine, out var e) || !long.TryParse(actual.HeaderLine, out var a))
            return expected.Raw.AsSpan().SequenceEqual(actual.Raw);
        if (e < 0 || a < 0)
            return e == a;
        return Math.Abs(e - a) <= tolerance;
    }
}
