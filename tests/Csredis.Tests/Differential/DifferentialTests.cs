// One test case per script: the script runs against a fresh real redis-server and a fresh
// csredis-server started with the same arguments, and every reply must agree. The self-check runs
// each script Redis against Redis, which proves the script itself is deterministic and correct.
// CSREDIS_DIFF_TRACE=1 writes every step and both replies to the test output.
using Csredis.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Csredis.Tests.Differential;

public sealed class DifferentialTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Scripts() => ScriptCatalog.AllScripts();

    [PendingAwareTheory]
    [MemberData(nameof(Scripts))]
    public void CsredisMatchesRedis(string script) => RunScript(script, ServerProcess.CsredisName);

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptSelfCheckRedisMatchesRedis(string script) => RunScript(script, ServerProcess.RedisName);

    private void RunScript(string scriptName, string candidateName)
    {
        var script = DifferentialScript.Load(ScriptCatalog.PathOf(scriptName));
        var arguments = script.ServerArguments.ToArray();
        using var reference = ServerProcess.StartRedis(arguments);
        using var candidate = ServerProcess.Start(candidateName, arguments);
        var trace = Environment.GetEnvironmentVariable("CSREDIS_DIFF_TRACE") is "1" or "true" ? output.WriteLine : (Action<string>?)null;
        var runner = new DifferentialRunner(reference, candidate, trace);
        var mismatches = runner.Run(script);
        if (mismatches.Count > 0)
        {
            Assert.Fail(
                $"{mismatches.Count}{(mismatches.Count >= DifferentialRunner.MaxReportedMismatches ? "+" : "")} mismatch(es) in {scriptName} " +
                $"after {runner.StepsRun} step(s); later ones may follow from earlier ones:\n" + string.Join("\n", mismatches));
        }
    }
}
