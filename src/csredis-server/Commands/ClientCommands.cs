// CLIENT: connection introspection and control (Redis's clientCommand): ID SETNAME GETNAME LIST
// INFO KILL PAUSE UNPAUSE REPLY NO-EVICT HELP. Tracking, caching and unblocking subcommands are
// added to the same container by their features (Command.AddSubcommand).
using System.Text;
using Csredis.Common;
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class ClientCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags conn = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
        const CommandFlags admin = CommandFlags.Admin | conn;
        string[] slowConn = ["slow", "connection"];
        string[] adminConn = ["admin", "slow", "dangerous", "connection"];
        t.Add(new Command { Name = "client", Arity = -2, Flags = CommandFlags.Sentinel, Handler = _ => { }, Group = "connection", Categories = ["slow"], Since = "2.4.0" }.WithSubcommands(
            new Command { Name = "client|id", Arity = 2, Flags = conn | CommandFlags.Sentinel, Handler = c => c.Reply.Integer(c.Id), Group = "connection", Categories = slowConn, Since = "5.0.0" },
            new Command { Name = "client|setname", Arity = 3, Flags = conn | CommandFlags.Sentinel, Handler = SetName, Group = "connection", Categories = slowConn, Since = "2.6.9" },
            new Command { Name = "client|getname", Arity = 2, Flags = conn | CommandFlags.Sentinel, Handler = GetName, Group = "connection", Categories = slowConn, Since = "2.6.9" },
            new Command { Name = "client|list", Arity = -2, Flags = admin | CommandFlags.Sentinel, Handler = List, Group = "connection", Categories = adminConn, Since = "2.4.0" },
            new Command { Name = "client|info", Arity = 2, Flags = conn | CommandFlags.Sentinel, Handler = c => c.Reply.Verbatim(Encoding.UTF8.GetBytes(c.InfoLine() + "\n"), "txt"u8), Group = "connection", Categories = slowConn, Since = "6.2.0" },
            new Command { Name = "client|kill", Arity = -3, Flags = admin | CommandFlags.Sentinel, Handler = Kill, Group = "connection", Categories = adminConn, Since = "2.4.0" },
            new Command { Name = "client|pause", Arity = -3, Flags = admin | CommandFlags.Sentinel, Handler = Pause, Group = "connection", Categories = adminConn, Since = "2.9.50" },
            new Command { Name = "client|unpause", Arity = 2, Flags = admin | CommandFlags.Sentinel, Handler = Unpause, Group = "connection", Categories = adminConn, Since = "6.2.0" },
            new Command { Name = "client|reply", Arity = 3, Flags = conn | CommandFlags.Sentinel, Handler = Reply, Group = "connection", Categories = slowConn, Since = "3.2.0" },
            new Command { Name = "client|no-evict", Arity = 3, Flags = admin | CommandFlags.Sentinel, Handler = NoEvict, Group = "connection", Categories = adminConn, Since = "7.0.0" },
            // csredis has no client-side caching (CLIENT TRACKING): these report a client that is not tracking, which every client here is.
            new Command { Name = "client|getredir", Arity = 2, Flags = conn, Handler = c => c.Reply.Integer(-1), Group = "connection", Categories = slowConn, Since = "6.0.0" },
            new Command { Name = "client|trackinginfo", Arity = 2, Flags = conn, Handler = TrackingInfo, Group = "connection", Categories = slowConn, Since = "6.2.0" },
            new Command { Name = "client|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel, Handler = Help, Group = "connection", Categories = slowConn, Since = "5.0.0" }));
    }

    static void TrackingInfo(Client c)
    {
        c.Reply.MapHeader(3);
        c.Reply.Bulk("flags"u8);
        c.Reply.SetHeader(1);
        c.Reply.Bulk("off"u8);
        c.Reply.Bulk("redirect"u8);
        c.Reply.Integer(-1);
        c.Reply.Bulk("prefixes"u8);
        c.Reply.ArrayHeader(0);
    }

    static void SetName(Client c)
    {
        if (!ClientNames.IsValid(c.Arg(2)))
        {
            c.Error("ERR Client names cannot contain spaces, newlines or special characters."u8);
            return;
        }
        c.Name = c.Arg(2).Length == 0 ? null : c.ArgString(2);
        c.Reply.Ok();
    }

    static void GetName(Client c)
    {
        if (c.Name == null) c.Reply.Null();
        else c.Reply.Bulk(c.Name);
    }

    static IEnumerable<Client> ClientsById(RedisServer server) => server.Clients.Values.OrderBy(x => x.Id).ToArray();

    static void List(Client c)
    {
        ClientType? type = null;
        HashSet<long>? ids = null;
        if (c.Argc == 4 && c.ArgIs(2, "type"u8))
        {
            type = Client.ParseType(c.ArgString(3));
            if (type == null)
            {
                c.Error($"ERR Unknown client type '{c.ArgString(3)}'");
                return;
            }
        }
        else if (c.Argc > 3 && c.ArgIs(2, "id"u8))
        {
            ids = new HashSet<long>();
            for (int j = 3; j < c.Argc; j++)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j), out long id))
                {
                    c.Error("ERR Invalid client ID"u8);
                    return;
                }
                ids.Add(id);
            }
        }
        else if (c.Argc != 2)
        {
            c.Error(Errors.Syntax);
            return;
        }
        var text = new StringBuilder();
        foreach (var other in ClientsById(c.Server))
        {
            if (type != null && other.Type != type) continue;
            if (ids != null && !ids.Contains(other.Id)) continue;
            text.Append(other.InfoLine()).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        c.Reply.Verbatim(bytes, "txt"u8);
    }

    static void Kill(Client c)
    {
        if (c.Argc == 3)
        {
            // Old form: CLIENT KILL ip:port, may kill the caller itself.
            string addr = c.ArgString(2);
            var victim = c.Server.Clients.Values.FirstOrDefault(x => x.Address == addr);
            if (victim == null)
            {
                c.Error("ERR No such client"u8);
                return;
            }
            c.Reply.Ok();
            Close(c, victim);
            return;
        }
        long? id = null;
        ClientType? type = null;
        string? user = null, address = null, localAddress = null;
        bool skipMe = true;
        for (int j = 2; j < c.Argc; j += 2)
        {
            if (j + 1 >= c.Argc)
            {
                c.Error(Errors.Syntax);
                return;
            }
            string value = c.ArgString(j + 1);
            if (c.ArgIs(j, "id"u8))
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out long parsed) || parsed <= 0)
                {
                    c.Error("ERR client-id should be greater than 0"u8);
                    return;
                }
                id = parsed;
            }
            else if (c.ArgIs(j, "type"u8))
            {
                type = Client.ParseType(value);
                if (type == null)
                {
                    c.Error($"ERR Unknown client type '{value}'");
                    return;
                }
            }
            else if (c.ArgIs(j, "addr"u8)) address = value;
            else if (c.ArgIs(j, "laddr"u8)) localAddress = value;
            else if (c.ArgIs(j, "user"u8))
            {
                // The default user is the only user until ACL users exist.
                if (value != "default")
                {
                    c.Error($"ERR No such user '{value}'");
                    return;
                }
                user = value;
            }
            else if (c.ArgIs(j, "skipme"u8))
            {
                if (c.ArgIs(j + 1, "yes"u8)) skipMe = true;
                else if (c.ArgIs(j + 1, "no"u8)) skipMe = false;
                else
                {
                    c.Error(Errors.Syntax);
                    return;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var victims = new List<Client>();
        foreach (var other in ClientsById(c.Server))
        {
            if (id != null && other.Id != id) continue;
            if (type != null && other.Type != type) continue;
            if (address != null && other.Address != address) continue;
            if (localAddress != null && other.LocalAddress != localAddress) continue;
            if (user != null && other.User != user) continue;
            if (other == c && skipMe) continue;
            victims.Add(other);
        }
        c.Reply.Integer(victims.Count);
        foreach (var victim in victims) Close(c, victim);
    }

    /// <summary>The caller is closed after its reply is sent; anyone else right away.</summary>
    static void Close(Client caller, Client victim)
    {
        if (victim == caller) caller.Flags |= ClientFlags.CloseAfterReply;
        else caller.Server.FreeClient(victim);
    }

    static void Pause(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long timeout))
        {
            c.Error("ERR timeout is not an integer or out of range"u8);
            return;
        }
        if (timeout < 0)
        {
            c.Error("ERR timeout is negative"u8);
            return;
        }
        bool writesOnly = false;
        if (c.Argc == 4)
        {
            if (c.ArgIs(3, "write"u8)) writesOnly = true;
            else if (!c.ArgIs(3, "all"u8))
            {
                c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL"u8);
                return;
            }
        }
        else if (c.Argc > 4)
        {
            c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.ArgString(1) + "'. Try CLIENT HELP.");
            return;
        }
        c.Server.PauseClients(Clock.UnixMs() + timeout, writesOnly);
        c.Reply.Ok();
    }

    static void Unpause(Client c)
    {
        c.Server.Unpause();
        c.Reply.Ok();
    }

    static void Reply(Client c)
    {
        if (c.ArgIs(2, "on"u8))
        {
            c.Flags &= ~(ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext);
            c.Reply.Ok();
        }
        else if (c.ArgIs(2, "off"u8)) c.Flags |= ClientFlags.ReplyOff;
        else if (c.ArgIs(2, "skip"u8))
        {
            if ((c.Flags & ClientFlags.ReplyOff) == 0) c.Flags |= ClientFlags.ReplySkipNext;
        }
        else c.Error(Errors.Syntax);
    }

    static void NoEvict(Client c)
    {
        if (c.ArgIs(2, "on"u8)) c.Flags |= ClientFlags.NoEvict;
        else if (c.ArgIs(2, "off"u8)) c.Flags &= ~ClientFlags.NoEvict;
        else
        {
            c.Error(Errors.Syntax);
            return;
        }
        c.Reply.Ok();
    }

    static readonly string[] HelpLines =
    [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ];

    static void Help(Client c)
    {
        c.Reply.ArrayHeader(HelpLines.Length);
        foreach (var line in HelpLines) c.Reply.SimpleString(line);
    }
}
