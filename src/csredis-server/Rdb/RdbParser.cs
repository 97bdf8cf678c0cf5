// Walks an RDB stream record by record (Redis's rdbLoadRioWithLoadingCtx) and hands what it finds
// to a visitor: the server's loader builds keyspace tables from it, --check-rdb prints a report.
// The parser tracks what it was doing and which value type it was reading, so an error can say
// where and why, as redis-check-rdb does.
using System.Text;

namespace Csredis.Server.Rdb;

public interface IRdbVisitor
{
    void Aux(string key, byte[] value, long offset);
    void SelectDb(int db, long offset);
    void ResizeDb(long keys, long expires);
    /// <summary>A key-value record; <paramref name="expireMs"/> is -1 without a TTL, <paramref name="idleSeconds"/> -1 without a hint.</summary>
    void Key(int db, byte[] key, object value, long expireMs, long idleSeconds);
    void FunctionLibrary(byte[] code, long offset);
    void ChecksumResult(ulong expected, ulong stored, long offset);
}

public sealed class RdbParser
{
    public int Version;
    public string Doing = "start";
    /// <summary>Type byte of the value being read, or -1 between values.</summary>
    public int CurrentType = -1;
    public long KeysRead, Expires, AlreadyExpired;
    /// <summary>Key of the value being read (error reports), or null.</summary>
    public byte[]? CurrentKey;
    public bool VerifyChecksum = true;
    /// <summary>Keys whose expiry already passed are skipped (a master's load); a replica keeps them.</summary>
    public bool SkipExpired = true;
    public long NowMs = Common.Clock.UnixMs();

    static readonly string ModuleNameCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public void Parse(RdbReader r, IRdbVisitor visitor, int databases)
    {
        var magic = new byte[9];
        for (int i = 0; i < 9; i++)
        {
            if (r.AtEnd) throw new RdbFormatException("Unexpected EOF reading RDB file", r.Offset);
            magic[i] = r.ReadByte();
        }
        if (!magic.AsSpan(0, 5).SequenceEqual("REDIS"u8))
            throw new RdbFormatException("Wrong signature trying to load DB from file", 0);
        if (!int.TryParse(Encoding.ASCII.GetString(magic, 5, 4), out Version) || Version < RdbFormat.OldestVersion || Version > RdbFormat.Version)
            throw new RdbFormatException($"Can't handle RDB format version {Encoding.ASCII.GetString(magic, 5, 4)}", 5);

        int db = 0;
        long expireMs = -1, idleSeconds = -1;
        while (true)
        {
            Doing = "read-type";
            CurrentType = -1;
            long recordOffset = r.Offset;
            byte type = r.ReadByte();
            switch (type)
            {
                case RdbFormat.OpcodeExpireTime:
                    Doing = "read-expire";
                    expireMs = r.ReadSecondsTime() * 1000L;
                    continue;
                case RdbFormat.OpcodeExpireTimeMs:
                    Doing = "read-expire";
                    expireMs = r.ReadMillisecondsTime();
                    // RDB before version 9 wrote this in host order; every platform Redis ran on for it was little-endian.
                    continue;
                case RdbFormat.OpcodeFreq:
                    r.ReadByte();
                    continue;
                case RdbFormat.OpcodeIdle:
                    Doing = "read-len";
                    idleSeconds = (long)r.ReadLength();
                    continue;
                case RdbFormat.OpcodeEof:
                    FinishChecksum(r, visitor);
                    return;
                case RdbFormat.OpcodeSelectDb:
                {
                    Doing = "read-len";
                    long at = r.Offset;
                    ulong id = r.ReadLength();
                    if (id >= (ulong)databases)
                        throw new RdbFormatException($"FATAL: Data file was created with a Redis server configured to handle more than {databases} databases. Exiting\n", at);
                    db = (int)id;
                    visitor.SelectDb(db, r.Offset);
                    continue;
                }
                case RdbFormat.OpcodeResizeDb:
                    Doing = "read-len";
                    long keys = (long)r.ReadLength();
                    long expires = (long)r.ReadLength();
                    visitor.ResizeDb(keys, expires);
                    continue;
                case RdbFormat.OpcodeAux:
                {
                    Doing = "read-aux";
                    var key = r.ReadString();
                    var value = r.ReadString();
                    visitor.Aux(Encoding.UTF8.GetString(key), value, r.Offset);
                    continue;
                }
                case RdbFormat.OpcodeModuleAux:
                {
                    Doing = "read-module-aux";
                    ulong moduleId = r.ReadLength();
                    throw new RdbFormatException($"The RDB file contains AUX module data I can't load: no matching module '{ModuleTypeName(moduleId)}'", recordOffset);
                }
                case RdbFormat.OpcodeFunctionPreGa:
                    Doing = "read-function";
                    throw new RdbFormatException("Pre-release function format not supported.", recordOffset);
                case RdbFormat.OpcodeFunction2:
                    Doing = "read-function";
                    visitor.FunctionLibrary(r.ReadString(), recordOffset);
                    continue;
            }
            if (!RdbFormat.IsObjectType(type))
                throw new RdbFormatException($"Unknown object type {type} in RDB file", recordOffset);
            CurrentType = type;
            Doing = "read-key";
            var keyBytes = r.ReadString();
            CurrentKey = keyBytes;
            KeysRead++;
            Doing = "read-object-value";
            object item;
            if (type == RdbFormat.TypeModulePreGa)
                throw new RdbFormatException("Pre-release module format not supported", r.Offset);
            if (type == RdbFormat.TypeModule2)
            {
                ulong moduleId = r.ReadLength();
                throw new RdbFormatException($"The RDB file contains module data I can't load: no matching module type '{ModuleTypeName(moduleId)}'", r.Offset);
            }
            item = RdbValues.ReadValue(r, type, keyBytes);
            CurrentKey = null;
            if (expireMs != -1)
            {
                Expires++;
                if (expireMs < NowMs) AlreadyExpired++;
            }
            if (!(SkipExpired && expireMs != -1 && expireMs < NowMs))
                visitor.Key(db, keyBytes, item, expireMs, idleSeconds);
            expireMs = -1;
            idleSeconds = -1;
        }
    }

    void FinishChecksum(RdbReader r, IRdbVisitor visitor)
    {
        if (Version < 5) return;
        Doing = "check-sum";
        CurrentType = -1;
        ulong expected = r.Crc;
        ulong stored = r.ReadUInt64LittleEndian();
        if (!VerifyChecksum) return;
        visitor.ChecksumResult(expected, stored, r.Offset);
        if (stored != 0 && stored != expected)
            throw new RdbFormatException("RDB CRC error", r.Offset) { Data = { ["expected"] = expected, ["stored"] = stored } };
    }

    /// <summary>Module types are identified by 9 characters of a 64-symbol alphabet packed above a 10-bit encoding version.</summary>
    public static string ModuleTypeName(ulong moduleId)
    {
        var name = new char[9];
        ulong id = moduleId >> 10;
        for (int j = 8; j >= 0; j--)
        {
            name[j] = ModuleNameCharset[(int)(id & 63)];
            id >>= 6;
        }
        return new string(name);
    }
}
