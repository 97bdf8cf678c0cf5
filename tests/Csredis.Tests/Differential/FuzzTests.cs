// The differential fuzzer as tests: sequences of seeds base, base+1, ... (FuzzGenerator) played
// against real Redis and csredis (FuzzRunner), and the same against Redis itself, which proves the
// comparison rules neither hide nor invent differences. A failing sequence is shrunk and printed as
// differential-script lines with the seed that reproduces it. Environment (see README.md):
//   CSREDIS_FUZZ_SEQUENCES  sequences to play (default 150; the self-check plays half as many)
//   CSREDIS_FUZZ_SEED       first seed (default 1)
//   CSREDIS_FUZZ_STEPS      steps per sequence (default 80)
//   CSREDIS_FUZZ_FAILURES   distinct failures (by command) to shrink and report before stopping (default 3)
using Csredis.Tests.Infrastructure;
using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Csredis.Tests.Differential;

public sealed class FuzzTests(ITestOutputHelper output)
{
    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value >= 0 ? value : fallback;

    [Fact]
    public void CsredisMatchesRedisOnRandomSequences() => Fuzz(ServerProcess.CsredisName, Setting("CSREDIS_FUZZ_SEQUENCES", 150));

    [Fact]
    public void FuzzSelfCheckRedisMatchesRedis() => Fuzz(ServerProcess.RedisName, Math.Max(1, Setting("CSREDIS_FUZZ_SEQUENCES", 150) / 2));

    private void Fuzz(string candidate, int sequences)
    {
        var firstSeed = Setting("CSREDIS_FUZZ_SEED", 1);
        var length = Setting("CSREDIS_FUZZ_STEPS", 80);
        var maxFailures = Math.Max(1, Setting("CSREDIS_FUZZ_FAILURES", 3));
        var clock = Stopwatch.StartNew();
        using var runner = new FuzzRunner(candidate);
        var reports = new List<string>();
        var failedKinds = new Dictionary<string, int>();
        var failedSequences = 0;
        for (var i = 0; i < sequences && reports.Count < maxFailures; i++)
        {
            var seed = firstSeed + i;
            var (setup, steps) = FuzzGenerator.Generate(seed, length);
            if (runner.Play(setup, steps) is not { } failure)
                continue;
            failedSequences++;
            if (failedKinds.TryGetValue(failure.Kind, out var seen))
            {
                failedKinds[failure.Kind] = seen + 1;
                continue;
            }
            failedKinds[failure.Kind] = 1;
            var (shortest, shortestFailure) = runner.Shrink(setup, steps, failure, TimeSpan.FromSeconds(60));
            var report = Report(seed, setup, steps.Count, shortest, shortestFailure);
            output.WriteLine(report);
            reports.Add(report);
        }
        var summary = $"{sequences} sequence(s) of {length} steps from seed {firstSeed}, {candidate} against redis: " +
                      $"{failedSequences} failed ({string.Join(", ", failedKinds.Select(k => $"{k.Key} x{k.Value}"))}), " +
                      $"{runner.Plays} plays in {clock.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(summary);
        if (reports.Count > 0)
            Assert.Fail(summary + (reports.Count >= maxFailures ? " (stopped at the failure limit)" : "") + "\n\n" + string.Join("\n\n", reports));
    }

    private static string Report(int seed, IReadOnlyList<FuzzStep> setup, int originalLength, List<FuzzStep> shortest, FuzzFailure failure)
    {
        var text = new StringBuilder();
        text.Append($"seed {seed} (CSREDIS_FUZZ_SEED={seed} CSREDIS_FUZZ_SEQUENCES=1): {failure.Kind} differs; ");
        text.Append($"{originalLength} steps shrunk to {shortest.Count}, as script lines:\n");
        text.Append("FLUSHALL\n");
        foreach (var step in setup) text.Append(step.ToScriptLine()).Append('\n');
        for (var i = 0; i < shortest.Count; i++)
            text.Append(shortest[i].ToScriptLine()).Append(i == failure.StepIndex ? "    <-- differs\n" : "\n");
        text.Append(failure.StepIndex == -1 ? "after the last step: " : "").Append(failure.Detail.TrimStart('\n'));
        return text.ToString();
    }
}
