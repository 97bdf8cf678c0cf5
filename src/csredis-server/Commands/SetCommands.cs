// Set commands (Redis's t_set.c). Replies, errors, keyspace events and dirty counting follow
// Redis 7.0: SINTER/SUNION/SDIFF type-check every key before computing, missing keys count as
// empty sets, STORE variants overwrite the destination (dropping its TTL) or delete it when the
// result is empty. Results that need a set first (SUNION, SDIFF, any STORE) are built as a real
// SetObject, so their encoding (intset/hashtable) and member order match what Redis produces.
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static class SetCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "sadd", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Handler = SAdd, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "fast"], Summary = "Add one or more members to a set", Complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." });
        t.Add(new Command { Name = "srem", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = SRem, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "fast"], Summary = "Remove one or more members from a set", Complexity = "O(N) where N is the number of members to be removed." });
        t.Add(new Command { Name = "smembers", Arity = 2, Flags = CommandFlags.ReadOnly, Handler = SMembers, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "slow"], Summary = "Get all the members in a set", Complexity = "O(N) where N is the set cardinality." });
        t.Add(new Command { Name = "sismember", Arity = 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = SIsMember, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "fast"], Summary = "Determine if a given value is a member of a set", Complexity = "O(1)" });
        t.Add(new Command { Name = "smismember", Arity = -3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = SMIsMember, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "6.2.0", Categories = ["read", "set", "fast"], Summary = "Returns the membership associated with the given elements for a set", Complexity = "O(N) where N is the number of elements being checked for membership" });
        t.Add(new Command { Name = "scard", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Handler = SCard, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "fast"], Summary = "Get the number of members in a set", Complexity = "O(1)" });
        t.Add(new Command { Name = "spop", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = SPop, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "fast"], Summary = "Remove and return one or multiple random members from a set", Complexity = "Without the count argument O(1), otherwise O(N) where N is the value of the passed count." });
        t.Add(new Command { Name = "srandmember", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = SRandMember, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "slow"], Summary = "Get one or multiple random members from a set", Complexity = "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count." });
        t.Add(new Command { Name = "smove", Arity = 4, Flags = CommandFlags.Write | CommandFlags.Fast, Handler = SMove, FirstKey = 1, LastKey = 2, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "fast"], Summary = "Move a member from one set to another", Complexity = "O(1)" });
        t.Add(new Command { Name = "sinter", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = c => SInter(c, 1, c.Argc - 1, storeArg: -1), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "slow"], Summary = "Intersect multiple sets", Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." });
        t.Add(new Command { Name = "sintercard", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = SInterCard, FirstKey = 0, LastKey = 0, KeyStep = 0, Group = "set", Since = "7.0.0", Categories = ["read", "set", "slow"], Summary = "Intersect multiple sets and return the cardinality of the result", Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." });
        t.Add(new Command { Name = "sinterstore", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SInter(c, 2, c.Argc - 2, storeArg: 1), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "slow"], Summary = "Intersect multiple sets and store the resulting set in a key", Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." });
        t.Add(new Command { Name = "sunion", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = c => SUnionDiff(c, 1, c.Argc - 1, storeArg: -1, diff: false), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "slow"], Summary = "Add multiple sets", Complexity = "O(N) where N is the total number of elements in all given sets." });
        t.Add(new Command { Name = "sunionstore", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SUnionDiff(c, 2, c.Argc - 2, storeArg: 1, diff: false), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "slow"], Summary = "Add multiple sets and store the resulting set in a key", Complexity = "O(N) where N is the total number of elements in all given sets." });
        t.Add(new Command { Name = "sdiff", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = c => SUnionDiff(c, 1, c.Argc - 1, storeArg: -1, diff: true), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["read", "set", "slow"], Summary = "Subtract multiple sets", Complexity = "O(N) where N is the total number of elements in all given sets." });
        t.Add(new Command { Name = "sdiffstore", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = c => SUnionDiff(c, 2, c.Argc - 2, storeArg: 1, diff: true), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "set", Since = "1.0.0", Categories = ["write", "set", "slow"], Summary = "Subtract multiple sets and store the resulting set in a key", Complexity = "O(N) where N is the total number of elements in all given sets." });
        t.Add(new Command { Name = "sscan", Arity = -3, Flags = CommandFlags.ReadOnly, Handler = SScan, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "set", Since = "2.8.0", Categories = ["read", "set", "slow"], Summary = "Incrementally iterate Set elements", Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." });
    }

    /// <summary>Scratch lists reused by one command at a time (the server runs commands on one thread).</summary>
    static readonly List<int> Positions = new();
    static readonly List<SetObject> Sets = new();

    /// <summary>The set stored at a key: false (after a WRONGTYPE reply) for another type; null set when missing.</summary>
    static bool TryLookup(Client c, ReadOnlySpan<byte> key, bool write, out SetObject? set)
    {
        var item = write ? c.Db.LookupWrite(key) : c.Db.LookupRead(key);
        set = item as SetObject;
        if (item == null || set != null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    static long MaxIntset(Client c) => c.Server.Config.SetMaxIntsetEntries;

    static void SAdd(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: true, out var set)) return;
        if (set == null)
        {
            set = SetObject.CreateFor(c.ArgBytes(1), c.Arg(2));
            c.Db.Add(set);
        }
        long added = 0;
        for (int j = 2; j < c.Argc; j++)
            if (set.Add(c.Arg(j), MaxIntset(c))) added++;
        if (added > 0)
        {
            c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "sadd");
            c.Server.Dirty += added;
        }
        c.Reply.Integer(added);
    }

    static void SRem(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: true, out var set)) return;
        if (set == null) { c.Reply.Integer(0); return; }
        long removed = 0;
        bool keyRemoved = false;
        for (int j = 2; j < c.Argc; j++)
        {
            if (!set.Remove(c.Arg(j))) continue;
            removed++;
            if (set.Count == 0)
            {
                c.Db.Delete(c.Arg(1));
                keyRemoved = true;
                break;
            }
        }
        if (removed > 0)
        {
            c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "srem");
            if (keyRemoved) c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "del");
            c.Server.Dirty += removed;
        }
        c.Reply.Integer(removed);
    }

    static void SIsMember(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var set)) return;
        c.Reply.Integer(set != null && set.Contains(c.Arg(2)) ? 1 : 0);
    }

    static void SMIsMember(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var set)) return;
        c.Reply.ArrayHeader(c.Argc - 2);
        for (int j = 2; j < c.Argc; j++) c.Reply.Integer(set != null && set.Contains(c.Arg(j)) ? 1 : 0);
    }

    static void SCard(Client c)
    {
        if (!TryLookup(c, c.Arg(1), write: false, out var set)) return;
        c.Reply.Integer(set?.Count ?? 0);
    }

    /// <summary>Every member, in the set's own order (ascending for an intset).</summary>
    static void ReplyMembers(Client c, SetObject set)
    {
        Span<byte> scratch = stackalloc byte[20];
        c.Reply.SetHeader(set.Count);
        for (int p = 0; p < set.PositionLimit; p++)
            if (set.TryGetAt(p, scratch, out var member)) c.Reply.Bulk(member);
    }

    static void SPop(Client c)
    {
        if (c.Argc > 3) { c.Error(Errors.Syntax); return; }
        var key = c.Arg(1);
        if (c.Argc == 3) { SPopWithCount(c); return; }
        if (!TryLookup(c, key, write: true, out var set)) return;
        if (set == null) { c.Reply.Null(); return; }
        Span<byte> scratch = stackalloc byte[20];
        int position = set.RandomPosition(c.Server.Random);
        set.TryGetAt(position, scratch, out var member);
        // Redis raises spop before it replies (the reverse of most commands).
        c.Server.SignalKeyChange(c, c.Db, key, "spop");
        c.Reply.Bulk(member);
        // A random pick is not replayable: replicas remove the member that was picked.
        if (c.Propagating) c.PropagateAs(Propagation.SRemWord, key.ToArray(), member.ToArray());
        set.RemoveAt(position);
        if (set.Count == 0)
        {
            c.Db.Delete(key);
            c.Server.SignalKeyChange(c, c.Db, key, "del");
        }
        c.Server.Dirty++;
    }

    static void SPopWithCount(Client c)
    {
        var key = c.Arg(1);
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long count) || count < 0)
        {
            c.Error("ERR value is out of range, must be positive"u8);
            return;
        }
        if (!TryLookup(c, key, write: true, out var set)) return;
        if (set == null || count == 0) { c.Reply.SetHeader(0); return; }
        c.Server.SignalKeyChange(c, c.Db, key, "spop");
        c.Server.Dirty += count;
        if (count >= set.Count)
        {
            ReplyMembers(c, set);
            if (c.Propagating)
                c.PropagateAs(c.Server.Config.Registry.Find("lazyfree-lazy-server-del")!.Get() == "yes" ? Propagation.UnlinkWord : Propagation.DelWord, key.ToArray());
            c.Db.Delete(key);
            c.Server.SignalKeyChange(c, c.Db, key, "del");
            return;
        }
        Span<byte> scratch = stackalloc byte[20];
        c.Reply.SetHeader(count);
        for (long i = 0; i < count; i++)
        {
            int position = set.RandomPosition(c.Server.Random);
            set.TryGetAt(position, scratch, out var member);
            c.Reply.Bulk(member);
            // Each picked member reaches replicas as its own SREM (Redis 7.0), the SPOP itself does not.
            if (c.Propagating) c.Server.Replication.Propagation.Also(c.Db.Id, [Propagation.SRemWord, key.ToArray(), member.ToArray()]);
            set.RemoveAt(position);
        }
        c.Server.Replication.Propagation.Prevent();
    }

    static void SRandMember(Client c)
    {
        if (c.Argc > 3) { c.Error(Errors.Syntax); return; }
        Span<byte> scratch = stackalloc byte[20];
        if (c.Argc == 2)
        {
            if (!TryLookup(c, c.Arg(1), write: false, out var single)) return;
            if (single == null) { c.Reply.Null(); return; }
            single.TryGetAt(single.RandomPosition(c.Server.Random), scratch, out var member);
            c.Reply.Bulk(member);
            return;
        }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long count)) { c.Error(Errors.NotInteger); return; }
        if (count == long.MinValue)
        {
            c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8);
            return;
        }
        if (!TryLookup(c, c.Arg(1), write: false, out var set)) return;
        if (set == null || count == 0) { c.Reply.EmptyArray(); return; }
        if (count < 0)
        {
            // Repetitions allowed: independent picks.
            c.Reply.ArrayHeader(-count);
            for (long i = 0; i < -count; i++)
            {
                set.TryGetAt(set.RandomPosition(c.Server.Random), scratch, out var member);
                c.Reply.Bulk(member);
            }
            return;
        }
        if (count >= set.Count)
        {
            c.Reply.ArrayHeader(set.Count);
            for (int p = 0; p < set.PositionLimit; p++)
                if (set.TryGetAt(p, scratch, out var member)) c.Reply.Bulk(member);
            return;
        }
        var picked = DistinctRandomPositions(set, (int)count, c.Server.Random);
        c.Reply.ArrayHeader(picked.Count);
        foreach (int p in picked)
        {
            set.TryGetAt(p, scratch, out var member);
            c.Reply.Bulk(member);
        }
    }

    /// <summary>count distinct positions (count &lt; size): a partial shuffle when most are wanted, random probes otherwise.</summary>
    static List<int> DistinctRandomPositions(SetObject set, int count, Random random)
    {
        Positions.Clear();
        if ((long)count * 3 > set.Count)
        {
            Span<byte> scratch = stackalloc byte[20];
            for (int p = 0; p < set.PositionLimit; p++)
                if (set.TryGetAt(p, scratch, out _)) Positions.Add(p);
            for (int i = 0; i < count; i++)
            {
                int j = i + random.Next(Positions.Count - i);
                (Positions[i], Positions[j]) = (Positions[j], Positions[i]);
            }
            Positions.RemoveRange(count, Positions.Count - count);
            return Positions;
        }
        var seen = new HashSet<int>();
        while (seen.Count < count)
        {
            int p = set.RandomPosition(random);
            if (seen.Add(p)) Positions.Add(p);
        }
        return Positions;
    }

    static void SMove(Client c)
    {
        var srcKey = c.Arg(1);
        var dstKey = c.Arg(2);
        var member = c.Arg(3);
        if (c.Db.LookupWrite(srcKey) == null) { c.Reply.Integer(0); return; }
        if (!TryLookup(c, srcKey, write: true, out var src)) return;
        if (!TryLookup(c, dstKey, write: true, out var dst)) return;
        if (src == null) { c.Reply.Integer(0); return; }
        if (src == dst) { c.Reply.Integer(src.Contains(member) ? 1 : 0); return; }
        if (!src.Remove(member)) { c.Reply.Integer(0); return; }
        c.Server.SignalKeyChange(c, c.Db, srcKey, "srem");
        if (src.Count == 0)
        {
            c.Db.Delete(srcKey);
            c.Server.SignalKeyChange(c, c.Db, srcKey, "del");
        }
        if (dst == null)
        {
            dst = SetObject.CreateFor(c.ArgBytes(2), member);
            c.Db.Add(dst);
        }
        c.Server.Dirty++;
        if (dst.Add(member, MaxIntset(c)))
        {
            c.Server.Dirty++;
            c.Server.SignalKeyChange(c, c.Db, dstKey, "sadd");
        }
        c.Reply.Integer(1);
    }

    /// <summary>Looks up every source set (null for missing keys) into Sets; false after a WRONGTYPE reply.</summary>
    static bool TryCollect(Client c, int firstKey, int keyCount, out int missing)
    {
        Sets.Clear();
        missing = 0;
        for (int j = firstKey; j < firstKey + keyCount; j++)
        {
            if (!TryLookup(c, c.Arg(j), write: false, out var set)) { Sets.Clear(); return false; }
            if (set == null) missing++;
            Sets.Add(set!);
        }
        return true;
    }

    static void SMembers(Client c) => SInter(c, 1, 1, storeArg: -1);

    /// <summary>SINTER / SINTERSTORE: walk the smallest set, keep members every other set holds.</summary>
    static void SInter(Client c, int firstKey, int keyCount, int storeArg)
    {
        if (!TryCollect(c, firstKey, keyCount, out int missing)) return;
        if (missing > 0)
        {
            Sets.Clear();
            if (storeArg < 0) { c.Reply.SetHeader(0); return; }
            DeleteDestination(c, storeArg);
            c.Reply.Integer(0);
            return;
        }
        Sets.Sort((a, b) => a.Count.CompareTo(b.Count));
        var smallest = Sets[0];
        Span<byte> scratch = stackalloc byte[20];
        SetObject? result = storeArg >= 0 ? new SetObject(c.ArgBytes(storeArg)) : null;
        Positions.Clear();
        for (int p = 0; p < smallest.PositionLimit; p++)
        {
            if (!smallest.TryGetAt(p, scratch, out var member) || !InAllOthers(member)) continue;
            if (result != null) result.Add(member, MaxIntset(c));
            else Positions.Add(p);
        }
        if (result == null)
        {
            c.Reply.SetHeader(Positions.Count);
            foreach (int p in Positions)
            {
                smallest.TryGetAt(p, scratch, out var member);
                c.Reply.Bulk(member);
            }
            Sets.Clear();
            return;
        }
        Sets.Clear();
        StoreResult(c, storeArg, result, "sinterstore");
    }

    static bool InAllOthers(ReadOnlySpan<byte> member)
    {
        for (int i = 1; i < Sets.Count; i++)
            if (!Sets[i].Contains(member)) return false;
        return true;
    }

    static void SInterCard(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(1), out long numKeys) || numKeys <= 0)
        {
            c.Error("ERR numkeys should be greater than 0"u8);
            return;
        }
        if (numKeys > c.Argc - 2)
        {
            c.Error("ERR Number of keys can't be greater than number of args"u8);
            return;
        }
        long limit = 0;
        for (int j = 2 + (int)numKeys; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "limit"u8) && j + 1 < c.Argc)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out limit) || limit < 0)
                {
                    c.Error("ERR LIMIT can't be negative"u8);
                    return;
                }
                j++;
            }
            else { c.Error(Errors.Syntax); return; }
        }
        if (!TryCollect(c, 2, (int)numKeys, out int missing)) return;
        if (missing > 0) { Sets.Clear(); c.Reply.Integer(0); return; }
        Sets.Sort((a, b) => a.Count.CompareTo(b.Count));
        var smallest = Sets[0];
        Span<byte> scratch = stackalloc byte[20];
        long count = 0;
        for (int p = 0; p < smallest.PositionLimit; p++)
        {
            if (!smallest.TryGetAt(p, scratch, out var member) || !InAllOthers(member)) continue;
            if (++count == limit) break;
        }
        Sets.Clear();
        c.Reply.Integer(count);
    }

    /// <summary>SUNION / SDIFF (and STORE forms): the result is built as a set, then replied or stored.</summary>
    static void SUnionDiff(Client c, int firstKey, int keyCount, int storeArg, bool diff)
    {
        if (!TryCollect(c, firstKey, keyCount, out _)) return;
        var result = new SetObject(storeArg >= 0 ? c.ArgBytes(storeArg) : []);
        Span<byte> scratch = stackalloc byte[20];
        long maxIntset = MaxIntset(c);
        if (!diff)
        {
            foreach (var set in Sets)
            {
                if (set == null) continue;
                for (int p = 0; p < set.PositionLimit; p++)
                    if (set.TryGetAt(p, scratch, out var member)) result.Add(member, maxIntset);
            }
        }
        else if (Sets[0] != null)
        {
            var first = Sets[0];
            for (int p = 0; p < first.PositionLimit; p++)
            {
                if (!first.TryGetAt(p, scratch, out var member)) continue;
                bool elsewhere = false;
                for (int i = 1; i < Sets.Count && !elsewhere; i++)
                    elsewhere = Sets[i] != null && Sets[i].Contains(member);
                if (!elsewhere) result.Add(member, maxIntset);
            }
        }
        Sets.Clear();
        if (storeArg < 0) ReplyMembers(c, result);
        else StoreResult(c, storeArg, result, diff ? "sdiffstore" : "sunionstore");
    }

    static void StoreResult(Client c, int storeArg, SetObject result, string eventName)
    {
        if (result.Count > 0)
        {
            c.Db.Set(result);
            c.Reply.Integer(result.Count);
            c.Server.SignalKeyChange(c, c.Db, c.Arg(storeArg), eventName);
            c.Server.Dirty++;
            return;
        }
        c.Reply.Integer(0);
        DeleteDestination(c, storeArg);
    }

    static void DeleteDestination(Client c, int storeArg)
    {
        if (c.Db.LookupWrite(c.Arg(storeArg)) == null) return;
        c.Db.Delete(c.Arg(storeArg));
        c.Server.Dirty++;
        c.Server.SignalKeyChange(c, c.Db, c.Arg(storeArg), "del");
    }

    static void SScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!TryLookup(c, c.Arg(1), write: false, out var set)) return;
        if (set == null) { CollectionScan.ReplyHeader(c, 0, 0); return; }
        if (!CollectionScan.TryParseOptions(c, 3, out int patternArg, out long count)) return;
        Positions.Clear();
        if (set.IsIntSet) cursor = set.Scan(cursor, Positions);
        else
        {
            long buckets = CollectionScan.MaxBuckets(count);
            do cursor = set.Scan(cursor, Positions);
            while (cursor != 0 && --buckets > 0 && Positions.Count < count);
        }
        Span<byte> scratch = stackalloc byte[20];
        if (patternArg >= 0)
        {
            var pattern = c.Arg(patternArg);
            bool matchAll = pattern.Length == 1 && pattern[0] == '*';
            if (!matchAll)
            {
                int kept = 0;
                for (int i = 0; i < Positions.Count; i++)
                    if (set.TryGetAt(Positions[i], scratch, out var member) && Glob.Match(pattern, member)) Positions[kept++] = Positions[i];
                Positions.RemoveRange(kept, Positions.Count - kept);
            }
        }
        CollectionScan.ReplyHeader(c, cursor, Positions.Count);
        foreach (int p in Positions)
        {
            set.TryGetAt(p, scratch, out var member);
            c.Reply.Bulk(member);
        }
    }
}
