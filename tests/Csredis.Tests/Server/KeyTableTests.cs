// KeyTable, the keyspace hash table, tested on its own: lookups stay right while the table grows
// and shrinks through incremental rehashing, SCAN's reverse-binary cursor returns every key that
// is present for the whole scan even when the table is resized between calls, and RandomEntry
// only ever returns live entries.
using System.Text;
using Csredis.Server.Keyspace;
using Xunit;

namespace Csredis.Tests.Server;

public class KeyTableTests
{
    static byte[] Key(int i) => Encoding.ASCII.GetBytes("key:" + i);

    static byte[] Item(int i) => PackedString.Create(Key(i), Encoding.ASCII.GetBytes("v" + i), StringEncoding.Embstr);

    static int Insert(KeyTable table, int i) => table.Insert(Item(i), KeyTable.HashKey(Key(i)));

    static bool Contains(KeyTable table, int i) => table.Find(Key(i), KeyTable.HashKey(Key(i))) >= 0;

    static bool Remove(KeyTable table, int i) => table.Remove(Key(i), KeyTable.HashKey(Key(i))) >= 0;

    static void FinishRehash(KeyTable table)
    {
        for (int guard = 0; guard < 1_000_000 && table.RehashStep(100); guard++) { }
        Assert.False(table.IsRehashing);
    }

    [Fact]
    public void EmptyTableFindsNothing()
    {
        var table = new KeyTable(withPayload: false);
        Assert.Equal(0, table.Count);
        Assert.False(Contains(table, 1));
        Assert.False(Remove(table, 1));
        Assert.Equal(-1, table.RandomEntry(new Random(1)));
        Assert.Equal(0UL, table.Scan(0, new List<int>()));
    }

    [Fact]
    public void InsertFindRemoveAcrossGrowthAndShrink()
    {
        var table = new KeyTable(withPayload: false);
        const int n = 20_000;
        for (int i = 0; i < n; i++)
        {
            Insert(table, i);
            // Every few inserts, check some earlier keys while a rehash is likely in progress.
            if (i % 997 == 0)
                for (int j = 0; j <= i; j += 113) Assert.True(Contains(table, j), $"key {j} lost after inserting {i}");
        }
        Assert.Equal(n, table.Count);
        Assert.True(table.BucketCount >= n);
        for (int i = 0; i < n; i++) Assert.True(Contains(table, i));
        Assert.False(Contains(table, n));

        // Remove nine keys in ten, then let the table shrink (as the server cron does).
        for (int i = 0; i < n; i++)
            if (i % 10 != 0) Assert.True(Remove(table, i));
        Assert.Equal(n / 10, table.Count);
        int bucketsBefore = table.BucketCount;
        for (int round = 0; round < 20; round++)
        {
            table.ShrinkIfSparse();
            FinishRehash(table);
        }
        Assert.True(table.BucketCount < bucketsBefore, "the table should have shrunk");
        for (int i = 0; i < n; i++) Assert.Equal(i % 10 == 0, Contains(table, i));

        // Freed entries are reused and the table stays consistent.
        for (int i = n; i < n + 5000; i++) Insert(table, i);
        Assert.Equal(n / 10 + 5000, table.Count);
        for (int i = n; i < n + 5000; i++) Assert.True(Contains(table, i));
        for (int i = 0; i < n; i++) Assert.Equal(i % 10 == 0, Remove(table, i));
        Assert.Equal(5000, table.Count);
    }

