// Persistence commands: SAVE BGSAVE LASTSAVE DUMP RESTORE, and the DEBUG subcommands that belong to
// persistence (DIGEST, DIGEST-VALUE, RELOAD) as static handlers the DEBUG container can route to.
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;
using Csredis.Server.Persistence;
using Csredis.Server.Rdb;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static class PersistenceCommands
{
    public static void Register(CommandTable t)
    {
        var adminFlags = CommandFlags.Admin | CommandFlags.NoScript;
        t.Add(new Command { Name = "save", Arity = 1, Flags = adminFlags | CommandFlags.NoAsyncLoading | CommandFlags.NoMulti, Handler = Save, Group = "server", Categories = ["admin", "slow", "dangerous"] });
        t.Add(new Command { Name = "bgsave", Arity = -1, Flags = adminFlags | CommandFlags.NoAsyncLoading, Handler = BgSave, Group = "server", Since = "1.0.0", Categories = ["admin", "slow", "dangerous"] });
        t.Add(new Command { Name = "lastsave", Arity = 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Handler = LastSave, Group = "server", Categories = ["admin", "fast", "dangerous"] });
        t.Add(new Command { Name = "dump", Arity = 2, Flags = CommandFlags.ReadOnly, Handler = Dump, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "2.6.0", Categories = ["keyspace", "read", "slow"] });
        t.Add(new Command { Name = "restore", Arity = -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, Handler = Restore, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "generic", Since = "2.6.0", Categories = ["keyspace", "write", "slow", "dangerous"] });
    }

    static void Save(Client c)
    {
        if (c.Server.Persistence.BgsaveInProgress)
        {
            c.Error("ERR Background save already in progress"u8);
            return;
        }
        if (c.Server.Persistence.SaveSync()) c.Reply.Ok();
        else c.Error("ERR"u8);
    }

    static void BgSave(Client c)
    {
        if (c.Argc > 1 && !(c.Argc == 2 && c.ArgIs(1, "schedule"u8)))
        {
            c.Error(Errors.Syntax);
            return;
        }
        // SCHEDULE only matters while an AOF rewrite runs; without one BGSAVE starts at once either way.
        string? error = c.Server.Persistence.StartBackgroundSave();
        if (error != null) c.Error(error);
        else c.Reply.SimpleString("Background saving started"u8);
    }

    static void LastSave(Client c) => c.Reply.Integer(c.Server.Persistence.LastSaveUnix);

    /// <summary>DUMP's payload: type and value as in RDB, then the RDB version (2 bytes LE) and a CRC-64 of all before it (8 bytes LE).</summary>
    public static byte[] CreateDumpPayload(object item)
    {
        var w = new RdbWriter(64) { Compress = true, Checksum = true };
        RdbValues.WriteTypeAndValue(w, item);
        w.WriteByte(RdbFormat.Version & 0xFF);
        w.WriteByte((RdbFormat.Version >> 8) & 0xFF);
        ulong crc = w.Crc;
        Span<byte> trailer = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(trailer, crc);
        w.WriteRaw(trailer);
        return w.WrittenSpan.ToArray();
    }

    static void Dump(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(1));
        if (item == null)
        {
            c.Reply.Null();
            return;
        }
        c.Reply.Bulk(CreateDumpPayload(item));
    }

    static bool PayloadIsValid(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10) return false;
        var footer = payload[^10..];
        int version = footer[0] | footer[1] << 8;
        if (version > RdbFormat.Version) return false;
        ulong crc = Crc64.Compute(payload[..^8]);
        return crc == System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(payload[^8..]);
    }

    static void Restore(Client c)
    {
        bool replace = false, absTtl = false;
        long idle = -1, freq = -1;
        for (int j = 4; j < c.Argc; j++)
        {
            bool more = j + 1 < c.Argc;
            if (c.ArgIs(j, "replace"u8)) replace = true;
            else if (c.ArgIs(j, "absttl"u8)) absTtl = true;
            else if (c.ArgIs(j, "idletime"u8) && more && freq == -1)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out idle)) { c.Error(Errors.NotInteger); return; }
                if (idle < 0) { c.Error("ERR Invalid IDLETIME value, must be >= 0"u8); return; }
                j++;
            }
            else if (c.ArgIs(j, "freq"u8) && more && idle == -1)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out freq)) { c.Error(Errors.NotInteger); return; }
                if (freq < 0 || freq > 255) { c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255"u8); return; }
                j++;
            }
            else { c.Error(Errors.Syntax); return; }
        }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long ttl)) { c.Error(Errors.NotInteger); return; }
        if (ttl < 0) { c.Error("ERR Invalid TTL value, must be >= 0"u8); return; }
        var key = c.ArgBytes(1);
        var db = c.Db;
        bool exists = db.LookupWrite(key) != null;
        if (exists && !replace)
        {
            c.Error("BUSYKEY Target key name already exists."u8);
            return;
        }
        var payload = c.Arg(3);
        if (!PayloadIsValid(payload))
        {
            c.Error("ERR DUMP payload version or checksum are wrong"u8);
            return;
        }
        object? item;
        try
        {
            var bytes = payload[..^10].ToArray();
            var reader = new RdbReader(bytes, bytes.Length) { TrackChecksum = false };
            byte type = reader.ReadByte();
            if (!RdbFormat.IsObjectType(type) || type == RdbFormat.TypeModulePreGa || type == RdbFormat.TypeModule2)
                throw new RdbFormatException("bad type", 0);
            item = RdbValues.ReadValue(reader, type, key);
            if (item == null) throw new RdbFormatException("empty key", reader.Offset);
            if (!reader.AtEnd) throw new RdbFormatException("trailing bytes", reader.Offset);
        }
        catch (RdbFormatException)
        {
            c.Error("ERR Bad data format"u8);
            return;
        }
        if (ttl > 0 && !absTtl) ttl += c.Server.CommandTimeMs;
        if (ttl > 0 && ttl <= c.Server.CommandTimeMs && !c.Server.IsLoadingOrReplicaStream(c))
        {
            // Already expired: the key ends up deleted, as if it had expired right after the restore.
            if (exists)
            {
                db.Delete(key);
                c.Server.Dirty++;
                c.Server.SignalKeyChange(c, db, key, "del");
                if (c.Propagating)
                    c.PropagateAs(c.Server.Config.Registry.Find("lazyfree-lazy-server-del")!.Get() == "yes" ? Propagation.UnlinkWord : Propagation.DelWord, key);
            }
            c.Reply.Ok();
            return;
        }
        if (exists) db.Delete(key);
        db.Add(item);
        if (ttl > 0) db.SetExpire(key, ttl);
        RdbValues.ApplyAccessHints(item, idle, freq);
        c.Server.Dirty++;
        // A relative TTL reaches replicas as the absolute time it became (RESTORE ... ABSTTL), as Redis 7.0.
        if (ttl > 0 && !absTtl && c.Propagating)
        {
            var args = c.CopyArgs();
            args[2] = Propagation.Number(ttl);
            c.PropagateAs([.. args, Propagation.AbsTtlWord]);
        }
        c.Server.SignalKeyChange(c, db, key, "restore");
        c.Reply.Ok();
    }

    // ---- DEBUG subcommands (routed from the DEBUG command container) ----

    static void ReplyDigest(Client c, ReadOnlySpan<byte> digest)
    {
        Span<byte> hex = stackalloc byte[40];
        for (int i = 0; i < 20; i++)
        {
            hex[2 * i] = (byte)"0123456789abcdef"[digest[i] >> 4];
            hex[2 * i + 1] = (byte)"0123456789abcdef"[digest[i] & 15];
        }
        c.Reply.SimpleString(hex);
    }

    /// <summary>DEBUG DIGEST: one digest of the whole data set (40 zeros when it is empty).</summary>
    public static void DebugDigest(Client c)
    {
        if (c.Argc != 2) { c.Error(Errors.Syntax); return; }
        ReplyDigest(c, DatasetDigest.OfDataset(c.Server.Databases));
    }

    /// <summary>DEBUG DIGEST-VALUE key...: the value digest of each key (zeros for a missing key).</summary>
    public static void DebugDigestValue(Client c)
    {
        c.Reply.ArrayHeader(c.Argc - 2);
        for (int j = 2; j < c.Argc; j++) ReplyDigest(c, DatasetDigest.OfValue(c.Db, c.Arg(j)));
    }

    /// <summary>DEBUG RELOAD [NOSAVE]: save the RDB file (unless NOSAVE), empty the data set and load the file.</summary>
    public static void DebugReload(Client c)
    {
        bool save = true;
        for (int j = 2; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "nosave"u8)) save = false;
            else { c.Error("ERR DEBUG RELOAD only supports the NOSAVE option in csredis"u8); return; }
        }
        string? error = c.Server.Persistence.DebugReload(save, flush: true);
        if (error != null) c.Error(error);
        else c.Reply.Ok();
    }
}
