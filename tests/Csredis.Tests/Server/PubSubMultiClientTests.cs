// Pub/Sub between connections: channel and pattern subscribers in RESP2 and RESP3, message
// order and receiver counts, keyspace notifications, and a subscriber that does not read being
// disconnected by client-output-buffer-limit. Run against real redis-server and ./csredis-server;
// the observed frames must be identical.
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Server.BothServers;

namespace Csredis.Tests.Server;

public sealed class PubSubMultiClientTests
{
    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void PublishReachesChannelAndPatternSubscribers(string protocol) => AssertSame(Run((server, log) =>
    {
        using var publisher = server.Connect();
        using var channelSub = server.Connect();
        using var patternSub = server.Connect();
        using var bothSub = server.Connect();
        foreach (var c in new[] { channelSub, patternSub, bothSub })
        {
            c.Send("HELLO", protocol);
            c.Next();
        }
        log.Add(channelSub.Call("SUBSCRIBE", "news.tech"));
        log.Add(patternSub.Call("PSUBSCRIBE", "news.*"));
        log.Add(bothSub.Call("SUBSCRIBE", "news.tech"));
        log.Add(bothSub.Call("PSUBSCRIBE", "news.t*"));
        log.Add(publisher.Call("PUBLISH", "news.tech", "hello"));
        log.Add(publisher.Call("PUBLISH", "news.sport", "goal"));
        log.Add(publisher.Call("PUBLISH", "other", "nobody"));
        log.Add(publisher.Call("PUBLISH", "news.tech", "bin\r\n\0ary"));
        Drain(channelSub, log, "channel");
        Drain(patternSub, log, "pattern");
        Drain(bothSub, log, "both");
        log.Add(publisher.Call("PUBSUB", "NUMSUB", "news.tech", "news.sport"));
        log.Add(publisher.Call("PUBSUB", "NUMPAT"));
        log.Add(channelSub.Call("UNSUBSCRIBE", "news.tech"));
        log.Add(publisher.Call("PUBLISH", "news.tech", "again"));
        Drain(channelSub, log, "channel");
        Drain(patternSub, log, "pattern");
        Drain(bothSub, log, "both");
        // A closed subscriber leaves no trace.
        bothSub.Dispose();
        Thread.Sleep(100);
        log.Add(publisher.Call("PUBLISH", "news.tech", "last"));
        log.Add(publisher.Call("PUBSUB", "NUMSUB", "news.tech"));
        log.Add(publisher.Call("PUBSUB", "NUMPAT"));
        Drain(patternSub, log, "pattern");
    }));

    [Fact]
    public void ShardChannelsAreSeparateFromPlainChannels() => AssertSame(Run((server, log) =>
    {
        using var publisher = server.Connect();
        using var sub = server.Connect();
        log.Add(sub.Call("SSUBSCRIBE", "orders"));
        log.Add(publisher.Call("PUBLISH", "orders", "plain"));
        log.Add(publisher.Call("SPUBLISH", "orders", "sharded"));
        Drain(sub, log, "sub");
        log.Add(publisher.Call("PUBSUB", "SHARDNUMSUB", "orders"));
        log.Add(publisher.Call("PUBSUB", "SHARDCHANNELS"));
    }));

