// The replication backlog (Redis's repl_backlog): a fixed-size circular buffer holding the last
// repl-backlog-size bytes of the replication stream, so a replica that lost its link can ask for
// the bytes after its offset (PSYNC) instead of a full resync.
// Offsets are those of the stream (master_repl_offset counts the bytes ever fed, so the first byte
// is offset 1). The buffer holds the stream bytes [FirstByteOffset, FirstByteOffset + HistoryLength);
// a write overwrites the oldest bytes once the buffer is full. A replica that has processed up to
// offset N gets everything from N + 1 on.
// The buffer is created when the first replica attaches (Redis's createReplicationBacklog) and
// freed by the cron after repl-backlog-ttl seconds without replicas (masters only).
namespace Csredis.Server.Replication;

public sealed class ReplicationBacklog
{
    byte[] _buffer;
    /// <summary>Index in <see cref="_buffer"/> where the next byte goes.</summary>
    int _writeIndex;

    /// <summary>Bytes of history held (repl_backlog_histlen).</summary>
    public long HistoryLength { get; private set; }
    /// <summary>Stream offset of the oldest byte held (repl_backlog_first_byte_offset).</summary>
    public long FirstByteOffset { get; private set; }

    public int Capacity => _buffer.Length;

    /// <param name="size">repl-backlog-size (clamped to Redis's minimum of 16k).</param>
    /// <param name="currentOffset">master_repl_offset now: the next byte appended is currentOffset + 1.</param>
    public ReplicationBacklog(long size, long currentOffset)
    {
        _buffer = new byte[ClampSize(size)];
        FirstByteOffset = currentOffset + 1;
    }

    /// <summary>Redis clamps repl-backlog-size to at least 16k (CONFIG_REPL_BACKLOG_MIN_SIZE).</summary>
    public static int ClampSize(long size) => (int)Math.Clamp(size, 16 * 1024, Array.MaxLength);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        // Only the tail of an append larger than the buffer can survive.
        if (bytes.Length > _buffer.Length)
        {
            long skipped = bytes.Length - _buffer.Length;
            bytes = bytes[(int)skipped..];
            HistoryLength += skipped;
        }
        int first = Math.Min(bytes.Length, _buffer.Length - _writeIndex);
        bytes[..first].CopyTo(_buffer.AsSpan(_writeIndex));
        bytes[first..].CopyTo(_buffer);
        _writeIndex = (_writeIndex + bytes.Length) % _buffer.Length;
        HistoryLength += bytes.Length;
        if (HistoryLength > _buffer.Length)
        {
            FirstByteOffset += HistoryLength - _buffer.Length;
            HistoryLength = _buffer.Length;
        }
    }

    /// <summary>Whether a replica that has processed up to <paramref name="offset"/> can continue from here (PSYNC).</summary>
    public bool CanServeFrom(long offset) => offset >= FirstByteOffset && offset <= FirstByteOffset + HistoryLength;

    /// <summary>Copies the history from stream offset <paramref name="offset"/> to the end into <paramref name="sink"/> (in at most two pieces).</summary>
    public long CopyFrom(long offset, Action<ReadOnlySpan<byte>> sink)
    {
        long skip = offset - FirstByteOffset;
        long length = HistoryLength - skip;
        if (length <= 0) return 0;
        int start = (int)((_writeIndex - HistoryLength + skip + 2L * _buffer.Length) % _buffer.Length);
        int first = (int)Math.Min(length, _buffer.Length - start);
        sink(_buffer.AsSpan(start, first));
        if (length > first) sink(_buffer.AsSpan(0, (int)(length - first)));
        return length;
    }

    /// <summary>CONFIG SET repl-backlog-size: the newest history that fits the new size is kept, offsets stay.</summary>
    public void Resize(long size)
    {
        int wanted = ClampSize(size);
        if (wanted == _buffer.Length) return;
        var resized = new byte[wanted];
        long keep = Math.Min(HistoryLength, wanted);
        long from = FirstByteOffset + HistoryLength - keep;
        int written = 0;
        CopyFrom(from, piece => { piece.CopyTo(resized.AsSpan(written)); written += piece.Length; });
        _buffer = resized;
        _writeIndex = written % wanted;
        FirstByteOffset = from;
        HistoryLength = keep;
    }
}
