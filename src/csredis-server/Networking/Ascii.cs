// Case-insensitive ASCII comparisons on bytes: command names and options arrive in any case
// ("set", "SET", "Set") and must be matched without building strings.
using System.Runtime.CompilerServices;

namespace Csredis.Server.Networking;

public static class Ascii
{
    /// <summary>True when <paramref name="input"/> equals <paramref name="lowercaseWord"/> ignoring ASCII case.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> input, ReadOnlySpan<byte> lowercaseWord)
    {
        if (input.Length != lowercaseWord.Length) return false;
        for (int i = 0; i < input.Length; i++)
        {
            int c = input[i];
            if (c >= 'A' && c <= 'Z') c |= 0x20;
            if (c != lowercaseWord[i]) return false;
        }
        return true;
    }

    public static string ToLowerString(ReadOnlySpan<byte> input)
    {
        Span<char> chars = input.Length <= 256 ? stackalloc char[input.Length] : new char[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            int c = input[i];
            chars[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
        }
        return new string(chars);
    }
}
