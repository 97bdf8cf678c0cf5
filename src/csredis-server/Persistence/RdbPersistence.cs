// RDB persistence orchestration (Redis's rdb.c save/load entry points and the persistence part of
// serverCron): SAVE, BGSAVE through a fork-free Snapshot, save points, the final save at
// shutdown, loading at start-up, and the state INFO persistence reports (public fields below).
using System.Globalization;
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Server.Commands;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;
using Csredis.Server.Rdb;

namespace Csredis.Server.Persistence;

public sealed class RdbPersistence
{
    readonly RedisServer _server;

    // ---- state for INFO persistence ----
    /// <summary>True while the RDB file is being loaded (INFO loading).</summary>
    public bool Loading;
    /// <summary>Unix seconds of the last successful save (LASTSAVE, rdb_last_save_time).</summary>
    public long LastSaveUnix = Clock.UnixMs() / 1000;
    /// <summary>rdb_last_bgsave_status: false after a failed BGSAVE (or SAVE) until the next success.</summary>
    public bool LastBgsaveOk = true;
    /// <summary>rdb_last_bgsave_time_sec: -1 until a BGSAVE finished.</summary>
    public long LastBgsaveTimeSec = -1;
    /// <summary>rdb_saves: successful saves since start-up.</summary>
    public long RdbSaves;
    /// <summary>rdb_last_cow_size: the most memory the last BGSAVE's snapshot added to the process (copies of entries not yet written, bitmaps, versions replaced by writes).</summary>
    public long LastCowSize;
    /// <summary>rdb_last_load_keys_loaded / rdb_last_load_keys_expired.</summary>
    public long LastLoadKeysLoaded, LastLoadKeysExpired;
    /// <summary>Server.Dirty when the last successful save started (rdb_changes_since_last_save counts from it).</summary>
    public long DirtyAtLastSave;
    public long LastBgsaveTryUnix;
    /// <summary>The snapshot of the BGSAVE in progress, or null.</summary>
    public Snapshot? ActiveSnapshot;
    /// <summary>Function libraries found in the last loaded RDB (kept for the functions engine).</summary>
    public List<byte[]> FunctionLibraries = new();
    /// <summary>Replication aux fields of the last loaded RDB: repl-id, repl-offset, repl-stream-db (null/-1 when absent).</summary>
    public string? LoadedReplId;
    public long LoadedReplOffset = -1;
    public int LoadedReplStreamDb = -1;
    /// <summary>Replication's contribution to the aux fields of files it saves: (stream db, repl id, offset) or null.</summary>
    public Func<(int StreamDb, string ReplId, long Offset)?>? ReplicationAux;

    long _dirtyBeforeBgsave;

    public bool BgsaveInProgress => ActiveSnapshot != null;
    /// <summary>rdb_current_bgsave_time_sec: -1 when no BGSAVE runs.</summary>
    public long CurrentBgsaveTimeSec => ActiveSnapshot == null ? -1 : (Clock.UnixMs() - ActiveSnapshot.StartedUnixMs) / 1000;
    /// <summary>current_cow_size: bytes the running snapshot holds because of writes.</summary>
    public long CurrentCowSize => ActiveSnapshot?.ExtraBytes ?? 0;
    /// <summary>current_cow_peak: the most memory the running snapshot has added so far.</summary>
    public long CurrentCowPeak => ActiveSnapshot?.PeakExtraBytes ?? 0;
    /// <summary>rdb_changes_since_last_save: writes since the last successful save (what save points count).</summary>
    public long ChangesSinceLastSave => _server.Dirty - DirtyAtLastSave;

    public RdbPersistence(RedisServer server)
    {
        _server = server;
        RdbValues.Limits = () => (server.Config.SetMaxIntsetEntries, server.Config.ZsetMaxListpackEntries, server.Config.ZsetMaxListpackValue);
        server.Cron += Cron;
        server.CommandFilters.Add(DenyWritesAfterFailedSave);
        server.CommandFilters.Add(RejectWhileLoading);
        var previous = server.BeforeShutdown;
        server.BeforeShutdown = () => (previous == null || previous()) && PrepareShutdown();
    }

    public string RdbPath => Path.Combine(_server.Config.Dir, _server.Config.DbFilename);

    // ---- writing ----

    /// <summary>The preamble of a snapshot starting now: the replication fields are read here, on the loop thread, at its point in time.</summary>
    Action<RdbWriter> PreambleForNow()
    {
        var repl = ReplicationAux?.Invoke();
        return w => WritePreamble(w, repl);
    }

