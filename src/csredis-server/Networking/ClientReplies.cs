// Reply helpers that also keep the server's books: every error reply goes through Error() so
// INFO errorstats and the per-command failed_calls stay right. Shared error texts live in Errors.
namespace Csredis.Server.Networking;

public sealed partial class Client
{
    public void Error(ReadOnlySpan<byte> message)
    {
        Reply.Error(message);
        Server.Stats.CountError(message);
    }

    public void Error(string message) => Error(System.Text.Encoding.UTF8.GetBytes(message));
}

/// <summary>Error texts shared by many commands, byte for byte as Redis 7.0 sends them.</summary>
public static class Errors
{
    public static ReadOnlySpan<byte> WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value"u8;
    public static ReadOnlySpan<byte> NotInteger => "ERR value is not an integer or out of range"u8;
    public static ReadOnlySpan<byte> NotFloat => "ERR value is not a valid float"u8;
    public static ReadOnlySpan<byte> Syntax => "ERR syntax error"u8;
    public static ReadOnlySpan<byte> NoSuchKey => "ERR no such key"u8;
    public static ReadOnlySpan<byte> DbIndexOutOfRange => "ERR DB index is out of range"u8;
    public static ReadOnlySpan<byte> Overflow => "ERR increment or decrement would overflow"u8;
    public static ReadOnlySpan<byte> InvalidExpire(string command) =>
        System.Text.Encoding.UTF8.GetBytes("ERR invalid expire time in '" + command + "' command");
}
