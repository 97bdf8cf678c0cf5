// `csredis-server --check-rdb FILE` (redis-check-rdb): parses the whole file and prints what it
// finds with offsets, or where and why it failed. The server also prints this report when the RDB
// it must load at start-up is corrupt, as Redis does.
using System.Text;
using Csredis.Server.Rdb;

namespace Csredis.Server.Persistence;

public sealed class RdbCheck : IRdbVisitor
{
    readonly TextWriter _out;
    RdbCheck(TextWriter output) { _out = output; }

    /// <summary>Checks <paramref name="path"/>; returns 0 when the file is sound, 1 otherwise (the report goes to <paramref name="output"/>).</summary>
    public static int Run(string path, TextWriter output)
    {
        var check = new RdbCheck(output);
        var parser = new RdbParser { SkipExpired = false };
        output.WriteLine($"[offset 0] Checking RDB file {path}");
        RdbReader? reader = null;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            reader = new RdbReader(file);
            parser.Parse(reader, check, int.MaxValue);
            output.WriteLine($"[offset {reader.Offset}] \\o/ RDB looks OK! \\o/");
            PrintInfo(output, parser);
            return 0;
        }
        catch (RdbFormatException e)
        {
            output.WriteLine("--- RDB ERROR DETECTED ---");
            output.WriteLine($"[offset {(e.Offset >= 0 ? e.Offset : reader?.Offset ?? 0)}] {e.Message}");
            output.WriteLine($"[additional info] While doing: {parser.Doing}");
            if (parser.CurrentKey != null)
                output.WriteLine($"[additional info] Reading key '{Encoding.UTF8.GetString(parser.CurrentKey)}'");
            if (parser.CurrentType >= 0)
                output.WriteLine($"[additional info] Reading type {parser.CurrentType} ({RdbFormat.TypeName((byte)parser.CurrentType)})");
            PrintInfo(output, parser);
            return 1;
        }
        catch (IOException e)
        {
            output.WriteLine($"Cannot check RDB file: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            output.WriteLine($"Cannot check RDB file: {e.Message}");
            return 1;
        }
    }

    static void PrintInfo(TextWriter output, RdbParser parser)
    {
        output.WriteLine($"[info] {parser.KeysRead} keys read");
        output.WriteLine($"[info] {parser.Expires} expires");
        output.WriteLine($"[info] {parser.AlreadyExpired} already expired");
    }

    public void Aux(string key, byte[] value, long offset) =>
        _out.WriteLine($"[offset {offset}] AUX FIELD {key} = '{Encoding.UTF8.GetString(value)}'");

    public void SelectDb(int db, long offset) => _out.WriteLine($"[offset {offset}] Selecting DB ID {db}");
    public void ResizeDb(long keys, long expires) { }
    public void Key(int db, byte[] key, object value, long expireMs, long idleSeconds) { }
    public void FunctionLibrary(byte[] code, long offset) => _out.WriteLine($"[offset {offset}] Function library of {code.Length} bytes");

    public void ChecksumResult(ulong expected, ulong stored, long offset)
    {
        if (stored == 0) _out.WriteLine($"[offset {offset}] RDB file was saved with checksum disabled: no check performed.");
        else if (stored == expected) _out.WriteLine($"[offset {offset}] Checksum OK");
    }
}
