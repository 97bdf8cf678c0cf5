// The full synchronization payload (Redis's readSyncBulkPayload): after +FULLRESYNC the master
// sends the RDB either as "$<len>\r\n" and exactly len bytes (disk-based master) or as
// "$EOF:<40-byte mark>\r\n", the bytes, then the mark again (diskless master, which has no length
// in advance). Newlines before the header only keep the link alive. The payload goes to a temp
// file that replaces the dump file and is loaded from it, or, with repl-diskless-load (swapdb, or
// on-empty-db while we hold no keys), stays in memory and is parsed from there; with swapdb the old
// data serves reads until the new data set has parsed completely. Then the socket becomes the
// master client and our history is the master's (its id and offset, no secondary id).
using System.Text;
using Csredis.Common.Logging;
using Csredis.Server.Persistence;
using Csredis.Server.Rdb;

namespace Csredis.Server.Replication;

public sealed partial class ReplicaLink
{
    void BeginTransfer()
    {
        _disklessLoad = Settings.DisklessLoad == "swapdb" || (Settings.DisklessLoad == "on-empty-db" && TotalKeys() == 0);
        if (!_disklessLoad)
        {
            string name = $"temp-{_server.CachedUnixMs / 1000}.{Environment.ProcessId}.rdb";
            string path = Path.Combine(_server.Config.Dir, name);
            try { _payload = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warning("Opening the temp file needed for MASTER <-> REPLICA synchronization: " + e.Message);
                FailHandshake();
                return;
            }
            _tempFile = path;
        }
        else _payload = new MemoryStream();
        State = ReplicaLinkState.Transfer;
        TransferSize = -1;
        TransferRead = 0;
        _tailLength = 0;
        _transferLastIoMs = _server.CachedUnixMs;
    }

    long TotalKeys()
    {
        long keys = 0;
        foreach (var db in _server.Databases) keys += db.Main.Count;
        return keys;
    }

    void ProcessTransfer()
    {
        if (TransferSize == -1 && !ReadPayloadHeader()) return;
        if (_inLength == 0) return;
        int take = _useMark ? _inLength : (int)Math.Min(_inLength, TransferSize - TransferRead);
        try { _payload!.Write(_in, 0, take); }
        catch (IOException e)
        {
            Log.Warning("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: " + e.Message);
            CancelHandshake(reconnect: true);
            return;
        }
        if (_useMark) KeepTail(_in.AsSpan(0, take));
        TransferRead += take;
        Consume(take);
        bool done = _useMark ? _tailLength == 40 && _tail.AsSpan().SequenceEqual(_eofMark) : TransferRead == TransferSize;
        if (done) FinishTransfer();
    }

    /// <summary>Reads "$len" or "$EOF:mark" (skipping keep-alive newlines); false while more bytes are needed or on error.</summary>
    bool ReadPayloadHeader()
    {
        while (true)
        {
            string? line = TakeLine();
            if (line == null) return false;
            if (line.Length == 0) continue;
            if (line[0] == '-')
            {
                Log.Warning("MASTER aborted replication with an error: " + line[1..]);
                FailHandshake();
                return false;
            }
            if (line[0] != '$')
            {
                Log.Warning($"Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?");
                FailHandshake();
                return false;
            }
            string target = _disklessLoad ? "to parser" : "to disk";
            if (line.StartsWith("$EOF:", StringComparison.Ordinal) && line.Length >= 5 + 40)
            {
                _useMark = true;
                _eofMark = Encoding.ASCII.GetBytes(line.Substring(5, 40));
                TransferSize = 0;
                Log.Notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF " + target);
            }
            else
            {
                _useMark = false;
                if (!long.TryParse(line.AsSpan(1), out long size) || size < 0) size = 0;
                TransferSize = size;
                Log.Notice($"MASTER <-> REPLICA sync: receiving {size} bytes from master {target}");
            }
            return true;
        }
    }

