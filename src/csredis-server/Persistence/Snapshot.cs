// A fork-free, point-in-time snapshot of the whole keyspace (BGSAVE, and later the replication
// full sync), built on entry-level versioned copy-on-write as in Dragonfly's snapshotting.
//
// When the snapshot starts, every database records which entry indices of its Main table exist
// (a bitmap "still to serialize"). Two things then take entries out of that set:
//  * the walker, run from a loop timer in bounded slices, visits indices in order and captures
//    each pending entry;
//  * the write hooks of Db (LookupWrite, Set, Delete, SetExpire, Flush...) capture a pending entry
//    just before a command changes it, so the snapshot keeps the version that existed at the
//    start. An entry created after the start clears its bit without being captured: new keys
//    never appear, even when they reuse the index of a key deleted since.
// Capturing a string keeps a reference to its packed array: while a snapshot runs, strings are
// replaced instead of mutated (RedisServer.SnapshotAllowsInPlaceWrite), so the array is immutable
// and the background thread encodes it. Any other value is mutated in place by its commands, so it
// is serialized on the loop thread at capture time. A FLUSHDB/FLUSHALL hands the old tables to the
// snapshot whole: nobody else touches them any more.
// Captures of the database being walked go straight into the outgoing batch; captures of a
// database not reached yet wait in its deferred list, so each database appears once in the file.
// A background thread takes batches from a bounded queue and writes the RDB stream to the sink;
// the walker pauses while the queue is full, which bounds the memory a slow disk can cost.
using System.Collections.Concurrent;
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Server.Keyspace;
using Csredis.Server.Rdb;

namespace Csredis.Server.Persistence;

public sealed class Snapshot : IKeyspaceWriteObserver
{
    /// <summary>A value encoded on the loop thread (a whole record: expiry, type, key, value).</summary>
    sealed class EncodedRecord { public required byte[] Bytes; }
    sealed class DbStart { public required int Db; public required long Keys, Expires; }

    readonly struct Record
    {
        public readonly object Item; // packed string, EncodedRecord or DbStart
        public readonly long ExpireMs;
        public Record(object item, long expireMs) { Item = item; ExpireMs = expireMs; }
    }

    sealed class DbState
    {
        public required Db Db;
        public KeyTable Main = null!, Expires = null!;
        public ulong[] Pending = null!;
        public int HighWater;
        public long Keys, ExpiresCount;
        public List<Record>? Deferred;
        public bool Attached;
    }

    const int QueueBatches = 32;
    const int EntriesPerBatch = 2048;
    static readonly long SliceBudgetUs = 1000;

    readonly RedisServer _server;
    readonly SnapshotSink _sink;
    readonly DbState?[] _states;
    readonly BlockingCollection<List<Record>> _queue = new(QueueBatches);
    readonly Thread _writerThread;
    readonly bool _compress, _checksum, _writeIdle;
    readonly Action<RdbWriter> _writePreamble;
    List<Record> _batch = new();
    int _walkDb = -1, _walkIndex;
    long _timerId;
    bool _walkDone;
    volatile bool _cancelled;
    volatile string? _error;

    /// <summary>Bytes held only because writes arrived before the walker reached their entry (INFO rdb_last_cow_size).</summary>
    public long CapturedBytes;
    public long KeysWritten;
    public readonly long StartedUnixMs = Clock.UnixMs();
    /// <summary>Called on the loop thread when the snapshot has finished: null on success, else the error.</summary>
    public Action<Snapshot, string?>? Completed;

