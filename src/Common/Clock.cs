// Clocks as Redis uses them: wall-clock Unix time for expiries and INFO, a monotonic clock for
// timers and latency, both cheap enough to call per command.
using System.Diagnostics;

namespace Csredis.Common;

public static class Clock
{
    static readonly long StartTicks = Stopwatch.GetTimestamp();

    public static long UnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    public static long UnixUs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    public static long MonotonicMs() => (long)((Stopwatch.GetTimestamp() - StartTicks) * 1000.0 / Stopwatch.Frequency);
    public static long MonotonicUs() => (long)((Stopwatch.GetTimestamp() - StartTicks) * 1_000_000.0 / Stopwatch.Frequency);
}

public static class RunId
{
    /// <summary>40 random hex characters, like Redis's run_id and replication ids.</summary>
    public static string New()
    {
        Span<byte> raw = stackalloc byte[20];
        System.Security.Cryptography.RandomNumberGenerator.Fill(raw);
        return Convert.ToHexStringLower(raw);
    }
}
