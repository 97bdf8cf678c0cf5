// Generic key commands (Redis's db.c and expire.c command side): DEL UNLINK EXISTS TYPE and the
// EXPIRE family with NX/XX/GT/LT, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static partial class KeyCommands
{
    public static void Register(CommandTable t)
    {
        string[] keyspaceWrite = ["keyspace", "write", "slow"], keyspaceWriteFast = ["keyspace", "write", "fast"], keyspaceRead = ["keyspace", "read", "fast"], keyspaceReadSlow = ["keyspace", "read", "slow"];
        t.Add(new Command { Name = "del", Arity = -2, Flags = CommandFlags.Write, Handler = Del, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "generic", Categories = keyspaceWrite });
        t.Add(new Command { Name = "unlink", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = Del, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "exists", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = Exists, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "generic", Categories = keyspaceRead });
        t.Add(new Command { Name = "type", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = Type, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceRead });
        t.Add(new Command { Name = "expire", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => Expire(c, ExpireUnit.RelativeSeconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "pexpire", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => Expire(c, ExpireUnit.RelativeMilliseconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "expireat", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => Expire(c, ExpireUnit.AbsoluteSeconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "pexpireat", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => Expire(c, ExpireUnit.AbsoluteMilliseconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "ttl", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => Ttl(c, TtlKind.Seconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceRead });
        t.Add(new Command { Name = "pttl", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => Ttl(c, TtlKind.Milliseconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceRead });
        t.Add(new Command { Name = "expiretime", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => Ttl(c, TtlKind.AbsoluteSeconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "7.0.0", Categories = keyspaceRead });
        t.Add(new Command { Name = "pexpiretime", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = c => Ttl(c, TtlKind.AbsoluteMilliseconds), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "7.0.0", Categories = keyspaceRead });
        t.Add(new Command { Name = "rename", Arity = 3, Flags = CommandFlags.Write, Handler = c => Rename(c, nx: false), FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "generic", Categories = keyspaceWrite });
        t.Add(new Command { Name = "renamenx", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = c => Rename(c, nx: true), FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "copy", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = Copy, FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "generic", Since = "6.2.0", Categories = keyspaceWrite });
        t.Add(new Command { Name = "move", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = Move, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
        t.Add(new Command { Name = "swapdb", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = SwapDb, Group = "server", Since = "4.0.0", Categories = ["keyspace", "write", "fast", "dangerous"] });
        t.Add(new Command { Name = "keys", Arity = 2, Flags = CommandFlags.ReadOnly, Handler = Keys, Group = "generic", Categories = ["keyspace", "read", "slow", "dangerous"] });
        t.Add(new Command { Name = "scan", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = Scan, Group = "generic", Since = "2.8.0", Categories = keyspaceReadSlow });
        t.Add(new Command { Name = "randomkey", Arity = 1, Flags = CommandFlags.ReadOnly, Handler = RandomKey, Group = "generic", Categories = keyspaceReadSlow });
        t.Add(new Command { Name = "touch", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = Touch, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "generic", Since = "3.2.1", Categories = keyspaceRead });
        t.Add(new Command { Name = "object", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "generic", Since = "2.2.3", Categories = ["slow"] }.WithSubcommands(
            new Command { Name = "object|encoding", Arity = 3, Flags = CommandFlags.ReadOnly, Handler = ObjectEncoding, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = "generic", Since = "2.2.3", Categories = keyspaceReadSlow },
            new Command { Name = "object|freq", Arity = 3, Flags = CommandFlags.ReadOnly, Handler = ObjectFreq, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = "generic", Since = "4.0.0", Categories = keyspaceReadSlow },
            new Command { Name = "object|idletime", Arity = 3, Flags = CommandFlags.ReadOnly, Handler = ObjectIdleTime, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = "generic", Since = "2.2.3", Categories = keyspaceReadSlow },
            new Command { Name = "object|refcount", Arity = 3, Flags = CommandFlags.ReadOnly, Handler = ObjectRefCount, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = "generic", Since = "2.2.3", Categories = keyspaceReadSlow },
            new Command { Name = "object|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = ObjectHelp, Group = "generic", Since = "6.2.0", Categories = ["keyspace", "slow"] }));
        t.Add(new Command { Name = "persist", Arity = 2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = Persist, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Categories = keyspaceWriteFast });
    }

    static void Del(Client c)
    {
        long deleted = 0;
        for (int j = 1; j < c.Argc; j++)
        {
            var key = c.Arg(j);
            if (c.Db.LookupWrite(key) == null) continue;
            c.Db.Delete(key);
            c.Server.SignalKeyChange(c, c.Db, key, "del");
            c.Server.Dirty++;
            deleted++;
        }
        c.Reply.Integer(deleted);
    }

    static void Exists(Client c)
    {
        long count = 0;
        for (int j = 1; j < c.Argc; j++)
            if (c.Db.LookupRead(c.Arg(j), touch: false) != null) count++;
        c.Reply.Integer(count);
    }

    public static ReadOnlySpan<byte> TypeName(ObjectType type) => type switch
    {
        ObjectType.String => "string"u8,
        ObjectType.List => "list"u8,
        ObjectType.Set => "set"u8,
        ObjectType.ZSet => "zset"u8,
        ObjectType.Hash => "hash"u8,
        _ => "stream"u8,
    };

    static void Type(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(1), touch: false);
        if (item == null) c.Reply.SimpleString("none"u8);
        else c.Reply.SimpleString(TypeName(StoredKey.TypeOf(item)));
    }

    enum ExpireUnit { RelativeSeconds, RelativeMilliseconds, AbsoluteSeconds, AbsoluteMilliseconds }

    [Flags]
    enum ExpireCondition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    static void Expire(Client c, ExpireUnit unit)
    {
        string name = c.CurrentCommand!.Name;
        var condition = ExpireCondition.None;
        for (int j = 3; j < c.Argc; j++)
        {
            var opt = c.Arg(j);
            if (Ascii.EqualsIgnoreCase(opt, "nx"u8)) condition |= ExpireCondition.Nx;
            else if (Ascii.EqualsIgnoreCase(opt, "xx"u8)) condition |= ExpireCondition.Xx;
            else if (Ascii.EqualsIgnoreCase(opt, "gt"u8)) condition |= ExpireCondition.Gt;
            else if (Ascii.EqualsIgnoreCase(opt, "lt"u8)) condition |= ExpireCondition.Lt;
            else
            {
                c.Error(UnsupportedOption(c.Arg(j)));
                return;
            }
        }
        if ((condition & ExpireCondition.Nx) != 0 && (condition & ~ExpireCondition.Nx) != 0)
        {
            c.Error("ERR NX and XX, GT or LT options at the same time are not compatible"u8);
            return;
        }
        if ((condition & (ExpireCondition.Gt | ExpireCondition.Lt)) == (ExpireCondition.Gt | ExpireCondition.Lt))
        {
            c.Error("ERR GT and LT options at the same time are not compatible"u8);
            return;
        }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long when)) { c.Error(Errors.NotInteger); return; }
        bool seconds = unit is ExpireUnit.RelativeSeconds or ExpireUnit.AbsoluteSeconds;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000) { c.Error(Errors.InvalidExpire(name)); return; }
            when *= 1000;
        }
        if (unit is ExpireUnit.RelativeSeconds or ExpireUnit.RelativeMilliseconds)
        {
            long now = c.Server.CommandTimeMs;
            if (when > long.MaxValue - now) { c.Error(Errors.InvalidExpire(name)); return; }
            when += now;
        }
        var key = c.Arg(1);
        if (c.Db.LookupWrite(key) == null) { c.Reply.Integer(0); return; }
        if (condition != ExpireCondition.None)
        {
            long current = c.Db.GetExpire(key);
            // A key without TTL counts as an infinite TTL for GT and LT.
            if ((condition & ExpireCondition.Nx) != 0 && current != -1 ||
                (condition & ExpireCondition.Xx) != 0 && current == -1 ||
                (condition & ExpireCondition.Gt) != 0 && (current == -1 || when <= current) ||
                (condition & ExpireCondition.Lt) != 0 && current != -1 && when >= current)
            {
                c.Reply.Integer(0);
                return;
            }
        }
        if (AlreadyExpired(c, when))
        {
            // Already in the past: the key is deleted now, as Redis's checkAlreadyExpired.
            c.Db.Delete(key);
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, c.Db, key, "del");
            c.Reply.Integer(1);
            if (c.Propagating) c.PropagateAs(Propagation.DeleteWord(c.Server), key.ToArray());
            return;
        }
        c.Db.SetExpire(key, when);
        c.Server.Dirty++;
        // Replicas get the absolute time (PEXPIREAT key ms [options]), so their TTL does not drift with the link's delay.
        if (c.Propagating)
        {
            var args = c.CopyArgs();
            if (unit != ExpireUnit.AbsoluteMilliseconds) args[0] = Propagation.PExpireAtWord;
            args[2] = Propagation.Number(when);
            c.PropagateAs(args);
        }
        // Redis replies before "expire" (but after "del" above).
        c.Reply.Integer(1);
        c.Server.SignalKeyChange(c, c.Db, key, "expire");
    }

    /// <summary>
    /// Redis's checkAlreadyExpired: an expire time already in the past deletes the key at once,
    /// except on a replica or while loading, where the master's DEL (or the file) decides.
    /// </summary>
    public static bool AlreadyExpired(Client c, long whenMs) =>
        whenMs <= c.Server.CommandTimeMs && !c.Server.IsReplica && !c.Server.IsLoadingOrReplicaStream(c);

    /// <summary>"Unsupported option X" as Redis formats it: the option as a C string, newlines blanked.</summary>
    static byte[] UnsupportedOption(ReadOnlySpan<byte> option)
    {
        int nul = option.IndexOf((byte)0);
        if (nul >= 0) option = option[..nul];
        var prefix = "ERR Unsupported option "u8;
        var text = new byte[prefix.Length + option.Length];
        prefix.CopyTo(text);
        option.CopyTo(text.AsSpan(prefix.Length));
        for (int i = prefix.Length; i < text.Length; i++) if (text[i] == '\r' || text[i] == '\n') text[i] = (byte)' ';
        return text;
    }

    enum TtlKind { Seconds, Milliseconds, AbsoluteSeconds, AbsoluteMilliseconds }

    static void Ttl(Client c, TtlKind kind)
    {
        var key = c.Arg(1);
        if (c.Db.LookupRead(key, touch: false) == null) { c.Reply.Integer(-2); return; }
        long when = c.Db.GetExpire(key);
        if (when == -1) { c.Reply.Integer(-1); return; }
        long result = kind switch
        {
            TtlKind.Seconds => (Math.Max(0, when - c.Server.CommandTimeMs) + 500) / 1000,
            TtlKind.Milliseconds => Math.Max(0, when - c.Server.CommandTimeMs),
            TtlKind.AbsoluteSeconds => (when + 500) / 1000,
            _ => when,
        };
        c.Reply.Integer(result);
    }

    static void Persist(Client c)
    {
        var key = c.Arg(1);
        if (c.Db.LookupWrite(key) == null || !c.Db.RemoveExpire(key)) { c.Reply.Integer(0); return; }
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "persist");
        c.Reply.Integer(1);
    }
}