    public Snapshot(RedisServer server, SnapshotSink sink, Action<RdbWriter> writePreamble)
    {
        _server = server;
        _sink = sink;
        _writePreamble = writePreamble;
        _compress = server.Config.RdbCompression;
        _checksum = server.Config.RdbChecksum;
        _writeIdle = server.Config.MaxMemoryPolicy.Contains("lru", StringComparison.Ordinal);
        _states = new DbState?[server.Databases.Length];
        foreach (var db in server.Databases)
        {
            if (db.Count == 0) continue;
            var state = new DbState
            {
                Db = db, Main = db.Main, Expires = db.Expires, HighWater = db.Main.HighWater,
                Keys = db.Count, ExpiresCount = db.Expires.Count, Attached = true,
            };
            // Every index below the high-water mark starts pending; free ones are skipped when met.
            state.Pending = new ulong[(state.HighWater + 63) >> 6];
            Array.Fill(state.Pending, ulong.MaxValue);
            _states[db.Id] = state;
            db.WriteObserver = this;
        }
        _server.SnapshotsInProgress++;
        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "rdb-snapshot" };
    }

    public void Start()
    {
        _writerThread.Start();
        _timerId = _server.Loop.AddTimer(0, WalkSlice);
    }

    static bool IsPending(DbState s, int index) =>
        index < s.HighWater && (s.Pending[index >> 6] & (1UL << (index & 63))) != 0;

    static void ClearPending(DbState s, int index) => s.Pending[index >> 6] &= ~(1UL << (index & 63));

    // ---- write hooks (loop thread) ----

    public void BeforeEntryWrite(Db db, int index)
    {
        var s = _states[db.Id];
        if (s == null || !s.Attached || !IsPending(s, index)) return;
        Capture(s, index, byWrite: true);
    }

    public void AfterEntryInsert(Db db, int index)
    {
        var s = _states[db.Id];
        if (s != null && s.Attached && index < s.HighWater) ClearPending(s, index);
    }

    public void BeforeFlush(Db db)
    {
        // The old tables stay with the snapshot; the database continues with fresh ones.
        var s = _states[db.Id];
        if (s != null) s.Attached = false;
        db.WriteObserver = null;
    }

    void Capture(DbState s, int index, bool byWrite)
    {
        ClearPending(s, index);
        var item = s.Main.ItemAtOrNull(index);
        if (item == null) return;
        long expire = -1;
        if (s.Expires.Count > 0)
        {
            int e = s.Expires.Find(StoredKey.Of(item), s.Main.HashAt(index));
            if (e >= 0) expire = s.Expires.PayloadAt(e);
        }
        Record record;
        long bytes;
        if (item is byte[] packed)
        {
            record = new Record(packed, expire);
            bytes = packed.Length;
        }
        else
        {
            // Mutable value: serialize now, before the command changes it.
            var w = new RdbWriter(256) { Compress = _compress };
            RdbValues.WriteRecord(w, item, expire, _writeIdle);
            var encoded = w.WrittenSpan.ToArray();
            record = new Record(new EncodedRecord { Bytes = encoded }, -1);
            bytes = encoded.Length;
        }
        if (byWrite) CapturedBytes += bytes;
        if (s.Db.Id == _walkDb) _batch.Add(record);
        else (s.Deferred ??= new()).Add(record);
    }

    // ---- walker (loop timer) ----

    long WalkSlice()
    {
        if (_cancelled) return -1;
        if (_error != null) return -1;
        long deadline = Clock.MonotonicUs() + SliceBudgetUs;
        while (!_walkDone)
        {
            if (_batch.Count >= EntriesPerBatch && !TrySendBatch()) return 1; // writer behind: wait
            if (_walkDb < 0 || _walkIndex >= (_states[_walkDb]?.HighWater ?? 0))
            {
                if (_walkDb >= 0) FinishDb(_walkDb);
                if (!AdvanceDb()) { _walkDone = true; break; }
                continue;
            }
            var s = _states[_walkDb]!;
            int stop = Math.Min(s.HighWater, _walkIndex + 256);
            for (; _walkIndex < stop; _walkIndex++)
                if (IsPending(s, _walkIndex)) Capture(s, _walkIndex, byWrite: false);
            if (Clock.MonotonicUs() >= deadline) { TrySendBatch(); return 1; }
        }
        if (_batch.Count > 0 && !TrySendBatch()) return 1;
        // The final empty batch tells the writer the stream is complete.
        if (!_queue.TryAdd(new List<Record>())) return 1;
        _queue.CompleteAdding();
        return -1;
    }

    bool AdvanceDb()
    {
        for (int d = _walkDb + 1; d < _states.Length; d++)
        {
            var s = _states[d];
            if (s == null) continue;
            _walkDb = d;
            _walkIndex = 0;
            _batch.Add(new Record(new DbStart { Db = d, Keys = s.Keys, Expires = s.ExpiresCount }, -1));
            if (s.Deferred != null) { _batch.AddRange(s.Deferred); s.Deferred = null; }
            return true;
        }
        return false;
    }

    void FinishDb(int d)
    {
        var s = _states[d]!;
        if (s.Attached && s.Db.WriteObserver == this) s.Db.WriteObserver = null;
        s.Attached = false;
        s.Pending = [];
        s.HighWater = 0;
        _states[d] = null;
    }

    bool TrySendBatch()
    {
        if (_batch.Count == 0) return true;
        if (!_queue.TryAdd(_batch)) return false;
        _batch = new List<Record>(EntriesPerBatch);
        return true;
    }

    // ---- writer (background thread) ----

    void WriterLoop()
    {
        string? error = null;
        try
        {
            var w = new RdbWriter(_sink.Stream) { Compress = _compress, Checksum = _checksum };
            w.WriteHeader();
            _writePreamble(w);
            foreach (var batch in _queue.GetConsumingEnumerable())
            {
                if (_cancelled) break;
                foreach (var record in batch)
                {
                    switch (record.Item)
                    {
                        case DbStart start:
                            w.WriteSelectDb(start.Db, start.Keys, start.Expires);
                            break;
                        case EncodedRecord encoded:
                            w.WriteRaw(encoded.Bytes);
                            KeysWritten++;
                            break;
                        case byte[] packed:
                            RdbValues.WriteRecord(w, packed, record.ExpireMs, _writeIdle);
                            KeysWritten++;
                            break;
                    }
                }
            }
            if (_cancelled) { _sink.Abort(); return; }
            w.WriteEnd();
            _sink.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
            error = e.Message;
            _error = error;
            _sink.Abort();
        }
        if (_cancelled) return;
        _server.Loop.Post(() => Finish(error));
    }

    void Finish(string? error)
    {
        Detach();
        Completed?.Invoke(this, error);
    }

    bool _detached;

    void Detach()
    {
        if (_detached) return;
        _detached = true;
        if (_timerId != 0) { _server.Loop.RemoveTimer(_timerId); _timerId = 0; }
        for (int d = 0; d < _states.Length; d++)
        {
            var s = _states[d];
            if (s == null) continue;
            if (s.Db.WriteObserver == this) s.Db.WriteObserver = null;
            _states[d] = null;
        }
        if (_server.SnapshotsInProgress > 0) _server.SnapshotsInProgress--;
    }

    /// <summary>Stops the snapshot and drops its output (SHUTDOWN while a BGSAVE runs, a replica gone).</summary>
    public void Cancel()
    {
        _cancelled = true;
        Detach();
        _queue.CompleteAdding();
        if (!_writerThread.Join(TimeSpan.FromSeconds(10))) Log.Warning("The snapshot writer thread did not stop in time.");
        _sink.Abort();
    }
}
