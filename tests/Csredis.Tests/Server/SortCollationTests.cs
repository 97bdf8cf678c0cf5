// SORT ... ALPHA compares with strcoll under the environment's LC_COLLATE, because Redis calls
// setlocale(LC_COLLATE, "") at start-up: under en_US.UTF-8 "a" < "A" < "b" and punctuation is
// mostly ignored, unlike byte order. Both servers run with LANG=en_US.UTF-8 and must sort alike;
// with STORE, ALPHA compares bytes whatever the locale. Skipped where the locale is not installed
// (`make test-deps` generates it).
using System.Diagnostics;
using Csredis.Tests.Infrastructure;
using Xunit;
using static Csredis.Tests.Server.BothServers;

namespace Csredis.Tests.Server;

public sealed class SortCollationTests
{
    const string Locale = "en_US.UTF-8";

    [LocaleFact(Locale)]
    public void AlphaFollowsTheLocalesCollation()
    {
        var logs = new List<string>[2];
        string[] names = [ServerProcess.RedisName, ServerProcess.CsredisName];
        for (int i = 0; i < names.Length; i++)
        {
            using var server = ServerProcess.StartWithEnvironment(names[i], new Dictionary<string, string> { ["LANG"] = Locale, ["LC_ALL"] = Locale });
            using var c = server.Connect();
            var log = logs[i] = [];
            log.Add(c.Call("RPUSH", "l", "b", "a", "B", "A", "aa", "", "_", "~", "a-b", "ab", "a b", "é", "e", "f", "E", "10", "9", "a\0z", "a\0b"));
            log.Add(c.Call("SORT", "l", "ALPHA"));
            log.Add(c.Call("SORT", "l", "ALPHA", "DESC", "LIMIT", "2", "5"));
            log.Add(c.Call("SORT", "l", "ALPHA", "STORE", "dst"));
            log.Add(c.Call("LRANGE", "dst", "0", "-1"));
            log.Add(c.Call("MSET", "w_1", "b", "w_2", "B", "w_3", "a", "w_4", "é", "w_5", "A"));
            log.Add(c.Call("RPUSH", "n", "1", "2", "3", "4", "5"));
            log.Add(c.Call("SORT", "n", "BY", "w_*", "ALPHA"));
            log.Add(c.Call("SORT", "n", "BY", "w_*", "ALPHA", "LIMIT", "1", "3"));
            log.Add(c.Call("SORT", "n", "BY", "w_*", "ALPHA", "STORE", "dst"));
            log.Add(c.Call("LRANGE", "dst", "0", "-1"));
        }
        AssertSame((logs[0], logs[1]));
    }
}

/// <summary>A Fact skipped when the named locale is not installed (xunit 2 decides skips at discovery).</summary>
public sealed class LocaleFactAttribute : FactAttribute
{
    public LocaleFactAttribute(string locale)
    {
        if (!Installed(locale)) Skip = $"locale {locale} is not installed";
    }

    static bool Installed(string locale)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("locale", "-a") { RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            string wanted = locale.Replace("UTF-8", "utf8", StringComparison.OrdinalIgnoreCase);
            return output.Split('\n').Any(line => line.Trim().Equals(wanted, StringComparison.OrdinalIgnoreCase));
        }
        catch (Exception)
        {
            return false;
        }
    }
}
