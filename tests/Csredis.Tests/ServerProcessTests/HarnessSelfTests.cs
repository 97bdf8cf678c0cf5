// Checks of the harness itself against real Redis: RESP framing (RESP2 and RESP3, nested, attributes,
// pipelining), redis-cli quoting of scripts, and that the differential runner really reports differences.
using System.Text;
using Csredis.Tests.Differential;
using Csredis.Tests.Infrastructure;
using Xunit;

namespace Csredis.Tests.ServerProcessTests;

public sealed class HarnessSelfTests
{
    [Theory]
    [InlineData("+OK\r\n")]
    [InlineData("-ERR x\r\n")]
    [InlineData(":-5\r\n")]
    [InlineData("$-1\r\n")]
    [InlineData("$0\r\n\r\n")]
    [InlineData("$4\r\na\r\nb\r\n")]
    [InlineData("*-1\r\n")]
    [InlineData("*2\r\n*1\r\n:1\r\n$1\r\nx\r\n")]
    [InlineData("%1\r\n+k\r\n*2\r\n_\r\n,1.5\r\n")]
    [InlineData("~2\r\n#t\r\n(123\r\n")]
    [InlineData(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n")]
    [InlineData("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n")]
    [InlineData("!3\r\nerr\r\n")]
    [InlineData("=7\r\ntxt:abc\r\n")]
    public void RespFrameFindsExactlyOneReply(string reply)
    {
        var bytes = Encoding.Latin1.GetBytes(reply);
        for (var cut = 0; cut < bytes.Length; cut++)
            Assert.Null(RespFrame.TryParse(bytes.AsSpan(0, cut), 0, out _));
        var withNext = bytes.Concat("+NEXT\r\n"u8.ToArray()).ToArray();
        Assert.NotNull(RespFrame.TryParse(withNext, 0, out var consumed));
        Assert.Equal(bytes.Length, consumed);
    }

    [Fact]
    public void SplitArgumentsFollowsRedisCliQuoting()
    {
        var args = DifferentialScript.SplitArguments("SET \"a b\\x41\\n\" 'it\\'s' plain\"\" \"\"")
            .Select(Encoding.Latin1.GetString).ToArray();
        Assert.Equal(["SET", "a bA\n", "it's", "plain", ""], args);
        Assert.Throws<FormatException>(() => DifferentialScript.SplitArguments("GET \"unterminated"));
        Assert.Throws<FormatException>(() => DifferentialScript.SplitArguments("GET \"a\"b"));
    }

    [Fact]
    public void ScriptSectionsAndPrefixesParse()
    {
        var script = DifferentialScript.Parse("t.redis", [
            "#! args: --databases 4", "# comment", "PING", "", "--- named", "~ TIME", "", "@sort KEYS *", "@raw PING\\r\\n", "@sleep 5",
        ]);
        Assert.Equal(["--databases", "4"], script.ServerArguments);
        Assert.Equal(["line 3", "named"], script.Sections.Select(s => s.Name));
        Assert.Equal([CompareMode.Shape, CompareMode.Sorted, CompareMode.Raw, CompareMode.Sleep], script.Sections[1].Steps.Select(s => s.Mode));
        Assert.Equal("PING\r\n"u8.ToArray(), script.Sections[1].Steps[2].RawBytes);
    }

    [Theory]
    [InlineData(CompareMode.Shape, "*2\r\n$10\r\n1732233600\r\n$6\r\n123456\r\n", "*2\r\n$10\r\n1732233601\r\n$1\r\n7\r\n", true)]
    [InlineData(CompareMode.Shape, "$-1\r\n", "$0\r\n\r\n", false)]
    [InlineData(CompareMode.Shape, ":1\r\n", "$1\r\n1\r\n", false)]
    [InlineData(CompareMode.Shape, "*1\r\n:1\r\n", "*2\r\n:1\r\n:2\r\n", false)]
    [InlineData(CompareMode.Sorted, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", true)]
    [InlineData(CompareMode.Sorted, "*2\r\n$1\r\na\r\n$1\r\na\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", false)]
    [InlineData(CompareMode.Sorted, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true)]
    [InlineData(CompareMode.Sorted, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+a\r\n:2\r\n+b\r\n:1\r\n", false)]
    [InlineData(CompareMode.Exact, "+OK\r\n", "+OK\r\n", true)]
    [InlineData(CompareMode.Exact, "+OK\r\n", "+ok\r\n", false)]
    public void ReplyComparisonModes(CompareMode mode, string expected, string actual, bool agree)
    {
        Assert.Equal(agree, ReplyComparison.Agree(mode, Encoding.Latin1.GetBytes(expected), Encoding.Latin1.GetBytes(actual)));
    }

    [Theory]
    [InlineData("# Server\r\na:1\r\nb:xyz\r\n", "# Server\r\na:22\r\nb:x\r\n", true)]
    [InlineData("# Server\r\na:1\r\nb:2\r\n", "# Server\r\na:1\r\n", false)]
    [InlineData("# Server\r\na:1\r\nb:2\r\n", "# Server\r\nb:2\r\na:1\r\n", false)]
    [InlineData("# Server\r\na:1\r\n", "# Clients\r\na:1\r\n", false)]
    public void FieldsModeComparesInfoSkeletons(string expected, string actual, bool agree)
    {
        static byte[] Bulk(string text) => Encoding.Latin1.GetBytes($"${text.Length}\r\n{text}\r\n");
        Assert.Equal(agree, ReplyComparison.Agree(CompareMode.Fields, Bulk(expected), Bulk(actual)));
    }

    [Fact]
    public void RawClientReadsPipelinedAndResp3RepliesFromRedis()
    {
        using var server = ServerProcess.StartRedis();
        using var client = server.Connect();
        client.SendRaw("PING\r\nPING\r\n");
        Assert.Equal("+PONG\r\n"u8.ToArray(), client.ReadRawReply());
        Assert.Equal("+PONG\r\n"u8.ToArray(), client.ReadRawReply());
        Assert.Equal('%', client.ExecuteFrame("HELLO", "3").Type);
        client.Execute("HSET", "h", "f", "v");
        Assert.Equal("%1\\r\\n$1\\r\\nf\\r\\n$1\\r\\nv\\r\\n", client.ExecuteEscaped("HGETALL", "h"));
        Assert.Equal("*3\\r\\n$9\\r\\nsubscribe\\r\\n$2\\r\\nch\\r\\n:1\\r\\n".Replace('*', '>'), client.ExecuteEscaped("SUBSCRIBE", "ch"));
        using var publisher = server.Connect();
        publisher.Execute("PUBLISH", "ch", "hello");
        Assert.Equal(">3\\r\\n$7\\r\\nmessage\\r\\n$2\\r\\nch\\r\\n$5\\r\\nhello\\r\\n", RespFrame.Escape(client.ReadRawReply()));
        client.Execute("QUIT");
        Assert.True(client.IsClosedByPeer(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void DifferentialRunnerReportsADifferenceWithBothReplies()
    {
        using var reference = ServerProcess.StartRedis("--databases", "16");
        using var candidate = ServerProcess.StartRedis("--databases", "4");
        var script = DifferentialScript.Parse("diff.redis", ["PING", "SELECT 5", "~ TIME", "@raw *1\\r\\nPING\\r\\n"]);
        var mismatches = new DifferentialRunner(reference, candidate).Run(script);
        var mismatch = Assert.Single(mismatches);
        Assert.Contains("diff.redis:2", mismatch);
        Assert.Contains("+OK\\r\\n", mismatch);
        Assert.Contains("-ERR DB index is out of range\\r\\n", mismatch);
    }
}
