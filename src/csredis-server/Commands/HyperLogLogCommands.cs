// HyperLogLog commands (Redis's hyperloglog.c commands): PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
// An HLL is a string value in Redis's byte format (Keyspace/Types/HyperLogLog.cs). Every command
// that may write an HLL makes it a private raw string first, as Redis does, then edits it through
// one reusable HyperLogLogEditor (the server runs one command at a time). Lookups are Redis's:
// PFADD, PFDEBUG and the PFMERGE destination look up for writing, PFCOUNT and the PFMERGE sources
// for reading, so hit/miss counters and keymiss events agree. PFCOUNT of one key stores its estimate in the
// header: that is a change (dirty, WATCH) without a keyspace event; PFMERGE reports "pfadd".
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class HyperLogLogCommands
{
    static readonly HyperLogLogEditor Editor = new();
    /// <summary>The union PFMERGE and multi-key PFCOUNT build: one register per byte.</summary>
    static readonly byte[] UnionRegisters = new byte[HyperLogLog.Registers];

    static ReadOnlySpan<byte> NotHyperLogLog => "WRONGTYPE Key is not a valid HyperLogLog string value."u8;
    static ReadOnlySpan<byte> Corrupted => "INVALIDOBJ Corrupted HLL object detected"u8;

    public static void Register(CommandTable t)
    {
        const string group = "hyperloglog", since = "2.8.9";
        t.Add(new Command { Name = "pfadd", Arity = -2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Handler = PfAdd, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = group, Since = since, Categories = ["write", "hyperloglog", "fast"] });
        t.Add(new Command { Name = "pfcount", Arity = -2, Flags = CommandFlags.ReadOnly, Handler = PfCount, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = group, Since = since, Categories = ["read", "hyperloglog", "slow"] });
        t.Add(new Command { Name = "pfmerge", Arity = -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = PfMerge, FirstKey = 1, LastKey = -1, KeyStep = 1, Group = group, Since = since, Categories = ["write", "hyperloglog", "slow"] });
        t.Add(new Command { Name = "pfdebug", Arity = 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Admin, Handler = PfDebug, FirstKey = 2, LastKey = 2, KeyStep = 1, Group = group, Since = since, Categories = ["write", "hyperloglog", "admin", "slow", "dangerous"] });
        t.Add(new Command { Name = "pfselftest", Arity = 1, Flags = CommandFlags.Admin, Handler = PfSelfTest, Group = group, Since = since, Categories = ["hyperloglog", "admin", "slow", "dangerous"] });
    }

    /// <summary>The packed string of a valid HLL, or a WRONGTYPE reply (false): another type, or a string that is no HLL.</summary>
    static bool TryHyperLogLog(Client c, object item, out byte[] packed)
    {
        if (!StringCommands.TryString(c, item, out packed)) return false;
        if (HyperLogLog.IsValid(PackedString.Value(packed))) return true;
        c.Error(NotHyperLogLog);
        return false;
    }

    static void BeginEdit(Client c, byte[]? packed) =>
        Editor.Begin(packed, packed != null && c.Server.SnapshotAllowsInPlaceWrite(packed), c.Server.Config.HllSparseMaxBytes);

    static void PfAdd(Client c)
    {
        var key = c.Arg(1);
        var db = c.Db;
        var item = db.LookupWrite(key);
        byte[]? packed = null;
        if (item != null && !TryHyperLogLog(c, item, out packed)) return;
        BeginEdit(c, packed);
        // Creating the key counts as an update, even without elements.
        long updated = packed == null ? 1 : 0;
        for (int j = 2; j < c.Argc; j++)
        {
            int result = Editor.Add(c.Arg(j));
            if (result < 0)
            {
                // Registers set before the broken part stay set, as in Redis; nothing is signalled.
                Editor.Commit(db, key);
                c.Error(Corrupted);
                return;
            }
            updated += result;
        }
        if (updated > 0) Editor.MarkStale();
        Editor.Commit(db, key);
        if (updated > 0)
        {
            c.Server.SignalKeyChange(c, db, key, "pfadd");
            c.Server.Dirty += updated;
        }
        c.Reply.Integer(updated > 0 ? 1 : 0);
    }

    static void PfCount(Client c)
    {
        var db = c.Db;
        if (c.Argc > 2)
        {
            var union = UnionRegisters.AsSpan();
            union.Clear();
            for (int j = 1; j < c.Argc; j++)
            {
                var source = db.LookupRead(c.Arg(j));
                if (source == null) continue;
                if (!TryHyperLogLog(c, source, out var packed)) return;
                if (!HyperLogLog.MergeInto(union, PackedString.Value(packed))) { c.Error(Corrupted); return; }
            }
            c.Reply.Integer((long)HyperLogLog.CountRegisters(union));
            return;
        }

        // A read lookup although the cached estimate may be written: PFCOUNT is a read-only command.
        var key = c.Arg(1);
        var item = db.LookupRead(key);
        if (item == null) { c.Reply.Integer(0); return; }
        if (!TryHyperLogLog(c, item, out var stored)) return;
        BeginEdit(c, stored);
        ulong cardinality;
        bool recomputed = !HyperLogLog.CacheIsValid(Editor.Value);
        if (!recomputed) cardinality = HyperLogLog.CachedCardinality(Editor.Value);
        else
        {
            if (!HyperLogLog.TryCount(Editor.Value, out cardinality))
            {
                Editor.Commit(db, key);
                c.Error(Corrupted);
                return;
            }
            Editor.StoreCardinality(cardinality);
        }
        Editor.Commit(db, key);
        if (recomputed)
        {
            c.Server.SignalModifiedKey(c, db, key);
            c.Server.Dirty++;
        }
        c.Reply.Integer((long)cardinality);
    }

    static void PfMerge(Client c)
    {
        var db = c.Db;
        var union = UnionRegisters.AsSpan();
        union.Clear();
        bool anyDense = false;
        // The destination is the first source.
        for (int j = 1; j < c.Argc; j++)
        {
            var source = db.LookupRead(c.Arg(j));
            if (source == null) continue;
            if (!TryHyperLogLog(c, source, out var packed)) return;
            var value = PackedString.Value(packed);
            if (HyperLogLog.IsDense(value)) anyDense = true;
            if (!HyperLogLog.MergeInto(union, value)) { c.Error(Corrupted); return; }
        }

        var key = c.Arg(1);
        var item = db.LookupWrite(key);
        BeginEdit(c, item as byte[]);
        // A dense source makes the destination dense, whatever the registers would allow.
        if (anyDense && !Editor.ToDense())
        {
            Editor.Commit(db, key);
            c.Error(Corrupted);
            return;
        }
        for (int i = 0; i < union.Length; i++)
            if (union[i] != 0) Editor.Set(i, union[i]);
        Editor.MarkStale();
        Editor.Commit(db, key);
        c.Server.SignalKeyChange(c, db, key, "pfadd");
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    /// <summary>PFDEBUG GETREG | DECODE | ENCODING | TODENSE key.</summary>
    static void PfDebug(Client c)
    {
        var subcommand = c.Arg(1);
        var key = c.Arg(2);
        var db = c.Db;
        var item = db.LookupWrite(key);
        if (item == null) { c.Error("ERR The specified key does not exist"u8); return; }
        if (!TryHyperLogLog(c, item, out var stored)) return;
        BeginEdit(c, stored);
        if (Ascii.EqualsIgnoreCase(subcommand, "getreg"u8))
        {
            if (!Editor.IsDense)
            {
                if (!Editor.ToDense())
                {
                    Editor.Commit(db, key);
                    c.Error(Corrupted);
                    return;
                }
                // The conversion is a write of its own, so it reaches replicas.
                c.Server.Dirty++;
            }
            Editor.Commit(db, key);
            var registers = Editor.Value[HyperLogLog.HeaderSize..];
            c.Reply.ArrayHeader(HyperLogLog.Registers);
            for (int i = 0; i < HyperLogLog.Registers; i++) c.Reply.Integer(HyperLogLog.GetRegister(registers, i));
        }
        else if (Ascii.EqualsIgnoreCase(subcommand, "decode"u8))
        {
            Editor.Commit(db, key);
            if (Editor.IsDense) { c.Error("ERR HLL encoding is not sparse"u8); return; }
            c.Reply.Bulk(System.Text.Encoding.ASCII.GetBytes(HyperLogLog.DecodeSparse(Editor.Value)));
        }
        else if (Ascii.EqualsIgnoreCase(subcommand, "encoding"u8))
        {
            Editor.Commit(db, key);
            c.Reply.SimpleString(Editor.IsDense ? "dense"u8 : "sparse"u8);
        }
        else if (Ascii.EqualsIgnoreCase(subcommand, "todense"u8))
        {
            bool converted = !Editor.IsDense;
            if (converted && !Editor.ToDense())
            {
                Editor.Commit(db, key);
                c.Error(Corrupted);
                return;
            }
            Editor.Commit(db, key);
            if (converted) c.Server.Dirty++;
            c.Reply.Integer(converted ? 1 : 0);
        }
        else
        {
            Editor.Commit(db, key);
            c.Error("ERR Unknown PFDEBUG subcommand '" + c.ArgString(1) + "'");
        }
    }

    static void PfSelfTest(Client c)
    {
        string? failure = HyperLogLog.SelfTest(c.Server.Config.HllSparseMaxBytes);
        if (failure == null) c.Reply.Ok();
        else c.Error(failure);
    }
}
