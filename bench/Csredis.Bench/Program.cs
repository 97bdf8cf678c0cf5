// Entry point of the micro-benchmarks: BenchmarkSwitcher lets `--filter`, `--job short` or
// `--inProcess` pick what and how to run from the command line. Reports land in bench/results/
// (ignored by git) unless `--artifacts` says otherwise.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(FindRepositoryRoot(), "bench", "results", "BenchmarkDotNet"));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "csredis.sln")))
            return dir.FullName;
    }
    return Directory.GetCurrentDirectory();
}
