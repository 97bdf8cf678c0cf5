// TLS toward a real redis-server built with TLS: a throwaway CA, server and client certificates made
// with the openssl tool, a server on a free tls-port (client certificates optional, so both the
// authenticated and the anonymous paths exist), and the same invocations run through redis-cli 7.0
// and csredis-cli: successful sessions, verification failures, bad files, cipher lists, SNI, the
// rediss:// scheme, a CA directory.
using System.Diagnostics;
using System.Text;
using Csredis.Common.Client;
using Xunit;

namespace Csredis.Tests.Cli;

public sealed class TlsServerFixture : IDisposable
{
    public readonly string Directory;
    public readonly int Port;
    private readonly Process server;

    public string File(string name) => Path.Combine(Directory, name);

    public TlsServerFixture()
    {
        Port = CliTestEnvironment.FreePort();
        Directory = Path.Combine(Path.GetTempPath(), $"csredis-cli-tls-{Port}");
        System.IO.Directory.CreateDirectory(Directory);
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA", "-keyout", "ca.key", "-out", "ca.crt");
        foreach (var (name, cn) in new[] { ("server", "localhost"), ("client", "client") })
        {
            OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-subj", $"/CN={cn}", "-keyout", $"{name}.key", "-out", $"{name}.csr");
            OpenSsl("x509", "-req", "-in", $"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", $"{name}.crt");
        }
        // A CA directory as OpenSSL looks things up in it: <subject hash>.0.
        string hash = OpenSsl("x509", "-hash", "-noout", "-in", "ca.crt").Trim();
        System.IO.Directory.CreateDirectory(File("cadir"));
        System.IO.File.Copy(File("ca.crt"), Path.Combine(File("cadir"), hash + ".0"));

        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var a in new[] { "--port", "0", "--tls-port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--tls-cert-file", File("server.crt"), "--tls-key-file", File("server.key"), "--tls-ca-cert-file", File("ca.crt"),
                     "--tls-auth-clients", "optional", "--daemonize", "no" })
            info.ArgumentList.Add(a);
        server = Process.Start(info)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var ping = CliTestEnvironment.Run(CliTestEnvironment.RealCli, ["-p", Port.ToString(), "--tls", "--cacert", File("ca.crt"), "ping"]);
            if (ping.StdoutText == "PONG\n") break;
            if (DateTime.UtcNow > deadline || server.HasExited) throw new InvalidOperationException("TLS server did not start: " + ping.StderrText);
            Thread.Sleep(100);
        }
    }

    private string OpenSsl(params string[] args)
    {
        var result = CliTestEnvironment.Run("openssl", args, timeout: TimeSpan.FromSeconds(30), workingDirectory: Directory);
        if (result.ExitCode != 0) throw new InvalidOperationException("openssl failed: " + result.StderrText);
        return result.StdoutText;
    }

    public void Dispose()
    {
        try
        {
            CliTestEnvironment.Run(CliTestEnvironment.RealCli, ["-p", Port.ToString(), "--tls", "--cacert", File("ca.crt"), "shutdown", "nosave"]);
        }
        catch (Exception) { }
        if (!server.WaitForExit(5000)) server.Kill(entireProcessTree: true);
        server.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public sealed class CliTlsTests(TlsServerFixture tls) : IClassFixture<TlsServerFixture>
{
    private static readonly Dictionary<string, string[]> Cases = new()
    {
        ["ping-with-client-certificate"] = ["--tls", "--cacert", "{ca}", "--cert", "{cert}", "--key", "{key}", "ping"],
        ["ping-anonymous"] = ["--tls", "--cacert", "{ca}", "ping"],
        ["reply-types"] = ["--tls", "--cacert", "{ca}", "--no-raw", "-3", "config", "get", "maxmemory*"],
        ["verification-fails"] = ["--tls", "ping"],
        ["insecure"] = ["--tls", "--insecure", "ping"],
        ["ca-directory"] = ["--tls", "--cacertdir", "{cadir}", "ping"],
        ["ca-directory-without-ca"] = ["--tls", "--cacertdir", "{dir}", "ping"],
        ["missing-ca-file"] = ["--tls", "--cacert", "/nonexistent/ca.crt", "ping"],
        ["wrong-key"] = ["--tls", "--cacert", "{ca}", "--cert", "{cert}", "--key", "{cakey}", "ping"],
        ["missing-certificate"] = ["--tls", "--cacert", "{ca}", "--cert", "/nonexistent.crt", "--key", "{key}", "ping"],
        ["bad-cipher-list"] = ["--tls", "--cacert", "{ca}", "--tls-ciphers", "NOSUCHCIPHER", "ping"],
        ["bad-ciphersuites"] = ["--tls", "--cacert", "{ca}", "--tls-ciphersuites", "NOSUCHSUITE", "ping"],
        ["chosen-ciphers"] = ["--tls", "--cacert", "{ca}", "--tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256", "--tls-ciphersuites", "TLS_AES_128_GCM_SHA256", "ping"],
        ["sni"] = ["--tls", "--cacert", "{ca}", "--sni", "localhost", "ping"],
        ["rediss-uri"] = ["-u", "rediss://127.0.0.1:{port}/2", "--cacert", "{ca}", "set", "k", "v"],
        ["stdin-commands"] = ["--tls", "--cacert", "{ca}"],
        ["plain-client-on-tls-port"] = ["ping"],
        ["tls-option-missing-value"] = ["--tls", "--cacert"],
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void SameAsRedisCli(string name)
    {
        var args = new[] { "-p", tls.Port.ToString() }.Concat(Cases[name].Select(a => a
            .Replace("{ca}", tls.File("ca.crt")).Replace("{cert}", tls.File("client.crt")).Replace("{key}", tls.File("client.key"))
            .Replace("{cakey}", tls.File("ca.key")).Replace("{cadir}", tls.File("cadir")).Replace("{dir}", tls.Directory)
            .Replace("{port}", tls.Port.ToString()))).ToArray();
        byte[] stdin = name == "stdin-commands" ? Encoding.UTF8.GetBytes("ping\nset a 1\nget a\nselect 2\nget a\n") : [];
        var expected = CliTestEnvironment.Run(CliTestEnvironment.RealCli, args, stdin);
        var actual = CliTestEnvironment.Run(CliTestEnvironment.OurCli, args, stdin);
        Assert.Equal(expected.StdoutText, actual.StdoutText);
        Assert.Equal(expected.StderrText, actual.StderrText);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
    }

    [Fact]
    public void InteractiveSessionOverTls()
    {
        string Screen(string program)
        {
            using var screen = new TmuxScreen(program, $"-p {tls.Port} --tls --cacert {tls.File("ca.crt")}");
            screen.Keys("set greeting hello", "Enter", "get greeting", "Enter", "select 1", "Enter", "ping", "Enter");
            return screen.Capture();
        }
        Assert.Equal(Screen(CliTestEnvironment.RealCli), Screen(CliTestEnvironment.OurCli));
    }
}
