// The active expire cycle (Redis's expire.c, slow cycle): from serverCron, sample keys that have
// a TTL and delete the expired ones; keep going on a database while more than 10% of a sample
// was expired, but never past a time budget of 25% of the cron period, so memory held by keys
// nobody reads again is reclaimed without stalling the loop.
namespace Csredis.Server.Keyspace;

public static class ActiveExpire
{
    const int KeysPerLoop = 20;
    const int AcceptableStalePercent = 10;
    const int SlowTimePercent = 25;
    static int _nextDb;
    /// <summary>DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off (tests of lazy expiry need that).</summary>
    public static bool Enabled = true;

    public static void Cycle(RedisServer server)
    {
        if (!Enabled) return;
        long budgetUs = 1_000_000L * SlowTimePercent / 100 / Math.Max(1, server.Config.Hz);
        long start = Common.Clock.MonotonicUs();
        long now = Common.Clock.UnixMs();
        var dbs = server.Databases;
        long sampledTotal = 0, expiredTotal = 0;
        for (int n = 0; n < dbs.Length; n++)
        {
            var db = dbs[_nextDb++ % dbs.Length];
            while (db.Expires.Count > 0)
            {
                int sampled = 0, expired = 0;
                long ttlSum = 0; int ttlSamples = 0;
                int toSample = Math.Min(KeysPerLoop, db.Expires.Count);
                for (int i = 0; i < toSample; i++)
                {
                    int index = db.Expires.RandomEntry(server.Random);
                    if (index < 0) break;
                    sampled++;
                    long when = db.Expires.PayloadAt(index);
                    if (when <= now)
                    {
                        var key = StoredKey.Of(db.Expires.ItemAt(index));
                        db.DeleteExpired(key, db.Expires.HashAt(index));
                        expired++;
                    }
                    else { ttlSum += when - now; ttlSamples++; }
                }
                if (ttlSamples > 0)
                {
                    long avg = ttlSum / ttlSamples;
                    db.AverageTtl = db.AverageTtl == 0 ? avg : (db.AverageTtl / 50) * 49 + avg / 50;
                }
                sampledTotal += sampled;
                expiredTotal += expired;
                if (Common.Clock.MonotonicUs() - start > budgetUs)
                {
                    server.Stats.ExpiredTimeCapReachedCount++;
                    goto done;
                }
                if (sampled == 0 || expired * 100 / sampled <= AcceptableStalePercent) break;
            }
        }
    done:
        long elapsedUs = Common.Clock.MonotonicUs() - start;
        server.Stats.ExpireCycleCpuMilliseconds += elapsedUs / 1000;
        double stale = sampledTotal == 0 ? 0 : (double)expiredTotal / sampledTotal;
        server.Stats.ExpiredStalePerc = (long)(server.Stats.ExpiredStalePerc * 0.95 + stale * 100 * 0.05);
    }
}
