// What the cli tests run against: the repository root (holding csredis.sln, where `make` puts
// ./csredis-cli), a process runner capturing raw stdout/stderr bytes, and a throwaway server on a free
// loopback port. The server binary is a parameter (CSREDIS_CLI_TEST_SERVER, default the real
// redis-server) so the same differential tests can later run against csredis-server.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Csredis.Common.Client;

namespace Csredis.Tests.Cli;

public sealed record ProcessResult(byte[] Stdout, byte[] Stderr, int ExitCode)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
    public string StderrText => System.Text.Encoding.UTF8.GetString(Stderr);
}

public static class CliTestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string OurCli => Path.Combine(RepoRoot, "csredis-cli");

    public const string RealCli = "redis-cli";

    public static string ServerBinary => Environment.GetEnvironmentVariable("CSREDIS_CLI_TEST_SERVER") ?? "redis-server";

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "csredis.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("csredis.sln not found above the test directory");
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Runs a program to completion (bounded by <paramref name="timeout"/>), feeding stdin and
    /// collecting both outputs as bytes.</summary>
    public static ProcessResult Run(string program, IEnumerable<string> args, byte[]? stdin = null,
        TimeSpan? timeout = null, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("REDISCLI_AUTH");
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var outTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errTask = process.StandardError.BaseStream.CopyToAsync(stderr);
        try
        {
            if (stdin is not null) process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException) { }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(20)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }
        Task.WaitAll([outTask, errTask], TimeSpan.FromSeconds(5));
        return new ProcessResult(stdout.ToArray(), stderr.ToArray(), process.ExitCode);
    }
}

/// <summary>A server process on a free loopback port for the lifetime of a test class.</summary>
public sealed class CliTestServer : IDisposable
{
    private readonly Process process;
    public int Port { get; }
    public string UnixSocket { get; }

    public CliTestServer() : this([], null) { }

    /// <summary>Starts a server with arguments after the standard ones (e.g. --replicaof).</summary>
    public static CliTestServer StartWith(params string[] extraArguments) => new(extraArguments);

    /// <summary>Starts a server on a given port (a restart of one that went away).</summary>
    public static CliTestServer StartOnPort(int port) => new([], port);

    private CliTestServer(string[] extraArguments, int? port = null)
    {
        Port = port ?? CliTestEnvironment.FreePort();
        UnixSocket = Path.Combine(Path.GetTempPath(), $"csredis-cli-test-{Port}.sock");
        var info = new ProcessStartInfo(CliTestEnvironment.ServerBinary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--unixsocket", UnixSocket, "--enable-debug-command", "yes", "--daemonize", "no",
                     "--repl-diskless-sync-delay", "0" })
            info.ArgumentList.Add(a);
        foreach (var a in extraArguments) info.ArgumentList.Add(a);
        process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = Connect();
                if (probe.Execute("PING").AsText() == "PONG") break;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public RedisBlockingConnection Connect() => RedisBlockingConnection.ConnectTcp("127.0.0.1", Port);

    /// <summary>Puts the server back in a known state: empty, no clients in other states.</summary>
    public void Reset(IEnumerable<string[]> setup)
    {
        using var connection = Connect();
        connection.Execute("FLUSHALL");
        connection.Execute("CONFIG", "SET", "maxmemory-policy", "noeviction");
        foreach (var command in setup) connection.Execute(command);
    }

    private bool disposed;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        try
        {
            using var connection = Connect();
            connection.Send("SHUTDOWN", "NOSAVE");
        }
        catch (Exception) { }
        if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
        process.Dispose();
        try { File.Delete(UnixSocket); } catch (IOException) { }
    }
}