    void WritePreamble(RdbWriter w) => WritePreamble(w, ReplicationAux?.Invoke());

    void WritePreamble(RdbWriter w, (int StreamDb, string ReplId, long Offset)? repl)
    {
        w.WriteAux("redis-ver", RedisServer.RedisVersion);
        w.WriteAux("redis-bits", 64);
        w.WriteAux("ctime", Clock.UnixMs() / 1000);
        w.WriteAux("used-mem", GC.GetTotalMemory(false));
        if (repl is { } r)
        {
            w.WriteAux("repl-stream-db", r.StreamDb);
            w.WriteAux("repl-id", r.ReplId);
            w.WriteAux("repl-offset", r.Offset);
        }
        w.WriteAux("aof-base", 0);
    }

    /// <summary>Serializes the whole keyspace now, on the calling (loop) thread.</summary>
    void WriteEverything(RdbWriter w)
    {
        var hint = RdbValues.HintFor(_server.Config.MaxMemoryPolicy);
        w.WriteHeader();
        WritePreamble(w);
        foreach (var db in _server.Databases)
        {
            if (db.Count == 0) continue;
            w.WriteSelectDb(db.Id, db.Count, db.Expires.Count);
            var main = db.Main;
            for (int i = 0; i < main.HighWater; i++)
            {
                var item = main.ItemAtOrNull(i);
                if (item == null) continue;
                long expire = -1;
                if (db.Expires.Count > 0)
                {
                    int e = db.Expires.Find(StoredKey.Of(item), main.HashAt(i));
                    if (e >= 0) expire = db.Expires.PayloadAt(e);
                }
                RdbValues.WriteRecord(w, item, expire, hint);
            }
        }
        w.WriteEnd();
    }

