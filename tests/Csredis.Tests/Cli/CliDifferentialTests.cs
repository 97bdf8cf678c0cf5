// Differential tests: each case runs the real redis-cli 7.0 and ./csredis-cli with the same arguments
// and stdin against the same server, reset to the same data before each run, and demands identical
// stdout bytes, stderr bytes and exit code. Stdout is a pipe here, so the default output is the raw
// format; --no-raw cases cover the TTY format.
using System.Text;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class CliDifferentialTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    public sealed record Case(string[] Args, string? Stdin = null, string[][]? Setup = null, bool Connect = true, string? Term = null,
        Dictionary<string, string>? Environment = null);

    private static readonly string[][] ListSetup = [["RPUSH", "l", "a", "b", "c d", "x\ny"]];
    private static readonly string[][] BinarySetup = [["SET", "q", "a\"b\\c\u0001\u007f\t\r\n\a\b é"]];

    private static readonly string[][] MixedSetup =
    [
        ["MSET", "a", "1", "bb", "22", "c", "333"], ["RPUSH", "l", "1", "2", "3"], ["HSET", "h", "f", "v"],
        ["SADD", "s", "x"], ["ZADD", "z", "1", "m"], ["XADD", "st", "1-1", "f", "v"],
    ];

    private static readonly Dictionary<string, Case> Cases = BuildCases();

    private static Dictionary<string, Case> BuildCases()
    {
        var cases = new Dictionary<string, Case>
        {
            ["set"] = new(["set", "a", "1"]),
            ["get"] = new(["get", "a"], Setup: [["SET", "a", "1"]]),
            ["get-missing"] = new(["get", "nokey"]),
            ["get-missing-tty"] = new(["--no-raw", "get", "nokey"]),
            ["incr-tty"] = new(["--no-raw", "incr", "cnt"]),
            ["unknown-command"] = new(["foo"]),
            ["unknown-command-tty"] = new(["--no-raw", "foo", "bar"]),
            ["error-exit-code"] = new(["-e", "set", "a", "b", "c"]),
            ["error-exit-code-tty"] = new(["-e", "--no-raw", "set", "a", "b", "c"]),
            ["rpush"] = new(["rpush", "l", "a", "b", "c d", "x\ny"]),
            ["lrange-raw"] = new(["lrange", "l", "0", "-1"], Setup: ListSetup),
            ["lrange-tty"] = new(["--no-raw", "lrange", "l", "0", "-1"], Setup: ListSetup),
            ["lrange-csv"] = new(["--csv", "lrange", "l", "0", "-1"], Setup: ListSetup),
            ["empty-array-tty"] = new(["--no-raw", "lrange", "none", "0", "-1"]),
            ["empty-array-raw"] = new(["lrange", "none", "0", "-1"]),
            ["delimiters"] = new(["-d", "XX", "-D", "YY", "lrange", "l", "0", "-1"], Setup: ListSetup),
            ["escapes-tty"] = new(["--no-raw", "get", "q"], Setup: BinarySetup),
            ["escapes-csv"] = new(["--csv", "get", "q"], Setup: BinarySetup),
            ["escapes-raw"] = new(["get", "q"], Setup: BinarySetup),
            ["nested-tty"] = new(["--no-raw", "eval", "return {1,{2,{3,'a'}},{},'x',{err='E1'},{ok='fine'}}", "0"]),
            ["nested-raw"] = new(["--raw", "eval", "return {1,{2,{3,'a'}},{},'x',{ok='fine'}}", "0"]),
            ["nested-csv"] = new(["--csv", "eval", "return {1,{2,{3,'a'}},{},'x',{ok='fine'},false}", "0"]),
            ["index-width"] = new(["--no-raw", "eval", "local t={} for i=1,11 do t[i]={i,i*100} end return t", "0"]),
            ["map-nested"] = new(["--no-raw", "-3", "eval", "return {map={a={map={b={1,{2,3}}, c={map={}}}}, d={double=1.5}}}", "0"]),
            ["map-in-array"] = new(["--no-raw", "-3", "eval", "return {1,{map={x=1,y={map={z=2}}}}}", "0"]),
            ["map-in-array-2"] = new(["--no-raw", "-3", "eval", "return {1,{map={y={map={z=2,w=3}}}}}", "0"]),
            ["map-raw"] = new(["--raw", "-3", "eval", "return {1,{map={x=1,y={map={z=2,w=3}}}}}", "0"]),
            ["map-wide-value"] = new(["--no-raw", "-3", "eval", "return {map={a={1,2,3,4,5,6,7,8,9,10}}}", "0"]),
            ["map-one-element-value"] = new(["--no-raw", "-3", "eval", "return {map={a={7}}}", "0"]),
            ["map-one-entry-value"] = new(["--no-raw", "-3", "eval", "return {map={a={map={q=1}}}}", "0"]),
            ["map-wide"] = new(["--no-raw", "-3", "eval", "return {map={a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10}}", "0"]),
            ["resp3-double-tty"] = new(["--no-raw", "-3", "zscore", "z", "m"], Setup: [["ZADD", "z", "1.5", "m"]]),
            ["resp3-set-tty"] = new(["--no-raw", "-3", "smembers", "s"], Setup: [["SADD", "s", "only"]]),
            ["resp3-hash-tty"] = new(["--no-raw", "-3", "hgetall", "h"], Setup: [["HSET", "h", "f", "v"]]),
            ["resp3-empty-hash"] = new(["--no-raw", "-3", "hgetall", "nohash"]),
            ["resp3-empty-set"] = new(["--no-raw", "-3", "smembers", "noset"]),
            ["auth-warning"] = new(["-a", "foo", "ping"]),
            ["auth-user-pass"] = new(["--user", "u", "--pass", "p", "ping"]),
            ["auth-no-warning"] = new(["-a", "foo", "--no-auth-warning", "ping"]),
            ["uri-empty-user"] = new(["-u", "redis://:pw@127.0.0.1:{port}/2", "ping"], Connect: false),
            ["uri-password-only"] = new(["-u", "redis://pw@127.0.0.1:{port}", "ping"], Connect: false),
            ["uri-db"] = new(["-u", "redis://127.0.0.1:{port}/2", "get", "k"], Connect: false),
            ["uri-bad-scheme"] = new(["-u", "foo", "ping"]),
            ["select-out-of-range"] = new(["-n", "300", "ping"]),
            ["select-db"] = new(["-n", "3", "set", "x", "1"]),
            ["unix-socket"] = new(["-s", "{sock}", "ping"], Connect: false),
            ["connection-refused"] = new(["-p", "1", "ping"], Connect: false),
            ["connection-refused-stdin"] = new(["-p", "1"], Stdin: "ping\n", Connect: false),
            ["connection-refused-empty-stdin"] = new(["-p", "1"], Stdin: "", Connect: false),
            ["unknown-host"] = new(["-h", "nohost.invalid", "ping"], Connect: false),
            ["missing-socket"] = new(["-s", "/tmp/csredis-no-such.sock", "ping"], Connect: false),
            ["bad-flag"] = new(["--badflag"], Connect: false),
            ["missing-value"] = new(["-p"], Connect: false),
            ["version"] = new(["--version"], Connect: false),
            ["help"] = new(["--help"], Connect: false),
            ["dash-h-alone"] = new(["-h"], Connect: false),
            ["stdin-commands"] = new([], Stdin: "ping\nset a 'b c'\nget a\n\"x\\ty\"\n\n  \nget 'unterminated\nselect 2\nget a\n3 ping\n0 ping\n"),
            ["stdin-no-final-newline"] = new([], Stdin: "ping"),
            ["stdin-error-flag"] = new(["-e"], Stdin: "set a b c\nping\n"),
            ["stdin-multi"] = new([], Stdin: "multi\nset a 1\nincr a\nexec\n"),
            ["x-last-arg"] = new(["-x", "set", "k"], Stdin: "hi\n"),
            ["x-last-arg-db"] = new(["-x", "-n", "1", "set", "k"], Stdin: "xx"),
            ["x-without-command"] = new(["-x"], Stdin: "get a", Setup: [["SET", "a", "b c"]]),
            ["x-tag"] = new(["-X", "TAG", "set", "TAG", "v"], Stdin: "key-from-stdin"),
            ["csv-status"] = new(["--csv", "ping"]),
            ["repeat"] = new(["-r", "3", "incr", "c"]),
            ["quoted-input"] = new(["--quoted-input", "set", "\"a\\x00b\"", "v"]),
            ["quoted-input-invalid"] = new(["--quoted-input", "get", "\"a\\x00b"]),
            ["help-command"] = new(["help", "get"]),
            ["help-group"] = new(["help", "@hyperloglog"]),
            ["help-plain"] = new(["help"]),
            ["help-xadd"] = new(["help", "xadd"]),
            ["help-set"] = new(["help", "set"]),
            ["help-subcommand"] = new(["help", "client", "list"]),
            ["help-unknown"] = new(["help", "nosuch"]),
            ["help-stdin"] = new([], Stdin: "help @string\nhelp geoadd\n"),
            ["info-is-raw"] = new(["--no-raw", "info", "keyspace"], Setup: [["SET", "a", "1"]]),
            ["shutdown-abort"] = new(["shutdown", "abort"]),
            ["subcommand-error"] = new(["--no-raw", "object", "encoding", "missing"]),
            ["wrong-type"] = new(["--no-raw", "lpush", "a", "1"], Setup: [["SET", "a", "1"]]),
            ["scan-mode"] = new(["--scan"], Setup: [["SET", "k1", "1"]]),
            ["scan-pattern"] = new(["--scan", "--pattern", "k2*"], Setup: [["MSET", "k1", "1", "k2", "2", "k22", "3"]]),
            ["eval-file"] = new(["--eval", "{script}", "k1", ",", "a1"]),
            ["eval-keys-only"] = new(["--no-raw", "--eval", "{script}", "a", "b"]),
            ["eval-missing-file"] = new(["--eval", "/nonexistent/script.lua"]),
            ["bigkeys"] = new(["--bigkeys"], Setup: MixedSetup),
            ["bigkeys-empty"] = new(["--bigkeys"]),
            ["bigkeys-one-key"] = new(["--bigkeys"], Setup: [["SET", "a", "1"]]),
            ["bigkeys-pattern"] = new(["--bigkeys", "--pattern", "b*"], Setup: MixedSetup),
            ["memkeys"] = new(["--memkeys"], Setup: MixedSetup),
            ["memkeys-samples"] = new(["--memkeys-samples", "0"], Setup: MixedSetup),
            ["pipe"] = new(["--pipe"], Stdin: "SET p1 v\r\nGET p1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nc\r\nfoo\r\n"),
            ["pipe-empty"] = new(["--pipe"], Stdin: ""),
            ["subscribe-no-channel"] = new(["--no-raw", "psubscribe"]),
            ["subscribe-no-channel-stdin"] = new([], Stdin: "subscribe\nping\n"),
            ["repeat-stops-on-error"] = new(["-r", "3", "-e", "set", "a", "b", "c"]),
            ["repeat-interval"] = new(["-r", "2", "-i", "0.05", "get", "a"], Setup: [["SET", "a", "1"]]),
            ["empty-reply-delimiter"] = new(["-D", "", "get", "a"], Setup: [["SET", "a", "1"]]),
            ["scan-no-match"] = new(["--scan", "--pattern", "zz*"], Setup: [["SET", "a", "1"]]),
            ["scan-quoted-pattern"] = new(["--scan", "--quoted-pattern", "\"\\xc3*\""], Setup: [["SET", "é", "1"], ["SET", "a", "1"]]),
            ["scan-tty-quotes"] = new(["--no-raw", "--scan"], Setup: [["SET", "é", "1"]]),
            ["stdin-select-multi"] = new([], Stdin: "select 1\nset k v\nget k\nmulti\nselect 2\nexec\nget k\ndiscard\n"),
            ["stdin-hello-reset"] = new(["--no-raw", "-3"], Stdin: "hgetall nope\nreset\nhgetall nope\n"),
            ["pipe-inline-error"] = new(["--pipe"], Stdin: "set a\n"),
            ["lolwut-is-raw"] = new(["--no-raw", "lolwut", "version", "5", "1", "1", "1"]),
            ["json-nested"] = new(["--json", "-3", "eval", "return {1,{map={x=1,y={map={z='a\"b'}}}},{},{double=1.5},false,{err='E'}}", "0"]),
            ["json-resp2-hash"] = new(["--json", "-2", "hgetall", "h"], Setup: [["HSET", "h", "f", "v"]]),
            ["json-resp3-hash"] = new(["--json", "hgetall", "h"], Setup: [["HSET", "h", "f", "v"]]),
            ["json-nil"] = new(["--json", "get", "nokey"]),
            ["json-escapes"] = new(["--json", "get", "q"], Setup: [["SET", "q", "é\u0001\n\u001b\"\\\u007f"]]),
            ["quoted-json-escapes"] = new(["--quoted-json", "get", "q"], Setup: [["SET", "q", "é\u0001\n\u001b\"\\\u007f"]]),
            ["json-error"] = new(["--json", "foo"]),
            ["json-error-code"] = new(["--json", "-e", "set", "a", "b", "c"]),
            ["json-then-raw"] = new(["--json", "--raw", "ping"]),
            ["json-stdin"] = new(["--json"], Stdin: "ping\nget nokey\n"),
            ["json-non-string-keys"] = new(["--json", "-3", "eval", "return {map={[1.5]=2,['a b']={1}}}", "0"]),
            ["rdb-unwritable"] = new(["--rdb", "/nonexistent/dir/x.rdb"]),
            // Option combinations refused after parsing, in redis-cli's order.
            ["c-and-s"] = new(["-c", "-s", "/tmp/x.sock", "ping"], Connect: false),
            ["resp2-and-resp3"] = new(["-2", "-3", "ping"]),
            ["json-then-resp2"] = new(["--json", "-2", "hgetall", "h"], Setup: [["HSET", "h", "f", "v"]]),
            ["ldb-without-eval"] = new(["--ldb", "ping"]),
            ["ldb-sync-without-eval"] = new(["-a", "x", "--ldb-sync-mode"]),
            ["rdb-and-functions-rdb"] = new(["-a", "x", "--rdb", "a", "--functions-rdb", "b"]),
            ["x-and-big-x"] = new(["-x", "-X", "tag", "ping"]),
            ["count-is-not-an-option"] = new(["--count", "2", "--scan"]),
            ["show-pushes-prefix"] = new(["--show-pushes", "Yup", "ping"]),
            ["show-pushes-unknown"] = new(["--show-pushes", "maybe", "ping"]),
            ["cluster-option-no-command"] = new(["--cluster-yes", "--cluster-replicas", "1", "ping"]),
            ["mono-and-lru-missing"] = new(["--mono", "--lru-test"]),
            ["faketty"] = new(["get", "nokey"], Environment: new() { ["FAKETTY"] = "1" }),
            // URIs read the way redis-cli reads them.
            ["uri-bad-percent"] = new(["-u", "redis://u:p%zz@127.0.0.1:{port}", "ping"], Connect: false),
            ["uri-incomplete-percent"] = new(["-u", "redis://u:p%@127.0.0.1:{port}", "ping"], Connect: false),
            ["uri-percent-decoded"] = new(["-u", "redis://u:p%41@127.0.0.1:{port}/4", "ping"], Connect: false),
            ["uri-empty-host"] = new(["-u", "redis://:{port}", "ping"], Connect: false),
            ["uri-ipv6-literal"] = new(["-u", "redis://[::1]:{port}", "ping"], Connect: false),
            ["uri-scheme-only"] = new(["-u", "redis://", "-p", "{port}", "ping"], Connect: false),
            ["uri-auth-fails-no-select"] = new(["-u", "redis://user:pw@127.0.0.1:{port}/3", "set", "k", "v"], Connect: false),
            ["uri-db-then-get"] = new(["-u", "redis://127.0.0.1:{port}/3", "get", "k"], Connect: false),
            // help matches every entry its words begin; without a server it comes from the built-in table.
            ["help-prefix-lists-subcommands"] = new(["help", "acl"]),
            ["help-config"] = new(["help", "config"]),
            ["help-too-many-words"] = new(["help", "get", "x"]),
            ["help-offline"] = new(["-p", "1", "help", "get"], Connect: false),
            ["help-offline-group"] = new(["-p", "1", "help", "@bitmap"], Connect: false),
            ["help-offline-server-group"] = new(["-p", "1", "help", "@server"], Connect: false),
            ["help-offline-stdin"] = new(["-p", "1"], Stdin: "help migrate\nhelp replicaof\nhelp @generic\n", Connect: false),
            ["subscribe-csv-banner"] = new(["--csv", "psubscribe"]),
            // --hotkeys needs an LFU policy.
            ["hotkeys-without-lfu"] = new(["--hotkeys"], Setup: [["SET", "a", "1"]]),
            ["hotkeys"] = new(["--hotkeys"], Setup: [["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"], ["SET", "a", "1"], ["SET", "b c", "2"], ["SET", "é", "3"]]),
            ["hotkeys-pattern"] = new(["--hotkeys", "--pattern", "a*"], Setup: [["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"], ["SET", "a", "1"], ["SET", "ab", "1"], ["SET", "b", "2"]]),
            // --eval and the Lua debugger, driven through a pipe.
            ["eval-ldb"] = new(["--ldb", "--eval", "{script}", "k1", ",", "a1"], Stdin: "step\nprint\nstep\ncontinue\nping\nquit\n", Term: "xterm"),
            ["eval-ldb-sync"] = new(["--ldb-sync-mode", "--eval", "{script}", "k1", ",", "a1"], Stdin: "next\nredis ping\ncontinue\nget k1\n", Term: "xterm"),
            ["eval-ldb-no-colors"] = new(["--ldb", "--eval", "{script}", "k"], Stdin: "help\nlist\nwhole\nmaxlen 5\nprint\nabort\nping\n", Term: "dumb"),
            ["eval-ldb-restart"] = new(["--ldb", "--eval", "{script}", "k"], Stdin: "restart\nstep\nrestart\neval redis.call('ping')\ne 1+1\nb 1\nc\nquit\n", Term: "xterm"),
            ["eval-ldb-compile-error"] = new(["--ldb", "--eval", "{badscript}"], Stdin: "ping\n", Term: "xterm"),
            ["eval-ldb-end-then-restart"] = new(["--ldb", "--eval", "{script}", "k"], Stdin: "c\nrestart\nc\n", Term: "xterm"),
            ["script-debug-by-hand"] = new([], Stdin: "script debug yes\neval \"return {1,2}\" 0\nstep\nping\n", Term: "xterm"),
            ["restart-outside-debugger"] = new([], Stdin: "restart\nping\n"),
        };
        foreach (var protocol in new[] { "-2", "-3" })
        foreach (var type in new[] { "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false" })
        foreach (var mode in new[] { "--no-raw", "--raw", "--csv" })
        {
            cases[$"protocol{protocol}-{type}{mode}"] = new([protocol, mode, "debug", "protocol", type]);
            cases[$"protocol{protocol}-{type}{mode}-pushes"] = new([protocol, mode, "--show-pushes", "yes", "debug", "protocol", type]);
        }
        foreach (var type in new[] { "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false" })
        {
            cases[$"json-{type}"] = new(["--json", "debug", "protocol", type]);
            cases[$"json-resp2-{type}"] = new(["--json", "-2", "debug", "protocol", type]);
            cases[$"quoted-json-{type}"] = new(["--quoted-json", "debug", "protocol", type]);
        }
        return cases;
    }

    public static TheoryData<string> CaseNames() => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void SameOutputAsRedisCli(string name)
    {
        var testCase = Cases[name];
        string script = Path.Combine(Path.GetTempPath(), $"csredis-cli-test-{server.Port}.lua");
        File.WriteAllText(script, "local a = 1\nlocal b = redis.call('ping')\nreturn {KEYS[1], ARGV[1], b, a}\n");
        string badScript = Path.Combine(Path.GetTempPath(), $"csredis-cli-test-{server.Port}-bad.lua");
        File.WriteAllText(badScript, "return {1,\n");
        var args = (testCase.Connect ? new[] { "-p", server.Port.ToString() } : [])
            .Concat(testCase.Args.Select(a => a.Replace("{port}", server.Port.ToString())
                .Replace("{sock}", server.UnixSocket).Replace("{script}", script).Replace("{badscript}", badScript)))
            .ToArray();
        byte[]? stdin = testCase.Stdin is null ? [] : Encoding.UTF8.GetBytes(testCase.Stdin);

        var environment = new Dictionary<string, string>(testCase.Environment ?? []) { ["TERM"] = testCase.Term ?? "dumb" };
        server.Reset(testCase.Setup ?? []);
        var expected = CliTestEnvironment.Run(CliTestEnvironment.RealCli, args, stdin, environment: environment);
        server.Reset(testCase.Setup ?? []);
        var actual = CliTestEnvironment.Run(CliTestEnvironment.OurCli, args, stdin, environment: environment);

        Assert.Equal(expected.StdoutText, actual.StdoutText);
        Assert.Equal(expected.Stdout, actual.Stdout);
        Assert.Equal(expected.StderrText, actual.StderrText);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
    }
}
