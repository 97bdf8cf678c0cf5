// Server-wide state that INFO reports and that features fill in as they arrive: replication ids
// and offsets, persistence status, memory peaks. Defaults are the values of a master that has
// never saved, so INFO tells the truth before RDB/AOF/replication exist.
namespace Csredis.Server;

public sealed partial class RedisServer
{
    /// <summary>This server's replication history id (40 hex digits) and the previous one (zeros when none).</summary>
    public string ReplId = NewReplId();
    public string ReplId2 = new('0', 40);
    public long MasterReplOffset;
    public long SecondReplOffset = -1;

    /// <summary>Managed memory in use once start-up finished (Redis's used_memory_startup).</summary>
    public long StartupMemory;
    public long PeakMemory;
    public long PeakMemoryTimeMs;

    /// <summary>Absolute path of the executable as Redis reports it: argv[0] made absolute against the start-up directory.</summary>
    public string ExecutablePath = "";

    /// <summary>
    /// INFO fields owned by features that may be absent (pub/sub channels, replication backlog,
    /// scripts...): a feature installs its source under the field name; absent, the field is 0.
    /// </summary>
    public readonly Dictionary<string, Func<long>> InfoCounters = new(StringComparer.Ordinal);

    public long Counter(string field) => InfoCounters.TryGetValue(field, out var source) ? source() : 0;

    /// <summary>Set by a sentinel, which draws its cron frequency anew at every run (Redis's sentinelTimer).</summary>
    public int? HzOverride;

    /// <summary>The cron frequency in use: configured hz, raised with many clients when dynamic-hz is on.</summary>
    public int CurrentHz
    {
        get
        {
            if (HzOverride is int fixedHz) return fixedHz;
            int hz = Math.Max(1, Config.Hz);
            if (!Config.DynamicHz) return hz;
            // Redis doubles hz while clients per hz tick exceed 200 (MAX_CLIENTS_PER_CLOCK_TICK), up to 500.
            while (Clients.Count / hz > 200 && hz < 500) hz = Math.Min(500, hz * 2);
            return hz;
        }
    }

    /// <summary>Identifies this build (INFO redis_build_id, --version): derived from the module's version id, new with every compilation.</summary>
    public static readonly Lazy<string> BuildId = new(() =>
    {
        var mvid = typeof(RedisServer).Module.ModuleVersionId.ToByteArray();
        Span<byte> digest = stackalloc byte[20];
        Csredis.Server.Persistence.Sha1.Hash(mvid, digest); // managed: the platform SHA1 would load OpenSSL just for this
        return Convert.ToHexStringLower(digest)[..15];
    });

    /// <summary>What holds our memory, in the place Redis names its malloc (INFO mem_allocator, --version).</summary>
    public const string Allocator = "dotnet-gc";

    public static string NewReplId() => Common.RunId.New();

    /// <summary>Bytes of managed memory in use: the GC heap holds the keyspace, buffers and all our structures.</summary>
    public long UsedMemory()
    {
        long used = GC.GetTotalMemory(false);
        if (used > PeakMemory)
        {
            PeakMemory = used;
            PeakMemoryTimeMs = CachedUnixMs;
        }
        return used;
    }

    /// <summary>Resident set size from /proc/self/statm (pages * page size).</summary>
    public static long ResidentMemory()
    {
        try
        {
            var text = File.ReadAllText("/proc/self/statm");
            var parts = text.Split(' ');
            return long.Parse(parts[1]) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }
}
