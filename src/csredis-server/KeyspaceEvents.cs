// Keyspace notifications (Redis's notify.c). Every key change the server reports carries a
// Redis event name ("set", "lpush", "expired"...); the table below gives each event its class
// (the letters of notify-keyspace-events). When the configured flags select the class, the event
// is published as __keyspace@<db>__:<key> (message: the event) and/or __keyevent@<db>__:<event>
// (message: the key) through the ordinary PUBLISH path. Channel names are built in one reusable
// buffer, so an enabled notification costs no allocation beyond the subscribers' reply buffers.
using System.Buffers.Text;
using Csredis.Server.Keyspace;

namespace Csredis.Server;

public sealed class KeyspaceEvents
{
    // Class bits, as Redis's NOTIFY_* values.
    public const int Keyspace = 1 << 0, Keyevent = 1 << 1, Generic = 1 << 2, String = 1 << 3, List = 1 << 4,
        Set = 1 << 5, Hash = 1 << 6, ZSet = 1 << 7, Expired = 1 << 8, Evicted = 1 << 9, Stream = 1 << 10,
        KeyMiss = 1 << 11, Module = 1 << 12, New = 1 << 13;
    /// <summary>The "A" alias: every class except key-miss and new-key events.</summary>
    public const int All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module;

    /// <summary>Event name -> class. Names and classes as the Redis 7.0 commands emit them.</summary>
    static readonly Dictionary<string, int> ClassByEvent = new(StringComparer.Ordinal)
    {
        ["del"] = Generic, ["expire"] = Generic, ["persist"] = Generic, ["rename_from"] = Generic, ["rename_to"] = Generic,
        ["move_from"] = Generic, ["move_to"] = Generic, ["copy_to"] = Generic, ["restore"] = Generic,
        ["set"] = String, ["setrange"] = String, ["setbit"] = String, ["incrby"] = String, ["incrbyfloat"] = String, ["append"] = String,
        ["pfadd"] = String,
        ["lpush"] = List, ["rpush"] = List, ["lpop"] = List, ["rpop"] = List, ["linsert"] = List, ["lset"] = List,
        ["lrem"] = List, ["ltrim"] = List, ["sortstore"] = List,
        ["sadd"] = Set, ["srem"] = Set, ["spop"] = Set, ["sinterstore"] = Set, ["sunionstore"] = Set, ["sdiffstore"] = Set,
        ["hset"] = Hash, ["hdel"] = Hash, ["hincrby"] = Hash, ["hincrbyfloat"] = Hash,
        ["zadd"] = ZSet, ["zincr"] = ZSet, ["zrem"] = ZSet, ["zpopmin"] = ZSet, ["zpopmax"] = ZSet, ["zrembyscore"] = ZSet,
        ["zrembyrank"] = ZSet, ["zrembylex"] = ZSet, ["zinterstore"] = ZSet, ["zunionstore"] = ZSet, ["zdiffstore"] = ZSet,
        ["zrangestore"] = ZSet,
        ["expired"] = Expired, ["evicted"] = Evicted,
        ["xadd"] = Stream, ["xtrim"] = Stream, ["xdel"] = Stream, ["xsetid"] = Stream, ["xclaim"] = Stream, ["xautoclaim"] = Stream,
        ["xgroup-create"] = Stream, ["xgroup-createconsumer"] = Stream, ["xgroup-delconsumer"] = Stream,
        ["xgroup-destroy"] = Stream, ["xgroup-setid"] = Stream,
        ["keymiss"] = KeyMiss, ["new"] = New,
    };

    /// <summary>The event name bytes, made once per distinct name.</summary>
    readonly Dictionary<string, byte[]> _eventBytes = new(StringComparer.Ordinal);
    readonly RedisServer _server;
    byte[] _channel = new byte[256];

    public KeyspaceEvents(RedisServer server)
    {
        _server = server;
        server.KeyChanged += (_, db, key, eventName) => Notify(db, key, eventName);
        server.KeyExpired += (db, key) => Notify(db, key, "expired");
    }

    public static int ClassOf(string eventName) => ClassByEvent.GetValueOrDefault(eventName, Generic);

    public void Notify(Db db, ReadOnlySpan<byte> key, string eventName)
    {
        int flags = _server.Config.NotifyKeyspaceEvents;
        if (flags == 0 || eventName.Length == 0 || (flags & ClassOf(eventName)) == 0) return;
        if (!_eventBytes.TryGetValue(eventName, out var eventBytes))
            _eventBytes[eventName] = eventBytes = System.Text.Encoding.ASCII.GetBytes(eventName);
        if ((flags & Keyspace) != 0)
            _server.PubSub.Publish(BuildChannel("__keyspace@"u8, db.Id, key), eventBytes);
        if ((flags & Keyevent) != 0)
            _server.PubSub.Publish(BuildChannel("__keyevent@"u8, db.Id, eventBytes), key);
    }

    ReadOnlySpan<byte> BuildChannel(ReadOnlySpan<byte> prefix, int dbId, ReadOnlySpan<byte> suffix)
    {
        int needed = prefix.Length + 11 + 3 + suffix.Length;
        if (_channel.Length < needed) _channel = new byte[Math.Max(needed, _channel.Length * 2)];
        var span = _channel.AsSpan();
        prefix.CopyTo(span);
        int p = prefix.Length;
        Utf8Formatter.TryFormat(dbId, span[p..], out int n);
        p += n;
        "__:"u8.CopyTo(span[p..]);
        p += 3;
        suffix.CopyTo(span[p..]);
        return span[..(p + suffix.Length)];
    }

    /// <summary>Parses notify-keyspace-events letters into class bits; -1 on an unknown letter.</summary>
    public static int Parse(string text)
    {
        int flags = 0;
        foreach (char ch in text)
        {
            flags |= ch switch
            {
                'A' => All, 'g' => Generic, '$' => String, 'l' => List, 's' => Set, 'h' => Hash, 'z' => ZSet,
                'x' => Expired, 'e' => Evicted, 'K' => Keyspace, 'E' => Keyevent, 't' => Stream, 'm' => KeyMiss,
                'd' => Module, 'n' => New,
                _ => -1,
            };
            if (flags == -1) return -1;
        }
        return flags;
    }

    /// <summary>Renders class bits as CONFIG GET does: "A" hides the individual class letters (and, as in Redis, 'n').</summary>
    public static string Format(int flags)
    {
        var sb = new System.Text.StringBuilder();
        if ((flags & All) == All) sb.Append('A');
        else
        {
            if ((flags & Generic) != 0) sb.Append('g');
            if ((flags & String) != 0) sb.Append('$');
            if ((flags & List) != 0) sb.Append('l');
            if ((flags & Set) != 0) sb.Append('s');
            if ((flags & Hash) != 0) sb.Append('h');
            if ((flags & ZSet) != 0) sb.Append('z');
            if ((flags & Expired) != 0) sb.Append('x');
            if ((flags & Evicted) != 0) sb.Append('e');
            if ((flags & Stream) != 0) sb.Append('t');
            if ((flags & Module) != 0) sb.Append('d');
            if ((flags & New) != 0) sb.Append('n');
        }
        if ((flags & Keyspace) != 0) sb.Append('K');
        if ((flags & Keyevent) != 0) sb.Append('E');
        if ((flags & KeyMiss) != 0) sb.Append('m');
        return sb.ToString();
    }
}
