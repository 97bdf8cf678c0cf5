// Raw stdout/stderr writes. System.Console's writers switch a terminal into keypad-transmit mode when
// first used (an escape sequence redis-cli never sends), so the cli writes to the file descriptors itself.
using System.Runtime.InteropServices;
using System.Text;

namespace Csredis.Cli;

public static partial class Stdio
{
    private static readonly Stream StandardError = OpenStandardError();
    private static readonly Stream StandardOutput = OpenStandardOutput();

    public static Stream OpenStandardInput() => new DescriptorStream(0);
    public static Stream OpenStandardOutput() => new DescriptorStream(1);
    public static Stream OpenStandardError() => new DescriptorStream(2);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadFd(int fd, byte* buffer, nint count);

    private const int EINTR = 4, EPIPE = 32;

    /// <summary>read(2)/write(2) on an inherited descriptor, unbuffered and at the descriptor's own file
    /// position (a FileStream would write at offset 0 of a redirected file).</summary>
    private sealed class DescriptorStream(int fd) : Stream
    {
        public override bool CanRead => fd == 0;
        public override bool CanSeek => false;
        public override bool CanWrite => fd != 0;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override unsafe int Read(Span<byte> buffer)
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = ReadFd(fd, p, buffer.Length);
                    if (n >= 0) return (int)n;
                    if (Marshal.GetLastPInvokeError() != EINTR) return 0;
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* p = buffer)
            {
                int done = 0;
                while (done < buffer.Length)
                {
                    nint n = WriteFd(fd, p + done, buffer.Length - done);
                    if (n > 0) done += (int)n;
                    else
                    {
                        int error = Marshal.GetLastPInvokeError();
                        // The reader went away (| head): end quietly with the status a SIGPIPE death gives.
                        if (error == EPIPE) Environment.Exit(128 + 13);
                        if (error != EINTR) throw new IOException("write failed");
                    }
                }
            }
        }
    }

    public static void Error(string text)
    {
        StandardError.Write(Encoding.UTF8.GetBytes(text));
        StandardError.Flush();
    }

    public static void Out(string text)
    {
        StandardOutput.Write(Encoding.UTF8.GetBytes(text));
        StandardOutput.Flush();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows, Columns, XPixels, YPixels;
    }

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int IoctlWindowSize(int fd, nuint request, out WindowSize size);

    private const nuint TIOCGWINSZ = 0x5413;

    /// <summary>Width of the terminal on stdout, 80 when unknown.</summary>
    public static int TerminalColumns() =>
        IoctlWindowSize(1, TIOCGWINSZ, out var size) == 0 && size.Columns > 0 ? size.Columns : 80;
}
