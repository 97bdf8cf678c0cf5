// Runs the differential scripts of this area (Differential/Scripts/{server,config,client}.redis)
// against real Redis 7.0 and csredis, each on a fresh server, comparing every reply.
// Script format: one command per line in redis-cli quoting, '#' comments, "~ " compares only the
// reply's type, "@sort " compares an array reply ignoring element order. (A private runner until
// the shared one of the harness branch is merged.)
using Csredis.Common.Text;
using Xunit;

namespace Csredis.Tests.Server;

public class DifferentialScriptTests
{
    static string Shape(object? reply) => reply switch
    {
        null => "nil",
        List<object?> => "array",
        RespError => "error",
        _ => reply.GetType().Name,
    };

    [Theory]
    [InlineData("server.redis")]
    [InlineData("config.redis")]
    [InlineData("client.redis")]
    public void ScriptRepliesMatchRedis(string script)
    {
        var path = Path.Combine(Paths.RepoRoot, "tests", "Csredis.Tests", "Differential", "Scripts", script);
        var dir = Paths.TempDir();
        try
        {
            using var redis = TestServer.Start(Paths.Redis, dir, "--save", "");
            using var ours = TestServer.Start(Paths.Csredis, dir, "--save", "");
            using var r = redis.Connect();
            using var o = ours.Connect();
            var failures = new List<string>();
            int lineNumber = 0;
            foreach (var raw in File.ReadLines(path))
            {
                lineNumber++;
                string line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                string mode = "";
                if (line.StartsWith("~ ", StringComparison.Ordinal)) { mode = "shape"; line = line[2..]; }
                else if (line.StartsWith("@sort ", StringComparison.Ordinal)) { mode = "sort"; line = line[6..]; }
                var args = ArgSplitter.Split(line) ?? throw new InvalidDataException($"{script}:{lineNumber}: bad quoting");
                var expected = r.Call(args);
                var actual = o.Call(args);
                bool same = mode switch
                {
                    "shape" => Shape(expected) == Shape(actual),
                    "sort" when expected is List<object?> e && actual is List<object?> a =>
                        e.Select(Replies.Show).Order().SequenceEqual(a.Select(Replies.Show).Order()),
                    _ => Replies.Show(expected) == Replies.Show(actual),
                };
                if (!same) failures.Add($"{script}:{lineNumber}: {line}\n  redis:   {Replies.Show(expected)}\n  csredis: {Replies.Show(actual)}");
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally { Directory.Delete(dir, true); }
    }
}
