// The blocking list commands: BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH. Each first tries its
// non-blocking form with ListCommands' shared pieces; with nothing to pop it answers at once inside
// MULTI (as Redis does for a client that may not block) or parks the client on its keys through
// Blocking. When a key gets elements the command runs again with its saved arguments.
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static partial class BlockingCommands
{
    static void RegisterListCommands(CommandTable t)
    {
        const CommandFlags BlockingWrite = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Blocking;
        string[] categories = ["write", "list", "slow", "blocking"];
        t.Add(new Command { Name = "blpop", Arity = -3, Flags = BlockingWrite, Handler = c => BPop(c, left: true), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "list", Since = "2.0.0", Categories = categories });
        t.Add(new Command { Name = "brpop", Arity = -3, Flags = BlockingWrite, Handler = c => BPop(c, left: false), FirstKey = 1, LastKey = -2, KeyStep = 1, Group = "list", Since = "2.0.0", Categories = categories });
        t.Add(new Command { Name = "blmpop", Arity = -5, Flags = CommandFlags.Write | CommandFlags.Blocking, Handler = BLMPop, Group = "list", Since = "7.0.0", Categories = categories });
        t.Add(new Command { Name = "blmove", Arity = 6, Flags = BlockingWrite | CommandFlags.DenyOom, Handler = BLMove, FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "list", Since = "6.2.0", Categories = categories });
        t.Add(new Command { Name = "brpoplpush", Arity = 4, Flags = BlockingWrite | CommandFlags.DenyOom, Handler = BRPopLPush, FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "list", Since = "2.2.0", Categories = categories });
    }

    static void BPop(Client c, bool left)
    {
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(c.Argc - 1), out long timeoutAt)) return;
        PopFirstNonEmptyOrBlock(c, 1, c.Argc - 2, left, count: -1, timeoutAt);
    }

    static void BLMPop(Client c)
    {
        if (!ListCommands.ParseMPop(c, 2, out long numKeys, out bool left, out long count)) return;
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(1), out long timeoutAt)) return;
        PopFirstNonEmptyOrBlock(c, 3, (int)numKeys, left, count, timeoutAt);
    }

    /// <summary>Redis's blockingPopGenericCommand: the first non-empty list of the keys is popped; none blocks.</summary>
    static void PopFirstNonEmptyOrBlock(Client c, int firstKey, int keyCount, bool left, long count, long timeoutAt)
    {
        for (int j = firstKey; j < firstKey + keyCount; j++)
        {
            var key = c.Arg(j);
            if (!ListCommands.TryList(c, c.Db.LookupWrite(key), out var list)) return;
            if (list == null || list.Count == 0) continue;
            long popped = count < 0 ? -1 : Math.Min(count, list.Count);
            ListCommands.PopAndReply(c, c.Db, key, list, left, count, withKey: true);
            ListCommands.PropagateAsPop(c, key, left, popped);
            return;
        }
        if (!Csredis.Server.Blocking.MayBlock(c))
        {
            c.Reply.NullArray();
            return;
        }
        c.Server.Blocking.Block(c, firstKey, keyCount, timeoutAt, ObjectType.List);
    }

    static void BLMove(Client c)
    {
        if (!ListCommands.ParseSide(c, 3, out bool fromLeft) || !ListCommands.ParseSide(c, 4, out bool toLeft)) return;
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(5), out long timeoutAt)) return;
        MoveOrBlock(c, fromLeft, toLeft, timeoutAt);
    }

    static void BRPopLPush(Client c)
    {
        if (!Csredis.Server.Blocking.TryParseTimeout(c, c.Arg(3), out long timeoutAt)) return;
        MoveOrBlock(c, fromLeft: false, toLeft: true, timeoutAt);
    }

    static void MoveOrBlock(Client c, bool fromLeft, bool toLeft, long timeoutAt)
    {
        var sourceKey = c.Arg(1);
        if (!ListCommands.TryList(c, c.Db.LookupWrite(sourceKey), out var source)) return;
        if (source == null)
        {
            if (!Csredis.Server.Blocking.MayBlock(c)) c.Reply.Null();
            else c.Server.Blocking.Block(c, 1, 1, timeoutAt, ObjectType.List);
            return;
        }
        if (!ListCommands.TryList(c, c.Db.LookupWrite(c.Arg(2)), out var destination)) return;
        ListCommands.MoveAndReply(c, c.Db, sourceKey, source, c.Arg(2), destination, fromLeft, toLeft);
        // Served at once or later, the blocking form reaches replicas as its non-blocking twin.
        if (c.Propagating)
        {
            if (c.Argc == 6) c.PropagateAs(Propagation.LMoveWord, c.ArgBytes(1), c.ArgBytes(2), c.ArgBytes(3), c.ArgBytes(4));
            else c.PropagateAs(Propagation.RPopLPushWord, c.ArgBytes(1), c.ArgBytes(2));
        }
    }
}
