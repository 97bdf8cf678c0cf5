// CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the typed entries of Config/ConfigRegistry.cs.
// GET matches glob patterns against names and aliases; SET applies all pairs or none (a failed
// value rolls the earlier ones back, as Redis 7 does); REWRITE hands the file surgery to
// Common/Config/ConfigRewriter.cs and adds what Redis adds on its own (dir, save, the ACL user line).
using System.Security.Cryptography;
using System.Text;
using Csredis.Common.Config;
using Csredis.Common.Logging;
using Csredis.Common.Text;
using Csredis.Server.Config;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class ConfigCommands
{
    public static void Register(CommandTable t)
    {
        var admin = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
        t.Add(new Command { Name = "config", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "server", Categories = ["slow"], Since = "2.0.0" }.WithSubcommands(
            new Command { Name = "config|get", Arity = -3, Flags = admin, Handler = Get, Group = "server", Categories = ["admin", "slow", "dangerous"], Since = "2.0.0" },
            new Command { Name = "config|set", Arity = -4, Flags = admin, Handler = Set, Group = "server", Categories = ["admin", "slow", "dangerous"], Since = "2.0.0" },
            new Command { Name = "config|resetstat", Arity = 2, Flags = admin, Handler = ResetStat, Group = "server", Categories = ["admin", "slow", "dangerous"], Since = "2.0.0" },
            new Command { Name = "config|rewrite", Arity = 2, Flags = admin, Handler = Rewrite, Group = "server", Categories = ["admin", "slow", "dangerous"], Since = "2.8.0" },
            new Command { Name = "config|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = Help, Group = "server", Categories = ["slow"], Since = "5.0.0" }));
    }

    static void Get(Client c)
    {
        var registry = c.Server.Config.Registry;
        // Name shown -> value; a directive matched under several names is shown under each, as Redis does.
        var found = new List<(string Name, string Value)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 2; j < c.Argc; j++)
        {
            var pattern = c.ArgBytes(j);
            if (pattern.AsSpan().IndexOfAny("*?["u8) < 0)
            {
                // A plain name is looked up directly and answered under the name as the client wrote it.
                string given = c.ArgString(j);
                var exact = registry.Find(given);
                if (exact != null && seen.Add(given.ToLowerInvariant())) found.Add((given, exact.Get()));
                continue;
            }
            foreach (var entry in registry.Entries)
            {
                Consider(entry.Name, entry);
                foreach (var alias in entry.Aliases) Consider(alias, entry);
            }

            void Consider(string name, ConfigEntry entry)
            {
                if (seen.Contains(name)) return;
                if (!Glob.Match(pattern, Encoding.ASCII.GetBytes(name), noCase: true)) return;
                seen.Add(name);
                found.Add((name, entry.Get()));
            }
        }
        c.Reply.MapHeader(found.Count);
        foreach (var (name, value) in found)
        {
            c.Reply.Bulk(name);
            c.Reply.Bulk(value);
        }
    }

    static void Set(Client c)
    {
        if ((c.Argc - 2) % 2 != 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        var config = c.Server.Config;
        var changes = new List<(ConfigEntry Entry, string Value, string OldValue, string GivenName)>();
        for (int j = 2; j < c.Argc; j += 2)
        {
            string name = c.ArgString(j);
            var entry = config.Registry.Find(name);
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
            if (entry.Protected && !config.ProtectedConfigsAllowed(c))
            {
                c.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config");
                return;
            }
            foreach (var other in changes)
                if (other.Entry == entry)
                {
                    c.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter");
                    return;
                }
            changes.Add((entry, c.ArgString(j + 1), entry.Get(), name));
        }
        for (int i = 0; i < changes.Count; i++)
        {
            var (entry, value, _, givenName) = changes[i];
            string? error = entry.Set(SplitValue(entry, value));
            if (error == null) continue;
            // All or nothing, as in Redis 7: restore what was already applied.
            for (int k = 0; k < i; k++) changes[k].Entry.Set(SplitValue(changes[k].Entry, changes[k].OldValue));
            c.Error($"ERR CONFIG SET failed (possibly related to argument '{givenName}') - {error}");
            return;
        }
        foreach (var (entry, _, _, givenName) in changes)
        {
            string? error = entry.ApplyChange?.Invoke();
            if (error == null) continue;
            // Roll back every value, then let each effect follow its old value again.
            foreach (var change in changes) change.Entry.Set(SplitValue(change.Entry, change.OldValue));
            foreach (var change in changes) change.Entry.ApplyChange?.Invoke();
            c.Error($"ERR CONFIG SET failed (possibly related to argument '{givenName}') - {error}");
            return;
        }
        foreach (var change in changes)
            if (change.Entry.Accepted) Log.Warning(AcceptedDirectives.Warning(change.Entry.Name));
        c.Server.OnConfigChanged();
        c.Reply.Ok();
    }

    /// <summary>A multi-word directive's value is split like a config file line (save "900 1 300 10").</summary>
    static string[] SplitValue(ConfigEntry entry, string value) =>
        entry.MultiArg ? (value.Length == 0 ? [] : ArgSplitter.Split(value) ?? [value]) : [value];

    static void ResetStat(Client c)
    {
        c.Server.ResetStats();
        c.Reply.Ok();
    }

    static void Rewrite(Client c)
    {
        var config = c.Server.Config;
        if (config.ConfigFile.Length == 0)
        {
            c.Error("ERR The server is running without a config file"u8);
            return;
        }
        try
        {
            string content = RewriteContent(config);
            ConfigRewriter.WriteAtomically(config.ConfigFile, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = ConfigFile.OpenErrorReason(e);
            Log.Warning($"CONFIG REWRITE failed: {reason}");
            c.Error($"ERR Rewriting config file: {reason}");
            return;
        }
        Log.Notice("CONFIG REWRITE executed with success.");
        c.Reply.Ok();
    }

    /// <summary>The configuration file's new text: the old file with every directive brought up to date.</summary>
    /// <param name="sentinelLines">In sentinel mode, writes the sentinel's state ("sentinel ..." lines) into the same file.</param>
    public static string RewriteContent(ServerConfig config, Action<ConfigRewriter>? sentinelLines = null)
    {
        string old = File.Exists(config.ConfigFile) ? File.ReadAllText(config.ConfigFile) : "";
        var rewriter = new ConfigRewriter(old, args => OptionKey(config, args));
        foreach (var entry in config.Registry.Entries)
        {
            // A sentinel saves no snapshots: its file never gets save lines (Redis's rewriteConfigSaveOption).
            if (sentinelLines != null && entry.Name == "save")
            {
                rewriter.Remove(entry.Name);
                continue;
            }
            if ((entry.EmptyIsAbsent || entry.Name == "replicaof") && entry.Get().Length == 0)
            {
                rewriter.Remove(entry.Name);
                continue;
            }
            var defaults = entry.DefaultLines();
            foreach (var value in entry.LinesForRewrite())
            {
                bool force = entry.AlwaysRewrite || !defaults.Contains(value);
                rewriter.RewriteLine(entry.Name, entry.Name + " " + value, force);
            }
        }
        // The ACL part of the rewrite: the default user, its password as a SHA-256 digest.
        string password = config.RequirePass.Length == 0
            ? "nopass"
            : "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config.RequirePass)));
        rewriter.RewriteLine("user", $"user default on {password} ~* &* +@all", force: true);
        rewriter.Remove("user");
        sentinelLines?.Invoke(rewriter);
        return rewriter.Content();
    }

    static string OptionKey(ServerConfig config, string[] args)
    {
        string name = args[0].ToLowerInvariant();
        // Sentinel lines are rewritten per subcommand ("sentinel monitor", "sentinel known-replica"...).
        if (name == "sentinel" && args.Length > 1)
        {
            string sub = args[1].ToLowerInvariant();
            return "sentinel " + (sub == "known-slave" ? "known-replica" : sub);
        }
        return config.Registry.Find(name)?.Name ?? name;
    }

    static void Help(Client c)
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
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }
}
