// The incremental parser must give the same tree whether a reply arrives whole or a byte at a time,
// report NeedMoreData without losing consumed input, and flag protocol errors as hiredis words them.
using System.Text;
using Csredis.Common.Client;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class RespReplyParserTests
{
    private const string Mixed =
        "*9\r\n+OK\r\n-ERR bad\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*0\r\n%2\r\n$1\r\na\r\n,1.5\r\n$1\r\nb\r\n~1\r\n#t\r\n" +
        ">2\r\n$3\r\nmsg\r\n=8\r\ntxt:verb\r\n|1\r\n+key\r\n+meta\r\n_\r\n";
    // 9 elements: simple, error, integer, bulk with CRLF inside, null bulk, empty array,
    // map {a: double, b: set {true}}, push [msg, verbatim], and a null preceded by an attribute.

    private static RespValue ParseWhole(string text)
    {
        var parser = new RespReplyParser();
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(RespParseStatus.Complete, parser.TryParse(bytes, out int consumed, out var reply));
        Assert.Equal(bytes.Length, consumed);
        return reply!;
    }

    [Fact]
    public void ParsesEveryReplyType()
    {
        var reply = ParseWhole(Mixed);
        Assert.Equal(RespType.Array, reply.Type);
        Assert.Equal(9, reply.Elements.Length);
        Assert.Equal("OK", reply.Elements[0].AsText());
        Assert.True(reply.Elements[1].IsError);
        Assert.Equal(-42, reply.Elements[2].Integer);
        Assert.Equal("he\r\no", reply.Elements[3].AsText());
        Assert.Equal(RespType.Null, reply.Elements[4].Type);
        Assert.Empty(reply.Elements[5].Elements);
        Assert.Equal(RespType.Map, reply.Elements[6].Type);
        Assert.Equal(2, reply.Elements[6].EntryCount);
        Assert.Equal("1.5", reply.Elements[6].Elements[1].AsText());
        Assert.Equal(RespType.Set, reply.Elements[6].Elements[3].Type);
        Assert.Equal(1, reply.Elements[6].Elements[3].Elements[0].Integer);
        Assert.Equal(RespType.Push, reply.Elements[7].Type);
        Assert.Equal("verb", reply.Elements[7].Elements[1].AsText());
        Assert.Equal("txt", reply.Elements[7].Elements[1].VerbatimFormat);
        Assert.Equal(RespType.Null, reply.Elements[8].Type);
    }

    [Fact]
    public void ByteAtATimeGivesTheSameReply()
    {
        var bytes = Encoding.UTF8.GetBytes(Mixed);
        var parser = new RespReplyParser();
        var pending = new List<byte>();
        RespValue? reply = null;
        foreach (var b in bytes)
        {
            pending.Add(b);
            var status = parser.TryParse(pending.ToArray(), out int consumed, out reply);
            pending.RemoveRange(0, consumed);
            if (status == RespParseStatus.Complete) break;
            Assert.Equal(RespParseStatus.NeedMoreData, status);
        }
        Assert.Empty(pending);
        Assert.NotNull(reply);
        Assert.Equal(ParseWhole(Mixed).Elements.Length, reply!.Elements.Length);
        Assert.Equal("he\r\no", reply.Elements[3].AsText());
    }

    [Fact]
    public void AttributesAreDroppedOrRejected()
    {
        var withAttribute = Encoding.UTF8.GetBytes("|1\r\n+k\r\n+v\r\n:7\r\n");
        Assert.Equal(RespParseStatus.Complete, new RespReplyParser().TryParse(withAttribute, out _, out var reply));
        Assert.Equal(7, reply!.Integer);
        var strict = new RespReplyParser { AcceptAttributes = false };
        Assert.Equal(RespParseStatus.ProtocolError, strict.TryParse(withAttribute, out _, out _));
        Assert.Equal("Protocol error, got \"|\" as reply type byte", strict.ErrorMessage);
    }

    [Fact]
    public void EncoderWritesMultibulk()
    {
        Assert.Equal("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", Encoding.UTF8.GetString(RespRequestEncoder.Encode("GET", "")));
    }
}
