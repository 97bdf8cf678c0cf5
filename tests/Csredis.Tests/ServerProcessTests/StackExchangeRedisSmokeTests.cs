// A real client library (StackExchange.Redis 1.2.6, as our users run it) must connect with its admin
// handshake and do what a typical application does: strings, keys, hashes, lists, sets, sorted
// sets, transactions with conditions, pub/sub, expiry, a pipelined batch and the admin calls
// (INFO, CONFIG, CLIENT LIST, SCAN through IServer.Keys), on Redis and on csredis alike.
using Csredis.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace Csredis.Tests.ServerProcessTests;

public sealed class StackExchangeRedisSmokeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new() { ServerProcess.RedisName, ServerProcess.CsredisName };

    private ConnectionMultiplexer Connect(ServerProcess server)
    {
        var log = new StringWriter();
        try
        {
            var connection = ConnectionMultiplexer.Connect($"127.0.0.1:{server.Port},allowAdmin=true,connectTimeout=5000,syncTimeout=5000", log);
            output.WriteLine(log.ToString()); // the handshake shows which admin commands the server refused
            return connection;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"StackExchange.Redis could not connect to {server}: {e.Message}\n--- client log ---\n{log}\n{server.Describe()}", e);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void StringsCountersAndExpiry(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var db = connection.GetDatabase();

        Assert.True(db.StringSet("greeting", "hello"));
        Assert.Equal("hello", (string?)db.StringGet("greeting"));
        Assert.False(db.StringSet("greeting", "again", when: When.NotExists));
        Assert.True(db.KeyDelete("greeting"));
        Assert.False(db.KeyDelete("greeting"));
        Assert.True(db.StringGet("greeting").IsNull);

        Assert.Equal(1, db.StringIncrement("counter"));
        Assert.Equal(11, db.StringIncrement("counter", 10));
        Assert.Equal(8, db.StringDecrement("counter", 3));

        Assert.True(db.StringSet("temp", "v", TimeSpan.FromSeconds(100)));
        var ttl = db.KeyTimeToLive("temp");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value.TotalSeconds, 90, 100);
        Assert.True(db.KeyPersist("temp"));
        Assert.Null(db.KeyTimeToLive("temp"));
        Assert.True(db.KeyExpire("temp", TimeSpan.FromMilliseconds(1)));
        Thread.Sleep(20);
        Assert.False(db.KeyExists("temp"));

        var endpoint = connection.GetEndPoints().Single();
        Assert.True(connection.GetServer(endpoint).IsConnected);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task PipelinedBatch(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var db = connection.GetDatabase();

        var batch = db.CreateBatch();
        var sets = Enumerable.Range(0, 100).Select(i => batch.StringSetAsync($"key:{i}", $"value:{i}")).ToArray();
        var increments = Enumerable.Range(0, 50).Select(_ => batch.StringIncrementAsync("batch-counter")).ToArray();
        var gets = Enumerable.Range(0, 100).Select(i => batch.StringGetAsync($"key:{i}")).ToArray();
        batch.Execute();
        await Task.WhenAll([.. sets, .. increments, .. gets]).WaitAsync(TimeSpan.FromSeconds(10));

        foreach (var set in sets) Assert.True(await set);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await Task.WhenAll(increments));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"value:{i}"), (await Task.WhenAll(gets)).Select(v => (string?)v));
        Assert.Equal(100, db.KeyDelete(Enumerable.Range(0, 100).Select(i => (RedisKey)$"key:{i}").ToArray()));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void KeysHashesListsSetsAndSortedSets(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var db = connection.GetDatabase();

        // keys
        db.StringSet("k1", "a");
        Assert.True(db.KeyExists("k1"));
        Assert.Equal(RedisType.String, db.KeyType("k1"));
        Assert.True(db.KeyRename("k1", "k2"));
        Assert.False(db.KeyExists("k1"));
        Assert.Equal("a", (string?)db.StringGet("k2"));
        db.StringSet("k3", "b");
        Assert.False(db.KeyRename("k2", "k3", When.NotExists)); // RENAMENX onto an existing key
        Assert.Equal(2, db.KeyDelete(["k2", "k3", "nosuch"]));
        Assert.Equal(RedisType.None, db.KeyType("nosuch"));

        // hashes
        db.HashSet("user:1", [new HashEntry("name", "ann"), new HashEntry("age", 30)]);
        Assert.Equal("ann", (string?)db.HashGet("user:1", "name"));
        Assert.Equal(31, db.HashIncrement("user:1", "age"));
        Assert.True(db.HashExists("user:1", "age"));
        Assert.Equal(2, db.HashLength("user:1"));
        var all = db.HashGetAll("user:1").ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        Assert.Equal(new Dictionary<string, string?> { ["name"] = "ann", ["age"] = "31" }, all);
        Assert.True(db.HashDelete("user:1", "age"));
        Assert.Equal(RedisType.Hash, db.KeyType("user:1"));

        // lists
        Assert.Equal(3, db.ListRightPush("queue", ["a", "b", "c"]));
        Assert.Equal(4, db.ListLeftPush("queue", "z"));
        Assert.Equal(["z", "a", "b", "c"], db.ListRange("queue").Select(v => (string?)v));
        Assert.Equal("z", (string?)db.ListLeftPop("queue"));
        Assert.Equal("c", (string?)db.ListRightPop("queue"));
        Assert.Equal(2, db.ListLength("queue"));
        Assert.Equal("b", (string?)db.ListGetByIndex("queue", -1));

        // sets
        Assert.Equal(3, db.SetAdd("tags", ["x", "y", "z"]));
        Assert.False(db.SetAdd("tags", "x"));
        Assert.True(db.SetContains("tags", "y"));
        Assert.Equal(["x", "y", "z"], db.SetMembers("tags").Select(v => (string)v!).Order());
        db.SetAdd("tags2", ["y", "w"]);
        Assert.Equal(["y"], db.SetCombine(SetOperation.Intersect, "tags", "tags2").Select(v => (string?)v));
        Assert.True(db.SetRemove("tags", "x"));
        Assert.Equal(2, db.SetLength("tags"));

        // sorted sets
        Assert.Equal(3, db.SortedSetAdd("board", [new SortedSetEntry("ann", 10), new SortedSetEntry("bob", 20), new SortedSetEntry("cy", 15)]));
        Assert.Equal(25, db.SortedSetIncrement("board", "ann", 15));
        Assert.Equal(["cy", "bob", "ann"], db.SortedSetRangeByRank("board").Select(v => (string?)v));
        var top = db.SortedSetRangeByRankWithScores("board", 0, 0, Order.Descending).Single();
        Assert.Equal(("ann", 25.0), ((string)top.Element!, top.Score));
        Assert.Equal(20, db.SortedSetScore("board", "bob"));
        Assert.Equal(1, db.SortedSetRank("board", "bob"));
        Assert.Equal(["cy", "bob"], db.SortedSetRangeByScore("board", 15, 20).Select(v => (string?)v));
        Assert.True(db.SortedSetRemove("board", "cy"));
        Assert.Equal(2, db.SortedSetLength("board"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TransactionsWithConditions(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var db = connection.GetDatabase();

        // WATCH + MULTI/EXEC under the hood: the condition holds, both writes apply.
        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists("lock"));
        var set = tran.StringSetAsync("lock", "me");
        var incr = tran.StringIncrementAsync("tx-counter");
        Assert.True(await tran.ExecuteAsync());
        Assert.True(await set);
        Assert.Equal(1, await incr);

        // The condition fails: nothing is applied.
        tran = db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists("lock"));
        _ = tran.StringIncrementAsync("tx-counter");
        Assert.False(await tran.ExecuteAsync());
        Assert.Equal(1, (long)db.StringGet("tx-counter"));

        tran = db.CreateTransaction();
        tran.AddCondition(Condition.StringEqual("lock", "me"));
        tran.AddCondition(Condition.HashNotExists("h", "f"));
        _ = tran.HashSetAsync("h", "f", "v");
        _ = tran.KeyDeleteAsync("lock");
        Assert.True(await tran.ExecuteAsync());
        Assert.False(db.KeyExists("lock"));
        Assert.Equal("v", (string?)db.HashGet("h", "f"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void PubSubDeliversToSubscribers(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var subscriber = connection.GetSubscriber();
        var received = new System.Collections.Concurrent.BlockingCollection<string>();
        subscriber.Subscribe("news", (channel, message) => received.Add($"{channel}:{message}"));
        subscriber.Subscribe(new RedisChannel("news.*", RedisChannel.PatternMode.Pattern), (channel, message) => received.Add($"p {channel}:{message}"));

        Assert.Equal(1, connection.GetDatabase().Publish("news", "hello"));
        Assert.Equal(1, connection.GetDatabase().Publish("news.sport", "goal"));
        var messages = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            Assert.True(received.TryTake(out var m, TimeSpan.FromSeconds(5)), "message " + i + " not delivered");
            messages.Add(m!);
        }
        Assert.Equal(["news:hello", "p news.sport:goal"], messages.Order(StringComparer.Ordinal));
        subscriber.Unsubscribe("news");
        Assert.Equal(0, connection.GetDatabase().Publish("news", "after"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void AdminCallsThroughIServer(string serverName)
    {
        using var server = ServerProcess.Start(serverName);
        using var connection = Connect(server);
        var db = connection.GetDatabase();
        var admin = connection.GetServer(connection.GetEndPoints().Single());

        for (int i = 0; i < 300; i++) db.StringSet($"scan:{i}", i);
        db.StringSet("other", 1);
        // IServer.Keys pages through SCAN with MATCH and COUNT: every key exactly once.
        var keys = admin.Keys(pattern: "scan:*", pageSize: 25).Select(k => (string)k!).ToList();
        Assert.Equal(300, keys.Count);
        Assert.Equal(300, keys.Distinct().Count());
        Assert.Equal(301, admin.DatabaseSize());

        var info = admin.Info("server").SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("7.0.15", info["redis_version"]);
        Assert.Equal(server.Port.ToString(), info["tcp_port"]);
        Assert.Contains(admin.Info(), g => g.Key == "Keyspace");
        Assert.Equal("0", admin.ConfigGet("maxmemory").Single().Value);
        admin.ConfigSet("maxmemory-policy", "allkeys-lru");
        Assert.Equal("allkeys-lru", admin.ConfigGet("maxmemory-policy").Single().Value);
        Assert.NotEmpty(admin.ClientList());
        Assert.InRange((admin.Time() - DateTime.UtcNow).Duration().TotalSeconds, 0, 60);
        Assert.Equal(7, admin.Features.Version.Major);
        admin.FlushDatabase();
        Assert.Equal(0, admin.DatabaseSize());
    }
}
