// List commands (Redis's t_list.c, non-blocking side). Values live in ListObject; this file only
// parses arguments in Redis's order (so the same bad input gets the same error first), replies,
// and keeps the books every write owes: server.dirty, the keyspace event, and deleting a list that
// became empty (with its "del" event). PopAndReply and MoveAndReply are the shared pieces the
// blocking commands (BLPOP, BLMOVE, BLMPOP...) reuse once a key is ready.
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static class ListCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags W = CommandFlags.Write, R = CommandFlags.ReadOnly, Oom = CommandFlags.DenyOom, F = CommandFlags.Fast;
        string[] writeFast = ["write", "list", "fast"], writeSlow = ["write", "list", "slow"], readFast = ["read", "list", "fast"], readSlow = ["read", "list", "slow"];
        void Add(string name, int arity, CommandFlags flags, CommandHandler handler, string[] categories, string since, int first = 1, int last = 1, int step = 1) =>
            t.Add(new Command { Name = name, Arity = arity, Flags = flags, Handler = handler, FirstKey = first, LastKey = last, KeyStep = step, Group = "list", Categories = categories, Since = since });

        Add("lpush", -3, W | Oom | F, c => Push(c, left: true, onlyIfExists: false), writeFast, "1.0.0");
        Add("rpush", -3, W | Oom | F, c => Push(c, left: false, onlyIfExists: false), writeFast, "1.0.0");
        Add("lpushx", -3, W | Oom | F, c => Push(c, left: true, onlyIfExists: true), writeFast, "2.2.0");
        Add("rpushx", -3, W | Oom | F, c => Push(c, left: false, onlyIfExists: true), writeFast, "2.2.0");
        Add("lpop", -2, W | F, c => Pop(c, left: true), writeFast, "1.0.0");
        Add("rpop", -2, W | F, c => Pop(c, left: false), writeFast, "1.0.0");
        Add("llen", 2, R | F, LLen, readFast, "1.0.0");
        Add("lrange", 4, R, LRange, readSlow, "1.0.0");
        Add("lindex", 3, R, LIndex, readSlow, "1.0.0");
        Add("lset", 4, W | Oom, LSet, writeSlow, "1.0.0");
        Add("linsert", 5, W | Oom, LInsert, writeSlow, "2.2.0");
        Add("lrem", 4, W, LRem, writeSlow, "1.0.0");
        Add("ltrim", 4, W, LTrim, writeSlow, "1.0.0");
        Add("lpos", -3, R, LPos, readSlow, "6.0.6");
        Add("lmove", 5, W | Oom, LMove, writeSlow, "6.2.0", last: 2);
        Add("rpoplpush", 3, W | Oom, c => Move(c, fromLeft: false, toLeft: true), writeSlow, "1.2.0", last: 2);
        Add("lmpop", -4, W, LMPop, writeSlow, "7.0.0", first: 0, last: 0, step: 0);
    }

    /// <summary>The list stored at a key: false (after a WRONGTYPE reply) for another type; <paramref name="list"/> is null when missing.</summary>
    public static bool TryList(Client c, object? item, out ListObject? list)
    {
        list = item as ListObject;
        if (item == null || list != null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    static bool ParseLong(Client c, int arg, out long value)
    {
        if (NumberParsing.TryParseInt64(c.Arg(arg), out value)) return true;
        c.Error(Errors.NotInteger);
        return false;
    }

    /// <summary>LEFT or RIGHT (case-insensitive); a syntax error otherwise.</summary>
    public static bool ParseSide(Client c, int arg, out bool left)
    {
        left = Ascii.EqualsIgnoreCase(c.Arg(arg), "left"u8);
        if (left || Ascii.EqualsIgnoreCase(c.Arg(arg), "right"u8)) return true;
        c.Error(Errors.Syntax);
        return false;
    }

    /// <summary>A list that just lost elements is deleted when empty, as Redis does, with its "del" event.</summary>
    static void DeleteIfEmpty(Client c, Db db, ListObject list, ReadOnlySpan<byte> key)
    {
        if (list.Count != 0) return;
        db.Delete(key);
        c.Server.SignalKeyChange(c, db, key, "del");
    }

    static void Push(Client c, bool left, bool onlyIfExists)
    {
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null)
        {
            if (onlyIfExists) { c.Reply.Integer(0); return; }
            list = new ListObject(c.ArgBytes(1));
            c.Db.Add(list);
        }
        if (c.Argc > 3)
        {
            long bytes = 0;
            for (int j = 2; j < c.Argc; j++) bytes += PackedEntry.SizeWithBacklen(c.Arg(j));
            if (bytes < int.MaxValue) list.ReserveForPush(left, (int)bytes);
        }
        for (int j = 2; j < c.Argc; j++) list.Push(c.Arg(j), left);
        c.Server.Dirty += c.Argc - 2;
        // Redis replies first, then raises the event (a RESP3 client subscribed to itself sees that order).
        c.Reply.Integer(list.Count);
        c.Server.SignalKeyChange(c, c.Db, key, left ? "lpush" : "rpush");
    }

    static void Pop(Client c, bool left)
    {
        long count = -1;
        if (c.Argc > 3) { c.Error($"ERR wrong number of arguments for '{c.CurrentCommand!.Name}' command"); return; }
        if (c.Argc == 3 && (!NumberParsing.TryParseInt64(c.Arg(2), out count) || count < 0))
        {
            c.Error("ERR value is out of range, must be positive"u8);
            return;
        }
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null)
        {
            if (count >= 0) c.Reply.NullArray();
            else c.Reply.Null();
            return;
        }
        if (count == 0) { c.Reply.EmptyArray(); return; }
        PopAndReply(c, c.Db, key, list, left, count, withKey: false);
    }

    /// <summary>LMPOP and the blocking pops reach replicas as LPOP/RPOP key [popped count] (Redis 7.0).</summary>
    public static void PropagateAsPop(Client c, ReadOnlySpan<byte> key, bool left, long popped)
    {
        if (!c.Propagating) return;
        var word = left ? Propagation.LPopWord : Propagation.RPopWord;
        if (popped < 0) c.PropagateAs(word, key.ToArray());
        else c.PropagateAs(word, key.ToArray(), Propagation.Number(popped));
    }

    /// <summary>Pops from a non-empty list and replies: one element when <paramref name="count"/> is -1, else an array of up
    /// to count elements; with <paramref name="withKey"/> the reply is [key, element] (BLPOP) or [key, [elements]]
    /// (LMPOP, BLMPOP). Counts dirty, signals lpop/rpop and deletes the list when it empties.</summary>
    public static void PopAndReply(Client c, Db db, ReadOnlySpan<byte> key, ListObject list, bool left, long count, bool withKey)
    {
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        if (count < 0)
        {
            if (withKey)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(key);
            }
            c.Reply.Bulk(list.Peek(left, scratch));
            list.RemoveEnd(left);
            c.Server.Dirty++;
        }
        else
        {
            long n = Math.Min(count, list.Count);
            if (withKey)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(key);
            }
            c.Reply.ArrayHeader(n);
            var p = left ? list.First : list.Last;
            for (long i = 0; i < n; i++)
            {
                c.Reply.Bulk(list.ValueAt(p, scratch));
                if (left) list.Next(ref p);
                else list.Prev(ref p);
            }
            list.RemoveRange(left, n);
            c.Server.Dirty += n;
        }
        c.Server.SignalKeyChange(c, db, key, left ? "lpop" : "rpop");
        DeleteIfEmpty(c, db, list, key);
    }

    static void LLen(Client c)
    {
        if (!TryList(c, c.Db.LookupRead(c.Arg(1)), out var list)) return;
        c.Reply.Integer(list?.Count ?? 0);
    }

    /// <summary>Redis's start/end normalisation for LRANGE and LTRIM; false when the range is empty.</summary>
    static bool NormalizeRange(ref long start, ref long end, long length)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length) return false;
        if (end >= length) end = length - 1;
        return true;
    }

    static void LRange(Client c)
    {
        if (!ParseLong(c, 2, out long start) || !ParseLong(c, 3, out long end)) return;
        if (!TryList(c, c.Db.LookupRead(c.Arg(1)), out var list)) return;
        if (list == null || !NormalizeRange(ref start, ref end, list.Count)) { c.Reply.EmptyArray(); return; }
        long n = end - start + 1;
        c.Reply.ArrayHeader(n);
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        var p = list.PositionOf(start);
        for (long i = 0; i < n; i++)
        {
            c.Reply.Bulk(list.ValueAt(p, scratch));
            if (i + 1 < n) list.Next(ref p);
        }
    }

    static void LIndex(Client c)
    {
        if (!TryList(c, c.Db.LookupRead(c.Arg(1)), out var list)) return;
        if (list == null) { c.Reply.Null(); return; }
        if (!ParseLong(c, 2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count) { c.Reply.Null(); return; }
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        c.Reply.Bulk(list.ValueAt(list.PositionOf(index), scratch));
    }

    static void LSet(Client c)
    {
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null) { c.Error(Errors.NoSuchKey); return; }
        if (!ParseLong(c, 2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count) { c.Error("ERR index out of range"u8); return; }
        list.SetAt(list.PositionOf(index), c.Arg(3));
        c.Server.Dirty++;
        c.Reply.Ok();
        c.Server.SignalKeyChange(c, c.Db, key, "lset");
    }

    static void LInsert(Client c)
    {
        bool after;
        if (Ascii.EqualsIgnoreCase(c.Arg(2), "after"u8)) after = true;
        else if (Ascii.EqualsIgnoreCase(c.Arg(2), "before"u8)) after = false;
        else { c.Error(Errors.Syntax); return; }
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null) { c.Reply.Integer(0); return; }
        var pivot = c.Arg(3);
        var p = list.First;
        bool found = false;
        do
        {
            if (list.ValueEquals(p, pivot)) { found = true; break; }
        } while (list.Next(ref p));
        if (!found) { c.Reply.Integer(-1); return; }
        list.InsertAt(p, c.Arg(4), after);
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, key, "linsert");
        c.Reply.Integer(list.Count);
    }

    static void LRem(Client c)
    {
        if (!ParseLong(c, 2, out long toRemove)) return;
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null) { c.Reply.Integer(0); return; }
        var element = c.Arg(3);
        long removed = 0;
        if (toRemove >= 0)
        {
            var p = list.First;
            bool more = true;
            while (more && (toRemove == 0 || removed < toRemove))
            {
                if (list.ValueEquals(p, element)) { more = list.RemoveAt(ref p); removed++; }
                else more = list.Next(ref p);
            }
        }
        else
        {
            toRemove = -toRemove;
            var p = list.Last;
            while (removed < toRemove)
            {
                var current = p;
                bool hasPrev = list.Prev(ref p);
                if (list.ValueEquals(current, element))
                {
                    // Removing shifts only what follows, so the previous element keeps its position.
                    list.RemoveAt(ref current);
                    removed++;
                }
                if (!hasPrev) break;
            }
        }
        if (removed > 0)
        {
            c.Server.Dirty += removed;
            c.Server.SignalKeyChange(c, c.Db, key, "lrem");
            DeleteIfEmpty(c, c.Db, list, key);
        }
        c.Reply.Integer(removed);
    }

    static void LTrim(Client c)
    {
        if (!ParseLong(c, 2, out long start) || !ParseLong(c, 3, out long end)) return;
        var key = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
        if (list == null) { c.Reply.Ok(); return; }
        long length = list.Count, fromLeft, fromRight;
        if (!NormalizeRange(ref start, ref end, length)) { fromLeft = length; fromRight = 0; }
        else { fromLeft = start; fromRight = length - end - 1; }
        list.RemoveRange(left: true, fromLeft);
        list.RemoveRange(left: false, fromRight);
        c.Server.SignalKeyChange(c, c.Db, key, "ltrim");
        DeleteIfEmpty(c, c.Db, list, key);
        c.Server.Dirty += fromLeft + fromRight;
        c.Reply.Ok();
    }

    static void LPos(Client c)
    {
        long rank = 1, count = -1, maxlen = 0;
        for (int j = 3; j < c.Argc; j++)
        {
            var opt = c.Arg(j);
            bool moreArgs = j + 1 < c.Argc;
            if (Ascii.EqualsIgnoreCase(opt, "rank"u8) && moreArgs)
            {
                j++;
                if (!ParseLong(c, j, out rank)) return;
                if (rank == 0)
                {
                    c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"u8);
                    return;
                }
            }
            else if (Ascii.EqualsIgnoreCase(opt, "count"u8) && moreArgs)
            {
                j++;
                if (!NumberParsing.TryParseInt64(c.Arg(j), out count) || count < 0) { c.Error("ERR COUNT can't be negative"u8); return; }
            }
            else if (Ascii.EqualsIgnoreCase(opt, "maxlen"u8) && moreArgs)
            {
                j++;
                if (!NumberParsing.TryParseInt64(c.Arg(j), out maxlen) || maxlen < 0) { c.Error("ERR MAXLEN can't be negative"u8); return; }
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        bool fromTail = rank < 0;
        // RANK -9223372036854775808 stays negative once negated, as in Redis: every match qualifies.
        if (fromTail) rank = unchecked(-rank);
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null)
        {
            if (count != -1) c.Reply.EmptyArray();
            else c.Reply.Null();
            return;
        }
        if (!TryList(c, item, out var list)) return;
        var element = c.Arg(2);
        long length = list!.Count;
        var p = fromTail ? list.Last : list.First;
        long index = 0, matches = 0;
        var found = count > 0 || count == 0 ? new List<long>() : null;
        long single = -1;
        while (maxlen == 0 || index < maxlen)
        {
            if (list.ValueEquals(p, element))
            {
                matches++;
                if (matches >= rank)
                {
                    long at = fromTail ? length - index - 1 : index;
                    if (found != null)
                    {
                        found.Add(at);
                        if (count != 0 && matches - rank + 1 >= count) break;
                    }
                    else
                    {
                        single = at;
                        break;
                    }
                }
            }
            index++;
            if (!(fromTail ? list.Prev(ref p) : list.Next(ref p))) break;
        }
        if (found != null)
        {
            c.Reply.ArrayHeader(found.Count);
            foreach (long at in found) c.Reply.Integer(at);
        }
        else if (single >= 0) c.Reply.Integer(single);
        else c.Reply.Null();
    }

    static void LMove(Client c)
    {
        if (!ParseSide(c, 3, out bool fromLeft) || !ParseSide(c, 4, out bool toLeft)) return;
        Move(c, fromLeft, toLeft);
    }

    static void Move(Client c, bool fromLeft, bool toLeft)
    {
        var sourceKey = c.Arg(1);
        if (!TryList(c, c.Db.LookupWrite(sourceKey), out var source)) return;
        if (source == null) { c.Reply.Null(); return; }
        if (!TryList(c, c.Db.LookupWrite(c.Arg(2)), out var destination)) return;
        MoveAndReply(c, c.Db, sourceKey, source, c.Arg(2), destination, fromLeft, toLeft);
    }

    /// <summary>LMOVE's body once both keys were checked: pops from <paramref name="source"/>, pushes to the destination
    /// (created when <paramref name="destination"/> is null), replies with the element and keeps the books.</summary>
    public static void MoveAndReply(Client c, Db db, ReadOnlySpan<byte> sourceKey, ListObject source, ReadOnlySpan<byte> destinationKey,
        ListObject? destination, bool fromLeft, bool toLeft)
    {
        var value = source.Pop(fromLeft)!;
        if (destination == null)
        {
            destination = new ListObject(destinationKey.ToArray());
            db.Add(destination);
        }
        destination.Push(value, toLeft);
        c.Server.SignalKeyChange(c, db, destinationKey, toLeft ? "lpush" : "rpush");
        c.Reply.Bulk(value);
        c.Server.SignalKeyChange(c, db, sourceKey, fromLeft ? "lpop" : "rpop");
        DeleteIfEmpty(c, db, source, sourceKey);
        c.Server.Dirty++;
    }

    /// <summary>Parses LMPOP's numkeys, side and COUNT (also BLMPOP's, from <paramref name="numKeysArg"/> on).</summary>
    public static bool ParseMPop(Client c, int numKeysArg, out long numKeys, out bool left, out long count)
    {
        left = false;
        count = -1;
        if (!NumberParsing.TryParseInt64(c.Arg(numKeysArg), out numKeys) || numKeys < 1)
        {
            c.Error("ERR numkeys should be greater than 0"u8);
            return false;
        }
        long sideArg = numKeysArg + numKeys + 1;
        if (sideArg >= c.Argc) { c.Error(Errors.Syntax); return false; }
        if (!ParseSide(c, (int)sideArg, out left)) return false;
        for (int j = (int)sideArg + 1; j < c.Argc; j++)
        {
            if (count == -1 && Ascii.EqualsIgnoreCase(c.Arg(j), "count"u8) && j + 1 < c.Argc)
            {
                j++;
                if (!NumberParsing.TryParseInt64(c.Arg(j), out count) || count < 1)
                {
                    c.Error("ERR count should be greater than 0"u8);
                    return false;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        if (count == -1) count = 1;
        return true;
    }

    static void LMPop(Client c)
    {
        if (!ParseMPop(c, 1, out long numKeys, out bool left, out long count)) return;
        for (int j = 2; j < 2 + numKeys; j++)
        {
            var key = c.Arg(j);
            if (!TryList(c, c.Db.LookupWrite(key), out var list)) return;
            if (list == null || list.Count == 0) continue;
            long popped = Math.Min(count, list.Count);
            PopAndReply(c, c.Db, key, list, left, count, withKey: true);
            PropagateAsPop(c, key, left, popped);
            return;
        }
        c.Reply.NullArray();
    }
}
