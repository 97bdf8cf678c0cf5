// Command-line options, parsed with redis-cli 7.0's rules: options come first, the first argument not
// starting with '-' begins the command, an unknown option or a missing value aborts with its message,
// numbers are read the C way (atoi/atof/strtoll: leading digits, 0 when none). After the loop the same
// consistency checks run in the same order (-c/-s, -2/-3, --ldb without --eval, the password warning,
// --rdb/--functions-rdb, -x/-X), so a bad combination gets the message redis-cli gives.
using System.Globalization;
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public enum OutputMode { Standard, Raw, Csv, Json, QuotedJson }

/// <summary>--cluster SUBCOMMAND args and the --cluster-* options that go with it.</summary>
public sealed class ClusterCommandOptions
{
    public string? Name;
    public string[] Args = [];
    public int Replicas;
    public string? MasterId;
    public string? From, To;
    public string? FromUser, FromPassword;
    public bool FromAskPass;
    public string[]? Weights;
    public int Slots;
    public int Timeout = 60000;
    public int Pipeline = 10;
    public double Threshold = 2;
    public bool Yes, Simulate, Replace, Copy, AsReplica, UseEmptyMasters, OnlyMasters, OnlyReplicas;
    public bool SearchMultipleOwners, FixWithUnreachableMasters;
    /// <summary>Set when the command was created while TERM names an xterm: log lines get colours.</summary>
    public bool Colors;
    /// <summary>Set by the fix subcommand (migrations then replace existing keys, unserved slots get an owner).</summary>
    public bool Fix;
}

public sealed class CliOptions
{
    public string Host = "127.0.0.1";
    public int Port = 6379;
    public string? UnixSocket;
    public string? Password;
    public string? User;
    public bool AskPass;
    public long Repeat = 1;
    public long IntervalMicroseconds;
    public int Database;
    /// <summary>0: RESP2; 1: -3 (HELLO 3 must succeed); 2: implied by --json (a failing HELLO 3 is tolerated).</summary>
    public int Resp3Mode;
    public bool Resp2;
    public bool StdinLastArgument;
    public string? StdinTag;
    public byte[] BulkDelimiter = "\n"u8.ToArray();
    public byte[] ReplyDelimiter = "\n"u8.ToArray();
    public bool ClusterMode;
    public bool ExitCodeOnError;
    public OutputMode Output;
    public bool QuotedInput;
    public bool? ShowPushes;
    public bool NoAuthWarning;
    public bool Verbose;

    public bool Tls;
    public readonly TlsSettings TlsSettings = new();

    public bool StatMode, LatencyMode, LatencyHistory, LatencyDistMode, BigKeys, MemKeys, HotKeys, ScanMode, PipeMode, ReplicaMode, TopologyMode;
    public bool MonochromeSpectrum;
    public long LruTestKeys;
    public bool LruTestMode;
    public long MemKeysSamples;
    public string? RdbFile;
    public bool FunctionsRdbOnly;
    public int PipeTimeoutSeconds = 30;
    public byte[] Pattern = "*"u8.ToArray();
    public string? EvalFile;
    public bool LuaDebugger, LuaDebuggerSync;
    public bool IntrinsicLatencyMode;
    public int IntrinsicLatencySeconds;
    public readonly ClusterCommandOptions Cluster = new();

    public string[] Command = [];

    public bool Resp3 => Resp3Mode != 0 && !Resp2;

