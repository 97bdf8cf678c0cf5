// Transaction commands: MULTI EXEC DISCARD WATCH UNWATCH. The queue and the watched-key
// bookkeeping live in Transactions.cs; EXEC replays the queue with the command time frozen, so
// every queued command sees the same clock for expiry decisions, as in Redis.
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class TransactionCommands
{
    const CommandFlags TxFlags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.AllowBusy;

    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "multi", Arity = 1, Flags = TxFlags | CommandFlags.Fast, Handler = Multi, Group = "transactions", Since = "1.2.0", Categories = ["fast", "transaction"] });
        t.Add(new Command { Name = "exec", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.SkipSlowlog, Handler = Exec, Group = "transactions", Since = "1.2.0", Categories = ["slow", "transaction"] });
        t.Add(new Command { Name = "discard", Arity = 1, Flags = TxFlags | CommandFlags.Fast, Handler = Discard, Group = "transactions", Since = "2.0.0", Categories = ["fast", "transaction"] });
        t.Add(new Command { Name = "watch", Arity = -2, Flags = TxFlags | CommandFlags.Fast, Handler = Watch, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "transactions", Since = "2.2.0", Categories = ["fast", "transaction"] });
        t.Add(new Command { Name = "unwatch", Arity = 1, Flags = TxFlags | CommandFlags.Fast, Handler = Unwatch, Group = "transactions", Since = "2.2.0", Categories = ["fast", "transaction"] });
    }

    static void Multi(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) != 0)
        {
            c.Error("ERR MULTI calls can not be nested"u8);
            return;
        }
        Transactions.Begin(c);
        c.Reply.Ok();
    }

    static void Discard(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) == 0)
        {
            c.Error("ERR DISCARD without MULTI"u8);
            return;
        }
        Transactions.Discard(c);
        c.Server.Transactions.UnwatchAll(c);
        c.Reply.Ok();
    }

    static void Exec(Client c)
    {
        var server = c.Server;
        if ((c.Flags & ClientFlags.Multi) == 0)
        {
            c.Error("ERR EXEC without MULTI"u8);
            return;
        }
        if ((c.Flags & ClientFlags.DirtyExec) != 0)
        {
            Transactions.Discard(c);
            server.Transactions.UnwatchAll(c);
            c.Error("EXECABORT Transaction discarded because of previous errors."u8);
            return;
        }
        if ((c.Flags & ClientFlags.DirtyCas) != 0 || server.Transactions.AnyWatchedKeyExpired(c))
        {
            Transactions.Discard(c);
            server.Transactions.UnwatchAll(c);
            c.Reply.NullArray();
            return;
        }
        // Unwatch first: the queued commands' own writes must not mark this client dirty.
        server.Transactions.UnwatchAll(c);
        var queue = c.MultiQueue!;
        c.Reply.ArrayHeader(queue.Count);
        server.CommandTimeFrozen++;
        try
        {
            foreach (var (cmd, args) in queue)
            {
                if (c.IsClosing) break;
                c.ExecuteWithArgs(cmd, args);
            }
        }
        finally
        {
            server.CommandTimeFrozen--;
            Transactions.Discard(c);
        }
    }

    static void Watch(Client c)
    {
        if ((c.Flags & ClientFlags.Multi) != 0)
        {
            c.Error("ERR WATCH inside MULTI is not allowed"u8);
            return;
        }
        // A dirty client's EXEC fails anyway: Redis stops tracking more keys for it.
        if ((c.Flags & ClientFlags.DirtyCas) == 0)
            for (int j = 1; j < c.Argc; j++) c.Server.Transactions.Watch(c, c.Db, c.Arg(j));
        c.Reply.Ok();
    }

    static void Unwatch(Client c)
    {
        c.Server.Transactions.UnwatchAll(c);
        c.Flags &= ~ClientFlags.DirtyCas;
        c.Reply.Ok();
    }
}