    [Fact]
    public void RemovingEverythingLeavesAnEmptyTable()
    {
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 1000; i++) Insert(table, i);
        for (int i = 0; i < 1000; i++) Assert.True(Remove(table, i));
        Assert.Equal(0, table.Count);
        for (int i = 0; i < 1000; i++) Assert.False(Contains(table, i));
        table.Clear();
        Assert.Equal(0, table.Count);
        Insert(table, 5);
        Assert.True(Contains(table, 5));
    }

    [Fact]
    public void PayloadsSurviveRehashing()
    {
        var table = new KeyTable(withPayload: true);
        for (int i = 0; i < 5000; i++)
        {
            int index = Insert(table, i);
            table.PayloadAt(index) = 1_000_000L + i;
        }
        FinishRehash(table);
        for (int i = 0; i < 5000; i++)
        {
            int index = table.Find(Key(i), KeyTable.HashKey(Key(i)));
            Assert.Equal(1_000_000L + i, table.PayloadAt(index));
        }
    }

    [Fact]
    public void HighWaterIterationVisitsEveryKey()
    {
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 3000; i++) Insert(table, i);
        for (int i = 0; i < 3000; i += 3) Remove(table, i);
        var seen = new HashSet<string>();
        for (int i = 0; i < table.HighWater; i++)
            if (table.ItemAtOrNull(i) is { } item) Assert.True(seen.Add(Encoding.ASCII.GetString(StoredKey.Of(item))));
        Assert.Equal(table.Count, seen.Count);
    }

    static string KeyAt(KeyTable table, int index) => Encoding.ASCII.GetString(StoredKey.Of(table.ItemAt(index)));

    [Fact]
    public void ScanOfAStableTableReturnsEveryKeyOnce()
    {
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 10_000; i++) Insert(table, i);
        FinishRehash(table);
        var seen = new List<string>();
        var batch = new List<int>();
        ulong cursor = 0;
        int calls = 0;
        do
        {
            batch.Clear();
            cursor = table.Scan(cursor, batch);
            foreach (int index in batch) seen.Add(KeyAt(table, index));
            Assert.True(++calls < 1_000_000);
        } while (cursor != 0);
        Assert.Equal(10_000, seen.Count);
        Assert.Equal(10_000, seen.Distinct().Count());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ScanReturnsEveryKeyPresentThroughoutWhileTheTableGrowsAndShrinks(int seed)
    {
        var random = new Random(seed);
        var table = new KeyTable(withPayload: false);
        const int stable = 2000;
        // Keys 0..stable-1 stay for the whole scan; others come and go around them.
        for (int i = 0; i < stable; i++) Insert(table, i);
        var transient = new List<int>();
        int next = 1_000_000;
        var seen = new HashSet<string>();
        var batch = new List<int>();
        ulong cursor = 0;
        int calls = 0;
        do
        {
            batch.Clear();
            cursor = table.Scan(cursor, batch);
            foreach (int index in batch) seen.Add(KeyAt(table, index));
            calls++;
            // Phases: grow a lot, then shrink back, then grow again, with rehash steps in between.
            int phase = calls / 40 % 3;
            if (phase != 1)
                for (int k = 0; k < 300; k++) { Insert(table, next); transient.Add(next++); }
            else
            {
                for (int k = 0; k < 600 && transient.Count > 0; k++)
                {
                    int pick = random.Next(transient.Count);
                    Assert.True(Remove(table, transient[pick]));
                    transient[pick] = transient[^1];
                    transient.RemoveAt(transient.Count - 1);
                }
                table.ShrinkIfSparse();
            }
            table.RehashStep(random.Next(1, 50));
            Assert.True(calls < 100_000, "scan did not finish");
        } while (cursor != 0);
        for (int i = 0; i < stable; i++) Assert.Contains("key:" + i, seen);
    }

    [Fact]
    public void ScanCompletesAcrossAFullShrink()
    {
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 50_000; i++) Insert(table, i);
        FinishRehash(table);
        var seen = new HashSet<string>();
        var batch = new List<int>();
        ulong cursor = 0;
        for (int step = 0; step < 50; step++)
        {
            batch.Clear();
            cursor = table.Scan(cursor, batch);
            foreach (int index in batch) seen.Add(KeyAt(table, index));
        }
        // Drop everything but the first 100 keys, shrink completely, then finish the scan.
        for (int i = 100; i < 50_000; i++) Remove(table, i);
        for (int round = 0; round < 20; round++) { table.ShrinkIfSparse(); FinishRehash(table); }
        int calls = 0;
        while (cursor != 0)
        {
            batch.Clear();
            cursor = table.Scan(cursor, batch);
            foreach (int index in batch) seen.Add(KeyAt(table, index));
            Assert.True(++calls < 1_000_000);
        }
        for (int i = 0; i < 100; i++) Assert.Contains("key:" + i, seen);
    }

    [Fact]
    public void RandomEntryReturnsOnlyLiveKeysAndReachesAllOfThem()
    {
        var random = new Random(7);
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 64; i++) Insert(table, i);
        for (int i = 0; i < 64; i += 2) Remove(table, i);
        var seen = new HashSet<string>();
        for (int draw = 0; draw < 20_000; draw++)
        {
            int index = table.RandomEntry(random);
            Assert.True(index >= 0);
            var item = table.ItemAtOrNull(index);
            Assert.NotNull(item);
            var key = Encoding.ASCII.GetString(StoredKey.Of(item!));
            Assert.True(int.Parse(key[4..]) % 2 == 1, "a removed key was returned");
            seen.Add(key);
        }
        Assert.Equal(32, seen.Count);
    }

    [Fact]
    public void RandomEntryWorksWhileRehashing()
    {
        var random = new Random(11);
        var table = new KeyTable(withPayload: false);
        for (int i = 0; i < 1025; i++) Insert(table, i); // the last insert starts a resize
        Assert.True(table.IsRehashing);
        for (int draw = 0; draw < 5000; draw++)
        {
            int index = table.RandomEntry(random);
            Assert.NotNull(table.ItemAtOrNull(index));
        }
        var single = new KeyTable(withPayload: false);
        Insert(single, 42);
        Assert.Equal("key:42", KeyAt(single, single.RandomEntry(random)));
    }
}
