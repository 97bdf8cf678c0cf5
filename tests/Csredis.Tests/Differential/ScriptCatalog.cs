// Finds the scripts copied next to the test assembly and reads Scripts/PENDING, the short, honest list
// of scripts that CI skips (with a reason) while the commands they test are being written.
namespace Csredis.Tests.Differential;

public static class ScriptCatalog
{
    public static string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "Differential", "Scripts");

    public static IEnumerable<object[]> AllScripts() =>
        Directory.EnumerateFiles(ScriptsDirectory, "*.redis")
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name! });

    public static string PathOf(string scriptName) => Path.Combine(ScriptsDirectory, scriptName);

    /// <summary>PENDING lines: `script.redis  reason`; `#` starts a comment line.</summary>
    public static IReadOnlyDictionary<string, string> Pending()
    {
        var path = Path.Combine(ScriptsDirectory, "PENDING");
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return pending;
        foreach (var rawLine in File.ReadAllLines(path))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var split = line.IndexOfAny([' ', '\t']);
            var name = split < 0 ? line : line[..split];
            var reason = split < 0 ? "listed in Scripts/PENDING" : line[split..].Trim();
            pending[name] = reason;
        }
        return pending;
    }

    /// <summary>CI (CI set) skips pending scripts; CSREDIS_PENDING=run forces them, =skip skips them anywhere.</summary>
    public static bool SkipPending()
    {
        var setting = Environment.GetEnvironmentVariable("CSREDIS_PENDING");
        if (string.Equals(setting, "run", StringComparison.OrdinalIgnoreCase)) return false;
        if (string.Equals(setting, "skip", StringComparison.OrdinalIgnoreCase)) return true;
        return !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
    }
}
