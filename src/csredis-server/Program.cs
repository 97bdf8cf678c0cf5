// csredis-server entry point: `csredis-server [configfile] [--directive value ...]`, like
// redis-server: read the configuration, print the start-up lines, bind, run the event loop.
using Csredis.Common.Config;
using Csredis.Common.Logging;
using Csredis.Server;
using Csredis.Server.Config;

return ServerMain.Run(args);

public static class ServerMain
{
    public static int Run(string[] args)
    {
        Csredis.Server.Commands.SortCommand.UseEnvironmentCollation();
        if (args.Length >= 1 && (args[0] == "-v" || args[0] == "--version"))
        {
            Console.WriteLine($"Redis server v={RedisServer.RedisVersion} sha=00000000:0 malloc={RedisServer.Allocator} bits={IntPtr.Size * 8} build={RedisServer.BuildId.Value}");
            return 0;
        }
        if (args.Length == 2 && args[0] == "--check-rdb")
            return Csredis.Server.Persistence.RdbCheck.Run(args[1], Console.Out);
        if (args.Length >= 1 && (args[0] == "-h" || args[0] == "--help"))
        {
            Console.Error.Write(Usage);
            return 1;
        }

        string? configPath = null;
        int first = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            configPath = args[0];
            first = 1;
        }
        var options = args[first..];
        bool readStdin = options.Contains("-");
        // Like redis-server: "--sentinel" or being invoked as a sentinel binary selects sentinel mode.
        bool sentinelMode = options.Contains("--sentinel") || Path.GetFileName(InvokedName()).Contains("sentinel", StringComparison.Ordinal);
        options = options.Where(o => o != "-" && o != "--sentinel").ToArray();

        // Made absolute before the config's "dir" moves the working directory, as Redis does.
        string executable = Path.GetFullPath(InvokedName());
        var config = new ServerConfig();
        Log.Role = sentinelMode ? 'X' : 'C';
        if (sentinelMode)
        {
            // Sentinel's defaults differ from a server's (Redis's initSentinelConfig).
            config.Port = 26379;
            config.ProtectedMode = false;
        }
        try
        {
            if (configPath != null && configPath != "-") config.ConfigFile = Path.GetFullPath(configPath);
            if (readStdin || configPath == "-") Log.Warning("Reading config from stdin");
            string text = ConfigFile.ComposeText(configPath, options, readStdin);
            config.Apply(ConfigFile.Parse(text));
        }
        catch (ConfigOpenException e)
        {
            Log.Warning(e.Message);
            return 1;
        }
        catch (ConfigException e)
        {
            Console.Error.Write(e.FatalReport());
            return 1;
        }
        if (!sentinelMode && config.SentinelLines.Count > 0)
        {
            var line = config.SentinelLines[0];
            Console.Error.Write(new ConfigException(line.LineNumber, line.Text, "sentinel directive while not in sentinel mode").FatalReport());
            return 1;
        }
        if (sentinelMode && !SentinelConfigUsable(config)) return 1;
        if (config.LogFile.Length > 0)
        {
            try { using var _ = new FileStream(config.LogFile, FileMode.Append, FileAccess.Write); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.Write($"\n*** FATAL CONFIG FILE ERROR (Redis {RedisServer.RedisVersion}) ***\nCan't open the log file: {ConfigFile.OpenErrorReason(e)}\n");
                return 1;
            }
        }
        Log.File = config.LogFile;

        if (config.Daemonize && !Daemon.Detach(args)) return 1;
        // A daemon always gets a pid file, /var/run/redis.pid unless one is configured (as Redis).
        if (config.Daemonize && config.PidFile.Length == 0) config.PidFile = "/var/run/redis.pid";

        int pid = Environment.ProcessId;
        Log.Warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
        Log.Warning($"Redis version={RedisServer.RedisVersion}, bits=64, commit=00000000, modified=0, pid={pid}, just started");
        // Redis warns only when started with no argument at all, naming itself as invoked.
        if (args.Length == 0)
            Log.Warning($"Warning: no config file specified, using the default config. In order to specify a config file use {InvokedName()} /path/to/redis.conf");
        else Log.Warning("Configuration loaded");
        if (AcceptedDirectives.TlsRequested(config.Registry))
        {
            AcceptedDirectives.LogTlsUnavailable(config.Registry);
            Log.Warning("Failed to configure TLS. Check logs for more info.");
            return 1;
        }
        if (config.AcceptedInUse.Count > 0)
            Log.Warning("Configuration directives accepted for compatibility but not acted on by csredis: " + string.Join(", ", config.AcceptedInUse));

