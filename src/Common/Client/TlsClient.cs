// Client-side TLS over a connected socket descriptor, with OpenSSL (see Native/OpenSsl.cs). A
// TlsClientContext holds the SSL_CTX built once from the user's settings (CA file or directory, client
// certificate and key, cipher lists, whether to verify the peer), the way redis-cli keeps one context
// for all its connections; a TlsSession is one handshaken connection with blocking read and write.
// Errors are worded as redis-cli and hiredis word them, since users read them on stderr.
using System.Runtime.InteropServices;
using Csredis.Common.Native;

namespace Csredis.Common.Client;

/// <summary>What --tls, --cacert, --cacertdir, --cert, --key, --sni, --insecure, --tls-ciphers and
/// --tls-ciphersuites ask for.</summary>
public sealed class TlsSettings
{
    public string? CaCertFile;
    public string? CaCertDirectory;
    public string? CertFile;
    public string? KeyFile;
    public string? ServerName;
    public bool SkipVerification;
    public string? Ciphers;
    public string? CipherSuites;
}

public sealed class TlsClientContext(TlsSettings settings)
{
    private nint context;

    public TlsSettings Settings => settings;

    /// <summary>Builds the SSL_CTX on first use. On failure returns redis-cli's message and forgets the
    /// half-built context, so the next connection tries again (and reports again).</summary>
    private string? EnsureContext()
    {
        if (context != 0) return null;
        OpenSsl.OPENSSL_init_ssl(0, 0);
        nint ctx = OpenSsl.SSL_CTX_new(OpenSsl.TLS_client_method());
        if (ctx == 0) return "Failed to create SSL_CTX";
        OpenSsl.SSL_CTX_set_options(ctx, OpenSsl.SSL_OP_NO_SSLv2 | OpenSsl.SSL_OP_NO_SSLv3);
        OpenSsl.SSL_CTX_set_verify(ctx, settings.SkipVerification ? OpenSsl.SSL_VERIFY_NONE : OpenSsl.SSL_VERIFY_PEER, 0);
        string? error = null;
        if (settings.CaCertFile is not null || settings.CaCertDirectory is not null)
        {
            if (OpenSsl.SSL_CTX_load_verify_locations(ctx, settings.CaCertFile, settings.CaCertDirectory) != 1)
                error = "Invalid CA Certificate File/Directory";
        }
        else if (OpenSsl.SSL_CTX_set_default_verify_paths(ctx) != 1) error = "Failed to use default CA paths";
        if (error is null && settings.CertFile is not null && OpenSsl.SSL_CTX_use_certificate_chain_file(ctx, settings.CertFile) != 1)
            error = "Invalid client certificate";
        if (error is null && settings.KeyFile is not null && OpenSsl.SSL_CTX_use_PrivateKey_file(ctx, settings.KeyFile, OpenSsl.SSL_FILETYPE_PEM) != 1)
            error = "Invalid private key";
        if (error is null && settings.Ciphers is not null && OpenSsl.SSL_CTX_set_cipher_list(ctx, settings.Ciphers) != 1)
            error = "Error while configuring ciphers";
        if (error is null && settings.CipherSuites is not null && OpenSsl.SSL_CTX_set_ciphersuites(ctx, settings.CipherSuites) != 1)
            error = "Error while setting cypher suites";
        if (error is not null)
        {
            OpenSsl.SSL_CTX_free(ctx);
            return error;
        }
        context = ctx;
        return null;
    }

    /// <summary>Performs the client handshake on a connected blocking descriptor.</summary>
    /// <exception cref="TlsSetupException">The context or the SSL object could not be set up (message as
    /// redis-cli prints after "Could not negotiate a TLS connection: ").</exception>
    /// <exception cref="RedisConnectionException">The handshake itself failed ("SSL_connect failed: ...").</exception>
    public TlsSession Handshake(int fd)
    {
        if (EnsureContext() is { } setupError) throw new TlsSetupException(setupError);
        nint ssl = OpenSsl.SSL_new(context);
        if (ssl == 0) throw new TlsSetupException("Failed to create SSL object");
        if (settings.ServerName is { } name)
        {
            nint utf8 = Marshal.StringToCoTaskMemUTF8(name);
            try
            {
                if (OpenSsl.SSL_ctrl(ssl, OpenSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, OpenSsl.TLSEXT_NAMETYPE_host_name, utf8) != 1)
                {
                    OpenSsl.SSL_free(ssl);
                    throw new TlsSetupException("Failed to configure SNI");
                }
            }
            finally { Marshal.FreeCoTaskMem(utf8); }
        }
        OpenSsl.SSL_set_fd(ssl, fd);
        OpenSsl.ERR_clear_error();
        int result = OpenSsl.SSL_connect(ssl);
        if (result == 1) return new TlsSession(ssl);
        int errno = Marshal.GetLastPInvokeError();
        int kind = OpenSsl.SSL_get_error(ssl, result);
        string reason = kind == OpenSsl.SSL_ERROR_SYSCALL
            ? Marshal.GetPInvokeErrorMessage(errno)
            : OpenSsl.ReasonString(OpenSsl.ERR_peek_last_error()) ?? "(null)";
        OpenSsl.SSL_free(ssl);
        throw new RedisConnectionException("SSL_connect failed: " + reason);
    }
}

/// <summary>The TLS context could not be prepared; redis-cli reports it as "Could not negotiate a TLS connection".</summary>
public sealed class TlsSetupException(string message) : Exception(message);

/// <summary>One TLS connection: blocking reads and writes through OpenSSL on the socket's descriptor.</summary>
public sealed unsafe class TlsSession : IDisposable
{
    private nint ssl;

    internal TlsSession(nint ssl) => this.ssl = ssl;

    /// <summary>Reads at least one byte. Throws TimeoutException when the socket's receive timeout expires,
    /// RedisConnectionException when the connection ended or failed (hiredis's wording).</summary>
    public int Read(Span<byte> destination)
    {
        while (true)
        {
            if (ssl == 0) throw new RedisConnectionException("Server closed the connection");
            int n;
            fixed (byte* p = destination) n = OpenSsl.SSL_read(ssl, p, destination.Length);
            if (n > 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (n == 0 && OpenSsl.SSL_get_error(ssl, n) == OpenSsl.SSL_ERROR_ZERO_RETURN)
                throw new RedisConnectionException("Server closed the connection");
            int kind = OpenSsl.SSL_get_error(ssl, n);
            if (kind == OpenSsl.SSL_ERROR_WANT_READ || errno == Libc.EAGAIN) throw new TimeoutException("Resource temporarily unavailable");
            if (errno == Libc.EINTR) continue;
            if (n == 0) throw new RedisConnectionException("Server closed the connection");
            throw new RedisConnectionException(Marshal.GetPInvokeErrorMessage(errno));
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (ssl == 0) throw new RedisConnectionException("Broken pipe");
            int n;
            fixed (byte* p = bytes) n = OpenSsl.SSL_write(ssl, p, bytes.Length);
            if (n > 0)
            {
                bytes = bytes[n..];
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR) continue;
            throw new RedisConnectionException(Marshal.GetPInvokeErrorMessage(errno));
        }
    }

    public void Dispose()
    {
        if (ssl == 0) return;
        OpenSsl.SSL_free(ssl);
        ssl = 0;
    }
}
