// A fork-free, point-in-time snapshot of the whole keyspace (BGSAVE, and the replication full
// sync), built on entry-level versioned copy-on-write as in Dragonfly's snapshotting.
//
// When the snapshot starts, every database records which entry indices of its Main table exist
// (a bitmap "still to serialize"). Two things then take entries out of that set:
//  * the walker, run from a loop timer in bounded slices, visits indices in order and captures
//    each pending entry;
//  * the write hooks of Db (LookupWrite, Set, Delete, SetExpire, Flush...) and every in-place
//    change of a value (RedisServer.SnapshotAllowsInPlaceWrite) capture a pending entry just
//    before a command changes it, so the snapshot keeps the version that existed at the start.
//    An entry created after the start clears its bit without being captured: new keys never
//    appear, even when they reuse the index of a key deleted since.
// A capture never keeps a live value: a string's key, value and access bits are copied into the
// byte block of the outgoing batch (a memcpy; the background thread does the RDB encoding and
// the LZF), any other value is serialized there at once. So once captured, an entry can be
// changed in place by the commands as when no snapshot runs: a stream of SETs over existing keys
// allocates nothing during a BGSAVE either. Only strings longer than CopyLimit are held by
// reference (copying them on the loop would cost more than it saves); such an array must then not
// change in place (HoldsArray) and is replaced by its writer, as an immutable version.
// The copy of an entry lives only until the writer thread has written its batch: batches go
// through a bounded queue and come back through a free list to be reused, so the memory the
// snapshot adds is a few batches whatever the size of the data set or the rate of writes.
// A FLUSHDB/FLUSHALL hands the old tables to the snapshot whole: nobody else touches them any more.
// Captures of the database being walked go straight into the outgoing batch; captures of a
// database not reached yet wait in that database's own batch, so each database appears once in
// the file. The walker pauses while the queue is full, which bounds what a slow sink can cost.
using System.Collections.Concurrent;
using System.Buffers.Binary;
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Server.Keyspace;
using Csredis.Server.Rdb;

namespace Csredis.Server.Persistence;

public sealed class Snapshot : IKeyspaceWriteObserver
{
    enum Kind : byte { CopiedString, EncodedRecord, HeldString, DbStart }

    /// <summary>One entry of a batch. CopiedString: key, value and access bits in the batch's bytes at Offset;
    /// EncodedRecord: a whole record (expiry, type, key, value) there; HeldString: Held is the packed array;
    /// DbStart: SELECTDB/RESIZEDB of database Offset with ExpireMs keys and Length expires.</summary>
    readonly struct Record
    {
        public readonly Kind Kind;
        public readonly int Offset, Length;
        public readonly long ExpireMs;
        public readonly byte[]? Held;
        public Record(Kind kind, int offset, int length, long expireMs, byte[]? held = null)
        {
            Kind = kind; Offset = offset; Length = length; ExpireMs = expireMs; Held = held;
        }
    }

    /// <summary>Records and the bytes they point into; reused once the writer is done with it.</summary>
    sealed class Batch
    {
        public readonly List<Record> Records = new(EntriesPerBatch);
        public byte[] Bytes = new byte[BatchBytes];
        public int Used;

        public Span<byte> Append(int n)
        {
            if (Used + n > Bytes.Length) Array.Resize(ref Bytes, Math.Max(Bytes.Length * 2, Used + n));
            var span = Bytes.AsSpan(Used, n);
            Used += n;
            return span;
        }

        public bool Full => Records.Count >= EntriesPerBatch || Used >= BatchBytes;
        public long Footprint => Bytes.Length + (long)Records.Capacity * RecordBytes;

        public void Clear()
        {
            Records.Clear();
            Used = 0;
            // A batch that carried a huge value does not keep its grown block.
            if (Bytes.Length > 4 * BatchBytes) Bytes = new byte[BatchBytes];
        }
    }

