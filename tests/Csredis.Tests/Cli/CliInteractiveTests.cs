// Interactive sessions driven through a pseudo-terminal: tmux (on its own private server socket) runs
// the cli, receives the same keystrokes, and the captured screens of redis-cli and csredis-cli must be
// identical: prompt, echo, hints, completion, history, repeat counts, Ctrl-C handling.
using System.Diagnostics;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class TmuxScreen : IDisposable
{
    private static int sessionCounter;
    private readonly string socketName = $"csredis-cli-test-{Environment.ProcessId}-{Interlocked.Increment(ref sessionCounter)}";
    private readonly string historyFile;

    public TmuxScreen(string command, string arguments)
    {
        historyFile = Path.Combine(Path.GetTempPath(), socketName + ".history");
        File.Delete(historyFile);
        Tmux("new-session", "-d", "-x", "100", "-y", "30",
            $"env REDISCLI_HISTFILE={historyFile} TERM=xterm {command} {arguments}; echo EXIT=$?; sleep 30");
        Thread.Sleep(300);
        WaitUntilQuiet();
    }

    // Keys typed while the program is busy would be flushed when it re-enters raw mode, so each key
    // waits for the screen to stop changing (bounded).
    private void WaitUntilQuiet()
    {
        var deadline = DateTime.UtcNow.AddSeconds(3);
        string last = Capture();
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            string now = Capture();
            if (now != last)
            {
                last = now;
                quietSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - quietSince >= TimeSpan.FromMilliseconds(300)) return;
        }
    }

    private void WaitForChange(string before, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && Capture() == before) Thread.Sleep(20);
    }

    public string HistoryFile => historyFile;

    public void Keys(params string[] keys)
    {
        foreach (var key in keys)
        {
            // "Pause" holds the keyboard for a second: what follows then comes after the cli's
            // half-second threshold for printing a command's elapsed time, whatever the machine's load.
            if (key == PauseKey) { Thread.Sleep(1000); continue; }
            string before = key == "Enter" ? Capture() : "";
            Tmux("send-keys", "-t", "0", "--", key);
            // Enter always prints something (a reply, a prompt, an error, the exit line), but on a loaded
            // machine it can come later than the quiet window: a screen that merely has not changed yet is
            // not an answer.
            if (key == "Enter") WaitForChange(before, TimeSpan.FromSeconds(5));
            WaitUntilQuiet();
        }
    }

    public const string PauseKey = "Pause";

    public string Capture() => Tmux("capture-pane", "-p", "-t", "0");

    /// <summary>The screen with elapsed times like "(1.02s)" replaced by "(T)": they depend on the machine, not on the cli.</summary>
    public string CaptureWithoutTimings() => System.Text.RegularExpressions.Regex.Replace(Capture(), @"\(\d+\.\d\ds\)", "(T)");

    private string Tmux(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-L");
        info.ArgumentList.Add(socketName);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(5000);
        return output;
    }

    public void Dispose()
    {
        Tmux("kill-server");
        File.Delete(historyFile);
    }
}

