// Incremental parser of client requests (Redis's processMultibulkBuffer / processInlineBuffer).
// It reads straight out of the client's query buffer: a parsed argument is an (offset, length)
// pair into that buffer, so a request is never copied. Inline requests are the exception: their
// arguments are unquoted into a scratch buffer, and ArgBuffer says which buffer the pairs index.
// Parse state survives across reads, so a huge multibulk arriving in pieces is scanned once.
using Csredis.Common.Text;

namespace Csredis.Common.Resp;

public enum ParseStatus { Complete, Incomplete, Error }

public sealed class RequestParser
{
    public const int InlineMaxSize = 64 * 1024;
    const int UnauthenticatedMaxArgs = 10, UnauthenticatedMaxBulk = 16384;

    public int[] ArgOffsets = new int[16];
    public int[] ArgLengths = new int[16];
    public int ArgCount;
    /// <summary>The buffer the current command's arguments point into.</summary>
    public byte[] ArgBuffer = Array.Empty<byte>();
    public string? Error;

    int _multibulkRemaining; // 0 = no multibulk command in progress
    int _bulkLength = -1;
    int _position;           // absolute index into the query buffer where parsing continues
    byte[] _inlineScratch = new byte[256];
    readonly List<byte[]> _inlineParts = new();

    int _commandStart;

    /// <summary>Where the next command starts once the current one is executed.</summary>
    public int Position => _position;

    /// <summary>
    /// Start of the command being parsed, or of the next one when between commands: everything
    /// before it is consumed and may be dropped from the query buffer.
    /// </summary>
    public int CommandStart => _multibulkRemaining == 0 ? _position : _commandStart;

    /// <summary>Bytes still expected for the bulk argument being read (so the caller can size its buffer).</summary>
    public int PendingBulkBytes => _bulkLength > 0 ? _bulkLength + 2 : 0;

    /// <summary>Forget partial state; parsing restarts at <paramref name="position"/> (after the query buffer was compacted).</summary>
    public void Reset(int position)
    {
        _multibulkRemaining = 0;
        _bulkLength = -1;
        ArgCount = 0;
        _position = position;
    }

    /// <summary>
    /// Parses one command from buf[Position..end). Complete with ArgCount == 0 means an empty
    /// request to skip. After Complete the caller executes the command and calls Parse again.
    /// </summary>
    public ParseStatus Parse(byte[] buf, int end, bool authenticated, long maxBulkLength)
    {
        if (_multibulkRemaining == 0) // between commands (a multibulk header may still be incomplete)
        {
            ArgCount = 0;
            _commandStart = _position;
            if (_position >= end) return ParseStatus.Incomplete;
            if (buf[_position] != (byte)'*') return ParseInline(buf, end);
        }
        return ParseMultibulk(buf, end, authenticated, maxBulkLength);
    }

    ParseStatus ParseMultibulk(byte[] buf, int end, bool authenticated, long maxBulkLength)
    {
        ArgBuffer = buf;
        if (_multibulkRemaining == 0)
        {
            int cr = Array.IndexOf(buf, (byte)'\r', _position, end - _position);
            if (cr < 0)
            {
                if (end - _position > InlineMaxSize) return Fail("Protocol error: too big mult bulk count string");
                return ParseStatus.Incomplete;
            }
            if (cr + 1 >= end) return ParseStatus.Incomplete;
            bool ok = NumberParsing.TryParseInt64(buf.AsSpan(_position + 1, cr - _position - 1), out long count);
            if (!ok || count > int.MaxValue) return Fail("Protocol error: invalid multibulk length");
            if (count > UnauthenticatedMaxArgs && !authenticated) return Fail("Protocol error: unauthenticated multibulk length");
            _position = cr + 2;
            if (count <= 0) return ParseStatus.Complete; // "*0" and "*-1" are empty requests
            _multibulkRemaining = (int)count;
            EnsureArgCapacity((int)Math.Min(count, 1024));
        }

        while (_multibulkRemaining > 0)
        {
            if (_bulkLength == -1)
            {
                if (_position >= end) return ParseStatus.Incomplete;
                int cr = Array.IndexOf(buf, (byte)'\r', _position, end - _position);
                if (cr < 0)
                {
                    if (end - _position > InlineMaxSize) return Fail("Protocol error: too big bulk count string");
                    return ParseStatus.Incomplete;
                }
                if (cr + 1 >= end) return ParseStatus.Incomplete;
                if (buf[_position] != (byte)'$')
                    return Fail("Protocol error: expected '$', got '" + (char)buf[_position] + "'");
                bool ok = NumberParsing.TryParseInt64(buf.AsSpan(_position + 1, cr - _position - 1), out long len);
                if (!ok || len < 0 || len > maxBulkLength) return Fail("Protocol error: invalid bulk length");
                if (len > UnauthenticatedMaxBulk && !authenticated) return Fail("Protocol error: unauthenticated bulk length");
                _position = cr + 2;
                _bulkLength = (int)len;
            }
            if (end - _position < (long)_bulkLength + 2) return ParseStatus.Incomplete;
            EnsureArgCapacity(ArgCount + 1);
            ArgOffsets[ArgCount] = _position;
            ArgLengths[ArgCount] = _bulkLength;
            ArgCount++;
            _position += _bulkLength + 2;
            _bulkLength = -1;
            _multibulkRemaining--;
        }
        return ParseStatus.Complete;
    }

