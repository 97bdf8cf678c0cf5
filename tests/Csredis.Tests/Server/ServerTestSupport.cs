// Minimal process and protocol helpers for the server administration tests, private to this
// folder until the shared harness (Infrastructure/ServerProcess, RawClient) is merged: start
// redis-server (the oracle) or ./csredis-server on a free loopback port, talk RESP over a real
// socket, stop the process and collect its output. Every started process is stopped in Dispose.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Csredis.Tests.Server;

public static class Paths
{
    /// <summary>The repository root: the first parent directory holding the Makefile and redis.conf.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !(File.Exists(Path.Combine(dir.FullName, "Makefile")) && File.Exists(Path.Combine(dir.FullName, "redis.conf"))))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string Csredis => Path.Combine(RepoRoot, "csredis-server");
    public static string Redis => "redis-server";

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "csredis-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A server process (csredis or the real Redis) whose output is collected.</summary>
public sealed class TestServer : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    public int Port { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public int Pid => _process.Id;

    TestServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>Runs a server binary to completion (for start-up failures); returns exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunToExit(string binary, string workingDir, params string[] args)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = workingDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, stdout.Result, stderr.Result);
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a server on a free port (bind 127.0.0.1) and waits until it answers PING.</summary>
    public static TestServer Start(string binary, string workingDir, params string[] args)
    {
        int port = Paths.FreePort();
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1" }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var server = new TestServer(process, port);
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (server._output) server._output.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (server._output) server._output.Append(e.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{binary} exited at start-up:\n{server.Output}");
            try
            {
                using var client = new RespClient(port);
                if (client.Call("PING") is "PONG") return server;
            }
            catch (SocketException) { }
            catch (IOException) { }
            Thread.Sleep(50);
        }
        server.Dispose();
        throw new TimeoutException($"{binary} did not answer on port {port}");
    }

    public RespClient Connect() => new(Port);

    /// <summary>Waits for the process to exit on its own (after SHUTDOWN or a signal).</summary>
    public int WaitForExit(int milliseconds = 10_000)
    {
        if (!_process.WaitForExit(milliseconds)) throw new TimeoutException("server did not exit");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>A RESP2/3 client over a real socket; replies become string, long, double, bool, null, List&lt;object?&gt; or RespError.</summary>
public sealed class RespClient : IDisposable
{
    readonly TcpClient _tcp;
    readonly Stream _stream;
    readonly BufferedStream _reader;

    public RespClient(int port)
    {
        _tcp = new TcpClient();
        _tcp.Connect(IPAddress.Loopback, port);
        _tcp.ReceiveTimeout = 10_000;
        _stream = _tcp.GetStream();
        _reader = new BufferedStream(_stream);
    }

    public object? Call(params string[] args)
    {
        Send(args);
        return Read();
    }

    public void Send(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        _stream.Write(bytes);
    }

    string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = _reader.ReadByte();
            if (b < 0) throw new IOException("connection closed");
            if (b == '\n' && bytes.Count > 0 && bytes[^1] == '\r') { bytes.RemoveAt(bytes.Count - 1); break; }
            bytes.Add((byte)b);
        }
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    public object? Read()
    {
        string line = ReadLine();
        char type = line[0];
        string rest = line[1..];
        switch (type)
        {
            case '+': return rest;
            case '-': return new RespError(rest);
            case ':': return long.Parse(rest);
            case ',': return rest;
            case '#': return rest == "t";
            case '_': return null;
            case '$':
            case '=':
                int n = int.Parse(rest);
                if (n < 0) return null;
                var buf = new byte[n + 2];
                int read = 0;
                while (read < buf.Length)
                {
                    int r = _reader.Read(buf, read, buf.Length - read);
                    if (r <= 0) throw new IOException("connection closed");
                    read += r;
                }
                return Encoding.Latin1.GetString(buf, 0, n);
            case '*':
            case '~':
            case '%':
            case '>':
                int count = int.Parse(rest);
                if (count < 0) return null;
                if (type == '%') count *= 2;
                var list = new List<object?>(count);
                for (int i = 0; i < count; i++) list.Add(Read());
                return list;
            default: throw new IOException("unexpected reply: " + line);
        }
    }

    public void Dispose() => _tcp.Dispose();
}

public sealed record RespError(string Message)
{
    public override string ToString() => "(error) " + Message;
}

/// <summary>Renders a reply for comparison and failure messages.</summary>
public static class Replies
{
    public static string Show(object? reply) => reply switch
    {
        null => "(nil)",
        List<object?> list => "[" + string.Join(", ", list.Select(Show)) + "]",
        string s => "\"" + s + "\"",
        _ => reply.ToString() ?? "",
    };
}
