// String commands (Redis's t_string.c). Values are packed with their key (StoredValues.cs);
// a command that changes a value's length re-packs it, one that keeps the length (INCR from 10
// to 11, SETRANGE inside the value) writes in place.
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static partial class StringCommands
{
    const CommandFlags WriteOom = CommandFlags.Write | CommandFlags.DenyOom;

    public static void Register(CommandTable t)
    {
        string[] readFast = ["read", "string", "fast"], readSlow = ["read", "string", "slow"], write = ["write", "string", "slow"], writeFast = ["write", "string", "fast"];
        t.Add(new Command { Name = "get", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = Get, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = readFast });
        t.Add(new Command { Name = "set", Arity = -3, Flags = WriteOom, Handler = Set, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = write, GetKeys = SetKeys });
        t.Add(new Command { Name = "setnx", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = SetNx, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "setex", Arity = 4, Flags = WriteOom, Handler = c => SetWithTtl(c, seconds: true), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = write });
        t.Add(new Command { Name = "psetex", Arity = 4, Flags = WriteOom, Handler = c => SetWithTtl(c, seconds: false), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = write });
        t.Add(new Command { Name = "getset", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = GetSet, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "getdel", Arity = 2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = GetDel, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "mget", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = MGet, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "string", Categories = readFast });
        t.Add(new Command { Name = "mset", Arity = -3, Flags = WriteOom, Handler = MSet, FirstKey = 1, LastKey = -1, KeyStep = 2, Group = "string", Categories = write });
        t.Add(new Command { Name = "msetnx", Arity = -3, Flags = WriteOom, Handler = MSetNx, FirstKey = 1, LastKey = -1, KeyStep = 2, Group = "string", Categories = write });
        t.Add(new Command { Name = "incr", Arity = 2, Flags = WriteOom | CommandFlags.Fast, Handler = c => IncrBy(c, 1), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "decr", Arity = 2, Flags = WriteOom | CommandFlags.Fast, Handler = c => IncrBy(c, -1), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "incrby", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = IncrByCommand, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "decrby", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = DecrByCommand, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "append", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = Append, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = writeFast });
        t.Add(new Command { Name = "getex", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = GetEx, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Since = "6.2.0", Categories = writeFast });
        t.Add(new Command { Name = "incrbyfloat", Arity = 3, Flags = WriteOom | CommandFlags.Fast, Handler = IncrByFloat, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Since = "2.6.0", Categories = writeFast });
        t.Add(new Command { Name = "getrange", Arity = 4, Flags = CommandFlags.ReadOnly, Handler = GetRange, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Since = "2.4.0", Categories = readSlow });
        t.Add(new Command { Name = "substr", Arity = 4, Flags = CommandFlags.ReadOnly, Handler = GetRange, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = readSlow });
        t.Add(new Command { Name = "setrange", Arity = 4, Flags = WriteOom, Handler = SetRange, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Since = "2.2.0", Categories = write });
        t.Add(new Command { Name = "lcs", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = Lcs, FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "string", Since = "7.0.0", Categories = readSlow });
        t.Add(new Command { Name = "strlen", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = StrLen, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "string", Categories = readFast });
    }

    /// <summary>The string value of an item, or a WRONGTYPE reply (false) for other types.</summary>
    public static bool TryString(Client c, object item, out byte[] packed)
    {
        if (item is byte[] p) { packed = p; return true; }
        packed = null!;
        c.Error(Errors.WrongType);
        return false;
    }

    static void Get(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Null(); return; }
        if (!TryString(c, item, out var packed)) return;
        c.Reply.Bulk(PackedString.Value(packed));
    }

    /// <summary>Redis's setGetKeys: SET only overwrites its key (OW update) unless GET makes it read it too.</summary>
    static List<(int Position, string[] Flags)> SetKeys(byte[][] args)
    {
        for (int i = 3; i < args.Length; i++)
            if (Ascii.EqualsIgnoreCase(args[i], "get"u8)) return [(1, ["RW", "access", "update"])];
        return [(1, ["OW", "update"])];
    }

    [Flags]
    enum SetFlags { None = 0, Nx = 1, Xx = 2, Get = 4, KeepTtl = 8, Ex = 16, Px = 32, ExAt = 64, PxAt = 128, Persist = 256 }
    const SetFlags AnyExpire = SetFlags.Ex | SetFlags.Px | SetFlags.ExAt | SetFlags.PxAt;

    static void Set(Client c)
    {
        if (!TryParseStringOptions(c, 3, forGetEx: false, out var flags, out int expireArg)) return;
        long expireAt = -1;
        if (expireArg >= 0 && !TryExpireAt(c, expireArg, flags, out expireAt)) return;
        SetGeneric(c, flags, c.Arg(1), c.Arg(2), expireAt);
    }

    /// <summary>
    /// The options of SET (NX XX GET KEEPTTL EX PX EXAT PXAT) and GETEX (EX PX EXAT PXAT PERSIST),
    /// with Redis's exact acceptance rules: a repeated option is fine (the last expire wins) but two
    /// different expire kinds, or an expire together with KEEPTTL/PERSIST, is a syntax error.
    /// </summary>
    static bool TryParseStringOptions(Client c, int first, bool forGetEx, out SetFlags flags, out int expireArg)
    {
        flags = SetFlags.None;
        expireArg = -1;
        for (int j = first; j < c.Argc; j++)
        {
            var opt = c.Arg(j);
            bool hasNext = j + 1 < c.Argc;
            if (!forGetEx && Ascii.EqualsIgnoreCase(opt, "nx"u8) && (flags & SetFlags.Xx) == 0) flags |= SetFlags.Nx;
            else if (!forGetEx && Ascii.EqualsIgnoreCase(opt, "xx"u8) && (flags & SetFlags.Nx) == 0) flags |= SetFlags.Xx;
            else if (!forGetEx && Ascii.EqualsIgnoreCase(opt, "get"u8)) flags |= SetFlags.Get;
            else if (!forGetEx && Ascii.EqualsIgnoreCase(opt, "keepttl"u8) && (flags & (AnyExpire | SetFlags.Persist)) == 0) flags |= SetFlags.KeepTtl;
            else if (forGetEx && Ascii.EqualsIgnoreCase(opt, "persist"u8) && (flags & (AnyExpire | SetFlags.KeepTtl)) == 0) flags |= SetFlags.Persist;
            else if (hasNext && ExpireOption(opt) is var unit && unit != SetFlags.None
                     && (flags & (SetFlags.KeepTtl | SetFlags.Persist | (AnyExpire & ~unit))) == 0)
            {
                flags |= unit;
                expireArg = ++j;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        return true;
    }

    static SetFlags ExpireOption(ReadOnlySpan<byte> opt)
    {
        if (Ascii.EqualsIgnoreCase(opt, "ex"u8)) return SetFlags.Ex;
        if (Ascii.EqualsIgnoreCase(opt, "px"u8)) return SetFlags.Px;
        if (Ascii.EqualsIgnoreCase(opt, "exat"u8)) return SetFlags.ExAt;
        if (Ascii.EqualsIgnoreCase(opt, "pxat"u8)) return SetFlags.PxAt;
        return SetFlags.None;
    }

    /// <summary>Parses an expire argument into absolute Unix ms with Redis's errors for bad or non-positive values.</summary>
    static bool TryExpireAt(Client c, int arg, SetFlags unit, out long expireAt)
    {
        expireAt = 0;
        if (!NumberParsing.TryParseInt64(c.Arg(arg), out long value))
        {
            c.Error(Errors.NotInteger);
            return false;
        }
        bool seconds = (unit & (SetFlags.Ex | SetFlags.ExAt)) != 0;
        if (value <= 0 || (seconds && value > long.MaxValue / 1000))
        {
            c.Error(Errors.InvalidExpire(c.CurrentCommand!.Name));
            return false;
        }
        if (seconds) value *= 1000;
        if ((unit & (SetFlags.Ex | SetFlags.Px)) != 0)
        {
            long now = c.Server.CommandTimeMs;
            if (value > long.MaxValue - now)
            {
                c.Error(Errors.InvalidExpire(c.CurrentCommand!.Name));
                return false;
            }
            value += now;
        }
        expireAt = value;
        return true;
    }

    static void SetGeneric(Client c, SetFlags flags, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireAt)
    {
        var db = c.Db;
        object? existing;
        if ((flags & SetFlags.Get) != 0)
        {
            existing = db.LookupRead(key);
            if (existing != null && existing is not byte[]) { c.Error(Errors.WrongType); return; }
            if (existing == null) c.Reply.Null();
            else c.Reply.Bulk(PackedString.Value((byte[])existing));
        }
        else existing = db.LookupWrite(key);

        if ((flags & SetFlags.Nx) != 0 && existing != null || (flags & SetFlags.Xx) != 0 && existing == null)
        {
            if ((flags & SetFlags.Get) == 0) c.Reply.Null();
            return;
        }
        db.SetString(key, value, keepTtl: (flags & SetFlags.KeepTtl) != 0);
        c.Server.Dirty++;
        if (expireAt >= 0) db.SetExpire(key, expireAt);
        // EX, PX, EXAT and SETEX/PSETEX reach replicas as SET key value PXAT ms (Redis 7.0).
        if (expireAt >= 0 && (flags & SetFlags.PxAt) == 0 && c.Propagating)
            c.PropagateAs(Propagation.SetWord, key.ToArray(), value.ToArray(), Propagation.PxAtWord, Propagation.Number(expireAt));
        c.Server.SignalKeyChange(c, db, key, "set", expireAt >= 0);
        if ((flags & SetFlags.Get) == 0) c.Reply.Ok();
    }

    static void SetNx(Client c)
    {
        if (c.Db.LookupWrite(c.Arg(1)) != null) { c.Reply.Integer(0); return; }
        SetValue(c, c.Arg(1), c.Arg(2));
        c.Reply.Integer(1);
    }

    static void SetWithTtl(Client c, bool seconds)
    {
        if (!TryExpireAt(c, 2, seconds ? SetFlags.Ex : SetFlags.Px, out long expireAt)) return;
        SetGeneric(c, SetFlags.None, c.Arg(1), c.Arg(3), expireAt);
    }

    static void GetSet(Client c)
    {
        var existing = c.Db.LookupRead(c.Arg(1));
        if (existing != null && !TryString(c, existing, out _)) return;
        if (existing == null) c.Reply.Null();
        else c.Reply.Bulk(PackedString.Value((byte[])existing));
        SetValue(c, c.Arg(1), c.Arg(2));
        // Redis 7.0 propagates GETSET as SET.
        if (c.Propagating) c.PropagateAs(Propagation.SetWord, c.ArgBytes(1), c.ArgBytes(2));
    }

    static void GetDel(Client c)
    {
        var existing = c.Db.LookupRead(c.Arg(1));
        if (existing == null) { c.Reply.Null(); return; }
        if (!TryString(c, existing, out var packed)) return;
        c.Reply.Bulk(PackedString.Value(packed));
        c.Db.Delete(c.Arg(1));
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "del");
        if (c.Propagating) c.PropagateAs(c.Server.Config.LazyfreeLazyUserDel ? Propagation.UnlinkWord : Propagation.DelWord, c.ArgBytes(1));
    }

    /// <summary>Stores a string value, dropping any TTL (plain SET semantics), and signals the change.</summary>
    static void SetValue(Client c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        c.Db.SetString(key, value);
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "set");
    }

    static void MGet(Client c)
    {
        c.Reply.ArrayHeader(c.Argc - 1);
        for (int j = 1; j < c.Argc; j++)
        {
            var item = c.Db.LookupRead(c.Arg(j));
            if (item is byte[] packed) c.Reply.Bulk(PackedString.Value(packed));
            else c.Reply.Null();
        }
    }

    static void MSet(Client c)
    {
        if (c.Argc % 2 == 0)
        {
            c.Error("ERR wrong number of arguments for 'mset' command"u8);
            return;
        }
        for (int j = 1; j < c.Argc; j += 2) SetValue(c, c.Arg(j), c.Arg(j + 1));
        c.Reply.Ok();
    }

    static void MSetNx(Client c)
    {
        if (c.Argc % 2 == 0)
        {
            c.Error("ERR wrong number of arguments for 'msetnx' command"u8);
            return;
        }
        for (int j = 1; j < c.Argc; j += 2)
            if (c.Db.LookupWrite(c.Arg(j)) != null) { c.Reply.Integer(0); return; }
        for (int j = 1; j < c.Argc; j += 2) SetValue(c, c.Arg(j), c.Arg(j + 1));
        c.Reply.Integer(1);
    }

    static void IncrByCommand(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long by)) { c.Error(Errors.NotInteger); return; }
        IncrBy(c, by);
    }

    static void DecrByCommand(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long by)) { c.Error(Errors.NotInteger); return; }
        if (by == long.MinValue) { c.Error("ERR decrement would overflow"u8); return; }
        IncrBy(c, -by);
    }

    static void IncrBy(Client c, long by)
    {
        var key = c.Arg(1);
        var item = c.Db.LookupWrite(key);
        long current = 0;
        byte[]? packed = null;
        if (item != null)
        {
            if (!TryString(c, item, out packed)) return;
            if (!NumberParsing.TryParseInt64(PackedString.Value(packed), out current)) { c.Error(Errors.NotInteger); return; }
        }
        if (by < 0 ? current < long.MinValue - by : current > long.MaxValue - by)
        {
            c.Error(Errors.Overflow);
            return;
        }
        long result = current + by;
        Span<byte> digits = stackalloc byte[20];
        int n = NumberParsing.FormatInt64(result, digits);
        if (packed != null && PackedString.Value(packed).Length == n && PackedString.Encoding(packed) == StringEncoding.Int
            && c.Server.SnapshotAllowsInPlaceWrite(packed))
        {
            digits[..n].CopyTo(PackedString.MutableValue(packed));
            PackedString.SetEncoding(packed, StringEncoding.Int); // Redis makes a result in 0..9999 a shared integer
        }
        else if (packed != null)
            c.Db.Replace(PackedString.WithValue(packed, digits[..n], StringEncoding.Int));
        else
            c.Db.Add(PackedString.Create(key, digits[..n], StringEncoding.Int));
        c.Server.Dirty++;
        // Redis names the event "incrby" for INCR, DECR, INCRBY and DECRBY alike.
        c.Server.SignalKeyChange(c, c.Db, key, "incrby");
        c.Reply.Integer(result);
    }

    static void IncrByFloat(Client c)
    {
        var key = c.Arg(1);
        var item = c.Db.LookupWrite(key);
        byte[]? packed = null;
        if (item != null && !TryString(c, item, out packed)) return;
        var current = default(LongDouble);
        if (packed != null && !LongDouble.TryParse(PackedString.Value(packed), out current)
            || !LongDouble.TryParse(c.Arg(2), out var increment))
        {
            c.Error(Errors.NotFloat);
            return;
        }
        if (!LongDouble.TryAdd(current, increment, out var sum))
        {
            c.Error("ERR increment would produce NaN or Infinity"u8);
            return;
        }
        Span<byte> buffer = stackalloc byte[128];
        int length = sum.TryFormatHuman(buffer);
        ReadOnlySpan<byte> bytes = length >= 0 ? buffer[..length] : System.Text.Encoding.ASCII.GetBytes(sum.ToHumanString());
        // Redis stores the formatted number as a plain string object: embstr or raw, never int.
        var encoding = bytes.Length <= PackedString.EmbstrLimit ? StringEncoding.Embstr : StringEncoding.Raw;
        if (packed != null && PackedString.Value(packed).Length == bytes.Length && c.Server.SnapshotAllowsInPlaceWrite(packed))
        {
            bytes.CopyTo(PackedString.MutableValue(packed));
            PackedString.SetEncoding(packed, encoding);
        }
        else if (packed != null) c.Db.Replace(PackedString.WithValue(packed, bytes, encoding));
        else c.Db.Add(PackedString.Create(key, bytes, encoding));
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "incrbyfloat");
        // The float result is what replicas store, not a second addition with its own rounding.
        if (c.Propagating) c.PropagateAs(Propagation.SetWord, key.ToArray(), bytes.ToArray(), Propagation.KeepTtlWord);
        c.Reply.Bulk(bytes);
    }

    /// <summary>Redis's checkStringLength: offset + added bytes may not pass proto-max-bulk-len (the master link is trusted).</summary>
    static bool CheckStringLength(Client c, long size, long append)
    {
        if ((c.Flags & ClientFlags.Master) != 0) return true;
        long total = unchecked(size + append);
        if (total > c.Server.Config.ProtoMaxBulkLen || total < size || total < append || total > Array.MaxLength - 64)
        {
            c.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"u8);
            return false;
        }
        return true;
    }

    static void Append(Client c)
    {
        var key = c.Arg(1);
        var suffix = c.Arg(2);
        var item = c.Db.LookupWrite(key);
        long total;
        if (item == null)
        {
            // A new key gets the value as SET would store it (int, embstr or raw).
            c.Db.Add(PackedString.CreateForSet(key, suffix));
            total = suffix.Length;
        }
        else
        {
            if (!TryString(c, item, out var packed)) return;
            var old = PackedString.Value(packed);
            if (!CheckStringLength(c, old.Length, suffix.Length)) return;
            total = (long)old.Length + suffix.Length;
            var appended = PackedString.CreateConcat(key, old, suffix, StringEncoding.Raw);
            PackedString.SetLru(appended, PackedString.Lru(packed));
            c.Db.Replace(appended);
        }
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "append");
        c.Reply.Integer(total);
    }

    static void StrLen(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Integer(0); return; }
        if (!TryString(c, item, out var packed)) return;
        c.Reply.Integer(PackedString.Value(packed).Length);
    }

    static void GetEx(Client c)
    {
        if (!TryParseStringOptions(c, 2, forGetEx: true, out var flags, out int expireArg)) return;
        var key = c.Arg(1);
        var item = c.Db.LookupRead(key);
        if (item == null) { c.Reply.Null(); return; }
        if (!TryString(c, item, out var packed)) return;
        long expireAt = -1;
        if (expireArg >= 0 && !TryExpireAt(c, expireArg, flags, out expireAt)) return;
        c.Reply.Bulk(PackedString.Value(packed));
        var db = c.Db;
        if ((flags & (SetFlags.ExAt | SetFlags.PxAt)) != 0 && KeyCommands.AlreadyExpired(c, expireAt))
        {
            db.Delete(key);
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, db, key, "del");
            if (c.Propagating) c.PropagateAs(Propagation.DeleteWord(c.Server), key.ToArray());
        }
        else if (expireAt >= 0)
        {
            db.SetExpire(key, expireAt);
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, db, key, "expire");
            if (c.Propagating) c.PropagateAs(Propagation.PExpireAtWord, key.ToArray(), Propagation.Number(expireAt));
        }
        else if ((flags & SetFlags.Persist) != 0 && db.RemoveExpire(key))
        {
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, db, key, "persist");
            if (c.Propagating) c.PropagateAs(Propagation.PersistWord, key.ToArray());
        }
    }

    /// <summary>GETRANGE and SUBSTR: Redis's index rules (negative from the end, clamped, empty when crossed).</summary>
    static void GetRange(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long start) || !NumberParsing.TryParseInt64(c.Arg(3), out long end))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        if (!TryString(c, item, out var packed)) return;
        var value = PackedString.Value(packed);
        long length = value.Length;
        if (start < 0 && end < 0 && start > end) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= length) end = length - 1;
        if (start > end || length == 0) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        c.Reply.Bulk(value.Slice((int)start, (int)(end - start + 1)));
    }

    static void SetRange(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long offset)) { c.Error(Errors.NotInteger); return; }
        if (offset < 0) { c.Error("ERR offset is out of range"u8); return; }
        var key = c.Arg(1);
        var patch = c.Arg(3);
        var item = c.Db.LookupWrite(key);
        long length;
        if (item == null)
        {
            if (patch.Length == 0) { c.Reply.Integer(0); return; }
            if (!CheckStringLength(c, offset, patch.Length)) return;
            var created = PackedString.Create(key, ReadOnlySpan<byte>.Empty, StringEncoding.Raw, extraCapacity: (int)offset + patch.Length);
            patch.CopyTo(PackedString.MutableValue(created)[(int)offset..]);
            c.Db.Add(created);
            length = offset + patch.Length;
        }
        else
        {
            if (!TryString(c, item, out var packed)) return;
            int oldLength = PackedString.Value(packed).Length;
            if (patch.Length == 0) { c.Reply.Integer(oldLength); return; }
            if (!CheckStringLength(c, offset, patch.Length)) return;
            length = Math.Max(oldLength, offset + patch.Length);
            if (length == oldLength && PackedString.Encoding(packed) == StringEncoding.Raw && c.Server.SnapshotAllowsInPlaceWrite(packed))
                patch.CopyTo(PackedString.MutableValue(packed)[(int)offset..]);
            else
            {
                // Redis un-shares the value first: whatever it was, it is a raw string afterwards.
                var rewritten = PackedString.Create(key, PackedString.Value(packed), StringEncoding.Raw, extraCapacity: (int)(length - oldLength));
                PackedString.SetLru(rewritten, PackedString.Lru(packed));
                patch.CopyTo(PackedString.MutableValue(rewritten)[(int)offset..]);
                c.Db.Replace(rewritten);
            }
        }
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "setrange");
        c.Reply.Integer(length);
    }
}
