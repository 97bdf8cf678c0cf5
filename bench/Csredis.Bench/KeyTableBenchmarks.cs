// Measures the keyspace hash table (Csredis.Server.Keyspace.KeyTable) with string entries packed
// the way the server stores them: lookups that hit and miss, and an insert/remove cycle, at a
// small and a large table size. Lookups must allocate nothing.
using System.Text;
using BenchmarkDotNet.Attributes;
using Csredis.Server.Keyspace;

namespace Csredis.Bench;

[MemoryDiagnoser]
public class KeyTableBenchmarks
{
    private const int Lookups = 1024;

    [Params(1_000, 1_000_000)]
    public int Keys { get; set; }

    private KeyTable _table = null!;
    private byte[][] _present = [];
    private int[] _presentHashes = [];
    private byte[][] _absent = [];
    private int[] _absentHashes = [];
    private byte[] _churnItem = [];
    private int _churnHash;

    [GlobalSetup]
    public void Setup()
    {
        _table = new KeyTable(withPayload: false);
        for (var i = 0; i < Keys; i++)
        {
            var key = KeyName(i);
            _table.Insert(PackedString.CreateForSet(key, "xxx"u8), KeyTable.HashKey(key));
        }
        // Finish any incremental resize so every benchmark sees a settled table.
        while (_table.IsRehashing)
            _table.RehashStep(1024);

        var random = new Random(42);
        _present = Enumerable.Range(0, Lookups).Select(_ => KeyName(random.Next(Keys))).ToArray();
        _presentHashes = _present.Select(k => KeyTable.HashKey(k)).ToArray();
        _absent = Enumerable.Range(0, Lookups).Select(i => Encoding.ASCII.GetBytes($"missing:{i:D12}")).ToArray();
        _absentHashes = _absent.Select(k => KeyTable.HashKey(k)).ToArray();
        var churnKey = Encoding.ASCII.GetBytes("churn:key");
        _churnItem = PackedString.CreateForSet(churnKey, "xxx"u8);
        _churnHash = KeyTable.HashKey(churnKey);
    }

    private static byte[] KeyName(int i) => Encoding.ASCII.GetBytes($"key:{i:D12}");

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int FindHit()
    {
        var found = 0;
        for (var i = 0; i < Lookups; i++)
            found += _table.Find(_present[i], _presentHashes[i]) >= 0 ? 1 : 0;
        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int FindMiss()
    {
        var found = 0;
        for (var i = 0; i < Lookups; i++)
            found += _table.Find(_absent[i], _absentHashes[i]) >= 0 ? 1 : 0;
        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int HashKeys()
    {
        var sum = 0;
        for (var i = 0; i < Lookups; i++)
            sum += KeyTable.HashKey(_present[i]);
        return sum;
    }

    [Benchmark]
    public int InsertThenRemove()
    {
        _table.Insert(_churnItem, _churnHash);
        return _table.Remove(PackedString.Key(_churnItem), _churnHash);
    }
}
