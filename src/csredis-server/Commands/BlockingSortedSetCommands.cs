// The blocking sorted-set commands: BZPOPMIN BZPOPMAX BZMPOP. Like the list ones, each pops from
// the first non-empty key it is given (SortedSetCommands' shared lookup, parsing and PopAndReply),
// answers at once inside MULTI, or parks the client through Blocking until a key holds a sorted
// set again; the command then runs anew with its saved arguments.
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static partial class BlockingCommands
{
    static void RegisterSortedSetCommands(CommandTable t)
    {
        const CommandFlags BlockingWrite = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Blocking;
        string[] fast = ["write", "sortedset", "fast", "blocking"];
        t.Add(new Command { Name = "bzpopmin", Arity = -3, Flags = BlockingWrite | CommandFlags.Fast, Handler = c => BZPop(c, max: false), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "sorted-set", Since = "5.0.0", Categories = fast });
        t.Add(new Command { Name = "bzpopmax", Arity = -3, Flags = BlockingWrite | CommandFlags.Fast, Handler = c => BZPop(c, max: true), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "sorted-set", Since = "5.0.0", Categories = fast });
        t.Add(new Command { Name = "bzmpop", Arity = -5, Flags = CommandFlags.Write | CommandFlags.Blocking, Handler = BZMPop, Group = "sorted-set", Since = "7.0.0", Categories = ["write", "sortedset", "slow", "blocking"] });
    }

    static void BZPop(Client c, bool max)
    {
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(c.Argc - 1), out long timeoutAt)) return;
        ZPopFirstNonEmptyOrBlock(c, 1, c.Argc - 2, max, count: 1, ZPopReply.KeyMemberScore, timeoutAt);
    }

    static void BZMPop(Client c)
    {
        // numkeys, MIN|MAX and COUNT are checked before the timeout, as Redis does.
        if (!SortedSetCommands.TryParseMPop(c, 2, out int numKeys, out bool max, out long count)) return;
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(1), out long timeoutAt)) return;
        ZPopFirstNonEmptyOrBlock(c, 3, numKeys, max, count, ZPopReply.KeyAndPairs, timeoutAt);
    }

    static void ZPopFirstNonEmptyOrBlock(Client c, int firstKey, int keyCount, bool max, long count, ZPopReply shape, long timeoutAt)
    {
        if (!SortedSetCommands.TryFindFirstNonEmpty(c, firstKey, keyCount, out int keyArg, out var zset)) return;
        if (zset != null)
        {
            long popped = Math.Min(count, zset.Count);
            SortedSetCommands.PopAndReply(c, c.Arg(keyArg), zset, max, count, shape);
            SortedSetCommands.PropagateAsPop(c, c.Arg(keyArg), max, shape == ZPopReply.KeyMemberScore ? -1 : popped);
            return;
        }
        if (!Csredis.Server.Blocking.MayBlock(c))
        {
            c.Reply.NullArray();
            return;
        }
        c.Server.Blocking.Block(c, firstKey, keyCount, timeoutAt, ObjectType.ZSet);
    }
}
