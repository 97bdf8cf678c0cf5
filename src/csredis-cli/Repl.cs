// The read-eval-print loop. With a terminal on stdin it edits lines with prompt, history, hints and
// completion; otherwise it reads stdin line by line without a prompt. Each line is split like a shell
// line, may start with a repeat count, and a few words (quit, exit, connect, clear, help) are local.
using System.Text;

namespace Csredis.Cli;

public sealed class Repl(CliSession session)
{
    /// <summary>Run's result when "restart" was typed in a Lua debugging session (--eval starts it again).</summary>
    public const int RestartRequested = -2;

    private bool restartRequested;

    public int Run()
    {
        session.Interactive = true;
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                session.InterruptStreaming();
            });
        // redis-cli loads command docs for help and hints whenever it enters this loop, except in a Lua
        // debugging session, where every line belongs to the server's debugger.
        if (!session.Ldb.Active) HelpCatalog.For(session);
        return Program.StdinIsTerminal ? RunOnTerminal() : RunOnPipe();
    }

    private int RunOnPipe()
    {
        while (PipedInput.ReadLine() is { } line)
            if (!Execute(line, addToHistory: null)) return restartRequested ? RestartRequested : 0;
        return 0;
    }

    /// <summary>Lines of a non-terminal stdin, buffered for the whole process (like stdio's stdin) so a
    /// REPL started again (a Lua debugging session restarted) goes on with the following lines.</summary>
    private static class PipedInput
    {
        private static readonly Stream Stdin = Stdio.OpenStandardInput();
        private static readonly byte[] Chunk = new byte[64 * 1024];
        private static int start, end;
        private static bool endOfInput;

        public static byte[]? ReadLine()
        {
            var line = new List<byte>();
            while (true)
            {
                if (start == end)
                {
                    if (endOfInput) return line.Count > 0 ? line.ToArray() : null;
                    int read = Stdin.Read(Chunk, 0, Chunk.Length);
                    if (read <= 0)
                    {
                        endOfInput = true;
                        continue;
                    }
                    start = 0;
                    end = read;
                }
                int newline = Array.IndexOf(Chunk, (byte)'\n', start, end - start);
                if (newline < 0)
                {
                    line.AddRange(Chunk.AsSpan(start, end - start).ToArray());
                    start = end;
                    continue;
                }
                line.AddRange(Chunk.AsSpan(start, newline - start).ToArray());
                start = newline + 1;
                return line.ToArray();
            }
        }
    }

    private bool hintsEnabled = true;

    /// <summary>":set hints" / ":set nohints", typed or read from ~/.redisclirc (REDISCLI_RCFILE).</summary>
    private void SetPreference(string[] words, bool fromRcFile)
    {
        string origin = fromRcFile ? ".redisclirc: " : "";
        if (words[0] == ":set")
        {
            if (words.Length < 2) return;
            if (words[1] == "hints") hintsEnabled = true;
            else if (words[1] == "nohints") hintsEnabled = false;
            else session.WriteStdout(Encoding.UTF8.GetBytes($"{origin}unknown redis-cli preference '{words[1]}'\n"));
        }
        else session.WriteStdout(Encoding.UTF8.GetBytes($"{origin}unknown redis-cli internal command '{words[0]}'\n"));
    }

    private void LoadRcFile()
    {
        string? path = Environment.GetEnvironmentVariable("REDISCLI_RCFILE");
        if (path is null && Environment.GetEnvironmentVariable("HOME") is { } home) path = Path.Combine(home, ".redisclirc");
        if (path is null || !File.Exists(path)) return;
        try
        {
            foreach (var line in File.ReadAllLines(path))
            {
                var words = Csredis.Common.Text.ArgSplitter.Split(Encoding.UTF8.GetBytes(line));
                if (words is { Count: > 0 } && words[0].Length > 0 && words[0][0] == ':')
                    SetPreference(words.Select(Encoding.UTF8.GetString).ToArray(), fromRcFile: true);
            }
        }
        catch (IOException) { }
    }

    private int RunOnTerminal()
    {
        LoadRcFile();
        var history = new LineHistory(HistoryPath());
        history.Load();
        var editor = new LineEditor(history, line => hintsEnabled && !session.Ldb.Active ? HelpCatalog.For(session).Hint(line) : null, Complete);
        while (true)
        {
            string? line = editor.ReadLine(Prompt());
            if (line is null) return 0;
            if (!Execute(Encoding.UTF8.GetBytes(line), history)) return restartRequested ? RestartRequested : 0;
        }
    }

    private IEnumerable<string> Complete(string line)
    {
        if (session.Ldb.Active) return [];
        var catalog = HelpCatalog.For(session);
        // Candidates are whole entry names ("ACL SETUSER" completes "acl se"); after "help " groups too,
        // all in strcmp order of their names, as redis-cli sorts its help entries.
        if (line.StartsWith("help ", StringComparison.OrdinalIgnoreCase))
        {
            int start = 5;
            while (start < line.Length && char.IsWhiteSpace(line[start])) start++;
            string topic = line[start..], prefix = line[..start];
            var groups = catalog.Entries.Select(e => "@" + e.Group).Distinct();
            return groups.Concat(catalog.CommandNames).Order(StringComparer.Ordinal)
                .Where(n => n.StartsWith(topic, StringComparison.OrdinalIgnoreCase))
                .Select(n => prefix + n);
        }
        return catalog.CommandNames.Order(StringComparer.Ordinal).Where(n => n.StartsWith(line, StringComparison.OrdinalIgnoreCase));
    }

    private static string? HistoryPath()
    {
        var configured = Environment.GetEnvironmentVariable("REDISCLI_HISTFILE");
        if (configured is not null)
        {
            if (configured == "/dev/null") return null;
            if (configured.StartsWith("~/")) configured = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "", configured[2..]);
            return configured;
        }
        var home = Environment.GetEnvironmentVariable("HOME");
        return home is null ? null : Path.Combine(home, ".rediscli_history");
    }

    public string Prompt()
    {
        if (!session.IsConnected) return "not connected> ";
        if (session.Ldb.Active) return LuaDebugger.Prompt;
        var prompt = new StringBuilder();
        prompt.Append(session.Options.UnixSocket is { } path ? "redis " + path : session.Address);
        if (session.Database != 0) prompt.Append('[').Append(session.Database).Append(']');
        if (session.InMulti) prompt.Append("(TX)");
        return prompt.Append("> ").ToString();
    }

    /// <summary>Runs one input line; false when the loop must end (quit, exit, restart).</summary>
    private bool Execute(byte[] line, LineHistory? addToHistory)
    {
        var argv = (session.Ldb.Active ? LuaDebugger.SplitDebuggerLine(line) : null) ?? Csredis.Common.Text.ArgSplitter.Split(line);
        if (argv is null)
        {
            session.WriteStdout("Invalid argument(s)\n"u8);
            addToHistory?.Add(Encoding.UTF8.GetString(line));
            return true;
        }
        if (argv.Count == 0) return true;
        string first = Encoding.UTF8.GetString(argv[0]);
        long repeat = 1;
        int skip = 0;
        if (argv.Count > 1 && IsWholeInteger(first, out long count))
        {
            if (count <= 0)
            {
                session.WriteStdout("Invalid redis-cli repeat command option value.\n"u8);
                return true;
            }
            repeat = count;
            skip = 1;
        }
        // Lines that carry a password never reach the history file.
        if (!IsSensitiveCommand(argv.Skip(skip).Select(Encoding.UTF8.GetString).ToArray()))
            addToHistory?.Add(Encoding.UTF8.GetString(line));
        if (first.Equals("quit", StringComparison.OrdinalIgnoreCase) || first.Equals("exit", StringComparison.OrdinalIgnoreCase))
            return false;
        if (first.StartsWith(':'))
        {
            SetPreference(argv.Select(Encoding.UTF8.GetString).ToArray(), fromRcFile: false);
            return true;
        }
        if (first.Equals("restart", StringComparison.OrdinalIgnoreCase))
        {
            if (session.Options.EvalFile is not null)
            {
                session.Ldb.Active = true;
                session.Options.Output = OutputMode.Raw;
                restartRequested = true;
                return false;
            }
            session.WriteStdout("Use 'restart' only in Lua debugging mode.\n"u8);
            return true;
        }
        if (argv.Count == 3 && first.Equals("connect", StringComparison.OrdinalIgnoreCase))
        {
            session.Options.Host = Encoding.UTF8.GetString(argv[1]);
            session.Options.Port = (int)CParse.Atoi(Encoding.UTF8.GetString(argv[2]));
            session.Connect(force: true);
            return true;
        }
        if (argv.Count == 1 && first.Equals("clear", StringComparison.OrdinalIgnoreCase))
        {
            session.WriteStdout("\x1b[H\x1b[2J"u8);
            return true;
        }
        var started = Environment.TickCount64;
        Program.IssueCommand(session, argv.Skip(skip).ToList(), repeat);
        LuaDebugger.FinishEndedSession(session);
        long elapsed = Environment.TickCount64 - started;
        if (Program.StdinIsTerminal && elapsed >= 500 && session.Options.Output == OutputMode.Standard)
            session.WriteStdout(Encoding.ASCII.GetBytes($"({elapsed / 1000.0:0.00}s)\n"));
        return true;
    }

    /// <summary>AUTH, ACL SETUSER, CONFIG SET of a password, HELLO ... AUTH and MIGRATE ... AUTH/AUTH2.</summary>
    private static bool IsSensitiveCommand(string[] argv)
    {
        int argc = argv.Length;
        bool Is(int i, string word) => argv[i].Equals(word, StringComparison.OrdinalIgnoreCase);
        if (argc == 0) return false;
        if (Is(0, "auth")) return true;
        if (argc > 1 && Is(0, "acl") && Is(1, "setuser")) return true;
        if (argc > 2 && Is(0, "config") && Is(1, "set"))
        {
            for (int j = 2; j < argc; j += 2)
                if (Is(j, "masterauth") || Is(j, "masteruser") || Is(j, "requirepass")) return true;
            return false;
        }
        if (argc > 4 && Is(0, "hello"))
        {
            for (int j = 2; j < argc; j++)
            {
                int more = argc - 1 - j;
                if (Is(j, "auth") && more >= 2) return true;
                if (Is(j, "setname") && more > 0) j++;
                else return false;
            }
            return false;
        }
        if (argc > 7 && Is(0, "migrate"))
        {
            for (int j = 6; j < argc; j++)
            {
                int more = argc - 1 - j;
                if (Is(j, "auth") && more > 0) return true;
                if (Is(j, "auth2") && more >= 2) return true;
                if (Is(j, "keys") && more > 0) return false;
            }
        }
        return false;
    }

    private static bool IsWholeInteger(string text, out long value)
    {
        value = 0;
        if (text.Length == 0) return false;
        int p = 0;
        while (p < text.Length && char.IsWhiteSpace(text[p])) p++;
        int digitsFrom = p;
        if (p < text.Length && (text[p] == '-' || text[p] == '+')) p++;
        if (p >= text.Length) return false;
        for (int i = p; i < text.Length; i++) if (text[i] < '0' || text[i] > '9') return false;
        return long.TryParse(text[digitsFrom..], System.Globalization.NumberStyles.AllowLeadingSign,
            System.Globalization.CultureInfo.InvariantCulture, out value) || (value = -1) < 0;
    }
}
