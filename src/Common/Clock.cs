// Clocks as Redis uses them: wall-clock Unix time for expiries and INFO, a monotonic clock for
// timers and latency. The per-command path reads the clock once (Timestamp, a raw monotonic
// tick count) and derives the wall clock from it with WallClock, whose offset is re-anchored on
// the real wall clock once per event-loop iteration: a clock read is a vDSO call, and the
// per-command accounting used to make four of them.
using System.Diagnostics;

namespace Csredis.Common;

public static class Clock
{
    static readonly long StartTicks = Stopwatch.GetTimestamp();

    public static long UnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    public static long UnixUs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    public static long MonotonicMs() => (long)((Stopwatch.GetTimestamp() - StartTicks) * 1000.0 / Stopwatch.Frequency);
    public static long MonotonicUs() => (long)((Stopwatch.GetTimestamp() - StartTicks) * 1_000_000.0 / Stopwatch.Frequency);

    /// <summary>Raw monotonic ticks (Stopwatch units): the one clock read of a command.</summary>
    public static long Timestamp() => Stopwatch.GetTimestamp();

    /// <summary>Microseconds between two <see cref="Timestamp"/> readings.</summary>
    public static long ElapsedUs(long fromTicks, long toTicks) =>
        TicksPerUs > 0 ? (toTicks - fromTicks) / TicksPerUs : (long)((toTicks - fromTicks) * 1_000_000.0 / Stopwatch.Frequency);

    // Stopwatch ticks are nanoseconds on Linux; the division stays exact for any whole number of ticks per microsecond.
    static readonly long TicksPerUs = Stopwatch.Frequency % 1_000_000 == 0 ? Stopwatch.Frequency / 1_000_000 : 0;
    static long TicksToUs(long ticks) => TicksPerUs > 0 ? ticks / TicksPerUs : (long)(ticks * 1_000_000.0 / Stopwatch.Frequency);

    /// <summary>
    /// The wall clock in Unix ms derived from monotonic ticks. <see cref="Anchor"/> reads both clocks
    /// and keeps their difference (to the microsecond); between anchors the derived time advances with
    /// the monotonic clock, so a wall-clock step or NTP slew is picked up at the next anchor (the next
    /// loop iteration).
    /// </summary>
    public struct WallClock
    {
        long _offsetUs;

        /// <summary>Reads the real wall clock and re-anchors; returns it in Unix ms.</summary>
        public long Anchor()
        {
            long nowUs = UnixUs();
            _offsetUs = nowUs - TicksToUs(Stopwatch.GetTimestamp());
            return nowUs / 1000;
        }

        public readonly long UnixMsAt(long ticks) => (_offsetUs + TicksToUs(ticks)) / 1000;
    }
}

public static class RunId
{
    /// <summary>40 random hex characters, like Redis's run_id and replication ids.</summary>
    /// <remarks>
    /// The bytes come from getrandom(2), as Redis reads /dev/urandom: going through .NET's
    /// RandomNumberGenerator would load OpenSSL (some 4 MB of resident libcrypto/libssl) at start-up
    /// in a process that never uses it otherwise.
    /// </remarks>
    public static unsafe string New()
    {
        Span<byte> raw = stackalloc byte[20];
        int filled = 0;
        fixed (byte* p = raw)
            while (filled < raw.Length)
            {
                nint n = Native.Libc.getrandom(p + filled, (nuint)(raw.Length - filled), 0);
                if (n <= 0) break;
                filled += (int)n;
            }
        if (filled < raw.Length) Random.Shared.NextBytes(raw[filled..]);
        return Convert.ToHexStringLower(raw);
    }
}
