// Server administration commands: DBSIZE FLUSHDB FLUSHALL CONFIG SHUTDOWN TIME.
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
        var admin = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
        t.Add(new Command { Name = "config", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "server", Categories = ["slow"] }.WithSubcommands(
            new Command { Name = "config|get", Arity = -3, Flags = admin, Handler = ConfigGet, Group = "server", Categories = ["admin", "slow", "dangerous"] },
            new Command { Name = "config|set", Arity = -4, Flags = admin, Handler = ConfigSet, Group = "server", Categories = ["admin", "slow", "dangerous"] },
            new Command { Name = "config|resetstat", Arity = 2, Flags = admin, Handler = ConfigResetStat, Group = "server", Categories = ["admin", "slow", "dangerous"] },
            new Command { Name = "config|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = ConfigHelp, Group = "server", Categories = ["slow"] }));
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
        bool? save = null;
        for (int j = 1; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "nosave"u8)) save = false;
            else if (c.ArgIs(j, "save"u8)) save = true;
            else if (c.ArgIs(j, "now"u8) || c.ArgIs(j, "force"u8)) { }
            else if (c.ArgIs(j, "abort"u8) && c.Argc == 2)
            {
                c.Error("ERR No shutdown in progress."u8);
                return;
            }
            else { c.Error(Errors.Syntax); return; }
        }
        c.Server.ShutdownSave = save;
        c.Server.TryShutdown();
        // Only reached when a shutdown hook refused (a failed final save): Redis's reply.
        c.Error("ERR Errors trying to SHUTDOWN. Check logs."u8);
    }

    static void ConfigGet(Client c)
    {
        var registry = c.Server.Config.Registry;
        var matches = new List<Config.ConfigEntry>();
        for (int j = 2; j < c.Argc; j++)
        {
            var pattern = c.Arg(j);
            foreach (var entry in registry.Entries)
            {
                if (matches.Contains(entry)) continue;
                if (Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(entry.Name), noCase: true)) matches.Add(entry);
            }
        }
        c.Reply.MapHeader(matches.Count);
        foreach (var entry in matches)
        {
            c.Reply.Bulk(entry.Name);
            c.Reply.Bulk(entry.Get());
        }
    }

    static void ConfigSet(Client c)
    {
        if ((c.Argc - 2) % 2 != 0)
        {
            c.Error("ERR wrong number of arguments for 'config|set' command"u8);
            return;
        }
        var registry = c.Server.Config.Registry;
        var changes = new List<(Config.ConfigEntry Entry, string Value, string OldValue)>();
        for (int j = 2; j < c.Argc; j += 2)
        {
            string name = c.ArgString(j);
            var entry = registry.Find(name);
            if (entry == null)
            {
                c.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{name}'");
                return;
            }
            if (entry.Immutable)
            {
                c.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config");
                return;
            }
            foreach (var other in changes)
                if (other.Entry == entry)
                {
                    c.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter");
                    return;
                }
            changes.Add((entry, c.ArgString(j + 1), entry.Get()));
        }
        for (int i = 0; i < changes.Count; i++)
        {
            var (entry, value, _) = changes[i];
            var args = entry.MultiArg ? ArgSplitter.Split(value) ?? [value] : [value];
            string? error = entry.Set(args);
            if (error == null) continue;
            // All or nothing, as in Redis 7: restore what was already applied.
            for (int k = 0; k < i; k++)
            {
                var prev = changes[k];
                prev.Entry.Set(prev.Entry.MultiArg ? ArgSplitter.Split(prev.OldValue) ?? [prev.OldValue] : [prev.OldValue]);
            }
            c.Error($"ERR CONFIG SET failed (possibly related to argument '{entry.Name}') - {error}");
            return;
        }
        c.Server.OnConfigChanged();
        c.Reply.Ok();
    }

    static void ConfigResetStat(Client c)
    {
        c.Server.ResetStats();
        c.Reply.Ok();
    }

    static void ConfigHelp(Client c)
    {
        string[] lines =
        [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Print this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }
}