        Log.Role = sentinelMode ? 'X' : config.ReplicaOf.Length > 0 ? 'S' : 'M';
        var server = new RedisServer(config, sentinelMode);
        server.ExecutablePath = executable;
        if (sentinelMode)
        {
            try { server.Sentinel!.ApplyConfig(config.SentinelLines); }
            catch (ConfigException e)
            {
                Console.Error.Write(e.FatalReport());
                return 1;
            }
        }
        Log.Notice("monotonic clock: POSIX clock_gettime");
        if (config.Bind.Length == 0)
        {
            Log.Warning("Configured to not listen anywhere, exiting.");
            return 1;
        }
        if (!server.Listen()) return 1;
        if (config.PidFile.Length > 0) Daemon.WritePidFile(config.PidFile);
        if (sentinelMode)
        {
            Log.Notice($"Running mode=sentinel, port={config.Port}.");
            server.StartupMemory = server.UsedMemory();
            server.Sentinel!.Start();
            server.Run();
            return 0;
        }
        Log.Notice($"Running mode=standalone, port={config.Port}.");
        Log.Warning("Server initialized");
        if (!ModulesLoadable(config)) return 1;
        server.StartupMemory = server.UsedMemory();
        server.ReplicaLink.ConfigureFromStartup();
        server.Persistence.LoadAtStartup(() =>
        {
            server.ReplicaLink.StartFromConfig();
            Log.Notice("Ready to accept connections");
        });
        server.Run();
        return 0;
    }

    /// <summary>argv[0] as the user typed it (Redis prints it in the no-config warning).</summary>
    static string InvokedName()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            int end = Array.IndexOf(cmdline, (byte)0);
            return System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
        }
        catch (IOException) { return Environment.ProcessPath ?? "csredis-server"; }
    }

    /// <summary>
    /// loadmodule: Redis loads each module after "Server initialized" and aborts when one fails.
    /// csredis runs no Redis modules (they are native code written against Redis's internals), so any
    /// loadmodule line aborts, worded as dlopen's failure when the file is not there.
    /// </summary>
    static bool ModulesLoadable(ServerConfig config)
    {
        foreach (var module in config.ModulesToLoad)
        {
            string path = module[0];
            string reason = File.Exists(path) ? $"{path}: csredis cannot load Redis modules" : $"{path}: cannot open shared object file: No such file or directory";
            Log.Warning($"Module {path} failed to load: {reason}");
            Log.Warning($"Can't load module from {path}: server aborting");
            return false;
        }
        return true;
    }

    /// <summary>A sentinel keeps its state in its config file: it must have one, and be able to write it.</summary>
    static bool SentinelConfigUsable(ServerConfig config)
    {
        if (config.ConfigFile.Length == 0)
        {
            Log.Warning("Sentinel needs config file on disk to save state. Exiting...");
            return false;
        }
        try { using var _ = new FileStream(config.ConfigFile, FileMode.Open, FileAccess.ReadWrite); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Sentinel config file {config.ConfigFile} is not writable: {e.Message}. Exiting...");
            return false;
        }
        return true;
    }

    const string Usage =
        "Usage: ./csredis-server [/path/to/redis.conf] [options] [-]\n" +
        "       ./csredis-server - (read config from stdin)\n" +
        "       ./csredis-server -v or --version\n" +
        "       ./csredis-server -h or --help\n\n" +
        "Examples:\n" +
        "       ./csredis-server (run the server with default conf)\n" +
        "       echo 'maxmemory 128mb' | ./csredis-server -\n" +
        "       ./csredis-server /etc/redis/6379.conf\n" +
        "       ./csredis-server --port 7777\n" +
        "       ./csredis-server --port 7777 --replicaof 127.0.0.1 8888\n" +
        "       ./csredis-server /etc/myredis.conf --loglevel verbose -\n" +
        "       ./csredis-server /etc/myredis.conf --loglevel verbose\n\n";
}
