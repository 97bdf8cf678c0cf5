// LibraryImport bindings to the system OpenSSL 3 (libssl.so.3, libcrypto.so.3), the library Redis
// itself links for TLS. Binding it directly, rather than going through SslStream, keeps OpenSSL's own
// semantics where users see them: cipher strings in ciphers(1ssl) syntax, CA directories, and the
// reason strings of handshake failures ("certificate verify failed"), and lets a non-blocking caller
// drive SSL_read/SSL_write on a raw descriptor.
using System.Runtime.InteropServices;

namespace Csredis.Common.Native;

public static unsafe partial class OpenSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    public const int SSL_VERIFY_NONE = 0, SSL_VERIFY_PEER = 1;
    public const int SSL_FILETYPE_PEM = 1;
    public const ulong SSL_OP_NO_SSLv2 = 0, SSL_OP_NO_SSLv3 = 0x02000000;
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55, TLSEXT_NAMETYPE_host_name = 0;
    public const int SSL_ERROR_NONE = 0, SSL_ERROR_SSL = 1, SSL_ERROR_WANT_READ = 2, SSL_ERROR_WANT_WRITE = 3,
        SSL_ERROR_SYSCALL = 5, SSL_ERROR_ZERO_RETURN = 6;

    [LibraryImport(Ssl)] public static partial int OPENSSL_init_ssl(ulong options, nint settings);
    [LibraryImport(Ssl)] public static partial nint TLS_client_method();
    [LibraryImport(Ssl)] public static partial nint SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] public static partial ulong SSL_CTX_set_options(nint ctx, ulong options);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_verify(nint ctx, int mode, nint callback);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_load_verify_locations(nint ctx, string? caFile, string? caPath);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_set_default_verify_paths(nint ctx);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_certificate_chain_file(nint ctx, string file);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_PrivateKey_file(nint ctx, string file, int type);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_set_cipher_list(nint ctx, string ciphers);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_set_ciphersuites(nint ctx, string suites);

    [LibraryImport(Ssl)] public static partial nint SSL_new(nint ctx);
    [LibraryImport(Ssl)] public static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_set_fd(nint ssl, int fd);
    [LibraryImport(Ssl)] public static partial long SSL_ctrl(nint ssl, int command, long larg, nint parg);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_connect(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_get_error(nint ssl, int ret);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_read(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_write(nint ssl, byte* buffer, int count);

    [LibraryImport(Crypto)] public static partial void ERR_clear_error();
    [LibraryImport(Crypto)] public static partial ulong ERR_peek_last_error();
    [LibraryImport(Crypto)] public static partial nint ERR_reason_error_string(ulong error);

    /// <summary>The reason text OpenSSL keeps for an error code ("certificate verify failed"), or null.</summary>
    public static string? ReasonString(ulong error)
    {
        nint text = ERR_reason_error_string(error);
        return text == 0 ? null : Marshal.PtrToStringUTF8(text);
    }
}
