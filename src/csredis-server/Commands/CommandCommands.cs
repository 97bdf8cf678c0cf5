// COMMAND: the command table as clients see it (Redis's commandCommand and friends): plain
// COMMAND, COUNT, INFO, DOCS, LIST [FILTERBY], GETKEYS, GETKEYSANDFLAGS, HELP. Name, arity,
// flags, legacy key positions and ACL categories come from our own Command objects, so they
// describe what this server really does; documentation, tips and key specs come from the
// captured Redis 7.0 table (CommandDocs), with key specs derived from the legacy positions when
// the table has none. GETKEYS interprets the key specs as Redis does.
using System.Text;
using Csredis.Common.Resp;
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class CommandCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags flags = CommandFlags.Loading | CommandFlags.Stale;
        string[] cats = ["slow", "connection"];
        t.Add(new Command { Name = "command", Arity = -1, Flags = flags, Handler = All, Group = "server", Categories = cats, Since = "2.8.13" }.WithSubcommands(
            new Command { Name = "command|count", Arity = 2, Flags = flags, Handler = Count, Group = "server", Categories = cats, Since = "2.8.13" },
            new Command { Name = "command|info", Arity = -2, Flags = flags, Handler = Info, Group = "server", Categories = cats, Since = "2.8.13" },
            new Command { Name = "command|docs", Arity = -2, Flags = flags, Handler = Docs, Group = "server", Categories = cats, Since = "7.0.0" },
            new Command { Name = "command|list", Arity = -2, Flags = flags, Handler = List, Group = "server", Categories = cats, Since = "7.0.0" },
            new Command { Name = "command|getkeys", Arity = -4, Flags = flags, Handler = c => GetKeys(c, withFlags: false), Group = "server", Categories = cats, Since = "2.8.13" },
            new Command { Name = "command|getkeysandflags", Arity = -4, Flags = flags, Handler = c => GetKeys(c, withFlags: true), Group = "server", Categories = cats, Since = "7.0.0" },
            new Command { Name = "command|help", Arity = 2, Flags = flags, Handler = Help, Group = "server", Categories = cats, Since = "5.0.0" }));
    }

    static IEnumerable<Command> WithSubcommands(RedisServer s)
    {
        foreach (var cmd in s.Commands.Callable)
        {
            yield return cmd;
            if (cmd.Subcommands != null) foreach (var sub in cmd.Subcommands.Values) yield return sub;
        }
    }

    /// <summary>A command by name, "container|sub" naming a subcommand.</summary>
    static Command? Lookup(RedisServer s, string name)
    {
        int bar = name.IndexOf('|');
        if (bar < 0) return s.Commands.Find(Encoding.UTF8.GetBytes(name));
        var parent = s.Commands.Find(Encoding.UTF8.GetBytes(name[..bar]));
        return parent?.FindSubcommand(Encoding.UTF8.GetBytes(name[(bar + 1)..]));
    }

    static void All(Client c)
    {
        var commands = c.Server.Commands.Callable.ToArray();
        c.Reply.ArrayHeader(commands.Length);
        foreach (var cmd in commands) WriteInfo(c.Reply, cmd);
    }

    static void Count(Client c) => c.Reply.Integer(c.Server.Commands.CallableCount);

    static void Info(Client c)
    {
        if (c.Argc == 2)
        {
            All(c);
            return;
        }
        c.Reply.ArrayHeader(c.Argc - 2);
        for (int j = 2; j < c.Argc; j++)
        {
            var cmd = Lookup(c.Server, c.ArgString(j));
            if (cmd == null) c.Reply.Null(); // Redis answers a null bulk for an unknown name
            else WriteInfo(c.Reply, cmd);
        }
    }

    static readonly (CommandFlags Flag, string Name)[] FlagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"),
        // Redis 7.0 keeps may_replicate, sentinel, only_sentinel and protected out of COMMAND INFO on purpose.
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"),
    ];

    /// <summary>Flag names in Redis's order; movablekeys when the key specs need more than first/last/step.</summary>
    static List<string> FlagList(Command cmd)
    {
        var names = new List<string>();
        foreach (var (flag, name) in FlagNames) if (cmd.Is(flag)) names.Add(name);
        if (cmd.Is(CommandFlags.NoMulti)) names.Add("no_multi");
        if (HasMovableKeys(cmd)) names.Add("movablekeys");
        if (cmd.Is(CommandFlags.AllowBusy)) names.Add("allow_busy");
        return names;
    }

    static bool HasMovableKeys(Command cmd)
    {
        var specs = CommandDocs.Find(cmd)?.KeySpecs;
        if (specs == null) return false;
        foreach (var spec in specs.Children)
        {
            if (spec.Get("begin_search")?.Get("type")?.String != "index") return true;
            if (spec.Get("find_keys")?.Get("type")?.String != "range") return true;
        }
        return false;
    }

    static void WriteInfo(ReplyBuffer r, Command cmd)
    {
        var entry = CommandDocs.Find(cmd);
        r.ArrayHeader(10);
        r.Bulk(cmd.FullName);
        r.Integer(cmd.Arity);
        var flags = FlagList(cmd);
        r.SetHeader(flags.Count);
        foreach (var f in flags) r.SimpleString(f);
        r.Integer(cmd.FirstKey);
        r.Integer(cmd.LastKey);
        r.Integer(cmd.KeyStep);
        r.SetHeader(cmd.Categories.Length);
        foreach (var cat in cmd.Categories) r.SimpleString("@" + cat);
        if (entry != null) entry.Tips.WriteTo(r); else r.SetHeader(0);
        (entry?.KeySpecs ?? LegacyKeySpecs(cmd)).WriteTo(r);
        var subs = cmd.Subcommands?.Values.ToArray() ?? [];
        // Redis 7.0 answers an empty set when there are none, an array otherwise (RESP3 shows it).
        if (subs.Length == 0) r.SetHeader(0); else r.ArrayHeader(subs.Length);
        foreach (var sub in subs) WriteInfo(r, sub);
    }

    static RespNode Bulk(string s) => new() { Type = '$', Text = Encoding.UTF8.GetBytes(s) };
    static RespNode Simple(string s) => new() { Type = '+', Text = Encoding.UTF8.GetBytes(s) };
    static RespNode Int(long v) => new() { Type = ':', Integer = v };
    static RespNode Map(params RespNode[] kv) => new() { Type = '%', Children = kv };

    /// <summary>A key spec equivalent to first/last/step, for commands the table does not describe.</summary>
    static RespNode LegacyKeySpecs(Command cmd)
    {
        if (cmd.FirstKey <= 0) return new RespNode { Type = '*' };
        var access = cmd.Is(CommandFlags.Write) ? new[] { "RW", "access", "update" } : ["RO", "access"];
        long lastKey = cmd.LastKey < 0 ? cmd.LastKey : cmd.LastKey - cmd.FirstKey;
        var spec = Map(
            Bulk("flags"), new RespNode { Type = '~', Children = access.Select(Simple).ToArray() },
            Bulk("begin_search"), Map(Bulk("type"), Bulk("index"), Bulk("spec"), Map(Bulk("index"), Int(cmd.FirstKey))),
            Bulk("find_keys"), Map(Bulk("type"), Bulk("range"), Bulk("spec"),
                Map(Bulk("lastkey"), Int(lastKey), Bulk("keystep"), Int(cmd.KeyStep), Bulk("limit"), Int(0))));
        return new RespNode { Type = '*', Children = [spec] };
    }

    static void Docs(Client c)
    {
        var selected = new List<Command>();
        if (c.Argc == 2) selected.AddRange(c.Server.Commands.Callable);
        else
            for (int j = 2; j < c.Argc; j++)
            {
                var cmd = Lookup(c.Server, c.ArgString(j));
                if (cmd != null) selected.Add(cmd);
            }
        c.Reply.MapHeader(selected.Count);
        foreach (var cmd in selected)
        {
            c.Reply.Bulk(cmd.FullName);
            WriteDocs(c.Reply, cmd);
        }
    }

    static void WriteDocs(ReplyBuffer r, Command cmd)
    {
        var docs = CommandDocs.Find(cmd)?.Docs ?? FallbackDocs(cmd);
        var subs = cmd.Subcommands?.Values.ToArray() ?? [];
        r.MapHeader(docs.Children.Length / 2 + (subs.Length > 0 ? 1 : 0));
        foreach (var child in docs.Children) child.WriteTo(r);
        if (subs.Length == 0) return;
        r.Bulk("subcommands"u8);
        r.MapHeader(subs.Length);
        foreach (var sub in subs)
        {
            r.Bulk(sub.FullName);
            WriteDocs(r, sub);
        }
    }

    static RespNode FallbackDocs(Command cmd)
    {
        var items = new List<RespNode>();
        if (cmd.Summary.Length > 0) { items.Add(Bulk("summary")); items.Add(Bulk(cmd.Summary)); }
        items.Add(Bulk("since")); items.Add(Bulk(cmd.Since));
        items.Add(Bulk("group")); items.Add(Bulk(cmd.Group));
        if (cmd.Complexity.Length > 0) { items.Add(Bulk("complexity")); items.Add(Bulk(cmd.Complexity)); }
        return new RespNode { Type = '%', Children = items.ToArray() };
    }

    static void List(Client c)
    {
        Func<Command, bool> keep = _ => true;
        if (c.Argc == 5 && c.ArgIs(2, "filterby"u8))
        {
            string value = c.ArgString(4);
            if (c.ArgIs(3, "module"u8)) keep = _ => false;
            else if (c.ArgIs(3, "aclcat"u8)) keep = cmd => cmd.Categories.Contains(value, StringComparer.OrdinalIgnoreCase);
            else if (c.ArgIs(3, "pattern"u8))
            {
                var pattern = c.ArgBytes(4);
                keep = cmd => Glob.Match(pattern, Encoding.UTF8.GetBytes(cmd.FullName), noCase: true);
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        else if (c.Argc != 2)
        {
            c.Error(Errors.Syntax);
            return;
        }
        var names = WithSubcommands(c.Server).Where(keep).Select(cmd => cmd.FullName).ToArray();
        c.Reply.ArrayHeader(names.Length);
        foreach (var name in names) c.Reply.Bulk(name);
    }

    /// <summary>Commands whose key-count argument may be anything: Redis answers no keys rather than an error.</summary>
    static readonly HashSet<string> LenientKeyCount = new(StringComparer.Ordinal) { "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro" };

    static bool IsNotKey(RespNode spec) => spec.Get("flags")?.Children.Any(f => f.String == "not_key") == true;

    static void GetKeys(Client c, bool withFlags)
    {
        var cmd = c.Server.Commands.Find(c.Arg(2));
        if (cmd == null)
        {
            c.Error("ERR Invalid command specified"u8);
            return;
        }
        int argc = c.Argc - 2;
        if (cmd.Subcommands != null && argc >= 2)
        {
            var sub = cmd.FindSubcommand(c.Arg(3));
            if (sub == null)
            {
                c.Error("ERR Invalid command specified"u8);
                return;
            }
            cmd = sub;
        }
        var specs = CommandDocs.Find(cmd)?.KeySpecs ?? LegacyKeySpecs(cmd);
        // Redis's doesCommandHaveKeys, checked before the arity: a lone not_key spec (SPUBLISH's
        // channel) is no key.
        bool hasKeys = specs.Children.Length > 1 || (specs.Children.Length == 1 && !IsNotKey(specs.Children[0]));
        if (!hasKeys)
        {
            c.Error("ERR The command has no key arguments"u8);
            return;
        }
        if (!cmd.ArityOk(argc))
        {
            c.Error("ERR Invalid number of arguments specified for command"u8);
            return;
        }
        var args = new byte[argc][];
        for (int i = 0; i < argc; i++) args[i] = c.ArgBytes(i + 2);
        if (cmd.GetKeys != null)
        {
            var found = cmd.GetKeys(args);
            c.Reply.ArrayHeader(found.Count);
            foreach (var (position, flags) in found)
            {
                if (withFlags) c.Reply.ArrayHeader(2);
                c.Reply.Bulk(args[position]);
                if (!withFlags) continue;
                c.Reply.ArrayHeader(flags.Length);
                foreach (var f in flags) c.Reply.SimpleString(f);
            }
            return;
        }
        var keys = FindKeys(specs, args, out bool invalid);
        if (invalid)
        {
            if (LenientKeyCount.Contains(cmd.Name)) keys.Clear();
            else
            {
                c.Error("ERR Invalid arguments specified for command"u8);
                return;
            }
        }
        c.Reply.ArrayHeader(keys.Count);
        foreach (var (position, spec) in keys)
        {
            if (!withFlags)
            {
                c.Reply.Bulk(args[position]);
                continue;
            }
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk(args[position]);
            var flags = (spec.Get("flags")?.Children ?? []).Select(f => f.String).ToArray();
            c.Reply.ArrayHeader(flags.Length);
            foreach (var f in flags) c.Reply.SimpleString(f);
        }
    }

    /// <summary>
    /// Key positions per Redis's key-spec rules: begin_search (index, or keyword searched from
    /// startfrom) then find_keys (range with lastkey/keystep/limit, or keynum). A spec marked
    /// INCOMPLETE that does not fit is skipped; any other misfit makes the arguments invalid.
    /// </summary>
    static List<(int Position, RespNode Spec)> FindKeys(RespNode specs, byte[][] args, out bool invalid)
    {
        invalid = false;
        int argc = args.Length;
        var keys = new List<(int, RespNode)>();
        foreach (var spec in specs.Children)
        {
            // GETKEYS asks for keys only (Redis's GET_KEYSPEC_DEFAULT): channels are not keys.
            if (IsNotKey(spec)) continue;
            bool incomplete = spec.Get("flags")?.Children.Any(f => f.String == "INCOMPLETE") == true;
            var begin = spec.Get("begin_search");
            var find = spec.Get("find_keys");
            int first;
            switch (begin?.Get("type")?.String)
            {
                case "index":
                    first = (int)begin.Get("spec")!.Get("index")!.Integer;
                    break;
                case "keyword":
                    var bs = begin.Get("spec")!;
                    string keyword = bs.Get("keyword")!.String;
                    int startFrom = (int)bs.Get("startfrom")!.Integer;
                    first = -1;
                    if (startFrom >= 0)
                    {
                        for (int i = startFrom; i < argc; i++)
                            if (Encoding.UTF8.GetString(args[i]).Equals(keyword, StringComparison.OrdinalIgnoreCase)) { first = i + 1; break; }
                    }
                    else
                    {
                        for (int i = argc + startFrom; i >= 1; i--)
                            if (Encoding.UTF8.GetString(args[i]).Equals(keyword, StringComparison.OrdinalIgnoreCase)) { first = i + 1; break; }
                    }
                    if (first < 0) continue;
                    break;
                default:
                    continue;
            }
            if (first >= argc) { if (!incomplete) invalid = true; continue; }
            int last, step;
            var fs = find?.Get("spec");
            switch (find?.Get("type")?.String)
            {
                case "range":
                    long lastKey = fs!.Get("lastkey")!.Integer, limit = fs.Get("limit")!.Integer;
                    step = (int)fs.Get("keystep")!.Integer;
                    if (lastKey >= 0) last = first + (int)lastKey;
                    else if (limit == 0) last = argc + (int)lastKey;
                    else last = first + (int)((argc - first) / limit + lastKey);
                    break;
                case "keynum":
                    long keyNumIndex = fs!.Get("keynumidx")!.Integer, firstKey = fs.Get("firstkey")!.Integer;
                    step = (int)fs.Get("keystep")!.Integer;
                    int numIndex = first + (int)keyNumIndex;
                    if (numIndex >= argc || !NumberParsing.TryParseInt64(args[numIndex], out long numKeys) || numKeys < 0 || numKeys > int.MaxValue)
                    {
                        if (!incomplete) invalid = true;
                        continue;
                    }
                    first += (int)firstKey;
                    last = first + ((int)numKeys - 1) * step;
                    break;
                default:
                    continue;
            }
            if (step <= 0) step = 1;
            for (int i = first; i <= last; i += step)
            {
                if (i >= argc || i < first)
                {
                    if (!incomplete) invalid = true;
                    break;
                }
                keys.Add((i, spec));
            }
            if (invalid) break;
        }
        return keys;
    }

    static readonly string[] HelpLines =
    [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];

    static void Help(Client c)
    {
        c.Reply.ArrayHeader(HelpLines.Length);
        foreach (var line in HelpLines) c.Reply.SimpleString(line);
    }
}
