// Loads an RDB stream into fresh keyspace tables, one pair (main, expires) per database. Nothing
// touches the live databases until the whole stream has parsed and its checksum matched, so a
// corrupt file never leaves a half-loaded server; Commit() then swaps the tables in.
using System.Globalization;
using System.Text;
using Csredis.Common.Logging;
using Csredis.Server.Keyspace;
using Csredis.Server.Rdb;

namespace Csredis.Server.Persistence;

public sealed class RdbLoader : IRdbVisitor
{
    readonly KeyTable[] _mains, _expires;
    public long KeysLoaded;
    public readonly RdbParser Parser = new();
    public readonly Dictionary<string, byte[]> AuxFields = new(StringComparer.Ordinal);
    public readonly List<byte[]> FunctionLibraries = new();
    public bool LogAuxFields = true;

    public RdbLoader(int databases)
    {
        _mains = new KeyTable[databases];
        _expires = new KeyTable[databases];
        for (int i = 0; i < databases; i++)
        {
            _mains[i] = new KeyTable(withPayload: false);
            _expires[i] = new KeyTable(withPayload: true);
        }
    }

    public void Load(RdbReader reader, bool verifyChecksum, bool skipExpired)
    {
        Parser.VerifyChecksum = verifyChecksum;
        Parser.SkipExpired = skipExpired;
        Parser.Parse(reader, this, _mains.Length);
    }

    /// <summary>Replaces the content of every database with what was loaded.</summary>
    public void Commit(Db[] databases)
    {
        for (int i = 0; i < databases.Length; i++)
        {
            databases[i].Flush();
            databases[i].Main = _mains[i];
            databases[i].Expires = _expires[i];
        }
    }

    public void Aux(string key, byte[] value, long offset)
    {
        AuxFields[key] = value;
        if (!LogAuxFields) return;
        string text = Encoding.UTF8.GetString(value);
        switch (key)
        {
            case "redis-ver":
                Log.Notice($"Loading RDB produced by version {text}");
                break;
            case "ctime":
                if (long.TryParse(text, out long ctime))
                {
                    long age = Common.Clock.UnixMs() / 1000 - ctime;
                    if (age < 0) age = 0;
                    Log.Notice($"RDB age {age} seconds");
                }
                break;
            case "used-mem":
                if (long.TryParse(text, out long used))
                    Log.Notice("RDB memory usage when created " + (used / 1024.0 / 1024.0).ToString("F2", CultureInfo.InvariantCulture) + " Mb");
                break;
            case "aof-base":
            case "redis-bits":
            case "repl-stream-db":
            case "repl-id":
            case "repl-offset":
                break;
            default:
                Log.Debug($"Unrecognized RDB AUX field: '{key}'");
                break;
        }
    }

    int _db;

    /// <summary>Upper bound on what a RESIZEDB may reserve (a damaged length must not demand absurd memory): the stream's length / 3, the least bytes a key costs in it.</summary>
    public long ReserveLimit = 1 << 24;

    public void SelectDb(int db, long offset) => _db = db;

    public void ResizeDb(long keys, long expires)
    {
        _mains[_db].Reserve((int)Math.Clamp(keys, 0, ReserveLimit));
        _expires[_db].Reserve((int)Math.Clamp(expires, 0, ReserveLimit));
    }

    public void Key(int db, byte[] key, object value, long expireMs, long idleSeconds, long freq)
    {
        var main = _mains[db];
        int hash = KeyTable.HashKey(key);
        if (main.Find(key, hash) >= 0)
            throw new RdbFormatException($"RDB has duplicated key '{Encoding.UTF8.GetString(key)}' in DB {db}", -1);
        main.Insert(value, hash);
        if (expireMs != -1)
        {
            int e = _expires[db].Insert(value, hash);
            _expires[db].PayloadAt(e) = expireMs;
        }
        RdbValues.ApplyAccessHints(value, idleSeconds, freq);
        KeysLoaded++;
    }

    public void FunctionLibrary(byte[] code, long offset) => FunctionLibraries.Add(code);

    public void ChecksumResult(ulong expected, ulong stored, long offset)
    {
        if (stored == 0) Log.Warning("RDB file was saved with checksum disabled: no check performed.");
        else if (stored != expected)
            Log.Warning($"Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now.");
    }
}
