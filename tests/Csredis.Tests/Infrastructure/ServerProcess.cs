// Runs one real server process (csredis-server or the oracle redis-server) for a test: a free loopback
// port, a fresh temp dir, persistence off, stdout/stderr captured into LogText, and "ready" meaning the
// port answers PING. A registry plus a per-process shell watchdog make sure no server outlives the test
// host, even when the host is killed hard and no finalizer or exit handler gets to run.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Csredis.Tests.Infrastructure;

public sealed class ServerProcess : IDisposable
{
    public const string RedisName = "redis";
    public const string CsredisName = "csredis";
    public const string RedisSentinelName = "redis-sentinel";
    public const string CsredisSentinelName = "csredis-sentinel";
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private static readonly object RegistryLock = new();
    private static readonly HashSet<ServerProcess> Running = [];

    static ServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllRunning();
        AppDomain.CurrentDomain.DomainUnload += (_, _) => KillAllRunning();
    }

    private readonly Process _process;
    private readonly Process? _watchdog;
    private readonly StringBuilder _log = new();
    private bool _disposed;

    /// <summary>"redis" or "csredis".</summary>
    public string Name { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public string WorkDir { get; }
    public string ExecutablePath { get; }
    public IReadOnlyList<string> Arguments { get; }
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string LogText
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static ServerProcess StartCsredis(params string[] args) => Launch(CsredisName, null, args);
    public static ServerProcess StartRedis(params string[] args) => Launch(RedisName, null, args);

    /// <summary>Starts "redis" or "csredis", the names Theories iterate over.</summary>
    public static ServerProcess Start(string name, params string[] args) => Launch(name, null, args);

    /// <summary>Starts a server with a config file, which comes first on the command line as both
    /// servers expect; the harness arguments and <paramref name="args"/> follow and override it.</summary>
    public static ServerProcess StartWithConfig(string name, string configFile, params string[] args) => Launch(name, configFile, args);

    /// <summary>Starts a server with extra environment variables (LANG for SORT ... ALPHA's collation).</summary>
    public static ServerProcess StartWithEnvironment(string name, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Launch(name, null, args, environment);

    /// <summary>Starts a server on a given port (a restart in the same place, as when a killed master comes back).</summary>
    public static ServerProcess StartOnPort(string name, int port, string? configFile, params string[] args)
    {
        var server = new ServerProcess(name, ExecutableFor(name), port, configFile, args, null);
        try
        {
            server.WaitUntilReady();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static string ExecutableFor(string name) => name switch
    {
        RedisName => RepoPaths.RequireOnPath("redis-server"),
        CsredisName => RepoPaths.RequireBinary(RepoPaths.CsredisServerPath),
        RedisSentinelName => RepoPaths.RequireOnPath("redis-sentinel"),
        CsredisSentinelName => RepoPaths.RequireBinary(RepoPaths.CsredisSentinelPath),
        _ => throw new ArgumentException($"unknown server '{name}': use \"{RedisName}\" or \"{CsredisName}\"", nameof(name)),
    };

    private static ServerProcess Launch(string name, string? configFile, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var executable = ExecutableFor(name);
        // The free port can be taken between probing and binding; a second or third port fixes that.
        for (var attempt = 1; ; attempt++)
        {
            var server = new ServerProcess(name, executable, FreePort.Next(), configFile, args, environment);
            try
            {
                server.WaitUntilReady();
                return server;
            }
            catch (Exception) when (attempt < 3 && server.LogText.Contains("Address already in use"))
            {
                server.Dispose();
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    private ServerProcess(string name, string executable, int port, string? configFile, string[] extraArgs, IReadOnlyDictionary<string, string>? environment)
    {
        Name = name;
        Port = port;
        ExecutablePath = executable;
        WorkDir = Path.Combine(Path.GetTempPath(), $"csredis-test-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(WorkDir);

        var args = new List<string>();
        if (configFile != null)
            args.Add(configFile);
        args.AddRange(["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", WorkDir]);
        args.AddRange(extraArgs);
        Arguments = args;

        var startInfo = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = WorkDir,
        };
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
            startInfo.Environment[variable] = value;

        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        _process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        lock (RegistryLock)
        {
            _process.Start();
            Running.Add(this);
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _watchdog = StartWatchdog(_process.Id);
    }

    private void AppendLog(string? line)
    {
        if (line == null) return;
        lock (_log) _log.Append(line).Append('\n');
    }

    /// <summary>Kills the server if the test host dies first (SIGKILL of the host runs no .NET code).</summary>
    private static Process? StartWatchdog(int serverPid)
    {
        var hostPid = Environment.ProcessId;
        var script = $"while kill -0 {hostPid} 2>/dev/null && kill -0 {serverPid} 2>/dev/null; do sleep 1; done; " +
                     $"kill -0 {hostPid} 2>/dev/null || kill -9 {serverPid} 2>/dev/null";
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        try { return Process.Start(startInfo); }
        catch (Exception) { return null; }
    }

    private void WaitUntilReady()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output into the log
                throw new InvalidOperationException($"{Name} ({ExecutablePath}) exited with code {_process.ExitCode} during startup.\n{Describe()}");
            }
            if (AnswersPing())
                return;
            Thread.Sleep(10);
        }
        throw new TimeoutException($"{Name} did not answer PING on port {Port} within {StartTimeout.TotalSeconds} s.\n{Describe()}");
    }

    private bool AnswersPing()
    {
        try
        {
            using var client = new RawClient(Port, TimeSpan.FromMilliseconds(200)) { Timeout = TimeSpan.FromMilliseconds(500) };
            var reply = Encoding.ASCII.GetString(client.Execute("PING"));
            // NOAUTH also proves the server is serving commands; LOADING does not.
            return reply == "+PONG\r\n" || reply.StartsWith("-NOAUTH");
        }
        catch (Exception)
        {
            return false;
        }
    }

    public RawClient Connect() => new(Port);

    /// <summary>Waits for a log line containing <paramref name="text"/>; true when it appeared in time.</summary>
    public bool WaitForLog(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!LogText.Contains(text))
        {
            if (DateTime.UtcNow >= deadline) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    /// <summary>
    /// Asserts that a log line containing <paramref name="text"/> appears within a few seconds. The log
    /// comes through the stdout pipe, so a line the server wrote before it replied can still be in
    /// transit when the test reads the reply: reading <see cref="LogText"/> once races with it.
    /// </summary>
    public void AssertLogged(string text, TimeSpan? timeout = null)
    {
        if (!WaitForLog(text, timeout ?? TimeSpan.FromSeconds(10)))
            Xunit.Assert.Fail($"not in the log of {Name}: \"{text}\"\n{Describe()}");
    }

    /// <summary>Graceful stop: SIGTERM, wait, then SIGKILL. Returns the exit code.</summary>
    public int Stop()
    {
        if (!_process.HasExited)
        {
            _ = SendSignal(_process.Id, SigTerm);
            if (!_process.WaitForExit((int)StopTimeout.TotalMilliseconds))
                _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        Unregister();
        return _process.ExitCode;
    }

    public string Describe() =>
        $"command: {ExecutablePath} {string.Join(' ', Arguments.Select(a => a.Length == 0 ? "\"\"" : a))}\n--- {Name} log ---\n{LogText}--- end of {Name} log ---";

    public override string ToString() => $"{Name}@{Port}";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        KillNow();
        try { _process.WaitForExit(5000); } catch (Exception) { }
        Unregister();
        try { if (_watchdog is { HasExited: false }) _watchdog.Kill(); } catch (Exception) { }
        _watchdog?.Dispose();
        _process.Dispose();
        try { Directory.Delete(WorkDir, recursive: true); } catch (Exception) { }
    }

    private void KillNow()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (Exception) { }
    }

    private void Unregister()
    {
        lock (RegistryLock) Running.Remove(this);
    }

    private static void KillAllRunning()
    {
        ServerProcess[] all;
        lock (RegistryLock) all = Running.ToArray();
        foreach (var server in all)
        {
            server.KillNow();
            try { if (server._watchdog is { HasExited: false }) server._watchdog.Kill(); } catch (Exception) { }
        }
    }

    private const int SigTerm = 15;
    public const int SigStop = 19, SigCont = 18;

    /// <summary>Sends a signal to the server (SIGSTOP/SIGCONT pause and resume it, as a hung machine would).</summary>
    public void Signal(int signal) => _ = SendSignal(_process.Id, signal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