    sealed class DbState
    {
        /// <summary>The database number these tables had when the snapshot started (SWAPDB may move them).</summary>
        public required int Id;
        public KeyTable Main = null!, Expires = null!;
        public ulong[] Pending = null!;
        public int HighWater;
        public long Keys, ExpiresCount;
        /// <summary>Captures made by writes before the walker reached this database.</summary>
        public Batch? Deferred;
        public bool Attached;
    }

    const int QueueBatches = 8;
    const int EntriesPerBatch = 2048;
    const int BatchBytes = 64 * 1024;
    const int RecordBytes = 32;
    /// <summary>Strings up to this many bytes are copied at capture; longer ones are held by reference.</summary>
    const int CopyLimit = 16 * 1024;
    const int CopyHeader = 12; // key length, value length, access bits
    static readonly long SliceBudgetUs = 1000;

    readonly RedisServer _server;
    readonly SnapshotSink _sink;
    readonly DbState?[] _states;
    readonly BlockingCollection<Batch> _queue = new(QueueBatches);
    readonly ConcurrentQueue<Batch> _free = new();
    readonly HashSet<byte[]> _held = new(ReferenceEqualityComparer.Instance);
    readonly RdbWriter _encoder = new(4096);
    readonly Thread _writerThread;
    readonly bool _compress, _checksum;
    readonly RdbValues.AccessHint _hint;
    readonly Action<RdbWriter> _writePreamble;
    Batch _batch;
    int _walkDb = -1, _walkIndex;
    long _timerId;
    bool _walkDone;
    volatile bool _cancelled;
    volatile string? _error;
    /// <summary>Bytes of batches allocated so far (in use or free), plus the pending bitmaps and held arrays replaced by writes.</summary>
    long _footprint;

