// Locates the repository (the directory holding csredis.sln) by walking up from the test assembly,
// so tests find the published binaries wherever the test runner puts its output directory.
namespace Csredis.Tests.Infrastructure;

public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string CsredisServerPath => Path.Combine(Root, "csredis-server");
    public static string CsredisCliPath => Path.Combine(Root, "csredis-cli");
    public static string CsredisSentinelPath => Path.Combine(Root, "csredis-sentinel");

    /// <summary>Path of a binary `make` publishes into the repository root; fails clearly when absent.</summary>
    public static string RequireBinary(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{Path.GetFileName(path)} not found at {path}: run make first (it publishes the NativeAOT binaries into the repository root).",
                path);
        return path;
    }

    /// <summary>Absolute path of a program found on PATH (redis-server, redis-cli, ...); fails clearly when absent.</summary>
    public static string RequireOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"{program} not found on PATH: run `make test-deps` (installs Redis 7.0, the oracle).", program);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "csredis.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No csredis.sln above {AppContext.BaseDirectory}: tests must run from inside the repository.");
    }
}
