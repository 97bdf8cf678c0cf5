// Server administration commands: DBSIZE FLUSHDB FLUSHALL SHUTDOWN TIME.
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static partial class ServerCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "dbsize", Arity = 1, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => c.Reply.Integer(c.Db.Count), Group = "server", Categories = ["keyspace", "read", "fast"] });
        t.Add(new Command { Name = "flushdb", Arity = -1, Flags = CommandFlags.Write, Handler = FlushDb, Group = "server", Categories = ["keyspace", "write", "slow", "dangerous"] });
        t.Add(new Command { Name = "flushall", Arity = -1, Flags = CommandFlags.Write, Handler = FlushAll, Group = "server", Categories = ["keyspace", "write", "slow", "dangerous"] });
        t.Add(new Command { Name = "time", Arity = 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Handler = Time, Group = "server", Categories = ["fast"] });
        t.Add(new Command { Name = "shutdown", Arity = -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.NoMulti | CommandFlags.AllowBusy, Handler = Shutdown, Group = "server", Categories = ["admin", "slow", "dangerous"] });
    }

    /// <summary>Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL; false after a syntax error reply.</summary>
    static bool ParseFlushMode(Client c)
    {
        if (c.Argc == 1) return true;
        if (c.Argc == 2 && (c.ArgIs(1, "async"u8) || c.ArgIs(1, "sync"u8))) return true;
        c.Error(Errors.Syntax);
        return false;
    }

    static void FlushDb(Client c)
    {
        if (!ParseFlushMode(c)) return;
        c.Server.SignalFlush(c, c.Db.Id);
        c.Server.Dirty += c.Db.Count;
        c.Db.Flush();
        c.Reply.Ok();
    }

    static void FlushAll(Client c)
    {
        if (!ParseFlushMode(c)) return;
        c.Server.SignalFlush(c, -1);
        foreach (var db in c.Server.Databases)
        {
            c.Server.Dirty += db.Count;
            db.Flush();
        }
        c.Server.Persistence.AfterFlushAll();
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    static void Time(Client c)
    {
        long us = Common.Clock.UnixUs();
        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger(us / 1_000_000);
        c.Reply.BulkInteger(us % 1_000_000);
    }

    static void Shutdown(Client c)
    {
        bool save = false, noSave = false, now = false, force = false, abort = false;
        for (int j = 1; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "nosave"u8)) noSave = true;
            else if (c.ArgIs(j, "save"u8)) save = true;
            else if (c.ArgIs(j, "now"u8)) now = true;
            else if (c.ArgIs(j, "force"u8)) force = true;
            else if (c.ArgIs(j, "abort"u8)) abort = true;
            else { c.Error(Errors.Syntax); return; }
        }
        // Redis refuses ABORT with any other flag, and SAVE with NOSAVE, once every word is known.
        if ((abort && (save || noSave || now || force)) || (save && noSave))
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (abort)
        {
            // A shutdown here never waits (for lagging replicas), so none is ever in progress to abort.
            c.Error("ERR No shutdown in progress."u8);
            return;
        }
        c.Server.ShutdownSave = save ? true : noSave ? false : null;
        c.Server.TryShutdown();
        // Only reached when a shutdown hook refused (a failed final save): Redis's reply.
        c.Error("ERR Errors trying to SHUTDOWN. Check logs."u8);
    }
}