    /// <summary>
    /// The memory this snapshot adds to the process: its batches (copies of entries not yet written,
    /// reused as the writer frees them), its bitmaps, and the arrays it keeps alive because a write
    /// replaced them (INFO current_cow_size; its peak becomes rdb_last_cow_size).
    /// </summary>
    public long ExtraBytes => Interlocked.Read(ref _footprint);
    public long PeakExtraBytes { get; private set; }
    /// <summary>Entries captured because a write reached them before the walker did.</summary>
    public long CapturedByWrites;
    public long KeysWritten;
    /// <summary>Keys in the databases when the snapshot started (INFO current_save_keys_total).</summary>
    public readonly long KeysTotal;
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
        _encoder.Compress = _compress;
        _hint = RdbValues.HintFor(server.Config.MaxMemoryPolicy);
        _states = new DbState?[server.Databases.Length];
        foreach (var db in server.Databases)
        {
            if (db.Count == 0) continue;
            var state = new DbState
            {
                Id = db.Id, Main = db.Main, Expires = db.Expires, HighWater = db.Main.HighWater,
                Keys = db.Count, ExpiresCount = db.Expires.Count, Attached = true,
            };
            // Every index below the high-water mark starts pending; free ones are skipped when met.
            state.Pending = new ulong[(state.HighWater + 63) >> 6];
            Array.Fill(state.Pending, ulong.MaxValue);
            AddFootprint(state.Pending.Length * 8L);
            _states[db.Id] = state;
            KeysTotal += db.Count;
            db.WriteObserver = this;
        }
        _batch = NewBatch();
        _server.ActiveSnapshots.Add(this);
        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "rdb-snapshot" };
    }

    public void Start()
    {
        _writerThread.Start();
        _timerId = _server.Loop.AddTimer(0, WalkSlice);
    }

    void AddFootprint(long bytes)
    {
        long now = Interlocked.Add(ref _footprint, bytes);
        if (now > PeakExtraBytes) PeakExtraBytes = now;
    }

    Batch NewBatch()
    {
        if (_free.TryDequeue(out var batch))
        {
            long before = batch.Footprint;
            foreach (var r in batch.Records)
                if (r.Held != null) _held.Remove(r.Held);
            batch.Clear();
            AddFootprint(batch.Footprint - before);
            return batch;
        }
        batch = new Batch();
        AddFootprint(batch.Footprint);
        return batch;
    }

    static bool IsPending(DbState s, int index) =>
        index < s.HighWater && (s.Pending[index >> 6] & (1UL << (index & 63))) != 0;

    static void ClearPending(DbState s, int index) => s.Pending[index >> 6] &= ~(1UL << (index & 63));

    // ---- write hooks (loop thread) ----

    /// <summary>The state whose tables <paramref name="db"/> holds now (SWAPDB can move them to another database).</summary>
    DbState? StateFor(Db db)
    {
        var s = _states[db.Id];
        if (s != null && s.Main == db.Main) return s.Attached ? s : null;
        foreach (var other in _states)
            if (other != null && other.Main == db.Main) return other.Attached ? other : null;
        return null;
    }

    public void BeforeEntryWrite(Db db, int index)
    {
        var s = StateFor(db);
        if (s == null || !IsPending(s, index)) return;
        Capture(s, index, byWrite: true);
    }

    public void AfterEntryInsert(Db db, int index)
    {
        var s = StateFor(db);
        if (s != null && index < s.HighWater) ClearPending(s, index);
    }

    public void BeforeFlush(Db db)
    {
        // The old tables stay with the snapshot; the database continues with fresh ones.
        var s = StateFor(db);
        if (s != null) s.Attached = false;
        db.WriteObserver = null;
    }

    /// <summary>
    /// A command is about to change <paramref name="item"/> in place (whatever lookup found it):
    /// the entry is captured first if the snapshot still needs it. False when the snapshot holds
    /// this very array (a long string): the caller must then write a new array instead.
    /// </summary>
    public bool PrepareInPlaceWrite(object item)
    {
        if (item is byte[] packed && _held.Contains(packed)) return false;
        var key = StoredKey.Of(item);
        int hash = KeyTable.HashKey(key);
        foreach (var s in _states)
        {
            if (s == null || !s.Attached) continue;
            int index = s.Main.Find(key, hash);
            if (index >= 0 && ReferenceEquals(s.Main.ItemAtOrNull(index), item) && IsPending(s, index))
            {
                Capture(s, index, byWrite: true);
                return item is not byte[] held || !_held.Contains(held);
            }
        }
        return true;
    }

    void StopObserving(DbState s)
    {
        foreach (var db in _server.Databases)
            if (db.Main == s.Main && db.WriteObserver == this) db.WriteObserver = null;
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
        Batch batch;
        if (s.Id == _walkDb) batch = _batch;
        else if ((batch = s.Deferred!) == null)
        {
            batch = s.Deferred = new Batch();
            AddFootprint(batch.Footprint);
        }
        long before = batch.Footprint;
        if (byWrite) CapturedByWrites++;
        if (item is byte[] packed)
        {
            var key = PackedString.Key(packed);
            var value = PackedString.Value(packed);
            if (value.Length > CopyLimit)
            {
                batch.Records.Add(new Record(Kind.HeldString, 0, 0, expire, packed));
                _held.Add(packed);
                // A write is about to replace it: from now on it lives only for the snapshot.
                if (byWrite) AddFootprint(packed.Length);
            }
            else
            {
                int offset = batch.Used;
                var copy = batch.Append(CopyHeader + key.Length + value.Length);
                BinaryPrimitives.WriteInt32LittleEndian(copy, key.Length);
                BinaryPrimitives.WriteInt32LittleEndian(copy[4..], value.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(copy[8..], PackedString.Lru(packed));
                key.CopyTo(copy[CopyHeader..]);
                value.CopyTo(copy[(CopyHeader + key.Length)..]);
                batch.Records.Add(new Record(Kind.CopiedString, offset, copy.Length, expire));
            }
        }
        else
        {
            // Mutable value: serialize now, before the command changes it.
            _encoder.Reset();
            RdbValues.WriteRecord(_encoder, item, expire, _hint);
            int offset = batch.Used;
            _encoder.WrittenSpan.CopyTo(batch.Append(_encoder.WrittenSpan.Length));
            batch.Records.Add(new Record(Kind.EncodedRecord, offset, _encoder.WrittenSpan.Length, -1));
        }
        AddFootprint(batch.Footprint - before);
    }

    // ---- walker (loop timer) ----

    long WalkSlice()
    {
        if (_cancelled) return -1;
        if (_error != null) return -1;
        long deadline = Clock.MonotonicUs() + SliceBudgetUs;
        while (!_walkDone)
        {
            if (_batch.Full && !TrySendBatch()) return 1; // writer behind: wait
            if (_walkDb < 0 || _walkIndex >= (_states[_walkDb]?.HighWater ?? 0))
            {
                if (_walkDb >= 0) FinishDb(_walkDb);
                if (!AdvanceDb()) { _walkDone = true; break; }
                continue;
            }
            var s = _states[_walkDb]!;
            int stop = Math.Min(s.HighWater, _walkIndex + 256);
            for (; _walkIndex < stop && !_batch.Full; _walkIndex++)
                if (IsPending(s, _walkIndex)) Capture(s, _walkIndex, byWrite: false);
            if (Clock.MonotonicUs() >= deadline) { TrySendBatch(); return 1; }
        }
        if (_batch.Records.Count > 0 && !TrySendBatch()) return 1;
        // The final, empty batch tells the writer the stream is complete.
        if (!_queue.TryAdd(_batch)) return 1;
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
            // The database's own header, then what writes captured in it before the walker came.
            _batch.Records.Add(new Record(Kind.DbStart, d, (int)Math.Min(s.ExpiresCount, int.MaxValue), s.Keys));
            if (s.Deferred is { } deferred)
            {
                long before = _batch.Footprint;
                int shift = _batch.Used;
                deferred.Bytes.AsSpan(0, deferred.Used).CopyTo(_batch.Append(deferred.Used));
                foreach (var r in deferred.Records)
                    _batch.Records.Add(r.Kind == Kind.HeldString ? r : new Record(r.Kind, r.Offset + shift, r.Length, r.ExpireMs));
                AddFootprint(_batch.Footprint - before - deferred.Footprint);
                s.Deferred = null;
            }
            return true;
        }
        return false;
    }

    void FinishDb(int d)
    {
        var s = _states[d]!;
        if (s.Attached) StopObserving(s);
        s.Attached = false;
        AddFootprint(-s.Pending.Length * 8L);
        s.Pending = [];
        s.HighWater = 0;
        _states[d] = null;
    }

    bool TrySendBatch()
    {
        if (_batch.Records.Count == 0) return true;
        if (!_queue.TryAdd(_batch)) return false;
        _batch = NewBatch();
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
                WriteBatch(w, batch);
                _free.Enqueue(batch);
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

    void WriteBatch(RdbWriter w, Batch batch)
    {
        var bytes = batch.Bytes;
        foreach (var record in batch.Records)
        {
            switch (record.Kind)
            {
                case Kind.DbStart:
                    w.WriteSelectDb(record.Offset, record.ExpireMs, record.Length);
                    continue;
                case Kind.EncodedRecord:
                    w.WriteRaw(bytes.AsSpan(record.Offset, record.Length));
                    break;
                case Kind.HeldString:
                    RdbValues.WriteRecord(w, record.Held!, record.ExpireMs, _hint);
                    break;
                case Kind.CopiedString:
                {
                    var copy = bytes.AsSpan(record.Offset, record.Length);
                    int keyLength = BinaryPrimitives.ReadInt32LittleEndian(copy);
                    int valueLength = BinaryPrimitives.ReadInt32LittleEndian(copy[4..]);
                    uint bits = BinaryPrimitives.ReadUInt32LittleEndian(copy[8..]);
                    RdbValues.WriteStringRecord(w, copy.Slice(CopyHeader, keyLength), copy.Slice(CopyHeader + keyLength, valueLength),
                        record.ExpireMs, bits, _hint);
                    break;
                }
            }
            Interlocked.Increment(ref KeysWritten);
        }
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
        foreach (var db in _server.Databases)
            if (db.WriteObserver == this) db.WriteObserver = null;
        Array.Clear(_states);
        _held.Clear();
        _free.Clear();
        _server.ActiveSnapshots.Remove(this);
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
