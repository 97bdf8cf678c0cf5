// Encodings Redis 7.0 no longer writes but still loads (linked lists, ziplists, quicklist-v1,
// zipmaps, zset-v1 text scores, intsets): hand-built RESTORE payloads (type, value, RDB version,
// CRC-64) are restored into both real Redis and csredis and must give the same contents and
// the same DEBUG DIGEST-VALUE; a damaged blob must be refused by both.
using System.Text;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Persistence.PersistenceKit;

namespace Csredis.Tests.Persistence;

public class RdbLegacyEncodingTests
{
    static ulong Crc64(ReadOnlySpan<byte> data)
    {
        const ulong reflected = 0x95AC9329AC4BC9B5UL;
        ulong crc = 0;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ reflected : crc >> 1;
        }
        return crc;
    }

    static byte[] Payload(int version, params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).Concat(new[] { (byte)version, (byte)0 }).ToArray();
        return body.Concat(BitConverter.GetBytes(Crc64(body))).ToArray();
    }

    static byte[] B(params int[] bytes) => bytes.Select(b => (byte)b).ToArray();
    static byte[] Str(string s) => [(byte)s.Length, .. Encoding.ASCII.GetBytes(s)]; // 6-bit length form
    static byte[] Blob(byte[] blob) => blob.Length < 64 ? [(byte)blob.Length, .. blob] : [(byte)(0x40 | (blob.Length >> 8)), (byte)blob.Length, .. blob];

    /// <summary>A ziplist of entries given as already-encoded (encoding header + payload) byte arrays.</summary>
    static byte[] Ziplist(params byte[][] encoded)
    {
        var body = new List<byte>();
        int previous = 0, lastOffset = 10;
        foreach (var e in encoded)
        {
            lastOffset = 10 + body.Count;
            body.Add((byte)previous);
            body.AddRange(e);
            previous = 1 + e.Length;
        }
        int total = 10 + body.Count + 1;
        return [.. BitConverter.GetBytes(total), .. BitConverter.GetBytes(encoded.Length == 0 ? 10 : lastOffset),
            .. BitConverter.GetBytes((ushort)encoded.Length), .. body, 0xFF];
    }

    static byte[] ZlStr(string s) => [(byte)s.Length, .. Encoding.ASCII.GetBytes(s)];

    public static IEnumerable<object[]> Cases()
    {
        yield return ["list-linked", "list", Payload(9, B(1), B(3), Str("a"), B(0xC0, 12), Str("hello"))];
        yield return ["list-ziplist", "list", Payload(6, B(10), Blob(Ziplist(ZlStr("a"), B(0xF6), B(0xC0, 0x2C, 0x01), ZlStr("xyz"), B(0xF0, 0xA0, 0x86, 0x01), B(0xFE, 0xFE), B(0xD0, 0x00, 0x00, 0x00, 0x80), B(0xE0, 1, 2, 3, 4, 5, 6, 7, 8))))];
        yield return ["list-quicklist-v1", "list", Payload(9, B(14), B(2), Blob(Ziplist(ZlStr("n1a"), ZlStr("n1b"))), Blob(Ziplist(B(0xF2), ZlStr("n2"))))];
        yield return ["hash-zipmap", "hash", Payload(6, B(9), Blob([2, 2, .. "f1"u8.ToArray(), 2, 0, .. "v1"u8.ToArray(), 2, .. "f2"u8.ToArray(), 6, 1, .. "value2"u8.ToArray(), 0, 0xFF]))];
        yield return ["hash-ziplist", "hash", Payload(9, B(13), Blob(Ziplist(ZlStr("f"), ZlStr("v"), ZlStr("n"), B(0xF8))))];
        yield return ["hash-plain", "hash", Payload(9, B(4), B(2), Str("a"), Str("1"), Str("b"), Str("two"))];
        yield return ["set-intset", "set", Payload(9, B(11), Blob([2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 5, 0, 9, 0]))];
        yield return ["set-intset-64", "set", Payload(9, B(11), Blob([8, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x40]))];
        yield return ["set-plain", "set", Payload(9, B(2), B(2), Str("a"), Str("b"))];
        yield return ["zset-ziplist", "zset", Payload(9, B(12), Blob(Ziplist(ZlStr("m1"), ZlStr("1.5"), ZlStr("m2"), B(0xF4))))];
        yield return ["zset-v1", "zset", Payload(6, B(3), B(3), Str("m1"), B(3), "2.5"u8.ToArray(), Str("m2"), B(254), Str("m3"), B(255))];
        yield return ["zset-v2", "zset", Payload(9, B(5), B(1), Str("m"), BitConverter.GetBytes(-0.25))];
    }

    static string Contents(RawClient c, string kind, string key) => kind switch
    {
        "list" => RespFrame.Escape(c.Execute("LRANGE", key, "0", "-1")),
        "hash" => string.Join(",", Exec(c, "HGETALL", key).Children.Select(x => x.Text).Chunk(2).Select(p => p[0] + "=" + p[1]).Order()),
        "set" => string.Join(",", Exec(c, "SMEMBERS", key).Children.Select(x => x.Text).Order()),
        _ => RespFrame.Escape(c.Execute("ZRANGE", key, "0", "-1", "WITHSCORES")),
    };

    [Fact]
    public void OldEncodingsRestoreIdenticallyInBothServers()
    {
        using var dir = new DataDir();
        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var rc = redis.Connect();
        using var cc = csredis.Connect();
        bool zsetCommands = !Exec(cc, "ZRANGE", "none", "0", "-1").IsError;
        foreach (var c in Cases())
        {
            var (name, kind, payload) = ((string)c[0], (string)c[1], (byte[])c[2]);
            var redisReply = Exec(rc, "RESTORE", name, 0, payload);
            Assert.True(redisReply.Text == "OK", $"{name}: redis says {redisReply.Text}");
            var ours = Exec(cc, "RESTORE", name, 0, payload);
            Assert.True(ours.Text == "OK", $"{name}: csredis says {ours.Text}");
            Assert.Equal(RespFrame.Escape(Exec(rc, "DEBUG", "DIGEST-VALUE", name).Raw), RespFrame.Escape(Exec(cc, "DEBUG", "DIGEST-VALUE", name).Raw));
            if (kind != "zset" || zsetCommands) Assert.Equal(Contents(rc, kind, name), Contents(cc, kind, name));
            // The same value, now in csredis's own encoding, goes back to Redis.
            Assert.Equal("OK", Exec(rc, "RESTORE", name + ":back", 0, Exec(cc, "DUMP", name).Payload!).Text);
            Assert.Equal(RespFrame.Escape(Exec(rc, "DEBUG", "DIGEST-VALUE", name).Raw), RespFrame.Escape(Exec(rc, "DEBUG", "DIGEST-VALUE", name + ":back").Raw));
        }
        Assert.Equal(Digest(rc).Length, 40);
    }

    [Fact]
    public void DamagedBlobsAreRefusedByBoth()
    {
        using var dir = new DataDir();
        using var redis = ServerProcess.StartRedis(ServerArgs(dir));
        using var csredis = ServerProcess.StartCsredis(ServerArgs(dir));
        using var rc = redis.Connect();
        using var cc = csredis.Connect();
        // A ziplist whose total-bytes header lies, and a listpack truncated before its terminator.
        var badZiplist = Ziplist(ZlStr("a"), ZlStr("b"));
        badZiplist[0] += 3;
        var cases = new[]
        {
            Payload(9, B(10), Blob(badZiplist)),
            Payload(10, B(16), Blob([9, 0, 0, 0, 1, 0, 0x81, (byte)'a', 2])),
            Payload(9, B(11), Blob([3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0])),
        };
        foreach (var payload in cases)
        {
            var expected = Exec(rc, "RESTORE", "bad", 0, payload);
            var actual = Exec(cc, "RESTORE", "bad", 0, payload);
            Assert.True(expected.IsError, RespFrame.Escape(expected.Raw));
            Assert.Equal(RespFrame.Escape(expected.Raw), RespFrame.Escape(actual.Raw));
        }
    }
}
