// Generates the differential fuzzer's command sequences: a seed gives one sequence, always the same,
// over a small key space (8 keys per type plus shared names that every type writes, so WRONGTYPE and
// cross-type RENAME/COPY/SORT/ZUNIONSTORE happen), with edge arguments (negative and huge indexes,
// inf/nan scores, empty and binary values, overflowing integers), wrong arity and bad options now
// and then, MULTI blocks with queue-time errors, and values that cross the compact-encoding thresholds
// set at the start of each sequence. Each step says how its reply is compared (FuzzCheck), because
// Redis itself is random where it picks members or walks a hash table.
using System.Globalization;
using System.Text;

namespace Csredis.Tests.Differential;

/// <summary>How the replies of a fuzz step are compared.</summary>
public enum FuzzCheck
{
    /// <summary>Byte for byte.</summary>
    Exact,
    /// <summary>An unordered array: the same elements as multisets.</summary>
    Sorted,
    /// <summary>An unordered field/value array: the same pairs as multisets.</summary>
    SortedPairs,
    /// <summary>Byte for byte when the reference's key (argument 1) is in a compact encoding, which Redis
    /// walks in order; as <see cref="Sorted"/> or <see cref="SortedPairs"/> for hash tables.</summary>
    OrderedIfCompact,
    OrderedPairsIfCompact,
    /// <summary>DUMP: byte for byte unless the reference's key is a hash table (then the shape only).</summary>
    ExactIfCompact,
    /// <summary>Same RESP shape: Redis picks at random (RANDOMKEY, HELLO's ids...).</summary>
    Shape,
    /// <summary>SRANDMEMBER, HRANDFIELD, ZRANDMEMBER: the same shape, and every member (with its value or
    /// score) the candidate picked is one the reference's key holds.</summary>
    RandomMembers,
    /// <summary>Integers that agree on sign and within a tolerance (TTL, PTTL, EXPIRETIME).</summary>
    Seconds,
    Milliseconds,
    /// <summary>SPOP: random members leave the set; the shapes must agree, then the candidate's set is
    /// made equal to the reference's (its popped members put back, the reference's removed).</summary>
    PopSync,
    /// <summary>SCAN/SSCAN/HSCAN/ZSCAN from cursor 0 until the cursor is 0 again; the union of what was
    /// returned is compared as a set (cursors and batches follow each side's hash table).</summary>
    ScanAll,
}

public sealed record FuzzStep(byte[][] Arguments, FuzzCheck Check)
{
    public string Name => Encoding.ASCII.GetString(Arguments[0]).ToUpperInvariant();

    /// <summary>The step as a differential-script line (redis-cli quoting).</summary>
    public string ToScriptLine()
    {
        var prefix = Check switch
        {
            FuzzCheck.Sorted or FuzzCheck.SortedPairs or FuzzCheck.OrderedIfCompact or FuzzCheck.OrderedPairsIfCompact or FuzzCheck.ScanAll => "@sort ",
            FuzzCheck.Shape or FuzzCheck.RandomMembers or FuzzCheck.ExactIfCompact or FuzzCheck.Seconds or FuzzCheck.Milliseconds or FuzzCheck.PopSync => "~ ",
            _ => "",
        };
        return prefix + string.Join(' ', Arguments.Select(Quote));
    }

    public static string Quote(byte[] argument)
    {
        var plain = argument.Length > 0 && argument.All(b => b > 0x20 && b < 0x7f && b != '"' && b != '\'' && b != '\\');
        if (plain)
            return Encoding.ASCII.GetString(argument);
        var text = new StringBuilder("\"");
        foreach (var b in argument)
        {
            switch (b)
            {
                case (byte)'"': text.Append("\\\""); break;
                case (byte)'\\': text.Append("\\\\"); break;
                case (byte)'\n': text.Append("\\n"); break;
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\t': text.Append("\\t"); break;
                default:
                    if (b >= 0x20 && b < 0x7f) text.Append((char)b);
                    else text.Append("\\x").Append(b.ToString("x2"));
                    break;
            }
        }
        return text.Append('"').ToString();
    }
}

public sealed class FuzzGenerator
{
    private readonly Random _random;
    private readonly List<FuzzStep> _steps = [];
    private bool _inMulti;

    /// <summary>The encoding thresholds a sequence starts with: small ones make every sequence cross them.</summary>
    public IReadOnlyList<FuzzStep> Setup { get; }

    private readonly Action[] _families;
    private readonly int[] _weights;
    private readonly int _totalWeight;

    private FuzzGenerator(int seed)
    {
        _random = new Random(seed);
        // Each sequence dwells on two families (sorted sets more often than the others), so their
        // keys fill up and change encodings; the other families still come by.
        _families = [StringCommand, ListCommand, HashCommand, SetCommand, SortedSetCommand, BitmapCommand, HyperLogLogCommand, SortCommand, KeyCommand];
        _weights = [4, 4, 4, 4, 6, 2, 1, 2, 4];
        for (var focus = 0; focus < 2; focus++)
            _weights[_random.Next(3) == 0 ? 4 : _random.Next(_families.Length)] += 16;
        _totalWeight = _weights.Sum();
        var small = _random.Next(4) != 0;
        string Pick(params string[] values) => values[_random.Next(values.Length)];
        var config = new[]
        {
            "hash-max-listpack-entries", small ? Pick("2", "4", "8") : "128",
            "hash-max-listpack-value", small ? Pick("4", "16", "64") : "64",
            "set-max-intset-entries", small ? Pick("2", "4", "8") : "512",
            "zset-max-listpack-entries", small ? Pick("2", "4", "8") : "128",
            "zset-max-listpack-value", small ? Pick("4", "16", "64") : "64",
            "list-max-listpack-size", small ? Pick("2", "4", "-1", "-2") : "-2",
        };
        var configSet = new FuzzStep(Bytes(["CONFIG", "SET", .. config]), FuzzCheck.Exact);
        // A quarter of the sequences speak RESP3: doubles, maps, sets and nulls of their own.
        Setup = _random.Next(4) == 0 ? [configSet, new FuzzStep(Bytes(["HELLO", "3"]), FuzzCheck.Shape)] : [configSet];
    }

