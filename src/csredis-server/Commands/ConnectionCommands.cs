// Connection commands: PING ECHO SELECT QUIT AUTH HELLO RESET.
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class ConnectionCommands
{
    const CommandFlags Conn = CommandFlags.Fast | CommandFlags.Loading | CommandFlags.Stale;

    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "ping", Arity = -1, Flags = CommandFlags.Fast | CommandFlags.Sentinel, Handler = Ping, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "echo", Arity = 2, Flags = Conn, Handler = Echo, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "select", Arity = 2, Flags = Conn, Handler = Select, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "quit", Arity = -1, Flags = Conn | CommandFlags.NoScript | CommandFlags.NoAuth | CommandFlags.AllowBusy, Handler = Quit, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "auth", Arity = -2, Flags = Conn | CommandFlags.NoAuth | CommandFlags.NoScript | CommandFlags.AllowBusy, Handler = Auth, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "hello", Arity = -1, Flags = Conn | CommandFlags.NoAuth | CommandFlags.NoScript | CommandFlags.AllowBusy, Handler = Hello, Group = "connection", Categories = ["fast", "connection"] });
        t.Add(new Command { Name = "reset", Arity = 1, Flags = Conn | CommandFlags.NoAuth | CommandFlags.NoScript | CommandFlags.AllowBusy, Handler = Reset, Group = "connection", Categories = ["fast", "connection"] });
    }

    static void Ping(Client c)
    {
        if (c.Argc > 2)
        {
            c.Error("ERR wrong number of arguments for 'ping' command"u8);
            return;
        }
        bool subscribed = (c.Flags & ClientFlags.PubSub) != 0 && c.Protocol == 2;
        if (subscribed)
        {
            // RESP2 subscribers get a "pong" message array, as in Redis.
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            if (c.Argc == 1) c.Reply.Bulk(""u8); else c.Reply.Bulk(c.Arg(1));
            return;
        }
        if (c.Argc == 1) c.Reply.Pong();
        else c.Reply.Bulk(c.Arg(1));
    }

    static void Echo(Client c) => c.Reply.Bulk(c.Arg(1));

    static void Select(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(1), out long index))
        {
            c.Error("ERR value is not an integer or out of range"u8);
            return;
        }
        if (index < 0 || index >= c.Server.Databases.Length)
        {
            c.Error(Errors.DbIndexOutOfRange);
            return;
        }
        c.SelectDb((int)index);
        c.Reply.Ok();
    }

    static void Quit(Client c)
    {
        c.Reply.Ok();
        c.Flags |= ClientFlags.CloseAfterReply;
    }

    static void Auth(Client c)
    {
        if (c.Argc > 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (c.Argc == 2 && !c.Server.Config.AuthRequired)
        {
            c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"u8);
            return;
        }
        string user = c.Argc == 3 ? c.ArgString(1) : "default";
        if (CheckPassword(c, user, c.Arg(c.Argc - 1)))
        {
            c.Authenticated = true;
            c.User = user;
            c.Reply.Ok();
        }
        else c.Error("WRONGPASS invalid username-password pair or user is disabled."u8);
    }

    /// <summary>The default user is the only user: its password is requirepass (or none: "nopass").</summary>
    static bool CheckPassword(Client c, string user, ReadOnlySpan<byte> password)
    {
        if (user != "default") return false;
        var required = c.Server.Config.RequirePass;
        if (required.Length == 0) return true;
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(required), password);
    }

    static void Hello(Client c)
    {
        long version = c.Protocol;
        int next = 1;
        if (c.Argc >= 2)
        {
            if (!NumberParsing.TryParseInt64(c.Arg(1), out version))
            {
                c.Error("ERR Protocol version is not an integer or out of range"u8);
                return;
            }
            next = 2;
            if (version < 2 || version > 3)
            {
                c.Error("NOPROTO unsupported protocol version"u8);
                return;
            }
        }
        string? newName = null;
        for (int j = next; j < c.Argc; j++)
        {
            int more = c.Argc - j - 1;
            if (c.ArgIs(j, "auth"u8) && more >= 2)
            {
                string user = c.ArgString(j + 1);
                if (!CheckPassword(c, user, c.Arg(j + 2)))
                {
                    c.Error("WRONGPASS invalid username-password pair or user is disabled."u8);
                    return;
                }
                c.Authenticated = true;
                c.User = user;
                j += 2;
            }
            else if (c.ArgIs(j, "setname"u8) && more >= 1)
            {
                newName = c.ArgString(j + 1);
                if (!ClientNames.IsValid(c.Arg(j + 1)))
                {
                    c.Error("ERR Client names cannot contain spaces, newlines or special characters."u8);
                    return;
                }
                j++;
            }
            else
            {
                c.Error("ERR Syntax error in HELLO option '" + c.ArgString(j) + "'");
                return;
            }
        }
        if (!c.Authenticated)
        {
            c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"u8);
            return;
        }
        if (newName != null) c.Name = newName.Length == 0 ? null : newName;
        c.Reply.Protocol = (int)version;
        var r = c.Reply;
        // A sentinel has no role field.
        r.MapHeader(c.Server.Sentinel != null ? 6 : 7);
        r.Bulk("server"u8); r.Bulk("redis"u8);
        r.Bulk("version"u8); r.Bulk(RedisServer.RedisVersion);
        r.Bulk("proto"u8); r.Integer(version);
        r.Bulk("id"u8); r.Integer(c.Id);
        r.Bulk("mode"u8);
        if (c.Server.Sentinel != null) r.Bulk("sentinel"u8);
        else
        {
            r.Bulk("standalone"u8);
            r.Bulk("role"u8); r.Bulk(c.Server.IsReplica ? "replica"u8 : "master"u8);
        }
        r.Bulk("modules"u8); r.EmptyArray();
    }

    static void Reset(Client c)
    {
        c.Server.ResetClient(c);
        c.Reply.SimpleString("RESET"u8);
    }
}

public static class ClientNames
{
    /// <summary>Redis accepts names of printable ASCII without spaces ('!' to '~').</summary>
    public static bool IsValid(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name) if (b < '!' || b > '~') return false;
        return true;
    }
}