    void KeepTail(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 40)
        {
            bytes[^40..].CopyTo(_tail);
            _tailLength = 40;
            return;
        }
        int keep = Math.Min(_tailLength, 40 - bytes.Length);
        Buffer.BlockCopy(_tail, _tailLength - keep, _tail, 0, keep);
        bytes.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + bytes.Length;
    }

    void FinishTransfer()
    {
        var payload = _payload!;
        _payload = null;
        string? temp = _tempFile;
        _tempFile = null;
        try
        {
            if (_useMark) payload.SetLength(payload.Length - 40);
            payload.Flush();
            if (payload is FileStream fs) fs.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            Log.Warning("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: " + e.Message);
            payload.Dispose();
            _tempFile = temp;
            AbandonPayload();
            CancelHandshake(reconnect: true);
            return;
        }
        bool swap = _disklessLoad && Settings.DisklessLoad == "swapdb";
        if (!swap)
        {
            AttachToNewMaster();
            Log.Notice("MASTER <-> REPLICA sync: Flushing old data");
            foreach (var db in _server.Databases) db.Flush();
        }
        Log.Notice("MASTER <-> REPLICA sync: Loading DB in memory");
        RdbLoader loader;
        try
        {
            if (payload is MemoryStream memory)
            {
                memory.Position = 0;
                loader = new RdbLoader(_server.Databases.Length) { LogAuxFields = true };
                loader.Load(new RdbReader(memory), _server.Config.RdbChecksum, skipExpired: false);
            }
            else
            {
                payload.Dispose();
                File.Move(temp!, _server.Persistence.RdbPath, overwrite: true);
                loader = _server.Persistence.LoadFile(_server.Persistence.RdbPath, log: true);
            }
        }
        catch (Exception e) when (e is RdbFormatException or IOException or UnauthorizedAccessException)
        {
            if (e is RdbFormatException f) Log.Warning($"Internal error in RDB reading offset {Math.Max(0, f.Offset)} -> {f.Message}");
            if (_disklessLoad)
            {
                Log.Warning("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
                if (swap) Log.Notice("MASTER <-> REPLICA sync: Discarding the half-loaded data");
            }
            else Log.Warning("Failed trying to load the MASTER synchronization DB from disk, check server logs.");
            if (temp != null && File.Exists(temp)) File.Delete(temp);
            CancelHandshake(reconnect: true);
            return;
        }
        finally { payload.Dispose(); }
        Log.Notice($"Done loading RDB, keys loaded: {loader.KeysLoaded}, keys expired: {loader.Parser.AlreadyExpired}.");
        if (swap)
        {
            AttachToNewMaster();
            Log.Notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
        }
        _server.Persistence.Commit(loader);
        if (swap) Log.Notice("MASTER <-> REPLICA sync: Discarding old DB in background");
        if (_disklessLoad) _server.Dirty++;
        int streamDb = _server.Persistence.LoadedReplStreamDb;
        CreateMasterClient(_fullSyncReplId, _fullSyncOffset, streamDb);
        // A new history starts: the master's id and offset, no secondary id.
        _server.ReplId = _fullSyncReplId;
        _server.MasterReplOffset = _fullSyncOffset;
        _server.ReplId2 = new string('0', 40);
        _server.SecondReplOffset = -1;
        KeepOwnStream();
        Log.Notice("MASTER <-> REPLICA sync: Finished with success");
        // A diskless master puts us online when this first ACK arrives.
        if (_useMark) SendAck();
    }

    /// <summary>replicationAttachToNewMaster: the cached history is useless now, and our replicas must resync.</summary>
    void AttachToNewMaster()
    {
        DiscardCachedMaster();
        DisconnectReplicas();
        DropOwnStream();
    }

    void AbandonPayload()
    {
        _payload?.Dispose();
        _payload = null;
        if (_tempFile != null)
        {
            try { File.Delete(_tempFile); } catch (IOException) { }
            _tempFile = null;
        }
        TransferSize = -1;
        TransferRead = 0;
    }
}
