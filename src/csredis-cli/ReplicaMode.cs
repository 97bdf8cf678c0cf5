// The two modes that speak the replication protocol: --rdb fetches a snapshot (SYNC, then the payload
// either with a $length header or delimited by a 40-byte EOF marker) into a file or stdout, and
// --replica discards the snapshot and then prints every command the master propagates, in CSV form.
using System.Buffers;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public static class ReplicaMode
{
    private const int EofMarkerLength = 40;

    public static int FetchRdb(CliSession session)
    {
        var options = session.Options;
        var connection = session.Connection!;
        SendReplconf(connection, "capa", "eof");
        SendReplconf(connection, "rdb-only", "1");
        if (options.FunctionsRdbOnly && !SendReplconf(connection, "rdb-filter-only", "functions"))
        {
            Stdio.Error("Failed requesting functions only RDB from server, aborting\n");
            return 1;
        }
        return TransferRdb(connection, options.RdbFile!) ? 0 : 1;
    }

    /// <summary>SYNC on the connection and write the snapshot to the file ("-" for stdout), with redis-cli's
    /// messages on stderr. The file is opened without truncation, as redis-cli opens it; an EOF-marked
    /// transfer then cuts it to the payload's length. The connection is closed afterwards.</summary>
    public static bool TransferRdb(RedisBlockingConnection connection, string file)
    {
        var (length, eofMarker) = StartSync(connection);
        Stdio.Error(eofMarker is null
            ? $"SYNC sent to master, writing {length} bytes to '{file}'\n"
            : $"SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{file}'\n");
        Stream output;
        try
        {
            output = file == "-" ? Stdio.OpenStandardOutput() : new FileStream(file, FileMode.OpenOrCreate, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Stdio.Error($"Error opening '{file}': {DescribeFileError(e)}\n");
            Environment.Exit(1);
            return false;
        }
        long written = CopyPayload(connection, length, eofMarker, output);
        output.Flush();
        if (eofMarker is not null && output is FileStream truncated) truncated.SetLength(written);
        Stdio.Error(eofMarker is null ? "Transfer finished with success.\n" : $"Transfer finished with success after {written} bytes\n");
        connection.Dispose();
        if (output is FileStream fileStream) fileStream.Flush(flushToDisk: true);
        if (file != "-") output.Dispose();
        return true;
    }

    public static int Run(CliSession session)
    {
        var connection = session.Connection!;
        SendReplconf(connection, "capa", "eof");
        SendReplconf(connection, "rdb-filter-only", "");
        StreamFromOpenConnection(session, sendSync: true);
        return 1;
    }

    /// <summary>After SYNC: skip the snapshot, acknowledge, then print propagated commands until the link drops.</summary>
    public static void StreamFromOpenConnection(CliSession session, bool sendSync)
    {
        var connection = session.Connection!;
        var (length, eofMarker) = StartSync(connection, sendSync);
        Stdio.Error(eofMarker is null
            ? $"SYNC with master, discarding {length} bytes of bulk transfer...\n"
            : "SYNC with master, discarding bytes of bulk transfer until EOF marker...\n");
        long skipped = CopyPayload(connection, length, eofMarker, Stream.Null);
        Stdio.Error(eofMarker is null
            ? "SYNC done. Logging commands from master.\n"
            : $"SYNC done after {skipped + EofMarkerLength} bytes. Logging commands from master.\n"); // redis-cli counts the marker here
        if (eofMarker is not null)
        {
            // A master streams to a diskless replica only after its first ACK. redis-cli waits a second,
            // then sends it as an ordinary command, so the first propagated item (often a SELECT) is read
            // as the ACK's reply and never printed; csredis-cli drops it too, so the output is the same.
            Thread.Sleep(1000);
            Stdio.Error("sending REPLCONF ACK 0\n");
            RespValue swallowed;
            try { swallowed = connection.Execute("REPLCONF", "ACK", "0"); }
            catch (RedisConnectionException)
            {
                Stdio.Error("\nI/O error\n");
                Environment.Exit(1);
                return;
            }
            if (swallowed.IsError) Stdio.Error($"REPLCONF ACK error: {swallowed.AsText()}\n");
        }
        var line = new ArrayBufferWriter<byte>();
        while (true)
        {
            RespValue command;
            try { command = connection.ReadReply(); }
            catch (RedisConnectionException e)
            {
                Program.PrintContextError(e.Message);
                return;
            }
            line.ResetWrittenCount();
            ReplyFormatter.Csv(command, line);
            line.Write("\n"u8);
            session.WriteStdout(line.WrittenSpan);
        }
    }

    private static bool SendReplconf(RedisBlockingConnection connection, string option, string value)
    {
        Stdio.Error($"sending REPLCONF {option} {value}\n");
        RespValue reply;
        try { reply = connection.Execute("REPLCONF", option, value); }
        catch (RedisConnectionException)
        {
            Stdio.Error("\nI/O error\n");
            Environment.Exit(1);
            return false;
        }
        if (!reply.IsError) return true;
        Stdio.Error($"REPLCONF {option} error: {reply.AsText()}\n");
        return false;
    }

    /// <summary>Sends SYNC and reads the payload header, skipping the newlines a master sends while it prepares.</summary>
    private static (long Length, byte[]? EofMarker) StartSync(RedisBlockingConnection connection, bool send = true)
    {
        if (send) connection.SendRaw("SYNC\r\n"u8);
        while (true)
        {
            byte[] header;
            try { header = connection.ReadLine(); }
            catch (RedisConnectionException e)
            {
                Stdio.Error($"Error reading RDB preamble: {e.Message}\n");
                Environment.Exit(1);
                throw;
            }
            if (header.Length == 0) continue;
            if (header[0] == '-')
            {
                Stdio.Error($"SYNC with master failed: {Encoding.UTF8.GetString(header.AsSpan(1))}\n");
                Environment.Exit(1);
            }
            if (header[0] != '$') continue;
            var text = Encoding.ASCII.GetString(header.AsSpan(1));
            if (text.StartsWith("EOF:", StringComparison.Ordinal) && header.Length >= 5 + EofMarkerLength)
                return (0, header.AsSpan(5, EofMarkerLength).ToArray());
            return (CParse.Atoi(text), null);
        }
    }

    /// <summary>Copies the snapshot to <paramref name="output"/>; with an EOF marker the last 40 bytes are held
    /// back until it is clear they are not the marker. Returns the payload size.</summary>
    private static long CopyPayload(RedisBlockingConnection connection, long length, byte[]? eofMarker, Stream output)
    {
        var chunk = new byte[64 * 1024];
        long total = 0;
        if (eofMarker is null)
        {
            while (total < length)
            {
                int n = connection.ReadRaw(chunk.AsSpan(0, (int)Math.Min(chunk.Length, length - total)));
                output.Write(chunk, 0, n);
                total += n;
            }
            return total;
        }
        var pending = new List<byte>(chunk.Length + EofMarkerLength);
        while (true)
        {
            int n = connection.ReadRaw(chunk);
            pending.AddRange(chunk.AsSpan(0, n).ToArray());
            var window = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending);
            int markerAt = window.IndexOf(eofMarker);
            if (markerAt >= 0)
            {
                output.Write(window[..markerAt]);
                connection.Unread(window[(markerAt + EofMarkerLength)..]);
                return total + markerAt;
            }
            // Everything except a possible marker prefix at the end is payload.
            int safe = Math.Max(0, window.Length - (EofMarkerLength - 1));
            output.Write(window[..safe]);
            total += safe;
            pending.RemoveRange(0, safe);
        }
    }

    private static string DescribeFileError(Exception e) => e switch
    {
        DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };
}
