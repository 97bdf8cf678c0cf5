// Entry point: parse options, pick the mode in redis-cli's order (the cluster manager, then the
// special tool modes, then the read-eval-print loop when there is no command, then --eval or the
// command from the arguments), and map the outcome to redis-cli's exit codes.
using System.Runtime.InteropServices;
using System.Text;

namespace Csredis.Cli;

public static partial class Program
{
    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    public static readonly bool StdinIsTerminal = IsATty(0) == 1;
    public static readonly bool StdoutIsTerminal = IsATty(1) == 1;

    public static void PrintContextError(string? message)
    {
        if (message is not null) Stdio.Error($"Error: {message}\n");
    }

    public static int Main(string[] args)
    {
        var options = CliOptions.Parse(args, StdoutIsTerminal);
        if (options.Password is null && !options.AskPass && Environment.GetEnvironmentVariable("REDISCLI_AUTH") is { } envPassword)
            options.Password = envPassword;
        if (Environment.GetEnvironmentVariable("REDISCLI_CLUSTER_YES") == "1") options.Cluster.Yes = true;
        if (options.AskPass) options.Password = LineEditor.ReadMaskedPassword("Please input password: ");
        if (options.Cluster.FromAskPass)
            options.Cluster.FromPassword = LineEditor.ReadMaskedPassword("Please input import source node password: ");

        var session = new CliSession(options);

        if (options.Cluster.Name is not null) return ClusterManager.Run(session);
        if (options.TopologyMode) return Topology.Run(session);
        if (options.LatencyMode) return ConnectOrExit(session) ?? ToolModes.Latency(session);
        if (options.LatencyDistMode) return ConnectOrExit(session) ?? ToolModes.LatencyDistribution(session);
        if (options.ReplicaMode) return ConnectOrExit(session) ?? ReplicaMode.Run(session);
        if (options.RdbFile is not null) return ConnectOrExit(session) ?? ReplicaMode.FetchRdb(session);
        if (options.PipeMode) return ConnectOrExit(session) ?? ToolModes.Pipe(session);
        if (options.BigKeys) return ConnectOrExit(session) ?? KeySampler.Run(session, byMemory: false);
        if (options.MemKeys) return ConnectOrExit(session) ?? KeySampler.Run(session, byMemory: true);
        if (options.HotKeys) return ConnectOrExit(session) ?? KeySampler.HotKeys(session);
        if (options.StatMode) return ConnectOrExit(session) ?? ToolModes.Stat(session);
        if (options.ScanMode) return ConnectOrExit(session) ?? ToolModes.Scan(session);
        if (options.LruTestMode) return ConnectOrExit(session) ?? ToolModes.LruTest(session);
        if (options.IntrinsicLatencyMode) return ToolModes.IntrinsicLatency(options.IntrinsicLatencySeconds);

        if (options.Command.Length == 0 && options.EvalFile is null)
        {
            session.Connect();
            return new Repl(session).Run();
        }
        if (options.EvalFile is not null) return ConnectOrExit(session) ?? LuaDebugger.EvalMode(session);
        // A quiet first attempt: a failure is reported by the command's own (re)connection.
        session.Connect(quiet: true);
        return NonInteractive(session);
    }

    private static int? ConnectOrExit(CliSession session) => session.Connect() ? null : 1;

    private static int NonInteractive(CliSession session)
    {
        var options = session.Options;
        List<byte[]> argv;
        if (options.QuotedInput)
        {
            argv = [];
            foreach (var raw in options.Command)
            {
                var parsed = Csredis.Common.Text.ArgSplitter.Split(Encoding.UTF8.GetBytes(raw));
                if (parsed is not { Count: 1 })
                {
                    session.WriteStdout("Invalid quoted string\n"u8);
                    return 1;
                }
                argv.Add(parsed[0]);
            }
        }
        else argv = options.Command.Select(Encoding.UTF8.GetBytes).ToList();

        if (options.StdinLastArgument) argv.Add(ReadAllStdin());
        else if (options.StdinTag is { } tag)
        {
            var tagBytes = Encoding.UTF8.GetBytes(tag);
            int index = argv.FindIndex(a => a.AsSpan().SequenceEqual(tagBytes));
            if (index < 0)
            {
                Stdio.Error("Using -X option but stdin tag not match.\n");
                return 1;
            }
            argv[index] = ReadAllStdin();
        }
        return IssueCommand(session, argv, options.Repeat) ? 0 : 1;
    }

    public static byte[] ReadAllStdin()
    {
        using var stdin = Stdio.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>redis-cli's issueCommandRepeat: local help, (re)connect when needed, send, print; with -c a
    /// MOVED/ASK reply sends the command again to the node it names.</summary>
    public static bool IssueCommand(CliSession session, List<byte[]> argv, long repeat)
    {
        string name = Encoding.UTF8.GetString(argv[0]);
        // In the Lua debugger "help" belongs to the server's debugger.
        if (!session.Ldb.Active && (name.Equals("help", StringComparison.OrdinalIgnoreCase) || name == "?"))
        {
            session.WriteStdout(Encoding.UTF8.GetBytes(HelpCatalog.For(session).Render(argv.Skip(1).Select(Encoding.UTF8.GetString).ToArray())));
            return true;
        }
        while (true)
        {
            if (session.ReissueCommand || !session.IsConnected || session.LinkBroken)
            {
                if (!session.Connect(force: true))
                {
                    if (session.IsConnected) PrintContextError(session.ConnectionErrorText ?? "");
                    session.ReissueCommand = false;
                    return false;
                }
            }
            session.ReissueCommand = false;
            if (!session.SendAskingIfNeeded())
            {
                PrintContextError(session.ConnectionErrorText);
                return false;
            }
            if (!session.SendCommand(argv, repeat))
            {
                PrintContextError(session.ConnectionErrorText);
                session.Disconnect();
                return false;
            }
            if (session.Options.ClusterMode && session.ReissueCommand) continue;
            return true;
        }
    }
}
