// Where a serialized snapshot goes. A file sink writes a temporary file and only on success
// makes it the RDB file: fsync the data, rename over the old file, fsync the directory so the
// rename itself survives a crash. Until then the previous RDB file is untouched.
// A stream sink hands the bytes to any stream (the replication full sync writes to a replica's
// socket the same snapshot a BGSAVE writes to disk).
using Csredis.Common.Native;

namespace Csredis.Server.Persistence;

public abstract class SnapshotSink : IDisposable
{
    public abstract Stream Stream { get; }
    /// <summary>Makes the written data durable and visible; throws IOException on failure.</summary>
    public abstract void Commit();
    /// <summary>Drops what was written (failure or cancellation).</summary>
    public abstract void Abort();
    public virtual void Dispose() { }
}

public sealed class FileSnapshotSink : SnapshotSink
{
    readonly FileStream _file;
    public readonly string TempPath, FinalPath;
    bool _done;

    public FileSnapshotSink(string tempPath, string finalPath)
    {
        TempPath = tempPath;
        FinalPath = finalPath;
        _file = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
    }

    public override Stream Stream => _file;

    public override void Commit()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(TempPath, FinalPath, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(FinalPath))!);
        _done = true;
    }

    static void SyncDirectory(string directory)
    {
        int fd = Libc.open(directory, 0, 0);
        if (fd < 0) return;
        Libc.fsync(fd);
        Libc.close(fd);
    }

    public override void Abort()
    {
        if (_done) return;
        _done = true;
        _file.Dispose();
        try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public override void Dispose() { if (!_done) Abort(); }
}

public sealed class StreamSnapshotSink : SnapshotSink
{
    readonly Stream _stream;
    public StreamSnapshotSink(Stream stream) { _stream = stream; }
    public override Stream Stream => _stream;
    public override void Commit() => _stream.Flush();
    public override void Abort() { }
}