    ParseStatus ParseInline(byte[] buf, int end)
    {
        // Redis looks for the newline with strchr: a NUL byte before it hides it, and the request
        // stays incomplete until the buffer outgrows the inline limit.
        int found = buf.AsSpan(_position, end - _position).IndexOfAny((byte)'\n', (byte)0);
        int nl = found < 0 || buf[_position + found] == 0 ? -1 : _position + found;
        if (nl < 0)
        {
            if (end - _position > InlineMaxSize) return Fail("Protocol error: too big inline request");
            return ParseStatus.Incomplete;
        }
        int lineEnd = nl > _position && buf[nl - 1] == '\r' ? nl - 1 : nl;
        var line = buf.AsSpan(_position, lineEnd - _position);
        if (line.IndexOfAny((byte)'"', (byte)'\'') < 0)
        {
            // Without quotes sdssplitargs only splits on spaces: the words stay in the query buffer.
            ArgCount = 0;
            int p = 0;
            while (true)
            {
                while (p < line.Length && ArgSplitter.IsSpace(line[p])) p++;
                if (p >= line.Length) break;
                int start = p;
                while (p < line.Length && !ArgSplitter.IsTokenEnd(line[p])) p++;
                EnsureArgCapacity(ArgCount + 1);
                ArgOffsets[ArgCount] = _position + start;
                ArgLengths[ArgCount] = p - start;
                ArgCount++;
            }
            ArgBuffer = buf;
            _position = nl + 1;
            return ParseStatus.Complete;
        }
        _inlineParts.Clear();
        if (ArgSplitter.Split(buf.AsSpan(_position, lineEnd - _position), _inlineParts) < 0)
            return Fail("Protocol error: unbalanced quotes in request");
        _position = nl + 1;
        int total = 0;
        foreach (var part in _inlineParts) total += part.Length;
        if (_inlineScratch.Length < total) _inlineScratch = new byte[Math.Max(total, _inlineScratch.Length * 2)];
        EnsureArgCapacity(_inlineParts.Count);
        int offset = 0;
        ArgCount = 0;
        foreach (var part in _inlineParts)
        {
            part.CopyTo(_inlineScratch, offset);
            ArgOffsets[ArgCount] = offset;
            ArgLengths[ArgCount] = part.Length;
            ArgCount++;
            offset += part.Length;
        }
        ArgBuffer = _inlineScratch;
        return ParseStatus.Complete;
    }

    ParseStatus Fail(string message)
    {
        Error = message;
        return ParseStatus.Error;
    }

    void EnsureArgCapacity(int n)
    {
        if (ArgOffsets.Length >= n) return;
        int size = ArgOffsets.Length;
        while (size < n) size *= 2;
        Array.Resize(ref ArgOffsets, size);
        Array.Resize(ref ArgLengths, size);
    }

    public ReadOnlySpan<byte> Arg(int i) => new(ArgBuffer, ArgOffsets[i], ArgLengths[i]);
}
