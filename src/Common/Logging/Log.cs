// Log lines in Redis's format: "pid:R dd Mon yyyy HH:MM:SS.mmm L message", where R is the role
// (M master, S replica, C child/background, X sentinel) and L the level (. debug, - verbose,
// * notice, # warning). Users grep these lines, so the shape must match Redis exactly.
// Like Redis, the file is appended line by line, so log rotation by renaming works.
using System.Text;

namespace Csredis.Common.Logging;

public enum LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3, Nothing = 4 }

public static class Log
{
    static readonly object Gate = new();
    static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    static readonly int Pid = Environment.ProcessId;

    public static LogLevel Level = LogLevel.Notice;
    /// <summary>Empty: standard output. Otherwise appended to, as Redis's logfile.</summary>
    public static string File = "";
    public static char Role = 'M';

    public static bool Enabled(LogLevel level) => level >= Level;

    public static void Debug(string message) => Write(LogLevel.Debug, message);
    public static void Verbose(string message) => Write(LogLevel.Verbose, message);
    public static void Notice(string message) => Write(LogLevel.Notice, message);
    public static void Warning(string message) => Write(LogLevel.Warning, message);

    public static void Write(LogLevel level, string message)
    {
        if (level < Level) return;
        Raw(Format(level, message, Role));
    }

    public static string Format(LogLevel level, string message, char role)
    {
        var now = DateTime.Now;
        char mark = level switch { LogLevel.Debug => '.', LogLevel.Verbose => '-', LogLevel.Notice => '*', _ => '#' };
        var sb = new StringBuilder(64 + message.Length);
        sb.Append(Pid).Append(':').Append(role).Append(' ')
          .Append(now.Day.ToString("00")).Append(' ').Append(Months[now.Month - 1]).Append(' ').Append(now.Year).Append(' ')
          .Append(now.ToString("HH:mm:ss.fff")).Append(' ').Append(mark).Append(' ').Append(message).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes text as is (the start-up banner, already formatted lines).</summary>
    public static void Raw(string text)
    {
        lock (Gate)
        {
            if (File.Length == 0)
            {
                var stdout = Console.OpenStandardOutput();
                var bytes = Encoding.UTF8.GetBytes(text);
                stdout.Write(bytes, 0, bytes.Length);
                stdout.Flush();
                return;
            }
            try { System.IO.File.AppendAllText(File, text); }
            catch (IOException) { /* like Redis: a log that cannot be opened is silently skipped */ }
            catch (UnauthorizedAccessException) { }
        }
    }
}
