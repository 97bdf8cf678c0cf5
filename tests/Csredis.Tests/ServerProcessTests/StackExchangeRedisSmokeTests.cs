// A real client library (StackExchange.Redis 1.2.6, as our users run it) must connect with its admin
// handshake and do basic string work, expiry and a pipelined batch, on Redis and on csredis alike.
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
}
