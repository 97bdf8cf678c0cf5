// The C library's srand()/rand() as glibc implements them (the additive feedback generator of
// random(3): r[i] = r[i-3] + r[i-31], seeded by a Lehmer sequence, the first 310 values dropped).
// redis-cli's cluster manager draws its "random" choices with srand(time(NULL)) + rand(): the master
// that covers an unowned slot and the replica swaps of the anti-affinity pass. Drawing them the same
// way makes a run in the same second choose exactly what redis-cli would.
namespace Csredis.Cli;

public sealed class GlibcRandom
{
    private readonly int[] state = new int[34];
    private int front, rear;

    public GlibcRandom(uint seed)
    {
        var r = new int[34];
        r[0] = seed == 0 ? 1 : (int)seed;
        for (int i = 1; i < 31; i++)
        {
            // 16807 * r[i-1] mod (2^31 - 1), with Schrage's method as glibc computes it.
            long hi = r[i - 1] / 127773, lo = r[i - 1] % 127773;
            long word = 16807 * lo - 2836 * hi;
            if (word < 0) word += 2147483647;
            r[i] = (int)word;
        }
        Array.Copy(r, state, 31);
        front = 3;
        rear = 0;
        for (int i = 0; i < 310; i++) Next();
    }

    /// <summary>srand(time(NULL)): seeded with the current Unix time in seconds.</summary>
    public static GlibcRandom SeededWithTime() => new((uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    /// <summary>rand(): 0 .. 2^31-1.</summary>
    public int Next()
    {
        unchecked
        {
            state[front] += state[rear];
            int result = (int)((uint)state[front] >> 1);
            if (++front >= 31) front = 0;
            if (++rear >= 31) rear = 0;
            return result;
        }
    }
}
