// The blocking sorted-set commands: BZPOPMIN BZPOPMAX BZMPOP. Like the list ones, each pops from
// the first non-empty key it is given, answers at once inside MULTI, or parks the client through
// Blocking until a key holds a sorted set again (the command then runs anew with its saved arguments).
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static partial class BlockingCommands
{
    static void RegisterSortedSetCommands(CommandTable t)
    {
        const CommandFlags BlockingWrite = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Blocking | CommandFlags.Fast;
        string[] categories = ["write", "sortedset", "fast", "blocking"];
        t.Add(new Command { Name = "bzpopmin", Arity = -3, Flags = BlockingWrite, Handler = c => BZPop(c, min: true), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "sorted_set", Since = "5.0.0", Categories = categories });
        t.Add(new Command { Name = "bzpopmax", Arity = -3, Flags = BlockingWrite, Handler = c => BZPop(c, min: false), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "sorted_set", Since = "5.0.0", Categories = categories });
        t.Add(new Command { Name = "bzmpop", Arity = -5, Flags = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Blocking, Handler = BZMPop, Group = "sorted_set", Since = "7.0.0", Categories = ["write", "sortedset", "slow", "blocking"] });
    }

    static void BZPop(Client c, bool min)
    {
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(c.Argc - 1), out long timeoutAt)) return;
        ZPopFirstNonEmptyOrBlock(c, 1, c.Argc - 2, min, count: -1, timeoutAt);
    }

    static void BZMPop(Client c)
    {
        if (!ParseZMPop(c, 2, out long numKeys, out bool min, out long count)) return;
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(1), out long timeoutAt)) return;
        ZPopFirstNonEmptyOrBlock(c, 3, (int)numKeys, min, count, timeoutAt);
    }

    /// <summary>BZMPOP's numkeys, MIN|MAX and COUNT, checked before the timeout as Redis does.</summary>
    static bool ParseZMPop(Client c, int numKeysArg, out long numKeys, out bool min, out long count)
    {
        min = false;
        count = -1;
        if (!Common.Text.NumberParsing.TryParseInt64(c.Arg(numKeysArg), out numKeys) || numKeys < 1)
        {
            c.Error("ERR numkeys should be greater than 0"u8);
            return false;
        }
        long sideArg = numKeysArg + numKeys + 1;
        if (sideArg >= c.Argc) { c.Error(Errors.Syntax); return false; }
        min = c.ArgIs((int)sideArg, "min"u8);
        if (!min && !c.ArgIs((int)sideArg, "max"u8)) { c.Error(Errors.Syntax); return false; }
        for (int j = (int)sideArg + 1; j < c.Argc; j++)
        {
            if (count == -1 && c.ArgIs(j, "count"u8) && j + 1 < c.Argc)
            {
                j++;
                if (!Common.Text.NumberParsing.TryParseInt64(c.Arg(j), out count) || count < 1)
                {
                    c.Error("ERR count should be greater than 0"u8);
                    return false;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        if (count == -1) count = 1;
        return true;
    }

    /// <summary>BZPOPMIN/BZPOPMAX (count -1: flat [key, member, score]) and BZMPOP ([key, [[member, score]...]]).</summary>
    static void ZPopFirstNonEmptyOrBlock(Client c, int firstKey, int keyCount, bool min, long count, long timeoutAt)
    {
        for (int j = firstKey; j < firstKey + keyCount; j++)
        {
            var key = c.Arg(j);
            var item = c.Db.LookupWrite(key);
            if (item == null) continue;
            if (item is not ZSetObject zset)
            {
                c.Error(Errors.WrongType);
                return;
            }
            if (zset.Count == 0) continue;
            PopSortedSetAndReply(c, key, zset, min, count);
            return;
        }
        if (!Csredis.Server.Blocking.MayBlock(c))
        {
            c.Reply.NullArray();
            return;
        }
        c.Server.Blocking.Block(c, firstKey, keyCount, timeoutAt, ObjectType.ZSet);
    }

    static void PopSortedSetAndReply(Client c, ReadOnlySpan<byte> key, ZSetObject zset, bool min, long count)
    {
        int n = (int)Math.Min(count < 0 ? 1 : count, zset.Count);
        int firstRank = min ? 0 : zset.Count - 1;
        var walker = zset.WalkFrom(firstRank);
        var r = c.Reply;
        if (count < 0)
        {
            r.ArrayHeader(3);
            r.Bulk(key);
            r.Bulk(walker.Member);
            r.Double(walker.Score);
        }
        else
        {
            r.ArrayHeader(2);
            r.Bulk(key);
            r.ArrayHeader(n);
            for (int i = 0; i < n; i++)
            {
                r.ArrayHeader(2);
                r.Bulk(walker.Member);
                r.Double(walker.Score);
                if (min) walker.MoveNext(); else walker.MovePrev();
            }
        }
        zset.RemoveRankRange(min ? 0 : zset.Count - n, n);
        c.Server.Dirty += n;
        c.Server.SignalKeyChange(c, c.Db, key, min ? "zpopmin" : "zpopmax");
        if (zset.Count == 0)
        {
            c.Db.Delete(key);
            c.Server.SignalKeyChange(c, c.Db, key, "del");
        }
    }
}