    /// <summary>Parses argv; on a usage error prints redis-cli's message and exits.</summary>
    public static CliOptions Parse(string[] args, bool stdoutIsTerminal)
    {
        bool fakeTty = Environment.GetEnvironmentVariable("FAKETTY") is not null;
        var o = new CliOptions { Output = stdoutIsTerminal || fakeTty ? OutputMode.Standard : OutputMode.Raw };
        var cluster = o.Cluster;
        bool rdbRequested = false;
        int i = 0;
        for (; i < args.Length; i++)
        {
            string a = args[i];
            bool hasValue = i < args.Length - 1;
            string Next() => args[++i];
            if (a == "-h" && hasValue) o.Host = Next();
            else if (a == "-h") Usage.PrintHelpAndExit(error: false);
            else if (a == "--help") Usage.PrintHelpAndExit(error: false);
            else if (a == "-x") o.StdinLastArgument = true;
            else if (a == "-X" && hasValue) o.StdinTag = Next();
            else if (a == "-p" && hasValue) o.Port = (int)CParse.Atoi(Next());
            else if (a == "-s" && hasValue) o.UnixSocket = Next();
            else if (a == "-r" && hasValue) o.Repeat = CParse.Atoi(Next());
            else if (a == "-i" && hasValue) o.IntervalMicroseconds = (long)(CParse.Atof(Next()) * 1000000);
            else if (a == "-n" && hasValue) o.Database = (int)CParse.Atoi(Next());
            else if (a == "--no-auth-warning") o.NoAuthWarning = true;
            else if (a == "--askpass") o.AskPass = true;
            else if ((a == "-a" || a == "--pass") && hasValue) o.Password = Next();
            else if (a == "--user" && hasValue) o.User = Next();
            else if (a == "-u" && hasValue) ParseUri(Next(), o);
            else if (a == "--raw") o.Output = OutputMode.Raw;
            else if (a == "--no-raw") o.Output = OutputMode.Standard;
            else if (a == "--quoted-input") o.QuotedInput = true;
            else if (a == "--csv") o.Output = OutputMode.Csv;
            else if (a == "--json" || a == "--quoted-json")
            {
                if (o.Resp3Mode == 0) o.Resp3Mode = 2; // an explicit -3 keeps its stricter meaning
                o.Output = a == "--json" ? OutputMode.Json : OutputMode.QuotedJson;
            }
            else if (a == "--latency") o.LatencyMode = true;
            else if (a == "--latency-dist") o.LatencyDistMode = true;
            else if (a == "--mono") o.MonochromeSpectrum = true;
            else if (a == "--latency-history") { o.LatencyMode = true; o.LatencyHistory = true; }
            else if (a == "--lru-test" && hasValue) { o.LruTestMode = true; o.LruTestKeys = CParse.Atoi(Next()); }
            else if (a == "--slave" || a == "--replica") o.ReplicaMode = true;
            else if (a == "--stat") o.StatMode = true;
            else if (a == "--scan") o.ScanMode = true;
            else if (a == "--pattern" && hasValue) o.Pattern = Encoding.UTF8.GetBytes(Next());
            else if (a == "--quoted-pattern" && hasValue)
            {
                var parsed = Csredis.Common.Text.ArgSplitter.Split(Encoding.UTF8.GetBytes(Next()));
                if (parsed is not { Count: 1 })
                {
                    Stdio.Error("Invalid quoted string specified for --quoted-pattern.\n");
                    Environment.Exit(1);
                }
                o.Pattern = parsed[0];
            }
            else if (a == "--intrinsic-latency" && hasValue) { o.IntrinsicLatencyMode = true; o.IntrinsicLatencySeconds = (int)CParse.Atoi(Next()); }
            else if (a == "--rdb" && hasValue)
            {
                rdbRequested = true;
                o.RdbFile = Next();
            }
            else if (a == "--functions-rdb" && hasValue) { o.RdbFile = Next(); o.FunctionsRdbOnly = true; }
            else if (a == "--pipe") o.PipeMode = true;
            else if (a == "--pipe-timeout" && hasValue) o.PipeTimeoutSeconds = (int)CParse.Atoi(Next());
            else if (a == "--bigkeys") o.BigKeys = true;
            else if (a == "--memkeys") o.MemKeys = true;
            else if (a == "--memkeys-samples" && hasValue) { o.MemKeys = true; o.MemKeysSamples = CParse.Atoi(Next()); }
            else if (a == "--hotkeys") o.HotKeys = true;
            else if (a == "--eval" && hasValue) o.EvalFile = Next();
            else if (a == "--ldb") { o.LuaDebugger = true; o.Output = OutputMode.Raw; }
            else if (a == "--ldb-sync-mode") { o.LuaDebugger = true; o.LuaDebuggerSync = true; o.Output = OutputMode.Raw; }
            else if (a == "-c") o.ClusterMode = true;
            else if (a == "-d" && hasValue) o.BulkDelimiter = Encoding.UTF8.GetBytes(Next());
            else if (a == "-D" && hasValue) o.ReplyDelimiter = Encoding.UTF8.GetBytes(Next());
            else if (a == "-e") o.ExitCodeOnError = true;
            else if (a == "--verbose") o.Verbose = true;
            else if (a == "--cluster" && hasValue)
            {
                if (cluster.Name is not null) Usage.PrintHelpAndExit(error: true);
                string name = Next();
                int j = i;
                while (j < args.Length && !args[j].StartsWith('-')) j++;
                if (j > i) j--;
                cluster.Name = name;
                cluster.Args = args[(i + 1)..(j + 1)];
                cluster.Colors = ClusterManager.IsColorTerm();
                if (!ApplyStdinToClusterArgs(o)) Environment.Exit(1);
                i = j;
            }
            else if (a == "--cluster") Usage.PrintHelpAndExit(error: true);
            else if (a == "--cluster-only-masters") cluster.OnlyMasters = true;
            else if (a == "--cluster-only-replicas") cluster.OnlyReplicas = true;
            else if (a == "--cluster-replicas" && hasValue) cluster.Replicas = (int)CParse.Atoi(Next());
            else if (a == "--cluster-master-id" && hasValue) cluster.MasterId = Next();
            else if (a == "--cluster-from" && hasValue) cluster.From = Next();
            else if (a == "--cluster-to" && hasValue) cluster.To = Next();
            else if (a == "--cluster-from-user" && hasValue) cluster.FromUser = Next();
            else if (a == "--cluster-from-pass" && hasValue) cluster.FromPassword = Next();
            else if (a == "--cluster-from-askpass") cluster.FromAskPass = true;
            else if (a == "--cluster-weight" && hasValue)
            {
                if (cluster.Weights is not null)
                {
                    Stdio.Error("WARNING: you cannot use --cluster-weight more than once.\n" +
                                "You can set more weights by adding them as a space-separated list, ie:\n" +
                                "--cluster-weight n1=w n2=w\n");
                    Environment.Exit(1);
                }
                int first = i + 1, count = 0;
                for (int w = first; w < args.Length; w++)
                {
                    if (args[w].StartsWith("--", StringComparison.Ordinal) || !args[w].Contains('=')) break;
                    count++;
                }
                if (count > 0)
                {
                    cluster.Weights = args[first..(first + count)];
                    i += count;
                }
            }
            else if (a == "--cluster-slots" && hasValue) cluster.Slots = (int)CParse.Atoi(Next());
            else if (a == "--cluster-timeout" && hasValue) cluster.Timeout = (int)CParse.Atoi(Next());
            else if (a == "--cluster-pipeline" && hasValue) cluster.Pipeline = (int)CParse.Atoi(Next());
            else if (a == "--cluster-threshold" && hasValue) cluster.Threshold = (float)CParse.Atof(Next());
            else if (a == "--cluster-yes") cluster.Yes = true;
            else if (a == "--cluster-simulate") cluster.Simulate = true;
            else if (a == "--cluster-replace") cluster.Replace = true;
            else if (a == "--cluster-copy") cluster.Copy = true;
            else if (a == "--cluster-slave") cluster.AsReplica = true;
            else if (a == "--cluster-use-empty-masters") cluster.UseEmptyMasters = true;
            else if (a == "--cluster-search-multiple-owners") cluster.SearchMultipleOwners = true;
            else if (a == "--cluster-fix-with-unreachable-masters") cluster.FixWithUnreachableMasters = true;
            else if (a == "--tls") o.Tls = true;
            else if (a == "--sni" && hasValue) o.TlsSettings.ServerName = Next();
            else if (a == "--cacertdir" && hasValue) o.TlsSettings.CaCertDirectory = Next();
            else if (a == "--cacert" && hasValue) o.TlsSettings.CaCertFile = Next();
            else if (a == "--cert" && hasValue) o.TlsSettings.CertFile = Next();
            else if (a == "--key" && hasValue) o.TlsSettings.KeyFile = Next();
            else if (a == "--tls-ciphers" && hasValue) o.TlsSettings.Ciphers = Next();
            else if (a == "--insecure") o.TlsSettings.SkipVerification = true;
            else if (a == "--tls-ciphersuites" && hasValue) o.TlsSettings.CipherSuites = Next();
            else if (a == "-v" || a == "--version")
            {
                Stdio.Out(Usage.VersionLine + "\n");
                Environment.Exit(0);
            }
            else if (a == "-2") o.Resp2 = true;
            else if (a == "-3") o.Resp3Mode = 1;
            else if (a == "--show-pushes" && hasValue)
            {
                string v = Next();
                // Only the first letter counts; anything else is reported and ignored.
                if (v.StartsWith('n') || v.StartsWith('N')) o.ShowPushes = false;
                else if (v.StartsWith('y') || v.StartsWith('Y')) o.ShowPushes = true;
                else Stdio.Error($"Unknown --show-pushes value '{v}' (valid: '[y]es', '[n]o')\n");
            }
            else if (a == "--topology") o.TopologyMode = true;
            else if (cluster.Name is not null && !a.StartsWith('-'))
            {
                // Arguments of a --cluster subcommand given after some --cluster-* options.
                if (cluster.Args.Length == 0)
                {
                    int j = i + 1;
                    while (j < args.Length && !args[j].StartsWith('-')) j++;
                    cluster.Args = args[i..j];
                    if (j - i > 1) i = j - 1;
                }
            }
            else if (a.StartsWith('-'))
            {
                Stdio.Error($"Unrecognized option or bad number of args for: '{a}'\n");
                Environment.Exit(1);
            }
            else break;
        }
        o.Command = args[i..];

        if (o.ClusterMode && o.UnixSocket is not null) Fail("Options -c and -s are mutually exclusive.\n");
        if (o.Resp2 && o.Resp3Mode == 1) Fail("Options -2 and -3 are mutually exclusive.\n");
        if (o.LuaDebugger && o.EvalFile is null)
            Fail("Options --ldb and --ldb-sync-mode require --eval.\nTry redis-cli --help for more information.\n");
        if (!o.NoAuthWarning && o.Password is not null)
            Stdio.Error("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
        if (o.FunctionsRdbOnly && rdbRequested) Fail("Option --functions-rdb and --rdb are mutually exclusive.\n");
        if (o.StdinLastArgument && o.StdinTag is not null) Fail("Options -x and -X are mutually exclusive.\n");
        return o;
    }

    private static void Fail(string message)
    {
        Stdio.Error(message);
        Environment.Exit(1);
    }

    /// <summary>-x and -X given before --cluster feed stdin into the subcommand's arguments (for call).</summary>
    private static bool ApplyStdinToClusterArgs(CliOptions o)
    {
        var cluster = o.Cluster;
        if (o.StdinLastArgument)
        {
            cluster.Args = [.. cluster.Args, Encoding.UTF8.GetString(Program.ReadAllStdin())];
        }
        else if (o.StdinTag is { } tag)
        {
            string value = Encoding.UTF8.GetString(Program.ReadAllStdin());
            int index = Array.IndexOf(cluster.Args, tag);
            if (index < 0)
            {
                Stdio.Error("Using -X option but stdin tag not match.\n");
                return false;
            }
            cluster.Args[index] = value;
        }
        return true;
    }

    // redis://[[user]:password@]host[:port][/db], read the way redis-cli reads it: the first ':' after the
    // userinfo starts the port (so "[::1]" is not an address), the first '/' the database.
    private static void ParseUri(string uri, CliOptions o)
    {
        const string plain = "redis://", secure = "rediss://";
        int p;
        if (uri.StartsWith(secure, StringComparison.OrdinalIgnoreCase))
        {
            o.Tls = true;
            p = secure.Length;
        }
        else if (uri.StartsWith(plain, StringComparison.OrdinalIgnoreCase)) p = plain.Length;
        else
        {
            Fail("Invalid URI scheme\n");
            return;
        }
        if (p == uri.Length) return;
        int at = uri.IndexOf('@', p);
        if (at >= 0)
        {
            int colon = uri.IndexOf(':', p);
            if (colon >= 0 && colon < at)
            {
                o.User = PercentDecode(uri[p..colon]);
                p = colon + 1;
            }
            o.Password = PercentDecode(uri[p..at]);
            p = at + 1;
        }
        if (p == uri.Length) return;
        int slash = uri.IndexOf('/', p);
        if (uri[p] != '/')
        {
            int hostEnd = slash >= 0 ? slash : uri.Length;
            int portAt = uri.IndexOf(':', p);
            if (portAt >= 0)
            {
                o.Port = (int)CParse.Atoi(uri[(portAt + 1)..]);
                hostEnd = portAt;
            }
            o.Host = uri[p..Math.Max(p, hostEnd)];
        }
        p = slash >= 0 ? slash + 1 : uri.Length;
        if (p == uri.Length) return;
        o.Database = (int)CParse.Atoi(uri[p..]);
    }

    private static string PercentDecode(string text)
    {
        static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';
        static int HexValue(char c) => c <= '9' ? c - '0' : c - 'a' + 10;
        var bytes = new List<byte>();
        var raw = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '%')
            {
                bytes.Add(raw[i]);
                continue;
            }
            if (raw.Length - i < 2) Fail("Incomplete URI encoding\n");
            char high = char.ToLowerInvariant((char)raw[i + 1]);
            char low = i + 2 < raw.Length ? char.ToLowerInvariant((char)raw[i + 2]) : '\0';
            if (!IsHex(high) || !IsHex(low)) Fail("Illegal character in URI encoding\n");
            bytes.Add((byte)(HexValue(high) << 4 | HexValue(low)));
            i += 2;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

/// <summary>C's atoi/atof: leading whitespace, optional sign, digits up to the first non-digit, 0 when none.</summary>
public static class CParse
{
    public static long Atoi(string s)
    {
        int p = 0;
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
        bool negative = false;
        if (p < s.Length && (s[p] == '-' || s[p] == '+')) negative = s[p++] == '-';
        long value = 0;
        while (p < s.Length && s[p] >= '0' && s[p] <= '9') value = unchecked(value * 10 + (s[p++] - '0'));
        return negative ? -value : value;
    }

    public static double Atof(string s)
    {
        int end = 0;
        string t = s.TrimStart();
        while (end < t.Length && (char.IsDigit(t[end]) || t[end] is '.' or '-' or '+' or 'e' or 'E')) end++;
        for (; end > 0; end--)
            if (double.TryParse(t[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        return 0;
    }

    /// <summary>strtol-like: true only when the whole text is a base-10 integer.</summary>
    public static bool TryParseWhole(string s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out value);
}