    /// <summary>SAVE: a synchronous save to the configured file. False (after logging why) on failure.</summary>
    public bool SaveSync()
    {
        string temp = Path.Combine(_server.Config.Dir, $"temp-{Environment.ProcessId}.rdb");
        FileSnapshotSink sink;
        try { sink = new FileSnapshotSink(temp, RdbPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Failed opening the temp RDB file temp-{Environment.ProcessId}.rdb (in server root dir {Directory.GetCurrentDirectory()}) for saving: {ErrorText(e)}");
            return false;
        }
        using (sink)
        {
            try
            {
                var w = new RdbWriter(sink.Stream) { Compress = _server.Config.RdbCompression, Checksum = _server.Config.RdbChecksum };
                WriteEverything(w);
                sink.Commit();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                Log.Warning($"Write error saving DB on disk: {ErrorText(e)}");
                sink.Abort();
                return false;
            }
        }
        Log.Notice("DB saved on disk");
        DirtyAtLastSave = _server.Dirty;
        LastSaveUnix = Clock.UnixMs() / 1000;
        LastBgsaveOk = true;
        RdbSaves++;
        return true;
    }

    static string ErrorText(Exception e) => e switch
    {
        UnauthorizedAccessException => "Permission denied",
        DirectoryNotFoundException => "No such file or directory",
        _ => e.Message,
    };

    /// <summary>BGSAVE: starts a fork-free snapshot into the configured file. Returns null or the reason it could not start.</summary>
    public string? StartBackgroundSave()
    {
        if (ActiveSnapshot != null) return "ERR Background save already in progress";
        string temp = Path.Combine(_server.Config.Dir, $"temp-{Environment.ProcessId}-bgsave.rdb");
        LastBgsaveTryUnix = Clock.UnixMs() / 1000;
        FileSnapshotSink sink;
        try { sink = new FileSnapshotSink(temp, RdbPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Redis's child fails the same way after BGSAVE was accepted: the client hears "started",
            // the failure shows in the log, INFO and the MISCONF guard.
            Log.Notice($"Background saving started by pid {Environment.ProcessId} (fork-free snapshot thread)");
            Log.Warning($"Failed opening the temp RDB file {Path.GetFileName(temp)} (in server root dir {_server.Config.Dir}) for saving: {ErrorText(e)}");
            Log.Warning("Background saving error");
            LastBgsaveOk = false;
            LastBgsaveTimeSec = 0;
            return null;
        }
        _dirtyBeforeBgsave = _server.Dirty;
        var snapshot = new Snapshot(_server, sink, PreambleForNow()) { Completed = BackgroundSaveDone };
        ActiveSnapshot = snapshot;
        // Redis names the child process here; the snapshot runs inside this process, on a thread.
        Log.Notice($"Background saving started by pid {Environment.ProcessId} (fork-free snapshot thread)");
        snapshot.Start();
        return null;
    }

    /// <summary>Starts a snapshot into any sink (the replication full sync streams one to a replica).</summary>
    public Snapshot StartSnapshot(SnapshotSink sink, Action<Snapshot, string?> completed)
    {
        var snapshot = new Snapshot(_server, sink, PreambleForNow()) { Completed = completed };
        snapshot.Start();
        return snapshot;
    }

    /// <summary>Raised when a BGSAVE to the RDB file ends: the snapshot and whether it succeeded (a disk full sync sends the file then).</summary>
    public event Action<Snapshot, bool>? BackgroundSaveFinished;

    void BackgroundSaveDone(Snapshot snapshot, string? error)
    {
        if (ActiveSnapshot != snapshot) return;
        BackgroundSaveDoneLog(snapshot, error);
        BackgroundSaveFinished?.Invoke(snapshot, error == null);
    }

    void BackgroundSaveDoneLog(Snapshot snapshot, string? error)
    {
        ActiveSnapshot = null;
        long now = Clock.UnixMs();
        LastBgsaveTimeSec = (now - snapshot.StartedUnixMs) / 1000;
        LastCowSize = snapshot.PeakExtraBytes;
        if (error == null)
        {
            Log.Notice("DB saved on disk");
            // Redis's child reports the memory the fork cost; the snapshot's equivalent is what it added to this process.
            Log.Notice($"Fork CoW for RDB: current {snapshot.ExtraBytes / (1024 * 1024)} MB, peak {snapshot.PeakExtraBytes / (1024 * 1024)} MB, {snapshot.CapturedByWrites} entries copied ahead of the walk by writes");
            Log.Notice("Background saving terminated with success");
            DirtyAtLastSave = _dirtyBeforeBgsave;
            LastSaveUnix = now / 1000;
            LastBgsaveOk = true;
            RdbSaves++;
        }
        else
        {
            Log.Warning($"Write error saving DB on disk: {error}");
            Log.Warning("Background saving error");
            LastBgsaveOk = false;
        }
    }

    /// <summary>FLUSHALL, as Redis 7.0: a background save in progress is dropped and, with save points configured, the now empty data set is saved.</summary>
    public void AfterFlushAll()
    {
        if (ActiveSnapshot != null)
        {
            var snapshot = ActiveSnapshot;
            ActiveSnapshot = null;
                snapshot.Cancel();
            Log.Warning("Background saving terminated by FLUSHALL");
        }
        if (_server.Config.Save.Length > 0) SaveSync();
    }

    // ---- save points, MISCONF, shutdown ----

    const int BgsaveRetryDelaySeconds = 5;

    void Cron()
    {
        if (ActiveSnapshot != null || Loading || _server.Config.Save.Length == 0) return;
        long now = Clock.UnixMs() / 1000;
        var parts = _server.Config.Save.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < parts.Length; i += 2)
        {
            long seconds = long.Parse(parts[i], CultureInfo.InvariantCulture);
            long changes = long.Parse(parts[i + 1], CultureInfo.InvariantCulture);
            if (ChangesSinceLastSave >= changes && now - LastSaveUnix > seconds
                && (now - LastBgsaveTryUnix > BgsaveRetryDelaySeconds || LastBgsaveOk))
            {
                Log.Notice($"{changes} changes in {seconds} seconds. Saving...");
                StartBackgroundSave();
                return;
            }
        }
    }

    static readonly byte[] MisconfError = System.Text.Encoding.ASCII.GetBytes(
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
        "Commands that may modify the data set are disabled, because this instance is configured to report errors during writes " +
        "if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.");

    bool DenyWritesAfterFailedSave(Client c, Command cmd)
    {
        if (LastBgsaveOk || !_server.Config.StopWritesOnBgsaveError || _server.Config.Save.Length == 0 || _server.IsReplica) return true;
        if (!cmd.Is(CommandFlags.Write) && cmd.Name != "ping") return true;
        cmd.RejectedCalls++;
        c.Error(MisconfError);
        return false;
    }

    bool PrepareShutdown()
    {
        if (ActiveSnapshot != null)
        {
            Log.Warning("There is a background save in progress. Stopping it!");
            var snapshot = ActiveSnapshot;
            ActiveSnapshot = null;
                snapshot.Cancel();
        }
        bool save = _server.ShutdownSave ?? _server.Config.Save.Length > 0;
        // Saving now would write the still empty data set over the file being loaded.
        if (!save || Loading) return true;
        Log.Notice("Saving the final RDB snapshot before exiting.");
        if (SaveSync()) return true;
        Log.Warning("Error trying to save the DB, can't exit.");
        return false;
    }

    // ---- loading ----

    /// <summary>
    /// Loads the RDB file at start-up on a background thread while the event loop already runs and
    /// answers -LOADING (nothing touches the live databases until the whole file parsed and its
    /// checksum matched). Then the tables are swapped in and <paramref name="ready"/> runs on the
    /// loop thread. A damaged file is logged with the check report and the process exits with 1.
    /// </summary>
    public void LoadAtStartup(Action ready)
    {
        string path = RdbPath;
        if (!File.Exists(path)) { ready(); return; }
        Loading = true;
        long start = Clock.MonotonicUs();
        var thread = new Thread(() =>
        {
            try
            {
                var loader = LoadFile(path, log: true);
                _server.Loop.Post(() =>
                {
                    Commit(loader);
                    Loading = false;
                    Log.Notice($"Done loading RDB, keys loaded: {loader.KeysLoaded}, keys expired: {loader.Parser.AlreadyExpired}.");
                    double seconds = (Clock.MonotonicUs() - start) / 1e6;
                    Log.Notice("DB loaded from disk: " + seconds.ToString("F3", CultureInfo.InvariantCulture) + " seconds");
                    ready();
                });
            }
            catch (RdbFormatException e)
            {
                _server.Loop.Post(() =>
                {
                    if (e.Message == "Unexpected EOF reading RDB file")
                        Log.Warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
                    Log.Warning($"Internal error in RDB reading offset {Math.Max(0, e.Offset)} -> {e.Message}");
                    var report = new StringWriter();
                    RdbCheck.Run(path, report);
                    Log.Raw(report.ToString());
                    Environment.Exit(1);
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _server.Loop.Post(() =>
                {
                    Log.Warning($"Fatal error loading the DB: {ErrorText(e)}. Exiting.");
                    Environment.Exit(1);
                });
            }
        }) { IsBackground = true, Name = "rdb-load" };
        thread.Start();
    }

    static readonly byte[] LoadingError = "LOADING Redis is loading the dataset in memory"u8.ToArray();

    bool RejectWhileLoading(Client c, Command cmd)
    {
        if (!Loading || cmd.Is(CommandFlags.Loading)) return true;
        cmd.RejectedCalls++;
        c.Error(LoadingError);
        return false;
    }

    /// <summary>Parses a whole RDB file into fresh tables, touching no live state (any thread).</summary>
    public RdbLoader LoadFile(string path, bool log)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var loader = new RdbLoader(_server.Databases.Length) { LogAuxFields = log, ReserveLimit = file.Length / 3 };
        loader.Load(new RdbReader(file), _server.Config.RdbChecksum, skipExpired: !_server.IsReplica);
        return loader;
    }

    /// <summary>Swaps loaded tables into the databases and records what the file said (loop thread).</summary>
    public void Commit(RdbLoader loader)
    {
        loader.Commit(_server.Databases);
        LastLoadKeysLoaded = loader.KeysLoaded;
        LastLoadKeysExpired = loader.Parser.AlreadyExpired;
        FunctionLibraries = loader.FunctionLibraries;
        LoadedReplId = loader.AuxFields.TryGetValue("repl-id", out var id) ? System.Text.Encoding.ASCII.GetString(id) : null;
        LoadedReplOffset = loader.AuxFields.TryGetValue("repl-offset", out var off) && long.TryParse(off, out long o) ? o : -1;
        LoadedReplStreamDb = loader.AuxFields.TryGetValue("repl-stream-db", out var sdb) && int.TryParse(sdb, out int sd) ? sd : -1;
    }

    /// <summary>DEBUG RELOAD: save, then load the file back into the databases.</summary>
    public string? DebugReload(bool save, bool flush)
    {
        if (save && !SaveSync()) return "ERR Error trying to save the DB";
        try
        {
            var loader = LoadFile(RdbPath, log: true);
            if (!flush) return "ERR DEBUG RELOAD NOFLUSH is not supported";
            Commit(loader);
        }
        catch (RdbFormatException e) { return $"ERR Error trying to load the RDB dump: {e.Message} (offset {e.Offset})"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"ERR Error trying to load the RDB dump, check server logs."; }
        Log.Warning("DB reloaded by DEBUG RELOAD");
        return null;
    }
}
