// --eval and the Lua debugger client (--ldb, --ldb-sync-mode). --eval sends EVAL with the file's text,
// the arguments before a lone "," as KEYS and the rest as ARGV. With --ldb it first sends SCRIPT DEBUG
// yes (or sync), then the server answers the EVAL with the debugger's first status lines and the
// session becomes a REPL under the "lua debugger> " prompt, where every line goes to the server's
// debugger. The server ends a session with a "<endsession>" status; the EVAL's own reply follows and is
// printed in the standard form. "restart" in the REPL reloads the file and starts again.
using System.Buffers;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public sealed class LuaDebuggerState
{
    /// <summary>A debugging session is running: replies are the debugger's, the prompt is "lua debugger> ".</summary>
    public bool Active;
    /// <summary>SCRIPT DEBUG yes/sync was typed by hand: the next EVAL starts a session.</summary>
    public bool EnableOnEval;
    /// <summary>The server just sent "<endsession>": the EVAL's final reply is still to be read.</summary>
    public bool Ended;
}

public static class LuaDebugger
{
    public const string Prompt = "lua debugger> ";

    public static int EvalMode(CliSession session)
    {
        var options = session.Options;
        bool succeeded;
        while (true)
        {
            if (session.Ldb.Active)
                session.WriteStdout("Lua debugging session started, please use:\nquit    -- End the session.\n"u8 +
                    "restart -- Restart the script in debug mode again.\nhelp    -- Show Lua script debugging commands.\n\n"u8);
            byte[] script;
            try { script = File.ReadAllBytes(options.EvalFile!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                string reason = e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory"
                    : e is UnauthorizedAccessException ? "Permission denied" : e.Message;
                Stdio.Error($"Can't open file '{options.EvalFile}': {reason}\n");
                return 1;
            }
            if (session.Ldb.Active && session.Connection is { } connection)
            {
                try { connection.Execute("SCRIPT", "DEBUG", options.LuaDebuggerSync ? "sync" : "yes"); }
                catch (RedisConnectionException) { session.LinkBroken = true; }
            }
            int comma = Array.IndexOf(options.Command, ",");
            int keyCount = comma < 0 ? options.Command.Length : comma;
            var argv = new List<byte[]> { "EVAL"u8.ToArray(), script, Encoding.ASCII.GetBytes(keyCount.ToString()) };
            argv.AddRange(options.Command.Where((_, i) => i != comma).Select(Encoding.UTF8.GetBytes));

            bool debugging = session.Ldb.Active;
            succeeded = Program.IssueCommand(session, argv, 1);
            if (!debugging) break;
            if (!session.Ldb.Active)
            {
                // The session ended at once: the script did not compile. Show why, without a REPL.
                session.Ldb.Ended = false;
                session.WriteStdout("Eval debugging session can't start:\n"u8);
                session.ReadAndPrint(outputRaw: false, out _);
                break;
            }
            if (new Repl(session).Run() != Repl.RestartRequested) return 0;
            session.Connect(force: true);
            session.WriteStdout("\n"u8);
        }
        // redis-cli returns its REDIS_ERR (-1) from main when the command could not be sent.
        return succeeded ? 0 : 255;
    }

    /// <summary>After a command in the REPL: if the debugger ended the session, print the EVAL's reply.</summary>
    public static void FinishEndedSession(CliSession session)
    {
        if (!session.Ldb.Ended) return;
        session.Ldb.Ended = false;
        session.ReadAndPrint(outputRaw: false, out _);
        session.WriteStdout(session.Options.LuaDebuggerSync
            ? "\n(Lua debugging session ended)\n\n"u8
            : "\n(Lua debugging session ended -- dataset changes rolled back)\n\n"u8);
        // redis-cli reloads its command help here; on a connection the debugger closed that fails, which
        // marks the link broken and makes the next command reconnect without a word.
        HelpCatalog.Reload(session);
    }

    /// <summary>The raw form of a debugger reply: status lines coloured by what they show; the
    /// "<endsession>" status ends the session and switches output back to the standard form.</summary>
    public static void FormatReply(CliSession session, RespValue reply, ArrayBufferWriter<byte> output) =>
        ReplyFormatter.Raw(reply, output, session.Options.BulkDelimiter, (text, target) =>
        {
            if (text.AsSpan().StartsWith("<endsession>"u8))
            {
                session.Ldb.EnableOnEval = false;
                session.Ldb.Active = false;
                session.Ldb.Ended = true;
                session.Options.Output = OutputMode.Standard;
                return;
            }
            Colorize(text, target);
        });

    private static void Colorize(byte[] line, IBufferWriter<byte> output)
    {
        if (!ClusterManager.IsColorTerm())
        {
            output.Write(line);
            return;
        }
        var span = line.AsSpan();
        string color = "white";
        if (span.IndexOf("<debug>"u8) >= 0) color = "bold";
        if (span.IndexOf("<redis>"u8) >= 0) color = "green";
        if (span.IndexOf("<reply>"u8) >= 0) color = "cyan";
        if (span.IndexOf("<error>"u8) >= 0) color = "red";
        if (span.IndexOf("<hint>"u8) >= 0) color = "bold";
        if (span.IndexOf("<value>"u8) >= 0 || span.IndexOf("<retval>"u8) >= 0) color = "magenta";
        if (span.Length > 4 && char.IsAsciiDigit((char)span[3]))
        {
            if (span[1] == '>') color = "yellow"; // the current line
            else if (span[2] == '#') color = "bold"; // a breakpoint
        }
        int bold = color == "bold" ? 1 : 0;
        int code = color switch { "red" => 31, "green" => 32, "yellow" => 33, "magenta" => 35, "cyan" => 36, _ => 37 };
        ReplyFormatter.Ascii(output, $"\x1b[{bold};{code};49m");
        output.Write(line);
        ReplyFormatter.Ascii(output, "\x1b[0m");
    }

    /// <summary>In a debugging session "eval CODE" and "e CODE" pass the rest of the line as one argument.</summary>
    public static List<byte[]>? SplitDebuggerLine(byte[] line)
    {
        var span = line.AsSpan();
        int prefix = span.StartsWith("eval "u8) ? 5 : span.StartsWith("e "u8) ? 2 : 0;
        if (prefix == 0) return null;
        return [span[..(prefix - 1)].ToArray(), span[prefix..].ToArray()];
    }
}
