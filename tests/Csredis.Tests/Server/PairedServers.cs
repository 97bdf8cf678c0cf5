// A minimal private harness for the multi-client tests of this folder, until the shared
// Infrastructure (ServerProcess, RawClient) is merged: start real redis-server or ./csredis-server
// on a free loopback port, talk raw RESP over sockets and read whole reply frames as bytes, so a
// scenario can be run against both servers and the observed bytes compared.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Csredis.Tests.Server;

public sealed class TestServer : IDisposable
{
    public const string Redis = "redis", Csredis = "csredis";
    readonly Process _process;
    readonly StringBuilder _log = new();
    public int Port { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }

    TestServer(string name, int port, string[] extraArgs)
    {
        Port = port;
        string exe = name == Redis ? "redis-server" : Path.Combine(RepoRoot(), "csredis-server");
        if (name == Csredis && !File.Exists(exe)) throw new InvalidOperationException("build ./csredis-server first (make csredis-server)");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("csredis-mp-").FullName,
        };
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" }) psi.ArgumentList.Add(a);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static TestServer Start(string name, params string[] extraArgs)
    {
        for (int attempt = 0; ; attempt++)
        {
            var server = new TestServer(name, FreePort(), extraArgs);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !server._process.HasExited)
            {
                try
                {
                    using var probe = new RespConnection(server.Port);
                    if (probe.Call("PING") == "+PONG\r\n") return server;
                }
                catch (SocketException) { }
                Thread.Sleep(50);
            }
            server.Dispose();
            if (attempt == 2) throw new InvalidOperationException($"{name} did not start:\n{server.Log}");
        }
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "csredis.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public RespConnection Connect() => new(Port);

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    /// <summary>Runs <paramref name="scenario"/> against a fresh redis-server and a fresh csredis-server; returns both transcripts.</summary>
    public static (List<string> Redis, List<string> Csredis) RunOnBoth(Action<TestServer, List<string>> scenario, params string[] extraArgs)
    {
        var results = new List<string>[2];
        string[] names = [Redis, Csredis];
        for (int i = 0; i < 2; i++)
        {
            using var server = Start(names[i], extraArgs);
            results[i] = new List<string>();
            scenario(server, results[i]);
        }
        return (results[0], results[1]);
    }
}

/// <summary>A raw RESP connection: commands are encoded as arrays of bulk strings, replies read back as whole frames (escaped text).</summary>
public sealed class RespConnection : IDisposable
{
    readonly Socket _socket;
    readonly byte[] _buffer = new byte[1 << 20];
    int _start, _end;

    public RespConnection(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(IPAddress.Loopback, port);
    }

    public void Send(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        _socket.Send(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    public void SendRaw(byte[] bytes) => _socket.Send(bytes);

    /// <summary>Sends a command and returns its reply frame.</summary>
    public string Call(params string[] args)
    {
        Send(args);
        return Read() ?? "<timeout>";
    }

    /// <summary>The next complete reply frame, or null when none arrives within the timeout (default 2s).</summary>
    public string? Read(int timeoutMs = 2000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            int length = FrameLength(_buffer.AsSpan(_start, _end - _start));
            if (length > 0)
            {
                var frame = Encoding.Latin1.GetString(_buffer, _start, length);
                _start += length;
                return frame;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return null;
            if (!_socket.Poll((int)Math.Max(1000, left.TotalMicroseconds), SelectMode.SelectRead)) return null;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n;
            try { n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None); }
            catch (SocketException) { return "<closed>"; }
            if (n == 0) return "<closed>";
            _end += n;
        }
    }

    /// <summary>True when nothing arrives within <paramref name="ms"/>.</summary>
    public bool Quiet(int ms = 200) => Read(ms) == null;

    /// <summary>Reads and discards whatever arrives until the peer closes; true if it closed within the timeout.</summary>
    public bool WaitClosed(int timeoutMs)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        var scratch = new byte[1 << 20];
        while (DateTime.UtcNow < deadline)
        {
            if (!_socket.Poll(50_000, SelectMode.SelectRead)) continue;
            try { if (_socket.Receive(scratch) == 0) return true; }
            catch (SocketException) { return true; }
        }
        return false;
    }

    /// <summary>Length of the first complete RESP2/RESP3 frame in <paramref name="data"/>, 0 when incomplete.</summary>
    static int FrameLength(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return 0;
        int lineEnd = data.IndexOf("\r\n"u8);
        if (lineEnd < 0) return 0;
        int header = lineEnd + 2;
        byte type = data[0];
        switch ((char)type)
        {
            case '+': case '-': case ':': case '_': case ',': case '#': case '(':
                return header;
            case '$': case '=': case '!':
            {
                long len = long.Parse(Encoding.ASCII.GetString(data[1..lineEnd]));
                if (len < 0) return header;
                long total = header + len + 2;
                return data.Length >= total ? (int)total : 0;
            }
            case '*': case '~': case '>': case '%': case '|':
            {
                long count = long.Parse(Encoding.ASCII.GetString(data[1..lineEnd]));
                if (count < 0) return header;
                if (type is (byte)'%' or (byte)'|') count *= 2;
                int pos = header;
                for (long i = 0; i < count; i++)
                {
                    int inner = FrameLength(data[pos..]);
                    if (inner == 0) return 0;
                    pos += inner;
                }
                return type == (byte)'|' ? AddFollowing(data, pos) : pos;
            }
            default:
                throw new InvalidDataException("not RESP: " + Encoding.Latin1.GetString(data[..Math.Min(40, data.Length)]));
        }
    }

    // An attribute map is followed by the reply it annotates.
    static int AddFollowing(ReadOnlySpan<byte> data, int pos)
    {
        int inner = FrameLength(data[pos..]);
        return inner == 0 ? 0 : pos + inner;
    }

    public void Dispose() => _socket.Dispose();
}