public sealed class CliInteractiveTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    public static TheoryData<string> Scenarios() => new(ScenarioKeys.Keys.Order(StringComparer.Ordinal));

    private static readonly Dictionary<string, string[]> ScenarioKeys = new()
    {
        ["basics"] = ["set a 1", "Enter", "get a", "Enter", "select 3", "Enter", "3 ping", "Enter", "hgetall nosuch", "Enter", "lrange l 0 -1", "Enter", "set "],
        ["hints"] = ["set k v ", "C-u", "xadd k * ", "C-u", "client no-evict "],
        ["help"] = ["help get", "Enter", "help @hyperloglog", "Enter"],
        ["multi-prompt"] = ["multi", "Enter", "set a 1", "Enter", "exec", "Enter"],
        ["history"] = ["ping", "Enter", "echo hi", "Enter", "Up", "Up", "Enter"],
        ["completion"] = ["hget", "Tab", "C-u", "h", "Tab", "Tab"],
        ["errors"] = ["foo", "Enter", "get 'x", "Enter", "0 ping", "Enter"],
        ["editing"] = ["set a 1", "C-a", "x", "C-e", "y", "Left", "Left", "BSpace", "Enter"],
        ["ctrl-c-exits"] = ["ping", "Enter", "C-c"],
        ["monitor-ctrl-c"] = ["monitor", "Enter", TmuxScreen.PauseKey, "C-c", "ping", "Enter"],
        ["subscribe-ctrl-c"] = ["subscribe ch", "Enter", TmuxScreen.PauseKey, "C-c", "ping", "Enter"],
        ["connect"] = ["connect 127.0.0.1 1", "Enter", "ping", "Enter", "connect 127.0.0.1 {port}", "Enter", "ping", "Enter"],
        ["quit"] = ["quit", "Enter"],
        ["askpass"] = ["--askpass", "secret", "Enter", "ping", "Enter"],
        ["db-prompt-and-clear"] = ["-n 2", "ping", "Enter", "select 0", "Enter", "help @nosuch", "Enter", "clear", "Enter"],
        ["preferences"] = [":set nohints", "Enter", "set ", "C-u", ":set foo", "Enter", ":bar", "Enter", ":set hints", "Enter", "get "],
        ["resp3-pushes-and-protocol-error"] = ["-3", "debug protocol push", "Enter", "client tracking on", "Enter", "get a", "Enter",
            "set a 2", "Enter", "get a", "Enter", "hgetall h", "Enter", "debug protocol attrib", "Enter"],
        ["resp3-bignum"] = ["-3", "debug protocol bignum", "Enter"],
        ["blocking-timeout"] = ["blpop x 0.6", "Enter"],
        ["client-kill-reconnect"] = ["client kill type normal", "Enter", "ping", "Enter"],
        ["reconnect-keeps-db"] = ["select 4", "Enter", "client kill type normal skipme no", "Enter", "ping", "Enter", "ping", "Enter"],
        ["long-line-wraps"] = ["echo " + new string('x', 130), "C-a", "Right", "Right", "x", "C-e", "BSpace", "Enter", "Up"],
        ["subcommand-completion-and-hints"] = ["acl se", "Tab", "C-u", "acl setuser x ", "C-u", "set k", "C-u", "help ac", "Tab", "Tab", "C-u", "config get "],
        ["help-prefix"] = ["help client kill", "Enter", "help acl whoami", "Enter"],
        ["restart-outside-debugger"] = ["restart", "Enter", "ping", "Enter"],
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void SameScreenAsRedisCli(string scenario)
    {
        var keys = ScenarioKeys[scenario].Select(k => k.Replace("{port}", server.Port.ToString())).ToArray();
        // A leading option (like -3) goes on the command line rather than to the keyboard.
        string options = keys[0].StartsWith('-') ? keys[0] + " " : "";
        if (options.Length > 0) keys = keys[1..];
        string Screen(string program)
        {
            server.Reset([["SET", "a", "1"], ["HSET", "h", "f", "v", "g", "w"]]);
            using var screen = new TmuxScreen(program, $"{options}-p {server.Port}");
            screen.Keys(keys);
            return screen.CaptureWithoutTimings();
        }
        string expected = Screen(CliTestEnvironment.RealCli);
        string actual = Screen(CliTestEnvironment.OurCli);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ShutdownLeavesNotConnectedPrompt()
    {
        string Screen(string program)
        {
            using var own = CliTestServer.StartWith();
            using var screen = new TmuxScreen(program, $"-p {own.Port}");
            screen.Keys("shutdown nosave", "Enter", "ping", "Enter");
            return screen.Capture().Replace(own.Port.ToString(), "PORT");
        }
        Assert.Equal(Screen(CliTestEnvironment.RealCli), Screen(CliTestEnvironment.OurCli));
    }

    [Fact]
    public void NotConnectedPrompt()
    {
        int closedPort = CliTestEnvironment.FreePort();
        string Screen(string program)
        {
            using var screen = new TmuxScreen(program, $"-p {closedPort}");
            screen.Keys("ping", "Enter");
            return screen.Capture();
        }
        Assert.Equal(Screen(CliTestEnvironment.RealCli), Screen(CliTestEnvironment.OurCli));
    }

    [Fact]
    public void LuaDebuggerSession()
    {
        string script = Path.Combine(Path.GetTempPath(), $"csredis-cli-ldb-{server.Port}.lua");
        File.WriteAllText(script, "local a = 1\nlocal b = redis.call('set', KEYS[1], ARGV[1])\nreturn {a, b}\n");
        try
        {
            string Screen(string program)
            {
                server.Reset([]);
                using var screen = new TmuxScreen(program, $"-p {server.Port} --ldb --eval {script} k , v");
                screen.Keys("step", "Enter", "print", "Enter", "c", "Enter", "get k", "Enter", "set ", "C-u", "restart", "Enter",
                    "list", "Enter", "abort", "Enter", "quit", "Enter");
                return screen.Capture();
            }
            string expected = Screen(CliTestEnvironment.RealCli);
            Assert.Equal(expected, Screen(CliTestEnvironment.OurCli));
            Assert.Contains("lua debugger>", expected);
        }
        finally { File.Delete(script); }
    }

    [Fact]
    public void HelpWithoutAServer()
    {
        int closedPort = CliTestEnvironment.FreePort();
        string Screen(string program)
        {
            using var screen = new TmuxScreen(program, $"-p {closedPort}");
            screen.Keys("help set", "Enter", "hge", "Tab", "C-u", "zadd k ");
            return screen.Capture();
        }
        Assert.Equal(Screen(CliTestEnvironment.RealCli), Screen(CliTestEnvironment.OurCli));
    }

    [Fact]
    public void ReconnectsAfterTheServerRestarts()
    {
        int port = CliTestEnvironment.FreePort();
        string Screen(string program)
        {
            var first = CliTestServer.StartOnPort(port);
            using var screen = new TmuxScreen(program, $"-p {port}");
            screen.Keys("set a 1", "Enter");
            first.Dispose();
            screen.Keys("get a", "Enter", "get a", "Enter");
            using var second = CliTestServer.StartOnPort(port);
            screen.Keys("get a", "Enter");
            return screen.Capture().Replace(port.ToString(), "PORT");
        }
        Assert.Equal(Screen(CliTestEnvironment.RealCli), Screen(CliTestEnvironment.OurCli));
    }

    [Fact]
    public void HistoryFileIsWritten()
    {
        using var screen = new TmuxScreen(CliTestEnvironment.OurCli, $"-p {server.Port}");
        screen.Keys("ping", "Enter", "echo x", "Enter");
        Assert.Equal("ping\necho x\n", File.ReadAllText(screen.HistoryFile));
    }
}
