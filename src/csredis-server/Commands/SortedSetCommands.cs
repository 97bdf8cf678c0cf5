// Sorted set commands (Redis's t_zset.c). Everything is expressed in ranks: a score or lex range
// becomes [first rank reaching min, first rank beyond max) through an IOrderBound search, a walk
// from a rank emits members in either direction. Replies follow Redis 7.0 in both protocols
// (scores as RESP3 doubles; WITH SCORES pairs nested in RESP3), as do errors, keyspace events and
// dirty counts. ZUNION/ZINTER/ZDIFF accumulate in a MemberTable, then sort or store the result
// with the encoding Redis would pick. Blocking pops (BZPOPMIN/BZPOPMAX/BZMPOP) reuse PopAndReply.
using Csredis.Common.Resp;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

/// <summary>How a pop is answered: ZPOPMIN without count, with count, BZPOPMIN, ZMPOP/BZMPOP.</summary>
public enum ZPopReply { Single, Counted, KeyMemberScore, KeyAndPairs }

public static class SortedSetCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "zadd", Arity = -4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Handler = ZAdd, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["write", "sortedset", "fast"], Summary = "Add one or more members to a sorted set, or update its score if it already exists", Complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set." });
        t.Add(new Command { Name = "zincrby", Arity = 4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Handler = ZIncrBy, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["write", "sortedset", "fast"], Summary = "Increment the score of a member in a sorted set", Complexity = "O(log(N)) where N is the number of elements in the sorted set." });
        t.Add(new Command { Name = "zrem", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = ZRem, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["write", "sortedset", "fast"], Summary = "Remove one or more members from a sorted set", Complexity = "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed." });
        t.Add(new Command { Name = "zcard", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = ZCard, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["read", "sortedset", "fast"], Summary = "Get the number of members in a sorted set", Complexity = "O(1)" });
        t.Add(new Command { Name = "zscore", Arity = 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = ZScore, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["read", "sortedset", "fast"], Summary = "Get the score associated with the given member in a sorted set", Complexity = "O(1)" });
        t.Add(new Command { Name = "zmscore", Arity = -3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = ZMScore, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "6.2.0", Categories = ["read", "sortedset", "fast"], Summary = "Get the score associated with the given members in a sorted set", Complexity = "O(N) where N is the number of members being requested." });
        t.Add(new Command { Name = "zrank", Arity = 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => ZRank(c, reverse: false), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["read", "sortedset", "fast"], Summary = "Determine the index of a member in a sorted set", Complexity = "O(log(N))" });
        t.Add(new Command { Name = "zrevrank", Arity = 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => ZRank(c, reverse: true), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["read", "sortedset", "fast"], Summary = "Determine the index of a member in a sorted set, with scores ordered from high to low", Complexity = "O(log(N))" });
        t.Add(new Command { Name = "zrange", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Auto, Direction.Auto), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned." });
        t.Add(new Command { Name = "zrangestore", Arity = -5, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => RangeGeneric(c, 2, true, RangeType.Auto, Direction.Auto), FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "sorted-set", Since = "6.2.0", Categories = ["write", "sortedset", "slow"], Summary = "Store a range of members from sorted set into another key", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key." });
        t.Add(new Command { Name = "zrangebyscore", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Score, Direction.Forward), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.0.5", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set, by score", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." });
        t.Add(new Command { Name = "zrevrangebyscore", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Score, Direction.Reverse), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set, by score, with scores ordered from high to low", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." });
        t.Add(new Command { Name = "zrangebylex", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Lex, Direction.Forward), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.8.9", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set, by lexicographical range", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." });
        t.Add(new Command { Name = "zrevrangebylex", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Lex, Direction.Reverse), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.8.9", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." });
        t.Add(new Command { Name = "zrevrange", Arity = -4, Flags = CommandFlags.ReadOnly, Handler = c => RangeGeneric(c, 1, false, RangeType.Rank, Direction.Reverse), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Return a range of members in a sorted set, by index, with scores ordered from high to low", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned." });
        t.Add(new Command { Name = "zcount", Arity = 4, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = ZCount, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["read", "sortedset", "fast"], Summary = "Count the members in a sorted set with scores within the given values", Complexity = "O(log(N)) with N being the number of elements in the sorted set." });
        t.Add(new Command { Name = "zlexcount", Arity = 4, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = ZLexCount, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.8.9", Categories = ["read", "sortedset", "fast"], Summary = "Count the number of members in a sorted set between a given lexicographical range", Complexity = "O(log(N)) with N being the number of elements in the sorted set." });
        t.Add(new Command { Name = "zpopmin", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => ZPop(c, max: false), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "5.0.0", Categories = ["write", "sortedset", "fast"], Summary = "Remove and return members with the lowest scores in a sorted set", Complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped." });
        t.Add(new Command { Name = "zpopmax", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => ZPop(c, max: true), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "5.0.0", Categories = ["write", "sortedset", "fast"], Summary = "Remove and return members with the highest scores in a sorted set", Complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped." });
        t.Add(new Command { Name = "zmpop", Arity = -4, Flags = CommandFlags.Write, Handler = ZMPop, FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "sorted-set", Since = "7.0.0", Categories = ["write", "sortedset", "slow"], Summary = "Remove and return members with scores in a sorted set", Complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped." });
        t.Add(new Command { Name = "zrandmember", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = ZRandMember, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "6.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Get one or multiple random elements from a sorted set", Complexity = "O(N) where N is the number of elements returned" });
        t.Add(new Command { Name = "zremrangebyrank", Arity = 4, Flags = CommandFlags.Write, Handler = c => ZRemRange(c, RangeType.Rank), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["write", "sortedset", "slow"], Summary = "Remove all members in a sorted set within the given indexes", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." });
        t.Add(new Command { Name = "zremrangebyscore", Arity = 4, Flags = CommandFlags.Write, Handler = c => ZRemRange(c, RangeType.Score), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "1.2.0", Categories = ["write", "sortedset", "slow"], Summary = "Remove all members in a sorted set within the given scores", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." });
        t.Add(new Command { Name = "zremrangebylex", Arity = 4, Flags = CommandFlags.Write, Handler = c => ZRemRange(c, RangeType.Lex), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.8.9", Categories = ["write", "sortedset", "slow"], Summary = "Remove all members in a sorted set between the given lexicographical range", Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." });
        t.Add(new Command { Name = "zunion", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = c => SetOperation(c, -1, 1, SetOp.Union), FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "sorted-set", Since = "6.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Add multiple sorted sets", Complexity = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set." });
        t.Add(new Command { Name = "zinter", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = c => SetOperation(c, -1, 1, SetOp.Inter), FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "sorted-set", Since = "6.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Intersect multiple sorted sets", Complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set." });
        t.Add(new Command { Name = "zdiff", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = c => SetOperation(c, -1, 1, SetOp.Diff), FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "sorted-set", Since = "6.2.0", Categories = ["read", "sortedset", "slow"], Summary = "Subtract multiple sorted sets", Complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set." });
        t.Add(new Command { Name = "zunionstore", Arity = -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SetOperation(c, 1, 2, SetOp.Union), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["write", "sortedset", "slow"], Summary = "Add multiple sorted sets and store the resulting sorted set in a new key", Complexity = "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set." });
        t.Add(new Command { Name = "zinterstore", Arity = -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SetOperation(c, 1, 2, SetOp.Inter), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.0.0", Categories = ["write", "sortedset", "slow"], Summary = "Intersect multiple sorted sets and store the resulting sorted set in a new key", Complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set." });
        t.Add(new Command { Name = "zdiffstore", Arity = -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SetOperation(c, 1, 2, SetOp.Diff), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "6.2.0", Categories = ["write", "sortedset", "slow"], Summary = "Subtract multiple sorted sets and store the resulting sorted set in a new key", Complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set." });
        t.Add(new Command { Name = "zintercard", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = c => SetOperation(c, -1, 1, SetOp.Inter, cardinalityOnly: true), FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "sorted-set", Since = "7.0.0", Categories = ["read", "sortedset", "slow"], Summary = "Intersect multiple sorted sets and return the cardinality of the result", Complexity = "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets." });
        t.Add(new Command { Name = "zscan", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = ZScan, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "sorted-set", Since = "2.8.0", Categories = ["read", "sortedset", "slow"], Summary = "Incrementally iterate sorted sets elements and associated scores", Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." });
    }

    static readonly List<int> Ids = new();

    static long MaxEntries(Client c) => c.Server.Config.ZsetMaxListpackEntries;
    static long MaxValue(Client c) => c.Server.Config.ZsetMaxListpackValue;

    /// <summary>The sorted set at a key: false (after WRONGTYPE) for another type; null when missing.</summary>
    public static bool TryLookup(Client c, ReadOnlySpan<byte> key, bool write, out ZSetObject? zset)
    {
        var item = write ? c.Db.LookupWrite(key) : c.Db.LookupRead(key);
        zset = item as ZSetObject;
        if (item == null || zset != null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    // ---- bounds ------------------------------------------------------------------------------

    struct ScoreAtLeast : IOrderBound
    {
        public double Min; public bool Exclusive;
        public readonly bool IsReached(double score, ReadOnlySpan<byte> member) => Exclusive ? score > Min : score >= Min;
    }

    struct ScoreBeyond : IOrderBound
    {
        public double Max; public bool Exclusive;
        public readonly bool IsReached(double score, ReadOnlySpan<byte> member) => Exclusive ? score >= Max : score > Max;
    }

    enum LexKind { MinusInfinity, PlusInfinity, Inclusive, Exclusive }

    struct LexAtLeast : IOrderBound
    {
        public LexKind Kind; public byte[] Value;
        public readonly bool IsReached(double score, ReadOnlySpan<byte> member) => Kind switch
        {
            LexKind.MinusInfinity => true,
            LexKind.PlusInfinity => false,
            LexKind.Inclusive => member.SequenceCompareTo(Value) >= 0,
            _ => member.SequenceCompareTo(Value) > 0,
        };
    }

    struct LexBeyond : IOrderBound
    {
        public LexKind Kind; public byte[] Value;
        public readonly bool IsReached(double score, ReadOnlySpan<byte> member) => Kind switch
        {
            LexKind.MinusInfinity => true,
            LexKind.PlusInfinity => false,
            LexKind.Inclusive => member.SequenceCompareTo(Value) > 0,
            _ => member.SequenceCompareTo(Value) >= 0,
        };
    }

    /// <summary>A ZRANGEBYSCORE bound: "(x" exclusive, else plain strtod (so " 1", "" and "1e999" are accepted).</summary>
    static bool TryParseScoreBound(ReadOnlySpan<byte> arg, out double value, out bool exclusive)
    {
        exclusive = arg.Length > 0 && arg[0] == '(';
        return NumberParsing.TryParseDoubleLenient(exclusive ? arg[1..] : arg, out value);
    }

    static bool TryParseScoreRange(Client c, int minArg, int maxArg, out ScoreAtLeast min, out ScoreBeyond max)
    {
        min = default;
        max = default;
        if (!TryParseScoreBound(c.Arg(minArg), out min.Min, out min.Exclusive) ||
            !TryParseScoreBound(c.Arg(maxArg), out max.Max, out max.Exclusive))
        {
            c.Error("ERR min or max is not a float"u8);
            return false;
        }
        return true;
    }

    static bool TryParseLexItem(ReadOnlySpan<byte> arg, out LexKind kind, out byte[] value)
    {
        value = [];
        kind = LexKind.Inclusive;
        if (arg.Length == 0) return false;
        switch (arg[0])
        {
            case (byte)'+': kind = LexKind.PlusInfinity; return arg.Length == 1;
            case (byte)'-': kind = LexKind.MinusInfinity; return arg.Length == 1;
            case (byte)'[': kind = LexKind.Inclusive; value = arg[1..].ToArray(); return true;
            case (byte)'(': kind = LexKind.Exclusive; value = arg[1..].ToArray(); return true;
            default: return false;
        }
    }

    static bool TryParseLexRange(Client c, int minArg, int maxArg, out LexAtLeast min, out LexBeyond max)
    {
        min = default;
        max = default;
        if (!TryParseLexItem(c.Arg(minArg), out min.Kind, out min.Value) || !TryParseLexItem(c.Arg(maxArg), out max.Kind, out max.Value))
        {
            c.Error("ERR min or max not valid string range item"u8);
            return false;
        }
        return true;
    }

    static void RankSpan<TMin, TMax>(ZSetObject zset, ref TMin min, ref TMax max, out int first, out int count)
        where TMin : struct, IOrderBound where TMax : struct, IOrderBound
    {
        first = zset.FirstReached(ref min);
        int end = first < zset.Count ? zset.FirstReached(ref max, first) : first;
        count = Math.Max(0, end - first);
    }

    /// <summary>A lex range's ranks as Redis finds them: empty when the range is empty by itself
    /// (sdscmplex of min and max) or misses the set's ends (zslIsInLexRange), else the forward span.
    /// From the tail (ZREVRANGEBYLEX) a listpack is walked backwards as zzlLastInLexRange does, which
    /// picks other members than the forward walk when scores differ and the order is not lexical.</summary>
    static void LexSpan(ZSetObject zset, ref LexAtLeast min, ref LexBeyond max, bool fromTail, out int first, out int count)
    {
        first = count = 0;
        if (zset.Count == 0 || IsEmptyLexRange(min, max)) return;
        if (!min.IsReached(0, zset.WalkFrom(zset.Count - 1).Member) || max.IsReached(0, zset.WalkFrom(0).Member)) return;
        if (!fromTail || !zset.IsListpack)
        {
            RankSpan(zset, ref min, ref max, out first, out count);
            return;
        }
        int rank = zset.Count - 1;
        var walker = zset.WalkFrom(rank);
        while (max.IsReached(0, walker.Member))
        {
            if (--rank < 0) return;
            walker.MovePrev();
        }
        int last = rank;
        while (min.IsReached(0, walker.Member))
        {
            if (--rank < 0) break;
            walker.MovePrev();
        }
        first = rank + 1;
        count = last - rank;
    }

    /// <summary>Redis's sdscmplex test: min above max, or equal with either end exclusive.</summary>
    static bool IsEmptyLexRange(in LexAtLeast min, in LexBeyond max)
    {
        int cmp;
        if (min.Kind == LexKind.MinusInfinity && max.Kind == LexKind.MinusInfinity || min.Kind == LexKind.PlusInfinity && max.Kind == LexKind.PlusInfinity) cmp = 0;
        else if (min.Kind == LexKind.MinusInfinity || max.Kind == LexKind.PlusInfinity) cmp = -1;
        else if (min.Kind == LexKind.PlusInfinity || max.Kind == LexKind.MinusInfinity) cmp = 1;
        else cmp = min.Value.AsSpan().SequenceCompareTo(max.Value);
        return cmp > 0 || (cmp == 0 && (min.Kind == LexKind.Exclusive || max.Kind == LexKind.Exclusive));
    }

    // ---- replies -----------------------------------------------------------------------------

    /// <summary>Members from ascending rank <paramref name="first"/>, <paramref name="count"/> of them, forwards or backwards from the end of the span.</summary>
    static void ReplyRange(Client c, ZSetObject zset, int first, int count, bool reverse, bool withScores)
    {
        bool nested = withScores && c.Protocol >= 3;
        c.Reply.ArrayHeader(withScores && !nested ? count * 2L : count);
        if (count == 0) return;
        var walker = zset.WalkFrom(reverse ? first + count - 1 : first);
        for (int i = 0; i < count; i++)
        {
            if (nested) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(walker.Member);
            if (withScores) c.Reply.Double(walker.Score);
            if (reverse) walker.MovePrev(); else walker.MoveNext();
        }
    }

    // ---- ZADD / ZINCRBY / ZREM ---------------------------------------------------------------

    [Flags]
    enum AddFlags { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8, Ch = 16, Incr = 32 }

    static void ZAdd(Client c) => AddGeneric(c, AddFlags.None);
    static void ZIncrBy(Client c) => AddGeneric(c, AddFlags.Incr);

    static void AddGeneric(Client c, AddFlags flags)
    {
        int scoreIndex = 2;
        for (; scoreIndex < c.Argc; scoreIndex++)
        {
            var opt = c.Arg(scoreIndex);
            if (Ascii.EqualsIgnoreCase(opt, "nx"u8)) flags |= AddFlags.Nx;
            else if (Ascii.EqualsIgnoreCase(opt, "xx"u8)) flags |= AddFlags.Xx;
            else if (Ascii.EqualsIgnoreCase(opt, "ch"u8)) flags |= AddFlags.Ch;
            else if (Ascii.EqualsIgnoreCase(opt, "incr"u8)) flags |= AddFlags.Incr;
            else if (Ascii.EqualsIgnoreCase(opt, "gt"u8)) flags |= AddFlags.Gt;
            else if (Ascii.EqualsIgnoreCase(opt, "lt"u8)) flags |= AddFlags.Lt;
            else break;
        }
        bool incr = (flags & AddFlags.Incr) != 0, nx = (flags & AddFlags.Nx) != 0, xx = (flags & AddFlags.Xx) != 0;
        bool gt = (flags & AddFlags.Gt) != 0, lt = (flags & AddFlags.Lt) != 0;
        int elements = c.Argc - scoreIndex;
        if (elements % 2 != 0 || elements == 0) { c.Error(Errors.Syntax); return; }
        elements /= 2;
        if (nx && xx) { c.Error("ERR XX and NX options at the same time are not compatible"u8); return; }
        if (gt && nx || lt && nx || gt && lt) { c.Error("ERR GT, LT, and/or NX options at the same time are not compatible"u8); return; }
        if (incr && elements > 1) { c.Error("ERR INCR option supports a single increment-element pair"u8); return; }
        Span<double> scores = elements <= 64 ? stackalloc double[elements] : new double[elements];
        for (int j = 0; j < elements; j++)
            if (!NumberParsing.TryParseDouble(c.Arg(scoreIndex + j * 2), out scores[j])) { c.Error(Errors.NotFloat); return; }

        var key = c.Arg(1);
        if (!TryLookup(c, key, write: true, out var zset)) return;
        long added = 0, updated = 0, processed = 0;
        double lastScore = 0;
        if (zset == null)
        {
            if (xx)
            {
                if (incr) c.Reply.Null(); else c.Reply.Integer(0);
                return;
            }
            zset = ZSetObject.CreateForAdd(c.ArgBytes(1), c.Arg(scoreIndex + 1).Length, MaxEntries(c), MaxValue(c));
            c.Db.Add(zset);
        }
        bool nan = false;
        for (int j = 0; j < elements; j++)
        {
            double score = scores[j];
            var member = c.Arg(scoreIndex + 1 + j * 2);
            if (zset.TryGetScore(member, out double current))
            {
                if (nx) continue;
                if (incr)
                {
                    score += current;
                    if (double.IsNaN(score)) { nan = true; break; }
                }
                if (lt && score >= current || gt && score <= current) continue;
                processed++;
                lastScore = score;
                if (score != current)
                {
                    zset.UpdateScore(member, score);
                    updated++;
                }
            }
            else
            {
                if (xx) continue;
                zset.Insert(member, score, MaxEntries(c), MaxValue(c));
                added++;
                processed++;
                lastScore = score;
            }
        }
        if (nan) c.Error("ERR resulting score is not a number (NaN)"u8);
        else
        {
            c.Server.Dirty += added + updated;
            if (incr)
            {
                if (processed > 0) c.Reply.Double(lastScore); else c.Reply.Null();
            }
            else c.Reply.Integer((flags & AddFlags.Ch) != 0 ? added + updated : added);
        }
        if (added + updated > 0) c.Server.SignalKeyChange(c, c.Db, key, incr ? "zincr" : "zadd");
    }

    static void ZRem(Client c)
    {
        var key = c.Arg(1);
        if (!TryLookup(c, key, write: true, out var zset)) return;
        if (zset == null) { c.Reply.Integer(0); return; }
        long deleted = 0;
        bool keyRemoved = false;
        for (int j = 2; j < c.Argc; j++)
        {
            if (!zset.Remove(c.Arg(j))) continue;
            deleted++;
            if (zset.Count == 0)
            {
                c.Db.Delete(key);
                keyRemoved = true;
                break;
            }
        }
        if (deleted > 0)
        {
            c.Server.SignalKeyChange(c, c.Db, key, "zrem");
            if (keyRemoved) c.Server.SignalKeyChange(c, c.Db, key, "del");
            c.Server.Dirty += deleted;
        }
        c.Reply.Integer(deleted);
    }

    // ---- point reads -------------------------------------------------------------------------

    static void ZCard(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        c.Reply.Integer(zset?.Count ?? 0);
    }

    static void ZScore(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        if (zset != null && zset.TryGetScore(c.Arg(2), out double score)) c.Reply.Double(score);
        else c.Reply.Null();
    }

    static void ZMScore(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        c.Reply.ArrayHeader(c.Argc - 2);
        for (int j = 2; j < c.Argc; j++)
        {
            if (zset != null && zset.TryGetScore(c.Arg(j), out double score)) c.Reply.Double(score);
            else c.Reply.Null();
        }
    }

    static void ZRank(Client c, bool reverse)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        int rank = zset?.RankOf(c.Arg(2)) ?? -1;
        if (rank < 0) { c.Reply.Null(); return; }
        c.Reply.Integer(reverse ? zset!.Count - 1 - rank : rank);
    }

    static void ZCount(Client c)
    {
        if (!TryParseScoreRange(c, 2, 3, out var min, out var max)) return;
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        if (zset == null) { c.Reply.Integer(0); return; }
        RankSpan(zset, ref min, ref max, out _, out int count);
        c.Reply.Integer(count);
    }

    static void ZLexCount(Client c)
    {
        if (!TryParseLexRange(c, 2, 3, out var min, out var max)) return;
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        if (zset == null) { c.Reply.Integer(0); return; }
        LexSpan(zset, ref min, ref max, false, out _, out int count);
        c.Reply.Integer(count);
    }

    // ---- ranges ------------------------------------------------------------------------------

    enum RangeType { Auto, Rank, Score, Lex }
    enum Direction { Auto, Forward, Reverse }

    /// <summary>Redis's zrangeGenericCommand: every ZRANGE flavour, reply or store (ZRANGESTORE).</summary>
    static void RangeGeneric(Client c, int keyArg, bool store, RangeType type, Direction direction)
    {
        int minArg = keyArg + 1, maxArg = keyArg + 2;
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = keyArg + 3; j < c.Argc; j++)
        {
            int left = c.Argc - j - 1;
            if (!store && c.ArgIs(j, "withscores"u8)) withScores = true;
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out offset) || !NumberParsing.TryParseInt64(c.Arg(j + 2), out limit))
                {
                    c.Error(Errors.NotInteger);
                    return;
                }
                j += 2;
            }
            else if (direction == Direction.Auto && c.ArgIs(j, "rev"u8)) direction = Direction.Reverse;
            else if (type == RangeType.Auto && c.ArgIs(j, "bylex"u8)) type = RangeType.Lex;
            else if (type == RangeType.Auto && c.ArgIs(j, "byscore"u8)) type = RangeType.Score;
            else { c.Error(Errors.Syntax); return; }
        }
        if (direction == Direction.Auto) direction = Direction.Forward;
        if (type == RangeType.Auto) type = RangeType.Rank;
        if (limit != -1 && type == RangeType.Rank)
        {
            c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"u8);
            return;
        }
        if (withScores && type == RangeType.Lex)
        {
            c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"u8);
            return;
        }
        bool reverse = direction == Direction.Reverse;
        if (reverse && type != RangeType.Rank) (minArg, maxArg) = (maxArg, minArg);

        long start = 0, end = 0;
        ScoreAtLeast scoreMin = default;
        ScoreBeyond scoreMax = default;
        LexAtLeast lexMin = default;
        LexBeyond lexMax = default;
        switch (type)
        {
            case RangeType.Rank:
                if (!NumberParsing.TryParseInt64(c.Arg(minArg), out start) || !NumberParsing.TryParseInt64(c.Arg(maxArg), out end))
                {
                    c.Error(Errors.NotInteger);
                    return;
                }
                break;
            case RangeType.Score:
                if (!TryParseScoreRange(c, minArg, maxArg, out scoreMin, out scoreMax)) return;
                break;
            default:
                if (!TryParseLexRange(c, minArg, maxArg, out lexMin, out lexMax)) return;
                break;
        }

        if (!TryLookup(c, c.Arg(keyArg), write: false, out var zset)) return;
        int first = 0, count = 0;
        if (zset != null)
        {
            if (type == RangeType.Rank) RankWindow(zset.Count, start, end, reverse, out first, out count);
            else
            {
                if (type == RangeType.Score) RankSpan(zset, ref scoreMin, ref scoreMax, out first, out count);
                else LexSpan(zset, ref lexMin, ref lexMax, reverse, out first, out count);
                ApplyLimit(ref first, ref count, offset, limit, reverse);
            }
        }
        // Redis sizes the destination from the count only for a rank range; a BYSCORE or BYLEX result
        // starts as a listpack and converts as it grows (which is where a -0 score becomes 0).
        if (store) { StoreRange(c, zset, first, count, reverse, sizeHint: type == RangeType.Score || type == RangeType.Lex ? 0 : count); return; }
        ReplyRange(c, zset!, first, count, reverse, withScores);
    }

    /// <summary>Redis's rank clamping: negative indexes from the end, empty when start passes end or size.</summary>
    static void RankWindow(int size, long start, long end, bool reverse, out int first, out int count)
    {
        first = count = 0;
        if (start < 0) start += size;
        if (end < 0) end += size;
        if (start < 0) start = 0;
        if (start > end || start >= size) return;
        if (end >= size) end = size - 1;
        count = (int)(end - start + 1);
        first = reverse ? (int)(size - 1 - end) : (int)start;
    }

    /// <summary>LIMIT offset count within a span of ranks, counted from the reading direction; a negative offset empties it.</summary>
    static void ApplyLimit(ref int first, ref int count, long offset, long limit, bool reverse)
    {
        if (offset < 0) { count = 0; return; }
        long available = Math.Max(0, count - offset);
        long take = limit < 0 ? available : Math.Min(available, limit);
        if (!reverse) first += (int)Math.Min(offset, count);
        else first = first + count - (int)Math.Min(offset, count) - (int)take;
        count = (int)take;
    }

    static void StoreRange(Client c, ZSetObject? source, int first, int count, bool reverse, int sizeHint)
    {
        var dstKey = c.Arg(1);
        if (count == 0)
        {
            c.Reply.Integer(0);
            DeleteDestination(c, 1);
            return;
        }
        var result = ZSetObject.CreateForResult(c.ArgBytes(1), sizeHint, 0, MaxEntries(c), MaxValue(c));
        var walker = source!.WalkFrom(first);
        for (int i = 0; i < count; i++, walker.MoveNext()) result.Insert(walker.Member, walker.Score, MaxEntries(c), MaxValue(c));
        c.Db.Set(result);
        c.Reply.Integer(count);
        c.Server.SignalKeyChange(c, c.Db, dstKey, "zrangestore");
        c.Server.Dirty++;
    }

    static void DeleteDestination(Client c, int keyArg)
    {
        if (c.Db.LookupWrite(c.Arg(keyArg)) == null) return;
        c.Db.Delete(c.Arg(keyArg));
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, c.Arg(keyArg), "del");
    }

    // ---- removals by range -------------------------------------------------------------------

    static void ZRemRange(Client c, RangeType type)
    {
        long start = 0, end = 0;
        ScoreAtLeast scoreMin = default;
        ScoreBeyond scoreMax = default;
        LexAtLeast lexMin = default;
        LexBeyond lexMax = default;
        if (type == RangeType.Rank)
        {
            if (!NumberParsing.TryParseInt64(c.Arg(2), out start) || !NumberParsing.TryParseInt64(c.Arg(3), out end)) { c.Error(Errors.NotInteger); return; }
        }
        else if (type == RangeType.Score) { if (!TryParseScoreRange(c, 2, 3, out scoreMin, out scoreMax)) return; }
        else if (!TryParseLexRange(c, 2, 3, out lexMin, out lexMax)) return;

        var key = c.Arg(1);
        if (!TryLookup(c, key, write: true, out var zset)) return;
        if (zset == null) { c.Reply.Integer(0); return; }
        int first, count;
        if (type == RangeType.Rank) RankWindow(zset.Count, start, end, false, out first, out count);
        else if (type == RangeType.Score) RankSpan(zset, ref scoreMin, ref scoreMax, out first, out count);
        else LexSpan(zset, ref lexMin, ref lexMax, false, out first, out count);
        zset.RemoveRankRange(first, count);
        if (count > 0)
        {
            c.Server.SignalKeyChange(c, c.Db, key, type switch { RangeType.Rank => "zremrangebyrank", RangeType.Score => "zremrangebyscore", _ => "zremrangebylex" });
            if (zset.Count == 0)
            {
                c.Db.Delete(key);
                c.Server.SignalKeyChange(c, c.Db, key, "del");
            }
        }
        c.Server.Dirty += count;
        c.Reply.Integer(count);
    }

    // ---- pops --------------------------------------------------------------------------------

    static void ZPop(Client c, bool max)
    {
        if (c.Argc > 3) { c.Error(Errors.Syntax); return; }
        long count = 1;
        if (c.Argc == 3 && (!NumberParsing.TryParseInt64(c.Arg(2), out count) || count < 0))
        {
            c.Error("ERR value is out of range, must be positive"u8);
            return;
        }
        if (!TryLookup(c, c.Arg(1), write: true, out var zset)) return;
        if (zset == null || count == 0) { c.Reply.EmptyArray(); return; }
        PopAndReply(c, c.Arg(1), zset, max, count, c.Argc == 3 ? ZPopReply.Counted : ZPopReply.Single);
    }

    /// <summary>
    /// Pops up to <paramref name="count"/> lowest (or highest) elements of a non-empty sorted set at
    /// <paramref name="key"/> in the client's db, replies in the given shape, raises zpopmin/zpopmax
    /// (and del when emptied) and counts dirty. Shared with the blocking pops.
    /// </summary>
    public static void PopAndReply(Client c, ReadOnlySpan<byte> key, ZSetObject zset, bool max, long count, ZPopReply shape)
    {
        int popped = (int)Math.Min(count, zset.Count);
        int first = max ? zset.Count - popped : 0;
        bool nested = shape == ZPopReply.KeyAndPairs || shape == ZPopReply.Counted && c.Protocol >= 3;
        switch (shape)
        {
            case ZPopReply.KeyMemberScore: c.Reply.ArrayHeader(3); c.Reply.Bulk(key); break;
            case ZPopReply.KeyAndPairs: c.Reply.ArrayHeader(2); c.Reply.Bulk(key); c.Reply.ArrayHeader(popped); break;
            case ZPopReply.Single: c.Reply.ArrayHeader(2); break;
            default: c.Reply.ArrayHeader(nested ? popped : popped * 2L); break;
        }
        var walker = zset.WalkFrom(max ? zset.Count - 1 : 0);
        for (int i = 0; i < popped; i++)
        {
            // Redis raises the event with the first pop, between the reply's headers and its first
            // element: a RESP3 client subscribed to its own keyspace sees the push there.
            if (i == 0) c.Server.SignalKeyChange(c, c.Db, key, max ? "zpopmax" : "zpopmin");
            if (nested) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(walker.Member);
            c.Reply.Double(walker.Score);
            if (max) walker.MovePrev(); else walker.MoveNext();
        }
        zset.RemoveRankRange(first, popped);
        if (zset.Count == 0)
        {
            c.Db.Delete(key);
            c.Server.SignalKeyChange(c, c.Db, key, "del");
        }
        c.Server.Dirty += popped;
    }

    /// <summary>ZMPOP/BZMPOP arguments: numkeys at <paramref name="numKeysArg"/>, then keys, MIN|MAX, optional COUNT.</summary>
    public static bool TryParseMPop(Client c, int numKeysArg, out int numKeys, out bool max, out long count)
    {
        numKeys = 0; max = false; count = 1;
        if (!NumberParsing.TryParseInt64(c.Arg(numKeysArg), out long n) || n <= 0)
        {
            c.Error("ERR numkeys should be greater than 0"u8);
            return false;
        }
        int whereArg = numKeysArg + 1 + (int)Math.Min(n, int.MaxValue - numKeysArg - 2);
        if (n > c.Argc - numKeysArg - 2 || whereArg >= c.Argc) { c.Error(Errors.Syntax); return false; }
        numKeys = (int)n;
        if (c.ArgIs(whereArg, "min"u8)) max = false;
        else if (c.ArgIs(whereArg, "max"u8)) max = true;
        else { c.Error(Errors.Syntax); return false; }
        bool seenCount = false;
        for (int j = whereArg + 1; j < c.Argc; j++)
        {
            if (!seenCount && c.ArgIs(j, "count"u8) && j + 1 < c.Argc)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out count) || count <= 0)
                {
                    c.Error("ERR count should be greater than 0"u8);
                    return false;
                }
                seenCount = true;
                j++;
            }
            else { c.Error(Errors.Syntax); return false; }
        }
        return true;
    }

    /// <summary>The first non-empty sorted set among the keys (ZMPOP order); false after WRONGTYPE.</summary>
    public static bool TryFindFirstNonEmpty(Client c, int firstKeyArg, int numKeys, out int keyArg, out ZSetObject? zset)
    {
        keyArg = -1;
        zset = null;
        for (int j = firstKeyArg; j < firstKeyArg + numKeys; j++)
        {
            if (!TryLookup(c, c.Arg(j), write: true, out var found)) return false;
            if (found == null) continue;
            keyArg = j;
            zset = found;
            return true;
        }
        return true;
    }

    static void ZMPop(Client c)
    {
        if (!TryParseMPop(c, 1, out int numKeys, out bool max, out long count)) return;
        if (!TryFindFirstNonEmpty(c, 2, numKeys, out int keyArg, out var zset)) return;
        if (zset == null) { c.Reply.NullArray(); return; }
        long popped = Math.Min(count, zset.Count);
        PopAndReply(c, c.Arg(keyArg), zset, max, count, ZPopReply.KeyAndPairs);
        PropagateAsPop(c, c.Arg(keyArg), max, popped);
    }

    /// <summary>ZMPOP and the blocking pops reach replicas as ZPOPMIN/ZPOPMAX key [popped count] (Redis 7.0).</summary>
    public static void PropagateAsPop(Client c, ReadOnlySpan<byte> key, bool max, long popped)
    {
        if (!c.Propagating) return;
        var word = max ? Propagation.ZPopMaxWord : Propagation.ZPopMinWord;
        if (popped < 0) c.PropagateAs(word, key.ToArray());
        else c.PropagateAs(word, key.ToArray(), Propagation.Number(popped));
    }

    // ---- random ------------------------------------------------------------------------------

    static void ZRandMember(Client c)
    {
        if (c.Argc == 2)
        {
            if (!TryLookup(c, c.Arg(1), write: false, out var one)) return;
            if (one == null) { c.Reply.Null(); return; }
            c.Reply.Bulk(one.WalkFrom(c.Server.Random.Next(one.Count)).Member);
            return;
        }
        // The count is checked before the options, as Redis does.
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long count)) { c.Error(Errors.NotInteger); return; }
        if (count == long.MinValue)
        {
            c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8);
            return;
        }
        if (c.Argc > 4 || c.Argc == 4 && !c.ArgIs(3, "withscores"u8)) { c.Error(Errors.Syntax); return; }
        bool withScores = c.Argc == 4;
        if (withScores && (count > long.MaxValue / 2 || count < -(long.MaxValue / 2))) { c.Error("ERR value is out of range"u8); return; }
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        if (zset == null || count == 0) { c.Reply.EmptyArray(); return; }
        bool nested = withScores && c.Protocol >= 3;
        if (count < 0)
        {
            long picks = -count;
            c.Reply.ArrayHeader(withScores && !nested ? picks * 2 : picks);
            for (long i = 0; i < picks; i++)
            {
                var w = zset.WalkFrom(c.Server.Random.Next(zset.Count));
                if (nested) c.Reply.ArrayHeader(2);
                c.Reply.Bulk(w.Member);
                if (withScores) c.Reply.Double(w.Score);
            }
            return;
        }
        if (count >= zset.Count)
        {
            // The whole set, which Redis answers as ZREVRANGE 0 -1.
            ReplyRange(c, zset, 0, zset.Count, reverse: true, withScores);
            return;
        }
        // Distinct picks, answered in order as Redis does for a listpack.
        Ids.Clear();
        var chosen = new HashSet<int>();
        if (count * 3 > zset.Count)
        {
            for (int i = 0; i < zset.Count; i++) Ids.Add(i);
            for (int i = 0; i < count; i++)
            {
                int j = i + c.Server.Random.Next(Ids.Count - i);
                (Ids[i], Ids[j]) = (Ids[j], Ids[i]);
            }
            Ids.RemoveRange((int)count, Ids.Count - (int)count);
        }
        else
        {
            while (chosen.Count < count)
            {
                int rank = c.Server.Random.Next(zset.Count);
                if (chosen.Add(rank)) Ids.Add(rank);
            }
        }
        Ids.Sort();
        c.Reply.ArrayHeader(withScores && !nested ? count * 2 : count);
        foreach (int rank in Ids)
        {
            var w = zset.WalkFrom(rank);
            if (nested) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(w.Member);
            if (withScores) c.Reply.Double(w.Score);
        }
    }

    // ---- ZUNION / ZINTER / ZDIFF -------------------------------------------------------------

    enum SetOp { Union, Inter, Diff }

    /// <summary>Insertion sort (a handful of inputs): equal cardinalities keep their argument order.</summary>
    static void SortByCardinalityStable(Source[] sources, int count)
    {
        for (int i = 1; i < count; i++)
        {
            var item = sources[i];
            int j = i - 1;
            for (; j >= 0 && sources[j].Count > item.Count; j--) sources[j + 1] = sources[j];
            sources[j + 1] = item;
        }
    }
    enum Aggregate { Sum, Min, Max }

    /// <summary>A source of ZUNION & co.: a sorted set, or a plain set whose members all score 1.</summary>
    readonly struct Source
    {
        public readonly ZSetObject? ZSet;
        public readonly SetObject? Set;
        public readonly double Weight;
        public Source(object? item, double weight) { ZSet = item as ZSetObject; Set = item as SetObject; Weight = weight; }
        public int Count => ZSet?.Count ?? Set?.Count ?? 0;

        public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
        {
            if (ZSet != null) return ZSet.TryGetScore(member, out score);
            score = 1;
            return Set != null && Set.Contains(member);
        }

        /// <summary>Visits every element (member, score) of the source.</summary>
        public void ForEach<TVisitor>(ref TVisitor visitor) where TVisitor : struct, IElementVisitor
        {
            if (ZSet != null)
            {
                if (ZSet.Count == 0) return;
                var w = ZSet.WalkFrom(0);
                for (int i = 0; i < ZSet.Count; i++, w.MoveNext()) visitor.Visit(w.Member, w.Score);
            }
            else if (Set != null)
            {
                Span<byte> scratch = stackalloc byte[20];
                for (int p = 0; p < Set.PositionLimit; p++)
                    if (Set.TryGetAt(p, scratch, out var m)) visitor.Visit(m, 1);
            }
        }
    }

    interface IElementVisitor { void Visit(ReadOnlySpan<byte> member, double score); }

    struct UnionVisitor : IElementVisitor
    {
        public MemberTable Result; public double Weight; public Aggregate Aggregate;
        public void Visit(ReadOnlySpan<byte> member, double score)
        {
            double value = Weight * score;
            if (double.IsNaN(value)) value = 0;
            int id = Result.Find(member);
            if (id < 0) { id = Result.Add(member); Result.Score(id) = value; }
            else Result.Score(id) = Combine(Result.Score(id), value, Aggregate);
        }
    }

    struct InterVisitor : IElementVisitor
    {
        public MemberTable Result; public Source[] Sources; public int SourceCount; public Aggregate Aggregate; public long Limit; public bool CountOnly;
        public void Visit(ReadOnlySpan<byte> member, double score)
        {
            if (CountOnly && Limit > 0 && Result.Count >= Limit) return;
            double value = Sources[0].Weight * score;
            if (double.IsNaN(value)) value = 0;
            for (int i = 1; i < SourceCount; i++)
            {
                if (!Sources[i].TryGetScore(member, out double other)) return;
                // Only the first set's product is reset from NaN (0 * inf) to 0, as in Redis: a later one
                // makes SUM NaN (then 0) and leaves MIN/MAX as they were.
                value = Combine(value, Sources[i].Weight * other, Aggregate);
            }
            if (Result.Find(member) >= 0) return;
            int id = Result.Add(member);
            Result.Score(id) = value;
        }
    }

    struct DiffVisitor : IElementVisitor
    {
        public MemberTable Result; public Source[] Sources; public int SourceCount;
        public void Visit(ReadOnlySpan<byte> member, double score)
        {
            for (int i = 1; i < SourceCount; i++)
                if (Sources[i].TryGetScore(member, out _)) return;
            int id = Result.Add(member);
            Result.Score(id) = score;
        }
    }

    static double Combine(double current, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                double sum = current + value;
                return double.IsNaN(sum) ? 0 : sum; // inf + -inf
            case Aggregate.Min: return value < current ? value : current;
            default: return value > current ? value : current;
        }
    }

    /// <summary>Redis's zunionInterDiffGenericCommand (also ZINTERCARD when cardinalityOnly).</summary>
    static void SetOperation(Client c, int storeArg, int numKeysArg, SetOp op, bool cardinalityOnly = false)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(numKeysArg), out long numKeys)) { c.Error(Errors.NotInteger); return; }
        if (numKeys < 1) { c.Error("ERR at least 1 input key is needed for '" + c.CurrentCommand!.Name + "' command"); return; }
        if (numKeys > c.Argc - numKeysArg - 1) { c.Error(Errors.Syntax); return; }
        int setCount = (int)numKeys;
        var sources = new Source[setCount];
        var items = new object?[setCount];
        for (int i = 0; i < setCount; i++)
        {
            var key = c.Arg(numKeysArg + 1 + i);
            var item = storeArg >= 0 ? c.Db.LookupWrite(key) : c.Db.LookupRead(key);
            if (item != null && item is not ZSetObject && item is not SetObject) { c.Error(Errors.WrongType); return; }
            items[i] = item;
        }
        var weights = new double[setCount];
        Array.Fill(weights, 1.0);
        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        int j = numKeysArg + 1 + setCount;
        while (j < c.Argc)
        {
            int remaining = c.Argc - j;
            if (op != SetOp.Diff && !cardinalityOnly && remaining >= setCount + 1 && c.ArgIs(j, "weights"u8))
            {
                j++;
                for (int i = 0; i < setCount; i++, j++)
                    if (!NumberParsing.TryParseDouble(c.Arg(j), out weights[i])) { c.Error("ERR weight value is not a float"u8); return; }
            }
            else if (op != SetOp.Diff && !cardinalityOnly && remaining >= 2 && c.ArgIs(j, "aggregate"u8))
            {
                if (c.ArgIs(j + 1, "sum"u8)) aggregate = Aggregate.Sum;
                else if (c.ArgIs(j + 1, "min"u8)) aggregate = Aggregate.Min;
                else if (c.ArgIs(j + 1, "max"u8)) aggregate = Aggregate.Max;
                else { c.Error(Errors.Syntax); return; }
                j += 2;
            }
            else if (storeArg < 0 && !cardinalityOnly && c.ArgIs(j, "withscores"u8)) { withScores = true; j++; }
            else if (cardinalityOnly && remaining >= 2 && c.ArgIs(j, "limit"u8))
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out limit) || limit < 0) { c.Error("ERR LIMIT can't be negative"u8); return; }
                j += 2;
            }
            else { c.Error(Errors.Syntax); return; }
        }
        for (int i = 0; i < setCount; i++) sources[i] = new Source(items[i], weights[i]);

        var result = new MemberTable(withScores: true);
        // Redis sorts the inputs smallest first (qsort by cardinality: glibc's is a stable merge sort)
        // for union and intersection alike; the order decides how a sum rounds near 2^53.
        if (op != SetOp.Diff) SortByCardinalityStable(sources, setCount);
        switch (op)
        {
            case SetOp.Union:
                for (int i = 0; i < setCount; i++)
                {
                    var visitor = new UnionVisitor { Result = result, Weight = sources[i].Weight, Aggregate = aggregate };
                    sources[i].ForEach(ref visitor);
                }
                break;
            case SetOp.Inter:
                // Walk the smallest input, probe the others (a missing key makes the result empty).
                if (sources[0].Count > 0)
                {
                    var visitor = new InterVisitor { Result = result, Sources = sources, SourceCount = setCount, Aggregate = aggregate, Limit = limit, CountOnly = cardinalityOnly };
                    sources[0].ForEach(ref visitor);
                }
                break;
            default:
                {
                    var visitor = new DiffVisitor { Result = result, Sources = sources, SourceCount = setCount };
                    sources[0].ForEach(ref visitor);
                    break;
                }
        }
        if (cardinalityOnly)
        {
            c.Reply.Integer(limit > 0 ? Math.Min(limit, result.Count) : result.Count);
            return;
        }
        // Order the result as a sorted set would.
        Ids.Clear();
        int longest = 0;
        for (int id = 0; id < result.HighWater; id++)
        {
            if (!result.IsLive(id)) continue;
            Ids.Add(id);
            longest = Math.Max(longest, result.Member(id).Length);
        }
        Ids.Sort((a, b) => ScoreTree.CompareElements(result.Score(a), result.Member(a), result.Score(b), result.Member(b)));
        if (storeArg < 0)
        {
            bool nested = withScores && c.Protocol >= 3;
            c.Reply.ArrayHeader(withScores && !nested ? Ids.Count * 2L : Ids.Count);
            foreach (int id in Ids)
            {
                if (nested) c.Reply.ArrayHeader(2);
                c.Reply.Bulk(result.Member(id));
                if (withScores) c.Reply.Double(result.Score(id));
            }
            return;
        }
        if (Ids.Count == 0)
        {
            c.Reply.Integer(0);
            DeleteDestination(c, storeArg);
            return;
        }
        var stored = ZSetObject.CreateForResult(c.ArgBytes(storeArg), Ids.Count, longest, MaxEntries(c), MaxValue(c));
        foreach (int id in Ids) stored.Insert(result.Member(id), result.Score(id), long.MaxValue, long.MaxValue);
        c.Db.Set(stored);
        c.Reply.Integer(Ids.Count);
        c.Server.SignalKeyChange(c, c.Db, c.Arg(storeArg), op switch { SetOp.Union => "zunionstore", SetOp.Inter => "zinterstore", _ => "zdiffstore" });
        c.Server.Dirty++;
    }

    // ---- ZSCAN -------------------------------------------------------------------------------

    static void ZScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!TryLookup(c, c.Arg(1), write: false, out var zset)) return;
        if (zset == null) { CollectionScan.ReplyHeader(c, 0, 0); return; }
        if (!CollectionScan.TryParseOptions(c, 3, out int patternArg, out long count)) return;
        Ids.Clear();
        bool listpack = zset.IsListpack;
        if (listpack) cursor = zset.Scan(cursor, Ids);
        else
        {
            long buckets = CollectionScan.MaxBuckets(count);
            do cursor = zset.Scan(cursor, Ids);
            while (cursor != 0 && --buckets > 0 && Ids.Count < count);
        }
        // A listpack is answered in order; ranks walk it once.
        var walker = listpack && zset.Count > 0 ? zset.WalkFrom(0) : default;
        int kept = 0;
        Span<byte> text = stackalloc byte[32];
        var pattern = patternArg >= 0 ? c.Arg(patternArg) : default;
        bool filter = patternArg >= 0 && !(pattern.Length == 1 && pattern[0] == '*');
        // Two passes: count matches, then reply.
        for (int i = 0; i < Ids.Count; i++)
        {
            var member = listpack ? walker.Member : zset.MemberById(Ids[i]);
            if (!filter || Glob.Match(pattern, member)) Ids[kept++] = listpack ? i : Ids[i];
            if (listpack) walker.MoveNext();
        }
        Ids.RemoveRange(kept, Ids.Count - kept);
        CollectionScan.ReplyHeader(c, cursor, Ids.Count * 2);
        foreach (int idOrRank in Ids)
        {
            if (listpack)
            {
                var w = zset.WalkFrom(idOrRank);
                c.Reply.Bulk(w.Member);
                c.Reply.Bulk(text[..FormatListpackScore(w.Score, text)]);
            }
            else
            {
                c.Reply.Bulk(zset.MemberById(idOrRank));
                c.Reply.Bulk(text[..DoubleFormat.Format17g(zset.ScoreById(idOrRank), text)]);
            }
        }
    }

    /// <summary>A listpack keeps integral scores (|x| &lt;= 2^62) as integers, which ZSCAN shows as such.</summary>
    static int FormatListpackScore(double score, Span<byte> text)
    {
        if (score >= -(double)(long.MaxValue / 2) && score <= long.MaxValue / 2 && score == Math.Floor(score))
            return NumberParsing.FormatInt64((long)score, text);
        return DoubleFormat.Format17g(score, text);
    }
}