    /// <summary>The sequence of a seed: `length` steps (a MULTI block counts its commands).</summary>
    public static (IReadOnlyList<FuzzStep> Setup, List<FuzzStep> Steps) Generate(int seed, int length)
    {
        var generator = new FuzzGenerator(seed);
        while (generator._steps.Count < length)
            generator.Next();
        if (generator._inMulti)
            generator.Add(FuzzCheck.Exact, "EXEC");
        return (generator.Setup, generator._steps);
    }

    private static byte[][] Bytes(IEnumerable<object> parts) =>
        parts.Select(p => p as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(p, CultureInfo.InvariantCulture)!)).ToArray();

    private void Add(FuzzCheck check, params object[] parts)
    {
        var args = Bytes(parts).ToList();
        // Now and then a wrong arity or an unknown option: Redis's error (or its leniency) must match.
        // Not SORT: dropping the word after BY makes the next word the pattern, and a pattern
        // without '*' means "don't sort", which leaves Redis's own order to chance (seed 300782).
        bool isSort = Encoding.ASCII.GetString(args[0]).StartsWith("SORT", StringComparison.OrdinalIgnoreCase);
        var roll = isSort ? 100 : _random.Next(100);
        if (roll < 2 && args.Count > 1)
            args.RemoveRange(1 + _random.Next(args.Count - 1), 1);
        else if (roll < 3)
            args.Add(Encoding.ASCII.GetBytes(Pick("BOGUS", "1", "")));
        if (_inMulti && check is FuzzCheck.PopSync or FuzzCheck.ScanAll)
            return; // random writes and cursor loops stay outside transactions
        _steps.Add(new FuzzStep(args.ToArray(), check));
    }

    /// <summary>A third of a family's commands are its add command (case 0), so keys fill up.</summary>
    private bool Grow() => Chance(35);

    private T Pick<T>(params T[] values) => values[_random.Next(values.Length)];
    private bool Chance(int percent) => _random.Next(100) < percent;

    // ---- the key space ----
    // Key numbers are skewed towards 0 and 1 so that keys grow (and cross the encoding thresholds)
    // instead of staying a handful of members spread over eight keys.
    private int KeyNumber() => _random.Next(10) switch { < 4 => 0, < 6 => 1, 6 => 2, 7 => 3, _ => 4 + _random.Next(4) };
    private string TypedKey(char type) => Chance(80) ? $"{type}{KeyNumber()}" : AnyKey();
    private string AnyKey() => Chance(40) ? $"k{_random.Next(3)}" : $"{Pick('s', 'l', 'h', 'S', 'z', 'b', 'p')}{KeyNumber()}";
    private string[] Keys(char type, int max) => Enumerable.Range(0, 1 + _random.Next(max)).Select(_ => TypedKey(type)).ToArray();

    // ---- values ----
    private static readonly string LongValue = new('v', 70);
    private object Value() => _random.Next(20) switch
    {
        < 8 => Pick("a", "b", "c", "d", "e", "f", "g", "h"),
        < 12 => _random.Next(-3, 30).ToString(CultureInfo.InvariantCulture),
        12 => Pick("", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.5", "-0", "0x10", " 1", "1e3"),
        13 => new byte[] { 0, 0xff, (byte)'\r', (byte)'\n' },
        14 => LongValue + _random.Next(3),
        15 => "member:" + _random.Next(40),
        16 => new string('x', Pick(5, 15, 17, 33, 63, 65)),
        _ => "m" + _random.Next(16),
    };
    private object Member() => Chance(85) ? Pick("a", "b", "c", "d", "e", "m1", "m2", "m3", "1", "2", "3", "10", "-5", "100") : Value();
    private object IntMember() => Chance(85) ? _random.Next(-5, 40).ToString(CultureInfo.InvariantCulture) : Member();
    private string Index() => _random.Next(14) switch
    {
        < 9 => _random.Next(-6, 8).ToString(CultureInfo.InvariantCulture),
        9 => Pick("100", "-100", "1000000"),
        10 => Pick("9223372036854775807", "-9223372036854775808"),
        11 => Pick("abc", "1.5", ""),
        _ => Pick("0", "-1"),
    };
    private string Count() => _random.Next(12) switch
    {
        < 7 => _random.Next(0, 6).ToString(CultureInfo.InvariantCulture),
        7 => Pick("-1", "-3"),
        8 => Pick("100", "1000"),
        9 => Pick("abc", "9223372036854775807", "-9223372036854775808"),
        _ => "1",
    };
    private string Score() => _random.Next(20) switch
    {
        < 10 => _random.Next(-5, 10).ToString(CultureInfo.InvariantCulture),
        10 => Pick("1.5", "-2.25", "0.1", "3.0000000000000004", "1e-300"),
        11 => Pick("inf", "-inf", "+inf", "Infinity"),
        // Not 1e400: its strtod leaves errno at ERANGE, and Redis's SORT reads that stale errno
        // ("One or more scores can't be converted into double" for the next numeric SORT of strings).
        12 => Pick("nan", "abc", "", "0x10"),
        13 => Pick("1e308", "-1e308", "123456789012345678", "9007199254740993"),
        14 => Pick("-0", "+5", " 1", "1 "),
        _ => _random.Next(0, 4).ToString(CultureInfo.InvariantCulture),
    };
    private string ScoreBound()
    {
        var bound = Chance(80) ? _random.Next(-3, 10).ToString(CultureInfo.InvariantCulture) : Pick("-inf", "+inf", "inf", "1.5", "nan", "abc", "");
        return Chance(30) ? "(" + bound : bound;
    }
    private object LexBound() => _random.Next(10) switch
    {
        < 3 => Pick("-", "+"),
        < 8 => Pick("[", "(") + Pick("a", "b", "c", "m1", "1", "", "d", "zz"),
        8 => Pick("a", "", "[\xff"),
        _ => new byte[] { (byte)'[', 0xff },
    };
    private string Milliseconds() => Pick("100000", "200000", "5000000", "-1", "0", "9223372036854775807", "abc");
    private string Seconds() => Pick("100", "1000", "50000", "100", "-5", "0", "9223372036854775807", "1.5");
    private string Timeout() => Pick("0.01", "0.001", "0.02");

    private void Next()
    {
        if (!_inMulti && Chance(2))
        {
            if (Chance(20)) Add(FuzzCheck.Exact, "WATCH", TypedKey(Pick('s', 'l', 'z')));
            Add(FuzzCheck.Exact, "MULTI");
            _inMulti = true;
            return;
        }
        if (_inMulti && Chance(25))
        {
            Add(FuzzCheck.Exact, Chance(80) ? "EXEC" : "DISCARD");
            _inMulti = false;
            return;
        }
        if (_inMulti && Chance(4))
        {
            // A queue-time error: unknown command or wrong arity makes EXEC answer EXECABORT.
            if (Chance(50)) Add(FuzzCheck.Exact, "NOSUCHCOMMAND", "x");
            else _steps.Add(new FuzzStep(Bytes([Pick("GET", "ZADD", "LPUSH", "HSET")]), FuzzCheck.Exact));
            return;
        }
        var roll = _random.Next(_totalWeight);
        for (var family = 0; ; family++)
        {
            roll -= _weights[family];
            if (roll < 0)
            {
                _families[family]();
                return;
            }
        }
    }

    private void StringCommand()
    {
        var key = TypedKey('s');
        switch (Grow() ? 0 : _random.Next(22))
        {
            case 0: case 1: Add(FuzzCheck.Exact, ["SET", key, Value(), .. Pick<object[]>([], ["NX"], ["XX"], ["GET"], ["EX", Seconds()], ["PX", Milliseconds()], ["KEEPTTL"], ["NX", "GET"], ["EX", "10", "PX", "10"])]); break;
            case 2: case 3: Add(FuzzCheck.Exact, "GET", key); break;
            case 4: Add(FuzzCheck.Exact, "GETSET", key, Value()); break;
            case 5: Add(FuzzCheck.Exact, "GETDEL", key); break;
            case 6: Add(FuzzCheck.Exact, ["GETEX", key, .. Pick<object[]>([], ["PERSIST"], ["EX", Seconds()], ["PX", Milliseconds()])]); break;
            case 7: Add(FuzzCheck.Exact, "APPEND", key, Value()); break;
            case 8: Add(FuzzCheck.Exact, "STRLEN", key); break;
            case 9: Add(FuzzCheck.Exact, Pick("INCR", "DECR"), key); break;
            case 10: Add(FuzzCheck.Exact, Pick("INCRBY", "DECRBY"), key, Pick("1", "-7", "9223372036854775807", "-9223372036854775808", "abc", "1.5")); break;
            case 11: Add(FuzzCheck.Exact, "INCRBYFLOAT", key, Pick("1.5", "-0.25", "1e308", "inf", "abc", "3", "0.1", "1e-17", "5.0e3", "-1e17", "0.3333333333333333333", "")); break;
            case 12: Add(FuzzCheck.Exact, "SETRANGE", key, Pick("0", "3", "-1", "20", "536870912"), Value()); break;
            case 13: Add(FuzzCheck.Exact, "GETRANGE", key, Index(), Index()); break;
            case 14: Add(FuzzCheck.Exact, ["MSET", .. Keys('s', 3).SelectMany(k => new[] { k, Value() })]); break;
            case 15: Add(FuzzCheck.Exact, ["MGET", .. Keys('s', 4)]); break;
            case 16: Add(FuzzCheck.Exact, ["MSETNX", .. Keys('s', 2).SelectMany(k => new[] { k, Value() })]); break;
            case 17: Add(FuzzCheck.Exact, "SETNX", key, Value()); break;
            case 18: Add(FuzzCheck.Exact, "SETEX", key, Seconds(), Value()); break;
            case 19: Add(FuzzCheck.Exact, "PSETEX", key, Milliseconds(), Value()); break;
            case 20: Add(FuzzCheck.Exact, "LCS", key, TypedKey('s'), Pick<object>("LEN", "IDX", "")); break;
            default: Add(FuzzCheck.Exact, "SET", key, _random.Next(-3, 100).ToString(CultureInfo.InvariantCulture)); break;
        }
    }

    private void ListCommand()
    {
        var key = TypedKey('l');
        switch (Grow() ? 0 : _random.Next(24))
        {
            case < 4: Add(FuzzCheck.Exact, [Pick("LPUSH", "RPUSH"), key, .. Enumerable.Range(0, 1 + _random.Next(Chance(20) ? 12 : 3)).Select(_ => Value())]); break;
            case 4: Add(FuzzCheck.Exact, Pick("LPUSHX", "RPUSHX"), key, Value(), Value()); break;
            case 5: Add(FuzzCheck.Exact, [Pick("LPOP", "RPOP"), key, .. Chance(50) ? [Count()] : Array.Empty<object>()]); break;
            case 6: Add(FuzzCheck.Exact, "LLEN", key); break;
            case 7: case 8: Add(FuzzCheck.Exact, "LRANGE", key, Index(), Index()); break;
            case 9: Add(FuzzCheck.Exact, "LINDEX", key, Index()); break;
            case 10: Add(FuzzCheck.Exact, "LSET", key, Index(), Value()); break;
            case 11: Add(FuzzCheck.Exact, "LINSERT", key, Pick("BEFORE", "AFTER", "MIDDLE"), Member(), Value()); break;
            case 12: Add(FuzzCheck.Exact, "LREM", key, Pick("0", "1", "-1", "2", "-2", "abc"), Member()); break;
            case 13: Add(FuzzCheck.Exact, "LTRIM", key, Index(), Index()); break;
            case 14: Add(FuzzCheck.Exact, ["LPOS", key, Member(), .. Chance(40) ? ["RANK", Pick("1", "-1", "2", "0", "-9223372036854775808")] : Array.Empty<object>(), .. Chance(40) ? ["COUNT", Pick("0", "1", "2", "-1")] : Array.Empty<object>(), .. Chance(30) ? ["MAXLEN", Pick("0", "1", "3", "-1")] : Array.Empty<object>()]); break;
            case 15: Add(FuzzCheck.Exact, "LMOVE", key, TypedKey('l'), Pick("LEFT", "RIGHT"), Pick("LEFT", "RIGHT", "UP")); break;
            case 16: Add(FuzzCheck.Exact, "RPOPLPUSH", key, TypedKey('l')); break;
            case 17: { var keys = Keys('l', 3); Add(FuzzCheck.Exact, ["LMPOP", Pick(keys.Length.ToString(), keys.Length.ToString(), "0", "-1", "9"), .. keys, Pick("LEFT", "RIGHT", "MIDDLE"), .. Chance(50) ? ["COUNT", Count()] : Array.Empty<object>()]); break; }
            case 18: Add(FuzzCheck.Exact, [Pick("BLPOP", "BRPOP"), .. Keys('l', 2), Pick(Timeout(), "-1", "abc")]); break;
            case 19: Add(FuzzCheck.Exact, "BLMOVE", key, TypedKey('l'), Pick("LEFT", "RIGHT"), Pick("LEFT", "RIGHT"), Timeout()); break;
            case 20: Add(FuzzCheck.Exact, "BRPOPLPUSH", key, TypedKey('l'), Timeout()); break;
            case 21: { var keys = Keys('l', 2); Add(FuzzCheck.Exact, ["BLMPOP", Timeout(), keys.Length.ToString(), .. keys, Pick("LEFT", "RIGHT"), .. Chance(50) ? ["COUNT", Count()] : Array.Empty<object>()]); break; }
            default: Add(FuzzCheck.Exact, "LRANGE", key, "0", "-1"); break;
        }
    }

    private void HashCommand()
    {
        var key = TypedKey('h');
        object Field() => Chance(80) ? Pick("f1", "f2", "f3", "f4", "f5", "f6", "n", "x") : Value();
        switch (Grow() ? 0 : _random.Next(22))
        {
            case < 4: Add(FuzzCheck.Exact, ["HSET", key, .. Enumerable.Range(0, 1 + _random.Next(Chance(20) ? 10 : 3)).SelectMany(_ => new[] { Field(), Value() })]); break;
            case 4: Add(FuzzCheck.Exact, "HSETNX", key, Field(), Value()); break;
            case 5: Add(FuzzCheck.Exact, "HGET", key, Field()); break;
            case 6: Add(FuzzCheck.Exact, ["HMGET", key, Field(), Field(), Field()]); break;
            case 7: Add(FuzzCheck.Exact, ["HMSET", key, Field(), Value(), Field(), Value()]); break;
            case 8: Add(FuzzCheck.Exact, ["HDEL", key, Field(), .. Chance(50) ? [Field()] : Array.Empty<object>()]); break;
            case 9: Add(FuzzCheck.Exact, "HLEN", key); break;
            case 10: Add(FuzzCheck.Exact, "HSTRLEN", key, Field()); break;
            case 11: Add(FuzzCheck.Exact, "HEXISTS", key, Field()); break;
            case 12: Add(FuzzCheck.OrderedIfCompact, "HKEYS", key); break;
            case 13: Add(FuzzCheck.OrderedIfCompact, "HVALS", key); break;
            case 14: case 15: Add(FuzzCheck.OrderedPairsIfCompact, "HGETALL", key); break;
            case 16: Add(FuzzCheck.Exact, "HINCRBY", key, Pick("n", "f1", "x"), Pick("1", "-3", "9223372036854775807", "-9223372036854775808", "abc")); break;
            case 17: Add(FuzzCheck.Exact, "HINCRBYFLOAT", key, Pick("n", "f1", "x"), Pick("1.5", "-0.5", "1e308", "inf", "abc", "2", "0.1", "1e-17", "-2.5e2", "123456789.123456789")); break;
            case 18: Add(FuzzCheck.RandomMembers, ["HRANDFIELD", key, .. Chance(70) ? [Count(), .. Chance(50) ? ["WITHVALUES"] : Array.Empty<object>()] : Array.Empty<object>()]); break;
            case 19: Add(FuzzCheck.ScanAll, ["HSCAN", key, "0", .. Chance(50) ? ["COUNT", Pick("1", "2", "10")] : Array.Empty<object>(), .. Chance(30) ? ["MATCH", Pick("f*", "*1", "?")] : Array.Empty<object>()]); break;
            default: Add(FuzzCheck.Exact, "HGET", key, "f1"); break;
        }
    }

    private void SetCommand()
    {
        var key = TypedKey('S');
        object M() => Chance(50) ? IntMember() : Member();
        switch (Grow() ? 0 : _random.Next(24))
        {
            case < 4: Add(FuzzCheck.Exact, ["SADD", key, .. Enumerable.Range(0, 1 + _random.Next(Chance(20) ? 12 : 3)).Select(_ => M())]); break;
            case 4: Add(FuzzCheck.Exact, ["SREM", key, M(), .. Chance(50) ? [M()] : Array.Empty<object>()]); break;
            case 5: case 6: Add(FuzzCheck.OrderedIfCompact, "SMEMBERS", key); break;
            case 7: Add(FuzzCheck.Exact, "SISMEMBER", key, M()); break;
            case 8: Add(FuzzCheck.Exact, "SMISMEMBER", key, M(), M()); break;
            case 9: Add(FuzzCheck.Exact, "SCARD", key); break;
            case 10: Add(FuzzCheck.PopSync, ["SPOP", key, .. Chance(60) ? [Count()] : Array.Empty<object>()]); break;
            case 11: Add(FuzzCheck.RandomMembers, ["SRANDMEMBER", key, .. Chance(70) ? [Count()] : Array.Empty<object>()]); break;
            case 12: Add(FuzzCheck.Exact, "SMOVE", key, TypedKey('S'), M()); break;
            case 13: Add(FuzzCheck.Sorted, [Pick("SINTER", "SUNION", "SDIFF"), .. Keys('S', 3)]); break;
            case 14: { var keys = Keys('S', 3); Add(FuzzCheck.Exact, ["SINTERCARD", Pick(keys.Length.ToString(), keys.Length.ToString(), "0", "5"), .. keys, .. Chance(40) ? ["LIMIT", Pick("0", "1", "3", "-1")] : Array.Empty<object>()]); break; }
            case 15: case 16: Add(FuzzCheck.Exact, [Pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), TypedKey('S'), .. Keys('S', 3)]); break;
            case 17: Add(FuzzCheck.ScanAll, ["SSCAN", key, "0", .. Chance(50) ? ["COUNT", Pick("1", "2", "10")] : Array.Empty<object>(), .. Chance(30) ? ["MATCH", Pick("1*", "*a*", "?")] : Array.Empty<object>()]); break;
            case 18: Add(FuzzCheck.Exact, "OBJECT", "ENCODING", key); break;
            default: Add(FuzzCheck.Exact, "SCARD", key); break;
        }
    }

    /// <summary>Lex ranges run on x0..x7, sorted sets whose scores are all 0: with mixed scores Redis's
    /// skiplist answers by its random level layout.</summary>
    private string LexKey() => Chance(95) ? $"x{KeyNumber()}" : "x9";

    private void SortedSetCommand()
    {
        var key = TypedKey('z');
        var lexKey = LexKey();
        object[] Limit() => Chance(40) ? ["LIMIT", Pick("0", "1", "2", "-1"), Pick("1", "2", "-1", "0", "100")] : [];
        object[] WithScores() => Chance(50) ? ["WITHSCORES"] : [];
        switch (Grow() ? 0 : _random.Next(40))
        {
            case < 5:
            {
                var flags = new List<object>();
                if (Chance(15)) flags.Add(Pick("NX", "XX"));
                if (Chance(15)) flags.Add(Pick("GT", "LT"));
                if (Chance(15)) flags.Add("CH");
                var incr = Chance(10);
                if (incr) flags.Add("INCR");
                var pairs = incr && Chance(80) ? 1 : 1 + _random.Next(Chance(20) ? 12 : 3);
                var lex = Chance(30);
                Add(FuzzCheck.Exact, ["ZADD", lex ? lexKey : key, .. flags, .. Enumerable.Range(0, pairs).SelectMany(_ => new[] { lex ? "0" : Score(), Member() })]);
                break;
            }
            case 5: Add(FuzzCheck.Exact, "ZINCRBY", key, Score(), Member()); break;
            case 6: Add(FuzzCheck.Exact, ["ZREM", key, Member(), .. Chance(50) ? [Member()] : Array.Empty<object>()]); break;
            case 7: Add(FuzzCheck.Exact, "ZCARD", key); break;
            case 8: Add(FuzzCheck.Exact, "ZSCORE", key, Member()); break;
            case 9: Add(FuzzCheck.Exact, "ZMSCORE", key, Member(), Member()); break;
            case 10: Add(FuzzCheck.Exact, Pick("ZRANK", "ZREVRANK"), key, Member()); break;
            case 11: case 12: Add(FuzzCheck.Exact, ["ZRANGE", key, Index(), Index(), .. Chance(30) ? ["REV"] : Array.Empty<object>(), .. WithScores()]); break;
            case 13: Add(FuzzCheck.Exact, ["ZRANGE", key, ScoreBound(), ScoreBound(), "BYSCORE", .. Chance(30) ? ["REV"] : Array.Empty<object>(), .. Limit(), .. WithScores()]); break;
            case 14: Add(FuzzCheck.Exact, ["ZRANGE", lexKey, LexBound(), LexBound(), "BYLEX", .. Chance(30) ? ["REV"] : Array.Empty<object>(), .. Limit(), .. Chance(10) ? ["WITHSCORES"] : Array.Empty<object>()]); break;
            case 15: { var byLex = Chance(30); Add(FuzzCheck.Exact, ["ZRANGESTORE", byLex ? LexKey() : TypedKey('z'), byLex ? lexKey : key, .. byLex ? [LexBound(), LexBound(), "BYLEX"] : Pick<object[]>([Index(), Index()], [ScoreBound(), ScoreBound(), "BYSCORE"]), .. Chance(30) ? ["REV"] : Array.Empty<object>(), .. Limit()]); break; }
            case 16: Add(FuzzCheck.Exact, ["ZRANGEBYSCORE", key, ScoreBound(), ScoreBound(), .. WithScores(), .. Limit()]); break;
            case 17: Add(FuzzCheck.Exact, ["ZREVRANGEBYSCORE", key, ScoreBound(), ScoreBound(), .. WithScores(), .. Limit()]); break;
            case 18: Add(FuzzCheck.Exact, [Pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), lexKey, LexBound(), LexBound(), .. Limit()]); break;
            case 19: Add(FuzzCheck.Exact, ["ZREVRANGE", key, Index(), Index(), .. WithScores()]); break;
            case 20: Add(FuzzCheck.Exact, "ZCOUNT", key, ScoreBound(), ScoreBound()); break;
            case 21: Add(FuzzCheck.Exact, "ZLEXCOUNT", lexKey, LexBound(), LexBound()); break;
            case 22: case 23: Add(FuzzCheck.Exact, [Pick("ZPOPMIN", "ZPOPMAX"), key, .. Chance(50) ? [Count()] : Array.Empty<object>()]); break;
            case 24: { var keys = Keys('z', 3); Add(FuzzCheck.Exact, ["ZMPOP", Pick(keys.Length.ToString(), keys.Length.ToString(), "0", "4"), .. keys, Pick("MIN", "MAX", "MID"), .. Chance(50) ? ["COUNT", Count()] : Array.Empty<object>()]); break; }
            case 25: Add(FuzzCheck.Exact, [Pick("BZPOPMIN", "BZPOPMAX"), .. Keys('z', 2), Timeout()]); break;
            case 26: { var keys = Keys('z', 2); Add(FuzzCheck.Exact, ["BZMPOP", Timeout(), keys.Length.ToString(), .. keys, Pick("MIN", "MAX"), .. Chance(50) ? ["COUNT", Count()] : Array.Empty<object>()]); break; }
            case 27: Add(FuzzCheck.RandomMembers, ["ZRANDMEMBER", key, .. Chance(70) ? [Count(), .. WithScores()] : Array.Empty<object>()]); break;
            case 28: Add(FuzzCheck.Exact, "ZREMRANGEBYRANK", key, Index(), Index()); break;
            case 29: Add(FuzzCheck.Exact, "ZREMRANGEBYSCORE", key, ScoreBound(), ScoreBound()); break;
            case 30: Add(FuzzCheck.Exact, "ZREMRANGEBYLEX", lexKey, LexBound(), LexBound()); break;
            case 31: case 32: Add(FuzzCheck.Exact, [Pick("ZUNION", "ZINTER", "ZDIFF"), .. Aggregation(diff: Chance(30)), .. WithScores()]); break;
            case 33: case 34: Add(FuzzCheck.Exact, [Pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"), TypedKey('z'), .. Aggregation(diff: Chance(30))]); break;
            case 35: { var keys = Keys('z', 3); Add(FuzzCheck.Exact, ["ZINTERCARD", keys.Length.ToString(), .. keys, .. Chance(40) ? ["LIMIT", Pick("0", "1", "3", "-1")] : Array.Empty<object>()]); break; }
            case 36: Add(FuzzCheck.ScanAll, ["ZSCAN", key, "0", .. Chance(50) ? ["COUNT", Pick("1", "2", "10")] : Array.Empty<object>(), .. Chance(30) ? ["MATCH", Pick("m*", "*1", "?")] : Array.Empty<object>()]); break;
            case 37: Add(FuzzCheck.Exact, "OBJECT", "ENCODING", key); break;
            default: Add(FuzzCheck.Exact, "ZRANGE", key, "0", "-1", "WITHSCORES"); break;
        }
    }

    /// <summary>numkeys, keys (sorted sets, sets, anything), then WEIGHTS and AGGREGATE now and then.</summary>
    private object[] Aggregation(bool diff)
    {
        var keys = Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => Chance(75) ? TypedKey('z') : TypedKey('S')).ToArray();
        var numkeys = Chance(92) ? keys.Length.ToString(CultureInfo.InvariantCulture) : Pick("0", "-1", "5", "abc");
        var parts = new List<object> { numkeys };
        parts.AddRange(keys);
        if (!diff && Chance(30)) { parts.Add("WEIGHTS"); parts.AddRange(keys.Select(_ => Pick("1", "2", "-1", "0", "0.5", "inf", "-inf", "abc"))); }
        if (!diff && Chance(30)) parts.AddRange(["AGGREGATE", Pick("SUM", "MIN", "MAX", "AVG")]);
        return parts.ToArray();
    }

    private void BitmapCommand()
    {
        var key = Chance(70) ? $"b{KeyNumber()}" : AnyKey();
        // 4294967295 is legal but makes a 512 MB string: the digests of two of those take seconds.
        string Offset() => Pick("0", "1", "7", "8", "15", "100", "-1", "100000", "4294967296", "abc");
        string Type() => Pick("u8", "i8", "u1", "i5", "u16", "i64", "u63", "u64", "i65", "x8");
        switch (Grow() ? 0 : _random.Next(12))
        {
            case < 3: Add(FuzzCheck.Exact, "SETBIT", key, Chance(90) ? _random.Next(0, 64).ToString(CultureInfo.InvariantCulture) : Offset(), Pick("0", "1", "1", "2")); break;
            case 3: Add(FuzzCheck.Exact, "GETBIT", key, Chance(90) ? _random.Next(0, 64).ToString(CultureInfo.InvariantCulture) : Offset()); break;
            case 4: Add(FuzzCheck.Exact, ["BITCOUNT", key, .. Chance(60) ? [Index(), Index(), .. Chance(40) ? [Pick("BYTE", "BIT", "WORD")] : Array.Empty<object>()] : Array.Empty<object>()]); break;
            case 5: Add(FuzzCheck.Exact, ["BITPOS", key, Pick("0", "1", "2"), .. Chance(60) ? [Index(), .. Chance(60) ? [Index(), .. Chance(40) ? [Pick("BYTE", "BIT")] : Array.Empty<object>()] : Array.Empty<object>()] : Array.Empty<object>()]); break;
            case 6: case 7:
            {
                var op = Pick("AND", "OR", "XOR", "NOT", "NAND");
                var sources = op == "NOT" && Chance(80) ? [TypedKey('b')] : Keys('b', 3);
                Add(FuzzCheck.Exact, ["BITOP", op, TypedKey('b'), .. sources]);
                break;
            }
            case 8: case 9: case 10:
            {
                var name = Chance(80) ? "BITFIELD" : "BITFIELD_RO";
                var parts = new List<object> { name, key };
                for (var i = 0; i < 1 + _random.Next(3); i++)
                {
                    var offset = Chance(30) ? "#" + _random.Next(0, 4) : Chance(90) ? _random.Next(0, 40).ToString(CultureInfo.InvariantCulture) : Offset();
                    switch (_random.Next(4))
                    {
                        case 0: parts.AddRange(["GET", Type(), offset]); break;
                        case 1: parts.AddRange(["SET", Type(), offset, Pick("0", "1", "-1", "127", "128", "255", "256", "-129", "9223372036854775807", "x")]); break;
                        case 2: parts.AddRange(["INCRBY", Type(), offset, Pick("1", "-1", "100", "-200", "9223372036854775807")]); break;
                        default: parts.AddRange(["OVERFLOW", Pick("WRAP", "SAT", "FAIL", "BAD")]); break;
                    }
                }
                Add(FuzzCheck.Exact, parts.ToArray());
                break;
            }
            default: Add(FuzzCheck.Exact, "GET", key); break;
        }
    }

    private void HyperLogLogCommand()
    {
        var key = Chance(80) ? $"p{KeyNumber()}" : AnyKey();
        switch (Grow() ? 0 : _random.Next(6))
        {
            case < 2: Add(FuzzCheck.Exact, ["PFADD", key, .. Enumerable.Range(0, _random.Next(Chance(10) ? 300 : 5)).Select(i => Chance(80) ? "e" + _random.Next(2000) : Value())]); break;
            case 2: Add(FuzzCheck.Exact, ["PFCOUNT", .. Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => Chance(80) ? $"p{KeyNumber()}" : AnyKey())]); break;
            case 3: Add(FuzzCheck.Exact, ["PFMERGE", $"p{KeyNumber()}", .. Enumerable.Range(0, _random.Next(3)).Select(_ => Chance(80) ? $"p{KeyNumber()}" : AnyKey())]); break;
            default: Add(FuzzCheck.Exact, "GET", key); break;
        }
    }

    private void SortCommand()
    {
        var key = Pick(TypedKey('l'), TypedKey('S'), TypedKey('z'), AnyKey());
        var parts = new List<object> { Chance(80) ? "SORT" : "SORT_RO", key };
        string? by = Chance(30) ? Pick("s*", "h*->f1", "nosort", "missing_*", "k*", "s*->x") : null;
        var alpha = Chance(40);
        // Where Redis's order is its hash table's: BY nosort of a set keeps the set's walk, and ALPHA BY
        // leaves members with equal BY values in the order it loaded them (a set's or a sorted set's
        // dict walk). Those replies are compared unordered, never cut by LIMIT nor stored.
        var byNosort = by == "nosort";
        var tiesInLoadOrder = alpha && by != null && !byNosort;
        if (by != null) parts.AddRange(["BY", by]);
        if (Chance(30) && !byNosort && !tiesInLoadOrder) parts.AddRange(["LIMIT", Pick("0", "1", "-1", "2"), Pick("1", "2", "-1", "10")]);
        for (var i = 0; i < (Chance(30) ? 1 + _random.Next(2) : 0); i++) parts.AddRange(["GET", Pick("#", "s*", "h*->f1", "h*->n", "missing")]);
        if (Chance(30)) parts.Add(Pick("ASC", "DESC"));
        if (alpha) parts.Add("ALPHA");
        var store = Chance(20) && !tiesInLoadOrder;
        if (store) parts.AddRange(["STORE", TypedKey('l')]);
        Add(tiesInLoadOrder ? FuzzCheck.Sorted : byNosort && !store ? FuzzCheck.OrderedIfCompact : FuzzCheck.Exact, parts.ToArray());
    }

    private void KeyCommand()
    {
        var key = AnyKey();
        switch (_random.Next(30))
        {
            case 0: Add(FuzzCheck.Exact, ["DEL", key, .. Chance(30) ? [AnyKey()] : Array.Empty<object>()]); break;
            case 1: Add(FuzzCheck.Exact, ["EXISTS", key, .. Chance(30) ? [key, AnyKey()] : Array.Empty<object>()]); break;
            case 2: Add(FuzzCheck.Exact, "TYPE", key); break;
            case 3: case 4: Add(FuzzCheck.Exact, ["EXPIRE", key, Seconds(), .. Chance(40) ? [Pick("NX", "XX", "GT", "LT", "NX XX")] : Array.Empty<object>()]); break;
            case 5: Add(FuzzCheck.Exact, ["PEXPIRE", key, Milliseconds(), .. Chance(40) ? [Pick("NX", "XX", "GT", "LT")] : Array.Empty<object>()]); break;
            case 6: Add(FuzzCheck.Exact, ["EXPIREAT", key, Pick((DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5000).ToString(CultureInfo.InvariantCulture), "1", "0", "-1"), .. Chance(40) ? [Pick("NX", "XX", "GT", "LT")] : Array.Empty<object>()]); break;
            case 7: Add(FuzzCheck.Exact, "PEXPIREAT", key, Pick((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 5000000).ToString(CultureInfo.InvariantCulture), "1000", "0")); break;
            case 8: case 9: Add(FuzzCheck.Seconds, "TTL", key); break;
            case 10: Add(FuzzCheck.Milliseconds, "PTTL", key); break;
            case 11: Add(FuzzCheck.Seconds, "EXPIRETIME", key); break;
            case 12: Add(FuzzCheck.Exact, "PERSIST", key); break;
            case 13: Add(FuzzCheck.Exact, Pick("RENAME", "RENAMENX"), key, AnyKey()); break;
            case 14: Add(FuzzCheck.Exact, ["COPY", key, AnyKey(), .. Chance(30) ? ["REPLACE"] : Array.Empty<object>(), .. Chance(20) ? ["DB", Pick("1", "0", "99")] : Array.Empty<object>()]); break;
            case 15: Add(FuzzCheck.Exact, "MOVE", key, Pick("1", "1", "0", "abc")); break;
            case 16: Add(FuzzCheck.ScanAll, ["SCAN", "0", .. Chance(50) ? ["COUNT", Pick("1", "3", "100")] : Array.Empty<object>(), .. Chance(30) ? ["MATCH", Pick("s*", "?1", "*")] : Array.Empty<object>(), .. Chance(30) ? ["TYPE", Pick("string", "zset", "set", "list", "hash", "nosuch")] : Array.Empty<object>()]); break;
            case 17: Add(FuzzCheck.Sorted, "KEYS", Pick("*", "s*", "[hz]?", "k*")); break;
            case 18: Add(FuzzCheck.Shape, "RANDOMKEY"); break;
            case 19: case 20: Add(FuzzCheck.Exact, "OBJECT", "ENCODING", key); break;
            case 21: Add(FuzzCheck.Exact, ["TOUCH", key, AnyKey()]); break;
            case 22: Add(FuzzCheck.Exact, "UNLINK", key); break;
            case 23: Add(FuzzCheck.Exact, "DBSIZE"); break;
            case 24: Add(FuzzCheck.Exact, "SELECT", Pick("0", "0", "1")); break;
            case 25: Add(FuzzCheck.Exact, "DEBUG", "DIGEST-VALUE", key); break;
            case 26: Add(FuzzCheck.ExactIfCompact, "DUMP", Chance(50) ? key : Pick(TypedKey('z'), TypedKey('h'), TypedKey('S'), TypedKey('l'))); break;
            case 27: if (Chance(30)) Add(FuzzCheck.Exact, "SWAPDB", "0", "1"); else Add(FuzzCheck.Exact, ["WATCH", key, .. Chance(30) ? [AnyKey()] : Array.Empty<object>()]); break;
            default: Add(FuzzCheck.Exact, "TYPE", key); break;
        }
    }
}