    [Theory]
    [InlineData("KEA")]
    [InlineData("K$")]
    [InlineData("Eg")]
    [InlineData("Ex")]
    [InlineData("KEn")]
    [InlineData("Em")]
    [InlineData("Klzhs")]
    public void KeyspaceNotificationsFollowTheConfiguredClasses(string flags) => AssertSame(Run((server, log) =>
    {
        using var writer = server.Connect();
        using var sub = server.Connect();
        log.Add(writer.Call("CONFIG", "SET", "notify-keyspace-events", flags));
        log.Add(sub.Call("PSUBSCRIBE", "__key*@*__:*"));
        log.Add(writer.Call("SET", "s", "v"));
        log.Add(writer.Call("SET", "s", "v", "EX", "100"));
        log.Add(writer.Call("APPEND", "s", "w"));
        log.Add(writer.Call("INCR", "n"));
        log.Add(writer.Call("INCRBY", "n", "5"));
        log.Add(writer.Call("DECR", "n"));
        log.Add(writer.Call("RPUSH", "l", "a", "b"));
        log.Add(writer.Call("LMOVE", "l", "l2", "LEFT", "RIGHT"));
        log.Add(writer.Call("ZADD", "zs", "1", "m"));
        log.Add(writer.Call("HSET", "h", "f", "v"));
        log.Add(writer.Call("SADD", "st", "x"));
        log.Add(writer.Call("EXPIRE", "n", "100"));
        log.Add(writer.Call("PERSIST", "n"));
        log.Add(writer.Call("DEL", "s", "n", "missing"));
        log.Add(writer.Call("GET", "missing"));
        log.Add(writer.Call("MSET", "m1", "1", "m2", "2"));
        log.Add(writer.Call("SELECT", "2"));
        log.Add(writer.Call("SET", "db2key", "v", "PX", "50"));
        Thread.Sleep(300); // active expiry reports "expired"
        log.Add(writer.Call("GET", "db2key"));
        Drain(sub, log, "sub");
    }));

    [Fact]
    public void SlowSubscriberIsDisconnectedByOutputBufferLimit()
    {
        var run = Run((server, log) =>
        {
            using var publisher = server.Connect();
            using var fast = server.Connect();
            using var slow = server.Connect();
            log.Add(publisher.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"));
            log.Add(slow.Call("SUBSCRIBE", "firehose"));
            log.Add(fast.Call("SUBSCRIBE", "other"));
            var payload = new string('x', 64 * 1024);
            // The slow subscriber never reads: kernel buffers fill up, then its output buffer passes 1mb.
            for (int i = 0; i < 400; i++)
            {
                publisher.Send("PUBLISH", "firehose", payload);
                publisher.Next();
            }
            log.Add("slow closed: " + ClosedByServer(slow, 10000));
            log.Add(publisher.Call("PUBSUB", "NUMSUB", "firehose", "other"));
            log.Add(publisher.Call("PUBLISH", "firehose", "after"));
            log.Add(publisher.Call("PUBLISH", "other", "still here"));
            log.Add(fast.Next() ?? "<none>");
            log.Add("limit logged: " + server.WaitForLog("scheduled to be closed ASAP for overcoming of output buffer limits.", TimeSpan.FromSeconds(5)));
        });
        AssertSame(run);
        Assert.Contains("slow closed: True", run.Csredis);
    }

    [Fact]
    public void SubscriberAboveTheSoftLimitForLongerThanItsSecondsIsDisconnected()
    {
        var run = Run((server, log) =>
        {
            using var publisher = server.Connect();
            using var slow = server.Connect();
            log.Add(publisher.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 512kb 1"));
            log.Add(slow.Call("SUBSCRIBE", "feed"));
            var payload = new string('m', 64 * 1024);
            // Fill the socket buffers and pass the soft limit, then keep publishing for about three seconds.
            string lastCount = "";
            for (int i = 0; i < 300 && lastCount != ":0\\r\\n"; i++)
            {
                lastCount = publisher.Call("PUBLISH", "feed", payload);
                if (i >= 100) Thread.Sleep(20);
            }
            log.Add("last publish reached: " + lastCount);
            log.Add("slow closed: " + ClosedByServer(slow, 10000));
            log.Add(publisher.Call("PUBSUB", "NUMSUB", "feed"));
        });
        AssertSame(run);
        Assert.Contains("slow closed: True", run.Csredis);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void SubscriptionConfirmationsAndMessagesIgnoreClientReplyOff(string protocol) => AssertSame(Run((server, log) =>
    {
        using var publisher = server.Connect();
        using var sub = server.Connect();
        sub.Send("HELLO", protocol);
        sub.Next();
        sub.Send("CLIENT", "REPLY", "OFF");
        sub.Send("SUBSCRIBE", "ch");
        log.Add(publisher.Call("PUBLISH", "ch", "m1"));
        sub.Send("GET", "k"); // refused in RESP2 subscribed mode, ordinary in RESP3: silent either way
        sub.Send("UNSUBSCRIBE", "ch");
        Drain(sub, log, "sub");
        sub.Send("CLIENT", "REPLY", "ON");
        log.Add(sub.Call("PING"));
    }));
}
